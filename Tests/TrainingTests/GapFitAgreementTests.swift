import AtomicStructures
import Configuration
import Descriptors
import Foundation
import Kernels
import ModelFiles
import NeighbourLists
@testable import Prediction
import TestSupport
import XCTest
@testable import Training

/// Agreement with QUIP's gap_fit on its own fixture (Benchmarks/make_gap_fit_fixture.py):
/// 28 Si frames, distance_2b + SOAP (n_max 4, l_max 3, ζ 4), the same sparse points, sigmas and
/// jitter. The fixture holds gap_fit's α and quippy's full-precision predictions on 5 held-out
/// frames.
final class GapFitAgreementTests: XCTestCase {
    let fixtures = packageRoot + "/Tests/TrainingTests/Fixtures"

    struct Fixture: Decodable {
        struct TwoBody: Decodable {
            let sparse_distance: [Double]
            let alpha: [Double]
        }
        struct SOAP: Decodable {
            let alpha: [Double]
        }
        struct Frame: Decodable {
            let energy: Double
            let forces: [[Double]]
            let virial: [[Double]]?
        }
        struct Predictions: Decodable {
            let frames: [Frame]
        }
        let two_body: TwoBody
        let soap: SOAP
        let predictions: Predictions
    }

    func loadFixture() throws -> Fixture {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/gap_fit_small.json"))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    /// Writes an index file selecting, for each of gap_fit's 2-body sparse distances, the first of
    /// our ordered-pair instances at that distance (gap_fit numbers pairs in QUIP's own order, so
    /// the points are matched by value).
    func writePairIndexFile(distances wanted: [Double], path: String) throws {
        let frames = try ExtendedXYZReader.readAll(path: fixtures + "/gap_fit_small_train.xyz")
        var instances: [Double] = []
        for s in frames {
            let list = try NeighbourList(s, cutoffRadius: 5)
            instances += PairDistanceKernel.pairDistances(in: s, neighbours: list, species: .init(14, 14))
        }
        var lines: [String] = []
        for d in wanted {
            let index = try XCTUnwrap(instances.firstIndex { abs($0 - d) < 1e-10 }, "distance \(d) not among our pairs")
            lines.append(String(index + 1))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    func makeConfig(pairIndexFile: String) throws -> TrainingConfig {
        let json = """
            {
              "train_files": ["\(fixtures)/gap_fit_small_train.xyz"],
              "e0": "isolated",
              "descriptors": [
                {"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 1.0, "theta_uniform": 0.5, "delta": 2.0,
                 "sparse_method": "index_file", "sparse_file": "\(pairIndexFile)"},
                {"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 4, "l_max": 3, "atom_sigma": 0.5,
                 "central_weight": 1.0, "delta": 1.0, "zeta": 4,
                 "sparse_method": "index_file", "sparse_file": "\(fixtures)/gap_fit_small_soap.idx"}
              ],
              "default_sigma": {"energy": 0.002, "forces": 0.1, "virial": 0.05},
              "sparse_jitter": 1e-8
            }
            """
        return try TrainingConfig.parse(bytes: Array(json.utf8), name: "<gap_fit agreement>", baseDirectory: "")
    }

    func testCoefficientsAndPredictionsMatchGapFit() throws {
        let fixture = try loadFixture()
        let indexPath = NSTemporaryDirectory() + "/swiftgap-2b-\(getpid()).idx"
        defer { unlink(indexPath) }
        try writePairIndexFile(distances: fixture.two_body.sparse_distance, path: indexPath)
        let config = try makeConfig(pairIndexFile: indexPath)
        let data = try TrainingData.load(config)
        XCTAssertEqual(data.frames.count, 28)
        let result = try Trainer(config: config).fit(data, options: FitOptions(threads: 2))

        // α of the 2-body term, matched to gap_fit's by sparse distance.
        let pair = try XCTUnwrap(result.potential.terms[0] as? PairDistanceTerm)
        let alphaScale2b = fixture.two_body.alpha.map(abs).max()!
        for (k, d) in pair.kernel.sparseDistances.enumerated() {
            let j = try XCTUnwrap(fixture.two_body.sparse_distance.firstIndex { abs($0 - d) < 1e-12 })
            XCTAssertEqual(result.potential.alphas[0][k], fixture.two_body.alpha[j], accuracy: 1e-6 * alphaScale2b, "2b α \(k)")
        }
        // α of the SOAP term, in index-file order (gap_fit sorts indices too).
        let alphaScaleSOAP = fixture.soap.alpha.map(abs).max()!
        XCTAssertEqual(result.potential.alphas[1].count, fixture.soap.alpha.count)
        var worst = 0.0
        for (ours, theirs) in zip(result.potential.alphas[1], fixture.soap.alpha) {
            worst = max(worst, abs(ours - theirs) / alphaScaleSOAP)
        }
        XCTAssertLessThan(worst, 1e-6, "largest SOAP α difference relative to max |α|")
        print("gap_fit agreement: largest SOAP α difference / max |α| = \(worst)")

        // Predictions on gap_fit's held-out frames, against quippy at full precision.
        let test = try ExtendedXYZReader.readAll(path: fixtures + "/gap_fit_small_test.xyz")
        XCTAssertEqual(test.count, fixture.predictions.frames.count)
        var worstEnergy = 0.0, worstForce = 0.0, worstVirial = 0.0
        for (s, reference) in zip(test, fixture.predictions.frames) {
            let p = try result.potential.predict(s)
            worstEnergy = max(worstEnergy, abs(p.energy - reference.energy))
            for atom in 0..<s.count { for a in 0..<3 { worstForce = max(worstForce, abs(p.forces[3 * atom + a] - reference.forces[atom][a])) } }
            if let v = reference.virial { for a in 0..<3 { for b in 0..<3 { worstVirial = max(worstVirial, abs(p.virial[3 * a + b] - v[a][b])) } } }
            XCTAssertEqual(p.energy, reference.energy, accuracy: 1e-6, "energy (eV)")
            for atom in 0..<s.count {
                for a in 0..<3 { XCTAssertEqual(p.forces[3 * atom + a], reference.forces[atom][a], accuracy: 1e-6, "force (eV/Å)") }
            }
            if let v = reference.virial {
                for a in 0..<3 {
                    for b in 0..<3 { XCTAssertEqual(p.virial[3 * a + b], v[a][b], accuracy: 1e-6, "virial (eV)") }
                }
            }
        }
        print("gap_fit agreement on held-out frames: max |ΔE| = \(worstEnergy) eV, max |ΔF| = \(worstForce) eV/Å, max |ΔW| = \(worstVirial) eV")
    }
}
