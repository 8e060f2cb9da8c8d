import AtomicStructures
import Configuration
import CrossValidation
import Descriptors
import JSON
import Kernels
import Prediction
import TestSupport
import Training
import XCTest
@testable import Tuning

/// The `radial_scaling` dimension of SOAP-family terms: its default values, null meaning "no
/// scaling" (the key removed), the space file's text form, and a fit with each value.
final class RadialScalingSpaceTests: XCTestCase {
    /// A soap term without scaling, a bispectrum term whose scaling is one of the default values,
    /// a radial_spectrum term with another scaling, and a 2-body term (which has none).
    func base(trainFile: String = "data/train.xyz") throws -> TrainingConfig {
        let json = """
            {
              "train_files": ["\(trainFile)"],
              "e0": "average",
              "descriptors": [
                {"type": "soap", "cutoff": 5.0, "n_max": 3, "l_max": 2, "atom_sigma": 0.5, "delta": 1.0, "zeta": 2, "n_sparse": 10},
                {"type": "bispectrum", "cutoff": 4.5, "n_max": 3, "l_max": 2, "atom_sigma": 0.5, "delta": 0.5, "zeta": 2, "n_sparse": 10,
                 "radial_scaling": {"c": 1, "r0": 2.25, "m": 4}},
                {"type": "radial_spectrum", "cutoff": 4.0, "n_max": 4, "atom_sigma": 0.5, "delta": 0.2, "zeta": 2, "n_sparse": 10,
                 "radial_scaling": {"c": 2, "r0": 3, "m": 3}},
                {"type": "distance_2b", "cutoff": 5.0, "theta_uniform": 1.0, "delta": 0.5, "n_sparse": 10}
              ],
              "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05},
              "seed": 3
            }
            """
        return try TrainingConfig.parse(bytes: Array(json.utf8), name: "configs/base.json", baseDirectory: "configs", checkFiles: false)
    }

    let facts = DataFacts(configTypes: [], framesPerConfigType: [:], hasVirials: false, atomCount: 5000)

    func descriptors(_ json: JSONValue.Kind) throws -> [DescriptorTermConfig] {
        try TrainingConfig.parse(bytes: Array(JSONWriter.write(json).utf8), name: "p", baseDirectory: "configs", checkFiles: false).descriptors
    }

    func scaling(_ term: DescriptorTermConfig) -> (c: Double, r0: Double, m: Double)? {
        guard case .soap(let t) = term, let s = t.descriptor.radialScaling else { return nil }
        return (s.c, s.r0, s.m)
    }

    func dimension(_ space: SearchSpace, _ name: String) throws -> (index: Int, dimension: SearchDimension) {
        let d = try XCTUnwrap(space.dimensions.firstIndex { $0.name == name }, name)
        return (d, space.dimensions[d])
    }

    func testDefaultValuesPerSOAPFamilyTerm() throws {
        let space = try SearchSpace.defaultSpace(for: try base(), facts: facts)
        XCTAssertEqual(space.dimensions.map(\.name).filter { $0.hasSuffix("radial_scaling") },
                       ["descriptors[0].radial_scaling", "descriptors[1].radial_scaling", "descriptors[2].radial_scaling"], "not the 2-body term")
        XCTAssertFalse(space.dimensions.contains { $0.name == "descriptors[2].l_max" }, "radial_spectrum has no l_max")
        // r0 as 0.5 and 0.6 of the term's cutoff; the base value kept (first when it is not a default value), no duplicates.
        let soap = try dimension(space, "descriptors[0].radial_scaling").dimension
        XCTAssertEqual(soap.values.indices.map(soap.describe), ["none", "c 1 r0 2.5 m 4", "c 1 r0 2.5 m 6", "c 1 r0 3 m 4"])
        XCTAssertEqual(soap.baseIndex, 0)
        let bispectrum = try dimension(space, "descriptors[1].radial_scaling").dimension
        XCTAssertEqual(bispectrum.values.indices.map(bispectrum.describe), ["none", "c 1 r0 2.25 m 4", "c 1 r0 2.25 m 6", "c 1 r0 2.7 m 4"])
        XCTAssertEqual(bispectrum.baseIndex, 1, "the base's {c 1, r0 2.25, m 4} is the first scaled value")
        let radial = try dimension(space, "descriptors[2].radial_scaling").dimension
        XCTAssertEqual(radial.values.indices.map(radial.describe), ["c 2 r0 3 m 3", "none", "c 1 r0 2 m 4", "c 1 r0 2 m 6", "c 1 r0 2.4 m 4"])
        XCTAssertEqual(radial.baseIndex, 0)

        // The base point is the base config.
        let root = try base().jsonValue
        let baseTerms = try descriptors(try space.configJSON(space.basePoint, base: root))
        XCTAssertEqual(baseTerms, try base().descriptors)
    }

