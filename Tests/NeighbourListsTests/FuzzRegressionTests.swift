import AtomicStructures
import Foundation
import Support
import XCTest
@testable import NeighbourLists

/// Inputs found by fuzzing (Fuzz/README.md) that made the neighbour list hang or exhaust memory.
final class NeighbourListFuzzRegressionTests: XCTestCase {
    /// Parses one frame of extended XYZ given as bytes.
    private func frame(_ text: String) throws -> Structure {
        let frames = try ExtendedXYZReader.readAll(bytes: Array(text.utf8), name: "fuzz.xyz")
        XCTAssertEqual(frames.count, 1)
        return frames[0]
    }

    /// Asserts both constructions refuse `structure` with an InputError on `Lattice`, quickly.
    private func assertRefused(_ structure: Structure, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let start = Date()
        for build in [{ try NeighbourList(structure, cutoffRadius: 5) }, { try NeighbourList.bruteForce(structure, cutoffRadius: 5) }] {
            XCTAssertThrowsError(try build(), label, file: file, line: line) { error in
                guard let e = error as? InputError else { return XCTFail("\(label): not an InputError: \(error)", file: file, line: line) }
                XCTAssertEqual(e.field, "Lattice", "\(label): \(e)", file: file, line: line)
                XCTAssertTrue(e.message.contains("too small or too skewed"), "\(label): \(e)", file: file, line: line)
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "\(label): refusing must not search the images", file: file, line: line)
    }

    /// The fuzzer's input, minimised: a valid but extremely skewed cell (lattice rows
    /// (0.1, 8, 0), (0, 1, 5), (0, 0, 2); plane spacings 0.1, 0.0125 and 0.005 Å). With a 5 Å
    /// cutoff the per-direction image counts (51, 401, 1001) each passed the old limit, but
    /// their product, 1.6·10⁸ images for one atom, took 8.5 s (and grows with N²).
    func testSkewedCellFromFuzzingIsRefused() throws {
        let s = try frame("1\nLattice=.\"1 8 0 0 1 5 0 0 \u{0B}2\" PorpepXs:R:3\nSi 1 0 0\n")
        XCTAssertEqual(s.cell.matrix.rowMajor, [0.1, 8, 0, 0, 1, 5, 0, 0, 2])
        assertRefused(s, "skewed")
    }

    /// A tiny cubic cell: 10⁻³ Å would need 10⁴ images per direction (10¹² in all) and about
    /// 5·10⁸ pairs per atom.
    func testTinyCellIsRefused() throws {
        let s = try frame("2\nLattice=\"0.001 0 0 0 0.001 0 0 0 0.001\"\nSi 0 0 0\nSi 0.0005 0 0\n")
        assertRefused(s, "tiny")
    }

    /// An atom 10³⁰⁰ Å away along a non-periodic direction made the round-off margin of the
    /// periodic bin reach huge, and `Int(reach)` trapped. The list now matches brute force.
    func testFarAtomAlongNonPeriodicDirection() throws {
        let s = try frame("2\nLattice=\"3 0 0 0 3 0 0 0 3\" pbc=\"T F F\"\nSi 0 0 0\nSi 0 0 1e300\n")
        let list = try NeighbourList(s, cutoffRadius: 5)
        assertIdentical(list, try NeighbourList.bruteForce(s, cutoffRadius: 5), "far atom")
        // Each atom sees its own images at x = ±3 Å only.
        XCTAssertEqual(Array(list.neighbours), [0, 0, 1, 1])
    }

    /// Small but physical cells keep working: one atom in a 1 Å cube with a 5 Å cutoff (13³
    /// images) has one neighbour image per lattice vector n with 0 < |n| < 5.
    func testSmallCellBelowTheLimitStillWorks() throws {
        let s = try frame("1\nLattice=\"1 0 0 0 1 0 0 0 1\"\nSi 0 0 0\n")
        let list = try NeighbourList(s, cutoffRadius: 5)
        var expected = 0
        for x in -5...5 { for y in -5...5 { for z in -5...5 where x * x + y * y + z * z > 0 && x * x + y * y + z * z < 25 { expected += 1 } } }
        XCTAssertEqual(list.pairCount, expected)
        assertIdentical(list, try NeighbourList.bruteForce(s, cutoffRadius: 5), "1 Å cube")
    }
}
