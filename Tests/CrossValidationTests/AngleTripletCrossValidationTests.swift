import Configuration
import Foundation
import Kernels
import ModelFiles
import TestSupport
import XCTest
@testable import CrossValidation
@testable import Training

/// gap-cv with an angle_3b term: descriptors shared across folds (cached) or recomputed give the
/// same predictions to the bit, and sparse triplets come from each fold's training frames.
final class AngleTripletCrossValidationTests: XCTestCase {
    func testCachedAndRecomputedFoldsAgreeWithAnAngleTerm() throws {
        let json = """
            {"train_files": ["\(try Datasets.tinySilicon())"], "e0": "isolated",
             "descriptors": [
               {"type": "distance_2b", "cutoff": 4.5, "cutoff_transition_width": 1.0, "theta_uniform": 1.0, "delta": 2.0, "n_sparse": 8},
               {"type": "angle_3b", "cutoff": 3.2, "cutoff_transition_width": 0.6, "theta_uniform": 0.7, "delta": 0.3, "n_sparse": 30, "sparse_method": "cur"}],
             "default_sigma": {"energy": 0.001, "forces": 0.1, "virial": 0.05}, "seed": 7}
            """
        let config = try TrainingConfig.parse(bytes: Array(json.utf8), name: "<tiny 3b cv>", baseDirectory: "", checkFiles: false)
        let data = try TrainingData.load(config)
        let cached = try CrossValidation(config: config, data: data).run(CrossValidationOptions(folds: 3, threads: 2))
        guard case .cached = cached.featureMode else { return XCTFail("descriptors should have been cached") }
        let recomputed = try CrossValidation(config: config, data: data).run(CrossValidationOptions(folds: 3, maxMemoryBytes: 0, threads: 1))
        XCTAssertEqual(recomputed.featureMode, .recomputed)
        for (a, b) in zip(cached.predictions, recomputed.predictions) {
            XCTAssertEqual(a?.energy.bitPattern, b?.energy.bitPattern)
            XCTAssertEqual(a?.forces.map(\.bitPattern), b?.forces.map(\.bitPattern))
            XCTAssertEqual(a?.virial.map(\.bitPattern), b?.virial.map(\.bitPattern))
        }
        for fold in cached.main.folds {
            let test = Set(fold.testFrames)
            XCTAssertEqual(fold.sparseSources[1].count, 30)
            for source in fold.sparseSources[1] {
                guard case .environment(let frame, _) = source else { return XCTFail("a triplet sparse point without its frame") }
                XCTAssertFalse(test.contains(frame))
            }
        }
    }
}
