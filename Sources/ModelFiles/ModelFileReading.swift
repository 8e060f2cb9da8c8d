import AtomicStructures
import Descriptors
import GAPXML
import JSON
import Kernels
import Parallelism
import Prediction
import Support
#if canImport(Glibc)
import Glibc
#endif

extension ModelFile {
    /// Reads and checks a model file: SwiftGAP's JSON format, or a gap_fit (QUIP/GAP XML) model,
    /// told apart by content (an XML file starts with `<`), whatever the file's extension.
    /// The one entry point for loading models: gap-predict, gap-export and the C library use it.
    ///
    /// - Throws: ``InputError`` naming the file and the JSON field (or XML element) for anything
    ///   malformed, and a clear message for a file of another format, an unknown version, or a
    ///   gap_fit model with parts SwiftGAP does not evaluate (see ``GAPXMLReader``).
    public static func load(path: String) throws -> ModelFile {
        // Read whole: a file larger than half the memory available is refused before allocating
        // (the decoded model needs about as much again).
        let bytes = try readFile(path, what: "model file", maximumBytes: availableMemoryBytes().map { $0 / 2 })
        return try decode(bytes, name: path)
    }

    /// Decodes a model from its bytes (JSON, or gap_fit XML whose sparse-point side files are
    /// looked up next to `name`); `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> ModelFile {
        var model: ModelFile
        if GAPXMLReader.looksLikeXML(bytes) {
            model = try importGAPXML(bytes, name: name)
            model.integrityNote = "\(name) is a gap_fit XML model, which carries no checksum of its own (side files' md5 sums were checked); gap-export --format gapjson converts it to a checksummed model file"
        } else {
            let verified = try ModelChecksum.verify(bytes, name: name)
            model = try decodeJSON(bytes, name: name, checksumVerified: verified)
        }
        try model.checkConsistency(name: name)
        return model
    }

    /// Decodes SwiftGAP's JSON format (after the checksum line, if any, has been verified).
    static func decodeJSON(_ bytes: [UInt8], name: String, checksumVerified: Bool) throws -> ModelFile {
        let root = try JSONParser.parse(bytes, fileName: name)
        let r = ModelReader(name: name)
        let top = try r.object(root, "")
        guard let format = top["format"], case .string(let found) = format.kind, found == ModelFile.formatName else {
            throw InputError(file: name, line: root.position.line, field: "format", message: "not a SwiftGAP model file (expected \"format\": \"\(ModelFile.formatName)\")")
        }
        let version = try r.integer(top["version"], "version")
        guard (1...currentVersion).contains(version) else {
            throw InputError(
                file: name, line: top["version"]?.position.line, field: "version",
                message: version > currentVersion
                    ? "model file version \(version) is newer than this program reads (version \(currentVersion)); use a newer SwiftGAP"
                    : "model file version \(version) is not supported (this program reads versions 1 to \(currentVersion))")
        }
        if version >= 3 && !checksumVerified {
            throw InputError(
                file: name, line: 2, field: "checksum",
                message: "a version \(version) model file carries its checksum on line 2, and this one has none: the file is damaged or was edited")
        }
        var e0: [Int: Double] = [:]
        for member in try r.object(top["e0"], "e0").members {
            guard let element = Element(symbol: member.key) else {
                throw InputError(file: name, line: member.keyPosition.line, field: "e0.\(member.key)", message: "unknown element")
            }
            e0[element.atomicNumber] = try r.double(member.value, "e0.\(member.key)")
        }
        var terms: [any PotentialTerm] = []
        var alphas: [[Double]] = []
        var sources: [[SparsePointSource]] = []
        for (t, value) in try r.array(top["terms"], "terms").enumerated() {
            let path = "terms[\(t)]"
            let term = try r.object(value, path)
            let type = try r.string(term["type"], "\(path).type")
            let count = try r.integer(term["sparse_count"], "\(path).sparse_count")
            let alpha = try r.doubles(term["alpha"], "\(path).alpha", count: count)
            switch type {
            case "soap", "radial_spectrum", "bispectrum":
                terms.append(try r.densityTerm(term, path: path, type: type, count: count))
            case "distance_2b":
                terms.append(try r.pairTerm(term, path: path, count: count))
            case "angle_3b":
                terms.append(try r.tripletTerm(term, path: path, count: count))
            default:
                throw InputError(file: name, field: "\(path).type", message: "unknown term type \"\(type)\"")
            }
            alphas.append(alpha)
            let termSources = try r.sparseSources(term["sparse_sources"], path: path)
            sources.append(termSources)
        }
        let provenance = try r.provenance(top["provenance"])
        var potential = Potential(e0: e0, terms: terms, alphas: alphas)
        if let value = top["posterior_factor"] {
            potential.posteriorFactor = try r.posteriorFactor(value, columns: terms.reduce(0) { $0 + $1.sparseCount })
        }
        var model = ModelFile(potential: potential, sparseSources: sources, provenance: provenance)
        if !checksumVerified {
            model.integrityNote = "\(name) is a version \(version) model file, which carries no checksum: corruption cannot be detected (gap-export --format gapjson rewrites it with one)"
        }
        return model
    }
}

