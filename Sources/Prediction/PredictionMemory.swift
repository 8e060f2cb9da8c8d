import AtomicStructures
import Descriptors
import Kernels

/// Memory estimates of predictions, made before any work (for `--max-memory` and the MD
/// interfaces): a prediction holds the structure's neighbour list (O(atoms)), its outputs and,
/// per thread, one block of descriptor rows (``DotProductKernel/predictionBlockSize(centreCount:)``) with the
/// kernel's products against the sparse points; never the descriptor gradients of the structure.
extension Potential {
    /// Bytes per neighbour pair: the list's arrays (neighbour, shift, vector, distance: 60 bytes)
    /// plus the per-centre pair records it is assembled from (96 bytes), alive together while it
    /// is built, and the descriptor plan's pair index.
    static let bytesPerPair = 60 + 96 + 4 * 2
    /// Bytes per atom outside the list: forces, per-row energies and centres, offsets, and the
    /// cell list's bins.
    static let bytesPerAtom = 24 + 24 + 8 + 8 + 16 + 8 * 2

    /// An upper estimate of the number of neighbours (within ``cutoffRadius``, images included)
    /// per atom of `structure`: the number density (of the cell if fully periodic, else of the
    /// atoms' bounding box, each side at least 2 Å) times the cutoff sphere, with a margin of
    /// 1.5 for uneven packing; at most the atom count times the images for open structures.
    public func estimatedNeighboursPerAtom(_ structure: Structure) -> Double {
        let n = structure.count
        guard n > 0, cutoffRadius > 0 else { return 0 }
        var volume: Double
        if structure.cell.isFullyPeriodic {
            volume = abs(structure.cell.matrix.determinant)
        } else {
            var low = structure.positions[0], high = structure.positions[0]
            for p in structure.positions {
                low = pointwiseMin(low, p)
                high = pointwiseMax(high, p)
            }
            let extent = pointwiseMax(high - low, Vector3(repeating: 2))
            volume = extent.x * extent.y * extent.z
            if structure.cell.isPeriodicInAnyDirection { volume = max(volume, abs(structure.cell.matrix.determinant)) }
        }
        let sphere = 4.0 / 3.0 * Double.pi * cutoffRadius * cutoffRadius * cutoffRadius
        let perAtom = 1.5 * Double(n) / max(volume, 1e-6) * sphere
        return structure.cell.isPeriodicInAnyDirection ? perAtom : min(perAtom, Double(n - 1))
    }

    /// Bytes a prediction of a structure of `atomCount` atoms with about `neighboursPerAtom`
    /// neighbours each holds at its peak, with `threads` threads inside it (excluding the model
    /// and the structure themselves).
    public func predictionBytes(atomCount: Int, neighboursPerAtom: Double, threads: Int) -> Int {
        let pairs = Int((Double(atomCount) * neighboursPerAtom).rounded(.up))
        var bytes = pairs * Potential.bytesPerPair + atomCount * Potential.bytesPerAtom
        let block = DotProductKernel.predictionBlockSize(centreCount: atomCount)
        let rowPairs = Int(neighboursPerAtom.rounded(.up)) + 1
        for term in terms {
            if let soap = term as? SOAPTerm {
                // Per thread: the descriptor's block and the kernel's G (block x M, W written over it) and 8 rows of terms.
                if let reverse = soap.calculator as? any ReverseModeDescriptor {
                    let perThread = reverse.reverseModeBlockBytes(blockSize: block, pairsPerRow: rowPairs) + 8 * (block + 8) * soap.sparseCount
                    bytes += max(1, threads) * perThread
                } else {
                    // Forward gradients of the whole structure: (1 + 3 · entries + 9) features per row.
                    bytes += 8 * soap.calculator.featureCount * atomCount * (10 + 3 * rowPairs) + 8 * atomCount * soap.sparseCount
                }
            } else {
                bytes += 8 * pairs  // pair terms: one local energy per pair
            }
        }
        return bytes
    }

    /// ``predictionBytes(atomCount:neighboursPerAtom:threads:)`` for `structure`.
    public func predictionBytes(for structure: Structure, threads: Int) -> Int {
        predictionBytes(atomCount: structure.count, neighboursPerAtom: estimatedNeighboursPerAtom(structure), threads: threads)
    }

    /// Bytes the model itself holds (sparse points, coefficients, posterior factor).
    public var modelBytes: Int {
        var bytes = 0
        for (term, alpha) in zip(terms, alphas) {
            if let soap = term as? SOAPTerm { bytes += 8 * soap.kernel.sparsePoints.count }
            bytes += 8 * alpha.count
        }
        if let r = posteriorFactor { bytes += 8 * r.upper.count }
        return bytes
    }
}
