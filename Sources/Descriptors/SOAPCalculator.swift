import AtomicStructures
import NeighbourLists
import Parallelism
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Computes the SOAP power spectrum of QUIP/GAP's `soap` descriptor, with analytic gradients
/// with respect to atomic positions and cell strain.
///
/// Create one calculator per hyper-parameter set (construction validates the hyper-parameters
/// and precomputes the radial basis and its splines) and call ``compute(_:gradients:strainGradients:threads:)``
/// for each structure. The calculator is immutable and can be shared between threads.
///
/// ## The descriptor (identical to gap_fit's `soap` with the default radial basis)
///
/// For a centre atom i, neighbours j of species s with 0 < r_ij < cutoff (all periodic images,
/// including images of i itself) build the expansion coefficients
///
///     c_{s n l m} = Σ_j w(r_ij) R_nl(r_ij) Y_lm(r̂_ij) + δ_{s, s_i} · central_weight · R_n0(0) Y_00,
///
/// with R_nl the QUIP radial functions (see the equispaced-Gaussian basis in
/// `GaussianRadialBasis.swift`), Y_lm real spherical harmonics, and the neighbour weight
/// w(r) = f_c(r) · u(r): f_c(r) = 1 below cutoff − cutoff_transition_width, then
/// ½(1 + cos(π (r − cutoff + width)/width)) down to 0 at the cutoff, and u(r) = c/(c + (r/r0)^m)
/// if radial scaling is set (otherwise 1; QUIP calls c, r0 and m `cutoff_rate`, `cutoff_scale` and
/// `cutoff_dexp`, the last an integer there).
///
/// Neighbour channels are the atomic numbers of `neighbourSpecies` (ascending). Atoms of other
/// species are ignored as neighbours. The centre's own Gaussian goes to its species' channel; if
/// its species has no channel it adds nothing, except that with a single channel it always goes
/// to that channel (both as QUIP does). Only atoms whose atomic number is in `centreSpecies` get a
/// row, in increasing atom index.
///
/// ## Feature layout (QUIP's order)
///
/// With N = (number of neighbour species) · n_max combined channels A = s · n_max + n (species
/// slowest, species in ascending atomic number), the feature vector is, for A = 0 ..< N, then
/// B = 0 ... A, then l = 0 ... l_max (l fastest):
///
///     v[(A (A + 1)/2 + B)(l_max + 1) + l] = (√2 if A ≠ B else 1) · 1/√(2l + 1) · Σ_m c_{A l m} c_{B l m},
///
/// so `featureCount` = N (N + 1)/2 · (l_max + 1), and v · v′ is the full SOAP kernel. If
/// `normalise` is set (the default) the vector is divided by its length. ``feature(at:)`` and
/// ``featureIndex(of:)`` convert between indices and (channel, channel, l) labels.
///
/// **Map to QUIP:** with `species_Z` listed in ascending order, our feature k is QUIP's
/// `data[k]` (1-based `k + 1`) for every k < featureCount. QUIP's vector has one more, trailing
/// element, set to `covariance_sigma0` (0 by default) and excluded from its normalisation; we
/// omit it, since it never changes a dot product with a zero-padded partner. If `species_Z` is
/// given to QUIP in another order, QUIP permutes the channels accordingly (A = position in its
/// list · n_max + n).
///
/// ## Optimal radial basis and feature selection (not in gap_fit)
/// With a ``RadialContraction`` the radial functions are R^s_nl = Σ_p U^{s l}[p, n] R_pl, the
/// QUIP basis of P functions contracted per neighbour species s and l onto n_max functions
/// fitted to data; each species then has its own spline table, so the cost is that of n_max
/// QUIP functions, and everything above holds with R^s_nl in place of R_nl (and the centre's
/// own Gaussian contracted alike). With `selectedFeatures` only those components of v are
/// computed (values and gradients), and `normalise` divides them by their own length.
///
/// ## Gradients
/// Position gradients are stored per (row, atom) as in ``DescriptorValues``: one entry for the
/// centre and one for every other atom with an image inside the cutoff (of a neighbour species),
/// entries sorted by atom index, images of one atom summed. The centre's entry is minus the sum of
/// the others (translation invariance); a pair between an atom and its own image contributes to
/// no position entry (it does to the strain). Strain gradients are
/// ∂v/∂ε_ab = Σ_pairs (r_ij)_a ∂v/∂(r_ij)_b for r′ = r (1 + ε), computed for any structure when
/// requested (only meaningful for periodic ones).
///
/// If `normalise` is set and the unnormalised vector is zero (when neither the centre's own
/// Gaussian nor any neighbour contributes), the row and its gradients are zero.
///
/// ## Accuracy and speed
/// Radial functions come from quintic Hermite splines checked against exact evaluation at
/// construction (``splineAccuracy``; 10⁻¹⁵ and 6·10⁻¹³ relative for values and slopes with the
/// default grid); descriptors agree with QUIP to about 10⁻¹⁵ (values) and 10⁻¹² (gradients)
/// relative. Rows are computed in parallel over centres. Loops over many structures should call
/// ``compute(_:neighbours:gradients:strainGradients:threads:into:)`` with one reused
/// `DescriptorValues`, which avoids the page faults of freshly allocated gradient arrays.
public struct SOAPCalculator: Sendable {
    /// The hyper-parameters, with species sorted ascending.
    public let hyperparameters: SOAPHyperparameters
    /// The number of features per row.
    public let featureCount: Int
    /// The data-driven radial basis, or nil for QUIP's (`radial_basis` `gap`).
    public let radialContraction: RadialContraction?
    /// The kept power-spectrum components (indices into the full layout of ``fullFeatureCount``
    /// features, ascending), or nil for all of them.
    public let selectedFeatures: [Int]?
    /// The number of power-spectrum components before feature selection:
    /// N (N + 1)/2 · (l_max + 1) with N = species · n_max.
    public let fullFeatureCount: Int
    /// Number of neighbour channels: species · n_max, or n_max when the contraction combines
    /// species.
    let channelCount: Int
    /// The primitive QUIP basis (P functions when contracted, else n_max).
    let basis: GaussianRadialBasis
    /// The radial functions of each spline table: one table for the QUIP basis, one per
    /// neighbour species (ascending) when contracted.
    let radialTables: [RadialFunctions]
    /// The splines of `radialTables`, index for index.
    let splines: [RadialSpline]
    /// `splines[0]`, stored on its own so that the QUIP-basis path reads it as before, without
    /// an array access per pair.
    let spline: RadialSpline
    /// `splines` for the eight-wide kernels, on CPUs that have them (else nil).
    let wideSplines: WideSplineStore?
    /// The centre's own-Gaussian coefficients of each table (n_max values, times Y_00).
    let centreCoefficients: [[Double]]
    /// Whether each neighbour species has its own table (else table 0 serves all).
    let tablePerSpecies: Bool
    /// Whether every species shares one block of channels (combined contraction).
    let combinesSpecies: Bool
    /// Gather tables of the kept features, or nil when every feature is computed.
    let selection: SelectedFeatureTables?
    let harmonics: RealSphericalHarmonics
    /// Channel block of each atomic number (index Z): its position in `neighbourSpecies`, 0 for
    /// every neighbour species when species are combined, or −1 for other species.
    let channelOfElement: [Int32]
    /// Radial table of each atomic number (index Z): its position in `neighbourSpecies`, or −1.
    let tableOfElement: [Int32]
    /// Whether atoms of atomic number Z get a row.
    let isCentreElement: [Bool]
    /// How radial functions are evaluated in `compute` (splines unless testing).
    let radialEvaluation: RadialEvaluation

