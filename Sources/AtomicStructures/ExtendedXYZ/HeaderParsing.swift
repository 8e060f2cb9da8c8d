// The comment (second) line of an extended XYZ frame: `key=value` pairs.
//
// Tokens follow ASE's `key_val_str_to_dict`:
// - pairs are separated by whitespace; spaces around `=` are allowed;
// - a value (or key) may be quoted with "...", '...', {...} or [...]; quoted sections may
//   appear inside a token and are joined with the unquoted parts; inside quotes only the
//   matching closing delimiter is special;
// - a backslash makes the next character literal, inside quotes or not;
// - a key without `=` is a flag and means `T` (true);
// - a value may itself contain `=` (`a=b=c` gives `a` the value `b=c`).
// Where ASE silently garbles input, we throw instead: an unterminated quote, a dangling
// backslash, `=` without a key, `key=` without a value, a repeated key.

/// One `key=value` pair of a header line, before the value is interpreted.
struct HeaderEntry {
    /// The key, unquoted and unescaped.
    var key: String
    /// The value's bytes after unquoting and unescaping; nil for a flag (key without `=`).
    var value: [UInt8]?
}

/// Splits a header line into entries. `fail` builds the error for a message and optional key.
func tokenizeHeader(
    _ line: UnsafeBufferPointer<UInt8>,
    fail: (_ field: String?, _ message: String) -> InputError
) throws -> [HeaderEntry] {
    var entries: [HeaderEntry] = []
    var seenKeys = Set<String>()
    var i = 0
    let n = line.count

    /// Reads one token starting at `i`; stops at unquoted whitespace, and at unquoted `=` when
    /// `stopAtEquals`. Returns the unescaped bytes.
    func readToken(stopAtEquals: Bool, keyForErrors: String?) throws -> [UInt8] {
        var token: [UInt8] = []
        var closer: UInt8? = nil
        var openedAt = i
        while i < n {
            let c = line[i]
            if c == 0 {
                throw fail(keyForErrors, "binary data (a NUL byte) in the header line; this does not look like a text file")
            }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < n else {
                    throw fail(keyForErrors, "the line ends with a lone backslash; expected a character after '\\'")
                }
                token.append(line[i + 1])
                i += 2
                continue
            }
            if let close = closer {
                if c == close { closer = nil } else { token.append(c) }
                i += 1
                continue
            }
            if isASCIISpace(c) || (stopAtEquals && c == UInt8(ascii: "=")) { break }
            switch c {
            case UInt8(ascii: "\""): closer = UInt8(ascii: "\"")
            case UInt8(ascii: "'"): closer = UInt8(ascii: "'")
            case UInt8(ascii: "{"): closer = UInt8(ascii: "}")
            case UInt8(ascii: "["): closer = UInt8(ascii: "]")
            default: token.append(c)
            }
            if closer != nil { openedAt = i }
            i += 1
        }
        if let close = closer {
            let opener = line[openedAt]
            throw fail(
                keyForErrors,
                "unterminated quote: \(quoteForMessage(opener)) opened at character \(openedAt + 1) is never closed by \(quoteForMessage(close))"
            )
        }
        return token
    }

    func skipSpaces() {
        while i < n && isASCIISpace(line[i]) { i += 1 }
    }

    skipSpaces()
    while i < n {
        if line[i] == UInt8(ascii: "=") {
            throw fail(nil, "'=' at character \(i + 1) has no key before it")
        }
        let keyStart = i
        let keyBytes = try readToken(stopAtEquals: true, keyForErrors: nil)
        guard let key = String(validatingUTF8Bytes: keyBytes) else {
            throw fail(nil, "a key is not valid UTF-8 text; this does not look like a text file")
        }
        guard !key.isEmpty else {
            throw fail(nil, "empty key at character \(keyStart + 1)")
        }
        skipSpaces()
        var value: [UInt8]? = nil
        if i < n && line[i] == UInt8(ascii: "=") {
            i += 1
            skipSpaces()
            guard i < n else {
                throw fail(key, "missing value after '='; expected a value such as a number, T/F or a quoted string")
            }
            value = try readToken(stopAtEquals: false, keyForErrors: key)
            skipSpaces()
        }
        guard seenKeys.insert(key).inserted else {
            throw fail(key, "the key appears twice in the header; expected each key once")
        }
        entries.append(HeaderEntry(key: key, value: value))
    }
    return entries
}

