import AtomicStructures
import Configuration
import Descriptors
import Kernels
import LinearAlgebra
import ModelFiles
import NeighbourLists
import Parallelism
import Prediction
import Support
import Training
#if canImport(Glibc)
import Glibc
#endif

/// Settings of a cross-validation run that are not part of the model config.
public struct CrossValidationOptions: Sendable {
    /// The number of folds K (≥ 2).
    public var folds: Int
    /// Seed of the fold assignment and learning-curve subsets; nil takes the config's `seed`.
    public var seed: UInt64?
    /// Memory budget, bytes: descriptors and gradients of every frame are kept in memory when
    /// they and one fit fit within it, and recomputed for every fold otherwise.
    public var maxMemoryBytes: Int
    /// Worker threads (results do not depend on it).
    public var threads: Int
    /// Progress on stderr (fold, phase, ETA).
    public var progress: ProgressReporter
    /// Training fractions of a learning curve (each in (0, 1]; 1, the main run, is always
    /// added); empty for no learning curve.
    public var learningCurveFractions: [Double]
    /// A sweep over one hyper-parameter, or nil.
    public var sweep: ParameterSweep?

    /// Creates options; the memory budget defaults to half of physical memory.
    public init(
        folds: Int = 5, seed: UInt64? = nil, maxMemoryBytes: Int? = nil, threads: Int = ThreadCount.current,
        progress: ProgressReporter = .silent, learningCurveFractions: [Double] = [], sweep: ParameterSweep? = nil
    ) {
        self.folds = folds
        self.seed = seed
        self.maxMemoryBytes = maxMemoryBytes ?? physicalMemoryBytes() / 2
        self.threads = max(1, threads)
        self.progress = progress
        self.learningCurveFractions = learningCurveFractions
        self.sweep = sweep
    }

    /// The learning-curve fractions used when a curve is asked for without a list.
    public static let defaultLearningCurveFractions = [0.1, 0.2, 0.4, 0.6, 0.8, 1.0]
}

/// One fold's fit and its out-of-fold errors.
public struct FoldOutcome: Sendable {
    /// The fold index (0-based).
    public var fold: Int
    /// Frames trained on (indices into the data), ascending.
    public var trainingFrames: [Int]
    /// Frames tested, ascending.
    public var testFrames: [Int]
    /// Errors on the test frames, per config type.
    public var statistics: ErrorStatistics
    /// The fold model's reference energies, eV per atom.
    public var e0: [Int: Double]
    /// Where each term's sparse points came from, with frame numbers of the whole data set.
    public var sparseSources: [[SparsePointSource]]
    /// Reciprocal condition estimate of the fit's triangular factor.
    public var reciprocalCondition: Double
    /// Seconds per fit phase, then "prediction".
    public var phaseSeconds: [(phase: String, seconds: Double)]
    /// CPU seconds of the fold (fit and prediction, all threads).
    public var cpuSeconds: Double

    /// Total seconds of the fold.
    public var seconds: Double { phaseSeconds.reduce(0) { $0 + $1.seconds } }
}

/// A K-fold evaluation of one config (the main run, a learning-curve point or a sweep value).
public struct CrossValidationRun: Sendable {
    /// What was evaluated, for reports (e.g. "main", "fraction 0.4", "n_sparse = 200").
    public var label: String
    /// Per fold, in fold order (empty if the run failed).
    public var folds: [FoldOutcome]
    /// Errors over every tested frame (frames in data order).
    public var pooled: ErrorStatistics
    /// Anything a reader must know (capped n_sparse, recomputed descriptors ...).
    public var notes: [String]
    /// Why the run failed, if it did (learning-curve and sweep points are allowed to fail).
    public var failure: String?

    /// Mean number of training frames per fold.
    public var meanTrainingFrames: Double {
        folds.isEmpty ? 0 : Double(folds.reduce(0) { $0 + $1.trainingFrames.count }) / Double(folds.count)
    }
}

