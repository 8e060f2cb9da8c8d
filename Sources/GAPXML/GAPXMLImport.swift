import AtomicStructures
import Descriptors
import Kernels
import Prediction
import Support

/// A gap_fit model read into a ``Potential``, with what identifies its origin.
public struct ImportedGAPModel: Sendable {
    /// The potential: e0 per species and one term per `<gpCoordinates>`, in file order.
    public var potential: Potential
    /// The GAP label (the XML root's name).
    public var label: String
    /// `gap_version` of the file, if recorded.
    public var gapVersion: Int?
    /// The gap_fit command line stored in the file, if any.
    public var commandLine: String?
}

/// Reading QUIP/GAP XML models (written by gap_fit, or by ``GAPXMLWriter``).
///
/// Supported: `soap` terms with the `dot_product` kernel (any integer ζ, one or several centre
/// species as gap_fit's `add_species` writes them, any order of `species_Z`), `distance_2b` and
/// `angle_3b` terms with `ard_se`, e0 per species. Anything that would change the prediction and that
/// SwiftGAP does not compute identically is refused with an ``InputError`` naming it: other
/// descriptors and kernels, core potentials (`core_param_file`; GAP-18 adds a Glue core), and
/// soap options such as `covariance_sigma0`, `diagonal_radial`, `average` or another radial basis.
///
/// Species: the model predicts for the species that have a non-zero e0 or appear in a term;
/// any other species is an error at prediction time (quippy silently uses e0 = 0 for them).
public enum GAPXMLReader {
    /// The SOAP `xml_version` from which QUIP places the centre's own Gaussian only in its own
    /// species' channel (before it, in every channel).
    static let centralReferenceVersion = 1_426_512_068

    /// Whether `bytes` look like an XML file (first non-blank byte `<`) rather than JSON.
    public static func looksLikeXML(_ bytes: [UInt8]) -> Bool {
        var i = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        return i < bytes.count && bytes[i] == UInt8(ascii: "<")
    }

    /// Reads the model at `path` (side files next to it).
    public static func read(path: String) throws -> ImportedGAPModel {
        try read(bytes: readFile(path, what: "model file"), name: path)
    }

    /// Reads a model from its bytes; `name` is its path (errors, and the directory of side files).
    public static func read(bytes: [UInt8], name: String) throws -> ImportedGAPModel {
        let directory = name.contains("/") ? String(name[..<name.lastIndex(of: "/")!]) : ""
        let document = try GAPXMLDocument(bytes: bytes, fileName: name, directory: directory)
        return try convert(document, name: name)
    }

