import AtomicStructures
import Configuration
import Descriptors
import LinearAlgebra
import Parallelism
import Selection
import Support

/// The parts of a SOAP descriptor fitted to the training structures before anything else: the
/// optimal radial basis (`radial_basis` "optimal") and feature selection (`n_features`).
///
/// Both use a seeded sample of `basis_sample` training environments (all if there are fewer)
/// and no labels; the result depends only on the frames, the config and its seed (never on the
/// thread count).
enum DataDrivenDescriptors {
    /// The environments the data-driven parts are fitted to: for each frame that has any, the
    /// frame index and its sampled centre atoms (ascending), frames in order.
    static func sample(
        _ h: SOAPHyperparameters, frames: [TrainingFrame], size: Int, seed: UInt64
    ) throws -> [(frame: Int, atoms: [Int])] {
        let centres = Set(h.centreSpecies)
        var environments: [(Int, Int)] = []
        for (f, frame) in frames.enumerated() {
            for (atom, z) in frame.structure.atomicNumbers.enumerated() where centres.contains(z) { environments.append((f, atom)) }
        }
        let picked = environments.count > size
            ? try RandomSelection(count: size, seed: seed).select(fromRowCount: environments.count)
            : Array(environments.indices)
        var result: [(frame: Int, atoms: [Int])] = []
        for index in picked {
            let (f, atom) = environments[index]
            if result.last?.frame == f { result[result.count - 1].atoms.append(atom) } else { result.append((f, [atom])) }
        }
        return result
    }

    /// The SOAP calculator of a term whose descriptor is data-driven, fitted to `frames`:
    /// first the optimal radial basis (if asked), then feature selection on the descriptors of
    /// the same sample computed with that basis (if asked).
    ///
    /// - Parameters:
    ///   - field: the term's path in the config (`descriptors[t]`), for errors.
    /// - Throws: ``InputError`` naming `source` and the term's field for settings the data
    ///   cannot satisfy (no environments, more features than the descriptor has).
    static func makeCalculator(
        _ h: SOAPHyperparameters, descriptor: SOAPDescriptorConfig, frames: [TrainingFrame], seed: UInt64, threads: Int,
        source: String, field: String
    ) throws -> any DensityDescriptor {
        func relabel(_ error: InputError) -> InputError {
            var e = error
            e.file = source
            e.field = "\(field).\(error.field ?? "")"
            return e
        }
        do {
            let sample = try sample(h, frames: frames, size: descriptor.sampleSize, seed: seed)
            guard !sample.isEmpty else {
                throw InputError(file: source, field: "Z", message: "the training data has no environment of the centre species \(h.centreSpecies) to fit the descriptor to")
            }
            let structures = sample.map { frames[$0.frame].structure }
            var parameters = h
            // The radial spectrum uses the l = 0 part only, so its basis is fitted to that.
            if descriptor.correlation == .radialSpectrum { parameters.lMax = 0 }
            // The supervision of a supervised basis or mixing: the ridge regression of every
            // training frame with labels of the target (not only the environment sample: the
            // regression is over structures) on `primitiveCount` QUIP functions, with the fit's σ.
            func supervision(mixing: Double, primitiveCount: Int, field: String, what: String, unsupervised: String) throws -> RadialContraction.Supervision {
                let target = descriptor.supervisedTarget
                let labelled = frames.filter { $0.energy != nil || (target == .energyForces && $0.forces != nil) }
                guard !labelled.isEmpty else {
                    let labels = target == .energyForces ? "an energy or forces" : "an energy"
                    throw InputError(file: source, field: field, message: "\(what) regresses the training \(target == .energyForces ? "energies and forces" : "energies"), but none of the \(frames.count) training frames has \(labels) (use \(unsupervised))")
                }
                let regression = try RadialContraction.atomicEnergyRegression(
                    parameters, primitiveCount: primitiveCount, structures: labelled.map(\.structure),
                    labels: labelled.map {
                        .init(energy: $0.energy, energySigma: $0.energySigma, forces: $0.forces, forceSigmas: $0.forceSigmas)
                    },
                    target: target, seed: seed, threads: threads)
                return RadialContraction.Supervision(mixing: mixing, weights: regression.weights)
            }
            var contraction: RadialContraction?
            if let k = descriptor.speciesChannels {
                let mixing = try descriptor.speciesMixingSupervision.map {
                    try supervision(mixing: $0, primitiveCount: parameters.nMax, field: "species_mixing", what: "species_mixing \"supervised\"", unsupervised: "\"pca\"")
                }
                contraction = try RadialContraction.speciesChannels(
                    parameters, channelCount: k, structures: structures, centres: sample.map(\.atoms), threads: threads,
                    supervision: mixing)
                parameters.nMax = contraction!.contractedCount
            } else if case .optimal(let settings) = descriptor.radialBasis {
                let supervision = try settings.supervisedMixing.map {
                    try supervision(mixing: $0, primitiveCount: settings.primitiveCount, field: "radial_basis", what: "radial_basis \"supervised\"", unsupervised: "\"optimal\"")
                }
                contraction = try RadialContraction.fit(
                    parameters, primitiveCount: settings.primitiveCount, retainedVariance: settings.retainedVariance,
                    combineSpecies: settings.combinesSpecies, structures: structures, centres: sample.map(\.atoms), threads: threads,
                    supervision: supervision)
                parameters.nMax = contraction!.contractedCount
            }
            guard descriptor.correlation == .powerSpectrum else {
                return try descriptor.correlation.makeCalculator(parameters, radialContraction: contraction)
            }
            var calculator = try SOAPCalculator(parameters, radialContraction: contraction)
            if let selection = descriptor.featureSelection {
                guard selection.count <= calculator.featureCount else {
                    throw InputError(
                        file: source, field: "n_features",
                        message: "n_features = \(selection.count) is more than the \(calculator.featureCount) power-spectrum components of this descriptor")
                }
                let matrix = try sampleDescriptors(calculator, structures: structures, centres: sample.map(\.atoms), threads: threads)
                let kept: [Int]
                do {
                    switch selection.method {
                    case .cur:
                        kept = try CURSelection(count: selection.count, variant: .iterative).selectColumns(from: matrix, threads: threads)
                    case .fps:
                        kept = try FPSSelection(count: selection.count).selectColumns(from: matrix, threads: threads)
                    }
                } catch let error as SelectionError {
                    throw InputError(file: source, field: "n_features", message: "\(error) (selecting power-spectrum components from \(matrix.rowCount) environments x \(matrix.featureCount) components)")
                }
                calculator = try calculator.selectingFeatures(kept)
            }
            return calculator
        } catch let error as InputError {
            throw relabel(error)
        }
    }

