import AtomicStructures
import Descriptors
import Support
import TestSupport
import XCTest
@testable import Kernels

final class DotProductKernelTests: XCTestCase {
    let toy = ToyDescriptor()

    func makeKernel(zeta: Int) throws -> (DotProductKernel, [Double]) {
        // Sparse points: toy descriptors of a different structure.
        let sparse = try toy.compute(makeTestStructure(seed: 99, atoms: 4))
        let kernel = DotProductKernel(delta: 1.7, zeta: zeta, featureCount: toy.featureCount, sparsePoints: sparse.values)
        var rng = SplitMix64(seed: 5)
        let alpha = (0..<kernel.sparseCount).map { _ in rng.unitInterval() - 0.5 }
        return (kernel, alpha)
    }

    /// Predicted forces and virial are minus the derivatives of the predicted energy.
    func testPredictedForcesAndVirialMatchFiniteDifferences() throws {
        for zeta in [1, 2, 4] {
            let (kernel, alpha) = try makeKernel(zeta: zeta)
            let s = makeTestStructure(seed: 7)
            let p = kernel.predict(try toy.compute(s), atomCount: s.count, alpha: alpha)
            let h = 1e-5
            for atom in 0..<s.count {
                for a in 0..<3 {
                    var plus = s, minus = s
                    plus.positions[atom][a] += h
                    minus.positions[atom][a] -= h
                    let ep = kernel.predict(try toy.compute(plus), atomCount: s.count, alpha: alpha).energy
                    let em = kernel.predict(try toy.compute(minus), atomCount: s.count, alpha: alpha).energy
                    XCTAssertEqual(p.forces[3 * atom + a], -(ep - em) / (2 * h), accuracy: 1e-8 * max(1, abs(p.forces[3 * atom + a])))
                }
            }
            for a in 0..<3 {
                for b in 0..<3 {
                    var e = Matrix3.zero
                    e[a, b] = h
                    let ep = kernel.predict(try toy.compute(strained(s, e)), atomCount: s.count, alpha: alpha).energy
                    let em = kernel.predict(try toy.compute(strained(s, (-1) * e)), atomCount: s.count, alpha: alpha).energy
                    XCTAssertEqual(p.virial[3 * a + b], -(ep - em) / (2 * h), accuracy: 1e-8 * max(1, abs(p.virial[3 * a + b])))
                }
            }
        }
    }

    /// The design rows times alpha reproduce the prediction (energy, forces, virial).
    func testDesignRowsTimesCoefficientsEqualPrediction() throws {
        let (kernel, alpha) = try makeKernel(zeta: 3)
        let s = makeTestStructure(seed: 11, atoms: 6)
        let d = try toy.compute(s)
        let p = kernel.predict(d, atomCount: s.count, alpha: alpha)
        let layout = DesignRowLayout(energy: 1, forces: 2, virial: 2 + 3 * s.count)
        let m = kernel.sparseCount
        // Extra column on either side checks the column offset; tiny scratch forces chunking.
        var block = DesignBlock(rowCount: 2 + 3 * s.count + 6 + 1, columnCount: m + 2)
        kernel.addDesignRows(for: d, rows: layout, into: &block, columnOffset: 1, scratchBytes: 3 * m * 8 * 5)
        func row(_ r: Int) -> Double { (0..<m).reduce(0) { $0 + block[r, $1 + 1] * alpha[$1] } }
        XCTAssertEqual(row(1), p.energy, accuracy: 1e-12 * abs(p.energy))
        for i in 0..<(3 * s.count) { XCTAssertEqual(row(2 + i), p.forces[i], accuracy: 1e-12) }
        for (c, ab) in DesignRowLayout.virialComponents.enumerated() { XCTAssertEqual(row(2 + 3 * s.count + c), p.virial[ab], accuracy: 1e-12) }
        for r in 0..<block.rowCount {
            XCTAssertEqual(block[r, 0], 0)
            XCTAssertEqual(block[r, m + 1], 0)
        }
        XCTAssertEqual(row(0), 0)
    }

    func testSparseCovarianceIsSymmetricAndMatchesDefinition() throws {
        let (kernel, _) = try makeKernel(zeta: 2)
        let k = kernel.sparseCovariance()
        let m = kernel.sparseCount
        let f = kernel.featureCount
        for i in 0..<m {
            for j in 0..<m {
                var dotProduct = 0.0
                for c in 0..<f { dotProduct += kernel.sparsePoints[i * f + c] * kernel.sparsePoints[j * f + c] }
                XCTAssertEqual(k[i + j * m], 1.7 * 1.7 * dotProduct * dotProduct, accuracy: 1e-13)
            }
        }
    }
}
