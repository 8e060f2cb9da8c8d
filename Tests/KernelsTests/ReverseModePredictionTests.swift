import AtomicStructures
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
                    var previous: Prediction?
                    for (threads, block) in [(1, 64), (1, 2), (2, 2), (1, 5)] {
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
                    }
                    // Energy only: same energies, no forces.
                    let energyOnly = try kernel.predict(
                        structure, descriptor: calculator, neighbours: list, alpha: alpha, forces: false, virial: false)
                    XCTAssertEqual(energyOnly.energy, forward.energy, accuracy: 1e-10 * abs(forward.energy))
                    XCTAssertTrue(energyOnly.forces.allSatisfy { $0 == 0 })
                }
            }
        }
    }
}
