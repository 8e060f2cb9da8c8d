import AtomicStructures
import Configuration
import JSON
import Support

/// A sweep over one setting of the training config: `KEY=V1,V2,...` on the command line.
///
/// KEY is a path into the config's JSON as written in docs/config.md: `descriptors[0].n_sparse`,
/// `default_sigma.forces`, `sparse_jitter`, `config_type_sigma.liq.energy`. A bare key that is
/// not a top-level key names the descriptor term that has it, if exactly one does (`n_sparse`
/// in a config with one term that has it; with several, give the index). Every value makes a
/// complete config that is validated like the original before any work starts; each is
/// cross-validated on the same folds.
public struct ParameterSweep: Sendable {
    /// One step of a path: an object key or an array index.
    public enum Step: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    /// The key as given on the command line.
    public var name: String
    /// The resolved path into the config.
    public var path: [Step]
    /// The values, as JSON text (numbers, or strings for string settings), in the order given.
    public var values: [String]

    /// The resolved path as text, e.g. `descriptors[0].n_sparse`.
    public var pathDescription: String { ParameterSweep.describe(path) }

    /// A path as text, e.g. `descriptors[0].n_sparse`.
    package static func describe(_ path: [Step]) -> String {
        var text = ""
        for step in path {
            switch step {
            case .key(let k): text += (text.isEmpty ? "" : ".") + k
            case .index(let i): text += "[\(i)]"
            }
        }
        return text
    }

    /// Parses `KEY=V1,V2,...` against `config`.
    ///
    /// - Throws: ``InputError`` (field `--sweep`) for a malformed argument, a key the config does
    ///   not have (or that is ambiguous), a setting that is not a number or a string, or a value
    ///   of the wrong kind.
    public static func parse(_ text: String, config: TrainingConfig) throws -> ParameterSweep {
        func fail(_ message: String) -> InputError { InputError(file: "<command line>", field: "--sweep", message: message) }
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw fail("expected KEY=V1,V2,... (for example n_sparse=100,200,400), got \"\(text)\"")
        }
        let key = String(text[..<equals])
        let list = text[text.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingSpaces()
        }
        guard !list.isEmpty, !list.contains(where: \.isEmpty) else { throw fail("no value, or an empty value, in \"\(text)\"") }
        let root = config.jsonValue
        let path = try resolve(key, in: root, fail: fail)
        guard let current = value(at: path, in: root) else { throw fail("the config has no \(key)") }
        var values: [String] = []
        for item in list {
            switch current {
            case .number:
                guard case .number = try? JSONParser.parse(item, fileName: "--sweep").kind else {
                    throw fail("\(key) is a number, and \"\(item)\" is not one")
                }
                values.append(item)
            case .string:
                values.append(JSONWriter.write(.string(item), pretty: false))
            default:
                throw fail("\(key) is not a number or a string setting; only those can be swept")
            }
        }
        return ParameterSweep(name: key, path: path, values: values)
    }

    /// The config with the swept setting set to `value` (one of ``values``), validated.
    public func config(value: String, base: TrainingConfig) throws -> TrainingConfig {
        let parsed = try JSONParser.parse(value, fileName: "--sweep")
        guard let modified = ParameterSweep.replacing(path[...], in: base.jsonValue, with: parsed.kind) else {
            throw InputError(file: "<command line>", field: "--sweep", message: "the config has no \(pathDescription)")
        }
        let text = JSONWriter.write(modified)
        return try TrainingConfig.parse(
            bytes: Array(text.utf8), name: "\(base.sourceName) with \(pathDescription) = \(displayValue(value))",
            baseDirectory: base.baseDirectory, checkFiles: false)
    }

    /// A value for display (strings without their quotes).
    public func displayValue(_ value: String) -> String {
        if case .string(let s) = try? JSONParser.parse(value, fileName: "--sweep").kind { return s }
        return value
    }

    /// The numeric value, for plotting (nil for strings).
    package func numericValue(_ value: String) -> Double? {
        if case .number(let n) = try? JSONParser.parse(value, fileName: "--sweep").kind { return n.doubleValue }
        return nil
    }

    static func resolve(_ key: String, in root: JSONValue.Kind, fail: (String) -> InputError) throws -> [Step] {
        let path = try parsePath(key, fail: fail)
        if value(at: path, in: root) != nil { return path }
        // A bare key: the one descriptor term that has it.
        guard path.count == 1, case .key(let name) = path[0], case .object(let top) = root,
              case .array(let terms)? = top["descriptors"]?.kind
        else { throw fail("the config has no \(key)") }
        let holders = terms.indices.filter { i in
            if case .object(let o) = terms[i].kind { return o[name] != nil }
            return false
        }
        guard !holders.isEmpty else { throw fail("the config has no \(key), neither at the top level nor in a descriptor term") }
        guard holders.count == 1 else {
            throw fail("\(key) occurs in \(holders.map { "descriptors[\($0)]" }.joined(separator: " and ")); name one, e.g. descriptors[\(holders[0])].\(key)")
        }
        return [.key("descriptors"), .index(holders[0]), .key(name)]
    }

    package static func parsePath(_ text: String, fail: (String) -> InputError) throws -> [Step] {
        var steps: [Step] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            guard let name = rest.split(separator: "[", maxSplits: 1, omittingEmptySubsequences: false).first, !name.isEmpty else {
                throw fail("\"\(text)\" is not a key path like descriptors[0].n_sparse")
            }
            steps.append(.key(String(name)))
            rest = rest.dropFirst(name.count)
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]"), let i = Int(rest[rest.index(after: rest.startIndex)..<close]), i >= 0 else {
                    throw fail("\"\(text)\" is not a key path like descriptors[0].n_sparse")
                }
                steps.append(.index(i))
                rest = rest[rest.index(after: close)...]
            }
        }
        return steps
    }

    package static func value(at path: [Step], in root: JSONValue.Kind) -> JSONValue.Kind? {
        var current = root
        for step in path {
            switch (step, current) {
            case (.key(let k), .object(let o)):
                guard let v = o[k] else { return nil }
                current = v.kind
            case (.index(let i), .array(let a)):
                guard i < a.count else { return nil }
                current = a[i].kind
            default:
                return nil
            }
        }
        return current
    }

    package static func replacing(_ path: ArraySlice<Step>, in value: JSONValue.Kind, with new: JSONValue.Kind) -> JSONValue.Kind? {
        guard let step = path.first else { return new }
        switch (step, value) {
        case (.key(let k), .object(var o)):
            guard let m = o.members.firstIndex(where: { $0.key == k }),
                  let inner = replacing(path.dropFirst(), in: o.members[m].value.kind, with: new)
            else { return nil }
            o.members[m].value = JSONValue(inner)
            return .object(o)
        case (.index(let i), .array(var a)):
            guard i < a.count, let inner = replacing(path.dropFirst(), in: a[i].kind, with: new) else { return nil }
            a[i] = JSONValue(inner)
            return .array(a)
        default:
            return nil
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
