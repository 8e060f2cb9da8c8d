import LinearAlgebra
import Parallelism
import Support

/// CUR selection of sparse points: rows (environments) of the descriptor matrix X (N x F) with
/// high statistical leverage, i.e. rows that matter most for X's dominant singular directions.
///
/// ```swift
/// let picked = try CURSelection(count: 1000, seed: 1).select(from: matrix)  // sorted row indices
/// ```
///
/// Three variants:
///
/// - ``Variant/sampledLeverage`` (the default, and what gap-train's `"cur"` uses): gap_fit's
///   `cur_points` (QUIP `cur_decomposition`, after Mahoney and Drineas 2009). Leverage scores
///   pᵢ = Σⱼ₌₁ᵏ Uᵢⱼ² from the top k left singular vectors, k = half the numerical rank of X;
///   πᵢ = min(1, pᵢ·M/k); then with uᵢ uniform in [0, 1) from the seeded generator, the M rows
///   with the smallest uᵢ − πᵢ. It is the default because it is what gap_fit does, so models
///   compare with published GAPs; it costs one Gram matrix, one F x F eigendecomposition and one
///   pass over X (seconds for 80,000 x 700); and it stays meaningful when M exceeds the number
///   of features (GAP-18: 9,000 sparse points, 715 features), where the iterative variant has
///   run out of directions.
/// - ``Variant/topLeverage``: the M rows of largest πᵢ, deterministic (gap_fit's n_iter ≤ 0).
/// - ``Variant/iterative``: the deterministic iterative CUR of Imbalzano et al., J. Chem. Phys.
///   148, 241730 (2018), exactly as `skmatter.sample_selection.CUR(recompute_every=1, k=1)`:
///   pick the row with the largest leverage from the top k singular vectors of the current
///   matrix, project every row onto the orthogonal complement of the picked row, repeat. Picks
///   are more diverse, and reproduce skmatter's indices. Each pick costs a warm-started Lanczos
///   solve on the min(N, F)-sized Gram matrix (kept up to date by rank-2 updates in O(F²), or
///   rank-1 in O(N²)) plus one pass over X, O(N·F), to score the rows: O(M·N·F) in all, memory-
///   bound (about 0.45 GB read per pick at 80,000 x 700; measured 234 s for 4,000 picks on 2
///   cores, against 3.5 s for `sampledLeverage`). Once the picks span X numerically (the
///   top remaining eigenvalue below 10⁻¹⁰ of the first, e.g. after F picks) the projection
///   restarts from the original rows minus those already picked, so more than rank(X) points
///   can be chosen; skmatter instead keeps picking from rounding noise there.
///
/// Results are sorted row indices, identical for every thread count. Ties go to the lower index.
public struct CURSelection: OrderedSelection {
    /// The CUR variants; see ``CURSelection``.
    public enum Variant: String, Hashable, Sendable {
        /// Leverage scores, then seeded sampling (gap_fit's `cur_points`).
        case sampledLeverage
        /// Leverage scores, then the M largest.
        case topLeverage
        /// skmatter's iterative CUR with recomputation after every pick.
        case iterative
    }

    /// How many rows to pick (M).
    public var count: Int
    /// Seed of the sampling in ``Variant/sampledLeverage`` (unused by the others).
    public var seed: UInt64
    /// Which CUR.
    public var variant: Variant
    /// k, the number of top singular vectors in the leverage scores. nil: 1 for `iterative`
    /// (skmatter's default), half the numerical rank for the leverage variants (gap_fit's).
    public var singularVectorCount: Int?

    /// Creates a CUR selection of `count` rows.
    public init(count: Int, seed: UInt64 = 1, variant: Variant = .sampledLeverage, singularVectorCount: Int? = nil) {
        self.count = count
        self.seed = seed
        self.variant = variant
        self.singularVectorCount = singularVectorCount
    }

