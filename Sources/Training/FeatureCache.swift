import AtomicStructures
import Descriptors
import Kernels
import NeighbourLists
import Parallelism
import Prediction

/// The features (descriptor values with their gradients, and neighbour lists) of a set of
/// frames, computed once so that several fits to subsets of the frames — cross-validation
/// folds, learning curves — and predictions for them skip the descriptor work.
///
/// Every frame gets position gradients (forces can be predicted for any frame) and, if it
/// carries a virial label, strain gradients. A fit or prediction from the cache is bit for bit
/// the one computed without it (``Trainer/fit(_:species:features:options:)``).
///
/// Memory is dominated by position gradients: about 3 × (atoms + pairs within the SOAP cutoff)
/// × features × 8 bytes per SOAP term; ``estimatedBytes(_:species:trainer:)`` gives an upper
/// bound before anything is computed.
public struct FeatureCache: Sendable {
    /// One frame's features.
    public struct Frame: Sendable {
        /// The neighbour list at the model's largest cutoff (pair terms read it).
        public var neighbours: NeighbourList
        /// Each term's features, in term order.
        public var terms: [TermFeatures]
        /// Whether strain gradients were computed (the frame has a virial label).
        public var hasStrainGradients: Bool

        /// Bytes held by the features and the neighbour list.
        public var byteCount: Int {
            terms.reduce(0) { $0 + $1.byteCount } + FeatureCache.neighbourListBytes(neighbours)
        }
    }

    /// The atomic numbers the terms were resolved against.
    public let species: [Int]
    /// The neighbour-list cutoff, the model's largest, Å.
    public let cutoffRadius: Double
    /// The number of terms.
    public let termCount: Int
    /// Per frame, in the order of the frames they were computed for.
    public var frames: [Frame]

    /// Creates a cache from its parts.
    public init(species: [Int], cutoffRadius: Double, termCount: Int, frames: [Frame]) {
        self.species = species
        self.cutoffRadius = cutoffRadius
        self.termCount = termCount
        self.frames = frames
    }

    /// Bytes held (descriptor arrays and neighbour lists).
    public var byteCount: Int { frames.reduce(0) { $0 + $1.byteCount } }

    /// The cache of the frames at `indices`, in that order (arrays are shared, not copied).
    public func subset(_ indices: [Int]) -> FeatureCache {
        FeatureCache(species: species, cutoffRadius: cutoffRadius, termCount: termCount, frames: indices.map { frames[$0] })
    }

    /// Computes the features of every frame of `data` for `trainer`'s terms resolved against
    /// `species` (nil: those in `data`), frames in parallel, each frame on one thread.
    public static func compute(
        _ data: TrainingData, species: [Int]? = nil, trainer: Trainer, threads: Int = ThreadCount.current,
        progress: ProgressReporter = .silent
    ) throws -> FeatureCache {
        let species = species ?? data.speciesPresent
        let specs = try trainer.termSpecifications(species: species)
        let probes = specs.map(\.probeTerm)
        let cutoff = specs.map(\.cutoffRadius).max() ?? 0
        let frames = data.frames
        var results = [Frame?](repeating: nil, count: frames.count)
        var failures = [Error?](repeating: nil, count: frames.count)
        progress.begin("descriptors and gradients", total: frames.count, unit: "structures")
        results.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { errors in
                parallelChunks(count: frames.count, chunkCount: min(frames.count, 64 * threads), threads: threads) { _, range in
                    for f in range {
                        do {
                            let frame = frames[f]
                            let list = try NeighbourList(frame.structure, cutoffRadius: cutoff)
                            let strain = frame.virial != nil
                            let terms = try probes.map {
                                try $0.features(of: frame.structure, neighbours: list, gradients: true, strainGradients: strain)
                            }
                            out[f] = Frame(neighbours: list, terms: terms, hasStrainGradients: strain)
                        } catch {
                            errors[f] = error
                        }
                        progress.advance()
                    }
                }
            }
        }
        progress.end()
        if let error = failures.compactMap({ $0 }).first { throw error }
        return FeatureCache(species: species, cutoffRadius: cutoff, termCount: specs.count, frames: results.map { $0! })
    }

    /// ``byteCount`` for `data` worked out from neighbour lists only (no descriptor is computed):
    /// per SOAP term and frame, values (rows × F), position gradients (3 × entries × F, one entry
    /// per centre and per other atom of a neighbour species with an image within the SOAP
    /// cutoff), strain gradients (9 × rows × F, virial frames only), all 8 bytes each, with
    /// their index arrays; plus the neighbour lists.
    public static func estimatedBytes(_ data: TrainingData, species: [Int]? = nil, trainer: Trainer) throws -> Int {
        let species = species ?? data.speciesPresent
        let specs = try trainer.termSpecifications(species: species)
        let cutoff = specs.map(\.cutoffRadius).max() ?? 0
        var total = 0
        for frame in data.frames {
            let list = try NeighbourList(frame.structure, cutoffRadius: cutoff)
            total += neighbourListBytes(list)
            let z = frame.structure.atomicNumbers
            for spec in specs {
                guard case .soap(let calculator, _) = spec else { continue }
                let h = calculator.hyperparameters
                let centres = Set(h.centreSpecies)
                let neighbourSpecies = Set(h.neighbourSpecies)
                var rows = 0
                var entries = 0
                for i in 0..<frame.atomCount where centres.contains(z[i]) {
                    rows += 1
                    entries += 1
                    // Pairs are sorted by neighbour index: count distinct other atoms.
                    var previous = -1
                    for p in list.pairRange(of: i) where list.distances[p] < h.cutoffRadius {
                        let j = Int(list.neighbours[p])
                        if j != i && j != previous && neighbourSpecies.contains(z[j]) { entries += 1 }
                        previous = j
                    }
                }
                let f = calculator.featureCount
                total += 8 * rows * f + 24 * entries * f + 12 * entries + 12 * rows
                if frame.virial != nil { total += 72 * rows * f }
            }
        }
        return total
    }

    /// Bytes of a neighbour list's arrays.
    static func neighbourListBytes(_ list: NeighbourList) -> Int {
        list.pairCount * (MemoryLayout<Int32>.stride + MemoryLayout<Vector3>.stride + MemoryLayout<Double>.stride + MemoryLayout<SIMD3<Int32>>.stride)
            + 8 * list.centreOffsets.count
    }
}
