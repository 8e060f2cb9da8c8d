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
    /// config, the training files' SHA-256, the code version and the QR panel size. The block
    /// size is not part of it: the model does not depend on it, so a run may resume with another.
    /// Over MPI it names the rank and the rank count too: a rank resumes only its own share.
    public static func fingerprint(config: TrainingConfig, data: TrainingData, rank: Int = 0, of ranks: Int = 1) -> String {
        var hasher = SHA256()
        hasher.update(Array(config.canonicalJSON(pretty: false).utf8))
        for file in data.files { hasher.update(Array("\n\(file.sha256)".utf8)) }
        hasher.update(Array("\n\(swiftGAPVersion)\npanels \(FitOptions.panelRows)\n\(data.frames.count)".utf8))
        if ranks > 1 { hasher.update(Array("\nrank \(rank) of \(ranks)".utf8)) }
        return hasher.finalize()
    }
}

/// The saved state of a fit: the model's terms with their sparse points, e0, and the streaming
/// QR after a number of training frames. Resuming from it gives the byte-identical model an
/// uninterrupted run gives, because the remaining rows are folded in the same fixed panels
/// (``PanelledLeastSquares``), whatever block size either run uses.
///
/// File format 2: the line `SWIFTGAP-CHECKPOINT 2`, the line `sha256 HEX` (the SHA-256 of every
/// byte after that line), a line with the byte length of a JSON header, the header (fingerprint,
/// progress, sizes, and the model file text with zero coefficients, which carries terms, sparse
/// points, their sources and e0), then as little-endian float64 the upper triangle of R packed
/// column by column, the first M entries of Qᵀy, and the rows of the partly filled panel
/// (`pending_rows` x M, column-major) with their targets. Format 1 (no checksum, batches of a
/// given block size) is refused: it cannot be resumed by this code.
public struct Checkpoint: Sendable {
    /// The run's fingerprint (see ``CheckpointPolicy/fingerprint(config:data:)``).
    public var fingerprint: String
    /// Training frames whose rows have been appended to `solver` (folded or pending), in order.
    public var framesDone: Int
    /// Terms (with sparse points) and e0, as a model with zero coefficients.
    public var model: ModelFile
    /// The streaming QR state, with the rows of the panel being filled.
    public var solver: PanelledLeastSquares

    static let magic = "SWIFTGAP-CHECKPOINT 2\n"
    static let formerMagic = "SWIFTGAP-CHECKPOINT 1\n"

