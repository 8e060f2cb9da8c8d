import AtomicStructures
import Configuration
import JSON
import Kernels
import LinearAlgebra
import ModelFiles
import Support
#if canImport(Glibc)
import Glibc
#endif

/// When and where a fit saves its progress.
public struct CheckpointPolicy: Sendable {
    /// The checkpoint file (written atomically, replaced each time).
    public var path: String
    /// Minimum seconds between checkpoints during the design-matrix pass (0: after every wave).
    public var intervalSeconds: Double
    /// Identifies the run: config, training data and code. A checkpoint is only resumed by a
    /// run with the same fingerprint.
    public var fingerprint: String

    /// Creates a policy.
    public init(path: String, intervalSeconds: Double = 120, fingerprint: String) {
        self.path = path
        self.intervalSeconds = intervalSeconds
        self.fingerprint = fingerprint
    }

    /// The fingerprint of fitting `config` to `data` with this code: SHA-256 of the canonical
    /// config, the training files' SHA-256, the code version and the block size.
    public static func fingerprint(config: TrainingConfig, data: TrainingData, blockRows: Int) -> String {
        var hasher = SHA256()
        hasher.update(Array(config.canonicalJSON(pretty: false).utf8))
        for file in data.files { hasher.update(Array("\n\(file.sha256)".utf8)) }
        hasher.update(Array("\n\(swiftGAPVersion)\n\(blockRows)\n\(data.frames.count)".utf8))
        return hasher.finalize()
    }
}

/// The saved state of a fit: the model's terms with their sparse points, e0, and the streaming
/// QR after a number of batches of design rows. Resuming from it gives the byte-identical model
/// an uninterrupted run gives, because the remaining batches are folded in the same order.
///
/// File format: the line `SWIFTGAP-CHECKPOINT 1`, a line with the byte length of a JSON header,
/// the header (fingerprint, progress, sizes, and the model file text with zero coefficients, which
/// carries terms, sparse points, their sources and e0), then the upper triangle of R packed
/// column by column and the first M entries of Qᵀy, as little-endian float64.
public struct Checkpoint: Sendable {
    /// The run's fingerprint (see ``CheckpointPolicy/fingerprint(config:data:blockRows:)``).
    public var fingerprint: String
    /// Batches of design rows already folded into `solver`.
    public var batchesDone: Int
    /// The block size the batches were made with.
    public var blockRows: Int
    /// Terms (with sparse points) and e0, as a model with zero coefficients.
    public var model: ModelFile
    /// The streaming QR state.
    public var solver: IncrementalLeastSquares

    static let magic = "SWIFTGAP-CHECKPOINT 1\n"

    /// Writes the checkpoint atomically.
    public func write(to path: String) throws {
        let header = JSONWriter.write(JSONWriter.object([
            ("fingerprint", .string(fingerprint)),
            ("batches_done", JSONWriter.number(batchesDone)),
            ("block_rows", JSONWriter.number(blockRows)),
            ("columns", JSONWriter.number(solver.columns)),
            ("rows_folded", JSONWriter.number(solver.rowCount)),
            ("residual_sum_of_squares", JSONWriter.number(solver.residualSumOfSquares)),
            ("model", .string(model.encoded())),
        ]), pretty: false)
        let m = solver.columns
        var bytes = Array(Checkpoint.magic.utf8)
        bytes += Array("\(header.utf8.count)\n".utf8)
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + 8 * (m * (m + 1) / 2 + m))
        func append(_ x: Double) {
            let bits = x.bitPattern.littleEndian
            for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
        }
        let r = solver.r
        for j in 0..<m {
            for i in 0...j { append(r[i, j]) }
        }
        for x in solver.qTransposedTargets { append(x) }
        try writeFileAtomically(bytes, to: path)
    }

    /// Reads a checkpoint, checking its structure.
    public static func load(path: String) throws -> Checkpoint {
        let bytes = try readFile(path, what: "checkpoint")
        func fail(_ message: String) -> InputError { InputError(file: path, message: "not a usable checkpoint: \(message)") }
        let magic = Array(magic.utf8)
        guard bytes.count > magic.count, Array(bytes[0..<magic.count]) == magic else { throw fail("it does not start with \"SWIFTGAP-CHECKPOINT 1\"") }
        guard let newline = bytes[magic.count...].firstIndex(of: 10),
              let length = Int(String(decoding: bytes[magic.count..<newline], as: UTF8.self)),
              length > 0, newline + 1 + length <= bytes.count
        else { throw fail("the header length is missing or wrong") }
        let headerBytes = Array(bytes[(newline + 1)..<(newline + 1 + length)])
        let root = try JSONParser.parse(headerBytes, fileName: path)
        guard case .object(let header) = root.kind,
              case .string(let fingerprint)? = header["fingerprint"]?.kind,
              case .number(let done)? = header["batches_done"]?.kind, let batchesDone = done.exactInteger,
              case .number(let block)? = header["block_rows"]?.kind, let blockRows = block.exactInteger,
              case .number(let cols)? = header["columns"]?.kind, let m = cols.exactInteger, m >= 0,
              case .number(let rows)? = header["rows_folded"]?.kind, let rowCount = rows.exactInteger,
              case .number(let residual)? = header["residual_sum_of_squares"]?.kind,
              case .string(let modelText)? = header["model"]?.kind
        else { throw fail("the header lacks a field") }
        let model = try ModelFile.decode(Array(modelText.utf8), name: path + " (embedded model)")
        var offset = newline + 1 + length
        let doubles = m * (m + 1) / 2 + m
        guard bytes.count - offset == 8 * doubles else { throw fail("it holds \(bytes.count - offset) bytes of data, expected \(8 * doubles)") }
        func next() -> Double {
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
            offset += 8
            return Double(bitPattern: UInt64(littleEndian: bits))
        }
        var r = Matrix(rows: m, columns: m)
        for j in 0..<m {
            for i in 0...j { r[i, j] = next() }
        }
        let qty = (0..<m).map { _ in next() }
        let solver = try IncrementalLeastSquares(restoringR: r, qTransposedTargets: qty, residualSumOfSquares: residual.doubleValue, rowCount: rowCount)
        return Checkpoint(fingerprint: fingerprint, batchesDone: batchesDone, blockRows: blockRows, model: model, solver: solver)
    }
}
