/// Writes JSON values canonically: object keys sorted by their UTF-8 bytes, no comments,
/// numbers in the shortest form that reads back to the same double, non-ASCII text as UTF-8.
/// The same value always gives the same bytes, which is what model provenance needs.
public enum JSONWriter {
    /// The canonical text of `value`: compact (no spaces), or indented by two spaces per level.
    public static func write(_ value: JSONValue.Kind, pretty: Bool = true) -> String {
        var out = ""
        write(value, pretty: pretty, indent: 0, into: &out)
        if pretty { out += "\n" }
        return out
    }

    /// A number value from a double (must be finite), written in its shortest round-trip form.
    public static func number(_ x: Double) -> JSONValue.Kind {
        precondition(x.isFinite, "JSON numbers must be finite")
        return .number(JSONNumber(literal: "\(x)", doubleValue: x, integerValue: nil))
    }

    /// A number value from an integer.
    public static func number(_ n: Int) -> JSONValue.Kind {
        .number(JSONNumber(literal: "\(n)", doubleValue: Double(n), integerValue: n))
    }

    /// An object value from key-value pairs (keys must be distinct).
    public static func object(_ pairs: [(String, JSONValue.Kind)]) -> JSONValue.Kind {
        .object(JSONObject(members: pairs.map {
            JSONObject.Member(key: $0.0, keyPosition: SourcePosition(line: 1, column: 1), value: JSONValue($0.1))
        }))
    }

    /// An array value.
    public static func array(_ elements: [JSONValue.Kind]) -> JSONValue.Kind {
        .array(elements.map { JSONValue($0) })
    }

    private static func write(_ value: JSONValue.Kind, pretty: Bool, indent: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            if let i = n.integerValue { out += "\(i)" } else { out += "\(n.doubleValue)" }
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            if elements.isEmpty { out += "[]"; return }
            // Arrays of scalars stay on one line; they are short lists (species, files, indices).
            let scalars = elements.allSatisfy {
                switch $0.kind { case .array, .object: return false; default: return true }
            }
            out += "["
            for (i, e) in elements.enumerated() {
                if i > 0 { out += pretty && scalars ? ", " : "," }
                if pretty && !scalars { out += "\n" + String(repeating: "  ", count: indent + 1) }
                write(e.kind, pretty: pretty, indent: indent + 1, into: &out)
            }
            if pretty && !scalars { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let object):
            if object.members.isEmpty { out += "{}"; return }
            let sorted = object.members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            out += "{"
            for (i, m) in sorted.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                writeString(m.key, into: &out)
                out += pretty ? ": " : ":"
                write(m.value.kind, pretty: pretty, indent: indent + 1, into: &out)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let h = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
