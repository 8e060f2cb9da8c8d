import CLapack

/// A least-squares problem min ‖A x − y‖₂ factorised incrementally ("TSQR"): rows of A and y
/// arrive in blocks and are folded into an n x n upper-triangular R and the n leading entries
/// of Qᵀy, so memory stays O(n² + block) however many rows there are.
///
/// After any sequence of ``add(rows:targets:)`` and ``merge(_:)`` calls the state is, up to
/// round-off and the signs of the rows of R, the Householder QR of all rows seen so far, and
/// ``solve()`` returns the same x as a direct QR solve of the stacked problem. Each fold is a
/// triangular-pentagonal QR (LAPACK dtpqrt) of [R; B] followed by the same reflectors applied to
/// [Qᵀy; y_B] (dtpmqrt). Merging two accumulators folds the second one's R (a triangle) into
/// the first, so per-thread partial factors can be combined in a fixed, deterministic order.
public struct IncrementalLeastSquares: Sendable {
    /// Number of unknowns n (columns of A).
    public let columns: Int
    /// The n x n upper-triangular factor R of all rows seen so far (zeros below the diagonal).
    public private(set) var r: Matrix
    /// The first n entries of Qᵀ y.
    public private(set) var qTransposedTargets: [Double]
    /// ‖A x − y‖₂² at the least-squares solution x: the squared norm of the part of Qᵀ y
    /// beyond its first n entries, accumulated as rows are folded in.
    public private(set) var residualSumOfSquares: Double
    /// Number of rows folded in so far (a triangle merged in counts its n rows).
    public private(set) var rowCount: Int

    /// An empty accumulator for a problem with `columns` unknowns.
    public init(columns: Int) {
        precondition(columns >= 0, "IncrementalLeastSquares needs a non-negative number of columns")
        self.columns = columns
        r = Matrix(rows: columns, columns: columns)
        qTransposedTargets = [Double](repeating: 0, count: columns)
        residualSumOfSquares = 0
        rowCount = 0
    }

    /// An accumulator holding the n rows of an upper-triangular matrix U with targets t
    /// (only the upper triangle of U is read). Since U is already triangular this state is its
    /// own QR factorisation: R = U, Qᵀ t = t. Use it for prior rows such as a Cholesky factor
    /// of a regulariser, then ``merge(_:)`` data into it.
    ///
    /// - Throws: ``LinearAlgebraError`` if U or t contains NaN or infinity.
    public init(upperTriangularRows u: Matrix, targets: [Double]) throws {
        precondition(u.rows == u.columns, "upperTriangularRows must be square")
        precondition(targets.count == u.rows, "targets has length \(targets.count), expected \(u.rows)")
        try checkFinite(u, triangle: .upper, name: "the triangular rows")
        try checkFinite(targets, name: "the targets")
        self.init(columns: u.columns)
        r = u.keepingTriangle(.upper)
        qTransposedTargets = targets
        rowCount = u.rows
    }

    /// Restores a state saved from ``r``, ``qTransposedTargets``, ``residualSumOfSquares`` and
    /// ``rowCount`` (a checkpoint), so that folding can continue exactly where it stopped.
    ///
    /// - Throws: ``LinearAlgebraError`` if the shapes disagree or a value is not finite.
    public init(restoringR r: Matrix, qTransposedTargets: [Double], residualSumOfSquares: Double, rowCount: Int) throws {
        guard r.rows == r.columns, qTransposedTargets.count == r.rows, rowCount >= 0, residualSumOfSquares >= 0 else {
            throw LinearAlgebraError("cannot restore a least-squares state: R is \(r.rows) x \(r.columns) with \(qTransposedTargets.count) targets")
        }
        try checkFinite(r, triangle: .upper, name: "the restored triangle R")
        try checkFinite(qTransposedTargets, name: "the restored Qᵀy")
        self.init(columns: r.columns)
        self.r = r.keepingTriangle(.upper)
        self.qTransposedTargets = qTransposedTargets
        self.residualSumOfSquares = residualSumOfSquares
        self.rowCount = rowCount
    }

