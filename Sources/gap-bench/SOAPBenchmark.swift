import ArgumentParser
import AtomicStructures
import Descriptors
import Foundation
import NeighbourLists
import Parallelism
import Support

/// `gap-bench soap FILE...`: times the SOAP descriptor (values alone, and values with position
/// gradients) per atom on the first frame of each extended XYZ file, neighbour list included (its
/// cell-list construction is also timed alone and reported). Driven by
/// Benchmarks/soap_benchmark.py, which also times featomic, dscribe and quippy on the same files.
struct SOAPBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soap",
        abstract: "Time SOAP values and values+gradients per atom (use a release build)."
    )

    @Argument(help: "Extended XYZ files (the first frame of each is used).")
    var files: [String]

    @Option(name: .customLong("n-max"), parsing: .upToNextOption, help: "n_max values, paired with --l-max.")
    var nMax: [Int] = [8]

    @Option(name: .customLong("l-max"), parsing: .upToNextOption, help: "l_max values, paired with --n-max.")
    var lMax: [Int] = [6]

    @Option(help: "Cutoff radius (Å).")
    var cutoff = 5.0

    @Option(name: .customLong("transition-width"), help: "Cutoff transition width (Å).")
    var transitionWidth = 1.0

    @Option(name: .customLong("atom-sigma"), help: "Gaussian width σ (Å).")
    var atomSigma = 0.5

    @Option(parsing: .upToNextOption, help: "Thread counts to time.")
    var threads: [Int] = [1]

    @Option(help: "Timed repetitions per measurement (the fastest is reported).")
    var repeats = 3

    @Option(parsing: .upToNextOption, help: "What to time: values, gradients (values + position gradients), strain (values + position and strain gradients).")
    var modes: [String] = ["values", "gradients"]

    @Flag(help: "Also time each mode with one output reused across calls (no page faults).")
    var reuse = false

    @Flag(help: "Print one JSON object per measurement instead of a table.")
    var json = false

    func validate() throws {
        guard nMax.count == lMax.count else { throw ValidationError("--n-max and --l-max need the same number of values") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard threads.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--threads must be positive") }
        for mode in modes where !["values", "gradients", "strain"].contains(mode) {
            throw ValidationError("unknown mode \(mode); use values, gradients or strain")
        }
    }

    func run() throws {
        if !json {
            print("| structure | atoms | n_max | l_max | threads | mode | µs/atom (wall) | CPU µs/atom | of which neighbour list µs/atom |")
            print("|---|---:|---:|---:|---:|---|---:|---:|---:|")
        }
        for file in files {
            let structure = try readFirstFrame(file)
            let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            for (n, l) in zip(nMax, lMax) {
                let species = structure.speciesPresent
                let h = SOAPHyperparameters(
                    cutoffRadius: cutoff, cutoffTransitionWidth: transitionWidth, nMax: n, lMax: l, atomSigma: atomSigma,
                    neighbourSpecies: species, centreSpecies: species)
                let setupStart = benchmarkClock()
                let calculator = try SOAPCalculator(h)
                let setupSeconds = benchmarkClock() - setupStart
                // Each timed call builds its own neighbour list (cell list), as the peers do; the
                // list alone is also timed and reported.
                let listSeconds = try fastest(repeats) { _ = try NeighbourList(structure, cutoffRadius: cutoff) }
                let known: [String: (String, Bool, Bool)] = [
                    "values": ("values", false, false), "gradients": ("values+gradients", true, false),
                    "strain": ("values+gradients+strain", true, true),
                ]
                var runs: [(String, Bool, Bool, Bool)] = []
                for (mode, gradients, strainGradients) in modes.compactMap({ known[$0] }) {
                    runs.append((mode, gradients, strainGradients, false))
                    if reuse { runs.append((mode + " (reused output)", gradients, strainGradients, true)) }
                }
                for threadCount in threads {
                    for (mode, gradients, strainGradients, reuseOutput) in runs {
                        var output = DescriptorValues(featureCount: 0, centres: [], values: [])
                        if reuseOutput {
                            // Untimed first call: allocates (and maps) the output that later calls reuse.
                            try calculator.compute(
                                structure, gradients: gradients, strainGradients: strainGradients, threads: threadCount,
                                into: &output)
                        }
                        let seconds = try fastest(repeats) {
                            if reuseOutput {
                                try calculator.compute(
                                    structure, gradients: gradients, strainGradients: strainGradients, threads: threadCount,
                                    into: &output)
                            } else {
                                _ = try calculator.compute(
                                    structure, gradients: gradients, strainGradients: strainGradients, threads: threadCount)
                            }
                        }
                        let perAtom = seconds.wall / Double(structure.count) * 1e6
                        let cpuPerAtom = seconds.cpu / Double(structure.count) * 1e6
                        let listPerAtom = listSeconds.wall / Double(structure.count) * 1e6
                        if json {
                            let record: [String: Any] = [
                                "code": "swiftgap", "structure": name, "atoms": structure.count, "n_max": n, "l_max": l,
                                "threads": threadCount, "mode": mode, "us_per_atom": perAtom, "cpu_us_per_atom": cpuPerAtom,
                                "neighbour_list_us_per_atom": listPerAtom, "setup_seconds": setupSeconds,
                                "features": calculator.featureCount, "spline_intervals": calculator.splineIntervalCount,
                            ]
                            let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
                            print(String(decoding: data, as: UTF8.self))
                        } else {
                            print("| \(name) | \(structure.count) | \(n) | \(l) | \(threadCount) | \(mode) | \(format(perAtom)) | \(format(cpuPerAtom)) | \(format(listPerAtom)) |")
                        }
                    }
                }
            }
        }
    }

    private func format(_ x: Double) -> String { String(format: "%.1f", x) }

    /// The fastest of `repeats` runs: (wall seconds, process CPU seconds) of that run.
    private func fastest(_ repeats: Int, _ body: () throws -> Void) throws -> (wall: Double, cpu: Double) {
        var best = (wall: Double.infinity, cpu: Double.infinity)
        for _ in 0..<repeats {
            let start = benchmarkClock(), cpuStart = benchmarkClock(CLOCK_PROCESS_CPUTIME_ID)
            try body()
            let wall = benchmarkClock() - start, cpu = benchmarkClock(CLOCK_PROCESS_CPUTIME_ID) - cpuStart
            if wall < best.wall { best = (wall, cpu) }
        }
        return best
    }
}

/// Seconds from a clock (wall-clock by default; CLOCK_PROCESS_CPUTIME_ID for CPU time).
private func benchmarkClock(_ clock: clockid_t = CLOCK_MONOTONIC) -> Double {
    var now = timespec()
    clock_gettime(clock, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}

/// The first frame of an extended XYZ file.
private func readFirstFrame(_ path: String) throws -> Structure {
    var reader = try ExtendedXYZReader(path: path)
    guard let structure = try reader.next() else {
        throw InputError(file: path, line: 1, message: "the file has no frames")
    }
    return structure
}
