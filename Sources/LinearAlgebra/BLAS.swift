import CLapack

// Level-2 and level-3 BLAS wrappers beyond gemm: matrix-vector products, symmetric rank-k
// updates, triangular products and triangular solves. Shapes are the caller's (programmer's)
// responsibility and are checked with preconditions; numerical failures throw.

/// y = alpha op(A) x + beta y through OpenBLAS dgemv, where op(A) is A or Aᵀ.
///
/// - Parameters:
///   - a: the matrix A.
///   - transposed: use Aᵀ instead of A.
///   - x: a vector of length `op(A).columns`.
///   - y: a vector of length `op(A).rows`; with `beta == 0` its old contents are ignored.
public func gemv(
    _ a: Matrix, transposed: Bool = false, _ x: [Double],
    alpha: Double = 1, beta: Double = 0, into y: inout [Double]
) {
    let (outCount, inCount) = transposed ? (a.columns, a.rows) : (a.rows, a.columns)
    precondition(x.count == inCount, "gemv: x has length \(x.count), expected \(inCount)")
    precondition(y.count == outCount, "gemv: y has length \(y.count), expected \(outCount)")
    guard outCount > 0 else { return }
    if inCount == 0 {
        // BLAS leaves y untouched when the inner dimension is empty only if beta == 1.
        for i in 0..<outCount { y[i] = beta == 0 ? 0 : beta * y[i] }
        return
    }
    a.storage.withUnsafeBufferPointer { pa in
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                cblas_dgemv(
                    CblasColMajor, cblasTranspose(transposed), Int32(a.rows), Int32(a.columns), alpha,
                    pa.baseAddress, leading(a.rows), px.baseAddress, 1, beta, py.baseAddress, 1)
            }
        }
    }
}

/// The matrix-vector product A x.
public func * (lhs: Matrix, rhs: [Double]) -> [Double] {
    var y = [Double](repeating: 0, count: lhs.rows)
    gemv(lhs, rhs, into: &y)
    return y
}

/// Symmetric rank-k update through OpenBLAS dsyrk: C = alpha A Aᵀ + beta C, or
/// C = alpha Aᵀ A + beta C when `transposed` is true.
///
/// Only the `triangle` of C is read and written; call ``Matrix/mirrorTriangle(_:)`` afterwards
/// if both triangles are needed.
public func syrk(
    _ a: Matrix, transposed: Bool = false, alpha: Double = 1, beta: Double = 0,
    into c: inout Matrix, triangle: Triangle = .upper
) {
    let (n, k) = transposed ? (a.columns, a.rows) : (a.rows, a.columns)
    precondition(c.rows == n && c.columns == n, "syrk: output must be \(n) x \(n)")
    guard n > 0 else { return }
    if k == 0 {
        for j in 0..<n {
            let range = triangle == .upper ? 0...j : j...(n - 1)
            for i in range { c[i, j] = beta == 0 ? 0 : beta * c[i, j] }
        }
        return
    }
    a.storage.withUnsafeBufferPointer { pa in
        c.storage.withUnsafeMutableBufferPointer { pc in
            cblas_dsyrk(
                CblasColMajor, triangle.cblas, cblasTranspose(transposed), Int32(n), Int32(k), alpha,
                pa.baseAddress, leading(a.rows), beta, pc.baseAddress, leading(n))
        }
    }
}

/// The Gram matrix Aᵀ A (both triangles filled), through dsyrk.
public func gramMatrix(of a: Matrix) -> Matrix {
    var c = Matrix(rows: a.columns, columns: a.columns)
    syrk(a, transposed: true, into: &c, triangle: .upper)
    c.mirrorTriangle(.upper)
    return c
}

extension Matrix {
    /// Makes a square matrix symmetric by copying `source` onto the opposite triangle.
    public mutating func mirrorTriangle(_ source: Triangle) {
        precondition(rows == columns, "mirrorTriangle needs a square matrix")
        let n = rows
        storage.withUnsafeMutableBufferPointer { p in
            for j in 0..<n {
                for i in (j + 1)..<max(j + 1, n) {
                    if source == .upper { p[i + j * n] = p[j + i * n] } else { p[j + i * n] = p[i + j * n] }
                }
            }
        }
    }

