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
extension RadialContraction {
    /// Fits the species mixing of `hyperparameters` (its n_max radial functions per channel) to
    /// the environments `centres` of `structures`.
    ///
    /// - Throws: ``InputError`` (field `species_channels`) unless 1 ≤ K ≤ the number of neighbour
    ///   species, and as ``fit(_:primitiveCount:retainedVariance:combineSpecies:structures:centres:threads:)``.
    public static func speciesChannels(
        _ hyperparameters: SOAPHyperparameters, channelCount: Int, structures: [Structure], centres: [[Int]],
        threads: Int = ThreadCount.current
    ) throws -> RadialContraction {
        let speciesCount = Set(hyperparameters.neighbourSpecies).count
        guard channelCount >= 1, channelCount <= speciesCount else {
            throw InputError(
                file: SOAPCalculator.errorSource, field: "species_channels",
                message: "must be between 1 and the number of neighbour species (\(speciesCount)), got \(channelCount)")
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
        let decomposition = try symmetricEigendecomposition(species)
        // W[s, k]: eigenvectors by descending eigenvalue, the largest-magnitude entry positive.
        var mixing = [[Double]](repeating: [], count: speciesCount)
        var values: [Double] = []
        for k in 0..<speciesCount {
            let source = speciesCount - 1 - k
            var pivot = 0
            for s in 1..<speciesCount where abs(decomposition.vectors[s, source]) > abs(decomposition.vectors[pivot, source]) { pivot = s }
            let sign: Double = decomposition.vectors[pivot, source] < 0 ? -1 : 1
            for s in 0..<speciesCount { mixing[s].append(sign * decomposition.vectors[s, source]) }
            values += repeatElement(decomposition.values[source], count: p)
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
}
