import AtomicStructures
import Descriptors
import JSON
import Support
// MARK: - Decoding

extension DecodingContext {
    static let soapTermKeys = SOAPTermConfig.keys.map(\.name)
    static let distanceTermKeys = ["type"] + Distance2BDescriptorConfig.keys + ["theta_uniform", "delta", "n_sparse", "sparse_method", "sparse_file"]
    static let angleTermKeys = ["type"] + Angle3BDescriptorConfig.keys + ["theta_uniform", "delta", "n_sparse", "sparse_method"]

    func descriptorTerm(_ v: JSONValue, path: JSONPath) throws -> DescriptorTermConfig {
        let types = DensityCorrelation.typeNames + ["distance_2b", "angle_3b"]
        let list = types.map { "\"\($0)\"" }.joined(separator: ", ")
        guard case .object(let object) = v.kind else {
            throw error(path, v, "expected a descriptor term (an object with \"type\": one of \(list)), found \(v.kindDescription)")
        }
        guard let typeValue = object["type"] else {
            throw error(path, v, "missing required key \"type\" (one of \(list))")
        }
        let type = try string(typeValue, path: path.key("type"))
        switch type {
        case "soap", "radial_spectrum", "bispectrum":
            let reader = try ObjectReader(v, path: path, context: self, known: DecodingContext.soapTermKeys, what: "a \(type) term")
            return .soap(try soapTerm(reader, type: type))
        case "distance_2b":
            let reader = try ObjectReader(v, path: path, context: self, known: DecodingContext.distanceTermKeys, what: "a distance_2b term")
            return .distance2b(try distanceTerm(reader))
        case "angle_3b":
            let reader = try ObjectReader(v, path: path, context: self, known: DecodingContext.angleTermKeys, what: "an angle_3b term")
            return .angle3b(try angleTerm(reader))
        default:
            var message = "unknown descriptor type \"\(type)\" (supported: \(list))"
            if let hint = closestMatch(to: type, among: types) { message += "; did you mean `\(hint)`?" }
            throw error(path.key("type"), typeValue, message)
        }
    }

    func positive(_ x: Double, _ reader: ObjectReader, _ key: String, unit: String = "") throws -> Double {
        guard x.isFinite, x > 0 else {
            throw error(reader.fieldPath(key), reader.object[key]!, "\(key) must be > 0\(unit), found \(x)")
        }
        return x
    }

    /// Throws the input error for `key` if `value` is outside its range (``SOAPKeys``).
    func check(_ value: Double, _ key: SOAPKey, _ r: ObjectReader) throws {
        if let problem = key.problem(with: value) { throw error(r.fieldPath(key.name), r.object[key.name] ?? r.value, problem) }
    }

    /// Throws the input error for `key` if the integer `value` is outside its range.
    func check(_ value: Int, _ key: SOAPKey, _ r: ObjectReader) throws {
        if let problem = key.problem(with: value) { throw error(r.fieldPath(key.name), r.object[key.name] ?? r.value, problem) }
    }

    /// The density-correlation kind of a term of `type` (`soap`, `radial_spectrum`,
    /// `bispectrum`), reading `pseudoscalars` and refusing the keys that kind does not use.
    func correlation(_ r: ObjectReader, type: String) throws -> DensityCorrelation {
        let key = SOAPKeys.pseudoscalars.name
        let pseudoscalars = try r.optionalBool(key)
        if type != "bispectrum", pseudoscalars != nil {
            throw error(r.fieldPath(key), r.object[key]!, "pseudoscalars is only used by the bispectrum (this term is \(type))")
        }
        if type != "soap" {
            for key in ["n_features", "feature_selection"] where r.has(key) {
                throw error(r.fieldPath(key), r.object[key]!, "\(key) (feature selection) is only available for soap terms (this term is \(type))")
            }
        }
        switch type {
        case "radial_spectrum":
            if r.has("l_max") {
                throw error(r.fieldPath("l_max"), r.object["l_max"]!, "the radial spectrum has no l_max (it is the l = 0 part of the density expansion); remove it")
            }
            return .radialSpectrum
        case "bispectrum": return .bispectrum(pseudoscalars: pseudoscalars ?? false)
        default: return .powerSpectrum
        }
    }

