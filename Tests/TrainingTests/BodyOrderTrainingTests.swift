import AtomicStructures
import Configuration
import Descriptors
import ModelFiles
import Kernels
@testable import Prediction
import TestSupport
import XCTest
@testable import Training

/// Training with radial_spectrum (ν = 1) and bispectrum (ν = 3) terms: fitted, stored (model
/// version 3), reloaded and predicting bit for bit the same; forces and virials are the
/// derivatives of the predicted energy.
final class BodyOrderTrainingTests: XCTestCase {
    func config(_ terms: String) throws -> TrainingConfig {
        let json = """
            {
              "train_files": ["\(packageRoot)/datasets/si_zuo2020/Si_train.xyz"],
              "e0": "average",
              "descriptors": [\(terms)],
              "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05},
              "seed": 3
            }
            """
        return try TrainingConfig.parse(bytes: Array(json.utf8), name: "<test>", baseDirectory: "", checkFiles: false)
    }

    func testFitRoundTripAndDerivatives() throws {
        let config = try config("""
            {"type": "radial_spectrum", "cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 6, "atom_sigma": 0.5,
             "delta": 0.5, "zeta": 2, "n_sparse": 15, "radial_basis": "optimal", "n_max_primitive": 12, "basis_sample": 100},
            {"type": "bispectrum", "cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 3, "l_max": 2, "atom_sigma": 0.5,
             "delta": 1.0, "zeta": 2, "n_sparse": 20, "radial_scaling": {"c": 1.0, "r0": 3.0, "m": 4}}
            """)
        let data = try smallData(config, frames: 6)
        let trainer = Trainer(config: config)
        let one = try trainer.fit(data, options: FitOptions(threads: 1))
        let two = try trainer.fit(data, options: FitOptions(threads: 2))
        let text = trainer.modelFile(for: one, data: data).encoded()
        XCTAssertEqual(text, trainer.modelFile(for: two, data: data).encoded(), "byte-identical for any thread count")
        XCTAssertTrue(text.contains("\"version\": 3"))
        XCTAssertTrue(text.contains("\"type\": \"radial_spectrum\"") && text.contains("\"type\": \"bispectrum\""))
        let terms = one.potential.terms.compactMap { $0 as? SOAPTerm }
        XCTAssertEqual(terms.map { $0.calculator.correlation }, [.radialSpectrum, .bispectrum(pseudoscalars: false)])
        XCTAssertEqual(terms[0].calculator.radialContraction?.primitiveCount, 12)
        XCTAssertEqual(terms[0].calculator.radialContraction?.lMax, 0)

        let loaded = try savedAndLoaded(trainer, one, data: data, frames: 2)
        XCTAssertEqual(loaded.encoded(), text)

        // Forces and virial are −∂E/∂r and −∂E/∂ε (central differences), checked on the fitted
        // terms with weights α = 1/M (the fitted α are large and cancel, which makes finite
        // differences of the energy noisy; the derivative chain does not depend on α).
        let structure = data.frames[0].structure
        let unit = Potential(e0: [14: 0], terms: one.potential.terms, alphas: one.potential.terms.map { [Double](repeating: 1 / Double($0.sparseCount), count: $0.sparseCount) })
        let prediction = try unit.predict(structure)
        func derivative(step h: Double, _ energy: (Double) throws -> Double) rethrows -> Double {
            (try energy(h) - energy(-h)) / (2 * h)
        }
        var worstForce = 0.0, largestForce = 0.0
        for atom in [0, 3] {
            for alpha in 0..<3 {
                let fd = -(try derivative(step: 1e-4) { e in
                    var moved = structure
                    moved.positions[atom][alpha] += e
                    return try unit.predict(moved, forces: false, virial: false).energy
                })
                worstForce = max(worstForce, abs(fd - prediction.forces[3 * atom + alpha]))
                largestForce = max(largestForce, abs(prediction.forces[3 * atom + alpha]))
            }
        }
        print("body-order model: force FD error \(worstForce) eV/Å (largest force \(largestForce))")
        XCTAssertLessThan(worstForce, 1e-7)
        XCTAssertGreaterThan(largestForce, 1e-2)
        var worstVirial = 0.0
        for (a, b) in [(0, 0), (0, 1), (2, 1)] {
            func deformed(_ e: Double) -> Structure {
                var s = structure
                var epsilon = Matrix3.zero
                epsilon[a, b] = e
                let deformation = Matrix3.identity + epsilon
                s.positions = structure.positions.map { deformation.transposed.multiply($0) }
                s.cell.matrix = structure.cell.matrix * deformation
                return s
            }
            let fd = -(try derivative(step: 1e-5) { try unit.predict(deformed($0), forces: false, virial: false).energy })
            worstVirial = max(worstVirial, abs(fd - prediction.virial[3 * a + b]))
        }
        print("body-order model: virial FD error \(worstVirial) eV")
        XCTAssertLessThan(worstVirial, 1e-6)
    }
}