private func quoteForMessage(_ byte: UInt8) -> String {
    "'" + String(UnicodeScalar(byte)) + "'"
}

extension String {
    /// Creates a string from UTF-8 bytes, or returns nil if they are not valid UTF-8 or contain NUL.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        if bytes.contains(0) { return nil }
        guard let s = String(validating: bytes, as: UTF8.self) else { return nil }
        self = s
    }
}

// MARK: - Interpreting values

/// The boolean words ASE accepts in header values.
private func headerBool(_ word: ArraySlice<UInt8>) -> Bool? {
    switch String(decoding: word, as: UTF8.self) {
    case "T", "True", "true", "TRUE": return true
    case "F", "False", "false", "FALSE": return false
    default: return nil
    }
}

/// Interprets a header value the way ASE does.
///
/// The value is split at whitespace and commas; if every part is an integer the value is an
/// integer (one part) or an integer array; otherwise if every part is a real, a real or real
/// array; otherwise if every part is a boolean word (T, F, True, False, true, false, TRUE,
/// FALSE), a boolean or boolean array; otherwise, if it starts with `_JSON `, the JSON that
/// follows (strings, numbers, booleans and flat arrays of one kind; anything else is kept as
/// the raw text); otherwise the text itself. An empty value is an empty integer array, as in
/// ASE. Integers beyond 64 bits are read as reals (as ASE does). The key `uid` (any case) is
/// never interpreted, as in ASE. Returns nil when the value is not valid UTF-8.
func interpretHeaderValue(_ value: [UInt8], key: String) -> InfoValue? {
    if key.lowercased() == "uid" {
        return String(validatingUTF8Bytes: value).map(InfoValue.string)
    }
    var parts: [ArraySlice<UInt8>] = []
    var start = -1
    for (k, c) in value.enumerated() {
        let separator = isASCIISpace(c) || c == UInt8(ascii: ",")
        if separator {
            if start >= 0 { parts.append(value[start..<k]); start = -1 }
        } else if start < 0 {
            start = k
        }
    }
    if start >= 0 { parts.append(value[start..<value.count]) }

    var integers: [Int] = []
    integers.reserveCapacity(parts.count)
    var allIntegers = true
    for part in parts {
        guard case .value(let n) = Array(part).parsedAsInteger() else { allIntegers = false; break }
        integers.append(n)
    }
    if allIntegers {
        return integers.count == 1 ? .integer(integers[0]) : .integers(integers)
    }
    var reals: [Double] = []
    reals.reserveCapacity(parts.count)
    var allReals = true
    for part in parts {
        guard let x = Array(part).parsedAsReal() else { allReals = false; break }
        reals.append(x)
    }
    if allReals {
        return reals.count == 1 ? .real(reals[0]) : .reals(reals)
    }
    var bools: [Bool] = []
    var allBools = true
    for part in parts {
        guard let b = headerBool(part) else { allBools = false; break }
        bools.append(b)
    }
    if allBools {
        return bools.count == 1 ? .bool(bools[0]) : .bools(bools)
    }
    guard let text = String(validatingUTF8Bytes: value) else { return nil }
    if text.hasPrefix("_JSON "), let decoded = decodeJSONInfoValue(text.dropFirst(6)) {
        return decoded
    }
    return .string(text)
}

// MARK: - The JSON subset behind `_JSON ` values

