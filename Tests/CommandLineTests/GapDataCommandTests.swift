import TestSupport
import XCTest

/// Runs the built `gap-data` executable.
///
/// `swift test` builds every product before running tests, so `gap-data` sits in the same build
/// products directory as the test binary (`.build/<triple>/debug/`); it is found through
/// `/proc/self/exe` (the running test binary), with `.build/debug/gap-data` under the package
/// root as a fallback.
final class GapDataCommandTests: XCTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var executable: URL? { (try? builtExecutable("gap-data")) }

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gap-data-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func run(_ arguments: [String]) throws -> Run {
        let binary = try XCTUnwrap(GapDataCommandTests.executable, "gap-data was not built next to the tests; run `swift build` first")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        // Files, not pipes, so that large outputs cannot block the child.
        let outURL = scratch.appendingPathComponent("stdout-\(UUID().uuidString)")
        let errURL = scratch.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Run(
            status: process.terminationStatus,
            stdout: try String(contentsOf: outURL, encoding: .utf8),
            stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A small extended XYZ frame: 3 Si atoms in a 6 Å cubic cell, forces summing to zero.
    func xyzFrame(energy: String = "-10.5", positions: [String]? = nil, forces: [String]? = nil) -> String {
        let pos = positions ?? ["0.0 0.0 0.0", "2.0 0.0 0.0", "0.0 2.5 1.0"]
        let f = forces ?? ["0.1 0.0 0.0", "-0.1 0.2 0.0", "0.0 -0.2 0.0"]
        var text = "3\nLattice=\"6 0 0 0 6 0 0 0 6\" Properties=species:S:1:pos:R:3:dft_force:R:3 dft_energy=\(energy) pbc=\"T T T\"\n"
        for k in 0..<3 { text += "Si \(pos[k]) \(f[k])\n" }
        return text
    }

    func testNoArgumentsAndHelpShowUsage() throws {
        let bare = try run([])
        XCTAssertEqual(bare.status, 0)
        XCTAssertTrue(bare.stdout.contains("USAGE: gap-data <subcommand>"), bare.stdout + bare.stderr)
        XCTAssertTrue(bare.stdout.contains("summary") && bare.stdout.contains("check"))
        let help = try run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("USAGE: gap-data <subcommand>"))
        let checkHelp = try run(["check", "--help"])
        XCTAssertTrue(checkHelp.stdout.contains("--min-distance"))
        XCTAssertTrue(checkHelp.stdout.contains("--energy-key"))
        let missing = try run(["summary"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("Missing expected argument"), missing.stderr)
    }

    func testShippedDatasetSummaryAndCheck() throws {
        let summary = try run(["summary", "--json", Datasets.shippedSilicon])
        XCTAssertEqual(summary.status, 0, summary.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [String: Any])
        let total = try XCTUnwrap(object["total"] as? [String: Any])
        XCTAssertEqual(total["configs"] as? Int, 214)
        XCTAssertEqual(total["atoms"] as? Int, 13_233)
        XCTAssertEqual((total["config_types"] as? [String: Int]) ?? ["?": 1], [:])
        XCTAssertEqual(total["labels"] as? [String: Int], ["energy": 214, "forces": 214, "virial": 0, "virial_from_stress": 0])

        let table = try run(["summary", Datasets.shippedSilicon])
        XCTAssertEqual(table.status, 0)
        XCTAssertTrue(table.stdout.split(separator: "\n").last?.hasPrefix("total") ?? false, table.stdout)

        // Replacing the energy keys: no frame has `dft_energy`.
        let other = try run(["summary", "--json", "--energy-key", "dft_energy", "--energy-key", "DFT_energy", Datasets.shippedSilicon])
        let otherTotal = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(other.stdout.utf8)) as? [String: Any])?["total"] as? [String: Any])
        XCTAssertEqual((otherTotal["labels"] as? [String: Int])?["energy"], 0)

        let check = try run(["check", Datasets.shippedSilicon])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertEqual(check.stdout, "checked 214 frames in 1 file: 0 errors, 0 warnings\n")
        XCTAssertEqual(check.stderr, "")
    }

    func testGAP18SummaryJSONTotals() throws {
        let files = try Datasets.gap18Files()
        let result = try run(["summary", "--json"] + files)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let total = try XCTUnwrap(object["total"] as? [String: Any])
        XCTAssertEqual(total["configs"] as? Int, 2_071)
        XCTAssertEqual(total["atoms"] as? Int, 100_003)
        XCTAssertEqual((object["files"] as? [Any])?.count, 24)
    }

    func testNaNInForcesIsAnError() throws {
        let path = try write("nan.xyz", xyzFrame() + xyzFrame(energy: "-10.6", positions: ["0 0 0", "2.1 0 0", "0 2.5 1"], forces: ["nan 0 0", "0 0 0", "0 0 0"]))
        let result = try run(["check", path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("\(path):6: error: non-finite: frame 1: dft_force: 1 non-finite value, first at atom 1 (line 8) column 1: nan"), result.stdout)
        XCTAssertTrue(result.stdout.contains("1 error, 0 warnings"), result.stdout)
    }

    func testNaNPositionIsReportedByTheReader() throws {
        let path = try write("nanpos.xyz", xyzFrame(positions: ["0 0 0", "nan 0 0", "0 2.5 1"]))
        let result = try run(["check", path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("gap-data: error: \(path):4: pos:"), result.stderr)
        let summary = try run(["summary", path])
        XCTAssertEqual(summary.status, 1)
        XCTAssertTrue(summary.stderr.hasPrefix("gap-data: error: \(path):4: pos:"), summary.stderr)
    }

    func testOverlappingAtomsAreAnError() throws {
        let path = try write("overlap.xyz", xyzFrame(positions: ["0 0 0", "0.3 0 0", "0 2.5 1"]))
        let result = try run(["check", path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("\(path):1: error: overlap: frame 0: 1 pair of atoms closer than 0.5 Å; closest: atom 1 (line 3) and atom 2 (line 4) at 0.3 Å"), result.stdout)
        // With a lower threshold the frame is clean.
        let relaxed = try run(["check", "--min-distance", "0.25", path])
        XCTAssertEqual(relaxed.status, 0, relaxed.stdout)
        let invalid = try run(["check", "--min-distance=-1", path])
        XCTAssertNotEqual(invalid.status, 0)
        XCTAssertTrue(invalid.stderr.contains("--min-distance must be a positive number"), invalid.stderr)
    }

    func testDuplicatesAreWarnings() throws {
        let otherForces = ["0.2 0.0 0.0", "-0.2 0.2 0.0", "0.0 -0.2 0.0"]
        let path = try write("dup.xyz", xyzFrame() + xyzFrame(energy: "-10.0", positions: ["0 0 0", "2.1 0 0", "0 2.5 1"], forces: otherForces) + xyzFrame())
        let result = try run(["check", path])
        XCTAssertEqual(result.status, 0, result.stdout)
        XCTAssertTrue(result.stdout.contains("\(path):11: warning: duplicate: frame 2: species, cell and positions are identical to frame 0 (line 1); energies equal"), result.stdout)
        XCTAssertTrue(result.stdout.contains("0 errors, 1 warning"), result.stdout)
        let json = try run(["check", "--json", path])
        XCTAssertEqual(json.status, 0)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["warnings"] as? Int, 1)
        XCTAssertEqual((object["findings"] as? [[String: Any]])?.first?["frame"] as? Int, 2)
    }

    func testCopiedLabelsAreWarnings() throws {
        let path = try write("copied.xyz", xyzFrame() + xyzFrame(positions: ["0 0 0", "2.1 0 0", "0 2.5 1"]))
        let result = try run(["check", path])
        XCTAssertEqual(result.status, 0, result.stdout)
        XCTAssertTrue(result.stdout.contains("\(path):6: warning: copied-labels: frame 1: species and forces are bit-identical to frame 0 (line 1), but the cell or positions differ; energies equal: labels copied onto another structure?"), result.stdout)
        XCTAssertTrue(result.stdout.contains("0 errors, 1 warning"), result.stdout)
    }

    func testMalformedAndMissingFilesGiveOneErrorLine() throws {
        let path = try write("broken.xyz", "three\nLattice=\"6 0 0 0 6 0 0 0 6\"\nSi 0 0 0\n")
        for command in ["summary", "check"] {
            let result = try run([command, path])
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.stderr.hasPrefix("gap-data: error: \(path):1:"), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
        let missing = try run(["check", scratch.appendingPathComponent("nope.xyz").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("gap-data: error: "), missing.stderr)
    }
}
