import AtomicStructures
import Support
import TestSupport
import XCTest
@testable import Descriptors

enum TestStructures {
    /// Fourth-order central differences of `values` along every position component:
    /// `body(atom, α, d)` with d[k] = (−v(2h) + 8v(h) − 8v(−h) + v(−2h)) / 12h for the structure
    /// with atom's coordinate α moved by ±h, ±2h.
    static func positionDerivatives(
        of structure: Structure, step: Double, _ values: (Structure) throws -> [Double], _ body: (Int, Int, [Double]) -> Void
    ) rethrows {
        for atom in 0..<structure.count {
            for alpha in 0..<3 {
                func displaced(_ amount: Double) throws -> [Double] {
                    var s = structure
                    s.positions[atom][alpha] += amount
                    return try values(s)
                }
                let p1 = try displaced(step), m1 = try displaced(-step), p2 = try displaced(2 * step), m2 = try displaced(-2 * step)
                body(atom, alpha, p1.indices.map { (-p2[$0] + 8 * p1[$0] - 8 * m1[$0] + m2[$0]) / (12 * step) })
            }
        }
    }

    /// A skewed periodic cell with `count` atoms of the given species (cycled), at least
    /// `minimumDistance` Å apart (minimum image), some given outside the cell.
    static func periodic(count: Int, species: [Int], seed: UInt64, lattice: Matrix3, minimumDistance: Double = 2.0) -> Structure {
        var random = SplitMix64(seed: seed)
        var fractional: [Vector3] = []
        while fractional.count < count {
            let f = Vector3(random.unitInterval(), random.unitInterval(), random.unitInterval())
            let ok = fractional.allSatisfy { g in
                var d = f - g
                d = d - d.rounded(.toNearestOrEven)
                return length(lattice.leftMultiply(d)) >= minimumDistance
            }
            if ok { fractional.append(f) }
        }
        var positions = fractional.map { lattice.leftMultiply($0) }
        positions[0] += lattice[row: 0]
        positions[count - 1] -= lattice[row: 2]
        return Structure(
            atomicNumbers: (0..<count).map { species[$0 % species.count] }, positions: positions,
            cell: Cell(matrix: lattice, periodic: (true, true, true)))
    }

    /// A cluster of `count` atoms in a box, at least `minimumDistance` Å apart.
    static func cluster(count: Int, species: [Int], seed: UInt64, box: Double, minimumDistance: Double = 2.0) -> Structure {
        var random = SplitMix64(seed: seed)
        var positions: [Vector3] = []
        while positions.count < count {
            let p = Vector3(random.uniform(0...box), random.uniform(0...box), random.uniform(0...box))
            if positions.allSatisfy({ length($0 - p) >= minimumDistance }) { positions.append(p) }
        }
        return Structure(atomicNumbers: (0..<count).map { species[$0 % species.count] }, positions: positions)
    }

    static let skewedLattice = Matrix3(rows: Vector3(4.3, 0.1, -0.2), Vector3(0.9, 4.0, 0.3), Vector3(-0.5, 0.6, 4.6))

    static func soap(nMax: Int = 4, lMax: Int = 3, species: [Int] = [14], centres: [Int]? = nil, normalise: Bool = true,
                     scaling: RadialScaling? = nil, cutoff: Double = 4.5, width: Double = 1.2, sigma: Double = 0.45,
                     centralWeight: Double = 1.0) -> SOAPHyperparameters {
        SOAPHyperparameters(
            cutoffRadius: cutoff, cutoffTransitionWidth: width, nMax: nMax, lMax: lMax, atomSigma: sigma,
            centralWeight: centralWeight, normalise: normalise, neighbourSpecies: species, centreSpecies: centres ?? species,
            radialScaling: scaling)
    }
}

/// Finite-difference checks of descriptor gradients, shared by the gradient tests.
extension XCTestCase {
    /// Max |analytic − FD| / max |analytic| over all rows, atoms, directions and features, with
    /// the fourth-order central stencil (−v(2h) + 8v(h) − 8v(−h) + v(−2h)) / 12h.
    func positionFiniteDifferenceError(_ calculator: some DensityDescriptor, _ structure: Structure, step: Double = 5e-4) throws -> Double {
        let analytic = try calculator.values(structure, gradients: true)
        let f = calculator.featureCount
        var maxDiff = 0.0, maxValue = 0.0
        try TestStructures.positionDerivatives(of: structure, step: step, { try calculator.values($0).values }) { atom, alpha, fd in
            for row in 0..<analytic.rowCount {
                let g = gradient(analytic, row: row, atom: atom)
                for k in 0..<f {
                    maxDiff = max(maxDiff, abs(fd[row * f + k] - g[alpha][k]))
                    maxValue = max(maxValue, abs(g[alpha][k]))
                }
            }
        }
        return maxDiff / maxValue
    }

