#if MPI
import CScaLAPACK
#endif

/// A least-squares problem min ‖A x − y‖ whose triangular factor is spread block-cyclically over
/// the ranks (ScaLAPACK), for M too large for one rank to hold M² numbers.
///
/// The ranks keep one distributed matrix W of (M + 1 + rows per round) x (M + 1): its top holds
/// the augmented triangle [R, Qᵀy; 0, ρ]. Each round, every rank contributes `rowsPerRank` rows
/// [A_k | y_k] (zero rows pad a short share: they change nothing); ScaLAPACK's pdgemr2d moves
/// them under the triangle, pdgeqrf factorises W, and pdlaset clears what lies below the new
/// triangle. pdtrtrs solves R x = Qᵀy at the end. Rounds and the grid depend only on the rank
/// count, so the same N gives the same bytes.
///
/// Collective: every rank calls every method, the same number of times.
public final class DistributedLeastSquares {
    /// Unknowns M.
    public let columns: Int
    /// Rows each rank contributes per round.
    public let rowsPerRank: Int
    /// The block size of the block-cyclic layout.
    public let blockSize: Int
    #if MPI
    private let communicator: any Communicator
    private var allContext: Int32 = 0, gridContext: Int32 = 0, columnContext: Int32 = 0
    private var gridRows: Int32 = 0, gridColumns: Int32 = 0, myRow: Int32 = 0, myColumn: Int32 = 0
    private var descriptorW = [Int32](repeating: 0, count: 9)
    private var descriptorRows = [Int32](repeating: 0, count: 9)
    private var w: [Double] = []
    private var tau: [Double] = []
    private var work: [Double] = []
    private var localRowsW: Int32 = 0
    #endif

    /// The process grid for `ranks`: rows x columns, as square as the rank count allows.
    public static func grid(ranks: Int) -> (rows: Int, columns: Int) {
        var columns = 1
        for c in 1...max(1, ranks) where c * c <= ranks && ranks % c == 0 { columns = c }
        return (ranks / columns, columns)
    }

    /// Bytes one rank holds for M unknowns, `rowsPerRank` rows per round and `ranks` ranks.
    public static func bytesPerRank(columns m: Int, rowsPerRank q: Int, ranks: Int, blockSize nb: Int = 64) -> Int {
        let (p, c) = grid(ranks: ranks)
        let height = m + 1 + ranks * q
        let localRows = (height + nb * p - 1) / (nb * p) * nb
        let localColumns = (m + 1 + nb * c - 1) / (nb * c) * nb
        return 8 * (localRows * localColumns + q * (m + 1) + 2 * localColumns + 64 * (localRows + localColumns))
    }

    /// Sets up the grids and the distributed matrix, all zero.
    public init(communicator: any Communicator, columns: Int, rowsPerRank: Int, blockSize: Int = 64) throws {
        self.columns = columns
        self.rowsPerRank = rowsPerRank
        self.blockSize = blockSize
        #if MPI
        self.communicator = communicator
        try setUp()
        #else
        throw CommunicationError(message: "the distributed triangular factor needs gap-train built with MPI (swift build --traits MPI)")
        #endif
    }

    #if MPI
    private var height: Int32 { Int32(columns + 1 + communicator.size * rowsPerRank) }
    private var width: Int32 { Int32(columns + 1) }

