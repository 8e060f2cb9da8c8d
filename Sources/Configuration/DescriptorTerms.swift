import AtomicStructures
import Descriptors
import JSON

/// How the sparse (representative) points of one descriptor term are chosen.
///
/// JSON names in brackets. See the `Selection` module for the algorithms.
public enum SparseMethod: String, Hashable, Sendable, CaseIterable {
    /// Leverage-score CUR with seeded sampling, as gap_fit's `cur_points` (`"cur"`): fast at any
    /// size and valid for more sparse points than features. The default for `soap`.
    case cur
    /// Deterministic iterative CUR of Imbalzano et al. 2018, as `skmatter.sample_selection.CUR`
    /// (`"cur_iterative"`): more diverse picks, cost O(N·F) per pick.
    case curIterative = "cur_iterative"
    /// Farthest-point sampling in feature space (`"fps"`).
    case fps
    /// Seeded uniform sampling of environments without replacement (`"random"`).
    case random
    /// For `distance_2b`: points evenly spaced between the smallest and largest distance; for
    /// `angle_3b`: gap_fit's binned choice of data triplets, one per occupied cell of a grid over
    /// the feature ranges (`"uniform"`). The default for both.
    case uniform
    /// Environment indices read from `sparse_file` (`"index_file"`).
    case indexFile = "index_file"
}

/// How many sparse points a term has and how they are chosen.
public struct SparsePointsConfig: Hashable, Sendable {
    /// The number of sparse points (`n_sparse`, ≥ 1); may be nil only with `index_file`, where
    /// the file decides (when given with `index_file`, the file must hold exactly this many).
    public var count: Int?
    /// The selection method (`sparse_method`).
    public var method: SparseMethod
    /// The index file (`sparse_file`), as written in the config (relative to the config's
    /// directory); present exactly when `method` is `.indexFile`.
    public var file: String?

    /// Creates a sparse-point specification.
    public init(count: Int?, method: SparseMethod, file: String? = nil) {
        self.count = count
        self.method = method
        self.file = file
    }
}

/// The radial basis of a SOAP descriptor (`radial_basis`).
public enum RadialBasisConfig: Hashable, Sendable {
    /// QUIP's equispaced-Gaussian basis, exactly as gap_fit (`"gap"`, the default).
    case gap
    /// The data-driven basis (`"optimal"`): the QUIP basis of `n_max_primitive` functions
    /// contracted per (neighbour species, l) onto the leading principal components of the
    /// training environments' density coefficients (Goscinski et al., J. Chem. Phys. 155,
    /// 104106 (2021)); see `RadialContraction` in the Descriptors module.
    /// With ``OptimalRadialBasisConfig/supervisedMixing`` set it is the supervised variant
    /// (`"supervised"`): the l = 0 contractions by principal covariates regression on the
    /// training energies instead of PCA.
    case optimal(OptimalRadialBasisConfig)

    /// The JSON name.
    public var name: String {
        switch self {
        case .gap: return "gap"
        case .optimal(let o): return o.supervisedMixing == nil ? "optimal" : "supervised"
        }
    }

    /// The names accepted by `radial_basis`.
    public static let names = ["gap", "optimal", "supervised"]
}

/// Settings of the optimal radial basis.
public struct OptimalRadialBasisConfig: Hashable, Sendable {
    /// The size P of the primitive basis (`n_max_primitive`, default 20, n_max ≤ P ≤ 64).
    public var primitiveCount: Int
    /// If set (`retained_variance`, 0 < v ≤ 1), the number of contracted functions is the
    /// fewest that retain this fraction of the variance in every (species, l), at most `n_max`.
    public var retainedVariance: Double?
    /// Whether one contraction per l mixes all neighbour species (`combine_species`, default
    /// false): n_max channels shared by every species instead of n_max per species; n_max may
    /// then be up to species · n_max_primitive.
    public var combinesSpecies: Bool
    /// The supervised basis (`radial_basis` "supervised"): the PCovR mixing α in [0, 1]
    /// (`supervised_mixing`; 1 is the PCA basis, 0 pure regression on the energies); nil for
    /// the unsupervised "optimal" basis. The fitted basis then depends on the training energies.
    public var supervisedMixing: Double?

