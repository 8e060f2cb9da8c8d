import AtomicStructures
import Configuration
import CrossValidation
import JSON
import Parallelism
import Prediction
import Support
import Training

/// What the search minimises: a weighted sum of out-of-fold MAEs, each divided by the base
/// config's (so 1 is "as good as the base config" whatever the units).
public struct TuningObjective: Hashable, Sendable {
    /// Weight of the energy MAE (meV/atom).
    public var energy: Double
    /// Weight of the force-component MAE (eV/Å).
    public var forces: Double
    /// Weight of the virial MAE (meV/atom); used only where frames have virials.
    public var virial: Double

    /// Creates an objective.
    public init(energy: Double = 1, forces: Double = 1, virial: Double = 0) {
        self.energy = energy
        self.forces = forces
        self.virial = virial
    }

    /// Parses `energy=1,forces=1,virial=0` (missing names weigh 0; at least one positive).
    public static func parse(_ text: String) throws -> TuningObjective {
        func fail(_ m: String) -> InputError { InputError(file: "<command line>", field: "--objective", message: m) }
        var o = TuningObjective(energy: 0, forces: 0, virial: 0)
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pieces.count == 2, let w = Double(pieces[1]), w >= 0, w.isFinite else { throw fail("expected NAME=WEIGHT pairs such as energy=1,forces=1, got \"\(part)\"") }
            switch pieces[0] {
            case "energy": o.energy = w
            case "forces": o.forces = w
            case "virial": o.virial = w
            default: throw fail("unknown error \"\(pieces[0])\" (energy, forces, virial)")
            }
        }
        guard o.energy + o.forces + o.virial > 0 else { throw fail("at least one weight must be positive") }
        return o
    }

    /// The text form (parses back to the same objective).
    public var text: String { "energy=\(energy),forces=\(forces),virial=\(virial)" }
}

/// The pooled out-of-fold MAEs of some folds.
public struct PooledErrors: Hashable, Sendable {
    /// Energy MAE, meV/atom (nil without energy labels).
    public var energy: Double?
    /// Force-component MAE, eV/Å.
    public var forces: Double?
    /// Virial MAE, meV/atom.
    public var virial: Double?

    /// Pools fold statistics.
    public init(_ folds: [ErrorStatistics]) {
        var all = ErrorStatistics()
        for f in folds { all.merge(f) }
        let g = all.overall
        energy = g.energy.mae
        forces = g.forceComponents.mae
        virial = g.virial.mae
    }

    /// The objective's value relative to `reference` (the base config's errors on all folds).
    public func score(_ objective: TuningObjective, reference: PooledErrors) -> Double {
        var total = 0.0, weights = 0.0
        for (w, x, r) in [(objective.energy, energy, reference.energy), (objective.forces, forces, reference.forces), (objective.virial, virial, reference.virial)] {
            guard w > 0, let r, r > 0 else { continue }
            guard let x else { return .infinity }
            total += w * x / r
            weights += w
        }
        return weights > 0 ? total / weights : .infinity
    }
}

/// Settings of a tuning run.
public struct TuningOptions: Sendable {
    /// The search (folds, budget, seed, η, bracket size).
    public var search: SearchSettings
    /// What is minimised.
    public var objective: TuningObjective
    /// Memory budget for cached descriptors, bytes (nil: half of physical memory).
    public var maxMemoryBytes: Int?
    /// Worker threads.
    public var threads: Int
    /// Progress on stderr.
    public var progress: ProgressReporter

    /// Creates options.
    public init(search: SearchSettings, objective: TuningObjective = TuningObjective(), maxMemoryBytes: Int? = nil, threads: Int = ThreadCount.current, progress: ProgressReporter = .silent) {
        self.search = search
        self.objective = objective
        self.maxMemoryBytes = maxMemoryBytes
        self.threads = threads
        self.progress = progress
    }
}

/// One evaluated point of a tuning run.
public struct TunedPoint: Sendable {
    /// Value indices, one per dimension.
    public var point: [Int]
    /// The bracket that sampled it (-1: the base config).
    public var bracket: Int
    /// Per evaluated fold (folds 0, 1, ... in order): errors on its test frames.
    public var folds: [ErrorStatistics]
    /// Seconds of each fold's fit and prediction.
    package var foldSeconds: [Double]
    /// Why it failed, if it did.
    public var failure: String?
    /// Pooled MAEs over its evaluated folds.
    public var pooled: PooledErrors { PooledErrors(folds) }
}

/// The result of a tuning run.
public struct TuningResult: Sendable {
    /// The base config (as given).
    public var base: TrainingConfig
    /// The searched space.
    public var space: SearchSpace
    /// The options.
    public var options: TuningOptions
    /// The seed of the fold assignment.
    package var foldSeed: UInt64
    /// Frames per fold's test set.
    package var testFramesPerFold: [Int]
    /// Every point, in the order first evaluated (the first is the base config).
    public var points: [TunedPoint]
    /// Index of the best point (all folds evaluated).
    public var best: Int
    /// The best point's config (validated).
    package var bestConfig: TrainingConfig
    /// Fits made, brackets run, why the search stopped.
    public var fits: Int
    public var brackets: Int
    public var stopReason: String
    /// Notes from the cross-validation engine.
    public var notes: [String]
    /// Wall seconds of the run.
    public var seconds: Double

