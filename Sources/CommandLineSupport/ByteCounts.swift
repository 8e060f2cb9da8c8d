import AtomicStructures
import Support

/// Parses a memory size given on the command line: "8G", "500M", "1.5GB", "123456" (bytes; K, M,
/// G, T are powers of 1024). `option` names the option in the error.
public func parseByteCount(_ text: String, option: String) throws -> Int {
    let units: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
    var digits = text.uppercased()
    if digits.hasSuffix("B") { digits.removeLast() }
    var scale = 1.0
    if let last = digits.last, let unit = units[last] {
        scale = unit
        digits.removeLast()
    }
    guard let value = Double(digits), value >= 0, value.isFinite, value * scale < 9e18 else {
        throw InputError(file: "<command line>", field: option, message: "expected a size such as 8G or 500M, got \"\(text)\"")
    }
    return Int(value * scale)
}
