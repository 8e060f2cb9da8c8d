import AtomicStructures
import Configuration
@testable import Descriptors
import Support
import TestSupport
import XCTest
@testable import Training

/// A measurement behind BENCHMARKS.md ("Supervised (PCovR) radial basis"), not a check: how much
/// the supervision's atomic-energy model changes when the forces are added to its regression, on
/// the shipped silicon data with Benchmarks/supervised_basis/supervised_a05_forces.json. Opt-in
/// (it reads all 214 frames): `SWIFTGAP_DIAGNOSTICS=1 swift test --filter SupervisedTargetDiagnostics`.
final class SupervisedTargetDiagnostics: XCTestCase {
    func testEnergyAgainstEnergyForceTarget() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["SWIFTGAP_DIAGNOSTICS"] == "1", "opt-in measurement")
        let config = try TrainingConfig.load(path: packageRoot + "/Benchmarks/supervised_basis/supervised_a05_forces.json")
        let data = try TrainingData.load(config)
        guard case .soap(let h, _) = try config.resolvedTerms(speciesPresent: data.speciesPresent)[0] else { return XCTFail("not a soap term") }
        let labels = data.frames.map {
            RadialContraction.StructureLabels(energy: $0.energy, energySigma: $0.energySigma, forces: $0.forces, forceSigmas: $0.forceSigmas)
        }
        let structures = data.frames.map { $0.structure }
        let p = 20
        let energy = try RadialContraction.atomicEnergyRegression(h, primitiveCount: p, structures: structures, labels: labels, target: .energy, seed: 1, threads: 2)
        let both = try RadialContraction.atomicEnergyRegression(h, primitiveCount: p, structures: structures, labels: labels, target: .energyForces, seed: 1, threads: 2)
        // The model atomic energies Ŷ = X w of every training environment (what PCovR sees).
        let primitive = try RadialContraction.primitiveCalculator(h, primitiveCount: p)
        var dot = 0.0, a2 = 0.0, b2 = 0.0, aSum = 0.0, bSum = 0.0, count = 0.0
        for structure in structures {
            let v = try primitive.values(structure, threads: 1)
            for r in 0..<v.rowCount {
                var a = 0.0, b = 0.0
                for j in 0..<p {
                    a += energy.weights[j] * v.values[r * p + j]
                    b += both.weights[j] * v.values[r * p + j]
                }
                dot += a * b
                aSum += a
                bSum += b
                count += 1
                a2 += a * a
                b2 += b * b
            }
        }
        print("energy target: relative λ \(energy.relativeRegularisation), CV per-atom energy RMSE \(energy.validationRMSE) eV/atom")
        print("energy_forces target: relative λ \(both.relativeRegularisation), CV per-atom energy RMSE \(both.validationRMSE) eV/atom, CV force residual \(both.forceValidationResidual!) σ over \(both.forceComponentCount) components")
        print("cosine of the two targets' Ŷ = X w over the environments: \(dot / (a2 * b2).squareRoot())")
        // Ŷ is uncentred (PCovR here uses the uncentred covariance): how much of ‖Ŷ‖² is its mean.
        print("mean's share of ‖Ŷ‖²: energy \(aSum * aSum / count / a2), energy_forces \(bSum * bSum / count / b2)")
        let centredDot = dot - aSum * bSum / count
        let centred = centredDot / ((a2 - aSum * aSum / count) * (b2 - bSum * bSum / count)).squareRoot()
        print("cosine of the centred Ŷ: \(centred)")
    }
}
