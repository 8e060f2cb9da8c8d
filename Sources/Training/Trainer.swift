import AtomicStructures
import Configuration
import Descriptors
import Kernels
import LinearAlgebra
import MessagePassing
import ModelFiles
import NeighbourLists
import Parallelism
import Prediction
import Selection
import Support

/// Options of a fit that are not part of the model (they never change the result).
public struct FitOptions: Sendable {
    /// Worker threads (the model is byte-identical for any value).
    public var threads: Int
    /// Largest number of design-matrix rows formed at once per worker; nil picks one from the
    /// sparse-point count so that a block stays near 64 MB.
    public var blockRows: Int?
    /// Progress reporting (silent by default).
    public var progress: ProgressReporter
    /// Put before every progress phase name, e.g. "fold 2/5: " (empty by default).
    public var phasePrefix: String
    /// Save progress here during the fit (nil: no checkpoints).
    public var checkpoint: CheckpointPolicy?
    /// Continue from this checkpoint instead of starting over (needs a matching `checkpoint`).
    public var resume: Checkpoint?
    /// Stop cleanly (after saving a checkpoint, if any) when SIGINT arrives; see ``Interruption``.
    public var stopsOnInterrupt: Bool
    /// The memory estimate the progress lines compare resident memory with, bytes (0: none).
    public var estimatedPeakBytes: Int
    /// The ranks the fit is shared between (``DistributedRun/world()`` under mpirun); a single
    /// process by default. Every rank calls ``Trainer/fit(_:species:features:options:)`` with the
    /// same config and data.
    public var communicator: any Communicator = SingleProcess()
    /// Over MPI: keep the triangular factor block-cyclically across the ranks (ScaLAPACK) instead
    /// of one M x M factor per rank, for M whose M² does not fit one rank. No checkpoints.
    public var distributedFactor = false
    /// With ``distributedFactor``: this rank's saved checkpoints (its latest and the one before)
    /// to continue from, at the last round every rank has saved (needs a matching `checkpoint`).
    public var distributedResume: [DistributedCheckpoint]?

    /// Creates fit options.
    public init(
        threads: Int = ThreadCount.current, blockRows: Int? = nil, progress: ProgressReporter = .silent, phasePrefix: String = "",
        checkpoint: CheckpointPolicy? = nil, resume: Checkpoint? = nil, stopsOnInterrupt: Bool = false, estimatedPeakBytes: Int = 0
    ) {
        self.threads = max(1, threads)
        self.blockRows = blockRows
        self.progress = progress
        self.phasePrefix = phasePrefix
        self.checkpoint = checkpoint
        self.resume = resume
        self.stopsOnInterrupt = stopsOnInterrupt
        self.estimatedPeakBytes = estimatedPeakBytes
    }

    /// The default block size for `columns` sparse points: blocks of about 64 MB (at least 256
    /// rows). Blocks only decide how many rows are formed at once: the model does not depend
    /// on them (see ``panelRows``).
    package static func defaultBlockRows(columns: Int) -> Int {
        max(256, (64 << 20) / max(1, 8 * columns))
    }

    /// Rows per QR panel: the design rows, in frame order, are folded into the triangular
    /// factor in panels of exactly this many rows (``PanelledLeastSquares``), so the model's
    /// bytes depend on the data and the config only, never on the block size, the memory budget
    /// or the thread count. A few hundred rows keep dtpqrt's updates matrix-matrix; changing it
    /// changes models at round-off level (and invalidates checkpoints, via their fingerprint).
    public static let panelRows = 512
}

/// One resolved model term before fitting: its descriptor and kernel settings.
public enum TermSpecification: Sendable {
    /// A soap, radial_spectrum or bispectrum term with its calculator.
    case soap(any DensityDescriptor, SOAPTermConfig)
    /// A distance_2b term for one species pair; the kernel carries no sparse points yet.
    case distance2b(PairDistanceKernel, Distance2BTermConfig)
    /// An angle_3b term for one species triplet; the kernel carries no sparse points yet.
    case angle3b(AngleTripletKernel, Angle3BTermConfig)

