import AtomicStructures
import Descriptors
import Foundation
import JSON
import Kernels
import Prediction
import Support

/// The version of this package, recorded in every model it writes.
public let swiftGAPVersion = "0.1.0"

/// Where a sparse point came from: a training environment (0-based frame and atom, in training
/// order), or a synthetic point (for example a uniform grid of distances).
public enum SparsePointSource: Hashable, Sendable {
    case environment(frame: Int, atom: Int)
    case synthetic
}

/// How a model was made: enough to reproduce it and to check it was made from the data you think.
public struct ModelProvenance: Sendable {
    /// The training config, canonical JSON (paths as written in the config).
    public var config: JSONValue.Kind
    /// Training files as read (path as resolved) with their SHA-256.
    public var trainingFiles: [(path: String, sha256: String)]
    /// The package version that wrote the model.
    package var codeVersion: String
    /// The seed of every random choice.
    public var seed: UInt64
    /// Number of training frames and atoms, and observations (design-matrix rows).
    public var frameCount: Int
    public var atomCount: Int
    public var observationCount: Int

    /// Creates a provenance record.
    public init(
        config: JSONValue.Kind, trainingFiles: [(path: String, sha256: String)], codeVersion: String = swiftGAPVersion,
        seed: UInt64, frameCount: Int, atomCount: Int, observationCount: Int
    ) {
        self.config = config
        self.trainingFiles = trainingFiles
        self.codeVersion = codeVersion
        self.seed = seed
        self.frameCount = frameCount
        self.atomCount = atomCount
        self.observationCount = observationCount
    }
}

/// A versioned, self-contained model file: everything needed to predict (hyper-parameters, sparse
/// points, α, e0) plus provenance. No time stamps, so the same fit always gives the same bytes.
///
/// Format (JSON, keys sorted): `format` = "swiftgap-model", `version` (integer), `e0` (symbol →
/// eV), `terms` (each with `type`, its descriptor and kernel settings, `sparse_count`,
/// `sparse_points` and `alpha` as base64 of little-endian float64, and `sparse_sources`),
/// `provenance`. Large arrays are base64 so that values round-trip bit for bit and files stay
/// compact; scalars are decimal (shortest round-trip form).
///
/// Version 2 adds, in a soap term's `descriptor`, the data-driven parts: `radial_basis`
/// ("optimal"), `n_max_primitive` and `radial_contraction` {`matrices` (the P x n_max matrices
/// U per species and l, base64 float64, species then l, each row-major), `eigenvalues` (P per
/// species and l, descending, base64 float64), `environments`, and `combine_species`: true when
/// one (species · P) x n_max matrix per l mixes the species}; and `selected_features` (the
/// kept power-spectrum components, a JSON array of integers into the full layout). Version 2
/// was written only for models with them (version 1 otherwise).
///
/// Version 3 (every model written now) adds the `checksum` line (``ModelChecksum``): the
/// SHA-256 of the file without that line, verified before anything is parsed. Loading also
/// checks the model's consistency (species of every term have e0, counts agree, numbers are
/// finite). Versions 1 and 2 still load, with ``integrityNote`` saying they carry no checksum.
///
/// An `angle_3b` term (any version from 3 on; older readers refuse it as an unknown term type,
/// so it needs no new version) has `descriptor` {`cutoff`, `cutoff_transition_width`,
/// `Z_center`, `Z1`, `Z2`}, `theta` (the three length scales), `delta`, `sparse_points` (M x 3
/// row-major) and `sparse_cutoff_weights` (M), arrays as base64 float64.
///
/// Optional at the top level in any version: `posterior_factor` {`size` (M, all terms' sparse
/// points), `packed_upper` (base64 float64, the upper triangle of R packed by columns, M(M+1)/2
/// numbers)}, written by fits with `"uncertainty": true` (see ``PosteriorFactor``). Readers that
/// ignore it still predict energies and forces correctly, so it needs no new version.
public struct ModelFile: Sendable {
    /// The format name in every model file.
    package static let formatName = "swiftgap-model"
    /// The schema version written by this code; loading accepts 1 ... this.
    package static let currentVersion = 3

