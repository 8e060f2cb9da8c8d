#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// The `key=value` pairs of a header line, unquoted and unescaped into one byte buffer.
struct HeaderTokens {
    /// One pair: byte ranges of key and value in `bytes`; `value` is nil for a flag.
    struct Entry {
        var key: Range<Int>
        var value: Range<Int>?
    }

    /// The unescaped bytes of all keys and values, back to back (entries index into it; the
    /// array keeps its size between lines so its storage is reused).
    var bytes: [UInt8] = []
    var entries: [Entry] = []

    /// The key of `entry` as text (keys are checked to be valid UTF-8 when tokenizing).
    func key(_ entry: Entry) -> String {
        String(decoding: bytes[entry.key], as: UTF8.self)
    }

    /// Calls `body` with the bytes of `range`.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[range]))
        }
    }
}

/// Why a header line could not be split into pairs.
struct HeaderSyntaxError: Error {
    /// The key concerned, if one was read.
    var key: String?
    var message: String
}

/// Splits a header line into pairs (reusing `tokens`' storage).
func tokenizeHeader(_ line: UnsafeBufferPointer<UInt8>, into tokens: inout HeaderTokens) throws(HeaderSyntaxError) {
    tokens.entries.removeAll(keepingCapacity: true)
    // Unescaped text is never longer than the line, so the output can be written by pointer.
    if tokens.bytes.count < line.count { tokens.bytes = [UInt8](repeating: 0, count: max(line.count, 2 * tokens.bytes.count)) }
    _ = try tokens.bytes.withUnsafeMutableBufferPointer { output throws(HeaderSyntaxError) -> Int in
        try splitHeader(line, output: output.baseAddress!, entries: &tokens.entries)
    }
}

/// The tokenizer proper: writes unescaped keys and values to `output`, returns the bytes used.
private func splitHeader(
    _ line: UnsafeBufferPointer<UInt8>, output: UnsafeMutablePointer<UInt8>, entries: inout [HeaderTokens.Entry]
) throws(HeaderSyntaxError) -> Int {
    guard let input = line.baseAddress else { return 0 }
    var scanner = HeaderScanner(input: input, n: line.count, output: output)
    let n = line.count
    scanner.skipSpaces()
    while scanner.i < n {
        if input[scanner.i] == UInt8(ascii: "=") {
            throw HeaderSyntaxError(key: nil, message: "'=' at character \(scanner.i + 1) has no key before it")
        }
        let keyStart = scanner.i
        let keyRange = try scanner.readToken(stopAtEquals: true, key: nil)
        guard !keyRange.isEmpty else {
            throw HeaderSyntaxError(key: nil, message: "empty key at character \(keyStart + 1)")
        }
        let keyBytes = UnsafeBufferPointer(start: output + keyRange.lowerBound, count: keyRange.count)
        if !keyBytes.allSatisfy({ $0 < 0x80 }) && String(validating: keyBytes, as: UTF8.self) == nil {
            throw HeaderSyntaxError(key: nil, message: "a key is not valid UTF-8 text; this does not look like a text file")
        }
        scanner.skipSpaces()
        var valueRange: Range<Int>? = nil
        if scanner.i < n && input[scanner.i] == UInt8(ascii: "=") {
            scanner.i += 1
            scanner.skipSpaces()
            guard scanner.i < n else {
                throw HeaderSyntaxError(key: scanner.text(keyRange), message: "missing value after '='; expected a value such as a number, T/F or a quoted string")
            }
            valueRange = try scanner.readToken(stopAtEquals: false, key: keyRange)
            scanner.skipSpaces()
        }
        entries.append(HeaderTokens.Entry(key: keyRange, value: valueRange))
    }
    return scanner.written
}

/// Reading position in the header line (`i`) and in the unescaped output (`written`).
private struct HeaderScanner {
    let input: UnsafePointer<UInt8>
    let n: Int
    let output: UnsafeMutablePointer<UInt8>
    var i = 0
    var written = 0

