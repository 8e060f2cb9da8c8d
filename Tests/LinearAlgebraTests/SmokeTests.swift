import XCTest
@testable import LinearAlgebra

final class SmokeTests: XCTestCase {
    /// OpenBLAS dgemm and LAPACK dpotrf are linked and give textbook answers.
    func testDgemmAndCholesky() throws {
        let a = Matrix(rows: 2, columns: 2, columnMajor: [4, 2, 2, 3])  // [[4, 2], [2, 3]]
        XCTAssertEqual((a * Matrix.identity(2)).storage, a.storage)
        XCTAssertEqual((a * a).storage, [20, 14, 14, 13])
        let l = try choleskyLower(a)
        XCTAssertEqual(l[0, 0], 2, accuracy: 1e-15)
        XCTAssertEqual(l[1, 0], 1, accuracy: 1e-15)
        XCTAssertEqual(l[1, 1], 2.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(l[0, 1], 0)
        XCTAssertThrowsError(try choleskyLower(Matrix(rows: 2, columns: 2, columnMajor: [1, 2, 2, 1])))
    }
}
