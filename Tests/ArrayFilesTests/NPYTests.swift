import AtomicStructures
import Foundation
import Support
import TestSupport
import XCTest
@testable import ArrayFiles

final class NPYTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws { scratch = try makeScratchDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// Special values whose bits must survive: signed zero, infinities, NaN payload, subnormals.
    let specials: [Double] = [0.0, -0.0, .infinity, -.infinity, Double(bitPattern: 0x7FF8_0000_0000_1234),
                              .leastNonzeroMagnitude, -.greatestFiniteMagnitude, 1.0 / 3.0]

    func testHeaderIsNumPysVersionOneLayout() {
        let header = NPYHeader.encode(.float64, shape: [2, 3])
        XCTAssertEqual(header.count, 128)
        XCTAssertEqual(Array(header[0..<8]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        XCTAssertEqual(Int(header[8]) | Int(header[9]) << 8, 118)
        let text = String(decoding: header[10...], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"))
        XCTAssertTrue(text.hasSuffix(" \n"))
        XCTAssertEqual(NPYHeader.dictionary(.int64, shape: [5]), "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }")
        XCTAssertEqual(NPYHeader.dictionary(.int64, shape: []), "{'descr': '<i8', 'fortran_order': False, 'shape': (), }")
        // Room for any row count: the reserved header fits Int.max rows and is 64-aligned.
        let reserved = NPYHeader.reservedLength(.float64, trailingShape: [3, 3, 1000])
        XCTAssertEqual(reserved % 64, 0)
        XCTAssertEqual(NPYHeader.encode(.float64, shape: [Int.max, 3, 3, 1000], length: reserved).count, reserved)
    }

    func testStreamedArrayRoundTripsAndHasFinalShape() throws {
        let writer = try NPYWriter(path: path("a.npy"), elementType: .float64, trailingShape: [4])
        var all: [Double] = []
        var random = SplitMix64(seed: 1)
        // Appends that split and merge rows.
        for count in [4, 2, 6, 0, 8, 4] {
            let chunk = (0..<count).map { _ in random.symmetricUnit() }
            try writer.append(chunk)
            all += chunk
        }
        try writer.append(specials)
        all += specials
        XCTAssertEqual(writer.rowCount, all.count / 4)
        try writer.finish()
        let back = try NumPyArray.readNPY(path: path("a.npy"))
        XCTAssertEqual(back.shape, [all.count / 4, 4])
        XCTAssertEqual(back.float64Values?.map(\.bitPattern), all.map(\.bitPattern))
        // No temporary file is left next to it.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["a.npy"])
    }

    func testEmptyAndOneDimensionalAndIntegerArrays() throws {
        let empty = try NPYWriter(path: path("empty.npy"), elementType: .float64, trailingShape: [3, 3, 2])
        try empty.finish()
        XCTAssertEqual(try NumPyArray.readNPY(path: path("empty.npy")).shape, [0, 3, 3, 2])
        let ints = try NPYWriter(path: path("ints.npy"), elementType: .int64)
        try ints.append([Int64.min, -1, 0, 1, Int64.max] as [Int64])
        try ints.finish()
        let back = try NumPyArray.readNPY(path: path("ints.npy"))
        XCTAssertEqual(back.shape, [5])
        XCTAssertEqual(back.int64Values, [Int64.min, -1, 0, 1, Int64.max])
        try NPYWriter.write(NumPyArray(shape: [], float64: [2.5]), to: path("scalar.npy"))
        XCTAssertEqual(try NumPyArray.readNPY(path: path("scalar.npy")).float64Values, [2.5])
        try NPYWriter.write(NumPyArray(shape: [2, 0], int64: []), to: path("zero-width.npy"))
        XCTAssertEqual(try NumPyArray.readNPY(path: path("zero-width.npy")).shape, [2, 0])
    }

    func testNumPyReadsOurFilesBitForBit() throws {
        try requireNumPy()
        let floats = specials + [1, 2, 3, 4]
        try NPYWriter.write(NumPyArray(shape: [3, 2, 2], float64: floats), to: path("f.npy"))
        let streamed = try NPYWriter(path: path("i.npy"), elementType: .int64, trailingShape: [2])
        try streamed.append([7, -8] as [Int64])
        try streamed.append([Int64.max, Int64.min] as [Int64])
        try streamed.finish()
        let output = try runPython("""
            import sys, numpy as np
            for p in sys.argv[1:]:
                a = np.load(p)
                print(a.dtype.str, a.shape, a.flags['C_CONTIGUOUS'], a.tobytes().hex())
            """, [path("f.npy"), path("i.npy")])
        XCTAssertEqual(output, """
            <f8 (3, 2, 2) True \(hexBytes(floats))
            <i8 (2, 2) True \(hexBytes([7, -8, Int64.max, Int64.min]))

            """)
    }

    func testWeReadFilesWrittenByNumPy() throws {
        try requireNumPy()
        _ = try runPython("""
            import sys, numpy as np
            np.save(sys.argv[1], np.arange(12, dtype=np.float64).reshape(3, 4) / 7)
            np.save(sys.argv[2], np.array([[1, -2], [3, 4]], dtype=np.int64))
            np.save(sys.argv[3], np.zeros((2, 2), dtype=np.float32))
            np.save(sys.argv[4], np.asfortranarray(np.ones((2, 3))))
            """, [path("a.npy"), path("b.npy"), path("c.npy"), path("d.npy")])
        let a = try NumPyArray.readNPY(path: path("a.npy"))
        XCTAssertEqual(a.shape, [3, 4])
        XCTAssertEqual(a.float64Values, (0..<12).map { Double($0) / 7 })
        XCTAssertEqual(try NumPyArray.readNPY(path: path("b.npy")).int64Values, [1, -2, 3, 4])
        XCTAssertThrowsError(try NumPyArray.readNPY(path: path("c.npy"))) { error in
            XCTAssertTrue("\(error)".contains("'<f4'"), "\(error)")
        }
        XCTAssertThrowsError(try NumPyArray.readNPY(path: path("d.npy"))) { error in
            XCTAssertTrue("\(error)".contains("Fortran"), "\(error)")
        }
    }

    func testMalformedFilesGiveInputErrors() throws {
        let cases: [(String, [UInt8], String)] = [
            ("not-npy", Array("hello world".utf8), "not a NumPy .npy file"),
            ("truncated", Array(NPYHeader.encode(.float64, shape: [2, 2])) + [0, 0, 0], "needs 4 elements"),
            ("huge", Array(NPYHeader.encode(.float64, shape: [Int.max, 4])), "impossibly large"),
            ("short-header", Array(NPYHeader.encode(.float64, shape: [1]).prefix(40)), "ends inside the header"),
        ]
        for (name, bytes, expected) in cases {
            XCTAssertThrowsError(try NumPyArray(npyBytes: bytes, name: name)) { error in
                XCTAssertTrue(error is InputError)
                XCTAssertTrue("\(error)".contains(name) && "\(error)".contains(expected), "\(name): \(error)")
            }
        }
        XCTAssertThrowsError(try NumPyArray.readNPY(path: path("missing.npy"))) { error in
            XCTAssertTrue("\(error)".contains("missing.npy") && "\(error)".contains("No such file"), "\(error)")
        }
    }

    func testDiscardLeavesExistingFileAndNoTemporaries() throws {
        try NPYWriter.write(NumPyArray(shape: [1], float64: [42]), to: path("keep.npy"))
        let writer = try NPYWriter(path: path("keep.npy"), elementType: .float64)
        try writer.append([1, 2, 3] as [Double])
        writer.discard()
        XCTAssertEqual(try NumPyArray.readNPY(path: path("keep.npy")).float64Values, [42])
        // An unfinished writer that is released cleans up too.
        do {
            let abandoned = try NPYWriter(path: path("abandoned.npy"), elementType: .float64)
            try abandoned.append([1] as [Double])
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["keep.npy"])
    }

    func testUnwritableDestinationsAreReportedBeforeWriting() throws {
        for (target, reason) in [(path("no/such/dir/x.npy"), "No such file or directory"), (scratch.path, "directory")] {
            XCTAssertThrowsError(try NPYWriter(path: target, elementType: .float64)) { error in
                XCTAssertTrue(error is InputError)
                XCTAssertTrue("\(error)".contains(target) && "\(error)".contains(reason), "\(error)")
            }
            XCTAssertThrowsError(try checkOutputPath(target))
        }
        XCTAssertNoThrow(try checkOutputPath(path("fine.npy")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("fine.npy")))
    }
}
