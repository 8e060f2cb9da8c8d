import AtomicStructures
import Descriptors
import NeighbourLists

/// A kernel whose descriptor is read straight from the neighbour list while it works
/// (`distance_2b`, `angle_3b`): nothing is stored per structure, and the prediction term that
/// wraps it only forwards to these members (``Prediction``'s `NeighbourListTerm`).
public protocol NeighbourListKernel: Sendable {
    /// The largest neighbour distance the kernel reads (Å).
    var cutoffRadius: Double { get }
    /// The number of sparse points M.
    var sparseCount: Int { get }
    /// K_MM, M x M (symmetric; column-major as every kernel's).
    func sparseCovariance() -> [Double]
    /// A block of K_MM, column-major.
    func sparseCovariance(rows: Range<Int>, columns: Range<Int>) -> [Double]
    /// Adds the structure's design rows (energy, forces, virial) in columns
    /// `columnOffset ..< columnOffset + sparseCount` of `block`.
    func addDesignRows(
        for structure: Structure, neighbours: NeighbourList, rows: DesignRowLayout,
        into block: inout DesignBlock, columnOffset: Int
    )
    /// The term's energy, forces and virial for coefficients `alpha`.
    func predict(_ structure: Structure, neighbours: NeighbourList, alpha: [Double]) -> Prediction
}

extension PairDistanceKernel: NeighbourListKernel {}
extension AngleTripletKernel: NeighbourListKernel {}