    /// Radial function evaluation: the quintic spline (default), or exact evaluation through the
    /// Bessel functions (slower; used by tests to measure the spline's effect on descriptors).
    enum RadialEvaluation: Sendable {
        case spline
        case exact
    }

    /// The largest supported l_max (spherical harmonics and Bessel functions are tested up to it).
    public static let maximumLMax = 24
    /// The largest supported n_max.
    public static let maximumNMax = 64
    /// The largest atomic number accepted in species lists.
    public static let maximumAtomicNumber = 118
    /// The "file" named in hyper-parameter errors.
    static let errorSource = "<SOAP hyper-parameters>"

    /// Validates `hyperparameters` and precomputes the radial basis and its splines.
    ///
    /// - Parameters:
    ///   - radialContraction: a data-driven radial basis (``RadialContraction/fit(_:primitiveCount:retainedVariance:structures:centres:threads:)``)
    ///     for these hyper-parameters; nil (the default) for QUIP's basis.
    ///   - selectedFeatures: the power-spectrum components to compute (indices into the full
    ///     layout, distinct; they are sorted), or nil (the default) for all. With a selection the
    ///     descriptor is the kept components only, normalised (if `normalise`) by their own length.
    /// - Throws: ``InputError`` whose `field` is the gap_fit name of the offending hyper-parameter
    ///   (`cutoff`, `cutoff_transition_width`, `n_max`, `l_max`, `atom_sigma`, `central_weight`,
    ///   `species_Z`, `Z`, `radial_scaling`) and whose message gives the allowed range;
    ///   `radial_contraction` or `selected_features` if those do not fit the hyper-parameters.
    public init(
        _ hyperparameters: SOAPHyperparameters, radialContraction: RadialContraction? = nil, selectedFeatures: [Int]? = nil
    ) throws {
        try self.init(
            hyperparameters, radialContraction: radialContraction, selectedFeatures: selectedFeatures, radialEvaluation: .spline)
    }

