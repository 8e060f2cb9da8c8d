#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the whole file at `path`; `what` names it in errors ("model file", "config file").
///
/// Every reader of whole files in the package goes through this one function, so that none can
/// silently parse a truncated file: a failed read, a directory, or fewer bytes than the file
/// held when it was opened (it shrank while being read) are errors, never a short result.
///
/// `maximumBytes`, if given, is checked against the file's size before anything is allocated
/// (whole-file readers of possibly huge inputs pass what the machine can hold).
///
/// - Throws: ``InputError`` naming `path` with the system's reason, or the size and the limit.
public func readFile(_ path: String, what: String = "file", maximumBytes: Int? = nil) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw InputError(file: path, message: "cannot open the \(what): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
        throw InputError(file: path, message: "cannot read the \(what): \(String(cString: strerror(errno)))")
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
        throw InputError(file: path, message: "cannot read the \(what): it is a directory")
    }
    let isRegular = (info.st_mode & S_IFMT) == S_IFREG
    // Regular files report their size (files in /proc report 0 and are read to their end).
    let expected = isRegular ? Int(info.st_size) : 0
    if let maximumBytes, expected > maximumBytes {
        throw InputError(
            file: path,
            message: "the \(what) is \(formatBytes(expected)), more than the \(formatBytes(maximumBytes)) this machine can hold for it now (half the memory available)")
    }
    return try readAll(fd, expectedCount: expected, path: path, what: what)
}

/// The bytes of `fd` up to end of file; at least `expectedCount` of them, or an error.
func readAll(_ fd: Int32, expectedCount: Int, path: String, what: String) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: max(expectedCount, 1 << 16))
    var count = 0
    while true {
        if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw InputError(file: path, message: "cannot read the \(what): \(String(cString: strerror(errno)))")
        }
        if n == 0 { break }
        count += n
    }
    guard count >= expectedCount else {
        throw InputError(
            file: path,
            message: "cannot read the \(what): got \(count) of its \(expectedCount) bytes (was it truncated while being read?)")
    }
    bytes.removeSubrange(count...)
    return bytes
}
