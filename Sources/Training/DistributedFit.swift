#if canImport(Glibc)
import Glibc
#endif
import Configuration
import Descriptors
import Kernels
import LinearAlgebra
import MessagePassing
import ModelFiles
import Prediction
import Parallelism
import Selection
import Support

/// How a fit is shared between the ranks of an MPI job (one rank: the whole fit, unchanged).
///
/// Each rank takes a contiguous range of frames, balanced by observation count, computes the
/// descriptors and design rows of its frames only and folds them into its own triangular
/// factor; rank 0 alone starts from the K_MM rows. Sparse points: every rank's descriptor
/// values are gathered on rank 0 in frame order (contiguous ranges in rank order), so CUR and
/// FPS see the single-process matrix and pick the same points for the same seed; rank 0 sends
/// the chosen points to all. The factors are then combined by TSQR over a binary tree in a fixed
/// order, and rank 0 solves. Same N, same bytes; any N, the single-process model to round-off.
package struct FitDistribution: Sendable {
    package let communicator: any Communicator
    /// The frames of each rank, in rank order.
    package let shares: [Range<Int>]

    package init(communicator: any Communicator, frames: [TrainingFrame]) {
        self.communicator = communicator
        self.shares = FitDistribution.balancedShares(frames.map(\.observationCount), parts: communicator.size)
    }

    package var rank: Int { communicator.rank }
    package var isDistributed: Bool { communicator.size > 1 }
    /// This rank's frames.
    package var share: Range<Int> { shares[rank] }

    /// Contiguous ranges of items, one per part, with about equal sums of `weights`: part k
    /// ends at the first item whose running sum reaches (k + 1) / parts of the total.
    package static func balancedShares(_ weights: [Int], parts: Int) -> [Range<Int>] {
        let total = weights.reduce(0, +)
        var ranges: [Range<Int>] = []
        var start = 0
        var running = 0
        var index = 0
        for part in 0..<parts {
            let goal = part == parts - 1 ? Int.max : (total * (part + 1) + parts - 1) / parts
            while index < weights.count && running < goal {
                running += weights[index]
                index += 1
            }
            ranges.append(start ..< index)
            start = index
        }
        return ranges
    }

    /// The descriptor values of every environment, on rank 0 (nil elsewhere): this rank computes
    /// its share with `compute`, rank 0 gathers the shares in rank (= frame) order.
    func gatherEnvironments(
        _ calculator: any DensityDescriptor, frames: [TrainingFrame], compute: ([TrainingFrame]) throws -> EnvironmentMatrix
    ) throws -> EnvironmentMatrix? {
        let local = try compute(Array(frames[share]))
        guard let values = try communicator.gather(local.matrix.values) else { return nil }
        let origins = EnvironmentMatrix.layout(calculator, frames: frames).origins
        let width = calculator.featureCount
        precondition(values.count == origins.count * width, "gathered descriptor rows must be one per environment")
        return EnvironmentMatrix(matrix: FeatureMatrix(rowCount: origins.count, featureCount: width, values: values), origins: origins)
    }

    /// Rank 0's sparse points and their sources, on every rank.
    func broadcastSparsePoints(_ points: [Double], sources: [SparsePointSource]) throws -> ([Double], [SparsePointSource]) {
        let points = try communicator.broadcast(points)
        let encoded = sources.flatMap { source -> [Int64] in
            switch source {
            case .environment(let frame, let atom): return [Int64(frame), Int64(atom)]
            case .synthetic: return [-1, -1]
            }
        }
        let received = try communicator.broadcast(encoded)
        let decoded = stride(from: 0, to: received.count, by: 2).map { i -> SparsePointSource in
            received[i] < 0 ? .synthetic : .environment(frame: Int(received[i]), atom: Int(received[i + 1]))
        }
        return (points, decoded)
    }

    /// Combines every rank's factor by TSQR over a binary tree in a fixed order: at level
    /// 1, 2, 4, ... rank r (a multiple of 2·level) folds in the factor of rank r + level, so
    /// rank 0 ends with the factor of all rows, in rank order. Returns it on rank 0, nil elsewhere.
    func reduceFactors(_ own: IncrementalLeastSquares) throws -> IncrementalLeastSquares? {
        var state = own
        let n = own.columns
        var level = 1
        while level < communicator.size {
            if rank % (2 * level) == level {
                try communicator.send(FitDistribution.pack(state), to: rank - level)
                return nil
            }
            if rank % (2 * level) == 0 && rank + level < communicator.size {
                let message = try communicator.receive(Double.self, from: rank + level)
                state.merge(try FitDistribution.unpack(message, columns: n))
            }
            level *= 2
        }
        return state
    }

    /// The upper triangle of R packed column by column, then Qᵀy, the residual and the row count.
    static func pack(_ state: IncrementalLeastSquares) -> [Double] {
        let n = state.columns
        var message: [Double] = []
        message.reserveCapacity(n * (n + 1) / 2 + n + 2)
        state.r.storage.withUnsafeBufferPointer { r in
            for j in 0..<n { message.append(contentsOf: r[(j * n) ... (j * n + j)]) }
        }
        message.append(contentsOf: state.qTransposedTargets)
        message.append(state.residualSumOfSquares)
        message.append(Double(state.rowCount))
        return message
    }

    static func unpack(_ message: [Double], columns n: Int) throws -> IncrementalLeastSquares {
        guard message.count == n * (n + 1) / 2 + n + 2 else {
            throw CommunicationError(message: "a triangular factor of \(message.count) numbers arrived, expected \(n * (n + 1) / 2 + n + 2)")
        }
        var r = Matrix(rows: n, columns: n)
        var k = 0
        for j in 0..<n {
            for i in 0...j {
                r[i, j] = message[k]
                k += 1
            }
        }
        let targets = Array(message[k ..< k + n])
        return try IncrementalLeastSquares(
            restoringR: r, qTransposedTargets: targets, residualSumOfSquares: message[k + n], rowCount: Int(message[k + n + 1]))
    }
}

