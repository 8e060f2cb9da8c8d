import AtomicStructures
import Support

/// The element types ArrayFiles reads and writes: little-endian 8-byte floats and integers.
public enum NumPyElementType: Hashable, Sendable {
    /// IEEE 754 double, NumPy `float64` (`'<f8'`).
    case float64
    /// Signed 64-bit integer, NumPy `int64` (`'<i8'`).
    case int64

    /// The NumPy type string (`descr`) written in headers.
    package var typeString: String {
        switch self {
        case .float64: return "<f8"
        case .int64: return "<i8"
        }
    }

    /// Bytes per element.
    public var byteCount: Int { 8 }
}

/// An n-dimensional array held in memory, C (row-major) order: the last index varies fastest.
public struct NumPyArray: Sendable {
    /// The elements, flattened in C order.
    public enum Elements: Sendable {
        /// `float64` elements.
        case float64([Double])
        /// `int64` elements.
        case int64([Int64])
    }

    /// The shape; `[]` for a scalar (one element).
    public let shape: [Int]
    /// The elements, `shape.reduce(1, *)` of them.
    public let elements: Elements

    /// Creates a `float64` array. `values.count` must equal the product of `shape`.
    public init(shape: [Int], float64 values: [Double]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) elements")
        self.shape = shape
        elements = .float64(values)
    }

    /// Creates an `int64` array. `values.count` must equal the product of `shape`.
    public init(shape: [Int], int64 values: [Int64]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) elements")
        self.shape = shape
        elements = .int64(values)
    }

    /// The element type.
    public var elementType: NumPyElementType {
        switch elements {
        case .float64: return .float64
        case .int64: return .int64
        }
    }

    /// The number of elements.
    public var count: Int {
        switch elements {
        case .float64(let v): return v.count
        case .int64(let v): return v.count
        }
    }

    /// The elements if the array is `float64`, else nil.
    public var float64Values: [Double]? {
        if case .float64(let v) = elements { return v }
        return nil
    }

    /// The elements if the array is `int64`, else nil.
    public var int64Values: [Int64]? {
        if case .int64(let v) = elements { return v }
        return nil
    }
}

/// The `.npy` header (format version 1.0): magic, version, header length, then a Python dict
/// literal padded with spaces and a newline so that the data starts at a multiple of 64 bytes.
enum NPYHeader {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    /// Magic, two version bytes, and the 2-byte header length of version 1.0.
    static let preambleLength = 10
    /// Data alignment NumPy uses.
    static let alignment = 64

    /// The dict literal NumPy writes, e.g. `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
    static func dictionary(_ type: NumPyElementType, shape: [Int]) -> String {
        let dimensions = shape.map(String.init).joined(separator: ", ")
        let tuple = shape.count == 1 ? "(\(dimensions),)" : "(\(dimensions))"
        return "{'descr': '\(type.typeString)', 'fortran_order': False, 'shape': \(tuple), }"
    }

    /// The smallest header length (a multiple of 64) that fits `shape` with any leading
    /// dimension up to `Int.max`, so that the header can be rewritten in place once the final
    /// number of rows is known.
    static func reservedLength(_ type: NumPyElementType, trailingShape: [Int]) -> Int {
        let widest = dictionary(type, shape: [Int.max] + trailingShape)
        return paddedLength(dictionaryLength: widest.utf8.count)
    }

    static func paddedLength(dictionaryLength: Int) -> Int {
        let unpadded = preambleLength + dictionaryLength + 1  // + "\n"
        return (unpadded + alignment - 1) / alignment * alignment
    }

