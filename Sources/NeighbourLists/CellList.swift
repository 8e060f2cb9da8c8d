import AtomicStructures
import Support

extension NeighbourList {
    /// Builds the full neighbour list of `structure` with cell lists (binning), in O(N) time
    /// for a fixed density and cutoff.
    ///
    /// The result is identical to ``bruteForce(_:cutoffRadius:)`` bit for bit: the same pairs
    /// (0 < distance < `cutoffRadius`, strictly), in the same canonical order, with the same
    /// vectors, distances and lattice shifts (relative to the positions as given, not wrapped).
    ///
    /// Works for any subset of periodic directions, triclinic and left-handed cells, cutoffs
    /// larger than the cell (many images, including an atom's own images), clusters (bins over
    /// the atoms' bounding box) and slabs with large vacuum (the bin count is capped at about
    /// twice the atom count, so memory never grows with the vacuum volume).
    ///
    /// - Parameters:
    ///   - structure: the atoms, cell and periodicity.
    ///   - cutoffRadius: the cutoff in Å; pairs at exactly this distance are excluded.
    /// - Throws: ``InputError`` if a periodic direction has a zero or linearly dependent lattice
    ///   vector, the cell is so small or skewed that more than 100 000 images per atom would be
    ///   searched, a position is not finite, or the cutoff is not a positive finite number.
    public init(_ structure: Structure, cutoffRadius: Double) throws {
        let geometry = try PeriodicGeometry(structure: structure, cutoffRadius: cutoffRadius)
        let grid = BinGrid(geometry: geometry, cutoffRadius: cutoffRadius)
        self.init(cutoffRadius: cutoffRadius, grid: grid, geometry: geometry, positions: structure.positions)
    }

    /// Runs the cell-list search over a prepared grid.
    init(cutoffRadius: Double, grid: BinGrid, geometry: PeriodicGeometry, positions: [Vector3]) {
        let n = positions.count
        let cutoffSquared = cutoffRadius * cutoffRadius
        let counts = grid.counts
        let periodic = geometry.periodic

        let (binStart, atomsByBin) = grid.atomsSortedByBin()

        var outOffsets = [Int](repeating: 0, count: n + 1)
        var outNeighbours: [Int32] = []
        var outVectors: [Vector3] = []
        var outDistances: [Double] = []
        var outShifts: [SIMD3<Int32>] = []
        let expected = n * 16
        outNeighbours.reserveCapacity(expected)
        outVectors.reserveCapacity(expected)
        outDistances.reserveCapacity(expected)
        outShifts.reserveCapacity(expected)

        let strides = SIMD3<Int>(1, counts[0], counts[0] * counts[1])
        let (targetStart, targetBins, targetShifts) = grid.reachableBins(periodic: periodic, strides: strides)
        let (startX, startY, startZ) = (targetStart[0], targetStart[1], targetStart[2])
        let (binsX, binsY, binsZ) = (targetBins[0], targetBins[1], targetBins[2])
        let (shiftsX, shiftsY, shiftsZ) = (targetShifts[0], targetShifts[1], targetShifts[2])

        var scratch: [Pair] = []
        scratch.reserveCapacity(64)
        let wrapShifts = geometry.wrapShifts
        // A cheap first test of each candidate: with the wrapped positions u_j = r_j − w_j·H (once
        // per atom) and o = image·H − r_i (once per centre and image), u_j + o is the pair vector
        // up to rounding. Only candidates within the cutoff plus a margin far above that rounding
        // get the canonical vector (``PeriodicGeometry/pairVector``) and the exact test, so the
        // list is bit for bit what it was; the rest (most of the 27 bins' atoms) cost a few adds.
        let lattice = geometry.lattice
        let wrappedPositions = (0..<n).map { positions[$0] - geometry.cartesian(wrapShifts[$0]) }
        func largest(_ v: Vector3) -> Double { max(abs(v.x), abs(v.y), abs(v.z)) }
        var magnitude = 0.0
        for k in 0..<n { magnitude = max(magnitude, largest(positions[k]), largest(wrappedPositions[k])) }
        let rowLengths = largest(lattice[row: 0]) + largest(lattice[row: 1]) + largest(lattice[row: 2])
        let largestWrap = wrapShifts.map { Double(max(abs($0.x), abs($0.y), abs($0.z))) }.max() ?? 0
        magnitude += (Double(geometry.imageRange.max() + 2) + largestWrap) * rowLengths
        let margin = 1e-9 * (1 + magnitude)
        let screenSquared = (cutoffRadius + margin) * (cutoffRadius + margin)
        for i in 0..<n {
            let b = grid.atomBins[i]
            let bx = b % counts[0]
            let by = (b / strides[1]) % counts[1]
            let bz = b / strides[2]
            let wi = wrapShifts[i]
            scratch.removeAll(keepingCapacity: true)
            for tz in startZ[bz] ..< startZ[bz + 1] {
                for ty in startY[by] ..< startY[by + 1] {
                    for tx in startX[bx] ..< startX[bx + 1] {
                        let target = binsX[tx] + binsY[ty] + binsZ[tz]
                        let image = SIMD3<Int32>(shiftsX[tx], shiftsY[ty], shiftsZ[tz]) &+ wi
                        let offset = geometry.cartesian(image) - positions[i]
                        for slot in binStart[target] ..< binStart[target + 1] {
                            let j = Int(atomsByBin[slot])
                            let estimate = wrappedPositions[j] + offset
                            guard dot(estimate, estimate) < screenSquared else { continue }
                            let shift = image &- wrapShifts[j]
                            if i == j && shift == .zero { continue }
                            let vector = geometry.pairVector(from: i, to: j, shift: shift, positions: positions)
                            let d2 = dot(vector, vector)
                            if d2 < cutoffSquared {
                                scratch.append(Pair(neighbour: Int32(j), shift: shift, vector: vector, distance: d2.squareRoot()))
                            }
                        }
                    }
                }
            }
            scratch.sort(by: Pair.canonicalOrder)
            for pair in scratch {
                outNeighbours.append(pair.neighbour)
                outVectors.append(pair.vector)
                outDistances.append(pair.distance)
                outShifts.append(pair.shift)
            }
            outOffsets[i + 1] = outNeighbours.count
        }
        self.init(
            cutoffRadius: cutoffRadius, centreOffsets: outOffsets, neighbours: outNeighbours,
            vectors: outVectors, distances: outDistances, shifts: outShifts
        )
    }
}