/// What each rank of an MPI fit did: CPU seconds, bytes sent and received, seconds in
/// communication (waits included), peak resident memory, gathered on rank 0 for its closing lines.
public enum DistributedReport {
    /// The report on rank 0 (nil on the others); collective: every rank calls it.
    public static func gather(_ communicator: any Communicator) throws -> String? {
        let traffic = communicator.traffic
        let mine = [processCPUSeconds(), Double(traffic.bytesSent), Double(traffic.bytesReceived), traffic.seconds, Double(residentPeakBytes() ?? 0)]
        guard let all = try communicator.gather(mine) else { return nil }
        var lines = ["ranks: \(communicator.size) (CPU seconds, bytes sent / received, seconds in communication, peak memory)"]
        for r in 0..<communicator.size {
            let v = Array(all[(5 * r) ..< (5 * r + 5)])
            lines.append("  rank \(r): CPU \(formatFixed(v[0], 2)) s, sent \(formatBytes(Int(v[1]))), received \(formatBytes(Int(v[2]))), communication \(formatFixed(v[3], 3)) s, peak memory \(formatBytes(Int(v[4])))")
        }
        return lines.joined(separator: "\n")
    }
}

extension Trainer {
    /// A fit whose triangular factor lives block-cyclically across the ranks
    /// (``DistributedLeastSquares``): the sparse points as in every fit, then rounds in which
    /// every rank contributes its next rows to one
    /// distributed QR, then a distributed triangular solve. K_MM is computed and factorised
    /// tile by tile where its factor lives (pdpotrf), so no rank holds M x M numbers.
    func fitWithDistributedFactor(
        _ specs: [TermSpecification], data: TrainingData, cutoff: Double, e0: [Int: Double], options: FitOptions,
        distribution: FitDistribution, phases before: [(String, Double)]
    ) throws -> FitResult {
        guard distribution.isDistributed else { throw TrainingError.unsupported("the distributed factor in a single process (run under mpirun with several ranks)") }
        guard options.resume == nil else { throw TrainingError.unsupported("resuming a replicated-factor checkpoint with the distributed factor") }
        guard !config.storesUncertainty else { throw TrainingError.unsupported("\"uncertainty\": true with the distributed factor") }
        var phases = before
        var clock = monotonicSeconds()
        func lap(_ name: String) {
            let now = monotonicSeconds()
            phases.append((name, now - clock))
            clock = now
        }
        let (terms, sources) = try selectTerms(specs, data: data, features: nil, cutoff: cutoff, options: options, distribution: distribution)
        lap("descriptors and sparse points")
        let columnOffsets = terms.reduce(into: [0]) { $0.append($0.last! + $1.sparseCount) }
        let m = columnOffsets.last!
        let ranks = options.communicator.size
        let perRound = FitDistribution.rowsPerRound(columns: m, ranks: ranks)
        let factor = try DistributedLeastSquares(communicator: options.communicator, columns: m, rowsPerRank: perRound)
        // The factor starts from U (K_MM + jitter = UᵀU, block diagonal over terms), each rank
        // computing and factorising only its own tiles; or from this rank's checkpoint.
        var roundsDone = 0
        if let candidates = options.distributedResume {
            // Ranks saved after the same rounds, but a kill can fall between two ranks' writes:
            // resume from the latest round every rank has.
            let latest = try options.communicator.gather([Int64(candidates.map(\.roundsDone).max() ?? -1)])
            let agreed = try options.communicator.broadcast([latest?.min() ?? 0])[0]
            guard let policy = options.checkpoint, let saved = candidates.first(where: { $0.roundsDone == Int(agreed) }),
                  policy.fingerprint == saved.fingerprint, saved.columns == m, saved.rowsPerRank == perRound
            else {
                throw TrainingError.checkpointMismatch(path: options.checkpoint?.path ?? "")
            }
            try factor.restore(localPart: saved.localPart)
            roundsDone = saved.roundsDone
        } else {
        do {
            try factor.start { rows, columns in
                var block = [Double](repeating: 0, count: rows.count * columns.count)
                for (t, term) in terms.enumerated() {
                    let termRange = columnOffsets[t] ..< columnOffsets[t + 1]
                    let r = rows.clamped(to: termRange), c = columns.clamped(to: termRange)
                    guard !r.isEmpty && !c.isEmpty else { continue }
                    let values = term.sparseCovariance(rows: (r.lowerBound - termRange.lowerBound) ..< (r.upperBound - termRange.lowerBound),
                                                       columns: (c.lowerBound - termRange.lowerBound) ..< (c.upperBound - termRange.lowerBound))
                    for j in 0..<c.count {
                        for i in 0..<r.count { block[(c.lowerBound - columns.lowerBound + j) * rows.count + (r.lowerBound - rows.lowerBound + i)] = values[j * r.count + i] }
                    }
                }
                for g in rows.clamped(to: columns) { block[(g - columns.lowerBound) * rows.count + (g - rows.lowerBound)] += config.sparseJitter }
                return block
            }
        } catch let error as CommunicationError where error.singularColumn != nil {
            let column = error.singularColumn!
            let t = (0..<terms.count).first { columnOffsets[$0] <= column && column < columnOffsets[$0 + 1] } ?? 0
            throw TrainingError.sparseCovarianceNotPositiveDefinite(
                term: "descriptors[\(t)] (\(terms[t].name))",
                detail: "the distributed Cholesky factorisation breaks down at sparse point \(column - columnOffsets[t])", jitter: config.sparseJitter)
        }
        }
        var rows = RowQueue(columns: m)
        lap("sparse covariance")

        let shareRows = distribution.shares.map { share in data.frames[share].reduce(0) { $0 + $1.observationCount } }
        let rounds = shareRows.map { ($0 + perRound - 1) / perRound }.max() ?? 0
        // Rows of rounds already folded (a resumed run): whole frames skipped, then the first rows
        // of the frame the last saved round ended in.
        var skipRows = min(roundsDone * perRound, shareRows[distribution.rank])
        var firstFrame = distribution.share.lowerBound
        while firstFrame < distribution.share.upperBound && data.frames[firstFrame].observationCount <= skipRows {
            skipRows -= data.frames[firstFrame].observationCount
            firstFrame += 1
        }
        var batches = Trainer.batches(data.frames, from: firstFrame, to: distribution.share.upperBound, maxRows: perRound)[...]
        let progress = options.progress
        let saver = DistributedCheckpointSaver(policy: options.checkpoint, communicator: options.communicator, progress: progress)
        progress.begin(options.phasePrefix + "distributed QR", total: rounds - roundsDone, unit: "rounds")
        for round in roundsDone ..< rounds {
            // Form this rank's next rows, a wave of batches at a time, until a round is full.
            while rows.count < perRound, !batches.isEmpty {
                let wave = Array(batches.prefix(options.threads))
                batches = batches.dropFirst(wave.count)
                let blocks = try parallelMap(count: wave.count, threads: options.threads, chunkCount: wave.count) { chunk in
                    try Trainer.designBlock(frames: data.frames, range: wave[chunk], terms: terms, columnOffsets: columnOffsets, e0: e0, cutoff: cutoff)
                }
                for (block, targets) in blocks { rows.append(block.storage, rowCount: block.rowCount, targets: targets) }
                if skipRows > 0 {
                    let skipped = min(skipRows, rows.count)
                    _ = rows.take(skipped)
                    skipRows -= skipped
                }
            }
            let (taken, targets, count) = rows.take(perRound)
            try factor.foldRound(rows: taken, targets: targets, rowCount: count)
            try saver.saveIfDue(roundsDone: round + 1, columns: m, rowsPerRank: perRound, factor: factor, last: round + 1 == rounds)
            progress.advance()
        }
        progress.end()
        lap("design matrix and distributed QR (\(ranks) ranks)")
        let alpha: [Double], reciprocalCondition: Double
        do {
            (alpha, reciprocalCondition) = try factor.solve()
        } catch let error as CommunicationError where error.singularColumn != nil {
            throw TrainingError.rankDeficient(detail: explainColumn(error.singularColumn, terms: terms, sources: sources, offsets: columnOffsets) ?? error.message)
        }
        let alphas = (0..<terms.count).map { Array(alpha[columnOffsets[$0] ..< columnOffsets[$0 + 1]]) }
        lap("solve")
        return FitResult(
            potential: Potential(e0: e0, terms: terms, alphas: alphas), sparseSources: sources,
            reciprocalCondition: reciprocalCondition, observationCount: data.frames.reduce(0) { $0 + $1.observationCount },
            phaseSeconds: phases)
    }
}

