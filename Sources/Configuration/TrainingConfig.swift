import AtomicStructures
import Descriptors
import JSON
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Noise levels (σ) of the three kinds of labels, as gap_fit's `default_sigma`.
///
/// Units: energy eV, forces eV/Å, virial eV. With `sigma_per_atom` (the default) the energy and
/// virial σ are per atom: a structure of N atoms gets σ·√N.
public struct SigmaTriple: Hashable, Sendable {
    /// Energy σ in eV (per atom with `sigma_per_atom`).
    public var energy: Double
    /// Force σ in eV/Å, per component.
    public var forces: Double
    /// Virial σ in eV (per atom with `sigma_per_atom`), per component.
    public var virial: Double

    /// Creates a σ triple.
    public init(energy: Double, forces: Double, virial: Double) {
        self.energy = energy
        self.forces = forces
        self.virial = virial
    }
}

/// Where the per-species reference energies e0 (eV) come from.
public enum E0Spec: Hashable, Sendable {
    /// Given per species (JSON `{"Si": -158.54}`), keyed by atomic number.
    case perSpecies([Int: Double])
    /// The energies of single-atom frames in the training data (JSON `"isolated"`); every species
    /// needs one such frame.
    case isolatedAtoms
    /// The average energy per atom of the training data, the same for every species
    /// (JSON `"average"`, gap_fit's `e0_method=average`).
    case averagePerAtom
    /// Fitted per species by least squares of the labelled frames' energies per atom on their
    /// composition (fraction of each species), before the GP is fitted (JSON `"fit"`; not in
    /// gap_fit). With one species it equals `average`.
    case leastSquares
}

/// Names of optional per-frame σ overrides in the data (gap_fit's `*_sigma_parameter_name`).
/// A frame that carries such a key uses its value (absolute, never scaled per atom) instead of
/// the config's σ. nil disables a key.
public struct SigmaKeys: Hashable, Sendable {
    /// Header key of a frame's energy σ in eV (default `energy_sigma`).
    public var energy: String?
    /// Header key of a frame's force σ in eV/Å (default `force_sigma`).
    public var forces: String?
    /// Header key of a frame's virial σ in eV (default `virial_sigma`).
    public var virial: String?
    /// Per-atom column of force σ in eV/Å (default `force_atom_sigma`).
    public var forcesPerAtom: String?

    /// Creates σ keys; the defaults are gap_fit's names.
    public init(
        energy: String? = "energy_sigma", forces: String? = "force_sigma", virial: String? = "virial_sigma",
        forcesPerAtom: String? = "force_atom_sigma"
    ) {
        self.energy = energy
        self.forces = forces
        self.virial = virial
        self.forcesPerAtom = forcesPerAtom
    }
}

/// Which frames to train on.
public enum TrainingSet: Hashable, Sendable {
    /// Every frame of these extended XYZ files (`train_files`), paths as written in the config.
    case files([String])
    /// One part (`"train"` or `"test"`) of a split file (`train_split`), path as written.
    case split(file: String, part: String)
}

/// The frames of one file to read: all of them, or the listed 0-based frame indices in order.
public struct FrameSource: Hashable, Sendable {
    /// The file path, resolved (usable from the working directory).
    public var path: String
    /// 0-based frame indices, or nil for every frame.
    public var frames: [Int]?

    /// Creates a frame source.
    public init(path: String, frames: [Int]?) {
        self.path = path
        self.frames = frames
    }
}