    init(input: UnsafePointer<UInt8>, n: Int, output: UnsafeMutablePointer<UInt8>) {
        self.input = input
        self.n = n
        self.output = output
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: output + range.lowerBound, count: range.count), as: UTF8.self)
    }

    mutating func skipSpaces() {
        while i < n && isASCIISpace(input[i]) { i += 1 }
    }

    /// Reads one token starting at `i`; stops at unquoted whitespace, and at unquoted `=` when
    /// `stopAtEquals`. Returns its range in `output`.
    mutating func readToken(stopAtEquals: Bool, key: Range<Int>?) throws(HeaderSyntaxError) -> Range<Int> {
        let first = written
        var closer: UInt8 = 0
        var openedAt = i
        while i < n {
            let c = input[i]
            if closer != 0 {
                if c == closer {
                    closer = 0
                    i += 1
                    continue
                }
            } else {
                if isASCIISpace(c) || (stopAtEquals && c == UInt8(ascii: "=")) { break }
                switch c {
                case UInt8(ascii: "\""): closer = UInt8(ascii: "\"")
                case UInt8(ascii: "'"): closer = UInt8(ascii: "'")
                case UInt8(ascii: "{"): closer = UInt8(ascii: "}")
                case UInt8(ascii: "["): closer = UInt8(ascii: "]")
                default: break
                }
                if closer != 0 {
                    openedAt = i
                    i += 1
                    continue
                }
            }
            if c == 0 {
                throw HeaderSyntaxError(key: key.map(text), message: "binary data (a NUL byte) in the header line; this does not look like a text file")
            }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < n else {
                    throw HeaderSyntaxError(key: key.map(text), message: "the line ends with a lone backslash; expected a character after '\\'")
                }
                output[written] = input[i + 1]
                written += 1
                i += 2
                continue
            }
            output[written] = c
            written += 1
            i += 1
        }
        if closer != 0 {
            throw HeaderSyntaxError(
                key: key.map(text),
                message: "unterminated quote: \(quoteForMessage(input[openedAt])) opened at character \(openedAt + 1) is never closed by \(quoteForMessage(closer))"
            )
        }
        return first..<written
    }
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

