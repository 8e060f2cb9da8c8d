import XCTest
@testable import LinearAlgebra

final class EigenSVDTests: XCTestCase {
    /// A symmetric matrix with known eigenvalues 1 ... n: Q diag Qᵀ with a Householder Q.
    private func knownSymmetric(_ n: Int) -> (Matrix, [Double]) {
        var v = (0..<n).map { Double($0 % 5) - 1.7 }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        v = v.map { $0 / norm }
        var q = Matrix.identity(n)
        for i in 0..<n { for j in 0..<n { q[i, j] -= 2 * v[i] * v[j] } }
        var d = Matrix(rows: n, columns: n)
        for i in 0..<n { d[i, i] = Double(i + 1) }
        return (q * d * q.transposed, (1...n).map(Double.init))
    }

    func testSymmetricEigendecompositionReconstructs() throws {
        let (a, expected) = knownSymmetric(7)
        let e = try symmetricEigendecomposition(a)
        for (x, y) in zip(e.values, expected) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        var lambda = Matrix(rows: 7, columns: 7)
        for i in 0..<7 { lambda[i, i] = e.values[i] }
        let back = e.vectors * lambda * e.vectors.transposed
        for k in 0..<49 { XCTAssertEqual(back.storage[k], a.storage[k], accuracy: 1e-12) }
        let orthogonality = e.vectors.transposed * e.vectors
        for i in 0..<7 { for j in 0..<7 { XCTAssertEqual(orthogonality[i, j], i == j ? 1 : 0, accuracy: 1e-13) } }
    }

    func testLargestEigenpairsMatchFullDecomposition() throws {
        let (a, _) = knownSymmetric(9)
        let top = try largestEigenpairs(of: a, count: 3)
        XCTAssertEqual(top.values.count, 3)
        for (x, y) in zip(top.values, [7.0, 8, 9]) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        let av = a * top.vectors
        for j in 0..<3 { for i in 0..<9 { XCTAssertEqual(av[i, j], top.values[j] * top.vectors[i, j], accuracy: 1e-12) } }
        XCTAssertEqual(try largestEigenpairs(of: a, count: 0).values, [])
    }

    func testTridiagonalEigendecomposition() throws {
        // The second-difference matrix: eigenvalues 2 − 2 cos(kπ/(n+1)).
        let n = 6
        let e = try symmetricTridiagonalEigendecomposition(diagonal: [Double](repeating: 2, count: n), offDiagonal: [Double](repeating: -1, count: n - 1))
        for k in 1...n { XCTAssertEqual(e.values[k - 1], 2 - 2 * cos(Double(k) * .pi / Double(n + 1)), accuracy: 1e-13) }
    }

    func testSVDReconstructsTallAndWideMatrices() throws {
        for (m, n) in [(6, 4), (3, 5)] {
            var a = Matrix(rows: m, columns: n)
            for i in 0..<m { for j in 0..<n { a[i, j] = sin(Double(3 * i + 7 * j + 1)) } }
            let svd = try singularValueDecomposition(a)
            let r = min(m, n)
            XCTAssertEqual(svd.singularValues, svd.singularValues.sorted(by: >))
            var s = Matrix(rows: r, columns: r)
            for i in 0..<r { s[i, i] = svd.singularValues[i] }
            let back = svd.u * s * svd.vt
            for k in 0..<(m * n) { XCTAssertEqual(back.storage[k], a.storage[k], accuracy: 1e-13) }
            // Singular values squared are the eigenvalues of AᵀA.
            let e = try symmetricEigendecomposition(a.transposed * a)
            for i in 0..<r { XCTAssertEqual(svd.singularValues[i] * svd.singularValues[i], e.values[n - 1 - i], accuracy: 1e-12) }
        }
    }
}
