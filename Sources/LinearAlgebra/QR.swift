import CLapack

/// A Householder QR factorisation A = Q R of an m x n matrix, computed by LAPACK dgeqrf.
///
/// Q is m x m orthogonal, held implicitly as min(m, n) Householder reflectors; R is
/// min(m, n) x n upper trapezoidal. Least-squares problems are solved from R and Qᵀb,
/// never from the normal equations (which square the condition number).
public struct QRFactorization: Sendable {
    /// Rows m of the factorised matrix.
    public let rows: Int
    /// Columns n of the factorised matrix.
    public let columns: Int
    /// The dgeqrf output: R on and above the diagonal, the Householder vectors below it.
    public private(set) var packed: Matrix
    /// The Householder scalars τ, one per reflector (min(m, n) of them).
    public private(set) var tau: [Double]

    /// Factorises `a`.
    ///
    /// - Throws: ``LinearAlgebraError`` if `a` contains NaN or infinity (the factorisation
    ///   would silently spread it through R).
    public init(_ a: Matrix) throws {
        try checkFinite(a, name: "the matrix to factorise")
        rows = a.rows
        columns = a.columns
        packed = a
        let m = a.rows, n = a.columns, k = min(m, n)
        tau = [Double](repeating: 0, count: k)
        guard k > 0 else { return }
        var query = 0.0
        var info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, Int32(m), Int32(n), nil, leading(m), nil, &query, -1)
        requireValidArguments(info, routine: "dgeqrf (workspace query)", argumentNames: Self.geqrfArguments)
        var work = [Double](repeating: 0, count: max(1, Int(query)))
        let workCount = Int32(work.count)
        info = packed.storage.withUnsafeMutableBufferPointer { pa in
            tau.withUnsafeMutableBufferPointer { pt in
                LAPACKE_dgeqrf_work(
                    LAPACK_COL_MAJOR, Int32(m), Int32(n), pa.baseAddress, leading(m), pt.baseAddress, &work, workCount)
            }
        }
        requireValidArguments(info, routine: "dgeqrf", argumentNames: Self.geqrfArguments)
    }

    private static let geqrfArguments = ["layout", "m", "n", "a", "lda", "tau", "work", "lwork"]

    /// The min(m, n) x n upper-trapezoidal factor R (zeros below the diagonal).
    public var r: Matrix {
        let k = min(rows, columns)
        var result = Matrix(rows: k, columns: columns)
        for j in 0..<columns {
            for i in 0..<min(j + 1, k) { result[i, j] = packed[i, j] }
        }
        return result
    }

    /// B ← Qᵀ B for an m x p matrix B (LAPACK dormqr).
    public func applyQTransposed(to b: inout Matrix) { applyQ(transposed: true, to: &b) }

    /// B ← Q B for an m x p matrix B (LAPACK dormqr).
    public func applyQ(to b: inout Matrix) { applyQ(transposed: false, to: &b) }

    /// b ← Qᵀ b for a vector of length m.
    public func applyQTransposed(to b: inout [Double]) {
        var m = Matrix(rows: b.count, columns: 1, columnMajor: b)
        applyQ(transposed: true, to: &m)
        b = m.storage
    }

    /// b ← Q b for a vector of length m.
    public func applyQ(to b: inout [Double]) {
        var m = Matrix(rows: b.count, columns: 1, columnMajor: b)
        applyQ(transposed: false, to: &m)
        b = m.storage
    }

    private func applyQ(transposed: Bool, to c: inout Matrix) {
        precondition(c.rows == rows, "applyQ: the operand has \(c.rows) rows, Q is \(rows) x \(rows)")
        let k = min(rows, columns)
        guard k > 0, c.columns > 0 else { return }
        let names = ["layout", "side", "trans", "m", "n", "k", "a", "lda", "tau", "c", "ldc", "work", "lwork"]
        let trans = lapackChar(transposed ? "T" : "N")
        var query = 0.0
        var info = LAPACKE_dormqr_work(
            LAPACK_COL_MAJOR, lapackChar("L"), trans, Int32(c.rows), Int32(c.columns), Int32(k),
            nil, leading(rows), nil, nil, leading(c.rows), &query, -1)
        requireValidArguments(info, routine: "dormqr (workspace query)", argumentNames: names)
        var work = [Double](repeating: 0, count: max(1, Int(query)))
        let workCount = Int32(work.count)
        info = packed.storage.withUnsafeBufferPointer { pa in
            tau.withUnsafeBufferPointer { pt in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    LAPACKE_dormqr_work(
                        LAPACK_COL_MAJOR, lapackChar("L"), trans, Int32(c.rows), Int32(c.columns), Int32(k),
                        pa.baseAddress, leading(rows), pt.baseAddress, pc.baseAddress, leading(c.rows),
                        &work, workCount)
                }
            }
        }
        requireValidArguments(info, routine: "dormqr", argumentNames: names)
    }

    /// The x minimising ‖A x − b‖₂, from R x = (Qᵀ b)[0 ..< n].
    ///
    /// - Throws: ``LinearAlgebraError`` if A has fewer rows than columns, if R has an exactly-zero
    ///   diagonal element (A is rank deficient), or if b contains NaN or infinity.
    public func solveLeastSquares(_ b: [Double]) throws -> [Double] {
        precondition(b.count == rows, "solveLeastSquares: b has length \(b.count), A has \(rows) rows")
        try checkFinite(b, name: "the right-hand side")
        guard rows >= columns else {
            throw LinearAlgebraError(
                "the least-squares problem is underdetermined: \(rows) rows (observations) for \(columns) unknowns; "
                    + "at least as many rows as unknowns are needed for a unique solution")
        }
        var qtb = b
        applyQTransposed(to: &qtb)
        var x = Array(qtb[0..<columns])
        try solveUpperTriangular(packed, size: columns, leadingDimension: rows, &x)
        return x
    }

    /// ‖A x − b‖₂ for the least-squares solution x, from the tail of Qᵀ b.
    public func leastSquaresResidualNorm(_ b: [Double]) -> Double {
        precondition(b.count == rows, "leastSquaresResidualNorm: b has length \(b.count), A has \(rows) rows")
        var qtb = b
        applyQTransposed(to: &qtb)
        return euclideanNorm(qtb[min(columns, rows)...])
    }
}