    /// Validates and precomputes, choosing how radial functions are evaluated.
    init(
        _ hyperparameters: SOAPHyperparameters, radialContraction: RadialContraction? = nil, selectedFeatures: [Int]? = nil,
        radialEvaluation: RadialEvaluation
    ) throws {
        self.radialEvaluation = radialEvaluation
        let h = try SOAPCalculator.validated(hyperparameters)
        let file = SOAPCalculator.errorSource
        func fail(_ field: String, _ message: String) -> InputError {
            InputError(file: file, field: field, message: message)
        }
        self.hyperparameters = h
        combinesSpecies = radialContraction?.combinesSpecies ?? false
        channelCount = (combinesSpecies ? 1 : h.neighbourSpecies.count) * h.nMax
        fullFeatureCount = channelCount * (channelCount + 1) / 2 * (h.lMax + 1)
        var channels = [Int32](repeating: -1, count: SOAPCalculator.maximumAtomicNumber + 1)
        var tables = [Int32](repeating: -1, count: SOAPCalculator.maximumAtomicNumber + 1)
        for (index, z) in h.neighbourSpecies.enumerated() {
            channels[z] = combinesSpecies ? 0 : Int32(index)
            tables[z] = Int32(index)
        }
        channelOfElement = channels
        tableOfElement = tables
        var centres = [Bool](repeating: false, count: SOAPCalculator.maximumAtomicNumber + 1)
        for z in h.centreSpecies { centres[z] = true }
        isCentreElement = centres
        if let contraction = radialContraction {
            guard contraction.species == h.neighbourSpecies, contraction.lMax == h.lMax, contraction.contractedCount == h.nMax else {
                throw fail("radial_contraction", "the contraction is for species \(contraction.species), l_max \(contraction.lMax) and n_max \(contraction.contractedCount), but the descriptor has species_Z \(h.neighbourSpecies), l_max \(h.lMax) and n_max \(h.nMax)")
            }
            let primitive: GaussianRadialBasis
            do {
                primitive = try GaussianRadialBasis(
                    cutoffRadius: h.cutoffRadius, atomSigma: h.atomSigma, nMax: contraction.primitiveCount, lMax: h.lMax, errorFile: file)
            } catch var error as InputError {
                error.field = "n_max_primitive"
                throw error
            }
            basis = primitive
            radialTables = h.neighbourSpecies.indices.map { s in
                RadialFunctions(
                    basis: primitive, contractedCount: h.nMax,
                    matrices: (0...h.lMax).flatMap { contraction.matrix(speciesIndex: s, l: $0) })
            }
            tablePerSpecies = true
        } else {
            basis = try GaussianRadialBasis(cutoffRadius: h.cutoffRadius, atomSigma: h.atomSigma, nMax: h.nMax, lMax: h.lMax, errorFile: file)
            radialTables = [RadialFunctions(basis: basis)]
            tablePerSpecies = false
        }
        self.radialContraction = radialContraction
        splines = radialTables.map { RadialSpline(basis: $0, cutoffRadius: h.cutoffRadius, sigma: h.atomSigma) }
        spline = splines[0]
        wideSplines = SOAPKernels.wideAvailable ? WideSplineStore(splines) : nil
        centreCoefficients = radialTables.map(\.centreCoefficients)
        harmonics = RealSphericalHarmonics(lMax: h.lMax)
        if let requested = selectedFeatures {
            let sorted = try SOAPCalculator.checkedSelection(requested, fullFeatureCount: fullFeatureCount)
            self.selectedFeatures = sorted
            selection = SelectedFeatureTables(indices: sorted, nMax: h.nMax, lCount: h.lMax + 1)
            featureCount = sorted.count
        } else {
            self.selectedFeatures = nil
            selection = nil
            featureCount = fullFeatureCount
        }
    }

