import AtomicStructures
import Foundation
import Kernels
import ModelFiles
import Prediction
import Support
import TestSupport
import XCTest

/// libSwiftGAP from C: Tests/CLibraryTests/swiftgap_test.c is compiled against include/swiftgap.h
/// and the built library, run on real models, and its results compared with the Swift API.
///
/// `swift test` does not link dynamic library products, so the README's test command builds the
/// package first (`swift build && swift test`); a library older than its sources fails the test.
final class CLibraryTests: XCTestCase {
    static let fixtures = packageRoot + "/Tests/GAPXMLTests/Fixtures"
    /// The modules libSwiftGAP is built from (its freshness is checked against their sources).
    static let libraryModules = [
        "AtomicStructures", "CLibrary", "Descriptors", "GAPXML", "JSON", "Kernels", "LinearAlgebra", "ModelFiles",
        "NeighbourLists", "Parallelism", "Prediction", "Support",
    ]

    /// The built libSwiftGAP.so, checked to be newer than the object files of every module it is
    /// built from (which `swift test` rebuilds when their sources change, while the library is
    /// linked only by `swift build`).
    static func library() throws -> URL {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates = [me.deletingLastPathComponent(), URL(fileURLWithPath: packageRoot + "/.build/debug")]
            .map { $0.appendingPathComponent("libSwiftGAP.so") }
        let library = try XCTUnwrap(
            candidates.first { FileManager.default.fileExists(atPath: $0.path) },
            "libSwiftGAP.so is not built: run `swift build` before `swift test` (the README's test command does)")
        let built = try modificationDate(library.path)
        for module in libraryModules {
            let directory = library.deletingLastPathComponent().appendingPathComponent(module + ".build").path
            let objects = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".o") }
            for object in objects where try modificationDate(directory + "/" + object) > built {
                XCTFail("\(library.path) is older than \(module)'s \(object): run `swift build` before `swift test`")
            }
        }
        return library
    }

    static func modificationDate(_ path: String) throws -> Date {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
    }

    /// Compiles the C test program against the header and the library.
    static func compileTestProgram(in directory: URL) throws -> URL {
        let library = try library()
        let program = directory.appendingPathComponent("swiftgap_test")
        let compile = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), [
            "cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-I", packageRoot + "/include",
            packageRoot + "/Tests/CLibraryTests/swiftgap_test.c", "-o", program.path,
            "-L", library.deletingLastPathComponent().path, "-lSwiftGAP",
            "-Wl,-rpath," + library.deletingLastPathComponent().path, "-lpthread", "-lm",
        ])
        XCTAssertEqual(compile.status, 0, "cc failed:\n\(compile.stderr)")
        return program
    }

    /// Writes a structure in swiftgap_test's input format.
    static func write(_ s: Structure, to url: URL) throws {
        var text = "\(s.count)\n"
        let m = s.cell.matrix
        text += (0..<3).flatMap { i in (0..<3).map { j in "\(m[i, j])" } }.joined(separator: " ") + "\n"
        text += (0..<3).map { s.cell.isPeriodic($0) ? "1" : "0" }.joined(separator: " ") + "\n"
        for (z, r) in zip(s.atomicNumbers, s.positions) { text += "\(z) \(r.x) \(r.y) \(r.z)\n" }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// swiftgap_test's "key numbers..." lines.
    static func parse(_ output: String) -> [String: [Double]] {
        var values: [String: [Double]] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let key = parts.first else { continue }
            values[String(key)] = parts.dropFirst().compactMap { Double($0) }
        }
        return values
    }

    /// 64-atom diamond silicon, rattled by up to 0.1 Å (seeded).
    static func rattledSilicon() -> Structure {
        let a = 5.43
        let basis: [Vector3] = [
            Vector3(0, 0, 0), Vector3(0, 0.5, 0.5), Vector3(0.5, 0, 0.5), Vector3(0.5, 0.5, 0),
            Vector3(0.25, 0.25, 0.25), Vector3(0.25, 0.75, 0.75), Vector3(0.75, 0.25, 0.75), Vector3(0.75, 0.75, 0.25),
        ]
        var rng = SplitMix64(seed: 14)
        var positions: [Vector3] = []
        for x in 0..<2 { for y in 0..<2 { for z in 0..<2 {
            for b in basis {
                let r = (b + Vector3(Double(x), Double(y), Double(z))) * a
                positions.append(r + Vector3(rng.symmetricUnit(), rng.symmetricUnit(), rng.symmetricUnit()) * 0.1)
            }
        } } }
        let cell = Cell(matrix: Matrix3(rows: Vector3(2 * a, 0, 0), Vector3(0, 2 * a, 0), Vector3(0, 0, 2 * a)), periodic: (true, true, true))
        return Structure(atomicNumbers: [Int](repeating: 14, count: positions.count), positions: positions, cell: cell)
    }

    func check(model path: String, structure s: Structure, uncertaintyModel: String? = nil) throws {
        let scratch = try makeScratchDirectory("clibrary")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let program = try Self.compileTestProgram(in: scratch)
        let input = scratch.appendingPathComponent("structure.txt")
        try Self.write(s, to: input)
        let run = try runProcess(program, [path, input.path] + (uncertaintyModel.map { [$0] } ?? []))
        XCTAssertEqual(run.status, 0, "swiftgap_test failed:\n\(run.stderr)\n\(run.stdout.prefix(2000))")
        let values = Self.parse(run.stdout)
        XCTAssertEqual(values["failures"], [0])

        // The structure as the C program read it back (decimal text round-trips exactly).
        let potential = try ModelFile.load(path: path).potential
        let swift = try potential.predictPerAtom(s, threads: 1)
        XCTAssertEqual(values["species"], potential.e0.keys.sorted().map(Double.init))
        XCTAssertEqual(values["cutoff"], [potential.cutoffRadius])
        XCTAssertEqual(try XCTUnwrap(values["energy"]?.first), swift.total.energy, accuracy: 1e-10 * Double(s.count))
        for (c, r) in zip(try XCTUnwrap(values["forces"]), swift.total.forces) { XCTAssertEqual(c, r, accuracy: 1e-10) }
        for (c, r) in zip(try XCTUnwrap(values["virial"]), swift.total.virial) { XCTAssertEqual(c, r, accuracy: 1e-10) }
        for (c, r) in zip(try XCTUnwrap(values["atom_energies"]), swift.atomEnergies) { XCTAssertEqual(c, r, accuracy: 1e-10) }
        XCTAssertEqual(values["forces"]?.count, 3 * s.count)
        if s.cell.isPeriodicInAnyDirection {
            XCTAssertGreaterThan(try XCTUnwrap(values["local_atoms"]?.first), Double(s.count), "the local check had ghosts")
        }
        if let uncertaintyModel {
            let sd = try ModelFile.load(path: uncertaintyModel).potential.standardDeviation(of: s)
            XCTAssertEqual(try XCTUnwrap(values["energy_std"]?.first), sd.energy, accuracy: 1e-12 + 1e-9 * sd.energy)
            for (c, r) in zip(try XCTUnwrap(values["forces_std"]), sd.forces) { XCTAssertEqual(c, r, accuracy: 1e-12 + 1e-9 * r) }
        }
    }

    func testSiliconModelFromC() throws {
        try check(model: Self.fixtures + "/ours_si.gapjson", structure: Self.rattledSilicon())
    }

    /// A gap_fit XML model (distance_2b + SOAP) loads through the same call.
    func testGapFitXMLModelFromC() throws {
        try check(model: Self.fixtures + "/gap_fit_si.xml", structure: Self.rattledSilicon())
    }

    func testClusterFromC() throws {
        let bulk = Self.rattledSilicon()
        let cluster = Structure(atomicNumbers: Array(bulk.atomicNumbers.prefix(20)), positions: Array(bulk.positions.prefix(20)))
        try check(model: Self.fixtures + "/ours_si.gapjson", structure: cluster)
    }

    func testTwoSpeciesModelOnASlabFromC() throws {
        let structures = try ExtendedXYZReader.readAll(path: Self.fixtures + "/structures_tial.xyz")
        let slab = try XCTUnwrap(structures.first { $0.cell.isPeriodicInAnyDirection && !$0.cell.isFullyPeriodic })
        try check(model: Self.fixtures + "/ours_tial.gapjson", structure: slab)
    }

    /// A model trained with "uncertainty": true (by gap-train, in seconds): energy_std and
    /// forces_std from C equal the Swift API's.
    func testUncertaintyFromC() throws {
        let scratch = try makeScratchDirectory("clibrary-uncertainty")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let config = scratch.appendingPathComponent("config.json")
        try """
            {"train_files": ["\(Self.fixtures)/si_train.xyz"], "e0": "isolated",
             "descriptors": [{"type": "soap", "cutoff": 4.0, "cutoff_transition_width": 1.0, "n_max": 3, "l_max": 2,
                              "atom_sigma": 0.5, "delta": 1.0, "zeta": 2, "n_sparse": 15, "sparse_method": "cur"}],
             "default_sigma": {"energy": 0.002, "forces": 0.1, "virial": 0.05},
             "uncertainty": true, "seed": 3, "output": "model.gapjson", "threads": 2}
            """.write(to: config, atomically: true, encoding: .utf8)
        let train = try runTool("gap-train", [config.path, "--quiet"], in: scratch)
        XCTAssertEqual(train.status, 0, train.stderr)
        let model = scratch.appendingPathComponent("model.gapjson").path
        try check(model: model, structure: Self.rattledSilicon(), uncertaintyModel: model)
    }

    /// A corrupt model file: an error code and a message naming the file, no crash.
    func testCorruptModelFileIsAnErrorFromC() throws {
        let scratch = try makeScratchDirectory("clibrary-corrupt")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var bytes = try readFile(Self.fixtures + "/ours_si.gapjson")
        bytes[bytes.count / 2] ^= 0x20  // one flipped bit in the middle: the checksum catches it
        let corrupt = scratch.appendingPathComponent("corrupt.gapjson")
        try Data(bytes).write(to: corrupt)
        let program = try Self.compileTestProgram(in: scratch)
        let input = scratch.appendingPathComponent("structure.txt")
        try Self.write(Self.rattledSilicon(), to: input)
        let run = try runProcess(program, [corrupt.path, input.path])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("cannot load \(corrupt.path)"), run.stderr)
        XCTAssertTrue(run.stderr.contains("corrupt.gapjson"), run.stderr)
    }
}
