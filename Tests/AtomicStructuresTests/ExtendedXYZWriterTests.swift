import OrderedCollections
import Support
import XCTest
@testable import AtomicStructures
#if canImport(Glibc)
import Glibc
#endif

final class ExtendedXYZWriterTests: XCTestCase {
    /// Every GAP-18 frame survives writer + reader bit for bit (info order and arrays included).
    func testAllGAP18FramesRoundTripBitForBit() throws {
        var frames = 0
        for file in try TestPaths.gap18Files() {
            let original = try ExtendedXYZReader.readAll(path: file)
            var text: [UInt8] = []
            for structure in original {
                XCTAssertEqual(ExtendedXYZWriter.problems(in: structure), [], structure.sourceDescription)
                text.append(contentsOf: ExtendedXYZWriter.format(structure).utf8)
            }
            let back = try ExtendedXYZReader.readAll(bytes: text, name: file + " (rewritten)")
            XCTAssertEqual(back.count, original.count)
            for (a, b) in zip(back, original) {
                assertSameExceptNaN(a, b)
                XCTAssertEqual(Array(a.info.keys), Array(b.info.keys))
                XCTAssertEqual(Array(a.arrays.keys), Array(b.arrays.keys))
            }
            frames += back.count
        }
        XCTAssertEqual(frames, 2071)
    }

    func testFrameLayout() {
        let s = Structure(
            atomicNumbers: [14, 8], positions: [Vector3(0, 0.5, -1), Vector3(1e-20, 2, 3)],
            cell: Cell(matrix: Matrix3(rows: Vector3(5, 0, 0), Vector3(0, 5, 0), Vector3(0, 0, 7.5)), periodic: (true, true, false)),
            info: ["energy": .real(-3.25), "config_type": .string("two words"), "n": .integer(3)],
            arrays: ["forces": PerAtomProperty(name: "forces", columns: 3, values: .reals([0.1, 0.2, 0.3, -0.1, -0.2, -0.3])),
                     "tag": PerAtomProperty(name: "tag", columns: 1, values: .integers([1, 2]))]
        )
        XCTAssertEqual(ExtendedXYZWriter.format(s), """
        2
        Lattice="5.0 0.0 0.0 0.0 5.0 0.0 0.0 0.0 7.5" Properties=species:S:1:pos:R:3:forces:R:3:tag:I:1 energy=-3.25 config_type="two words" n=3 pbc="T T F"
        Si 0.0 0.5 -1.0 0.1 0.2 0.3 1
        O 1e-20 2.0 3.0 -0.1 -0.2 -0.3 2

        """)
        let molecule = Structure(atomicNumbers: [1], positions: [.zero])
        XCTAssertEqual(ExtendedXYZWriter.format(molecule), "1\nProperties=species:S:1:pos:R:3\nH 0.0 0.0 0.0\n")
    }

