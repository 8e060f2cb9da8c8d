import XCTest
import AtomicStructures
@testable import NeighbourLists

final class BruteForceTests: XCTestCase {
    /// A single atom in a small cubic cell sees its own images: 6 at a, 12 at a√2, 8 at a√3.
    func testSingleAtomSeesItsImages() throws {
        let a = 2.0
        let cell = Cell(matrix: Matrix3(rows: Vector3(a, 0, 0), Vector3(0, a, 0), Vector3(0, 0, a)), periodic: (true, true, true))
        let s = Structure(atomicNumbers: [14], positions: [Vector3(0.3, -5.1, 7.2)], cell: cell)
        let list = try NeighbourList.bruteForce(s, cutoffRadius: 3.5)
        XCTAssertEqual(list.pairCount, 6 + 12 + 8)
        for p in 0..<list.pairCount {
            let shift = list.shifts[p]
            let expected = a * Vector3(Double(shift.x), Double(shift.y), Double(shift.z))
            XCTAssertEqual(length(list.vectors[p] - expected), 0, accuracy: 1e-12)
        }
    }
}
