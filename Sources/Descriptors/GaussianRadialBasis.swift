import AtomicStructures
import LinearAlgebra
import Support
#if canImport(Glibc)
import Glibc
#endif

/// QUIP/GAP's default SOAP radial basis (`EQUISPACED_GAUSS`), exactly:
///
/// - α = 1/(2σ²); grid r_a = a · r_cb / n_max for a = 0 ... n_max − 1, with the extended radius
///   r_cb = r_cut + σ √(20 ln 10) (where a Gaussian of width σ has decayed to 10⁻¹⁰);
/// - C[a, b] = e^{−α (r_a − r_b)²}; S[a, b] = ∫₀^∞ r² e^{−α(r − r_a)²} e^{−α(r − r_b)²} dr
///   (closed form), factored S = L Lᵀ (Cholesky, L lower); T = C⁻¹ L;
/// - the radial function of one neighbour at distance r, before the cutoff function, is
///   R_nl(r) = Σ_a e^{−α(r² + r_a²)} i_l(2α r r_a) T[a, n]
///           = Σ_a e^{−α(r − r_a)²} ĩ_l(2α r r_a) T[a, n]   (ĩ_l = e^{−x} i_l, no overflow);
/// - the centre atom's own Gaussian contributes L[0, n] Y_00 (that is R_n0(0) Y_00).
struct GaussianRadialBasis: Sendable {
    let nMax: Int
    let lMax: Int
    /// α = 1/(2σ²), Å⁻².
    let alpha: Double
    /// Grid points r_a, Å.
    let gridPoints: [Double]
    /// T = C⁻¹ L, row-major `nMax x nMax` (row a, column n).
    let transform: [Double]
    /// L[0, n]: the radial coefficients of the centre's own Gaussian (times Y_00).
    let centreCoefficients: [Double]

    /// Builds the basis. Throws an ``InputError`` naming `n_max` if the Gaussian overlap
    /// matrices are numerically singular (too many functions for the width σ), or `atom_sigma`
    /// if σ is so extreme that they cannot be computed (not finite).
    init(cutoffRadius: Double, atomSigma sigma: Double, nMax: Int, lMax: Int, errorFile: String) throws {
        self.nMax = nMax
        self.lMax = lMax
        let alpha = 0.5 / (sigma * sigma)
        self.alpha = alpha
        let extendedRadius = cutoffRadius + sigma * (2.0 * 10.0 * log(10.0)).squareRoot()
        let grid = (0..<nMax).map { Double($0) * extendedRadius / Double(nMax) }
        gridPoints = grid
        var overlap = Matrix(rows: nMax, columns: nMax)
        var gaussians = Matrix(rows: nMax, columns: nMax)
        for a in 0..<nMax {
            for b in 0..<nMax {
                let ra = grid[a], rb = grid[b], sum = ra + rb
                // ∫₀^∞ r² e^{−α(r−r_a)²} e^{−α(r−r_b)²} dr in closed form.
                let first = exp(-alpha * (ra * ra + rb * rb)) * 2.0.squareRoot() * pow(alpha, 1.5) * sum
                let second = alpha * exp(-0.5 * alpha * (ra - rb) * (ra - rb)) * Double.pi.squareRoot()
                    * (1 + alpha * sum * sum) * (1 + erf((alpha / 2).squareRoot() * sum))
                overlap[a, b] = (first + second) / (128 * pow(alpha, 5)).squareRoot()
                gaussians[a, b] = exp(-alpha * (ra - rb) * (ra - rb))
            }
        }
        // An extreme σ (α = 1/(2σ²) overflowing or underflowing) makes the closed forms NaN or
        // infinite, which LAPACK rejects as an invalid argument (a trap in `choleskyLower`; found
        // by fuzzing model files). Refuse it as bad input instead.
        guard overlap.storage.allSatisfy(\.isFinite), gaussians.storage.allSatisfy(\.isFinite) else {
            throw InputError(
                file: errorFile, field: "atom_sigma",
                message: "atom_sigma = \(sigma) Å is too extreme for the radial basis to be computed in double precision (the overlap integrals are not finite); use a width comparable to interatomic distances")
        }
        let singular = InputError(
            file: errorFile, field: "n_max",
            message: "the \(nMax) radial Gaussians of width atom_sigma = \(sigma) Å on [0, \(extendedRadius) Å] are numerically linearly dependent; use a smaller n_max or a smaller atom_sigma")
        let lower: Matrix
        do {
            lower = try choleskyLower(overlap)
        } catch {
            throw singular
        }
        // T = C⁻¹ L through the Cholesky factor of the (positive-definite) Gaussian matrix C.
        let cFactor: Matrix
        do {
            cFactor = try choleskyLower(gaussians)
        } catch {
            throw singular
        }
        // Reject bases whose C is so ill-conditioned that T would be noise (κ(C) ≈ (max/min diag)²).
        var minDiagonal = Double.infinity, maxDiagonal = 0.0
        for k in 0..<nMax {
            minDiagonal = min(minDiagonal, abs(cFactor[k, k]))
            maxDiagonal = max(maxDiagonal, abs(cFactor[k, k]))
        }
        guard minDiagonal > 1e-6 * maxDiagonal else { throw singular }
        var t = [Double](repeating: 0, count: nMax * nMax)
        for column in 0..<nMax {
            // Solve C x = L[:, column]: forward with the factor, then backward with its transpose.
            var x = (0..<nMax).map { lower[$0, column] }
            for i in 0..<nMax {
                var value = x[i]
                for k in 0..<i { value -= cFactor[i, k] * x[k] }
                x[i] = value / cFactor[i, i]
            }
            for i in stride(from: nMax - 1, through: 0, by: -1) {
                var value = x[i]
                for k in (i + 1)..<nMax { value -= cFactor[k, i] * x[k] }
                x[i] = value / cFactor[i, i]
            }
            for a in 0..<nMax { t[a * nMax + column] = x[a] }
        }
        transform = t
        centreCoefficients = (0..<nMax).map { lower[0, $0] }
    }

