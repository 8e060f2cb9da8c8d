import Descriptors
import LinearAlgebra
import MessagePassing
import ModelFiles
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
