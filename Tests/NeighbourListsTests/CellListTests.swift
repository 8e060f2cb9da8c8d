import AtomicStructures
import Support
import XCTest
@testable import NeighbourLists

/// Asserts that two neighbour lists are identical bit for bit.
func assertIdentical(_ a: NeighbourList, _ b: NeighbourList, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.centreOffsets, b.centreOffsets, "\(label): centre offsets", file: file, line: line)
    XCTAssertEqual(a.neighbours, b.neighbours, "\(label): neighbours", file: file, line: line)
    XCTAssertEqual(a.shifts, b.shifts, "\(label): shifts", file: file, line: line)
    XCTAssertEqual(a.vectors.count, b.vectors.count, "\(label): vector count", file: file, line: line)
    XCTAssertEqual(a.distances.count, b.distances.count, "\(label): distance count", file: file, line: line)
    guard a.vectors.count == b.vectors.count, a.distances.count == b.distances.count else { return }
    for p in 0..<a.vectors.count {
        let same = (0..<3).allSatisfy { a.vectors[p][$0].bitPattern == b.vectors[p][$0].bitPattern }
            && a.distances[p].bitPattern == b.distances[p].bitPattern
        if !same {
            XCTFail("\(label): pair \(p) differs: \(a.vectors[p]) vs \(b.vectors[p])", file: file, line: line)
            return
        }
    }
}

final class CellListTests: XCTestCase {
    /// Smallest lattice-plane spacing of a (non-singular) lattice, Å.
    func shortestPlaneSpacing(_ m: Matrix3) -> Double {
        let (a, b, c) = m.rows
        let v = abs(m.determinant)
        return min(v / length(cross(b, c)), v / length(cross(c, a)), v / length(cross(a, b)))
    }

