import Dispatch
import Synchronization

/// How many worker threads the numeric code uses. Set once by the command-line tools
/// (`--threads`); defaults to the number of active processors.
public enum ThreadCount {
    nonisolated(unsafe) private static var configured: Int?

    /// The current thread count (at least 1).
    public static var current: Int {
        get { configured ?? max(1, activeProcessorCount()) }
        set { configured = max(1, newValue) }
    }
}

private func activeProcessorCount() -> Int {
    #if os(Linux)
    return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    #else
    return 1
    #endif
}

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` over `0 ..< count` split into contiguous chunks, on up to `threads` workers.
///
/// The split depends only on `count` and `chunkCount` (never on timing), so any reduction the
/// caller performs over chunk results in chunk order is deterministic. Each chunk is processed
/// by exactly one worker; `body` receives the chunk index and its range.
public func parallelChunks(
    count: Int, chunkCount requested: Int? = nil, threads: Int = ThreadCount.current,
    _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
) {
    guard count > 0 else { return }
    let chunks = max(1, min(count, requested ?? threads))
    let ranges = (0..<chunks).map { c in (c * count / chunks) ..< ((c + 1) * count / chunks) }
    if threads <= 1 || chunks == 1 {
        for (c, range) in ranges.enumerated() { body(c, range) }
        return
    }
    // Workers pull chunk indices in order; which worker runs a chunk does not affect results.
    let next = ChunkCounter()
    DispatchQueue.concurrentPerform(iterations: min(threads, chunks)) { _ in
        while let c = next.take(limit: chunks) { body(c, ranges[c]) }
    }
}

/// A lock-protected counter handing out chunk indices.
private final class ChunkCounter: Sendable {
    private let value = Mutex(0)

    func take(limit: Int) -> Int? {
        value.withLock { value in
            guard value < limit else { return nil }
            value += 1
            return value - 1
        }
    }
}

/// Maps `0 ..< count` through `transform` on up to `threads` workers, returning results in index
/// order. If any call throws, the error of the lowest index is rethrown (so the reported error
/// does not depend on timing). Work is split into at most `chunkCount` contiguous chunks
/// (default: 64 per thread, which balances uneven items such as structures of different sizes).
public func parallelMap<T>(
    count: Int, threads: Int = ThreadCount.current, chunkCount: Int? = nil, _ transform: (Int) throws -> T
) throws -> [T] {
    guard count > 0 else { return [] }
    var results = [T?](repeating: nil, count: count)
    var failures = [Error?](repeating: nil, count: count)
    results.withUnsafeMutableBufferPointer { out in
        failures.withUnsafeMutableBufferPointer { errors in
            parallelChunks(count: count, chunkCount: chunkCount ?? min(count, 64 * threads), threads: threads) { _, range in
                for i in range {
                    do { out[i] = try transform(i) } catch { errors[i] = error }
                }
            }
        }
    }
    if let error = failures.first(where: { $0 != nil }) { throw error! }
    return results.map { $0! }
}
