#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock on one output, held by the run writing it: `.NAME.lock` next to the output (inside a
/// directory output), locked with flock(2). The kernel drops the lock when the process ends,
/// however it ends, so a lock file left by a killed run is stale and simply taken over; a lock
/// held by a live run makes the next run on the same output stop with a clear message.
public final class OutputLock: @unchecked Sendable {
    /// The lock file.
    public let path: String
    /// What the lock file said about the earlier run when it was taken over (nil if it was new).
    package let staleHolder: String?
    private var descriptor: Int32

    private init(path: String, descriptor: Int32, staleHolder: String?) {
        self.path = path
        self.descriptor = descriptor
        self.staleHolder = staleHolder
    }

    /// Locks `output` for `tool`.
    ///
    /// - Throws: ``InputError`` naming the output when another run holds the lock (with its
    ///   process id, tool and start time as it recorded them) or the lock file cannot be made.
    package static func acquire(for output: String, option: String, tool: String) throws -> OutputLock {
        var info = stat()
        let isDirectory = stat(output, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
        let (directory, base) = splitPath(output)
        let lockPath = isDirectory ? joinPath(output, ".swiftgap.lock") : joinPath(directory, ".\(base).lock")
        // A finishing run unlinks its lock file while holding it; if we locked that unlinked
        // file, the path now names another (or none): try again with the current one.
        for _ in 0..<100 {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw InputError(file: output, field: option, message: "cannot create the lock file \(lockPath): \(String(cString: strerror(errno)))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let reason = errno
                let holder = readHolder(fd)
                close(fd)
                guard reason == EWOULDBLOCK else {
                    throw InputError(file: output, field: option, message: "cannot lock \(lockPath): \(String(cString: strerror(reason)))")
                }
                throw InputError(
                    file: output, field: option,
                    message: "another run is writing this output (\(holder.isEmpty ? "lock file \(lockPath)" : holder)); wait for it to finish or choose another output path")
            }
            var locked = stat(), current = stat()
            guard fstat(fd, &locked) == 0, stat(lockPath, &current) == 0, locked.st_ino == current.st_ino, locked.st_dev == current.st_dev else {
                close(fd)
                continue
            }
            let previous = readHolder(fd)
            let record = "\(tool), process \(getpid()) on \(hostName()), started \(utcTimestamp())\n"
            _ = ftruncate(fd, 0)
            _ = record.withCString { pwrite(fd, $0, strlen($0), 0) }
            let lock = OutputLock(path: lockPath, descriptor: fd, staleHolder: previous.isEmpty ? nil : previous)
            OutputLock.held.append(lock)
            return lock
        }
        throw InputError(file: output, field: option, message: "cannot lock \(lockPath): it keeps being replaced by other runs")
    }

    /// Removes the lock file and unlocks (idempotent).
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
        OutputLock.held.removeAll { $0 === self }
    }

    /// Releases every lock this process holds: command-line tools call it before exiting, so
    /// that a finished run leaves no lock file behind (a killed one leaves a stale, unlocked one).
    public static func releaseAll() {
        for lock in held { lock.release() }
    }

    /// Locks held by this process. Locks are taken and released by a command's main thread.
    nonisolated(unsafe) private static var held: [OutputLock] = []

    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return "" }
        return String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }

    private static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "this host" }
        return String(cString: name)
    }

    private static func utcTimestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func two(_ x: Int32) -> String { x < 10 ? "0\(x)" : "\(x)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
    }
}