/// Decodes JSON that maps onto an ``InfoValue``: a string, a number, a boolean, or a flat array
/// whose elements are all integers, all numbers, all booleans or all strings (an empty array
/// is an empty real array, as numpy makes it). Returns nil for anything else (objects, null,
/// nesting, mixed arrays, malformed JSON). Accepts `NaN`, `Infinity`, `-Infinity` as Python does.
func decodeJSONInfoValue(_ text: Substring) -> InfoValue? {
    var parser = JSONSubsetParser(bytes: Array(text.utf8))
    parser.skipSpaces()
    guard let value = parser.parseValue(allowArray: true) else { return nil }
    parser.skipSpaces()
    guard parser.atEnd else { return nil }
    return value
}

private struct JSONSubsetParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { i == bytes.count }

    mutating func skipSpaces() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func consume(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { return false }
        i += w.count
        return true
    }

    mutating func parseValue(allowArray: Bool) -> InfoValue? {
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "\""):
            return parseString().map(InfoValue.string)
        case UInt8(ascii: "t"):
            return consume("true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return consume("false") ? .bool(false) : nil
        case UInt8(ascii: "["):
            return allowArray ? parseArray() : nil
        default:
            return parseNumber()
        }
    }

    mutating func parseArray() -> InfoValue? {
        i += 1  // [
        var elements: [InfoValue] = []
        skipSpaces()
        if i < bytes.count && bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .reals([])
        }
        while true {
            skipSpaces()
            guard let element = parseValue(allowArray: false) else { return nil }
            elements.append(element)
            skipSpaces()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            return nil
        }
        var ints: [Int] = [], reals: [Double] = [], bools: [Bool] = [], strings: [String] = []
        var sawReal = false
        for element in elements {
            switch element {
            case .integer(let n): ints.append(n); reals.append(Double(n))
            case .real(let x): sawReal = true; reals.append(x)
            case .bool(let b): bools.append(b)
            case .string(let s): strings.append(s)
            default: return nil
            }
        }
        if strings.count == elements.count { return .strings(strings) }
        if bools.count == elements.count { return .bools(bools) }
        if reals.count == elements.count { return sawReal ? .reals(reals) : .integers(ints) }
        return nil
    }

    mutating func parseNumber() -> InfoValue? {
        if consume("NaN") { return .real(.nan) }
        if consume("Infinity") { return .real(.infinity) }
        if consume("-Infinity") { return .real(-.infinity) }
        let start = i
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digitsStart = i
        while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
        guard i > digitsStart else { return nil }
        // JSON forbids leading zeros such as 012.
        if bytes[digitsStart] == 0x30 && i - digitsStart > 1 { return nil }
        var isInteger = true
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let fractionStart = i
            while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
            guard i > fractionStart else { return nil }
        }
        if i < bytes.count && (bytes[i] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            let exponentStart = i
            while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
            guard i > exponentStart else { return nil }
        }
        let token = Array(bytes[start..<i])
        if isInteger {
            if case .value(let n) = token.parsedAsInteger() { return .integer(n) }
            return nil  // beyond 64 bits: Python would keep an exact big integer
        }
        return token.parsedAsReal().map(InfoValue.real)
    }

    mutating func parseString() -> String? {
        i += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flushRun() -> Bool {
            guard !run.isEmpty else { return true }
            guard let s = String(validating: run, as: UTF8.self) else { return false }
            scalars.append(contentsOf: s.unicodeScalars)
            run.removeAll(keepingCapacity: true)
            return true
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                guard flushRun() else { return nil }
                return String(scalars)
            }
            if c < 0x20 { return nil }
            if c != UInt8(ascii: "\\") {
                run.append(c)
                i += 1
                continue
            }
            guard flushRun(), i + 1 < bytes.count else { return nil }
            let e = bytes[i + 1]
            i += 2
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
                guard var code = parseHex4() else { return nil }
                if (0xD800..<0xDC00).contains(code) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard consume("\\u"), let low = parseHex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = UnicodeScalar(code) else { return nil }
                scalars.append(scalar)
            default:
                return nil
            }
        }
        return nil
    }

    mutating func parseHex4() -> UInt32? {
        guard i + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: return nil
            }
            value = value * 16 + digit
            i += 1
        }
        return value
    }
}
