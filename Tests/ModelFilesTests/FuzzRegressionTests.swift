import AtomicStructures
import Prediction
import Support
import XCTest
@testable import ModelFiles

/// Corrupt model files found by fuzzing `ModelFile.decode` (Fuzz/README.md): what gap-predict
/// reads must give a model or an InputError naming the field, never a trap.
final class ModelFileFuzzRegressionTests: XCTestCase {
    /// A complete one-term model (1 feature, 1 sparse point) whose `atom_sigma` is given.
    private func model(atomSigma: String) -> [UInt8] {
        let one = ModelFile.base64([1.0])
        let text = """
            {"e0":{"Si":-158.5},"format":"swiftgap-model","version":1,
             "terms":[{"type":"soap","alpha":"\(one)","sparse_count":1,"sparse_points":"\(one)","feature_count":1,
                       "delta":1.0,"zeta":2,"sparse_sources":[null],
                       "descriptor":{"cutoff":5.0,"cutoff_transition_width":1.0,"n_max":1,"l_max":0,
                                     "atom_sigma":\(atomSigma),"central_weight":1.0,"normalise":true,
                                     "species_Z":[14],"Z":[14]}}],
             "provenance":{"training_files":[],"seed":"1","code_version":"0.1.0","frames":1,"atoms":1,"observations":1}}
            """
        return Array(text.utf8)
    }

    func testValidModelDecodes() throws {
        let decoded = try ModelFile.decode(model(atomSigma: "0.5"), name: "m.gapjson")
        XCTAssertEqual(decoded.potential.terms.count, 1)
        XCTAssertEqual(decoded.potential.alphas, [[1.0]])
    }

    /// Trapped in LAPACK's Cholesky (NaN overlap integrals); now an InputError on the field.
    func testExtremeAtomSigmaIsAnInputError() {
        XCTAssertThrowsError(try ModelFile.decode(model(atomSigma: "1e-300"), name: "m.gapjson")) { error in
            guard let e = error as? InputError else { return XCTFail("not an InputError: \(error)") }
            XCTAssertEqual(e.file, "m.gapjson")
            XCTAssertEqual(e.field, "terms[0].descriptor.atom_sigma")
        }
    }

    /// Trapped converting the first spline grid size (2·10²⁰) to Int; now decodes.
    func testTinyAtomSigmaDecodes() throws {
        let decoded = try ModelFile.decode(model(atomSigma: "1e-18"), name: "m.gapjson")
        XCTAssertEqual(decoded.potential.terms.count, 1)
    }
}