    /// The descriptor rows of the sampled centres, in sample order (frames in order, atoms
    /// ascending), computed frame by frame in parallel.
    static func sampleDescriptors(
        _ calculator: SOAPCalculator, structures: [Structure], centres: [[Int]], threads: Int
    ) throws -> FeatureMatrix {
        var offsets = [0]
        for atoms in centres { offsets.append(offsets.last! + atoms.count) }
        let width = calculator.featureCount
        var values = [Double](repeating: 0, count: offsets.last! * width)
        var failures = [Error?](repeating: nil, count: structures.count)
        values.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { errors in
                parallelChunks(count: structures.count, chunkCount: min(structures.count, 64 * threads), threads: threads) { _, range in
                    for k in range {
                        do {
                            let d = try calculator.compute(structures[k], threads: 1)
                            for (i, atom) in centres[k].enumerated() {
                                guard let row = d.centres.firstIndex(of: Int32(atom)) else { continue }
                                for j in 0..<width { out[(offsets[k] + i) * width + j] = d.values[row * width + j] }
                            }
                        } catch {
                            errors[k] = error
                        }
                    }
                }
            }
        }
        if let error = failures.compactMap({ $0 }).first { throw error }
        return FeatureMatrix(rowCount: offsets.last!, featureCount: width, values: values)
    }
}

