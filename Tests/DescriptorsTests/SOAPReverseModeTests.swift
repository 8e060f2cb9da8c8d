import AtomicStructures
import NeighbourLists
import Support
import TestSupport
import XCTest
@testable import Descriptors

/// Reverse mode (``ReverseModeDescriptor``) against the forward gradients: for a smooth energy of
/// the descriptor rows, forces and virial pulled back through the descriptor equal the forward
/// gradients contracted with ∂E/∂values, for every variant of the descriptor.
final class SOAPReverseModeTests: XCTestCase {
    /// e(v) = a · v + ½ (b · v)² per row, with fixed pseudo-random a and b.
    struct QuadraticEnergy {
        let a: [Double], b: [Double]
        init(featureCount: Int, seed: UInt64) {
            var random = SplitMix64(seed: seed)
            a = (0..<featureCount).map { _ in random.unitInterval() - 0.5 }
            b = (0..<featureCount).map { _ in random.unitInterval() - 0.5 }
        }
        func energy(_ v: UnsafePointer<Double>) -> Double {
            var av = 0.0, bv = 0.0
            for k in a.indices { av += a[k] * v[k]; bv += b[k] * v[k] }
            return av + 0.5 * bv * bv
        }
        func gradient(_ v: UnsafePointer<Double>, into u: UnsafeMutablePointer<Double>) {
            var bv = 0.0
            for k in a.indices { bv += b[k] * v[k] }
            for k in a.indices { u[k] = a[k] + bv * b[k] }
        }
    }

    /// Forces −∂E/∂r and virial from the forward descriptor gradients.
    func forwardReference(
        _ calculator: SOAPCalculator, _ structure: Structure, _ energy: QuadraticEnergy
    ) throws -> (values: [Double], energies: [Double], forces: [Double], virial: [Double]) {
        let d = try calculator.compute(structure, gradients: true, strainGradients: true, threads: 1)
        let f = d.featureCount
        var forces = [Double](repeating: 0, count: 3 * structure.count)
        var virial = [Double](repeating: 0, count: 9)
        var energies: [Double] = []
        var u = [Double](repeating: 0, count: f)
        d.values.withUnsafeBufferPointer { values in
            for row in 0..<d.rowCount {
                let v = values.baseAddress! + row * f
                energies.append(energy.energy(v))
                energy.gradient(v, into: &u)
                for p in d.gradientOffsets[row]..<d.gradientOffsets[row + 1] {
                    let atom = Int(d.gradientAtoms[p])
                    for alpha in 0..<3 {
                        var dot = 0.0
                        for k in 0..<f { dot += u[k] * d.gradientValues[(3 * p + alpha) * f + k] }
                        forces[3 * atom + alpha] -= dot
                    }
                }
                for ab in 0..<9 {
                    var dot = 0.0
                    for k in 0..<f { dot += u[k] * d.strainValues[(9 * row + ab) * f + k] }
                    virial[ab] -= dot
                }
            }
        }
        return (d.values, energies, forces, virial)
    }

    func reverse(
        _ calculator: SOAPCalculator, _ structure: Structure, _ energy: QuadraticEnergy, blockSize: Int, threads: Int,
        values: inout [Double]
    ) throws -> ReverseModeResult {
        let list = try NeighbourList(structure, cutoffRadius: calculator.hyperparameters.cutoffRadius)
        let f = calculator.featureCount
        var seen = [Double](repeating: .nan, count: 0)
        let lock = NSLock()
        let result = try calculator.evaluateReverse(
            structure, neighbours: list, forces: true, virial: true, blockSize: blockSize, threads: threads
        ) { block in
            for (k, row) in block.rows.enumerated() {
                block.localEnergies[k] = energy.energy(block.values + k * f)
                energy.gradient(block.values + k * f, into: block.valueGradients! + k * f)
                lock.lock()
                if seen.count < (row + 1) * f { seen += [Double](repeating: .nan, count: (row + 1) * f - seen.count) }
                for i in 0..<f { seen[row * f + i] = block.values[k * f + i] }
                lock.unlock()
            }
        }
        values = seen
        return result
    }

    func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        XCTAssertEqual(a.count, b.count)
        let scale = max(b.map(abs).max() ?? 0, 1e-300)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    /// Checks one calculator on structures: values bit for bit, energies, forces and virial to
    /// 1e-10 relative, and the same results for every block size and thread count.
    func check(_ calculator: SOAPCalculator, _ structures: [Structure], _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let energy = QuadraticEnergy(featureCount: calculator.featureCount, seed: 7)
        for (index, structure) in structures.enumerated() {
            let reference = try forwardReference(calculator, structure, energy)
            var first: ReverseModeResult?
            for (blockSize, threads) in [(64, 1), (1, 1), (3, 2), (2, 2)] {
                var values: [Double] = []
                let result = try reverse(calculator, structure, energy, blockSize: blockSize, threads: threads, values: &values)
                XCTAssertEqual(values.count, reference.values.count, "\(label) structure \(index)", file: file, line: line)
                XCTAssert(zip(values, reference.values).allSatisfy { $0 == $1 }, "\(label): reverse-mode values differ", file: file, line: line)
                XCTAssertEqual(result.localEnergies, reference.energies, "\(label)", file: file, line: line)
                let forceError = relativeDifference(result.forces, reference.forces)
                let virialError = relativeDifference(result.virial, reference.virial)
                XCTAssertLessThan(forceError, 1e-12, "\(label) structure \(index) forces, block \(blockSize)", file: file, line: line)
                XCTAssertLessThan(virialError, 1e-12, "\(label) structure \(index) virial, block \(blockSize)", file: file, line: line)
                if let first, blockSize == 3 || blockSize == 2 {
                    // Threads change nothing: forces and virial are reduced pair by pair in row order.
                    XCTAssertEqual(result.forces, first.forces, "\(label): forces depend on blocks or threads", file: file, line: line)
                    XCTAssertEqual(result.virial, first.virial, "\(label): virial depends on blocks or threads", file: file, line: line)
                }
                if blockSize == 1 { first = result }
            }
        }
    }

