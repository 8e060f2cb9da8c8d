import Foundation
import ModelFiles
import TestSupport
import XCTest

/// Runs the built `gap-export` and `gap-predict` executables (built by `swift test` next to the
/// test binary, as gap-data's tests find theirs).
/// gap_fit XML fixtures (Tests/GAPXMLTests/Fixtures).
private let fixtures = packageRoot + "/Tests/GAPXMLTests/Fixtures"

final class GapExportCommandTests: XCTestCase {
    static func executable(_ name: String) -> URL? { try? builtExecutable(name) }

    func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try XCTUnwrap(Self.executable(name), "\(name) was not built next to the tests; run `swift build` first")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    func testExportConvertAndRefuse() throws {
        let directory = NSTemporaryDirectory() + "swiftgap-export-cli-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // gap-xml with side files: the committed golden files, byte for byte.
        var r = try run("gap-export", ["\(fixtures)/ours_si.gapjson", "--format", "gap-xml", "--output", "\(directory)/ours_si.xml"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for name in ["ours_si.xml", "ours_si.xml.sparseX.GAP_SwiftGAP1", "ours_si.xml.sparseX.GAP_SwiftGAP2"] {
            XCTAssertEqual(try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8), try String(contentsOfFile: "\(fixtures)/\(name)", encoding: .utf8), name)
        }
        // A gap_fit XML converted to our format predicts exactly as the XML read directly.
        r = try run("gap-export", ["\(fixtures)/gap_fit_tial.xml", "--format", "gapjson", "--output", "\(directory)/m.gapjson", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let direct = try run("gap-predict", ["--quiet", "--model", "\(fixtures)/gap_fit_tial.xml", "\(fixtures)/structures_tial.xyz"])
        let converted = try run("gap-predict", ["--quiet", "--model", "\(directory)/m.gapjson", "\(fixtures)/structures_tial.xyz"])
        XCTAssertEqual(direct.status, 0, direct.stderr)
        XCTAssertTrue(direct.stdout.contains("energy"))
        XCTAssertEqual(direct.stdout.replacingOccurrences(of: "gap_fit_tial.xml", with: ""), converted.stdout.replacingOccurrences(of: "m.gapjson", with: ""))
        // A model QUIP cannot express: refused, non-zero exit, reason and remedy, nothing written.
        var optimal = try String(contentsOfFile: "\(fixtures)/ours_si_optimal.gapjson", encoding: .utf8)
        optimal = optimal.replacingOccurrences(of: "\"normalise\": false", with: "\"normalise\": true")
        try optimal.write(toFile: "\(directory)/normalised.gapjson", atomically: true, encoding: .utf8)
        r = try run("gap-export", ["\(directory)/normalised.gapjson", "--format", "gap-xml", "--output", "\(directory)/refused.xml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("gap-export: error: term 1 (soap):") && r.stderr.contains("remedy: train with \"radial_basis\": \"gap\" and without n_features"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(directory)/refused.xml"))
        // Bad arguments.
        r = try run("gap-export", ["\(fixtures)/ours_si.gapjson", "--format", "gapjson", "--inline", "--output", "\(directory)/x.gapjson"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--inline applies to --format gap-xml only"), r.stderr)
    }
}