/// The x minimising ‖A x − b‖₂ by Householder QR (dgeqrf, dormqr, dtrtrs).
///
/// - Throws: ``LinearAlgebraError`` if A has fewer rows than columns or is rank deficient
///   (an exactly-zero diagonal element of R), or if A or b contains NaN or infinity.
public func solveLeastSquares(_ a: Matrix, _ b: [Double]) throws -> [Double] {
    try QRFactorization(a).solveLeastSquares(b)
}

/// Solves R x = c in place for the upper triangle of the leading `size` x `size` block of a
/// column-major buffer with the given leading dimension, explaining a zero pivot.
func solveUpperTriangular(_ r: Matrix, size n: Int, leadingDimension ld: Int, _ x: inout [Double]) throws {
    precondition(x.count == n && ld >= n && r.storage.count >= ld * n)
    guard n > 0 else { return }
    if let k = (0..<n).first(where: { r.storage[$0 + $0 * ld] == 0 }) {
        throw LinearAlgebraError(
            "R is singular: diagonal element \(k) (counting from 0, of \(n)) is zero; the design matrix is rank "
                + "deficient (its column \(k) is a linear combination of the columns before it)", index: k)
    }
    let info = r.storage.withUnsafeBufferPointer { pr in
        x.withUnsafeMutableBufferPointer { px in
            LAPACKE_dtrtrs_work(
                LAPACK_COL_MAJOR, lapackChar("U"), lapackChar("N"), lapackChar("N"), Int32(n), 1,
                pr.baseAddress, leading(ld), px.baseAddress, leading(n))
        }
    }
    requireValidArguments(info, routine: "dtrtrs", argumentNames: ["layout", "uplo", "trans", "diag", "n", "nrhs", "a", "lda", "b", "ldb"])
}

/// The Euclidean norm of a sequence, scaled to avoid overflow and underflow.
func euclideanNorm<C: Collection>(_ v: C) -> Double where C.Element == Double {
    let scale = v.reduce(0) { max($0, abs($1)) }
    guard scale > 0, scale.isFinite else { return scale }
    let sum = v.reduce(0) { $0 + ($1 / scale) * ($1 / scale) }
    return scale * sum.squareRoot()
}
