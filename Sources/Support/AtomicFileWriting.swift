#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A new file created next to a destination path, for output that ends in an atomic rename onto
/// the destination (same directory, so the same file system) or that is used as scratch space.
public struct TemporaryFile {
    /// The open file's descriptor (the caller closes it).
    public let descriptor: Int32
    /// Where the file was created.
    public let path: String
    /// The destination's directory ("." for a bare file name): fsync it after a rename.
    public let directory: String
    /// The destination's current permissions, or `rw-r--r--` if it does not exist yet.
    public let destinationMode: mode_t

    /// Creates `.<name><suffix>` in the directory of `destination`; `suffix` ends in `XXXXXX`
    /// (mkstemp).
    ///
    /// - Throws: ``InputError`` naming `destination` when it names a directory or the file cannot
    ///   be created there.
    public init(beside destination: String, suffix: String = ".tmp-XXXXXX") throws {
        let base: String
        if let slash = destination.lastIndex(of: "/") {
            directory = slash == destination.startIndex ? "/" : String(destination[..<slash])
            base = String(destination[destination.index(after: slash)...])
        } else {
            directory = "."
            base = destination
        }
        guard !base.isEmpty, base != ".", base != ".." else {
            throw InputError(file: destination, message: "cannot write: the path names a directory, expected a file name")
        }
        var existing = stat()
        let exists = stat(destination, &existing) == 0
        if exists, (existing.st_mode & S_IFMT) == S_IFDIR {
            throw InputError(file: destination, message: "cannot write: it is a directory, expected a file name")
        }
        destinationMode = exists ? (existing.st_mode & 0o7777) : 0o644
        var template = Array((directory + "/." + base + suffix).utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw InputError(
                file: destination, message: "cannot write: cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        path = String(cString: template)
    }

    /// fsyncs `directory`, making a rename into it durable; failures are ignored (the renamed
    /// file is complete either way).
    public static func syncDirectory(_ directory: String) {
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }
}

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename; nothing
/// half-written is ever left at `path`, and the temp file is removed on failure.
///
/// The file gets the permissions of the file it replaces, or `rw-r--r--` if it is new. Throws
/// ``InputError`` naming `path` and the system's reason when any step fails.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    func failure(_ what: String) -> InputError {
        InputError(file: path, message: "cannot write: \(what): \(String(cString: strerror(errno)))")
    }
    let temporary = try TemporaryFile(beside: path)
    let fd = temporary.descriptor, temporaryPath = temporary.path, mode = temporary.destinationMode
    var committed = false
    defer {
        if !committed { unlink(temporaryPath) }
    }

    var ok = bytes.withUnsafeBytes { raw -> Bool in
        var offset = 0
        while offset < raw.count {
            let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
    guard ok else {
        let error = failure("writing failed")
        close(fd)
        throw error
    }
    ok = fchmod(fd, mode) == 0 && fsync(fd) == 0
    guard ok else {
        let error = failure("flushing to disk failed")
        close(fd)
        throw error
    }
    guard close(fd) == 0 else { throw failure("closing the temporary file failed") }
    guard rename(temporaryPath, path) == 0 else { throw failure("renaming the temporary file into place failed") }
    committed = true
    // Make the rename itself durable; a failure here does not undo the (complete) write.
    TemporaryFile.syncDirectory(temporary.directory)
}
