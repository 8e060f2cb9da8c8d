import AtomicStructures
import CSOAPKernels
import Descriptors
import NeighbourLists
import Support
import TestSupport
import XCTest
@testable import Kernels

/// Reverse-mode prediction of the dot-product kernel on SOAP (``DotProductKernel/predict(_:descriptor:neighbours:alpha:forces:virial:threads:blockSize:)``)
/// against the forward path (descriptor gradients contracted with the kernel derivative).
final class ReverseModePredictionTests: XCTestCase {
    func silicon(_ seed: UInt64, atoms: Int) -> Structure {
        var rng = SplitMix64(seed: seed)
        let cell = Cell(
            matrix: Matrix3(rows: Vector3(5.6, 0.2, 0.0), Vector3(0.3, 5.4, 0.1), Vector3(-0.2, 0.1, 5.8)), periodic: (true, true, true))
        var positions: [Vector3] = []
        while positions.count < atoms {
            let p = Vector3(5.5 * rng.unitInterval(), 5.5 * rng.unitInterval(), 5.5 * rng.unitInterval())
            if positions.allSatisfy({ length($0 - p) > 1.9 }) { positions.append(p) }
        }
        return Structure(atomicNumbers: (0..<atoms).map { $0 % 3 == 2 ? 8 : 14 }, positions: positions, cell: cell)
    }

    func kernel(for calculator: SOAPCalculator, zeta: Int, sparseFrom structure: Structure) throws -> (DotProductKernel, [Double]) {
        let sparse = try calculator.compute(structure).values
        let kernel = DotProductKernel(delta: 1.3, zeta: zeta, featureCount: calculator.featureCount, sparsePoints: sparse)
        var rng = SplitMix64(seed: 17)
        return (kernel, (0..<kernel.sparseCount).map { _ in rng.unitInterval() - 0.5 })
    }

