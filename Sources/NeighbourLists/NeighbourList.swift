import AtomicStructures
import Support

/// A full neighbour list: for every centre atom i, every atom j (including periodic images of j,
/// and images of i itself) with 0 < |r_j + S·H − r_i| < cutoffRadius.
///
/// Stored in compressed-row form: the pairs of centre `i` occupy `pairRange(of: i)`. Each pair
/// carries the neighbour index, the vector from the centre to the neighbour image (Å), its
/// length, and the integer lattice shift S of the image relative to the positions as given
/// (not wrapped), so that r_ij = r_j − r_i + S·H exactly. Shifts are what strain derivatives
/// and virials need later; vectors are what descriptors need.
///
/// Within a centre, pairs are sorted by neighbour index, then shift (lexicographic), so every
/// construction method gives the same list bit for bit.
public struct NeighbourList: Sendable {
    /// The cutoff radius in Å (pairs at exactly this distance are excluded).
    public let cutoffRadius: Double
    /// Pair offsets per centre: pairs of centre i are `centreOffsets[i] ..< centreOffsets[i + 1]`.
    public let centreOffsets: [Int]
    /// Index of the neighbour atom of each pair.
    public let neighbours: [Int32]
    /// Vector from the centre to the neighbour's image, Å.
    public let vectors: [Vector3]
    /// Length of each vector, Å.
    public let distances: [Double]
    /// Lattice shift of the neighbour's image (zero for non-periodic directions).
    public let shifts: [SIMD3<Int32>]

    /// The number of centres: the atoms of the structure, or its first atoms (``firstCentres(_:)``).
    public var centreCount: Int { centreOffsets.count - 1 }

    /// The total number of (centre, neighbour image) pairs.
    public var pairCount: Int { neighbours.count }

    /// The pair indices of centre `i`.
    @inlinable
    public func pairRange(of centre: Int) -> Range<Int> { centreOffsets[centre] ..< centreOffsets[centre + 1] }

    /// Assembles a list from per-centre pair arrays (sorting each centre's pairs canonically).
    init(cutoffRadius: Double, perCentre: [[Pair]]) {
        self.cutoffRadius = cutoffRadius
        var offsets = [0]
        offsets.reserveCapacity(perCentre.count + 1)
        let total = perCentre.reduce(0) { $0 + $1.count }
        var neighbours: [Int32] = []
        var vectors: [Vector3] = []
        var distances: [Double] = []
        var shifts: [SIMD3<Int32>] = []
        neighbours.reserveCapacity(total)
        vectors.reserveCapacity(total)
        distances.reserveCapacity(total)
        shifts.reserveCapacity(total)
        for pairs in perCentre {
            for pair in pairs.sorted(by: Pair.canonicalOrder) {
                neighbours.append(pair.neighbour)
                vectors.append(pair.vector)
                distances.append(pair.distance)
                shifts.append(pair.shift)
            }
            offsets.append(neighbours.count)
        }
        self.centreOffsets = offsets
        self.neighbours = neighbours
        self.vectors = vectors
        self.distances = distances
        self.shifts = shifts
    }

    /// The list of the first `count` centres only: the pairs of the later atoms are dropped, and
    /// those atoms stay neighbours of the first ones. This is the list of an MD engine's domain:
    /// local atoms first, then the ghost atoms around them, which are neighbours but not centres.
    /// The index of pair `pair`'s reverse (its neighbour j as the centre, i = `centre` as the
    /// neighbour, the opposite lattice shift), or nil when j is not a centre of this list. Its
    /// vector is the negation (a zero component may be +0 both ways) and its distance the same
    /// bits. O(log pairs of j).
    public func reversePair(_ pair: Int, centre: Int) -> Int? {
        let j = Int(neighbours[pair])
        guard j < centreCount else { return nil }
        let target = (Int32(centre), 0 &- shifts[pair])
        var low = centreOffsets[j], high = centreOffsets[j + 1]
        // The centre's pairs are in canonical order: neighbour, then shift x, y, z.
        func before(_ p: Int) -> Bool {
            let n = neighbours[p], s = shifts[p]
            if n != target.0 { return n < target.0 }
            if s.x != target.1.x { return s.x < target.1.x }
            if s.y != target.1.y { return s.y < target.1.y }
            return s.z < target.1.z
        }
        while low < high {
            let middle = (low + high) / 2
            if before(middle) { low = middle + 1 } else { high = middle }
        }
        guard low < centreOffsets[j + 1], neighbours[low] == target.0, shifts[low] == target.1 else { return nil }
        return low
    }

    public func firstCentres(_ count: Int) -> NeighbourList {
        precondition(count >= 0 && count <= centreCount, "more centres than the list has")
        let end = centreOffsets[count]
        return NeighbourList(
            cutoffRadius: cutoffRadius, centreOffsets: Array(centreOffsets[0...count]),
            neighbours: Array(neighbours[..<end]), vectors: Array(vectors[..<end]),
            distances: Array(distances[..<end]), shifts: Array(shifts[..<end]))
    }

    /// One pair during construction.
    struct Pair {
        var neighbour: Int32
        var shift: SIMD3<Int32>
        var vector: Vector3
        var distance: Double