    /// The base config's pooled errors on all folds (the objective's reference).
    public var reference: PooledErrors { points[0].pooled }

    /// A point's score on its first `folds` folds (nil if it has fewer or failed).
    public func score(_ index: Int, folds: Int) -> Double? {
        let p = points[index]
        guard p.failure == nil, p.folds.count >= folds else { return nil }
        return PooledErrors(Array(p.folds.prefix(folds))).score(options.objective, reference: reference)
    }
}

/// Tunes a training config's hyper-parameters by cross-validation on its own training data.
public struct Tuner {
    /// The base config: the search starts here.
    public let base: TrainingConfig
    /// Its training data.
    public let data: TrainingData
    /// The searched settings.
    public let space: SearchSpace

    /// Creates a tuner.
    public init(base: TrainingConfig, data: TrainingData, space: SearchSpace) {
        self.base = base
        self.data = data
        self.space = space
    }

    /// Facts about `data` the default space uses.
    public static func facts(of data: TrainingData) -> DataFacts {
        var types: [String] = []
        var counts: [String: Int] = [:]
        for f in data.frames {
            guard let t = f.configType else { continue }
            if counts[t] == nil { types.append(t) }
            counts[t, default: 0] += 1
        }
        return DataFacts(configTypes: types, framesPerConfigType: counts, hasVirials: data.frames.contains { $0.virial != nil }, atomCount: data.atomCount,
            speciesCount: data.speciesPresent.count)
    }

    /// The validated config of a point.
    public func config(_ point: [Int]) throws -> TrainingConfig {
        let json = try space.configJSON(point, base: base.jsonValue)
        let name = "\(base.sourceName) [" + (space.changes(point).isEmpty ? "base" : space.changes(point).joined(separator: ", ")) + "]"
        var config = try TrainingConfig.parse(bytes: Array(JSONWriter.write(json).utf8), name: name, baseDirectory: base.baseDirectory, checkFiles: false)
        config.sourceName = name
        return config
    }

    /// Runs the search.
    public func run(_ options: TuningOptions) throws -> TuningResult {
        let started = monotonicSeconds()
        let progress = options.progress
        let baseConfig = try config(space.basePoint)
        let cvOptions = CrossValidationOptions(
            folds: options.search.folds, seed: options.search.seed, maxMemoryBytes: options.maxMemoryBytes, threads: options.threads, progress: progress)
        var evaluator = try FoldEvaluator(base: baseConfig, data: data, options: cvOptions)
        evaluator.plannedFits = options.search.budgetFits ?? 0
        var configs: [[Int]: Result<TrainingConfig, Error>] = [:]
        var seconds: [[Int]: [Double]] = [:]
        var reference: PooledErrors?
        let search = SuccessiveHalving<ErrorStatistics>(valueCounts: space.dimensions.map(\.values.count), basePoint: space.basePoint, settings: options.search)
        let outcome = try search.run(
            evaluate: { point, fold in
                if configs[point] == nil { configs[point] = Result { try self.config(point) } }
                let pointConfig = try configs[point]!.get()
                let t0 = monotonicSeconds()
                let result = try evaluator.evaluate(pointConfig, folds: [fold], label: point == space.basePoint ? "base" : "candidate")
                seconds[point, default: []].append(monotonicSeconds() - t0)
                let errors = PooledErrors([result[0].statistics])
                let changes = space.changes(point)
                progress.note("tuning: fold \(fold + 1) of [\(changes.isEmpty ? "base" : changes.joined(separator: ", "))]: E MAE \(fixed(errors.energy, 3)) meV/atom, F MAE \(fixed(errors.forces, 4)) eV/Å")
                return result[0].statistics
            },
            score: { records in PooledErrors(records).score(options.objective, reference: reference!) },
            baseline: { reference = PooledErrors($0) },
            groupKey: { point in (try? configs[point]?.get()).map(Tuner.descriptorKey) ?? "" },
            seconds: monotonicSeconds,
            log: { progress.note("tuning: " + $0) })
        let points = outcome.points.map {
            TunedPoint(point: $0.point, bracket: $0.bracket, folds: $0.records, foldSeconds: seconds[$0.point] ?? [], failure: $0.failure)
        }
        let assignment = evaluator.assignment
        return TuningResult(
            base: base, space: space, options: options, foldSeed: evaluator.seed,
            testFramesPerFold: (0..<assignment.foldCount).map { assignment.testFrames($0).count }, points: points,
            best: outcome.best, bestConfig: try config(outcome.points[outcome.best].point), fits: outcome.fits, brackets: outcome.brackets,
            stopReason: outcome.stopReason, notes: evaluator.notes, seconds: monotonicSeconds() - started)
    }

    /// Configs with equal keys have equal descriptors (so share cached features): the descriptor
    /// terms without their regression settings.
    static func descriptorKey(_ config: TrainingConfig) -> String {
        guard case .object(let root) = config.jsonValue, case .array(let terms)? = root["descriptors"]?.kind else { return "" }
        let regression: Set<String> = ["delta", "zeta", "n_sparse", "sparse_method", "sparse_file", "theta_uniform"]
        let stripped = terms.map { term -> JSONValue in
            guard case .object(var o) = term.kind else { return term }
            o.members.removeAll { regression.contains($0.key) }
            return JSONValue(.object(o))
        }
        return JSONWriter.write(.array(stripped), pretty: false) + "|seed \(config.seed)"
    }
}
