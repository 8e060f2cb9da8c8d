import AtomicStructures
import Support
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks, before any long computation, that a file can be created at `path`: the path names a
/// file (not a directory) in a directory where this process may create files.
///
/// - Throws: ``InputError`` naming `path` and the system's reason.
public func checkOutputPath(_ path: String) throws {
    let output = try OutputFile(replacing: path)
    output.discard()
}

/// A file being written: buffered appends, in-place rewrites of bytes already written, and
/// either an atomic commit (a temporary file next to the destination, fsync, rename) or an
/// anonymous scratch file (unlinked as soon as it is created, so nothing is left behind even if
/// the process dies). A scratch file keeps its first `stagingLimit` bytes in memory (4 MiB
/// chunks) and goes to the file only beyond them: a small staged array is then copied once into
/// its archive, not written out, read back and written again.
final class OutputFile {
    /// The destination, named in every error.
    let path: String
    /// The temporary file renamed to `path` by ``commit()``; nil for scratch files.
    private(set) var temporaryPath: String?
    private var descriptor: Int32
    /// Bytes written so far, buffered ones included.
    private(set) var size = 0
    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes in the buffer (while staging: in the last chunk).
    private var buffered = 0
    /// While a scratch file is held in memory: its chunks, `buffer` first, all full but the last.
    private var stage: [UnsafeMutableRawBufferPointer]?
    private let stagingLimit: Int
    private let mode: mode_t
    /// Bytes appended to the file itself (past the buffer), and the point up to which they have
    /// been handed to the kernel's writeback.
    private var fileOffset = 0
    private var writebackOffset = 0
    /// The destination's directory, synced after the rename.
    private let directory: String
    private var closed = false

    /// The buffer's size.
    static let bufferCapacity = 4 << 20
    /// Appends of at least this many bytes bypass the buffer.
    static let directWriteBytes = 1 << 20
    /// How much of a scratch file stays in memory by default.
    static let defaultStagingLimit = 64 << 20

    /// Creates a temporary file in the directory of `path`, to be renamed to `path` by ``commit()``.
    convenience init(replacing path: String) throws {
        try self.init(path: path, scratch: false)
    }

    /// Creates an anonymous scratch file in the directory of `path` (same file system as the
    /// destination, which matters for large intermediate data; /tmp may be in memory).
    static func scratch(near path: String, stagingLimit: Int = defaultStagingLimit) throws -> OutputFile {
        try OutputFile(path: path, scratch: true, stagingLimit: stagingLimit)
    }