    /// A random lattice: sometimes orthorhombic, sometimes strongly skewed, sometimes left-handed.
    func randomLattice(_ rng: inout SplitMix64) -> Matrix3 {
        let la = Double.random(in: 2...9, using: &rng)
        let lb = Double.random(in: 2...9, using: &rng)
        let lc = Double.random(in: 2...9, using: &rng)
        var m: Matrix3
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            m = Matrix3(rows: Vector3(la, 0, 0), Vector3(0, lb, 0), Vector3(0, 0, lc))
        case 1:
            // Generic triclinic with moderate tilts.
            let r = { (rng: inout SplitMix64) in Double.random(in: -0.4...0.4, using: &rng) }
            m = Matrix3(
                rows: Vector3(la, r(&rng) * la, r(&rng) * la),
                Vector3(r(&rng) * lb, lb, r(&rng) * lb),
                Vector3(r(&rng) * lc, r(&rng) * lc, lc))
        case 2:
            // Strongly skewed: tilts of several cell lengths (reduces to a small plane spacing).
            let t1 = Double.random(in: -4...4, using: &rng)
            let t2 = Double.random(in: -4...4, using: &rng)
            let t3 = Double.random(in: -4...4, using: &rng)
            m = Matrix3(rows: Vector3(la, 0, 0), Vector3(t1 * la, lb, 0), Vector3(t2 * la, t3 * lb, lc))
        default:
            // Random rotation of a skewed cell, rows shuffled.
            let t = Double.random(in: -2...2, using: &rng)
            let base = Matrix3(rows: Vector3(la, 0, 0), Vector3(t * la, lb, 0), Vector3(0.3 * la, -0.7 * lb, lc))
            let angle = Double.random(in: 0...(2 * Double.pi), using: &rng)
            let rotation = Matrix3(rows: Vector3(cos(angle), sin(angle), 0), Vector3(-sin(angle), cos(angle), 0), Vector3(0, 0, 1))
            m = base * rotation
            m = Matrix3(rows: m[row: 2], m[row: 0], m[row: 1])
        }
        if Bool.random(using: &rng) {
            // Left-handed: swap two rows (negative determinant).
            m = Matrix3(rows: m[row: 1], m[row: 0], m[row: 2])
        }
        return m
    }

    /// Random atoms in (and partly far outside) a cell.
    func randomAtoms(count: Int, lattice: Matrix3, farOutside: Bool, _ rng: inout SplitMix64) -> [Vector3] {
        (0..<count).map { index in
            var f = Vector3(
                Double.random(in: 0..<1, using: &rng), Double.random(in: 0..<1, using: &rng),
                Double.random(in: 0..<1, using: &rng))
            if farOutside && index % 3 == 0 {
                f += Vector3(
                    Double(Int.random(in: -40...40, using: &rng)), Double(Int.random(in: -40...40, using: &rng)),
                    Double(Int.random(in: -40...40, using: &rng)))
            } else if farOutside && index % 3 == 1 {
                f += Vector3(Double.random(in: -2...2, using: &rng), 0, Double.random(in: -1.5...1.5, using: &rng))
            }
            return lattice.leftMultiply(f)
        }
    }

    func checkAgainstBruteForce(_ s: Structure, cutoff: Double, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try NeighbourList.bruteForce(s, cutoffRadius: cutoff)
        let fast = try NeighbourList(s, cutoffRadius: cutoff)
        assertIdentical(fast, reference, label, file: file, line: line)
    }

    /// Random triclinic and left-handed cells, all 8 periodicity patterns, cutoffs from 0.3 to 3
    /// times the shortest plane spacing, atoms partly far outside the cell.
    func testRandomCellsMatchBruteForce() throws {
        var rng = SplitMix64(seed: 20_240_611)
        var totalPairs = 0
        var leftHanded = 0
        for trial in 0..<240 {
            let lattice = randomLattice(&rng)
            if lattice.determinant < 0 { leftHanded += 1 }
            let pattern = trial % 8
            let pbc = (pattern & 1 != 0, pattern & 2 != 0, pattern & 4 != 0)
            let count = Int.random(in: 1...14, using: &rng)
            let positions = randomAtoms(count: count, lattice: lattice, farOutside: trial % 2 == 0, &rng)
            let spacing = shortestPlaneSpacing(lattice)
            let cutoff = spacing * Double.random(in: 0.3...3.0, using: &rng)
            let s = Structure(
                atomicNumbers: Array(repeating: 14, count: count), positions: positions,
                cell: Cell(matrix: lattice, periodic: pbc))
            try checkAgainstBruteForce(s, cutoff: cutoff, "trial \(trial) pbc \(pbc) cutoff \(cutoff)")
            totalPairs += try NeighbourList(s, cutoffRadius: cutoff).pairCount
        }
        XCTAssertGreaterThan(leftHanded, 60)
        XCTAssertGreaterThan(totalPairs, 10_000)  // the cases are not vacuous
    }

    /// Denser random cells (more atoms than bins) to exercise multi-bin grids.
    func testDenseRandomCellsMatchBruteForce() throws {
        var rng = SplitMix64(seed: 99)
        for trial in 0..<24 {
            let lattice = randomLattice(&rng)
            let scale = Double.random(in: 1.5...2.5, using: &rng)
            let big = scale * lattice
            let pattern = trial % 8
            let pbc = (pattern & 1 != 0, pattern & 2 != 0, pattern & 4 != 0)
            let count = Int.random(in: 40...90, using: &rng)
            let positions = randomAtoms(count: count, lattice: big, farOutside: trial % 3 == 0, &rng)
            let cutoff = shortestPlaneSpacing(big) * Double.random(in: 0.3...0.8, using: &rng)
            let s = Structure(atomicNumbers: Array(repeating: 14, count: count), positions: positions, cell: Cell(matrix: big, periodic: pbc))
            let grid = BinGrid(geometry: try PeriodicGeometry(structure: s, cutoffRadius: cutoff), cutoffRadius: cutoff)
            if pattern == 7 { XCTAssertGreaterThan(grid.binCount, 1, "trial \(trial)") }
            try checkAgainstBruteForce(s, cutoff: cutoff, "dense trial \(trial)")
        }
    }

    /// Atoms exactly on bin boundaries and cutoffs exactly at (or one ulp around) pair distances:
    /// the strict `<` must agree and no boundary pair may be missed.
    func testGridAlignedAtomsAndCutoffsAtPairDistances() throws {
        let a = 10.0
        let cell = Cell(matrix: Matrix3(rows: Vector3(a, 0, 0), Vector3(0, a, 0), Vector3(0, 0, a)), periodic: (true, true, true))
        var positions: [Vector3] = []
        for x in 0..<4 { for y in 0..<4 { for z in 0..<2 { positions.append(Vector3(2.5 * Double(x), 2.5 * Double(y), 5 * Double(z))) } } }
        let s = Structure(atomicNumbers: Array(repeating: 14, count: positions.count), positions: positions, cell: cell)
        for cutoff in [2.5, 2.5.nextUp, 2.5.nextDown, 5.0, 5.0.nextUp, 3.5355339059327378, 3.5355339059327378.nextUp, 10.0, 10.0.nextUp] {
            try checkAgainstBruteForce(s, cutoff: cutoff, "aligned cutoff \(cutoff)")
        }
        // With cutoff exactly the spacing, the spacing pairs are excluded; one ulp more includes them.
        XCTAssertEqual(try NeighbourList(s, cutoffRadius: 2.5).pairCount, 0)
        XCTAssertGreaterThan(try NeighbourList(s, cutoffRadius: 2.5.nextUp).pairCount, 0)
    }

    /// Isolated clusters (no lattice) and clusters with a stray atom far away.
    func testClustersMatchBruteForce() throws {
        var rng = SplitMix64(seed: 7)
        for trial in 0..<30 {
            let count = Int.random(in: 1...60, using: &rng)
            var positions = (0..<count).map { _ in
                Vector3(Double.random(in: -6...6, using: &rng), Double.random(in: -4...4, using: &rng), Double.random(in: 0...3, using: &rng))
            }
            if trial % 3 == 0 { positions[0] = Vector3(1e5, -3e4, 7) }
            let cutoff = Double.random(in: 0.5...6, using: &rng)
            let s = Structure(atomicNumbers: Array(repeating: 6, count: count), positions: positions)
            try checkAgainstBruteForce(s, cutoff: cutoff, "cluster \(trial)")
            let grid = BinGrid(geometry: try PeriodicGeometry(structure: s, cutoffRadius: cutoff), cutoffRadius: cutoff)
            XCTAssertLessThanOrEqual(grid.binCount, BinGrid.maximumBins(atomCount: count))
        }
    }

    /// Slabs with 20 Å of vacuum, periodic along the vacuum direction or not, and with a zero
    /// third lattice vector when that direction is not periodic.
    func testSlabsWithVacuumMatchBruteForce() throws {
        var rng = SplitMix64(seed: 2018)
        for trial in 0..<24 {
            let la = Double.random(in: 4...8, using: &rng)
            let lb = Double.random(in: 4...8, using: &rng)
            let thickness = Double.random(in: 3...8, using: &rng)
            let tilt = Double.random(in: -0.5...0.5, using: &rng)
            let periodicZ = trial % 3 == 0
            let third: Vector3 = trial % 3 == 2 ? .zero : Vector3(0.2, -0.1, thickness + 20)
            let lattice = Matrix3(rows: Vector3(la, 0, 0), Vector3(tilt * la, lb, 0), third)
            let count = Int.random(in: 5...40, using: &rng)
            let positions = (0..<count).map { _ in
                Vector3(Double.random(in: -2...(la + 2), using: &rng), Double.random(in: 0...lb, using: &rng), Double.random(in: 0...thickness, using: &rng))
            }
            let cutoff = Double.random(in: 1.5...7, using: &rng)
            let s = Structure(atomicNumbers: Array(repeating: 14, count: count), positions: positions, cell: Cell(matrix: lattice, periodic: (true, true, periodicZ)))
            try checkAgainstBruteForce(s, cutoff: cutoff, "slab \(trial)")
        }
    }

    /// The bin count stays O(N) however large the vacuum is.
    func testBinCountIsBoundedForHugeVacuum() throws {
        let lattice = Matrix3(rows: Vector3(5.43, 0, 0), Vector3(0, 5.43, 0), Vector3(0, 0, 50_000))
        var rng = SplitMix64(seed: 3)
        let positions = (0..<20).map { _ in Vector3(Double.random(in: 0..<5.43, using: &rng), Double.random(in: 0..<5.43, using: &rng), Double.random(in: 0..<5, using: &rng)) }
        let s = Structure(atomicNumbers: Array(repeating: 14, count: 20), positions: positions, cell: Cell(matrix: lattice, periodic: (true, true, true)))
        let grid = BinGrid(geometry: try PeriodicGeometry(structure: s, cutoffRadius: 3), cutoffRadius: 3)
        XCTAssertLessThanOrEqual(grid.binCount, BinGrid.maximumBins(atomCount: 20))
        try checkAgainstBruteForce(s, cutoff: 3, "huge vacuum")
    }

    /// One-atom cells see their own images; long cutoffs need many images.
    func testOneAtomCellsMatchBruteForce() throws {
        var rng = SplitMix64(seed: 11)
        for trial in 0..<40 {
            let lattice = randomLattice(&rng)
            let pattern = trial % 8
            let pbc = (pattern & 1 != 0, pattern & 2 != 0, pattern & 4 != 0)
            let positions = randomAtoms(count: 1, lattice: lattice, farOutside: true, &rng)
            let cutoff = shortestPlaneSpacing(lattice) * Double.random(in: 0.3...3, using: &rng)
            let s = Structure(atomicNumbers: [14], positions: positions, cell: Cell(matrix: lattice, periodic: pbc))
            try checkAgainstBruteForce(s, cutoff: cutoff, "one atom \(trial)")
        }
    }

    /// Diamond silicon: 4 nearest neighbours at a√3/4 = 2.35 Å within 2.5 Å; 16 atoms within 4 Å.
    func testDiamondSiliconHasFourNeighbours() throws {
        let a = 5.431
        let basis: [Vector3] = [
            Vector3(0, 0, 0), Vector3(0, 0.5, 0.5), Vector3(0.5, 0, 0.5), Vector3(0.5, 0.5, 0),
            Vector3(0.25, 0.25, 0.25), Vector3(0.25, 0.75, 0.75), Vector3(0.75, 0.25, 0.75), Vector3(0.75, 0.75, 0.25),
        ]
        let cell = Cell(matrix: Matrix3(rows: Vector3(a, 0, 0), Vector3(0, a, 0), Vector3(0, 0, a)), periodic: (true, true, true))
        let s = Structure(atomicNumbers: Array(repeating: 14, count: 8), positions: basis.map { a * $0 }, cell: cell)
        let list = try NeighbourList(s, cutoffRadius: 2.5)
        for i in 0..<8 {
            XCTAssertEqual(list.pairRange(of: i).count, 4)
            for p in list.pairRange(of: i) { XCTAssertEqual(list.distances[p], a * 3.0.squareRoot() / 4, accuracy: 1e-12) }
        }
        // Second shell: 12 at a/√2 = 3.84 Å.
        let second = try NeighbourList(s, cutoffRadius: 4.0)
        for i in 0..<8 { XCTAssertEqual(second.pairRange(of: i).count, 16) }
        // Primitive fcc cell (2 atoms): the same four bonds come from images.
        let primitive = Cell(matrix: Matrix3(rows: Vector3(0, a / 2, a / 2), Vector3(a / 2, 0, a / 2), Vector3(a / 2, a / 2, 0)), periodic: (true, true, true))
        let p = Structure(atomicNumbers: [14, 14], positions: [.zero, Vector3(a / 4, a / 4, a / 4)], cell: primitive)
        let pl = try NeighbourList(p, cutoffRadius: 2.5)
        XCTAssertEqual(pl.pairRange(of: 0).count, 4)
        XCTAssertEqual(pl.pairRange(of: 1).count, 4)
        try checkAgainstBruteForce(p, cutoff: 8, "primitive diamond")
    }

    /// A single atom in a 2 Å cubic cell with cutoff 3.5 Å has 26 image neighbours.
    func testSingleAtomImages() throws {
        let cell = Cell(matrix: Matrix3(rows: Vector3(2, 0, 0), Vector3(0, 2, 0), Vector3(0, 0, 2)), periodic: (true, true, true))
        let s = Structure(atomicNumbers: [14], positions: [Vector3(0.3, -5.1, 7.2)], cell: cell)
        let list = try NeighbourList(s, cutoffRadius: 3.5)
        XCTAssertEqual(list.pairCount, 26)
        XCTAssertTrue(list.neighbours.allSatisfy { $0 == 0 })
        for p in 0..<list.pairCount {
            let shift = list.shifts[p]
            XCTAssertEqual(list.vectors[p], 2 * Vector3(Double(shift.x), Double(shift.y), Double(shift.z)))
        }
    }

    /// Shifts refer to the positions as given: r_j − r_i + S·H reproduces each vector.
    func testShiftsReferToUnwrappedPositions() throws {
        let lattice = Matrix3(rows: Vector3(4, 0, 0), Vector3(1, 4, 0), Vector3(0.5, 0.5, -4))
        let positions = [Vector3(0.1, 0.2, -0.3), Vector3(40.5, -38.2, 13.1), Vector3(-13, 5, 2)]
        let s = Structure(atomicNumbers: [14, 14, 14], positions: positions, cell: Cell(matrix: lattice, periodic: (true, true, true)))
        let list = try NeighbourList(s, cutoffRadius: 5)
        for i in 0..<3 {
            for p in list.pairRange(of: i) {
                let j = Int(list.neighbours[p])
                let sh = list.shifts[p]
                let expected = positions[j] - positions[i] + lattice.leftMultiply(Vector3(Double(sh.x), Double(sh.y), Double(sh.z)))
                XCTAssertEqual(length(expected - list.vectors[p]), 0, accuracy: 1e-9)
            }
        }
        XCTAssertGreaterThan(list.pairCount, 0)
    }

    func testInvalidInputThrowsInputError() {
        let cubic = Matrix3(rows: Vector3(3, 0, 0), Vector3(0, 3, 0), Vector3(0, 0, 3))
        func expectInputError(_ s: Structure, cutoff: Double, field: String, _ label: String) {
            XCTAssertThrowsError(try NeighbourList(s, cutoffRadius: cutoff), label) { error in
                guard let e = error as? InputError else { return XCTFail("\(label): \(error) is not an InputError") }
                XCTAssertEqual(e.field, field, label)
            }
        }
        let singular = Matrix3(rows: Vector3(3, 0, 0), Vector3(6, 0, 0), Vector3(0, 0, 3))
        expectInputError(Structure(atomicNumbers: [14], positions: [.zero], cell: Cell(matrix: singular, periodic: (true, true, true))), cutoff: 2, field: "Lattice", "singular")
        let zeroRow = Matrix3(rows: Vector3(3, 0, 0), Vector3(0, 0, 0), Vector3(0, 0, 3))
        expectInputError(Structure(atomicNumbers: [14], positions: [.zero], cell: Cell(matrix: zeroRow, periodic: (true, true, false))), cutoff: 2, field: "Lattice", "zero vector")
        let cell = Cell(matrix: cubic, periodic: (true, true, true))
        expectInputError(Structure(atomicNumbers: [14, 14], positions: [.zero, Vector3(.nan, 0, 0)], cell: cell), cutoff: 2, field: "pos", "NaN")
        expectInputError(Structure(atomicNumbers: [14], positions: [Vector3(0, .infinity, 0)]), cutoff: 2, field: "pos", "inf cluster")
        for bad in [0.0, -1.0, .nan, .infinity] {
            expectInputError(Structure(atomicNumbers: [14], positions: [.zero], cell: cell), cutoff: bad, field: "cutoff", "cutoff \(bad)")
        }
        // A zero lattice vector in a non-periodic direction is fine.
        XCTAssertNoThrow(try NeighbourList(Structure(atomicNumbers: [14], positions: [.zero], cell: Cell(matrix: zeroRow, periodic: (true, false, true))), cutoffRadius: 4))
    }

    func testEmptyStructure() throws {
        let s = Structure(atomicNumbers: [], positions: [])
        let list = try NeighbourList(s, cutoffRadius: 3)
        XCTAssertEqual(list.centreCount, 0)
        XCTAssertEqual(list.pairCount, 0)
    }
}