/// Interprets a header value the way ASE does.
///
/// The value is split at whitespace and commas; if every part is an integer the value is an
/// integer (one part) or an integer array; otherwise if every part is a real, a real or real
/// array; otherwise if every part is a boolean word (T, F, True, False, true, false, TRUE,
/// FALSE), a boolean or boolean array; otherwise, if it starts with `_JSON `, the JSON that
/// follows (strings, numbers, booleans and flat arrays of one kind; anything else is kept as
/// the raw text); otherwise the text itself. An empty value is an empty integer array, as in
/// ASE. Integers beyond 64 bits are read as reals (as ASE does). The key `uid` (any case) is
/// never interpreted, as in ASE. Returns nil when the value is not valid UTF-8 or contains NUL.
func interpretHeaderValue(_ value: UnsafeBufferPointer<UInt8>, key: String) -> InfoValue? {
    if key.utf8.count == 3 && key.lowercased() == "uid" {
        return textValue(value).map(InfoValue.string)
    }
    let n = value.count
    guard let base = value.baseAddress, n > 0 else { return .integers([]) }

    @inline(__always) func isSeparator(_ c: UInt8) -> Bool { isASCIISpace(c) || c == UInt8(ascii: ",") }
    /// Calls `body` with each part (start offset, length) until it returns false.
    func forEachPart(_ body: (Int, Int) -> Bool) -> Bool {
        var i = 0
        while true {
            while i < n && isSeparator(base[i]) { i += 1 }
            if i == n { return true }
            let start = i
            while i < n && !isSeparator(base[i]) { i += 1 }
            if !body(start, i - start) { return false }
        }
    }

    // The first part decides quickly whether a number or boolean is possible at all: numbers
    // start with a digit, sign, point or the i/n of inf/nan; booleans with T, F, t or f.
    var first = 0
    while first < n && isSeparator(base[first]) { first += 1 }
    if first == n { return .integers([]) }
    var firstEnd = first
    while firstEnd < n && !isSeparator(base[firstEnd]) { firstEnd += 1 }
    var rest = firstEnd
    while rest < n && isSeparator(base[rest]) { rest += 1 }
    let single = rest == n
    let lead = base[first] | 0x20
    let mayBeNumber = (base[first] &- 48) <= 9 || base[first] == UInt8(ascii: "-") || base[first] == UInt8(ascii: "+")
        || base[first] == UInt8(ascii: ".") || lead == UInt8(ascii: "i") || lead == UInt8(ascii: "n")
    let mayBeBool = lead == UInt8(ascii: "t") || lead == UInt8(ascii: "f")

    if mayBeNumber {
        if single {
            switch parseInteger(base + first, firstEnd - first) {
            case .value(let k): return .integer(k)
            default: break
            }
            if let x = exactPowersOfTen.withUnsafeBufferPointer({ parseReal(base + first, firstEnd - first, powers: $0.baseAddress!) }) {
                return .real(x)
            }
        } else {
            var integers: [Int] = []
            let allIntegers = forEachPart { start, length in
                guard case .value(let k) = parseInteger(base + start, length) else { return false }
                integers.append(k)
                return true
            }
            if allIntegers { return .integers(integers) }
            var reals: [Double] = []
            let allReals = exactPowersOfTen.withUnsafeBufferPointer { powers in
                forEachPart { start, length in
                    guard let x = parseReal(base + start, length, powers: powers.baseAddress!) else { return false }
                    reals.append(x)
                    return true
                }
            }
            if allReals { return .reals(reals) }
        }
    } else if mayBeBool {
        if single {
            if let b = headerBool(UnsafeBufferPointer(start: base + first, count: firstEnd - first)) { return .bool(b) }
        } else {
            var bools: [Bool] = []
            let allBools = forEachPart { start, length in
                guard let b = headerBool(UnsafeBufferPointer(start: base + start, count: length)) else { return false }
                bools.append(b)
                return true
            }
            if allBools { return .bools(bools) }
        }
    }
    guard let text = textValue(value) else { return nil }
    if n > 6 && memcmp(base, "_JSON ", 6) == 0, let decoded = decodeJSONInfoValue(text.dropFirst(6)) {
        return decoded
    }
    return .string(text)
}

/// Interprets a header value held in an array (see the pointer version).
func interpretHeaderValue(_ value: [UInt8], key: String) -> InfoValue? {
    value.withUnsafeBufferPointer { interpretHeaderValue($0, key: key) }
}

/// The bytes as text, or nil if they contain NUL or are not valid UTF-8.
private func textValue(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    if bytes.contains(0) { return nil }
    return String(validating: bytes, as: UTF8.self)
}

/// The boolean words ASE accepts in header values.
private func headerBool(_ word: UnsafeBufferPointer<UInt8>) -> Bool? {
    func equals(_ literal: StaticString) -> Bool {
        literal.utf8CodeUnitCount == word.count && memcmp(literal.utf8Start, word.baseAddress!, word.count) == 0
    }
    switch word.count {
    case 1: return word[0] == UInt8(ascii: "T") ? true : word[0] == UInt8(ascii: "F") ? false : nil
    case 4: return equals("True") || equals("true") || equals("TRUE") ? true : nil
    case 5: return equals("False") || equals("false") || equals("FALSE") ? false : nil
    default: return nil
    }
}

// MARK: - The JSON subset behind `_JSON ` values

/// Not the JSON module's parser, on purpose (its string unescaping reads alike): `_JSON` header
/// values follow Python's json module (NaN, Infinity), use the reader's exact number parsing,
/// and a value that is not this subset stays a plain string instead of being an error.
///
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