/// How descriptors were provided to the folds.
public enum FeatureMode: Hashable, Sendable {
    /// Computed once and kept in memory (measured bytes).
    case cached(bytes: Int)
    /// Recomputed in every fold, because the estimate exceeded the budget.
    case recomputed
}

/// Memory figures of a run, bytes.
public struct MemoryRecord: Hashable, Sendable {
    /// The budget (`--max-memory`).
    public var budget: Int
    /// Estimated size of the descriptor cache.
    package var estimatedCache: Int
    /// Estimated peak of one fit on all frames (``FitPlan/peakBytes``).
    package var estimatedFit: Int
    /// Measured size of the cache's arrays (0 when not cached).
    package var measuredCache: Int
    /// Resident memory before computing the cache (nil when unavailable or not cached).
    package var residentBeforeCache: Int?
    /// Resident memory after computing the cache (nil when unavailable or not cached).
    package var residentAfterCache: Int?
    /// Peak resident memory of the process at the end (VmHWM; nil when unavailable).
    public var residentPeak: Int?
}

/// Everything a cross-validation produced: the report is written from this.
public struct CrossValidationResult: Sendable {
    /// The config that was cross-validated.
    public var config: TrainingConfig
    /// The data (frames with labels), in config order.
    public var data: TrainingData
    /// The folds.
    public var assignment: FoldAssignment
    /// The seed used for folds and subsets.
    public var seed: UInt64
    /// Worker threads.
    public var threads: Int
    /// The main K-fold run on the config as given.
    public var main: CrossValidationRun
    /// The out-of-fold prediction of every frame of the main run (nil for frames never tested).
    public var predictions: [Prediction?]
    /// Learning-curve points, by increasing fraction (fraction 1 is the main run).
    public var learningCurve: [(fraction: Double, run: CrossValidationRun)]
    /// The sweep, if one was asked for: the parameter and each value's run.
    public var sweep: (parameter: ParameterSweep, runs: [(value: String, run: CrossValidationRun)])?
    /// How descriptors were provided.
    public var featureMode: FeatureMode
    /// Memory figures.
    public var memory: MemoryRecord
    /// Seconds by phase of the whole command, in order.
    public var timings: [PhaseTime]
    /// Notes for the reader (also printed on stderr as they happen).
    public var notes: [String]
}

/// K-fold cross-validation of a training config: folds split by frame and stratified by config
/// type; descriptors and their gradients computed once and shared by every fold when memory
/// allows; sparse points chosen per fold from its training frames only.
public struct CrossValidation: Sendable {
    /// The config whose fit is cross-validated.
    public let config: TrainingConfig
    /// Its training data.
    public let data: TrainingData

    /// Creates a cross-validation of `config` on `data` (as read by ``TrainingData/load(_:progress:)``).
    public init(config: TrainingConfig, data: TrainingData) {
        self.config = config
        self.data = data
    }

    /// Runs the main K-fold cross-validation, then the learning curve and sweep if asked for.
    ///
    /// - Throws: ``InputError`` for settings that cannot be cross-validated (fewer testable
    ///   frames than folds, sparse points from an index file, bad sweep values) and whatever the
    ///   main fits throw. A failing learning-curve or sweep point is recorded, not thrown.
    public func run(_ options: CrossValidationOptions) throws -> CrossValidationResult {
        var engine = try Engine(config: config, data: data, options: options)
        return try engine.run()
    }
}

/// The state of one cross-validation command.
struct Engine {
    let config: TrainingConfig
    let data: TrainingData
    let options: CrossValidationOptions
    let seed: UInt64
    let species: [Int]
    let assignment: FoldAssignment
    let progress: ProgressReporter
    var cache: FeatureCache?
    var cacheKey: FeatureKey?
    /// Trainers with their data-driven descriptors (optimal radial basis, feature selection)
    /// fitted once to every frame, by canonical config: every fold of a config shares them.
    var fittedTrainers: [String: Trainer] = [:]
    /// How many times features were prepared (the first is the main config's).
    var cacheCount = 0
    var featureMode = FeatureMode.recomputed
    var memory: MemoryRecord
    var notes: [String] = []
    var timings: [PhaseTime] = []
    var clock = Stopwatch()
    var schedule: FitSchedule
    /// The config of each sweep value, validated before any work.
    var sweepConfigs: [TrainingConfig] = []

