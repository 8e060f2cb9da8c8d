import AtomicStructures
import NeighbourLists
import Support

/// One block of descriptor rows handed to the energy model during a reverse-mode evaluation
/// (``ReverseModeDescriptor``): the model reads the rows' values and writes each row's energy
/// and, when forces or the virial are wanted, ∂E/∂values.
///
/// The pointers are valid only during the call that receives the block.
public struct ReverseModeBlock {
    /// The rows of this block (indices into the structure's rows, in order).
    public let rows: Range<Int>
    /// Which of the evaluation's concurrent blocks this is, `0 ..< ReverseModeBlock.slotCount(...)`:
    /// blocks evaluated at the same time have different slots, so per-slot scratch is never shared.
    public let slot: Int
    /// The rows' values, `rows.count x featureCount`, row-major.
    public let values: UnsafePointer<Double>
    /// To be written: ∂E/∂values, `rows.count x featureCount`, row-major; nil when neither
    /// forces nor the virial are wanted.
    public let valueGradients: UnsafeMutablePointer<Double>?
    /// To be written: the energy of each row, eV.
    public let localEnergies: UnsafeMutablePointer<Double>

    /// The number of slots (scratch sets) an evaluation of `rowCount` rows in blocks of
    /// `blockSize` with `threads` threads uses.
    package static func slotCount(rowCount: Int, blockSize: Int, threads: Int) -> Int {
        let blocks = (rowCount + blockSize - 1) / max(1, blockSize)
        return max(1, min(threads, blocks))
    }
}

/// What a reverse-mode evaluation returns: per-row energies and, if asked, forces and virial.
public struct ReverseModeResult: Sendable {
    /// The atom each row describes.
    public var centres: [Int32]
    /// The energy of each row, eV (as the block callback wrote it).
    public var localEnergies: [Double]
    /// F = −∂E/∂r, eV/Å, flat `3 x atomCount` (every atom of the structure, neighbours of the
    /// centres included); empty if forces were not asked for.
    public var forces: [Double]
    /// W_ab = −∂E/∂ε_ab = −Σ_pairs (r_ij)_a ∂E/∂(r_ij)_b, eV, row-major; zeros if not asked for.
    public var virial: [Double]
}

/// A descriptor that can be differentiated in reverse mode: for an energy E = Σ_rows e(values),
/// forces and virial follow from ∂E/∂values per row, pulled back through the descriptor to the
/// pair vectors, without ever forming the descriptor's gradients (F features x 3 per neighbour).
///
/// This is how predictions are made: the descriptor evaluates the rows of a structure block by
/// block (so memory is that of one block per thread, whatever the structure's size), the energy
/// model turns each block's values into energies and ∂E/∂values (for a dot-product kernel, two
/// matrix products against the sparse points), and the descriptor accumulates forces and virial
/// from them. Forces and virial are accumulated pair by pair in row order after each block, so
/// results do not depend on the thread count.
public protocol ReverseModeDescriptor: Sendable {
    /// The number of features per row.
    var featureCount: Int { get }
    /// Evaluates the rows of `structure` in blocks of `blockSize`, calling `energy` once per block
    /// (concurrently from up to `threads` threads, each call with its own ``ReverseModeBlock/slot``).
    /// `neighbours` was built for `structure` with at least this descriptor's cutoff; a list for
    /// the first atoms only gives rows for those atoms (forces still on every atom).
    ///
    /// - Throws: ``InputError`` if the list does not fit or atoms coincide.
    func evaluateReverse(
        _ structure: Structure, neighbours: NeighbourList, forces: Bool, virial: Bool, blockSize: Int, threads: Int,
        energy: (ReverseModeBlock) -> Void
    ) throws -> ReverseModeResult
    /// Bytes one concurrent block of `blockSize` rows holds while evaluated (an upper estimate for
    /// environments of up to `pairsPerRow` neighbours), for memory estimates before the work.
    func reverseModeBlockBytes(blockSize: Int, pairsPerRow: Int) -> Int
}
