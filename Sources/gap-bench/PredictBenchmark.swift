import ArgumentParser
import AtomicStructures
import Descriptors
import JSON
import Kernels
import LinearAlgebra
import ModelFiles
import NeighbourLists
import Parallelism
import Prediction
#if canImport(Glibc)
import Glibc
#endif

/// `gap-bench predict (MODEL | --synthetic N,L,M) FILE...`: times a model's predictions per atom
/// over every frame of each file (energy + forces, and the virial unless `--no-virial`):
/// neighbour lists included, file reading excluded. `--mode forward` times the forward path
/// (descriptor gradients contracted with the kernel derivative, as training computes them)
/// instead of reverse mode, for comparisons in the same run. Driven by
/// Benchmarks/predict_benchmark.py and Benchmarks/optimal_basis_benchmark.py.
struct PredictBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Time model predictions per atom (use a release build)."
    )

    @Argument(help: "The model file (gap-train output), unless --synthetic; then extended XYZ files whose frames are predicted.")
    var arguments: [String]

    @Option(help: "Instead of a model file: a SOAP model (QUIP basis, cutoff 5 Å, σ 0.5 Å, ζ 4, δ 1) with n_max,l_max,M (e.g. 10,12,4000): M sparse points drawn from the files' environments (cycled, slightly perturbed), seeded random coefficients.")
    var synthetic: String?

    @Option(help: "reverse (prediction, the default) or forward (descriptor gradients, as in training).")
    var mode = "reverse"

    @Flag(inversion: .prefixedNo, help: "Also the virial (periodic frames).")
    var virial = true

    @Option(help: "Threads inside each structure.")
    var threads = 1

    @Option(help: "Timed repetitions (the fastest is reported).")
    var repeats = 3

    @Flag(help: "Print one JSON object per file instead of text.")
    var json = false

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard ["reverse", "forward"].contains(mode) else { throw ValidationError("--mode is reverse or forward") }
        guard arguments.count >= (synthetic == nil ? 2 : 1) else { throw ValidationError("give a model (or --synthetic) and at least one file") }
    }

    func run() throws {
        BLASThreads.set(1)
        let files = synthetic == nil ? Array(arguments.dropFirst()) : arguments
        var framesOfFile: [[Structure]] = []
        for file in files {
            var frames: [Structure] = []
            var reader = try ExtendedXYZReader(path: file)
            while let s = try reader.next() { frames.append(s) }
            framesOfFile.append(frames)
        }
        let potential = try synthetic.map { try Self.syntheticPotential($0, structures: framesOfFile.flatMap { $0 }) }
            ?? ModelFile.load(path: arguments[0]).potential
        let features = potential.terms.compactMap { ($0 as? SOAPTerm)?.calculator.featureCount }
        let sparse = potential.terms.map(\.sparseCount)
        for (file, structures) in zip(files, framesOfFile) {
            let atoms = structures.reduce(0) { $0 + $1.count }
            var bestWall = Double.infinity, bestCPU = Double.infinity
            var checksum = 0.0
            for _ in 0..<repeats {
                let wall = monotonicSeconds(), cpu = Parallelism.processCPUSeconds()
                for s in structures {
                    let p = try predict(potential, s, virial: virial && s.cell.isFullyPeriodic)
                    checksum += p.energy + (p.forces.first ?? 0) + p.virial[0]
                }
                bestWall = min(bestWall, monotonicSeconds() - wall)
                bestCPU = min(bestCPU, Parallelism.processCPUSeconds() - cpu)
            }
            let wallPerAtom = bestWall / Double(atoms) * 1e6, cpuPerAtom = bestCPU / Double(atoms) * 1e6
            if json {
                print("{\"file\": \"\(file)\", \"mode\": \"\(mode)\", \"threads\": \(threads), \"virial\": \(virial), \"frames\": \(structures.count), \"atoms\": \(atoms), \"soap_features\": \(features), \"sparse_points\": \(sparse), \"wall_us_per_atom\": \(wallPerAtom), \"cpu_us_per_atom\": \(cpuPerAtom), \"checksum\": \(checksum / Double(repeats)), \"blas_kernels\": \(JSONWriter.quoted(BLASKernels.current))}")
            } else {
                print("\(file)  \(mode)  threads \(threads)  frames \(structures.count)  atoms \(atoms)  SOAP features \(features)  M \(sparse)  wall \(wallPerAtom) µs/atom  CPU \(cpuPerAtom) µs/atom")
            }
        }
    }

    func predict(_ potential: Potential, _ s: Structure, virial: Bool) throws -> Prediction {
        if mode == "reverse" { return try potential.predict(s, forces: true, virial: virial, threads: threads) }
        let list = try NeighbourList(s, cutoffRadius: potential.cutoffRadius)
        let features = try potential.terms.map { term in
            try term.features(of: s, neighbours: list, gradients: true, strainGradients: virial)
        }
        return try potential.predict(s, neighbours: list, features: features)
    }

    /// A QUIP-basis SOAP model of the given size (see `--synthetic`).
    static func syntheticPotential(_ specification: String, structures: [Structure]) throws -> Potential {
        let numbers = specification.split(separator: ",").compactMap { Int($0) }
        guard numbers.count == 3, numbers.allSatisfy({ $0 > 0 }) else { throw ValidationError("--synthetic takes n_max,l_max,M") }
        let species = Array(Set(structures.flatMap(\.atomicNumbers))).sorted()
        let h = SOAPHyperparameters(
            cutoffRadius: 5, cutoffTransitionWidth: 1, nMax: numbers[0], lMax: numbers[1], atomSigma: 0.5,
            neighbourSpecies: species, centreSpecies: species)
        let calculator = try SOAPCalculator(h)
        let f = calculator.featureCount, m = numbers[2]
        var pool: [Double] = []
        for s in structures where pool.count < m * f { pool += try calculator.compute(s, threads: 1).values }
        var state: UInt64 = 12345
        func random() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let rows = pool.count / f
        var points = [Double](repeating: 0, count: m * f)
        for i in 0..<m {
            let source = (i * 7919) % rows
            var norm = 0.0
            for k in 0..<f {
                let value = pool[source * f + k] * (1 + 0.05 * (random() - 0.5))
                points[i * f + k] = value
                norm += value * value
            }
            for k in 0..<f { points[i * f + k] /= norm.squareRoot() }
        }
        let alpha = (0..<m).map { _ in random() - 0.5 }
        let kernel = DotProductKernel(delta: 1, zeta: 4, featureCount: f, sparsePoints: points)
        return Potential(
            e0: Dictionary(uniqueKeysWithValues: species.map { ($0, -158.5) }),
            terms: [SOAPTerm(calculator: calculator, kernel: kernel)], alphas: [alpha])
    }
}