    /// Folds in a block of rows B (p x n) with their targets y_B (length p).
    ///
    /// The cost is about 2 p n² flops; blocks of a few hundred rows use BLAS-3 well.
    ///
    /// - Throws: ``LinearAlgebraError`` if B or y_B contains NaN or infinity; the state is
    ///   then unchanged.
    public mutating func add(rows block: Matrix, targets: [Double]) throws {
        precondition(block.columns == columns, "add(rows:): the block has \(block.columns) columns, expected \(columns)")
        precondition(targets.count == block.rows, "add(rows:): \(targets.count) targets for \(block.rows) rows")
        try checkFinite(block, name: "the block of rows")
        try checkFinite(targets, name: "the block's targets")
        guard block.rows > 0 else { return }
        rowCount += block.rows
        guard columns > 0 else {
            residualSumOfSquares += targets.reduce(0) { $0 + $1 * $1 }
            return
        }
        var b = block
        var y = targets
        fold(&b, pentagonalRows: 0, targets: &y)
    }

    /// Folds another accumulator's rows into this one, as if all its rows had been added here
    /// after the rows already present. Merging partial factors in a fixed order makes the
    /// result independent of which thread produced which part.
    public mutating func merge(_ other: IncrementalLeastSquares) {
        precondition(other.columns == columns, "merge: the accumulators have \(columns) and \(other.columns) columns")
        guard other.rowCount > 0 else { return }
        rowCount += other.rowCount
        residualSumOfSquares += other.residualSumOfSquares
        guard columns > 0 else { return }
        var b = other.r
        var y = other.qTransposedTargets
        fold(&b, pentagonalRows: columns, targets: &y)
    }

    /// The reflector block size for dtpqrt/dtpmqrt (LAPACK requires 1 ≤ nb ≤ n).
    private var reflectorBlockSize: Int { max(1, min(columns, 32)) }

    /// [R; B] ← QR via dtpqrt (B's last `pentagonalRows` rows upper trapezoidal), then
    /// [Qᵀy; y_B] ← Qᵀ [Qᵀy; y_B] via dtpmqrt and the residual grows by ‖y_B‖².
    private mutating func fold(_ b: inout Matrix, pentagonalRows l: Int, targets y: inout [Double]) {
        let n = columns, p = b.rows, nb = reflectorBlockSize
        var t = [Double](repeating: 0, count: nb * n)
        var work = [Double](repeating: 0, count: nb * n)
        var info = r.storage.withUnsafeMutableBufferPointer { pr in
            b.storage.withUnsafeMutableBufferPointer { pb in
                LAPACKE_dtpqrt_work(
                    LAPACK_COL_MAJOR, Int32(p), Int32(n), Int32(l), Int32(nb), pr.baseAddress, leading(n),
                    pb.baseAddress, leading(p), &t, leading(nb), &work)
            }
        }
        requireValidArguments(info, routine: "dtpqrt", argumentNames: ["layout", "m", "n", "l", "nb", "a", "lda", "b", "ldb", "t", "ldt", "work"])
        info = b.storage.withUnsafeBufferPointer { pv in
            qTransposedTargets.withUnsafeMutableBufferPointer { pa in
                y.withUnsafeMutableBufferPointer { py in
                    LAPACKE_dtpmqrt_work(
                        LAPACK_COL_MAJOR, lapackChar("L"), lapackChar("T"), Int32(p), 1, Int32(n), Int32(l), Int32(nb),
                        pv.baseAddress, leading(p), t, leading(nb), pa.baseAddress, leading(n),
                        py.baseAddress, leading(p), &work)
                }
            }
        }
        requireValidArguments(info, routine: "dtpmqrt", argumentNames: ["layout", "side", "trans", "m", "n", "k", "l", "nb", "v", "ldv", "t", "ldt", "a", "lda", "b", "ldb", "work"])
        residualSumOfSquares += y.reduce(0) { $0 + $1 * $1 }
    }

    /// The least-squares solution x = R⁻¹ (Qᵀ y)[0 ..< n].
    ///
    /// - Throws: ``LinearAlgebraError`` if fewer rows than unknowns were added, or if R has an
    ///   exactly-zero diagonal element (the stacked design matrix is rank deficient).
    public func solve() throws -> [Double] {
        guard rowCount >= columns else {
            throw LinearAlgebraError(
                "the least-squares problem is underdetermined: \(rowCount) rows (observations) for \(columns) "
                    + "unknowns; at least as many rows as unknowns are needed for a unique solution")
        }
        var x = qTransposedTargets
        try solveUpperTriangular(r, size: columns, leadingDimension: columns, &x)
        return x
    }

    /// An estimate of 1/κ₁(R) = 1/κ₁(A) (dtrcon); near 1e-16 the solution carries no accurate digits.
    public var reciprocalConditionEstimate: Double {
        LinearAlgebra.reciprocalConditionEstimate(ofTriangular: r, .upper)
    }
}
