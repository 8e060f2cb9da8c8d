import Foundation
import TestSupport
import XCTest

/// Runs the built `gap-cv` executable (built with every product by `swift test`, found next to
/// the test binary) on configs/ci.json's data.
final class GapCVCommandTests: XCTestCase {
    static var executable: String? { (try? builtExecutable("gap-cv")).map(\.path) }

    func run(_ arguments: [String], in directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try XCTUnwrap(GapCVCommandTests.executable, "gap-cv was not built next to the tests; run `swift build` first")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = directory + "/stdout", err = directory + "/stderr"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOfFile: out, encoding: .utf8), try String(contentsOfFile: err, encoding: .utf8))
    }

    /// The CI config, cross-validated with a learning curve and a sweep, in well under a minute.
    func testCIConfigRunsEndToEnd() throws {
        _ = try Datasets.tinySilicon()
        let directory = try makeScratchDirectory("swiftgap-cv").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = Date()
        let result = try run(
            [packageRoot + "/configs/ci.json", "--folds", "3", "--report", directory + "/report", "--threads", "2",
             "--learning-curve", "--fractions", "0.5,1", "--sweep", "descriptors[1].theta_uniform=0.5,1.0"],
            in: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 60)
        for name in ["report.json", "report.md", "report.html", "predictions.xyz"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/report/" + name), name)
        }
        XCTAssertTrue(result.stdout.contains("liq"), result.stdout)
        XCTAssertTrue(result.stderr.contains("fit 1/"), "progress with fold and ETA on stderr")
        XCTAssertTrue(result.stderr.contains("ETA"), result.stderr)
        let html = try String(contentsOfFile: directory + "/report/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("Learning curve") && html.contains("Sweep over descriptors[1].theta_uniform"))
    }

    /// Bad arguments end with one clear line and exit status 1.
    func testBadArgumentsAreReported() throws {
        _ = try Datasets.tinySilicon()
        let directory = try makeScratchDirectory("swiftgap-cv").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (arguments, expected) in [
            (["--sweep", "n_sparse=1,2"], "n_sparse occurs in descriptors[0] and descriptors[1]"),
            (["--max-memory", "lots"], "expected a size such as 8G"),
            (["--learning-curve", "--fractions", "0.5,2"], "must be a number in (0, 1]"),
            (["--folds", "60"], "60 folds need at least 60 frames"),
        ] {
            let result = try run([packageRoot + "/configs/ci.json", "--report", directory + "/r"] + arguments, in: directory)
            XCTAssertEqual(result.status, 1, "\(arguments)")
            XCTAssertTrue(result.stderr.contains("gap-cv: error:") && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }
}