    /// The picked rows in the order they were chosen (for `iterative`; the leverage variants
    /// return them by increasing sampling key, i.e. decreasing priority).
    public func selectInOrder(from matrix: FeatureMatrix, threads: Int = ThreadCount.current) throws -> [Int] {
        try validate(matrix, count: count)
        if let k = singularVectorCount, k < 1 || k > min(matrix.rowCount, matrix.featureCount) {
            throw SelectionError.invalidCount(k)
        }
        switch variant {
        case .iterative:
            return try IterativeCUR(matrix: matrix, count: count, k: singularVectorCount ?? 1, threads: threads).run()
        case .sampledLeverage, .topLeverage:
            let scores = try LeverageScores(matrix: matrix, rank: singularVectorCount)
            let probabilities = scores.values.map { min(1, $0 * Double(count) / Double(scores.rank)) }
            var keys: [Double]
            if variant == .topLeverage {
                keys = probabilities.map { -$0 }
            } else {
                var rng = Xoshiro256StarStar(seed: seed)
                keys = probabilities.map { rng.nextUnitInterval() - $0 }
            }
            let order = (0..<matrix.rowCount).sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
            return Array(order.prefix(count))
        }
    }
}

/// Statistical leverage of the rows of X: pᵢ = Σⱼ₌₁ᵏ Uᵢⱼ² for the top k left singular vectors
/// U of X (so 0 ≤ pᵢ ≤ 1 and Σᵢ pᵢ = k).
///
/// Computed from the eigendecomposition of the smaller Gram matrix: with N > F, XᵀX = V Λ Vᵀ
/// and pᵢ = Σⱼ (xᵢ·vⱼ)²/λⱼ (one pass over X in blocks, via dgemm); with N ≤ F, XXᵀ = U Λ Uᵀ.
/// The numerical rank counts eigenvalues above λ_max · max(N, F) · 2⁻⁵² · 10 (singular values
/// below ≈ 10⁻⁷ s_max are not resolved by a Gram matrix; gap_fit's dgesdd uses an absolute
/// 10⁻¹³ on singular values); the default k is half of it, at least 1, as gap_fit.
public struct LeverageScores: Sendable {
    /// pᵢ for every row.
    public var values: [Double]
    /// k, the number of singular vectors used.
    public var rank: Int
    /// The numerical rank of X.
    public var numericalRank: Int

    /// Computes leverage scores of `matrix` from `rank` singular vectors (nil: half the numerical rank).
    public init(matrix: FeatureMatrix, rank requested: Int? = nil) throws {
        let n = matrix.rowCount, f = matrix.featureCount
        let featureSide = n > f
        let size = featureSide ? f : n
        let gram = gramMatrix(of: matrix, ofFeatures: featureSide)
        let e = try symmetricEigendecomposition(Matrix(rows: size, columns: size, columnMajor: consume gram))
        let lambdaMax = max(e.values.last ?? 0, 0)
        let threshold = lambdaMax * Double(max(n, f)) * Double.ulpOfOne * 10
        numericalRank = e.values.filter { $0 > threshold && $0 > 0 }.count
        let k = requested ?? max(1, numericalRank / 2)
        rank = k
        // Columns of the top k eigenvectors, largest first, that carry positive eigenvalues.
        let top = (0..<k).map { size - 1 - $0 }.filter { e.values[$0] > threshold && e.values[$0] > 0 }
        var p = [Double](repeating: 0, count: n)
        if top.isEmpty {
            values = p
            return
        }
        if !featureSide {
            for j in top {
                for i in 0..<n { p[i] += e.vectors[i, j] * e.vectors[i, j] }
            }
            values = p
            return
        }
        // W = V_k Λ_k^(-1/2) (F x k, column-major); T = Wᵀ Xᵀ block by block; pᵢ = |T[:, i]|².
        let kk = top.count
        var w = [Double](repeating: 0, count: f * kk)
        for (c, j) in top.enumerated() {
            let s = 1 / e.values[j].squareRoot()
            for r in 0..<f { w[r + c * f] = e.vectors[r, j] * s }
        }
        let block = 4096
        var t = [Double](repeating: 0, count: kk * min(block, n))
        matrix.values.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                t.withUnsafeMutableBufferPointer { pt in
                    var start = 0
                    while start < n {
                        let rows = min(block, n - start)
                        RawBLAS.gemm(
                            transposeA: true, transposeB: false, m: kk, n: rows, k: f, alpha: 1,
                            a: pw.baseAddress, lda: f, b: px.baseAddress! + start * f, ldb: f, beta: 0, c: pt.baseAddress, ldc: kk)
                        for i in 0..<rows { p[start + i] = dot(pt.baseAddress! + i * kk, pt.baseAddress! + i * kk, kk) }
                        start += rows
                    }
                }
            }
        }
        values = p
    }
}

