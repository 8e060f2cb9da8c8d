import Support

/// A place in a text file: one-based line and column (the column counts Unicode scalars).
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    /// One-based line number.
    public var line: Int
    /// One-based column, in Unicode scalars from the start of the line.
    public var column: Int

    /// Creates a position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A JSON number as written: the literal, its value as the nearest double, and the integer it
/// denotes when the literal has no fraction or exponent and fits in an `Int`.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The literal exactly as written in the file.
    public var literal: String
    /// The correctly rounded double nearest to the literal (strtod semantics).
    public var doubleValue: Double
    /// The integer, when the literal is an integer literal (`-12`, not `12.0` or `1e3`) in `Int` range.
    public var integerValue: Int?

    /// Creates a number from its parts.
    public init(literal: String, doubleValue: Double, integerValue: Int?) {
        self.literal = literal
        self.doubleValue = doubleValue
        self.integerValue = integerValue
    }

    /// The number as an integer when its value is integral and in range: `8`, `8.0` and `8e0`
    /// all qualify (writers of JSON often add `.0`), `8.5` and `1e300` do not.
    public var exactInteger: Int? {
        if let integerValue { return integerValue }
        let x = doubleValue
        guard x.rounded() == x, abs(x) <= 9_007_199_254_740_992 else { return nil }
        return Int(x)
    }

    public var description: String { literal }
}

/// A parsed JSON value together with where it starts in the source.
public struct JSONValue: Hashable, Sendable {
    /// The kinds of JSON values.
    public indirect enum Kind: Hashable, Sendable {
        case null
        case bool(Bool)
        case number(JSONNumber)
        case string(String)
        case array([JSONValue])
        case object(JSONObject)
    }

    /// What the value is.
    public var kind: Kind
    /// Where the value starts.
    public var position: SourcePosition

    /// Creates a value.
    public init(_ kind: Kind, at position: SourcePosition = SourcePosition(line: 1, column: 1)) {
        self.kind = kind
        self.position = position
    }

    /// A short description of the kind for error messages: "a number", "an object", ...
    public var kindDescription: String {
        switch kind {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return "the number \(n.literal)"
        case .string(let s): return "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON object: members in the order written, each with the position of its key.
///
/// Duplicate keys are rejected by the parser, so lookups by key are unambiguous.
public struct JSONObject: Hashable, Sendable {
    /// One `"key": value` member.
    public struct Member: Hashable, Sendable {
        /// The key.
        public var key: String
        /// Where the key starts.
        public var keyPosition: SourcePosition
        /// The value.
        public var value: JSONValue

        /// Creates a member.
        public init(key: String, keyPosition: SourcePosition, value: JSONValue) {
            self.key = key
            self.keyPosition = keyPosition
            self.value = value
        }
    }

    /// The members in source order.
    public var members: [Member]

    /// Creates an object from members (keys must be distinct).
    public init(members: [Member] = []) {
        self.members = members
    }

    /// The member named `key`, if present.
    public func member(_ key: String) -> Member? {
        members.first { $0.key == key }
    }

    /// The value of `key`, if present.
    public subscript(key: String) -> JSONValue? {
        member(key)?.value
    }

    /// The keys in source order.
    public var keys: [String] { members.map(\.key) }
}

/// Parser for JSON with `//` line comments and `/* */` block comments.
///
/// Everything else is strict RFC 8259: no trailing commas, no single quotes, no `NaN` or
/// `Infinity`, no leading zeros, no control characters inside strings, valid UTF-8 only (a
/// leading byte-order mark is skipped). Duplicate keys in one object are an error, because the
/// configs are read by people and a silently ignored duplicate is a silent misconfiguration.
/// Nesting is limited to ``maximumDepth`` levels so that hostile input cannot overflow the stack.
/// Every error is an ``InputError`` carrying the file name and line, with the column at the
/// start of the message.
public struct JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 200

    private let bytes: [UInt8]
    private let fileName: String
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0
    private var cachedLineStart = -1
    private var cachedOffset = 0
    private var cachedColumn = 1

    /// Parses `bytes` (UTF-8) as one JSON document; `fileName` names it in errors.
    public static func parse(_ bytes: [UInt8], fileName: String) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, fileName: fileName)
        return try parser.parseDocument()
    }

