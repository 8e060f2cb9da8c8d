import AtomicStructures
import Support

/// Writes a NumPy `.npz` archive: a ZIP file of uncompressed (stored) `.npy` entries, as
/// `np.savez` writes, readable with `np.load(path)["name"]`.
///
/// ```swift
/// let archive = try NPZWriter(path: "gradients.npz")
/// let values = try archive.addArray(named: "values", elementType: .float64, trailingShape: [3, featureCount])
/// let samples = try archive.addArray(named: "samples", elementType: .int64, trailingShape: [2])
/// // ... append to both, in any interleaving ...
/// try archive.finish()
/// ```
///
/// Arrays are streamed: the **first** array added goes straight into the archive; later ones
/// are staged (in memory up to 64 MiB each, beyond that in anonymous scratch files in the
/// destination's directory, which vanish when closed, even if the process dies) and copied in by
/// ``finish()``. Add the largest array
/// first. The archive is written to a temporary file and renamed into place, so `path` never
/// holds a partial archive.
///
/// ZIP details: every local header carries a ZIP64 extra field with the true 64-bit sizes (as
/// NumPy's own `savez` does), so entries of any size can be streamed; the central directory and
/// end records use ZIP64 fields only where a size, offset or count does not fit in 32 (16) bits.
/// Timestamps are fixed (1980-01-01 00:00) so that equal arrays give byte-identical files.
public final class NPZWriter {
    /// The destination path.
    public let path: String
    private let archive: OutputFile
    private var entries: [Entry] = []
    private var finished = false
    /// Use ZIP64 fields in the central directory and end records even when not needed (tests
    /// exercise the large-file layout with small files this way).
    var forceZIP64 = false
    /// How much of each staged array stays in memory before it goes to its scratch file (tests
    /// make it small to exercise the spill).
    var scratchStagingLimit = OutputFile.defaultStagingLimit

    private struct Entry {
        var name: [UInt8]
        /// The array, or nil for an in-memory array already written.
        var stream: NumPyArrayStream?
        /// The scratch file holding a staged array's bytes; nil if written in place.
        var scratch: OutputFile?
        var localHeaderOffset: Int
        var checksum: UInt32 = 0
        var byteCount = 0
    }

    /// Starts an archive at `path`.
    ///
    /// - Throws: ``InputError`` if no file can be created next to `path`.
    public init(path: String) throws {
        self.path = path
        archive = try OutputFile(replacing: path)
    }

    /// Adds an array named `name` (the entry is `name.npy`; `np.load(...)[name]` reads it) of
    /// shape `[rows] + trailingShape`, to be filled by appending to the returned stream.
    ///
    /// Names must be distinct, non-empty ASCII without `/`.
    public func addArray(named name: String, elementType: NumPyElementType, trailingShape: [Int] = []) throws -> NumPyArrayStream {
        let entryName = try checkedEntryName(name)
        if entries.isEmpty {
            let offset = archive.size
            try archive.write(localHeader(name: entryName, checksum: 0, byteCount: 0))
            let stream = try NumPyArrayStream(file: archive, elementType: elementType, trailingShape: trailingShape)
            entries.append(Entry(name: entryName, stream: stream, scratch: nil, localHeaderOffset: offset))
            return stream
        }
        let scratch = try OutputFile.scratch(near: path, stagingLimit: scratchStagingLimit)
        let stream = try NumPyArrayStream(file: scratch, elementType: elementType, trailingShape: trailingShape)
        entries.append(Entry(name: entryName, stream: stream, scratch: scratch, localHeaderOffset: -1))
        return stream
    }

