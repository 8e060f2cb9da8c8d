import Foundation
import TestSupport
import XCTest

/// Runs the built `gap-tune` executable (built with every product by `swift test`, found next to
/// the test binary) on the CI config's tiny data set.
final class GapTuneCommandTests: XCTestCase {
    static var executable: String? { (try? builtExecutable("gap-tune")).map(\.path) }

    func run(_ arguments: [String], in directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try XCTUnwrap(GapTuneCommandTests.executable, "gap-tune was not built next to the tests; run `swift build` first")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = directory + "/stdout", err = directory + "/stderr"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOfFile: out, encoding: .utf8), try String(contentsOfFile: err, encoding: .utf8))
    }

    func setUpDirectory() throws -> String {
        let data = packageRoot + "/../shared/datasets/si_gap18_tiny/Si_tiny.xyz"
        guard FileManager.default.fileExists(atPath: data) else { throw XCTSkip("../shared/datasets/si_gap18_tiny is absent (it is present in CI)") }
        let directory = NSTemporaryDirectory() + "/swiftgap-tune-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        // A two-setting space keeps the run to seconds; one setting changes the descriptor.
        try """
            {"descriptors[0].atom_sigma": [0.4, 0.5, 0.6], "default_sigma.forces": [0.05, 0.1, 0.2],
             "descriptors[1].delta": {"times": "descriptors[0].delta", "values": [0.3, 1.0]}}
            """.write(toFile: directory + "/space.json", atomically: true, encoding: .utf8)
        return directory
    }

    /// The whole loop on a tiny set: budget respected, output commented and valid, and the same
    /// seed giving the same bytes.
    func testTunesTheCIConfigReproducibly() throws {
        let directory = try setUpDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = packageRoot + "/configs/ci.json"
        var outputs: [(config: String, report: String)] = []
        for run in 0..<2 {
            let result = try self.run(
                [config, "--space", "space.json", "--budget-fits", "12", "--folds", "3", "--seed", "5", "--threads", "2",
                 "--output", "out/best\(run).json", "--report", "report\(run)"] + (run == 1 ? ["--quiet"] : []),
                in: directory)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("chosen: E MAE"), result.stdout)
            if run == 0 {
                XCTAssertTrue(result.stderr.contains("tuning: bracket 1"), "progress on stderr: \(result.stderr)")
            } else {
                XCTAssertEqual(result.stderr, "", "--quiet")
            }
            outputs.append((
                try String(contentsOfFile: directory + "/out/best\(run).json", encoding: .utf8),
                try String(contentsOfFile: directory + "/report\(run)/report.json", encoding: .utf8)))
        }
        // Byte-identical apart from the recorded command line (other output names, --quiet).
        func withoutCommand(_ text: String) -> String { text.split(separator: "\n").filter { !$0.hasPrefix("// Command:") }.joined(separator: "\n") }
        XCTAssertEqual(withoutCommand(outputs[0].config), withoutCommand(outputs[1].config))
        XCTAssertEqual(outputs[0].report, outputs[1].report)

        let best = outputs[0].config
        XCTAssertTrue(best.hasPrefix("// Chosen by gap-tune"), best)
        XCTAssertTrue(best.contains("Out-of-fold errors") && best.contains("E MAE") && best.contains("F MAE"), best)
        // Paths now relative to out/: the data is still found.
        XCTAssertTrue(best.contains("\"../../../../shared/datasets/si_gap18_tiny/Si_tiny.xyz\"") || best.contains("shared/datasets/si_gap18_tiny/Si_tiny.xyz"), best)
        let report = try JSONSerialization.jsonObject(with: Data(outputs[0].report.utf8)) as! [String: Any]
        XCTAssertLessThanOrEqual(report["fits"] as! Int, 12, "budget respected")
        let points = report["points"] as! [[String: Any]]
        XCTAssertEqual(points[0]["folds_evaluated"] as? Int, 3, "the base config on every fold")
        XCTAssertGreaterThan(points.count, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/report0/report.md"))

        // The chosen config is a valid training config from its new place.
        let check = try self.run([config, "--space", "space.json", "--print-space"], in: directory)
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("\"default_sigma.forces\": [0.05, 0.1, 0.2]"), check.stdout)
        let reread = try self.run(["out/best0.json", "--print-space"], in: directory)
        XCTAssertEqual(reread.status, 0, "the tuned config loads, data found: \(reread.stderr)")
    }

    /// `--print-space` output fed back with `--space` is the same space (radial_scaling's null
    /// and objects included).
    func testPrintedSpaceReadsBack() throws {
        let directory = try setUpDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = packageRoot + "/configs/ci.json"
        let printed = try run([config, "--print-space"], in: directory)
        XCTAssertEqual(printed.status, 0, printed.stderr)
        XCTAssertTrue(printed.stdout.contains("\"descriptors[0].radial_scaling\": [null, {"), printed.stdout)
        try printed.stdout.write(toFile: directory + "/printed.json", atomically: true, encoding: .utf8)
        let reread = try run([config, "--space", "printed.json", "--print-space"], in: directory)
        XCTAssertEqual(reread.status, 0, reread.stderr)
        XCTAssertEqual(reread.stdout, printed.stdout)
    }

    func testBadArgumentsAreReported() throws {
        let directory = try setUpDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = packageRoot + "/configs/ci.json"
        for (arguments, expected) in [
            (["--output", "b.json"], "give a budget"),
            (["--budget-fits", "10"], "--output is required"),
            (["--output", "b.json", "--budget-fits", "2"], "--budget-fits must be at least --folds"),
            (["--output", "b.json", "--budget-fits", "10", "--objective", "energy=1,stress=2"], "unknown error \"stress\""),
            (["--output", config, "--budget-fits", "10"], "would be overwritten"),
        ] {
            let result = try run([config] + arguments, in: directory)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }
}
