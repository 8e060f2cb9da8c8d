// Number parsing straight from bytes, for the extended XYZ reader's hot loop.
//
// Reals follow Python's `float()` syntax (what ASE uses): an optional sign, then digits with an
// optional fraction and exponent, or `inf`, `infinity`, `nan` in any case. Hexadecimal,
// Fortran `D` exponents and digit-group underscores are not accepted.
//
// Conversion is exactly (correctly) rounded: the common case uses the classic exact fast path
// (a mantissa of at most 2^53 and a power of ten of at most 10^22 are both exact doubles, so one
// IEEE multiplication or division gives the correctly rounded result); everything else goes to
// the standard library's correctly rounded, locale-independent conversion.

/// Exact powers of ten 10^0 ... 10^22 (all exactly representable as doubles).
@usableFromInline
let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

/// ASCII whitespace as Python's `str.split()` sees it in practice: space, \t, \n, \v, \f, \r.
@inline(__always)
func isASCIISpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
}

/// Parses a real number from `count` bytes at `bytes`, or returns nil if the bytes are not
/// exactly one number in Python `float()` syntax (no surrounding whitespace).
///
/// `powers` must point at ``exactPowersOfTen`` (passed in so the hot loop avoids the global's
/// lazy-initialisation check).
@inline(__always)
func parseReal(_ bytes: UnsafePointer<UInt8>, _ count: Int, powers: UnsafePointer<Double>) -> Double? {
    var i = 0
    var negative = false
    if count > 0 && (bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+")) {
        negative = bytes[0] == UInt8(ascii: "-")
        i = 1
    }
    let signLength = i
    var mantissa: UInt64 = 0
    var significantDigits = 0
    var decimalExponent = 0
    var sawDigit = false
    var inexact = false  // a non-zero digit beyond the 19 kept

    while i < count {
        let digit = bytes[i] &- 48
        if digit > 9 { break }
        sawDigit = true
        if significantDigits < 19 {
            mantissa = mantissa &* 10 &+ UInt64(digit)
            if mantissa != 0 { significantDigits += 1 }
        } else {
            decimalExponent += 1
            if digit != 0 { inexact = true }
        }
        i += 1
    }
    if i < count && bytes[i] == UInt8(ascii: ".") {
        i += 1
        while i < count {
            let digit = bytes[i] &- 48
            if digit > 9 { break }
            sawDigit = true
            if significantDigits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                if mantissa != 0 { significantDigits += 1 }
                decimalExponent -= 1
            } else if digit != 0 {
                inexact = true
            }
            i += 1
        }
    }
    if !sawDigit {
        return parseSpecialReal(bytes + signLength, count - signLength, negative: negative)
    }
    if i < count && (bytes[i] | 0x20) == UInt8(ascii: "e") {
        i += 1
        var exponentNegative = false
        if i < count && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
            exponentNegative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var exponent = 0
        var sawExponentDigit = false
        while i < count {
            let digit = bytes[i] &- 48
            if digit > 9 { break }
            sawExponentDigit = true
            if exponent < 100_000 { exponent = exponent * 10 + Int(digit) }
            i += 1
        }
        if !sawExponentDigit { return nil }
        decimalExponent += exponentNegative ? -exponent : exponent
    }
    if i != count { return nil }
    if mantissa == 0 { return negative ? -0.0 : 0.0 }
    if !inexact && mantissa <= (1 << 53) && decimalExponent >= -22 && decimalExponent <= 22 {
        let m = Double(mantissa)
        let value = decimalExponent >= 0 ? m * powers[decimalExponent] : m / powers[-decimalExponent]
        return negative ? -value : value
    }
    return parseRealSlowly(bytes, count)
}

