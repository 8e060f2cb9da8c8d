import CLapack

/// A dense matrix of doubles in column-major order (the LAPACK layout), so that BLAS and LAPACK
/// calls take its storage directly without copies.
public struct Matrix: Hashable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// Elements, column-major: element (i, j) is at `i + j * rows`.
    public var storage: [Double]

    /// A matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0)
        self.rows = rows
        self.columns = columns
        self.storage = [Double](repeating: value, count: rows * columns)
    }

    /// A matrix from column-major storage.
    public init(rows: Int, columns: Int, columnMajor storage: [Double]) {
        precondition(storage.count == rows * columns)
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Element (i, j).
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i + j * rows] }
        set { storage[i + j * rows] = newValue }
    }

    /// The identity matrix of size n.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    /// The transpose.
    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for j in 0..<columns {
            for i in 0..<rows { t[j, i] = self[i, j] }
        }
        return t
    }
}

/// C = alpha op(A) op(B) + beta C through OpenBLAS dgemm.
public func gemm(
    _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
    alpha: Double = 1, beta: Double = 0, into c: inout Matrix
) {
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    precondition((transposeB ? b.columns : b.rows) == k, "gemm: inner dimensions differ")
    precondition(c.rows == m && c.columns == n, "gemm: output has the wrong shape")
    guard m > 0, n > 0 else { return }
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                cblas_dgemm(
                    CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, pa.baseAddress, Int32(max(1, a.rows)),
                    pb.baseAddress, Int32(max(1, b.rows)), beta, pc.baseAddress, Int32(max(1, m)))
            }
        }
    }
}

/// Matrix product A B.
public func * (lhs: Matrix, rhs: Matrix) -> Matrix {
    var c = Matrix(rows: lhs.rows, columns: rhs.columns)
    gemm(lhs, rhs, into: &c)
    return c
}

/// A failure of a LAPACK routine, explained.
public struct LinearAlgebraError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed and why, in words.
    public var message: String
    /// The 0-based row/column where a factorisation broke down (the failing leading minor of a
    /// Cholesky factorisation, the zero diagonal of a triangle), when there is one; callers map
    /// it back to what the row means (a sparse point, a design-matrix column).
    public var index: Int?
    /// Creates an error.
    public init(_ message: String, index: Int? = nil) {
        self.message = message
        self.index = index
    }
    public var description: String { message }
}

/// The lower Cholesky factor L of a symmetric positive-definite matrix (A = L Lᵀ), via LAPACK dpotrf.
///
/// - Throws: ``LinearAlgebraError`` if A is not positive definite, naming the failing leading minor.
public func choleskyLower(_ a: Matrix) throws -> Matrix {
    precondition(a.rows == a.columns, "Cholesky needs a square matrix")
    var l = a
    let n = a.rows
    let info = l.storage.withUnsafeMutableBufferPointer { p in
        LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), p.baseAddress, Int32(max(1, n)))
    }
    if info > 0 {
        throw LinearAlgebraError("matrix is not positive definite: the leading minor of order \(info) is not positive", index: Int(info) - 1)
    }
    precondition(info == 0, "dpotrf: invalid argument \(-info)")
    for j in 0..<n {
        for i in 0..<j { l[i, j] = 0 }
    }
    return l
}
