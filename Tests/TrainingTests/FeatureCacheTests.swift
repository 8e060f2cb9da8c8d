import AtomicStructures
import Configuration
import Foundation
import Kernels
import ModelFiles
import NeighbourLists
@testable import Prediction
import TestSupport
import XCTest
@testable import Training

/// The ci config (SOAP + distance_2b, config types, virials, isolated atom) on ../shared Si_tiny.
func tinyConfig(extra: String = "") throws -> TrainingConfig {
    let path = packageRoot + "/../shared/datasets/si_gap18_tiny/Si_tiny.xyz"
    guard FileManager.default.fileExists(atPath: path) else {
        throw XCTSkip("../shared/datasets/si_gap18_tiny/Si_tiny.xyz is absent (it is present in CI)")
    }
    let json = """
        {
          "train_files": ["\(path)"],
          "e0": "isolated",
          "descriptors": [
            {"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 4, "l_max": 3,
             "atom_sigma": 0.5, "delta": 3.0, "zeta": 4, "n_sparse": 30, "sparse_method": "cur"},
            {"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
             "delta": 2.0, "n_sparse": 10, "sparse_method": "uniform"}
          ],
          "default_sigma": {"energy": 0.001, "forces": 0.1, "virial": 0.05},
          "config_type_sigma": {"liq": {"energy": 0.003, "forces": 0.15, "virial": 0.2}},
          "seed": 1 \(extra)
        }
        """
    return try TrainingConfig.parse(bytes: Array(json.utf8), name: "<tiny>", baseDirectory: "", checkFiles: false)
}

final class FeatureCacheTests: XCTestCase {
    /// A fit from precomputed features gives the same model file, byte for byte, as one that
    /// computes descriptors itself, on the whole data and on a subset (with the whole set's species).
    func testFitFromCacheIsByteIdentical() throws {
        let config = try tinyConfig()
        let data = try TrainingData.load(config)
        XCTAssertTrue(data.frames.contains { $0.virial != nil }, "the test needs virial frames")
        let trainer = Trainer(config: config)
        let cache = try FeatureCache.compute(data, trainer: trainer, threads: 2)
        XCTAssertEqual(cache.frames.count, data.frames.count)

        let plain = try trainer.fit(data, options: FitOptions(threads: 2))
        let cached = try trainer.fit(data, features: cache, options: FitOptions(threads: 2))
        XCTAssertEqual(trainer.modelFile(for: plain, data: data).encoded(), trainer.modelFile(for: cached, data: data).encoded())

        // Every third frame dropped, the isolated atom (frame 0) kept.
        let subset = data.frames.indices.filter { $0 % 3 != 1 }
        var part = data
        part.frames = subset.map { data.frames[$0] }
        let species = data.speciesPresent
        let a = try trainer.fit(part, species: species, options: FitOptions(threads: 1))
        let b = try trainer.fit(part, species: species, features: cache.subset(subset), options: FitOptions(threads: 2))
        XCTAssertEqual(trainer.modelFile(for: a, data: part).encoded(), trainer.modelFile(for: b, data: part).encoded())
    }

    /// Predictions from cached features are bit for bit those of `Potential.predict`.
    func testPredictionFromCacheIsBitIdentical() throws {
        let config = try tinyConfig()
        let data = try TrainingData.load(config)
        let trainer = Trainer(config: config)
        let cache = try FeatureCache.compute(data, trainer: trainer, threads: 2)
        let potential = try trainer.fit(data, features: cache, options: FitOptions(threads: 2)).potential
        for (i, frame) in data.frames.enumerated() {
            // The forward path on freshly computed features is the cached one, bit for bit.
            let list = try NeighbourList(frame.structure, cutoffRadius: potential.cutoffRadius)
            let fresh = try potential.terms.map {
                try $0.features(of: frame.structure, neighbours: list, gradients: true, strainGradients: frame.virial != nil)
            }
            let direct = try potential.predict(frame.structure, neighbours: list, features: fresh)
            let fromCache = try potential.predict(frame.structure, neighbours: cache.frames[i].neighbours, features: cache.frames[i].terms)
            XCTAssertEqual(direct.energy.bitPattern, fromCache.energy.bitPattern, "frame \(i)")
            XCTAssertEqual(direct.forces.map(\.bitPattern), fromCache.forces.map(\.bitPattern), "frame \(i)")
            XCTAssertEqual(direct.virial.map(\.bitPattern), fromCache.virial.map(\.bitPattern), "frame \(i)")
            // And reverse mode (gap-predict) agrees to round-off.
            let reverse = try potential.predict(frame.structure, forces: true, virial: frame.virial != nil)
            XCTAssertEqual(reverse.energy, fromCache.energy, accuracy: 1e-10 * abs(fromCache.energy), "frame \(i)")
            let scale = fromCache.forces.map(abs).max() ?? 0
            for (a, b) in zip(reverse.forces, fromCache.forces) { XCTAssertEqual(a, b, accuracy: 1e-10 * scale, "frame \(i)") }
        }
    }

    /// The estimate, made before anything is computed, is the measured size to within 1 %.
    func testMemoryEstimateMatchesTheCache() throws {
        let config = try tinyConfig()
        let data = try TrainingData.load(config)
        let trainer = Trainer(config: config)
        let estimate = try FeatureCache.estimatedBytes(data, trainer: trainer)
        let measured = try FeatureCache.compute(data, trainer: trainer, threads: 2).byteCount
        XCTAssertEqual(Double(estimate), Double(measured), accuracy: 0.01 * Double(measured))
    }
}
