// Support: see Package.swift for this module's place in the pipeline.

/// `x` in fixed-point notation with `digits` decimals, rounded half away from zero, without
/// Foundation (non-finite values as Swift prints them).
public func formatFixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(x) * scale).rounded()
    let whole = Int(scaled / scale)
    var fraction = String(Int(scaled) - whole * Int(scale))
    while fraction.count < digits { fraction = "0" + fraction }
    return (x < 0 && scaled > 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + fraction : "")
}

extension String {
    /// The string right-aligned in `width` characters, filled with `pad` on the left (unchanged
    /// if it is longer).
    public func leftPadded(_ width: Int, with pad: Character = " ") -> String {
        String(repeating: pad, count: max(0, width - count)) + self
    }
}

/// A number with up to 6 significant digits for messages (round-trip precision is noise there).
public func formatSignificant(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    if x == 0 { return "0" }
    let magnitude = abs(x)
    if magnitude >= 1e-4 && magnitude < 1e7 {
        // Fixed notation with 6 significant digits, trailing zeros trimmed.
        let decimals = max(0, 5 - magnitude.log10Floor)
        var text = formatFixed(x, decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
    // Scientific: mantissa with 6 significant digits.
    let exponent = magnitude.log10Floor
    guard abs(exponent) < 300 else { return "\(x)" }
    var mantissa = formatSignificant(x / pow10Signed(exponent))
    if mantissa == "10" || mantissa == "-10" { return formatSignificant(x / pow10Signed(exponent + 1)) + "e\(exponent + 1)" }
    if mantissa.isEmpty { mantissa = "0" }
    return mantissa + "e\(exponent)"
}

private func pow10Signed(_ n: Int) -> Double {
    n >= 0 ? pow10(n) : 1 / pow10(-n)
}

private func pow10(_ n: Int) -> Double {
    var p = 1.0
    for _ in 0..<n { p *= 10 }
    return p
}

private extension Double {
    /// floor(log10(self)) for positive finite values, computed without Foundation.
    var log10Floor: Int {
        var k = 0
        var v = self
        while v >= 10 { v /= 10; k += 1 }
        while v < 1 { v *= 10; k -= 1 }
        return k
    }
}

/// A rate or small quantity as "1.2M", "45.6k", "456", "0.5".
public func formatRate(_ rate: Double) -> String {
    if rate >= 1e6 { return formatFixed(rate / 1e6, 1) + "M" }
    if rate >= 1e4 { return formatFixed(rate / 1e3, 1) + "k" }
    if rate >= 10 { return String(Int(rate.rounded())) }
    return formatFixed(rate, 1)
}

/// "42 s", "3 min 05 s", "1 h 02 min".
public func formatDuration(_ seconds: Double) -> String {
    if seconds < 60 { return seconds < 10 ? formatFixed(seconds, 1) + " s" : "\(Int(seconds.rounded())) s" }
    let total = Int(seconds.rounded())
    if total < 3600 { return "\(total / 60) min \(String(total % 60).leftPadded(2, with: "0")) s" }
    return "\(total / 3600) h \(String((total % 3600) / 60).leftPadded(2, with: "0")) min"
}

/// Bytes as "1.2 GB", "340 MB", "12 kB" (decimal units).
public func formatBytes(_ bytes: Int) -> String {
    let b = Double(bytes)
    if b >= 1e9 { return formatFixed(b / 1e9, 1) + " GB" }
    if b >= 1e6 { return "\(Int((b / 1e6).rounded())) MB" }
    if b >= 1e3 { return "\(Int((b / 1e3).rounded())) kB" }
    return "\(bytes) B"
}

/// Formats rows as a left/right aligned text table (numbers right-aligned, text left-aligned).
public func alignedTable(header: [String], rows: [[String]], rightAligned: Set<Int>) -> String {
    let all = [header] + rows
    var widths = [Int](repeating: 0, count: header.count)
    for row in all { for (c, cell) in row.enumerated() where c < widths.count { widths[c] = max(widths[c], cell.count) } }
    var out = ""
    for row in all {
        var line = ""
        for (c, cell) in row.enumerated() {
            let padding = String(repeating: " ", count: max(0, widths[c] - cell.count))
            if c > 0 { line += "  " }
            line += rightAligned.contains(c) ? padding + cell : (c + 1 < row.count ? cell + padding : cell)
        }
        out += line + "\n"
    }
    return out
}
