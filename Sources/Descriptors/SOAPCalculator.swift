import AtomicStructures
import NeighbourLists
import Parallelism
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
/// if radial scaling is set (otherwise 1).
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
/// `normalise` is set (the default) the vector is divided by its length.
///
/// **Map to QUIP:** with `species_Z` listed in ascending order, our feature k is QUIP's
/// `data[k]` (1-based `k + 1`) for every k < featureCount. QUIP's vector has one more, trailing
/// element, set to `covariance_sigma0` (0 by default) and excluded from its normalisation; we
/// omit it, since it never changes a dot product with a zero-padded partner. If `species_Z` is
/// given to QUIP in another order, QUIP permutes the channels accordingly (A = position in its
/// list · n_max + n).
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
/// If `normalise` is set and the unnormalised vector is zero (possible only with
/// central_weight = 0 and no neighbours), the row and its gradients are zero.
public struct SOAPCalculator: Sendable {
    /// The hyper-parameters, with species sorted ascending.
    public let hyperparameters: SOAPHyperparameters
    /// The number of features per row.
    public let featureCount: Int
    /// Number of neighbour channels (species) · n_max.
    let channelCount: Int
    let basis: GaussianRadialBasis
    let spline: RadialSpline
    let harmonics: RealSphericalHarmonics
    /// Neighbour channel of each atomic number (index Z), or −1.
    let channelOfElement: [Int32]
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
    /// - Throws: ``InputError`` whose `field` is the gap_fit name of the offending hyper-parameter
    ///   (`cutoff`, `cutoff_transition_width`, `n_max`, `l_max`, `atom_sigma`, `central_weight`,
    ///   `species_Z`, `Z`, `radial_scaling`) and whose message gives the allowed range.
    public init(_ hyperparameters: SOAPHyperparameters) throws {
        try self.init(hyperparameters, radialEvaluation: .spline)
    }

    /// Validates and precomputes, choosing how radial functions are evaluated.
    init(_ hyperparameters: SOAPHyperparameters, radialEvaluation: RadialEvaluation) throws {
        self.radialEvaluation = radialEvaluation
        var h = hyperparameters
        let file = SOAPCalculator.errorSource
        func fail(_ field: String, _ message: String) -> InputError {
            InputError(file: file, field: field, message: message)
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
        self.hyperparameters = h
        channelCount = h.neighbourSpecies.count * h.nMax
        featureCount = channelCount * (channelCount + 1) / 2 * (h.lMax + 1)
        var channels = [Int32](repeating: -1, count: SOAPCalculator.maximumAtomicNumber + 1)
        for (index, z) in h.neighbourSpecies.enumerated() { channels[z] = Int32(index) }
        channelOfElement = channels
        var centres = [Bool](repeating: false, count: SOAPCalculator.maximumAtomicNumber + 1)
        for z in h.centreSpecies { centres[z] = true }
        isCentreElement = centres
        basis = try GaussianRadialBasis(cutoffRadius: h.cutoffRadius, atomSigma: h.atomSigma, nMax: h.nMax, lMax: h.lMax, errorFile: file)
        spline = RadialSpline(basis: basis, cutoffRadius: h.cutoffRadius, sigma: h.atomSigma)
        harmonics = RealSphericalHarmonics(lMax: h.lMax)
    }

    /// The accuracy of the splined radial functions, measured against exact evaluation when the
    /// calculator was built: the largest |spline − exact| over r ∈ [0, cutoff], n and l, relative
    /// to the largest |R_nl|, and the same for dR_nl/dr. Both are below 10⁻¹³ and 10⁻¹¹ unless
    /// the grid hit its size limit (2¹⁶ intervals, fewer when n_max (l_max + 1) exceeds 64).
    public var splineAccuracy: (value: Double, derivative: Double) { (spline.valueError, spline.derivativeError) }

    /// The number of spline intervals on [0, cutoff].
    public var splineIntervalCount: Int { spline.intervalCount }

    /// Builds the neighbour list the calculator uses (one place to switch implementations).
    static func makeNeighbourList(_ structure: Structure, cutoffRadius: Double) throws -> NeighbourList {
        try NeighbourList.bruteForce(structure, cutoffRadius: cutoffRadius)
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

    /// Computes the descriptor from a neighbour list built for this structure with a cutoff at
    /// least this calculator's (pairs beyond the cutoff are skipped).
    public func compute(
        _ structure: Structure, neighbours list: NeighbourList, gradients: Bool = false, strainGradients: Bool = false,
        threads: Int? = nil
    ) throws -> DescriptorValues {
        var result = DescriptorValues(featureCount: featureCount, centres: [], values: [])
        try compute(structure, neighbours: list, gradients: gradients, strainGradients: strainGradients, threads: threads, into: &result)
        return result
    }

    /// Computes the descriptor into `result`, replacing its contents but reusing its memory.
    ///
    /// Gradient arrays are large (3 · entries · features doubles), and writing freshly allocated
    /// memory costs a page fault per 4 KiB — often more than computing the gradients. Loops over
    /// many structures should therefore keep one `DescriptorValues` and pass it here each time.
    public func compute(
        _ structure: Structure, neighbours list: NeighbourList? = nil, gradients: Bool = false,
        strainGradients: Bool = false, threads: Int? = nil, into result: inout DescriptorValues
    ) throws {
        let list = try list ?? SOAPCalculator.makeNeighbourList(structure, cutoffRadius: hyperparameters.cutoffRadius)
        let plan = try SOAPPlan(calculator: self, structure: structure, list: list, needsEntries: gradients)
        SOAPEvaluator.run(
            calculator: self, structure: structure, list: list, plan: plan, gradients: gradients,
            strainGradients: strainGradients, threads: threads ?? ThreadCount.current, into: &result)
    }
}
