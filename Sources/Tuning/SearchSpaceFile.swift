import AtomicStructures
import Configuration
import CrossValidation
import JSON
import Support

extension SearchSpace {
    /// Reads a search space (JSON with comments), checked against the base config:
    ///
    /// ```
    /// {
    ///   "descriptors[0].atom_sigma": [0.3, 0.4, 0.5],                           // values
    ///   "descriptors[1].delta": {"times": "descriptors[0].delta", "values": [0.1, 0.5]},  // ratios
    ///   "config_type_sigma.liq.forces": {"times": "default_sigma.forces", "values": [1, 2, 4]},
    ///   "descriptors[0].radial_scaling": [null, {"c": 1, "r0": 2.5, "m": 4}],  // null: no key
    ///   "extra_terms": [null, {"type": "soap", "cutoff": 7.0, ...}]             // appended terms
    /// }
    /// ```
    ///
    /// A null value removes the key (the setting's default); a setting the base config leaves out
    /// may be searched only with null among its values (null is then the base's value).
    ///
    /// The base config's own value is added to every list that lacks it (so the base config is a
    /// point of the space). Every point's config is validated when it is evaluated.
    public static func parse(bytes: [UInt8], name: String, base: TrainingConfig) throws -> SearchSpace {
        let root = try JSONParser.parse(bytes, fileName: name)
        guard case .object(let object) = root.kind else {
            throw InputError(file: name, line: root.position.line, field: nil, message: "a search space is a JSON object of \"path\": [values]")
        }
        var dimensions: [SearchDimension] = []
        for member in object.members {
            func fail(_ message: String) -> InputError {
                InputError(file: name, line: member.keyPosition.line, field: member.key, message: message)
            }
            if member.key == "extra_terms" {
                guard case .array(let terms) = member.value.kind, !terms.isEmpty else { throw fail("extra_terms is a list of descriptor terms (objects), null meaning none") }
                for t in terms {
                    switch t.kind {
                    case .null, .object: continue
                    default: throw fail("extra_terms lists descriptor term objects or null, found \(t.kindDescription)")
                    }
                }
                dimensions.append(try dimension(name: "extra_terms", path: [], kind: .extraTerm, values: terms.map(\.kind), base: base, fail: fail))
                continue
            }
            let path = try ConfigPaths.parse(member.key, file: name)
            switch member.value.kind {
            case .array(let values):
                dimensions.append(try dimension(name: member.key, path: path, kind: .setting, values: values.map(\.kind), base: base, fail: fail))
            case .object(let spec):
                guard case .string(let reference)? = spec["times"]?.kind, case .array(let values)? = spec["values"]?.kind,
                      spec.members.count == 2
                else { throw fail("a ratio is {\"times\": \"path\", \"values\": [numbers]}") }
                let kind = SearchDimension.Kind.ratio(reference: try ConfigPaths.parse(reference, file: name))
                dimensions.append(try dimension(name: member.key, path: path, kind: kind, values: values.map(\.kind), base: base, fail: fail))
            default:
                throw fail("expected a list of values or a ratio object, found \(member.value.kindDescription)")
            }
        }
        guard !dimensions.isEmpty else { throw InputError(file: name, field: nil, message: "the search space has no dimension") }
        return SearchSpace(dimensions: dimensions)
    }

