import Foundation
@testable import LinearAlgebra
import Support

/// A matrix with entries uniform in [-1, 1).
func randomMatrix(_ rows: Int, _ columns: Int, _ rng: inout SplitMix64) -> Matrix {
    Matrix(rows: rows, columns: columns, columnMajor: (0..<(rows * columns)).map { _ in Double.random(in: -1..<1, using: &rng) })
}

/// A vector with entries uniform in [-1, 1).
func randomVector(_ n: Int, _ rng: inout SplitMix64) -> [Double] {
    (0..<n).map { _ in Double.random(in: -1..<1, using: &rng) }
}

/// A random m x m orthogonal matrix: the Q of a random square matrix.
func randomOrthogonal(_ m: Int, _ rng: inout SplitMix64) throws -> Matrix {
    var q = Matrix.identity(m)
    try QRFactorization(randomMatrix(m, m, &rng)).applyQ(to: &q)
    return q
}

/// An m x n matrix U diag(s) Vᵀ with singular values log-spaced from 1 down to 1/condition,
/// so its 2-norm condition number is exactly `condition`.
func matrixWithCondition(_ m: Int, _ n: Int, condition: Double, _ rng: inout SplitMix64) throws -> Matrix {
    let u = try randomOrthogonal(m, &rng)
    let v = try randomOrthogonal(n, &rng)
    var us = Matrix(rows: m, columns: n)
    for j in 0..<n {
        let s = pow(condition, -Double(j) / Double(max(1, n - 1)))
        for i in 0..<m { us[i, j] = u[i, j] * s }
    }
    return us * v.transposed
}

/// Reference matrix product by plain loops (independent of BLAS).
func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
    var c = Matrix(rows: a.rows, columns: b.columns)
    for i in 0..<a.rows {
        for j in 0..<b.columns {
            var s = 0.0
            for k in 0..<a.columns { s += a[i, k] * b[k, j] }
            c[i, j] = s
        }
    }
    return c
}

/// Rows `range` of a matrix.
func rowsOf(_ a: Matrix, _ range: Range<Int>) -> Matrix {
    var b = Matrix(rows: range.count, columns: a.columns)
    for j in 0..<a.columns {
        for (bi, i) in range.enumerated() { b[bi, j] = a[i, j] }
    }
    return b
}

func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }

/// ‖a − b‖∞ / ‖b‖∞.
func relativeDifference(_ a: [Double], _ b: [Double]) -> Double { maxAbsDifference(a, b) / maxAbs(b) }
