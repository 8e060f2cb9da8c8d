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
    /// The string right-aligned in `width` characters (unchanged if it is longer).
    public func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