    init(config: TrainingConfig, data: TrainingData, options: CrossValidationOptions) throws {
        try Engine.checkCrossValidatable(config)
        self.config = config
        self.data = data
        self.options = options
        self.progress = options.progress
        seed = options.seed ?? config.seed
        species = data.speciesPresent
        // Provisional: the cutoff does not depend on data-driven descriptor parts.
        let specs = try Trainer(config: config).termSpecifications(species: species, provisional: true)
        let cutoff = specs.map(\.cutoffRadius).max() ?? 0
        let isolated = try FoldAssignment.isolatedAtoms(in: data.frames, cutoffRadius: cutoff)
        assignment = try FoldAssignment(frames: data.frames, foldCount: options.folds, seed: seed, alwaysTrain: isolated)
        memory = MemoryRecord(budget: options.maxMemoryBytes, estimatedCache: 0, estimatedFit: 0, measuredCache: 0)
        for value in options.learningCurveFractions where !(value > 0 && value <= 1) {
            throw InputError(file: "<command line>", field: "--fractions", message: "training fractions must lie in (0, 1], got \(value)")
        }
        if let sweep = options.sweep {
            sweepConfigs = try sweep.values.map { try sweep.config(value: $0, base: config) }
            for swept in sweepConfigs { try Engine.checkCrossValidatable(swept) }
        }
        schedule = FitSchedule(
            folds: options.folds, learningCurveFractions: options.learningCurveFractions.filter { $0 < 1 }.count,
            sweepValues: sweepConfigs.filter { $0.jsonValue != config.jsonValue }.count)
    }

    /// Index files name environments of the whole training set, some of which are test frames
    /// in a fold: they cannot choose a fold's sparse points.
    static func checkCrossValidatable(_ config: TrainingConfig) throws {
        for (i, term) in config.descriptors.enumerated() {
            let sparse: SparsePointsConfig
            switch term {
            case .soap(let t): sparse = t.sparse
            case .distance2b(let t): sparse = t.sparse
            case .angle3b(let t): sparse = t.sparse
            }
            if sparse.method == .indexFile {
                throw InputError(
                    file: config.sourceName, field: "descriptors[\(i)].sparse_method",
                    message: "sparse points from an index file cannot be cross-validated: the file names environments of the whole training set, and a fold must choose its sparse points from its own training frames only (use cur, fps or random)")
            }
        }
    }

    mutating func note(_ text: String) {
        notes.append(text)
        progress.note(text)
    }

    mutating func run() throws -> CrossValidationResult {
        let start = monotonicSeconds()
        let startCPU = processCPUSeconds()
        let always = assignment.alwaysTrainedFrames
        if !always.isEmpty {
            note("frames always in training, never tested (isolated atoms): \(always.map { data.frames[$0].structure.sourceDescription }.joined(separator: ", "))")
        }
        try prepareFeatures(for: config)
        let mainFeatureMode = featureMode
        let main = try runFolds(config: config, data: data, subsets: nil, label: "main", keepPredictions: true)
        timings.append(clock.lap("main cross-validation (\(assignment.foldCount) fits and predictions)"))
        var result = CrossValidationResult(
            config: config, data: data, assignment: assignment, seed: seed, threads: options.threads, main: main.run,
            predictions: main.predictions, learningCurve: [], sweep: nil, featureMode: mainFeatureMode, memory: memory,
            timings: [], notes: [])
        if !options.learningCurveFractions.isEmpty {
            clock.lap()
            result.learningCurve = try learningCurve(main: main.run)
            timings.append(clock.lap("learning curve"))
        }
        if let sweep = options.sweep {
            clock.lap()
            result.sweep = (sweep, try runSweep(sweep, main: main.run))
            timings.append(clock.lap("sweep over \(sweep.name)"))
        }
        timings.append(PhaseTime(phase: "total", seconds: monotonicSeconds() - start, cpuSeconds: processCPUSeconds() - startCPU))
        result.memory.residentPeak = residentPeakBytes()
        result.timings = timings
        result.notes = notes
        return result
    }