extension Trainer {
    /// This trainer with the data-driven descriptors of its soap terms (optimal radial basis,
    /// feature selection) fitted to `data`, resolved against `species` (nil: the species in
    /// `data`). ``termSpecifications(species:)`` and ``fit(_:options:)`` then use them, whatever
    /// frames are fitted, so that several fits (cross-validation folds) share one descriptor;
    /// ``fit(_:options:)`` calls this itself when it has not been done. Terms without
    /// data-driven parts, and terms already fitted, are left as they are.
    ///
    /// - Throws: ``InputError`` for settings the data cannot satisfy.
    public func fittingDescriptors(
        to data: TrainingData, species: [Int]? = nil, threads: Int = ThreadCount.current
    ) throws -> Trainer {
        var result = self
        let species = species ?? data.speciesPresent
        let previousBLASThreads = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(previousBLASThreads) }
        // The config index of each soap term, for errors (distance_2b terms expand when resolved).
        let soapConfigIndices = config.descriptors.indices.filter { if case .soap = config.descriptors[$0] { return true } else { return false } }
        var soapCount = 0
        for (index, term) in try config.resolvedTerms(speciesPresent: species).enumerated() {
            guard case .soap(let h, let termConfig) = term else { continue }
            defer { soapCount += 1 }
            guard termConfig.descriptor.isDataDriven, result.fittedSOAP[index] == nil else { continue }
            result.fittedSOAP[index] = try DataDrivenDescriptors.makeCalculator(
                h, descriptor: termConfig.descriptor, frames: data.frames, seed: config.seed, threads: threads,
                source: config.sourceName, field: "descriptors[\(soapConfigIndices[soapCount])]")
        }
        return result
    }

    /// Whether a soap term's fitted descriptor depends on the training labels (the supervised
    /// radial basis): cross-validation must then fit it per fold, never to every frame.
    public var hasLabelDependentDescriptors: Bool {
        config.descriptors.contains { if case .soap(let t) = $0 { return t.descriptor.isLabelDependent } else { return false } }
    }

    /// Whether every data-driven soap term has been fitted (see ``fittingDescriptors(to:species:threads:)``).
    public var hasFittedDescriptors: Bool {
        let dataDriven = config.descriptors.filter { if case .soap(let t) = $0 { return t.descriptor.isDataDriven } else { return false } }
        return fittedSOAP.count == dataDriven.count
    }
}

extension Trainer {
    /// The data-driven parts of the soap terms: per resolved term, its descriptor config (nil for
    /// other terms), and the seed. Two trainers with equal keys fit identical data-driven
    /// descriptors to the same data, whatever else (δ, ζ, σ, sparse points) differs.
    package var fittedDescriptorKey: FittedDescriptorKey {
        FittedDescriptorKey(
            terms: config.descriptors.map { term -> FittedDescriptorKey.Term in
                switch term {
                case .soap(let t): return t.descriptor.isDataDriven ? .dataDriven(t.descriptor) : .soap
                // Pair terms expand to one resolved term per species pair unless Z1/Z2 are given:
                // the pair decides where the soap terms sit among the resolved terms.
                case .distance2b(let t): return .pair(t.descriptor.speciesPair.map { [$0.z1, $0.z2] })
                case .angle3b(let t): return .pair(t.descriptor.species.map { [$0.centre, $0.z1, $0.z2] })
                }
            },
            seed: config.seed)
    }

    /// This trainer with `other`'s fitted data-driven descriptors, which must have been fitted to
    /// the same data and species with an equal ``fittedDescriptorKey``; nil if the keys differ.
    /// Hyper-parameter searches use it to fit an optimal radial basis once for every config
    /// that shares it.
    public func adoptingFittedDescriptors(of other: Trainer) -> Trainer? {
        guard other.fittedDescriptorKey == fittedDescriptorKey, other.hasFittedDescriptors else { return nil }
        var result = self
        result.fittedSOAP = other.fittedSOAP
        return result
    }
}

/// See ``Trainer/fittedDescriptorKey``.
public struct FittedDescriptorKey: Hashable, Sendable {
    /// What a config term contributes to the key.
    public enum Term: Hashable, Sendable {
        /// A soap term with a data-driven descriptor.
        case dataDriven(SOAPDescriptorConfig)
        /// A soap term with QUIP's basis and every feature.
        case soap
        /// A pair or triplet term, with its species if given (they decide how many terms it resolves to).
        case pair([Int]?)
    }
    /// Per config term, in order.
    public var terms: [Term]
    /// The seed of the environment sample.
    public var seed: UInt64
}