extension ModelReader {
    /// A density-correlation term (soap, radial_spectrum, bispectrum): descriptor and dot-product kernel.
    func densityTerm(_ term: JSONObject, path: String, type: String, count: Int) throws -> SOAPTerm {
        let h = try soapHyperparameters(term["descriptor"], "\(path).descriptor")
        let (contraction, selected) = try soapDataDrivenParts(term["descriptor"], "\(path).descriptor", hyperparameters: h)
        let correlation = try correlation(type: type, term["descriptor"], "\(path).descriptor")
        let calculator: any DensityDescriptor
        do { calculator = try correlation.makeCalculator(h, radialContraction: contraction, selectedFeatures: selected) } catch var error as InputError {
            error.file = name
            error.field = "\(path).descriptor.\(error.field ?? "")"
            throw error
        }
        let width = try integer(term["feature_count"], "\(path).feature_count")
        guard width == calculator.featureCount else {
            throw InputError(file: name, field: "\(path).feature_count", message: "is \(width) but the descriptor has \(calculator.featureCount) features")
        }
        let points = try doubles(term["sparse_points"], "\(path).sparse_points", count: count * width)
        let zeta = try integer(term["zeta"], "\(path).zeta")
        guard zeta >= 1 else { throw InputError(file: name, field: "\(path).zeta", message: "must be a positive integer") }
        let kernel = DotProductKernel(delta: try double(term["delta"], "\(path).delta"), zeta: zeta, featureCount: width, sparsePoints: points)
        return SOAPTerm(calculator: calculator, kernel: kernel)
    }

    /// A distance_2b term: pair descriptor and squared-exponential kernel.
    func pairTerm(_ term: JSONObject, path: String, count: Int) throws -> PairDistanceTerm {
        let d = try object(term["descriptor"], "\(path).descriptor")
        let cutoff = try double(d["cutoff"], "\(path).descriptor.cutoff")
        let width = try double(d["cutoff_transition_width"], "\(path).descriptor.cutoff_transition_width")
        let theta = try double(term["theta"], "\(path).theta")
        let delta = try double(term["delta"], "\(path).delta")
        // The kernel's preconditions are programmer checks; a model file is user input.
        guard cutoff.isFinite, cutoff > 0 else { throw InputError(file: name, field: "\(path).descriptor.cutoff", message: "must be a positive number of Å") }
        guard width.isFinite, width >= 0, width <= cutoff else { throw InputError(file: name, field: "\(path).descriptor.cutoff_transition_width", message: "must be between 0 and the cutoff") }
        guard theta.isFinite, theta > 0 else { throw InputError(file: name, field: "\(path).theta", message: "must be a positive number of Å") }
        guard delta.isFinite else { throw InputError(file: name, field: "\(path).delta", message: "must be finite") }
        let z1 = try integer(d["Z1"], "\(path).descriptor.Z1")
        let z2 = try integer(d["Z2"], "\(path).descriptor.Z2")
        guard (0...118).contains(z1), (0...118).contains(z2) else { throw InputError(file: name, field: "\(path).descriptor", message: "Z1 and Z2 must be atomic numbers (0 for any)") }
        let points = try doubles(term["sparse_points"], "\(path).sparse_points", count: count)
        return PairDistanceTerm(kernel: PairDistanceKernel(
            cutoffRadius: cutoff, transitionWidth: width, theta: theta, delta: delta,
            species: PairDistanceKernel.SpeciesPair(z1, z2), sparseDistances: points))
    }

