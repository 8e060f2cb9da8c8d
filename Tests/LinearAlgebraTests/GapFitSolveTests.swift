import Foundation
import TestSupport
import XCTest
@testable import LinearAlgebra

/// gap_fit's own linear system (dumped with linear_system_dump_file; see docs/gap_fit.md and
/// Benchmarks/make_gap_fit_fixture.py), solved with this module, must give gap_fit's alpha.
final class GapFitSolveTests: XCTestCase {
    private struct System {
        var kMM: Matrix      // M x M, sparse_jitter included
        var kNM: Matrix      // N x M
        var y: [Double]
        var lambda: [Double]
        var alpha: [Double]  // gap_fit's, distance_2b points then SOAP points
    }

    private func loadSystem() throws -> System {
        let url = URL(fileURLWithPath: packageRoot).appendingPathComponent("Tests/TrainingTests/Fixtures/gap_fit_small.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("gap_fit fixture not found at \(url.path); regenerate with Benchmarks/make_gap_fit_fixture.py")
        }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let system = try XCTUnwrap(json["linear_system"] as? [String: Any])
        let kMMRows = try XCTUnwrap(system["K_MM"] as? [[Double]])
        let kNMRows = try XCTUnwrap(system["K_NM"] as? [[Double]])
        let twoBody = try XCTUnwrap(json["two_body"] as? [String: Any])
        let soap = try XCTUnwrap(json["soap"] as? [String: Any])
        let alpha = try XCTUnwrap(twoBody["alpha"] as? [Double]) + XCTUnwrap(soap["alpha"] as? [Double])
        func matrix(_ rows: [[Double]]) -> Matrix {
            var m = Matrix(rows: rows.count, columns: rows.first?.count ?? 0)
            for (i, row) in rows.enumerated() { for (j, v) in row.enumerated() { m[i, j] = v } }
            return m
        }
        return System(
            kMM: matrix(kMMRows), kNM: matrix(kNMRows), y: try XCTUnwrap(system["y"] as? [Double]),
            lambda: try XCTUnwrap(system["lambda"] as? [Double]), alpha: alpha)
    }

    /// Streaming: prior rows U (K_MM = UᵀU) merged with the σ-weighted rows in blocks of 100.
    /// numpy's QR reproduces gap_fit's alpha to 4e-15 on this system (condition number 2.8e6,
    /// so κε ≈ 6e-10 bounds any backward-stable solver); this module measured 7e-13.
    func testIncrementalSolveReproducesGapFitAlpha() throws {
        let s = try loadSystem()
        let m = s.kMM.rows, n = s.kNM.rows
        XCTAssertEqual(s.alpha.count, m)
        let u = try choleskyLower(s.kMM).transposed
        var acc = try IncrementalLeastSquares(upperTriangularRows: u, targets: [Double](repeating: 0, count: m))
        var start = 0
        while start < n {
            let end = min(n, start + 100)
            var block = Matrix(rows: end - start, columns: m)
            var targets = [Double](repeating: 0, count: end - start)
            for i in start..<end {
                let w = 1 / s.lambda[i].squareRoot()
                for j in 0..<m { block[i - start, j] = w * s.kNM[i, j] }
                targets[i - start] = w * s.y[i]
            }
            try acc.add(rows: block, targets: targets)
            start = end
        }
        XCTAssertEqual(acc.rowCount, n + m)
        XCTAssertLessThan(relativeDifference(try acc.solve(), s.alpha), 1e-11)
    }

    /// The same problem as one dense QR least-squares solve of [Λ^-1/2 K_NM; U].
    func testDenseQRSolveReproducesGapFitAlpha() throws {
        let s = try loadSystem()
        let m = s.kMM.rows, n = s.kNM.rows
        let u = try choleskyLower(s.kMM).transposed
        var a = Matrix(rows: n + m, columns: m)
        var b = [Double](repeating: 0, count: n + m)
        for i in 0..<n {
            let w = 1 / s.lambda[i].squareRoot()
            for j in 0..<m { a[i, j] = w * s.kNM[i, j] }
            b[i] = w * s.y[i]
        }
        for i in 0..<m { for j in 0..<m { a[n + i, j] = u[i, j] } }
        XCTAssertLessThan(relativeDifference(try solveLeastSquares(a, b), s.alpha), 1e-11)
    }
}
