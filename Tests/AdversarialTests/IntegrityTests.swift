import Configuration
import Foundation
import LinearAlgebra
import ModelFiles
import Support
import TestSupport
import XCTest
@testable import Training

/// D2 (no integrity check on model files, inconsistent models accepted) and D3 (no checksum on
/// checkpoints).
final class IntegrityTests: XCTestCase {
    /// One small fitted model (and its checkpoint bytes), shared by the tests.
    static let fitted: (text: String, checkpoint: [UInt8]) = {
        let box = try! Sandbox()
        try! box.makeTrainingSet(frames: 4, sparse: 12)
        let config = try! TrainingConfig.load(path: box.path("config.json"))
        let data = try! TrainingData.load(config)
        let trainer = Trainer(config: config)
        let policy = CheckpointPolicy(path: box.path("c.checkpoint"), intervalSeconds: 0, fingerprint: CheckpointPolicy.fingerprint(config: config, data: data))
        let result = try! trainer.fit(data, options: FitOptions(threads: 2, checkpoint: policy))
        let checkpoint = [UInt8](box.bytes("c.checkpoint")!)
        return (trainer.modelFile(for: result, data: data).encoded(), checkpoint)
    }()

    func decode(_ text: String) throws -> ModelFile { try ModelFile.decode(Array(text.utf8), name: "m.gapjson") }

    /// One flipped base64 character of α predicted 64 eV off with exit 0; now the load fails,
    /// naming the file and the checksum.
    func testAFlippedCharacterAnywhereInAModelIsDetected() throws {
        let text = Self.fitted.text
        XCTAssertTrue(text.hasPrefix("{\n  \"checksum\": \"sha256:"), "line 2 carries the checksum")
        let model = try decode(text)
        XCTAssertNil(model.integrityNote)
        let alpha = try XCTUnwrap(text.range(of: "\"alpha\": \""))
        var bytes = Array(text.utf8)
        let offset = text.utf8.distance(from: text.startIndex, to: alpha.upperBound) + 5
        for (k, position) in [offset, text.utf8.count / 2, text.utf8.count - 3].enumerated() {
            var corrupt = bytes
            corrupt[position] = corrupt[position] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            XCTAssertThrowsError(try ModelFile.decode(corrupt, name: "m.gapjson"), "flip \(k)") { error in
                XCTAssertTrue("\(error)".hasPrefix("m.gapjson"), "\(error)")
                XCTAssertTrue("\(error)".contains("checksum"), "\(error)")
            }
        }
        // A damaged checksum line, and a version 3 file whose checksum line was removed.
        bytes[20] = UInt8(ascii: "x")
        XCTAssertThrowsError(try ModelFile.decode(bytes, name: "m.gapjson")) { XCTAssertTrue("\($0)".contains("checksum"), "\($0)") }
        let stripped = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().filter { $0.offset != 1 }.map(\.element).joined(separator: "\n")
        XCTAssertThrowsError(try decode(stripped)) { XCTAssertTrue("\($0)".contains("has none"), "\($0)") }
        // Truncation.
        XCTAssertThrowsError(try ModelFile.decode(Array(text.utf8.prefix(text.utf8.count - 10)), name: "m.gapjson"))
    }

    /// Models written before version 3 still load, with a note that nothing could be verified.
    func testOldModelsLoadWithANote() throws {
        let old = try String(contentsOfFile: packageRoot + "/Tests/GAPXMLTests/Fixtures/ours_si.gapjson", encoding: .utf8)
        XCTAssertTrue(old.contains("\"version\": 1"))
        let model = try decode(old)
        XCTAssertTrue(model.integrityNote?.contains("no checksum") == true, model.integrityNote ?? "no note")
        // Re-saving adds the checksum and bumps the version.
        let resaved = model.encoded()
        XCTAssertTrue(resaved.contains("\"version\": 3"))
        XCTAssertNil(try decode(resaved).integrityNote)
    }

