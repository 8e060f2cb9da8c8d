import AtomicStructures
import Configuration
import Descriptors
import NeighbourLists
import Parallelism
import Regression

/// What a fit will do and need, computed before any large allocation (`gap-train --dry-run`
/// prints it; a real run prints it too before starting).
public struct FitPlan: Sendable {
    /// One term's sizes.
    public struct Term: Sendable {
        /// Name for display.
        public var name: String
        /// Environments (descriptor rows) in the training data.
        public var environments: Int
        /// Features per environment.
        public var features: Int
        /// Sparse points.
        public var sparsePoints: Int
        /// Sparse-point method.
        public var method: String
    }

    /// The terms.
    public var terms: [Term]
    /// Frames, atoms, and observations (design rows) by kind.
    public var frames: Int
    public var atoms: Int
    public var energyRows: Int
    public var forceRows: Int
    public var virialRows: Int
    /// Total sparse points M (columns of the design matrix).
    public var columns: Int
    /// Rows per design block and worker threads.
    public var blockRows: Int
    public var threads: Int
    /// Memory by item, bytes, in display order.
    public var memory: [(item: String, bytes: Int)]

    /// Total observations.
    public var observations: Int { energyRows + forceRows + virialRows }

    /// Estimated peak memory, bytes (the sum of the items; pass 1 and pass 2 overlap only
    /// through what both hold, so this is an upper bound).
    public var peakBytes: Int { memory.reduce(0) { $0 + $1.bytes } }

    /// Works out the plan for fitting `config` to `data` with `options`.
    public static func make(_ config: TrainingConfig, data: TrainingData, options: FitOptions) throws -> FitPlan {
        let trainer = Trainer(config: config)
        let species = data.speciesPresent
        // Provisional for data-driven terms: their basis is fitted later; sizes follow the config.
        let specs = try trainer.termSpecifications(species: species, provisional: true)
        var terms: [Term] = []
        var columns = 0
        var passOneBytes = 0
        var gradientBytes = 0
        let largest = data.frames.max { $0.atomCount < $1.atomCount }
        for (t, spec) in specs.enumerated() {
            switch spec {
            case .soap(let calculator, let termConfig):
                let centres = Set(calculator.hyperparameters.centreSpecies)
                let environments = data.frames.reduce(0) { $0 + $1.structure.atomicNumbers.filter(centres.contains).count }
                let sparse = termConfig.sparse.count ?? 0
                // With feature selection only the kept components are computed (at most n_max
                // functions per channel with an optimal basis, so this is an upper bound).
                let features = min(termConfig.descriptor.featureSelection?.count ?? Int.max, calculator.featureCount)
                terms.append(Term(name: "descriptors[\(t)] soap", environments: environments, features: features, sparsePoints: sparse, method: termConfig.sparse.method.rawValue))
                columns += sparse
                passOneBytes += environments * features * 8
                // Gradients of the largest frame: one entry per (centre, atom within the cutoff).
                if let frame = largest {
                    let list = try NeighbourList(frame.structure, cutoffRadius: calculator.hyperparameters.cutoffRadius)
                    let entries = frame.atomCount + list.pairCount
                    gradientBytes = max(gradientBytes, (entries * 3 + frame.atomCount * 9) * features * 8)
                }
            case .distance2b(let kernel, let termConfig):
                var pairs = 0
                for frame in data.frames {
                    let list = try NeighbourList(frame.structure, cutoffRadius: kernel.cutoffRadius)
                    pairs += PairDistanceKernel.pairDistances(in: frame.structure, neighbours: list, species: kernel.species).count
                }
                let sparse = termConfig.sparse.count ?? 0
                terms.append(Term(name: "descriptors[\(t)] \(PairDistanceTerm(kernel: kernel).name)", environments: pairs, features: 1, sparsePoints: sparse, method: termConfig.sparse.method.rawValue))
                columns += sparse
                passOneBytes += pairs * 16
            }
        }
        let energyRows = data.frames.filter { $0.energy != nil }.count
        let forceRows = data.frames.reduce(0) { $0 + ($1.forces?.count ?? 0) }
        let virialRows = data.frames.filter { $0.virial != nil }.count * 6
        let blockRows = options.blockRows ?? max(256, (64 << 20) / max(1, 8 * columns))
        let threads = options.threads
        let structureBytes = data.atomCount * 120 + data.frames.count * 600
        let m2 = columns * columns * 8
        let memory: [(String, Int)] = [
            ("training structures and labels", structureBytes),
            ("pass 1: descriptor values of every environment", passOneBytes),
            ("K_MM, its Cholesky factor and U", 3 * m2),
            ("QR triangle R (M x M)", m2 + 2 * columns * 64 * 8),
            ("design blocks in flight (\(threads) x \(blockRows) rows x M)", threads * blockRows * (columns + 3) * 8),
            ("descriptor gradients in flight (largest frame x \(threads))", threads * gradientBytes),
            ("kernel scratch (\(threads) x 64 MB)", threads * (64 << 20)),
        ]
        return FitPlan(
            terms: terms, frames: data.frames.count, atoms: data.atomCount, energyRows: energyRows, forceRows: forceRows,
            virialRows: virialRows, columns: columns, blockRows: blockRows, threads: threads, memory: memory)
    }

    /// A readable report.
    public func formatted() -> String {
        var lines: [String] = []
        lines.append("data: \(frames) frames, \(atoms) atoms; observations: \(energyRows) energies, \(forceRows) force components, \(virialRows) virial components (\(observations) rows)")
        for t in terms {
            lines.append("\(t.name): \(t.environments) environments x \(t.features) features; \(t.sparsePoints) sparse points by \(t.method)")
        }
        lines.append("design matrix: \(observations) x \(columns), never held whole (blocks of \(blockRows) rows, \(threads) thread\(threads == 1 ? "" : "s"))")
        lines.append("memory estimate:")
        for (item, bytes) in memory {
            lines.append("  \(pad(formatBytes(bytes), 9))  \(item)")
        }
        lines.append("  \(pad(formatBytes(peakBytes), 9))  peak (upper bound)")
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
