import Support
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines of a file read in large chunks (or of an in-memory buffer), without copying lines.
///
/// A returned line points into the internal buffer and is valid until the next call. Memory
/// stays bounded by the chunk size or the longest line, whichever is larger (lines longer than
/// ``maximumLineLength`` are an error, so a binary file cannot make the buffer grow without bound).
///
/// Every returned line is followed in memory by its `\n` or by at least ``padding`` zero bytes,
/// so the parser may load 8 bytes at a time from anywhere inside a line: the bytes after the
/// line's end are never spaces or digits.
final class LineSource {
    /// Zero bytes kept after the valid data (the buffer is allocated this much larger).
    static let padding = 16
    /// Bytes requested per read(2) call.
    static let chunkSize = 1 << 20
    /// The longest line accepted, in bytes.
    static let maximumLineLength = 1 << 26

    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Start of the unread bytes in `buffer`.
    private var start = 0
    /// End of the valid bytes in `buffer`.
    private var end = 0
    /// File offset of `buffer[0]`.
    private var bufferOffset = 0
    private var fileDescriptor: Int32
    private var endOfInput = false
    /// Total input size in bytes when known (regular files and memory), else nil.
    let totalSize: Int?
    /// The name used in error messages.
    let name: String

    /// Opens a file for reading.
    init(path: String) throws {
        name = path
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            throw InputError(file: path, message: "cannot open for reading: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        if fstat(fd, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                throw InputError(file: path, message: "is a directory, expected an extended XYZ file")
            }
            totalSize = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
        } else {
            totalSize = nil
        }
        fileDescriptor = fd
        capacity = LineSource.chunkSize
        buffer = .allocate(capacity: capacity + LineSource.padding)
        buffer.initialize(repeating: 0, count: LineSource.padding)
    }

    /// Serves lines from a copy of `bytes`.
    init(bytes: [UInt8], name: String) {
        self.name = name
        fileDescriptor = -1
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1) + LineSource.padding)
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.initialize(from: base, count: source.count) }
        }
        (storage + bytes.count).initialize(repeating: 0, count: LineSource.padding)
        capacity = max(bytes.count, 1)
        buffer = storage
        end = bytes.count
        endOfInput = true
        totalSize = bytes.count
    }

    deinit {
        buffer.deallocate()
        if fileDescriptor >= 0 { close(fileDescriptor) }
    }

    /// Bytes of input not yet returned as lines, when the input size is known.
    var remainingBytes: Int? {
        totalSize.map { max(0, $0 - (bufferOffset + start)) }
    }

    /// The next line without its terminating `\n`, or nil at the end of input.
    ///
    /// A final line without `\n` is returned as a line. `lineNumber` is used in errors.
    @inline(__always)
    func nextLine(lineNumber: Int) throws -> UnsafeBufferPointer<UInt8>? {
        if start < end, let newline = memchr(buffer + start, 0x0A, end - start) {
            let lineEnd = newline.assumingMemoryBound(to: UInt8.self) - buffer
            let line = UnsafeBufferPointer(start: buffer + start, count: lineEnd - start)
            start = lineEnd + 1
            return line
        }
        return try nextLineSlowly(lineNumber: lineNumber)
    }

    /// Refills the buffer until a whole line is available (or the input ends).
    @inline(never)
    private func nextLineSlowly(lineNumber: Int) throws -> UnsafeBufferPointer<UInt8>? {
        var searchFrom = start
        while true {
            if searchFrom < end, let newline = memchr(buffer + searchFrom, 0x0A, end - searchFrom) {
                let lineEnd = newline.assumingMemoryBound(to: UInt8.self) - buffer
                let line = UnsafeBufferPointer(start: buffer + start, count: lineEnd - start)
                start = lineEnd + 1
                return line
            }
            searchFrom = end
            if endOfInput {
                guard start < end else { return nil }
                let line = UnsafeBufferPointer(start: buffer + start, count: end - start)
                start = end
                return line
            }
            // Make room: move the partial line to the front, grow if the line fills the buffer.
            let pending = end - start
            if start > 0 {
                if pending > 0 { memmove(buffer, buffer + start, pending) }
                bufferOffset += start
                searchFrom -= start
                start = 0
                end = pending
            }
            if capacity - end < LineSource.chunkSize / 2 {
                guard pending < LineSource.maximumLineLength else {
                    throw InputError(
                        file: name, line: lineNumber, field: "line",
                        message: "line longer than \(LineSource.maximumLineLength) bytes; this does not look like an extended XYZ file"
                    )
                }
                let newCapacity = capacity * 2
                let newBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity + LineSource.padding)
                newBuffer.moveInitialize(from: buffer, count: end)
                buffer.deallocate()
                buffer = newBuffer
                capacity = newCapacity
            }
            let count = try readChunk(into: buffer + end, maximum: capacity - end, lineNumber: lineNumber)
            if count == 0 { endOfInput = true } else { end += count }
            (buffer + end).initialize(repeating: 0, count: LineSource.padding)
        }
    }

    private func readChunk(into destination: UnsafeMutablePointer<UInt8>, maximum: Int, lineNumber: Int) throws -> Int {
        while true {
            let count = read(fileDescriptor, destination, maximum)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw InputError(file: name, line: lineNumber, message: "read failed: \(String(cString: strerror(errno)))")
        }
    }
}
