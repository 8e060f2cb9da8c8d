import AtomicStructures
import LinearAlgebra
import Parallelism
import Support

/// The supervised radial basis (`radial_basis` "supervised"): the l = 0 contractions chosen by
/// principal covariates regression (PCovR; de Jong and Kiers 1992, Helfrecht et al. 2020) on the
/// training energies instead of PCA, as Goscinski et al. (J. Chem. Phys. 155, 104106, 2021)
/// propose.
///
/// Per block (species s, l = 0; or l = 0 over every (species, p) when combined) with X the
/// N x P matrix of the sampled environments' primitive coefficients c_{s p 0 0}(i):
///
/// 1. An atomic-energy model linear in the l = 0 coefficients of every species,
///    ε_i = Σ_{s p} w_{s p} c_{s p 0 0}(i) + b, is fitted by ridge regression to the per-atom
///    energies of the training structures, E_A / n_A = w · z_A + b with
///    z_A = (1/n_A) Σ_{i ∈ A} c_{· 0 0}(i) (``energyRegression(_:primitiveCount:structures:energies:seed:threads:)``).
/// 2. Ŷ = X w_s are the model's atomic energies of the sampled environments. With X̃ = X/‖X‖
///    and Ỹ = Ŷ/‖Ŷ‖ (both parts then have unit trace), the PCovR covariance is
///    C̃ = α X̃ᵀX̃ + (1 − α) (X̃ᵀX̃)^{-1/2} X̃ᵀỸ ỸᵀX̃ (X̃ᵀX̃)^{-1/2}, and the contraction is
///    scikit-matter's feature-space projector P_XT = (X̃ᵀX̃)^{-1/2} V Λ^{1/2} (V, Λ: the leading
///    eigenpairs of C̃); see ``pcovrProjection(covariance:crossCovariance:mixing:tolerance:)``.
///    At α = 1 this is the PCA contraction V of the "optimal" basis.
///
/// Blocks with l > 0 keep the PCA contraction: their coefficients c_{s p l m} are equivariant,
/// and an invariant target such as the energy has no linear regression on them (averaged over
/// orientations the cross-covariance Σ_i c_{s p l m}(i) ε_i vanishes for l > 0), so PCovR would
/// add noise, not information.
extension RadialContraction {
    /// The supervision of a fit: the PCovR mixing α and the atomic-energy weights on the l = 0
    /// primitive coefficients, species-major (index s P + p over the sorted neighbour species).
    public struct Supervision: Hashable, Sendable {
        /// α in [0, 1]: 1 is PCA, 0 regression only.
        public var mixing: Double
        /// w_{s p}, species · P values.
        public var weights: [Double]

        public init(mixing: Double, weights: [Double]) {
            self.mixing = mixing
            self.weights = weights
        }
    }

    /// A fitted ridge regression of per-atom energies on the structure-averaged l = 0 primitive
    /// coefficients.
    public struct EnergyRegression: Hashable, Sendable {
        /// w_{s p}, species-major, eV per coefficient unit.
        public var weights: [Double]
        /// The intercept b, eV per atom.
        public var intercept: Double
        /// The ridge regularisation λ chosen by cross-validation (in units of tr(ZᵀZ)/d).
        public var relativeRegularisation: Double
        /// The cross-validated RMSE of the per-atom energy at that λ, eV/atom.
        public var validationRMSE: Double
        /// The number of structures regressed.
        public var structureCount: Int
    }

    /// The relative ridge regularisations tried (λ = t · tr(ZᵀZ)/d for each t), strongest first.
    static let ridgeGrid: [Double] = [1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]