    /// Adds an in-memory array named `name`.
    ///
    /// If it is the first array, it is written now; otherwise it is staged like a stream.
    public func add(_ array: NumPyArray, named name: String) throws {
        let entryName = try checkedEntryName(name)
        if entries.isEmpty {
            let offset = archive.size
            try archive.write(localHeader(name: entryName, checksum: 0, byteCount: 0))
            let (checksum, count) = try writeNPY(array, to: archive)
            try patchLocalHeader(at: offset, nameLength: entryName.count, checksum: checksum, byteCount: count)
            entries.append(Entry(name: entryName, stream: nil, scratch: nil, localHeaderOffset: offset, checksum: checksum, byteCount: count))
            return
        }
        let scratch = try OutputFile.scratch(near: path, stagingLimit: scratchStagingLimit)
        let (checksum, count) = try writeNPY(array, to: scratch)
        entries.append(Entry(name: entryName, stream: nil, scratch: scratch, localHeaderOffset: -1, checksum: checksum, byteCount: count))
    }

    private func checkedEntryName(_ name: String) throws -> [UInt8] {
        precondition(!finished, "adding to a finished archive")
        precondition(!name.isEmpty && name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x2F },
                     "array names are non-empty printable ASCII without '/', got \"\(name)\"")
        let entryName = Array((name + ".npy").utf8)
        precondition(!entries.contains { $0.name == entryName }, "the array \"\(name)\" is added twice")
        return entryName
    }

    /// Completes every array (their final shapes are the rows appended), writes the central
    /// directory, syncs, and moves the archive into place.
    public func finish() throws {
        precondition(!finished, "finish twice")
        finished = true
        do {
            for i in entries.indices {
                if let stream = entries[i].stream {
                    let (checksum, count) = try stream.finishArray()
                    entries[i].checksum = checksum
                    entries[i].byteCount = count
                }
                if let scratch = entries[i].scratch {
                    entries[i].localHeaderOffset = archive.size
                    try archive.write(localHeader(name: entries[i].name, checksum: entries[i].checksum, byteCount: entries[i].byteCount))
                    try archive.append(contentsOf: scratch)
                    scratch.discard()
                } else if entries[i].stream != nil {
                    try patchLocalHeader(at: entries[i].localHeaderOffset, nameLength: entries[i].name.count,
                                         checksum: entries[i].checksum, byteCount: entries[i].byteCount)
                }
            }
            try writeCentralDirectory()
            try archive.commit()
        } catch {
            discard()
            throw error
        }
    }

    /// Abandons the archive: temporary and scratch files are removed, `path` is left untouched.
    public func discard() {
        finished = true
        archive.discard()
        for entry in entries { entry.scratch?.discard() }
    }

    /// Writes in-memory arrays to an archive at `path` (atomically), in the given order.
    public static func write(_ arrays: [(name: String, array: NumPyArray)], to path: String) throws {
        let writer = try NPZWriter(path: path)
        do {
            for (name, array) in arrays { try writer.add(array, named: name) }
        } catch {
            writer.discard()
            throw error
        }
        try writer.finish()
    }

    // MARK: - ZIP records (APPNOTE.TXT 6.3)

    private static let versionNeeded: UInt16 = 45  // ZIP64
    private static let versionMadeBy: UInt16 = 3 << 8 | 45  // Unix, 4.5
    private static let dosTime: UInt16 = 0
    private static let dosDate: UInt16 = 1 << 5 | 1  // 1980-01-01
    private static let all32 = 0xFFFF_FFFF
    private static let all16 = 0xFFFF

    /// Local header: 32-bit sizes 0xFFFFFFFF, real sizes in the ZIP64 extra field (patched later
    /// for streamed entries, whose size is unknown here).
    private func localHeader(name: [UInt8], checksum: UInt32, byteCount: Int) -> [UInt8] {
        var b = ByteWriter()
        b.u32(0x0403_4B50)
        b.u16(NPZWriter.versionNeeded)
        b.u16(0)  // flags
        b.u16(0)  // stored
        b.u16(NPZWriter.dosTime)
        b.u16(NPZWriter.dosDate)
        b.u32(checksum)
        b.u32(UInt32(NPZWriter.all32))
        b.u32(UInt32(NPZWriter.all32))
        b.u16(UInt16(name.count))
        b.u16(20)
        b.bytes += name
        b.u16(0x0001)
        b.u16(16)
        b.u64(UInt64(byteCount))
        b.u64(UInt64(byteCount))
        return b.bytes
    }

    private func patchLocalHeader(at offset: Int, nameLength: Int, checksum: UInt32, byteCount: Int) throws {
        var crc = ByteWriter()
        crc.u32(checksum)
        try archive.overwrite(crc.bytes, at: offset + 14)
        var sizes = ByteWriter()
        sizes.u64(UInt64(byteCount))
        sizes.u64(UInt64(byteCount))
        try archive.overwrite(sizes.bytes, at: offset + 30 + nameLength + 4)
    }

    private func writeCentralDirectory() throws {
        let directoryOffset = archive.size
        var b = ByteWriter()
        for entry in entries {
            let large = forceZIP64 || entry.byteCount >= NPZWriter.all32
            let farOffset = forceZIP64 || entry.localHeaderOffset >= NPZWriter.all32
            var extra = ByteWriter()
            if large || farOffset {
                extra.u16(0x0001)
                extra.u16(UInt16((large ? 16 : 0) + (farOffset ? 8 : 0)))
                if large {
                    extra.u64(UInt64(entry.byteCount))
                    extra.u64(UInt64(entry.byteCount))
                }
                if farOffset { extra.u64(UInt64(entry.localHeaderOffset)) }
            }
            b.u32(0x0201_4B50)
            b.u16(NPZWriter.versionMadeBy)
            b.u16(NPZWriter.versionNeeded)
            b.u16(0)
            b.u16(0)
            b.u16(NPZWriter.dosTime)
            b.u16(NPZWriter.dosDate)
            b.u32(entry.checksum)
            b.u32(UInt32(large ? NPZWriter.all32 : entry.byteCount))
            b.u32(UInt32(large ? NPZWriter.all32 : entry.byteCount))
            b.u16(UInt16(entry.name.count))
            b.u16(UInt16(extra.bytes.count))
            b.u16(0)  // comment
            b.u16(0)  // disk
            b.u16(0)  // internal attributes
            b.u32(UInt32(0o100644) << 16)  // regular file, rw-r--r--
            b.u32(UInt32(farOffset ? NPZWriter.all32 : entry.localHeaderOffset))
            b.bytes += entry.name
            b.bytes += extra.bytes
        }
        let directorySize = b.bytes.count
        let zip64End = forceZIP64 || entries.count >= NPZWriter.all16 || directorySize >= NPZWriter.all32
            || directoryOffset >= NPZWriter.all32
        if zip64End {
            let recordOffset = directoryOffset + directorySize
            b.u32(0x0606_4B50)
            b.u64(44)
            b.u16(NPZWriter.versionMadeBy)
            b.u16(NPZWriter.versionNeeded)
            b.u32(0)
            b.u32(0)
            b.u64(UInt64(entries.count))
            b.u64(UInt64(entries.count))
            b.u64(UInt64(directorySize))
            b.u64(UInt64(directoryOffset))
            b.u32(0x0706_4B50)
            b.u32(0)
            b.u64(UInt64(recordOffset))
            b.u32(1)
        }
        b.u32(0x0605_4B50)
        b.u16(0)
        b.u16(0)
        // Values that do not fit become all ones; readers then take the ZIP64 record's.
        b.u16(UInt16(min(entries.count, NPZWriter.all16)))
        b.u16(UInt16(min(entries.count, NPZWriter.all16)))
        b.u32(UInt32(min(directorySize, NPZWriter.all32)))
        b.u32(UInt32(min(directoryOffset, NPZWriter.all32)))
        b.u16(0)
        try archive.write(b.bytes)
    }
}

/// Little-endian record building.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(v & 0xFF))
        bytes.append(UInt8(v >> 8))
    }

    mutating func u32(_ v: UInt32) {
        for k in 0..<4 { bytes.append(UInt8((v >> (8 * k)) & 0xFF)) }
    }

    mutating func u64(_ v: UInt64) {
        for k in 0..<8 { bytes.append(UInt8((v >> (8 * k)) & 0xFF)) }
    }
}