/// True if the 8 bytes (little-endian) are all ASCII digits.
@inline(__always)
func areEightDigits(_ v: UInt64) -> Bool {
    ((v & 0xF0F0_F0F0_F0F0_F0F0) | (((v &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)) == 0x3333_3333_3333_3333
}

/// The value of 8 ASCII digits loaded little-endian (first digit in the lowest byte).
@inline(__always)
func valueOfEightDigits(_ v: UInt64) -> UInt64 {
    var x = v &- 0x3030_3030_3030_3030
    x = (x &* 10) &+ (x >> 8)  // pairs
    let mask: UInt64 = 0x0000_00FF_0000_00FF
    let pairsTimes100AndMillion: UInt64 = 100 + (1_000_000 << 32)
    let pairsTimesOneAndTenThousand: UInt64 = 1 + (10_000 << 32)
    return (((x & mask) &* pairsTimes100AndMillion) &+ (((x >> 16) & mask) &* pairsTimesOneAndTenThousand)) >> 32
}

/// Loads 8 bytes from any address (the caller guarantees they are readable).
@inline(__always)
func loadEightBytes(_ p: UnsafePointer<UInt8>) -> UInt64 {
    UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
}

/// Parses the real number starting at `start`; sets `end` just past it, or to `start` if no
/// number in Python `float()` syntax starts there. The caller checks that the number is
/// followed by whitespace or the line end.
///
/// Same syntax and results as ``parseReal(_:_:powers:)``, but it finds the end itself and reads
/// 8 bytes at a time, so the 8 bytes after any digit must be readable (the line buffer is
/// padded) and the line must be followed by a byte that cannot continue a number. This is the
/// inlined fast path for plain decimals (no exponent, at most 19 digits, at most 22 after the
/// point, mantissa at most 2^53); everything else goes to ``parseRealPrefixInGeneral``.
@inline(__always)
func parseRealPrefix(_ start: UnsafePointer<UInt8>, powers: UnsafePointer<Double>, end: inout UnsafePointer<UInt8>) -> Double {
    var p = start
    let negative = p.pointee == UInt8(ascii: "-")
    if negative || p.pointee == UInt8(ascii: "+") { p += 1 }
    let digitsStart = p
    var mantissa: UInt64 = 0
    while true {
        let digit = p.pointee &- 48
        if digit > 9 { break }
        mantissa = mantissa &* 10 &+ UInt64(digit)
        p += 1
    }
    let integerDigits = p - digitsStart
    var fractionDigits = 0
    if p.pointee == UInt8(ascii: ".") {
        p += 1
        let fractionStart = p
        while true {
            let chunk = loadEightBytes(p)
            guard areEightDigits(chunk) else { break }
            mantissa = mantissa &* 100_000_000 &+ valueOfEightDigits(chunk)
            p += 8
        }
        while true {
            let digit = p.pointee &- 48
            if digit > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            p += 1
        }
        fractionDigits = p - fractionStart
    }
    let digitCount = integerDigits + fractionDigits
    if digitCount == 0 || digitCount > 19 || fractionDigits > 22 || mantissa > (1 << 53) || (p.pointee | 0x20) == UInt8(ascii: "e") {
        return parseRealPrefixInGeneral(start, powers: powers, end: &end)
    }
    end = p
    // m and 10^k are exact doubles, so one correctly rounded division gives the exact result.
    let value = Double(mantissa) / powers[fractionDigits]
    return negative ? -value : value
}

/// The general case of ``parseRealPrefix(_:powers:end:)``: exponents, special values, long
/// mantissas (exact conversion by the standard library) and syntax errors.
@inline(never)
func parseRealPrefixInGeneral(_ start: UnsafePointer<UInt8>, powers: UnsafePointer<Double>, end: inout UnsafePointer<UInt8>) -> Double {
    end = start
    var p = start
    var negative = false
    if p.pointee == UInt8(ascii: "-") || p.pointee == UInt8(ascii: "+") {
        negative = p.pointee == UInt8(ascii: "-")
        p += 1
    }
    let digitsStart = p
    var mantissa: UInt64 = 0
    while true {
        let digit = p.pointee &- 48
        if digit > 9 { break }
        mantissa = mantissa &* 10 &+ UInt64(digit)
        p += 1
    }
    var digitCount = p - digitsStart
    var fractionDigits = 0
    if p.pointee == UInt8(ascii: ".") {
        p += 1
        let fractionStart = p
        while true {
            let digit = p.pointee &- 48
            if digit > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            p += 1
        }
        fractionDigits = p - fractionStart
        digitCount += fractionDigits
    }
    if digitCount == 0 {
        // Only `inf`, `infinity`, `nan` remain possible, and only without a decimal point.
        guard p == digitsStart else { return 0 }
        var wordEnd = p
        while (wordEnd.pointee | 0x20) >= UInt8(ascii: "a") && (wordEnd.pointee | 0x20) <= UInt8(ascii: "z") { wordEnd += 1 }
        guard let value = parseSpecialReal(p, wordEnd - p, negative: negative) else { return 0 }
        end = wordEnd
        return value
    }
    var exponent = 0
    if (p.pointee | 0x20) == UInt8(ascii: "e") {
        var q = p + 1
        var exponentNegative = false
        if q.pointee == UInt8(ascii: "-") || q.pointee == UInt8(ascii: "+") {
            exponentNegative = q.pointee == UInt8(ascii: "-")
            q += 1
        }
        let exponentStart = q
        while true {
            let digit = q.pointee &- 48
            if digit > 9 { break }
            if exponent < 100_000 { exponent = exponent * 10 + Int(digit) }
            q += 1
        }
        guard q > exponentStart else { return 0 }
        if exponentNegative { exponent = -exponent }
        p = q
    }
    if digitCount > 19 {
        // The mantissa may have wrapped around: use the exact conversion.
        guard let value = parseRealSlowly(start, p - start) else { return 0 }
        end = p
        return value
    }
    end = p
    if mantissa == 0 { return negative ? -0.0 : 0.0 }
    let decimalExponent = exponent - fractionDigits
    if mantissa <= (1 << 53) && decimalExponent >= -22 && decimalExponent <= 22 {
        let m = Double(mantissa)
        let value = decimalExponent >= 0 ? m * powers[decimalExponent] : m / powers[-decimalExponent]
        return negative ? -value : value
    }
    guard let value = parseRealSlowly(start, p - start) else {
        end = start
        return 0
    }
    return value
}

/// Skips spaces (8 at a time) and other ASCII whitespace; stops at `end` or the first other byte.
/// The byte at `end` must not be a space (it is the line's `\n` or padding).
@inline(__always)
func skipSpaces(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
    var p = start
    while p < end {
        let differences = loadEightBytes(p) ^ 0x2020_2020_2020_2020
        if differences == 0 { p += 8; continue }
        p += differences.trailingZeroBitCount >> 3
        guard p < end, isASCIISpace(p.pointee) else { break }
        p += 1
    }
    return p < end ? p : end
}

/// `inf`, `infinity` or `nan` in any letter case (the sign has been consumed by the caller).
@inline(never)
func parseSpecialReal(_ bytes: UnsafePointer<UInt8>, _ count: Int, negative: Bool) -> Double? {
    func matches(_ word: StaticString) -> Bool {
        guard word.utf8CodeUnitCount == count else { return false }
        let w = word.utf8Start
        for k in 0..<count where (bytes[k] | 0x20) != w[k] { return false }
        return true
    }
    if matches("inf") || matches("infinity") { return negative ? -.infinity : .infinity }
    if matches("nan") { return .nan }
    return nil
}

/// The correctly rounded conversion for numbers outside the fast path (syntax already checked).
@inline(never)
func parseRealSlowly(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Double? {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    return Double(text)
}

/// The result of parsing an integer token.
enum IntegerParse {
    case value(Int)
    case notAnInteger
    case outOfRange
}

/// Parses an integer (optional sign, decimal digits, nothing else) from `count` bytes.
@inline(__always)
func parseInteger(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> IntegerParse {
    var i = 0
    var negative = false
    if count > 0 && (bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+")) {
        negative = bytes[0] == UInt8(ascii: "-")
        i = 1
    }
    if i == count { return .notAnInteger }
    // Accumulate as a negative number so that Int.min is representable.
    var value = 0
    var overflow = false
    while i < count {
        let digit = bytes[i] &- 48
        if digit > 9 { return .notAnInteger }
        if !overflow {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int(digit))
            if o1 || o2 { overflow = true } else { value = next }
        }
        i += 1
    }
    if overflow { return .outOfRange }
    if negative { return .value(value) }
    if value == Int.min { return .outOfRange }
    return .value(-value)
}

/// Convenience wrappers over byte arrays, used outside the hot loop.
extension Array where Element == UInt8 {
    /// Parses the whole array as a real in Python `float()` syntax.
    func parsedAsReal() -> Double? {
        withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return exactPowersOfTen.withUnsafeBufferPointer { powers in
                parseReal(base, buffer.count, powers: powers.baseAddress!)
            }
        }
    }

    /// Parses the whole array as a decimal integer.
    func parsedAsInteger() -> IntegerParse {
        withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return .notAnInteger }
            return parseInteger(base, buffer.count)
        }
    }
}
