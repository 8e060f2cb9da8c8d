import Dispatch

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
private final class ChunkCounter: @unchecked Sendable {
    private var value = 0
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func take(limit: Int) -> Int? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
