import Parallelism
import Support

/// Farthest-point sampling: start from one row, then repeatedly pick the row farthest from all
/// rows picked so far (the largest minimum distance), as `skmatter.sample_selection.FPS`.
///
/// ```swift
/// let picked = try FPSSelection(count: 500).select(from: matrix)
/// ```
///
/// The first row is row 0 by default (skmatter's `initialize=0`), or a seeded random row.
/// Distances are squared Euclidean in feature space, or the distance induced by the dot-product
/// kernel k(x, y) = (x·y)^ζ: d² = k(x, x) + k(y, y) − 2 k(x, y), which is the metric the GAP
/// model itself sees. For unit-length (normalised SOAP) rows with non-negative dot products
/// both orders rows alike, since then d² = 2 − 2 (x·y)^ζ and |x − y|² = 2 − 2 x·y are both
/// decreasing in x·y. Each pick updates every row's minimum distance in O(N·F) (parallel over
/// rows), O(M·N·F) in all. Ties go to the lowest index; the result is the same for every
/// thread count.
public struct FPSSelection: OrderedSelection {
    /// How the first row is chosen.
    public enum Start: Hashable, Sendable {
        /// This row (0-based).
        case index(Int)
        /// A uniformly random row from ``Xoshiro256StarStar`` with this seed.
        case random(seed: UInt64)
    }

    /// The distance between rows.
    public enum Metric: Hashable, Sendable {
        /// Squared Euclidean distance |x − y|².
        case euclidean
        /// d² = k(x, x) + k(y, y) − 2 k(x, y) with k(x, y) = (x·y)^ζ.
        case dotProductKernel(zeta: Int)
    }

    /// How many rows to pick.
    public var count: Int
    /// The first row.
    public var start: Start
    /// The distance.
    public var metric: Metric

    /// Creates a farthest-point selection of `count` rows.
    public init(count: Int, start: Start = .index(0), metric: Metric = .euclidean) {
        self.count = count
        self.start = start
        self.metric = metric
    }

    /// The picked rows in the order they were chosen.
    public func selectInOrder(from matrix: FeatureMatrix, threads: Int = ThreadCount.current) throws -> [Int] {
        try validate(matrix, count: count)
        let n = matrix.rowCount, f = matrix.featureCount
        var first: Int
        switch start {
        case .index(let i):
            guard i >= 0 && i < n else { throw SelectionError.startOutOfRange(index: i, rowCount: n) }
            first = i
        case .random(let seed):
            var rng = Xoshiro256StarStar(seed: seed)
            first = rng.nextInt(below: n)
        }
        var zeta = 1
        if case .dotProductKernel(let z) = metric {
            guard z >= 1 else { throw SelectionError.invalidCount(z) }
            zeta = z
        }
        let kernel = metric != .euclidean
        func power(_ x: Double) -> Double {
            var r = x
            for _ in 1..<zeta { r *= x }
            return r
        }
        // k(x, x) for the kernel metric.
        var selfKernel = [Double](repeating: 0, count: kernel ? n : 0)
        if kernel {
            matrix.values.withUnsafeBufferPointer { px in
                for i in 0..<n { selfKernel[i] = power(dot(px.baseAddress! + i * f, px.baseAddress! + i * f, f)) }
            }
        }
        var minimum = [Double](repeating: .infinity, count: n)
        var selected = [Bool](repeating: false, count: n)
        var order: [Int] = []
        var pick = first
        while true {
            selected[pick] = true
            order.append(pick)
            if order.count == count { break }
            let s = pick
            matrix.values.withUnsafeBufferPointer { px in
                minimum.withUnsafeMutableBufferPointer { pm in
                    selfKernel.withUnsafeBufferPointer { pk in
                        parallelChunks(count: n, threads: threads) { _, range in
                            let xs = px.baseAddress! + s * f
                            for i in range {
                                let d: Double
                                if kernel {
                                    d = pk[i] + pk[s] - 2 * power(dot(px.baseAddress! + i * f, xs, f))
                                } else {
                                    d = squaredDistance(px.baseAddress! + i * f, xs, f)
                                }
                                if d < pm[i] { pm[i] = d }
                            }
                        }
                    }
                }
            }
            guard let next = argmax(minimum, excluding: selected) else { break }
            pick = next
        }
        return order
    }
}