    /// `species_channels`: ≥ 1, QUIP basis only; with `species_mixing` (`pca`, `supervised`) and,
    /// for `supervised`, `supervised_mixing` α (default 0.5).
    func speciesChannels(_ r: ObjectReader, radialBasis: RadialBasisConfig) throws -> (count: Int, supervision: Double?)? {
        typealias K = SOAPKeys
        let key = K.speciesChannels
        let mixingName = try r.optionalString(K.speciesMixing.name)
        guard let k = try r.optionalInteger(key.name) else {
            if mixingName != nil {
                throw error(r.fieldPath(K.speciesMixing.name), r.object[K.speciesMixing.name]!, "species_mixing is only used with species_channels (the number of mixed species channels)")
            }
            return nil
        }
        try check(k, key, r)
        guard radialBasis == .gap else {
            throw error(r.fieldPath(key.name), r.object[key.name]!, "species_channels mixes species on QUIP's radial basis; with radial_basis \"optimal\" use combine_species for a joint species and radial compression")
        }
        let names = ["pca", "supervised"]
        let name = mixingName ?? "pca"
        guard names.contains(name) else {
            var message = "unknown species_mixing \"\(name)\" (allowed: pca, supervised)"
            if let hint = closestMatch(to: name, among: names) { message += "; did you mean `\(hint)`?" }
            throw error(r.fieldPath(K.speciesMixing.name), r.object[K.speciesMixing.name]!, message)
        }
        guard name == "supervised" else {
            if r.has(K.supervisedMixing.name) {
                throw error(r.fieldPath(K.supervisedMixing.name), r.object[K.supervisedMixing.name]!, "supervised_mixing is only used with species_mixing \"supervised\" or radial_basis \"supervised\" (this term mixes species by PCA)")
            }
            return (k, nil)
        }
        let alpha = try r.optionalDouble(K.supervisedMixing.name) ?? K.defaultSupervisedMixing
        try check(alpha, K.supervisedMixing, r)
        return (k, alpha)
    }

    func soapDescriptor(_ r: ObjectReader, type: String = "soap") throws -> SOAPDescriptorConfig {
        typealias K = SOAPKeys
        let correlation = try correlation(r, type: type)
        let cutoff = try r.double(K.cutoff.name, "the SOAP cutoff radius in Å")
        try check(cutoff, K.cutoff, r)
        let width = try transitionWidth(r, cutoff: cutoff, default: K.defaultTransitionWidth)
        let radialBasis = try soapRadialBasis(r)
        let nMax = try soapNMax(r, radialBasis: radialBasis)
        let lMax = correlation == .radialSpectrum ? 0 : try r.integer(K.lMax.name, "the maximum angular momentum")
        try check(lMax, K.lMax, r)
        let atomSigma = try r.double(K.atomSigma.name, "the Gaussian smearing width in Å")
        try check(atomSigma, K.atomSigma, r)
        let centralWeight = try r.optionalDouble(K.centralWeight.name) ?? K.defaultCentralWeight
        try check(centralWeight, K.centralWeight, r)
        let normalise = try r.optionalBool(K.normalise.name) ?? K.defaultNormalise
        let neighbours = try r.optionalValue(K.neighbourSpecies.name).map { try species($0, path: r.fieldPath(K.neighbourSpecies.name)) }
        let centres = try r.optionalValue(K.centreSpecies.name).map { try species($0, path: r.fieldPath(K.centreSpecies.name)) }
        let scaling = try r.optionalValue(K.radialScaling.name).map { try radialScaling($0, r) }
        let selection = try featureSelection(r)
        let channels = try speciesChannels(r, radialBasis: radialBasis)
        let target = try supervisedTarget(r, radialBasis: radialBasis, speciesMixingSupervision: channels?.supervision)
        let sample = try r.optionalInteger(K.basisSample.name) ?? K.defaultBasisSample
        if r.has(K.basisSample.name) {
            guard radialBasis != .gap || selection != nil || channels != nil else {
                throw error(r.fieldPath(K.basisSample.name), r.object[K.basisSample.name]!, "basis_sample is only used with radial_basis \"optimal\", species_channels or n_features (it sizes the sample of training environments they are fitted to)")
            }
            try check(sample, K.basisSample, r)
        }
        return SOAPDescriptorConfig(
            cutoffRadius: cutoff, cutoffTransitionWidth: width, nMax: nMax, lMax: lMax, atomSigma: atomSigma,
            centralWeight: centralWeight, normalise: normalise, neighbourSpecies: neighbours, centreSpecies: centres,
            radialScaling: scaling, radialBasis: radialBasis, featureSelection: selection, sampleSize: sample,
            correlation: correlation, speciesChannels: channels?.count, speciesMixingSupervision: channels?.supervision,
            supervisedTarget: target)
    }

