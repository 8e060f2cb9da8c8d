import AtomicStructures
import Configuration
import Kernels
import LinearAlgebra
import Prediction
import TestSupport
import XCTest
@testable import Training

/// The streaming fit (design rows formed in blocks and folded into an M x M triangle) solves the
/// same least-squares problem as a dense Householder QR of the whole stacked matrix
/// [Λ^(−1/2) K_NM; U], as gap_fit does in memory.
final class StreamingFitTests: XCTestCase {
    func testStreamingFitEqualsDenseQROfTheWholeDesignMatrix() throws {
        let json = """
            {"train_files": ["\(packageRoot)/datasets/si_zuo2020/Si_train.xyz"], "e0": "average",
             "descriptors": [{"type": "soap", "cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 4, "l_max": 3,
                              "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": 60, "sparse_method": "cur"},
                             {"type": "distance_2b", "cutoff": 4.5, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
                              "delta": 0.5, "n_sparse": 8, "sparse_method": "uniform"}],
             "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05}}
            """
        let config = try TrainingConfig.parse(bytes: Array(json.utf8), name: "<test>", baseDirectory: "")
        let data = try smallData(config, frames: 10)
        let trainer = Trainer(config: config)
        let streamed = try trainer.fit(data, options: FitOptions(threads: 2, blockRows: 256))
        let terms = streamed.potential.terms
        let offsets = terms.reduce(into: [0]) { $0.append($0.last! + $1.sparseCount) }
        let m = offsets.last!

        // The whole weighted design matrix in one block, then U below it.
        let (block, targets) = try Trainer.designBlock(
            frames: data.frames, range: 0..<data.frames.count, terms: terms, columnOffsets: offsets,
            e0: streamed.potential.e0, cutoff: streamed.potential.cutoffRadius)
        let n = block.rowCount
        var a = Matrix(rows: n + m, columns: m)
        for j in 0..<m {
            for i in 0..<n { a[i, j] = block[i, j] }
        }
        let start = try trainer.startSolver(terms: terms, sources: streamed.sparseSources)
        for j in 0..<m {
            for i in 0...j { a[n + i, j] = start.r[i, j] }
        }
        let dense = try solveLeastSquares(a, targets + [Double](repeating: 0, count: m))
        let alpha = streamed.potential.alphas.flatMap { $0 }
        let scale = alpha.map(abs).max()!
        var worst = 0.0
        for (x, y) in zip(alpha, dense) { worst = max(worst, abs(x - y) / scale) }
        // Two backward-stable QR factorisations of the same matrix agree to about κ(R) ε; the fit
        // reports 1/κ(R) (LAPACK's 1-norm estimate).
        let kappa = 1 / streamed.reciprocalCondition
        XCTAssertLessThan(worst, 10 * kappa * Double.ulpOfOne, "largest α difference, streamed vs dense QR, relative to max |α|")
        print("streaming vs dense QR: largest α difference / max |α| = \(worst), κ(R) ≈ \(kappa)")
    }
}