    /// The default primitive basis size.
    public static let defaultPrimitiveCount = SOAPKeys.defaultPrimitiveCount
    /// The default PCovR mixing of the supervised basis.
    public static let defaultSupervisedMixing = SOAPKeys.defaultSupervisedMixing

    /// Creates optimal-basis settings.
    public init(
        primitiveCount: Int = OptimalRadialBasisConfig.defaultPrimitiveCount, retainedVariance: Double? = nil,
        combinesSpecies: Bool = false, supervisedMixing: Double? = nil
    ) {
        self.primitiveCount = primitiveCount
        self.retainedVariance = retainedVariance
        self.combinesSpecies = combinesSpecies
        self.supervisedMixing = supervisedMixing
    }
}

/// How power-spectrum components are chosen by feature selection (`feature_selection`).
public enum FeatureSelectionMethod: String, Hashable, Sendable, CaseIterable {
    /// Deterministic iterative CUR over the columns, as `skmatter.feature_selection.CUR` (`"cur"`).
    case cur
    /// Farthest-point sampling of the columns from the first, as `skmatter.feature_selection.FPS` (`"fps"`).
    case fps
}

/// Feature selection: keep `count` power-spectrum components chosen on the training set.
public struct FeatureSelectionConfig: Hashable, Sendable {
    /// The number of components kept (`n_features`, ≥ 1, at most the descriptor's).
    public var count: Int
    /// The method (`feature_selection`, default `cur`).
    public var method: FeatureSelectionMethod

    /// Creates a feature selection.
    public init(count: Int, method: FeatureSelectionMethod = .cur) {
        self.count = count
        self.method = method
    }
}

/// The SOAP descriptor part of a term, before species lists are resolved from the data.
///
/// Keys and defaults follow gap_fit's `soap` descriptor: `cutoff` (Å), `cutoff_transition_width`
/// (Å, default 0.5), `n_max`, `l_max`, `atom_sigma` (Å), `central_weight` (default 1),
/// `normalise` (default true), `species_Z`, `Z` (default: every species in the training data)
/// and the optional `radial_scaling` {`c`, `r0` (Å), `m`}. The data-driven extensions (not in
/// gap_fit): `radial_basis` (`gap` or `optimal`, with `n_max_primitive` and `retained_variance`),
/// `n_features` and `feature_selection`, and `basis_sample`, the number of training environments
/// they are fitted to.
///
/// It mirrors ``SOAPHyperparameters`` field for field on purpose: here the species lists may be
/// unset (resolved from the training data by ``hyperparameters(speciesPresent:)``) and the
/// data-driven settings live, which the descriptor code never sees.
public struct SOAPDescriptorConfig: Hashable, Sendable {
    /// Cutoff radius in Å (`cutoff`, required, > 0).
    public var cutoffRadius: Double
    /// Width of the smooth cutoff region in Å (`cutoff_transition_width`, default 0.5 as gap_fit, 0 ... cutoff).
    public var cutoffTransitionWidth: Double
    /// Number of radial basis functions (`n_max`, required, ≥ 1).
    public var nMax: Int
    /// Maximum angular momentum (`l_max`, required, ≥ 0).
    public var lMax: Int
    /// Gaussian smearing width in Å (`atom_sigma`, required, > 0).
    public var atomSigma: Double
    /// Weight of the centre atom's own Gaussian (`central_weight`, default 1, ≥ 0).
    public var centralWeight: Double
    /// Whether the power spectrum is normalised to unit length (`normalise`, default true).
    public var normalise: Bool
    /// Neighbour species (`species_Z`), sorted; nil means every species in the training data.
    public var neighbourSpecies: [Int]?
    /// Centre species (`Z`), sorted; nil means every species in the training data.
    public var centreSpecies: [Int]?
    /// Optional radial scaling of neighbour weights (`radial_scaling`).
    public var radialScaling: RadialScaling?
    /// The radial basis (`radial_basis`, default `gap`).
    public var radialBasis: RadialBasisConfig
    /// Feature selection (`n_features`, `feature_selection`); nil keeps every component.
    public var featureSelection: FeatureSelectionConfig?
    /// The number of training environments (a seeded sample) the optimal basis and feature
    /// selection are fitted to (`basis_sample`, default 10,000; all if there are fewer).
    public var sampleSize: Int
    /// The body order: the term's `"type"` (`radial_spectrum` ν = 1, `soap` ν = 2 (default),
    /// `bispectrum` ν = 3, with `pseudoscalars`). All share the keys above, except that the
    /// radial spectrum has no `l_max` (it is 0) and feature selection is for `soap` only.
    public var correlation: DensityCorrelation
    /// Alchemical compression (`species_channels`, QUIP radial basis only): the neighbour
    /// species are mixed into this many channels by a PCA of the training environments, or by
    /// PCovR with ``speciesMixingSupervision`` (see `RadialContraction.speciesChannels` in
    /// Descriptors); nil keeps one channel per species.
    public var speciesChannels: Int?
    /// The supervised species mixing (`species_mixing` "supervised", with `species_channels`):
    /// its PCovR mixing α in [0, 1] (`supervised_mixing`); nil for the PCA mixing. The fitted
    /// mixing then depends on the training energies.
    public var speciesMixingSupervision: Double?
    /// What the supervision of a label-dependent term (``isLabelDependent``) is regressed on
    /// (`supervised_target`): the energies, or the energies and forces. Unused otherwise.
    public var supervisedTarget: RadialContraction.Target

