import Support
import XCTest
@testable import LinearAlgebra

final class IncrementalLeastSquaresTests: XCTestCase {
    /// A moderately ill-conditioned problem (κ = 1e3) with noisy targets. Least-squares
    /// perturbation theory bounds the relative difference between two backward-stable solvers
    /// by about ε (κ + κ² ‖r‖ / (‖A‖ ‖x‖)) ≈ 2e-16 (1e3 + 1e6 · 0.03) ≈ 7e-12; in practice it is
    /// far smaller, so 1e-12 is a real check.
    private func problem(rows: Int, columns: Int, seed: UInt64, condition: Double = 1e3) throws -> (Matrix, [Double]) {
        var rng = SplitMix64(seed: seed)
        let a = try matrixWithCondition(rows, columns, condition: condition, &rng)
        let x = randomVector(columns, &rng)
        let y = (a * x).map { $0 + 1e-2 * Double.random(in: -1..<1, using: &rng) }
        return (a, y)
    }

    private func accumulate(_ a: Matrix, _ y: [Double], blockSizes: [Int]) throws -> IncrementalLeastSquares {
        var acc = IncrementalLeastSquares(columns: a.columns)
        var start = 0, k = 0
        while start < a.rows {
            let end = min(a.rows, start + blockSizes[k % blockSizes.count])
            try acc.add(rows: rowsOf(a, start..<end), targets: Array(y[start..<end]))
            start = end
            k += 1
        }
        return acc
    }

    /// Streaming in blocks equals the direct dgeqrf solve to ~1e-12 relative, and |R| equals
    /// the direct |R| (rows may differ in sign).
    func testMatchesDirectQRSolve() throws {
        let (a, y) = try problem(rows: 400, columns: 40, seed: 20)
        let direct = try QRFactorization(a)
        let xDirect = try direct.solveLeastSquares(y)
        let acc = try accumulate(a, y, blockSizes: [37])
        XCTAssertEqual(acc.rowCount, 400)
        XCTAssertLessThan(relativeDifference(try acc.solve(), xDirect), 1e-12)
        let rd = direct.r
        for j in 0..<40 { for i in 0...j { XCTAssertEqual(abs(acc.r[i, j]), abs(rd[i, j]), accuracy: 1e-12 * abs(rd[0, 0])) } }
        for j in 0..<40 { for i in (j + 1)..<40 { XCTAssertEqual(acc.r[i, j], 0) } }
        let residual = direct.leastSquaresResidualNorm(y)
        XCTAssertEqual(acc.residualSumOfSquares.squareRoot(), residual, accuracy: 1e-12 * residual)
    }

    /// Different block partitions agree to round-off (single rows, odd sizes, one big block).
    func testBlockSizeIndependence() throws {
        let (a, y) = try problem(rows: 300, columns: 25, seed: 21)
        let reference = try accumulate(a, y, blockSizes: [300]).solve()
        for sizes in [[1], [7], [64], [3, 50, 11], [25]] {
            let acc = try accumulate(a, y, blockSizes: sizes)
            XCTAssertLessThan(relativeDifference(try acc.solve(), reference), 1e-12, "block sizes \(sizes)")
            XCTAssertEqual(acc.rowCount, 300)
        }
    }

    /// Partial factors merged in a fixed order equal the sequential fold; merging is exact
    /// bookkeeping for rows and residuals.
    func testMergeOfPartialFactors() throws {
        let (a, y) = try problem(rows: 240, columns: 30, seed: 22)
        let xDirect = try solveLeastSquares(a, y)
        var merged = IncrementalLeastSquares(columns: 30)
        for part in 0..<4 {
            let range = (part * 60)..<((part + 1) * 60)
            var partial = IncrementalLeastSquares(columns: 30)
            try partial.add(rows: rowsOf(a, range), targets: Array(y[range]))
            merged.merge(partial)
        }
        XCTAssertEqual(merged.rowCount, 240)
        XCTAssertLessThan(relativeDifference(try merged.solve(), xDirect), 1e-12)
        let sequential = try accumulate(a, y, blockSizes: [60])
        XCTAssertEqual(merged.residualSumOfSquares, sequential.residualSumOfSquares, accuracy: 1e-12 * sequential.residualSumOfSquares)
        merged.merge(IncrementalLeastSquares(columns: 30))
        XCTAssertEqual(merged.rowCount, 240, "merging an empty accumulator changes nothing")
    }

