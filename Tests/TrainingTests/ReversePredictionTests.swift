import AtomicStructures
import Configuration
import Descriptors
import Kernels
import NeighbourLists
import Parallelism
import Prediction
import Support
import XCTest
@testable import Training

/// Predictions of trained models (reverse mode, blocks of centres) against the forward path
/// (descriptor gradients, as training computes them): energies, forces and virials to 1e-10
/// relative for every model variant, and identical for any thread count.
final class ReversePredictionTests: XCTestCase {
    func relative(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(b.map(abs).max() ?? 0, 1e-300)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    /// The forward prediction: every term's features with position and strain gradients.
    func forward(_ potential: Potential, _ s: Structure) throws -> Prediction {
        let list = try NeighbourList(s, cutoffRadius: potential.cutoffRadius)
        let features = try potential.terms.map { try $0.features(of: s, neighbours: list, gradients: true, strainGradients: true) }
        return try potential.predict(s, neighbours: list, features: features)
    }

    /// Test structures: training frames, a 2x2x1 supercell of one (more rows than a block), and
    /// an open cluster cut from it.
    func structures(_ data: TrainingData) -> [Structure] {
        var frames = data.frames.prefix(3).map(\.structure)
        var big = frames[0]
        let cell = big.cell.matrix
        var positions: [Vector3] = [], numbers: [Int] = []
        for a in 0..<2 {
            for b in 0..<2 {
                let shift = Double(a) * cell[row: 0] + Double(b) * cell[row: 1]
                positions += big.positions.map { $0 + shift }
                numbers += big.atomicNumbers
            }
        }
        big = Structure(
            atomicNumbers: numbers, positions: positions,
            cell: Cell(matrix: Matrix3(rows: 2 * cell[row: 0], 2 * cell[row: 1], cell[row: 2]), periodic: (true, true, true)))
        frames.append(big)
        let cluster = Structure(atomicNumbers: Array(frames[0].atomicNumbers.prefix(20)), positions: Array(frames[0].positions.prefix(20)))
        frames.append(cluster)
        return frames
    }

    func check(_ config: TrainingConfig, _ label: String) throws {
        let data = try smallData(config, frames: 6)
        let potential = try Trainer(config: config).fit(data, options: FitOptions(threads: 2)).potential
        for (index, s) in structures(data).enumerated() {
            let reference = try forward(potential, s)
            let one = try potential.predict(s, forces: true, virial: true, threads: 1)
            let two = try potential.predict(s, forces: true, virial: true, threads: 2)
            let context = "\(label), structure \(index) (\(s.count) atoms)"
            XCTAssertEqual(one.energy, reference.energy, accuracy: 1e-10 * abs(reference.energy), context)
            XCTAssertLessThan(relative(one.forces, reference.forces), 1e-10, context)
            XCTAssertLessThan(relative(one.virial, reference.virial), 1e-10, context)
            XCTAssertEqual(one.energy, two.energy, context)
            XCTAssertEqual(one.forces, two.forces, context)
            XCTAssertEqual(one.virial, two.virial, context)
        }
        // The batch path (small structures in parallel, large ones with threads inside) gives the same.
        let all = structures(data)
        let batch = try BatchPrediction.predict(potential, structures: all, threads: 2)
        for (s, p) in zip(all, batch) {
            let single = try potential.predict(s, forces: true, virial: s.cell.isFullyPeriodic)
            XCTAssertEqual(p.energy, single.energy)
            XCTAssertEqual(p.forces, single.forces)
        }
    }

    func testSupervisedBasis() throws {
        let config = try soapConfig(#""cutoff": 4.5, "n_max": 3, "l_max": 3, "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": 40, "radial_basis": "supervised", "n_max_primitive": 8, "supervised_mixing": 0.3, "basis_sample": 200"#)
        try check(config, "supervised radial basis")
    }

    func testQUIPBasisWithPairTerm() throws {
        let config = try soapConfig(#""cutoff": 4.5, "n_max": 4, "l_max": 3, "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": 40}, {"type": "distance_2b", "cutoff": 4.0, "delta": 0.5, "theta_uniform": 1.0, "n_sparse": 10, "sparse_method": "uniform""#)
        try check(config, "QUIP basis + distance_2b")
    }

    func testOptimalBasisFeatureSelectionAndRadialScaling() throws {
        let config = try soapConfig(#""cutoff": 4.5, "n_max": 4, "l_max": 3, "atom_sigma": 0.5, "delta": 1.0, "zeta": 2, "n_sparse": 30, "radial_basis": "optimal", "n_max_primitive": 8, "n_features": 25, "basis_sample": 200, "radial_scaling": {"c": 1.0, "r0": 2.5, "m": 4}"#)
        try check(config, "optimal basis + n_features + radial scaling")
    }

    func testBispectrumTermBesideSOAP() throws {
        let config = try soapConfig(#""cutoff": 4.5, "n_max": 3, "l_max": 2, "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": 30}, {"type": "bispectrum", "cutoff": 4.5, "n_max": 3, "l_max": 3, "atom_sigma": 0.5, "delta": 0.3, "zeta": 2, "n_sparse": 30, "radial_basis": "optimal", "n_max_primitive": 6, "basis_sample": 200"#)
        try check(config, "soap + bispectrum (optimal basis)")
    }

    /// A moderate cell (4,096 atoms, 64 blocks) predicts within the estimate, which stays far
    /// below what the forward path's descriptor gradients would take.
    func testModerateCellMemoryEstimate() throws {
        let config = try smallConfig(sparse: 20)
        let data = try smallData(config, frames: 3)
        let potential = try Trainer(config: config).fit(data, options: FitOptions(threads: 1)).potential
        let a = 5.431
        var positions: [Vector3] = []
        let basis = [Vector3(0, 0, 0), Vector3(0, 0.5, 0.5), Vector3(0.5, 0, 0.5), Vector3(0.5, 0.5, 0),
                     Vector3(0.25, 0.25, 0.25), Vector3(0.25, 0.75, 0.75), Vector3(0.75, 0.25, 0.75), Vector3(0.75, 0.75, 0.25)]
        let n = 8
        for i in 0..<n { for j in 0..<n { for k in 0..<n { for b in basis {
            positions.append(a * (Vector3(Double(i), Double(j), Double(k)) + b) + Vector3(0.01 * Double((i * 7 + j * 3 + k) % 5), 0, 0))
        } } } }
        let cell = Cell(matrix: Matrix3(rows: Vector3(a * Double(n), 0, 0), Vector3(0, a * Double(n), 0), Vector3(0, 0, a * Double(n))), periodic: (true, true, true))
        let s = Structure(atomicNumbers: [Int](repeating: 14, count: positions.count), positions: positions, cell: cell)
        let estimate = potential.predictionBytes(for: s, threads: 1)
        let list = try NeighbourList(s, cutoffRadius: potential.cutoffRadius)
        let actualPairs = Double(list.pairCount) / Double(s.count)
        let estimatedPairs = potential.estimatedNeighboursPerAtom(s)
        XCTAssertGreaterThanOrEqual(estimatedPairs, actualPairs, "the neighbour estimate must not be below the actual count")
        XCTAssertLessThan(estimatedPairs, 2 * actualPairs)
        let before = residentPeakBytes() ?? 0
        let p = try potential.predict(s, forces: true, virial: true)
        let growth = (residentPeakBytes() ?? 0) - before
        XCTAssertEqual(p.forces.count, 3 * s.count)
        // The forward path's position gradients alone: 3 x (pairs + centres) x features doubles.
        let forwardBytes = 3 * (list.pairCount + s.count) * 8 * (potential.terms[0] as! SOAPTerm).calculator.featureCount
        print("4,096-atom cell: estimate \(formatBytes(estimate)), peak RSS growth \(formatBytes(growth)), forward gradients would take \(formatBytes(forwardBytes))")
        XCTAssertLessThan(estimate, forwardBytes / 2)
        XCTAssertLessThan(growth, estimate, "prediction grew the peak RSS beyond its estimate")
        XCTAssertLessThan(estimate, 64 << 20)
    }
}
