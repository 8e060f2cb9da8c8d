import AtomicStructures

/// A QUIP argument string such as `soap cutoff=5.0 n_max=8 species_Z={14 8} Z=14`: a leading
/// word (the descriptor type) and `key=value` pairs, where a value is a bare word, a `{...}` list
/// or a quoted string. Keys are compared without regard to case, as QUIP's parameter reader does.
struct QUIPArguments {
    /// The first word (for a descriptor string, its type).
    var type: String
    /// Pairs in order; a key without `=` has the value "T", as QUIP reads flags.
    var pairs: [(key: String, value: String)]

    init(_ text: String) throws {
        var tokens: [String] = []
        var current = ""
        var closing: Character?
        for c in text {
            if let end = closing {
                if c == end { closing = nil } else { current.append(c) }
                continue
            }
            switch c {
            case "{": closing = "}"
            case "\"", "'": closing = c
            case " ", "\t", "\n", "\r":
                if !current.isEmpty { tokens.append(current) }
                current = ""
            default: current.append(c)
            }
        }
        guard closing == nil else { throw QUIPArgumentError(message: "unbalanced \(closing == "}" ? "{...}" : "quotes") in \"\(text)\"") }
        if !current.isEmpty { tokens.append(current) }
        guard let first = tokens.first, !first.contains("=") else {
            throw QUIPArgumentError(message: "the descriptor string does not start with a descriptor type: \"\(text)\"")
        }
        type = first
        pairs = tokens.dropFirst().map { token in
            guard let eq = token.firstIndex(of: "=") else { return (token, "T") }
            return (String(token[..<eq]), String(token[token.index(after: eq)...]))
        }
    }

    /// The last value given for `key` (QUIP keeps the last), or nil.
    func value(_ key: String) -> String? {
        pairs.last { $0.key.lowercased() == key.lowercased() }?.value
    }

    func double(_ key: String) throws -> Double? {
        guard let text = value(key) else { return nil }
        guard let v = Double(fortran: text), v.isFinite else { throw QUIPArgumentError(message: "\(key)=\(text) is not a number") }
        return v
    }

    func integer(_ key: String) throws -> Int? {
        guard let text = value(key) else { return nil }
        guard let v = Int(text.trimmingSpaces) else { throw QUIPArgumentError(message: "\(key)=\(text) is not an integer") }
        return v
    }

    func integers(_ key: String) throws -> [Int]? {
        guard let text = value(key) else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
        let values = fields.compactMap { Int($0) }
        guard values.count == fields.count, !values.isEmpty else { throw QUIPArgumentError(message: "\(key)={\(text)} is not a list of integers") }
        return values
    }

    func bool(_ key: String) throws -> Bool? {
        guard let text = value(key) else { return nil }
        switch text.lowercased() {
        case "t", "true", ".true.", "1": return true
        case "f", "false", ".false.", "0": return false
        default: throw QUIPArgumentError(message: "\(key)=\(text) is not a logical (T or F)")
        }
    }
}

/// A malformed or unsupported QUIP argument; the caller adds the file and element.
struct QUIPArgumentError: Error {
    var message: String
}

extension Double {
    /// Parses a number as Fortran writes it: `.5`, `-.12E-001`, `0.1D+01`.
    init?(fortran text: String) {
        var t = text.trimmingSpaces
        if t.contains("d") || t.contains("D") {
            t = String(t.map { $0 == "d" || $0 == "D" ? "e" : $0 })
        }
        guard let v = Double(t) else { return nil }
        self = v
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}
