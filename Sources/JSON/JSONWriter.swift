import Support

/// Writes JSON values: numbers in the shortest form that reads back to the same double,
/// non-ASCII text as UTF-8, no comments, strings escaped by one rule (``appendQuoted(_:to:)``)
/// for every JSON the package writes.
public enum JSONWriter {
    /// How objects and arrays are laid out.
    public enum Style: Sendable {
        /// Object keys sorted by their UTF-8 bytes, arrays of scalars on one line: the same value
        /// always gives the same bytes, which is what model files and their provenance need.
        case canonical
        /// Object keys in the order they were built and every array element on its own line: for
        /// reports read by people (`gap-data --json`), in a deliberate order.
        case insertionOrder
    }

    /// The text of `value`: compact (no spaces), or indented by two spaces per level and ending
    /// in a newline.
    public static func write(_ value: JSONValue.Kind, pretty: Bool = true, style: Style = .canonical) -> String {
        var out = ""
        write(value, pretty: pretty, style: style, indent: 0, into: &out)
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

    /// A number value from a double, or null when it is not finite (JSON has no NaN or infinity).
    public static func finiteOrNull(_ x: Double) -> JSONValue.Kind { x.isFinite ? number(x) : .null }

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

    private static func write(_ value: JSONValue.Kind, pretty: Bool, style: Style, indent: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            if let i = n.integerValue { out += "\(i)" } else { out += "\(n.doubleValue)" }
        case .string(let s): appendQuoted(s, to: &out)
        case .array(let elements):
            if elements.isEmpty { out += "[]"; return }
            // Canonically, arrays of scalars stay on one line: they are short lists (species,
            // files, indices).
            let scalars = style == .canonical && elements.allSatisfy {
                switch $0.kind { case .array, .object: return false; default: return true }
            }
            out += "["
            for (i, e) in elements.enumerated() {
                if i > 0 { out += pretty && scalars ? ", " : "," }
                if pretty && !scalars { out += "\n" + String(repeating: "  ", count: indent + 1) }
                write(e.kind, pretty: pretty, style: style, indent: indent + 1, into: &out)
            }
            if pretty && !scalars { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let object):
            if object.members.isEmpty { out += "{}"; return }
            let members = style == .insertionOrder
                ? object.members
                : object.members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                appendQuoted(m.key, to: &out)
                out += pretty ? ": " : ":"
                write(m.value.kind, pretty: pretty, style: style, indent: indent + 1, into: &out)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    /// `s` as a JSON string literal.
    public static func quoted(_ s: String) -> String {
        var out = ""
        appendQuoted(s, to: &out)
        return out
    }

    /// Appends `s` as a JSON string literal: `"` and `\` escaped, the short escapes `\n`, `\r`,
    /// `\t`, `\b`, `\f`, and `\u00XX` for the other control characters and DEL (which extended
    /// XYZ readers do not take raw); everything else as UTF-8.
    public static func appendQuoted(_ s: String, to out: inout String) {
        out += "\""
        // Runs of bytes that need no escape are appended whole (payloads of megabytes would
        // otherwise go scalar by scalar); the output is the same bytes either way.
        let bytes = s.utf8
        var runStart = bytes.startIndex
        var i = runStart
        while i != bytes.endIndex {
            let byte = bytes[i]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else {
                i = bytes.index(after: i)
                continue
            }
            out += s[runStart..<i]
            switch byte {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            default: out += "\\u" + String(byte, radix: 16, uppercase: true).leftPadded(4, with: "0")
            }
            i = bytes.index(after: i)
            runStart = i
        }
        out += s[runStart..<bytes.endIndex]
        out += "\""
    }
}