    /// The matrix with the elements outside `triangle` set to zero (for example R from a packed QR).
    public func keepingTriangle(_ triangle: Triangle) -> Matrix {
        var t = self
        for j in 0..<columns {
            for i in 0..<rows where (triangle == .upper && i > j) || (triangle == .lower && i < j) { t[i, j] = 0 }
        }
        return t
    }
}

/// x ← op(T) x through dtrmv, for a square triangular T (only its `triangle` is read).
///
/// - Parameters:
///   - unitDiagonal: treat the diagonal of T as ones without reading it.
public func triangularMultiply(
    _ t: Matrix, _ triangle: Triangle, transposed: Bool = false, unitDiagonal: Bool = false,
    _ x: inout [Double]
) {
    precondition(t.rows == t.columns, "triangularMultiply needs a square matrix")
    precondition(x.count == t.rows, "triangularMultiply: vector length \(x.count) differs from \(t.rows)")
    guard t.rows > 0 else { return }
    t.storage.withUnsafeBufferPointer { pt in
        x.withUnsafeMutableBufferPointer { px in
            cblas_dtrmv(
                CblasColMajor, triangle.cblas, cblasTranspose(transposed), unitDiagonal ? CblasUnit : CblasNonUnit,
                Int32(t.rows), pt.baseAddress, leading(t.rows), px.baseAddress, 1)
        }
    }
}

/// B ← alpha op(T) B (side `.left`) or B ← alpha B op(T) (side `.right`) through dtrmm,
/// for a square triangular T (only its `triangle` is read).
public func triangularMultiply(
    _ t: Matrix, _ triangle: Triangle, transposed: Bool = false, unitDiagonal: Bool = false,
    side: Side = .left, alpha: Double = 1, _ b: inout Matrix
) {
    precondition(t.rows == t.columns, "triangularMultiply needs a square matrix")
    precondition(
        (side == .left ? b.rows : b.columns) == t.rows,
        "triangularMultiply: B is \(b.rows) x \(b.columns), incompatible with a \(t.rows) x \(t.rows) triangle on the \(side)")
    guard b.rows > 0, b.columns > 0 else { return }
    t.storage.withUnsafeBufferPointer { pt in
        b.storage.withUnsafeMutableBufferPointer { pb in
            cblas_dtrmm(
                CblasColMajor, side.cblas, triangle.cblas, cblasTranspose(transposed),
                unitDiagonal ? CblasUnit : CblasNonUnit, Int32(b.rows), Int32(b.columns), alpha,
                pt.baseAddress, leading(t.rows), pb.baseAddress, leading(b.rows))
        }
    }
}

/// The first exactly-zero diagonal element of a square triangular matrix, if any.
func firstZeroOnDiagonal(_ t: Matrix) -> Int? {
    (0..<t.rows).first { t[$0, $0] == 0 }
}

/// The error for a triangular matrix with an exactly-zero pivot.
func singularTriangleError(_ name: String, diagonal k: Int, size n: Int) -> LinearAlgebraError {
    LinearAlgebraError(
        "\(name) is singular: diagonal element \(k) (counting from 0, of \(n)) is exactly zero, "
            + "so the triangular system has no unique solution", index: k)
}

/// Solves op(T) x = b in place (b ← op(T)⁻¹ b) through LAPACK dtrtrs, for a square triangular T
/// (only its `triangle` is read).
///
/// - Throws: ``LinearAlgebraError`` if T has an exactly-zero diagonal element, or if T or b
///   contains NaN or infinity.
public func triangularSolve(
    _ t: Matrix, _ triangle: Triangle, transposed: Bool = false, unitDiagonal: Bool = false,
    _ b: inout [Double]
) throws {
    var m = Matrix(rows: b.count, columns: 1, columnMajor: b)
    try triangularSolve(t, triangle, transposed: transposed, unitDiagonal: unitDiagonal, side: .left, &m)
    b = m.storage
}

