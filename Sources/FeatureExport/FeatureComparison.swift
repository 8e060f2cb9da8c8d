import AtomicStructures
import Configuration
import JSON
import Descriptors
import LinearAlgebra
import Parallelism
import Selection
import Support

/// `gap-features compare A.json B.json FILE...`: how much of descriptor B is a linear function
/// of descriptor A and vice versa (``FeatureSpaceReconstruction``), on the environments of the
/// input files.
///
/// The environments are the centre atoms of both descriptors (their centre species must agree
/// once resolved against the input), at most `environmentLimit` of them drawn with `seed`
/// (sorted by frame and atom), split in two halves with the same seed. A descriptor with
/// `radial_basis` "optimal" has its basis fitted to the train half (at most `basis_sample` of
/// its environments), as gap-train would fit it to training data; feature selection
/// (`n_features`) is not supported here.
public enum FeatureComparison {
    /// One side of the comparison.
    public struct Side: Sendable {
        public var source: String
        public var typeName: String
        public var featureCount: Int
    }

    /// What `run` measured.
    public struct Result: Sendable {
        public var a: Side, b: Side
        package var aToB: FeatureSpaceReconstruction.Measures
        package var bToA: FeatureSpaceReconstruction.Measures
        public var environmentCount: Int, trainCount: Int, testCount: Int
        public var seed: UInt64

        /// The result as JSON (insertion order).
        public var json: String {
            func side(_ s: Side) -> JSONValue.Kind {
                JSONWriter.object([("file", .string(s.source)), ("type", .string(s.typeName)), ("features", JSONWriter.number(s.featureCount))])
            }
            return JSONWriter.write(JSONWriter.object([
                ("gfre_a_to_b", JSONWriter.number(aToB.error)), ("gfre_b_to_a", JSONWriter.number(bToA.error)),
                ("gfrd_a_to_b", JSONWriter.number(aToB.distortion)), ("gfrd_b_to_a", JSONWriter.number(bToA.distortion)),
                ("regularisation_a_to_b", JSONWriter.number(aToB.regularisation)),
                ("regularisation_b_to_a", JSONWriter.number(bToA.regularisation)),
                ("environments", JSONWriter.number(environmentCount)), ("train", JSONWriter.number(trainCount)),
                ("test", JSONWriter.number(testCount)), ("seed", JSONWriter.number(Int(clamping: seed))),
                ("a", side(a)), ("b", side(b)),
            ]))
        }

        /// The result as text lines.
        public var text: String {
            func f(_ x: Double) -> String { formatFixed(x, 4) }
            return [
                "A = \(a.source) (\(a.typeName), \(a.featureCount) features)",
                "B = \(b.source) (\(b.typeName), \(b.featureCount) features)",
                "GFRE(A→B) \(f(aToB.error))   GFRD(A→B) \(f(aToB.distortion))",
                "GFRE(B→A) \(f(bToA.error))   GFRD(B→A) \(f(bToA.distortion))",
                "\(environmentCount) environments (train \(trainCount), test \(testCount)), seed \(seed)",
            ].joined(separator: "\n")
        }
    }

    /// Compares descriptors `a` and `b` on the environments of `inputs`.
    ///
    /// - Throws: ``InputError`` for unreadable input, descriptors whose centre species differ,
    ///   feature selection, or a feature matrix that would not fit in memory;
    ///   ``FeatureSpaceReconstruction/Failure`` for degenerate data.
    public static func run(
        a: SOAPDescriptorConfig, aSource: String, b: SOAPDescriptorConfig, bSource: String, inputs: [String],
        environmentLimit: Int, seed: UInt64, threads: Int, progress: ProgressReporter = .silent
    ) throws -> Result {
        for (d, source) in [(a, aSource), (b, bSource)] where d.featureSelection != nil {
            throw InputError(file: source, field: "n_features", message: "feature selection is not supported by gap-features compare (compare the full descriptors)")
        }
        let scan = try FeatureExport.scan(inputs)
        let ha = a.hyperparameters(speciesPresent: scan.speciesPresent), hb = b.hyperparameters(speciesPresent: scan.speciesPresent)
        guard ha.centreSpecies == hb.centreSpecies else {
            throw InputError(
                file: bSource, field: "Z",
                message: "the centre species differ (\(aSource): \(ha.centreSpecies), \(bSource): \(hb.centreSpecies)); both descriptors must describe the same environments")
        }
        var structures: [Structure] = []
        for path in inputs {
            var reader = try ExtendedXYZReader(path: path)
            while let s = try reader.next() { structures.append(s) }
        }
        let centres = Set(ha.centreSpecies)
        var all: [(frame: Int, atom: Int)] = []
        for (f, s) in structures.enumerated() {
            for (atom, z) in s.atomicNumbers.enumerated() where centres.contains(z) { all.append((f, atom)) }
        }
        var random = SplitMix64(seed: seed)
        let picked = all.count > environmentLimit ? Array((0..<all.count).shuffled(using: &random).prefix(environmentLimit)).sorted() : Array(all.indices)
        let environments = picked.map { all[$0] }
        guard environments.count >= 4 else {
            throw InputError(file: inputs.joined(separator: ", "), message: "found \(environments.count) environments of the centre species; the comparison needs at least 4")
        }
        let split = FeatureSpaceReconstruction.Split(count: environments.count, seed: seed)
        let calculators = try [(a, ha, aSource), (b, hb, bSource)].map { d, h, source in
            try calculator(d, h, source: source, structures: structures, environments: split.train.map { environments[$0] }, seed: seed, threads: threads)
        }
        let bytes = environments.count * (calculators[0].featureCount + calculators[1].featureCount) * 8 * 4
        if let available = availableMemoryBytes(), bytes > available {
            throw InputError(
                file: inputs.joined(separator: ", "),
                message: "\(environments.count) environments x \(calculators[0].featureCount + calculators[1].featureCount) features need about \(bytes >> 20) MiB, more than the \(available >> 20) MiB available; use --environments")
        }
        progress.begin("descriptors", total: environments.count, unit: "environments")
        let matrices = try calculators.map { try featureMatrix($0, structures: structures, environments: environments, threads: threads) }
        progress.end()
        progress.note("reconstructing (\(environments.count) environments, \(calculators[0].featureCount) and \(calculators[1].featureCount) features)")
        let aToB = try FeatureSpaceReconstruction.measures(source: matrices[0], target: matrices[1], split: split)
        let bToA = try FeatureSpaceReconstruction.measures(source: matrices[1], target: matrices[0], split: split)
        return Result(
            a: Side(source: aSource, typeName: a.correlation.typeName, featureCount: calculators[0].featureCount),
            b: Side(source: bSource, typeName: b.correlation.typeName, featureCount: calculators[1].featureCount),
            aToB: aToB, bToA: bToA, environmentCount: environments.count, trainCount: split.train.count,
            testCount: split.test.count, seed: seed)
    }