extension FitDistribution {
    /// Rows each rank contributes per round of the distributed QR: together about 2(M + 1), so
    /// that the QR of the stacked rows does little more than the ideal 2 M² flops per row
    /// (the triangle on top costs 4/3 M³ per round), and at least one block of 64.
    package static func rowsPerRound(columns m: Int, ranks: Int) -> Int {
        max(64, (2 * (m + 1) + ranks - 1) / ranks)
    }
}

/// Design rows waiting for the next round, in order (column-major blocks with their targets).
struct RowQueue {
    let columns: Int
    private var blocks: [(rows: [Double], rowCount: Int, targets: [Double])] = []
    private var offset = 0  // rows of the first block already taken
    private(set) var count = 0

    init(columns: Int) { self.columns = columns }

    mutating func append(_ rows: [Double], rowCount: Int, targets: [Double]) {
        guard rowCount > 0 else { return }
        blocks.append((rows, rowCount, targets))
        count += rowCount
    }

    /// The next at most `limit` rows, column-major (leading dimension = their count), targets, count.
    mutating func take(_ limit: Int) -> ([Double], [Double], Int) {
        let n = min(limit, count)
        var out = [Double](repeating: 0, count: n * columns)
        var targets = [Double](repeating: 0, count: n)
        var filled = 0
        while filled < n {
            let block = blocks[0]
            let k = min(n - filled, block.rowCount - offset)
            for j in 0..<columns {
                for i in 0..<k { out[j * n + filled + i] = block.rows[j * block.rowCount + offset + i] }
            }
            for i in 0..<k { targets[filled + i] = block.targets[offset + i] }
            filled += k
            offset += k
            if offset == block.rowCount {
                blocks.removeFirst()
                offset = 0
            }
        }
        count -= n
        return (out, targets, n)
    }
}

