import Foundation
import Support

/// gap_fit's `sparse_method=uniform` (QUIP `select_uniform`) for low-dimensional descriptors such
/// as `angle_3b`: a grid of g = ⌈count^(1/d)⌉ points per feature spans each feature's range, every
/// row falls in the cell of its nearest grid point, and the first row (in data order) of each
/// occupied cell is picked until `count` rows are; if there are fewer occupied cells, the rest
/// are drawn at random: a random cell that still has unpicked rows, then a random unpicked row
/// in it. gap_fit draws the same way from QUIP's generator; here a seeded
/// ``Xoshiro256StarStar`` makes the choice reproducible. The picks are real rows (unlike
/// ``UniformSelection``'s grid), so each keeps its own cutoff weight.
///
/// A feature with no range puts every row in one cell along it (gap_fit divides by zero there).
/// Cost O(N·d) time, O(N) memory.
public struct BinnedUniformSelection: Sendable {
    /// How many rows to pick.
    public var count: Int
    /// The seed of the random fill.
    public var seed: UInt64

    /// Creates a selection of `count` rows.
    public init(count: Int, seed: UInt64) {
        self.count = count
        self.seed = seed
    }

    /// `count` distinct rows of `matrix`, sorted ascending.
    public func select(from matrix: FeatureMatrix) throws -> [Int] {
        try validate(matrix, count: count)
        let n = matrix.rowCount, d = matrix.featureCount
        let x = matrix.values
        var low = [Double](repeating: .infinity, count: d), high = [Double](repeating: -.infinity, count: d)
        for row in 0..<n {
            for f in 0..<d {
                low[f] = min(low[f], x[row * d + f])
                high[f] = max(high[f], x[row * d + f])
            }
        }
        let grid = Int(pow(Double(count), 1 / Double(d)).rounded(.up))
        // Cells in order of first appearance; `members[c]` are cell c's rows in data order.
        var cellOfKey: [Int: Int] = [:]
        var members: [[Int]] = []
        for row in 0..<n {
            var key = 0
            var stride = 1
            for f in 0..<d {
                let range = high[f] - low[f]
                let bin = range > 0 ? Int(((x[row * d + f] - low[f]) / range * Double(grid - 1)).rounded()) : 0
                key += bin * stride
                stride *= grid
            }
            if let c = cellOfKey[key] {
                members[c].append(row)
            } else {
                cellOfKey[key] = members.count
                members.append([row])
            }
        }
        // The first row of each occupied cell, in data order (cells appear in that order).
        var picked = members.prefix(count).map { $0[0] }
        // The rest at random: a cell with rows left, then one of its rows.
        var open = members.indices.filter { members[$0].count > 1 }
        var remaining = members.map { Array($0.dropFirst()) }
        var rng = Xoshiro256StarStar(seed: seed)
        while picked.count < count {
            let o = rng.nextInt(below: open.count)
            let c = open[o]
            let r = rng.nextInt(below: remaining[c].count)
            picked.append(remaining[c][r])
            remaining[c].swapAt(r, remaining[c].count - 1)
            remaining[c].removeLast()
            if remaining[c].isEmpty {
                open.swapAt(o, open.count - 1)
                open.removeLast()
            }
        }
        return picked.sorted()
    }
}
