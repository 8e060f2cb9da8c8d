import Support
import AtomicStructures
import LinearAlgebra
import Parallelism

/// Alchemical compression (Willatt, Musil and Ceriotti, J. Chem. Phys. 150, 154110 (2019)):
/// the S neighbour-species densities are mixed into K < S channels,
///
///     c_{k n l m} = Σ_s W[s, k] c_{s n l m},   k = 0 ..< K,
///
/// with W the K leading eigenvectors of the species covariance of the training environments,
/// C[s, s′] = (1/N) Σ_i Σ_{n l m} c_{s n l m}(i) c_{s′ n l m}(i) (a PCA with the species as the
/// variables and every (environment, n, l, m) as a sample; the radial functions stay QUIP's).
///
/// **As a radial contraction.** Mixing species is the combined-species contraction
/// (``RadialContraction/combinesSpecies``) with U^l[(s, p), (k, n)] = W[s, k] δ_{pn}, the same for
/// every l, P = n_max primitive functions and K · n_max kept ones: a neighbour of species s
/// contributes W[s, k] R_nl to channel (k, n). So everything downstream (splines per species,
/// gradients, model files, the three body orders) is unchanged. The stored eigenvalues are the
/// species eigenvalues, each repeated n_max times, so that the retained-variance curve at the
/// kept count K · n_max is the fraction of the species variance the K channels keep.
///
/// **Cost.** Uncompressed, a neighbour adds to its own species' n_max channels, and there are
/// S · n_max channels; compressed, it adds to all K · n_max (K times the expansion work per
/// neighbour, which is small), and there are K · n_max channels, so the features, and the cost of
/// everything per feature (power spectrum, gradients, kernels), shrink by (K/S)² for ν = 2,
/// (K/S)³ for ν = 3 and K/S for ν = 1. K = S keeps the kernel unchanged (W is orthogonal).
///
/// **Supervised mixing** (`species_mixing` "supervised"): W by principal covariates regression
/// between the species variance above and the atomic energies of the supervised radial basis's
/// ridge model, ε_i = Σ_{s n} w_{s n} c_{s n 0 0}(i) (``atomicEnergyRegression(_:primitiveCount:structures:labels:target:seed:threads:)``
/// on the n_max QUIP functions, with the term's `supervised_target`). The samples are the rows (i, n, l, m) of the PCA, with the
/// target ε_i on the l = 0 rows and 0 on the others (an invariant has no linear regression on
/// equivariant coefficients, as for the supervised radial basis), so that
///
///     (1/N) XᵀŶ [s] = (1/N) Σ_i Σ_n c_{s n 0 0}(i) ε_i,   (1/N) ŶᵀŶ = n_max (1/N) Σ_i ε_i²,
///
/// normalised and mixed by α as in ``normalisedPCovR(covariance:mixing:target:)``; W is then
/// the first K columns of the projector P_XT (α = 1: the PCA mixing).
extension RadialContraction {
    /// Fits the species mixing of `hyperparameters` (its n_max radial functions per channel) to
    /// the environments `centres` of `structures`.
    ///
    /// - Throws: ``InputError`` (field `species_channels`) unless 1 ≤ K ≤ the number of neighbour
    ///   species, (field `supervised_mixing`) unless 0 ≤ α ≤ 1, and as
    ///   ``fit(_:primitiveCount:retainedVariance:combineSpecies:structures:centres:threads:supervision:)``.
    /// - Parameter supervision: the supervised mixing (α and the atomic-energy weights w_{s n},
    ///   species-major over the n_max QUIP functions); nil for PCA.
    public static func speciesChannels(
        _ hyperparameters: SOAPHyperparameters, channelCount: Int, structures: [Structure], centres: [[Int]],
        threads: Int = ThreadCount.current, supervision: Supervision? = nil
    ) throws -> RadialContraction {
        let speciesCount = Set(hyperparameters.neighbourSpecies).count
        guard channelCount >= 1, channelCount <= speciesCount else {
            throw InputError(
                file: SOAPCalculator.errorSource, field: "species_channels",
                message: "must be between 1 and the number of neighbour species (\(speciesCount)), got \(channelCount)")
        }
        if let a = supervision?.mixing, !(a >= 0 && a <= 1) {
            throw InputError(file: SOAPCalculator.errorSource, field: "supervised_mixing", message: "must be in [0, 1], got \(a)")
        }
        let p = hyperparameters.nMax
        let (h, sums, environmentCount) = try covariance(
            hyperparameters, primitiveCount: p, combineSpecies: true, structures: structures, centres: centres, threads: threads)
        let lCount = h.lMax + 1, rows = speciesCount * p
        var species = Matrix(rows: speciesCount, columns: speciesCount)
        for l in 0..<lCount {
            for s in 0..<speciesCount {
                for t in 0..<speciesCount {
                    for n in 0..<p { species[s, t] += sums[l * rows * rows + (s * p + n) * rows + t * p + n] }
                }
            }
        }
        for k in species.storage.indices { species.storage[k] /= Double(environmentCount) }
        // Columns by descending eigenvalue, the largest-magnitude entry of each positive.
        var columns: [[Double]] = []
        var speciesValues: [Double] = []
        if let supervision { precondition(supervision.weights.count == rows, "one weight per (species, radial function)") }
        if let supervision,
           let pcovr = try normalisedPCovR(covariance: species, mixing: supervision.mixing, target: { _, trace in
               supervisedTarget(l0Sums: sums[0 ..< rows * rows], weights: supervision.weights, speciesCount: speciesCount,
                                radialCount: p, environmentCount: environmentCount, trace: trace)
           }) {
            for k in 0..<speciesCount { columns.append((0..<speciesCount).map { pcovr.projection[$0 * speciesCount + k] }) }
            speciesValues = pcovr.eigenvalues
        } else {
            let decomposition = try symmetricEigendecomposition(species)
            for k in 0..<speciesCount {
                let source = speciesCount - 1 - k
                columns.append((0..<speciesCount).map { decomposition.vectors[$0, source] })
                speciesValues.append(decomposition.values[source])
            }
        }
        // W[s, k]
        var mixing = [[Double]](repeating: [], count: speciesCount)
        var values: [Double] = []
        for (k, column) in columns.enumerated() {
            var pivot = 0
            for s in 1..<speciesCount where abs(column[s]) > abs(column[pivot]) { pivot = s }
            let sign: Double = column[pivot] < 0 ? -1 : 1
            for s in 0..<speciesCount { mixing[s].append(sign * column[s]) }
            values += repeatElement(speciesValues[k], count: p)
        }
        let kept = channelCount * p
        var block = [Double](repeating: 0, count: rows * kept)
        for s in 0..<speciesCount {
            for n in 0..<p {
                for k in 0..<channelCount { block[(s * p + n) * kept + k * p + n] = mixing[s][k] }
            }
        }
        return try RadialContraction(
            primitiveCount: p, contractedCount: kept, lMax: h.lMax, species: h.neighbourSpecies,
            matrices: Array([[Double]](repeating: block, count: lCount).joined()),
            eigenvalues: Array([[Double]](repeating: values, count: lCount).joined()),
            environmentCount: environmentCount, combinesSpecies: true)
    }

    /// The target part of the supervised species mixing (see the type's documentation) from the
    /// summed l = 0 covariance block over (species, n) of N environments, in the units of
    /// C/tr(C): (1/N) XᵀŶ / tr(C) per species and n_max (1/N) Σ_i ε_i² / tr(C).
    static func supervisedTarget(
        l0Sums: ArraySlice<Double>, weights w: [Double], speciesCount: Int, radialCount p: Int, environmentCount: Int, trace: Double
    ) -> (cross: [Double], squaredNorm: Double) {
        let rows = speciesCount * p
        let base = l0Sums.startIndex
        let scale = 1 / (Double(environmentCount) * trace)
        // (S0 w)[(s, n)] = Σ_i c_{s n 0 0}(i) ε_i.
        var s0w = [Double](repeating: 0, count: rows)
        for i in 0..<rows {
            for j in 0..<rows { s0w[i] += l0Sums[base + i * rows + j] * w[j] }
        }
        var cross = [Double](repeating: 0, count: speciesCount)
        var squaredNorm = 0.0
        for i in 0..<rows {
            cross[i / p] += s0w[i] * scale
            squaredNorm += w[i] * s0w[i]
        }
        return (cross, Double(p) * squaredNorm * scale)
    }
}