    /// Parses `text` as one JSON document; `fileName` names it in errors.
    public static func parse(_ text: String, fileName: String = "<json>") throws -> JSONValue {
        try parse(Array(text.utf8), fileName: fileName)
    }

    private init(bytes: [UInt8], fileName: String) {
        self.bytes = bytes
        self.fileName = fileName
    }

    // MARK: - Positions and errors

    /// The position of `index`. Columns are counted incrementally from the last position asked
    /// for on the same line, so that long single-line documents stay linear in time.
    private mutating func here() -> SourcePosition {
        if cachedLineStart != lineStart || cachedOffset > index {
            cachedLineStart = lineStart
            cachedOffset = lineStart
            cachedColumn = 1
        }
        // Column in scalars: count the bytes that start a UTF-8 sequence.
        while cachedOffset < index && cachedOffset < bytes.count {
            if bytes[cachedOffset] & 0xC0 != 0x80 { cachedColumn += 1 }
            cachedOffset += 1
        }
        return SourcePosition(line: line, column: cachedColumn)
    }

    private mutating func error(_ message: String, at position: SourcePosition? = nil) -> InputError {
        let p = position ?? here()
        return InputError(file: fileName, line: p.line, message: "column \(p.column): \(message)")
    }

    /// A readable name for the byte (or character) at `index`.
    private func describeCurrent() -> String {
        guard index < bytes.count else { return "the end of the file" }
        let b = bytes[index]
        switch b {
        case UInt8(ascii: "\n"): return "a line break"
        case UInt8(ascii: "\t"): return "a tab"
        case 0x20..<0x7F: return "'\(Character(UnicodeScalar(b)))'"
        default:
            if let (scalar, _) = decodeScalar(at: index) {
                return scalar.value < 0x20 ? "control character U+\(hex4(scalar.value))" : "'\(Character(scalar))'"
            }
            return "an invalid UTF-8 byte 0x\(String(b, radix: 16, uppercase: true))"
        }
    }

    // MARK: - Document