    private init(path: String, scratch: Bool, stagingLimit: Int = 0) throws {
        self.path = path
        self.stagingLimit = stagingLimit
        let file = try TemporaryFile(beside: path, suffix: scratch ? ".scratch-XXXXXX" : ".tmp-XXXXXX")
        descriptor = file.descriptor
        mode = file.destinationMode
        directory = file.directory
        if scratch {
            unlink(file.path)
            temporaryPath = nil
        } else {
            temporaryPath = file.path
        }
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: OutputFile.bufferCapacity, alignment: 64)
        if scratch { stage = [buffer] }
    }

    deinit {
        discard()
        buffer.deallocate()
    }

    /// Appends to the in-memory chunks; returns the bytes that did not fit under the limit.
    private func stageBytes(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var rest = bytes
        while !rest.isEmpty, var chunks = stage {
            if buffered == OutputFile.bufferCapacity {
                guard chunks.count * OutputFile.bufferCapacity < stagingLimit else { break }
                chunks.append(.allocate(byteCount: OutputFile.bufferCapacity, alignment: 64))
                stage = chunks
                buffered = 0
            }
            let count = min(rest.count, OutputFile.bufferCapacity - buffered)
            chunks[chunks.count - 1].baseAddress!.advanced(by: buffered).copyMemory(from: rest.baseAddress!, byteCount: count)
            buffered += count
            rest = UnsafeRawBufferPointer(rebasing: rest[count...])
        }
        return rest
    }

    /// The staged bytes, chunk by chunk, in order.
    private func forEachStagedChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let chunks = stage else { return }
        for (k, chunk) in chunks.enumerated() {
            try body(UnsafeRawBufferPointer(rebasing: chunk[0 ..< (k == chunks.count - 1 ? buffered : chunk.count)]))
        }
    }

    /// Writes the staged bytes to the file and continues as an ordinary buffered file.
    private func spill() throws {
        guard let chunks = stage else { return }
        try forEachStagedChunk { try writeAll($0) }
        for chunk in chunks.dropFirst() { chunk.deallocate() }
        stage = nil
        buffered = 0
    }

    /// Frees the chunks after the first (the buffer).
    private func dropStage() {
        for chunk in stage?.dropFirst() ?? [] { chunk.deallocate() }
        stage = nil
        buffered = 0
    }

    private func failure(_ what: String) -> InputError {
        InputError(file: path, message: "cannot write: \(what): \(String(cString: strerror(errno)))")
    }

    /// Appends `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!closed, "write after commit or discard")
        guard bytes.count > 0 else { return }
        var bytes = bytes
        if stage != nil {
            let rest = stageBytes(bytes)
            size += bytes.count - rest.count
            guard !rest.isEmpty else { return }
            try spill()
            bytes = rest
        }
        if bytes.count >= OutputFile.directWriteBytes {
            // Large appends (blocks of gradient rows) go straight to the file: copying them
            // through the buffer would cost a pass over memory and gain no fewer system calls.
            try flush()
            try writeAll(bytes)
        } else if buffered + bytes.count <= buffer.count {
            buffer.baseAddress!.advanced(by: buffered).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            buffered += bytes.count
        } else {
            try flush()
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            buffered = bytes.count
        }
        size += bytes.count
    }

    /// Appends `bytes`.
    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes the buffered bytes to the file.
    func flush() throws {
        guard stage == nil, buffered > 0 else { return }
        try writeAll(UnsafeRawBufferPointer(start: buffer.baseAddress, count: buffered))
        buffered = 0
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("writing failed")
            }
            offset += written
        }
        fileOffset += bytes.count
        startWriteback()
    }

    /// Starts writing the file's new bytes to disk, every ``writebackBytes``, without waiting:
    /// the disk then works while the program computes, and ``commit()``'s fsync finds little
    /// left to do (and dirty pages do not pile up in memory). Not for scratch files, which are
    /// never kept; a no-op where `sync_file_range` does not exist.
    private func startWriteback() {
        guard temporaryPath != nil, fileOffset - writebackOffset >= OutputFile.writebackBytes,
              let syncFileRange = OutputFile.syncFileRange else { return }
        _ = syncFileRange(descriptor, Int64(writebackOffset), Int64(fileOffset - writebackOffset), 2)  // SYNC_FILE_RANGE_WRITE
        writebackOffset = fileOffset
    }

    /// Bytes between two writeback requests.
    static let writebackBytes = 16 << 20

    /// Linux's `sync_file_range` (not in Swift's Glibc module), looked up once.
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        #if os(Linux)
        guard let program = dlopen(nil, RTLD_NOW) else { return nil }
        defer { dlclose(program) }
        guard let symbol = dlsym(program, "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Replaces bytes already written, at `offset` from the start of the file.
    func overwrite(_ bytes: [UInt8], at offset: Int) throws {
        precondition(!closed && offset >= 0 && offset + bytes.count <= size, "overwrite outside the written bytes")
        if let chunks = stage {
            for (k, byte) in bytes.enumerated() {
                let at = offset + k
                chunks[at / OutputFile.bufferCapacity][at % OutputFile.bufferCapacity] = byte
            }
            return
        }
        try flush()
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("rewriting a header failed")
                }
                done += written
            }
        }
    }

    /// Appends the whole content of `other` (flushed first), read back from its file.
    func append(contentsOf other: OutputFile) throws {
        precondition(other !== self)
        try flush()
        if other.stage != nil {
            if stage != nil {
                try other.forEachStagedChunk { try write($0) }
            } else {
                try other.forEachStagedChunk { try writeAll($0) }
                size += other.size
            }
            return
        }
        try other.flush()
        var offset = 0
        while offset < other.size {
            let count = min(buffer.count, other.size - offset)
            let got = pread(other.descriptor, buffer.baseAddress!, count, off_t(offset))
            if got < 0 {
                if errno == EINTR { continue }
                throw failure("reading back a scratch file failed")
            }
            guard got > 0 else {
                throw InputError(file: path, message: "cannot write: a scratch file ended early (it was truncated by another process?)")
            }
            try writeAll(UnsafeRawBufferPointer(start: buffer.baseAddress, count: got))
            offset += got
        }
        size += other.size
    }

    /// Flushes, syncs and renames the temporary file to the destination.
    func commit() throws {
        precondition(!closed, "commit twice")
        guard let temporaryPath else { preconditionFailure("scratch files are not committed") }
        try flush()
        guard fchmod(descriptor, mode) == 0, fsync(descriptor) == 0 else { throw failure("flushing to disk failed") }
        closed = true
        guard close(descriptor) == 0 else {
            unlink(temporaryPath)
            throw failure("closing the temporary file failed")
        }
        guard rename(temporaryPath, path) == 0 else {
            let error = failure("renaming the temporary file into place failed")
            unlink(temporaryPath)
            throw error
        }
        self.temporaryPath = nil
        // Make the rename durable; a failure here does not undo the complete write.
        TemporaryFile.syncDirectory(directory)
    }

    /// Closes the file and removes the temporary file (no effect after ``commit()``).
    func discard() {
        dropStage()
        guard !closed else { return }
        closed = true
        close(descriptor)
        if let temporaryPath { unlink(temporaryPath) }
        temporaryPath = nil
    }
}

/// `write(2)`, under a name that the method `OutputFile.write` does not shadow.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
