import AtomicStructures
import Configuration
import Foundation
import Kernels
import ModelFiles
import Prediction
import TestSupport
import XCTest
@testable import Training

/// angle_3b terms in real fits on silicon: they train from energies, forces and virials,
/// predict, and keep the fit's guarantees (same bytes for any thread count, from cached
/// features, and after save → load).
final class AngleTripletFitTests: XCTestCase {
    /// A 2-body model on Zuo et al.'s Si, with `extra` descriptor terms appended.
    func siliconConfig(extra: String) throws -> TrainingConfig {
        let json = """
            {"train_files": ["\(packageRoot)/datasets/si_zuo2020/Si_train.xyz"], "e0": "average",
             "descriptors": [{"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 1.0, "theta_uniform": 0.5,
                              "delta": 1.0, "n_sparse": 15}\(extra)],
             "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05}, "seed": 4}
            """
        return try TrainingConfig.parse(bytes: Array(json.utf8), name: "<si 3b>", baseDirectory: "")
    }

    let angleTerm = #", {"type": "angle_3b", "cutoff": 3.0, "cutoff_transition_width": 0.5, "theta_uniform": 0.5, "delta": 0.2, "n_sparse": 40}"#

    /// Force RMSE (eV/Å) of `potential` on `frames`.
    func forceRMSE(_ potential: Potential, _ frames: [TrainingFrame]) throws -> Double {
        var sum = 0.0, count = 0
        for frame in frames {
            let p = try potential.predict(frame.structure, forces: true, virial: false)
            for (a, b) in zip(p.forces, frame.forces!) {
                sum += (a - b) * (a - b)
                count += 1
            }
        }
        return (sum / Double(count)).squareRoot()
    }

    /// Trained on 40 frames (energies, forces, virials), tested on 20 others: the 3-body term
    /// brings held-out silicon forces well below the 2-body model's (diamond-like silicon is held
    /// together by its bond angles).
    func testThreeBodyTermLearnsSiliconForces() throws {
        let pairOnly = try siliconConfig(extra: "")
        let withAngles = try siliconConfig(extra: angleTerm)
        let all = try TrainingData.load(withAngles)
        var training = all, test = all
        training.frames = Array(all.frames[0..<40])
        test.frames = Array(all.frames[100..<120])
        let species = all.speciesPresent
        let fitPair = try Trainer(config: pairOnly).fit(training, species: species, options: FitOptions(threads: 2))
        let fit = try Trainer(config: withAngles).fit(training, species: species, options: FitOptions(threads: 2))
        XCTAssertEqual(fit.potential.terms.map(\.name), ["distance_2b Si-Si", "angle_3b Si-Si-Si"])
        let angle = try XCTUnwrap(fit.potential.terms[1] as? AngleTripletTerm)
        XCTAssertEqual(angle.sparseCount, 40)
        XCTAssertTrue(angle.kernel.sparseWeights.allSatisfy { $0 > 0 && $0 <= 1 })
        XCTAssertTrue(fit.sparseSources[1].allSatisfy { if case .environment(let f, _) = $0 { return f < 40 } else { return false } })
        let pairError = try forceRMSE(fitPair.potential, test.frames)
        let angleError = try forceRMSE(fit.potential, test.frames)
        print("held-out Si force RMSE: distance_2b \(pairError) eV/Å, + angle_3b \(angleError) eV/Å")
        XCTAssertLessThan(angleError, 0.8 * pairError)

        // Same bytes with one thread, and after writing and reading the model file.
        let trainer = Trainer(config: withAngles)
        let model = trainer.modelFile(for: fit, data: training).encoded()
        let one = try trainer.fit(training, species: species, options: FitOptions(threads: 1, blockRows: 300))
        XCTAssertEqual(trainer.modelFile(for: one, data: training).encoded(), model)
        let loaded = try ModelFile.decode(Array(model.utf8), name: "si3b.gapjson")
        XCTAssertNil(loaded.integrityNote)
        XCTAssertEqual(loaded.encoded(), model)
        for frame in test.frames.prefix(5) {
            let a = try fit.potential.predict(frame.structure, forces: true, virial: true)
            let b = try loaded.potential.predict(frame.structure, forces: true, virial: true)
            XCTAssertEqual(a.energy.bitPattern, b.energy.bitPattern)
            XCTAssertEqual(a.forces.map(\.bitPattern), b.forces.map(\.bitPattern))
            XCTAssertEqual(a.virial.map(\.bitPattern), b.virial.map(\.bitPattern))
        }
    }

    /// Each sparse-point method works on the triplets, and precomputed features (the
    /// cross-validation path) give the same model bytes on two species.
    func testSparseMethodsAndCachedFeaturesOnTwoSpecies() throws {
        let path = packageRoot + "/Tests/GAPXMLTests/Fixtures/tial_train.xyz"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is absent") }
        for method in ["uniform", "random", "cur", "fps"] {
            let json = """
                {"train_files": ["\(path)"], "e0": "average",
                 "descriptors": [{"type": "angle_3b", "cutoff": 3.5, "theta_uniform": 1.0, "delta": 0.3, "n_sparse": 6, "sparse_method": "\(method)"}],
                 "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05}, "seed": 2}
                """
            let config = try TrainingConfig.parse(bytes: Array(json.utf8), name: "<tial 3b>", baseDirectory: "")
            let data = try TrainingData.load(config)
            let trainer = Trainer(config: config)
            let plain = try trainer.fit(data, options: FitOptions(threads: 2))
            // Two centre species x three neighbour pairs.
            XCTAssertEqual(plain.potential.terms.map(\.name), [
                "angle_3b Al-Al-Al", "angle_3b Al-Al-Ti", "angle_3b Ti-Al-Ti", "angle_3b Al-Ti-Al", "angle_3b Al-Ti-Ti", "angle_3b Ti-Ti-Ti",
            ], method)
            let cache = try FeatureCache.compute(data, trainer: trainer, threads: 2)
            let cached = try trainer.fit(data, features: cache, options: FitOptions(threads: 1))
            XCTAssertEqual(trainer.modelFile(for: plain, data: data).encoded(), trainer.modelFile(for: cached, data: data).encoded(), method)
        }
    }
}
