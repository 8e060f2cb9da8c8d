import AtomicStructures
import Configuration
import Descriptors
import JSON
import Kernels
import ModelFiles
import Parallelism
@testable import Prediction
import Selection
import Support
import TestSupport
import XCTest
@testable import Training

/// Training with the optimal radial basis and feature selection: fitted before pass 1, stored
/// in the model, and used by prediction without training data.
/// A config on the shipped Zuo data with one soap term given as JSON members (without braces).
/// Fits `config` on `frames` small frames with 1 and with 2 threads, asserts the two model files
/// are byte-identical, and returns the 1-thread fit, its model file text, the trainer and the data.
func fitWithOneAndTwoThreads(
    _ config: TrainingConfig, frames: Int, file: StaticString = #filePath, line: UInt = #line
) throws -> (fit: FitResult, text: String, trainer: Trainer, data: TrainingData) {
    let data = try smallData(config, frames: frames)
    let trainer = Trainer(config: config)
    let one = try trainer.fit(data, options: FitOptions(threads: 1))
    let two = try trainer.fit(data, options: FitOptions(threads: 2))
    let text = trainer.modelFile(for: one, data: data).encoded()
    XCTAssertEqual(text, trainer.modelFile(for: two, data: data).encoded(), file: file, line: line)
    return (one, text, trainer, data)
}