    /// `supervised_target` (`energy`, `energy_forces`): only with a supervised radial basis or
    /// species mixing.
    func supervisedTarget(
        _ r: ObjectReader, radialBasis: RadialBasisConfig, speciesMixingSupervision: Double?
    ) throws -> RadialContraction.Target {
        let key = SOAPKeys.supervisedTarget.name
        guard let name = try r.optionalString(key) else { return SOAPKeys.defaultSupervisedTarget }
        var supervised = speciesMixingSupervision != nil
        if case .optimal(let o) = radialBasis, o.supervisedMixing != nil { supervised = true }
        guard supervised else {
            throw error(r.fieldPath(key), r.object[key]!, "supervised_target is only used with radial_basis \"supervised\" or species_mixing \"supervised\" (it says what their regression fits)")
        }
        guard let target = RadialContraction.Target(rawValue: name) else {
            let names = RadialContraction.Target.allCases.map(\.rawValue)
            var message = "unknown supervised_target \"\(name)\" (allowed: \(names.joined(separator: ", ")))"
            if let hint = closestMatch(to: name, among: names) { message += "; did you mean `\(hint)`?" }
            throw error(r.fieldPath(key), r.object[key]!, message)
        }
        return target
    }

    /// `cutoff_transition_width` (same key and rules for soap and distance_2b terms): at least 0, at
    /// most the cutoff; `defaultWidth` when absent, which must then fit below the cutoff too.
    func transitionWidth(_ r: ObjectReader, cutoff: Double, default defaultWidth: Double) throws -> Double {
        let key = SOAPKeys.transitionWidth
        let width = try r.optionalDouble(key.name) ?? defaultWidth
        if r.has(key.name) {
            try check(width, key, r)
            guard width <= cutoff else {
                throw error(r.fieldPath(key.name), r.object[key.name]!, "cutoff_transition_width must be ≤ cutoff (\(cutoff) Å), found \(width)")
            }
        } else if width > cutoff {
            throw error(r.fieldPath("cutoff"), r.object["cutoff"]!, "cutoff (\(cutoff) Å) is smaller than the default cutoff_transition_width \(width) Å; set cutoff_transition_width")
        }
        return width
    }

    /// `radial_basis` with the keys of the optimal basis (`n_max_primitive`, `retained_variance`,
    /// `combine_species`), which only it may use.
    func soapRadialBasis(_ r: ObjectReader) throws -> RadialBasisConfig {
        typealias K = SOAPKeys
        let name = try r.optionalString(K.radialBasis.name) ?? "gap"
        guard RadialBasisConfig.names.contains(name) else {
            var message = "unknown radial_basis \"\(name)\" (allowed: gap, optimal, supervised)"
            if let hint = closestMatch(to: name, among: RadialBasisConfig.names) { message += "; did you mean `\(hint)`?" }
            throw error(r.fieldPath(K.radialBasis.name), r.object[K.radialBasis.name]!, message)
        }
        let supervised = name == "supervised"
        let optimal = name == "optimal" || supervised
        for key in [K.primitiveCount, K.retainedVariance, K.combineSpecies].map(\.name) where !optimal && r.has(key) {
            throw error(r.fieldPath(key), r.object[key]!, "\(key) is only used with radial_basis \"optimal\" or \"supervised\" (this term uses \"gap\")")
        }
        if !supervised, r.has(K.supervisedMixing.name), !r.has(K.speciesChannels.name) {
            throw error(r.fieldPath(K.supervisedMixing.name), r.object[K.supervisedMixing.name]!, "supervised_mixing is only used with radial_basis \"supervised\" or species_mixing \"supervised\" (this term uses radial_basis \"\(name)\")")
        }
        let retained = try r.optionalDouble(K.retainedVariance.name)
        if let v = retained { try check(v, K.retainedVariance, r) }
        let primitive = try r.optionalInteger(K.primitiveCount.name) ?? K.defaultPrimitiveCount
        if optimal { try check(primitive, K.primitiveCount, r) }
        let combine = try r.optionalBool(K.combineSpecies.name) ?? false
        let mixing = try r.optionalDouble(K.supervisedMixing.name) ?? K.defaultSupervisedMixing
        if supervised { try check(mixing, K.supervisedMixing, r) }
        guard optimal else { return .gap }
        return .optimal(OptimalRadialBasisConfig(
            primitiveCount: primitive, retainedVariance: retained, combinesSpecies: combine, supervisedMixing: supervised ? mixing : nil))
    }