/// A training run, declared in a JSON file (comments allowed) and validated before any work.
///
/// See `docs/config.md` for every key with its unit and default. Relative paths in the file
/// (`train_files`, `train_split`, `sparse_file`, `output`) are relative to the directory of the
/// config file, so a config and its data can move together.
public struct TrainingConfig: Hashable, Sendable {
    /// The frames to train on.
    public var trainingSet: TrainingSet
    /// Which keys hold energies, forces, virials, stresses and config types (`label_keys`).
    public var labelKeys: LabelKeys
    /// Reference energies per species (`e0`, default `"average"`).
    public var e0: E0Spec
    /// Added to every species' e0, eV per atom (`e0_offset`, default 0, gap_fit's `e0_offset`).
    public var e0Offset: Double
    /// The model's terms (`descriptors`, at least one).
    public var descriptors: [DescriptorTermConfig]
    /// Default label noise (`default_sigma`).
    public var defaultSigma: SigmaTriple
    /// Label noise per config type (`config_type_sigma`); components not given there take the default.
    public var configTypeSigma: [String: SigmaTriple]
    /// Whether energy and virial σ are per atom, scaled by √N (`sigma_per_atom`, default true as gap_fit).
    public var sigmaPerAtom: Bool
    /// Per-frame σ override keys (`sigma_keys`).
    public var sigmaKeys: SigmaKeys
    /// Jitter added to the diagonal of the sparse covariance (`sparse_jitter`, default 1e-8, ≥ 0).
    public var sparseJitter: Double
    /// Seed of every random choice (`seed`, default 1, integer ≥ 0).
    public var seed: UInt64
    /// Where the model is written (`output`, default `model.gapjson`), as written in the config.
    public var output: String
    /// Worker threads (`threads`); nil uses every core.
    public var threads: Int?
    /// Free text kept with the model (`description`).
    public var runDescription: String?
    /// Whether the model stores the posterior factor R of the coefficients (`uncertainty`,
    /// default false), which `gap-predict --uncertainty` needs for predictive standard
    /// deviations. Costs M(M+1)/2 doubles in the model file (M = total sparse points).
    public var storesUncertainty: Bool = false

    /// The config file's name as given, used in messages.
    public var sourceName: String
    /// The directory relative paths are resolved against ("" for the working directory).
    public var baseDirectory: String

    /// The default label noise when `default_sigma` is omitted: gap_fit's GAP-18 values.
    package static let defaultSigmaValues = SigmaTriple(energy: 0.001, forces: 0.1, virial: 0.05)

    /// The keys accepted at the top level.
    static let topLevelKeys = [
        "train_files", "train_split", "label_keys", "e0", "e0_offset", "descriptors", "default_sigma",
        "config_type_sigma", "sigma_per_atom", "sigma_keys", "sparse_jitter", "seed", "output", "threads",
        "description", "uncertainty",
    ]

    // MARK: - Loading

    /// Reads and validates the config file at `path`.
    ///
    /// Checks everything that can be checked without reading the training data, including that
    /// every referenced file exists. Throws an ``InputError`` naming the file, line and JSON path.
    public static func load(path: String) throws -> TrainingConfig {
        let bytes = try readFile(path, what: "config file")
        return try parse(bytes: bytes, name: path, baseDirectory: directoryName(of: path))
    }

    /// Parses and validates a config from memory.
    ///
    /// - Parameters:
    ///   - name: the name used in errors (usually the path).
    ///   - baseDirectory: the directory relative paths are resolved against.
    ///   - checkFiles: whether to check that referenced files exist (tests of in-memory configs turn it off).
    public static func parse(bytes: [UInt8], name: String, baseDirectory: String, checkFiles: Bool = true) throws -> TrainingConfig {
        let root = try JSONParser.parse(bytes, fileName: name)
        let context = DecodingContext(fileName: name)
        var config = try decode(root, context: context, name: name, baseDirectory: baseDirectory)
        if checkFiles { try config.checkReferencedFiles(root: root, context: context) }
        config.sourceName = name
        return config
    }

    /// Reads a density descriptor (soap, radial_spectrum or bispectrum) for `gap-features`:
    /// either a bare descriptor object (the keys of such a term, `type` defaulting to soap;
    /// `delta`, `zeta` and the sparse keys are accepted and ignored) or a training config, whose
    /// first such term is taken.
    public static func loadSOAPDescriptor(path: String) throws -> SOAPDescriptorConfig {
        let bytes = try readFile(path, what: "descriptor file")
        return try parseSOAPDescriptor(bytes: bytes, name: path)
    }