    /// `hyperparameters` checked against their ranges, with the species lists sorted.
    static func validated(_ hyperparameters: SOAPHyperparameters) throws -> SOAPHyperparameters {
        var h = hyperparameters
        func fail(_ field: String, _ message: String) -> InputError {
            InputError(file: errorSource, field: field, message: message)
        }
        guard h.cutoffRadius.isFinite, h.cutoffRadius > 0 else {
            throw fail("cutoff", "the cutoff radius must be a positive finite number of Å, got \(h.cutoffRadius)")
        }
        guard h.cutoffTransitionWidth.isFinite, h.cutoffTransitionWidth >= 0, h.cutoffTransitionWidth <= h.cutoffRadius else {
            throw fail("cutoff_transition_width", "must be between 0 and the cutoff (\(h.cutoffRadius) Å), got \(h.cutoffTransitionWidth)")
        }
        guard h.nMax >= 1, h.nMax <= SOAPCalculator.maximumNMax else {
            throw fail("n_max", "the number of radial functions must be between 1 and \(SOAPCalculator.maximumNMax), got \(h.nMax)")
        }
        guard h.lMax >= 0, h.lMax <= SOAPCalculator.maximumLMax else {
            throw fail("l_max", "the maximum angular momentum must be between 0 and \(SOAPCalculator.maximumLMax), got \(h.lMax)")
        }
        guard h.atomSigma.isFinite, h.atomSigma > 0 else {
            throw fail("atom_sigma", "the Gaussian width must be a positive finite number of Å, got \(h.atomSigma)")
        }
        guard h.centralWeight.isFinite else {
            throw fail("central_weight", "must be a finite number, got \(h.centralWeight)")
        }
        for (field, list) in [("species_Z", h.neighbourSpecies), ("Z", h.centreSpecies)] {
            guard !list.isEmpty else {
                throw fail(field, "at least one atomic number is needed")
            }
            for z in list where z < 1 || z > SOAPCalculator.maximumAtomicNumber {
                throw fail(field, "atomic numbers must be between 1 and \(SOAPCalculator.maximumAtomicNumber), got \(z)")
            }
            guard Set(list).count == list.count else {
                throw fail(field, "an atomic number is listed twice in \(list)")
            }
        }
        if let scaling = h.radialScaling {
            for (name, value) in [("c", scaling.c), ("r0", scaling.r0), ("m", scaling.m)] {
                guard value.isFinite, value > 0 else {
                    throw fail("radial_scaling", "\(name) must be a positive finite number, got \(value)")
                }
            }
        }
        h.neighbourSpecies.sort()
        h.centreSpecies.sort()
        return h
    }

    /// Requested feature indices, sorted and checked to be distinct and within the full layout.
    static func checkedSelection(_ requested: [Int], fullFeatureCount: Int) throws -> [Int] {
        func fail(_ message: String) -> InputError { InputError(file: errorSource, field: "selected_features", message: message) }
        let sorted = requested.sorted()
        guard !sorted.isEmpty else { throw fail("at least one feature must be kept") }
        guard sorted.first! >= 0, sorted.last! < fullFeatureCount else {
            throw fail("feature indices must be between 0 and \(fullFeatureCount - 1), got \(sorted.first!) ... \(sorted.last!)")
        }
        guard zip(sorted, sorted.dropFirst()).allSatisfy({ $0 < $1 }) else { throw fail("a feature index is listed twice") }
        return sorted
    }

    /// This calculator computing only the power-spectrum components `indices` (into the full
    /// layout; see ``init(_:radialContraction:selectedFeatures:)``), with the same radial basis.
    public func selectingFeatures(_ indices: [Int]) throws -> SOAPCalculator {
        try SOAPCalculator(
            hyperparameters, radialContraction: radialContraction, selectedFeatures: indices, radialEvaluation: radialEvaluation)
    }

    /// This calculator without feature selection (every power-spectrum component).
    public var withAllFeatures: SOAPCalculator {
        get throws {
            try SOAPCalculator(hyperparameters, radialContraction: radialContraction, selectedFeatures: nil, radialEvaluation: radialEvaluation)
        }
    }

    /// The accuracy of the splined radial functions, measured against exact evaluation when the
    /// calculator was built: the largest |spline − exact| over r ∈ [0, cutoff], n and l, relative
    /// to the largest |R_nl|, and the same for dR_nl/dr. Both are below 10⁻¹³ and 10⁻¹¹ unless
    /// the grid hit its size limit (2¹⁶ intervals, fewer when n_max (l_max + 1) exceeds 64).
    public var splineAccuracy: (value: Double, derivative: Double) {
        (splines.map(\.valueError).max() ?? 0, splines.map(\.derivativeError).max() ?? 0)
    }

