#if canImport(Glibc)
import Glibc
#endif

/// Exponentially scaled modified spherical Bessel functions of the first kind,
/// ĩ_l(x) = e^{−x} i_l(x), for l = 0 ... lMax and x ≥ 0.
///
/// SOAP's radial integrals need e^{−α(r² + r_a²)} i_l(2α r r_a), a product of a vanishing and an
/// exploding factor for large arguments. Written as e^{−α(r − r_a)²} ĩ_l(2α r r_a) both factors
/// stay in [0, 1], so nothing overflows for any σ, r or l.
///
/// Two exact methods are used, each where it is accurate to a few ulp:
/// - x ≥ max(lMax², 30): the closed form
///   ĩ_l(x) = 1/(2x) [Σ_k (−1)^k a_k(l) (2x)^{−k} + (−1)^{l+1} e^{−2x} Σ_k a_k(l) (2x)^{−k}],
///   a_k(l) = (l + k)! / (k! (l − k)!), whose alternating sum then loses less than one bit.
/// - otherwise: ĩ_0 = −expm1(−2x)/(2x), and the ratios ρ_l = i_l / i_{l−1} from the downward
///   recurrence ρ_l = x / (2l + 1 + x ρ_{l+1}) (all terms positive, so no cancellation), started
///   far enough above max(lMax, x) that the starting guess ρ = 0 has decayed below round-off.
@usableFromInline
enum ModifiedSphericalBessel {
    /// Fills `output[0 ... lMax]` with ĩ_l(x) = e^{−x} i_l(x). `x` must be finite and ≥ 0.
    @usableFromInline
    static func scaled(_ x: Double, lMax: Int, into output: UnsafeMutablePointer<Double>) {
        precondition(lMax >= 0 && x >= 0 && x.isFinite)
        if x == 0 {
            output[0] = 1
            for l in stride(from: 1, through: lMax, by: 1) { output[l] = 0 }
            return
        }
        if x >= max(Double(lMax * lMax), 30) {
            closedForm(x, lMax: lMax, into: output)
        } else {
            ratioRecurrence(x, lMax: lMax, into: output)
        }
    }

    /// The finite closed form; accurate when x ≥ lMax² (cancellation below a factor e^{1/2}).
    @usableFromInline
    static func closedForm(_ x: Double, lMax: Int, into output: UnsafeMutablePointer<Double>) {
        let inverseTwoX = 1 / (2 * x)
        let decay = exp(-2 * x)
        for l in 0...lMax {
            // a_k(l) (2x)^{-k}, built term by term: a_{k+1} / a_k = (l + k + 1)(l − k) / (k + 1).
            var term = 1.0
            var alternating = 1.0
            var plain = 1.0
            var k = 0
            while k < l {
                term *= Double((l + k + 1) * (l - k)) / Double(k + 1) * inverseTwoX
                k += 1
                plain += term
                alternating += (k % 2 == 0) ? term : -term
            }
            let sign: Double = (l % 2 == 0) ? -1 : 1
            output[l] = inverseTwoX * (alternating + sign * decay * plain)
        }
    }

    /// Downward ratio recurrence normalised by ĩ_0; accurate for every x > 0.
    @usableFromInline
    static func ratioRecurrence(_ x: Double, lMax: Int, into output: UnsafeMutablePointer<Double>) {
        output[0] = -expm1(-2 * x) / (2 * x)
        guard lMax > 0 else { return }
        // Each step below l ≈ x contracts an error in ρ by at most 1; each step above by ≲ 0.2,
        // so 30 steps above max(lMax, x) reach round-off.
        let start = max(lMax, Int(x.rounded(.up))) + 30
        var ratio = 0.0
        var l = start
        while l > lMax {
            ratio = x / (Double(2 * l + 1) + x * ratio)
            l -= 1
        }
        // Now `ratio` = ρ_{lMax + 1}; store ρ_l for l = lMax ... 1, then multiply upwards.
        while l >= 1 {
            ratio = x / (Double(2 * l + 1) + x * ratio)
            output[l] = ratio
            l -= 1
        }
        for l in 1...lMax { output[l] *= output[l - 1] }
    }
}