/// Solves op(T) X = B (side `.left`) or X op(T) = B (side `.right`) in place, B ← X, for a square
/// triangular T (only its `triangle` is read). Left solves use LAPACK dtrtrs; right solves use
/// BLAS dtrsm after checking the diagonal.
///
/// - Throws: ``LinearAlgebraError`` if T has an exactly-zero diagonal element, or if T or B
///   contains NaN or infinity.
public func triangularSolve(
    _ t: Matrix, _ triangle: Triangle, transposed: Bool = false, unitDiagonal: Bool = false,
    side: Side = .left, _ b: inout Matrix
) throws {
    precondition(t.rows == t.columns, "triangularSolve needs a square matrix")
    precondition(
        (side == .left ? b.rows : b.columns) == t.rows,
        "triangularSolve: B is \(b.rows) x \(b.columns), incompatible with a \(t.rows) x \(t.rows) triangle on the \(side)")
    try checkFinite(t, triangle: triangle, name: "the triangular matrix")
    try checkFinite(b, name: "the right-hand side")
    let n = t.rows
    guard n > 0, b.rows > 0, b.columns > 0 else { return }
    if !unitDiagonal, let k = firstZeroOnDiagonal(t) {
        throw singularTriangleError("the triangular matrix", diagonal: k, size: n)
    }
    if side == .left {
        let info = t.storage.withUnsafeBufferPointer { pt in
            b.storage.withUnsafeMutableBufferPointer { pb in
                LAPACKE_dtrtrs_work(
                    LAPACK_COL_MAJOR, triangle.lapack, lapackChar(transposed ? "T" : "N"),
                    lapackChar(unitDiagonal ? "U" : "N"), Int32(n), Int32(b.columns),
                    pt.baseAddress, leading(n), pb.baseAddress, leading(b.rows))
            }
        }
        requireValidArguments(info, routine: "dtrtrs", argumentNames: ["layout", "uplo", "trans", "diag", "n", "nrhs", "a", "lda", "b", "ldb"])
        if info > 0 { throw singularTriangleError("the triangular matrix", diagonal: Int(info) - 1, size: n) }
    } else {
        t.storage.withUnsafeBufferPointer { pt in
            b.storage.withUnsafeMutableBufferPointer { pb in
                cblas_dtrsm(
                    CblasColMajor, CblasRight, triangle.cblas, cblasTranspose(transposed),
                    unitDiagonal ? CblasUnit : CblasNonUnit, Int32(b.rows), Int32(b.columns), 1,
                    pt.baseAddress, leading(n), pb.baseAddress, leading(b.rows))
            }
        }
    }
}

/// An estimate of the reciprocal condition number 1/κ₁(T) of a square triangular matrix,
/// through LAPACK dtrcon (1-norm). Near machine epsilon (≈ 1e-16) means T is numerically singular.
public func reciprocalConditionEstimate(ofTriangular t: Matrix, _ triangle: Triangle) -> Double {
    precondition(t.rows == t.columns, "reciprocalConditionEstimate needs a square matrix")
    let n = t.rows
    guard n > 0 else { return 1 }
    var rcond = 0.0
    var work = [Double](repeating: 0, count: 3 * n)
    var iwork = [Int32](repeating: 0, count: n)
    let info = t.storage.withUnsafeBufferPointer { pt in
        LAPACKE_dtrcon_work(
            LAPACK_COL_MAJOR, lapackChar("1"), triangle.lapack, lapackChar("N"), Int32(n),
            pt.baseAddress, leading(n), &rcond, &work, &iwork)
    }
    requireValidArguments(info, routine: "dtrcon", argumentNames: ["layout", "norm", "uplo", "diag", "n", "a", "lda", "rcond"])
    return rcond
}