    /// Hand-edited inconsistent models (without a checksum, as an old file would be) are refused.
    func testInconsistentModelsAreRefused() throws {
        let old = try String(contentsOfFile: packageRoot + "/Tests/GAPXMLTests/Fixtures/ours_si.gapjson", encoding: .utf8)
        let cases: [(String, String, String)] = [
            ("\"Z\": [14],", "\"Z\": [8],", "no reference energy"),
            ("\"e0\": {\n    \"Si\"", "\"e0\": {\n    \"O\"", "no reference energy"),
        ]
        for (from, to, reason) in cases {
            XCTAssertTrue(old.contains(from), "fixture layout: \(from)")
            XCTAssertThrowsError(try decode(old.replacingOccurrences(of: from, with: to))) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(error)")
            }
        }
        let noTerms = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(old.utf8)) as? [String: Any])
        var edited = noTerms
        edited["terms"] = []
        let text = String(decoding: try JSONSerialization.data(withJSONObject: edited), as: UTF8.self)
        XCTAssertThrowsError(try decode(text)) { XCTAssertTrue("\($0)".contains("no terms"), "\($0)") }
        var nonFinite = noTerms
        nonFinite["e0"] = ["Si": 1e999]
        XCTAssertThrowsError(try decode(String(decoding: try JSONSerialization.data(withJSONObject: nonFinite), as: UTF8.self)))
    }

    /// One flipped byte in a checkpoint made --resume "succeed" with another model; now it is
    /// refused with the file's name and the checksum.
    func testACorruptCheckpointIsRefused() throws {
        let bytes = Self.fitted.checkpoint
        XCTAssertNoThrow(try Checkpoint.decode(bytes, name: "c.checkpoint"))
        for position in [bytes.count - 1, bytes.count / 2, 200] {
            var corrupt = bytes
            corrupt[position] ^= 0x01
            XCTAssertThrowsError(try Checkpoint.decode(corrupt, name: "c.checkpoint"), "byte \(position)") { error in
                XCTAssertTrue("\(error)".hasPrefix("c.checkpoint"), "\(error)")
                XCTAssertTrue("\(error)".contains("checksum"), "\(error)")
            }
        }
        XCTAssertThrowsError(try Checkpoint.decode(Array(bytes.prefix(bytes.count - 8)), name: "c.checkpoint")) { error in
            XCTAssertTrue("\(error)".contains("checksum"), "\(error)")
        }
        let former = Array("SWIFTGAP-CHECKPOINT 1\n".utf8) + bytes.dropFirst(22)
        XCTAssertThrowsError(try Checkpoint.decode(former, name: "c.checkpoint")) { XCTAssertTrue("\($0)".contains("format 1"), "\($0)") }
    }

    /// gap-predict prints the note for an old model, and refuses a corrupt one (exit 1).
    func testGapPredictReportsIntegrity() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 2, sparse: 5)
        try box.write(Self.fitted.text, to: "good.gapjson")
        var corrupt = Array(Self.fitted.text.utf8)
        corrupt[corrupt.count / 2] ^= 0x02
        FileManager.default.createFile(atPath: box.path("bad.gapjson"), contents: Data(corrupt))
        let good = try box.run("gap-predict", ["--model", "good.gapjson", "train.xyz"])
        XCTAssertEqual(good.status, 0, good.stderr)
        let bad = try box.run("gap-predict", ["--model", "bad.gapjson", "train.xyz"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("bad.gapjson") && bad.stderr.contains("checksum"), bad.stderr)
        try FileManager.default.copyItem(atPath: packageRoot + "/Tests/GAPXMLTests/Fixtures/ours_si.gapjson", toPath: box.path("old.gapjson"))
        let old = try box.run("gap-predict", ["--model", "old.gapjson", "train.xyz"])
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertTrue(old.stderr.contains("no checksum"), old.stderr)
    }
}
