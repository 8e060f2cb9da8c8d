import AtomicStructures
import Configuration
import Descriptors
import Kernels
import LinearAlgebra
import ModelFiles
import NeighbourLists
import Parallelism
import Prediction
import Selection
import Support

import AtomicStructures
/// Failures of the fit itself, explained with a remedy.
public enum TrainingError: Error, CustomStringConvertible, Sendable {
    case sparseCovarianceNotPositiveDefinite(term: String, detail: String, jitter: Double)
    case rankDeficient(detail: String)
    /// A data-driven soap term was used before ``Trainer/fittingDescriptors(to:species:threads:)``.
    case descriptorNotFitted(term: String)
    /// SIGINT arrived; progress was saved to the checkpoint (if any).
    case interrupted(checkpoint: String?)
    /// A checkpoint belongs to another run (config, data, code or block size differ).
    case checkpointMismatch(path: String)
    /// The estimated memory exceeds the budget; the message says what to reduce.
    case memoryBudget(String)
    /// A combination this code does not do, said in words.
    case unsupported(String)

    public var description: String {
        switch self {
        case .descriptorNotFitted(let term):
            return "the soap term \(term) has an optimal radial basis or feature selection that has not been fitted to training data yet (call Trainer.fittingDescriptors(to:) first)"

        case .sparseCovarianceNotPositiveDefinite(let term, let detail, let jitter):
            return "the sparse covariance K_MM of \(term) is not positive definite: \(detail). Remedy: raise sparse_jitter (now \(jitter)), choose fewer sparse points, or remove duplicate frames (gap-data check lists them)."
        case .rankDeficient(let detail):
            return "the least-squares problem is rank deficient: \(detail). Remedy: raise sparse_jitter or choose fewer sparse points."
        case .interrupted(let checkpoint):
            if let checkpoint {
                return "interrupted; progress saved to \(checkpoint). Run the same command with --resume to continue."
            }
            return "interrupted"
        case .memoryBudget(let message):
            return message
        case .unsupported(let what):
            return "\(what) is not supported"
        case .checkpointMismatch(let path):
            return "the checkpoint \(path) belongs to another run (the config, the training files, the code version or the block size differ); remove it or start without --resume"
        }
    }
}

/// The descriptor values of every training environment of one term (pass 1), with origins.
struct EnvironmentMatrix {
    var matrix: FeatureMatrix
    var origins: [SparsePointSource]

    /// Computes values (no gradients) frame by frame in parallel; rows in frame order, then
    /// atom order, so that index files count environments as gap_fit does.
    ///
    /// Descriptors are computed by `term` (the SOAP term's probe) from the neighbour list of the
    /// model's largest cutoff, exactly as pass 2 and ``FeatureCache`` compute them, so that the
    /// sparse points are bit for bit the descriptors of their environments in the design rows.
    static func compute(
        _ term: any PotentialTerm, calculator: any DensityDescriptor, frames: [TrainingFrame], cutoffRadius: Double, threads: Int,
        progress: ProgressReporter, phase: String = "descriptors"
    ) throws -> EnvironmentMatrix {
        let (offsets, origins) = layout(calculator, frames: frames)
        let width = calculator.featureCount
        var values = [Double](repeating: 0, count: origins.count * width)
        var failures = [Error?](repeating: nil, count: frames.count)
        progress.begin(phase, total: frames.count, unit: "structures")
        values.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { errors in
                parallelChunks(count: frames.count, chunkCount: min(frames.count, 64 * threads), threads: threads) { _, range in
                    for f in range {
                        do {
                            let structure = frames[f].structure
                            let list = try NeighbourList(structure, cutoffRadius: cutoffRadius)
                            guard case .descriptors(let d) = try term.features(of: structure, neighbours: list, gradients: false, strainGradients: false) else {
                                throw TermFeaturesMismatch(term: term.name)
                            }
                            precondition(d.rowCount == offsets[f + 1] - offsets[f], "one row per centre atom")
                            for (k, x) in d.values.enumerated() { out[offsets[f] * width + k] = x }
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
        return EnvironmentMatrix(matrix: FeatureMatrix(rowCount: origins.count, featureCount: width, values: values), origins: origins)
    }

    /// The same matrix, copied from precomputed features of `frames` (term `termIndex`).
    static func gather(_ calculator: any DensityDescriptor, termIndex: Int, frames: [TrainingFrame], features: FeatureCache) throws -> EnvironmentMatrix {
        let (offsets, origins) = layout(calculator, frames: frames)
        let width = calculator.featureCount
        var values = [Double]()
        values.reserveCapacity(origins.count * width)
        for f in frames.indices {
            guard case .descriptors(let d) = features.frames[f].terms[termIndex], d.featureCount == width,
                  d.rowCount == offsets[f + 1] - offsets[f]
            else { throw TermFeaturesMismatch(term: "descriptors[\(termIndex)]") }
            values.append(contentsOf: d.values)
        }
        return EnvironmentMatrix(matrix: FeatureMatrix(rowCount: origins.count, featureCount: width, values: values), origins: origins)
    }

    /// Row offsets per frame and the origin of every row.
    static func layout(_ calculator: any DensityDescriptor, frames: [TrainingFrame]) -> (offsets: [Int], origins: [SparsePointSource]) {
        let centres = Set(calculator.hyperparameters.centreSpecies)
        var offsets = [0]
        var origins: [SparsePointSource] = []
        for (f, frame) in frames.enumerated() {
            for (atom, z) in frame.structure.atomicNumbers.enumerated() where centres.contains(z) {
                origins.append(.environment(frame: f, atom: atom))
            }
            offsets.append(origins.count)
        }
        return (offsets, origins)
    }
}
