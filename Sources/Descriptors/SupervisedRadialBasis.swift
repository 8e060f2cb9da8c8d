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
///    z_A = (1/n_A) Σ_{i ∈ A} c_{· 0 0}(i), and with the `energy_forces` target also to the
///    forces it implies, F_j = −Σ_i ∂ε_i/∂r_j, rows weighted by the fit's σ
///    (``atomicEnergyRegression(_:primitiveCount:structures:labels:target:seed:threads:)``).
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

    /// What the atomic-energy model of a supervised basis or species mixing is regressed on
    /// (`supervised_target`).
    public enum Target: String, Hashable, Sendable, CaseIterable {
        /// The per-atom energies of the structures, each structure weighted alike.
        case energy
        /// The energies and the forces the model implies, each row weighted by the fit's σ.
        case energyForces = "energy_forces"
    }

    /// The labels of one structure for the regression, with the fit's σ of each.
    public struct StructureLabels: Sendable {
        /// Total energy, eV, if labelled.
        public var energy: Double?
        /// σ of the total energy, eV (the fit's, already scaled per atom where that applies).
        public var energySigma: Double
        /// Forces, eV/Å (3N, atom-major), if labelled.
        public var forces: [Double]?
        /// σ of each force component, eV/Å (3N; may be empty without forces).
        public var forceSigmas: [Double]

        public init(energy: Double?, energySigma: Double = 1, forces: [Double]? = nil, forceSigmas: [Double] = []) {
            self.energy = energy
            self.energySigma = energySigma
            self.forces = forces
            self.forceSigmas = forceSigmas
        }
    }

    /// A fitted ridge regression of per-atom energies (and forces) on the structure-averaged
    /// l = 0 primitive coefficients.
    public struct EnergyRegression: Hashable, Sendable {
        /// w_{s p}, species-major, eV per coefficient unit.
        public var weights: [Double]
        /// The intercept b, eV per atom.
        public var intercept: Double
        /// The ridge regularisation λ chosen by cross-validation (in units of tr(ZᵀZ)/d).
        public var relativeRegularisation: Double
        /// The cross-validated RMSE of the per-atom energy at that λ, eV/atom (0 without energies).
        public var validationRMSE: Double
        /// The number of structures regressed.
        public var structureCount: Int
        /// With the force target: the cross-validated RMS of the force residuals in units of
        /// their σ (dimensionless) at that λ; nil for the energy target.
        public var forceValidationResidual: Double? = nil
        /// The number of force components regressed (0 for the energy target).
        public var forceComponentCount: Int = 0
    }

    /// The relative ridge regularisations tried (λ = t · tr(ZᵀZ)/d for each t), strongest first.
    static let ridgeGrid: [Double] = [1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]

    /// The energy target of ``atomicEnergyRegression(_:primitiveCount:structures:labels:target:seed:threads:)``
    /// for structures that all have an energy.
    public static func energyRegression(
        _ hyperparameters: SOAPHyperparameters, primitiveCount: Int, structures: [Structure], energies: [Double],
        seed: UInt64, threads: Int = ThreadCount.current
    ) throws -> EnergyRegression {
        precondition(structures.count == energies.count, "one energy per structure")
        return try atomicEnergyRegression(
            hyperparameters, primitiveCount: primitiveCount, structures: structures, labels: energies.map { StructureLabels(energy: $0) },
            target: .energy, seed: seed, threads: threads)
    }

    /// Fits the atomic-energy model of the supervised basis, ε_i = Σ_{s p} w_{s p} c_{s p 0 0}(i) + b
    /// (every centre atom i; c the primitive coefficients), by ridge regression.
    ///
    /// - Energy rows: E_A / n_A = w · z_A + b with z_A = (1/n_A) Σ_{i ∈ A} c_{· 0 0}(i) (n_A the
    ///   structure's atom count), z and E/n centred over the structures (the intercept b).
    /// - Force rows (target ``Target/energyForces``): the model's forces are
    ///   F_j = −Σ_i ∂ε_i/∂r_j = w · g_j with g_j = −Σ_i ∂c_{· 0 0}(i)/∂r_j (no intercept), one
    ///   row per force component (the gradients are those of the radial spectrum, which is c_{·00}).
    ///
    /// With the energy target every structure with an energy gives one row of weight 1 (per-atom
    /// energies alike). With the force target every row is weighted as the GAP fit weights its
    /// observation: an energy row (residual in eV/atom) by n_A / σ_E(A) (σ_E of the total energy,
    /// so √n_A / σ_E per atom with `sigma_per_atom`), a force row by 1 / σ_F; structures with forces
    /// but no energy give force rows only. The normal equations of the force rows are accumulated
    /// per fold while the gradients are computed (memory: d² per fold, not the rows).
    ///
    /// λ is chosen from ``ridgeGrid`` (relative to tr(ZᵀZ)/d of the training rows) by 5-fold
    /// cross-validation over the structures (fewer folds if fewer structures), split by a
    /// permutation seeded with `seed`, minimising the held-out squared residuals (per-atom energy
    /// for the energy target; the weighted energy and force residuals for the force target); ties go
    /// to the stronger regularisation. Deterministic for any `threads`.
    ///
    /// - Throws: ``InputError`` (field `radial_basis`) with fewer than 2 structures with labels
    ///   of the target.
    public static func atomicEnergyRegression(
        _ hyperparameters: SOAPHyperparameters, primitiveCount: Int, structures all: [Structure], labels: [StructureLabels],
        target: Target, seed: UInt64, threads: Int = ThreadCount.current
    ) throws -> EnergyRegression {
        precondition(all.count == labels.count, "one label set per structure")
        let withForces = target == .energyForces
        let used = all.indices.filter { labels[$0].energy != nil || (withForces && labels[$0].forces != nil) }
        let n = used.count
        guard n >= 2 else {
            let what = withForces ? "the training energies and forces" : "the training energies"
            let has = withForces ? "an energy or forces" : "an energy"
            throw InputError(file: SOAPCalculator.errorSource, field: "radial_basis", message: "the supervised radial basis regresses \(what) and needs at least 2 structures with \(has), found \(n)")
        }
        let primitive = try primitiveCalculator(hyperparameters, primitiveCount: primitiveCount)
        let d = primitive.featureCount
        for k in used {
            if withForces, let f = labels[k].forces {
                precondition(f.count == 3 * all[k].count && labels[k].forceSigmas.count == f.count, "3N forces and σ")
            }
        }

        // Seeded fold assignment (Fisher-Yates permutation, position mod folds).
        let folds = min(5, n)
        var order = Array(0..<n)
        var generator = Xoshiro256StarStar(seed: seed)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, generator.nextInt(below: i + 1)) }
        var fold = [Int](repeating: 0, count: n)
        for (position, structure) in order.enumerated() { fold[structure] = position % folds }

        // z per structure; the force rows' normal equations per (chunk, fold): G (d²), Gᵀy (d),
        // yᵀy (1), summed over chunks in order afterwards so that threads do not matter.
        let chunkCount = min(n, 16)
        let sumWidth = d * d + d + 1
        var z = [Double](repeating: 0, count: n * d)
        var chunkSums = [Double](repeating: 0, count: withForces ? chunkCount * folds * sumWidth : 0)
        var forceComponents = [Int](repeating: 0, count: n)
        var failures = [Error?](repeating: nil, count: n)
        z.withUnsafeMutableBufferPointer { out in
            chunkSums.withUnsafeMutableBufferPointer { sums in
                forceComponents.withUnsafeMutableBufferPointer { components in
                    failures.withUnsafeMutableBufferPointer { errors in
                        parallelChunks(count: n, chunkCount: chunkCount, threads: threads) { chunk, range in
                            var block = DescriptorValues(featureCount: d, centres: [], values: [])
                            for k in range {
                                do {
                                    let forces = withForces ? labels[used[k]].forces : nil
                                    let (mean, rows) = try structureRows(primitive, all[used[k]], forceRows: forces != nil, block: &block)
                                    for j in 0..<d { out[k * d + j] = mean[j] }
                                    guard let forces else { continue }
                                    let sigmas = labels[used[k]].forceSigmas
                                    let base = (chunk * folds + fold[k]) * sumWidth
                                    for c in 0..<forces.count {
                                        let weight = 1 / sigmas[c]
                                        let y = forces[c] * weight
                                        for i in 0..<d {
                                            let gi = rows[c * d + i] * weight
                                            for j in 0..<d { sums[base + i * d + j] += gi * rows[c * d + j] * weight }
                                            sums[base + d * d + i] += gi * y
                                        }
                                        sums[base + d * d + d] += y * y
                                    }
                                    components[k] = forces.count
                                } catch {
                                    errors[k] = error
                                }
                            }
                        }
                    }
                }
            }
        }
        if let error = failures.compactMap({ $0 }).first { throw error }
        var foldForces = [[Double]](repeating: [Double](repeating: 0, count: withForces ? sumWidth : 0), count: folds)
        if withForces {
            for chunk in 0..<chunkCount {
                for f in 0..<folds {
                    for e in 0..<sumWidth { foldForces[f][e] += chunkSums[(chunk * folds + f) * sumWidth + e] }
                }
            }
        }

        // Energy rows: per-atom energies, weighted (force target) by (n_A / σ_E(A))².
        let energyRows = (0..<n).filter { labels[used[$0]].energy != nil }
        var y = [Double](repeating: 0, count: n)
        var rowWeights = [Double](repeating: 1, count: n)
        for k in energyRows {
            let atoms = Double(max(1, all[used[k]].count))
            y[k] = labels[used[k]].energy! / atoms
            if withForces {
                let root = atoms / labels[used[k]].energySigma
                rowWeights[k] = root * root
            }
        }
        let weights = withForces ? rowWeights : nil

        // The force rows' normal equations of the folds in `members`.
        func forceSums(_ members: [Int]) -> [Double]? {
            guard withForces else { return nil }
            var total = [Double](repeating: 0, count: sumWidth)
            for f in members {
                for e in 0..<sumWidth { total[e] += foldForces[f][e] }
            }
            return total
        }

        var energyErrors = [Double](repeating: 0, count: ridgeGrid.count)
        var weightedErrors = [Double](repeating: 0, count: ridgeGrid.count)
        var forceErrors = [Double](repeating: 0, count: ridgeGrid.count)
        for k in 0..<folds {
            let training = energyRows.filter { fold[$0] != k }
            let model = try ridgeFits(
                z: z, y: y, width: d, rows: training, rowWeights: weights, extra: forceSums((0..<folds).filter { $0 != k }))
            for test in energyRows where fold[test] == k {
                for (g, fit) in model.enumerated() {
                    var prediction = fit.intercept
                    for j in 0..<d { prediction += fit.weights[j] * z[test * d + j] }
                    energyErrors[g] += (prediction - y[test]) * (prediction - y[test])
                    weightedErrors[g] += rowWeights[test] * (prediction - y[test]) * (prediction - y[test])
                }
            }
            guard withForces else { continue }
            // Held-out force residual Σ (y − g·w)² = yᵀy − 2 w·Gᵀy + wᵀ G w (clamped at 0).
            let held = foldForces[k]
            for (g, fit) in model.enumerated() {
                let w = fit.weights
                var quadratic = 0.0, linear = 0.0
                for i in 0..<d {
                    var row = 0.0
                    for j in 0..<d { row += held[i * d + j] * w[j] }
                    quadratic += w[i] * row
                    linear += w[i] * held[d * d + i]
                }
                forceErrors[g] += max(0, held[d * d + d] - 2 * linear + quadratic)
            }
        }
        let score = withForces ? zip(weightedErrors, forceErrors).map { $0 + $1 } : energyErrors
        var best = 0
        for g in 1..<ridgeGrid.count where score[g] < score[best] { best = g }
        let full = try ridgeFits(
            z: z, y: y, width: d, rows: energyRows, rowWeights: weights, extra: forceSums(Array(0..<folds)), grid: [ridgeGrid[best]])[0]
        let componentCount = forceComponents.reduce(0, +)
        return EnergyRegression(
            weights: full.weights, intercept: full.intercept, relativeRegularisation: ridgeGrid[best],
            validationRMSE: energyRows.isEmpty ? 0 : (energyErrors[best] / Double(energyRows.count)).squareRoot(), structureCount: n,
            forceValidationResidual: withForces ? (componentCount > 0 ? (forceErrors[best] / Double(componentCount)).squareRoot() : 0) : nil,
            forceComponentCount: componentCount)
    }

    /// The l = 0 primitive coefficients c_{s p 0 0} with their gradients: the radial spectrum of
    /// `primitiveCount` QUIP functions, not normalised.
    static func primitiveCalculator(_ hyperparameters: SOAPHyperparameters, primitiveCount: Int) throws -> RadialSpectrumCalculator {
        var parameters = hyperparameters
        parameters.nMax = primitiveCount
        parameters.lMax = 0
        parameters.normalise = false
        do {
            return try RadialSpectrumCalculator(parameters)
        } catch var error as InputError {
            if error.field == "n_max" { error.field = "n_max_primitive" }
            throw error
        }
    }

    /// The regression rows of one structure A: z_A = (1/n_A) Σ_i c_{·00}(i) over its centres
    /// (d values), and with `forceRows` the rows of its force components,
    /// g_{jα} = −Σ_i ∂c_{·00}(i)/∂r_j^α (3 n_A x d, row-major, component 3 j + α; empty without).
    /// `block` is scratch memory, reused between calls; memory is bounded by 16 MB blocks of
    /// descriptor rows and the 3 n_A x d result.
    static func structureRows(
        _ primitive: RadialSpectrumCalculator, _ structure: Structure, forceRows: Bool, block: inout DescriptorValues
    ) throws -> (mean: [Double], forceRows: [Double]) {
        let d = primitive.featureCount
        var mean = [Double](repeating: 0, count: d)
        var rows = [Double](repeating: 0, count: forceRows ? 3 * structure.count * d : 0)
        let scale = 1 / Double(max(1, structure.count))
        try primitive.compute(
            structure, neighbours: nil, gradients: forceRows, strainGradients: false, threads: 1, blockBytes: 1 << 24, into: &block
        ) { b in
            for row in 0..<b.rowCount {
                for j in 0..<d { mean[j] += b.values[row * d + j] * scale }
            }
            guard forceRows else { return }
            // Every gradient entry of every centre, by the atom it moves.
            for (p, atom) in b.gradientAtoms.enumerated() {
                for a in 0..<3 {
                    let source = (p * 3 + a) * d, target = (Int(atom) * 3 + a) * d
                    for j in 0..<d { rows[target + j] -= b.gradientValues[source + j] }
                }
            }
        }
        return (mean, rows)
    }

    /// Ridge fits of y on z (rows `rows` with weights `rowWeights` (nil: 1), centred over them by
    /// those weights: the intercept) plus rows without intercept given by their normal equations
    /// `extra` (G row-major d x d, then Gᵀy; nil: none), for each relative λ of `grid`.
    static func ridgeFits(
        z: [Double], y: [Double], width d: Int, rows: [Int], rowWeights: [Double]? = nil, extra: [Double]? = nil,
        grid: [Double] = ridgeGrid
    ) throws -> [(weights: [Double], intercept: Double)] {
        var count = 0.0
        for r in rows { count += rowWeights?[r] ?? 1 }
        var mean = [Double](repeating: 0, count: d)
        var yMean = 0.0
        if count > 0 {
            for r in rows {
                let weight = rowWeights?[r] ?? 1
                for j in 0..<d { mean[j] += weight * z[r * d + j] / count }
                yMean += weight * y[r] / count
            }
        }
        var gram = Matrix(rows: d, columns: d)
        var zy = [Double](repeating: 0, count: d)
        for r in rows {
            let weight = rowWeights?[r] ?? 1
            for i in 0..<d {
                let zi = weight * (z[r * d + i] - mean[i])
                zy[i] += zi * (y[r] - yMean)
                for j in 0..<d { gram[i, j] += zi * (z[r * d + j] - mean[j]) }
            }
        }
        if let extra {
            for i in 0..<d {
                for j in 0..<d { gram[i, j] += extra[i * d + j] }
                zy[i] += extra[d * d + i]
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
