/// A least-squares problem folded into its QR factor in fixed-size panels of rows, whatever the
/// blocks the rows arrive in.
///
/// The rows of the stacked problem, in the order appended, are cut into panels of exactly
/// ``panelRows`` rows (the last one may be shorter), and each panel is folded into the
/// triangular factor by one ``IncrementalLeastSquares/add(rows:targets:)`` in panel order. The
/// floating-point result therefore depends only on the rows and ``panelRows``: not on how many
/// rows each ``append(columnMajor:rowCount:targets:)`` brings (a memory budget's block size), nor
/// on which thread formed them.
///
/// Panels are numbered by global row: panel k holds rows k·P ..< (k+1)·P of the stacked rows.
/// A distributed fit can give each rank a contiguous run of panels k0 ..< k1: the rank forms the
/// rows of every frame overlapping rows k0·P ..< k1·P, appends exactly those rows (dropping the
/// parts of its first and last frames outside the run) to an accumulator started empty, and the
/// ranks' factors are merged in a fixed tree order (``IncrementalLeastSquares/merge(_:)``), the
/// rows the single-process fit starts with (K_MM's factor) merged in at the root. The same
/// number of ranks then gives the same bytes on every run; one rank with the starting rows is
/// exactly the single-process sequence.
public struct PanelledLeastSquares: Sendable {
    /// Rows per panel.
    public let panelRows: Int
    /// The factor of every complete panel folded so far (and of the rows it started with).
    public private(set) var solver: IncrementalLeastSquares
    /// The rows of the panel being filled, column-major `panelRows x columns` (the first
    /// ``pendingRowCount`` rows are used).
    private var pending: [Double]
    private var pendingTargets: [Double]
    /// Rows appended but not folded yet (fewer than ``panelRows``).
    public private(set) var pendingRowCount: Int
    /// Rows appended so far (folded or pending), not counting those the solver started with.
    public private(set) var rowsAppended: Int

    /// Panels of `panelRows` rows folded into `solver` (which may already hold rows, such as the
    /// rows of a regulariser).
    public init(_ solver: IncrementalLeastSquares, panelRows: Int) {
        precondition(panelRows >= 1, "a panel needs at least one row")
        self.panelRows = panelRows
        self.solver = solver
        pending = [Double](repeating: 0, count: panelRows * solver.columns)
        pendingTargets = [Double](repeating: 0, count: panelRows)
        pendingRowCount = 0
        rowsAppended = 0
    }

    /// Restores a state saved from ``solver``, ``pendingRows`` and ``rowsAppended`` (a
    /// checkpoint), so that appending continues exactly where it stopped.
    public init(restoring solver: IncrementalLeastSquares, panelRows: Int, pendingRows: Matrix, pendingTargets: [Double], rowsAppended: Int) throws {
        guard pendingRows.columns == solver.columns, pendingRows.rows == pendingTargets.count, pendingRows.rows < panelRows,
              rowsAppended >= pendingRows.rows
        else {
            throw LinearAlgebraError(
                "cannot restore a panelled least-squares state: \(pendingRows.rows) pending rows of \(pendingRows.columns) columns for panels of \(panelRows) rows and \(solver.columns) columns")
        }
        try checkFinite(pendingRows, name: "the restored pending rows")
        try checkFinite(pendingTargets, name: "the restored pending targets")
        self.init(solver, panelRows: panelRows)
        pendingRowCount = pendingRows.rows
        for j in 0..<solver.columns {
            for i in 0..<pendingRowCount { pending[i + j * panelRows] = pendingRows[i, j] }
        }
        for i in 0..<pendingRowCount { self.pendingTargets[i] = pendingTargets[i] }
        self.rowsAppended = rowsAppended
    }

    /// Columns (unknowns).
    public var columns: Int { solver.columns }

    /// The rows appended but not folded yet (for a checkpoint).
    public var pendingRows: Matrix {
        var m = Matrix(rows: pendingRowCount, columns: columns)
        for j in 0..<columns {
            for i in 0..<pendingRowCount { m[i, j] = pending[i + j * panelRows] }
        }
        return m
    }

    /// Their targets.
    public var pendingRowTargets: [Double] { Array(pendingTargets[0..<pendingRowCount]) }

    /// Appends `rowCount` rows given column-major (`rowCount x columns`) with their targets,
    /// folding every panel they complete.
    ///
    /// - Throws: ``LinearAlgebraError`` if a panel holds NaN or infinity (from the fold).
    public mutating func append(columnMajor rows: [Double], rowCount: Int, targets: [Double]) throws {
        precondition(rows.count == rowCount * columns, "append: \(rows.count) values for \(rowCount) rows of \(columns) columns")
        precondition(targets.count == rowCount, "append: \(targets.count) targets for \(rowCount) rows")
        var first = 0
        while first < rowCount {
            let take = min(panelRows - pendingRowCount, rowCount - first)
            let (n, stride, offset) = (columns, panelRows, pendingRowCount)
            rows.withUnsafeBufferPointer { source in
                pending.withUnsafeMutableBufferPointer { panel in
                    for j in 0..<n {
                        let from = source.baseAddress! + first + j * rowCount
                        (panel.baseAddress! + offset + j * stride).update(from: from, count: take)
                    }
                }
            }
            for i in 0..<take { pendingTargets[pendingRowCount + i] = targets[first + i] }
            pendingRowCount += take
            rowsAppended += take
            first += take
            if pendingRowCount == panelRows { try foldPending() }
        }
    }

    /// Folds the last, partial panel: call once, after the last row.
    public mutating func finish() throws {
        if pendingRowCount > 0 { try foldPending() }
    }

    private mutating func foldPending() throws {
        let panel: Matrix
        if pendingRowCount == panelRows {
            panel = Matrix(rows: panelRows, columns: columns, columnMajor: pending)
        } else {
            panel = pendingRows
        }
        let targets = pendingRowTargets
        pendingRowCount = 0
        try solver.add(rows: panel, targets: targets)
    }
}
