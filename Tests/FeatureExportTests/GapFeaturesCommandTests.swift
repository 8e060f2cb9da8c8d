import ArrayFiles
import AtomicStructures
import Configuration
import Descriptors
import Foundation
import TestSupport
import XCTest

/// Runs the built `gap-features` executable (next to the test binary; `swift test` builds
/// every product first).
final class GapFeaturesCommandTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws { scratch = try makeScratchDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    static var executable: URL? { (try? builtExecutable("gap-features")) }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try XCTUnwrap(GapFeaturesCommandTests.executable, "gap-features was not built next to the tests; run `swift build` first")
        return try runProcess(binary, arguments)
    }

    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    func input() throws -> String {
        let a = siliconCrystal(seed: 5)
        return try write("in.xyz", xyzFrame(cluster()) + xyzFrame(a.atoms, lattice: a.lattice, pbc: "T T T"))
    }

    func requireNumPy() throws {
        let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import numpy"])
        if check.status != 0 {
            throw XCTSkip("python3 with numpy is not installed (CI gets it with `pip install ase`); NumPy reading not checked")
        }
    }

    /// NumPy reads both files; re-saving them with NumPy's own writer and reading that back
    /// gives the library's numbers bit for bit.
    func testNumPyReadsTheFilesAndGetsTheLibrarysNumbers() throws {
        try requireNumPy()
        let xyz = try input()
        let config = try write("soap.json", smallSOAPJSON)
        let result = try run([config, xyz, "--output", path("f.npy"), "--gradients", path("g.npz"), "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains("wrote \(path("f.npy")): 13 x 18"), result.stderr)
        let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sys, zipfile, numpy as np
            f = np.load(sys.argv[1])
            assert zipfile.ZipFile(sys.argv[2]).testzip() is None
            g = np.load(sys.argv[2])
            s, v, st, ss = g['samples'], g['values'], g['strain'], g['strain_samples']
            assert f.dtype == np.float64 and f.ndim == 2
            assert s.dtype == np.int64 and s.shape == (v.shape[0], 2) and v.shape[1:] == (3, f.shape[1])
            assert st.shape == (len(ss), 3, 3, f.shape[1]) and (ss == np.arange(5, 13)).all()
            assert (s[:, 0] < len(f)).all() and (np.diff(s[:, 0]) >= 0).all()
            # Translation invariance: over the atoms of one row, the gradients sum to zero.
            total = np.zeros((len(f), 3, f.shape[1]))
            np.add.at(total, s[:, 0], v)
            assert np.abs(total).max() < 1e-12, np.abs(total).max()
            np.savez(sys.argv[3], features=f, samples=s, values=v, strain=st, strain_samples=ss)
            print(f.shape, v.shape, st.shape)
            """, path("f.npy"), path("g.npz"), path("resaved.npz")])
        XCTAssertEqual(check.status, 0, check.stderr)
        let frames = try ExtendedXYZReader.readAll(path: xyz)
        let expected = try ExpectedFiles(smallSOAP, frames: frames)
        XCTAssertEqual(check.stdout, "(13, 18) (\(expected.samples.count / 2), 3, 18) (8, 3, 3, 18)\n")
        let resaved = try NumPyArray.readNPZ(path: path("resaved.npz"))
        XCTAssertEqual(bits(resaved["features"]?.float64Values), bits(expected.features))
        XCTAssertEqual(resaved["samples"]?.int64Values, expected.samples)
        XCTAssertEqual(bits(resaved["values"]?.float64Values), bits(expected.values))
        XCTAssertEqual(bits(resaved["strain"]?.float64Values), bits(expected.strain))
        XCTAssertEqual(resaved["strain_samples"]?.int64Values, expected.strainSamples)
    }

    func testTrainingConfigUsesItsFirstSoapTerm() throws {
        let xyz = try input()
        let config = try write("train.json", """
            // comments are allowed
            {"train_files": ["does-not-need-to-exist.xyz"],
             "descriptors": [
               {"type": "distance_2b", "cutoff": 4.0, "theta_uniform": 1.0, "delta": 1.0, "n_sparse": 5},
               {"type": "soap", "cutoff": 3.0, "cutoff_transition_width": 0.5, "n_max": 3, "l_max": 2,
                "atom_sigma": 0.5, "delta": 1.0, "n_sparse": 10},
               {"type": "soap", "cutoff": 4.0, "n_max": 2, "l_max": 1, "atom_sigma": 0.5, "delta": 1.0, "n_sparse": 10}]}
            """)
        let result = try run([config, xyz, "--output", path("f.npy"), "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let expected = try ExpectedFiles(smallSOAP, frames: ExtendedXYZReader.readAll(path: xyz))
        let features = try NumPyArray.readNPY(path: path("f.npy"))
        XCTAssertEqual(features.shape, [13, 18])
        XCTAssertEqual(bits(features.float64Values), bits(expected.features))
    }

    func testBadInputsGiveOneClearErrorAndExitOne() throws {
        let xyz = try input()
        let config = try write("soap.json", smallSOAPJSON)
        let badJSON = try write("bad.json", "{\"cutoff\": 3.0, \"n_max\": 3,\n \"l_max\": -1, \"atom_sigma\": 0.5}")
        let noSoap = try write("nosoap.json", #"{"train_files": ["x.xyz"], "descriptors": [{"type": "distance_2b", "cutoff": 4.0, "theta_uniform": 1.0, "delta": 1.0, "n_sparse": 5}]}"#)
        let carbon = try write("carbon.json", #"{"cutoff": 3.0, "n_max": 3, "l_max": 2, "atom_sigma": 0.5, "Z": [6]}"#)
        let badXYZ = try write("broken.xyz", "2\nProperties=species:S:1:pos:R:3\nSi 0 0 0\nSi 1.0 zero 0\n")
        let out = path("f.npy")
        let cases: [([String], [String])] = [
            ([config, path("missing.xyz"), "--output", out], ["missing.xyz", "No such file"]),
            ([path("missing.json"), xyz, "--output", out], ["missing.json"]),
            ([badJSON, xyz, "--output", out], ["bad.json:2", "l_max"]),
            ([noSoap, xyz, "--output", out], ["nosoap.json", "no soap term"]),
            ([carbon, xyz, "--output", out], ["carbon.json", "Z", "none of the centre species C occurs"]),
            ([config, badXYZ, "--output", out], ["broken.xyz:4", "pos"]),
            ([config, xyz, "--output", path("no/such/dir/f.npy")], ["no/such/dir/f.npy", "cannot write"]),
            ([config, xyz, "--output", out, "--gradients", path("no/such/dir/g.npz")], ["no/such/dir/g.npz", "cannot write"]),
            ([config, xyz, "--output", scratch.path], [scratch.path, "directory"]),
            ([config, xyz, "--output", xyz], ["in.xyz", "would be overwritten"]),
            ([config, xyz, "--output", out, "--gradients", out], ["same file"]),
            ([config, xyz, "--output", out, "--centres", config], ["soap.json", "would be overwritten"]),
        ]
        for (arguments, fragments) in cases {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("gap-features: error: "), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            for fragment in fragments { XCTAssertTrue(result.stderr.contains(fragment), "\(arguments): missing \(fragment) in \(result.stderr)") }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) left an output")
        }
        // Leftover temporaries would show up as hidden files.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix(".") }, [])
        // Usage errors (ArgumentParser) are reported too.
        for arguments in [[config, xyz], [config, xyz, "--output", out, "--threads", "0"], [config, "--output", out]] {
            let result = try run(arguments)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.stderr.contains("Error:") || result.stderr.contains("error"), result.stderr)
        }
    }

    /// Radial spectrum and bispectrum terms export like soap, with the library's values.
    func testExportsEveryBodyOrder() throws {
        let xyz = try input()
        let frames = try ExtendedXYZReader.readAll(path: xyz)
        for (type, extra, pseudoscalars) in [("radial_spectrum", "", false), ("bispectrum", #", "l_max": 2"#, false), ("bispectrum", #", "l_max": 2, "pseudoscalars": true"#, true)] {
            let config = try write("\(type).json", #"{"type": "\#(type)", "cutoff": 3.0, "cutoff_transition_width": 0.5, "n_max": 3, "atom_sigma": 0.5\#(extra)}"#)
            let result = try run([config, xyz, "--output", path("f.npy"), "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let h = SOAPHyperparameters(cutoffRadius: 3.0, cutoffTransitionWidth: 0.5, nMax: 3, lMax: 2, atomSigma: 0.5, neighbourSpecies: [14], centreSpecies: [14])
            let calculator: any DensityDescriptor = type == "radial_spectrum" ? try RadialSpectrumCalculator(h) : try BispectrumCalculator(h, pseudoscalars: pseudoscalars)
            let expected = try frames.flatMap { try calculator.values($0).values }
            let features = try NumPyArray.readNPY(path: path("f.npy"))
            XCTAssertEqual(features.shape, [13, calculator.featureCount])
            XCTAssertEqual(bits(features.float64Values), bits(expected))
        }
    }

    /// `compare` prints GFRE/GFRD as text or JSON; a descriptor reconstructs itself exactly.
    func testCompareCommand() throws {
        let xyz = try input()
        let radial = try write("radial.json", #"{"type": "radial_spectrum", "cutoff": 3.0, "cutoff_transition_width": 0.5, "n_max": 3, "atom_sigma": 0.5}"#)
        let soap = try write("soap.json", smallSOAPJSON)
        let text = try run(["compare", radial, soap, xyz, "--quiet"])
        XCTAssertEqual(text.status, 0, text.stderr)
        for fragment in ["GFRE(A→B)", "GFRE(B→A)", "GFRD(A→B)", "radial_spectrum, 3 features", "soap, 18 features", "13 environments (train 6, test 7)"] {
            XCTAssertTrue(text.stdout.contains(fragment), "missing \(fragment) in \(text.stdout)")
        }
        let json = try run(["compare", radial, soap, xyz, "--json", "--quiet", "--seed", "5"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        for key in ["gfre_a_to_b", "gfre_b_to_a", "gfrd_a_to_b", "gfrd_b_to_a"] {
            let value = try XCTUnwrap((record[key] as? NSNumber)?.doubleValue, key)
            XCTAssertTrue(value >= 0 && value < 2, "\(key) = \(value)")
        }
        XCTAssertEqual((record["seed"] as? NSNumber)?.intValue, 5)
        // 3 features, 6 train environments: the test rows are exactly reconstructed.
        let same = try run(["compare", radial, radial, xyz, "--json", "--quiet"])
        let sameRecord = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(same.stdout.utf8)) as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap((sameRecord["gfre_a_to_b"] as? NSNumber)?.doubleValue), 1e-6)
        let oxygen = try write("oxygen.json", #"{"cutoff": 3.0, "n_max": 2, "l_max": 1, "atom_sigma": 0.5, "Z": [8], "species_Z": [8, 14]}"#)
        let mismatch = try run(["compare", soap, oxygen, xyz])
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertTrue(mismatch.stderr.contains("centre species differ"), mismatch.stderr)
    }

    func testHelpDocumentsTheLayout() throws {
        let root = try run(["--help"])
        XCTAssertEqual(root.status, 0)
        XCTAssertTrue(root.stdout.contains("export") && root.stdout.contains("compare"), root.stdout)
        let compare = try run(["compare", "--help"])
        for fragment in ["GFRE", "--json", "--environments", "--seed"] {
            XCTAssertTrue(compare.stdout.contains(fragment), "compare help lacks \(fragment):\n\(compare.stdout)")
        }
        let result = try run(["export", "--help"])
        XCTAssertEqual(result.status, 0)
        for fragment in ["--output", "--gradients", "--centres", "--threads", "--quiet", "samples", "strain_samples",
                         "centre atom", "file order", "global atom", "periodic"] {
            XCTAssertTrue(result.stdout.contains(fragment), "help lacks \(fragment):\n\(result.stdout)")
        }
    }
}
