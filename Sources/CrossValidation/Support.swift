import Configuration
import Descriptors
import Parallelism
import Training
#if canImport(Glibc)
import Glibc
#endif

/// What determines a config's features (descriptor values, gradients, neighbour lists): two
/// configs with equal keys can share a ``FeatureCache``.
struct FeatureKey: Hashable {
    enum Term: Hashable {
        case soap(SOAPHyperparameters)
        case pair
    }

    var cutoffRadius: Double
    var terms: [Term]

    init(config: TrainingConfig, species: [Int]) throws {
        let specs = try Trainer(config: config).termSpecifications(species: species)
        cutoffRadius = specs.map(\.cutoffRadius).max() ?? 0
        terms = specs.map { spec in
            switch spec {
            case .soap(let calculator, _): return .soap(calculator.hyperparameters)
            case .distance2b: return .pair
            }
        }
    }
}

/// Counts planned and finished fits, for progress lines with an ETA.
struct FitSchedule {
    let total: Int
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

    mutating func finished(seconds: Double, trainingFrames: Int) {
        done += 1
        self.seconds += seconds
    }
}

/// Seconds between laps.
struct Stopwatch {
    private var last = monotonicSeconds()

    /// Seconds since the previous lap (or creation).
    @discardableResult
    mutating func lap() -> Double {
        let now = monotonicSeconds()
        defer { last = now }
        return now - last
    }
}

/// Physical memory in bytes (sysconf), or 8 GB if unknown.
public func physicalMemoryBytes() -> Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return 8 << 30 }
    return pages * size
}

/// Peak resident memory of this process (VmHWM in /proc/self/status), bytes.
public func residentPeakBytes() -> Int? {
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 512)
    while fgets(&buffer, 512, file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard line.hasPrefix("VmHWM:") else { continue }
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        guard fields.count >= 2, let kb = Int(fields[1]) else { return nil }
        return kb * 1024
    }
    return nil
}
