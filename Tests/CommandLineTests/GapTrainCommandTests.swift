import Foundation
import TestSupport
import XCTest
import Training

/// Runs the built `gap-train` (next to the test binary: `swift test` builds every product) to
/// check what only a process shows: SIGKILL and SIGINT mid-fit, resuming, exit codes.
final class GapTrainCommandTests: XCTestCase {
    var scratch: URL!

    static var executable: URL? { (try? builtExecutable("gap-train")) }

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gap-train-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        // The first 25 frames of the shipped data: enough batches (one frame each) to stop in the middle.
        let all = try String(contentsOfFile: packageRoot + "/datasets/si_zuo2020/Si_train.xyz", encoding: .utf8)
        var lines = all.split(separator: "\n", omittingEmptySubsequences: false)[...]
        var kept: [Substring] = []
        for _ in 0..<25 {
            let n = Int(lines.first!)!
            kept += lines.prefix(n + 2)
            lines = lines.dropFirst(n + 2)
        }
        try (kept.joined(separator: "\n") + "\n").write(to: scratch.appendingPathComponent("train.xyz"), atomically: true, encoding: .utf8)
        let config = """
            {"train_files": ["train.xyz"], "e0": "average",
             "descriptors": [{"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 5, "l_max": 3,
                              "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": 100, "sparse_method": "cur"},
                             {"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
                              "delta": 0.5, "n_sparse": 10, "sparse_method": "uniform"}],
             "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05}, "output": "model.gapjson"}
            """
        try config.write(to: scratch.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = try XCTUnwrap(GapTrainCommandTests.executable, "gap-train was not built next to the tests")
        process.arguments = [path("config.json"), "--threads", "2", "--block-rows", "200"] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let stderr = scratch.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        return process
    }

    func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = try XCTUnwrap(GapTrainCommandTests.executable, "gap-train was not built next to the tests")
        process.arguments = [path("config.json"), "--threads", "2", "--block-rows", "200"] + arguments
        let stderr = scratch.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: stderr, encoding: .utf8))
    }

    /// Structures recorded as done in the checkpoint header, or nil while there is none.
    func framesInCheckpoint() -> Int? {
        guard let data = FileManager.default.contents(atPath: path("model.gapjson.checkpoint")),
              let text = String(data: data.prefix(400), encoding: .ascii) ?? String(data: data.prefix(400), encoding: .isoLatin1),
              let range = text.range(of: "\"frames_done\":") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// Waits until the checkpoint shows at least `frames` structures folded, or the process ends.
    func waitForCheckpoint(_ process: Process, frames: Int) {
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && Date() < deadline {
            if let done = framesInCheckpoint(), done >= frames { return }
            usleep(2000)
        }
    }

    func referenceModel() throws -> Data {
        let reference = try run(["--quiet", "--no-checkpoint", "--output", path("reference.gapjson")])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        return try XCTUnwrap(FileManager.default.contents(atPath: path("reference.gapjson")))
    }

    /// A run killed with SIGKILL mid-way and resumed gives the byte-identical model.
    func testKilledRunResumesToTheByteIdenticalModel() throws {
        let reference = try referenceModel()
        let process = try start(["--quiet", "--checkpoint-interval", "0"])
        waitForCheckpoint(process, frames: 3)
        XCTAssertTrue(process.isRunning, "the run finished before it could be killed; the test needs a slower fit")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("model.gapjson")), "no model from a killed run")
        let killedAt = try XCTUnwrap(framesInCheckpoint())
        XCTAssertGreaterThanOrEqual(killedAt, 3)

        let resumed = try run(["--resume", "--checkpoint-interval", "0"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming from"), resumed.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: path("model.gapjson")), reference)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("model.gapjson.checkpoint")), "checkpoint removed after success")
    }

    /// SIGINT stops cleanly: exit 130, a checkpoint, no model; resuming completes it identically.
    func testInterruptStopsCleanlyAndResumes() throws {
        let reference = try referenceModel()
        let process = try start(["--checkpoint-interval", "0"])
        waitForCheckpoint(process, frames: 2)
        XCTAssertTrue(process.isRunning)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("model.gapjson")), "no partial model")
        XCTAssertNotNil(framesInCheckpoint())
        let resumed = try run(["--resume", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: path("model.gapjson")), reference)
    }

    /// A budget below what the fit needs is refused before work starts, saying what to reduce.
    func testMemoryBudgetIsEnforcedBeforeAllocating() throws {
        let refused = try run(["--max-memory", "20M"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("more than the budget of"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("reduce"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("model.gapjson")))
        let bad = try run(["--max-memory", "lots"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("--max-memory"), bad.stderr)
    }

    /// --resume refuses a checkpoint of another run.
    func testResumeRejectsACheckpointOfAnotherRun() throws {
        let process = try start(["--quiet", "--checkpoint-interval", "0"])
        waitForCheckpoint(process, frames: 1)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Change the config: the checkpoint no longer applies.
        let config = try String(contentsOfFile: path("config.json"), encoding: .utf8).replacingOccurrences(of: "\"delta\": 0.5", with: "\"delta\": 0.6")
        try config.write(toFile: path("config.json"), atomically: true, encoding: .utf8)
        let resumed = try run(["--resume", "--quiet"])
        XCTAssertEqual(resumed.status, 1)
        XCTAssertTrue(resumed.stderr.contains("belongs to another run"), resumed.stderr)
    }
}