    // MARK: - Features

    /// The trainer of `config` with its data-driven descriptor parts fitted to every frame of
    /// the data (once per config). They use no labels, so fitting them to all frames leaks no
    /// test label into a fold; every fold then has the same descriptor, as the shared cache needs.
    mutating func trainer(for config: TrainingConfig) throws -> Trainer {
        let key = config.canonicalJSON(pretty: false)
        if let trainer = fittedTrainers[key] { return trainer }
        let plain = Trainer(config: config)
        // A supervised radial basis or species mixing is fitted to labels: each fold fits it to
        // its own training frames (in Trainer.fit), so no test label reaches the descriptor.
        if plain.hasLabelDependentDescriptors {
            note("\(config.sourceName): the supervised radial basis or species mixing uses training labels (energies, and forces with supervised_target energy_forces), so it is fitted to each fold's training frames (descriptors recomputed per fold)")
            fittedTrainers[key] = plain
            return plain
        }
        var trainer = plain
        // Configs that differ only in δ, ζ, σ or sparse points share one fitted descriptor.
        if !plain.hasFittedDescriptors, let shared = fittedTrainers.values.lazy.compactMap({ plain.adoptingFittedDescriptors(of: $0) }).first {
            trainer = shared
        } else if !plain.hasFittedDescriptors {
            clock.lap()
            trainer = try plain.fittingDescriptors(to: data, species: species, threads: options.threads)
            timings.append(clock.lap("optimal radial basis / feature selection (\(config.sourceName))"))
            note("\(config.sourceName): optimal radial basis / feature selection fitted once to all \(data.frames.count) frames (structures only, no labels); every fold uses them")
        }
        fittedTrainers[key] = trainer
        return trainer
    }

    /// Computes (or reuses) the descriptor cache for `config`, if it fits the budget.
    mutating func prepareFeatures(for config: TrainingConfig) throws {
        let trainer = try self.trainer(for: config)
        guard !trainer.hasLabelDependentDescriptors else {
            cache = nil
            cacheKey = nil
            featureMode = .recomputed
            return
        }
        let key = try FeatureKey(trainer: trainer, species: species)
        if key == cacheKey, cache != nil { return }
        cache = nil
        cacheKey = nil
        clock.lap()
        let estimate = try FeatureCache.estimatedBytes(data, species: species, trainer: trainer)
        let fitPeak = try FitPlan.make(config, data: data, options: FitOptions(threads: options.threads)).peakBytes
        // The record describes the main config's features; sweeps that change them say so in notes.
        let recording = cacheCount == 0
        cacheCount += 1
        if recording {
            memory.estimatedCache = estimate
            memory.estimatedFit = fitPeak
            timings.append(clock.lap("memory estimate"))
        }
        guard estimate + fitPeak <= options.maxMemoryBytes else {
            featureMode = .recomputed
            note("descriptors with gradients would take \(formatBytes(estimate)) (plus \(formatBytes(fitPeak)) for a fit), more than the budget of \(formatBytes(options.maxMemoryBytes)) (--max-memory): recomputing them in every fold instead of once")
            return
        }
        progress.note("caching descriptors and gradients of \(data.frames.count) frames: estimated \(formatBytes(estimate)) (budget \(formatBytes(options.maxMemoryBytes)))")
        let before = residentMemoryBytes()
        let computed = try FeatureCache.compute(data, species: species, trainer: trainer, threads: options.threads, progress: progress)
        if recording {
            memory.residentBeforeCache = before
            memory.residentAfterCache = residentMemoryBytes()
            memory.measuredCache = computed.byteCount
            timings.append(clock.lap("featurisation (descriptors and gradients of every frame)"))
        } else {
            note("new descriptors for \(config.sourceName): \(formatBytes(computed.byteCount)), computed in \(formatDuration(clock.lap("").seconds))")
        }
        featureMode = .cached(bytes: computed.byteCount)
        cache = computed
        cacheKey = key
    }

