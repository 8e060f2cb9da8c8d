import AtomicStructures
import Configuration
import CrossValidation
import Descriptors
import JSON
import Support

/// What the default search space needs to know about the training data.
public struct DataFacts: Hashable, Sendable {
    /// Config types present (nil type not included), in first-seen order.
    public var configTypes: [String]
    /// Frames per config type.
    public var framesPerConfigType: [String: Int]
    /// Whether any frame has a virial label.
    public var hasVirials: Bool
    /// Environments (atoms) in all frames.
    public var atomCount: Int
    /// Species present.
    public var speciesCount: Int

    /// Creates facts.
    public init(configTypes: [String], framesPerConfigType: [String: Int], hasVirials: Bool, atomCount: Int, speciesCount: Int = 1) {
        self.configTypes = configTypes
        self.framesPerConfigType = framesPerConfigType
        self.hasVirials = hasVirials
        self.atomCount = atomCount
        self.speciesCount = speciesCount
    }
}

extension SearchSpace {
    /// The space searched when no `--space` file is given, built around the base config (whose
    /// values are always included), with the settings that matter most for SOAP-GAP accuracy:
    ///
    /// - per soap term: `atom_sigma` (±0.1 Å in steps of 0.05 Å), `cutoff` (±1 Å in 0.5 Å steps),
    ///   `n_max` and `l_max` (±2; no `l_max` for radial_spectrum), `radial_scaling` (none, or c = 1 with (r0, m) = (0.5 cutoff, 4),
    ///   (0.5 cutoff, 6), (0.6 cutoff, 4), of the base's cutoff: Willatt et al.'s weight
    ///   c / (c + (r/r0)^m), which on nickel's 5 Å bispectrum lowered the held-out errors),
    ///   `zeta` (2 to 6), `n_sparse` (½x, 1x, 2x, at most the number of environments); later soap
    ///   terms' `delta` as a ratio of the first's (soap stands for every term of the family:
    ///   soap, radial_spectrum, bispectrum);
    /// - per distance_2b or angle_3b term: `delta` as a ratio of the first soap term's (¼x to 4x the base ratio);
    /// - `e0`: `average` or `fit` when the data has several species and the config averages;
    /// - `default_sigma`: energy ¼x to 4x, forces 0.1x to 2x, virial ¼x to 4x (with virial labels);
    /// - per config type (with at least two types): energy and force σ as ¼x to 8x and ¼x to 4x
    ///   `default_sigma`'s (hard frames such as liquids or high temperatures may want a looser σ
    ///   so that they do not spoil the rest, or a tighter one when they carry most of the error);
    /// - `extra_terms`: none, or a second, longer-ranged and coarser soap term (cutoff +1.5 Å,
    ///   n_max 4, l_max 4, atom_sigma 0.6 Å, δ a tenth of the first term's, 200 sparse points).
    public static func defaultSpace(for base: TrainingConfig, facts: DataFacts) throws -> SearchSpace {
        var dimensions: [SearchDimension] = []
        func fail(_ message: String) -> InputError { spaceError(message, file: base.sourceName) }
        func add(_ name: String, _ kind: SearchDimension.Kind = .setting, _ values: [JSONValue.Kind]) throws {
            let path = try ConfigPaths.parse(name, file: base.sourceName)
            dimensions.append(try dimension(name: name, path: path, kind: kind, values: values, base: base, fail: fail))
        }
        func numbers(_ xs: [Double]) -> [JSONValue.Kind] { xs.map { JSONWriter.number(rounded($0)) } }
        func integers(_ xs: [Int]) -> [JSONValue.Kind] { xs.map { JSONWriter.number($0) } }
        let firstSOAP = base.descriptors.firstIndex { if case .soap = $0 { return true } else { return false } }
        let firstDelta = firstSOAP.map { "descriptors[\($0)].delta" }
        for (i, term) in base.descriptors.enumerated() {
            let prefix = "descriptors[\(i)]"
            switch term {
            case .soap(let t):
                let d = t.descriptor
                let sigmas = stride(from: -2, through: 2, by: 1).map { d.atomSigma + 0.05 * Double($0) }
                try add(prefix + ".atom_sigma", .setting, numbers(sigmas.filter { $0 > 0.05 }))
                let cutoffs = [-1.0, -0.5, 0, 0.5, 1.0].map { d.cutoffRadius + $0 }.filter { $0 > d.cutoffTransitionWidth && $0 >= 2 }
                try add(prefix + ".cutoff", .setting, numbers(cutoffs))
                var nMaxLimit = 20
                if case .optimal(let o) = d.radialBasis { nMaxLimit = o.combinesSpecies ? Int.max : o.primitiveCount }
                try add(prefix + ".n_max", .setting, integers([d.nMax - 2, d.nMax, d.nMax + 2].filter { $0 >= 2 && $0 <= nMaxLimit }))
                if d.correlation != .radialSpectrum {  // radial_spectrum has no l_max (it is 0)
                    try add(prefix + ".l_max", .setting, integers([d.lMax - 2, d.lMax, d.lMax + 2].filter { $0 >= 2 && $0 <= 12 }))
                }
                try add(prefix + ".radial_scaling", .setting, [.null] + [(0.5, 4.0), (0.5, 6.0), (0.6, 4.0)].map { fraction, m in
                    JSONWriter.object([("c", JSONWriter.number(1.0)), ("r0", JSONWriter.number(rounded(fraction * d.cutoffRadius))), ("m", JSONWriter.number(m))])
                })
                try add(prefix + ".zeta", .setting, integers([2, 3, 4, 5, 6]))
                if let count = t.sparse.count, t.sparse.method != .indexFile {
                    let cap = max(1, facts.atomCount * 3 / 4)  // a fold trains on about (K-1)/K of the atoms
                    try add(prefix + ".n_sparse", .setting, integers([count / 2, count, count * 2].filter { $0 >= 1 && $0 <= cap }))
                }
                if let firstSOAP, i != firstSOAP, let firstDelta {
                    try add(prefix + ".delta", .ratio(reference: try ConfigPaths.parse(firstDelta, file: base.sourceName)), numbers([0.03, 0.1, 0.3, 1]))
                }
            case .distance2b, .angle3b:
                guard let firstDelta, case .soap(let s) = base.descriptors[firstSOAP!] else { continue }
                let ratio = term.delta / s.delta
                try add(prefix + ".delta", .ratio(reference: try ConfigPaths.parse(firstDelta, file: base.sourceName)), numbers([0.25, 0.5, 1, 2, 4].map { $0 * ratio }))
            }
        }
        if facts.speciesCount > 1, case .averagePerAtom = base.e0 {
            try add("e0", .setting, [.string("average"), .string("fit")])
        }
        let sigma = base.defaultSigma
        try add("default_sigma.energy", .setting, numbers([0.25, 0.5, 1, 2, 4].map { $0 * sigma.energy }))
        try add("default_sigma.forces", .setting, numbers([0.1, 0.2, 0.5, 1, 2].map { $0 * sigma.forces }))
        if facts.hasVirials {
            try add("default_sigma.virial", .setting, numbers([0.25, 0.5, 1, 2, 4].map { $0 * sigma.virial }))
        }
        if facts.configTypes.count >= 2 {
            for type in facts.configTypes {
                for (component, factors) in [("energy", [0.25, 0.5, 1, 2, 4, 8]), ("forces", [0.25, 0.5, 1, 2, 4])] {
                    let reference = try ConfigPaths.parse("default_sigma.\(component)", file: base.sourceName)
                    let path: [ParameterSweep.Step] = [.key("config_type_sigma"), .key(type), .key(component)]
                    dimensions.append(try dimension(
                        name: "config_type_sigma.\(type).\(component)", path: path, kind: .ratio(reference: reference),
                        values: numbers(factors), base: base, fail: fail))
                }
            }
        }
        if let firstSOAP, case .soap(let s) = base.descriptors[firstSOAP] {
            let cutoff = s.descriptor.cutoffRadius + 1.5
            let extra = JSONWriter.object([
                ("type", .string("soap")), ("cutoff", JSONWriter.number(cutoff)), ("cutoff_transition_width", JSONWriter.number(1.0)),
                ("n_max", JSONWriter.number(4)), ("l_max", JSONWriter.number(4)), ("atom_sigma", JSONWriter.number(0.6)),
                ("delta", JSONWriter.number(rounded(s.delta / 10))), ("zeta", JSONWriter.number(4)),
                ("n_sparse", JSONWriter.number(min(200, max(1, facts.atomCount / 2)))), ("sparse_method", .string("cur")),
            ])
            dimensions.append(try dimension(name: "extra_terms", path: [], kind: .extraTerm, values: [.null, extra], base: base, fail: fail))
        }
        return SearchSpace(dimensions: dimensions)
    }