    /// Max |analytic − FD| / max |analytic| for strain gradients (r' = r(1+ε), H' = H(1+ε)),
    /// fourth-order central stencil.
    func strainFiniteDifferenceError(_ calculator: some DensityDescriptor, _ structure: Structure, step: Double = 1e-4) throws -> Double {
        let analytic = try calculator.values(structure, gradients: false, strainGradients: true)
        XCTAssertFalse(analytic.hasGradients)
        let f = calculator.featureCount
        var maxDiff = 0.0, maxValue = 0.0
        func deformed(_ epsilon: Matrix3) -> Structure {
            var s = structure
            let deformation = Matrix3.identity + epsilon
            s.positions = structure.positions.map { deformation.transposed.multiply($0) }
            s.cell.matrix = structure.cell.matrix * deformation
            return s
        }
        for a in 0..<3 {
            for b in 0..<3 {
                var epsilon = Matrix3.zero
                epsilon[a, b] = step
                let p1 = try calculator.values(deformed(epsilon)).values
                let m1 = try calculator.values(deformed(-1 * epsilon)).values
                let p2 = try calculator.values(deformed(2 * epsilon)).values
                let m2 = try calculator.values(deformed(-2 * epsilon)).values
                for row in 0..<analytic.rowCount {
                    for k in 0..<f {
                        let i = row * f + k
                        let fd = (-p2[i] + 8 * p1[i] - 8 * m1[i] + m2[i]) / (12 * step)
                        let value = analytic.strainValues[((row * 3 + a) * 3 + b) * f + k]
                        maxDiff = max(maxDiff, abs(fd - value))
                        maxValue = max(maxValue, abs(value))
                    }
                }
            }
        }
        return maxDiff / maxValue
    }
}

/// Analytic gradients against central finite differences, invariances, and smoothness.
final class SOAPGradientTests: XCTestCase {
    func testPositionGradientsPeriodicSingleSpecies() throws {
        let structure = TestStructures.periodic(count: 5, species: [14], seed: 1, lattice: TestStructures.skewedLattice)
        for normalise in [true, false] {
            let calculator = try SOAPCalculator(TestStructures.soap(normalise: normalise))
            let error = try positionFiniteDifferenceError(calculator, structure)
            print("FD positions periodic Si5 normalise=\(normalise): \(error)")
            XCTAssertLessThan(error, 1e-9)  // requirement 1e-7; measured ~1e-12
        }
    }