extension CellListTests {
    /// Every pair's reverse is found, with the negated vector and the same distance to the bit
    /// (what the 2-body prediction relies on to reuse a pair's sums); a neighbour that is not a
    /// centre (a ghost of `firstCentres`) has none.
    func testEveryPairHasItsExactReverse() throws {
        var rng = SplitMix64(seed: 77)
        var checked = 0
        for trial in 0..<120 {
            let lattice = randomLattice(&rng)
            let pattern = trial % 8
            let pbc = (pattern & 1 != 0, pattern & 2 != 0, pattern & 4 != 0)
            let count = Int.random(in: 1...10, using: &rng)
            let positions = randomAtoms(count: count, lattice: lattice, farOutside: trial % 2 == 0, &rng)
            let cutoff = shortestPlaneSpacing(lattice) * Double.random(in: 0.3...2.0, using: &rng)
            let s = Structure(
                atomicNumbers: Array(repeating: 14, count: count), positions: positions, cell: Cell(matrix: lattice, periodic: pbc))
            let list = try NeighbourList(s, cutoffRadius: cutoff)
            for i in 0..<list.centreCount {
                for p in list.pairRange(of: i) {
                    let q = try XCTUnwrap(list.reversePair(p, centre: i), "trial \(trial) pair \(p)")
                    XCTAssertEqual(Int(list.neighbours[q]), i)
                    XCTAssertTrue(list.pairRange(of: Int(list.neighbours[p])).contains(q))
                    XCTAssertEqual(list.distances[q].bitPattern, list.distances[p].bitPattern)
                    // Equal as numbers (a zero component may come out +0 both ways).
                    for k in 0..<3 { XCTAssertEqual(list.vectors[q][k], -list.vectors[p][k]) }
                    checked += 1
                }
            }
            if count > 1 {
                let first = list.firstCentres(1)
                for p in first.pairRange(of: 0) where first.neighbours[p] != 0 {
                    XCTAssertNil(first.reversePair(p, centre: 0))
                }
            }
        }
        XCTAssertGreaterThan(checked, 1_000)  // the cases are not vacuous
    }
}
