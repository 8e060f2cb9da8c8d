import AtomicStructures
import Foundation
import Support
import TestSupport
import XCTest
@testable import ArrayFiles

final class NPZTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws { scratch = try makeScratchDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// Three interleaved streams (the first in place, two staged) and one in-memory array.
    func writeArchive(to target: String, forceZIP64: Bool = false) throws -> (values: [Double], samples: [Int64], strain: [Double]) {
        let archive = try NPZWriter(path: target)
        archive.forceZIP64 = forceZIP64
        let values = try archive.addArray(named: "values", elementType: .float64, trailingShape: [3, 5])
        let samples = try archive.addArray(named: "samples", elementType: .int64, trailingShape: [2])
        let strain = try archive.addArray(named: "strain", elementType: .float64, trailingShape: [3, 3, 5])
        try archive.add(NumPyArray(shape: [0], int64: []), named: "strain_samples")
        var random = SplitMix64(seed: 5)
        var all: (values: [Double], samples: [Int64], strain: [Double]) = ([], [], [])
        for entries in [3, 0, 7, 1] {
            let v = (0..<(entries * 15)).map { _ in random.symmetricUnit() }
            let s = (0..<(entries * 2)).map { _ in Int64(bitPattern: random.next()) }
            try values.append(v)
            try samples.append(s)
            all.values += v
            all.samples += s
        }
        let st = (0..<90).map { _ in random.symmetricUnit() }
        try strain.append(st)
        all.strain = st
        try archive.finish()
        return all
    }

    func testRoundTripThroughOurReader() throws {
        let written = try writeArchive(to: path("g.npz"))
        let arrays = try NumPyArray.readNPZ(path: path("g.npz"))
        XCTAssertEqual(Set(arrays.keys), ["values", "samples", "strain", "strain_samples"])
        XCTAssertEqual(arrays["values"]?.shape, [11, 3, 5])
        XCTAssertEqual(arrays["values"]?.float64Values?.map(\.bitPattern), written.values.map(\.bitPattern))
        XCTAssertEqual(arrays["samples"]?.shape, [11, 2])
        XCTAssertEqual(arrays["samples"]?.int64Values, written.samples)
        XCTAssertEqual(arrays["strain"]?.shape, [2, 3, 3, 5])
        XCTAssertEqual(arrays["strain"]?.float64Values?.map(\.bitPattern), written.strain.map(\.bitPattern))
        XCTAssertEqual(arrays["strain_samples"]?.shape, [0])
        // Scratch files are anonymous and the temporary archive was renamed: only g.npz remains.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["g.npz"])
    }

