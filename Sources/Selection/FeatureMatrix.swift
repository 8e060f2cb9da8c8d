/// Descriptor rows to select sparse points from: one row per environment, row-major.
public struct FeatureMatrix: Sendable {
    /// The number of rows (environments).
    public let rowCount: Int
    /// The number of features per row.
    public let featureCount: Int
    /// Row-major values: row i is `values[i * featureCount ..< (i + 1) * featureCount]`.
    public let values: [Double]

    /// Wraps row-major `values` of `rowCount` rows with `featureCount` features each.
    public init(rowCount: Int, featureCount: Int, values: [Double]) {
        precondition(rowCount >= 0 && featureCount >= 0, "negative matrix dimensions")
        precondition(values.count == rowCount * featureCount, "FeatureMatrix: \(values.count) values for \(rowCount) x \(featureCount)")
        self.rowCount = rowCount
        self.featureCount = featureCount
        self.values = values
    }

    /// Wraps rows given as arrays of equal length.
    public init(rows: [[Double]]) {
        let f = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == f }, "FeatureMatrix: rows of different lengths")
        self.init(rowCount: rows.count, featureCount: f, values: rows.flatMap { $0 })
    }

    /// Row `i` as an array (for tests and small matrices).
    public func row(_ i: Int) -> [Double] {
        Array(values[i * featureCount ..< (i + 1) * featureCount])
    }

    /// The transpose: one row per feature (for selecting features, i.e. columns, with the row
    /// selections: ``CURSelection/selectColumns(from:threads:)``, ``FPSSelection/selectColumns(from:threads:)``).
    public var transposed: FeatureMatrix {
        var t = [Double](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            t.withUnsafeMutableBufferPointer { target in
                // Blocked, so that both sides are read and written in cache-sized tiles.
                let tile = 32
                for i0 in stride(from: 0, to: rowCount, by: tile) {
                    for j0 in stride(from: 0, to: featureCount, by: tile) {
                        for i in i0..<min(i0 + tile, rowCount) {
                            for j in j0..<min(j0 + tile, featureCount) { target[j * rowCount + i] = source[i * featureCount + j] }
                        }
                    }
                }
            }
        }
        return FeatureMatrix(rowCount: featureCount, featureCount: rowCount, values: t)
    }

    /// Throws ``SelectionError/nonFiniteFeature(row:feature:)`` for the first NaN or infinity.
    public func checkFinite() throws {
        try values.withUnsafeBufferPointer { p in
            for k in 0..<p.count where !p[k].isFinite {
                throw SelectionError.nonFiniteFeature(row: k / max(1, featureCount), feature: k % max(1, featureCount), value: p[k])
            }
        }
    }
}

/// Why sparse points could not be selected.
public enum SelectionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// More sparse points were asked for than there are environments.
    ///
    /// gap_fit silently lowers n_sparse to the number of environments (with a warning); we stop
    /// instead, because a model with every environment as a sparse point is rarely what was
    /// meant and costs O(N³). The message says how many there are.
    case tooManyPoints(requested: Int, available: Int)
    /// A sparse-point count below 1.
    case invalidCount(Int)
    /// A descriptor value is NaN or infinite (0-based row and feature).
    case nonFiniteFeature(row: Int, feature: Int, value: Double)
    /// The matrix has no rows or no features.
    case empty
    /// A 1-D method was given a matrix with more than one feature.
    case notOneDimensional(featureCount: Int)
    /// Every descriptor value is the same, so a uniform grid has no range.
    case noRange(value: Double)
    /// The first row of a farthest-point selection is not a row of the matrix.
    case startOutOfRange(index: Int, rowCount: Int)

    public var description: String {
        switch self {
        case .tooManyPoints(let requested, let available):
            return "n_sparse = \(requested) is more than the \(available) environments available; set n_sparse to at most \(available)"
        case .invalidCount(let n):
            return "the number of sparse points must be ≥ 1, found \(n)"
        case .nonFiniteFeature(let row, let feature, let value):
            return "descriptor value \(value) in environment \(row), feature \(feature) (0-based) is not finite: sparse points cannot be selected"
        case .empty:
            return "there are no environments (or no features) to select sparse points from"
        case .notOneDimensional(let f):
            return "uniform selection needs a 1-D descriptor, but this one has \(f) features"
        case .noRange(let value):
            return "every descriptor value equals \(value), so uniformly spaced sparse points have no range"
        case .startOutOfRange(let index, let rowCount):
            return "the first row \(index) is not in 0 ..< \(rowCount)"
        }
    }
}

/// Validates a request for `count` points from `matrix`: finite, non-empty, 1 ≤ count ≤ rows.
func validate(_ matrix: FeatureMatrix, count: Int) throws {
    guard count >= 1 else { throw SelectionError.invalidCount(count) }
    guard matrix.rowCount > 0, matrix.featureCount > 0 else { throw SelectionError.empty }
    guard count <= matrix.rowCount else { throw SelectionError.tooManyPoints(requested: count, available: matrix.rowCount) }
    try matrix.checkFinite()
}