    /// Fits the atomic-energy model of the supervised basis: ridge regression of E_A / n_A on
    /// z_A = (1/n_A) Σ_{i ∈ A} c_{s p 0 0}(i) (every centre atom of A; n_A its atom count), with
    /// z and E/n centred over the structures (the intercept b). λ is chosen from
    /// ``ridgeGrid`` (relative to tr(ZᵀZ)/d) by 5-fold cross-validation over the structures
    /// (fewer folds if fewer structures), split by a permutation seeded with `seed`; ties go to
    /// the stronger regularisation. Deterministic for any `threads`.
    ///
    /// - Throws: ``InputError`` (field `radial_basis`) with fewer than 2 structures.
    public static func energyRegression(
        _ hyperparameters: SOAPHyperparameters, primitiveCount: Int, structures: [Structure], energies: [Double],
        seed: UInt64, threads: Int = ThreadCount.current
    ) throws -> EnergyRegression {
        precondition(structures.count == energies.count, "one energy per structure")
        let n = structures.count
        guard n >= 2 else {
            throw InputError(file: SOAPCalculator.errorSource, field: "radial_basis", message: "the supervised radial basis regresses the training energies and needs at least 2 structures with an energy, found \(n)")
        }
        var parameters = hyperparameters
        parameters.nMax = primitiveCount
        parameters.lMax = 0
        let primitive: SOAPCalculator
        do {
            primitive = try SOAPCalculator(parameters)
        } catch var error as InputError {
            if error.field == "n_max" { error.field = "n_max_primitive" }
            throw error
        }
        let d = primitive.hyperparameters.neighbourSpecies.count * primitiveCount
        var z = [Double](repeating: 0, count: n * d)
        var failures = [Error?](repeating: nil, count: n)
        z.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { errors in
                parallelChunks(count: n, chunkCount: min(n, 64), threads: threads) { _, range in
                    for k in range {
                        do {
                            let expansion = try primitive.densityExpansion(structures[k], threads: 1)
                            // With l_max 0 the layout is one value per (species, p) channel.
                            precondition(expansion.featureCount == d, "l = 0 expansion has one value per channel")
                            let scale = 1 / Double(max(1, structures[k].count))
                            for row in 0..<expansion.centres.count {
                                for j in 0..<d { out[k * d + j] += expansion.values[row * d + j] * scale }
                            }
                        } catch {
                            errors[k] = error
                        }
                    }
                }
            }
        }
        if let error = failures.compactMap({ $0 }).first { throw error }
        let y = (0..<n).map { energies[$0] / Double(max(1, structures[$0].count)) }

