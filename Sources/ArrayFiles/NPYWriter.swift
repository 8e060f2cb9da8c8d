import AtomicStructures
import Parallelism
import Support

/// One array being streamed into a `.npy` file or an `.npz` entry, row by row.
///
/// The array's shape is `[rowCount] + trailingShape`; the number of rows is whatever has been
/// appended when the file is finished. Appends take elements in C order and may split or merge
/// rows freely (the total must be whole rows at the end). The header is written with room for
/// any row count and rewritten in place at the end; the CRC-32 of the bytes is computed while
/// they are written.
public class NumPyArrayStream {
    /// The element type.
    public let elementType: NumPyElementType
    /// The shape of one row (the dimensions after the first).
    public let trailingShape: [Int]
    /// Elements per row: the product of ``trailingShape``.
    package let rowElementCount: Int
    let file: OutputFile
    /// Where the `.npy` bytes start in `file`.
    let startOffset: Int
    let headerLength: Int
    private var dataChecksum = CRC32()
    private(set) var elementCount = 0
    private var finished = false

    init(file: OutputFile, elementType: NumPyElementType, trailingShape: [Int]) throws {
        precondition(trailingShape.allSatisfy { $0 >= 1 }, "trailing dimensions must be at least 1, got \(trailingShape)")
        self.file = file
        self.elementType = elementType
        self.trailingShape = trailingShape
        rowElementCount = trailingShape.reduce(1, *)
        startOffset = file.size
        headerLength = NPYHeader.reservedLength(elementType, trailingShape: trailingShape)
        try file.write(NPYHeader.encode(elementType, shape: [0] + trailingShape, length: headerLength))
    }

    /// The number of complete rows appended so far.
    public var rowCount: Int { elementCount / rowElementCount }

    /// The bytes of the `.npy` data so far (header included).
    public var byteCount: Int { headerLength + elementCount * elementType.byteCount }

    /// Appends `float64` elements (C order). The array must be `float64`.
    public func append(_ values: UnsafeBufferPointer<Double>) throws {
        precondition(elementType == .float64, "appending float64 elements to an \(elementType) array")
        try appendElements(values)
    }

