import AtomicStructures
import Configuration
import JSON
import CrossValidation
import XCTest
@testable import Tuning

/// Search spaces: parsing, the default space, and configs built from points.
final class SearchSpaceTests: XCTestCase {
    let baseJSON = """
        {
          "train_files": ["data/train.xyz"],
          "descriptors": [
            {"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 6, "l_max": 6,
             "atom_sigma": 0.4, "delta": 1.0, "zeta": 4, "n_sparse": 1000, "radial_basis": "optimal"},
            {"type": "distance_2b", "cutoff": 5.0, "theta_uniform": 1.0, "delta": 0.5, "n_sparse": 20}
          ],
          "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05},
          "output": "model.gapjson"
        }
        """

    func base() throws -> TrainingConfig {
        try TrainingConfig.parse(bytes: Array(baseJSON.utf8), name: "configs/base.json", baseDirectory: "configs", checkFiles: false)
    }

    func parse(_ text: String) throws -> SearchSpace {
        try SearchSpace.parse(bytes: Array(text.utf8), name: "space.json", base: try base())
    }

    func number(_ v: JSONValue.Kind?) -> Double? {
        if case .number(let n)? = v { return n.doubleValue }
        return nil
    }

    func testSpaceFileValuesRatiosAndExtraTerms() throws {
        let space = try parse("""
            {
              // comments are allowed
              "descriptors[0].atom_sigma": [0.5, 0.3],
              "descriptors[1].delta": {"times": "descriptors[0].delta", "values": [0.1, 2]},
              "config_type_sigma.liq.forces": {"times": "default_sigma.forces", "values": [2, 4]},
              "extra_terms": [{"type": "soap", "cutoff": 6.5, "n_max": 4, "l_max": 4, "atom_sigma": 0.6, "delta": 0.1, "n_sparse": 50}]
            }
            """)
        XCTAssertEqual(space.dimensions.map(\.name), ["descriptors[0].atom_sigma", "descriptors[1].delta", "config_type_sigma.liq.forces", "extra_terms"])
        // The base value is added where missing, numbers sorted.
        XCTAssertEqual(space.dimensions[0].values.map(number), [0.3, 0.4, 0.5])
        XCTAssertEqual(space.dimensions[0].baseIndex, 1)
        XCTAssertEqual(space.dimensions[1].values.map(number), [0.1, 0.5, 2])
        XCTAssertEqual(space.dimensions[2].values.map(number), [1, 2, 4], "no entry for liq: factor 1 is the base")
        XCTAssertEqual(space.dimensions[3].baseIndex, 0)
        XCTAssertEqual(space.basePoint, [1, 1, 0, 0])

        let root = try base().jsonValue
        // The base point reproduces the base config (the liq entry equals default_sigma's value).
        let basePoint = try space.configJSON(space.basePoint, base: root)
        let reparsed = try TrainingConfig.parse(bytes: Array(JSONWriter.write(basePoint).utf8), name: "p", baseDirectory: "configs", checkFiles: false)
        XCTAssertEqual(reparsed.descriptors, try base().descriptors)
        XCTAssertEqual(reparsed.sigma(forConfigType: "liq"), try base().defaultSigma)

        // Ratios follow their reference; extra terms are appended; missing objects are created.
        let point = try space.configJSON([2, 2, 2, 1], base: root)
        let config = try TrainingConfig.parse(bytes: Array(JSONWriter.write(point).utf8), name: "p", baseDirectory: "configs", checkFiles: false)
        XCTAssertEqual(config.descriptors.count, 3)
        guard case .soap(let first) = config.descriptors[0], case .distance2b(let pair) = config.descriptors[1], case .soap(let extra) = config.descriptors[2] else {
            return XCTFail("term kinds")
        }
        XCTAssertEqual(first.descriptor.atomSigma, 0.5)
        XCTAssertEqual(pair.delta, 2.0 * first.delta)
        XCTAssertEqual(extra.descriptor.cutoffRadius, 6.5)
        XCTAssertEqual(config.sigma(forConfigType: "liq").forces, 4 * 0.05, accuracy: 1e-15)
        XCTAssertEqual(config.sigma(forConfigType: "liq").energy, 0.002, "other components keep default_sigma's")
        XCTAssertEqual(space.changes([2, 2, 2, 1]).first, "descriptors[0].atom_sigma = 0.5")
    }