/// Saves every rank's part of the distributed factor after the same rounds: rank 0's clock
/// decides (one broadcast per round), every rank writes its own file. Best effort, as every
/// checkpoint: a failure is a warning and the fit goes on.
final class DistributedCheckpointSaver {
    let policy: CheckpointPolicy?
    let communicator: any Communicator
    let progress: ProgressReporter
    private var lastSave = monotonicSeconds()
    private var warned = false

    init(policy: CheckpointPolicy?, communicator: any Communicator, progress: ProgressReporter) {
        self.policy = policy
        self.communicator = communicator
        self.progress = progress
    }

    func saveIfDue(roundsDone: Int, columns: Int, rowsPerRank: Int, factor: DistributedLeastSquares, last: Bool) throws {
        guard let policy else { return }
        let due = last || monotonicSeconds() - lastSave >= policy.intervalSeconds
        guard try communicator.broadcast([due ? Int64(1) : 0])[0] == 1 else { return }
        do {
            // The save before stays as OUTPUT.checkpoint.rankKofN.previous: if the job dies while
            // some ranks have written this round and others not, all can go back to the last one.
            rename(policy.path, policy.path + ".previous")
            try DistributedCheckpoint(
                fingerprint: policy.fingerprint, roundsDone: roundsDone, columns: columns, rowsPerRank: rowsPerRank,
                localPart: factor.localPart
            ).write(to: policy.path)
        } catch {
            if !warned {
                progress.warn("warning: could not write the checkpoint (\(error)); the fit goes on without it")
                warned = true
            }
        }
        lastSave = monotonicSeconds()
    }
}