    /// The descriptor cutoff, Å.
    public var cutoffRadius: Double {
        switch self {
        case .soap(let calculator, _): return calculator.hyperparameters.cutoffRadius
        case .distance2b(let kernel, _): return kernel.cutoffRadius
        case .angle3b(let kernel, _): return kernel.cutoffRadius
        }
    }

    /// The sparse-point settings.
    public var sparse: SparsePointsConfig {
        switch self {
        case .soap(_, let c): return c.sparse
        case .distance2b(_, let c): return c.sparse
        case .angle3b(_, let c): return c.sparse
        }
    }

    /// The term without sparse points: enough to compute its features (which do not depend on
    /// sparse points), through the same code as the fitted term.
    package var probeTerm: any PotentialTerm {
        switch self {
        case .soap(let calculator, let c):
            return SOAPTerm(calculator: calculator, kernel: DotProductKernel(delta: c.delta, zeta: c.zeta, featureCount: calculator.featureCount, sparsePoints: []))
        case .distance2b(let kernel, _):
            return PairDistanceTerm(kernel: kernel)
        case .angle3b(let kernel, _):
            return AngleTripletTerm(kernel: kernel)
        }
    }
}

/// A fitted model with what was learnt along the way.
public struct FitResult: Sendable {
    /// The potential (e0, terms, α).
    public var potential: Potential
    /// Where each term's sparse points came from.
    public var sparseSources: [[SparsePointSource]]
    /// Reciprocal condition estimate of the final triangular factor (small means ill-conditioned).
    public var reciprocalCondition: Double
    /// Number of observations (design-matrix rows, excluding the K_MM rows).
    public var observationCount: Int
    /// Seconds per phase, in order.
    public var phaseSeconds: [(phase: String, seconds: Double)]
}

/// Fits a GAP model as gap_fit does (docs/gap_fit.md): minimise
/// ‖Λ^(−1/2)(K_NM α − y)‖² + αᵀ K_MM α by Householder QR of [Λ^(−1/2) K_NM; U] with K_MM = UᵀU,
/// never forming the normal equations.
///
/// The design matrix is never held whole: rows are formed in blocks of structures and folded
/// into an M x M triangular factor (TSQR), so memory is O(M² + one block) whatever the data size.
/// Blocks are formed in parallel and folded in a fixed order, with BLAS single-threaded, so the
/// model is bit-identical for any thread count.
public struct Trainer: Sendable {
    /// The validated config.
    public let config: TrainingConfig
    /// SOAP calculators of the data-driven soap terms (optimal radial basis, feature selection)
    /// once fitted, by resolved term index; see ``fittingDescriptors(to:species:threads:)``.
    public internal(set) var fittedSOAP: [Int: any DensityDescriptor] = [:]

    /// Creates a trainer for `config`.
    public init(config: TrainingConfig) {
        self.config = config
    }

    /// Resolves the model's terms against the species present in the data.
    ///
    /// Data-driven soap terms (optimal radial basis, feature selection) must have been fitted
    /// (``fittingDescriptors(to:species:threads:)``; ``fit(_:options:)`` does it) unless
    /// `provisional`, which gives them QUIP's basis with the configured n_max and every
    /// feature: right for sizes before fitting (``FitPlan``), never for computing descriptors.
    public func termSpecifications(species: [Int], provisional: Bool = false) throws -> [TermSpecification] {
        var specs: [TermSpecification] = []
        for (index, term) in try config.resolvedTerms(speciesPresent: species).enumerated() {
            switch term {
            case .soap(let hyperparameters, let termConfig):
                if termConfig.descriptor.isDataDriven && !provisional {
                    guard let fitted = fittedSOAP[index] else { throw TrainingError.descriptorNotFitted(term: "descriptors[\(index)]") }
                    specs.append(.soap(fitted, termConfig))
                    continue
                }
                do {
                    specs.append(.soap(try termConfig.descriptor.correlation.makeCalculator(hyperparameters), termConfig))
                } catch var error as InputError {
                    error.file = config.sourceName
                    error.field = "descriptors[\(index)].\(error.field ?? "")"
                    throw error
                }
            case .distance2b(let pair, let termConfig):
                let kernel = PairDistanceKernel(
                    cutoffRadius: termConfig.descriptor.cutoffRadius, transitionWidth: termConfig.descriptor.cutoffTransitionWidth,
                    theta: termConfig.theta, delta: termConfig.delta, species: pair,
                    sparseDistances: [])
                specs.append(.distance2b(kernel, termConfig))
            case .angle3b(let triplet, let termConfig):
                let descriptor = AngleTripletDescriptor(
                    cutoffRadius: termConfig.descriptor.cutoffRadius, transitionWidth: termConfig.descriptor.cutoffTransitionWidth,
                    species: triplet)
                let kernel = AngleTripletKernel(
                    descriptor: descriptor, theta: [Double](repeating: termConfig.theta, count: AngleTripletDescriptor.featureCount),
                    delta: termConfig.delta, sparsePoints: [], sparseWeights: [])
                specs.append(.angle3b(kernel, termConfig))
            }
        }
        return specs
    }