    /// An angle_3b term: triplet descriptor and ARD squared-exponential kernel.
    func tripletTerm(_ term: JSONObject, path: String, count: Int) throws -> AngleTripletTerm {
        let d = try object(term["descriptor"], "\(path).descriptor")
        let cutoff = try double(d["cutoff"], "\(path).descriptor.cutoff")
        let width = try double(d["cutoff_transition_width"], "\(path).descriptor.cutoff_transition_width")
        let theta = try doubles(term["theta"], "\(path).theta", count: AngleTripletDescriptor.featureCount)
        let delta = try double(term["delta"], "\(path).delta")
        guard cutoff.isFinite, cutoff > 0 else { throw InputError(file: name, field: "\(path).descriptor.cutoff", message: "must be a positive number of Å") }
        guard width.isFinite, width >= 0, width <= cutoff else { throw InputError(file: name, field: "\(path).descriptor.cutoff_transition_width", message: "must be between 0 and the cutoff") }
        guard theta.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw InputError(file: name, field: "\(path).theta", message: "must be three positive numbers") }
        guard delta.isFinite else { throw InputError(file: name, field: "\(path).delta", message: "must be finite") }
        let z = try ["Z_center", "Z1", "Z2"].map { try integer(d[$0], "\(path).descriptor.\($0)") }
        guard z.allSatisfy({ (0...118).contains($0) }) else { throw InputError(file: name, field: "\(path).descriptor", message: "Z_center, Z1 and Z2 must be atomic numbers (0 for any)") }
        let points = try doubles(term["sparse_points"], "\(path).sparse_points", count: AngleTripletDescriptor.featureCount * count)
        let weights = try doubles(term["sparse_cutoff_weights"], "\(path).sparse_cutoff_weights", count: count)
        let descriptor = AngleTripletDescriptor(cutoffRadius: cutoff, transitionWidth: width, species: SpeciesTriplet(centre: z[0], z[1], z[2]))
        return AngleTripletTerm(kernel: AngleTripletKernel(descriptor: descriptor, theta: theta, delta: delta, sparsePoints: points, sparseWeights: weights))
    }

    /// Where each sparse point came from ([frame, atom], or null for synthetic points).
    func sparseSources(_ list: JSONValue?, path: String) throws -> [SparsePointSource] {
        guard let list else { return [] }
        var sources: [SparsePointSource] = []
        for (k, s) in try array(list, "\(path).sparse_sources").enumerated() {
            switch s.kind {
            case .null: sources.append(.synthetic)
            case .array(let pair) where pair.count == 2:
                sources.append(.environment(
                    frame: try integer(pair[0], "\(path).sparse_sources[\(k)]"),
                    atom: try integer(pair[1], "\(path).sparse_sources[\(k)]")))
            default:
                throw InputError(file: name, line: s.position.line, field: "\(path).sparse_sources[\(k)]", message: "expected [frame, atom] or null")
            }
        }
        return sources
    }

    /// The provenance block: training files with their hashes, seed and data sizes.
    func provenance(_ value: JSONValue?) throws -> ModelProvenance {
        let p = try object(value, "provenance")
        var files: [(String, String)] = []
        for (k, f) in try array(p["training_files"], "provenance.training_files").enumerated() {
            let o = try object(f, "provenance.training_files[\(k)]")
            files.append((try string(o["path"], "path"), try string(o["sha256"], "sha256")))
        }
        let seedText = try string(p["seed"], "provenance.seed")
        guard let seed = UInt64(seedText) else {
            throw InputError(file: name, field: "provenance.seed", message: "expected an unsigned integer in a string")
        }
        return ModelProvenance(
            config: p["config"]?.kind ?? .null, trainingFiles: files, codeVersion: try string(p["code_version"], "provenance.code_version"),
            seed: seed, frameCount: try integer(p["frames"], "provenance.frames"), atomCount: try integer(p["atoms"], "provenance.atoms"),
            observationCount: try integer(p["observations"], "provenance.observations"))
    }

    /// The posterior factor R (packed upper triangle), checked against the terms' `columns`.
    func posteriorFactor(_ value: JSONValue, columns: Int) throws -> PosteriorFactor {
        let o = try object(value, "posterior_factor")
        let size = try integer(o["size"], "posterior_factor.size")
        guard size == columns else {
            throw InputError(file: name, line: value.position.line, field: "posterior_factor.size", message: "is \(size) but the terms have \(columns) sparse points")
        }
        let packed = try doubles(o["packed_upper"], "posterior_factor.packed_upper", count: size * (size + 1) / 2)
        let factor = PosteriorFactor(size: size, packedUpper: packed)
        for i in 0..<size where !(factor.upper[i + i * size].isFinite && factor.upper[i + i * size] != 0) {
            throw InputError(file: name, line: value.position.line, field: "posterior_factor.packed_upper", message: "diagonal element \(i) of R is zero or not finite")
        }
        guard packed.allSatisfy(\.isFinite) else {
            throw InputError(file: name, line: value.position.line, field: "posterior_factor.packed_upper", message: "holds a value that is not finite")
        }
        return factor
    }
}

