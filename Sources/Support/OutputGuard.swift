#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One place a command will write: a file, or a directory it fills (a report directory).
public struct PlannedOutput: Sendable {
    /// The path as given.
    public var path: String
    /// How the user named it, for messages: an option such as `--output`, or a config key.
    public var option: String
    /// Whether the output is a directory the command creates if needed and writes files into.
    public var isDirectory: Bool
    /// For a directory, the names of the files written into it; for a file, the paths of files
    /// written with it under the same lock (a checkpoint, side files). All are checked against
    /// the inputs too.
    public var companions: [String]

    /// A file output, with the files written alongside it (e.g. `OUTPUT.checkpoint`).
    public static func file(_ path: String, option: String, companions: [String] = []) -> PlannedOutput {
        PlannedOutput(path: path, option: option, isDirectory: false, companions: companions)
    }

    /// A directory output receiving the files `fileNames`.
    public static func directory(_ path: String, option: String, fileNames: [String]) -> PlannedOutput {
        PlannedOutput(path: path, option: option, isDirectory: true, companions: fileNames)
    }

    /// Every file path this output writes.
    var filePaths: [String] { isDirectory ? companions.map { joinPath(path, $0) } : [path] + companions }
}

/// The outputs of a run, checked and locked before any work (``OutputGuard/reserve(_:inputs:tool:)``).
/// Keep it until the outputs are written; ``release()`` (or the process ending) frees the locks.
public final class OutputReservation: @unchecked Sendable {
    /// The locks held, one per output.
    public let locks: [OutputLock]
    /// Stale temporary files of interrupted earlier runs that were removed.
    public let removedTemporaryFiles: [String]

    init(locks: [OutputLock], removedTemporaryFiles: [String]) {
        self.locks = locks
        self.removedTemporaryFiles = removedTemporaryFiles
    }

    /// Notes for the user: stale locks taken over and temporary files removed.
    public var notes: [String] {
        locks.compactMap(\.staleHolder).map { "note: took over the lock of an earlier run that ended without releasing it (\($0))" }
            + removedTemporaryFiles.map { "note: removed \($0), a partial file left by an interrupted earlier run" }
    }

    /// Releases the locks (removing the lock files).
    public func release() {
        for lock in locks { lock.release() }
    }
}

/// Checks a command's outputs before it does any work, so that nothing is lost and no long run
/// fails at its very end: an output must not be one of the inputs (compared by device and inode,
/// so symlinks, hard links and relative paths are seen through) nor another output, a file
/// output must not be an existing directory, and its directory must exist and be writable.
/// Concurrent runs writing the same output are detected with a lock file, and partial files of
/// our own naming left by killed runs are removed.
public enum OutputGuard {
    /// Checks `outputs` against `inputs` and the file system (no side effects).
    ///
    /// - Throws: ``InputError`` naming the output, the option that gave it, and what is wrong.
    public static func check(_ outputs: [PlannedOutput], inputs: [String]) throws {
        let inputIdentities = inputs.compactMap { path in fileIdentity(path).map { (path, $0) } }
        var seen: [(path: String, option: String, identity: FileIdentity?)] = []
        for output in outputs {
            try checkLocation(output)
            for path in output.filePaths {
                let identity = fileIdentity(path)
                if let identity, let input = inputIdentities.first(where: { $0.1 == identity }) {
                    let how = input.0 == path ? "" : " (the same file as \(input.0))"
                    throw InputError(
                        file: path, field: output.option,
                        message: "is an input of this run\(how); it would be overwritten: choose another output path")
                }
                if let input = inputs.first(where: { normalisedPath($0) == normalisedPath(path) }) {
                    throw InputError(file: path, field: output.option, message: "names the input \(input); it would be overwritten: choose another output path")
                }
                if let other = seen.first(where: { ($0.identity != nil && $0.identity == identity) || normalisedPath($0.path) == normalisedPath(path) }) {
                    throw InputError(file: path, field: output.option, message: "names the same file as \(other.option) (\(other.path)); give two different paths")
                }
                seen.append((path, output.option, identity))
            }
        }
    }

    /// Checks the outputs (``check(_:inputs:)``), creates missing directory outputs, locks every
    /// output against concurrent runs, and removes stale temporary files of earlier runs.
    ///
    /// - Throws: ``InputError`` for a bad output, or when another run holds an output's lock.
    public static func reserve(_ outputs: [PlannedOutput], inputs: [String], tool: String) throws -> OutputReservation {
        try check(outputs, inputs: inputs)
        var locks: [OutputLock] = []
        do {
            for output in outputs {
                if output.isDirectory { try createDirectory(output) }
                locks.append(try OutputLock.acquire(for: output.path, option: output.option, tool: tool))
            }
        } catch {
            for lock in locks { lock.release() }
            throw error
        }
        // Only now, holding the locks: no other run of ours is writing these temporary files.
        var removed: [String] = []
        for output in outputs {
            for path in output.filePaths { removed += removeStaleTemporaryFiles(of: path) }
        }
        return OutputReservation(locks: locks, removedTemporaryFiles: removed)
    }