    /// `n_max`: required, except with an optimal basis and `retained_variance` (then an upper limit,
    /// default `n_max_primitive`) unless species are combined.
    func soapNMax(_ r: ObjectReader, radialBasis: RadialBasisConfig) throws -> Int {
        let key = SOAPKeys.nMax
        guard case .optimal(let o) = radialBasis else {
            let nMax = try r.integer(key.name, "the number of radial basis functions")
            try check(nMax, key, r)
            return nMax
        }
        // With retained_variance, n_max is an upper limit and may be omitted (then n_max_primitive),
        // except with combine_species, whose limit depends on the number of species.
        if o.combinesSpecies && !r.has(key.name) {
            throw error(r.fieldPath(key.name), r.value, "missing required key \"n_max\" (with combine_species, the number of shared channels, up to species × n_max_primitive; an upper limit with retained_variance)")
        }
        let nMax = try (o.retainedVariance != nil ? r.optionalInteger(key.name) : nil)
            ?? (o.retainedVariance != nil ? o.primitiveCount : r.integer(key.name, "the number of radial basis functions"))
        try check(nMax, key, r)
        if !o.combinesSpecies, nMax > o.primitiveCount {
            throw error(r.fieldPath(key.name), r.object[key.name]!, "n_max (\(nMax)) must not exceed n_max_primitive (\(o.primitiveCount)): the optimal basis keeps n_max of the n_max_primitive primitive functions")
        }
        return nMax
    }

    /// `radial_scaling` {`c`, `r0`, `m`}, all > 0.
    func radialScaling(_ v: JSONValue, _ r: ObjectReader) throws -> RadialScaling {
        let s = try ObjectReader(v, path: r.fieldPath(SOAPKeys.radialScaling.name), context: self, known: ["c", "r0", "m"], what: "radial_scaling")
        let c = try positive(s.double("c", "the constant c of c / (c + (r/r0)^m)"), s, "c")
        let r0 = try positive(s.double("r0", "the length r0 in Å"), s, "r0", unit: " Å")
        let m = try positive(s.double("m", "the exponent m"), s, "m")
        return RadialScaling(c: c, r0: r0, m: m)
    }

    /// `n_features` with `feature_selection` (which needs it).
    func featureSelection(_ r: ObjectReader) throws -> FeatureSelectionConfig? {
        typealias K = SOAPKeys
        guard let count = try r.optionalInteger(K.featureCount.name) else {
            if r.has(K.featureSelection.name) {
                throw error(r.fieldPath(K.featureSelection.name), r.object[K.featureSelection.name]!, "feature_selection is only used with n_features (the number of power-spectrum components to keep)")
            }
            return nil
        }
        try check(count, K.featureCount, r)
        var method = FeatureSelectionMethod.cur
        if let v = r.optionalValue(K.featureSelection.name) {
            let name = try string(v, path: r.fieldPath(K.featureSelection.name))
            let names = FeatureSelectionMethod.allCases.map(\.rawValue)
            guard let m = FeatureSelectionMethod(rawValue: name) else {
                var message = "unknown feature_selection \"\(name)\" (allowed: \(names.joined(separator: ", ")))"
                if let hint = closestMatch(to: name, among: names) { message += "; did you mean `\(hint)`?" }
                throw error(r.fieldPath(K.featureSelection.name), v, message)
            }
            method = m
        }
        return FeatureSelectionConfig(count: count, method: method)
    }

    func sparsePoints(_ r: ObjectReader, allowed: [SparseMethod], defaultMethod: SparseMethod) throws -> SparsePointsConfig {
        var method = defaultMethod
        if let v = r.optionalValue("sparse_method") {
            let name = try string(v, path: r.fieldPath("sparse_method"))
            let names = allowed.map(\.rawValue)
            guard let m = SparseMethod(rawValue: name), allowed.contains(m) else {
                var message = "unknown sparse_method \"\(name)\" for this term (allowed: \(names.joined(separator: ", ")))"
                if name == "cur_points" { message += "; gap_fit's cur_points is `cur`" }
                else if let hint = closestMatch(to: name, among: names) { message += "; did you mean `\(hint)`?" }
                throw error(r.fieldPath("sparse_method"), v, message)
            }
            method = m
        }
        let count = try r.optionalInteger("n_sparse")
        if let c = count, c < 1 {
            throw error(r.fieldPath("n_sparse"), r.object["n_sparse"]!, "n_sparse must be ≥ 1, found \(c)")
        }
        var file: String?
        if method == .indexFile {
            let f = try r.string("sparse_file", "the file of environment indices used by sparse_method index_file")
            guard !f.isEmpty else { throw error(r.fieldPath("sparse_file"), r.object["sparse_file"]!, "sparse_file must not be empty") }
            file = f
        } else {
            if r.has("sparse_file") {
                throw error(r.fieldPath("sparse_file"), r.object["sparse_file"]!, "sparse_file is only used with sparse_method \"index_file\" (this term uses \"\(method.rawValue)\")")
            }
            guard count != nil else {
                throw error(r.fieldPath("n_sparse"), r.value, "missing required key \"n_sparse\" (the number of sparse points)")
            }
        }
        return SparsePointsConfig(count: count, method: method, file: file)
    }

