import Support
import XCTest
@testable import LinearAlgebra

final class QRTests: XCTestCase {
    /// Q R reproduces A, Q is orthogonal, R is upper triangular.
    func testFactorisationReconstructsMatrix() throws {
        var rng = SplitMix64(seed: 10)
        for (m, n) in [(8, 5), (5, 5), (4, 6)] {
            let a = randomMatrix(m, n, &rng)
            let qr = try QRFactorization(a)
            let r = qr.r
            XCTAssertEqual(r.rows, min(m, n))
            for j in 0..<n { for i in 0..<r.rows where i > j { XCTAssertEqual(r[i, j], 0) } }
            var qrProduct = Matrix(rows: m, columns: n)  // [R; 0] padded to m rows, then Q times it
            for j in 0..<n { for i in 0..<r.rows { qrProduct[i, j] = r[i, j] } }
            qr.applyQ(to: &qrProduct)
            XCTAssertLessThan(maxAbsDifference(qrProduct.storage, a.storage), 1e-14)
            var q = Matrix.identity(m)
            qr.applyQ(to: &q)
            let qtq = naiveProduct(q.transposed, q)
            XCTAssertLessThan(maxAbsDifference(qtq.storage, Matrix.identity(m).storage), 1e-14)
            let v = randomVector(m, &rng)
            var w = v
            qr.applyQTransposed(to: &w)
            qr.applyQ(to: &w)
            XCTAssertLessThan(maxAbsDifference(w, v), 1e-14)
        }
    }

    /// A straight-line fit with a hand-computed answer: points (0, 1), (1, 3), (2, 4), (3, 4)
    /// give intercept 1.5 and slope 1 (normal equations [4 6; 6 14] x = [12; 23]).
    func testLineFitByHand() throws {
        let a = Matrix(rows: 4, columns: 2, columnMajor: [1, 1, 1, 1, 0, 1, 2, 3])
        let y = [1.0, 3, 4, 4]
        let x = try solveLeastSquares(a, y)
        XCTAssertEqual(x[0], 1.5, accuracy: 1e-14)
        XCTAssertEqual(x[1], 1.0, accuracy: 1e-14)
        // Residuals (-0.5, 0.5, 0.5, -0.5): norm 1.
        XCTAssertEqual(try QRFactorization(a).leastSquaresResidualNorm(y), 1, accuracy: 1e-14)
    }

    /// On an ill-conditioned consistent problem (κ = 1e8) QR recovers x to about κ ε, where the
    /// normal equations (κ² = 1e16) would lose every digit.
    func testIllConditionedConsistentSystem() throws {
        var rng = SplitMix64(seed: 11)
        let a = try matrixWithCondition(60, 20, condition: 1e8, &rng)
        let xTrue = randomVector(20, &rng)
        let x = try solveLeastSquares(a, a * xTrue)
        XCTAssertLessThan(relativeDifference(x, xTrue), 1e8 * 1e-15, "forward error within κ ε")
    }

    func testRankDeficientMatrixIsExplained() {
        // Column 2 = column 0 + column 1 exactly (small integers, so the QR gives an exact zero).
        let a = Matrix(rows: 4, columns: 3, columnMajor: [1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0])
        XCTAssertThrowsError(try solveLeastSquares(a, [1, 2, 3, 4])) { error in
            XCTAssertEqual(
                (error as? LinearAlgebraError)?.message,
                "R is singular: diagonal element 2 (counting from 0, of 3) is zero; the design matrix is rank deficient "
                    + "(its column 2 is a linear combination of the columns before it)")
        }
    }

    func testUnderdeterminedAndNonFiniteInputsAreExplained() {
        XCTAssertThrowsError(try solveLeastSquares(Matrix(rows: 2, columns: 3, repeating: 1), [1, 2])) { error in
            XCTAssertEqual(
                (error as? LinearAlgebraError)?.message,
                "the least-squares problem is underdetermined: 2 rows (observations) for 3 unknowns; "
                    + "at least as many rows as unknowns are needed for a unique solution")
        }
        var a = Matrix.identity(3)
        a[2, 1] = .nan
        XCTAssertThrowsError(try QRFactorization(a)) { error in
            XCTAssertEqual(
                (error as? LinearAlgebraError)?.message,
                "the matrix to factorise contains a non-finite value (nan) at row 2, column 1 (counting from 0)")
        }
        XCTAssertThrowsError(try solveLeastSquares(Matrix.identity(2), [1, -.infinity])) { error in
            XCTAssertEqual(
                (error as? LinearAlgebraError)?.message,
                "the right-hand side contains a non-finite value (-inf) at index 1 (counting from 0)")
        }
    }

    func testEmptyShapes() throws {
        let qr = try QRFactorization(Matrix(rows: 3, columns: 0))
        XCTAssertEqual(try qr.solveLeastSquares([1, 2, 3]), [])
        XCTAssertEqual(qr.leastSquaresResidualNorm([3, 0, 4]), 5, accuracy: 1e-15)
    }
}