/// Small typed accessors that turn every malformed field into an ``InputError`` with its path.
struct ModelReader {
    let name: String

    func fail(_ value: JSONValue?, _ path: String, _ message: String) -> InputError {
        InputError(file: name, line: value?.position.line, field: path.isEmpty ? nil : path, message: message)
    }

    func object(_ value: JSONValue?, _ path: String) throws -> JSONObject {
        guard let value else { throw fail(nil, path, "missing") }
        guard case .object(let o) = value.kind else { throw fail(value, path, "expected an object, found \(value.kindDescription)") }
        return o
    }

    func array(_ value: JSONValue?, _ path: String) throws -> [JSONValue] {
        guard let value else { throw fail(nil, path, "missing") }
        guard case .array(let a) = value.kind else { throw fail(value, path, "expected an array, found \(value.kindDescription)") }
        return a
    }

    func string(_ value: JSONValue?, _ path: String) throws -> String {
        guard let value else { throw fail(nil, path, "missing") }
        guard case .string(let s) = value.kind else { throw fail(value, path, "expected a string, found \(value.kindDescription)") }
        return s
    }

    func bool(_ value: JSONValue?, _ path: String) throws -> Bool {
        guard let value else { throw fail(nil, path, "missing") }
        guard case .bool(let b) = value.kind else { throw fail(value, path, "expected true or false, found \(value.kindDescription)") }
        return b
    }

    func double(_ value: JSONValue?, _ path: String) throws -> Double {
        guard let value else { throw fail(nil, path, "missing") }
        guard case .number(let n) = value.kind else { throw fail(value, path, "expected a number, found \(value.kindDescription)") }
        return n.doubleValue
    }

    func integer(_ value: JSONValue?, _ path: String) throws -> Int {
        guard let value else { throw fail(nil, path, "missing") }
        guard case .number(let n) = value.kind, let i = n.exactInteger else { throw fail(value, path, "expected an integer") }
        return i
    }

    func integers(_ value: JSONValue?, _ path: String) throws -> [Int] {
        try array(value, path).enumerated().map { try integer($0.element, "\(path)[\($0.offset)]") }
    }

    func doubles(_ value: JSONValue?, _ path: String, count: Int) throws -> [Double] {
        let text = try string(value, path)
        guard let values = ModelFile.doubles(fromBase64: text) else {
            throw fail(value, path, "expected base64 of little-endian float64 values")
        }
        guard values.count == count else { throw fail(value, path, "holds \(values.count) numbers, expected \(count)") }
        return values
    }

