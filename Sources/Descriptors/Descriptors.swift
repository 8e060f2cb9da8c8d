import AtomicStructures
import NeighbourLists

/// Optional radial scaling of neighbour weights (Willatt, Musil, Ceriotti 2018/2019):
/// each neighbour's contribution is multiplied by u(r) = c / (c + (r / r0)^m).
public struct RadialScaling: Hashable, Sendable {
    /// The constant c (dimensionless, > 0).
    public var c: Double
    /// The length r0 in Å (> 0).
    public var r0: Double
    /// The exponent m (dimensionless, > 0).
    public var m: Double

    /// Creates a radial scaling u(r) = c / (c + (r / r0)^m).
    public init(c: Double, r0: Double, m: Double) {
        self.c = c
        self.r0 = r0
        self.m = m
    }
}

/// Hyper-parameters of the SOAP power spectrum, named after gap_fit's where the concept is the
/// same (JSON keys in brackets; the keys, defaults and ranges are in ``SOAPKeys``). Defaults
/// reproduce QUIP/GAP's `soap` descriptor exactly.
public struct SOAPHyperparameters: Hashable, Sendable {
    /// Cutoff radius in Å (`cutoff`).
    public var cutoffRadius: Double
    /// Width of the shifted-cosine switching region below the cutoff, Å (`cutoff_transition_width`).
    public var cutoffTransitionWidth: Double
    /// Number of radial basis functions (`n_max`).
    public var nMax: Int
    /// Maximum angular momentum (`l_max`).
    public var lMax: Int
    /// Width σ of the Gaussian smearing of each atom, Å (`atom_sigma`).
    public var atomSigma: Double
    /// Weight of the centre atom's own Gaussian in the density (`central_weight`).
    public var centralWeight: Double
    /// Whether the power spectrum is normalised to unit length (`normalise`).
    public var normalise: Bool
    /// Atomic numbers of the neighbour-density channels (`species_Z`), sorted ascending.
    public var neighbourSpecies: [Int]
    /// Atomic numbers of the centre atoms that get a descriptor (`Z`), sorted ascending.
    public var centreSpecies: [Int]
    /// Optional radial scaling of neighbour weights (`radial_scaling`); nil keeps gap_fit's SOAP.
    public var radialScaling: RadialScaling?

    /// Creates SOAP hyper-parameters. Defaults follow gap_fit (``SOAPKeys``): transition width
    /// 0.5 Å, central weight 1, normalised, no radial scaling.
    public init(
        cutoffRadius: Double, cutoffTransitionWidth: Double = SOAPKeys.defaultTransitionWidth, nMax: Int, lMax: Int,
        atomSigma: Double, centralWeight: Double = SOAPKeys.defaultCentralWeight, normalise: Bool = SOAPKeys.defaultNormalise,
        neighbourSpecies: [Int], centreSpecies: [Int], radialScaling: RadialScaling? = nil
    ) {
        self.cutoffRadius = cutoffRadius
        self.cutoffTransitionWidth = cutoffTransitionWidth
        self.nMax = nMax
        self.lMax = lMax
        self.atomSigma = atomSigma
        self.centralWeight = centralWeight
        self.normalise = normalise
        self.neighbourSpecies = neighbourSpecies.sorted()
        self.centreSpecies = centreSpecies.sorted()
        self.radialScaling = radialScaling
    }
}

/// Descriptor values (and optionally gradients) of one structure: one row per environment.
///
/// Layout (the contract between descriptors and regression):
/// - `values`: `rowCount x featureCount`, row-major.
/// - Position gradients, sparse by (row, atom): the gradient entries of row r are
///   `gradientOffsets[r] ..< gradientOffsets[r + 1]`; entry p refers to atom `gradientAtoms[p]`
///   (all periodic images of that atom summed into one entry) and holds d(values[r]) / d(r_atom)
///   at `gradientValues[(p * 3 + α) * featureCount ..< (p * 3 + α + 1) * featureCount]`, α = x, y, z.
///   So the gradient block is a row-major `(3 · entryCount) x featureCount` matrix, ready for gemm.
/// - Strain gradients (periodic structures only): d(values[r]) / dε_ab with r' = r (1 + ε) and
///   H' = H (1 + ε) (row vectors), at `strainValues[((r * 3 + a) * 3 + b) * featureCount ...]`:
///   a row-major `(9 · rowCount) x featureCount` matrix. The virial of a per-environment energy
///   e(values) is W_ab = −Σ_r (∂e/∂values[r]) · strainValues[r, a, b].
public struct DescriptorValues: Sendable {
    /// The number of features per row.
    public var featureCount: Int
    /// Index of the atom each row describes (the centre; for pair descriptors, the first atom).
    public var centres: [Int32]
    /// Row-major values, `rowCount x featureCount`.
    public var values: [Double]
    /// CSR offsets of gradient entries per row (`rowCount + 1` entries), or empty without gradients.
    public var gradientOffsets: [Int]
    /// Atom index of each gradient entry.
    public var gradientAtoms: [Int32]
    /// Gradient values, `(3 · entryCount) x featureCount`, row-major.
    public var gradientValues: [Double]
    /// Strain gradients, `(9 · rowCount) x featureCount`, row-major; empty when not computed.
    public var strainValues: [Double]

    /// Creates descriptor values.
    public init(
        featureCount: Int, centres: [Int32], values: [Double], gradientOffsets: [Int] = [],
        gradientAtoms: [Int32] = [], gradientValues: [Double] = [], strainValues: [Double] = []
    ) {
        self.featureCount = featureCount
        self.centres = centres
        self.values = values
        self.gradientOffsets = gradientOffsets
        self.gradientAtoms = gradientAtoms
        self.gradientValues = gradientValues
        self.strainValues = strainValues
    }

    /// The number of rows (environments).
    public var rowCount: Int { centres.count }

    /// Whether position gradients are present.
    public var hasGradients: Bool { !gradientOffsets.isEmpty }

    /// Whether strain gradients are present.
    public var hasStrainGradients: Bool { !strainValues.isEmpty }
}