    func testPositionGradientsTwoSpeciesWithRadialScaling() throws {
        let structure = TestStructures.periodic(count: 6, species: [14, 8, 8], seed: 2, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        let scaling = RadialScaling(c: 0.8, r0: 2.2, m: 2.5)
        for (centres, scaling) in [([8, 14], nil), ([14], scaling), ([8], scaling)] as [([Int], RadialScaling?)] {
            let calculator = try SOAPCalculator(TestStructures.soap(nMax: 3, lMax: 4, species: [8, 14], centres: centres, scaling: scaling))
            let error = try positionFiniteDifferenceError(calculator, structure)
            print("FD positions periodic Si2O4 centres=\(centres) scaling=\(scaling != nil): \(error)")
            XCTAssertLessThan(error, 1e-9)  // requirement 1e-7; measured ~1e-12
        }
    }

    func testPositionGradientsClusterInSwitchingRegion() throws {
        // Distances spread over the switching region 3.3 ... 4.5 Å.
        let structure = TestStructures.cluster(count: 5, species: [14], seed: 3, box: 4.0)
        let calculator = try SOAPCalculator(TestStructures.soap(nMax: 5, lMax: 6, centralWeight: 0.6))
        let error = try positionFiniteDifferenceError(calculator, structure)
        print("FD positions cluster: \(error)")
        XCTAssertLessThan(error, 1e-9)  // requirement 1e-7; measured ~1e-12
    }

    func testStrainGradients() throws {
        let structure = TestStructures.periodic(count: 4, species: [14], seed: 4, lattice: TestStructures.skewedLattice)
        let twoSpecies = TestStructures.periodic(count: 6, species: [14, 8, 8], seed: 5, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        for normalise in [true, false] {
            let calculator = try SOAPCalculator(TestStructures.soap(normalise: normalise, scaling: RadialScaling(c: 1.2, r0: 2.0, m: 3)))
            let error = try strainFiniteDifferenceError(calculator, structure)
            print("FD strain Si4 normalise=\(normalise): \(error)")
            XCTAssertLessThan(error, 1e-9)  // requirement 1e-7; measured ~1e-12
        }
        let calculator = try SOAPCalculator(TestStructures.soap(nMax: 3, lMax: 3, species: [8, 14]))
        let error = try strainFiniteDifferenceError(calculator, twoSpecies)
        print("FD strain Si2O4: \(error)")
        XCTAssertLessThan(error, 1e-9)  // requirement 1e-7; measured ~1e-12
    }

    /// Strain derivatives with gradients requested in the same call equal those computed alone,
    /// and position gradients are unchanged by also asking for strain.
    func testStrainAndPositionGradientsTogether() throws {
        let structure = TestStructures.periodic(count: 4, species: [14], seed: 6, lattice: TestStructures.skewedLattice)
        let calculator = try SOAPCalculator(TestStructures.soap())
        let both = try calculator.compute(structure, gradients: true, strainGradients: true)
        let positions = try calculator.compute(structure, gradients: true)
        let strain = try calculator.compute(structure, strainGradients: true)
        XCTAssertEqual(both.gradientValues, positions.gradientValues)
        XCTAssertEqual(both.strainValues, strain.strainValues)
        XCTAssertEqual(both.values, positions.values)
    }

    /// The centre's entry is minus the sum of the others, so each row's entries sum to zero.
    func testGradientEntriesSumToZero() throws {
        let structure = TestStructures.periodic(count: 5, species: [14, 8], seed: 7, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        let calculator = try SOAPCalculator(TestStructures.soap(species: [8, 14]))
        let d = try calculator.compute(structure, gradients: true)
        let f = d.featureCount
        var worst = 0.0, scale = 0.0
        for row in 0..<d.rowCount {
            var sum = [Double](repeating: 0, count: 3 * f)
            let entries = d.gradientOffsets[row]..<d.gradientOffsets[row + 1]
            XCTAssertEqual(Array(d.gradientAtoms[entries]), Array(d.gradientAtoms[entries]).sorted())
            XCTAssertTrue(d.gradientAtoms[entries].contains(d.centres[row]))
            for e in entries {
                for k in 0..<(3 * f) {
                    sum[k] += d.gradientValues[e * 3 * f + k]
                    scale = max(scale, abs(d.gradientValues[e * 3 * f + k]))
                }
            }
            worst = max(worst, sum.map(abs).max() ?? 0)
        }
        XCTAssertLessThan(worst / scale, 1e-14)
    }

    // MARK: Invariances


    func testTranslationInvariance() throws {
        let structure = TestStructures.periodic(count: 5, species: [14, 8], seed: 8, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        let calculator = try SOAPCalculator(TestStructures.soap(species: [8, 14]))
        var moved = structure
        moved.positions = structure.positions.map { $0 + Vector3(1.234, -7.65, 3.21) }
        let a = try calculator.compute(structure, gradients: true, strainGradients: true)
        let b = try calculator.compute(moved, gradients: true, strainGradients: true)
        XCTAssertLessThan(maxRelativeDifference(a.values, b.values), 1e-12)
        XCTAssertEqual(a.gradientAtoms, b.gradientAtoms)
        XCTAssertLessThan(maxRelativeDifference(a.gradientValues, b.gradientValues), 1e-12)
        XCTAssertLessThan(maxRelativeDifference(a.strainValues, b.strainValues), 1e-12)
    }

    func testRotationInvariance() throws {
        let structure = TestStructures.periodic(count: 5, species: [14, 8], seed: 9, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        let calculator = try SOAPCalculator(TestStructures.soap(nMax: 4, lMax: 6, species: [8, 14]))
        // A generic proper rotation (rows), applied to positions and lattice vectors as r' = r Q.
        let (ca, sa, cb, sb, cc, sc) = (cos(0.3), sin(0.3), cos(1.1), sin(1.1), cos(-0.7), sin(-0.7))
        let rz1 = Matrix3(rows: Vector3(ca, -sa, 0), Vector3(sa, ca, 0), Vector3(0, 0, 1))
        let rx = Matrix3(rows: Vector3(1, 0, 0), Vector3(0, cb, -sb), Vector3(0, sb, cb))
        let rz2 = Matrix3(rows: Vector3(cc, -sc, 0), Vector3(sc, cc, 0), Vector3(0, 0, 1))
        let q = rz1 * rx * rz2
        var rotated = structure
        rotated.positions = structure.positions.map { q.leftMultiply($0) }
        rotated.cell.matrix = structure.cell.matrix * q
        let a = try calculator.compute(structure, gradients: true)
        let b = try calculator.compute(rotated, gradients: true)
        XCTAssertLessThan(maxRelativeDifference(a.values, b.values), 1e-12)
        // Gradients rotate like vectors: g'(row) = g Q for each feature.
        XCTAssertEqual(a.gradientAtoms, b.gradientAtoms)
        let f = a.featureCount
        var expected = a.gradientValues
        for e in 0..<a.gradientAtoms.count {
            for k in 0..<f {
                let g = Vector3(a.gradientValues[(e * 3) * f + k], a.gradientValues[(e * 3 + 1) * f + k], a.gradientValues[(e * 3 + 2) * f + k])
                let r = q.leftMultiply(g)
                for alpha in 0..<3 { expected[(e * 3 + alpha) * f + k] = r[alpha] }
            }
        }
        XCTAssertLessThan(maxRelativeDifference(expected, b.gradientValues), 1e-12)
    }

    func testPermutationInvariance() throws {
        let structure = TestStructures.periodic(count: 6, species: [14, 8, 8], seed: 10, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        let calculator = try SOAPCalculator(TestStructures.soap(species: [8, 14]))
        let permutation = [3, 0, 5, 1, 4, 2]  // new atom k is old atom permutation[k]
        var permuted = structure
        permuted.atomicNumbers = permutation.map { structure.atomicNumbers[$0] }
        permuted.positions = permutation.map { structure.positions[$0] }
        let a = try calculator.compute(structure, gradients: true)
        let b = try calculator.compute(permuted, gradients: true)
        let f = a.featureCount
        var newIndex = [Int](repeating: 0, count: permutation.count)
        for (k, old) in permutation.enumerated() { newIndex[old] = k }
        for row in 0..<a.rowCount {
            let old = Int(a.centres[row])
            let rowB = try XCTUnwrap(b.centres.firstIndex(of: Int32(newIndex[old])))
            XCTAssertLessThan(maxRelativeDifference(Array(a.values[row * f ..< (row + 1) * f]), Array(b.values[rowB * f ..< (rowB + 1) * f])), 1e-12)
            for atom in 0..<structure.count {
                let ga = gradient(a, row: row, atom: atom).flatMap { $0 }
                let gb = gradient(b, row: rowB, atom: newIndex[atom]).flatMap { $0 }
                var diff = 0.0
                for k in 0..<ga.count { diff = max(diff, abs(ga[k] - gb[k])) }
                XCTAssertLessThan(diff, 1e-12)
            }
        }
    }

    /// Moving an atom by a lattice vector changes nothing (values, gradients, strain).
    func testImageChoiceInvariance() throws {
        let structure = TestStructures.periodic(count: 5, species: [14], seed: 11, lattice: TestStructures.skewedLattice)
        let calculator = try SOAPCalculator(TestStructures.soap())
        var shifted = structure
        shifted.positions[2] += 2 * structure.cell.matrix[row: 0] - structure.cell.matrix[row: 1] + 3 * structure.cell.matrix[row: 2]
        shifted.positions[4] -= structure.cell.matrix[row: 1]
        let a = try calculator.compute(structure, gradients: true, strainGradients: true)
        let b = try calculator.compute(shifted, gradients: true, strainGradients: true)
        XCTAssertLessThan(maxRelativeDifference(a.values, b.values), 1e-12)
        XCTAssertEqual(a.gradientAtoms, b.gradientAtoms)
        XCTAssertLessThan(maxRelativeDifference(a.gradientValues, b.gradientValues), 1e-12)
        XCTAssertLessThan(maxRelativeDifference(a.strainValues, b.strainValues), 1e-12)
    }

    /// An atom crossing the cutoff: its contribution and its gradient entry vanish continuously
    /// (as δ² and δ for the shifted cosine), and beyond the cutoff it has no entry at all.
    func testSmoothAtTheCutoff() throws {
        let h = TestStructures.soap(nMax: 4, lMax: 4, cutoff: 4.0, width: 1.0)
        let calculator = try SOAPCalculator(h)
        let direction = normalize(Vector3(0.3, -0.5, 0.8))
        func structure(at distance: Double) -> Structure {
            Structure(atomicNumbers: [14, 14, 14], positions: [.zero, Vector3(1.1, 1.6, 0.4), distance * direction])
        }
        let outside = try calculator.compute(structure(at: 4.0 + 1e-9), gradients: true)
        XCTAssertFalse(outside.gradientAtoms[outside.gradientOffsets[0]..<outside.gradientOffsets[1]].contains(2))
        let f = calculator.featureCount
        var previousValueGap = Double.infinity, previousGradient = Double.infinity
        for delta in [1e-2, 1e-3, 1e-4] {
            let inside = try calculator.compute(structure(at: 4.0 - delta), gradients: true)
            let valueGap = (0..<f).map { abs(inside.values[$0] - outside.values[$0]) }.max()!
            let entry = gradient(inside, row: 0, atom: 2).flatMap { $0 }.map(abs).max()!
            // f_c ≈ (π δ / 2w)² and f_c′ ≈ π² δ / (2w²) near the cutoff.
            XCTAssertLessThan(valueGap, 10 * delta * delta)
            XCTAssertLessThan(entry, 10 * delta)
            if previousValueGap.isFinite {
                XCTAssertLessThan(valueGap, previousValueGap / 50)
                XCTAssertLessThan(entry, previousGradient / 5)
            }
            previousValueGap = valueGap
            previousGradient = entry
        }
    }

    /// Bit-for-bit identical results for any thread count.
    func testDeterministicAcrossThreadCounts() throws {
        let lattice = Matrix3(rows: Vector3(8.1, 0.2, 0), Vector3(0.4, 7.9, 0.1), Vector3(0, -0.3, 8.2))
        let structure = TestStructures.periodic(count: 24, species: [14], seed: 12, lattice: lattice)
        let calculator = try SOAPCalculator(TestStructures.soap(nMax: 3, lMax: 2))
        let one = try calculator.compute(structure, gradients: true, strainGradients: true, threads: 1)
        for threads in [2, 3, 5] {
            let other = try calculator.compute(structure, gradients: true, strainGradients: true, threads: threads)
            XCTAssertEqual(one.values, other.values)
            XCTAssertEqual(one.gradientAtoms, other.gradientAtoms)
            XCTAssertEqual(one.gradientOffsets, other.gradientOffsets)
            XCTAssertEqual(one.gradientValues, other.gradientValues)
            XCTAssertEqual(one.strainValues, other.strainValues)
        }
    }
}

func normalize(_ v: Vector3) -> Vector3 { v / length(v) }

/// `compute(into:)` reuses memory but gives exactly the results of a fresh computation.
final class SOAPReuseTests: XCTestCase {
    func testComputeIntoReusedStorageMatchesFreshResults() throws {
        let calculator = try SOAPCalculator(TestStructures.soap(species: [8, 14]))
        let big = TestStructures.periodic(count: 7, species: [14, 8], seed: 31, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        let small = TestStructures.cluster(count: 3, species: [14, 8], seed: 32, box: 3.0, minimumDistance: 1.5)
        let lonely = Structure(atomicNumbers: [14], positions: [.zero])
        var reused = DescriptorValues(featureCount: 0, centres: [], values: [])
        for (structure, gradients, strain) in [(big, true, true), (small, true, false), (lonely, true, true), (big, false, true), (big, true, true)] {
            try calculator.compute(structure, gradients: gradients, strainGradients: strain, into: &reused)
            let fresh = try calculator.compute(structure, gradients: gradients, strainGradients: strain)
            XCTAssertEqual(reused.featureCount, fresh.featureCount)
            XCTAssertEqual(reused.centres, fresh.centres)
            XCTAssertEqual(reused.values, fresh.values)
            XCTAssertEqual(reused.gradientOffsets, fresh.gradientOffsets)
            XCTAssertEqual(reused.gradientAtoms, fresh.gradientAtoms)
            XCTAssertEqual(reused.gradientValues, fresh.gradientValues)
            XCTAssertEqual(reused.strainValues, fresh.strainValues)
        }
    }
}
