#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename; nothing
/// half-written is ever left at `path`, and the temp file is removed on failure.
///
/// The file gets the permissions of the file it replaces, or `rw-r--r--` if it is new. Throws
/// ``InputError`` naming `path` and the system's reason when any step fails.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    func failure(_ what: String) -> InputError {
        InputError(file: path, message: "cannot write: \(what): \(String(cString: strerror(errno)))")
    }
    let directory: String
    let base: String
    if let slash = path.lastIndex(of: "/") {
        directory = slash == path.startIndex ? "/" : String(path[..<slash])
        base = String(path[path.index(after: slash)...])
    } else {
        directory = "."
        base = path
    }
    guard !base.isEmpty else {
        throw InputError(file: path, message: "cannot write: the path names a directory, expected a file name")
    }

    var existing = stat()
    let mode: mode_t = stat(path, &existing) == 0 ? (existing.st_mode & 0o7777) : 0o644

    var template = Array((directory + "/." + base + ".tmp-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw failure("cannot create a temporary file in \(directory)") }
    let temporaryPath = String(cString: template)
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
    let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryFD >= 0 {
        _ = fsync(directoryFD)
        close(directoryFD)
    }
}