/// Writes `fit`'s model file, loads it back, asserts the file reads back to the same text and the
/// loaded model predicts the first `frames` structures with the same energy, force and virial
/// bits (save → load → predict is bit-identical), and returns the loaded file.
@discardableResult
func savedAndLoaded(
    _ trainer: Trainer, _ fit: FitResult, data: TrainingData, frames: Int = 3, file: StaticString = #filePath, line: UInt = #line
) throws -> ModelFile {
    let path = NSTemporaryDirectory() + "/swiftgap-saved-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).gapjson"
    defer { unlink(path) }
    let written = trainer.modelFile(for: fit, data: data)
    try written.write(to: path)
    let loaded = try ModelFile.load(path: path)
    XCTAssertEqual(loaded.encoded(), written.encoded(), file: file, line: line)
    for frame in data.frames.prefix(frames) {
        let a = try fit.potential.predict(frame.structure)
        let b = try loaded.potential.predict(frame.structure)
        XCTAssertEqual(a.energy.bitPattern, b.energy.bitPattern, file: file, line: line)
        XCTAssertEqual(a.forces.map(\.bitPattern), b.forces.map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(a.virial.map(\.bitPattern), b.virial.map(\.bitPattern), file: file, line: line)
    }
    return loaded
}

/// What a supervised data-driven term is fitted from, computed directly (call it with BLAS on one
/// thread, as the fit runs): the energy regression on `primitive`'s l = 0 coefficients of every
/// frame, and the seeded sample of 200 environments (structures and centres) the contraction is
/// fitted to.
func supervisionInputs(
    primitive: SOAPHyperparameters, primitiveCount: Int, sampled: SOAPHyperparameters, data: TrainingData, seed: UInt64
) throws -> (regression: RadialContraction.EnergyRegression, structures: [Structure], centres: [[Int]]) {
    let regression = try RadialContraction.energyRegression(
        primitive, primitiveCount: primitiveCount, structures: data.frames.map(\.structure), energies: data.frames.map { $0.energy! },
        seed: seed, threads: 2)
    let sample = try DataDrivenDescriptors.sample(sampled, frames: data.frames, size: 200, seed: seed)
    return (regression, sample.map { data.frames[$0.frame].structure }, sample.map(\.atoms))
}

func soapConfig(_ term: String) throws -> TrainingConfig {
    let json = """
        {
          "train_files": ["\(packageRoot)/datasets/si_zuo2020/Si_train.xyz"],
          "e0": "average",
          "descriptors": [{"type": "soap", \(term)}],
          "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05},
          "seed": 3
        }
        """
    return try TrainingConfig.parse(bytes: Array(json.utf8), name: "<test>", baseDirectory: "", checkFiles: false)
}

final class OptimalBasisTrainingTests: XCTestCase {
    /// A gap-basis model has none of the data-driven keys (it is version 3, with its checksum,
    /// like every model now).
    func testGapModelsHaveNoDataDrivenKeys() throws {
        let config = try smallConfig(sparse: 10)
        let data = try smallData(config, frames: 3)
        let trainer = Trainer(config: config)
        let text = trainer.modelFile(for: try trainer.fit(data, options: FitOptions(threads: 1)), data: data).encoded()
        XCTAssertTrue(text.contains("\"version\": 3"))
        for key in ["radial_basis", "radial_contraction", "selected_features", "n_max_primitive"] { XCTAssertFalse(text.contains(key), key) }
    }

    /// Optimal basis + feature selection: byte-identical models for 1 and 2 threads; the model
    /// (version 2) round-trips through its file and predicts bit for bit the same.
    func testOptimalModelRoundTripAndDeterminism() throws {
        let config = try soapConfig(#""cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 4, "l_max": 3, "atom_sigma": 0.5, "delta": 1.0, "n_sparse": 30, "radial_basis": "optimal", "n_max_primitive": 10, "n_features": 25, "basis_sample": 200"#)
        let (one, text, trainer, data) = try fitWithOneAndTwoThreads(config, frames: 10)
        XCTAssertTrue(text.contains("\"version\": 3"))
        let soap = try XCTUnwrap(one.potential.terms[0] as? SOAPTerm)
        let contraction = try XCTUnwrap(soap.calculator.radialContraction)
        XCTAssertEqual(contraction.primitiveCount, 10)
        XCTAssertEqual(contraction.contractedCount, 4)
        XCTAssertEqual(contraction.environmentCount, 200)
        XCTAssertEqual(soap.calculator.featureCount, 25)
        XCTAssertEqual((soap.calculator as! SOAPCalculator).fullFeatureCount, 4 * 5 / 2 * 4)
        XCTAssertNotNil(one.descriptorReport)

        let loaded = try savedAndLoaded(trainer, one, data: data)
        XCTAssertEqual(loaded.encoded(), text)
        let loadedSOAP = try XCTUnwrap(loaded.potential.terms[0] as? SOAPTerm)
        XCTAssertEqual(loadedSOAP.calculator.radialContraction, contraction)
        XCTAssertEqual((loadedSOAP.calculator as! SOAPCalculator).selectedFeatures, (soap.calculator as! SOAPCalculator).selectedFeatures)

        // The kept features are what CUR picks on the sampled descriptors (the contracted basis's).
        let all = try (soap.calculator as! SOAPCalculator).withAllFeatures
        let sample = try DataDrivenDescriptors.sample(all.hyperparameters, frames: data.frames, size: 200, seed: config.seed)
        let matrix = try DataDrivenDescriptors.sampleDescriptors(
            all, structures: sample.map { data.frames[$0.frame].structure }, centres: sample.map(\.atoms), threads: 2)
        XCTAssertEqual(matrix.rowCount, 200)
        XCTAssertEqual((soap.calculator as! SOAPCalculator).selectedFeatures, try CURSelection(count: 25, variant: .iterative).selectColumns(from: matrix))
    }

    /// Without truncation (n_max = n_max_primitive, every feature) the optimal basis is a
    /// rotation of the QUIP basis: the fitted model predicts what the gap-basis model predicts.
    func testOptimalWithoutTruncationPredictsAsTheGapBasis() throws {
        func config(_ basis: String) throws -> TrainingConfig {
            try soapConfig(#""cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 5, "l_max": 3, "atom_sigma": 0.5, "delta": 1.0, "n_sparse": 25, "sparse_method": "cur"\#(basis)"#)
        }
        let gapConfig = try config("")
        let optimalConfig = try config(#", "radial_basis": "optimal", "n_max_primitive": 5"#)
        let data = try smallData(gapConfig, frames: 12)
        let gap = try Trainer(config: gapConfig).fit(data, options: FitOptions(threads: 2))
        let optimal = try Trainer(config: optimalConfig).fit(data, options: FitOptions(threads: 2))
        XCTAssertEqual(gap.sparseSources, optimal.sparseSources, "leverage scores are rotation invariant")
        var worstEnergy = 0.0, worstForce = 0.0
        for frame in data.frames {
            let a = try gap.potential.predict(frame.structure)
            let b = try optimal.potential.predict(frame.structure)
            worstEnergy = max(worstEnergy, abs(a.energy - b.energy) / Double(frame.atomCount))
            for (x, y) in zip(a.forces, b.forces) { worstForce = max(worstForce, abs(x - y)) }
        }
        print("optimal without truncation vs gap: energy \(worstEnergy) eV/atom, forces \(worstForce) eV/Å")
        XCTAssertLessThan(worstEnergy, 1e-10)  // measured 1e-13
        XCTAssertLessThan(worstForce, 1e-8)  // measured 2e-11
    }

    /// A model whose soap term combines species (two species, n_max shared channels) and keeps
    /// a feature subset round-trips through its file and predicts bit for bit the same.
    func testCombinedSpeciesModelRoundTrip() throws {
        var structures: [Structure] = []
        var seed: UInt64 = 11
        func next() -> Double {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Double(seed >> 11) / Double(1 << 53)
        }
        for count in [6, 8] {
            var positions: [Vector3] = []
            while positions.count < count {
                let p = Vector3(5 * next(), 5 * next(), 5 * next())
                if positions.allSatisfy({ length($0 - p) > 1.6 }) { positions.append(p) }
            }
            structures.append(Structure(
                atomicNumbers: (0..<count).map { $0 % 3 == 0 ? 14 : 8 }, positions: positions,
                cell: Cell(matrix: Matrix3(rows: Vector3(5, 0, 0), Vector3(0, 5, 0), Vector3(0, 0, 5)), periodic: (true, true, true))))
        }
        let h = SOAPHyperparameters(cutoffRadius: 4.0, cutoffTransitionWidth: 1.0, nMax: 7, lMax: 3, atomSigma: 0.5, neighbourSpecies: [8, 14], centreSpecies: [8, 14])
        let contraction = try RadialContraction.fit(
            h, primitiveCount: 6, combineSpecies: true, structures: structures, centres: structures.map { Array(0..<$0.count) })
        let calculator = try SOAPCalculator(h, radialContraction: contraction, selectedFeatures: Array(stride(from: 3, to: 112, by: 2)))
        let d = try calculator.compute(structures[0])
        let points = Array(d.values[0 ..< 3 * calculator.featureCount])
        let kernel = DotProductKernel(delta: 0.7, zeta: 2, featureCount: calculator.featureCount, sparsePoints: points)
        let potential = Potential(e0: [8: -1.5, 14: -3.25], terms: [SOAPTerm(calculator: calculator, kernel: kernel)], alphas: [[0.3, -1.2, 0.8]])
        let model = ModelFile(
            potential: potential, sparseSources: [[.environment(frame: 0, atom: 0), .environment(frame: 0, atom: 1), .environment(frame: 0, atom: 2)]],
            provenance: ModelProvenance(config: .null, trainingFiles: [], seed: 1, frameCount: 2, atomCount: 14, observationCount: 0))
        let text = model.encoded()
        XCTAssertTrue(text.contains("\"combine_species\": true"))
        XCTAssertTrue(text.contains("\"version\": 3"))
        let loaded = try ModelFile.decode(Array(text.utf8), name: "m.gapjson")
        XCTAssertEqual(loaded.encoded(), text)
        let soap = try XCTUnwrap(loaded.potential.terms[0] as? SOAPTerm)
        XCTAssertEqual(soap.calculator.radialContraction, contraction)
        for structure in structures {
            let a = try potential.predict(structure)
            let b = try loaded.potential.predict(structure)
            XCTAssertEqual(a.energy.bitPattern, b.energy.bitPattern)
            XCTAssertEqual(a.forces.map(\.bitPattern), b.forces.map(\.bitPattern))
            XCTAssertEqual(a.virial.map(\.bitPattern), b.virial.map(\.bitPattern))
        }
        // A damaged contraction is an InputError naming the field.
        let broken = uncheckedVersion2(text).replacingOccurrences(of: "\"combine_species\": true", with: "\"combine_species\": false")
        XCTAssertThrowsError(try ModelFile.decode(Array(broken.utf8), name: "m.gapjson")) { error in
            guard let e = error as? InputError else { return XCTFail("\(error)") }
            XCTAssertTrue(e.field?.hasPrefix("terms[0].descriptor.") ?? false, "\(e)")
        }
    }

    /// The retained-variance threshold picks n_max from the data; data-driven terms must be
    /// fitted before their specifications are used; settings the data cannot meet are errors.
    func testThresholdAndErrors() throws {
        let config = try soapConfig(#""cutoff": 4.5, "l_max": 3, "atom_sigma": 0.5, "delta": 1.0, "n_sparse": 20, "radial_basis": "optimal", "n_max_primitive": 12, "retained_variance": 0.99"#)
        let data = try smallData(config, frames: 6)
        let trainer = Trainer(config: config)
        XCTAssertThrowsError(try trainer.termSpecifications(species: [14])) { error in
            XCTAssertTrue("\(error)".contains("not been fitted"), "\(error)")
        }
        let provisional = try trainer.termSpecifications(species: [14], provisional: true)
        guard case .soap(let rough, _) = provisional[0] else { return XCTFail() }
        XCTAssertNil(rough.radialContraction)
        let fitted = try trainer.fittingDescriptors(to: data)
        XCTAssertTrue(fitted.hasFittedDescriptors)
        XCTAssertFalse(trainer.hasFittedDescriptors)
        guard case .soap(let calculator, _) = try fitted.termSpecifications(species: [14])[0] else { return XCTFail() }
        let contraction = try XCTUnwrap(calculator.radialContraction)
        XCTAssertLessThan(contraction.contractedCount, 12)
        XCTAssertGreaterThanOrEqual(contraction.minimumRetainedVariance, 0.99)
        XCTAssertEqual(calculator.hyperparameters.nMax, contraction.contractedCount)

        let tooMany = try soapConfig(#""cutoff": 4.5, "n_max": 2, "l_max": 1, "atom_sigma": 0.5, "delta": 1.0, "n_sparse": 20, "n_features": 7"#)
        XCTAssertThrowsError(try Trainer(config: tooMany).fit(try smallData(tooMany, frames: 3))) { error in
            guard let e = error as? InputError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.field, "descriptors[0].n_features")
            XCTAssertTrue(e.message.contains("6 power-spectrum components"), e.message)
        }
    }
}
