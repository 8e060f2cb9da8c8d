import AtomicStructures
import Descriptors
import Support
import TestSupport
import XCTest
@testable import Configuration

final class TrainingConfigTests: XCTestCase {
    private func parse(_ text: String, checkFiles: Bool = false) throws -> TrainingConfig {
        try TrainingConfig.parse(bytes: Array(text.utf8), name: "c.json", baseDirectory: "cfg", checkFiles: checkFiles)
    }

    /// Asserts an InputError at `line` on `field` whose message contains `fragment`.
    private func assertConfigError(
        _ text: String, line: Int?, field: String?, _ fragment: String,
        file: StaticString = #filePath, lineNumber: UInt = #line
    ) {
        XCTAssertThrowsError(try parse(text), file: file, line: lineNumber) { error in
            guard let e = error as? InputError else { return XCTFail("not an InputError: \(error)", file: file, line: lineNumber) }
            XCTAssertEqual(e.file, "c.json", file: file, line: lineNumber)
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: lineNumber)
            XCTAssertEqual(e.field, field, "\(e)", file: file, line: lineNumber)
            XCTAssertTrue(e.message.contains(fragment), "\(e) lacks \"\(fragment)\"", file: file, line: lineNumber)
        }
    }

    /// A valid config with one SOAP term whose body can be varied: `soapExtra` is spliced into
    /// the SOAP object (line 5), `topExtra` into the top level (line 8).
    private func config(soap soapExtra: String = "", top topExtra: String = "") -> String {
        """
        {
          "train_files": ["a.xyz"],
          "descriptors": [
            {"type": "soap", "cutoff": 5.0, "n_max": 8, "l_max": 6, "atom_sigma": 0.5,
             "delta": 1.0, "n_sparse": 100\(soapExtra)}
          ],
          "seed": 3
          \(topExtra)
        }
        """
    }

    func testMinimalConfigGetsGapFitDefaults() throws {
        let c = try parse(config())
        XCTAssertEqual(c.trainingSet, .files(["a.xyz"]))
        XCTAssertEqual(c.trainingFramesPaths(), ["cfg/a.xyz"])
        XCTAssertEqual(c.labelKeys, LabelKeys())
        XCTAssertEqual(c.e0, .averagePerAtom)
        XCTAssertEqual(c.e0Offset, 0)
        XCTAssertEqual(c.defaultSigma, SigmaTriple(energy: 0.001, forces: 0.1, virial: 0.05))
        XCTAssertTrue(c.sigmaPerAtom)
        XCTAssertEqual(c.sigmaKeys, SigmaKeys(energy: "energy_sigma", forces: "force_sigma", virial: "virial_sigma", forcesPerAtom: "force_atom_sigma"))
        XCTAssertEqual(c.sparseJitter, 1e-8)
        XCTAssertEqual(c.seed, 3)
        XCTAssertEqual(c.output, "model.gapjson")
        XCTAssertEqual(c.resolvedOutput, "cfg/model.gapjson")
        XCTAssertNil(c.threads)
        guard case .soap(let t) = c.descriptors[0] else { return XCTFail() }
        XCTAssertEqual(t.descriptor.cutoffTransitionWidth, 0.5)  // gap_fit's default
        XCTAssertEqual(t.descriptor.centralWeight, 1)
        XCTAssertTrue(t.descriptor.normalise)
        XCTAssertNil(t.descriptor.neighbourSpecies)
        XCTAssertNil(t.descriptor.radialScaling)
        XCTAssertEqual(t.zeta, 4)
        XCTAssertEqual(t.sparse, SparsePointsConfig(count: 100, method: .cur))
    }

    func testFullSchemaExample() throws {
        let text = """
        {
          "train_files": ["d/Si_train.xyz", "/abs/other.xyz"],   // relative to the config
          "label_keys": {"energy": ["energy"], "forces": "force", "virial": [], "stress": ["s"], "config_type": ["ct"]},
          "e0": {"Si": -158.54, "O": -432.1},
          "e0_offset": 0.25,
          "descriptors": [
            {"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 8, "l_max": 6, "atom_sigma": 0.5,
             "central_weight": 0.5, "normalise": false, "species_Z": [14, "O"], "Z": ["Si"],
             "radial_scaling": {"c": 1.0, "r0": 2.0, "m": 4.0},
             "delta": 1.0, "zeta": 2, "n_sparse": 1000, "sparse_method": "fps"},
            {"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 0.5, "theta_uniform": 1.0, "Z1": 14, "Z2": 8,
             "delta": 1.0, "n_sparse": 20, "sparse_method": "uniform"},
            {"type": "soap", "cutoff": 3.0, "n_max": 4, "l_max": 2, "atom_sigma": 0.3, "delta": 0.1,
             "sparse_method": "index_file", "sparse_file": "sparse.idx"}
          ],
          "default_sigma": {"energy": 0.001, "forces": 0.1, "virial": 0.05},
          "config_type_sigma": {"liq": {"energy": 0.003, "forces": 0.15, "virial": 0.2}, "sp": {"forces": 0.3}},
          "sigma_per_atom": false,
          "sigma_keys": {"energy": "e_sig", "forces": null},
          "sparse_jitter": 1e-10,
          "seed": 7,
          "output": "out/model.gapjson",
          "threads": 2,
          "description": "test"
        }
        """
        let c = try parse(text)
        XCTAssertEqual(c.trainingFramesPaths(), ["cfg/d/Si_train.xyz", "/abs/other.xyz"])
        XCTAssertEqual(c.labelKeys, LabelKeys(energy: ["energy"], forces: ["force"], virial: [], stress: ["s"], configType: ["ct"]))
        XCTAssertEqual(c.e0, .perSpecies([14: -158.54, 8: -432.1]))
        XCTAssertEqual(c.e0Offset, 0.25)
        guard case .soap(let s) = c.descriptors[0], case .distance2b(let d) = c.descriptors[1], case .soap(let f) = c.descriptors[2] else {
            return XCTFail()
        }
        XCTAssertEqual(s.descriptor, SOAPDescriptorConfig(
            cutoffRadius: 5, cutoffTransitionWidth: 1, nMax: 8, lMax: 6, atomSigma: 0.5, centralWeight: 0.5, normalise: false,
            neighbourSpecies: [8, 14], centreSpecies: [14], radialScaling: RadialScaling(c: 1, r0: 2, m: 4)))
        XCTAssertEqual(s.zeta, 2)
        XCTAssertEqual(s.sparse, SparsePointsConfig(count: 1000, method: .fps))
        XCTAssertEqual(d.descriptor, Distance2BDescriptorConfig(cutoffRadius: 5, cutoffTransitionWidth: 0.5, speciesPair: .init(8, 14)))
        XCTAssertEqual(d.theta, 1)
        XCTAssertEqual(d.sparse, SparsePointsConfig(count: 20, method: .uniform))
        XCTAssertEqual(f.sparse, SparsePointsConfig(count: nil, method: .indexFile, file: "sparse.idx"))
        XCTAssertEqual(c.configTypeSigma["liq"], SigmaTriple(energy: 0.003, forces: 0.15, virial: 0.2))
        XCTAssertEqual(c.configTypeSigma["sp"], SigmaTriple(energy: 0.001, forces: 0.3, virial: 0.05))  // rest from default
        XCTAssertEqual(c.sigma(forConfigType: "sp").forces, 0.3)
        XCTAssertEqual(c.sigma(forConfigType: "dia"), c.defaultSigma)
        XCTAssertEqual(c.sigma(forConfigType: nil), c.defaultSigma)
        XCTAssertFalse(c.sigmaPerAtom)
        XCTAssertEqual(c.sigmaKeys, SigmaKeys(energy: "e_sig", forces: nil, virial: "virial_sigma", forcesPerAtom: "force_atom_sigma"))
        XCTAssertEqual(c.sparseJitter, 1e-10)
        XCTAssertEqual(c.threads, 2)
        XCTAssertEqual(c.runDescription, "test")
        XCTAssertEqual(c.resolvedOutput, "cfg/out/model.gapjson")

        // Canonical JSON parses back to the same config and is a fixed point.
        let canonical = c.canonicalJSON()
        let again = try TrainingConfig.parse(bytes: Array(canonical.utf8), name: "c.json", baseDirectory: "cfg", checkFiles: false)
        XCTAssertEqual(again, c)
        XCTAssertEqual(again.canonicalJSON(), canonical)
        XCTAssertEqual(again.canonicalJSON(pretty: false), c.canonicalJSON(pretty: false))
        // Keys are sorted at every level.
        XCTAssertTrue(canonical.hasPrefix("{\n  \"config_type_sigma\": {"), canonical)
        XCTAssertTrue(c.canonicalJSON(pretty: false).contains(#"{"Z":[14],"atom_sigma":0.5,"central_weight":0.5,"cutoff":5.0,"#))
    }

    func testResolvingSpeciesFromTheData() throws {
        let text = """
        {"train_files": ["a.xyz"], "descriptors": [
          {"type": "soap", "cutoff": 4.0, "n_max": 2, "l_max": 1, "atom_sigma": 0.5, "delta": 1, "n_sparse": 5},
          {"type": "soap", "cutoff": 4.0, "n_max": 2, "l_max": 1, "atom_sigma": 0.5, "delta": 1, "n_sparse": 5, "Z": [8]},
          {"type": "distance_2b", "cutoff": 4.0, "theta_uniform": 1, "delta": 1, "n_sparse": 5}]}
        """
        let c = try parse(text)
        let terms = try c.resolvedTerms(speciesPresent: [14, 8, 14, 1])
        XCTAssertEqual(terms.count, 2 + 6)  // two SOAP terms, 2b for each of the 6 pairs of {H, O, Si}
        guard case .soap(let h0, _) = terms[0], case .soap(let h1, _) = terms[1] else { return XCTFail() }
        XCTAssertEqual(h0.neighbourSpecies, [1, 8, 14])
        XCTAssertEqual(h0.centreSpecies, [1, 8, 14])
        XCTAssertEqual(h1.neighbourSpecies, [1, 8, 14])
        XCTAssertEqual(h1.centreSpecies, [8])
        XCTAssertEqual(h0.cutoffTransitionWidth, 0.5)
        let pairs = terms.dropFirst(2).compactMap { term -> [Int]? in
            if case .distance2b(let p, _) = term { return [p.z1, p.z2] }
            return nil
        }
        XCTAssertEqual(pairs, [[1, 1], [1, 8], [1, 14], [8, 8], [8, 14], [14, 14]])
        XCTAssertThrowsError(try c.resolvedTerms(speciesPresent: [])) { XCTAssertTrue("\($0)".contains("no atoms")) }
        XCTAssertThrowsError(try c.resolvedTerms(speciesPresent: [14])) { error in
            let e = error as! InputError
            XCTAssertEqual(e.field, "descriptors[1].Z")
            XCTAssertTrue(e.message.contains("none of the centre species O"), "\(e)")
        }
        // e0 coverage.
        let withE0 = try parse(config(top: ", \"e0\": {\"Si\": -1.0}"))
        XCTAssertNoThrow(try withE0.checkE0Coverage(speciesPresent: [14]))
        XCTAssertThrowsError(try withE0.checkE0Coverage(speciesPresent: [14, 8])) { XCTAssertTrue("\($0)".contains("no e0 given for O")) }
    }

    func testUnknownKeysAreReportedWithPathLineAndHint() {
        assertConfigError(config(soap: ",\n \"n_sprase\": 10"), line: 6, field: "descriptors[0].n_sprase", "did you mean `n_sparse`?")
        assertConfigError(config(soap: ", \"cutof\": 5"), line: 5, field: "descriptors[0].cutof", "did you mean `cutoff`?")
        assertConfigError(config(top: ", \"sede\": 1"), line: 8, field: "sede", "did you mean `seed`?")
        assertConfigError(config(top: ", \"at_file\": \"x\""), line: 8, field: "at_file", "did you mean `train_files`?")
        assertConfigError(config(soap: ", \"theta\": 1"), line: 5, field: "descriptors[0].theta", "unknown key \"theta\" in a soap term")
        assertConfigError(config(top: ", \"zzz\": 1"), line: 8, field: "zzz", "known keys: train_files")
        assertConfigError(config(top: ", \"default_sigma\": {\"energy\": 1, \"forces\": 1, \"virial\": 1, \"hessian\": 0}"),
                          line: 8, field: "default_sigma.hessian", "unknown key \"hessian\" in a sigma triple")
        assertConfigError(config(top: ", \"label_keys\": {\"force\": [\"f\"]}"), line: 8, field: "label_keys.force", "did you mean `forces`?")
        assertConfigError(config(top: ", \"config_type_sigma\": {\"liq phase\": {\"enrgy\": 1}}"),
                          line: 8, field: "config_type_sigma[\"liq phase\"].enrgy", "did you mean `energy`?")
    }

    func testWrongTypesAreExplained() {
        assertConfigError(config(soap: ", \"cutoff_transition_width\": \"1\""), line: 5,
                          field: "descriptors[0].cutoff_transition_width", "expected a number, found the string \"1\"")
        assertConfigError(config(soap: ", \"zeta\": 2.5"), line: 5, field: "descriptors[0].zeta", "expected an integer, found 2.5")
        assertConfigError(config(soap: ", \"normalise\": 1"), line: 5, field: "descriptors[0].normalise", "expected true or false, found the number 1")
        assertConfigError(config(soap: ", \"species_Z\": 14"), line: 5, field: "descriptors[0].species_Z", "expected an array of atomic numbers")
        assertConfigError(config(soap: ", \"species_Z\": [\"si\"]"), line: 5, field: "descriptors[0].species_Z[0]", "did you mean `Si`?")
        assertConfigError(config(soap: ", \"species_Z\": [14, 14]"), line: 5, field: "descriptors[0].species_Z[1]", "listed twice")
        assertConfigError(config(soap: ", \"Z\": [0]"), line: 5, field: "descriptors[0].Z[0]", "between 1 and 118")
        assertConfigError(config(soap: ", \"Z\": []"), line: 5, field: "descriptors[0].Z", "must not be empty")
        assertConfigError(config(top: ", \"e0\": -158.5"), line: 8, field: "e0", "found a bare number")
        assertConfigError(config(top: ", \"e0\": \"isolate\""), line: 8, field: "e0", "did you mean `isolated`?")
        assertConfigError(config(top: ", \"e0\": {\"Xx\": 1}"), line: 8, field: "e0.Xx", "unknown element symbol")
        assertConfigError(config(top: ", \"threads\": \"all\""), line: 8, field: "threads", "expected an integer")
        assertConfigError(config(top: ", \"descriptors\": {}"), line: 8, field: nil, "duplicate key \"descriptors\"")
        assertConfigError("[1]", line: 1, field: "(top level)", "expected a training config (a JSON object {...}), found an array")
        assertConfigError("{\"train_files\": \"a.xyz\", \"descriptors\": []}", line: 1, field: "train_files", "expected an array of file paths")
    }

    func testImpossibleValuesAreRejected() {
        assertConfigError(config(soap: ", \"n_max\": 0").replacingOccurrences(of: "\"n_max\": 8, ", with: ""),
                          line: 5, field: "descriptors[0].n_max", "n_max must be ≥ 1")
        assertConfigError(config(soap: ", \"cutoff_transition_width\": 6"), line: 5,
                          field: "descriptors[0].cutoff_transition_width", "cutoff_transition_width must be ≤ cutoff (5.0 Å)")
        assertConfigError(config(soap: ", \"cutoff_transition_width\": -1"), line: 5,
                          field: "descriptors[0].cutoff_transition_width", "must be ≥ 0")
        assertConfigError(config().replacingOccurrences(of: "\"atom_sigma\": 0.5", with: "\"atom_sigma\": 0"),
                          line: 4, field: "descriptors[0].atom_sigma", "atom_sigma must be > 0 Å")
        assertConfigError(config().replacingOccurrences(of: "\"cutoff\": 5.0", with: "\"cutoff\": 0.3"),
                          line: 4, field: "descriptors[0].cutoff", "smaller than the default cutoff_transition_width")
        assertConfigError(config(top: ", \"default_sigma\": {\"energy\": 0, \"forces\": 0.1, \"virial\": 0.1}"),
                          line: 8, field: "default_sigma.energy", "sigmas must be > 0")
        assertConfigError(config(top: ", \"default_sigma\": {\"energy\": 0.1, \"forces\": 0.1}"),
                          line: 8, field: "default_sigma.virial", "missing required key \"virial\"")
        assertConfigError(config(top: ", \"config_type_sigma\": {\"liq\": {\"forces\": -0.1}}"),
                          line: 8, field: "config_type_sigma.liq.forces", "sigmas must be > 0")
        assertConfigError(config(soap: ", \"zeta\": 0"), line: 5, field: "descriptors[0].zeta", "zeta must be an integer ≥ 1")
        assertConfigError(config().replacingOccurrences(of: "\"n_sparse\": 100", with: "\"n_sparse\": 0"),
                          line: 5, field: "descriptors[0].n_sparse", "n_sparse must be ≥ 1")
        assertConfigError(config().replacingOccurrences(of: ", \"n_sparse\": 100", with: ""),
                          line: 4, field: "descriptors[0].n_sparse", "missing required key \"n_sparse\"")
        assertConfigError(config().replacingOccurrences(of: "\"delta\": 1.0, ", with: ""),
                          line: 4, field: "descriptors[0].delta", "missing required key \"delta\"")
        assertConfigError(config(soap: ", \"sparse_method\": \"index_file\""), line: 4,
                          field: "descriptors[0].sparse_file", "missing required key \"sparse_file\"")
        assertConfigError(config(soap: ", \"sparse_file\": \"x.idx\""), line: 5,
                          field: "descriptors[0].sparse_file", "only used with sparse_method \"index_file\"")
        assertConfigError(config(soap: ", \"sparse_method\": \"uniform\""), line: 5,
                          field: "descriptors[0].sparse_method", "unknown sparse_method \"uniform\" for this term")
        assertConfigError(config(soap: ", \"sparse_method\": \"cur_points\""), line: 5,
                          field: "descriptors[0].sparse_method", "gap_fit's cur_points is `cur`")
        assertConfigError(config(soap: ", \"radial_scaling\": {\"c\": 1, \"r0\": 0, \"m\": 2}"), line: 5,
                          field: "descriptors[0].radial_scaling.r0", "r0 must be > 0 Å")
        assertConfigError(config(top: ", \"sparse_jitter\": -1e-8"), line: 8, field: "sparse_jitter", "must be ≥ 0")
        assertConfigError(config(top: ", \"threads\": 0"), line: 8, field: "threads", "threads must be ≥ 1")
        assertConfigError(config(top: ", \"seed\": -1").replacingOccurrences(of: "\"seed\": 3\n", with: "\"output\": \"m\"\n"),
                          line: 8, field: "seed", "seed must be ≥ 0")
        assertConfigError(config().replacingOccurrences(of: "[\"a.xyz\"]", with: "[]"), line: 2, field: "train_files", "at least one file")
        assertConfigError(config().replacingOccurrences(of: "[\"a.xyz\"]", with: "[\"a.xyz\", \"a.xyz\"]"),
                          line: 2, field: "train_files[1]", "listed twice")
        assertConfigError(config(top: ", \"train_split\": {\"file\": \"s.json\"}"), line: 8, field: "train_split", "not both")
        assertConfigError("{\"descriptors\": []}", line: 1, field: "(top level)", "missing required key \"train_files\"")
        assertConfigError("{\"train_files\": [\"a\"], \"descriptors\": []}", line: 1, field: "descriptors", "at least one term")
        assertConfigError("{\"train_files\": [\"a\"]}", line: 1, field: "descriptors", "missing required key \"descriptors\"")
        assertConfigError("{\"train_files\": [\"a\"], \"descriptors\": [{\"cutoff\": 1}]}", line: 1, field: "descriptors[0]", "missing required key \"type\"")
        assertConfigError("{\"train_files\": [\"a\"], \"descriptors\": [{\"type\": \"soapp\"}]}", line: 1,
                          field: "descriptors[0].type", "did you mean `soap`?")
        let twoBody = """
        {"train_files": ["a"], "descriptors": [{"type": "distance_2b", "cutoff": 4, "theta_uniform": 1, "delta": 1,
         "n_sparse": 5, "Z1": 14}]}
        """
        assertConfigError(twoBody, line: 2, field: "descriptors[0].Z2", "Z1 is given but Z2 is not")
    }

    func testOptimalRadialBasisAndFeatureSelectionKeys() throws {
        func soap(_ c: TrainingConfig) throws -> SOAPDescriptorConfig {
            guard case .soap(let t) = c.descriptors[0] else { throw XCTSkip("not soap") }
            return t.descriptor
        }
        let plain = try soap(parse(config()))
        XCTAssertEqual(plain.radialBasis, .gap)
        XCTAssertNil(plain.featureSelection)
        XCTAssertFalse(plain.isDataDriven)
        XCTAssertFalse(try parse(config()).canonicalJSON().contains("radial_basis"), "gap configs keep their canonical form")

        let optimal = try soap(parse(config(soap: #", "radial_basis": "optimal""#)))
        XCTAssertEqual(optimal.radialBasis, .optimal(OptimalRadialBasisConfig(primitiveCount: 20)))
        XCTAssertEqual(optimal.nMax, 8)
        XCTAssertEqual(optimal.sampleSize, SOAPDescriptorConfig.defaultSampleSize)
        XCTAssertTrue(optimal.isDataDriven)

        let full = try parse(config(soap: #", "radial_basis": "optimal", "n_max_primitive": 12, "retained_variance": 0.99, "n_features": 40, "feature_selection": "fps", "basis_sample": 500"#))
        let d = try soap(full)
        XCTAssertEqual(d.radialBasis, .optimal(OptimalRadialBasisConfig(primitiveCount: 12, retainedVariance: 0.99)))
        XCTAssertEqual(d.featureSelection, FeatureSelectionConfig(count: 40, method: .fps))
        XCTAssertEqual(d.sampleSize, 500)
        let again = try TrainingConfig.parse(bytes: Array(full.canonicalJSON().utf8), name: "c.json", baseDirectory: "cfg", checkFiles: false)
        XCTAssertEqual(again.descriptors, full.descriptors)

        // With retained_variance, n_max is an upper limit that defaults to n_max_primitive.
        let withoutNMax = """
            {"train_files": ["a.xyz"], "descriptors": [{"type": "soap", "cutoff": 5, "l_max": 6, "atom_sigma": 0.5,
             "delta": 1, "n_sparse": 10, "radial_basis": "optimal", "n_max_primitive": 14, "retained_variance": 0.999}]}
            """
        XCTAssertEqual(try soap(parse(withoutNMax)).nMax, 14)
        XCTAssertEqual(try soap(parse(config(soap: #", "n_features": 10"#))).featureSelection, FeatureSelectionConfig(count: 10, method: .cur))

        assertConfigError(config(soap: #", "radial_basis": "optimall""#), line: 5, field: "descriptors[0].radial_basis", "did you mean `optimal`?")
        assertConfigError(config(soap: #", "n_max_primitive": 12"#), line: 5, field: "descriptors[0].n_max_primitive", "only used with radial_basis \"optimal\"")
        assertConfigError(config(soap: #", "retained_variance": 0.9"#), line: 5, field: "descriptors[0].retained_variance", "only used with radial_basis")
        assertConfigError(config(soap: #", "radial_basis": "optimal", "retained_variance": 1.5"#), line: 5, field: "descriptors[0].retained_variance", "(0, 1]")
        assertConfigError(config(soap: #", "radial_basis": "optimal", "n_max_primitive": 6"#), line: 4, field: "descriptors[0].n_max", "must not exceed n_max_primitive")
        assertConfigError(config(soap: #", "radial_basis": "optimal", "n_max_primitive": 65"#), line: 5, field: "descriptors[0].n_max_primitive", "between 1 and 64")
        assertConfigError(config(soap: #", "n_features": 0"#), line: 5, field: "descriptors[0].n_features", "≥ 1")
        assertConfigError(config(soap: #", "feature_selection": "cur""#), line: 5, field: "descriptors[0].feature_selection", "only used with n_features")
        assertConfigError(config(soap: #", "n_features": 5, "feature_selection": "cur_iterative""#), line: 5, field: "descriptors[0].feature_selection", "allowed: cur, fps")
        assertConfigError(config(soap: #", "n_features": 5, "feature_selection": "fsp""#), line: 5, field: "descriptors[0].feature_selection", "did you mean `fps`?")
        assertConfigError(config(soap: #", "basis_sample": 100"#), line: 5, field: "descriptors[0].basis_sample", "only used with")
        assertConfigError(config(soap: #", "n_features": 5, "basis_sample": 0"#), line: 5, field: "descriptors[0].basis_sample", "≥ 1")
        assertConfigError(config(soap: #", "n_feature": 5"#), line: 5, field: "descriptors[0].n_feature", "did you mean `n_features`?")
        // combine_species: n_max may exceed n_max_primitive (up to species × it), and is required.
        let combined = try soap(parse(config(soap: #", "radial_basis": "optimal", "n_max_primitive": 6, "combine_species": true"#)))
        XCTAssertEqual(combined.radialBasis, .optimal(OptimalRadialBasisConfig(primitiveCount: 6, combinesSpecies: true)))
        XCTAssertEqual(combined.nMax, 8)
        assertConfigError(config(soap: #", "combine_species": true"#), line: 5, field: "descriptors[0].combine_species", "only used with radial_basis")
        // The supervised basis: the optimal basis's keys plus supervised_mixing in [0, 1].
        let supervised = try parse(config(soap: #", "radial_basis": "supervised", "n_max_primitive": 12"#))
        XCTAssertEqual(try soap(supervised).radialBasis, .optimal(OptimalRadialBasisConfig(primitiveCount: 12, supervisedMixing: 0.5)))
        XCTAssertEqual(try soap(supervised).radialBasis.name, "supervised")
        XCTAssertTrue(try soap(supervised).isLabelDependent)
        XCTAssertFalse(optimal.isLabelDependent)
        let mixed = try parse(config(soap: #", "radial_basis": "supervised", "n_max_primitive": 12, "supervised_mixing": 0"#))
        XCTAssertEqual(try soap(mixed).radialBasis, .optimal(OptimalRadialBasisConfig(primitiveCount: 12, supervisedMixing: 0)))
        let reparsed = try TrainingConfig.parse(bytes: Array(mixed.canonicalJSON().utf8), name: "c.json", baseDirectory: "cfg", checkFiles: false)
        XCTAssertEqual(reparsed.descriptors, mixed.descriptors)
        assertConfigError(config(soap: #", "radial_basis": "supervised", "n_max_primitive": 12, "supervised_mixing": 1.5"#), line: 5, field: "descriptors[0].supervised_mixing", "must be in [0, 1], found 1.5")
        assertConfigError(config(soap: #", "radial_basis": "supervised", "n_max_primitive": 12, "supervised_mixing": -0.1"#), line: 5, field: "descriptors[0].supervised_mixing", "must be in [0, 1]")
        assertConfigError(config(soap: #", "radial_basis": "optimal", "supervised_mixing": 0.5"#), line: 5, field: "descriptors[0].supervised_mixing", "only used with radial_basis \"supervised\"")
        assertConfigError(config(soap: #", "radial_basis": "supervise""#), line: 5, field: "descriptors[0].radial_basis", "did you mean `supervised`?")
        // supervised_target: energy (default) or energy_forces, only with a supervised basis or mixing.
        XCTAssertEqual(try soap(supervised).supervisedTarget, .energy)
        XCTAssertTrue(supervised.canonicalJSON().contains("\"supervised_target\""))
        let forces = try parse(config(soap: #", "radial_basis": "supervised", "n_max_primitive": 12, "supervised_target": "energy_forces""#))
        XCTAssertEqual(try soap(forces).supervisedTarget, .energyForces)
        let forcesAgain = try TrainingConfig.parse(bytes: Array(forces.canonicalJSON().utf8), name: "c.json", baseDirectory: "cfg", checkFiles: false)
        XCTAssertEqual(forcesAgain.descriptors, forces.descriptors)
        XCTAssertNotEqual(forces.descriptors, supervised.descriptors)
        assertConfigError(config(soap: #", "radial_basis": "supervised", "supervised_target": "forces""#), line: 5, field: "descriptors[0].supervised_target", "unknown supervised_target \"forces\" (allowed: energy, energy_forces)")
        assertConfigError(config(soap: #", "radial_basis": "supervised", "supervised_target": "energy_force""#), line: 5, field: "descriptors[0].supervised_target", "did you mean `energy_forces`?")
        assertConfigError(config(soap: #", "radial_basis": "supervised", "supervised_target": 1"#), line: 5, field: "descriptors[0].supervised_target", "expected a string")
        assertConfigError(config(soap: #", "radial_basis": "optimal", "supervised_target": "energy""#), line: 5, field: "descriptors[0].supervised_target", "only used with radial_basis \"supervised\" or species_mixing \"supervised\"")
        assertConfigError(config(soap: #", "supervised_target": "energy_forces""#), line: 5, field: "descriptors[0].supervised_target", "only used with")
        let noNMax = """
            {"train_files": ["a.xyz"], "descriptors": [{"type": "soap", "cutoff": 5, "l_max": 6, "atom_sigma": 0.5,
             "delta": 1, "n_sparse": 10, "radial_basis": "optimal", "retained_variance": 0.99, "combine_species": true}]}
            """
        XCTAssertThrowsError(try parse(noNMax)) { error in
            XCTAssertEqual((error as? InputError)?.field, "descriptors[0].n_max")
        }
    }

    /// radial_spectrum (ν = 1) and bispectrum (ν = 3) terms: the soap keys, without l_max for
    /// ν = 1, pseudoscalars for ν = 3 only, no feature selection; canonical JSON round trips.
    func testBodyOrderTerms() throws {
        func term(_ type: String, _ extra: String) -> String {
            """
            {"train_files": ["a.xyz"], "descriptors": [
              {"type": "\(type)", "cutoff": 5.0, "n_max": 6, "atom_sigma": 0.5, "delta": 1.0, "n_sparse": 20\(extra)}
            ]}
            """
        }
        let radial = try parse(term("radial_spectrum", #", "radial_basis": "optimal", "n_max_primitive": 10"#))
        guard case .soap(let r) = radial.descriptors[0] else { return XCTFail("not a density term") }
        XCTAssertEqual(r.descriptor.correlation, .radialSpectrum)
        XCTAssertEqual(r.descriptor.lMax, 0)
        XCTAssertEqual(radial.descriptors[0].typeName, "radial_spectrum")
        let bispectrum = try parse(term("bispectrum", #", "l_max": 3, "pseudoscalars": true, "zeta": 2"#))
        guard case .soap(let b) = bispectrum.descriptors[0] else { return XCTFail("not a density term") }
        XCTAssertEqual(b.descriptor.correlation, .bispectrum(pseudoscalars: true))
        XCTAssertEqual(b.zeta, 2)
        for config in [radial, bispectrum] {
            let json = config.canonicalJSON()
            let again = try TrainingConfig.parse(bytes: Array(json.utf8), name: "c.json", baseDirectory: "cfg", checkFiles: false)
            XCTAssertEqual(again.descriptors, config.descriptors, json)
        }
        XCTAssertFalse(radial.canonicalJSON().contains("l_max"))
        XCTAssertTrue(bispectrum.canonicalJSON().contains("\"pseudoscalars\": true"))
        assertConfigError(term("radial_spectrum", #", "l_max": 2"#), line: 2, field: "descriptors[0].l_max", "has no l_max")
        assertConfigError(term("soap", #", "l_max": 2, "pseudoscalars": true"#), line: 2, field: "descriptors[0].pseudoscalars", "only used by the bispectrum")
        assertConfigError(term("bispectrum", #", "l_max": 2, "n_features": 10"#), line: 2, field: "descriptors[0].n_features", "only available for soap")
        assertConfigError(term("bispectrum", ""), line: 2, field: "descriptors[0].l_max", "missing required key")
        assertConfigError(term("bispectrm", ""), line: 2, field: "descriptors[0].type", "did you mean `bispectrum`?")
        // Alchemical compression: data-driven, QUIP basis only, round-trips.
        let mixed = try parse(term("soap", #", "l_max": 2, "species_channels": 2"#))
        guard case .soap(let m) = mixed.descriptors[0] else { return XCTFail("not a density term") }
        XCTAssertEqual(m.descriptor.speciesChannels, 2)
        XCTAssertTrue(m.descriptor.isDataDriven)
        let mixedAgain = try TrainingConfig.parse(bytes: Array(mixed.canonicalJSON().utf8), name: "c.json", baseDirectory: "cfg", checkFiles: false)
        XCTAssertEqual(mixedAgain.descriptors, mixed.descriptors)
        assertConfigError(term("soap", #", "l_max": 2, "species_channels": 0"#), line: 2, field: "descriptors[0].species_channels", "≥ 1")
        assertConfigError(term("soap", #", "l_max": 2, "species_channels": 2, "radial_basis": "optimal""#), line: 2, field: "descriptors[0].species_channels", "combine_species")
        XCTAssertNil(m.descriptor.speciesMixingSupervision)
        XCTAssertFalse(m.descriptor.isLabelDependent)
        XCTAssertFalse(mixed.canonicalJSON().contains("species_mixing"))
        // The supervised mixing: α from supervised_mixing (default 0.5), label-dependent, round-trips.
        let pca = try parse(term("soap", #", "l_max": 2, "species_channels": 2, "species_mixing": "pca""#))
        XCTAssertEqual(pca.descriptors, mixed.descriptors)
        for (extra, alpha) in [("", 0.5), (#", "supervised_mixing": 0.25"#, 0.25)] {
            let supervised = try parse(term("soap", #", "l_max": 2, "species_channels": 2, "species_mixing": "supervised""# + extra))
            guard case .soap(let s) = supervised.descriptors[0] else { return XCTFail("not a density term") }
            XCTAssertEqual(s.descriptor.speciesMixingSupervision, alpha)
            XCTAssertTrue(s.descriptor.isLabelDependent)
            XCTAssertTrue(s.descriptor.isDataDriven)
            let again = try TrainingConfig.parse(bytes: Array(supervised.canonicalJSON().utf8), name: "c.json", baseDirectory: "cfg", checkFiles: false)
            XCTAssertEqual(again.descriptors, supervised.descriptors)
        }
        let mixingForces = try parse(term("soap", #", "l_max": 2, "species_channels": 2, "species_mixing": "supervised", "supervised_target": "energy_forces""#))
        guard case .soap(let mf) = mixingForces.descriptors[0] else { return XCTFail("not a density term") }
        XCTAssertEqual(mf.descriptor.supervisedTarget, .energyForces)
        assertConfigError(term("soap", #", "l_max": 2, "species_channels": 2, "supervised_target": "energy_forces""#), line: 2, field: "descriptors[0].supervised_target", "only used with")
        assertConfigError(term("soap", #", "l_max": 2, "species_mixing": "supervised""#), line: 2, field: "descriptors[0].species_mixing", "only used with species_channels")
        assertConfigError(term("soap", #", "l_max": 2, "species_channels": 2, "species_mixing": "supervise""#), line: 2, field: "descriptors[0].species_mixing", "did you mean `supervised`?")
        assertConfigError(term("soap", #", "l_max": 2, "species_channels": 2, "supervised_mixing": 0.5"#), line: 2, field: "descriptors[0].supervised_mixing", "only used with species_mixing \"supervised\"")
        assertConfigError(term("soap", #", "l_max": 2, "species_channels": 2, "species_mixing": "supervised", "supervised_mixing": 1.5"#), line: 2, field: "descriptors[0].supervised_mixing", "must be in [0, 1]")
        assertConfigError(term("soap", #", "l_max": 2, "species_channels": 2, "species_mixing": 3"#), line: 2, field: "descriptors[0].species_mixing", "string")
    }

    func testErrorsPrintAsFileLineFieldMessage() {
        XCTAssertThrowsError(try parse(config(soap: ",\n \"n_sprase\": 10"))) { error in
            XCTAssertEqual("\(error)", "c.json:6: descriptors[0].n_sprase: unknown key \"n_sprase\" in a soap term; did you mean `n_sparse`?")
        }
        XCTAssertThrowsError(try parse(config().replacingOccurrences(of: "\"n_max\": 8", with: "\"n_max\": \"8\""))) { error in
            XCTAssertEqual("\(error)", "c.json:4: descriptors[0].n_max: expected an integer, found the string \"8\"")
        }
        XCTAssertThrowsError(try parse("{\n  \"seed\": 1,,\n}")) { error in
            XCTAssertEqual("\(error)", "c.json:2: column 13: expected a key in double quotes, found ','")
        }
    }

    func testSyntaxErrorsCarryFileLineAndColumn() {
        assertConfigError("{\n  \"train_files\": [\"a\",],\n}", line: 2, field: nil, "column 23: trailing comma")
    }

    func testReferencedFilesMustExist() throws {
        let directory = packageRoot + "/configs"
        let text = "{\"train_files\": [\"../datasets/si_zuo2020/Si_train.xyz\",\n \"missing.xyz\"], \"descriptors\": [{\"type\": \"soap\", \"cutoff\": 5, \"n_max\": 2, \"l_max\": 1, \"atom_sigma\": 0.5, \"delta\": 1, \"n_sparse\": 4}]}"
        XCTAssertThrowsError(try TrainingConfig.parse(bytes: Array(text.utf8), name: "x.json", baseDirectory: directory)) { error in
            let e = error as! InputError
            XCTAssertEqual(e.line, 2)
            XCTAssertEqual(e.field, "train_files[1]")
            XCTAssertTrue(e.message.contains("\(directory)/missing.xyz\" does not exist"), "\(e)")
            XCTAssertTrue(e.message.contains("relative to the config's directory"), "\(e)")
        }
        let noSparseFile = text.replacingOccurrences(of: ",\n \"missing.xyz\"", with: "")
            .replacingOccurrences(of: "\"n_sparse\": 4", with: "\"sparse_method\": \"index_file\", \"sparse_file\": \"none.idx\"")
        XCTAssertThrowsError(try TrainingConfig.parse(bytes: Array(noSparseFile.utf8), name: "x.json", baseDirectory: directory)) { error in
            XCTAssertEqual((error as! InputError).field, "descriptors[0].sparse_file")
        }
        XCTAssertThrowsError(try TrainingConfig.load(path: packageRoot + "/configs/no-such-config.json")) { error in
            XCTAssertTrue("\(error)".contains("cannot open the config file"), "\(error)")
        }
    }

    func testSOAPDescriptorFromBareObjectOrTrainingConfig() throws {
        let bare = #"{"type": "soap", "cutoff": 4.5, "n_max": 6, "l_max": 4, "atom_sigma": 0.4, "Z": ["Si"], "n_sparse": 7}"#
        let d = try TrainingConfig.parseSOAPDescriptor(bytes: Array(bare.utf8), name: "d.json")
        XCTAssertEqual(d, SOAPDescriptorConfig(cutoffRadius: 4.5, nMax: 6, lMax: 4, atomSigma: 0.4, centreSpecies: [14]))
        XCTAssertEqual(d.hyperparameters(speciesPresent: [14, 8]).neighbourSpecies, [8, 14])
        let fromConfig = try TrainingConfig.parseSOAPDescriptor(bytes: Array(config().utf8), name: "c.json")
        XCTAssertEqual(fromConfig.nMax, 8)
        XCTAssertThrowsError(try TrainingConfig.parseSOAPDescriptor(bytes: Array(#"{"type": "distance_2b"}"#.utf8), name: "d.json")) {
            XCTAssertTrue("\($0)".contains("expected one of \"radial_spectrum\", \"soap\", \"bispectrum\""), "\($0)")
        }
        XCTAssertThrowsError(try TrainingConfig.parseSOAPDescriptor(bytes: Array(#"{"cutoff": 4, "n_max": 6, "l_max": 4}"#.utf8), name: "d.json")) {
            XCTAssertTrue("\($0)".contains("missing required key \"atom_sigma\""), "\($0)")
        }
        let loaded = try TrainingConfig.loadSOAPDescriptor(path: packageRoot + "/configs/gap18.json")
        XCTAssertEqual(loaded.lMax, 12)
    }

    func testShippedConfigsParse() throws {
        let sharedPresent = isReadableFile(packageRoot + "/../shared/datasets/SOURCES.md")
        for name in ["default", "gap18", "ci"] {
            let path = packageRoot + "/configs/\(name).json"
            let bytes = try readFile(path, what: "config")
            let checkFiles = name == "default" || sharedPresent
            let c = try TrainingConfig.parse(bytes: bytes, name: path, baseDirectory: packageRoot + "/configs", checkFiles: checkFiles)
            let again = try TrainingConfig.parse(bytes: Array(c.canonicalJSON().utf8), name: path, baseDirectory: packageRoot + "/configs", checkFiles: false)
            XCTAssertEqual(again, c, name)
        }
        let d = try TrainingConfig.load(path: packageRoot + "/configs/default.json")
        XCTAssertEqual(d.e0, .averagePerAtom)
        guard case .soap(let soap) = d.descriptors[0], case .distance2b = d.descriptors[1] else { return XCTFail() }
        XCTAssertEqual([soap.descriptor.nMax, soap.descriptor.lMax, soap.zeta], [6, 6, 4])
        XCTAssertEqual(soap.descriptor.cutoffRadius, 5)
        XCTAssertEqual(soap.descriptor.atomSigma, 0.4)
        guard case .optimal(let basis) = soap.descriptor.radialBasis else { return XCTFail("default.json uses the optimal radial basis") }
        XCTAssertEqual(basis.primitiveCount, 20)
        XCTAssertEqual(try d.trainingFrames(), [FrameSource(path: packageRoot + "/datasets/si_zuo2020/Si_train.xyz", frames: nil)])

        guard sharedPresent else { throw XCTSkip("../shared is absent: GAP-18 and CI configs checked without their data") }
        let g = try TrainingConfig.load(path: packageRoot + "/configs/gap18.json")
        guard case .soap(let t) = g.descriptors[0] else { return XCTFail() }
        XCTAssertEqual(t.descriptor, SOAPDescriptorConfig(cutoffRadius: 5, cutoffTransitionWidth: 1, nMax: 10, lMax: 12, atomSigma: 0.5, centralWeight: 1))
        XCTAssertEqual([t.delta, Double(t.zeta), Double(t.sparse.count ?? 0)], [3, 4, 9000])
        XCTAssertEqual(g.e0, .isolatedAtoms)
        XCTAssertEqual(g.defaultSigma, SigmaTriple(energy: 0.001, forces: 0.1, virial: 0.05))
        XCTAssertEqual(g.configTypeSigma, [
            "liq": SigmaTriple(energy: 0.003, forces: 0.15, virial: 0.2),
            "amorph": SigmaTriple(energy: 0.01, forces: 0.2, virial: 0.4),
            "sp": SigmaTriple(energy: 0.01, forces: 0.2, virial: 0.4),
        ])
        XCTAssertEqual(g.labelKeys.energy, ["dft_energy", "DFT_energy"])
        XCTAssertEqual(g.labelKeys.stress, [])
        // The split's train part: 1,656 frames over the 24 GAP-18 files, all of which exist.
        let frames = try g.trainingFrames()
        XCTAssertEqual(frames.count, 24)
        XCTAssertEqual(frames.reduce(0) { $0 + ($1.frames?.count ?? 0) }, 1656)
        XCTAssertTrue(frames.allSatisfy { isReadableFile($0.path) })
        XCTAssertTrue(frames.contains { $0.path.hasSuffix("isolated_atom.xyz") && $0.frames == [0] })
        let ci = try TrainingConfig.load(path: packageRoot + "/configs/ci.json")
        XCTAssertEqual(ci.threads, 2)
    }

    func testSplitFilesAreValidated() throws {
        func split(_ text: String) throws -> FrameSplit {
            try FrameSplit.parse(bytes: Array(text.utf8), name: "s.json", baseDirectory: "")
        }
        let s = try split(#"{"frames": [["a.xyz", 0], ["b.xyz", 3], ["a.xyz", 2]], "train": [2, 1, 0], "test": []}"#)
        XCTAssertEqual(try s.frames(part: "train"), [FrameSource(path: "a.xyz", frames: [2, 0]), FrameSource(path: "b.xyz", frames: [3])])
        XCTAssertEqual(try s.frames(part: "test"), [])
        XCTAssertThrowsError(try split(#"{"frames": [["a.xyz", 0]], "train": [1]}"#)) {
            XCTAssertTrue("\($0)".contains("train[0]: 1 is not an index into frames (0 ..< 1)"), "\($0)")
        }
        XCTAssertThrowsError(try split(#"{"frames": [["a.xyz", -1]], "train": [0]}"#)) {
            XCTAssertTrue("\($0)".contains("frames[0][1]"), "\($0)")
        }
        XCTAssertThrowsError(try split(#"{"frames": [["a.xyz", 0]], "train": [0, 0]}"#)) {
            XCTAssertTrue("\($0)".contains("listed twice"), "\($0)")
        }
        XCTAssertThrowsError(try split(#"{"frames": [["a.xyz", 0]], "test": [0]}"#).frames(part: "train")) {
            XCTAssertTrue("\($0)".contains("no \"train\" list"), "\($0)")
        }
    }

    // MARK: - angle_3b

    /// A config whose second term (line 3) is an angle_3b term with `extra` spliced in (line 4).
    private func angleConfig(_ extra: String) -> String {
        """
        {"train_files": ["a.xyz"], "descriptors": [
          {"type": "soap", "cutoff": 4.0, "n_max": 2, "l_max": 1, "atom_sigma": 0.5, "delta": 1, "n_sparse": 5},
          {"type": "angle_3b", "cutoff": 4.0, "theta_uniform": 1.0, "delta": 0.2, "n_sparse": 50
           \(extra)}]}
        """
    }

    func testAngle3BTermIsDecodedWithGapFitDefaultsAndResolvedPerSpeciesTriplet() throws {
        let c = try parse(angleConfig(""))
        guard case .angle3b(let t) = c.descriptors[1] else { return XCTFail("not an angle_3b term") }
        XCTAssertEqual(t.descriptor.cutoffRadius, 4.0)
        XCTAssertEqual(t.descriptor.cutoffTransitionWidth, 0.5)  // gap_fit's default
        XCTAssertNil(t.descriptor.species)
        XCTAssertEqual(t.theta, 1.0)
        XCTAssertEqual(t.delta, 0.2)
        XCTAssertEqual(t.sparse, SparsePointsConfig(count: 50, method: .uniform))
        XCTAssertEqual(c.descriptors[1].typeName, "angle_3b")
        // As gap_fit's add_species: every centre with every unordered pair of neighbour species.
        let triplets = try c.resolvedTerms(speciesPresent: [14, 8]).compactMap { term -> [Int]? in
            if case .angle3b(let s, _) = term { return [s.centre, s.z1, s.z2] }
            return nil
        }
        XCTAssertEqual(triplets, [[8, 8, 8], [8, 8, 14], [8, 14, 14], [14, 8, 8], [14, 8, 14], [14, 14, 14]])

        let given = try parse(angleConfig(#", "Z_center": "Si", "Z1": 14, "Z2": 8, "cutoff_transition_width": 1.0, "sparse_method": "cur""#))
        guard case .angle3b(let g) = given.descriptors[1] else { return XCTFail() }
        XCTAssertEqual(g.descriptor.species, SpeciesTriplet(centre: 14, 8, 14))
        XCTAssertEqual(g.descriptor.cutoffTransitionWidth, 1.0)
        XCTAssertEqual(g.sparse.method, .cur)
        XCTAssertEqual(try given.resolvedTerms(speciesPresent: [14, 8]).count, 2)
        // The canonical form round-trips.
        let again = try TrainingConfig.parse(bytes: Array(given.canonicalJSON(pretty: false).utf8), name: "c.json", baseDirectory: "cfg", checkFiles: false)
        XCTAssertEqual(again.descriptors, given.descriptors)
        XCTAssertTrue(given.canonicalJSON(pretty: false).contains(#""type":"angle_3b""#))
    }

    func testAngle3BErrorsNameTheKey() {
        assertConfigError(angleConfig(#", "Z1": 14"#), line: 4, field: "descriptors[1].Z1", "give Z_center, Z1 and Z2 together")
        assertConfigError(angleConfig("").replacingOccurrences(of: #""theta_uniform": 1.0"#, with: #""theta_uniform": 0"#), line: 3, field: "descriptors[1].theta_uniform", "theta_uniform must be > 0")
        assertConfigError(angleConfig(#", "cutoff_transition_width": 5.0"#), line: 4, field: "descriptors[1].cutoff_transition_width", "must be ≤ cutoff")
        assertConfigError(angleConfig(#", "sparse_method": "index_file""#), line: 4, field: "descriptors[1].sparse_method", "allowed: uniform, random, cur, cur_iterative, fps")
        assertConfigError(angleConfig(#", "theta_fac": 0.5"#), line: 4, field: "descriptors[1].theta_fac", "unknown key")
        assertConfigError(angleConfig("").replacingOccurrences(of: #""delta": 0.2"#, with: #""delta": -1"#), line: 3, field: "descriptors[1].delta", "delta must be > 0")
        assertConfigError(angleConfig("").replacingOccurrences(of: #""type": "angle_3b""#, with: #""type": "angle3b""#), line: 3, field: "descriptors[1].type", "did you mean `angle_3b`?")
    }

}

extension TrainingConfig {
    /// The resolved paths of a `train_files` config.
    func trainingFramesPaths() -> [String] {
        (try? trainingFrames().map(\.path)) ?? []
    }
}

final class PathNormalisationTests: XCTestCase {
    func testRelativePathsAreJoinedAndNormalised() {
        XCTAssertEqual(TrainingConfig.join("configs", "../model.gapjson"), "model.gapjson")
        XCTAssertEqual(TrainingConfig.join("a/b", "./c/../d.xyz"), "a/b/d.xyz")
        XCTAssertEqual(TrainingConfig.join("configs", "../../shared/x.xyz"), "../shared/x.xyz")
        XCTAssertEqual(TrainingConfig.join("/work/main/configs", "../datasets/x.xyz"), "/work/main/datasets/x.xyz")
        XCTAssertEqual(TrainingConfig.join("configs", "/abs/x.xyz"), "/abs/x.xyz")
        XCTAssertEqual(TrainingConfig.join("", "x.xyz"), "x.xyz")
    }
}