    func soapTerm(_ r: ObjectReader, type: String = "soap") throws -> SOAPTermConfig {
        let descriptor = try soapDescriptor(r, type: type)
        let delta = try r.double(SOAPTermConfig.deltaKey.name, "the kernel energy scale δ in eV")
        try check(delta, SOAPTermConfig.deltaKey, r)
        let zeta = try r.optionalInteger(SOAPTermConfig.zetaKey.name) ?? SOAPTermConfig.defaultZeta
        // The message says "an integer": zeta is also read from numbers such as 4.0.
        guard zeta >= 1 else { throw error(r.fieldPath("zeta"), r.object["zeta"]!, "zeta must be an integer ≥ 1, found \(zeta)") }
        let sparse = try sparsePoints(r, allowed: [.cur, .curIterative, .fps, .random, .indexFile], defaultMethod: .cur)
        return SOAPTermConfig(descriptor: descriptor, delta: delta, zeta: zeta, sparse: sparse)
    }

    func distanceTerm(_ r: ObjectReader) throws -> Distance2BTermConfig {
        let cutoff = try positive(r.double("cutoff", "the pair cutoff radius in Å"), r, "cutoff", unit: " Å")
        let width = try transitionWidth(r, cutoff: cutoff, default: Distance2BDescriptorConfig.defaultTransitionWidth)
        var pair: Distance2BDescriptorConfig.SpeciesPair?
        switch (r.optionalValue("Z1"), r.optionalValue("Z2")) {
        case (nil, nil): pair = nil
        case (let z1?, let z2?):
            pair = .unordered(try atomicNumber(z1, path: r.fieldPath("Z1")), try atomicNumber(z2, path: r.fieldPath("Z2")))
        case (let z1?, nil):
            throw error(r.fieldPath("Z2"), z1, "Z1 is given but Z2 is not: give both, or neither for every species pair")
        case (nil, let z2?):
            throw error(r.fieldPath("Z1"), z2, "Z2 is given but Z1 is not: give both, or neither for every species pair")
        }
        let theta = try positive(r.double("theta_uniform", "the kernel length scale θ in Å"), r, "theta_uniform", unit: " Å")
        let delta = try positive(r.double("delta", "the kernel energy scale δ in eV"), r, "delta", unit: " eV")
        let sparse = try sparsePoints(r, allowed: [.uniform, .random, .indexFile, .fps, .cur, .curIterative], defaultMethod: .uniform)
        return Distance2BTermConfig(
            descriptor: Distance2BDescriptorConfig(cutoffRadius: cutoff, cutoffTransitionWidth: width, speciesPair: pair),
            theta: theta, delta: delta, sparse: sparse)
    }

    func angleTerm(_ r: ObjectReader) throws -> Angle3BTermConfig {
        let cutoff = try positive(r.double("cutoff", "the cutoff radius of r_ij and r_ik in Å"), r, "cutoff", unit: " Å")
        let width = try transitionWidth(r, cutoff: cutoff, default: Distance2BDescriptorConfig.defaultTransitionWidth)
        let keys = ["Z_center", "Z1", "Z2"]
        let given = keys.filter { r.has($0) }
        var species: SpeciesTriplet?
        if given.count == 3 {
            let z = try keys.map { try atomicNumber(r.object[$0]!, path: r.fieldPath($0)) }
            species = SpeciesTriplet(centre: z[0], min(z[1], z[2]), max(z[1], z[2]))
        } else if let first = given.first {
            let missing = keys.filter { !given.contains($0) }.joined(separator: ", ")
            throw error(r.fieldPath(first), r.object[first]!, "\(given.joined(separator: ", ")) given without \(missing): give Z_center, Z1 and Z2 together, or none for every species combination in the data")
        }
        let theta = try positive(r.double("theta_uniform", "the kernel length scale θ of every feature (Å, and Å² for (r_ij − r_ik)²)"), r, "theta_uniform")
        let delta = try positive(r.double("delta", "the kernel energy scale δ in eV"), r, "delta", unit: " eV")
        let sparse = try sparsePoints(r, allowed: [.uniform, .random, .cur, .curIterative, .fps], defaultMethod: .uniform)
        return Angle3BTermConfig(
            descriptor: Angle3BDescriptorConfig(cutoffRadius: cutoff, cutoffTransitionWidth: width, species: species),
            theta: theta, delta: delta, sparse: sparse)
    }
}