    func testIdenticalArraysGiveIdenticalFiles() throws {
        _ = try writeArchive(to: path("a.npz"))
        _ = try writeArchive(to: path("b.npz"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("a.npz"))), try Data(contentsOf: URL(fileURLWithPath: path("b.npz"))))
    }

    func testPythonZipfileAndNumPyReadTheArchive() throws {
        for forceZIP64 in [false, true] {
            let target = path(forceZIP64 ? "zip64.npz" : "plain.npz")
            let written = try writeArchive(to: target, forceZIP64: forceZIP64)
            let output = try runPython("""
                import sys, zipfile, numpy as np
                with zipfile.ZipFile(sys.argv[1]) as z:
                    print(z.testzip(), sorted(i.filename for i in z.infolist()), set(i.compress_type for i in z.infolist()))
                with np.load(sys.argv[1]) as d:
                    for k in ['values', 'samples', 'strain', 'strain_samples']:
                        print(k, d[k].dtype.str, d[k].shape, d[k].tobytes().hex())
                """, [target])
            XCTAssertEqual(output, """
                None ['samples.npy', 'strain.npy', 'strain_samples.npy', 'values.npy'] {0}
                values <f8 (11, 3, 5) \(hexBytes(written.values))
                samples <i8 (11, 2) \(hexBytes(written.samples))
                strain <f8 (2, 3, 3, 5) \(hexBytes(written.strain))
                strain_samples <i8 (0,) \n
                """, "forceZIP64 \(forceZIP64)")
            XCTAssertEqual(try NumPyArray.readNPZ(path: target)["values"]?.float64Values?.map(\.bitPattern), written.values.map(\.bitPattern))
            // The ZIP64 end record and locator are present exactly when forced (small files).
            let bytes = try Data(contentsOf: URL(fileURLWithPath: target))
            XCTAssertEqual(bytes.range(of: Data([0x50, 0x4B, 0x06, 0x06])) != nil, forceZIP64)
            XCTAssertEqual(bytes.range(of: Data([0x50, 0x4B, 0x06, 0x07])) != nil, forceZIP64)
        }
    }

    func testInfoZipAgreesWhereInstalled() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unzip") else {
            throw XCTSkip("/usr/bin/unzip is not installed; Python's zipfile check covers the archive")
        }
        for forceZIP64 in [false, true] {
            let target = path("u\(forceZIP64).npz")
            _ = try writeArchive(to: target, forceZIP64: forceZIP64)
            let result = try runProcess("/usr/bin/unzip", ["-t", target])
            XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
            XCTAssertTrue(result.stdout.contains("No errors detected"), result.stdout)
        }
    }

    func testWeReadArchivesWrittenByNumPy() throws {
        try requireNumPy()
        _ = try runPython("""
            import sys, numpy as np
            np.savez(sys.argv[1], a=np.arange(6, dtype=np.int64).reshape(2, 3), b=np.linspace(0, 1, 4))
            np.savez_compressed(sys.argv[2], a=np.arange(3.0))
            """, [path("np.npz"), path("compressed.npz")])
        let arrays = try NumPyArray.readNPZ(path: path("np.npz"))
        XCTAssertEqual(arrays["a"]?.shape, [2, 3])
        XCTAssertEqual(arrays["a"]?.int64Values, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(arrays["b"]?.float64Values, [0, 1.0 / 3, 2.0 / 3, 1])
        XCTAssertThrowsError(try NumPyArray.readNPZ(path: path("compressed.npz"))) { error in
            XCTAssertTrue("\(error)".contains("np.savez_compressed"), "\(error)")
        }
    }

    func testCorruptionIsDetectedByCRC() throws {
        _ = try writeArchive(to: path("c.npz"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path("c.npz")))
        bytes[300] ^= 0x01  // inside values.npy's data (the first entry, after its 128-byte npy header)
        try bytes.write(to: URL(fileURLWithPath: path("c.npz")))
        XCTAssertThrowsError(try NumPyArray.readNPZ(path: path("c.npz"))) { error in
            XCTAssertTrue("\(error)".contains("values.npy") && "\(error)".contains("CRC-32 mismatch"), "\(error)")
        }
        if (try? requireNumPy()) != nil {
            let output = try runPython("import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())", [path("c.npz")])
            XCTAssertEqual(output, "values.npy\n")
        }
        XCTAssertThrowsError(try NumPyArray.readNPZ(path: path("missing.npz")))
        try Data("not a zip".utf8).write(to: URL(fileURLWithPath: path("text.npz")))
        XCTAssertThrowsError(try NumPyArray.readNPZ(path: path("text.npz"))) { error in
            XCTAssertTrue("\(error)".contains("no end-of-central-directory record"), "\(error)")
        }
    }

    /// A staged array larger than a 4 MiB chunk, kept in memory or spilled to the scratch file
    /// when the first chunk is full: the same bytes, and the arrays read back.
    func testStagedArraysInMemoryOrSpilledGiveTheSameFile() throws {
        var random = SplitMix64(seed: 8)
        // Appends below and above the direct-write size, one crossing chunk boundaries.
        let pieces = [100, 530_000, 3, 200_000].map { n in (0..<n).map { _ in random.symmetricUnit() } }
        var files: [Data] = []
        for limit in [OutputFile.defaultStagingLimit, 0] {
            let target = path("staged\(limit).npz")
            let archive = try NPZWriter(path: target)
            archive.scratchStagingLimit = limit
            let first = try archive.addArray(named: "first", elementType: .float64)
            let staged = try archive.addArray(named: "staged", elementType: .float64)
            let small = try archive.addArray(named: "small", elementType: .int64, trailingShape: [2])
            for piece in pieces {
                try staged.append(piece)
                try first.append(Array(piece.prefix(10)))
                try small.append([Int64(piece.count), 7])
            }
            try archive.finish()
            files.append(try Data(contentsOf: URL(fileURLWithPath: target)))
        }
        XCTAssertEqual(files[0], files[1])
        let arrays = try NumPyArray.readNPZ(path: path("staged0.npz"))
        XCTAssertEqual(arrays["staged"]?.float64Values?.elementsEqual(pieces.joined(), by: { $0.bitPattern == $1.bitPattern }), true)
        XCTAssertEqual(arrays["small"]?.shape, [4, 2])
        XCTAssertEqual(arrays["first"]?.shape, [33])
    }

    /// Large appends checksummed in pieces on several threads: the same file, valid CRCs.
    func testThreadedChecksumsGiveTheSameFile() throws {
        var random = SplitMix64(seed: 9)
        let pieces = [3, 200_001, 150_000].map { n in (0..<n).map { _ in random.symmetricUnit() } }
        var files: [Data] = []
        for threads in [1, 2, 3] {
            let target = path("t\(threads).npz")
            let archive = try NPZWriter(path: target)
            let first = try archive.addArray(named: "first", elementType: .float64)
            let staged = try archive.addArray(named: "staged", elementType: .float64)
            for piece in pieces {
                try first.append(piece, threads: threads)
                try staged.append(piece, threads: threads)
            }
            try archive.finish()
            files.append(try Data(contentsOf: URL(fileURLWithPath: target)))
        }
        XCTAssertEqual(files[0], files[1])
        XCTAssertEqual(files[0], files[2])
        let arrays = try NumPyArray.readNPZ(path: path("t3.npz"))  // checks each entry's CRC-32
        XCTAssertEqual(arrays["staged"]?.shape, [350_004])
    }

    func testDiscardRemovesEverything() throws {
        let archive = try NPZWriter(path: path("d.npz"))
        let a = try archive.addArray(named: "a", elementType: .float64)
        let b = try archive.addArray(named: "b", elementType: .float64)
        try a.append([1, 2] as [Double])
        try b.append([3] as [Double])
        archive.discard()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), [])
        XCTAssertThrowsError(try NPZWriter(path: path("missing-dir/x.npz"))) { error in
            XCTAssertTrue(error is InputError && "\(error)".contains("missing-dir/x.npz"), "\(error)")
        }
    }

    func testStaticWriteOfInMemoryArrays() throws {
        try NPZWriter.write([("x", NumPyArray(shape: [2], float64: [1, 2])), ("y", NumPyArray(shape: [1, 1], int64: [9]))], to: path("s.npz"))
        let arrays = try NumPyArray.readNPZ(path: path("s.npz"))
        XCTAssertEqual(arrays["x"]?.float64Values, [1, 2])
        XCTAssertEqual(arrays["y"]?.int64Values, [9])
        XCTAssertEqual(arrays["y"]?.shape, [1, 1])
    }

    /// Opt-in (ARRAYFILES_LARGE_TEST=1, about 4.6 GB of disk and a minute in release builds):
    /// an entry above 4 GiB streamed in place and a second entry whose local header lies beyond
    /// 4 GiB, so that every ZIP64 field is needed; checked with Python's zipfile (CRCs) and NumPy.
    func testArchiveBeyondFourGigabytes() throws {
        guard ProcessInfo.processInfo.environment["ARRAYFILES_LARGE_TEST"] == "1" else {
            throw XCTSkip("set ARRAYFILES_LARGE_TEST=1 to write a 4.6 GB archive")
        }
        try requireNumPy()
        let target = path("large.npz")
        let archive = try NPZWriter(path: target)
        let big = try archive.addArray(named: "big", elementType: .float64, trailingShape: [1 << 17])
        let small = try archive.addArray(named: "small", elementType: .int64)
        var row = [Double](repeating: 0, count: 1 << 17)
        let rows = 4400  // 4400 · 2^17 · 8 bytes ≈ 4.6 GB
        for r in 0..<rows {
            for k in stride(from: 0, to: row.count, by: 4096) { row[k] = Double(r * row.count + k) }
            try big.append(row)
        }
        try small.append([1, 2, 3] as [Int64])
        try archive.finish()
        let output = try runPython("""
            import sys, zipfile, numpy as np
            with zipfile.ZipFile(sys.argv[1]) as z:
                print(z.testzip(), [(i.filename, i.file_size > 2**32, i.header_offset > 2**32) for i in z.infolist()])
            with np.load(sys.argv[1], mmap_mode=None) as d:
                print(d['small'].tolist())
            """, [target])
        XCTAssertEqual(output, "None [('big.npy', True, False), ('small.npy', False, True)]\n[1, 2, 3]\n")
        try FileManager.default.removeItem(atPath: target)
    }
}
