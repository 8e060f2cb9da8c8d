import Support

/// Uniform random rows without replacement, from a seeded ``Xoshiro256StarStar`` (gap_fit's
/// `random`, but reproducible on every platform and Swift version).
///
/// ```swift
/// let picked = try RandomSelection(count: 100, seed: 7).select(from: matrix)
/// ```
///
/// Algorithm (fixed, so that seeds keep their meaning): a partial Fisher–Yates shuffle of
/// 0 ..< N, where step i swaps position i with i + `nextInt(below: N − i)`; the first `count`
/// positions are the sample. O(N) time and memory.
public struct RandomSelection: Sendable {
    /// How many rows to pick.
    public var count: Int
    /// The generator's seed.
    public var seed: UInt64

    /// Creates a random selection of `count` rows.
    public init(count: Int, seed: UInt64) {
        self.count = count
        self.seed = seed
    }

    /// `count` distinct indices from 0 ..< `rowCount`, sorted ascending.
    public func select(fromRowCount rowCount: Int) throws -> [Int] {
        guard count >= 1 else { throw SelectionError.invalidCount(count) }
        guard rowCount > 0 else { throw SelectionError.empty }
        guard count <= rowCount else { throw SelectionError.tooManyPoints(requested: count, available: rowCount) }
        var rng = Xoshiro256StarStar(seed: seed)
        var indices = Array(0..<rowCount)
        for i in 0..<count {
            let j = i + rng.nextInt(below: rowCount - i)
            indices.swapAt(i, j)
        }
        return indices[0..<count].sorted()
    }

    /// `count` distinct rows of `matrix`, sorted ascending (the values are checked to be finite,
    /// like every other selection, but do not influence the choice).
    public func select(from matrix: FeatureMatrix) throws -> [Int] {
        try validate(matrix, count: count)
        return try select(fromRowCount: matrix.rowCount)
    }
}

/// Sparse points for a 1-D descriptor (such as `distance_2b`) evenly spaced between the
/// smallest and the largest value in the data: xⱼ = min + (max − min)·j/(count − 1).
///
/// These are new points, not data rows, so the result is values. One point gives the midpoint.
///
/// Note: gap_fit's `sparse_method=uniform` differs: it bins the range into `count` bins and
/// picks the first data row in each occupied bin (then further rows in data order). A grid
/// covers the range evenly whatever the data density, which suits a 2-body kernel better.
public struct UniformSelection: Sendable {
    /// How many points.
    public var count: Int

    /// Creates a uniform grid of `count` points.
    public init(count: Int) { self.count = count }

    /// The grid spanning `values`.
    public func points(spanning values: [Double]) throws -> [Double] {
        guard count >= 1 else { throw SelectionError.invalidCount(count) }
        guard !values.isEmpty else { throw SelectionError.empty }
        var low = Double.infinity, high = -Double.infinity
        for (i, x) in values.enumerated() {
            guard x.isFinite else { throw SelectionError.nonFiniteFeature(row: i, feature: 0, value: x) }
            low = min(low, x)
            high = max(high, x)
        }
        if count == 1 { return [low + (high - low) / 2] }
        guard high > low else { throw SelectionError.noRange(value: low) }
        return (0..<count).map { j in j == count - 1 ? high : low + (high - low) * Double(j) / Double(count - 1) }
    }

    /// The grid spanning a one-feature matrix.
    public func points(spanning matrix: FeatureMatrix) throws -> [Double] {
        guard matrix.featureCount == 1 else {
            if matrix.rowCount == 0 || matrix.featureCount == 0 { throw SelectionError.empty }
            throw SelectionError.notOneDimensional(featureCount: matrix.featureCount)
        }
        return try points(spanning: matrix.values)
    }
}
