import AtomicStructures
import Support
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension NumPyArray {
    /// Reads a `.npy` file (format 1.0, 2.0 or 3.0; `float64` or `int64`, little-endian, C order).
    ///
    /// The whole array is loaded into memory.
    /// - Throws: ``InputError`` naming the file for anything unreadable or unsupported.
    public static func readNPY(path: String) throws -> NumPyArray {
        try NumPyArray(npyBytes: readFile(path, what: "NumPy file"), name: path)
    }

    /// Parses the bytes of a `.npy` file; `name` stands for the file in errors.
    public init(npyBytes bytes: [UInt8], name: String) throws {
        self = try bytes.withUnsafeBytes { try NumPyArray.parse($0, name: name) }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, name: String) throws -> NumPyArray {
        let (type, shape, offset) = try NPYHeader.decode(bytes, name: name)
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw InputError(file: name, field: "npy header", message: "the shape \(shape) is impossibly large") }
            count = product
        }
        let dataLength = bytes.count - offset
        guard count <= dataLength / type.byteCount, dataLength == count * type.byteCount else {
            throw InputError(
                file: name, message: "the shape \(shape) needs \(count) elements (\(count.multipliedReportingOverflow(by: 8).partialValue) bytes) but the file holds \(dataLength) bytes of data")
        }
        func load<T: FixedWidthInteger>(_: T.Type) -> [T] {
            (0..<count).map { T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8 * $0, as: T.self)) }
        }
        switch type {
        case .float64: return NumPyArray(shape: shape, float64: load(UInt64.self).map { Double(bitPattern: $0) })
        case .int64: return NumPyArray(shape: shape, int64: load(Int64.self))
        }
    }

    /// Reads every array of an `.npz` archive (stored entries, as `np.savez` writes; ZIP64
    /// understood), keyed by name without the `.npy` suffix. Each entry's CRC-32 is checked.
    ///
    /// - Throws: ``InputError`` for a malformed archive, a compressed entry (`np.savez_compressed`),
    ///   a checksum mismatch or an unreadable array.
    public static func readNPZ(path: String) throws -> [String: NumPyArray] {
        let bytes = try readFile(path, what: "NumPy file")
        return try bytes.withUnsafeBytes { try ZIPReader(bytes: $0, name: path).arrays() }
    }
}

/// The central directory of a ZIP archive in memory, and its stored entries.
private struct ZIPReader {
    let bytes: UnsafeRawBufferPointer
    let name: String

    func fail(_ message: String) -> InputError { InputError(file: name, message: "not a readable .npz archive: \(message)") }

    func u16(_ at: Int) throws -> Int {
        guard at >= 0, at + 2 <= bytes.count else { throw fail("a record runs past the end of the file") }
        return Int(bytes[at]) | Int(bytes[at + 1]) << 8
    }

    func u32(_ at: Int) throws -> Int { try u16(at) | u16(at + 2) << 16 }

    func u64(_ at: Int) throws -> Int {
        let high = try u32(at + 4)
        guard high < 1 << 24 else { throw fail("a 64-bit size or offset is impossibly large") }
        return try u32(at) | high << 32
    }

    func arrays() throws -> [String: NumPyArray] {
        // The end record is in the last 22 + 65535 (comment) bytes.
        var end = -1
        var p = bytes.count - 22
        while p >= max(0, bytes.count - 22 - 0xFFFF) {
            if try u32(p) == 0x0605_4B50 { end = p; break }
            p -= 1
        }
        guard end >= 0 else { throw fail("no end-of-central-directory record") }
        var count = try u16(end + 10)
        var directorySize = try u32(end + 12)
        var directoryOffset = try u32(end + 16)
        if end >= 20, try u32(end - 20) == 0x0706_4B50 {
            let record = try u64(end - 20 + 8)
            guard try u32(record) == 0x0606_4B50 else { throw fail("the ZIP64 locator does not point at a ZIP64 end record") }
            count = try u64(record + 32)
            directorySize = try u64(record + 40)
            directoryOffset = try u64(record + 48)
        }
        guard directoryOffset + directorySize <= bytes.count else { throw fail("the central directory lies outside the file") }
        var result: [String: NumPyArray] = [:]
        var q = directoryOffset
        for _ in 0..<count {
            guard try u32(q) == 0x0201_4B50 else { throw fail("bad central directory entry signature at byte \(q)") }
            let method = try u16(q + 10)
            let checksum = UInt32(try u32(q + 16))
            var compressedSize = try u32(q + 20)
            var size = try u32(q + 24)
            let nameLength = try u16(q + 28)
            let extraLength = try u16(q + 30)
            let commentLength = try u16(q + 32)
            var localOffset = try u32(q + 42)
            guard q + 46 + nameLength + extraLength <= bytes.count else { throw fail("a central directory entry runs past the end") }
            let entryName = String(decoding: bytes[(q + 46) ..< (q + 46 + nameLength)], as: UTF8.self)
            // ZIP64 extra field: the 64-bit values of the fields set to 0xFFFFFFFF, in order.
            var e = q + 46 + nameLength
            while e + 4 <= q + 46 + nameLength + extraLength {
                let id = try u16(e), length = try u16(e + 2)
                if id == 0x0001 {
                    var f = e + 4
                    if size == 0xFFFF_FFFF { size = try u64(f); f += 8 }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = try u64(f); f += 8 }
                    if localOffset == 0xFFFF_FFFF { localOffset = try u64(f); f += 8 }
                    guard f <= e + 4 + length else { throw fail("a ZIP64 extra field of \(entryName) is too short") }
                }
                e += 4 + length
            }
            guard method == 0 else {
                throw InputError(file: name, field: entryName, message: "compressed entries are not supported (write with np.savez, not np.savez_compressed)")
            }
            guard size == compressedSize else { throw fail("stored entry \(entryName) has different sizes") }
            guard try u32(localOffset) == 0x0403_4B50 else { throw fail("bad local header of \(entryName)") }
            let dataStart = try localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
            guard dataStart + size <= bytes.count else { throw fail("the data of \(entryName) runs past the end of the file") }
            let data = UnsafeRawBufferPointer(rebasing: bytes[dataStart ..< (dataStart + size)])
            var crc = CRC32()
            crc.update(data)
            guard crc.value == checksum else {
                throw InputError(file: name, field: entryName, message: "CRC-32 mismatch (stored \(checksum), computed \(crc.value)): the archive is corrupt")
            }
            let key = entryName.hasSuffix(".npy") ? String(entryName.dropLast(4)) : entryName
            result[key] = try NumPyArray.parse(data, name: "\(name)/\(entryName)")
            q += 46 + nameLength + extraLength + commentLength
        }
        return result
    }
}