    /// The gap_fit default transition width, Å.
    public static let defaultTransitionWidth = SOAPKeys.defaultTransitionWidth
    /// The default `basis_sample`.
    public static let defaultSampleSize = SOAPKeys.defaultBasisSample

    /// Whether anything is fitted to the training data (an optimal basis or feature selection).
    public var isDataDriven: Bool {
        if case .optimal = radialBasis { return true }
        return featureSelection != nil || speciesChannels != nil
    }

    /// Whether the fitted descriptor depends on the training labels (the supervised radial basis
    /// and the supervised species mixing use the energies), so that cross-validation must fit it
    /// to each fold's training frames.
    public var isLabelDependent: Bool {
        if case .optimal(let o) = radialBasis { return o.supervisedMixing != nil }
        return speciesMixingSupervision != nil
    }

    /// Creates a SOAP descriptor configuration.
    public init(
        cutoffRadius: Double, cutoffTransitionWidth: Double = SOAPDescriptorConfig.defaultTransitionWidth,
        nMax: Int, lMax: Int, atomSigma: Double, centralWeight: Double = 1, normalise: Bool = true,
        neighbourSpecies: [Int]? = nil, centreSpecies: [Int]? = nil, radialScaling: RadialScaling? = nil,
        radialBasis: RadialBasisConfig = .gap, featureSelection: FeatureSelectionConfig? = nil,
        sampleSize: Int = SOAPDescriptorConfig.defaultSampleSize, correlation: DensityCorrelation = .powerSpectrum,
        speciesChannels: Int? = nil, speciesMixingSupervision: Double? = nil,
        supervisedTarget: RadialContraction.Target = SOAPKeys.defaultSupervisedTarget
    ) {
        self.correlation = correlation
        self.supervisedTarget = supervisedTarget
        self.speciesChannels = speciesChannels
        self.speciesMixingSupervision = speciesMixingSupervision
        self.radialBasis = radialBasis
        self.featureSelection = featureSelection
        self.sampleSize = sampleSize
        self.cutoffRadius = cutoffRadius
        self.cutoffTransitionWidth = cutoffTransitionWidth
        self.nMax = nMax
        self.lMax = lMax
        self.atomSigma = atomSigma
        self.centralWeight = centralWeight
        self.normalise = normalise
        self.neighbourSpecies = neighbourSpecies?.sorted()
        self.centreSpecies = centreSpecies?.sorted()
        self.radialScaling = radialScaling
    }

