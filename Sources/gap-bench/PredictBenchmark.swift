import ArgumentParser
import AtomicStructures
import Descriptors
import Kernels
import ModelFiles
import Prediction
#if canImport(Glibc)
import Glibc
#endif

/// `gap-bench predict MODEL FILE...`: times a model's predictions (energy and forces, single
/// thread) per atom over every frame of the files; reads and neighbour lists included, file
/// reading excluded. Driven by Benchmarks/optimal_basis_benchmark.py.
struct PredictBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Time model predictions (energy + forces) per atom, one thread (use a release build)."
    )

    @Argument(help: "The model file (gap-train output).")
    var model: String

    @Argument(help: "Extended XYZ files whose frames are predicted.")
    var files: [String]

    @Option(help: "Timed repetitions (the fastest is reported).")
    var repeats = 3

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    /// CPU seconds of this thread.
    static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    func run() throws {
        let potential = try ModelFile.load(path: model).potential
        var structures: [Structure] = []
        for file in files {
            var reader = try ExtendedXYZReader(path: file)
            while let s = try reader.next() { structures.append(s) }
        }
        let atoms = structures.reduce(0) { $0 + $1.count }
        var bestWall = Double.infinity, bestCPU = Double.infinity
        var checksum = 0.0
        for _ in 0..<repeats {
            let wall = monotonicSeconds(), cpu = PredictBenchmarkCommand.threadCPUSeconds()
            for s in structures {
                let p = try potential.predict(s, forces: true, virial: false)
                checksum += p.energy
            }
            bestWall = min(bestWall, monotonicSeconds() - wall)
            bestCPU = min(bestCPU, PredictBenchmarkCommand.threadCPUSeconds() - cpu)
        }
        let features = potential.terms.compactMap { ($0 as? SOAPTerm)?.calculator.featureCount }
        let wallPerAtom = bestWall / Double(atoms) * 1e6, cpuPerAtom = bestCPU / Double(atoms) * 1e6
        if json {
            print("{\"frames\": \(structures.count), \"atoms\": \(atoms), \"soap_features\": \(features), \"wall_us_per_atom\": \(wallPerAtom), \"cpu_us_per_atom\": \(cpuPerAtom), \"checksum\": \(checksum / Double(repeats))}")
        } else {
            print("frames \(structures.count)  atoms \(atoms)  SOAP features \(features)  wall \(wallPerAtom) µs/atom  CPU \(cpuPerAtom) µs/atom")
        }
    }
}