    /// The optimal radial basis and the kept features of a soap descriptor (version 2), or nils
    /// when absent (version 1 models, and version 2 models without them).
    func soapDataDrivenParts(_ value: JSONValue?, _ path: String, hyperparameters h: SOAPHyperparameters) throws -> (RadialContraction?, [Int]?) {
        let o = try object(value, path)
        var contraction: RadialContraction?
        if let basis = o[SOAPKeys.radialBasis.name] {
            let name = try string(basis, "\(path).\(SOAPKeys.radialBasis.name)")
            guard name == "gap" || name == "optimal" else {
                throw fail(basis, "\(path).\(SOAPKeys.radialBasis.name)", "unknown radial basis \"\(name)\" (gap or optimal)")
            }
            if name == "optimal" {
                let primitive = try integer(o[SOAPKeys.primitiveCount.name], "\(path).\(SOAPKeys.primitiveCount.name)")
                let c = try object(o["radial_contraction"], "\(path).radial_contraction")
                let combined = try c["combine_species"].map { try bool($0, "\(path).radial_contraction.combine_species") } ?? false
                let speciesCount = h.neighbourSpecies.count
                let blocks = (combined ? 1 : speciesCount) * (h.lMax + 1)
                let rows = (combined ? speciesCount : 1) * primitive
                guard primitive >= 1, rows >= h.nMax, primitive <= SOAPCalculator.maximumNMax, blocks > 0 else {
                    throw fail(o[SOAPKeys.primitiveCount.name], "\(path).\(SOAPKeys.primitiveCount.name)", "must be between n_max (\(h.nMax)\(combined ? " / species" : "")) and \(SOAPCalculator.maximumNMax)")
                }
                let matrices = try doubles(c["matrices"], "\(path).radial_contraction.matrices", count: blocks * rows * h.nMax)
                let eigenvalues = try doubles(c["eigenvalues"], "\(path).radial_contraction.eigenvalues", count: blocks * rows)
                let environments = try integer(c["environments"], "\(path).radial_contraction.environments")
                do {
                    contraction = try RadialContraction(
                        primitiveCount: primitive, contractedCount: h.nMax, lMax: h.lMax, species: h.neighbourSpecies.sorted(),
                        matrices: matrices, eigenvalues: eigenvalues, environmentCount: environments, combinesSpecies: combined)
                } catch let error as InputError {
                    throw fail(o["radial_contraction"], "\(path).radial_contraction", error.message)
                }
            }
        }
        var selected: [Int]?
        if let list = o["selected_features"] {
            selected = try integers(list, "\(path).selected_features")
        }
        return (contraction, selected)
    }

    /// The density correlation of a term of `type`, with the bispectrum's `pseudoscalars` flag
    /// (version 3; absent means false).
    func correlation(type: String, _ value: JSONValue?, _ path: String) throws -> DensityCorrelation {
        let o = try object(value, path)
        switch type {
        case "radial_spectrum": return .radialSpectrum
        case "bispectrum": return .bispectrum(pseudoscalars: try o["pseudoscalars"].map { try bool($0, "\(path).pseudoscalars") } ?? false)
        default: return .powerSpectrum
        }
    }

    func soapHyperparameters(_ value: JSONValue?, _ path: String) throws -> SOAPHyperparameters {
        let o = try object(value, path)
        var scaling: RadialScaling?
        if let s = o[SOAPKeys.radialScaling.name] {
            let so = try object(s, "\(path).\(SOAPKeys.radialScaling.name)")
            scaling = RadialScaling(c: try double(so["c"], "\(path).\(SOAPKeys.radialScaling.name).c"), r0: try double(so["r0"], "\(path).\(SOAPKeys.radialScaling.name).r0"), m: try double(so["m"], "\(path).\(SOAPKeys.radialScaling.name).m"))
        }
        return SOAPHyperparameters(
            cutoffRadius: try double(o[SOAPKeys.cutoff.name], "\(path).\(SOAPKeys.cutoff.name)"),
            cutoffTransitionWidth: try double(o[SOAPKeys.transitionWidth.name], "\(path).\(SOAPKeys.transitionWidth.name)"),
            nMax: try integer(o[SOAPKeys.nMax.name], "\(path).\(SOAPKeys.nMax.name)"), lMax: try integer(o[SOAPKeys.lMax.name], "\(path).\(SOAPKeys.lMax.name)"),
            atomSigma: try double(o[SOAPKeys.atomSigma.name], "\(path).\(SOAPKeys.atomSigma.name)"),
            centralWeight: try double(o[SOAPKeys.centralWeight.name], "\(path).\(SOAPKeys.centralWeight.name)"),
            normalise: try bool(o[SOAPKeys.normalise.name], "\(path).\(SOAPKeys.normalise.name)"),
            neighbourSpecies: try integers(o[SOAPKeys.neighbourSpecies.name], "\(path).\(SOAPKeys.neighbourSpecies.name)"),
            centreSpecies: try integers(o[SOAPKeys.centreSpecies.name], "\(path).\(SOAPKeys.centreSpecies.name)"), radialScaling: scaling)
    }
}
