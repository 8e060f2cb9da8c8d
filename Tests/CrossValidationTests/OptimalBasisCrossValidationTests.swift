import Configuration
import Descriptors
import Foundation
import Kernels
import Prediction
import TestSupport
import XCTest
@testable import CrossValidation
@testable import Training

/// Cross-validation of a config with an optimal radial basis and feature selection: fitted once
/// to every frame, shared by all folds, identical whether descriptors are cached or recomputed.
final class OptimalBasisCrossValidationTests: XCTestCase {
    func optimalConfig() throws -> TrainingConfig {
        let json = """
            {
              "train_files": ["\(try Datasets.tinySilicon())"],
              "e0": "isolated",
              "descriptors": [
                {"type": "soap", "cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 3, "l_max": 3,
                 "atom_sigma": 0.5, "delta": 3.0, "zeta": 4, "n_sparse": 20, "sparse_method": "cur",
                 "radial_basis": "optimal", "n_max_primitive": 8, "n_features": 18, "basis_sample": 300}
              ],
              "default_sigma": {"energy": 0.001, "forces": 0.1, "virial": 0.05},
              "seed": 7
            }
            """
        return try TrainingConfig.parse(bytes: Array(json.utf8), name: "<optimal cv>", baseDirectory: "", checkFiles: false)
    }

    func testFoldsShareTheFittedDescriptorCachedOrNot() throws {
        let config = try optimalConfig()
        let data = try TrainingData.load(config)
        let cached = try CrossValidation(config: config, data: data).run(CrossValidationOptions(folds: 3, threads: 2))
        guard case .cached = cached.featureMode else { return XCTFail("expected cached descriptors") }
        XCTAssertTrue(cached.notes.contains { $0.contains("fitted once to all \(data.frames.count) frames") }, "\(cached.notes)")
        let recomputed = try CrossValidation(config: config, data: data).run(CrossValidationOptions(folds: 3, maxMemoryBytes: 0, threads: 1))
        XCTAssertEqual(recomputed.featureMode, .recomputed)
        for (a, b) in zip(cached.predictions, recomputed.predictions) {
            XCTAssertEqual(a?.energy.bitPattern, b?.energy.bitPattern)
            XCTAssertEqual(a?.forces.map(\.bitPattern), b?.forces.map(\.bitPattern))
        }
        XCTAssertEqual(cached.main.pooled.groups, recomputed.main.pooled.groups)

        // A fold is a fit of its training frames with the descriptor fitted to all frames.
        let shared = try Trainer(config: config).fittingDescriptors(to: data, species: data.speciesPresent)
        let fold = cached.main.folds[1]
        var part = data
        part.frames = fold.trainingFrames.map { data.frames[$0] }
        let fit = try shared.fit(part, species: data.speciesPresent, options: FitOptions(threads: 1))
        let soap = try XCTUnwrap(fit.potential.terms[0] as? SOAPTerm)
        XCTAssertEqual(soap.calculator.featureCount, 18)
        XCTAssertNotNil(soap.calculator.radialContraction)
        for f in fold.testFrames {
            let p = try fit.potential.predict(data.frames[f].structure, forces: true, virial: data.frames[f].virial != nil)
            XCTAssertEqual(p.energy.bitPattern, cached.predictions[f]?.energy.bitPattern)
            XCTAssertEqual(p.forces.map(\.bitPattern), cached.predictions[f]?.forces.map(\.bitPattern))
        }
    }

    /// The supervised basis uses the energies, so each fold fits it to its own training frames
    /// (never to the test frames' labels): a fold's predictions are those of a plain fit of its
    /// training frames, and the folds' contractions differ.
    func testSupervisedBasisIsFittedPerFold() throws {
        let text = try optimalConfig().canonicalJSON(pretty: false).replacingOccurrences(of: #""radial_basis":"optimal""#, with: #""radial_basis":"supervised","supervised_mixing":0.3"#)
        let config = try TrainingConfig.parse(bytes: Array(text.utf8), name: "<supervised cv>", baseDirectory: "", checkFiles: false)
        guard case .optimal(let o) = config.descriptors.compactMap({ if case .soap(let t) = $0 { return t.descriptor } else { return nil } })[0].radialBasis else {
            return XCTFail("expected the supervised basis in \(text)")
        }
        XCTAssertEqual(o.supervisedMixing, 0.3)
        let data = try TrainingData.load(config)
        let result = try CrossValidation(config: config, data: data).run(CrossValidationOptions(folds: 3, threads: 2))
        XCTAssertEqual(result.featureMode, .recomputed)
        XCTAssertTrue(result.notes.contains { $0.contains("fitted to each fold's training frames") }, "\(result.notes)")
        var contractions: [RadialContraction] = []
        for fold in result.main.folds.prefix(2) {
            var part = data
            part.frames = fold.trainingFrames.map { data.frames[$0] }
            let fit = try Trainer(config: config).fit(part, species: data.speciesPresent, options: FitOptions(threads: 1))
            contractions.append(try XCTUnwrap((fit.potential.terms[0] as? SOAPTerm)?.calculator.radialContraction))
            for f in fold.testFrames {
                let p = try fit.potential.predict(data.frames[f].structure, forces: true, virial: data.frames[f].virial != nil)
                XCTAssertEqual(p.energy.bitPattern, result.predictions[f]?.energy.bitPattern)
                XCTAssertEqual(p.forces.map(\.bitPattern), result.predictions[f]?.forces.map(\.bitPattern))
            }
        }
        XCTAssertNotEqual(contractions[0], contractions[1])
    }
}