    /// Appends `float64` elements (C order). The array must be `float64`.
    public func append(_ values: [Double]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    /// Appends `float64` elements (C order), checksumming a large append in pieces on `threads`
    /// threads (the bytes and the file are the same for any count). The array must be `float64`.
    public func append(_ values: [Double], threads: Int) throws {
        precondition(elementType == .float64, "appending float64 elements to an \(elementType) array")
        try values.withUnsafeBufferPointer { try appendElements($0, threads: threads) }
    }

    /// Appends `int64` elements (C order). The array must be `int64`.
    public func append(_ values: UnsafeBufferPointer<Int64>) throws {
        precondition(elementType == .int64, "appending int64 elements to a \(elementType) array")
        try appendElements(values)
    }

    /// Appends `int64` elements (C order). The array must be `int64`.
    public func append(_ values: [Int64]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    private func appendElements<T>(_ values: UnsafeBufferPointer<T>, threads: Int = 1) throws {
        precondition(!finished, "append after finish")
        try writeLittleEndian(values, to: file, checksum: &dataChecksum, threads: threads)
        elementCount += values.count
    }

    /// Rewrites the header with the final shape and returns the CRC-32 and length of the
    /// `.npy` bytes.
    func finishArray() throws -> (checksum: UInt32, byteCount: Int) {
        precondition(!finished, "finish twice")
        precondition(elementCount % rowElementCount == 0,
                     "\(elementCount) elements are not whole rows of \(rowElementCount)")
        finished = true
        let header = NPYHeader.encode(elementType, shape: [rowCount] + trailingShape, length: headerLength)
        try file.overwrite(header, at: startOffset)
        let dataLength = elementCount * elementType.byteCount
        return (CRC32.combine(CRC32.checksum(header), dataChecksum.value, secondLength: dataLength), headerLength + dataLength)
    }
}

/// Writes a NumPy `.npy` file (format version 1.0, C order), streaming rows to disk.
///
/// ```swift
/// let writer = try NPYWriter(path: "features.npy", elementType: .float64, trailingShape: [featureCount])
/// for frame in frames { try writer.append(values(of: frame)) }
/// try writer.finish()   // now features.npy exists, shape (rows, featureCount)
/// ```
///
/// The file is written to a temporary file next to `path` and renamed into place by
/// ``finish()``, so `path` never holds a partial array; ``discard()`` (or releasing an
/// unfinished writer) removes the temporary file. Memory use is a 4 MiB buffer, whatever the
/// array's size.
public final class NPYWriter: NumPyArrayStream {
    /// The destination path.
    public let path: String

    /// Starts writing an array of shape `[rows] + trailingShape` (every trailing dimension ≥ 1;
    /// `[]` for a 1-D array).
    ///
    /// - Throws: ``InputError`` if no file can be created next to `path`.
    public init(path: String, elementType: NumPyElementType, trailingShape: [Int] = []) throws {
        self.path = path
        try super.init(file: OutputFile(replacing: path), elementType: elementType, trailingShape: trailingShape)
    }

    /// Rewrites the header with the final shape, syncs, and moves the file into place.
    public func finish() throws {
        _ = try finishArray()
        try file.commit()
    }

    /// Abandons the file: the temporary file is removed and `path` is left untouched.
    public func discard() {
        file.discard()
    }

    /// Writes an in-memory array to `path` (atomically).
    public static func write(_ array: NumPyArray, to path: String) throws {
        let output = try OutputFile(replacing: path)
        _ = try writeNPY(array, to: output)
        try output.commit()
    }
}

/// Appends the `.npy` encoding of `array` to `file`; returns its CRC-32 and length.
func writeNPY(_ array: NumPyArray, to file: OutputFile) throws -> (checksum: UInt32, byteCount: Int) {
    let header = NPYHeader.encode(array.elementType, shape: array.shape)
    var checksum = CRC32()
    checksum.update(header)
    try file.write(header)
    switch array.elements {
    case .float64(let v): try v.withUnsafeBufferPointer { try writeLittleEndian($0, to: file, checksum: &checksum) }
    case .int64(let v): try v.withUnsafeBufferPointer { try writeLittleEndian($0, to: file, checksum: &checksum) }
    }
    return (checksum.value, header.count + array.count * array.elementType.byteCount)
}

/// Appends 8-byte elements to `file` in little-endian order, adding them to `checksum` (with
/// `threads` > 1, a large append is checksummed in that many pieces at once, joined in order).
func writeLittleEndian<T>(_ values: UnsafeBufferPointer<T>, to file: OutputFile, checksum: inout CRC32, threads: Int = 1) throws {
    precondition(MemoryLayout<T>.size == 8, "elements are 8 bytes")
    guard !values.isEmpty else { return }
    #if _endian(little)
    let raw = UnsafeRawBufferPointer(values)
    if threads > 1 && raw.count >= 1 << 20 {
        var pieces = [UInt32](repeating: 0, count: threads)
        let count = raw.count
        pieces.withUnsafeMutableBufferPointer { crc in
            parallelChunks(count: threads, chunkCount: threads, threads: threads) { k, _ in
                crc[k] = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[k * count / threads ..< (k + 1) * count / threads]))
            }
        }
        for k in 0..<threads {
            checksum.append(checksum: pieces[k], length: (k + 1) * count / threads - k * count / threads)
        }
    } else {
        checksum.update(raw)
    }
    try file.write(raw)
    #else
    var swapped = [UInt64](repeating: 0, count: values.count)
    let raw = UnsafeRawBufferPointer(values)
    for i in 0..<values.count { swapped[i] = raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian }
    try swapped.withUnsafeBytes { bytes in
        checksum.update(bytes)
        try file.write(bytes)
    }
    #endif
}
