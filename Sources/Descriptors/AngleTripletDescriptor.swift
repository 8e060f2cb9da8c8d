import AtomicStructures
import NeighbourLists
import Support

/// The species a 3-body descriptor covers, as gap_fit's `angle_3b` `Z_center`, `Z1`, `Z2`.
///
/// A triplet (centre i; neighbours j, k) is covered when Z_i matches `centre` and the pair
/// {Z_j, Z_k} matches {Z1, Z2} in either order, exactly QUIP's test. An atomic number of 0
/// matches any species (gap_fit's default): ``any`` covers every triplet.
public struct SpeciesTriplet: Hashable, Sendable {
    /// The centre's atomic number (0 = any).
    public var centre: Int
    /// The first neighbour's atomic number (0 = any).
    public var z1: Int
    /// The second neighbour's atomic number (0 = any).
    public var z2: Int

    /// Creates the triplet (centre; z1, z2); the order of z1 and z2 does not matter.
    public init(centre: Int, _ z1: Int, _ z2: Int) {
        self.centre = centre
        self.z1 = z1
        self.z2 = z2
    }

    /// Every triplet of species.
    public static let any = SpeciesTriplet(centre: 0, 0, 0)

    /// Whether the centre species `z` is covered.
    @inlinable
    public func includesCentre(_ z: Int) -> Bool { centre == 0 || centre == z }

    /// Whether the neighbour pair with atomic numbers `a`, `b` is covered (symmetric).
    @inlinable
    public func includesNeighbours(_ a: Int, _ b: Int) -> Bool {
        let a1 = z1 == 0 || a == z1, a2 = z2 == 0 || a == z2
        let b1 = z1 == 0 || b == z1, b2 = z2 == 0 || b == z2
        return (a1 && b2) || (a2 && b1)
    }
}

/// gap_fit's `angle_3b` descriptor (QUIP `angle_3b_calc`): for every centre i and every pair of
/// its neighbours j, k within the cutoff (periodic images included; j and k may be images of one
/// atom), the 3-vector
///
///     x = (r_ij + r_ik, (r_ij − r_ik)², r_jk)    (Å, Å², Å)
///
/// weighted by fc(r_ij) fc(r_ik), with gap_fit's shifted-cosine cutoff fc (1 below rc − w, 0 from
/// rc on; as ``PairDistanceDescriptor``). r_jk is not cut off.
///
/// QUIP loops over ordered neighbour pairs (j, k), j ≠ k, so each triplet is two descriptor
/// instances; their values and weights are equal to the bit (every feature is symmetric in j, k).
/// Here each unordered pair is visited once and carries ``instancesPerTriplet`` = 2 instances,
/// which gives the same energy as QUIP's sum (up to the order of summation).
public struct AngleTripletDescriptor: Hashable, Sendable {
    /// The pair cutoff applied to r_ij and r_ik (its cutoff, transition width and weight fc).
    public let radial: PairDistanceDescriptor
    /// The species covered.
    public let species: SpeciesTriplet

    /// The number of features per triplet.
    public static let featureCount = 3
    /// QUIP's descriptor instances per unordered triplet (the orders (j, k) and (k, j)).
    public static let instancesPerTriplet = 2.0

    /// Cutoff radius rc in Å for r_ij and r_ik.
    public var cutoffRadius: Double { radial.cutoffRadius }
    /// Width w of the smooth cutoff region below rc, in Å (gap_fit's `cutoff_transition_width`).
    public var transitionWidth: Double { radial.transitionWidth }

    /// Creates the descriptor; cutoffRadius > 0 and 0 ≤ transitionWidth ≤ cutoffRadius.
    public init(cutoffRadius: Double, transitionWidth: Double, species: SpeciesTriplet = .any) {
        radial = PairDistanceDescriptor(cutoffRadius: cutoffRadius, transitionWidth: transitionWidth)
        self.species = species
    }