    /// Fits the model to `data`.
    ///
    /// - Parameters:
    ///   - species: the atomic numbers the terms are resolved against (species lists, pair terms,
    ///     e0); nil takes those present in `data`. Fits to subsets of one data set (cross-validation
    ///     folds) pass the whole set's, so that every fit has the same terms.
    ///   - features: precomputed features of exactly `data.frames` (``FeatureCache/subset(_:)``
    ///     picks a subset's), used instead of computing descriptors; they must have been computed
    ///     for the same terms and species. The model is byte-identical with and without them.
    public func fit(
        _ data: TrainingData, species: [Int]? = nil, features: FeatureCache? = nil, options: FitOptions = FitOptions()
    ) throws -> FitResult {
        let progress = options.progress
        var phases: [(String, Double)] = []
        var clock = monotonicSeconds()
        func lap(_ name: String) {
            let now = monotonicSeconds()
            phases.append((name, now - clock))
            clock = now
        }
        let previousBLASThreads = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(previousBLASThreads) }

        let species = features?.species ?? species ?? data.speciesPresent
        let distribution = FitDistribution(communicator: options.communicator, frames: data.frames)
        if distribution.isDistributed && features != nil {
            throw TrainingError.unsupported("precomputed features (cross-validation) in a fit over several MPI ranks")
        }
        // Data-driven descriptor parts (optimal radial basis, feature selection) first, unless
        // already fitted (then shared, e.g. by cross-validation folds). Precomputed features come
        // from a fitted trainer's descriptors, so they need one.
        if features != nil && !hasFittedDescriptors {
            throw TrainingError.descriptorNotFitted(term: "with precomputed features, every data-driven soap term")
        }
        let specs = try fittingDescriptors(to: data, species: species, threads: options.threads).termSpecifications(species: species)
        let cutoff = specs.map(\.cutoffRadius).max() ?? 0
        if let features {
            precondition(features.frames.count == data.frames.count, "precomputed features must be those of the fitted frames")
            precondition(features.cutoffRadius == cutoff && features.termCount == specs.count, "precomputed features are for other terms")
        }
        let e0 = try ReferenceEnergies.resolve(config, frames: data.frames, species: species, cutoffRadius: cutoff)
        if options.distributedFactor {
            return try fitWithDistributedFactor(specs, data: data, cutoff: cutoff, e0: e0, options: options, distribution: distribution, phases: phases)
        }

        // Pass 1 (or the checkpoint): the terms with their sparse points, and the QR started
        // with the rows U of K_MM + jitter = UᵀU.
        let (terms, sources, started, framesBefore) = try startOrResume(
            specs, data: data, features: features, cutoff: cutoff, e0: e0, options: options, distribution: distribution, lap: lap)
        var solver = consume started  // one reference to R: a second would copy it on the first fold
        let blockRows = options.blockRows ?? FitOptions.defaultBlockRows(columns: solver.columns)
        let columnOffsets = terms.reduce(into: [0]) { $0.append($0.last! + $1.sparseCount) }
        let checkpoints = CheckpointWriter(policy: options.checkpoint, progress: progress) {
            ModelFile(
                potential: Potential(e0: e0, terms: terms, alphas: terms.map { [Double](repeating: 0, count: $0.sparseCount) }),
                sparseSources: sources,
                provenance: ModelProvenance(config: config.jsonValue, trainingFiles: data.files, seed: config.seed, frameCount: data.frames.count, atomCount: data.atomCount, observationCount: 0))
        }
        if options.resume == nil { checkpoints.save(framesDone: distribution.share.lowerBound, solver: solver) }