    /// The complete header bytes for `shape`, `length` bytes long (default: the shortest).
    static func encode(_ type: NumPyElementType, shape: [Int], length: Int? = nil) -> [UInt8] {
        let text = Array(dictionary(type, shape: shape).utf8)
        let total = length ?? paddedLength(dictionaryLength: text.count)
        precondition(total >= preambleLength + text.count + 1 && total % alignment == 0 && total - preambleLength <= 0xFFFF,
                     "npy header length \(total) cannot hold \(text.count) bytes")
        let headerLength = total - preambleLength
        var bytes = magic + [1, 0, UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
        bytes += text
        bytes += [UInt8](repeating: 0x20, count: total - bytes.count - 1)
        bytes.append(0x0A)
        return bytes
    }

    /// Parses a header (versions 1.0, 2.0 and 3.0): the element type, shape and data offset.
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> (type: NumPyElementType, shape: [Int], dataOffset: Int) {
        func fail(_ message: String) -> InputError { InputError(file: name, field: "npy header", message: message) }
        guard bytes.count >= preambleLength, Array(bytes[0..<6]) == magic else {
            throw fail("not a NumPy .npy file (the first bytes are not \\x93NUMPY)")
        }
        let major = bytes[6]
        let headerLength: Int
        let textStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            textStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("the file ends inside the header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            textStart = 12
        default:
            throw fail("unsupported format version \(major).\(bytes[7]) (1.0, 2.0 and 3.0 are read)")
        }
        guard textStart + headerLength <= bytes.count else { throw fail("the file ends inside the header") }
        let text = String(decoding: bytes[textStart ..< textStart + headerLength], as: UTF8.self)
        var parser = HeaderParser(text: Array(text.unicodeScalars), fail: fail)
        let entries = try parser.parseDictionary()
        guard case .string(let descr)? = entries["descr"] else { throw fail("no 'descr' string") }
        let type: NumPyElementType
        switch descr {
        case "<f8": type = .float64
        case "<i8": type = .int64
        default: throw fail("unsupported element type '\(descr)' (only '<f8' float64 and '<i8' int64 are read)")
        }
        guard case .boolean(let fortranOrder)? = entries["fortran_order"] else { throw fail("no 'fortran_order' flag") }
        guard !fortranOrder else { throw fail("Fortran-ordered arrays are not supported; save with np.ascontiguousarray") }
        guard case .tuple(let shape)? = entries["shape"] else { throw fail("no 'shape' tuple") }
        return (type, shape, textStart + headerLength)
    }
}

/// A parser for the small subset of Python literals in `.npy` headers.
private struct HeaderParser {
    enum Value {
        case string(String)
        case boolean(Bool)
        case tuple([Int])
    }

    let text: [Unicode.Scalar]
    let fail: (String) -> InputError
    var position = 0

    init(text: [Unicode.Scalar], fail: @escaping (String) -> InputError) {
        self.text = text
        self.fail = fail
    }

    mutating func skipSpaces() {
        while position < text.count, text[position] == " " || text[position] == "\n" || text[position] == "\t" { position += 1 }
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpaces()
        guard position < text.count, text[position] == c else { throw fail("malformed header: expected '\(c)' at character \(position + 1)") }
        position += 1
    }

    mutating func peek() -> Unicode.Scalar? {
        skipSpaces()
        return position < text.count ? text[position] : nil
    }

    mutating func parseDictionary() throws -> [String: Value] {
        try expect("{")
        var result: [String: Value] = [:]
        while true {
            if peek() == "}" { position += 1; break }
            let key = try parseString()
            try expect(":")
            result[key] = try parseValue()
            if peek() == "," { position += 1; continue }
            try expect("}")
            break
        }
        return result
    }

    mutating func parseString() throws -> String {
        guard let quote = peek(), quote == "'" || quote == "\"" else { throw fail("malformed header: expected a quoted key at character \(position + 1)") }
        position += 1
        var value = ""
        while position < text.count, text[position] != quote {
            value.unicodeScalars.append(text[position])
            position += 1
        }
        guard position < text.count else { throw fail("malformed header: unterminated string") }
        position += 1
        return value
    }

    mutating func parseValue() throws -> Value {
        switch peek() {
        case "'", "\"":
            return .string(try parseString())
        case "(":
            position += 1
            var dimensions: [Int] = []
            while true {
                if peek() == ")" { position += 1; break }
                var digits = ""
                while position < text.count, ("0"..."9").contains(text[position]) {
                    digits.unicodeScalars.append(text[position])
                    position += 1
                }
                if position < text.count, text[position] == "L" { position += 1 }  // Python 2 long suffix
                guard let n = Int(digits) else { throw fail("malformed header: expected a dimension at character \(position + 1)") }
                dimensions.append(n)
                if peek() == "," { position += 1; continue }
                try expect(")")
                break
            }
            return .tuple(dimensions)
        default:
            for (word, flag) in [("True", true), ("False", false)] {
                let scalars = Array(word.unicodeScalars)
                if position + scalars.count <= text.count, Array(text[position ..< position + scalars.count]) == scalars {
                    position += scalars.count
                    return .boolean(flag)
                }
            }
            throw fail("malformed header: unexpected value at character \(position + 1)")
        }
    }
}