    /// The number of doubles `evaluate` needs in `scratch`.
    var scratchCount: Int { 3 * nMax * (lMax + 3) + (lMax + 3) }

    /// Evaluates R_nl(r) exactly, with its first and second derivatives (Å⁻¹, Å⁻²), into
    /// `values[n (lMax+1) + l]`, `first[...]` and `second[...]`.
    func evaluate(
        _ r: Double, values: UnsafeMutablePointer<Double>, first: UnsafeMutablePointer<Double>,
        second: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
    ) {
        let lCount = lMax + 1
        let bessel = scratch                                  // ĩ_0 ... ĩ_{lMax+2}
        let g0 = scratch + (lMax + 3)                         // g_al at a (lMax+1) + l
        let g1 = g0 + nMax * lCount
        let g2 = g1 + nMax * lCount
        let a2 = alpha * alpha
        for a in 0..<nMax {
            let ra = gridPoints[a]
            let x = 2 * alpha * r * ra
            ModifiedSphericalBessel.scaled(x, lMax: lMax + 2, into: bessel)
            let envelope = exp(-alpha * (r - ra) * (r - ra))
            for l in 0...lMax {
                let dl = Double(l)
                let il = bessel[l]
                let below = l >= 1 ? bessel[l - 1] : 0
                let twoBelow = l >= 2 ? bessel[l - 2] : 0
                // i_l' = (l i_{l−1} + (l+1) i_{l+1})/(2l+1); i_l'' from applying it twice.
                let d1 = (dl * below + (dl + 1) * bessel[l + 1]) / (2 * dl + 1)
                let dBelow = l >= 1 ? ((dl - 1) * twoBelow + dl * il) / (2 * dl - 1) : 0
                let dAbove = ((dl + 1) * il + (dl + 2) * bessel[l + 2]) / (2 * dl + 3)
                let d2 = (dl * dBelow + (dl + 1) * dAbove) / (2 * dl + 1)
                let index = a * lCount + l
                g0[index] = envelope * il
                g1[index] = envelope * (-2 * alpha * r * il + 2 * alpha * ra * d1)
                g2[index] = envelope * ((4 * a2 * r * r - 2 * alpha) * il - 8 * a2 * r * ra * d1 + 4 * a2 * ra * ra * d2)
            }
        }
        for n in 0..<nMax {
            for l in 0...lMax {
                var v = 0.0, d = 0.0, s = 0.0
                for a in 0..<nMax {
                    let t = transform[a * nMax + n]
                    let index = a * lCount + l
                    v += g0[index] * t
                    d += g1[index] * t
                    s += g2[index] * t
                }
                values[n * lCount + l] = v
                first[n * lCount + l] = d
                second[n * lCount + l] = s
            }
        }
    }
}
