/// A JSON value with object keys in insertion order, so that output is stable and reads in a
/// deliberate order (not alphabetical, not hash order).
enum JSONValue {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// A number, or null when it is not finite (JSON has no NaN or infinity).
    static func finite(_ x: Double) -> JSONValue { x.isFinite ? .number(x) : .null }

    /// Pretty-printed text with two-space indentation.
    func rendered(indent: Int = 0) -> String {
        var out = ""
        write(to: &out, indent: indent)
        return out
    }

    private func write(to out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        let inner = String(repeating: " ", count: indent + 2)
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let n): out += String(n)
        case .number(let x): out += x.isFinite ? "\(x)" : "null"
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (k, item) in items.enumerated() {
                out += inner
                item.write(to: &out, indent: indent + 2)
                out += k + 1 < items.count ? ",\n" : "\n"
            }
            out += pad + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (k, (key, value)) in members.enumerated() {
                out += inner
                JSONValue.quote(key, into: &out)
                out += ": "
                value.write(to: &out, indent: indent + 2)
                out += k + 1 < members.count ? ",\n" : "\n"
            }
            out += pad + "}"
        }
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