    private func setUp() throws {
        let ranks = Int32(communicator.size)
        guard Int(height) < Int(Int32.max), columns + 1 < Int(Int32.max) else {
            throw CommunicationError(message: "the distributed factor is too tall for ScaLAPACK's 32-bit global sizes")
        }
        let (p, c) = DistributedLeastSquares.grid(ranks: communicator.size)
        var system: Int32 = 0
        Cblacs_get(-1, 0, &system)
        allContext = system
        Cblacs_gridinit(&allContext, "R", 1, ranks)
        gridContext = system
        Cblacs_gridinit(&gridContext, "R", Int32(p), Int32(c))
        columnContext = system
        Cblacs_gridinit(&columnContext, "R", ranks, 1)
        Cblacs_gridinfo(gridContext, &gridRows, &gridColumns, &myRow, &myColumn)

        var nb = Int32(blockSize), zero: Int32 = 0, info: Int32 = 0
        var m = height, n = width
        localRowsW = numroc_(&m, &nb, &myRow, &zero, &gridRows)
        let localColumns = numroc_(&n, &nb, &myColumn, &zero, &gridColumns)
        var lld = max(1, localRowsW)
        descinit_(&descriptorW, &m, &n, &nb, &nb, &zero, &zero, &gridContext, &lld, &info)
        guard info == 0 else { throw CommunicationError(message: "descinit of the distributed factor failed (\(info))") }
        // ScaLAPACK (LP64) addresses a rank's local array with 32-bit integers: more than 2³¹
        // local elements would overflow inside it (the limit gap_fit users meet near M = 46,000
        // on one rank). Our own sizes are 64-bit; more ranks make each local part smaller.
        let localCount = Int(lld) * Int(max(1, localColumns))
        guard localCount < Int(Int32.max) else {
            throw CommunicationError(message: "this rank's part of the distributed factor would have \(localCount) elements, beyond ScaLAPACK's 32-bit local indexing (2^31); run on more ranks")
        }
        w = [Double](repeating: 0, count: localCount)
        tau = [Double](repeating: 0, count: Int(max(1, localColumns)))

        // The rows of a round: rank k holds rows k·q ..< (k+1)·q of a (N·q) x (M+1) matrix.
        var q = Int32(rowsPerRank), rows = Int32(communicator.size * rowsPerRank), ldq = Int32(max(1, rowsPerRank))
        descinit_(&descriptorRows, &rows, &n, &q, &n, &zero, &zero, &columnContext, &ldq, &info)
        guard info == 0 else { throw CommunicationError(message: "descinit of a round's rows failed (\(info))") }

        // Workspace for pdgeqrf, asked for once.
        var query = [Double](repeating: 0, count: 1), minusOne: Int32 = -1, one: Int32 = 1
        pdgeqrf_(&m, &n, &w, &one, &one, &descriptorW, &tau, &query, &minusOne, &info)
        work = [Double](repeating: 0, count: max(1, Int(query[0])))
    }

    /// Starts the factor from the rows U of a covariance K + jitter = UᵀU, factorised where it
    /// lies: each rank computes only its own tiles of K's upper triangle with `block` (global
    /// rows x columns, column-major), then ScaLAPACK's pdpotrf gives U in place. No rank ever
    /// holds all of K. Collective; call before the first round.
    ///
    /// - Throws: ``CommunicationError`` with `singularColumn` when K is not positive definite.
    public func start(covarianceBlock block: (Range<Int>, Range<Int>) -> [Double]) throws {
        let nb = blockSize, m = columns
        let tiles = (m + nb - 1) / nb
        let lld = Int(descriptorW[8])
        for tileColumn in 0..<tiles where tileColumn % Int(gridColumns) == Int(myColumn) {
            for tileRow in 0...tileColumn where tileRow % Int(gridRows) == Int(myRow) {
                let rows = tileRow * nb ..< min(m, (tileRow + 1) * nb)
                let columnRange = tileColumn * nb ..< min(m, (tileColumn + 1) * nb)
                let values = block(rows, columnRange)
                let localRow = (tileRow / Int(gridRows)) * nb, localColumn = (tileColumn / Int(gridColumns)) * nb
                for j in 0..<columnRange.count {
                    for i in 0..<rows.count { w[(localColumn + j) * lld + localRow + i] = values[j * rows.count + i] }
                }
            }
        }
        var n = Int32(m), one: Int32 = 1, two: Int32 = 2, info: Int32 = 0
        pdpotrf_("U", &n, &w, &one, &one, &descriptorW, &info, 1)
        if info > 0 {
            var error = CommunicationError(message: "the covariance is not positive definite at column \(info - 1)")
            error.singularColumn = Int(info - 1)
            throw error
        }
        guard info == 0 else { throw CommunicationError(message: "pdpotrf failed (\(info))") }
        // pdpotrf leaves K's lower triangle as it was: clear it, so the top is the triangle U.
        var below = n - 1, zero = 0.0
        if below > 0 { pdlaset_("L", &below, &n, &zero, &zero, &w, &two, &one, &descriptorW, 1) }
    }

    /// Folds one round: this rank's `rowCount` ≤ ``rowsPerRank`` rows (column-major, leading
    /// dimension `rowCount`, M columns) with their targets. Collective.
    public func foldRound(rows: [Double], targets: [Double], rowCount: Int) throws {
        precondition(rowCount <= rowsPerRank && rows.count == rowCount * columns && targets.count == rowCount)
        let q = rowsPerRank
        var local = [Double](repeating: 0, count: max(1, q * (columns + 1)))
        for j in 0..<columns {
            for i in 0..<rowCount { local[j * q + i] = rows[j * rowCount + i] }
        }
        for i in 0..<rowCount { local[columns * q + i] = targets[i] }
        let start = DistributedRun.clock()
        Cpdgemr2d(Int32(communicator.size * q), width, &local, 1, 1, &descriptorRows, &w, Int32(columns + 2), 1, &descriptorW, allContext)
        var m = height, n = width, one: Int32 = 1, two: Int32 = 2, info: Int32 = 0, lwork = Int32(work.count)
        pdgeqrf_(&m, &n, &w, &one, &one, &descriptorW, &tau, &work, &lwork, &info)
        guard info == 0 else { throw CommunicationError(message: "pdgeqrf failed (\(info))") }
        // Below the new triangle: Householder vectors, not rows; the next round's rows go there.
        var below = height - 1, zero = 0.0
        pdlaset_("L", &below, &n, &zero, &zero, &w, &two, &one, &descriptorW, 1)
        seconds += DistributedRun.clock() - start
    }