    private mutating func parseDocument() throws -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }
        try skipTrivia()
        guard index < bytes.count else { throw error("the file is empty: expected a JSON value") }
        let value = try parseValue()
        try skipTrivia()
        if index < bytes.count {
            throw error("unexpected \(describeCurrent()) after the end of the top-level value")
        }
        return value
    }

    /// Skips whitespace and comments.
    private mutating func skipTrivia() throws {
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            case UInt8(ascii: "/"):
                guard index + 1 < bytes.count else { throw error("unexpected '/': comments start with // or /*") }
                if bytes[index + 1] == UInt8(ascii: "/") {
                    index += 2
                    while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                } else if bytes[index + 1] == UInt8(ascii: "*") {
                    let start = here()
                    index += 2
                    var closed = false
                    while index < bytes.count {
                        if bytes[index] == UInt8(ascii: "*") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "/") {
                            index += 2
                            closed = true
                            break
                        }
                        if bytes[index] == UInt8(ascii: "\n") {
                            index += 1
                            line += 1
                            lineStart = index
                        } else {
                            index += 1
                        }
                    }
                    if !closed { throw error("unterminated block comment (opened with /* here)", at: start) }
                } else {
                    throw error("unexpected '/': comments start with // or /*")
                }
            default:
                return
            }
        }
    }

    // MARK: - Values

    private mutating func parseValue() throws -> JSONValue {
        let start = here()
        guard index < bytes.count else { throw error("unexpected end of the file: expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(start: start)
        case UInt8(ascii: "["): return try parseArray(start: start)
        case UInt8(ascii: "\""): return JSONValue(.string(try parseString()), at: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONValue(.number(try parseNumber()), at: start)
        case UInt8(ascii: "t"):
            try expectWord("true")
            return JSONValue(.bool(true), at: start)
        case UInt8(ascii: "f"):
            try expectWord("false")
            return JSONValue(.bool(false), at: start)
        case UInt8(ascii: "n"):
            try expectWord("null")
            return JSONValue(.null, at: start)
        case UInt8(ascii: "'"):
            throw error("strings must be in double quotes (\"...\"), not single quotes")
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw error("NaN and Infinity are not JSON numbers")
        case UInt8(ascii: "+"):
            throw error("a JSON number cannot start with '+'")
        case UInt8(ascii: "."):
            throw error("a JSON number needs a digit before the decimal point (0.5, not .5)")
        default:
            throw error("expected a value (object, array, string, number, true, false or null), found \(describeCurrent())")
        }
    }

    private mutating func expectWord(_ word: String) throws {
        let start = here()
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index ..< index + w.count]) == w,
              index + w.count == bytes.count || !isIdentifierByte(bytes[index + w.count])
        else {
            var end = index
            while end < bytes.count && isIdentifierByte(bytes[end]) { end += 1 }
            let found = String(decoding: bytes[index ..< max(end, index + 1)], as: UTF8.self)
            throw error("unknown literal '\(found)': expected a value (true, false, null, a number, a string, an array or an object)", at: start)
        }
        index += w.count
    }

    private func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
    }

    private mutating func enterNesting() throws {
        depth += 1
        if depth > JSONParser.maximumDepth {
            throw error("nesting deeper than \(JSONParser.maximumDepth) levels of arrays and objects")
        }
    }

    private mutating func parseObject(start: SourcePosition) throws -> JSONValue {
        try enterNesting()
        defer { depth -= 1 }
        index += 1  // {
        var members: [JSONObject.Member] = []
        var seen: [String: SourcePosition] = [:]
        try skipTrivia()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            return JSONValue(.object(JSONObject(members: members)), at: start)
        }
        while true {
            try skipTrivia()
            guard index < bytes.count else {
                throw error("unexpected end of the file inside the object opened at line \(start.line), column \(start.column)")
            }
            let keyPosition = here()
            guard bytes[index] == UInt8(ascii: "\"") else {
                if bytes[index] == UInt8(ascii: "}") && !members.isEmpty {
                    throw error("trailing comma before '}': remove the comma after the last member")
                }
                throw error("expected a key in double quotes, found \(describeCurrent())")
            }
            let key = try parseString()
            if let first = seen[key] {
                throw error("duplicate key \"\(key)\" (first given at line \(first.line), column \(first.column))", at: keyPosition)
            }
            seen[key] = keyPosition
            try skipTrivia()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after the key \"\(key)\", found \(describeCurrent())")
            }
            index += 1
            try skipTrivia()
            let value = try parseValue()
            members.append(JSONObject.Member(key: key, keyPosition: keyPosition, value: value))
            try skipTrivia()
            guard index < bytes.count else {
                throw error("unexpected end of the file inside the object opened at line \(start.line), column \(start.column)")
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return JSONValue(.object(JSONObject(members: members)), at: start)
            }
            throw error("expected ',' or '}' after the value of \"\(key)\", found \(describeCurrent())")
        }
    }

    private mutating func parseArray(start: SourcePosition) throws -> JSONValue {
        try enterNesting()
        defer { depth -= 1 }
        index += 1  // [
        var elements: [JSONValue] = []
        try skipTrivia()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            return JSONValue(.array(elements), at: start)
        }
        while true {
            try skipTrivia()
            guard index < bytes.count else {
                throw error("unexpected end of the file inside the array opened at line \(start.line), column \(start.column)")
            }
            if bytes[index] == UInt8(ascii: "]") && !elements.isEmpty {
                throw error("trailing comma before ']': remove the comma after the last element")
            }
            elements.append(try parseValue())
            try skipTrivia()
            guard index < bytes.count else {
                throw error("unexpected end of the file inside the array opened at line \(start.line), column \(start.column)")
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return JSONValue(.array(elements), at: start)
            }
            throw error("expected ',' or ']' after an array element, found \(describeCurrent())")
        }
    }

    // MARK: - Strings

    /// Decodes the UTF-8 scalar starting at `offset`, or nil if the bytes there are not valid UTF-8.
    private func decodeScalar(at offset: Int) -> (Unicode.Scalar, Int)? {
        let b0 = bytes[offset]
        let length: Int
        var value: UInt32
        switch b0 {
        case 0x00...0x7F: return (Unicode.Scalar(b0), 1)
        case 0xC2...0xDF: length = 2; value = UInt32(b0 & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(b0 & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(b0 & 0x07)
        default: return nil
        }
        guard offset + length <= bytes.count else { return nil }
        for k in 1..<length {
            let b = bytes[offset + k]
            guard b & 0xC0 == 0x80 else { return nil }
            value = (value << 6) | UInt32(b & 0x3F)
        }
        // Reject overlong forms and out-of-range values (surrogates are rejected by Unicode.Scalar).
        let minimum: UInt32 = length == 2 ? 0x80 : (length == 3 ? 0x800 : 0x10000)
        guard value >= minimum, value <= 0x10FFFF, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    private func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    private mutating func parseString() throws -> String {
        let start = here()
        index += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        while true {
            guard index < bytes.count else {
                throw error("unterminated string (opened here)", at: start)
            }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return String(scalars)
            }
            if b == UInt8(ascii: "\\") {
                let escapePosition = here()
                index += 1
                guard index < bytes.count else { throw error("unterminated string (opened here)", at: start) }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let unit = try parseHex4(escapeAt: escapePosition)
                    if (0xD800...0xDBFF).contains(unit) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired UTF-16 high surrogate \\u\(hex4(unit)) (a low surrogate \\uDC00-\\uDFFF must follow)", at: escapePosition)
                        }
                        let lowPosition = here()
                        index += 2
                        let low = try parseHex4(escapeAt: lowPosition)
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw error("\\u\(hex4(unit)) is a high surrogate but \\u\(hex4(low)) is not a low surrogate", at: lowPosition)
                        }
                        let value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        scalars.append(Unicode.Scalar(value)!)
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        throw error("unpaired UTF-16 low surrogate \\u\(hex4(unit))", at: escapePosition)
                    } else {
                        scalars.append(Unicode.Scalar(unit)!)
                    }
                default:
                    index -= 1
                    throw error("invalid escape '\\\(describeCurrent().trimmingQuotes)' in a string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", at: escapePosition)
                }
                continue
            }
            if b < 0x20 {
                if b == UInt8(ascii: "\n") {
                    throw error("line break inside a string (unterminated string opened at line \(start.line), column \(start.column)?)")
                }
                throw error("control character U+\(hex4(UInt32(b))) inside a string: write it as an escape")
            }
            guard let (scalar, length) = decodeScalar(at: index) else {
                throw error("invalid UTF-8 byte 0x\(String(b, radix: 16, uppercase: true)) in a string: the file must be UTF-8")
            }
            scalars.append(scalar)
            index += length
        }
    }

    private mutating func parseHex4(escapeAt position: SourcePosition) throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("\\u must be followed by 4 hexadecimal digits", at: position) }
        var value: UInt32 = 0
        for k in 0..<4 {
            let b = bytes[index + k]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("\\u must be followed by 4 hexadecimal digits", at: position)
            }
            value = value * 16 + digit
        }
        index += 4
        return value
    }

    // MARK: - Numbers

    private mutating func parseNumber() throws -> JSONNumber {
        let start = index
        let startPosition = here()
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") }
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else {
            if index < bytes.count && (bytes[index] == UInt8(ascii: "I") || bytes[index] == UInt8(ascii: "N")) {
                throw error("NaN and Infinity are not JSON numbers", at: startPosition)
            }
            throw error("expected a digit after '-'")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { throw error("leading zeros are not allowed in JSON numbers", at: startPosition) }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard isDigit(index) else { throw error("expected a digit after the decimal point") }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            isInteger = false
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard isDigit(index) else { throw error("expected a digit in the exponent") }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count && isIdentifierByte(bytes[index]) {
            throw error("unexpected \(describeCurrent()) after a number")
        }
        let literal = String(decoding: bytes[start ..< index], as: UTF8.self)
        // Swift's Double(String) is correctly rounded and locale-independent (strtod in the C locale).
        guard let value = Double(literal) else {
            throw error("cannot read the number \(literal)", at: startPosition)
        }
        guard value.isFinite else {
            throw error("the number \(literal) is too large for a double (magnitude above 1.8e308)", at: startPosition)
        }
        return JSONNumber(literal: literal, doubleValue: value, integerValue: isInteger ? Int(literal) : nil)
    }
}

extension String {
    fileprivate var trimmingQuotes: String {
        if count >= 2 && first == "'" && last == "'" { return String(dropFirst().dropLast()) }
        return self
    }
}
