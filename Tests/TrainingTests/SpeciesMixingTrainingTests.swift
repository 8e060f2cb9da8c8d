import AtomicStructures
import Configuration
import Descriptors
import Kernels
import LinearAlgebra
import ModelFiles
@testable import Prediction
import Support
import XCTest
@testable import Training

/// Training with the supervised species mixing (`species_mixing` "supervised"): fitted to the
/// training energies, stored in the model as the PCA mixing is, so prediction needs no training
/// data.
final class SpeciesMixingTrainingTests: XCTestCase {
    func config(_ mixing: Double?) throws -> TrainingConfig {
        let supervised = mixing.map { #", "species_mixing": "supervised", "supervised_mixing": \#($0)"# } ?? ""
        return try soapConfig(#""cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 3, "l_max": 3, "atom_sigma": 0.5, "delta": 1.0, "n_sparse": 30, "basis_sample": 200, "species_channels": 2"# + supervised)
    }

    /// The first silicon frames with their atoms relabelled Si, Ge, C in turn: three species
    /// (the labels stay silicon's; the fit only has to be deterministic).
    func threeSpeciesData(_ config: TrainingConfig, frames: Int) throws -> TrainingData {
        var data = try smallData(config, frames: frames)
        for f in data.frames.indices {
            data.frames[f].structure.atomicNumbers = data.frames[f].structure.atomicNumbers.indices.map { [14, 32, 6][$0 % 3] }
        }
        return data
    }

    /// Byte-identical models for 1 and 2 threads; the mixing is RadialContraction.speciesChannels
    /// with the regression of the same frames; the model round-trips through its file and
    /// predicts bit for bit the same; α = 1 gives the PCA mixing's model to round-off.
    func testSupervisedMixingModelRoundTripAndDeterminism() throws {
        let config = try config(0.3)
        let data = try threeSpeciesData(config, frames: 8)
        let trainer = Trainer(config: config)
        let one = try trainer.fit(data, options: FitOptions(threads: 1))
        let two = try trainer.fit(data, options: FitOptions(threads: 2))
        let text = trainer.modelFile(for: one, data: data).encoded()
        XCTAssertEqual(text, trainer.modelFile(for: two, data: data).encoded())
        XCTAssertTrue(text.contains("\"species_mixing\""), "the provenance config records the mixing")
        let soap = try XCTUnwrap(one.potential.terms[0] as? SOAPTerm)
        let contraction = try XCTUnwrap(soap.calculator.radialContraction)
        XCTAssertEqual(contraction.contractedCount, 6)

        let previous = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(previous) }
        var h = soap.calculator.hyperparameters
        h.nMax = 3
        let inputs = try supervisionInputs(primitive: h, primitiveCount: 3, sampled: h, data: data, seed: config.seed)
        let direct = try RadialContraction.speciesChannels(
            h, channelCount: 2, structures: inputs.structures, centres: inputs.centres,
            threads: 2, supervision: .init(mixing: 0.3, weights: inputs.regression.weights))
        XCTAssertEqual(direct.matrices, contraction.matrices)

        let loaded = try savedAndLoaded(trainer, one, data: data, frames: 3)
        XCTAssertEqual((loaded.potential.terms[0] as? SOAPTerm)?.calculator.radialContraction, contraction)

        let pcaLike = try Trainer(config: self.config(1)).fit(data, options: FitOptions(threads: 2)).potential
        let pca = try Trainer(config: self.config(nil)).fit(data, options: FitOptions(threads: 2)).potential
        for frame in data.frames.prefix(3) {
            let a = try pcaLike.predict(frame.structure), b = try pca.predict(frame.structure)
            XCTAssertEqual(a.energy, b.energy, accuracy: 1e-7 * abs(b.energy))
            for (x, y) in zip(a.forces, b.forces) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
    }

    /// Without energies the supervised mixing is a clear error naming the config and the term's field.
    func testMissingEnergiesIsAnInputError() throws {
        let config = try config(0.5)
        var data = try threeSpeciesData(config, frames: 4)
        for k in data.frames.indices { data.frames[k].energy = nil }
        XCTAssertThrowsError(try Trainer(config: config).fit(data, options: FitOptions(threads: 1))) { error in
            guard let e = error as? InputError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.file, "<test>")
            XCTAssertEqual(e.field, "descriptors[0].species_mixing")
            XCTAssertTrue(e.message.contains("has an energy"), e.message)
        }
    }
}