    func testBadSpaceFilesAreRejectedWithTheKey() throws {
        for (text, expected) in [
            ("[1]", "a search space is a JSON object"),
            ("{\"descriptors[0].atom_sigmaa\": [0.3]}", "the base config has no descriptors[0].atom_sigmaa"),
            ("{\"descriptors[1].delta\": {\"times\": \"descriptors[0].delta\", \"values\": [-1]}}", "ratios must be positive"),
            ("{\"descriptors[0].n_max\": {\"values\": [4]}}", "a ratio is {\"times\""),
            ("{\"extra_terms\": [3]}", "extra_terms lists descriptor term objects or null"),
            ("{}", "no dimension"),
        ] {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains("space.json"), "names the file: \(error)")
            }
        }
    }

    func testDefaultSpaceAroundTheBaseConfig() throws {
        let facts = DataFacts(configTypes: ["bulk", "liq"], framesPerConfigType: ["bulk": 10, "liq": 3], hasVirials: false, atomCount: 5000)
        let space = try SearchSpace.defaultSpace(for: try base(), facts: facts)
        let names = space.dimensions.map(\.name)
        XCTAssertEqual(names, [
            "descriptors[0].atom_sigma", "descriptors[0].cutoff", "descriptors[0].n_max", "descriptors[0].l_max",
            "descriptors[0].radial_scaling", "descriptors[0].zeta", "descriptors[0].n_sparse", "descriptors[1].delta", "default_sigma.energy", "default_sigma.forces",
            "config_type_sigma.bulk.energy", "config_type_sigma.bulk.forces", "config_type_sigma.liq.energy", "config_type_sigma.liq.forces",
            "extra_terms",
        ])
        XCTAssertEqual(space.dimensions[0].values.map(number), [0.3, 0.35, 0.4, 0.45, 0.5])
        XCTAssertEqual(space.dimensions[6].values.map(number), [500, 1000, 2000])
        XCTAssertEqual(space.dimensions[7].values.map(number), [0.125, 0.25, 0.5, 1, 2], "pair δ as a ratio of the soap δ")
        // Every point's config is a valid config; the base point is the base config.
        let root = try base().jsonValue
        let baseConfig = try TrainingConfig.parse(bytes: Array(JSONWriter.write(try space.configJSON(space.basePoint, base: root)).utf8), name: "b", baseDirectory: "configs", checkFiles: false)
        XCTAssertEqual(baseConfig.descriptors, try base().descriptors)
        XCTAssertEqual(baseConfig.defaultSigma, try base().defaultSigma)
        // Several species with an averaged e0: e0 "fit" is tried too.
        let binary = try SearchSpace.defaultSpace(for: try base(), facts: DataFacts(configTypes: [], framesPerConfigType: [:], hasVirials: true, atomCount: 900, speciesCount: 2))
        let e0 = try XCTUnwrap(binary.dimensions.first { $0.name == "e0" })
        XCTAssertEqual(e0.values, [.string("average"), .string("fit")])
        XCTAssertTrue(binary.dimensions.contains { $0.name == "default_sigma.virial" })
        XCTAssertEqual(binary.dimensions.first { $0.name == "descriptors[0].n_sparse" }?.values.map(number), [500, 1000], "2000 is over 3/4 of the environments; the base value stays")
        // The text form reads back to the same space.
        XCTAssertEqual(try parse(space.spaceFileJSON()).spaceFileJSON(), space.spaceFileJSON())
    }

    func testABaseRatioThatIsNotRoundIsListedOnceAndExactly() throws {
        // A 2-body δ of 0.2 against the soap term's 0.3: the base ratio 2/3 has more digits than the
        // generated grid keeps (0.666667), which must not add a second, near-identical value.
        let text = baseJSON.replacingOccurrences(of: "\"delta\": 1.0", with: "\"delta\": 0.3")
            .replacingOccurrences(of: "\"delta\": 0.5", with: "\"delta\": 0.2")
        let base = try TrainingConfig.parse(bytes: Array(text.utf8), name: "configs/base.json", baseDirectory: "configs", checkFiles: false)
        let facts = DataFacts(configTypes: [], framesPerConfigType: [:], hasVirials: false, atomCount: 5000)
        let space = try SearchSpace.defaultSpace(for: base, facts: facts)
        let pair = try XCTUnwrap(space.dimensions.first { $0.name == "descriptors[1].delta" })
        let ratios = try pair.values.map { try XCTUnwrap(number($0)) }
        XCTAssertEqual(ratios.count, 5, "\(ratios)")
        XCTAssertEqual(ratios[pair.baseIndex], 0.2 / 0.3, "the base point keeps the base's exact ratio")
        XCTAssertEqual(ratios.filter { $0 != 0.2 / 0.3 }, [0.166667, 0.333333, 1.33333, 2.66667])
        // So the base point is the base config itself, not δ 0.3 × 0.666667.
        let baseConfig = try TrainingConfig.parse(
            bytes: Array(JSONWriter.write(try space.configJSON(space.basePoint, base: base.jsonValue)).utf8),
            name: "b", baseDirectory: "configs", checkFiles: false)
        XCTAssertEqual(baseConfig.descriptors, base.descriptors)
    }

    func testPathsAreRebasedForTheOutputDirectory() {
        XCTAssertEqual(PathText.rebase("../datasets/x.xyz", from: "/r/configs", to: "/r/configs/zuo2020"), "../../datasets/x.xyz")
        XCTAssertEqual(PathText.rebase("x.xyz", from: "/r/a", to: "/r/a"), "x.xyz")
        XCTAssertEqual(PathText.rebase("/abs/x.xyz", from: "/r/a", to: "/q"), "/abs/x.xyz")
        XCTAssertEqual(PathText.rebase("../m.gapjson", from: "/r/configs", to: "/tmp/out"), "../../r/m.gapjson")
        XCTAssertEqual(PathText.directory(of: "best.json"), "")
        XCTAssertEqual(PathText.directory(of: "/a/b/best.json"), "/a/b")
    }

    func testObjectiveParsingAndScores() throws {
        XCTAssertEqual(try TuningObjective.parse("energy=1,forces=2"), TuningObjective(energy: 1, forces: 2, virial: 0))
        XCTAssertThrowsError(try TuningObjective.parse("energy=1,stress=1"))
        XCTAssertThrowsError(try TuningObjective.parse("energy=0"))
        var reference = PooledErrors([])
        reference.energy = 2
        reference.forces = 0.1
        var x = reference
        x.energy = 1
        x.forces = 0.1
        XCTAssertEqual(x.score(TuningObjective(), reference: reference), (0.5 + 1) / 2)
        XCTAssertEqual(x.score(TuningObjective(energy: 0, forces: 1), reference: reference), 1)
    }
}
