import AtomicStructures
import Configuration
import CrossValidation
import JSON
import Support

/// One searched setting of a training config and the values it may take.
public struct SearchDimension: Hashable, Sendable {
    /// How a value is put into the config.
    public enum Kind: Hashable, Sendable {
        /// The value replaces the setting at the path (objects on the way are created); null
        /// removes the key, for optional settings such as `radial_scaling` (the decoder reads a
        /// null or absent key alike, as the setting's default).
        case setting
        /// The value is a factor: the setting becomes factor × the (already modified) number at
        /// `reference`, e.g. a term's δ as a ratio of the first term's, or a config type's σ as
        /// a multiple of `default_sigma`'s.
        case ratio(reference: [ParameterSweep.Step])
        /// The value is a descriptor term appended to `descriptors`, or null for none.
        case extraTerm
    }

    /// The name shown in reports: the config path, or `extra_terms[i]`.
    public var name: String
    /// The path the value goes to (empty for an extra term).
    public var path: [ParameterSweep.Step]
    /// How the value is applied.
    public var kind: Kind
    /// The values, in order (numbers ascending for numeric settings).
    public var values: [JSONValue.Kind]
    /// The index of the base config's value in ``values``.
    public var baseIndex: Int

    /// A value as short text for tables.
    public func describe(_ index: Int) -> String {
        let value = values[index]
        switch (kind, value) {
        case (.extraTerm, .null): return "none"
        case (.extraTerm, .object(let o)):
            var parts: [String] = []
            for key in ["type", "cutoff", "n_max", "l_max", "atom_sigma", "delta"] {
                if let v = o[key] { parts.append(key == "type" ? JSONWriter.write(v.kind, pretty: false).replacingQuotes() : "\(key) \(JSONWriter.write(v.kind, pretty: false))") }
            }
            return parts.joined(separator: " ")
        case (.ratio, _): return "×" + JSONWriter.write(value, pretty: false)
        case (.setting, .null): return "none"
        case (.setting, .object(let o)):
            // e.g. radial_scaling: "c 1 r0 2.5 m 4" (its keys in the order of c / (c + (r/r0)^m),
            // whatever order a space file gave them in; other objects' keys as written)
            let first = ["c", "r0", "m"]
            let members = first.compactMap { k in o.members.first { $0.key == k } } + o.members.filter { !first.contains($0.key) }
            return members.map { "\($0.key) \(Self.describeMember($0.value.kind))" }.joined(separator: " ")
        default: return JSONWriter.write(value, pretty: false).replacingQuotes()
        }
    }

    /// A member of an object value: numbers as messages print them (6 significant digits, no ".0").
    private static func describeMember(_ value: JSONValue.Kind) -> String {
        guard case .number(let n) = value else { return JSONWriter.write(value, pretty: false).replacingQuotes() }
        return formatSignificant(n.doubleValue)
    }
}

/// The settings a search varies: an ordered list of dimensions. A point of the space is one
/// value index per dimension; the base config is the point of base indices.
public struct SearchSpace: Hashable, Sendable {
    /// The dimensions, in order.
    public var dimensions: [SearchDimension]

    /// Creates a space.
    public init(dimensions: [SearchDimension]) {
        self.dimensions = dimensions
    }

    /// The point of the base config.
    public var basePoint: [Int] { dimensions.map(\.baseIndex) }

    /// The number of points.
    public var size: Double { dimensions.reduce(1.0) { $0 * Double($1.values.count) } }