        static func canonicalOrder(_ a: Pair, _ b: Pair) -> Bool {
            if a.neighbour != b.neighbour { return a.neighbour < b.neighbour }
            if a.shift.x != b.shift.x { return a.shift.x < b.shift.x }
            if a.shift.y != b.shift.y { return a.shift.y < b.shift.y }
            return a.shift.z < b.shift.z
        }
    }
}

extension NeighbourList {
    /// Builds the neighbour list of `structure` by brute force: every pair of atoms and every
    /// lattice image that can be within the cutoff. O(N² · images); this is the reference that
    /// faster constructions are tested against.
    ///
    /// - Throws: ``InputError`` if a periodic direction has a degenerate lattice vector, the cell
    ///   is so small or skewed that more than 100 000 images per atom would be searched, or the
    ///   cutoff is not a positive finite number.
    public static func bruteForce(_ structure: Structure, cutoffRadius: Double) throws -> NeighbourList {
        let geometry = try PeriodicGeometry(structure: structure, cutoffRadius: cutoffRadius)
        let n = structure.count
        let cutoffSquared = cutoffRadius * cutoffRadius
        var perCentre = [[Pair]](repeating: [], count: n)
        let range = geometry.imageRange
        for i in 0..<n {
            for j in 0..<n {
                // Shift between the wrapped copies, converted back to the frame of the input positions.
                let wrapDifference = geometry.wrapShifts[i] &- geometry.wrapShifts[j]
                for sx in -range.x...range.x {
                    for sy in -range.y...range.y {
                        for sz in -range.z...range.z {
                            let shift = SIMD3<Int32>(Int32(sx), Int32(sy), Int32(sz)) &+ wrapDifference
                            if i == j && shift == .zero { continue }
                            let vector = geometry.pairVector(from: i, to: j, shift: shift, positions: structure.positions)
                            let d2 = dot(vector, vector)
                            if d2 < cutoffSquared {
                                perCentre[i].append(Pair(neighbour: Int32(j), shift: shift, vector: vector, distance: d2.squareRoot()))
                            }
                        }
                    }
                }
            }
        }
        return NeighbourList(cutoffRadius: cutoffRadius, perCentre: perCentre)
    }
}

/// Lattice facts shared by neighbour-list constructions: the wrap of each atom into the cell,
/// and how many images along each periodic direction can lie within the cutoff.
struct PeriodicGeometry {
    /// The lattice (rows), with non-periodic degenerate rows replaced by orthonormal completions.
    let lattice: Matrix3
    /// Inverse of `lattice` (fractional = r · inverse).
    let inverseLattice: Matrix3
    /// Which directions are periodic.
    let periodic: SIMD3<Int32>
    /// floor(fractional coordinate) per atom along periodic directions (zero elsewhere).
    let wrapShifts: [SIMD3<Int32>]
    /// Fractional coordinates wrapped into [0, 1) along periodic directions.
    let wrappedFractional: [Vector3]
    /// Images to search in each periodic direction (for wrapped coordinates).
    let imageRange: SIMD3<Int>
    /// Spacing between lattice planes along each direction, Å.
    let planeSpacing: Vector3

    /// The most lattice images searched per atom. Far beyond physical cells: a lattice-plane
    /// spacing of 1 Å in every direction with a 20 Å cutoff needs 43³ ≈ 80 000.
    static let maximumImageCount = 100_000

