import Support

/// One key of a SOAP descriptor: its JSON name (gap_fit's where the concept is the same), the
/// type and unit as documented, its default, its valid range and what it means.
///
/// ``SOAPKeys`` is the one table of these. The config decoder and the canonical config writer
/// (Configuration), the model file (ModelFiles) and the `soap` table of docs/config.md (checked
/// against ``SOAPKeys/documentationRows`` by a test) all read it, so a key, default or range is
/// changed in one place.
public struct SOAPKey: Hashable, Sendable {
    /// A default value.
    public enum Default: Hashable, Sendable {
        /// The key must be given.
        case required
        /// A number.
        case number(Double)
        /// An integer.
        case integer(Int)
        /// A boolean.
        case bool(Bool)
        /// A name (`gap`, `cur`).
        case name(String)
        /// Described in words ("all species in the data", "none").
        case described(String)
    }

    /// The valid values of a numeric key, checked by ``problem(with:)-(Double)``.
    public enum Range: Hashable, Sendable {
        /// Anything the type allows.
        case any
        /// A finite number > 0.
        case positive
        /// A number ≥ 0.
        case nonNegative
        /// An integer ≥ the bound.
        case atLeast(Int)
        /// An integer in the closed range.
        case between(Int, Int)
        /// A fraction in (0, 1].
        case fraction
        /// A number in the closed interval [0, 1].
        case unitInterval
    }

    /// The JSON key.
    public let name: String
    /// The type column of the documentation (value kinds and unit).
    package let documentedType: String
    /// The unit appended to numbers in messages, e.g. " Å" ("" for dimensionless keys).
    package let unitSuffix: String
    /// The default.
    package let defaultValue: Default
    /// The valid values.
    public let range: Range
    /// What it means (the documentation's last column).
    public let meaning: String

    /// Creates a key.
    public init(
        _ name: String, type documentedType: String, unit: String = "", default defaultValue: Default, range: Range = .any,
        meaning: String
    ) {
        self.name = name
        self.documentedType = documentedType
        self.unitSuffix = unit.isEmpty ? "" : " " + unit
        self.defaultValue = defaultValue
        self.range = range
        self.meaning = meaning
    }

    /// Why `value` is not valid for this key (the message of an input error, naming the key), or nil.
    public func problem(with value: Double) -> String? {
        switch range {
        case .any:
            return nil
        case .positive:
            return value.isFinite && value > 0 ? nil : "\(name) must be > 0\(unitSuffix), found \(value)"
        case .nonNegative:
            return value >= 0 ? nil : "\(name) must be ≥ 0\(unitSuffix), found \(value)"
        case .fraction:
            return value > 0 && value <= 1 ? nil : "\(name) must be a fraction in (0, 1], found \(value)"
        case .unitInterval:
            return value >= 0 && value <= 1 ? nil : "\(name) must be in [0, 1], found \(value)"
        case .atLeast, .between:
            return problem(with: Int(exactly: value) ?? Int.min)
        }
    }

    /// Why the integer `value` is not valid for this key, or nil.
    public func problem(with value: Int) -> String? {
        switch range {
        case .atLeast(let low):
            return value >= low ? nil : "\(name) must be ≥ \(low), found \(value)"
        case .between(let low, let high):
            return (low...high).contains(value) ? nil : "\(name) must be between \(low) and \(high), found \(value)"
        default:
            return problem(with: Double(value))
        }
    }