extension NeighbourList {
    /// Wraps already canonical flat arrays.
    init(
        cutoffRadius: Double, centreOffsets: [Int], neighbours: [Int32], vectors: [Vector3],
        distances: [Double], shifts: [SIMD3<Int32>]
    ) {
        self.cutoffRadius = cutoffRadius
        self.centreOffsets = centreOffsets
        self.neighbours = neighbours
        self.vectors = vectors
        self.distances = distances
        self.shifts = shifts
    }
}

/// The binning of fractional space used by the cell-list construction.
///
/// Bins are parallelepipeds of the (completed) lattice: along a periodic direction the wrapped
/// fractional coordinate [0, 1) is split into `counts[k]` equal bins; along a non-periodic one
/// the atoms' fractional extent is. Two points whose fractional coordinates differ by Δ along
/// direction k are at least |Δ|·d_k apart (d_k the lattice-plane spacing), which is what makes
/// `reach` (bins to search each side) a safe bound for any skew of the cell.
struct BinGrid {
    /// Bins along each lattice direction.
    let counts: SIMD3<Int>
    /// Bins to search on each side of a centre's bin along each direction.
    let reach: SIMD3<Int>
    /// Bin index (x fastest) of each atom.
    let atomBins: [Int]

    /// The total number of bins.
    var binCount: Int { counts[0] * counts[1] * counts[2] }

    /// Upper bound on the total bin count for `atomCount` atoms: O(N), whatever the vacuum.
    static func maximumBins(atomCount: Int) -> Int { max(8, 2 * atomCount) }

    init(geometry: PeriodicGeometry, cutoffRadius: Double, binsPerCutoff: Int = 1) {
        let fractional = geometry.wrappedFractional
        let n = fractional.count
        let (lower, width, slack) = BinGrid.fractionalExtent(geometry)
        // Bin counts from the target bin width (Cartesian, perpendicular to the lattice planes).
        let binWidth = cutoffRadius / Double(max(1, binsPerCutoff))
        var counts = SIMD3<Int>(1, 1, 1)
        for k in 0..<3 {
            let extent = width[k] * geometry.planeSpacing[k]
            let bins = (extent / binWidth).rounded(.down)
            counts[k] = bins.isFinite ? max(1, Int(min(bins, 1e7))) : 1
        }
        // Cap the total, shrinking the most finely binned direction first.
        let cap = BinGrid.maximumBins(atomCount: n)
        while counts[0] * counts[1] * counts[2] > cap {
            var k = 0
            if counts[1] > counts[k] { k = 1 }
            if counts[2] > counts[k] { k = 2 }
            counts[k] = (counts[k] + 1) / 2
        }
        self.counts = counts
        let reach = BinGrid.searchReach(geometry: geometry, cutoffRadius: cutoffRadius, counts: counts, width: width, slack: slack)
        self.reach = reach
        var bins: [Int] = []
        bins.reserveCapacity(n)
        for f in fractional {
            var index = 0
            var stride = 1
            for k in 0..<3 {
                var c = 0
                if counts[k] > 1 {
                    let t = ((f[k] - lower[k]) / width[k] * Double(counts[k])).rounded(.down)
                    c = t.isFinite ? Int(max(0, min(t, Double(counts[k] - 1)))) : 0
                }
                index += c * stride
                stride *= counts[k]
            }
            bins.append(index)
        }
        atomBins = bins
    }
}

extension BinGrid {
    /// Atoms sorted by bin (counting sort), so that each bin's atoms are contiguous:
    /// bin b holds `atomsByBin[binStart[b] ..< binStart[b + 1]]`.
    func atomsSortedByBin() -> (binStart: [Int], atomsByBin: [Int32]) {
        var binStart = [Int](repeating: 0, count: binCount + 1)
        for b in atomBins { binStart[b + 1] += 1 }
        for b in 0..<binCount { binStart[b + 1] += binStart[b] }
        var atomsByBin = [Int32](repeating: 0, count: atomBins.count)
        var fill = binStart
        for (atom, b) in atomBins.enumerated() {
            atomsByBin[fill[b]] = Int32(atom)
            fill[b] += 1
        }
        return (binStart, atomsByBin)
    }