    /// The fitted potential.
    public var potential: Potential
    /// Where each term's sparse points came from (empty arrays if unknown).
    public var sparseSources: [[SparsePointSource]]
    /// How the model was made.
    public var provenance: ModelProvenance
    /// Set by loading when the file's integrity could not be verified (a version 1 or 2 file,
    /// or a gap_fit XML): a one-line note for the user. Nil for checksummed files.
    public var integrityNote: String?

    /// Creates a model file.
    public init(potential: Potential, sparseSources: [[SparsePointSource]], provenance: ModelProvenance) {
        self.potential = potential
        self.sparseSources = sparseSources
        self.provenance = provenance
    }

    // MARK: - Writing

    /// The model as canonical JSON text.
    public func encoded() -> String {
        var e0: [(String, JSONValue.Kind)] = []
        for z in potential.e0.keys.sorted() {
            e0.append((Element(atomicNumber: z)?.symbol ?? "\(z)", JSONWriter.number(potential.e0[z]!)))
        }
        var terms: [JSONValue.Kind] = []
        for (t, term) in potential.terms.enumerated() {
            var fields: [(String, JSONValue.Kind)] = [
                ("alpha", .string(ModelFile.base64(potential.alphas[t]))),
                ("sparse_count", JSONWriter.number(term.sparseCount)),
                ("sparse_sources", ModelFile.encodeSources(t < sparseSources.count ? sparseSources[t] : [])),
            ]
            if let soap = term as? SOAPTerm {
                fields += [
                    ("type", .string(soap.calculator.correlation.typeName)),
                    ("descriptor", ModelFile.encode(soap.calculator)),
                    ("delta", JSONWriter.number(soap.kernel.delta)),
                    ("zeta", JSONWriter.number(soap.kernel.zeta)),
                    ("feature_count", JSONWriter.number(soap.kernel.featureCount)),
                    ("sparse_points", .string(ModelFile.base64(soap.kernel.sparsePoints))),
                ]
            } else if let pair = term as? PairDistanceTerm {
                let k = pair.kernel
                fields += [
                    ("type", .string("distance_2b")),
                    ("descriptor", JSONWriter.object([
                        ("cutoff", JSONWriter.number(k.cutoffRadius)),
                        ("cutoff_transition_width", JSONWriter.number(k.transitionWidth)),
                        ("Z1", JSONWriter.number(k.species.z1)),
                        ("Z2", JSONWriter.number(k.species.z2)),
                    ])),
                    ("theta", JSONWriter.number(k.theta)),
                    ("delta", JSONWriter.number(k.delta)),
                    ("sparse_points", .string(ModelFile.base64(k.sparseDistances))),
                ]
            } else if let triplet = term as? AngleTripletTerm {
                let k = triplet.kernel
                fields += [
                    ("type", .string("angle_3b")),
                    ("descriptor", JSONWriter.object([
                        ("cutoff", JSONWriter.number(k.cutoffRadius)),
                        ("cutoff_transition_width", JSONWriter.number(k.descriptor.transitionWidth)),
                        ("Z_center", JSONWriter.number(k.species.centre)),
                        ("Z1", JSONWriter.number(k.species.z1)),
                        ("Z2", JSONWriter.number(k.species.z2)),
                    ])),
                    ("theta", .string(ModelFile.base64(k.theta))),
                    ("delta", JSONWriter.number(k.delta)),
                    ("sparse_points", .string(ModelFile.base64(k.sparsePoints))),
                    ("sparse_cutoff_weights", .string(ModelFile.base64(k.sparseWeights))),
                ]
            } else {
                preconditionFailure("no model-file encoding for term \(term.name)")
            }
            terms.append(JSONWriter.object(fields))
        }
        let p = provenance
        let provenanceValue = JSONWriter.object([
            ("config", p.config),
            ("training_files", JSONWriter.array(p.trainingFiles.map {
                JSONWriter.object([("path", .string($0.path)), ("sha256", .string($0.sha256))])
            })),
            ("code_version", .string(p.codeVersion)),
            ("seed", .string(String(p.seed))),
            ("frames", JSONWriter.number(p.frameCount)),
            ("atoms", JSONWriter.number(p.atomCount)),
            ("observations", JSONWriter.number(p.observationCount)),
        ])
        var top: [(String, JSONValue.Kind)] = [
            ("format", .string(ModelFile.formatName)),
            ("version", JSONWriter.number(formatVersion)),
            ("e0", JSONWriter.object(e0)),
            ("terms", JSONWriter.array(terms)),
            ("provenance", provenanceValue),
        ]
        // Only when kept, so that models without it are byte for byte as before.
        if let factor = potential.posteriorFactor {
            top.append(("posterior_factor", JSONWriter.object([
                ("size", JSONWriter.number(factor.size)),
                ("packed_upper", .string(ModelFile.base64(factor.packedUpper))),
            ])))
        }
        return ModelChecksum.seal(JSONWriter.write(JSONWriter.object(top)))
    }

