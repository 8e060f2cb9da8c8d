import AtomicStructures

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

extension TrainingConfig {
    /// The config as a JSON value with every default filled in (keys as in the file format).
    /// Paths are as written in the config; optional keys that are unset are omitted.
    public var jsonValue: JSONValue.Kind {
        typealias W = JSONWriter
        func strings(_ xs: [String]) -> JSONValue.Kind { W.array(xs.map { .string($0) }) }
        func ints(_ xs: [Int]) -> JSONValue.Kind { W.array(xs.map { W.number($0) }) }
        func sigma(_ s: SigmaTriple) -> JSONValue.Kind {
            W.object([("energy", W.number(s.energy)), ("forces", W.number(s.forces)), ("virial", W.number(s.virial))])
        }
        func sparse(_ s: SparsePointsConfig) -> [(String, JSONValue.Kind)] {
            var pairs: [(String, JSONValue.Kind)] = [("sparse_method", .string(s.method.rawValue))]
            if let c = s.count { pairs.append(("n_sparse", W.number(c))) }
            if let f = s.file { pairs.append(("sparse_file", .string(f))) }
            return pairs
        }

        var pairs: [(String, JSONValue.Kind)] = []
        switch trainingSet {
        case .files(let files): pairs.append(("train_files", strings(files)))
        case .split(let file, let part): pairs.append(("train_split", W.object([("file", .string(file)), ("part", .string(part))])))
        }
        pairs.append(("label_keys", W.object([
            ("energy", strings(labelKeys.energy)), ("forces", strings(labelKeys.forces)),
            ("virial", strings(labelKeys.virial)), ("stress", strings(labelKeys.stress)),
            ("config_type", strings(labelKeys.configType)),
        ])))
        switch e0 {
        case .isolatedAtoms: pairs.append(("e0", .string("isolated")))
        case .averagePerAtom: pairs.append(("e0", .string("average")))
        case .perSpecies(let table):
            pairs.append(("e0", W.object(table.sorted { $0.key < $1.key }.map {
                (Element(atomicNumber: $0.key)?.symbol ?? "\($0.key)", W.number($0.value))
            })))
        }
        pairs.append(("e0_offset", W.number(e0Offset)))
        pairs.append(("descriptors", W.array(descriptors.map { term -> JSONValue.Kind in
            switch term {
            case .soap(let t):
                let d = t.descriptor
                var p: [(String, JSONValue.Kind)] = [
                    ("type", .string(d.correlation.typeName)), ("cutoff", W.number(d.cutoffRadius)),
                    ("cutoff_transition_width", W.number(d.cutoffTransitionWidth)), ("n_max", W.number(d.nMax)),
                    ("atom_sigma", W.number(d.atomSigma)),
                    ("central_weight", W.number(d.centralWeight)), ("normalise", .bool(d.normalise)),
                    ("delta", W.number(t.delta)), ("zeta", W.number(t.zeta)),
                ]
                if d.correlation != .radialSpectrum { p.append(("l_max", W.number(d.lMax))) }
                if case .bispectrum(true) = d.correlation { p.append(("pseudoscalars", .bool(true))) }
                if let s = d.neighbourSpecies { p.append(("species_Z", ints(s))) }
                if let s = d.centreSpecies { p.append(("Z", ints(s))) }
                if let r = d.radialScaling {
                    p.append(("radial_scaling", W.object([("c", W.number(r.c)), ("r0", W.number(r.r0)), ("m", W.number(r.m))])))
                }
                // The data-driven keys only when used, so that gap_fit-style configs keep their
                // canonical form (and model provenance) unchanged.
                if case .optimal(let o) = d.radialBasis {
                    p.append(("radial_basis", .string("optimal")))
                    p.append(("n_max_primitive", W.number(o.primitiveCount)))
                    if let v = o.retainedVariance { p.append(("retained_variance", W.number(v))) }
                    if o.combinesSpecies { p.append(("combine_species", .bool(true))) }
                }
                if let f = d.featureSelection {
                    p.append(("n_features", W.number(f.count)))
                    p.append(("feature_selection", .string(f.method.rawValue)))
                }
                if d.isDataDriven { p.append(("basis_sample", W.number(d.sampleSize))) }
                return W.object(p + sparse(t.sparse))
            case .distance2b(let t):
                let d = t.descriptor
                var p: [(String, JSONValue.Kind)] = [
                    ("type", .string("distance_2b")), ("cutoff", W.number(d.cutoffRadius)),
                    ("cutoff_transition_width", W.number(d.cutoffTransitionWidth)),
                    ("theta_uniform", W.number(t.theta)), ("delta", W.number(t.delta)),
                ]
                if let pair = d.speciesPair { p += [("Z1", W.number(pair.first)), ("Z2", W.number(pair.second))] }
                return W.object(p + sparse(t.sparse))
            }
        })))
        pairs.append(("default_sigma", sigma(defaultSigma)))
        pairs.append(("config_type_sigma", W.object(configTypeSigma.sorted { $0.key < $1.key }.map { ($0.key, sigma($0.value)) })))
        pairs.append(("sigma_per_atom", .bool(sigmaPerAtom)))
        pairs.append(("sigma_keys", W.object([
            ("energy", sigmaKeys.energy.map { .string($0) } ?? .null),
            ("forces", sigmaKeys.forces.map { .string($0) } ?? .null),
            ("virial", sigmaKeys.virial.map { .string($0) } ?? .null),
            ("forces_per_atom", sigmaKeys.forcesPerAtom.map { .string($0) } ?? .null),
        ])))
        pairs.append(("sparse_jitter", W.number(sparseJitter)))
        pairs.append(("seed", W.number(Int(clamping: seed))))
        pairs.append(("output", .string(output)))
        if let threads { pairs.append(("threads", W.number(threads))) }
        if let runDescription { pairs.append(("description", .string(runDescription))) }
        // Only when on, so that configs without it keep their canonical form (and model bytes).
        if storesUncertainty { pairs.append(("uncertainty", .bool(true))) }
        return W.object(pairs)
    }

    /// The canonical JSON text of the config (sorted keys, defaults filled in), for provenance.
    /// Parsing it back gives an equal config.
    public func canonicalJSON(pretty: Bool = true) -> String {
        JSONWriter.write(jsonValue, pretty: pretty)
    }
}