    /// The full hyper-parameters, with omitted species lists replaced by `speciesPresent`
    /// (the atomic numbers found in the training data).
    public func hyperparameters(speciesPresent: [Int]) -> SOAPHyperparameters {
        let present = Array(Set(speciesPresent)).sorted()
        return SOAPHyperparameters(
            cutoffRadius: cutoffRadius, cutoffTransitionWidth: cutoffTransitionWidth, nMax: nMax, lMax: lMax,
            atomSigma: atomSigma, centralWeight: centralWeight, normalise: normalise,
            neighbourSpecies: neighbourSpecies ?? present, centreSpecies: centreSpecies ?? present,
            radialScaling: radialScaling)
    }

    /// Keys of the descriptor part (without the kernel and sparse-point keys).
    static let keys = SOAPKeys.all.map(\.name)
}

/// A SOAP term of the model: descriptor, dot-product kernel δ² (k)^ζ and sparse points.
public struct SOAPTermConfig: Hashable, Sendable {
    /// The descriptor.
    public var descriptor: SOAPDescriptorConfig
    /// Energy scale δ of the kernel in eV (`delta`, required, > 0).
    public var delta: Double
    /// Exponent ζ of the dot-product kernel (`zeta`, default 4 as in GAP-18, integer ≥ 1).
    public var zeta: Int
    /// Sparse points (`n_sparse`, `sparse_method` default `cur`, `sparse_file`).
    public var sparse: SparsePointsConfig

    /// The default ζ (GAP-18's).
    public static let defaultZeta = 4

    /// Creates a SOAP term.
    public init(descriptor: SOAPDescriptorConfig, delta: Double, zeta: Int = SOAPTermConfig.defaultZeta, sparse: SparsePointsConfig) {
        self.descriptor = descriptor
        self.delta = delta
        self.zeta = zeta
        self.sparse = sparse
    }
}

extension SOAPTermConfig {
    /// `delta`: the kernel's energy scale.
    package static let deltaKey = SOAPKey(
        "delta", type: "number > 0, eV", unit: "eV", default: .required, range: .positive,
        meaning: "Energy scale δ of the kernel δ² (x·x')^ζ.")
    /// `zeta`: the kernel's exponent (4 as in GAP-18).
    package static let zetaKey = SOAPKey(
        "zeta", type: "integer ≥ 1", default: .integer(defaultZeta), range: .atLeast(1), meaning: "Exponent ζ of the dot-product kernel.")
    /// `n_sparse`.
    package static let sparseCountKey = SOAPKey(
        "n_sparse", type: "integer ≥ 1", default: .required, range: .atLeast(1),
        meaning: "Number of sparse points (required unless `index_file`; with it, must match the file).")
    /// `sparse_method`.
    package static let sparseMethodKey = SOAPKey(
        "sparse_method", type: "`cur`, `cur_iterative`, `fps`, `random`, `index_file`", default: .name("cur"),
        meaning: "How sparse points are chosen (below).")
    /// `sparse_file`.
    package static let sparseFileKey = SOAPKey(
        "sparse_file", type: "path", default: .required, meaning: "Environment indices, only with `index_file`.")

    /// Every key of a `soap` term in documentation order: `type`, the descriptor's (``SOAPKeys``),
    /// then the kernel's and the sparse points'.
    public static let keys: [SOAPKey] =
        [SOAPKey("type", type: "`\"soap\"`, `\"radial_spectrum\"`, `\"bispectrum\"`", default: .required, meaning: "The body order ν = 2, 1 or 3 (below).")] + SOAPKeys.all
        + [deltaKey, zetaKey, sparseCountKey, sparseMethodKey, sparseFileKey]

    /// The rows of docs/config.md's `soap` table, generated from ``keys``.
    public static var documentationTable: String {
        (["| key | type | default | meaning |", "|---|---|---|---|"] + keys.map(\.documentationRow)).joined(separator: "\n")
    }
}