    static func convert(_ d: GAPXMLDocument, name: String) throws -> ImportedGAPModel {
        let coreNote = "SwiftGAP evaluates pure GAP models only (soap, distance_2b and angle_3b terms plus e0), so it cannot import this file; the silicon GAP-18 model (Bartók et al. 2018) is one of these, with a Glue core potential"
        if d.doCore {
            throw InputError(file: name, field: "GAP_data.do_core", message: "this model adds a core (baseline) potential to the GAP terms (gap_fit core_param_file, do_core=T\(d.potentialArguments.map { "; init_args \"\($0)\"" } ?? "")). \(coreNote)")
        }
        if let args = d.potentialArguments, !args.trimmingSpaces.hasPrefix("IP GAP") {
            throw InputError(file: name, field: "Potential.init_args", message: "the file defines the QUIP potential \"\(args)\", not a plain \"IP GAP\". \(coreNote)")
        }
        var terms: [any PotentialTerm] = []
        var alphas: [[Double]] = []
        var species = Set(d.e0.filter { $0.value != 0 }.keys)
        for c in d.coordinates {
            let field = "gpCoordinates[\(c.index + 1)].descriptor"
            do {
                let args = try QUIPArguments(c.descriptor)
                switch args.type.lowercased() {
                case "soap":
                    let term = try soapTerm(c, args, gapVersion: d.gapVersion)
                    species.formUnion(term.calculator.hyperparameters.neighbourSpecies)
                    let centres = term.calculator.hyperparameters.centreSpecies
                    if centres.count < SOAPCalculator.maximumAtomicNumber { species.formUnion(centres) }  // not the Z=0 wild card
                    terms.append(term)
                case "distance_2b":
                    let term = try pairTerm(c, args)
                    species.formUnion([term.kernel.species.z1, term.kernel.species.z2].filter { $0 != 0 })
                    terms.append(term)
                case "angle_3b":
                    let term = try tripletTerm(c, args)
                    let s = term.kernel.species
                    species.formUnion([s.centre, s.z1, s.z2].filter { $0 != 0 })
                    terms.append(term)
                default:
                    throw QUIPArgumentError(message: "descriptor \"\(args.type)\" is not supported: SwiftGAP imports soap, distance_2b and angle_3b terms only")
                }
                alphas.append(c.alpha)
            } catch let error as QUIPArgumentError {
                throw InputError(file: name, line: c.line, field: field, message: error.message)
            }
        }
        guard !terms.isEmpty else { throw InputError(file: name, field: "gpSparse", message: "the model has no GAP terms") }
        var e0: [Int: Double] = [:]
        for z in species where (1...118).contains(z) { e0[z] = d.e0[z] ?? 0 }
        return ImportedGAPModel(
            potential: Potential(e0: e0, terms: terms, alphas: alphas), label: d.label, gapVersion: d.gapVersion, commandLine: d.commandLine)
    }

    // MARK: - soap

    /// QUIP soap keys that change the descriptor, with the one value SwiftGAP computes.
    static let soapFixedValues: [(key: String, value: String, meaning: String)] = [
        ("average", "F", "an averaged (global) SOAP"),
        ("diagonal_radial", "F", "only the n1 = n2 power-spectrum elements"),
        ("Z_mix", "F", "mixed species channels"),
        ("R_mix", "F", "mixed radial channels"),
        ("sym_mix", "F", "symmetric channel mixing"),
        ("coupling", "T", "element-wise channel products"),
    ]
    /// QUIP soap keys SwiftGAP does not implement at all.
    static let soapUnsupportedKeys = ["nu_r", "nu_s", "k", "mix_shift", "z_map", "compress_file", "compress_mode"]
    /// Keys of the soap descriptor SwiftGAP reads.
    static let soapKeys: Set<String> = [
        "cutoff", "cutoff_transition_width", "l_max", "n_max", "atom_sigma", "atom_gaussian_width", "central_weight",
        "central_reference_all_species", "covariance_sigma0", "normalise", "normalize", "basis_error_exponent", "n_z",
        "n_species", "species_z", "z", "xml_version", "cutoff_dexp", "cutoff_scale", "cutoff_rate", "radial_basis",
    ]
    /// gap_fit's per-term keys that configure the fit, not the descriptor (ignored on import).
    static let fitKeys: Set<String> = [
        "delta", "f0", "n_sparse", "config_type_n_sparse", "sparse_method", "sparse_file", "covariance_type", "zeta",
        "theta_uniform", "theta_fac", "theta_file", "print_sparse_index", "mark_sparse_atoms", "add_species",
        "lengthscale_factor", "lengthscale_uniform", "lengthscale_file", "unique_hash_tolerance",
        "unique_descriptor_tolerance", "soap_exponent", "sparse_separate_file", "nonzero_sparse_cutoff",
    ]

    /// Refuses soap options and kernels that would make QUIP compute something else than we do.
    static func checkSOAPOptions(_ c: GAPXMLDocument.Coordinates, _ a: QUIPArguments) throws {
        for (key, value, meaning) in soapFixedValues {
            if let given = try a.bool(key), given != (value == "T") {
                throw QUIPArgumentError(message: "soap \(key)=\(given ? "T" : "F") (\(meaning)) is not supported: SwiftGAP computes QUIP's default (\(value))")
            }
        }
        for (key, _) in a.pairs where soapUnsupportedKeys.contains(key.lowercased()) {
            throw QUIPArgumentError(message: "soap option \(key) is not supported by SwiftGAP")
        }
        for (key, _) in a.pairs where !soapKeys.contains(key.lowercased()) && !fitKeys.contains(key.lowercased()) && !soapFixedValues.contains(where: { $0.key.lowercased() == key.lowercased() }) {
            throw QUIPArgumentError(message: "unknown soap option \(key): refused rather than ignored, since it may change the descriptor")
        }
        guard c.covarianceType == 2 else {
            throw QUIPArgumentError(message: "soap with covariance_type \(c.covarianceType) is not supported: SwiftGAP imports the dot_product kernel (2)")
        }
        if let sigma0 = try a.double("covariance_sigma0"), sigma0 != 0 {
            throw QUIPArgumentError(message: "covariance_sigma0=\(sigma0) is not supported (SwiftGAP's dot-product kernel has σ0 = 0)")
        }
        if let e = try a.double("basis_error_exponent"), e != 10 {
            throw QUIPArgumentError(message: "basis_error_exponent=\(e) changes QUIP's radial basis; SwiftGAP implements the default (10)")
        }
        if let basis = a.value("radial_basis"), basis.uppercased() != "EQUISPACED_GAUSS" {
            throw QUIPArgumentError(message: "radial_basis=\(basis) is not supported: SwiftGAP computes QUIP's EQUISPACED_GAUSS basis")
        }
    }

    static func soapTerm(_ c: GAPXMLDocument.Coordinates, _ a: QUIPArguments, gapVersion: Int?) throws -> SOAPTerm {
        try checkSOAPOptions(c, a)
        guard let zetaValue = c.zeta, zetaValue >= 1, zetaValue == zetaValue.rounded(), zetaValue <= 1000 else {
            throw QUIPArgumentError(message: "zeta=\(c.zeta.map { "\($0)" } ?? "missing") is not supported: the dot-product kernel needs an integer ζ ≥ 1")
        }
        guard let cutoff = try a.double("cutoff"), let nMax = try a.integer("n_max"), let lMax = try a.integer("l_max"),
              let sigma = try a.double("atom_sigma") ?? a.double("atom_gaussian_width")
        else { throw QUIPArgumentError(message: "soap needs cutoff, n_max, l_max and atom_sigma") }
        let nSpecies = try a.integer("n_species") ?? 1
        let speciesList = try a.integers("species_Z") ?? [0]
        guard speciesList.count == nSpecies, !speciesList.contains(0) else {
            throw QUIPArgumentError(message: speciesList.contains(0)
                ? "species_Z=0 (every species in one density channel) is not supported: list the neighbour species"
                : "n_species=\(nSpecies) but species_Z lists \(speciesList.count) species")
        }
        let nZ = try a.integer("n_Z") ?? 1
        let centres = try a.integers("Z") ?? [0]
        guard centres.count == nZ else { throw QUIPArgumentError(message: "n_Z=\(nZ) but Z lists \(centres.count) species") }
        let version = try a.integer("xml_version") ?? gapVersion ?? centralReferenceVersion
        let centralAll = try a.bool("central_reference_all_species") ?? (nSpecies == 1 || version < centralReferenceVersion)
        guard centralAll == (nSpecies == 1) else {
            throw QUIPArgumentError(message: "central_reference_all_species=\(centralAll ? "T" : "F") with \(nSpecies) neighbour species is not supported\(version < centralReferenceVersion ? " (implied by the old gap_version \(version))" : ""): SwiftGAP places the centre's Gaussian in its own species' channel only (with one species, always)")
        }
        var scaling: RadialScaling?
        if let m = try a.integer("cutoff_dexp"), m != 0 {
            let rate = try a.double("cutoff_rate") ?? 1, scale = try a.double("cutoff_scale") ?? 1
            guard m > 0, rate > 0, scale > 0 else { throw QUIPArgumentError(message: "cutoff_dexp, cutoff_rate and cutoff_scale must be positive") }
            scaling = RadialScaling(c: rate, r0: scale, m: Double(m))
        }
        let h = SOAPHyperparameters(
            cutoffRadius: cutoff, cutoffTransitionWidth: try a.double("cutoff_transition_width") ?? SOAPKeys.defaultTransitionWidth, nMax: nMax, lMax: lMax,
            atomSigma: sigma, centralWeight: try a.double("central_weight") ?? 1, normalise: try a.bool("normalise") ?? a.bool("normalize") ?? true,
            neighbourSpecies: speciesList, centreSpecies: centres == [0] ? Array(1...SOAPCalculator.maximumAtomicNumber) : centres,
            radialScaling: scaling)
        let calculator: SOAPCalculator
        do { calculator = try SOAPCalculator(h) } catch let error as InputError {
            throw QUIPArgumentError(message: "\(error.field.map { "\($0): " } ?? "")\(error.message)")
        }
        let f = calculator.featureCount
        guard c.dimensions == f + 1 || c.dimensions == f else {
            throw QUIPArgumentError(message: "dimensions=\(c.dimensions) does not match the soap descriptor (\(f) features + 1)")
        }
        for (i, fc) in c.sparseCutoff.enumerated() where abs(fc - 1) > 1e-12 {
            throw QUIPArgumentError(message: "sparseX \(i + 1) has sparseCutoff \(fc); soap sparse points have 1")
        }
        let permutation = quipToSortedFeatureIndex(species: speciesList, nMax: nMax, lMax: lMax)
        var points = [Double](repeating: 0, count: c.alpha.count * f)
        for m in 0..<c.alpha.count {
            for k in 0..<f { points[m * f + permutation[k]] = c.sparseX[m * c.dimensions + k] }
        }
        return SOAPTerm(calculator: calculator, kernel: DotProductKernel(delta: c.delta, zeta: Int(zetaValue), featureCount: f, sparsePoints: points))
    }

    /// For each feature index in QUIP's layout with `species` in the given order, the index of the
    /// same feature in SwiftGAP's layout (species ascending). Channels A = s·n_max + n; feature
    /// (A(A+1)/2 + B)(l_max+1) + l for B ≤ A; the pair's value is symmetric in (A, B).
    static func quipToSortedFeatureIndex(species: [Int], nMax: Int, lMax: Int) -> [Int] {
        let sorted = species.sorted()
        let channelMap = species.indices.flatMap { s in (0..<nMax).map { n in sorted.firstIndex(of: species[s])! * nMax + n } }
        let lCount = lMax + 1
        var result: [Int] = []
        for a in channelMap.indices {
            for b in 0...a {
                let (x, y) = (max(channelMap[a], channelMap[b]), min(channelMap[a], channelMap[b]))
                for l in 0..<lCount { result.append((x * (x + 1) / 2 + y) * lCount + l) }
            }
        }
        return result
    }

    // MARK: - distance_2b

    static let pairKeys: Set<String> = ["cutoff", "cutoff_transition_width", "z1", "z2", "xml_version"]

    static func pairTerm(_ c: GAPXMLDocument.Coordinates, _ a: QUIPArguments) throws -> PairDistanceTerm {
        for (key, value) in a.pairs {
            let k = key.lowercased()
            if pairKeys.contains(k) || fitKeys.contains(k) { continue }
            if k == "n_exponents" && value.trimmingSpaces == "1" { continue }
            if k == "exponents" && value.trimmingSpaces == "1" { continue }
            if ["only_intra", "only_inter"].contains(k), try a.bool(key) == false { continue }
            throw QUIPArgumentError(message: "distance_2b option \(key)=\(value) is not supported: SwiftGAP imports the plain pair distance (exponents 1, no tail, no residue selection)")
        }
        guard c.covarianceType == 1, c.theta.count == 1, c.dimensions == 1 else {
            throw QUIPArgumentError(message: "distance_2b needs the ard_se kernel (covariance_type 1) with one theta on a 1-dimensional descriptor; found covariance_type \(c.covarianceType), \(c.theta.count) theta, dimensions \(c.dimensions)")
        }
        guard c.signalMean == 0 else { throw QUIPArgumentError(message: "signal_mean (f0) = \(c.signalMean) is not supported for distance_2b") }
        guard let cutoff = try a.double("cutoff"), cutoff > 0 else { throw QUIPArgumentError(message: "distance_2b needs a positive cutoff") }
        let width = try a.double("cutoff_transition_width") ?? 0.5
        guard width >= 0, width <= cutoff, c.theta[0] > 0 else { throw QUIPArgumentError(message: "needs 0 ≤ cutoff_transition_width ≤ cutoff and theta > 0") }
        let z1 = try a.integer("Z1") ?? 0, z2 = try a.integer("Z2") ?? 0
        guard (0...118).contains(z1), (0...118).contains(z2) else { throw QUIPArgumentError(message: "Z1 and Z2 must be atomic numbers (0 for any)") }
        let kernel = PairDistanceKernel(
            cutoffRadius: cutoff, transitionWidth: width, theta: c.theta[0], delta: c.delta,
            species: .init(z1, z2), sparseDistances: c.sparseX)
        for (i, (given, computed)) in zip(c.sparseCutoff, kernel.sparseCutoffWeights).enumerated() where abs(given - computed) > 1e-10 {
            throw QUIPArgumentError(message: "sparseX \(i + 1) has sparseCutoff \(given) but the cutoff function gives \(computed) at r = \(c.sparseX[i]) Å: this model's cutoff weights are not gap_fit's")
        }
        return PairDistanceTerm(kernel: kernel)
    }

    // MARK: - angle_3b

    static let tripletKeys: Set<String> = ["cutoff", "cutoff_transition_width", "z_center", "z", "z1", "z2", "xml_version"]

    /// QUIP's angle_3b with the ard_se kernel; the sparse points keep their stored cutoff weights
    /// (those of the triplets they were taken from).
    static func tripletTerm(_ c: GAPXMLDocument.Coordinates, _ a: QUIPArguments) throws -> AngleTripletTerm {
        for (key, value) in a.pairs where !tripletKeys.contains(key.lowercased()) && !fitKeys.contains(key.lowercased()) {
            throw QUIPArgumentError(message: "angle_3b option \(key)=\(value) is not supported")
        }
        let d = AngleTripletDescriptor.featureCount
        guard c.covarianceType == 1, c.theta.count == d, c.dimensions == d else {
            throw QUIPArgumentError(message: "angle_3b needs the ard_se kernel (covariance_type 1) with 3 theta on a 3-dimensional descriptor; found covariance_type \(c.covarianceType), \(c.theta.count) theta, dimensions \(c.dimensions)")
        }
        guard c.signalMean == 0 else { throw QUIPArgumentError(message: "signal_mean (f0) = \(c.signalMean) is not supported for angle_3b") }
        guard let cutoff = try a.double("cutoff"), cutoff > 0 else { throw QUIPArgumentError(message: "angle_3b needs a positive cutoff") }
        let width = try a.double("cutoff_transition_width") ?? 0.5
        guard width >= 0, width <= cutoff, c.theta.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw QUIPArgumentError(message: "needs 0 ≤ cutoff_transition_width ≤ cutoff and theta > 0") }
        let centre = try a.integer("Z_center") ?? a.integer("Z") ?? 0
        let z1 = try a.integer("Z1") ?? 0, z2 = try a.integer("Z2") ?? 0
        guard [centre, z1, z2].allSatisfy({ (0...118).contains($0) }) else { throw QUIPArgumentError(message: "Z_center, Z1 and Z2 must be atomic numbers (0 for any)") }
        guard c.sparseX.count == d * c.sparseCutoff.count else { throw QUIPArgumentError(message: "angle_3b needs 3 numbers per sparse point") }
        let descriptor = AngleTripletDescriptor(cutoffRadius: cutoff, transitionWidth: width, species: SpeciesTriplet(centre: centre, z1, z2))
        return AngleTripletTerm(kernel: AngleTripletKernel(
            descriptor: descriptor, theta: c.theta, delta: c.delta, sparsePoints: c.sparseX, sparseWeights: c.sparseCutoff))
    }
}
