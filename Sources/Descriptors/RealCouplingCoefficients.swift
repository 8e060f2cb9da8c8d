#if canImport(Glibc)
import Glibc
#endif

/// The rotation-invariant coupling of three angular momenta in the basis of our real spherical
/// harmonics (``RealSphericalHarmonics``): the Wigner 3j symbol
///
///     W^{l1 l2 l3}[μ1 μ2 μ3] = Σ_{m1 m2 m3} (l1 l2 l3; m1 m2 m3) Ū[μ1, m1] Ū[μ2, m2] Ū[μ3, m3],
///
/// where Y_real = U Y_complex maps the standard complex harmonics (Condon–Shortley phase) to ours:
/// Y_{l,μ} = ((−1)^μ Y_l^μ + Y_l^{−μ})/√2 and Y_{l,−μ} = −i((−1)^μ Y_l^μ − Y_l^{−μ})/√2 for μ > 0.
/// Then Σ W c¹ c² c³ over real expansion coefficients equals Σ (3j) a¹ a² a³ over the complex
/// ones, which is invariant under rotations of the environment.
///
/// W is real when l1 + l2 + l3 is even and purely imaginary when it is odd; ``entries(_:_:_:)``
/// holds the real part in the first case and the imaginary part in the second. So the invariant
/// of an odd triple changes sign under inversion (c_{lm} → (−1)^l c_{lm}), a pseudoscalar, while
/// the even ones are unchanged. Like the 3j symbol, W has unit Frobenius norm, is unchanged by
/// cyclic permutations of its three (l, μ) arguments and changes by (−1)^{l1+l2+l3} under the
/// others.
///
/// Computed once per calculator by Racah's formula in double precision, which is accurate to
/// ~10⁻¹³ for l ≤ ``maximumL`` (the limit of ``BispectrumCalculator``).
struct RealCouplingCoefficients: Sendable {
    /// One non-zero coefficient: offsets of μ1, μ2, μ3 within their l blocks (μ + l), and the value.
    struct Entry: Sendable, Hashable {
        var first: Int32, second: Int32, third: Int32
        var value: Double
    }

    /// The largest l accepted.
    static let maximumL = 12
    let lMax: Int
    /// Non-zero entries per (l1, l2, l3), index `(l1 · L + l2) · L + l3` with L = lMax + 1; empty
    /// when the triangle rule fails.
    let table: [[Entry]]

    init(lMax: Int) {
        precondition(lMax >= 0 && lMax <= RealCouplingCoefficients.maximumL, "l_max out of range for the coupling table")
        self.lMax = lMax
        let count = lMax + 1
        var table = [[Entry]](repeating: [], count: count * count * count)
        for l1 in 0...lMax {
            for l2 in 0...lMax {
                for l3 in abs(l1 - l2)...min(lMax, l1 + l2) {
                    table[(l1 * count + l2) * count + l3] = RealCouplingCoefficients.compute(l1, l2, l3)
                }
            }
        }
        self.table = table
    }

    /// The non-zero entries of W^{l1 l2 l3} (empty outside the triangle rule).
    func entries(_ l1: Int, _ l2: Int, _ l3: Int) -> [Entry] {
        let count = lMax + 1
        return table[(l1 * count + l2) * count + l3]
    }

    /// log n! for n ≥ 0.
    private static func logFactorial(_ n: Int) -> Double { lgamma(Double(n + 1)) }

    /// The Wigner 3j symbol (l1 l2 l3; m1 m2 m3), by Racah's formula.
    static func wigner3j(_ l1: Int, _ l2: Int, _ l3: Int, _ m1: Int, _ m2: Int, _ m3: Int) -> Double {
        guard m1 + m2 + m3 == 0, abs(m1) <= l1, abs(m2) <= l2, abs(m3) <= l3,
              l3 >= abs(l1 - l2), l3 <= l1 + l2 else { return 0 }
        let f = logFactorial
        let triangle = f(l1 + l2 - l3) + f(l1 - l2 + l3) + f(-l1 + l2 + l3) - f(l1 + l2 + l3 + 1)
        let prefactor = 0.5 * (triangle + f(l1 + m1) + f(l1 - m1) + f(l2 + m2) + f(l2 - m2) + f(l3 + m3) + f(l3 - m3))
        let kMin = max(0, l2 - l3 - m1, l1 - l3 + m2)
        let kMax = min(l1 + l2 - l3, l1 - m1, l2 + m2)
        guard kMin <= kMax else { return 0 }
        var sum = 0.0
        for k in kMin...kMax {
            let term = exp(prefactor - f(k) - f(l1 + l2 - l3 - k) - f(l1 - m1 - k) - f(l2 + m2 - k)
                           - f(l3 - l2 + m1 + k) - f(l3 - l1 - m2 + k))
            sum += k % 2 == 0 ? term : -term
        }
        return (l1 - l2 - m3) % 2 == 0 ? sum : -sum
    }

    /// Row μ of the conjugated map Ū (complex m → real μ): the (m, re, im) non-zero entries.
    private static func conjugateMap(_ mu: Int) -> [(m: Int, re: Double, im: Double)] {
        let h = 1 / 2.0.squareRoot()
        if mu == 0 { return [(0, 1, 0)] }
        let a = abs(mu)
        let sign: Double = a % 2 == 0 ? 1 : -1
        if mu > 0 { return [(a, sign * h, 0), (-a, h, 0)] }
        // conj(−i (−1)^a/√2) = i (−1)^a/√2; conj(i/√2) = −i/√2.
        return [(a, 0, sign * h), (-a, 0, -h)]
    }

    /// The real (even l1 + l2 + l3) or imaginary (odd) part of W^{l1 l2 l3}, non-zero entries only.
    private static func compute(_ l1: Int, _ l2: Int, _ l3: Int) -> [Entry] {
        let odd = (l1 + l2 + l3) % 2 == 1
        var entries: [Entry] = []
        var worstOtherPart = 0.0
        for mu1 in -l1...l1 {
            for mu2 in -l2...l2 {
                for mu3 in -l3...l3 {
                    var re = 0.0, im = 0.0
                    for a in conjugateMap(mu1) {
                        for b in conjugateMap(mu2) {
                            for c in conjugateMap(mu3) where a.m + b.m + c.m == 0 {
                                let w = wigner3j(l1, l2, l3, a.m, b.m, c.m)
                                guard w != 0 else { continue }
                                // (a)(b)(c) complex product.
                                let abRe = a.re * b.re - a.im * b.im, abIm = a.re * b.im + a.im * b.re
                                re += w * (abRe * c.re - abIm * c.im)
                                im += w * (abRe * c.im + abIm * c.re)
                            }
                        }
                    }
                    let (kept, other) = odd ? (im, re) : (re, im)
                    worstOtherPart = max(worstOtherPart, abs(other))
                    if abs(kept) > 1e-14 {
                        entries.append(Entry(first: Int32(mu1 + l1), second: Int32(mu2 + l2), third: Int32(mu3 + l3), value: kept))
                    }
                }
            }
        }
        precondition(worstOtherPart < 1e-12, "real-basis 3j symbol is not \(odd ? "imaginary" : "real") for (\(l1), \(l2), \(l3))")
        return entries
    }
}