    /// The bytes of the checkpoint file.
    public func encoded() -> [UInt8] {
        let qr = solver.solver
        let header = JSONWriter.write(JSONWriter.object([
            ("fingerprint", .string(fingerprint)),
            ("frames_done", JSONWriter.number(framesDone)),
            ("panel_rows", JSONWriter.number(solver.panelRows)),
            ("columns", JSONWriter.number(qr.columns)),
            ("rows_folded", JSONWriter.number(qr.rowCount)),
            ("rows_appended", JSONWriter.number(solver.rowsAppended)),
            ("pending_rows", JSONWriter.number(solver.pendingRowCount)),
            ("residual_sum_of_squares", JSONWriter.number(qr.residualSumOfSquares)),
            ("model", .string(model.encoded())),
        ]), pretty: false)
        let m = qr.columns
        let pending = solver.pendingRows
        // The file is built in place, hashed piece by piece as it grows (one copy of R in
        // memory, not three), and the digest is written into its line at the end.
        var out = Array("\(Checkpoint.magic)sha256 \(String(repeating: "0", count: 64))\n".utf8)
        let digestStart = out.count - 65
        let doubles: Int = m * (m + 1) / 2 + m + pending.storage.count + pending.rows
        out.reserveCapacity(out.count + header.utf8.count + 32 + 8 * doubles)
        var hasher = SHA256()
        var piece: [UInt8] = []
        func flush() {
            hasher.update(piece)
            out += piece
            piece.removeAll(keepingCapacity: true)
        }
        func append(_ x: Double) {
            let bits = x.bitPattern.littleEndian
            for k in 0..<8 { piece.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
        }
        piece = Array("\(header.utf8.count)\n".utf8) + Array(header.utf8)
        flush()
        let r = qr.r
        for j in 0..<m {
            for i in 0...j { append(r[i, j]) }
            if piece.count >= 1 << 16 { flush() }
        }
        for x in qr.qTransposedTargets { append(x) }
        for x in pending.storage { append(x) }
        for x in solver.pendingRowTargets { append(x) }
        flush()
        for (k, byte) in hasher.finalize().utf8.enumerated() { out[digestStart + k] = byte }
        return out
    }

    /// Writes the checkpoint atomically.
    public func write(to path: String) throws {
        try writeFileAtomically(encoded(), to: path)
    }

    /// Reads a checkpoint, checking its checksum and structure.
    ///
    /// - Throws: ``InputError`` naming the file and what failed (checksum, format, a field).
    public static func load(path: String) throws -> Checkpoint {
        try decode(readFile(path, what: "checkpoint"), name: path)
    }

    /// Decodes checkpoint bytes; `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name path: String) throws -> Checkpoint {
        func fail(_ message: String) -> InputError { InputError(file: path, message: "not a usable checkpoint: \(message)") }
        let magic = Array(magic.utf8)
        if bytes.starts(with: Array(formerMagic.utf8)) {
            throw fail("it was written by an earlier SwiftGAP (checkpoint format 1, without a checksum), whose fit this version cannot continue; start again without --resume")
        }
        guard bytes.count > magic.count, bytes.starts(with: magic) else { throw fail("it does not start with \"SWIFTGAP-CHECKPOINT 2\"") }
        let prefix = Array("sha256 ".utf8)
        let sumStart = magic.count
        guard bytes.count >= sumStart + prefix.count + 65, Array(bytes[sumStart..<(sumStart + prefix.count)]) == prefix,
              bytes[sumStart + prefix.count + 64] == 10
        else { throw fail("its checksum line (\"sha256 …\", line 2) is missing or damaged") }
        let stored = String(decoding: bytes[(sumStart + prefix.count)..<(sumStart + prefix.count + 64)], as: UTF8.self)
        let bodyStart = sumStart + prefix.count + 65
        let actual = SHA256.hex(of: bytes[bodyStart...])
        guard stored == actual else {
            throw fail("checksum mismatch: the file is corrupt or truncated (SHA-256 of its contents is \(actual), line 2 records \(stored)); remove it and start again without --resume")
        }
        guard let newline = bytes[bodyStart...].firstIndex(of: 10),
              let length = Int(String(decoding: bytes[bodyStart..<newline], as: UTF8.self)),
              length > 0, newline + 1 + length <= bytes.count
        else { throw fail("the header length is missing or wrong") }
        let headerBytes = Array(bytes[(newline + 1)..<(newline + 1 + length)])
        let root = try JSONParser.parse(headerBytes, fileName: path)
        func integer(_ key: String) throws -> Int {
            guard case .object(let header) = root.kind, case .number(let n)? = header[key]?.kind, let i = n.exactInteger, i >= 0 else {
                throw fail("the header lacks the field \(key)")
            }
            return i
        }
        guard case .object(let header) = root.kind,
              case .string(let fingerprint)? = header["fingerprint"]?.kind,
              case .number(let residual)? = header["residual_sum_of_squares"]?.kind,
              case .string(let modelText)? = header["model"]?.kind
        else { throw fail("the header lacks a field") }
        let framesDone = try integer("frames_done"), panelRows = try integer("panel_rows"), m = try integer("columns")
        let rowCount = try integer("rows_folded"), appended = try integer("rows_appended"), pendingCount = try integer("pending_rows")
        let model = try ModelFile.decode(Array(modelText.utf8), name: path + " (embedded model)")
        var offset = newline + 1 + length
        // Sizes bounded by the bytes present before any arithmetic on them (no overflow).
        guard m <= Int(Double(bytes.count).squareRoot()), pendingCount < max(1, panelRows), panelRows <= bytes.count else {
            throw fail("its sizes (columns \(m), panel rows \(panelRows), pending rows \(pendingCount)) do not fit its \(bytes.count) bytes")
        }
        let doubles: Int = m * (m + 1) / 2 + m + pendingCount * (m + 1)
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
        let pending = Matrix(rows: pendingCount, columns: m, columnMajor: (0..<(pendingCount * m)).map { _ in next() })
        let pendingTargets = (0..<pendingCount).map { _ in next() }
        do {
            let qr = try IncrementalLeastSquares(restoringR: r, qTransposedTargets: qty, residualSumOfSquares: residual.doubleValue, rowCount: rowCount)
            let solver = try PanelledLeastSquares(
                restoring: qr, panelRows: max(1, panelRows), pendingRows: pending, pendingTargets: pendingTargets, rowsAppended: appended)
            return Checkpoint(fingerprint: fingerprint, framesDone: framesDone, model: model, solver: solver)
        } catch let error as LinearAlgebraError {
            throw fail(error.message)
        }
    }
}