/// The pair-distance descriptor part of a `distance_2b` term.
///
/// Keys follow gap_fit's `distance_2b`: `cutoff` (Å), `cutoff_transition_width` (Å, default 0.5),
/// `Z1`, `Z2` (default: one term per pair of species in the training data).
public struct Distance2BDescriptorConfig: Hashable, Sendable {
    /// Cutoff radius in Å (`cutoff`, required, > 0).
    public var cutoffRadius: Double
    /// Width of the smooth cutoff region in Å (`cutoff_transition_width`, default 0.5, 0 ... cutoff).
    public var cutoffTransitionWidth: Double
    /// The pair of species (`Z1`, `Z2`) with Z1 ≤ Z2; nil means every pair in the training data.
    public var speciesPair: SpeciesPair?

    /// A pair of atomic numbers, stored with `z1 ≤ z2` (see ``SpeciesPair/unordered(_:_:)``).
    public typealias SpeciesPair = Descriptors.SpeciesPair

    /// Creates a distance_2b descriptor configuration.
    public init(cutoffRadius: Double, cutoffTransitionWidth: Double = Distance2BDescriptorConfig.defaultTransitionWidth, speciesPair: SpeciesPair? = nil) {
        self.cutoffRadius = cutoffRadius
        self.cutoffTransitionWidth = cutoffTransitionWidth
        self.speciesPair = speciesPair
    }

    /// The species pairs this term covers given the species in the data: the configured pair,
    /// or every unordered pair (including like pairs) of `speciesPresent`.
    package func speciesPairs(speciesPresent: [Int]) -> [SpeciesPair] {
        if let speciesPair { return [speciesPair] }
        let present = Array(Set(speciesPresent)).sorted()
        var pairs: [SpeciesPair] = []
        for (i, a) in present.enumerated() {
            for b in present[i...] { pairs.append(SpeciesPair(a, b)) }
        }
        return pairs
    }

    /// gap_fit's default transition width for distance_2b, Å (as for soap).
    public static let defaultTransitionWidth = SOAPKeys.defaultTransitionWidth

    static let keys = ["cutoff", "cutoff_transition_width", "Z1", "Z2"]
}

/// A `distance_2b` term: pair distances with a squared-exponential kernel δ² exp(−(r−r')²/2θ²).
public struct Distance2BTermConfig: Hashable, Sendable {
    /// The descriptor.
    public var descriptor: Distance2BDescriptorConfig
    /// Length scale θ of the squared-exponential kernel in Å (`theta_uniform`, required, > 0).
    public var theta: Double
    /// Energy scale δ of the kernel in eV (`delta`, required, > 0).
    public var delta: Double
    /// Sparse points (`n_sparse`, `sparse_method` default `uniform`, `sparse_file`).
    public var sparse: SparsePointsConfig

    /// Creates a distance_2b term.
    public init(descriptor: Distance2BDescriptorConfig, theta: Double, delta: Double, sparse: SparsePointsConfig) {
        self.descriptor = descriptor
        self.theta = theta
        self.delta = delta
        self.sparse = sparse
    }
}

/// The 3-body descriptor part of an `angle_3b` term.
///
/// Keys follow gap_fit's `angle_3b`: `cutoff` (Å), `cutoff_transition_width` (Å, default 0.5),
/// `Z_center`, `Z1`, `Z2` (all three or none; none: one term per centre species and unordered
/// pair of neighbour species in the training data, as gap_fit's `add_species`).
public struct Angle3BDescriptorConfig: Hashable, Sendable {
    /// Cutoff radius in Å for r_ij and r_ik (`cutoff`, required, > 0).
    public var cutoffRadius: Double
    /// Width of the smooth cutoff region in Å (`cutoff_transition_width`, default 0.5, 0 ... cutoff).
    public var cutoffTransitionWidth: Double
    /// The species (`Z_center`, `Z1`, `Z2`, with Z1 ≤ Z2); nil means every combination in the data.
    public var species: SpeciesTriplet?