    /// A dimension with the base config's value located (and added if missing).
    static func dimension(
        name: String, path: [ParameterSweep.Step], kind: SearchDimension.Kind, values: [JSONValue.Kind], base: TrainingConfig,
        fail: (String) -> InputError
    ) throws -> SearchDimension {
        guard !values.isEmpty else { throw fail("no values") }
        let root = base.jsonValue
        let baseValue: JSONValue.Kind
        switch kind {
        case .extraTerm:
            baseValue = .null
        case .setting:
            if let v = ParameterSweep.value(at: path, in: root) {
                baseValue = v
            } else if values.contains(.null), case .object? = ParameterSweep.value(at: Array(path.dropLast()), in: root) {
                // An optional setting the base leaves out (e.g. radial_scaling): null, "none", is its value.
                baseValue = .null
            } else {
                throw fail("the base config has no \(name); set it in the config (the base config must be a point of the space), or list null among the values of a setting it may leave out")
            }
        case .ratio(let reference):
            guard case .number(let scale)? = ParameterSweep.value(at: reference, in: root), scale.doubleValue != 0 else {
                throw fail("the base config has no non-zero number at \(ConfigPaths.describe(reference))")
            }
            if case .number(let v)? = ParameterSweep.value(at: path, in: root) {
                baseValue = JSONWriter.number(v.doubleValue / scale.doubleValue)
            } else if ParameterSweep.value(at: path, in: root) == nil, isConfigTypeSigma(path, reference: reference) {
                baseValue = JSONWriter.number(1)  // no entry: the config type takes default_sigma's value
            } else {
                throw fail("the base config has no number at \(name)")
            }
        }
        for v in values {
            switch (kind, v) {
            case (.ratio, .number(let n)) where n.doubleValue > 0: continue
            case (.ratio, _): throw fail("ratios must be positive numbers, found \(JSONWriter.write(v, pretty: false))")
            default: continue
            }
        }
        var list: [JSONValue.Kind] = []
        for v in values where !list.contains(where: { sameValue($0, v) }) { list.append(v) }
        // A listed number that is the base's value rounded (generated grids keep 6 significant
        // digits: a base ratio of 2/3 is listed as 0.666667) is the base's point: keep the base's
        // exact value once instead of both, so no fit is spent on a near-duplicate.
        list.removeAll { nearlySameNumber($0, baseValue) && !sameValue($0, baseValue) }
        if !list.contains(where: { sameValue($0, baseValue) }) { list.insert(baseValue, at: 0) }
        if list.allSatisfy({ if case .number = $0 { return true } else { return false } }) {
            list.sort { numberValue($0) < numberValue($1) }
        }
        let baseIndex = list.firstIndex { sameValue($0, baseValue) }!
        return SearchDimension(name: name, path: path, kind: kind, values: list, baseIndex: baseIndex)
    }

    static func isConfigTypeSigma(_ path: [ParameterSweep.Step], reference: [ParameterSweep.Step]) -> Bool {
        guard path.count == 3, case .key("config_type_sigma") = path[0], case .key(let component) = path[2] else { return false }
        return reference == [.key("default_sigma"), .key(component)]
    }
}

/// Two numbers equal to the 6 significant digits of ``rounded(_:)`` (relative difference at most
/// 5e-6, the largest rounding error at 6 digits).
func nearlySameNumber(_ a: JSONValue.Kind, _ b: JSONValue.Kind) -> Bool {
    guard case .number(let x) = a, case .number(let y) = b else { return false }
    let u = x.doubleValue, v = y.doubleValue
    return abs(u - v) <= 5e-6 * max(abs(u), abs(v))
}

/// Equal JSON values, numbers by value (2 and 2.0 are the same setting), also inside arrays and
/// objects (whose members may come in any order), so {"c": 1, "r0": 2.5, "m": 4} written by hand
/// is the canonical config's {"c": 1.0, "r0": 2.5, "m": 4.0}.
func sameValue(_ a: JSONValue.Kind, _ b: JSONValue.Kind) -> Bool {
    switch (a, b) {
    case (.number(let x), .number(let y)): return x.doubleValue == y.doubleValue
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameValue($0.kind, $1.kind) }
    case (.object(let x), .object(let y)):
        return x.members.count == y.members.count
            && x.members.allSatisfy { m in y[m.key].map { sameValue(m.value.kind, $0.kind) } ?? false }
    default: return JSONWriter.write(a, pretty: false) == JSONWriter.write(b, pretty: false)
    }
}

func numberValue(_ v: JSONValue.Kind) -> Double {
    if case .number(let n) = v { return n.doubleValue }
    return .nan
}
