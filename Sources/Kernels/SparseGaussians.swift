import Foundation

/// exp(−(r − x_m)² / 2θ²) for every sparse distance x_m at once, for the 2-body term's
/// prediction: one exponential per point in general, and three per distance when the points are
/// evenly spaced (as `sparse_method: "uniform"` places them), by the exact recurrence
///
///     g_{m+1} = g_m ρ_m,  ρ_{m+1} = ρ_m s,  ρ_m = exp((r − x_m) Δ/θ² − Δ²/2θ²),  s = exp(−Δ²/θ²),
///
/// run outwards from the point nearest r in both directions (downwards with the reciprocal
/// ratios), so every factor is at most about 1 and nothing overflows; a term that underflows is
/// below 1e-300 of the largest. Each step adds a rounding or two, so the value k steps from the
/// nearest point differs from the direct exponential by about k²/2 ulps at most, plus what the
/// exponential's own conditioning gives both (|argument| ulps; tested): ~1e-14 for 20 points
/// at θ ~ 1 Å, far inside the 1e-10 to which prediction must agree with the design rows.
struct SparseGaussians {
    let points: [Double]
    let inverseThetaSquared: Double
    /// Set when the points are evenly spaced (Δ > 0, every point within 1e-12 Δ of x_0 + m Δ) and
    /// Δ ≤ 2θ: then the recurrence is used.
    let spacing: Double?
    /// s = exp(−Δ²/θ²) and exp(−Δ²/2θ²), when evenly spaced.
    let ratioStep: Double, halfStep: Double

    init(points: [Double], theta: Double) {
        self.points = points
        inverseThetaSquared = 1 / (theta * theta)
        var spacing: Double? = nil
        if points.count >= 3, let first = points.first, let last = points.last, last > first {
            let step = (last - first) / Double(points.count - 1)
            let even = points.indices.allSatisfy { abs(points[$0] - (first + Double($0) * step)) <= 1e-12 * step }
            // The direct sum is as cheap below a few points. The recurrence's error grows with
            // Δ²/θ² per step, so it is used only where neighbouring Gaussians overlap (Δ ≤ 2θ;
            // gap_fit's θ is of the order of the whole range of distances).
            if even && step * step * inverseThetaSquared <= 4 { spacing = step }
        }
        self.spacing = spacing
        let step = spacing ?? 0
        ratioStep = Foundation.exp(-step * step * inverseThetaSquared)
        halfStep = Foundation.exp(-0.5 * step * step * inverseThetaSquared)
    }

    /// g_m = exp(−(r − x_m)²/2θ²) into `values` (one per point).
    @inline(__always)
    func evaluate(_ r: Double, into values: UnsafeMutablePointer<Double>) {
        let m = points.count
        guard let step = spacing else {
            evaluateDirectly(r, into: values)
            return
        }
        let x0 = points[0]
        let nearest = min(m - 1, max(0, Int(((r - x0) / step).rounded())))
        let d = r - points[nearest]
        let peak = Foundation.exp(-0.5 * d * d * inverseThetaSquared)
        values[nearest] = peak
        // Upwards: ρ = g_{k+1}/g_k = exp(d_k Δ/θ²) exp(−Δ²/2θ²).
        let up = Foundation.exp(d * step * inverseThetaSquared) * halfStep
        var ratio = up, value = peak
        var k = nearest + 1
        while k < m {
            value *= ratio
            ratio *= ratioStep
            values[k] = value
            k += 1
        }
        // Downwards: g_{k−1}/g_k = exp(−d_k Δ/θ²) exp(−Δ²/2θ²) = s / ρ_k.
        ratio = ratioStep / up
        value = peak
        k = nearest - 1
        while k >= 0 {
            value *= ratio
            ratio *= ratioStep
            values[k] = value
            k -= 1
        }
    }

    /// The same values, one exponential each.
    func evaluateDirectly(_ r: Double, into values: UnsafeMutablePointer<Double>) {
        for (k, x) in points.enumerated() {
            let d = r - x
            values[k] = Foundation.exp(-0.5 * d * d * inverseThetaSquared)
        }
    }
}
