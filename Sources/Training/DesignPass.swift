import Dispatch
import Kernels
import LinearAlgebra
import ModelFiles
import Parallelism
import Prediction
import Support

/// Pass 2 of a fit: every frame's weighted design rows, formed in batches of frames (at most
/// `blockRows` rows each) by parallel workers and folded into the triangular factor.
///
/// Workers form the blocks of one wave while the previous wave is appended on another thread,
/// always in frame order, and the rows are folded in fixed panels (``PanelledLeastSquares``), so
/// the result depends neither on the thread count nor on the block size (the memory budget).
struct DesignPass {
    let data: TrainingData
    let terms: [any PotentialTerm]
    let columnOffsets: [Int]
    let e0: [Int: Double]
    let cutoff: Double
    let features: FeatureCache?
    let blockRows: Int
    let options: FitOptions
    let checkpoints: CheckpointWriter

    /// Folds the rows of frames `framesBefore ..< end` into `solver` (which holds those before,
    /// from this rank's first frame) and returns it, the last partial panel folded too.
    ///
    /// - Throws: the first error forming or folding a block, or ``TrainingError/interrupted(checkpoint:)``.
    func run(from framesBefore: Int, to end: Int, solver start: consuming PanelledLeastSquares) throws -> PanelledLeastSquares {
        let progress = options.progress
        let batches = Trainer.batches(data.frames, from: framesBefore, to: end, maxRows: blockRows)
        let folding = FoldingQueue(consume start)
        let estimate = options.estimatedPeakBytes
        progress.begin(options.phasePrefix + "design matrix", total: end - framesBefore, unit: "structures") {
            var text = "\(folding.rowsFolded) rows folded"
            if let rss = residentMemoryBytes() {
                text += ", memory \(formatBytes(rss))" + (estimate > 0 ? " of \(formatBytes(estimate)) estimated" : "")
            }
            return text
        }
        var lastCheckpoint = monotonicSeconds()
        var next = 0
        while next < batches.count {
            let wave = Array(batches[next ..< min(batches.count, next + options.threads)])
            let blocks = try parallelMap(count: wave.count, threads: options.threads, chunkCount: wave.count) { chunk in
                let block = try Trainer.designBlock(
                    frames: data.frames, range: wave[chunk], terms: terms, columnOffsets: columnOffsets,
                    e0: e0, cutoff: cutoff, features: features)
                progress.advance(by: wave[chunk].count)
                return block
            }
            // Everything before this wave is folded once the queue is idle: a consistent state.
            try folding.waitUntilIdle()
            let framesDone = batches[next].lowerBound
            if let policy = options.checkpoint, monotonicSeconds() - lastCheckpoint >= policy.intervalSeconds {
                checkpoints.save(framesDone: framesDone, solver: folding.state)
                lastCheckpoint = monotonicSeconds()
            }
            if options.stopsOnInterrupt && Interruption.isRequested {
                let saved = checkpoints.save(framesDone: framesDone, solver: folding.state)
                progress.end()
                throw TrainingError.interrupted(checkpoint: saved ? options.checkpoint?.path : nil)
            }
            folding.fold(blocks)
            next += wave.count
        }
        try folding.finish()
        progress.end()
        let solver = folding.state
        // Lets a run killed while solving or writing resume at once (best effort, as every checkpoint).
        checkpoints.save(framesDone: end, solver: solver)
        return solver
    }
}

/// Appends blocks of design rows to the panelled QR on a serial background queue, so that
/// forming the next blocks overlaps with folding; blocks are always appended in the order given.
final class FoldingQueue: @unchecked Sendable {
    private var solver: PanelledLeastSquares
    private var failure: Error?
    private let queue = DispatchQueue(label: "swiftgap.fold")
    private let group = DispatchGroup()
    private var folded = 0

    init(_ solver: PanelledLeastSquares) { self.solver = solver }

    /// Rows appended so far (read from progress lines; approximate while a fold runs).
    var rowsFolded: Int { folded }

    /// Queues `blocks` for folding, in order.
    func fold(_ blocks: [(DesignBlock, [Double])]) {
        queue.async(group: group) {
            guard self.failure == nil else { return }
            do {
                for (block, targets) in blocks {
                    try self.solver.append(columnMajor: block.storage, rowCount: block.rowCount, targets: targets)
                    self.folded += block.rowCount
                }
            } catch {
                self.failure = error
            }
        }
    }

    /// Waits for queued folds; rethrows the first fold error.
    func waitUntilIdle() throws {
        group.wait()
        if let failure { throw failure }
    }

    /// Waits, then folds the last partial panel.
    func finish() throws {
        try waitUntilIdle()
        try solver.finish()
    }

    /// The state (call only when idle; holding the copy across a fold would copy R).
    var state: PanelledLeastSquares { solver }
}

/// Saves checkpoints of a fit, best effort: a failure (a disk nearly full: a checkpoint holds
/// R, M² / 2 numbers, often far more than the model) is reported once on stderr, even when
/// quiet, and the fit goes on, because a checkpoint is insurance and the fit is worth more.
final class CheckpointWriter: @unchecked Sendable {
    let policy: CheckpointPolicy?
    let progress: ProgressReporter
    let model: () -> ModelFile
    private var warned = false

    init(policy: CheckpointPolicy?, progress: ProgressReporter, model: @escaping () -> ModelFile) {
        self.policy = policy
        self.progress = progress
        self.model = model
    }

    /// Saves the state; returns whether a checkpoint now holds it.
    @discardableResult
    func save(framesDone: Int, solver: PanelledLeastSquares) -> Bool {
        guard let policy else { return false }
        do {
            try Checkpoint(fingerprint: policy.fingerprint, framesDone: framesDone, model: model(), solver: solver).write(to: policy.path)
            return true
        } catch {
            if !warned {
                progress.warn(
                    "warning: could not write the checkpoint (\(error)); the fit goes on without it, but an interrupted run cannot be resumed from this point. Free some space, or pass --no-checkpoint to skip checkpoints.")
                warned = true
            }
            return false
        }
    }
}

