import AtomicStructures
import Configuration
import Descriptors
import Kernels
import MessagePassing
import NeighbourLists
import Parallelism
import Prediction
import Support

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
        /// Whether `features` is an upper bound: a data-driven descriptor (optimal or supervised
        /// basis, feature selection, species channels) is fitted after this plan and may be smaller.
        public var featuresAreUpperBound = false
    }

    /// The terms.
    public var terms: [Term]
    /// Frames, atoms, and observations (design rows) by kind.
    public var frames: Int
    public var atoms: Int
    package var energyRows: Int
    package var forceRows: Int
    package var virialRows: Int
    /// Total sparse points M (columns of the design matrix).
    public var columns: Int
    /// Rows per design block and worker threads.
    public var blockRows: Int
    public var threads: Int
    /// MPI ranks sharing the fit (1: one process); the phases are then those of one rank.
    public var ranks: Int = 1
    /// Observations of the largest frame (a block holds at least one whole frame).
    package var largestFrameRows: Int
    /// Memory of each phase of the fit, item by item, bytes. The phases follow one another,
    /// so the peak is the largest phase, not the sum.
    public var phases: [(phase: String, items: [(item: String, bytes: Int)])]

    /// Total observations.
    public var observations: Int { energyRows + forceRows + virialRows }

    /// Bytes of each phase.
    public var phaseBytes: [Int] { phases.map { $0.items.reduce(0) { $0 + $1.bytes } } }

    /// Estimated peak memory, bytes: the largest phase. Each item is an upper bound (for
    /// example every gradient buffer sized for the largest frame).
    public var peakBytes: Int { phaseBytes.max() ?? 0 }

    /// Works out the plan for fitting `config` to `data` with `options`.
    public static func make(_ config: TrainingConfig, data: TrainingData, options: FitOptions) throws -> FitPlan {
        let trainer = Trainer(config: config)
        let species = data.speciesPresent
        // Provisional for data-driven terms: their basis is fitted later; sizes follow the config.
        let specs = try trainer.termSpecifications(species: species, provisional: true)
        var terms: [Term] = []
        var columns = 0
        var passOneBytes = 0
        var selectionBytes = 0
        var gradientBytes = 0
        var gradientEntries = 0
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
                var term = Term(name: "descriptors[\(t)] \(termConfig.descriptor.correlation.typeName)", environments: environments, features: features, sparsePoints: sparse, method: termConfig.sparse.method.rawValue)
                term.featuresAreUpperBound = termConfig.descriptor.isDataDriven
                terms.append(term)
                columns += sparse
                passOneBytes += environments * features * 8
                selectionBytes = max(selectionBytes, Self.selectionWorkingBytes(
                    method: termConfig.sparse.method, environments: environments, features: features, sparsePoints: sparse))
                // Gradients of the largest frame: one entry per (centre, atom within the cutoff).
                if let frame = largest {
                    let list = try NeighbourList(frame.structure, cutoffRadius: calculator.hyperparameters.cutoffRadius)
                    let entries = frame.atomCount + list.pairCount
                    gradientBytes = max(gradientBytes, (entries * 3 + frame.atomCount * 9) * features * 8)
                    gradientEntries = max(gradientEntries, entries)
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
            case .angle3b(let kernel, let termConfig):
                var triplets = 0
                for frame in data.frames {
                    let list = try NeighbourList(frame.structure, cutoffRadius: kernel.cutoffRadius)
                    kernel.descriptor.forEachTriplet(in: frame.structure, neighbours: list) { _ in triplets += 1 }
                }
                let sparse = termConfig.sparse.count ?? 0
                terms.append(Term(name: "descriptors[\(t)] \(AngleTripletTerm(kernel: kernel).name)", environments: triplets, features: 3, sparsePoints: sparse, method: termConfig.sparse.method.rawValue))
                columns += sparse
                // Features, weight and origin per triplet.
                passOneBytes += triplets * 56
            }
        }
        let energyRows = data.frames.filter { $0.energy != nil }.count
        let forceRows = data.frames.reduce(0) { $0 + ($1.forces?.count ?? 0) }
        let virialRows = data.frames.filter { $0.virial != nil }.count * 6
        let blockRows = options.blockRows ?? FitOptions.defaultBlockRows(columns: columns)
        // Workers beyond the number of frames have nothing to hold.
        let threads = max(1, min(options.threads, data.frames.count))
        var plan = FitPlan(
            terms: terms, frames: data.frames.count, atoms: data.atomCount, energyRows: energyRows, forceRows: forceRows,
            virialRows: virialRows, columns: columns, blockRows: blockRows, threads: threads,
            largestFrameRows: data.frames.map(\.observationCount).max() ?? 0, phases: [])
        // What the process already holds (runtime, libraries, the data as read), measured.
        let baseline = residentMemoryBytes() ?? (data.atomCount * 120 + data.frames.count * 600)
        let largestTerm = terms.map(\.sparsePoints).max() ?? 0
        // OpenBLAS packs GEMM operands into per-thread buffers it maps once (32 MB) but touches
        // only as far as the operands reach: a k x n panel of B (k ≤ 256) and a 512 x 256 block
        // of A, with n at most the M columns here.
        let blasBytes = (threads + 1) * min(32 << 20, (256 * max(columns, 1) + 512 * 256) * 8)
        // A kernel's design-row scratch per worker: at most 16 MB (Potential's chunking), else the
        // largest frame's gradient entries times the largest term's sparse points.
        let scratch = min(16 << 20, gradientEntries * 3 * largestTerm * 8) + (largest?.atomCount ?? 0) * largestTerm * 8
        plan.ranks = options.communicator.size
        plan.setPhases(
            structureBytes: baseline + blasBytes, passOneBytes: passOneBytes, selectionBytes: selectionBytes,
            largestTermColumns: largestTerm, gradientBytes: gradientBytes, kernelScratchBytes: scratch,
            sparsePointBytes: terms.reduce(0) { $0 + $1.sparsePoints * $1.features * 8 })
        return plan
    }

    /// Working memory of choosing a term's sparse points from its N x F descriptor matrix, beyond
    /// the matrix itself (Sources/Selection), with s = min(N, F):
    /// - `cur` (leverage scores): the s x s Gram matrix, which dsyevd turns into the eigenvectors
    ///   in place, plus dsyevd's workspace (1 + 6s + 2s² doubles): 3 s² + 6 s doubles;
    /// - `cur_iterative`: the Gram matrix and its projected copy (2 s²) plus the picked
    ///   directions (M x F);
    /// - `fps`, `random`, `uniform`: a few numbers per environment.
    static func selectionWorkingBytes(method: SparseMethod, environments n: Int, features f: Int, sparsePoints m: Int) -> Int {
        let s = min(n, f)
        switch method {
        case .cur: return (3 * s * s + 6 * s + 1) * 8
        case .curIterative: return (2 * s * s + m * f) * 8
        default: return 2 * n * 8
        }
    }

    /// Fills ``phases`` from the sizes (called again when the block size changes).
    mutating func setPhases(
        structureBytes: Int, passOneBytes: Int, selectionBytes: Int, largestTermColumns: Int, gradientBytes: Int, kernelScratchBytes: Int, sparsePointBytes: Int
    ) {
        let m = columns
        let m2 = m * m * 8
        let common = [("this process now (runtime, training data) and BLAS buffers", structureBytes)]
        let shareBytes = ranks > 1 ? [("this rank's share of them while rank 0 gathers", (passOneBytes + ranks - 1) / ranks)] : []
        phases = [
            ("pass 1: descriptors and sparse points", common + [
                (ranks > 1 ? "descriptor values of every environment (gathered on rank 0 only)" : "descriptor values of every environment", passOneBytes),
            ] + shareBytes + (selectionBytes > 0 ? [("sparse-point selection of the largest term (Gram matrix, eigendecomposition)", selectionBytes)] : [])),
            ("sparse covariance", common + [
                ("sparse points", sparsePointBytes),
                ("K_MM and its Cholesky factor (largest term)", 2 * largestTermColumns * largestTermColumns * 8),
                ("U and the QR triangle R (M x M, twice)", 2 * m2),
            ]),
            ("pass 2: design matrix and QR", common + [
                ("sparse points", sparsePointBytes),
                ("QR triangle R (M x M) and its checkpoint copy", m2 + m2 / 2 + 64 * m * 8),
                ("descriptor gradients in flight (largest frame x \(threads))", threads * gradientBytes),
                ("kernel scratch (\(threads) x \(formatBytes(kernelScratchBytes)))", threads * kernelScratchBytes),
            ]),
        ]
        passTwoBase = phases[2].items
        if ranks > 1 {
            phases.append(("TSQR over \(ranks) ranks", common + [
                ("sparse points", sparsePointBytes),
                // While a received triangle is unpacked: R, the packed message, the unpacked
                // triangle and the copy restoring it keeps (the merge's own copy comes later, when
                // the message is gone).
                ("R, a received triangle (packed, unpacked and restored)", m2 + m2 / 2 + m2 + m2),
            ]))
        }
        setBlockRows(blockRows)
    }

    private var passTwoBase: [(item: String, bytes: Int)] = []

    /// Bytes of the design blocks in flight for a block size, as the data gives them: up to two
    /// waves (one being formed, one being folded) of `threads` blocks, no more blocks than the
    /// data fills, each no larger than the data (and no smaller than its largest frame); plus
    /// the QR panel being filled and the copy the fold overwrites.
    func blockBytes(_ rows: Int) -> Int {
        let rows = max(1, rows)
        let perBlock = min(observations, max(rows, largestFrameRows))
        let blocks = min(2 * threads, (observations + rows - 1) / rows)
        return blocks * perBlock * (columns + 3) * 8 + panelBytes
    }

    /// An upper bound of ``blockBytes(_:)`` linear in the block size: two full waves.
    func blockBytesBound(_ rows: Int) -> Int { 2 * threads * rows * (columns + 3) * 8 + panelBytes }

    /// The QR panel being filled and the copy of it that the fold overwrites.
    var panelBytes: Int { 2 * min(FitOptions.panelRows, observations) * (columns + 1) * 8 }

    mutating func setBlockRows(_ rows: Int) {
        blockRows = rows
        guard phases.count >= 3 else { return }
        phases[2].items = [("design blocks in flight (2 waves x \(threads), \(rows) rows x M) and the QR panel", blockBytes(rows))] + passTwoBase
    }

    /// The plan fitted into `budget` bytes: unchanged if it fits; otherwise with smaller blocks
    /// (unless `fixedBlockRows`), which leaves the model unchanged (the QR folds fixed panels).
    ///
    /// - Throws: ``TrainingError/memoryBudget(_:)`` saying what to reduce, before anything large
    ///   is allocated, when even the smallest blocks (256 rows) do not fit.
    public func fitting(budget: Int, fixedBlockRows: Bool) throws -> FitPlan {
        guard peakBytes > budget else { return self }
        var plan = self
        let otherPhases = phaseBytes.indices.filter { $0 != 2 }.map { phaseBytes[$0] }.max() ?? 0
        if !fixedBlockRows && otherPhases <= budget {
            let spare = budget - plan.phaseBytes[2] + blockBytes(blockRows) - panelBytes
            let rows = spare / max(1, 2 * threads * (columns + 3) * 8)
            if rows >= 256 {
                plan.setBlockRows(min(blockRows, rows))
                return plan
            }
        }
        // Explain what dominates the largest phase.
        let worst = plan.phaseBytes.indices.max { plan.phaseBytes[$0] < plan.phaseBytes[$1] }!
        let items = plan.phases[worst].items.sorted { $0.bytes > $1.bytes }.prefix(3)
            .map { "\($0.item) \(formatBytes($0.bytes))" }.joined(separator: ", ")
        var advice = "reduce n_sparse (R and K_MM grow as M², M = \(columns) now)"
        if worst == 0 { advice = "reduce the training set or the descriptor size (n_max, l_max): pass 1 holds every environment's descriptor" }
        if worst == 2 { advice += ", use fewer --threads (each holds the largest frame's gradients), or split very large frames" }
        throw TrainingError.memoryBudget(
            "the fit needs about \(formatBytes(plan.peakBytes)) (\(plan.phases[worst].phase): \(items)), more than the budget of \(formatBytes(budget)); \(advice)")
    }

    /// The plan with the triangular factor spread over the ranks (``FitOptions/distributedFactor``):
    /// pass 2 holds this rank's part of the distributed matrix and a round's rows instead of R;
    /// rank 0 still forms U (K_MM's factor, M x M) before pass 2.
    public func withDistributedFactor() -> FitPlan {
        var plan = self
        plan.distributedFactor = true
        let m = columns
        let perRound = FitDistribution.rowsPerRound(columns: m, ranks: ranks)
        plan.blockRows = perRound
        let common = phases[0].items.prefix(1)
        let kept = passTwoBase.filter { !$0.item.hasPrefix("QR triangle") }
        let factorBytes = DistributedLeastSquares.bytesPerRank(columns: m, rowsPerRank: perRound, ranks: ranks)
        let sparsePoints = phases[1].items.filter { $0.item == "sparse points" }
        plan.phases = [
            phases[0],
            ("sparse covariance", Array(common) + sparsePoints + [
                ("this rank's tiles of K_MM, factorised in place (pdpotrf) in its part of the distributed matrix", factorBytes),
            ]),
            ("pass 2: design rows and the distributed QR", Array(common) + kept.dropFirst() + [
                ("this rank's part of the distributed factor (\(m + 1 + ranks * perRound) x \(m + 1) over \(ranks) ranks)", factorBytes),
                ("rows waiting for a round, the round and its copy (\(perRound) rows x M, \(threads) blocks)", (threads + 3) * perRound * (m + 3) * 8),
            ]),
        ]
        return plan
    }

    /// Whether the factor is distributed (``withDistributedFactor()``).
    public private(set) var distributedFactor = false

    /// A readable report.
    public func formatted() -> String {
        var lines: [String] = []
        lines.append("data: \(frames) frames, \(atoms) atoms; observations: \(energyRows) energies, \(forceRows) force components, \(virialRows) virial components (\(observations) rows)")
        for t in terms {
            let features = t.featuresAreUpperBound ? "at most \(t.features) features (fitted to the data next)" : "\(t.features) features"
            lines.append("\(t.name): \(t.environments) environments x \(features); \(t.sparsePoints) sparse points by \(t.method)")
        }
        lines.append("design matrix: \(observations) x \(columns), never held whole (blocks of \(blockRows) rows, \(threads) thread\(threads == 1 ? "" : "s"))")
        lines.append(ranks > 1
            ? "memory estimate per rank (\(ranks) ranks; the phases follow one another; the peak is the largest):"
            : "memory estimate (the phases follow one another; the peak is the largest):")
        for ((phase, items), total) in zip(phases, phaseBytes) {
            lines.append("  \(pad(formatBytes(total), 9))  \(phase)")
            for (item, bytes) in items { lines.append("  \(pad(formatBytes(bytes), 19))  \(item)") }
        }
        lines.append("  \(pad(formatBytes(peakBytes), 9))  peak\(ranks > 1 ? " per rank" : "")")
        if ranks > 1 {
            // Only rank 0 holds every environment in pass 1; the others hold their share.
            let others = phaseBytes.enumerated().map { $0.offset == 0 ? $0.element - (phases[0].items.count > 2 ? phases[0].items[1].bytes : 0) : $0.element }.max() ?? 0
            lines.append("  \(pad(formatBytes(peakBytes + (ranks - 1) * others), 9))  total over \(ranks) ranks")
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