    func testNoneRemovesTheKeyAndValuesAreApplied() throws {
        let space = try SearchSpace.defaultSpace(for: try base(), facts: facts)
        let root = try base().jsonValue
        var point = space.basePoint
        let (s, _) = try dimension(space, "descriptors[0].radial_scaling")
        let (b, _) = try dimension(space, "descriptors[1].radial_scaling")
        let (r, _) = try dimension(space, "descriptors[2].radial_scaling")
        point[s] = 2  // c 1 r0 2.5 m 6
        point[b] = 0  // none
        point[r] = 1  // none
        let json = try space.configJSON(point, base: root)
        guard case .array(let terms)? = ParameterSweep.value(at: [.key("descriptors")], in: json) else { return XCTFail("descriptors") }
        for t in [1, 2] {
            guard case .object(let o) = terms[t].kind else { return XCTFail("term \(t)") }
            XCTAssertNil(o["radial_scaling"], "none removes the key (term \(t))")
            XCTAssertNotNil(o["cutoff"], "and nothing else")
        }
        let decoded = try descriptors(json)
        XCTAssertEqual(decoded.count, 4)
        let first = try XCTUnwrap(scaling(decoded[0]))
        XCTAssertEqual([first.c, first.r0, first.m], [1, 2.5, 6])
        XCTAssertNil(scaling(decoded[1]))
        XCTAssertNil(scaling(decoded[2]))
        XCTAssertEqual(decoded[3], try base().descriptors[3])
        // Reports (the chosen config's header, report.md, progress) name the values readably.
        XCTAssertEqual(space.changes(point), [
            "descriptors[0].radial_scaling = c 1 r0 2.5 m 6", "descriptors[1].radial_scaling = none", "descriptors[2].radial_scaling = none",
        ])
        // Removing a key the config does not have changes nothing.
        XCTAssertEqual(ConfigPaths.removing([.key("descriptors"), .index(0), .key("radial_scaling")][...], in: root), root)
    }

    func testSpaceFileRoundTripAndHandWrittenValues() throws {
        let base = try base()
        let space = try SearchSpace.defaultSpace(for: base, facts: facts)
        let text = space.spaceFileJSON()
        XCTAssertTrue(text.contains("\"descriptors[0].radial_scaling\": [null, {\"c\":1.0,\"m\":4.0,\"r0\":2.5}, "), text)
        let reread = try SearchSpace.parse(bytes: Array(text.utf8), name: "space.json", base: base)
        XCTAssertEqual(reread.spaceFileJSON(), text)
        XCTAssertEqual(reread.dimensions.map(\.name), space.dimensions.map(\.name))
        XCTAssertEqual(reread.dimensions.map(\.kind), space.dimensions.map(\.kind))
        XCTAssertEqual(reread.basePoint, space.basePoint)
        for (a, b) in zip(reread.dimensions, space.dimensions) {
            XCTAssertEqual(a.values.count, b.values.count, a.name)
            XCTAssertTrue(zip(a.values, b.values).allSatisfy { sameValue($0, $1) }, a.name)
            XCTAssertEqual(a.values.indices.map(a.describe), b.values.indices.map(b.describe), a.name)
        }

        // By hand: objects in any key order with integer literals, and null.
        let hand = try SearchSpace.parse(bytes: Array("""
            {
              "descriptors[0].radial_scaling": [null, {"c": 1, "r0": 2.0, "m": 5}],
              "descriptors[1].radial_scaling": [{"m": 4, "r0": 2.25, "c": 1}, null]
            }
            """.utf8), name: "space.json", base: base)
        XCTAssertEqual(hand.dimensions[0].values.indices.map(hand.dimensions[0].describe), ["none", "c 1 r0 2 m 5"])
        XCTAssertEqual(hand.dimensions[0].baseIndex, 0, "the base has no scaling: null is its value")
        XCTAssertEqual(hand.dimensions[1].values.count, 2, "the hand-written object is the base's {c 1.0, r0 2.25, m 4.0}")
        XCTAssertEqual(hand.dimensions[1].baseIndex, 0)
        let decoded = try descriptors(try hand.configJSON([1, 1], base: base.jsonValue))
        XCTAssertEqual(try XCTUnwrap(scaling(decoded[0])).m, 5)
        XCTAssertNil(scaling(decoded[1]))

        // A setting the base leaves out needs null among its values; a term that does not exist is refused.
        for (space, expected) in [
            ("{\"descriptors[0].radial_scaling\": [{\"c\": 1, \"r0\": 2.5, \"m\": 4}]}", "list null among the values"),
            ("{\"descriptors[7].radial_scaling\": [null, {\"c\": 1, \"r0\": 2.5, \"m\": 4}]}", "the base config has no descriptors[7].radial_scaling"),
        ] {
            XCTAssertThrowsError(try SearchSpace.parse(bytes: Array(space.utf8), name: "space.json", base: base), space) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(space): \(error)")
            }
        }
    }

    /// Every value of the bispectrum term's dimension gives a config that the tuner validates and
    /// that trains; the scaled fits predict other energies than the unscaled one (the setting is
    /// applied, not dropped).
    func testEachValueDecodesAndTrains() throws {
        let base = try base(trainFile: packageRoot + "/datasets/si_zuo2020/Si_train.xyz")
        var data = try TrainingData.load(base)
        data.frames = Array(data.frames.prefix(4))
        let space = try SearchSpace.defaultSpace(for: base, facts: facts)
        let tuner = Tuner(base: base, data: data, space: space)
        let (b, dimension) = try dimension(space, "descriptors[1].radial_scaling")
        var energies: [Double] = []
        for v in dimension.values.indices {
            var point = space.basePoint
            point[b] = v
            let config = try tuner.config(point)
            if case .null = dimension.values[v] {
                XCTAssertNil(scaling(config.descriptors[1]))
            } else {
                XCTAssertNotNil(scaling(config.descriptors[1]), dimension.describe(v))
            }
            let fit = try Trainer(config: config).fit(data, options: FitOptions(threads: 2))
            let energy = try fit.potential.predict(data.frames[0].structure, forces: false, virial: false).energy
            XCTAssertTrue(energy.isFinite, dimension.describe(v))
            energies.append(energy)
        }
        XCTAssertEqual(energies.count, 4)
        for v in 1..<energies.count {
            XCTAssertNotEqual(energies[v], energies[0], "\(dimension.describe(v)) differs from none")
        }
    }
}