    /// Neighbour bins along each direction for each centre-bin coordinate, precomputed once
    /// (flat, so the hot loop touches no nested arrays): for direction k and centre coordinate c,
    /// `bins[k][start[k][c] ..< start[k][c + 1]]` lists the reachable bin coordinates
    /// (pre-multiplied by the direction's stride) and `shifts[k]` their image shifts. Targets
    /// outside a non-periodic grid are dropped; periodic ones wrap with an image shift.
    func reachableBins(periodic: SIMD3<Int32>, strides: SIMD3<Int>) -> (start: [[Int]], bins: [[Int]], shifts: [[Int32]]) {
        var targetStart: [[Int]] = []
        var targetBins: [[Int]] = []
        var targetShifts: [[Int32]] = []
        for k in 0..<3 {
            var start = [0]
            var bins: [Int] = []
            var shifts: [Int32] = []
            for c in 0..<counts[k] {
                for o in -reach[k]...reach[k] {
                    let t = c + o
                    if periodic[k] != 0 {
                        let s = t >= 0 ? t / counts[k] : -((-t + counts[k] - 1) / counts[k])
                        bins.append((t - s * counts[k]) * strides[k])
                        shifts.append(Int32(s))
                    } else if t >= 0 && t < counts[k] {
                        bins.append(t * strides[k])
                        shifts.append(0)
                    }
                }
                start.append(bins.count)
            }
            targetStart.append(start)
            targetBins.append(bins)
            targetShifts.append(shifts)
        }
        return (targetStart, targetBins, targetShifts)
    }
}

extension BinGrid {
    /// The fractional extent per direction ([0, 1) when periodic, the atoms' range otherwise)
    /// and the round-off slack of fractional coordinates.
    static func fractionalExtent(_ geometry: PeriodicGeometry) -> (lower: Vector3, width: Vector3, slack: Double) {
        let fractional = geometry.wrappedFractional
        let n = fractional.count
        // Fractional extent per direction: [0, 1) when periodic, the atoms' range otherwise.
        var lower = Vector3(0, 0, 0)
        var width = Vector3(1, 1, 1)
        var largestMagnitude = 1.0
        for k in 0..<3 {
            if geometry.periodic[k] == 0 {
                var lo = Double.infinity
                var hi = -Double.infinity
                for f in fractional {
                    lo = min(lo, f[k])
                    hi = max(hi, f[k])
                }
                if n == 0 { lo = 0; hi = 0 }
                lower[k] = lo
                width[k] = hi - lo
                largestMagnitude = max(largestMagnitude, abs(lo), abs(hi))
            }
        }
        // Fractional coordinates (and the pair vectors compared against the cutoff) carry round-off
        // that grows with how far atoms lie outside the cell; widen the search by a margin of
        // 1e-9 fractional units per unit of that distance, millions of times the double-precision
        // error for any cell whose condition number is below ~1e6.
        for k in 0..<3 where geometry.periodic[k] != 0 {
            for s in geometry.wrapShifts { largestMagnitude = max(largestMagnitude, Double(abs(s[k])) + 1) }
        }
        return (lower, width, 1e-9 * largestMagnitude)
    }

    /// Bins to search on each side of a centre's bin along each direction.
    static func searchReach(geometry: PeriodicGeometry, cutoffRadius: Double, counts: SIMD3<Int>, width: Vector3, slack: Double) -> SIMD3<Int> {
        // Points of bins b and b + r differ by more than (r - 1)·w in fractional units (w the bin
        // width in fractional units), i.e. are more than (r - 1)·w·d_k apart; search every r with
        // (r - 1)·w < cutoff/d_k + slack. floor(...) + 1 is that bound, plus one when it is exact.
        var reach = SIMD3<Int>(0, 0, 0)
        for k in 0..<3 {
            if counts[k] == 1 && geometry.periodic[k] == 0 { continue }
            let binFraction = width[k] / Double(counts[k])
            let r = ((cutoffRadius / geometry.planeSpacing[k] + slack) / binFraction).rounded(.down) + 1
            if geometry.periodic[k] == 0 {
                reach[k] = r.isFinite ? Int(min(r, Double(counts[k]))) : counts[k]
            } else {
                // Never beyond the images PeriodicGeometry searches (and bounds): the slack grows
                // with how far atoms lie outside the cell along non-periodic directions, which
                // nothing bounds, and an atom at z = 10³⁰⁰ Å in a "T F F" cell made `Int(r)` trap
                // (found by fuzzing). The cap still spans PeriodicGeometry's image range,
                // beyond which no pair can be within the cutoff.
                let limit = geometry.imageRange[k] * counts[k]
                reach[k] = r < Double(limit) ? Int(r) : limit
            }
        }
        return reach
    }
}