    func relative(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(b.map(abs).max() ?? 0, 1e-300)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    func testReverseModeEqualsForwardPrediction() throws {
        let hypers = [
            SOAPHyperparameters(cutoffRadius: 4.5, cutoffTransitionWidth: 1.0, nMax: 5, lMax: 4, atomSigma: 0.5, neighbourSpecies: [14], centreSpecies: [14]),
            SOAPHyperparameters(
                cutoffRadius: 4.0, cutoffTransitionWidth: 1.0, nMax: 3, lMax: 3, atomSigma: 0.45, neighbourSpecies: [8, 14], centreSpecies: [8, 14],
                radialScaling: RadialScaling(c: 1, r0: 2, m: 4)),
        ]
        for h in hypers {
            let calculator = try SOAPCalculator(h)
            for zeta in [1, 2, 4] {
                let (kernel, alpha) = try kernel(for: calculator, zeta: zeta, sparseFrom: silicon(5, atoms: 9))
                for structure in [silicon(1, atoms: 12), silicon(2, atoms: 7)] {
                    let list = try NeighbourList(structure, cutoffRadius: h.cutoffRadius)
                    let forward = kernel.predict(
                        try calculator.compute(structure, neighbours: list, gradients: true, strainGradients: true, threads: 1),
                        atomCount: structure.count, alpha: alpha)
                    var previous: Prediction?, first: Prediction?
                    for (threads, block) in [(1, 64), (1, 2), (2, 2), (1, 5), (1, 32)] {
                        let reverse = try kernel.predict(
                            structure, descriptor: calculator, neighbours: list, alpha: alpha, forces: true, virial: true,
                            threads: threads, blockSize: block)
                        let label = "species \(h.neighbourSpecies) zeta \(zeta) threads \(threads) block \(block)"
                        XCTAssertEqual(reverse.energy, forward.energy, accuracy: 1e-10 * abs(forward.energy), label)
                        XCTAssertLessThan(relative(reverse.localEnergies, forward.localEnergies), 1e-10, label)
                        XCTAssertLessThan(relative(reverse.forces, forward.forces), 1e-10, label)
                        XCTAssertLessThan(relative(reverse.virial, forward.virial), 1e-10, label)
                        if let previous, threads == 2 {
                            XCTAssertEqual(previous.forces, reverse.forces, "forces depend on the thread count")
                            XCTAssertEqual(previous.virial, reverse.virial, "virial depends on the thread count")
                            XCTAssertEqual(previous.localEnergies, reverse.localEnergies, "energies depend on the thread count")
                        }
                        if threads == 1 && block == 2 { previous = reverse }
                        // Another block size may round the BLAS products differently (its
                        // small-matrix kernels), never by more than round-off.
                        if let first {
                            XCTAssertLessThan(relative(reverse.forces, first.forces), 1e-12, "forces across blocks, \(label)")
                            XCTAssertLessThan(relative(reverse.virial, first.virial), 1e-12, "virial across blocks, \(label)")
                            XCTAssertLessThan(relative(reverse.localEnergies, first.localEnergies), 1e-12, "energies across blocks, \(label)")
                        } else {
                            first = reverse
                        }
                    }
                    // The default block size: the same bits on one and two threads.
                    let one = try kernel.predict(
                        structure, descriptor: calculator, neighbours: list, alpha: alpha, forces: true, virial: true, threads: 1)
                    let two = try kernel.predict(
                        structure, descriptor: calculator, neighbours: list, alpha: alpha, forces: true, virial: true, threads: 2)
                    XCTAssertEqual(one.forces, two.forces, "forces depend on the thread count (default block)")
                    XCTAssertEqual(one.virial, two.virial, "virial depends on the thread count (default block)")
                    XCTAssertEqual(one.localEnergies, two.localEnergies, "energies depend on the thread count (default block)")
                    // Energy only: same energies, no forces.
                    let energyOnly = try kernel.predict(
                        structure, descriptor: calculator, neighbours: list, alpha: alpha, forces: false, virial: false)
                    XCTAssertEqual(energyOnly.energy, forward.energy, accuracy: 1e-10 * abs(forward.energy))
                    XCTAssertTrue(energyOnly.forces.allSatisfy { $0 == 0 })
                }
            }
        }
    }

    /// The eight-wide elementwise pass (CSOAPKernels) gives the portable loop's bits: energies and
    /// W, for ζ 1 to 6, row counts around the groups of eight and point counts around the lanes.
    func testWideBlockEnergiesEqualPortableBitForBit() throws {
        try XCTSkipUnless(wideKernelsEnabled, "no AVX-512 here: only the portable pass exists")
        var rng = SplitMix64(seed: 23)
        for zeta in 1...6 {
            for m in [1, 7, 9, 37] {
                let kernel = DotProductKernel(
                    delta: 1.7, zeta: zeta, featureCount: 1, sparsePoints: (0..<m).map { _ in rng.unitInterval() })
                let alpha = (0..<m).map { _ in rng.unitInterval() - 0.5 }
                for rows in [1, 5, 8, 13, 16] {
                    let g = (0..<(rows * m)).map { _ in 2 * rng.unitInterval() - 0.7 }
                    var portableW = g, wideW = g + [Double](repeating: 0, count: 8 * m)
                    var portableE = [Double](repeating: 0, count: rows), wideE = portableE
                    let d2 = 1.7 * 1.7
                    alpha.withUnsafeBufferPointer { a in
                        kernel.blockEnergiesPortable(g: &portableW, rows: rows, alpha: a.baseAddress!, d2: d2, energies: &portableE)
                        wideW.withUnsafeMutableBufferPointer { w in
                            swiftgap_kernel_block_energies(
                                w.baseAddress!, Int64(rows), Int64(m), a.baseAddress!, d2, Double(zeta), Int64(zeta - 1), &wideE,
                                w.baseAddress! + rows * m)
                        }
                    }
                    let label = "zeta \(zeta) m \(m) rows \(rows)"
                    XCTAssertEqual(portableE.map(\.bitPattern), wideE.map(\.bitPattern), "energies, \(label)")
                    XCTAssertEqual(portableW.map(\.bitPattern), wideW.prefix(rows * m).map(\.bitPattern), "W, \(label)")
                }
            }
        }
    }
}
