import XCTest
import AtomicStructures
@testable import Descriptors

/// SOAP values and position gradients against QUIP/GAP (quippy) reference data.
final class QuippyReferenceTests: XCTestCase {
    /// The hyper-parameters of the shared reference sets (`bench`: n_max 8, l_max 6; `small`: 4, 3).
    func hyperparameters(nMax: Int, lMax: Int, normalise: Bool) -> SOAPHyperparameters {
        SOAPHyperparameters(
            cutoffRadius: 5.0, cutoffTransitionWidth: 1.0, nMax: nMax, lMax: lMax, atomSigma: 0.5, centralWeight: 1.0,
            normalise: normalise, neighbourSpecies: [14], centreSpecies: [14])
    }

    func checkSharedFile(_ name: String, nMax: Int, lMax: Int) throws {
        let record = try loadSharedReference(name)
        let structure = try structure(fromJSON: try XCTUnwrap(record["structure"] as? [String: Any]))
        for normalise in [true, false] {
            let set = try XCTUnwrap(record[normalise ? "normalise_T" : "normalise_F"] as? [String: Any])
            let calculator = try SOAPCalculator(hyperparameters(nMax: nMax, lMax: lMax, normalise: normalise))
            let ours = try calculator.compute(structure, gradients: true)
            let reference = foldQuippy(
                data: doubleMatrix(set["data"]), gradData: set["grad_data"] as? [Any],
                gradIndex: doubleMatrix(set["grad_index_0based"]), featureCount: calculator.featureCount)
            XCTAssertEqual(calculator.featureCount + 1, (set["feature_dim"] as? NSNumber)?.intValue)
            XCTAssertEqual(ours.rowCount, reference.values.count)
            let errors = relativeErrors(ours, reference)
            print("quippy \(name) normalise=\(normalise): values \(errors.values), gradients \(errors.gradients)")
            XCTAssertLessThan(errors.values, 1e-10, "\(name) normalise=\(normalise) values")
            XCTAssertLessThan(errors.gradients, 1e-10, "\(name) normalise=\(normalise) gradients")
        }
    }

    func testDimer() throws { try checkSharedFile("quippy_si_dimer_bench.json", nMax: 8, lMax: 6) }
    func testTrimer() throws { try checkSharedFile("quippy_si_trimer_bench.json", nMax: 8, lMax: 6) }
    func testPeriodicDiamond() throws { try checkSharedFile("quippy_si_diamond8_small.json", nMax: 4, lMax: 3) }
}
