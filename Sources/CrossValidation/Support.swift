import Configuration
import Descriptors
import Parallelism
import Support
import Training
#if canImport(Glibc)
import Glibc
#endif

/// What determines a config's features (descriptor values, gradients, neighbour lists): two
/// configs with equal keys can share a ``FeatureCache``.
struct FeatureKey: Hashable {
    enum Term: Hashable {
        /// The correlation, hyper-parameters, and the fitted optimal radial basis and kept features if any.
        case soap(DensityCorrelation, SOAPHyperparameters, RadialContraction?, [Int]?)
        case pair
    }

    var cutoffRadius: Double
    var terms: [Term]

    /// The key of `trainer`'s features (its data-driven descriptors fitted, if it has any).
    init(trainer: Trainer, species: [Int]) throws {
        let specs = try trainer.termSpecifications(species: species)
        cutoffRadius = specs.map(\.cutoffRadius).max() ?? 0
        terms = specs.map { spec in
            switch spec {
            case .soap(let calculator, _):
                return .soap(
                    calculator.correlation, calculator.hyperparameters, calculator.radialContraction,
                    (calculator as? SOAPCalculator)?.selectedFeatures)
            case .distance2b: return .pair
            case .angle3b: return .pair
            }
        }
    }
}

/// Counts planned and finished fits, for progress lines with an ETA.
struct FitSchedule {
    var total: Int
    var done = 0
    var seconds = 0.0

    init(folds: Int, learningCurveFractions: Int, sweepValues: Int) {
        total = folds * (1 + learningCurveFractions + sweepValues)
    }

    /// The line printed before a fit.
    func describeNext(label: String, fold: Int, folds: Int, training: Int, test: Int) -> String {
        var line = "fit \(done + 1)/\(total) (\(label), fold \(fold + 1)/\(folds)): \(training) training frames, \(test) test frames"
        if done > 0 {
            // Rough: later fits of a learning curve are smaller than the average so far.
            line += "; elapsed \(formatDuration(seconds)), ETA \(formatDuration(seconds / Double(done) * Double(max(0, total - done))))"
        }
        return line
    }

    mutating func finished(seconds: Double) {
        done += 1
        self.seconds += seconds
    }
}

/// Wall-clock and CPU seconds of one phase.
public struct PhaseTime: Hashable, Sendable {
    /// What was timed.
    public var phase: String
    /// Wall-clock seconds.
    public var seconds: Double
    /// CPU seconds of the whole process (all threads, user + system) during the phase; on a
    /// shared machine this is steadier than wall time.
    public var cpuSeconds: Double

    /// Creates a record.
    public init(phase: String, seconds: Double, cpuSeconds: Double) {
        self.phase = phase
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
    }
}

/// Wall and CPU seconds between laps.
struct Stopwatch {
    private var last = monotonicSeconds()
    private var lastCPU = processCPUSeconds()

    /// The time since the previous lap (or creation), named `phase`.
    @discardableResult
    mutating func lap(_ phase: String = "") -> PhaseTime {
        let now = monotonicSeconds(), cpu = processCPUSeconds()
        defer { last = now; lastCPU = cpu }
        return PhaseTime(phase: phase, seconds: now - last, cpuSeconds: cpu - lastCPU)
    }
}