    /// Prior triangular rows (e.g. Lᵀ of a regulariser with zero targets) plus data equal the
    /// direct QR of the stacked matrix [A; U].
    func testTriangularPriorRows() throws {
        let (a, y) = try problem(rows: 120, columns: 15, seed: 23)
        var rng = SplitMix64(seed: 99)
        var u = randomMatrix(15, 15, &rng).keepingTriangle(.upper)
        for i in 0..<15 { u[i, i] += 3 }
        var stacked = Matrix(rows: 135, columns: 15)
        for j in 0..<15 {
            for i in 0..<120 { stacked[i, j] = a[i, j] }
            for i in 0..<15 { stacked[120 + i, j] = u[i, j] }
        }
        let xDirect = try solveLeastSquares(stacked, y + [Double](repeating: 0, count: 15))
        var acc = try IncrementalLeastSquares(upperTriangularRows: u, targets: [Double](repeating: 0, count: 15))
        var data = IncrementalLeastSquares(columns: 15)
        try data.add(rows: a, targets: y)
        acc.merge(data)
        XCTAssertEqual(acc.rowCount, 135)
        XCTAssertLessThan(relativeDifference(try acc.solve(), xDirect), 1e-12)
    }

    /// The state is O(n²) whatever the number of rows.
    func testStateSizeIndependentOfRowCount() throws {
        let (a, y) = try problem(rows: 500, columns: 10, seed: 24)
        let acc = try accumulate(a, y, blockSizes: [50])
        XCTAssertEqual(acc.r.storage.count, 100)
        XCTAssertEqual(acc.qTransposedTargets.count, 10)
    }

    func testFailuresAreExplained() throws {
        var acc = IncrementalLeastSquares(columns: 3)
        try acc.add(rows: Matrix(rows: 2, columns: 3, repeating: 1), targets: [1, 2])
        XCTAssertThrowsError(try acc.solve()) { error in
            XCTAssertEqual(
                (error as? LinearAlgebraError)?.message,
                "the least-squares problem is underdetermined: 2 rows (observations) for 3 unknowns; "
                    + "at least as many rows as unknowns are needed for a unique solution")
        }
        // Column 2 is identically zero: R[2, 2] stays exactly zero.
        var deficient = IncrementalLeastSquares(columns: 3)
        try deficient.add(rows: Matrix(rows: 4, columns: 3, columnMajor: [1, 2, 3, 4, 1, -1, 2, 0, 0, 0, 0, 0]), targets: [1, 2, 3, 4])
        XCTAssertThrowsError(try deficient.solve()) { error in
            XCTAssertEqual(
                (error as? LinearAlgebraError)?.message,
                "R is singular: diagonal element 2 (counting from 0, of 3) is zero; the design matrix is rank deficient "
                    + "(its column 2 is a linear combination of the columns before it)")
        }
        let before = acc
        XCTAssertThrowsError(try acc.add(rows: Matrix(rows: 1, columns: 3, columnMajor: [1, .nan, 0]), targets: [0])) { error in
            XCTAssertEqual(
                (error as? LinearAlgebraError)?.message,
                "the block of rows contains a non-finite value (nan) at row 0, column 1 (counting from 0)")
        }
        XCTAssertEqual(acc.r, before.r, "a rejected block leaves the state unchanged")
        XCTAssertEqual(acc.rowCount, before.rowCount)
    }
}
