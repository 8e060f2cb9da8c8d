import AtomicStructures
import Configuration
import Parallelism
import Support
import Training

/// Cross-validates many configs of one data set on the same folds, one fold at a time: what a
/// hyper-parameter search needs. Descriptors and gradients are computed once per distinct
/// descriptor (and kept while consecutive evaluations share it, so callers should group
/// evaluations by descriptor); an optimal radial basis is fitted once per distinct descriptor;
/// a fold's fit is exactly the one `gap-cv` makes for that fold.
public struct FoldEvaluator {
    var engine: Engine
    /// The frames with σ as each set of σ settings gives them (σ are read with the labels).
    var dataBySigmaSettings: [SigmaSettings: TrainingData] = [:]

    /// Sets up folds for `base` on `data` (the fold assignment depends only on the frames, the
    /// fold count and the seed, so every config evaluated later shares it).
    ///
    /// - Throws: ``InputError`` when `base` cannot be cross-validated (see ``CrossValidation``).
    public init(base: TrainingConfig, data: TrainingData, options: CrossValidationOptions) throws {
        var options = options
        options.learningCurveFractions = []
        options.sweep = nil
        engine = try Engine(config: base, data: data, options: options)
        dataBySigmaSettings[SigmaSettings(base)] = data
    }

    /// The folds.
    public var assignment: FoldAssignment { engine.assignment }

    /// The seed of the fold assignment.
    public var seed: UInt64 { engine.seed }

    /// Notes for a reader (descriptor caches recomputed, bases fitted), in order.
    public var notes: [String] { engine.notes }

    /// How many fits the progress lines announce in all (for their ETA).
    public var plannedFits: Int {
        get { engine.schedule.total }
        set { engine.schedule.total = newValue }
    }

    /// Fits `config` on the training frames of each of `folds` (0-based) and tests it on the
    /// fold's test frames; outcomes in the order of `folds`.
    ///
    /// - Throws: ``InputError`` for a config that cannot be cross-validated, and whatever the
    ///   fits throw (a search records these as failed points).
    public mutating func evaluate(_ config: TrainingConfig, folds: [Int], label: String) throws -> [FoldOutcome] {
        try Engine.checkCrossValidatable(config)
        for k in folds where !(0..<engine.assignment.foldCount).contains(k) {
            throw InputError(file: config.sourceName, field: nil, message: "fold \(k) does not exist (\(engine.assignment.foldCount) folds)")
        }
        let data = try self.data(for: config)
        try engine.prepareFeatures(for: config)
        return try engine.runFolds(config: config, data: data, subsets: nil, label: label, keepPredictions: false, folds: folds).run.folds
    }

    /// The training data with `config`'s σ: read again (as gap-train would) when its σ or label
    /// settings differ from every set seen so far.
    mutating func data(for config: TrainingConfig) throws -> TrainingData {
        let key = SigmaSettings(config)
        if let data = dataBySigmaSettings[key] { return data }
        let data = try TrainingData.load(config)
        guard data.frames.count == engine.data.frames.count else {
            throw InputError(file: config.sourceName, message: "this config reads \(data.frames.count) frames, the base config \(engine.data.frames.count)")
        }
        dataBySigmaSettings[key] = data
        return data
    }
}

/// The settings that decide the frames' labels and σ.
struct SigmaSettings: Hashable {
    var labelKeys: LabelKeys
    var defaultSigma: SigmaTriple
    var configTypeSigma: [String: SigmaTriple]
    var sigmaPerAtom: Bool
    var sigmaKeys: SigmaKeys

    init(_ config: TrainingConfig) {
        labelKeys = config.labelKeys
        defaultSigma = config.defaultSigma
        configTypeSigma = config.configTypeSigma
        sigmaPerAtom = config.sigmaPerAtom
        sigmaKeys = config.sigmaKeys
    }
}