    init(structure: Structure, cutoffRadius: Double) throws {
        let file = structure.source?.file ?? "<memory>"
        let line = structure.source?.line
        guard cutoffRadius.isFinite, cutoffRadius > 0 else {
            throw InputError(file: file, line: line, field: "cutoff", message: "the cutoff radius must be a positive finite number of Å, got \(cutoffRadius)")
        }
        let cell = structure.cell
        periodic = SIMD3(cell.isPeriodic(0) ? 1 : 0, cell.isPeriodic(1) ? 1 : 0, cell.isPeriodic(2) ? 1 : 0)
        var m = cell.matrix
        if periodic == .zero {
            m = .identity
        } else {
            m = try PeriodicGeometry.completedLattice(m, periodic: periodic, file: file, line: line)
        }
        lattice = m
        guard let inverse = m.inverse else {
            throw InputError(file: file, line: line, field: "Lattice", message: "the lattice is singular but the structure is periodic (pbc); give three independent lattice vectors")
        }
        inverseLattice = inverse
        // Plane spacing d_k = |V| / |a_l × a_m|.
        let (a, b, c) = m.rows
        let volume = abs(m.determinant)
        planeSpacing = Vector3(volume / length(cross(b, c)), volume / length(cross(c, a)), volume / length(cross(a, b)))
        var range = SIMD3<Int>(0, 0, 0)
        for k in 0..<3 where periodic[k] != 0 {
            let images = (cutoffRadius / planeSpacing[k]).rounded(.up)
            guard images.isFinite, images < 1_000_000 else {
                throw InputError(file: file, line: line, field: "Lattice", message: "lattice vector \(k + 1) is too short for a cutoff of \(cutoffRadius) Å (plane spacing \(planeSpacing[k]) Å)")
            }
            range[k] = Int(images) + 1
        }
        // The search visits every image in a box of (2·range + 1) cells per direction, so its
        // time (and, for a cell much smaller than the cutoff sphere, the pair count) grows with
        // the product over directions. A per-direction limit alone let a tiny or extremely skewed
        // cell (found by fuzzing: plane spacings of 0.005 Å) hang for hours or exhaust memory.
        let imageCount = (0..<3).reduce(1.0) { $0 * Double(2 * range[$1] + 1) }
        guard imageCount <= Double(PeriodicGeometry.maximumImageCount) else {
            throw InputError(
                file: file, line: line, field: "Lattice",
                message: "the cell is too small or too skewed for a cutoff of \(cutoffRadius) Å: lattice-plane spacings \(planeSpacing[0]), \(planeSpacing[1]), \(planeSpacing[2]) Å would need \(Int(imageCount)) periodic images per atom (at most \(PeriodicGeometry.maximumImageCount)); check the Lattice")
        }
        imageRange = range
        var shifts: [SIMD3<Int32>] = []
        var wrapped: [Vector3] = []
        shifts.reserveCapacity(structure.count)
        wrapped.reserveCapacity(structure.count)
        for (index, r) in structure.positions.enumerated() {
            guard r.x.isFinite, r.y.isFinite, r.z.isFinite else {
                throw InputError(file: file, line: line, field: "pos", message: "atom \(index + 1) has a non-finite position")
            }
            var f = inverse.leftMultiply(r)
            var s = SIMD3<Int32>(0, 0, 0)
            for k in 0..<3 where periodic[k] != 0 {
                let fl = f[k].rounded(.down)
                guard abs(fl) < 1e9 else {
                    throw InputError(file: file, line: line, field: "pos", message: "atom \(index + 1) lies absurdly far outside the cell")
                }
                s[k] = Int32(fl)
                f[k] -= fl
                if f[k] >= 1 { f[k] = 0; s[k] += 1 }  // round-off guard: keep [0, 1)
            }
            shifts.append(s)
            wrapped.append(f)
        }
        wrapShifts = shifts
        wrappedFractional = wrapped
    }

    /// r_j + S·H − r_i computed one fixed way, so every construction gives identical bits.
    @inline(__always)
    func pairVector(from i: Int, to j: Int, shift: SIMD3<Int32>, positions: [Vector3]) -> Vector3 {
        (positions[j] - positions[i]) + cartesian(shift)
    }

    /// The lattice translation S·H of an integer shift, in Å.
    @inline(__always)
    func cartesian(_ shift: SIMD3<Int32>) -> Vector3 {
        lattice.leftMultiply(Vector3(Double(shift.x), Double(shift.y), Double(shift.z)))
    }

    /// Replaces degenerate non-periodic lattice rows with unit vectors orthogonal to the rest, and
    /// checks that the periodic rows span their subspace.
    static func completedLattice(_ m: Matrix3, periodic: SIMD3<Int32>, file: String, line: Int?) throws -> Matrix3 {
        var rows = [m[row: 0], m[row: 1], m[row: 2]]
        let scale = max(length(rows[0]), length(rows[1]), length(rows[2]), 1e-300)
        for k in 0..<3 where periodic[k] != 0 && length(rows[k]) <= 1e-12 * scale {
            throw InputError(file: file, line: line, field: "Lattice", message: "lattice vector \(k + 1) is zero but the structure is periodic along it")
        }
        var result = Matrix3(rows: rows[0], rows[1], rows[2])
        if abs(result.determinant) > 1e-10 * scale * scale * scale { return result }
        // Degenerate: rebuild the non-periodic rows from the periodic ones.
        let periodicRows = (0..<3).filter { periodic[$0] != 0 }.map { rows[$0] }
        var basis: [Vector3] = []
        for v in periodicRows {
            var u = v
            for b in basis { u -= dot(u, b) * b }
            let n = length(u)
            guard n > 1e-10 * scale else {
                throw InputError(file: file, line: line, field: "Lattice", message: "the periodic lattice vectors are linearly dependent (singular cell)")
            }
            basis.append(u / n)
        }
        var candidates: [Vector3] = [Vector3(1, 0, 0), Vector3(0, 1, 0), Vector3(0, 0, 1)]
        for k in 0..<3 where periodic[k] == 0 {
            // Pick the unit axis most orthogonal to the current basis.
            var best = Vector3.zero
            var bestNorm = -1.0
            for c in candidates {
                var u = c
                for b in basis { u -= dot(u, b) * b }
                if length(u) > bestNorm { bestNorm = length(u); best = u / length(u) }
            }
            candidates.removeAll { abs(dot($0, best)) > 0.99 }
            basis.append(best)
            rows[k] = best * scale
        }
        result = Matrix3(rows: rows[0], rows[1], rows[2])
        guard abs(result.determinant) > 1e-10 * scale * scale * scale else {
            throw InputError(file: file, line: line, field: "Lattice", message: "the lattice is singular but the structure is periodic (pbc)")
        }
        return result
    }
}
