import Parallelism

/// A selection that picks rows of a feature matrix one after another (CUR, FPS): the sorted
/// rows and the column (feature) selections follow from the order, once for all of them.
public protocol OrderedSelection: Sendable {
    /// The picked rows in the order they were chosen.
    func selectInOrder(from matrix: FeatureMatrix, threads: Int) throws -> [Int]
}

extension OrderedSelection {
    /// The picked rows of `matrix`, sorted ascending.
    ///
    /// - Throws: ``SelectionError`` for NaN/infinite features, an empty matrix, or more points
    ///   than rows; the selection's own numerical errors.
    public func select(from matrix: FeatureMatrix, threads: Int = ThreadCount.current) throws -> [Int] {
        try selectInOrder(from: matrix, threads: threads).sorted()
    }

    /// The picked columns (features) of `matrix`, sorted ascending: the rows picked from its
    /// transpose (with CUR's `iterative` variant this is `skmatter.feature_selection.CUR`; FPS
    /// gives `skmatter.feature_selection.FPS`).
    public func selectColumns(from matrix: FeatureMatrix, threads: Int = ThreadCount.current) throws -> [Int] {
        try select(from: matrix.transposed, threads: threads)
    }

    /// The picked columns in the order they were chosen.
    public func selectColumnsInOrder(from matrix: FeatureMatrix, threads: Int = ThreadCount.current) throws -> [Int] {
        try selectInOrder(from: matrix.transposed, threads: threads)
    }
}