    /// The number of spline intervals on [0, cutoff] (the largest over the tables).
    public var splineIntervalCount: Int { splines.map(\.intervalCount).max() ?? 0 }

    /// Builds the neighbour list the calculator uses (one place to switch implementations).
    static func makeNeighbourList(_ structure: Structure, cutoffRadius: Double) throws -> NeighbourList {
        try NeighbourList(structure, cutoffRadius: cutoffRadius)
    }

    /// Computes the descriptor of every centre atom of `structure`.
    ///
    /// - Parameters:
    ///   - gradients: also compute position gradients (sparse per row and atom).
    ///   - strainGradients: also compute strain gradients (implies the same per-pair work).
    ///   - threads: worker threads (default ``ThreadCount/current``). Results are bit-for-bit
    ///     identical for any thread count.
    /// - Throws: ``InputError`` for an unusable structure (non-finite positions, degenerate
    ///   periodic cell, or two atoms of neighbour species at the same place).
    public func compute(
        _ structure: Structure, gradients: Bool = false, strainGradients: Bool = false, threads: Int? = nil
    ) throws -> DescriptorValues {
        let list = try SOAPCalculator.makeNeighbourList(structure, cutoffRadius: hyperparameters.cutoffRadius)
        return try compute(structure, neighbours: list, gradients: gradients, strainGradients: strainGradients, threads: threads)
    }

    /// Computes the rows in consecutive blocks of at most about `blockBytes` of output (at least
    /// one row each), calling `body` with each block in order; the rows are bit for bit those of
    /// ``compute(_:neighbours:gradients:strainGradients:threads:into:)`` (see
    /// ``DensityDescriptor/compute(_:neighbours:gradients:strainGradients:threads:blockBytes:into:eachBlock:)``).
    /// With `.max`, the one block is the whole structure.
    public func compute(
        _ structure: Structure, neighbours list: NeighbourList?, gradients: Bool, strainGradients: Bool, threads: Int?,
        blockBytes: Int, into block: inout DescriptorValues, eachBlock body: (DescriptorValues) throws -> Void
    ) throws {
        let list = try list ?? SOAPCalculator.makeNeighbourList(structure, cutoffRadius: hyperparameters.cutoffRadius)
        guard list.centreCount == structure.count, list.cutoffRadius >= hyperparameters.cutoffRadius else {
            throw InputError(
                file: structure.source?.file ?? "<memory>", line: structure.source?.line, field: "cutoff",
                message: "the neighbour list (\(list.centreCount) atoms, cutoff \(list.cutoffRadius) Å) does not fit this structure (\(structure.count) atoms) and SOAP cutoff (\(hyperparameters.cutoffRadius) Å)")
        }
        let plan = try SOAPPlan(calculator: self, structure: structure, list: list, needsEntries: gradients)
        try SOAPEvaluator.runBlocks(
            density: self, featureCount: featureCount, structure: structure, list: list, plan: plan, gradients: gradients,
            strainGradients: strainGradients, threads: threads ?? ThreadCount.current, blockBytes: blockBytes, into: &block,
            makeWorkspace: { capacity, pairGradients in
                SOAPWorkspace(calculator: self, pairCapacity: capacity, gradients: pairGradients)
            }, body)
    }

    /// The density expansion coefficients of every centre atom: row r holds
    /// c_{A l m} = Σ_j w(r_ij) R_Al(r_ij) Y_lm(r̂_ij) (+ the centre's own Gaussian, as in the
    /// descriptor) at `A · (l_max + 1)² + l² + l + m`, for channels A = species · n_max + n (with
    /// a contracted basis, n is the contracted index) and m = −l ... l. So `featureCount` is
    /// channels · (l_max + 1)²; no gradients. The power spectrum is built from these.
    public func densityExpansion(_ structure: Structure, threads: Int? = nil) throws -> DescriptorValues {
        let list = try SOAPCalculator.makeNeighbourList(structure, cutoffRadius: hyperparameters.cutoffRadius)
        let plan = try SOAPPlan(calculator: self, structure: structure, list: list, needsEntries: false)
        return SOAPEvaluator.runExpansion(
            calculator: self, structure: structure, list: list, plan: plan, threads: threads ?? ThreadCount.current)
    }
}
