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

/// Training with the supervised (PCovR) radial basis: fitted to the training energies, stored in
/// the model like the optimal basis, so prediction needs no training data.
final class SupervisedBasisTrainingTests: XCTestCase {
    func term(_ mixing: Double?) -> String {
        let basis = mixing.map { #""radial_basis": "supervised", "supervised_mixing": \#($0)"# } ?? #""radial_basis": "optimal""#
        return #""cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 3, "l_max": 3, "atom_sigma": 0.5, "delta": 1.0, "n_sparse": 30, "n_max_primitive": 10, "basis_sample": 200, "# + basis
    }

    /// The model round-trips through its file and predicts bit for bit the same; the contraction
    /// is what RadialContraction.fit gives with the regression of the same frames; byte-identical
    /// models for 1 and 2 threads; α = 1 gives the optimal basis's model to round-off.
    func testSupervisedModelRoundTripAndDeterminism() throws {
        let config = try soapConfig(term(0.3))
        let (one, text, trainer, data) = try fitWithOneAndTwoThreads(config, frames: 10)
        XCTAssertTrue(text.contains("\"supervised_mixing\""), "the provenance config records the mixing")
        let soap = try XCTUnwrap(one.potential.terms[0] as? SOAPTerm)
        let contraction = try XCTUnwrap(soap.calculator.radialContraction)

        // The same contraction from its parts (BLAS on one thread, as the fit runs it).
        let previous = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(previous) }
        let h = soap.calculator.hyperparameters
        var primitive = h
        primitive.nMax = 10
        let inputs = try supervisionInputs(primitive: primitive, primitiveCount: 10, sampled: h, data: data, seed: config.seed)
        let direct = try RadialContraction.fit(
            h, primitiveCount: 10, structures: inputs.structures, centres: inputs.centres,
            threads: 2, supervision: .init(mixing: 0.3, weights: inputs.regression.weights))
        XCTAssertEqual(direct.matrices, contraction.matrices)

        let loaded = try savedAndLoaded(trainer, one, data: data, frames: 3)
        let loadedSOAP = try XCTUnwrap(loaded.potential.terms[0] as? SOAPTerm)
        XCTAssertEqual(loadedSOAP.calculator.radialContraction, contraction)

        // α = 1 is the optimal basis: same predictions to round-off.
        let pcaLike = try Trainer(config: soapConfig(term(1))).fit(data, options: FitOptions(threads: 2)).potential
        let optimal = try Trainer(config: soapConfig(term(nil))).fit(data, options: FitOptions(threads: 2)).potential
        for frame in data.frames.prefix(3) {
            let a = try pcaLike.predict(frame.structure), b = try optimal.predict(frame.structure)
            XCTAssertEqual(a.energy, b.energy, accuracy: 1e-7 * abs(b.energy))
            for (x, y) in zip(a.forces, b.forces) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
    }

    /// The energy-and-force target: byte-identical models for 1 and 2 threads, the provenance
    /// config records the target, the contraction is the one of the regression of the frames'
    /// energies and forces with their σ, and it differs from the energy target's.
    func testEnergyForceTargetModel() throws {
        let config = try soapConfig(term(0.3) + #", "supervised_target": "energy_forces""#)
        let (one, text, _, data) = try fitWithOneAndTwoThreads(config, frames: 8)
        XCTAssertTrue(text.contains(#""supervised_target":"energy_forces""#) || text.contains(#""supervised_target": "energy_forces""#), "the provenance config records the target")
        let contraction = try XCTUnwrap((one.potential.terms[0] as? SOAPTerm)?.calculator.radialContraction)

        let previous = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(previous) }
        let h = try XCTUnwrap(one.potential.terms[0] as? SOAPTerm).calculator.hyperparameters
        let regression = try RadialContraction.atomicEnergyRegression(
            h, primitiveCount: 10, structures: data.frames.map(\.structure),
            labels: data.frames.map { .init(energy: $0.energy, energySigma: $0.energySigma, forces: $0.forces, forceSigmas: $0.forceSigmas) },
            target: .energyForces, seed: config.seed, threads: 2)
        XCTAssertGreaterThan(regression.forceComponentCount, 0)
        let sample = try DataDrivenDescriptors.sample(h, frames: data.frames, size: 200, seed: config.seed)
        let direct = try RadialContraction.fit(
            h, primitiveCount: 10, structures: sample.map { data.frames[$0.frame].structure }, centres: sample.map(\.atoms),
            threads: 2, supervision: .init(mixing: 0.3, weights: regression.weights))
        XCTAssertEqual(direct.matrices, contraction.matrices)

        let energyOnly = try Trainer(config: soapConfig(term(0.3))).fit(data, options: FitOptions(threads: 2))
        XCTAssertNotEqual(try XCTUnwrap((energyOnly.potential.terms[0] as? SOAPTerm)?.calculator.radialContraction).matrices, contraction.matrices)
    }

    /// Without energies the supervised basis is a clear error naming the config and the term's field.
    func testMissingEnergiesIsAnInputError() throws {
        let config = try soapConfig(term(0.5))
        var data = try smallData(config, frames: 4)
        for k in data.frames.indices { data.frames[k].energy = nil }
        XCTAssertThrowsError(try Trainer(config: config).fit(data, options: FitOptions(threads: 1))) { error in
            guard let e = error as? InputError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.file, "<test>")
            XCTAssertEqual(e.field, "descriptors[0].radial_basis")
            XCTAssertTrue(e.message.contains("has an energy"), e.message)
        }
    }
}
