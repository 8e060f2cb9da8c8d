#if canImport(Glibc)
import Glibc
#endif

/// The processes of one run and how they exchange data: a single process, or the ranks of an
/// MPI job (``MPIWorld``, built with the package trait MPI).
///
/// Calls are collective where MPI's are (``broadcast(_:root:)``, ``sum(_:)``, ``barrier()``:
/// every rank calls them in the same order) and made from one thread per process. Messages of
/// any size are split into pieces MPI's 32-bit counts can carry.
public protocol Communicator: AnyObject, Sendable {
    /// This process's rank, 0 ..< ``size``.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Copies rank `root`'s bytes into every rank's buffer (the same length on every rank).
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Sends bytes to one rank (which receives them with ``receive(_:from:)``).
    func send(_ bytes: UnsafeRawBufferPointer, to rank: Int) throws
    /// Receives exactly `bytes.count` bytes sent by `rank`.
    func receive(_ bytes: UnsafeMutableRawBufferPointer, from rank: Int) throws
    /// The element-wise sum over ranks, on every rank.
    func sum(_ values: [Int64]) throws -> [Int64]
    /// Waits until every rank has arrived.
    func barrier() throws
    /// Stops every rank of the job with `status` (after this rank has said why on stderr).
    func abort(status: Int32) -> Never
    /// Bytes this rank has sent and received, and seconds spent in communication (waits included).
    var traffic: CommunicationTraffic { get }
}

/// What one rank has communicated, for progress lines and benchmarks.
public struct CommunicationTraffic: Sendable {
    public var bytesSent = 0
    public var bytesReceived = 0
    public var seconds = 0.0
    public init() {}
}

/// The communicator of a run without MPI: rank 0 of 1; collectives are no-ops.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws {}
    public func send(_ bytes: UnsafeRawBufferPointer, to rank: Int) throws {
        throw CommunicationError(message: "a single process has no rank \(rank) to send to")
    }
    public func receive(_ bytes: UnsafeMutableRawBufferPointer, from rank: Int) throws {
        throw CommunicationError(message: "a single process has no rank \(rank) to receive from")
    }
    public func sum(_ values: [Int64]) throws -> [Int64] { values }
    public func barrier() throws {}
    public func abort(status: Int32) -> Never { exit(status) }
    public var traffic: CommunicationTraffic { CommunicationTraffic() }
}

/// A failed MPI call.
public struct CommunicationError: Error, CustomStringConvertible {
    public var message: String
    /// For a singular distributed triangle: the first zero pivot's column.
    public var singularColumn: Int?
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Typed messages over the byte-level calls.
extension Communicator {
    /// Whether this is rank 0, the rank that reads configs aloud, writes outputs and solves.
    public var isRoot: Bool { rank == 0 }

    /// Rank `root`'s array on every rank (other ranks' arrays are replaced; lengths may differ).
    public func broadcast<Element: BitwiseCopyable>(_ values: [Element], root: Int = 0) throws -> [Element] {
        guard size > 1 else { return values }
        var count = [Int64(values.count)]
        try count.withUnsafeMutableBytes { try broadcast($0, root: root) }
        var result = rank == root ? values : [Element](unsafeUninitializedCapacity: Int(count[0])) { _, n in n = Int(count[0]) }
        try result.withUnsafeMutableBytes { try broadcast($0, root: root) }
        return result
    }

    /// Sends an array (its length first) to `rank`.
    public func send<Element: BitwiseCopyable>(_ values: [Element], to rank: Int) throws {
        try [Int64(values.count)].withUnsafeBytes { try send($0, to: rank) }
        try values.withUnsafeBytes { try send($0, to: rank) }
    }

    /// Receives an array sent with ``send(_:to:)`` by `rank`.
    public func receive<Element: BitwiseCopyable>(_: Element.Type = Element.self, from rank: Int) throws -> [Element] {
        var count: [Int64] = [0]
        try count.withUnsafeMutableBytes { try receive($0, from: rank) }
        guard count[0] >= 0 else { throw CommunicationError(message: "rank \(rank) sent a negative length") }
        var result = [Element](unsafeUninitializedCapacity: Int(count[0])) { _, n in n = Int(count[0]) }
        try result.withUnsafeMutableBytes { try receive($0, from: rank) }
        return result
    }

    /// Every rank's array concatenated in rank order, on `root` (nil elsewhere). The root learns
    /// every length first and receives each array straight into its place in the result, so it
    /// holds the result and its own array, no receive buffer besides.
    public func gather<Element: BitwiseCopyable>(_ values: [Element], root: Int = 0) throws -> [Element]? {
        guard size > 1 else { return values }
        guard rank == root else {
            try send(values, to: root)
            return nil
        }
        var counts = [Int](repeating: 0, count: size)
        for r in 0..<size where r != root {
            var count: [Int64] = [0]
            try count.withUnsafeMutableBytes { try receive($0, from: r) }
            guard count[0] >= 0 else { throw CommunicationError(message: "rank \(r) sent a negative length") }
            counts[r] = Int(count[0])
        }
        counts[root] = values.count
        var result = [Element](unsafeUninitializedCapacity: counts.reduce(0, +)) { _, n in n = counts.reduce(0, +) }
        var offset = 0
        try result.withUnsafeMutableBufferPointer { out in
            for r in 0..<size {
                let part = UnsafeMutableBufferPointer(rebasing: out[offset ..< offset + counts[r]])
                if r == root {
                    _ = part.initialize(from: values)
                } else {
                    try receive(UnsafeMutableRawBufferPointer(part), from: r)
                }
                offset += counts[r]
            }
        }
        return result
    }

    /// The sum of one number over ranks, on every rank.
    public func sum(_ value: Int) throws -> Int { Int(try sum([Int64(value)])[0]) }
}