    func testUnrepresentableStructuresAreRefusedByWrite() throws {
        let base = Structure(atomicNumbers: [14], positions: [.zero])
        func with(_ change: (inout Structure) -> Void) -> Structure {
            var s = base
            change(&s)
            return s
        }
        let cases: [(Structure, String)] = [
            (with { $0.info[""] = .integer(1) }, ""),
            (with { $0.info["Lattice"] = .integer(1) }, "Lattice"),
            (with { $0.info["PBC"] = .bool(true) }, "PBC"),
            (with { $0.info["line\nbreak"] = .integer(1) }, "line\nbreak"),
            (with { $0.info["flags"] = .bools([]) }, "flags"),
            (with { $0.info["names"] = .strings([]) }, "names"),
            (with { $0.info["uid"] = .integer(5) }, "uid"),
            (with { $0.arrays["a:b"] = PerAtomProperty(name: "a:b", columns: 1, values: .reals([1])) }, "a:b"),
            (with { $0.arrays["pos"] = PerAtomProperty(name: "pos", columns: 1, values: .reals([1])) }, "pos"),
            (with { $0.arrays["short"] = PerAtomProperty(name: "short", columns: 3, values: .reals([1])) }, "short"),
            (with { $0.arrays["words"] = PerAtomProperty(name: "words", columns: 1, values: .strings(["two words"])) }, "words"),
            (with { $0.arrays["none"] = PerAtomProperty(name: "none", columns: 1, values: .strings([""])) }, "none"),
            (with { $0.arrays["big"] = PerAtomProperty(name: "big", columns: 1, values: .integers([Int.max])) }, "big"),
            (with { $0.arrays["Z"] = PerAtomProperty(name: "Z", columns: 1, values: .integers([6])) }, "Z"),
            (with { $0.positions[0].y = .nan }, "pos"),
            (with { $0.atomicNumbers[0] = 0 }, "species"),
            (with { $0.cell = Cell(matrix: Matrix3(rows: Vector3(1, 0, 0), Vector3(2, 0, 0), Vector3(0, 0, 1)), periodic: (true, true, true)) }, "Lattice"),
        ]
        let directory = makeTemporaryDirectory()
        for (structure, field) in cases {
            XCTAssertFalse(ExtendedXYZWriter.problems(in: structure).isEmpty, "\(field)")
            let path = directory + "/refused.xyz"
            XCTAssertThrowsError(try ExtendedXYZWriter.write([base, structure], to: path)) { error in
                let inputError = error as? InputError
                XCTAssertEqual(inputError?.field, field)
                XCTAssertEqual(inputError?.file, path)
                XCTAssertTrue(inputError?.message.hasPrefix("frame 1:") ?? false, "\(error)")
            }
            XCTAssertNotEqual(access(path, F_OK), 0, "nothing is written when a frame is refused")
        }
    }

    func testWriteThenReadFile() throws {
        let structures = ExtendedXYZInteropTests.sampleStructures()
        let path = makeTemporaryDirectory() + "/frames.xyz"
        try ExtendedXYZWriter.write(structures, to: path)
        let back = try ExtendedXYZReader.readAll(path: path)
        XCTAssertEqual(back.count, structures.count)
        for (index, (a, b)) in zip(back, structures).enumerated() {
            assertSameExceptNaN(a, b)
            XCTAssertEqual(a.source?.frameIndex, index)
        }
    }
}

final class AtomicFileWritingTests: XCTestCase {
    func testWritesReplacesAndKeepsPermissions() throws {
        let directory = makeTemporaryDirectory()
        let path = directory + "/out.txt"
        try writeFileAtomically(Array("first".utf8), to: path)
        XCTAssertEqual(try readBytes(path), Array("first".utf8))
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o644)

        chmod(path, 0o600)
        try writeFileAtomically(Array("second, longer".utf8), to: path)
        XCTAssertEqual(try readBytes(path), Array("second, longer".utf8))
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600, "the replaced file's permissions are kept")

        try writeFileAtomically([], to: path)
        XCTAssertEqual(try readBytes(path), [])
        XCTAssertEqual(try TestPaths.listDirectory(directory), ["out.txt"], "no temporary files are left behind")
    }

    func testFailureLeavesNothingBehind() throws {
        let directory = makeTemporaryDirectory()
        XCTAssertThrowsError(try writeFileAtomically([1, 2, 3], to: directory + "/missing/out.txt")) { error in
            XCTAssertEqual((error as? InputError)?.file, directory + "/missing/out.txt")
        }
        // Renaming onto a non-empty directory fails after the temporary file was written.
        let target = directory + "/occupied"
        mkdir(target, 0o755)
        writeBytes([1], to: target + "/inside")
        XCTAssertThrowsError(try writeFileAtomically([1, 2, 3], to: target))
        XCTAssertEqual(try TestPaths.listDirectory(directory), ["occupied"], "the temporary file is removed on failure")
        XCTAssertThrowsError(try writeFileAtomically([1], to: directory + "/"))
    }

    func testRelativePath() throws {
        let directory = makeTemporaryDirectory()
        let previous = getcwd(nil, 0)!
        defer { chdir(previous); free(previous) }
        chdir(directory)
        try writeFileAtomically(Array("x".utf8), to: "relative.txt")
        XCTAssertEqual(try readBytes(directory + "/relative.txt"), Array("x".utf8))
    }
}