        // Pass 2: every frame's weighted design rows, folded into the triangle.
        let pass = DesignPass(
            data: data, terms: terms, columnOffsets: columnOffsets, e0: e0, cutoff: cutoff, features: features,
            blockRows: blockRows, options: options, checkpoints: checkpoints)
        // Handed over, not copied: a second reference would copy R on the first fold.
        solver = try pass.run(from: framesBefore, to: distribution.share.upperBound, solver: consume solver)
        let observations = data.frames.reduce(0) { $0 + $1.observationCount }
        lap("design matrix and QR")
        // Over MPI: the ranks' factors combined on rank 0 (nil on the others).
        let combined = distribution.isDistributed ? try distribution.reduceFactors(solver.solver) : solver.solver
        if distribution.isDistributed { lap("TSQR over \(options.communicator.size) ranks") }

        var alpha: [Double] = []
        var reciprocalCondition = 0.0
        if let qr = combined {
            do {
                alpha = try qr.solve()
            } catch let error as LinearAlgebraError {
                throw TrainingError.rankDeficient(detail: explainColumn(error.index, terms: terms, sources: sources, offsets: columnOffsets) ?? error.message)
            }
            reciprocalCondition = qr.reciprocalConditionEstimate
        }
        if distribution.isDistributed {
            // Every rank returns the same potential (only rank 0's posterior factor).
            alpha = try options.communicator.broadcast(alpha)
            reciprocalCondition = try options.communicator.broadcast([reciprocalCondition])[0]
        }
        let alphas = (0..<terms.count).map { Array(alpha[columnOffsets[$0] ..< columnOffsets[$0 + 1]]) }
        var potential = Potential(e0: e0, terms: terms, alphas: alphas)
        if config.storesUncertainty, let qr = combined {
            // The same R whose solve gave α: RᵀR is the posterior precision of α.
            potential.posteriorFactor = PosteriorFactor(size: qr.columns, upperColumnMajor: qr.r.storage)
        }
        lap("solve")
        return FitResult(
            potential: potential, sparseSources: sources,
            reciprocalCondition: reciprocalCondition, observationCount: observations,
            phaseSeconds: phases)
    }

    /// Pass 1 of a fit: the terms with their sparse points and the QR started with K_MM's
    /// factor, or all of that (and the frames already folded in) from the checkpoint to resume.
    func startOrResume(
        _ specs: [TermSpecification], data: TrainingData, features: FeatureCache?, cutoff: Double, e0: [Int: Double],
        options: FitOptions, distribution: FitDistribution, lap: (String) -> Void
    ) throws -> (terms: [any PotentialTerm], sources: [[SparsePointSource]], solver: PanelledLeastSquares, framesBefore: Int) {
        if let checkpoint = options.resume {
            guard let policy = options.checkpoint, policy.fingerprint == checkpoint.fingerprint,
                  checkpoint.solver.panelRows == FitOptions.panelRows
            else {
                throw TrainingError.checkpointMismatch(path: options.checkpoint?.path ?? "")
            }
            guard checkpoint.model.potential.e0 == e0, checkpoint.model.potential.terms.count == specs.count,
                  distribution.share.contains(checkpoint.framesDone) || checkpoint.framesDone == distribution.share.upperBound
            else {
                throw TrainingError.checkpointMismatch(path: policy.path)
            }
            lap("resumed from checkpoint")
            return (checkpoint.model.potential.terms, checkpoint.model.sparseSources, checkpoint.solver, checkpoint.framesDone)
        }
        let (terms, sources) = try selectTerms(specs, data: data, features: features, cutoff: cutoff, options: options, distribution: distribution)
        lap("descriptors and sparse points")
        // Rank 0 alone holds the K_MM rows; the other ranks start from no rows.
        let start = distribution.rank == 0
            ? try startSolver(terms: terms, sources: sources)
            : IncrementalLeastSquares(columns: terms.reduce(0) { $0 + $1.sparseCount })
        let solver = PanelledLeastSquares(start, panelRows: FitOptions.panelRows)
        lap("sparse covariance")
        return (terms, sources, solver, distribution.share.lowerBound)
    }

    /// Pass 1: computes descriptor values, chooses each term's sparse points and returns the
    /// terms with their sparse points and where the points came from.
    func selectTerms(
        _ specs: [TermSpecification], data: TrainingData, features: FeatureCache?, cutoff: Double, options: FitOptions,
        distribution: FitDistribution
    ) throws -> ([any PotentialTerm], [[SparsePointSource]]) {
        var terms: [any PotentialTerm] = []
        var sources: [[SparsePointSource]] = []
        for (t, spec) in specs.enumerated() {
            switch spec {
            case .soap(let calculator, let termConfig):
                let compute = { (frames: [TrainingFrame]) in
                    try EnvironmentMatrix.compute(
                        spec.probeTerm, calculator: calculator, frames: frames, cutoffRadius: cutoff, threads: options.threads,
                        progress: options.progress, phase: options.phasePrefix + "descriptors")
                }
                // Over MPI only rank 0 holds every environment (and selects); nil on the others.
                let environments: EnvironmentMatrix?
                if let features {
                    environments = try EnvironmentMatrix.gather(calculator, termIndex: t, frames: data.frames, features: features)
                } else if distribution.isDistributed {
                    environments = try distribution.gatherEnvironments(calculator, frames: data.frames, compute: compute)
                } else {
                    environments = try compute(data.frames)
                }
                let f = calculator.featureCount
                var points = [Double]()
                var pointSources: [SparsePointSource] = []
                if let environments {
                    let selected = try selectSparsePoints(termConfig.sparse, from: environments, termIndex: t, threads: options.threads)
                    points.reserveCapacity(selected.count * f)
                    for row in selected { points.append(contentsOf: environments.matrix.values[(row * f)..<((row + 1) * f)]) }
                    pointSources = selected.map { environments.origins[$0] }
                }
                if distribution.isDistributed {
                    (points, pointSources) = try distribution.broadcastSparsePoints(points, sources: pointSources)
                }
                let kernel = DotProductKernel(delta: termConfig.delta, zeta: termConfig.zeta, featureCount: f, sparsePoints: points)
                terms.append(SOAPTerm(calculator: calculator, kernel: kernel))
                sources.append(pointSources)
            case .distance2b(let probe, let termConfig):
                let (distances, origins) = try Trainer.pairDistances(probe, frames: data.frames)
                let matrix = FeatureMatrix(rowCount: distances.count, featureCount: 1, values: distances)
                let points: [Double]
                let pointSources: [SparsePointSource]
                if termConfig.sparse.method == .uniform {
                    do {
                        points = try UniformSelection(count: termConfig.sparse.count!).points(spanning: distances)
                    } catch let error as SelectionError {
                        throw InputError(file: config.sourceName, field: "descriptors[\(t)].n_sparse", message: "\(error) (the training data has \(distances.count) pair distances for \(PairDistanceTerm(kernel: probe).name))")
                    }
                    pointSources = points.map { _ in .synthetic }
                } else {
                    let selected = try selectSparsePoints(termConfig.sparse, from: EnvironmentMatrix(matrix: matrix, origins: origins), termIndex: t, threads: options.threads)
                    points = selected.map { distances[$0] }
                    pointSources = selected.map { origins[$0] }
                }
                let kernel = PairDistanceKernel(
                    cutoffRadius: probe.cutoffRadius, transitionWidth: probe.transitionWidth, theta: probe.theta,
                    delta: probe.delta, species: probe.species, sparseDistances: points)
                terms.append(PairDistanceTerm(kernel: kernel))
                sources.append(pointSources)
            case .angle3b(let probe, let termConfig):
                let pool = try Trainer.triplets(probe.descriptor, frames: data.frames)
                let f = AngleTripletDescriptor.featureCount
                let matrix = FeatureMatrix(rowCount: pool.weights.count, featureCount: f, values: pool.features)
                let selected = try selectSparsePoints(
                    termConfig.sparse, from: EnvironmentMatrix(matrix: matrix, origins: pool.origins), termIndex: t,
                    threads: options.threads, describingRows: "triplets for \(AngleTripletTerm(kernel: probe).name)")
                var points: [Double] = []
                points.reserveCapacity(selected.count * f)
                for row in selected { points += pool.features[(row * f)..<((row + 1) * f)] }
                let kernel = AngleTripletKernel(
                    descriptor: probe.descriptor, theta: probe.theta, delta: probe.delta,
                    sparsePoints: points, sparseWeights: selected.map { pool.weights[$0] })
                terms.append(AngleTripletTerm(kernel: kernel))
                sources.append(selected.map { pool.origins[$0] })
            }
        }
        return (terms, sources)
    }

    /// The QR state holding the rows U of K_MM + jitter = UᵀU (block diagonal over terms),
    /// with a failure of K_MM explained by the sparse points involved.
    func startSolver(terms: [any PotentialTerm], sources: [[SparsePointSource]]) throws -> IncrementalLeastSquares {
        let u = try sparseCovarianceRows(terms: terms, sources: sources)
        return try IncrementalLeastSquares(upperTriangularRows: u, targets: [Double](repeating: 0, count: u.rows))
    }

    /// The rows U of K_MM + jitter = UᵀU (upper triangular, block diagonal over terms).
    func sparseCovarianceRows(terms: [any PotentialTerm], sources: [[SparsePointSource]]) throws -> Matrix {
        let columnOffsets = terms.reduce(into: [0]) { $0.append($0.last! + $1.sparseCount) }
        let m = columnOffsets.last!
        var u = Matrix(rows: m, columns: m)
        for (t, term) in terms.enumerated() {
            let size = term.sparseCount
            let covariance = term.sparseCovariance()
            var block = Matrix(rows: size, columns: size, columnMajor: covariance)
            for i in 0..<size { block[i, i] += config.sparseJitter }
            let lower: Matrix
            do {
                lower = try choleskyLower(block)
            } catch let error as LinearAlgebraError {
                throw TrainingError.sparseCovarianceNotPositiveDefinite(
                    term: "descriptors[\(t)] (\(term.name))",
                    detail: Trainer.explainSparseCovariance(covariance, size: size, failedAt: error.index, sources: sources[t]),
                    jitter: config.sparseJitter)
            }
            for j in 0..<size {
                for i in j..<size { u[columnOffsets[t] + j, columnOffsets[t] + i] = lower[i, j] }
            }
        }
        return u
    }

    /// Why K_MM is not positive definite: the sparse point where the factorisation broke down and
    /// the earlier sparse point most similar to it (normalised covariance near 1 means duplicates).
    static func explainSparseCovariance(_ k: [Double], size: Int, failedAt index: Int?, sources: [SparsePointSource]) -> String {
        guard let index, index >= 0, index < size else { return "the Cholesky factorisation failed" }
        func describe(_ i: Int) -> String {
            switch i < sources.count ? sources[i] : .synthetic {
            case .environment(let frame, let atom): return "sparse point \(i) (training frame \(frame), atom \(atom))"
            case .synthetic: return "sparse point \(i)"
            }
        }
        var text = "the factorisation breaks down at \(describe(index)), which is a linear combination of the points before it"
        var best = -1
        var bestSimilarity = -Double.infinity
        for j in 0..<index {
            let denominator = (k[index + index * size] * k[j + j * size]).squareRoot()
            guard denominator > 0 else { continue }
            let similarity = k[index + j * size] / denominator
            if similarity > bestSimilarity { (best, bestSimilarity) = (j, similarity) }
        }
        if best >= 0 {
            text += "; the most similar earlier one is \(describe(best)), with normalised covariance \(bestSimilarity)"
            if bestSimilarity > 1 - 1e-12 { text += " (the two are duplicates, e.g. identical environments in duplicate frames)" }
        }
        return text
    }

    /// Which term and sparse point a design-matrix column is, for rank-deficiency messages.
    func explainColumn(_ column: Int?, terms: [any PotentialTerm], sources: [[SparsePointSource]], offsets: [Int]) -> String? {
        guard let column, let t = (0..<terms.count).first(where: { offsets[$0] <= column && column < offsets[$0 + 1] }) else { return nil }
        let local = column - offsets[t]
        var text = "the column of sparse point \(local) of descriptors[\(t)] (\(terms[t].name))"
        if local < sources[t].count, case .environment(let frame, let atom) = sources[t][local] {
            text += ", training frame \(frame), atom \(atom),"
        }
        return text + " is a linear combination of the columns before it"
    }

    /// Every ordered-pair distance of a pair term in the training data (frame order, then
    /// centre-major), with the frame and centre atom of each.
    static func pairDistances(_ probe: PairDistanceKernel, frames: [TrainingFrame]) throws -> ([Double], [SparsePointSource]) {
        var distances: [Double] = []
        var origins: [SparsePointSource] = []
        for (f, frame) in frames.enumerated() {
            let list = try NeighbourList(frame.structure, cutoffRadius: probe.cutoffRadius)
            for centre in 0..<frame.atomCount {
                // Centre by centre, so each distance can be traced to its frame and centre atom.
                for p in list.pairRange(of: centre) {
                    let z1 = frame.structure.atomicNumbers[centre]
                    let z2 = frame.structure.atomicNumbers[Int(list.neighbours[p])]
                    if probe.species.includes(z1, z2) {
                        distances.append(list.distances[p])
                        origins.append(.environment(frame: f, atom: centre))
                    }
                }
            }
        }
        return (distances, origins)
    }

    /// Every triplet of an angle_3b term in the training data (frame order, then as
    /// ``AngleTripletDescriptor/forEachTriplet(in:neighbours:_:)``): features (rows of 3),
    /// cutoff weights, and the frame and centre atom of each.
    static func triplets(_ descriptor: AngleTripletDescriptor, frames: [TrainingFrame]) throws -> (features: [Double], weights: [Double], origins: [SparsePointSource]) {
        var features: [Double] = [], weights: [Double] = []
        var origins: [SparsePointSource] = []
        for (f, frame) in frames.enumerated() {
            let list = try NeighbourList(frame.structure, cutoffRadius: descriptor.cutoffRadius)
            let t = descriptor.triplets(in: frame.structure, neighbours: list)
            features += t.features
            weights += t.weights
            origins += t.centres.map { .environment(frame: f, atom: $0) }
        }
        return (features, weights, origins)
    }

    /// Splits frames `first ..< end` (default: to the last) into consecutive batches of at most `maxRows` observations (a
    /// frame larger than that gets a batch of its own). Batches only decide how many rows are
    /// formed at once; the rows are folded in fixed panels whatever the batches.
    static func batches(_ frames: [TrainingFrame], from first: Int = 0, to end: Int? = nil, maxRows: Int) -> [Range<Int>] {
        let end = end ?? frames.count
        var result: [Range<Int>] = []
        var start = first
        var rows = 0
        for i in first..<end {
            let r = frames[i].observationCount
            if rows > 0 && rows + r > maxRows {
                result.append(start ..< i)
                start = i
                rows = 0
            }
            rows += r
        }
        if start < end { result.append(start ..< end) }
        return result
    }

    /// The weighted design rows and targets of a batch of frames (from `features` when given:
    /// those of `frames`, index for index).
    static func designBlock(
        frames: [TrainingFrame], range: Range<Int>, terms: [any PotentialTerm], columnOffsets: [Int],
        e0: [Int: Double], cutoff: Double, features: FeatureCache? = nil
    ) throws -> (DesignBlock, [Double]) {
        let rowCount = frames[range].reduce(0) { $0 + $1.observationCount }
        var block = DesignBlock(rowCount: rowCount, columnCount: columnOffsets.last!)
        var targets = [Double](repeating: 0, count: rowCount)
        var weights = [Double](repeating: 0, count: rowCount)
        // Descriptor memory reused from frame to frame of the batch (see PotentialTerm.features(reusing:)).
        var buffers = [TermFeatures?](repeating: nil, count: terms.count)
        var row = 0
        for f in range {
            let frame = frames[f]
            var layout = DesignRowLayout()
            if let energy = frame.energy {
                layout.energy = row
                targets[row] = energy - frame.structure.atomicNumbers.reduce(0) { $0 + e0[$1]! }
                weights[row] = 1 / frame.energySigma
                row += 1
            }
            if let forces = frame.forces {
                layout.forces = row
                for i in 0..<forces.count {
                    targets[row + i] = forces[i]
                    weights[row + i] = 1 / frame.forceSigmas[i]
                }
                row += forces.count
            }
            if let virial = frame.virial {
                layout.virial = row
                for (c, ab) in DesignRowLayout.virialComponents.enumerated() {
                    targets[row + c] = virial[ab]
                    weights[row + c] = 1 / frame.virialSigma
                }
                row += 6
            }
            if let cached = features?.frames[f] {
                for (t, term) in terms.enumerated() {
                    try term.addDesignRows(
                        from: cached.terms[t], structure: frame.structure, neighbours: cached.neighbours, rows: layout, into: &block,
                        columnOffset: columnOffsets[t])
                }
            } else {
                let list = try NeighbourList(frame.structure, cutoffRadius: cutoff)
                for (t, term) in terms.enumerated() {
                    let features = try term.features(
                        of: frame.structure, neighbours: list, gradients: layout.forces != nil, strainGradients: layout.virial != nil,
                        reusing: &buffers[t])
                    try term.addDesignRows(
                        from: features, structure: frame.structure, neighbours: list, rows: layout, into: &block, columnOffset: columnOffsets[t])
                    buffers[t] = features
                }
            }
        }
        block.scaleRows(by: weights)
        for i in 0..<rowCount { targets[i] *= weights[i] }
        return (block, targets)
    }

    /// Chooses a term's sparse points (row indices into the environment matrix, sorted).
    /// `uniform` is gap_fit's binned rule over the data rows (angle_3b); distance_2b's evenly
    /// spaced distances are not data rows and are made by its own branch. `describingRows` names
    /// the rows in errors.
    func selectSparsePoints(
        _ sparse: SparsePointsConfig, from environments: EnvironmentMatrix, termIndex: Int, threads: Int,
        describingRows rowsName: String = "environments for this term"
    ) throws -> [Int] {
        let field = "descriptors[\(termIndex)].n_sparse"
        let rows = environments.matrix.rowCount
        do {
            switch sparse.method {
            case .cur:
                return try CURSelection(count: sparse.count!, seed: config.seed, variant: .sampledLeverage).select(from: environments.matrix, threads: threads)
            case .curIterative:
                return try CURSelection(count: sparse.count!, seed: config.seed, variant: .iterative).select(from: environments.matrix, threads: threads)
            case .fps:
                return try FPSSelection(count: sparse.count!).select(from: environments.matrix, threads: threads)
            case .random:
                return try RandomSelection(count: sparse.count!, seed: config.seed).select(fromRowCount: rows)
            case .indexFile:
                let indices = try SparseIndexFile.read(path: config.resolvePath(sparse.file!), base: .oneBased, rowCount: rows)
                if let count = sparse.count, count != indices.count {
                    throw InputError(file: config.sourceName, field: field, message: "n_sparse is \(count) but \(sparse.file!) lists \(indices.count) environments")
                }
                return indices.sorted()
            case .uniform:
                return try BinnedUniformSelection(count: sparse.count!, seed: config.seed).select(from: environments.matrix)
            }
        } catch let error as SelectionError {
            throw InputError(file: config.sourceName, field: field, message: "\(error) (the training data has \(rows) \(rowsName))")
        }
    }
}