    /// The config JSON of `point`, built from `base` (a config's ``TrainingConfig/jsonValue``).
    /// Settings are applied in dimension order, ratios after plain settings (so a ratio refers to
    /// the searched value of its reference), extra terms last.
    public func configJSON(_ point: [Int], base: JSONValue.Kind) throws -> JSONValue.Kind {
        precondition(point.count == dimensions.count, "a point has one index per dimension")
        var root = base
        var extras: [JSONValue] = []
        let order = dimensions.indices.filter { if case .setting = dimensions[$0].kind { return true } else { return false } }
            + dimensions.indices.filter { if case .ratio = dimensions[$0].kind { return true } else { return false } }
            + dimensions.indices.filter { dimensions[$0].kind == .extraTerm }
        for d in order {
            let dimension = dimensions[d]
            let value = dimension.values[point[d]]
            switch dimension.kind {
            case .setting:
                if case .null = value {
                    root = ConfigPaths.removing(dimension.path[...], in: root)
                } else {
                    root = try ConfigPaths.setting(dimension.path[...], in: root, to: value, name: dimension.name)
                }
            case .ratio(let reference):
                guard case .number(let factor) = value else { throw spaceError("\(dimension.name): a ratio must be a number") }
                guard case .number(let scale)? = ParameterSweep.value(at: reference, in: root) else {
                    throw spaceError("\(dimension.name): the config has no number at \(ConfigPaths.describe(reference)) to take the ratio of")
                }
                let product = factor.doubleValue * scale.doubleValue
                root = try ConfigPaths.setting(dimension.path[...], in: root, to: JSONWriter.number(product), name: dimension.name)
            case .extraTerm:
                if case .null = value { continue }
                extras.append(JSONValue(value))
            }
        }
        if !extras.isEmpty {
            guard case .array(let terms)? = ParameterSweep.value(at: [.key("descriptors")], in: root) else {
                throw spaceError("the config has no descriptors array to add terms to")
            }
            root = try ConfigPaths.setting([.key("descriptors")][...], in: root, to: .array(terms + extras), name: "descriptors")
        }
        return root
    }

    /// The settings where `point` differs from the base, as "name = value" lines.
    public func changes(_ point: [Int]) -> [String] {
        dimensions.indices.compactMap { d in
            point[d] == dimensions[d].baseIndex ? nil : "\(dimensions[d].name) = \(dimensions[d].describe(point[d]))"
        }
    }
}

func spaceError(_ message: String, file: String = "<search space>") -> InputError {
    InputError(file: file, field: nil, message: message)
}

/// Reading and writing settings at config paths such as `descriptors[0].atom_sigma`.
enum ConfigPaths {
    static func parse(_ text: String, file: String) throws -> [ParameterSweep.Step] {
        try ParameterSweep.parsePath(text) { InputError(file: file, field: text, message: $0) }
    }

    static func describe(_ path: [ParameterSweep.Step]) -> String { ParameterSweep.describe(path) }

    /// `root` with the value at `path` set to `value`; missing object members on the way are
    /// created (so `config_type_sigma.liq.forces` works when the config has no entry for `liq`),
    /// array indices must exist.
    static func setting(_ path: ArraySlice<ParameterSweep.Step>, in root: JSONValue.Kind, to value: JSONValue.Kind, name: String) throws -> JSONValue.Kind {
        guard let step = path.first else { return value }
        switch (step, root) {
        case (.key(let k), .object(var o)):
            if let m = o.members.firstIndex(where: { $0.key == k }) {
                o.members[m].value = JSONValue(try setting(path.dropFirst(), in: o.members[m].value.kind, to: value, name: name))
            } else {
                let created = try setting(path.dropFirst(), in: .object(JSONObject()), to: value, name: name)
                o.members.append(JSONObject.Member(key: k, keyPosition: SourcePosition(line: 1, column: 1), value: JSONValue(created)))
            }
            return .object(o)
        case (.index(let i), .array(var a)):
            guard i < a.count else { throw spaceError("\(name): the config has no element \(i) there (it has \(a.count))") }
            a[i] = JSONValue(try setting(path.dropFirst(), in: a[i].kind, to: value, name: name))
            return .array(a)
        default:
            throw spaceError("\(name) does not name a setting of the config")
        }
    }
}

extension ConfigPaths {
    /// `root` without the member at `path` (unchanged where the path leads nowhere).
    static func removing(_ path: ArraySlice<ParameterSweep.Step>, in root: JSONValue.Kind) -> JSONValue.Kind {
        guard let step = path.first else { return root }
        switch (step, root) {
        case (.key(let k), .object(var o)):
            guard let m = o.members.firstIndex(where: { $0.key == k }) else { return root }
            if path.count == 1 {
                o.members.remove(at: m)
            } else {
                o.members[m].value = JSONValue(removing(path.dropFirst(), in: o.members[m].value.kind))
            }
            return .object(o)
        case (.index(let i), .array(var a)) where i < a.count:
            a[i] = JSONValue(removing(path.dropFirst(), in: a[i].kind))
            return .array(a)
        default:
            return root
        }
    }
}

extension String {
    func replacingQuotes() -> String { filter { $0 != "\"" } }
}