    /// This rank's part of the distributed matrix between rounds (the triangle and zeros), for
    /// a checkpoint; ``restore(localPart:)`` puts it back in a factor with the same sizes and ranks.
    public var localPart: [Double] { w }

    /// Restores ``localPart`` saved after a round (instead of ``start(covarianceBlock:)``).
    public func restore(localPart: [Double]) throws {
        guard localPart.count == w.count else {
            throw CommunicationError(message: "a saved part of the distributed factor has \(localPart.count) numbers, this rank holds \(w.count)")
        }
        w = localPart
    }

    /// Seconds spent in the distributed folds (moving rows and factorising).
    public private(set) var seconds = 0.0

    /// Solves R x = Qᵀy; x on every rank, with the reciprocal condition estimate of R (1-norm).
    ///
    /// - Throws: ``CommunicationError`` with `singularColumn` set when R has a zero pivot.
    public func solve() throws -> (solution: [Double], reciprocalCondition: Double) {
        var n = Int32(columns), nrhs: Int32 = 1, one: Int32 = 1, rhsColumn = Int32(columns + 1), info: Int32 = 0
        // A (columns 1...M) and B (column M + 1) are disjoint parts of the one matrix W.
        var descriptor = descriptorW
        w.withUnsafeMutableBufferPointer { local in
            pdtrtrs_("U", "N", "N", &n, &nrhs, local.baseAddress, &one, &one, &descriptor, local.baseAddress, &one, &rhsColumn, &descriptor, &info, 1, 1, 1)
        }
        if info > 0 {
            var error = CommunicationError(message: "the triangular factor is singular at column \(info - 1)")
            error.singularColumn = Int(info - 1)
            throw error
        }
        guard info == 0 else { throw CommunicationError(message: "pdtrtrs failed (\(info))") }
        // Gather x: each owner sends (global row, value) of its part of column M + 1.
        var pieces: [Double] = []
        let ownerColumn = Int32((columns / blockSize) % Int(gridColumns))
        if myColumn == ownerColumn {
            let localColumn = (columns / (blockSize * Int(gridColumns))) * blockSize + columns % blockSize
            let lld = Int(descriptorW[8])
            for li in 0..<Int(localRowsW) {
                let global = (li / blockSize) * blockSize * Int(gridRows) + Int(myRow) * blockSize + li % blockSize
                if global < columns { pieces += [Double(global), w[localColumn * lld + li]] }
            }
        }
        var solution = [Double](repeating: 0, count: columns)
        if let all = try communicator.gather(pieces) {
            for k in stride(from: 0, to: all.count, by: 2) { solution[Int(all[k])] = all[k + 1] }
        }
        solution = try communicator.broadcast(solution)
        return (solution, try reciprocalCondition())
    }

    private func reciprocalCondition() throws -> Double {
        var n = Int32(columns), one: Int32 = 1, info: Int32 = 0, rcond = 0.0
        var query = [Double](repeating: 0, count: 1), iquery = [Int32](repeating: 0, count: 1), minusOne: Int32 = -1
        pdtrcon_("1", "U", "N", &n, &w, &one, &one, &descriptorW, &rcond, &query, &minusOne, &iquery, &minusOne, &info, 1, 1, 1)
        var lwork = Int32(max(1, Int(query[0]))), liwork = max(1, iquery[0])
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        pdtrcon_("1", "U", "N", &n, &w, &one, &one, &descriptorW, &rcond, &work, &lwork, &iwork, &liwork, &info, 1, 1, 1)
        guard info == 0 else { throw CommunicationError(message: "pdtrcon failed (\(info))") }
        return rcond
    }

    deinit {
        Cblacs_gridexit(columnContext)
        Cblacs_gridexit(gridContext)
        Cblacs_gridexit(allContext)
    }
    #else
    public var localPart: [Double] { [] }
    public func restore(localPart: [Double]) throws {}
    public func start(covarianceBlock block: (Range<Int>, Range<Int>) -> [Double]) throws {}
    public func foldRound(rows: [Double], targets: [Double], rowCount: Int) throws {}
    public func solve() throws -> (solution: [Double], reciprocalCondition: Double) { ([], 0) }
    public var seconds: Double { 0 }
    #endif
}
