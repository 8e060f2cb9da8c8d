import JSON
import Support

/// The saved state of one rank of a fit with the factor spread over the ranks
/// (``FitOptions/distributedFactor``): its part of the distributed matrix after a number of
/// rounds. Every rank saves after the same round (rank 0's clock decides), so the files of one
/// run resume together, with the same rank count; the sparse points are chosen again on resume
/// (deterministically: the same ones), and each rank skips the rows of the rounds already done.
///
/// Format 1: the line `SWIFTGAP-DISTRIBUTED-CHECKPOINT 1`, the line `sha256 HEX` (of every byte
/// after it), a line with the byte length of a JSON header (fingerprint, rounds, sizes), the
/// header, then this rank's part as little-endian float64.
public struct DistributedCheckpoint: Sendable {
    public var fingerprint: String
    /// Rounds folded into the saved part.
    public var roundsDone: Int
    public var columns: Int
    public var rowsPerRank: Int
    public var localPart: [Double]

    static let magic = "SWIFTGAP-DISTRIBUTED-CHECKPOINT 1\n"

    public func encoded() -> [UInt8] {
        let header = JSONWriter.write(JSONWriter.object([
            ("fingerprint", .string(fingerprint)),
            ("rounds_done", JSONWriter.number(roundsDone)),
            ("columns", JSONWriter.number(columns)),
            ("rows_per_rank", JSONWriter.number(rowsPerRank)),
            ("local_numbers", JSONWriter.number(localPart.count)),
        ]), pretty: false)
        var body = Array("\(header.utf8.count)\n".utf8) + Array(header.utf8)
        body.reserveCapacity(body.count + 8 * localPart.count)
        for x in localPart {
            let bits = x.bitPattern.littleEndian
            for k in 0..<8 { body.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
        }
        var hasher = SHA256()
        hasher.update(body)
        return Array("\(DistributedCheckpoint.magic)sha256 \(hasher.finalize())\n".utf8) + body
    }

    public func write(to path: String) throws { try writeFileAtomically(encoded(), to: path) }

    /// A rank's latest checkpoint at `path` and the one before (`path.previous`), those present;
    /// throws the latest's error when neither can be read.
    public static func loadGenerations(path: String) throws -> [DistributedCheckpoint] {
        let previous = try? load(path: path + ".previous")
        do {
            return [try load(path: path)] + (previous.map { [$0] } ?? [])
        } catch {
            if let previous { return [previous] }
            throw error
        }
    }

    /// Reads a rank's checkpoint, checking its checksum and structure.
    public static func load(path: String) throws -> DistributedCheckpoint {
        let bytes = try readFile(path, what: "checkpoint")
        func fail(_ message: String) -> InputError { InputError(file: path, message: "not a usable distributed-factor checkpoint: \(message)") }
        let magic = Array(magic.utf8)
        guard bytes.starts(with: magic) else {
            throw fail("it does not start with \(DistributedCheckpoint.magic.dropLast()) (a checkpoint of a fit without --distributed-factor resumes only without it)")
        }
        var position = magic.count
        func line() throws -> String {
            guard let end = bytes[position...].firstIndex(of: 10) else { throw fail("truncated") }
            defer { position = end + 1 }
            return String(decoding: bytes[position..<end], as: UTF8.self)
        }
        let digestLine = try line()
        guard digestLine.hasPrefix("sha256 ") else { throw fail("no checksum line") }
        var hasher = SHA256()
        hasher.update(Array(bytes[position...]))
        guard hasher.finalize() == String(digestLine.dropFirst(7)) else { throw fail("the checksum does not match (the file is corrupt or was edited)") }
        guard let headerLength = Int(try line()), headerLength > 0, position + headerLength <= bytes.count else { throw fail("bad header length") }
        let root = try JSONParser.parse(Array(bytes[position ..< position + headerLength]), fileName: path)
        position += headerLength
        guard case .object(let header) = root.kind, case .string(let fingerprint)? = header["fingerprint"]?.kind else {
            throw fail("the header has no fingerprint")
        }
        func integer(_ key: String) throws -> Int {
            guard case .number(let n)? = header[key]?.kind, let i = n.exactInteger, i >= 0 else { throw fail("the header has no integer \(key)") }
            return i
        }
        let count = try integer("local_numbers")
        guard count <= bytes.count, bytes.count - position == 8 * count else { throw fail("\(bytes.count - position) bytes of data for \(count) numbers") }
        var part = [Double](repeating: 0, count: count)
        for k in 0..<count {
            var bits: UInt64 = 0
            for b in 0..<8 { bits |= UInt64(bytes[position + 8 * k + b]) << (8 * UInt64(b)) }
            part[k] = Double(bitPattern: bits)
        }
        return DistributedCheckpoint(
            fingerprint: fingerprint, roundsDone: try integer("rounds_done"), columns: try integer("columns"),
            rowsPerRank: try integer("rows_per_rank"), localPart: part)
    }
}