    static let silicon: [Structure] = [
        TestStructures.periodic(count: 5, species: [14], seed: 31, lattice: TestStructures.skewedLattice),
        TestStructures.cluster(count: 6, species: [14], seed: 33, box: 4.0),
    ]

    static let siliconOxygen: [Structure] = [
        TestStructures.periodic(count: 6, species: [14, 8, 8], seed: 21, lattice: TestStructures.skewedLattice, minimumDistance: 1.6),
        TestStructures.cluster(count: 6, species: [8, 14], seed: 23, box: 4.0, minimumDistance: 1.7),
    ]

    func testQUIPBasisOneSpecies() throws {
        try check(try SOAPCalculator(TestStructures.soap(nMax: 4, lMax: 3)), Self.silicon, "QUIP basis")
        try check(try SOAPCalculator(TestStructures.soap(nMax: 3, lMax: 5, normalise: false)), Self.silicon, "not normalised")
        try check(
            try SOAPCalculator(TestStructures.soap(nMax: 4, lMax: 4, scaling: RadialScaling(c: 1.3, r0: 2.1, m: 3.5))), Self.silicon,
            "radial scaling")
    }

    func testSeveralSpeciesAndCentreSubsets() throws {
        try check(try SOAPCalculator(TestStructures.soap(nMax: 3, lMax: 3, species: [8, 14])), Self.siliconOxygen, "two species")
        try check(
            try SOAPCalculator(TestStructures.soap(nMax: 3, lMax: 2, species: [8, 14], centres: [8])), Self.siliconOxygen,
            "oxygen centres only")
        // A centre species that is not a neighbour species.
        try check(
            try SOAPCalculator(TestStructures.soap(nMax: 3, lMax: 2, species: [14], centres: [8, 14])), Self.siliconOxygen,
            "foreign centres")
    }

    func testOptimalBasisAndFeatureSelection() throws {
        let h = TestStructures.soap(nMax: 3, lMax: 3, species: [8, 14])
        func fit(_ combined: Bool) throws -> RadialContraction {
            try RadialContraction.fit(
                h, primitiveCount: 6, retainedVariance: nil, combineSpecies: combined, structures: Self.siliconOxygen,
                centres: Self.siliconOxygen.map { Array($0.atomicNumbers.indices) }, threads: 1)
        }
        let perSpecies = try SOAPCalculator(h, radialContraction: try fit(false))
        try check(perSpecies, Self.siliconOxygen, "optimal basis")
        try check(try SOAPCalculator(h, radialContraction: try fit(true)), Self.siliconOxygen, "optimal basis, combined species")
        let kept = stride(from: 1, to: perSpecies.featureCount, by: 3).map { $0 }
        try check(try perSpecies.selectingFeatures(kept), Self.siliconOxygen, "optimal basis, selected features")
        let quip = try SOAPCalculator(TestStructures.soap(nMax: 4, lMax: 3))
        try check(try quip.selectingFeatures(stride(from: 0, to: quip.featureCount, by: 2).map { $0 }), Self.silicon, "QUIP basis, selected features")
    }

    /// Rows without density (normalised, no own Gaussian, no neighbour) are zero, with zero forces.
    func testRowWithoutDensity() throws {
        let h = TestStructures.soap(nMax: 3, lMax: 2, centralWeight: 0)
        let lonely = Structure(atomicNumbers: [14, 14, 14], positions: [Vector3(0, 0, 0), Vector3(2.3, 0, 0), Vector3(20, 0, 0)])
        try check(try SOAPCalculator(h), [lonely], "row without density")
    }

    /// Energy only: no gradients are asked, none are computed, and the values and energies agree.
    func testEnergyOnly() throws {
        let calculator = try SOAPCalculator(TestStructures.soap(nMax: 4, lMax: 3))
        let structure = Self.silicon[0]
        let energy = QuadraticEnergy(featureCount: calculator.featureCount, seed: 3)
        let reference = try forwardReference(calculator, structure, energy)
        let list = try NeighbourList(structure, cutoffRadius: calculator.hyperparameters.cutoffRadius)
        let f = calculator.featureCount
        let result = try calculator.evaluateReverse(structure, neighbours: list, forces: false, virial: false, blockSize: 2, threads: 1) { block in
            XCTAssertNil(block.valueGradients)
            for k in block.rows.indices.map({ $0 - block.rows.lowerBound }) { block.localEnergies[k] = energy.energy(block.values + k * f) }
        }
        XCTAssertEqual(result.localEnergies, reference.energies)
        XCTAssertTrue(result.forces.isEmpty)
        XCTAssertEqual(result.virial, [Double](repeating: 0, count: 9))
    }
}