    // MARK: - Folds

    /// Runs every fold of `config`. `subsets[k]`, when given, replaces fold k's training frames.
    /// `folds`, when given, restricts the run to those folds (in that order).
    mutating func runFolds(
        config: TrainingConfig, data: TrainingData, subsets: [[Int]]?, label: String, keepPredictions: Bool,
        folds: [Int]? = nil
    ) throws -> (run: CrossValidationRun, predictions: [Prediction?]) {
        let trainer = try self.trainer(for: config)
        var outcomes: [FoldOutcome] = []
        var predictions = [Prediction?](repeating: nil, count: data.frames.count)
        for k in folds ?? Array(0..<assignment.foldCount) {
            let training = subsets?[k] ?? assignment.trainingFrames(k)
            let test = assignment.testFrames(k)
            let prefix = "\(label), fold \(k + 1)/\(assignment.foldCount): "
            progress.note(schedule.describeNext(label: label, fold: k, folds: assignment.foldCount, training: training.count, test: test.count))
            let started = monotonicSeconds()
            let startedCPU = processCPUSeconds()
            var foldData = data
            foldData.frames = training.map { data.frames[$0] }
            let fit = try trainer.fit(
                foldData, species: species, features: cache?.subset(training),
                options: FitOptions(threads: options.threads, progress: progress, phasePrefix: prefix))
            let predictStart = monotonicSeconds()
            let predicted = try predict(fit.potential, frames: test, data: data, phase: prefix + "predicting")
            var statistics = ErrorStatistics()
            for (i, f) in test.enumerated() {
                statistics.add(frame: data.frames[f], prediction: predicted[i])
                predictions[f] = predicted[i]
            }
            let sources = fit.sparseSources.map { term in
                term.map { source -> SparsePointSource in
                    if case .environment(let frame, let atom) = source { return .environment(frame: training[frame], atom: atom) }
                    return source
                }
            }
            var phases = fit.phaseSeconds
            phases.append(("prediction", monotonicSeconds() - predictStart))
            outcomes.append(FoldOutcome(
                fold: k, trainingFrames: training, testFrames: test, statistics: statistics, e0: fit.potential.e0,
                sparseSources: sources, reciprocalCondition: fit.reciprocalCondition, phaseSeconds: phases,
                cpuSeconds: processCPUSeconds() - startedCPU))
            schedule.finished(seconds: monotonicSeconds() - started)
        }
        // Pooled errors: every tested frame once, in data order.
        var pooled = ErrorStatistics()
        for (f, frame) in data.frames.enumerated() {
            if let p = predictions[f] { pooled.add(frame: frame, prediction: p) }
        }
        return (CrossValidationRun(label: label, folds: outcomes, pooled: pooled, notes: [], failure: nil), keepPredictions ? predictions : [])
    }

    /// Out-of-fold predictions of `frames`, in order, in parallel (identical for any thread count:
    /// frames are independent, and BLAS runs on one thread inside each, as in fits).
    func predict(_ potential: Potential, frames: [Int], data: TrainingData, phase: String) throws -> [Prediction] {
        let previousBLASThreads = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(previousBLASThreads) }
        var results = [Prediction?](repeating: nil, count: frames.count)
        var failures = [Error?](repeating: nil, count: frames.count)
        let threads = options.threads
        progress.begin(phase, total: frames.count, unit: "structures")
        results.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { errors in
                parallelChunks(count: frames.count, chunkCount: min(frames.count, 64 * threads), threads: threads) { _, range in
                    for i in range {
                        let f = frames[i]
                        let frame = data.frames[f]
                        do {
                            // Reverse mode, as gap-predict, whether or not descriptors are cached:
                            // predictions (and reports) do not depend on the memory budget.
                            out[i] = try potential.predict(frame.structure, forces: true, virial: frame.virial != nil)
                        } catch {
                            errors[i] = error
                        }
                        progress.advance()
                    }
                }
            }
        }
        progress.end()
        if let error = failures.compactMap({ $0 }).first { throw error }
        return results.map { $0! }
    }
}