    /// The space as a space file (JSON), for `gap-tune --print-space`: edit it and pass it back
    /// with `--space`.
    public func spaceFileJSON() -> String {
        var out = "{\n"
        for (n, d) in dimensions.enumerated() {
            let values = "[" + d.values.map { JSONWriter.write($0, pretty: false) }.joined(separator: ", ") + "]"
            out += "  \"\(d.name)\": "
            switch d.kind {
            case .setting, .extraTerm: out += values
            case .ratio(let reference): out += "{\"times\": \"\(ConfigPaths.describe(reference))\", \"values\": \(values)}"
            }
            out += n + 1 < dimensions.count ? ",\n" : "\n"
        }
        return out + "}\n"
    }
}

/// `x` to 6 significant digits, so generated grids print as 0.35 rather than 0.35000000000000003.
func rounded(_ x: Double) -> Double {
    guard x != 0, x.isFinite else { return x }
    let digits = 6 - Int((abs(x)).log10Floor) - 1
    let scale = pow10(digits)
    return (x * scale).rounded() / scale
}

private func pow10(_ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<abs(n) { r *= 10 }
    return n >= 0 ? r : 1 / r
}

private extension Double {
    var log10Floor: Double {
        var e = 0.0
        var v = self
        while v >= 10 { v /= 10; e += 1 }
        while v < 1 { v *= 10; e -= 1 }
        return e
    }
}