        // Seeded fold assignment (Fisher-Yates permutation, position mod folds).
        let folds = min(5, n)
        var order = Array(0..<n)
        var generator = Xoshiro256StarStar(seed: seed)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, generator.nextInt(below: i + 1)) }
        var fold = [Int](repeating: 0, count: n)
        for (position, structure) in order.enumerated() { fold[structure] = position % folds }

        var errors = [Double](repeating: 0, count: ridgeGrid.count)
        for k in 0..<folds {
            let training = (0..<n).filter { fold[$0] != k }
            let model = try ridgeFits(z: z, y: y, width: d, rows: training)
            for test in (0..<n) where fold[test] == k {
                for (g, fit) in model.enumerated() {
                    var prediction = fit.intercept
                    for j in 0..<d { prediction += fit.weights[j] * z[test * d + j] }
                    errors[g] += (prediction - y[test]) * (prediction - y[test])
                }
            }
        }
        var best = 0
        for g in 1..<ridgeGrid.count where errors[g] < errors[best] { best = g }
        let full = try ridgeFits(z: z, y: y, width: d, rows: Array(0..<n), grid: [ridgeGrid[best]])[0]
        return EnergyRegression(
            weights: full.weights, intercept: full.intercept, relativeRegularisation: ridgeGrid[best],
            validationRMSE: (errors[best] / Double(n)).squareRoot(), structureCount: n)
    }

    /// Ridge fits of y on z (rows `rows`, centred over them) for each relative λ of `grid`.
    static func ridgeFits(
        z: [Double], y: [Double], width d: Int, rows: [Int], grid: [Double] = ridgeGrid
    ) throws -> [(weights: [Double], intercept: Double)] {
        let count = Double(rows.count)
        var mean = [Double](repeating: 0, count: d)
        var yMean = 0.0
        for r in rows {
            for j in 0..<d { mean[j] += z[r * d + j] / count }
            yMean += y[r] / count
        }
        var gram = Matrix(rows: d, columns: d)
        var zy = [Double](repeating: 0, count: d)
        for r in rows {
            for i in 0..<d {
                let zi = z[r * d + i] - mean[i]
                zy[i] += zi * (y[r] - yMean)
                for j in 0..<d { gram[i, j] += zi * (z[r * d + j] - mean[j]) }
            }
        }
        var trace = 0.0
        for i in 0..<d { trace += gram[i, i] }
        let e = try symmetricEigendecomposition(gram)
        // Vᵀ z·y once; each λ is then a diagonal scaling.
        var projected = [Double](repeating: 0, count: d)
        for k in 0..<d {
            for i in 0..<d { projected[k] += e.vectors[i, k] * zy[i] }
        }
        return grid.map { t in
            let lambda = max(t * trace / Double(d), Double.leastNormalMagnitude)
            var w = [Double](repeating: 0, count: d)
            for k in 0..<d {
                let c = projected[k] / (max(0, e.values[k]) + lambda)
                for i in 0..<d { w[i] += e.vectors[i, k] * c }
            }
            var b = yMean
            for j in 0..<d { b -= w[j] * mean[j] }
            return (w, b)
        }
    }

    /// The PCovR projector in feature space, exactly as scikit-matter's
    /// `PCovR(space="feature").pxt_` for X and Ŷ with C = XᵀX and B = XᵀŶ: with the eigenpairs
    /// of C above `tolerance` (absolute, as scikit-matter's `tol`), C^{-1/2} = U diag(v^{-1/2}) Uᵀ,
    /// C̃ = α C + (1 − α) (C^{-1/2} B)(C^{-1/2} B)ᵀ = V Λ Vᵀ (Λ descending), and
    /// P_XT = C^{-1/2} V Λ^{1/2} (columns with λ ≤ tolerance are zero).
    ///
    /// - Returns: P_XT (all d columns, by descending λ, row-major d x d) and Λ.
    public static func pcovrProjection(
        covariance c: Matrix, crossCovariance b: Matrix, mixing alpha: Double, tolerance: Double = 1e-12
    ) throws -> (projection: [Double], eigenvalues: [Double]) {
        let d = c.rows
        precondition(c.columns == d && b.rows == d, "C is d x d and B is d x t")
        let ec = try symmetricEigendecomposition(c)
        var inverseRoot = Matrix(rows: d, columns: d)
        for k in 0..<d where ec.values[k] > tolerance {
            let s = 1 / ec.values[k].squareRoot()
            for i in 0..<d {
                for j in 0..<d { inverseRoot[i, j] += ec.vectors[i, k] * s * ec.vectors[j, k] }
            }
        }
        let cy = inverseRoot * b
        var mixed = Matrix(rows: d, columns: d)
        for i in 0..<d {
            for j in 0..<d {
                var regression = 0.0
                for t in 0..<b.columns { regression += cy[i, t] * cy[j, t] }
                mixed[i, j] = alpha * c[i, j] + (1 - alpha) * regression
            }
        }
        let et = try symmetricEigendecomposition(mixed)
        var projection = [Double](repeating: 0, count: d * d)
        var values: [Double] = []
        for j in 0..<d {
            let source = d - 1 - j
            let lambda = et.values[source]
            values.append(lambda)
            guard lambda > tolerance else { continue }
            let root = lambda.squareRoot()
            for i in 0..<d {
                var sum = 0.0
                for k in 0..<d { sum += inverseRoot[i, k] * et.vectors[k, source] }
                projection[i * d + j] = sum * root
            }
        }
        return (projection, values)
    }

    /// The PCovR contraction of one l = 0 covariance block (`covariance`, the uncentred
    /// (1/N) Σ_i c cᵀ of the block, `rows` x `rows`) with the block's atomic-energy weights:
    /// the normalisation of the type's documentation (both parts unit trace), eigenvalues scaled
    /// back by tr(C) so that α = 1 gives the PCA eigenvalues. Nil when C or C w is zero (no
    /// neighbour of the block's species, or no weight on it): PCA then.
    static func supervisedBlock(
        covariance: Matrix, weights w: [Double], mixing: Double
    ) throws -> (projection: [Double], eigenvalues: [Double])? {
        try normalisedPCovR(covariance: covariance, mixing: mixing) { normalised, _ in
            let cw = normalised * w
            var wcw = 0.0
            for i in 0..<w.count { wcw += w[i] * cw[i] }
            return (cw, wcw)
        }
    }

    /// PCovR of the samples X behind the uncentred covariance C = (1/N) XᵀX (`covariance`) and
    /// a target Ŷ, normalised as the type's documentation says: X̃ = X/‖X‖ and Ỹ = Ŷ/‖Ŷ‖, so
    /// that both parts of C̃ have unit trace. `target` gets C/tr(C) and tr(C) and returns
    /// (1/N) XᵀŶ / tr(C) and (1/N) ŶᵀŶ / tr(C) (the cross-covariance and the target's squared
    /// norm in the units of C/tr(C)). The eigenvalues are scaled back by tr(C), so that α = 1
    /// gives PCA's. Nil when C is zero; a zero target leaves PCA.
    static func normalisedPCovR(
        covariance: Matrix, mixing: Double, target: (Matrix, Double) -> (cross: [Double], squaredNorm: Double)
    ) throws -> (projection: [Double], eigenvalues: [Double])? {
        let d = covariance.rows
        var trace = 0.0
        for i in 0..<d { trace += covariance[i, i] }
        guard trace > 0 else { return nil }
        var normalised = covariance
        for i in 0..<d {
            for j in 0..<d { normalised[i, j] /= trace }
        }
        let (b, squaredNorm) = target(normalised, trace)
        var cross = Matrix(rows: d, columns: 1)
        if squaredNorm > 0 {
            for i in 0..<d { cross[i, 0] = b[i] / squaredNorm.squareRoot() }
        }
        let result = try pcovrProjection(covariance: normalised, crossCovariance: cross, mixing: mixing)
        return (result.projection, result.eigenvalues.map { $0 * trace })
    }
}
