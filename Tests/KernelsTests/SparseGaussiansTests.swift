import AtomicStructures
import Foundation
import NeighbourLists
import XCTest
@testable import Kernels

/// The 2-body prediction's Gaussians by recurrence (evenly spaced sparse points) against one
/// exponential each, and the prediction on such points against the design rows.
final class SparseGaussiansTests: XCTestCase {
    func testRecurrenceMatchesTheExponentials() {
        let points = (0..<20).map { 0.5 + Double($0) * 4.5 / 19 }
        for theta in [0.12, 0.3, 0.5, 1.0, 4.0] {
            let gaussians = SparseGaussians(points: points, theta: theta)
            XCTAssertNotNil(gaussians.spacing, "θ \(theta)")
            var recurrence = [Double](repeating: -1, count: points.count), direct = recurrence
            for step in 0...700 {
                let r = 0.01 * Double(step) - 0.5  // below, across and beyond the points
                gaussians.evaluate(r, into: &recurrence)
                gaussians.evaluateDirectly(r, into: &direct)
                let nearest = min(points.count - 1, max(0, Int(((r - points[0]) / gaussians.spacing!).rounded())))
                for (k, (a, b)) in zip(recurrence, direct).enumerated() {
                    // Relative to the value where it can matter (the largest is ~1, and prediction
                    // must agree to 1e-10); below 1e-20, both must be negligible. The
                    // bound, in roundings: one per factor along the k-step chain (k² in all); the
                    // first ratio's error (its exponent |dΔ/θ²| roundings) taken k times and the
                    // step's (Δ²/θ²) k²/2 times; and the conditioning both sides share: of the
                    // exponential (|argument|) and of r − x_k (x_k itself is rounded).
                    let steps = Double(abs(k - nearest)), step = gaussians.spacing!
                    let d = r - points[nearest], inverse = 1 / (theta * theta)
                    let argument = 0.5 * (r - points[k]) * (r - points[k]) * inverse
                    let roundings = steps * steps * (1 + 0.5 * step * step * inverse) + steps * abs(d * step * inverse)
                        + 2 * argument + 2 * abs(r - points[k]) * abs(points[k]) * inverse + 8
                    if b > 1e-20 {
                        XCTAssertEqual(a, b, accuracy: roundings * b.ulp, "θ \(theta), r \(r)")
                    } else {
                        XCTAssertLessThan(a, 1e-19, "θ \(theta), r \(r)")
                    }
                }
            }
        }
    }

    func testUnevenOrFewPointsAreEvaluatedDirectly() {
        XCTAssertNil(SparseGaussians(points: [1.9, 2.5, 3.1, 3.6, 4.2], theta: 0.7).spacing)
        XCTAssertNil(SparseGaussians(points: [1, 2], theta: 0.7).spacing)
        XCTAssertNil(SparseGaussians(points: [3, 2, 1], theta: 0.7).spacing)
        XCTAssertNotNil(SparseGaussians(points: [1, 2, 3], theta: 0.7).spacing)
        XCTAssertNil(SparseGaussians(points: [1, 2, 3], theta: 0.3).spacing, "Δ > 2θ")
    }

    /// Evenly spaced points (as `sparse_method: "uniform"` places them, 20 of them as in the
    /// default config): the prediction equals the design rows times α.
    func testPredictionOnEvenPointsEqualsDesignRows() throws {
        let points = (0..<20).map { 1.0 + Double($0) * 3.5 / 19 }
        let kernel = PairDistanceKernel(cutoffRadius: 4.5, transitionWidth: 1.5, theta: 0.4, delta: 1.3, sparseDistances: points)
        XCTAssertNotNil(SparseGaussians(points: points, theta: kernel.theta).spacing)
        let alpha = points.indices.map { sin(Double($0) * 1.7) }
        var s = makeTestStructure(seed: 8, atoms: 6)
        s.atomicNumbers = (0..<6).map { $0 % 2 == 0 ? 14 : 8 }
        let list = try NeighbourList(s, cutoffRadius: kernel.cutoffRadius)
        let p = kernel.predict(s, neighbours: list, alpha: alpha)
        let n = s.count, m = kernel.sparseCount
        let layout = DesignRowLayout(energy: 0, forces: 1, virial: 1 + 3 * n)
        var block = DesignBlock(rowCount: 1 + 3 * n + 6, columnCount: m)
        kernel.addDesignRows(for: s, neighbours: list, rows: layout, into: &block, columnOffset: 0)
        func row(_ r: Int) -> Double { (0..<m).reduce(0) { $0 + block[r, $1] * alpha[$1] } }
        XCTAssertNotEqual(p.energy, 0)
        XCTAssertEqual(row(0), p.energy, accuracy: 1e-12 * abs(p.energy))
        for i in 0..<(3 * n) { XCTAssertEqual(row(1 + i), p.forces[i], accuracy: 1e-12) }
        for (c, ab) in DesignRowLayout.virialComponents.enumerated() {
            XCTAssertEqual(row(1 + 3 * n + c), p.virial[ab], accuracy: 1e-12)
        }
    }
}
