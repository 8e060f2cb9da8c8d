import AtomicStructures
import Descriptors
import JSON

extension TrainingConfig {
    /// The config as a JSON value with every default filled in (keys as in the file format).
    /// Paths are as written in the config; optional keys that are unset are omitted.
    public var jsonValue: JSONValue.Kind {
        typealias W = JSONWriter
        func strings(_ xs: [String]) -> JSONValue.Kind { W.array(xs.map { .string($0) }) }
        func ints(_ xs: [Int]) -> JSONValue.Kind { W.array(xs.map { W.number($0) }) }
        func sigma(_ s: SigmaTriple) -> JSONValue.Kind {
            W.object([("energy", W.number(s.energy)), ("forces", W.number(s.forces)), ("virial", W.number(s.virial))])
        }
        func sparse(_ s: SparsePointsConfig) -> [(String, JSONValue.Kind)] {
            var pairs: [(String, JSONValue.Kind)] = [("sparse_method", .string(s.method.rawValue))]
            if let c = s.count { pairs.append(("n_sparse", W.number(c))) }
            if let f = s.file { pairs.append(("sparse_file", .string(f))) }
            return pairs
        }

        var pairs: [(String, JSONValue.Kind)] = []
        switch trainingSet {
        case .files(let files): pairs.append(("train_files", strings(files)))
        case .split(let file, let part): pairs.append(("train_split", W.object([("file", .string(file)), ("part", .string(part))])))
        }
        pairs.append(("label_keys", W.object([
            ("energy", strings(labelKeys.energy)), ("forces", strings(labelKeys.forces)),
            ("virial", strings(labelKeys.virial)), ("stress", strings(labelKeys.stress)),
            ("config_type", strings(labelKeys.configType)),
        ])))
        switch e0 {
        case .isolatedAtoms: pairs.append(("e0", .string("isolated")))
        case .averagePerAtom: pairs.append(("e0", .string("average")))
        case .leastSquares: pairs.append(("e0", .string("fit")))
        case .perSpecies(let table):
            pairs.append(("e0", W.object(table.sorted { $0.key < $1.key }.map {
                (Element(atomicNumber: $0.key)?.symbol ?? "\($0.key)", W.number($0.value))
            })))
        }
        pairs.append(("e0_offset", W.number(e0Offset)))
        pairs.append(("descriptors", W.array(descriptors.map { term -> JSONValue.Kind in
            switch term {
            case .soap(let t):
                let d = t.descriptor
                var p: [(String, JSONValue.Kind)] = [
                    ("type", .string(d.correlation.typeName)), (SOAPKeys.cutoff.name, W.number(d.cutoffRadius)),
                    (SOAPKeys.transitionWidth.name, W.number(d.cutoffTransitionWidth)), (SOAPKeys.nMax.name, W.number(d.nMax)),
                    (SOAPKeys.atomSigma.name, W.number(d.atomSigma)),
                    (SOAPKeys.centralWeight.name, W.number(d.centralWeight)), (SOAPKeys.normalise.name, .bool(d.normalise)),
                    ("delta", W.number(t.delta)), ("zeta", W.number(t.zeta)),
                ]
                if d.correlation != .radialSpectrum { p.append((SOAPKeys.lMax.name, W.number(d.lMax))) }
                if case .bispectrum(true) = d.correlation { p.append((SOAPKeys.pseudoscalars.name, .bool(true))) }
                if let s = d.neighbourSpecies { p.append((SOAPKeys.neighbourSpecies.name, ints(s))) }
                if let s = d.centreSpecies { p.append((SOAPKeys.centreSpecies.name, ints(s))) }
                if let r = d.radialScaling {
                    p.append((SOAPKeys.radialScaling.name, W.object([("c", W.number(r.c)), ("r0", W.number(r.r0)), ("m", W.number(r.m))])))
                }
                // The data-driven keys only when used, so that gap_fit-style configs keep their
                // canonical form (and model provenance) unchanged.
                if case .optimal(let o) = d.radialBasis {
                    p.append((SOAPKeys.radialBasis.name, .string(d.radialBasis.name)))
                    p.append((SOAPKeys.primitiveCount.name, W.number(o.primitiveCount)))
                    if let a = o.supervisedMixing { p.append((SOAPKeys.supervisedMixing.name, W.number(a))) }
                    if let v = o.retainedVariance { p.append((SOAPKeys.retainedVariance.name, W.number(v))) }
                    if o.combinesSpecies { p.append((SOAPKeys.combineSpecies.name, .bool(true))) }
                }
                if let f = d.featureSelection {
                    p.append((SOAPKeys.featureCount.name, W.number(f.count)))
                    p.append((SOAPKeys.featureSelection.name, .string(f.method.rawValue)))
                }
                if let k = d.speciesChannels { p.append((SOAPKeys.speciesChannels.name, W.number(k))) }
                if let a = d.speciesMixingSupervision {
                    p.append((SOAPKeys.speciesMixing.name, .string("supervised")))
                    p.append((SOAPKeys.supervisedMixing.name, W.number(a)))
                }
                if d.isLabelDependent { p.append((SOAPKeys.supervisedTarget.name, .string(d.supervisedTarget.rawValue))) }
                if d.isDataDriven { p.append((SOAPKeys.basisSample.name, W.number(d.sampleSize))) }
                return W.object(p + sparse(t.sparse))
            case .distance2b(let t):
                let d = t.descriptor
                var p: [(String, JSONValue.Kind)] = [
                    ("type", .string("distance_2b")), ("cutoff", W.number(d.cutoffRadius)),
                    ("cutoff_transition_width", W.number(d.cutoffTransitionWidth)),
                    ("theta_uniform", W.number(t.theta)), ("delta", W.number(t.delta)),
                ]
                if let pair = d.speciesPair { p += [("Z1", W.number(pair.z1)), ("Z2", W.number(pair.z2))] }
                return W.object(p + sparse(t.sparse))
            case .angle3b(let t):
                let d = t.descriptor
                var p: [(String, JSONValue.Kind)] = [
                    ("type", .string("angle_3b")), ("cutoff", W.number(d.cutoffRadius)),
                    ("cutoff_transition_width", W.number(d.cutoffTransitionWidth)),
                    ("theta_uniform", W.number(t.theta)), ("delta", W.number(t.delta)),
                ]
                if let z = d.species { p += [("Z_center", W.number(z.centre)), ("Z1", W.number(z.z1)), ("Z2", W.number(z.z2))] }
                return W.object(p + sparse(t.sparse))
            }
        })))
        pairs.append(("default_sigma", sigma(defaultSigma)))
        pairs.append(("config_type_sigma", W.object(configTypeSigma.sorted { $0.key < $1.key }.map { ($0.key, sigma($0.value)) })))
        pairs.append(("sigma_per_atom", .bool(sigmaPerAtom)))
        pairs.append(("sigma_keys", W.object([
            ("energy", sigmaKeys.energy.map { .string($0) } ?? .null),
            ("forces", sigmaKeys.forces.map { .string($0) } ?? .null),
            ("virial", sigmaKeys.virial.map { .string($0) } ?? .null),
            ("forces_per_atom", sigmaKeys.forcesPerAtom.map { .string($0) } ?? .null),
        ])))
        pairs.append(("sparse_jitter", W.number(sparseJitter)))
        pairs.append(("seed", W.number(Int(clamping: seed))))
        pairs.append(("output", .string(output)))
        if let threads { pairs.append(("threads", W.number(threads))) }
        if let runDescription { pairs.append(("description", .string(runDescription))) }
        // Only when on, so that configs without it keep their canonical form (and model bytes).
        if storesUncertainty { pairs.append(("uncertainty", .bool(true))) }
        return W.object(pairs)
    }

    /// The canonical JSON text of the config (sorted keys, defaults filled in), for provenance.
    /// Parsing it back gives an equal config.
    public func canonicalJSON(pretty: Bool = true) -> String {
        JSONWriter.write(jsonValue, pretty: pretty)
    }
}
