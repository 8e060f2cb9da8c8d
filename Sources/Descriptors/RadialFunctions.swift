/// The radial functions of one spline table: the QUIP basis itself (`gap`), or its data-driven
/// contraction for one neighbour species (`optimal`),
///
///     R^s_ql(r) = Σ_p U^{s l}[p, q] R_pl(r),   p = 0 ..< P (primitive), q = 0 ..< n_max,
///
/// with R_pl the QUIP basis of P functions. Derivatives contract the same way (U is constant).
/// Output layout: `q (lMax+1) + l`, as the primitive basis.
struct RadialFunctions: Sendable {
    /// The primitive basis (the QUIP basis with P functions).
    let basis: GaussianRadialBasis
    /// Functions per l in the output (n_max; P when not contracted).
    let nMax: Int
    /// U^{s l} for l = 0 ... lMax, each `P x nMax` row-major (row p, column q), concatenated;
    /// nil for the basis itself.
    let contraction: [Double]?

    /// The basis itself.
    init(basis: GaussianRadialBasis) {
        self.basis = basis
        nMax = basis.nMax
        contraction = nil
    }

    /// The contraction of `basis` by `matrices` (see ``contraction``) to `nMax` functions per l.
    init(basis: GaussianRadialBasis, contractedCount: Int, matrices: [Double]) {
        precondition(matrices.count == (basis.lMax + 1) * basis.nMax * contractedCount, "one P x n_max matrix per l")
        self.basis = basis
        nMax = contractedCount
        contraction = matrices
    }

    var lMax: Int { basis.lMax }

    /// n_max (l_max + 1).
    var functionCount: Int { nMax * (basis.lMax + 1) }

    /// Doubles `evaluate` needs in `scratch`.
    var scratchCount: Int {
        basis.scratchCount + (contraction == nil ? 0 : 3 * basis.nMax * (basis.lMax + 1))
    }

    /// Evaluates every function exactly, with first and second derivatives (Å⁻¹, Å⁻²).
    func evaluate(
        _ r: Double, values: UnsafeMutablePointer<Double>, first: UnsafeMutablePointer<Double>,
        second: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
    ) {
        guard let contraction else {
            basis.evaluate(r, values: values, first: first, second: second, scratch: scratch)
            return
        }
        let lCount = basis.lMax + 1
        let primitive = basis.nMax
        let pl = primitive * lCount
        let v = scratch, d = scratch + pl, s = scratch + 2 * pl
        basis.evaluate(r, values: v, first: d, second: s, scratch: scratch + 3 * pl)
        contraction.withUnsafeBufferPointer { u in
            for l in 0..<lCount {
                let block = u.baseAddress! + l * primitive * nMax
                for q in 0..<nMax {
                    var a = 0.0, b = 0.0, c = 0.0
                    for p in 0..<primitive {
                        let weight = block[p * nMax + q]
                        a += weight * v[p * lCount + l]
                        b += weight * d[p * lCount + l]
                        c += weight * s[p * lCount + l]
                    }
                    values[q * lCount + l] = a
                    first[q * lCount + l] = b
                    second[q * lCount + l] = c
                }
            }
        }
    }

    /// The radial coefficients of the centre atom's own Gaussian (l = 0, times Y_00):
    /// Σ_p U^{s 0}[p, q] L[0, p], or L[0, q] for the basis itself.
    var centreCoefficients: [Double] {
        guard let contraction else { return basis.centreCoefficients }
        return (0..<nMax).map { q in
            var sum = 0.0
            for p in 0..<basis.nMax { sum += contraction[p * nMax + q] * basis.centreCoefficients[p] }
            return sum
        }
    }
}