    /// Parses a density descriptor from memory; see ``loadSOAPDescriptor(path:)``.
    public static func parseSOAPDescriptor(bytes: [UInt8], name: String) throws -> SOAPDescriptorConfig {
        let root = try JSONParser.parse(bytes, fileName: name)
        let context = DecodingContext(fileName: name)
        if case .object(let object) = root.kind, object["descriptors"] != nil {
            let config = try decode(root, context: context, name: name, baseDirectory: "")
            for term in config.descriptors {
                if case .soap(let soap) = term { return soap.descriptor }
            }
            throw context.error(JSONPath.root.key("descriptors"), object["descriptors"]!, "the training config has no soap term (nor a radial_spectrum or bispectrum term)")
        }
        let reader = try ObjectReader(root, path: .root, context: context, known: DecodingContext.soapTermKeys, what: "a density descriptor")
        var type = "soap"
        if let t = reader.optionalValue("type") {
            type = try context.string(t, path: reader.fieldPath("type"))
            guard DensityCorrelation.typeNames.contains(type) else {
                throw context.error(reader.fieldPath("type"), t, "expected one of \(DensityCorrelation.typeNames.map { "\"\($0)\"" }.joined(separator: ", ")), found \"\(type)\"")
            }
        }
        return try context.soapDescriptor(reader, type: type)
    }

    // MARK: - Resolution against the data

    /// Resolves a path from the config against ``baseDirectory``.
    public func resolvePath(_ path: String) -> String {
        TrainingConfig.join(baseDirectory, path)
    }

    /// The resolved output path.
    public var resolvedOutput: String { resolvePath(output) }

    /// Every file the config makes a run read, paths resolved: the config itself, the split file
    /// if any, the training files, and the sparse-point index files. Outputs must be none of them.
    ///
    /// - Throws: ``InputError`` if the split file cannot be read.
    public func inputFiles() throws -> [String] {
        var files = [sourceName]
        if case .split(let file, _) = trainingSet { files.append(resolvePath(file)) }
        files += try trainingFrames().map(\.path)
        files += descriptors.compactMap { $0.sparse.file.map(resolvePath) }
        return files
    }

    /// The files and frames to read, with paths resolved. For a split, frames are grouped by file
    /// in order of first appearance; within a file they keep the split's order.
    public func trainingFrames() throws -> [FrameSource] {
        switch trainingSet {
        case .files(let files):
            return files.map { FrameSource(path: resolvePath($0), frames: nil) }
        case .split(let file, let part):
            return try FrameSplit.load(path: resolvePath(file)).frames(part: part)
        }
    }

    /// The model's terms with species lists resolved against the species found in the training
    /// data (`speciesPresent`, atomic numbers). A `distance_2b` term without `Z1`/`Z2` becomes one
    /// term per species pair, an `angle_3b` term without `Z_center`/`Z1`/`Z2` one per centre
    /// species and pair of neighbour species.
    ///
    /// Throws when the data has no atoms, or when a term lists centre species none of which
    /// occur in the data (it would have no environments).
    public func resolvedTerms(speciesPresent: [Int]) throws -> [ResolvedDescriptorTerm] {
        let present = Array(Set(speciesPresent)).sorted()
        guard !present.isEmpty else {
            throw InputError(file: sourceName, message: "the training data contains no atoms")
        }
        var result: [ResolvedDescriptorTerm] = []
        for (i, term) in descriptors.enumerated() {
            switch term {
            case .soap(let t):
                let h = t.descriptor.hyperparameters(speciesPresent: present)
                guard h.centreSpecies.contains(where: present.contains) else {
                    throw InputError(
                        file: sourceName, field: "descriptors[\(i)].Z",
                        message: "none of the centre species \(symbols(h.centreSpecies)) occurs in the training data (species present: \(symbols(present)))")
                }
                result.append(.soap(h, term: t))
            case .distance2b(let t):
                for pair in t.descriptor.speciesPairs(speciesPresent: present) {
                    result.append(.distance2b(pair, term: t))
                }
            case .angle3b(let t):
                for triplet in t.descriptor.speciesTriplets(speciesPresent: present) {
                    result.append(.angle3b(triplet, term: t))
                }
            }
        }
        return result
    }

    /// The σ for frames of `configType` (nil: no config type), before any per-atom scaling.
    public func sigma(forConfigType configType: String?) -> SigmaTriple {
        configType.flatMap { configTypeSigma[$0] } ?? defaultSigma
    }

    /// Checks that per-species e0 values cover every species in the data.
    public func checkE0Coverage(speciesPresent: [Int]) throws {
        guard case .perSpecies(let table) = e0 else { return }
        let missing = Set(speciesPresent).subtracting(table.keys).sorted()
        if !missing.isEmpty {
            throw InputError(
                file: sourceName, field: "e0",
                message: "no e0 given for \(symbols(missing)), which occur in the training data; add them to e0 or use \"isolated\" or \"average\"")
        }
    }

    // MARK: - Decoding

    static func decode(_ root: JSONValue, context: DecodingContext, name: String, baseDirectory: String) throws -> TrainingConfig {
        let r = try ObjectReader(root, path: .root, context: context, known: topLevelKeys, what: "a training config")

        let trainingSet = try decodeTrainingSet(r, root: root, context: context)
        let labelKeys = try decodeLabelKeys(r, context: context)
        let e0 = try decodeE0(r, context: context)
        let e0Offset = try r.optionalDouble("e0_offset") ?? 0

        // Terms.
        let termsValue = try r.requiredValue("descriptors", "the list of model terms, e.g. [{\"type\": \"soap\", ...}]")
        let termsPath = r.fieldPath("descriptors")
        let termValues = try context.array(termsValue, path: termsPath, of: "descriptor terms")
        guard !termValues.isEmpty else { throw context.error(termsPath, termsValue, "descriptors must contain at least one term") }
        let descriptors = try termValues.enumerated().map { try context.descriptorTerm($0.element, path: termsPath.element($0.offset)) }

        // Noise.
        let defaultSigma = try r.optionalValue("default_sigma").map {
            try context.sigmaTriple($0, path: r.fieldPath("default_sigma"), defaults: nil)
        } ?? defaultSigmaValues
        let configTypeSigma = try decodeConfigTypeSigma(r, context: context, defaults: defaultSigma)
        let sigmaPerAtom = try r.optionalBool("sigma_per_atom") ?? true
        let sigmaKeys = try decodeSigmaKeys(r, context: context)

        // Numerics and run options.
        let sparseJitter = try r.optionalDouble("sparse_jitter") ?? 1e-8
        guard sparseJitter >= 0 else {
            throw context.error(r.fieldPath("sparse_jitter"), r.object["sparse_jitter"]!, "sparse_jitter must be ≥ 0, found \(sparseJitter)")
        }
        let seed = try r.optionalInteger("seed") ?? 1
        guard seed >= 0 else { throw context.error(r.fieldPath("seed"), r.object["seed"]!, "seed must be ≥ 0, found \(seed)") }
        let output = try r.optionalString("output") ?? "model.gapjson"
        guard !output.isEmpty else { throw context.error(r.fieldPath("output"), r.object["output"]!, "output must not be empty") }
        let threads = try r.optionalInteger("threads")
        if let t = threads, t < 1 {
            throw context.error(r.fieldPath("threads"), r.object["threads"]!, "threads must be ≥ 1 (or null for every core), found \(t)")
        }
        let description = try r.optionalString("description")
        let uncertainty = try r.optionalBool("uncertainty") ?? false

        return TrainingConfig(
            trainingSet: trainingSet, labelKeys: labelKeys, e0: e0, e0Offset: e0Offset, descriptors: descriptors,
            defaultSigma: defaultSigma, configTypeSigma: configTypeSigma, sigmaPerAtom: sigmaPerAtom,
            sigmaKeys: sigmaKeys, sparseJitter: sparseJitter, seed: UInt64(seed), output: output, threads: threads,
            runDescription: description, storesUncertainty: uncertainty, sourceName: name, baseDirectory: baseDirectory)
    }

    /// train_files (a list of distinct paths) or train_split (a split file and its part).
    static func decodeTrainingSet(_ r: ObjectReader, root: JSONValue, context: DecodingContext) throws -> TrainingSet {
        switch (r.optionalValue("train_files"), r.optionalValue("train_split")) {
        case (let files?, nil):
            let path = r.fieldPath("train_files")
            let list = try context.array(files, path: path, of: "file paths")
            guard !list.isEmpty else { throw context.error(path, files, "train_files must list at least one file") }
            var names: [String] = []
            for (i, v) in list.enumerated() {
                let f = try context.string(v, path: path.element(i))
                guard !f.isEmpty else { throw context.error(path.element(i), v, "empty file name") }
                if let j = names.firstIndex(of: f) {
                    throw context.error(path.element(i), v, "\"\(f)\" is listed twice (also train_files[\(j)])")
                }
                names.append(f)
            }
            return .files(names)
        case (nil, let split?):
            let s = try ObjectReader(split, path: r.fieldPath("train_split"), context: context, known: ["file", "part"], what: "train_split")
            let file = try s.string("file", "the split file")
            let part = try s.optionalString("part") ?? "train"
            guard part == "train" || part == "test" else {
                throw context.error(s.fieldPath("part"), s.object["part"]!, "part must be \"train\" or \"test\", found \"\(part)\"")
            }
            return .split(file: file, part: part)
        case (_?, _?):
            throw context.error(r.fieldPath("train_split"), r.object["train_split"]!, "give either train_files or train_split, not both")
        case (nil, nil):
            throw context.error(.root, root, "missing required key \"train_files\" (the extended XYZ files to train on) or \"train_split\"")
        }
    }

    /// label_keys: the header keys and columns labels are read from.
    static func decodeLabelKeys(_ r: ObjectReader, context: DecodingContext) throws -> LabelKeys {
        var labelKeys = LabelKeys()
        if let v = r.optionalValue("label_keys") {
            let l = try ObjectReader(v, path: r.fieldPath("label_keys"), context: context,
                                     known: ["energy", "forces", "virial", "stress", "config_type"], what: "label_keys")
            func names(_ key: String) throws -> [String]? {
                try l.optionalValue(key).map { try context.stringList($0, path: l.fieldPath(key)) }
            }
            if let x = try names("energy") { labelKeys.energy = x }
            if let x = try names("forces") { labelKeys.forces = x }
            if let x = try names("virial") { labelKeys.virial = x }
            if let x = try names("stress") { labelKeys.stress = x }
            if let x = try names("config_type") { labelKeys.configType = x }
        }
        return labelKeys
    }

    /// e0: "isolated", "average", "fit" or per-species numbers.
    static func decodeE0(_ r: ObjectReader, context: DecodingContext) throws -> E0Spec {
        var e0 = E0Spec.averagePerAtom
        if let v = r.optionalValue("e0") {
            let path = r.fieldPath("e0")
            switch v.kind {
            case .string(let s):
                switch s {
                case "isolated": e0 = .isolatedAtoms
                case "average": e0 = .averagePerAtom
                case "fit": e0 = .leastSquares
                default:
                    var message = "unknown e0 method \"\(s)\" (use \"isolated\", \"average\", \"fit\" or per-species numbers like {\"Si\": -158.54})"
                    if let hint = closestMatch(to: s, among: ["isolated", "average", "fit"]) { message += "; did you mean `\(hint)`?" }
                    throw context.error(path, v, message)
                }
            case .object(let object):
                guard !object.members.isEmpty else { throw context.error(path, v, "e0 lists no species") }
                var table: [Int: Double] = [:]
                for m in object.members {
                    let z = try context.atomicNumber(JSONValue(.string(m.key), at: m.keyPosition), path: path.key(m.key))
                    let x = try context.double(m.value, path: path.key(m.key))
                    if table[z] != nil {
                        throw context.error(path.key(m.key), at: m.keyPosition, "species \(m.key) is given twice")
                    }
                    table[z] = x
                }
                e0 = .perSpecies(table)
            case .number(let n):
                throw context.error(path, v, "expected per-species values such as {\"Si\": \(n.literal)}, \"isolated\", \"average\" or \"fit\", found a bare number")
            default:
                throw context.error(path, v, "expected per-species values such as {\"Si\": -158.54}, \"isolated\", \"average\" or \"fit\", found \(v.kindDescription)")
            }
        }
        return e0
    }

    /// config_type_sigma: per config type σ, missing members taken from `defaults`.
    static func decodeConfigTypeSigma(_ r: ObjectReader, context: DecodingContext, defaults defaultSigma: SigmaTriple) throws -> [String: SigmaTriple] {
        var configTypeSigma: [String: SigmaTriple] = [:]
        if let v = r.optionalValue("config_type_sigma") {
            let path = r.fieldPath("config_type_sigma")
            guard case .object(let object) = v.kind else {
                throw context.error(path, v, "expected an object of config types, e.g. {\"liq\": {\"energy\": 0.003, ...}}, found \(v.kindDescription)")
            }
            for m in object.members {
                configTypeSigma[m.key] = try context.sigmaTriple(m.value, path: path.key(m.key), defaults: defaultSigma)
            }
        }
        return configTypeSigma
    }

    /// sigma_keys: per-frame σ keys (gap_fit's names by default; null disables one).
    static func decodeSigmaKeys(_ r: ObjectReader, context: DecodingContext) throws -> SigmaKeys {
        var sigmaKeys = SigmaKeys()
        if let v = r.optionalValue("sigma_keys") {
            let s = try ObjectReader(v, path: r.fieldPath("sigma_keys"), context: context,
                                     known: ["energy", "forces", "virial", "forces_per_atom"], what: "sigma_keys")
            // An explicit null disables a key; an absent key keeps gap_fit's default name.
            func key(_ name: String, _ current: String?) throws -> String? {
                guard let member = s.object.member(name) else { return current }
                if case .null = member.value.kind { return nil }
                let text = try context.string(member.value, path: s.fieldPath(name))
                guard !text.isEmpty else { throw context.error(s.fieldPath(name), member.value, "empty key name (use null to disable)") }
                return text
            }
            sigmaKeys.energy = try key("energy", sigmaKeys.energy)
            sigmaKeys.forces = try key("forces", sigmaKeys.forces)
            sigmaKeys.virial = try key("virial", sigmaKeys.virial)
            sigmaKeys.forcesPerAtom = try key("forces_per_atom", sigmaKeys.forcesPerAtom)
        }
        return sigmaKeys
    }

    /// Checks that every referenced input file exists, pointing at the line that names it.
    func checkReferencedFiles(root: JSONValue, context: DecodingContext) throws {
        guard case .object(let object) = root.kind else { return }
        func check(_ path: String, _ field: JSONPath, _ value: JSONValue, _ what: String) throws {
            let resolved = resolvePath(path)
            guard isReadableFile(resolved) else {
                var message = "\(what) \"\(resolved)\" does not exist or is not a readable file"
                if !baseDirectory.isEmpty && !path.hasPrefix("/") { message += " (paths are relative to the config's directory \"\(baseDirectory)\")" }
                throw context.error(field, value, message)
            }
        }
        switch trainingSet {
        case .files(let files):
            if case .array(let values)? = object["train_files"]?.kind {
                for (i, f) in files.enumerated() {
                    try check(f, JSONPath.root.key("train_files").element(i), values[i], "training file")
                }
            }
        case .split(let file, let part):
            let value = object["train_split"]!
            try check(file, JSONPath.root.key("train_split").key("file"), value, "split file")
            // Validate the split itself (structure and referenced files) before any work.
            do {
                let frames = try FrameSplit.load(path: resolvePath(file)).frames(part: part)
                for source in frames where !isReadableFile(source.path) {
                    throw InputError(file: resolvePath(file), field: "frames", message: "the split refers to \"\(source.path)\", which does not exist or is not readable")
                }
            }
        }
        if case .array(let terms)? = object["descriptors"]?.kind {
            for (i, term) in descriptors.enumerated() {
                if let f = term.sparse.file, case .object(let t) = terms[i].kind, let v = t["sparse_file"] {
                    try check(f, JSONPath.root.key("descriptors").element(i).key("sparse_file"), v, "sparse index file")
                }
            }
        }
    }

    // MARK: - Paths and files

    /// `path` resolved against `base` (absolute paths are kept).
    static func join(_ base: String, _ path: String) -> String {
        if path.hasPrefix("/") || base.isEmpty || base == "." { return path }
        return normalised(base.hasSuffix("/") ? base + path : base + "/" + path)
    }

    /// Removes `.` components and `name/..` pairs lexically (as Python's os.path.normpath), so
    /// that messages show `model.gapjson` rather than `configs/../model.gapjson`.
    static func normalised(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute, parts.isEmpty { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The directory part of `path` ("" for a bare file name).
    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}

func symbols(_ zs: [Int]) -> String {
    zs.map { Element(atomicNumber: $0)?.symbol ?? "Z=\($0)" }.joined(separator: ", ")
}

extension DecodingContext {
    /// A σ triple {"energy", "forces", "virial"}; with `defaults`, missing components take them.
    func sigmaTriple(_ v: JSONValue, path: JSONPath, defaults: SigmaTriple?) throws -> SigmaTriple {
        let r = try ObjectReader(v, path: path, context: self, known: ["energy", "forces", "virial"], what: "a sigma triple")
        func component(_ key: String, _ unit: String, _ fallback: Double?) throws -> Double {
            let x: Double
            if let fallback {
                x = try r.optionalDouble(key) ?? fallback
            } else {
                x = try r.double(key, "σ in \(unit)")
            }
            if r.has(key) {
                guard x.isFinite, x > 0 else { throw error(r.fieldPath(key), r.object[key]!, "sigmas must be > 0 (\(unit)), found \(x)") }
            }
            return x
        }
        return SigmaTriple(
            energy: try component("energy", "eV", defaults?.energy),
            forces: try component("forces", "eV/Å", defaults?.forces),
            virial: try component("virial", "eV", defaults?.virial))
    }
}

/// Whether `path` names an existing regular file that can be read.
func isReadableFile(_ path: String) -> Bool {
    var info = stat()
    guard stat(path, &info) == 0 else { return false }
    return (info.st_mode & S_IFMT) == S_IFREG && access(path, R_OK) == 0
}