    /// One triplet: the centre, the two neighbour-list entries (pair indices, p < q), the
    /// bond vectors and lengths, the features and the cutoff weight with its factors.
    public struct Triplet {
        /// Centre atom i and neighbour atoms j, k (indices into the structure).
        public var i: Int, j: Int, k: Int
        /// Neighbour-list pair indices of i → j and i → k.
        public var p: Int, q: Int
        /// r_j − r_i and r_k − r_i (images included), Å.
        public var vij: Vector3, vik: Vector3
        /// |vij|, |vik|, |vij − vik|, Å.
        public var rij: Double, rik: Double, rjk: Double
        /// fc(r_ij), dfc/dr(r_ij), fc(r_ik), dfc/dr(r_ik).
        public var fcj: Double, dfcj: Double, fck: Double, dfck: Double
        @usableFromInline
        init(i: Int, j: Int, k: Int, p: Int, q: Int, vij: Vector3, vik: Vector3, rij: Double, rik: Double, rjk: Double,
             fcj: Double, dfcj: Double, fck: Double, dfck: Double) {
            (self.i, self.j, self.k, self.p, self.q) = (i, j, k, p, q)
            (self.vij, self.vik, self.rij, self.rik, self.rjk) = (vij, vik, rij, rik, rjk)
            (self.fcj, self.dfcj, self.fck, self.dfck) = (fcj, dfcj, fck, dfck)
        }
        /// The features (r_ij + r_ik, (r_ij − r_ik)², r_jk).
        @inlinable public var features: (Double, Double, Double) {
            let d = rij - rik
            return (rij + rik, d * d, rjk)
        }
        /// The cutoff weight fc(r_ij) fc(r_ik) of one instance.
        @inlinable public var weight: Double { fcj * fck }
    }

    /// Calls `body` for every triplet of `structure`, centre-major in neighbour-list order
    /// (pairs p < q of the centre's list entries). Inlined into the kernels' loops.
    @inlinable @inline(__always)
    public func forEachTriplet(in structure: Structure, neighbours: NeighbourList, _ body: (Triplet) -> Void) {
        precondition(neighbours.centreCount <= structure.count, "neighbour list is for another structure")
        precondition(neighbours.cutoffRadius >= cutoffRadius, "neighbour list cutoff is below the angle_3b cutoff")
        let z = structure.atomicNumbers
        let rc = cutoffRadius
        for i in 0..<neighbours.centreCount where species.includesCentre(z[i]) {
            let range = neighbours.pairRange(of: i)
            for p in range {
                let rij = neighbours.distances[p]
                guard rij < rc else { continue }
                let j = Int(neighbours.neighbours[p])
                let (fcj, dfcj) = radial.cutoffWeightAndDerivative(rij)
                let vij = neighbours.vectors[p]
                for q in (p + 1)..<range.upperBound {
                    let rik = neighbours.distances[q]
                    guard rik < rc else { continue }
                    let k = Int(neighbours.neighbours[q])
                    guard species.includesNeighbours(z[j], z[k]) else { continue }
                    let (fck, dfck) = radial.cutoffWeightAndDerivative(rik)
                    let vik = neighbours.vectors[q]
                    let vjk = vij - vik
                    let rjk = (vjk.x * vjk.x + vjk.y * vjk.y + vjk.z * vjk.z).squareRoot()
                    body(Triplet(i: i, j: j, k: k, p: p, q: q, vij: vij, vik: vik, rij: rij, rik: rik, rjk: rjk,
                                 fcj: fcj, dfcj: dfcj, fck: fck, dfck: dfck))
                }
            }
        }
    }

    /// The triplets of `structure` as rows of 3 features (row-major) with their cutoff weights
    /// and centre atoms, in ``forEachTriplet(in:neighbours:_:)`` order: the candidates for
    /// sparse points (one row per unordered triplet; QUIP's list has each row twice).
    public func triplets(in structure: Structure, neighbours: NeighbourList) -> (features: [Double], weights: [Double], centres: [Int]) {
        var features: [Double] = [], weights: [Double] = [], centres: [Int] = []
        forEachTriplet(in: structure, neighbours: neighbours) { t in
            let x = t.features
            features.append(x.0)
            features.append(x.1)
            features.append(x.2)
            weights.append(t.weight)
            centres.append(t.i)
        }
        return (features, weights, centres)
    }
}