/// The iterative CUR of Imbalzano et al. (skmatter's sample CUR with recompute_every = 1).
struct IterativeCUR {
    let matrix: FeatureMatrix
    let count: Int
    let k: Int
    let threads: Int

    /// Remaining top eigenvalue below this fraction of the pass's first counts as "spanned".
    static let exhaustion = 1e-10

    func run() throws -> [Int] {
        matrix.rowCount > matrix.featureCount ? try runOnFeatureGram() : try runOnRowGram()
    }

    /// N > F: keep C = X̃ᵀX̃ (F x F) for the current projected rows X̃ = X (I − QQᵀ).
    private func runOnFeatureGram() throws -> [Int] {
        let n = matrix.rowCount, f = matrix.featureCount
        let original = gramMatrix(of: matrix, ofFeatures: true)
        var c = original
        var q: [[Double]] = []  // orthonormal directions of the current pass
        var selected = [Bool](repeating: false, count: n)
        var order: [Int] = []
        var warm: [Double]?
        var firstTop: Double?
        var scores = [Double](repeating: 0, count: n)
        var restartedWithoutPick = false

        func project(_ v: inout [Double]) {
            for _ in 0..<2 {
                for d in q {
                    let s = d.withUnsafeBufferPointer { pd in v.withUnsafeBufferPointer { dot(pd.baseAddress!, $0.baseAddress!, f) } }
                    for t in 0..<f { v[t] -= s * d[t] }
                }
            }
        }

        while order.count < count {
            let kk = min(k, f)
            let (theta, vectors) = try topEigenpairs(c, n: f, k: kk, start: warm, threads: threads)
            if firstTop == nil { firstTop = theta[0] }
            if !(theta[0] > IterativeCUR.exhaustion * firstTop!) || !(theta[0] > 0) {
                // The picks span the rows: restart on the rows not yet picked.
                if restartedWithoutPick {
                    fillByIndex(&order, &selected)
                    break
                }
                c = original
                for s in order {
                    let row = matrix.row(s)
                    for j in 0..<f { for i in 0..<f { c[i + j * f] -= row[i] * row[j] } }
                }
                q = []
                warm = nil
                firstTop = nil
                restartedWithoutPick = true
                continue
            }
            // Score every row by its leverage on the current top singular vectors.
            var ws = vectors
            for j in 0..<ws.count { project(&ws[j]) }
            let weights = theta.map { $0 > 0 ? 1 / $0 : 0 }
            leverageScores(directions: ws, weights: weights, into: &scores)
            guard let pick = argmax(scores, excluding: selected) else { break }
            selected[pick] = true
            order.append(pick)
            restartedWithoutPick = false

            // Project out the picked row's remaining direction: C ← P C P, P = I − ĉĉᵀ.
            var direction = matrix.row(pick)
            project(&direction)
            let norm = direction.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, f) }.squareRoot()
            if norm > 0 && norm.isFinite {
                direction = direction.map { $0 / norm }
                IterativeCUR.deflate(&c, size: f, along: direction, threads: threads)
                q.append(direction)
            }
            var next = vectors[0]
            let along = next.withUnsafeBufferPointer { pv in direction.withUnsafeBufferPointer { dot(pv.baseAddress!, $0.baseAddress!, f) } }
            if norm > 0 { for t in 0..<f { next[t] -= along * direction[t] } }
            warm = next
        }
        return order
    }

    /// Each row's leverage on the given directions: Σⱼ wⱼ (xᵢ·dⱼ)², in parallel over rows.
    private func leverageScores(directions: [[Double]], weights: [Double], into scores: inout [Double]) {
        let n = matrix.rowCount, f = matrix.featureCount
        let flat = directions.flatMap { $0 }
        matrix.values.withUnsafeBufferPointer { px in
            flat.withUnsafeBufferPointer { pw in
                scores.withUnsafeMutableBufferPointer { ps in
                    parallelChunks(count: n, threads: threads) { _, range in
                        for i in range {
                            var s = 0.0
                            for j in 0..<weights.count {
                                let d = dot(px.baseAddress! + i * f, pw.baseAddress! + j * f, f)
                                s += d * d * weights[j]
                            }
                            ps[i] = s
                        }
                    }
                }
            }
        }
    }

    /// C ← P C P with P = I − d dᵀ for a unit vector d (C symmetric, size x size, column-major).
    private static func deflate(_ c: inout [Double], size f: Int, along direction: [Double], threads: Int) {
        var g = [Double](repeating: 0, count: f)
        c.withUnsafeBufferPointer { pc in
            direction.withUnsafeBufferPointer { pd in
                g.withUnsafeMutableBufferPointer { pg in
                    symmetricMatrixVector(pc.baseAddress!, f, pd.baseAddress!, pg.baseAddress!, threads: threads)
                }
            }
        }
        let gamma = g.withUnsafeBufferPointer { pg in direction.withUnsafeBufferPointer { dot(pg.baseAddress!, $0.baseAddress!, f) } }
        c.withUnsafeMutableBufferPointer { pc in
            direction.withUnsafeBufferPointer { pd in
                g.withUnsafeBufferPointer { pg in
                    for j in 0..<f {
                        // C − d gᵀ − g dᵀ + γ d dᵀ, column j: += d (γ dⱼ − gⱼ) − g dⱼ.
                        let dj = pd[j], hj = gamma * pd[j] - pg[j]
                        let column = pc.baseAddress! + j * f
                        for i in 0..<f { column[i] += pd[i] * hj - pg[i] * dj }
                    }
                }
            }
        }
    }

    /// N ≤ F: keep K = X̃X̃ᵀ (N x N); picking row s maps K to K − K[:, s] K[s, :] / K[s, s].
    private func runOnRowGram() throws -> [Int] {
        let n = matrix.rowCount
        let original = gramMatrix(of: matrix, ofFeatures: false)
        var kmat = original
        var selected = [Bool](repeating: false, count: n)
        var order: [Int] = []
        var warm: [Double]?
        var firstTop: Double?
        var restartedWithoutPick = false

        while order.count < count {
            let kk = min(k, n)
            let (theta, vectors) = try topEigenpairs(kmat, n: n, k: kk, start: warm, threads: threads)
            if firstTop == nil { firstTop = theta[0] }
            if !(theta[0] > IterativeCUR.exhaustion * firstTop!) || !(theta[0] > 0) {
                if restartedWithoutPick {
                    fillByIndex(&order, &selected)
                    break
                }
                kmat = original
                for s in order {
                    for t in 0..<n {
                        kmat[s + t * n] = 0
                        kmat[t + s * n] = 0
                    }
                }
                warm = nil
                firstTop = nil
                restartedWithoutPick = true
                continue
            }
            var scores = [Double](repeating: 0, count: n)
            for v in vectors { for i in 0..<n { scores[i] += v[i] * v[i] } }
            guard let pick = argmax(scores, excluding: selected) else { break }
            selected[pick] = true
            order.append(pick)
            restartedWithoutPick = false
            let kss = kmat[pick + pick * n]
            if kss > 0 && kss.isFinite {
                let column = Array(kmat[(pick * n) ..< (pick * n + n)])
                kmat.withUnsafeMutableBufferPointer { pk in
                    for j in 0..<n {
                        let cj = column[j] / kss
                        for i in 0..<n { pk[i + j * n] -= column[i] * cj }
                    }
                }
            }
            warm = vectors[0]
        }
        return order
    }

    /// When no direction is left at all (rows identical to picked ones or zero), the remaining
    /// picks are the lowest unselected indices.
    private func fillByIndex(_ order: inout [Int], _ selected: inout [Bool]) {
        var i = 0
        while order.count < count && i < selected.count {
            if !selected[i] {
                selected[i] = true
                order.append(i)
            }
            i += 1
        }
    }
}
