import Configuration
import Foundation
import ModelFiles
import XCTest
@testable import Training

/// D6 (a failed checkpoint write aborted a finished fit), D8 (zero-atom frames failed deep in
/// the fit as NaN) and D10 (a memory estimate 16x too high for small fits).
final class FitFailureTests: XCTestCase {
    /// A checkpoint that cannot be written costs a warning, never the fit.
    func testAFailingCheckpointDoesNotCostTheFit() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 6, sparse: 20)
        try box.trainModel(["--output", "reference.gapjson"])
        // A directory where the checkpoint goes: every checkpoint write fails, as on a full disk.
        try FileManager.default.createDirectory(atPath: box.path("model.gapjson.checkpoint"), withIntermediateDirectories: true)
        let result = try box.run("gap-train", ["config.json", "--quiet", "--checkpoint-interval", "0", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("could not write the checkpoint"), "warned even with --quiet: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("--no-checkpoint"), result.stderr)
        XCTAssertEqual(result.stderr.components(separatedBy: "could not write the checkpoint").count, 2, "warned once: \(result.stderr)")
        XCTAssertEqual(box.bytes("model.gapjson"), box.bytes("reference.gapjson"), "the fit is kept, unchanged")
    }

    /// The same in the library: an unwritable checkpoint path leaves the fit intact.
    func testLibraryFitSurvivesCheckpointFailures() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 4, sparse: 10)
        let config = try TrainingConfig.load(path: box.path("config.json"))
        let data = try TrainingData.load(config)
        let trainer = Trainer(config: config)
        let reference = trainer.modelFile(for: try trainer.fit(data, options: FitOptions(threads: 1)), data: data).encoded()
        let policy = CheckpointPolicy(path: box.path("no/such/dir/c.checkpoint"), intervalSeconds: 0, fingerprint: "x")
        let result = try trainer.fit(data, options: FitOptions(threads: 2, blockRows: 300, checkpoint: policy))
        XCTAssertEqual(trainer.modelFile(for: result, data: data).encoded(), reference)
    }

    /// A zero-atom frame is rejected when the data is read, naming the file, line and frame.
    func testZeroAtomFramesAreRejectedWhenRead() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 3, sparse: 10)
        var text = try XCTUnwrap(box.bytes("train.xyz").map { String(decoding: $0, as: UTF8.self) })
        let empty = "0\nLattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3:force:R:3 energy=-1.5 pbc=\"T T T\"\n"
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let first = Int(lines[0])! + 2
        text = lines.prefix(first).joined(separator: "\n") + "\n" + empty + lines.dropFirst(first).joined(separator: "\n")
        try box.write(text, to: "train.xyz")
        let result = try box.run("gap-train", ["config.json", "--quiet", "--no-checkpoint"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("train.xyz:\(first + 1)"), "file and line: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("frame 1") && result.stderr.contains("no atoms"), result.stderr)
        XCTAssertFalse(result.stderr.contains("non-finite"), result.stderr)
        try box.write(empty, to: "empty.xyz")
        try box.makeTrainingSet(frames: 2, sparse: 5)
        try box.trainModel()
        let predict = try box.run("gap-predict", ["--model", "model.gapjson", "empty.xyz"])
        XCTAssertEqual(predict.status, 1)
        XCTAssertTrue(predict.stderr.contains("empty.xyz:1") && predict.stderr.contains("no atoms"), predict.stderr)
    }

    /// The estimate follows the data: design blocks are never assumed larger than the data, and
    /// for a tiny fit the printed estimate is close to the measured peak (it was 16x too high).
    func testMemoryEstimateFollowsTheData() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 6, sparse: 20)
        let config = try TrainingConfig.load(path: box.path("config.json"))
        let data = try TrainingData.load(config)
        let plan = try FitPlan.make(config, data: data, options: FitOptions(threads: 2))
        let rowBytes = (plan.columns + 3) * 8
        XCTAssertLessThanOrEqual(plan.blockBytes(plan.blockRows), 2 * plan.threads * plan.observations * rowBytes + plan.panelBytes)
        XCTAssertLessThanOrEqual(plan.blockBytes(plan.blockRows), plan.observations * rowBytes + plan.panelBytes, "one block holds all the rows")
        let result = try box.run("gap-train", ["config.json", "--no-checkpoint", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        // "... peak memory 41.2 MB, estimated 45.0 MB)"
        let line = try XCTUnwrap(result.stderr.split(separator: "\n").last { $0.contains("peak memory") }.map(String.init))
        func bytes(after label: String) throws -> Double {
            let range = try XCTUnwrap(line.range(of: label))
            let words = line[range.upperBound...].split(whereSeparator: { $0 == " " || $0 == "," || $0 == ")" })
            let value = try XCTUnwrap(Double(words[0]))
            let scale: [Substring: Double] = ["B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9]
            return value * (try XCTUnwrap(scale[words[1]], line))
        }
        let measured = try bytes(after: "peak memory "), estimated = try bytes(after: "estimated ")
        XCTAssertLessThan(abs(estimated - measured) / measured, 0.25, line)
    }
}
