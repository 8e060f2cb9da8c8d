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
    package var isDirectory: Bool
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
    package let removedTemporaryFiles: [String]

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
package func removeStaleTemporaryFiles(of path: String) -> [String] {
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