    /// The default as the documentation writes it.
    package var documentedDefault: String {
        switch defaultValue {
        case .required: return "—"
        case .number(let x): return "`" + (x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)") + "`"
        case .integer(let n): return "`\(n)`"
        case .bool(let b): return "`\(b)`"
        case .name(let s): return "`\(s)`"
        case .described(let s): return s
        }
    }

    /// The documentation's table row: `| key | type | default | meaning |`.
    public var documentationRow: String {
        "| `\(name)` | \(documentedType) | \(documentedDefault) |" + (meaning.isEmpty ? " |" : " \(meaning) |")
    }
}

/// The keys of a SOAP descriptor, their defaults (gap_fit's `soap`) and ranges: see ``SOAPKey``.
public enum SOAPKeys {
    /// Defaults as typed values (gap_fit's for its keys).
    public static let defaultTransitionWidth = 0.5
    public static let defaultCentralWeight = 1.0
    public static let defaultNormalise = true
    public static let defaultPrimitiveCount = 20
    public static let defaultBasisSample = 10_000
    public static let defaultSupervisedMixing = 0.5
    /// The default `supervised_target` (see docs/config.md for why).
    public static let defaultSupervisedTarget = RadialContraction.Target.energy

    public static let cutoff = SOAPKey(
        "cutoff", type: "number > 0, Å", unit: "Å", default: .required, range: .positive, meaning: "Cutoff radius.")
    /// gap_fit's soap default, 0.5 Å.
    public static let transitionWidth = SOAPKey(
        "cutoff_transition_width", type: "0 ≤ number ≤ `cutoff`, Å", unit: "Å", default: .number(defaultTransitionWidth), range: .nonNegative,
        meaning: "Width of the smooth cutoff region (gap_fit's default).")
    public static let nMax = SOAPKey(
        "n_max", type: "integer ≥ 1", default: .required, range: .atLeast(1), meaning: "Radial basis functions.")
    public static let lMax = SOAPKey(
        "l_max", type: "integer ≥ 0", default: .required, range: .atLeast(0), meaning: "Maximum angular momentum.")
    public static let atomSigma = SOAPKey(
        "atom_sigma", type: "number > 0, Å", unit: "Å", default: .required, range: .positive,
        meaning: "Gaussian smearing of each atom.")
    public static let centralWeight = SOAPKey(
        "central_weight", type: "number ≥ 0", default: .number(defaultCentralWeight), range: .nonNegative,
        meaning: "Weight of the centre atom's own Gaussian.")
    public static let normalise = SOAPKey(
        "normalise", type: "bool", default: .bool(defaultNormalise), meaning: "Unit-length power spectrum.")
    public static let neighbourSpecies = SOAPKey(
        "species_Z", type: "list of Z or symbols", default: .described("all species in the data"),
        meaning: "Neighbour species (density channels).")
    public static let centreSpecies = SOAPKey(
        "Z", type: "list of Z or symbols", default: .described("all species in the data"),
        meaning: "Centre species that get an environment.")
    public static let radialScaling = SOAPKey(
        "radial_scaling", type: "`{\"c\", \"r0\" (Å), \"m\"}`, all > 0", default: .described("none"),
        meaning: "Neighbour weight c / (c + (r/r0)^m).")
    public static let radialBasis = SOAPKey(
        "radial_basis", type: "`gap`, `optimal`, `supervised`", default: .name("gap"),
        meaning: "QUIP's basis (gap_fit-identical), or the data-driven bases below (`supervised`: PCovR on the training energies).")
    public static let primitiveCount = SOAPKey(
        "n_max_primitive", type: "integer, `n_max` ... 64", default: .integer(defaultPrimitiveCount), range: .between(1, 64),
        meaning: "`optimal`, `supervised` only: size of the primitive QUIP basis that is contracted.")
    public static let retainedVariance = SOAPKey(
        "retained_variance", type: "0 < number ≤ 1", default: .described("none"), range: .fraction,
        meaning: "`optimal`, `supervised` only: keep the fewest functions (at most `n_max`, which may then be omitted and defaults to `n_max_primitive`) that retain this fraction of the variance in every (species, l).")
    public static let combineSpecies = SOAPKey(
        "combine_species", type: "bool", default: .bool(false),
        meaning: "`optimal`, `supervised` only: one contraction per l across all neighbour species, giving `n_max` channels shared by every species (instead of `n_max` per species); `n_max` (required) may then be up to species × `n_max_primitive`.")
    public static let supervisedMixing = SOAPKey(
        "supervised_mixing", type: "0 ≤ number ≤ 1", default: .number(defaultSupervisedMixing), range: .unitInterval,
        meaning: "`radial_basis` `supervised` or `species_mixing` `supervised` only: the PCovR mixing α of the l = 0 radial contraction or of the species mixing, 1 = PCA (the `optimal` basis, the `pca` mixing), 0 = regression on the energies only (below).")
    public static let supervisedTarget = SOAPKey(
        "supervised_target", type: "`energy`, `energy_forces`", default: .name(defaultSupervisedTarget.rawValue),
        meaning: "`radial_basis` `supervised` or `species_mixing` `supervised` only: what the linear atomic-energy model of the supervision is regressed on: the per-atom energies, or the energies and the forces it implies, weighted by the fit's σ (below).")
    public static let featureCount = SOAPKey(
        "n_features", type: "integer ≥ 1", default: .described("all"), range: .atLeast(1),
        meaning: "Feature selection: keep this many power-spectrum components, chosen on the training set.")
    public static let featureSelection = SOAPKey(
        "feature_selection", type: "`cur`, `fps`", default: .name("cur"),
        meaning: "How the `n_features` components are chosen (only with `n_features`).")
    public static let basisSample = SOAPKey(
        "basis_sample", type: "integer ≥ 1", default: .integer(defaultBasisSample), range: .atLeast(1),
        meaning: "Training environments (a seeded sample; all if fewer) that `optimal`, `supervised`, `species_channels` and `n_features` are fitted to.")
    public static let speciesChannels = SOAPKey(
        "species_channels", type: "integer, 1 ... species", default: .described("one per species"), range: .atLeast(1),
        meaning: "Alchemical compression (QUIP basis only): mix the neighbour species into this many channels, by a PCA of the training environments or supervised (`species_mixing`; below).")
    public static let speciesMixing = SOAPKey(
        "species_mixing", type: "`pca`, `supervised`", default: .name("pca"),
        meaning: "`species_channels` only: how the species are mixed: PCA, or PCovR between the species variance and a regression on the training energies (with `supervised_mixing`; below).")
    public static let pseudoscalars = SOAPKey(
        "pseudoscalars", type: "bool", default: .bool(false),
        meaning: "`bispectrum` only: also the odd (l1 + l2 + l3) invariants, which change sign under reflection (below).")

    /// Every descriptor key, in documentation order.
    public static let all: [SOAPKey] = [
        cutoff, transitionWidth, nMax, lMax, atomSigma, centralWeight, normalise, neighbourSpecies, centreSpecies,
        radialScaling, radialBasis, primitiveCount, retainedVariance, combineSpecies, supervisedMixing, supervisedTarget, featureCount, featureSelection,
        basisSample, speciesChannels, speciesMixing, pseudoscalars,
    ]
}
