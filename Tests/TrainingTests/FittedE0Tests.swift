import AtomicStructures
import Configuration
import XCTest
@testable import Training

/// `"e0": "fit"`: per-species reference energies by least squares of E/N on the composition.
final class FittedE0Tests: XCTestCase {
    func frame(_ species: [Int], energy: Double?) -> TrainingFrame {
        let positions = species.indices.map { Vector3(Double($0) * 3, 0, 0) }
        return TrainingFrame(
            structure: Structure(atomicNumbers: species, positions: positions), energy: energy, forces: nil, virial: nil,
            configType: nil, energySigma: 0.001, forceSigmas: [], virialSigma: 0.05)
    }

    func config(_ e0: String) throws -> TrainingConfig {
        let json = """
            {"train_files": ["x.xyz"], "e0": \(e0), "descriptors": [{"type": "distance_2b", "cutoff": 4.0, "theta_uniform": 1.0, "delta": 1.0, "n_sparse": 5}]}
            """
        return try TrainingConfig.parse(bytes: Array(json.utf8), name: "c.json", baseDirectory: "", checkFiles: false)
    }

    /// Energies that are exactly a per-species sum are recovered exactly, whatever the frame sizes.
    func testRecoversExactPerSpeciesEnergies() throws {
        let ti = 22, al = 13
        let truth = [ti: -7.81, al: -3.74]
        let compositions = [[ti, ti, al], [al], [ti, al, al, al], [ti, ti, ti, ti, al, al], [ti]]
        let frames = compositions.map { c in frame(c, energy: c.reduce(0) { $0 + truth[$1]! }) } + [frame([ti, al], energy: nil)]
        let e0 = try ReferenceEnergies.resolve(try config("\"fit\""), frames: frames, species: [al, ti], cutoffRadius: 4)
        XCTAssertEqual(e0[ti]!, truth[ti]!, accuracy: 1e-12)
        XCTAssertEqual(e0[al]!, truth[al]!, accuracy: 1e-12)
        // e0_offset still applies.
        let shifted = try ReferenceEnergies.resolve(try config("\"fit\", \"e0_offset\": 0.5"), frames: frames, species: [al, ti], cutoffRadius: 4)
        XCTAssertEqual(shifted[ti]!, truth[ti]! + 0.5, accuracy: 1e-12)
    }

    /// The residual is per atom, so with one species "fit" is "average".
    func testOneSpeciesEqualsAverage() throws {
        let frames = [frame([14, 14], energy: -10.9), frame([14, 14, 14, 14, 14], energy: -27.1), frame([14], energy: -5.2)]
        let fit = try ReferenceEnergies.resolve(try config("\"fit\""), frames: frames, species: [14], cutoffRadius: 4)
        let average = try ReferenceEnergies.resolve(try config("\"average\""), frames: frames, species: [14], cutoffRadius: 4)
        XCTAssertEqual(fit[14]!, average[14]!, accuracy: 1e-13)
    }

    /// Every frame at the same composition: the split between species is not determined; the
    /// minimum-norm solution still reproduces the mean energy per atom of that composition.
    func testUndeterminedCompositionGetsTheMinimumNormSolution() throws {
        let frames = [frame([22, 13], energy: -11.0), frame([22, 22, 13, 13], energy: -23.0)]
        let e0 = try ReferenceEnergies.resolve(try config("\"fit\""), frames: frames, species: [13, 22], cutoffRadius: 4)
        XCTAssertEqual((e0[22]! + e0[13]!) / 2, (-5.5 - 5.75) / 2, accuracy: 1e-12)
        XCTAssertEqual(e0[22]!, e0[13]!, accuracy: 1e-12, "minimum norm splits equally")
    }

    func testConfigSpellingAndCanonicalForm() throws {
        let c = try config("\"fit\"")
        XCTAssertEqual(c.e0, .leastSquares)
        XCTAssertTrue(c.canonicalJSON(pretty: false).contains("\"e0\":\"fit\""))
        XCTAssertThrowsError(try config("\"fitt\"")) { error in
            XCTAssertTrue("\(error)".contains("did you mean `fit`"), "\(error)")
        }
        let frames = [frame([14], energy: nil)]
        XCTAssertThrowsError(try ReferenceEnergies.resolve(c, frames: frames, species: [14], cutoffRadius: 4)) { error in
            XCTAssertTrue("\(error)".contains("\"fit\" needs frames with energies"), "\(error)")
        }
    }
}
