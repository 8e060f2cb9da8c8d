import AtomicStructures
import Support
import XCTest
@testable import Descriptors

/// The radial spectrum (ν = 1) and the bispectrum (ν = 3): coupling coefficients, feature
/// counts, invariances (rotation, reflection, translation, permutation), gradients against
/// finite differences, and their relation to the density expansion.
final class BodyOrderTests: XCTestCase {
    static let twoSpecies = TestStructures.periodic(count: 6, species: [14, 8, 8], seed: 21, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)

    /// The real-basis 3j tensors have unit norm, and the Racah 3j values match known ones.
    func testCouplingCoefficients() {
        XCTAssertEqual(RealCouplingCoefficients.wigner3j(1, 1, 0, 0, 0, 0), -1 / 3.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(RealCouplingCoefficients.wigner3j(2, 2, 2, 0, 0, 0), -(2.0 / 35).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(RealCouplingCoefficients.wigner3j(2, 1, 1, 1, -1, 0), -(1.0 / 10).squareRoot(), accuracy: 1e-15)
        let coupling = RealCouplingCoefficients(lMax: 6)
        for l1 in 0...6 {
            for l2 in 0...6 {
                for l3 in abs(l1 - l2)...min(6, l1 + l2) {
                    let norm = coupling.entries(l1, l2, l3).reduce(0) { $0 + $1.value * $1.value }
                    XCTAssertEqual(norm, 1, accuracy: 1e-12, "(\(l1), \(l2), \(l3))")
                }
            }
        }
    }

    /// Counts follow the documented rule (brute force here; the sizes quoted in the docs from a
    /// third count in Python).
    func testFeatureCounts() throws {
        XCTAssertEqual(BispectrumCalculator.featureCount(channels: 4, lMax: 4), 548)
        XCTAssertEqual(BispectrumCalculator.featureCount(channels: 8, lMax: 6), 9_760)
        XCTAssertEqual(BispectrumCalculator.featureCount(channels: 8, lMax: 6, pseudoscalars: true), 9_760 + 5_416)
        for (channels, lMax) in [(1, 0), (2, 1), (3, 3), (4, 4), (5, 2), (3, 6)] {
            var brute = 0, bruteOdd = 0
            let slots = channels * (lMax + 1)
            for s1 in 0..<slots {
                for s2 in s1..<slots {
                    for s3 in s2..<slots {
                        let (l1, l2, l3) = (s1 % (lMax + 1), s2 % (lMax + 1), s3 % (lMax + 1))
                        guard l3 >= abs(l1 - l2), l3 <= l1 + l2 else { continue }
                        if (l1 + l2 + l3) % 2 == 0 { brute += 1 } else if s1 < s2 && s2 < s3 { bruteOdd += 1 }
                    }
                }
            }
            XCTAssertEqual(BispectrumCalculator.featureCount(channels: channels, lMax: lMax), brute)
            XCTAssertEqual(BispectrumCalculator.featureCount(channels: channels, lMax: lMax, pseudoscalars: true), brute + bruteOdd)
        }
        let calculator = try BispectrumCalculator(TestStructures.soap(nMax: 2, lMax: 2, species: [8, 14]))
        XCTAssertEqual(calculator.featureCount, BispectrumCalculator.featureCount(channels: 4, lMax: 2))
        let first = calculator.feature(at: 0)
        XCTAssertEqual(first.map(\.l), [0, 0, 0])
        XCTAssertEqual(first.map(\.species), [8, 8, 8])
        XCTAssertEqual(try RadialSpectrumCalculator(TestStructures.soap(nMax: 5, species: [8, 14])).featureCount, 10)
    }

    /// ν = 1 is the l = 0 part of the density expansion; with l_max = 0 the bispectrum is
    /// Y_00 c_A c_B c_C · √μ (W^{000} = 1), a check of the layout and the multiplicities.
    func testRelationsToTheDensityExpansion() throws {
        let h = TestStructures.soap(nMax: 3, lMax: 0, species: [8, 14], normalise: false)
        let expansion = try SOAPCalculator(h).densityExpansion(Self.twoSpecies)
        let radial = try RadialSpectrumCalculator(h).values(Self.twoSpecies)
        XCTAssertEqual(radial.values, expansion.values)
        let bispectrum = try BispectrumCalculator(h).values(Self.twoSpecies)
        let n = 6
        XCTAssertEqual(bispectrum.featureCount, n * (n + 1) * (n + 2) / 6)
        for row in 0..<bispectrum.rowCount {
            let c = Array(expansion.values[row * n ..< (row + 1) * n])
            var k = 0
            for a in 0..<n {
                for b in a..<n {
                    for d in b..<n {
                        let orderings = a == d ? 1.0 : (a == b || b == d ? 3.0 : 6.0)
                        let expected = orderings.squareRoot() * c[a] * c[b] * c[d]
                        XCTAssertEqual(bispectrum.values[row * bispectrum.featureCount + k], expected, accuracy: 1e-14 * max(1, abs(expected)))
                        k += 1
                    }
                }
            }
        }
    }

    func rotation(_ a: Double, _ b: Double, _ c: Double) -> Matrix3 {
        let rz1 = Matrix3(rows: Vector3(cos(a), -sin(a), 0), Vector3(sin(a), cos(a), 0), Vector3(0, 0, 1))
        let rx = Matrix3(rows: Vector3(1, 0, 0), Vector3(0, cos(b), -sin(b)), Vector3(0, sin(b), cos(b)))
        let rz2 = Matrix3(rows: Vector3(cos(c), -sin(c), 0), Vector3(sin(c), cos(c), 0), Vector3(0, 0, 1))
        return rz1 * rx * rz2
    }

    func transformed(_ structure: Structure, by q: Matrix3) -> Structure {
        var result = structure
        result.positions = structure.positions.map { q.leftMultiply($0) }
        result.cell.matrix = structure.cell.matrix * q
        return result
    }

    /// Values are unchanged by a rotation and gradients rotate like vectors; under a reflection
    /// the scalar features are unchanged and the pseudoscalars change sign.
    func testRotationAndReflection() throws {
        let structure = Self.twoSpecies
        let q = rotation(0.3, 1.1, -0.7)
        let mirror = Matrix3(rows: Vector3(1, 0, 0), Vector3(0, -1, 0), Vector3(0, 0, 1)) * q
        let h = TestStructures.soap(nMax: 2, lMax: 3, species: [8, 14])
        let calculators: [any DensityDescriptor] = [
            try RadialSpectrumCalculator(h), try BispectrumCalculator(h), try BispectrumCalculator(h, pseudoscalars: true),
        ]
        for calculator in calculators {
            let a = try calculator.values(structure, gradients: true)
            let b = try calculator.values(transformed(structure, by: q), gradients: true)
            let reflected = try calculator.values(transformed(structure, by: mirror), gradients: true)
            XCTAssertLessThan(maxRelativeDifference(a.values, b.values), 1e-12)
            let f = a.featureCount
            var expected = a.gradientValues
            for e in 0..<a.gradientAtoms.count {
                for k in 0..<f {
                    let g = Vector3(a.gradientValues[(e * 3) * f + k], a.gradientValues[(e * 3 + 1) * f + k], a.gradientValues[(e * 3 + 2) * f + k])
                    let r = q.leftMultiply(g)
                    for alpha in 0..<3 { expected[(e * 3 + alpha) * f + k] = r[alpha] }
                }
            }
            XCTAssertLessThan(maxRelativeDifference(expected, b.gradientValues), 1e-11)
            // Reflection: features with l1 + l2 + l3 odd flip sign, the others stay.
            var signs = [Double](repeating: 1, count: f)
            if let bispectrum = calculator as? BispectrumCalculator {
                for k in 0..<f where bispectrum.feature(at: k).map(\.l).reduce(0, +) % 2 == 1 { signs[k] = -1 }
                print("bispectrum pseudoscalars=\(bispectrum.includesPseudoscalars): \(f) features, \(signs.filter { $0 < 0 }.count) odd")
            }
            let mirrored = (0..<a.values.count).map { a.values[$0] * signs[$0 % f] }
            XCTAssertLessThan(maxRelativeDifference(mirrored, reflected.values), 1e-12)
            if signs.contains(-1) {
                // The pseudoscalars are not all zero, so the reflection test has teeth.
                let oddMagnitude = (0..<a.values.count).filter { signs[$0 % f] < 0 }.map { abs(a.values[$0]) }.max() ?? 0
                XCTAssertGreaterThan(oddMagnitude, 1e-3)
            }
        }
    }

    func testTranslationAndPermutation() throws {
        let structure = Self.twoSpecies
        let h = TestStructures.soap(nMax: 2, lMax: 2, species: [8, 14], scaling: RadialScaling(c: 0.8, r0: 2.2, m: 2.5))
        let permutation = [3, 0, 5, 1, 4, 2]
        var permuted = structure
        permuted.atomicNumbers = permutation.map { structure.atomicNumbers[$0] }
        permuted.positions = permutation.map { structure.positions[$0] }
        var moved = structure
        moved.positions = structure.positions.map { $0 + Vector3(1.234, -7.65, 3.21) }
        var newIndex = [Int](repeating: 0, count: permutation.count)
        for (k, old) in permutation.enumerated() { newIndex[old] = k }
        for calculator in [try RadialSpectrumCalculator(h), try BispectrumCalculator(h)] as [any DensityDescriptor] {
            let a = try calculator.values(structure, gradients: true, strainGradients: true)
            let t = try calculator.values(moved, gradients: true, strainGradients: true)
            XCTAssertLessThan(maxRelativeDifference(a.values, t.values), 1e-12)
            XCTAssertLessThan(maxRelativeDifference(a.gradientValues, t.gradientValues), 1e-11)
            XCTAssertLessThan(maxRelativeDifference(a.strainValues, t.strainValues), 1e-11)
            let b = try calculator.values(permuted, gradients: true)
            let f = a.featureCount
            for row in 0..<a.rowCount {
                let rowB = try XCTUnwrap(b.centres.firstIndex(of: Int32(newIndex[Int(a.centres[row])])))
                XCTAssertLessThan(maxRelativeDifference(Array(a.values[row * f ..< (row + 1) * f]), Array(b.values[rowB * f ..< (rowB + 1) * f])), 1e-12)
                for atom in 0..<structure.count {
                    let ga = gradient(a, row: row, atom: atom).flatMap { $0 }
                    let gb = gradient(b, row: rowB, atom: newIndex[atom]).flatMap { $0 }
                    XCTAssertLessThan(zip(ga, gb).map { abs($0 - $1) }.max() ?? 0, 1e-12)
                }
            }
        }
    }

    func testPositionAndStrainGradients() throws {
        let single = TestStructures.periodic(count: 4, species: [14], seed: 22, lattice: TestStructures.skewedLattice)
        let cluster = TestStructures.cluster(count: 5, species: [14], seed: 23, box: 4.0)
        let scaling = RadialScaling(c: 0.8, r0: 2.2, m: 2.5)
        for normalise in [true, false] {
            let h1 = TestStructures.soap(nMax: 4, lMax: 0, normalise: normalise, scaling: scaling)
            let h3 = TestStructures.soap(nMax: 3, lMax: 3, normalise: normalise, centralWeight: 0.6)
            let hTwo = TestStructures.soap(nMax: 2, lMax: 2, species: [8, 14], centres: [8], normalise: normalise, scaling: scaling)
            let cases: [(String, any DensityDescriptor, Structure)] = [
                ("nu1 Si4", try RadialSpectrumCalculator(h1), single),
                ("nu1 cluster", try RadialSpectrumCalculator(h1), cluster),
                ("nu1 SiO", try RadialSpectrumCalculator(hTwo), Self.twoSpecies),
                ("nu3 Si4", try BispectrumCalculator(h3), single),
                ("nu3 cluster", try BispectrumCalculator(h3), cluster),
                ("nu3 SiO odd", try BispectrumCalculator(hTwo, pseudoscalars: true), Self.twoSpecies),
            ]
            for (name, calculator, structure) in cases {
                let position = try positionFiniteDifferenceError(calculator, structure)
                print("FD positions \(name) normalise=\(normalise): \(position)")
                XCTAssertLessThan(position, 1e-8)
                if structure.cell.isPeriodicInAnyDirection {
                    let strain = try strainFiniteDifferenceError(calculator, structure)
                    print("FD strain \(name) normalise=\(normalise): \(strain)")
                    XCTAssertLessThan(strain, 1e-8)
                }
            }
        }
    }

    /// With the optimal basis: untruncated (n_max = P, also with species combined, n_max =
    /// species · P) the kernels equal the QUIP basis's, since the contraction is an orthogonal map
    /// per l applied to every density copy; truncated, the gradients still match finite differences.
    func testOptimalBasis() throws {
        let structures = RadialContractionTests.siliconOxygen
        let centres = structures.map { s in Array(s.atomicNumbers.indices) }
        for combined in [false, true] {
            let h = TestStructures.soap(nMax: combined ? 6 : 3, lMax: 2, species: [8, 14], normalise: true)
            var primitive = h
            primitive.nMax = 3
            for order in [1, 3] {
                var hOrder = h, hPrimitive = primitive
                if order == 1 { hOrder.lMax = 0; hPrimitive.lMax = 0 }
                let contraction = try RadialContraction.fit(
                    hOrder, primitiveCount: 3, combineSpecies: combined, structures: structures, centres: centres, threads: 2)
                let gap: any DensityDescriptor = order == 1 ? try RadialSpectrumCalculator(hPrimitive) : try BispectrumCalculator(hPrimitive)
                let optimal: any DensityDescriptor = order == 1
                    ? try RadialSpectrumCalculator(hOrder, radialContraction: contraction)
                    : try BispectrumCalculator(hOrder, radialContraction: contraction)
                let a = try structures.map { try gap.values($0).values }.flatMap { $0 }
                let b = try structures.map { try optimal.values($0).values }.flatMap { $0 }
                let kernelA = gramMatrix(a, featureCount: gap.featureCount), kernelB = gramMatrix(b, featureCount: optimal.featureCount)
                print("ν=\(order) optimal basis untruncated, combined \(combined): kernel difference \(maxRelativeDifference(kernelA, kernelB))")
                XCTAssertLessThan(maxRelativeDifference(kernelA, kernelB), 1e-12)
            }
        }
        var h = TestStructures.soap(nMax: 2, lMax: 2, species: [8, 14], normalise: true)
        let truncated = try RadialContraction.fit(h, primitiveCount: 5, structures: structures, centres: centres, threads: 2)
        let combined = try RadialContraction.fit(h, primitiveCount: 3, combineSpecies: true, structures: structures, centres: centres, threads: 2)
        let bispectra = [try BispectrumCalculator(h, radialContraction: truncated), try BispectrumCalculator(h, radialContraction: combined)]
        for calculator in bispectra {
            let error = try positionFiniteDifferenceError(calculator, structures[0])
            let strain = try strainFiniteDifferenceError(calculator, structures[0])
            print("FD ν=3 optimal basis combined=\(calculator.radialContraction!.combinesSpecies): positions \(error), strain \(strain)")
            XCTAssertLessThan(error, 1e-8)
            XCTAssertLessThan(strain, 1e-8)
        }
        h.lMax = 0
        let radial = try RadialContraction.fit(h, primitiveCount: 4, combineSpecies: true, structures: structures, centres: centres, threads: 2)
        let error = try positionFiniteDifferenceError(try RadialSpectrumCalculator(h, radialContraction: radial), structures[0])
        XCTAssertLessThan(error, 1e-8)
    }

    func gramMatrix(_ values: [Double], featureCount f: Int) -> [Double] {
        let rows = values.count / f
        var result: [Double] = []
        for i in 0..<rows {
            for j in 0..<rows { result.append((0..<f).reduce(0) { $0 + values[i * f + $1] * values[j * f + $1] }) }
        }
        return result
    }

    func testDeterministicAcrossThreadCounts() throws {
        let calculator = try BispectrumCalculator(TestStructures.soap(nMax: 2, lMax: 2, species: [8, 14]))
        let one = try calculator.compute(Self.twoSpecies, gradients: true, strainGradients: true, threads: 1)
        let three = try calculator.compute(Self.twoSpecies, gradients: true, strainGradients: true, threads: 3)
        XCTAssertEqual(one.values, three.values)
        XCTAssertEqual(one.gradientValues, three.gradientValues)
        XCTAssertEqual(one.strainValues, three.strainValues)
    }

    func testInvalidSettingsAreInputErrors() {
        XCTAssertThrowsError(try BispectrumCalculator(TestStructures.soap(nMax: 2, lMax: 13))) { error in
            XCTAssertEqual((error as? InputError)?.field, "l_max")
        }
        XCTAssertThrowsError(try BispectrumCalculator(TestStructures.soap(nMax: 30, lMax: 8, species: [1, 6, 7, 8]))) { error in
            XCTAssertEqual((error as? InputError)?.field, "n_max")
        }
    }
}