    /// Creates an angle_3b descriptor configuration.
    public init(cutoffRadius: Double, cutoffTransitionWidth: Double = Distance2BDescriptorConfig.defaultTransitionWidth, species: SpeciesTriplet? = nil) {
        self.cutoffRadius = cutoffRadius
        self.cutoffTransitionWidth = cutoffTransitionWidth
        self.species = species
    }

    /// The species triplets this term covers given the species in the data: the configured one,
    /// or, as gap_fit's `add_species`, every centre species with every unordered pair (including
    /// like pairs) of neighbour species, centre-major.
    package func speciesTriplets(speciesPresent: [Int]) -> [SpeciesTriplet] {
        if let species { return [species] }
        let present = Array(Set(speciesPresent)).sorted()
        var result: [SpeciesTriplet] = []
        for centre in present {
            for (i, a) in present.enumerated() {
                for b in present[i...] { result.append(SpeciesTriplet(centre: centre, a, b)) }
            }
        }
        return result
    }

    static let keys = ["cutoff", "cutoff_transition_width", "Z_center", "Z1", "Z2"]
}

/// An `angle_3b` term: QUIP's 3-body descriptor with the ARD squared-exponential kernel
/// δ² exp(−½ Σ_d (x_d − x'_d)²/θ²), the same θ for each of the three features (gap_fit's
/// `theta_uniform`).
public struct Angle3BTermConfig: Hashable, Sendable {
    /// The descriptor.
    public var descriptor: Angle3BDescriptorConfig
    /// Length scale θ of every feature (`theta_uniform`, required, > 0; Å for r_ij + r_ik and
    /// r_jk, Å² for (r_ij − r_ik)², as gap_fit).
    public var theta: Double
    /// Energy scale δ of the kernel in eV (`delta`, required, > 0).
    public var delta: Double
    /// Sparse points (`n_sparse`, `sparse_method` default `uniform`).
    public var sparse: SparsePointsConfig

    /// Creates an angle_3b term.
    public init(descriptor: Angle3BDescriptorConfig, theta: Double, delta: Double, sparse: SparsePointsConfig) {
        self.descriptor = descriptor
        self.theta = theta
        self.delta = delta
        self.sparse = sparse
    }
}

/// One term of the model: a descriptor with its kernel and sparse points (one element of
/// `descriptors` in the config, told apart by `"type"`).
public enum DescriptorTermConfig: Hashable, Sendable {
    /// `"type": "soap"`.
    case soap(SOAPTermConfig)
    /// `"type": "distance_2b"`.
    case distance2b(Distance2BTermConfig)
    /// `"type": "angle_3b"`.
    case angle3b(Angle3BTermConfig)

    /// The sparse-point specification of the term.
    public var sparse: SparsePointsConfig {
        switch self {
        case .soap(let t): return t.sparse
        case .distance2b(let t): return t.sparse
        case .angle3b(let t): return t.sparse
        }
    }

    /// The kernel's energy scale δ in eV.
    public var delta: Double {
        switch self {
        case .soap(let t): return t.delta
        case .distance2b(let t): return t.delta
        case .angle3b(let t): return t.delta
        }
    }

    /// The `"type"` name.
    public var typeName: String {
        switch self {
        case .soap(let t): return t.descriptor.correlation.typeName
        case .distance2b: return "distance_2b"
        case .angle3b: return "angle_3b"
        }
    }
}

/// A term with its species resolved against the training data, ready for descriptor code.
public enum ResolvedDescriptorTerm: Hashable, Sendable {
    /// A SOAP term with full hyper-parameters.
    case soap(SOAPHyperparameters, term: SOAPTermConfig)
    /// A distance_2b term for one species pair.
    case distance2b(Distance2BDescriptorConfig.SpeciesPair, term: Distance2BTermConfig)
    /// An angle_3b term for one species triplet.
    case angle3b(SpeciesTriplet, term: Angle3BTermConfig)

    /// The `"type"` name.
    public var typeName: String {
        switch self {
        case .soap(_, let t): return t.descriptor.correlation.typeName
        case .distance2b: return "distance_2b"
        case .angle3b: return "angle_3b"
        }
    }
}