    /// The calculator of `d`, with an optimal basis fitted to `environments` if asked.
    static func calculator(
        _ d: SOAPDescriptorConfig, _ h: SOAPHyperparameters, source: String, structures: [Structure],
        environments: [(frame: Int, atom: Int)], seed: UInt64, threads: Int
    ) throws -> any DensityDescriptor {
        do {
            guard d.isDataDriven else { return try d.correlation.makeCalculator(h) }
            var sample = environments
            if sample.count > d.sampleSize {
                var random = SplitMix64(seed: seed &+ 1)
                sample = Array(sample.shuffled(using: &random).prefix(d.sampleSize))
            }
            sample.sort { ($0.frame, $0.atom) < ($1.frame, $1.atom) }
            var frames: [Int] = [], atoms: [[Int]] = []
            for e in sample {
                if frames.last == e.frame { atoms[atoms.count - 1].append(e.atom) } else { frames.append(e.frame); atoms.append([e.atom]) }
            }
            var parameters = h
            if d.correlation == .radialSpectrum { parameters.lMax = 0 }
            let contraction: RadialContraction
            if let k = d.speciesChannels {
                // GFRE compares feature spaces without labels; a supervised mixing needs energies.
                guard d.speciesMixingSupervision == nil else {
                    throw InputError(file: source, field: "species_mixing", message: "species_mixing \"supervised\" is fitted to training energies, which gap-features compare does not read; compare the \"pca\" mixing")
                }
                contraction = try RadialContraction.speciesChannels(
                    parameters, channelCount: k, structures: frames.map { structures[$0] }, centres: atoms, threads: threads)
            } else if case .optimal(let settings) = d.radialBasis {
                // GFRE compares feature spaces without labels; a supervised basis needs energies.
                guard settings.supervisedMixing == nil else {
                    throw InputError(file: source, field: "radial_basis", message: "radial_basis \"supervised\" is fitted to training energies, which gap-features compare does not read; compare the \"optimal\" basis")
                }
                contraction = try RadialContraction.fit(
                    parameters, primitiveCount: settings.primitiveCount, retainedVariance: settings.retainedVariance,
                    combineSpecies: settings.combinesSpecies, structures: frames.map { structures[$0] }, centres: atoms, threads: threads)
            } else {
                return try d.correlation.makeCalculator(h)
            }
            parameters.nMax = contraction.contractedCount
            return try d.correlation.makeCalculator(parameters, radialContraction: contraction)
        } catch var error as InputError {
            error.file = source
            throw error
        }
    }

    /// The rows of `environments` (sorted by frame, then atom), environments x features.
    static func featureMatrix(
        _ calculator: any DensityDescriptor, structures: [Structure], environments: [(frame: Int, atom: Int)], threads: Int
    ) throws -> Matrix {
        var frames: [Int] = [], starts: [Int] = []
        for (k, e) in environments.enumerated() where frames.last != e.frame {
            frames.append(e.frame)
            starts.append(k)
        }
        starts.append(environments.count)
        let f = calculator.featureCount, n = environments.count
        var storage = [Double](repeating: 0, count: n * f)
        var failures = [Error?](repeating: nil, count: frames.count)
        storage.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { errors in
                parallelChunks(count: frames.count, chunkCount: min(frames.count, 64 * threads), threads: threads) { _, range in
                    for k in range {
                        do {
                            let d = try calculator.values(structures[frames[k]], threads: 1)
                            for row in starts[k]..<starts[k + 1] {
                                guard let r = d.centres.firstIndex(of: Int32(environments[row].atom)) else { continue }
                                for j in 0..<f { out[row + j * n] = d.values[r * f + j] }
                            }
                        } catch {
                            errors[k] = error
                        }
                    }
                }
            }
        }
        if let error = failures.compactMap({ $0 }).first { throw error }
        return Matrix(rows: n, columns: f, columnMajor: storage)
    }
}
