import AtomicStructures
import NeighbourLists
import Support
#if canImport(Glibc)
import Glibc
#endif

/// The pair of species a 2-body descriptor covers, as gap_fit's `Z1` and `Z2`.
///
/// Matching is symmetric: with Z1 ≠ Z2 both orders count (i → j with Z_i = Z1, Z_j = Z2 and
/// with Z_i = Z2, Z_j = Z1), which is what quippy's `distance_2b Z1=8 Z2=14` emits. An atomic
/// number of 0 matches any species (gap_fit's default): ``any`` covers every pair.
public struct SpeciesPair: Hashable, Sendable {
    /// The first atomic number (0 = any species).
    public var z1: Int
    /// The second atomic number (0 = any species).
    public var z2: Int

    /// Creates the pair (Z1, Z2); the order does not matter.
    public init(_ z1: Int, _ z2: Int) {
        self.z1 = z1
        self.z2 = z2
    }

    /// Every pair of species.
    public static let any = SpeciesPair(0, 0)

    /// The pair {a, b} stored with `z1 ≤ z2` (how configs name a pair, whatever the order given).
    public static func unordered(_ a: Int, _ b: Int) -> SpeciesPair { SpeciesPair(min(a, b), max(a, b)) }

    /// Whether the ordered pair of atoms with atomic numbers `first` → `second` is covered.
    @inlinable
    public func includes(_ first: Int, _ second: Int) -> Bool {
        ((z1 == 0 || z1 == first) && (z2 == 0 || z2 == second))
            || ((z1 == 0 || z1 == second) && (z2 == 0 || z2 == first))
    }
}

/// gap_fit's `distance_2b` descriptor: every ordered pair i → j (periodic images included) whose
/// species match and whose distance r is below the cutoff is one descriptor instance (so each
/// unordered pair counts twice), weighted by gap_fit's shifted-cosine cutoff fc(r) (1 below
/// rc − w, falling to 0 at rc). The kernel on these distances is ``PairDistanceKernel`` (Kernels).
public struct PairDistanceDescriptor: Hashable, Sendable {
    /// Cutoff radius rc in Å: pairs at rc or beyond do not count.
    public let cutoffRadius: Double
    /// Width w of the smooth cutoff region below rc, in Å (gap_fit's `cutoff_transition_width`).
    public let transitionWidth: Double
    /// The species pair covered.
    public let species: SpeciesPair

    /// Creates the descriptor; cutoffRadius > 0 and 0 ≤ transitionWidth ≤ cutoffRadius (the
    /// configuration layer reports bad values as `InputError`s before this).
    public init(cutoffRadius: Double, transitionWidth: Double, species: SpeciesPair = .any) {
        precondition(cutoffRadius > 0 && cutoffRadius.isFinite, "cutoff radius must be positive")
        precondition(transitionWidth >= 0 && transitionWidth <= cutoffRadius, "transition width must lie in 0 ... cutoff")
        self.cutoffRadius = cutoffRadius
        self.transitionWidth = transitionWidth
        self.species = species
    }

    /// gap_fit's cutoff weight fc(r) (dimensionless): 1 for r ≤ rc − w, ½[1 + cos(π (r − rc + w)/w)]
    /// inside the transition region, 0 from rc on.
    public func cutoffWeight(_ r: Double) -> Double { cutoffWeightAndDerivative(r).value }

    /// fc(r) and dfc/dr (1/Å).
    @inlinable @inline(__always)
    public func cutoffWeightAndDerivative(_ r: Double) -> (value: Double, derivative: Double) {
        if r >= cutoffRadius { return (0, 0) }
        let start = cutoffRadius - transitionWidth
        if r <= start { return (1, 0) }
        let phase = Double.pi / transitionWidth
        let x = phase * (r - start)
        return (0.5 * (1 + cos(x)), -0.5 * phase * sin(x))
    }

    /// Calls `body(i, j, pair, r, fc, dfc/dr)` for every descriptor instance of `structure`: the
    /// ordered pairs of `neighbours` below the cutoff whose species match, centre-major in
    /// neighbour-list order (`pair` indexes the list's pairs). Inlined into the kernels' loops.
    @inlinable @inline(__always)
    public func forEachPair(
        in structure: Structure, neighbours: NeighbourList,
        _ body: (_ i: Int, _ j: Int, _ pair: Int, _ r: Double, _ fc: Double, _ dfc: Double) -> Void
    ) {
        // Centres are the list's: every atom, or the first ones (NeighbourList.firstCentres).
        precondition(neighbours.centreCount <= structure.count, "neighbour list is for another structure")
        precondition(neighbours.cutoffRadius >= cutoffRadius, "neighbour list cutoff is below the pair cutoff")
        let z = structure.atomicNumbers
        for i in 0..<neighbours.centreCount {
            let zi = z[i]
            for p in neighbours.pairRange(of: i) {
                let r = neighbours.distances[p]
                guard r < cutoffRadius else { continue }
                let j = Int(neighbours.neighbours[p])
                guard species.includes(zi, z[j]) else { continue }
                let (fc, dfc) = cutoffWeightAndDerivative(r)
                body(i, j, p, r, fc, dfc)
            }
        }
    }

    /// The descriptor instances of `structure`: the distance (Å) of every ordered pair i → j
    /// whose species match `species` and whose distance is below `cutoffRadius` (the list's own
    /// cutoff when nil), centre-major in neighbour-list order. These are the candidates for
    /// sparse points; gap_fit enumerates the same multiset in QUIP's neighbour order.
    public static func pairDistances(
        in structure: Structure, neighbours: NeighbourList, species: SpeciesPair, cutoffRadius: Double? = nil
    ) -> [Double] {
        let probe = PairDistanceDescriptor(cutoffRadius: cutoffRadius ?? neighbours.cutoffRadius, transitionWidth: 0, species: species)
        var distances: [Double] = []
        probe.forEachPair(in: structure, neighbours: neighbours) { _, _, _, r, _, _ in distances.append(r) }
        return distances
    }
}