    /// The output's own path and its directory.
    static func checkLocation(_ output: PlannedOutput) throws {
        let path = output.path
        guard !path.isEmpty else { throw InputError(file: "<command line>", field: output.option, message: "the output path is empty") }
        let (directory, base) = splitPath(path)
        var info = stat()
        let exists = stat(path, &info) == 0
        let isDirectory = exists && (info.st_mode & S_IFMT) == S_IFDIR
        if output.isDirectory {
            if exists && !isDirectory {
                throw InputError(file: path, field: output.option, message: "cannot write: it exists and is not a directory; give a directory for the report")
            }
            if isDirectory {
                try checkWritableDirectory(path, output: output, role: "the directory")
                return
            }
        } else {
            if isDirectory || base.isEmpty || base == "." || base == ".." {
                throw InputError(file: path, field: output.option, message: "cannot write: it is a directory; give the path of a file to write")
            }
        }
        try checkWritableDirectory(directory, output: output, role: "the output's directory")
    }

    static func checkWritableDirectory(_ directory: String, output: PlannedOutput, role: String) throws {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            let reason = errno == ENOENT ? "does not exist (create it first)" : String(cString: strerror(errno))
            throw InputError(file: output.path, field: output.option, message: "cannot write: \(role) \(directory) \(reason)")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw InputError(file: output.path, field: output.option, message: "cannot write: \(role) \(directory) is not a directory")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw InputError(
                file: output.path, field: output.option,
                message: "cannot write: \(role) \(directory) is not writable: \(String(cString: strerror(errno)))")
        }
    }

    static func createDirectory(_ output: PlannedOutput) throws {
        var info = stat()
        guard stat(output.path, &info) != 0 else { return }
        guard mkdir(output.path, 0o755) == 0 || errno == EEXIST else {
            throw InputError(file: output.path, field: output.option, message: "cannot create the directory: \(String(cString: strerror(errno)))")
        }
    }
}

/// A device and inode: the identity of a file, whatever path reaches it.
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64
}

/// The identity of the file at `path` (symlinks followed), or nil if it does not exist.
func fileIdentity(_ path: String) -> FileIdentity? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
}

/// `path` without "./" components and repeated slashes (for paths that do not exist yet).
func normalisedPath(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." { parts.append(part) }
    return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
}

/// The directory ("." for a bare name) and the last component of `path`.
func splitPath(_ path: String) -> (directory: String, base: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = slash == path.startIndex ? "/" : String(path[..<slash])
    return (directory, String(path[path.index(after: slash)...]))
}

func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// Removes `.NAME.tmp-XXXXXX` and `.NAME.scratch-XXXXXX` next to `path` (NAME its last
/// component): the temporary files ``writeFileAtomically(_:to:)`` and the streaming writers
/// create, left behind only when a process was killed mid-write. Call it only while holding the
/// output's lock, so that no running writer's file is removed. Returns the paths removed.
public func removeStaleTemporaryFiles(of path: String) -> [String] {
    let (directory, base) = splitPath(path)
    guard !base.isEmpty, let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    let prefixes = [".\(base).tmp-", ".\(base).scratch-"]
    var removed: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard let prefix = prefixes.first(where: { name.hasPrefix($0) }) else { continue }
        // mkstemp's six characters, nothing more: never a file that merely starts alike.
        let suffix = name.dropFirst(prefix.count)
        guard suffix.count == 6, suffix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { continue }
        let stale = joinPath(directory, name)
        var info = stat()
        guard lstat(stale, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
        if unlink(stale) == 0 { removed.append(stale) }
    }
    return removed.sorted()
}

/// A lock on one output, held by the run writing it: `.NAME.lock` next to the output (inside a
/// directory output), locked with flock(2). The kernel drops the lock when the process ends,
/// however it ends, so a lock file left by a killed run is stale and simply taken over; a lock
/// held by a live run makes the next run on the same output stop with a clear message.
public final class OutputLock: @unchecked Sendable {
    /// The lock file.
    public let path: String
    /// What the lock file said about the earlier run when it was taken over (nil if it was new).
    public let staleHolder: String?
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
    public static func acquire(for output: String, option: String, tool: String) throws -> OutputLock {
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
