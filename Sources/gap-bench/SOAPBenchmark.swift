import ArgumentParser
import AtomicStructures
import Descriptors
import Foundation
import NeighbourLists
import Parallelism

/// `gap-bench soap FILE...`: times the SOAP descriptor (values alone, and values with position
/// gradients) per atom on the first frame of each extended XYZ file, from a prebuilt neighbour
/// list (whose brute-force construction is timed and reported separately). Driven by
/// Benchmarks/soap_benchmark.py, which also times featomic, dscribe and quippy on the same files.
struct SOAPBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soap",
        abstract: "Time SOAP values and values+gradients per atom (use a release build)."
    )

    @Argument(help: "Extended XYZ files (first frame of each; species:S:1:pos:R:3 columns).")
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
            print("| structure | atoms | n_max | l_max | threads | mode | µs/atom (SOAP, wall) | CPU µs/atom | brute-force neighbour list µs/atom |")
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
                // The neighbour list is timed separately: the linear-time list replaces the
                // brute-force one used by `compute(_:)` for now.
                let list = try NeighbourList.bruteForce(structure, cutoffRadius: cutoff)
                let listSeconds = try fastest(1) { _ = try NeighbourList.bruteForce(structure, cutoffRadius: cutoff) }
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
                        let seconds = try fastest(repeats) {
                            if reuseOutput {
                                try calculator.compute(
                                    structure, neighbours: list, gradients: gradients, strainGradients: strainGradients,
                                    threads: threadCount, into: &output)
                            } else {
                                _ = try calculator.compute(
                                    structure, neighbours: list, gradients: gradients, strainGradients: strainGradients,
                                    threads: threadCount)
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

/// Reads the first frame of a simple extended XYZ file (Lattice, pbc, species and positions),
/// as written by ASE for the benchmark structures. A stop-gap until the full ExtendedXYZReader is
/// available here; other columns and header keys are ignored.
private func readFirstFrame(_ path: String) throws -> Structure {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
    func fail(_ line: Int, _ field: String?, _ message: String) -> InputError {
        InputError(file: path, line: line, field: field, message: message)
    }
    guard let first = lines.next(), let count = Int(first.trimmingCharacters(in: .whitespaces)), count > 0 else {
        throw fail(1, nil, "expected the number of atoms")
    }
    guard let header = lines.next() else { throw fail(2, nil, "missing comment line") }
    func quoted(_ key: String) -> String? {
        guard let range = header.range(of: key + "=\"") else { return nil }
        let rest = header[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
    guard let properties = header.range(of: "Properties=").map({ header[$0.upperBound...].split(separator: " ").first.map(String.init) ?? "" }),
          properties.hasPrefix("species:S:1:pos:R:3") else {
        throw fail(2, "Properties", "this reader needs Properties=species:S:1:pos:R:3...")
    }
    var cell = Cell.none
    if let lattice = quoted("Lattice") {
        let v = lattice.split(separator: " ").compactMap { Double($0) }
        guard v.count == 9 else { throw fail(2, "Lattice", "expected 9 numbers") }
        var periodic = (true, true, true)
        if let pbc = quoted("pbc") {
            let flags = pbc.split(separator: " ").map { $0 == "T" || $0 == "True" }
            if flags.count == 3 { periodic = (flags[0], flags[1], flags[2]) }
        }
        cell = Cell(matrix: Matrix3(rowMajor: v), periodic: periodic)
    }
    var numbers: [Int] = [], positions: [Vector3] = []
    for index in 0..<count {
        guard let line = lines.next() else { throw fail(3 + index, nil, "expected \(count) atom lines") }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 4, let x = Double(fields[1]), let y = Double(fields[2]), let z = Double(fields[3]) else {
            throw fail(3 + index, "pos", "expected a symbol and three coordinates")
        }
        guard let z0 = Element(symbol: String(fields[0]))?.atomicNumber else {
            throw fail(3 + index, "species", "unknown element \(fields[0])")
        }
        numbers.append(z0)
        positions.append(Vector3(x, y, z))
    }
    return Structure(atomicNumbers: numbers, positions: positions, cell: cell)
}