    /// The version this model is written as: always ``currentVersion`` (3, with a checksum).
    package var formatVersion: Int { ModelFile.currentVersion }

    /// Writes the model atomically (never a half-written file at `path`).
    public func write(to path: String) throws {
        try writeFileAtomically(Array(encoded().utf8), to: path)
    }

    static func encode(_ calculator: any DensityDescriptor) -> JSONValue.Kind {
        let h = calculator.hyperparameters
        var fields: [(String, JSONValue.Kind)] = [
            (SOAPKeys.cutoff.name, JSONWriter.number(h.cutoffRadius)),
            (SOAPKeys.transitionWidth.name, JSONWriter.number(h.cutoffTransitionWidth)),
            (SOAPKeys.nMax.name, JSONWriter.number(h.nMax)),
            (SOAPKeys.lMax.name, JSONWriter.number(h.lMax)),
            (SOAPKeys.atomSigma.name, JSONWriter.number(h.atomSigma)),
            (SOAPKeys.centralWeight.name, JSONWriter.number(h.centralWeight)),
            (SOAPKeys.normalise.name, .bool(h.normalise)),
            (SOAPKeys.neighbourSpecies.name, JSONWriter.array(h.neighbourSpecies.map { JSONWriter.number($0) })),
            (SOAPKeys.centreSpecies.name, JSONWriter.array(h.centreSpecies.map { JSONWriter.number($0) })),
        ]
        if let s = h.radialScaling {
            fields.append((SOAPKeys.radialScaling.name, JSONWriter.object([
                ("c", JSONWriter.number(s.c)), ("r0", JSONWriter.number(s.r0)), ("m", JSONWriter.number(s.m)),
            ])))
        }
        if let c = calculator.radialContraction {
            fields.append((SOAPKeys.radialBasis.name, .string("optimal")))
            fields.append((SOAPKeys.primitiveCount.name, JSONWriter.number(c.primitiveCount)))
            var contraction: [(String, JSONValue.Kind)] = [
                ("matrices", .string(base64(c.matrices))),
                ("eigenvalues", .string(base64(c.eigenvalues))),
                ("environments", JSONWriter.number(c.environmentCount)),
            ]
            if c.combinesSpecies { contraction.append((SOAPKeys.combineSpecies.name, .bool(true))) }
            fields.append(("radial_contraction", JSONWriter.object(contraction)))
        }
        if case .bispectrum(true) = calculator.correlation { fields.append(("pseudoscalars", .bool(true))) }
        if let selected = (calculator as? SOAPCalculator)?.selectedFeatures {
            fields.append(("selected_features", JSONWriter.array(selected.map { JSONWriter.number($0) })))
        }
        return JSONWriter.object(fields)
    }

    static func encodeSources(_ sources: [SparsePointSource]) -> JSONValue.Kind {
        JSONWriter.array(sources.map {
            switch $0 {
            case .environment(let frame, let atom): return JSONWriter.array([JSONWriter.number(frame), JSONWriter.number(atom)])
            case .synthetic: return .null
            }
        })
    }

    /// Base64 of the little-endian IEEE-754 bytes of `values`.
    public static func base64(_ values: [Double]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for v in values {
            let bits = v.bitPattern.littleEndian
            for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
        }
        return Data(bytes).base64EncodedString()
    }

    /// Decodes ``base64(_:)``; nil if the text is not base64 of a whole number of doubles.
    public static func doubles(fromBase64 text: String) -> [Double]? {
        guard let data = Data(base64Encoded: text), data.count % 8 == 0 else { return nil }
        let bytes = [UInt8](data)
        return (0..<(bytes.count / 8)).map { i in
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[8 * i + k]) << (8 * UInt64(k)) }
            return Double(bitPattern: UInt64(littleEndian: bits))
        }
    }
}
