import OrderedCollections
import XCTest
@testable import AtomicStructures

final class GeometryTests: XCTestCase {
    func testInverseAndDeterminantOfLeftHandedCell() throws {
        let m = Matrix3(rows: Vector3(0, 5, 0), Vector3(4, 0, 0), Vector3(1, 1, 6))
        XCTAssertEqual(m.determinant, -120, accuracy: 1e-12)
        let product = m * (m.inverse!)
        for i in 0..<3 { for j in 0..<3 { XCTAssertEqual(product[i, j], i == j ? 1 : 0, accuracy: 1e-14) } }
        XCTAssertNil(Matrix3(rows: Vector3(1, 0, 0), Vector3(2, 0, 0), Vector3(0, 0, 1)).inverse)
    }

    func testStressConvertsToVirial() throws {
        let cell = Cell(matrix: Matrix3(rows: Vector3(2, 0, 0), Vector3(0, 3, 0), Vector3(0, 0, 4)), periodic: (true, true, true))
        let s = Structure(atomicNumbers: [14], positions: [.zero], cell: cell, info: ["stress": .reals([1, 2, 3, 4, 5, 6])])
        let labels = try LabelKeys().labels(of: s)
        XCTAssertEqual(labels.virial?[0, 0], -24)
        XCTAssertEqual(labels.virial?[1, 2], -96)  // Voigt yz
        XCTAssertEqual(labels.virial?[0, 1], -144) // Voigt xy
        XCTAssertTrue(labels.sourceKeys.virialFromStress)
    }
}
