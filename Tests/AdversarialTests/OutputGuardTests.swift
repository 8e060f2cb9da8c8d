import Foundation
import Support
import XCTest

/// D1 (outputs that are inputs), D5 (output locations checked only after the work), concurrent
/// runs on one output, and D7 (partial temporary files of killed runs left forever).
final class OutputGuardTests: XCTestCase {
    /// gap-train must never write its model over the training data or the config, however the
    /// path is spelled (relative, through a symlink, a hard link, or the config's `output`).
    func testGapTrainRefusesToOverwriteItsInputs() throws {
        let box = try Sandbox()
        try box.makeTrainingSet()
        let data = try XCTUnwrap(box.bytes("train.xyz"))
        let config = try XCTUnwrap(box.bytes("config.json"))
        symlink(box.path("train.xyz"), box.path("alias.xyz"))
        link(box.path("train.xyz"), box.path("hardlink.xyz"))
        try FileManager.default.createDirectory(atPath: box.path("sub"), withIntermediateDirectories: true)
        for output in ["train.xyz", "./sub/../train.xyz", box.path("alias.xyz"), "hardlink.xyz", "config.json"] {
            let result = try box.run("gap-train", ["config.json", "--quiet", "--no-checkpoint", "--output", output])
            XCTAssertEqual(result.status, 1, "--output \(output): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("input"), result.stderr)
            XCTAssertEqual(box.bytes("train.xyz"), data, "the training data survives --output \(output)")
            XCTAssertEqual(box.bytes("config.json"), config)
        }
        // The same through the config's own "output" key.
        try box.write(String(decoding: config, as: UTF8.self).replacingOccurrences(of: "\"model.gapjson\"", with: "\"train.xyz\""), to: "config2.json")
        let result = try box.run("gap-train", ["config2.json", "--quiet", "--no-checkpoint"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("output") && result.stderr.contains("input"), result.stderr)
        XCTAssertEqual(box.bytes("train.xyz"), data)
    }

    /// gap-predict must never write its predictions over the model or an input structure file;
    /// gap-export never over the model it converts; gap-tune never over the config.
    func testPredictExportAndTuneRefuseToOverwriteTheirInputs() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 4, sparse: 10)
        try box.trainModel()
        let model = try XCTUnwrap(box.bytes("model.gapjson"))
        let data = try XCTUnwrap(box.bytes("train.xyz"))
        for output in ["model.gapjson", "train.xyz", "./train.xyz"] {
            let result = try box.run("gap-predict", ["--model", "model.gapjson", "train.xyz", "--output", output, "--quiet"])
            XCTAssertEqual(result.status, 1, "--output \(output): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("would be overwritten"), result.stderr)
        }
        let export = try box.run("gap-export", ["model.gapjson", "--format", "gapjson", "--output", "./model.gapjson", "--quiet"])
        XCTAssertEqual(export.status, 1, export.stderr)
        let tune = try box.run("gap-tune", ["config.json", "--output", "config.json", "--budget-fits", "2", "--folds", "2", "--quiet"])
        XCTAssertEqual(tune.status, 1, tune.stderr)
        XCTAssertTrue(tune.stderr.contains("would be overwritten"), tune.stderr)
        XCTAssertEqual(box.bytes("model.gapjson"), model)
        XCTAssertEqual(box.bytes("train.xyz"), data)
    }

    /// A missing directory, an existing directory at the output path or an unwritable directory
    /// are refused at once, before the fit, not after it.
    func testBadOutputLocationsAreRefusedBeforeAnyWork() throws {
        let box = try Sandbox()
        try box.makeTrainingSet()
        try FileManager.default.createDirectory(atPath: box.path("existing"), withIntermediateDirectories: true)
        var cases = [("missing/model.gapjson", "does not exist"), ("existing", "is a directory"), ("existing/", "is a directory")]
        if geteuid() != 0 {  // root writes anywhere; the permission case needs an ordinary user
            try FileManager.default.createDirectory(atPath: box.path("readonly"), withIntermediateDirectories: true)
            chmod(box.path("readonly"), 0o555)
            cases.append(("readonly/model.gapjson", "cannot write"))
        }
        for (output, reason) in cases {
            let result = try box.run("gap-train", ["config.json", "--output", output])
            XCTAssertEqual(result.status, 1, "--output \(output): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(reason), "--output \(output): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("descriptors:"), "refused before computing anything: \(result.stderr)")
        }
        let predict = try box.run("gap-predict", ["--model", "nothing.gapjson", "train.xyz", "--output", "missing/p.xyz"])
        XCTAssertEqual(predict.status, 1)
        XCTAssertTrue(predict.stderr.contains("does not exist"), "the output is checked before the model is read: \(predict.stderr)")
        let cv = try box.run("gap-cv", ["config.json", "--report", "train.xyz"])
        XCTAssertEqual(cv.status, 1)
        XCTAssertTrue(cv.stderr.contains("not a directory"), cv.stderr)
    }

    /// A second run on an output being written stops with a clear message; once the first run
    /// is killed (its lock file left behind), the next run takes the stale lock over.
    func testConcurrentRunsOnOneOutputAreDetectedAndStaleLocksTakenOver() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 25, sparse: 80)
        let (first, _) = try box.start("gap-train", ["config.json", "--quiet", "--threads", "1", "--block-rows", "100"])
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning && !box.exists(".model.gapjson.lock") && Date() < deadline { usleep(2000) }
        XCTAssertTrue(first.isRunning, "the first run ended too early for the test")
        let second = try box.run("gap-train", ["config.json", "--quiet", "--no-checkpoint"])
        XCTAssertEqual(second.status, 1, second.stderr)
        XCTAssertTrue(second.stderr.contains("another run is writing this output"), second.stderr)
        XCTAssertTrue(second.stderr.contains("process \(first.processIdentifier)"), "names the holder: \(second.stderr)")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        XCTAssertTrue(box.exists(".model.gapjson.lock"), "a killed run leaves its (now stale) lock file")
        let third = try box.run("gap-train", ["config.json", "--no-checkpoint", "--threads", "2"])
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertTrue(third.stderr.contains("took over the lock"), third.stderr)
        XCTAssertFalse(box.exists(".model.gapjson.lock"), "a finished run removes its lock file")
        XCTAssertTrue(box.exists("model.gapjson"))
    }

    /// Partial files of our own naming left by a killed writer are removed by the next run on
    /// that output; files that merely look alike are kept.
    func testStaleTemporaryFilesAreRemovedByTheNextRun() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 4, sparse: 10)
        for name in [".model.gapjson.tmp-Ab3xYz", ".model.gapjson.checkpoint.tmp-Q1w2E3", ".p.xyz.tmp-000aaa"] {
            try box.write("partial", to: name)
        }
        let keep = [".model.gapjson.tmp-toolong1", ".model.gapjson2.tmp-Ab3xYz", "model.gapjson.tmp-Ab3xYz"]
        for name in keep { try box.write("not ours", to: name) }
        let train = try box.run("gap-train", ["config.json"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("removed"), train.stderr)
        XCTAssertFalse(box.exists(".model.gapjson.tmp-Ab3xYz"))
        XCTAssertFalse(box.exists(".model.gapjson.checkpoint.tmp-Q1w2E3"))
        XCTAssertTrue(box.exists(".p.xyz.tmp-000aaa"), "another output's file stays until a run writes that output")
        for name in keep { XCTAssertTrue(box.exists(name), name) }
        let predict = try box.run("gap-predict", ["--model", "model.gapjson", "train.xyz", "--output", "p.xyz"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        XCTAssertFalse(box.exists(".p.xyz.tmp-000aaa"))
    }

    /// The guard itself: identities through symlinks, outputs naming one file twice, directories.
    func testOutputGuardSeesThroughPaths() throws {
        let box = try Sandbox()
        try box.write("data", to: "in.xyz")
        symlink("in.xyz", box.path("link.xyz"))
        XCTAssertThrowsError(try OutputGuard.check([.file(box.path("link.xyz"), option: "--output")], inputs: [box.path("in.xyz")]))
        XCTAssertThrowsError(try OutputGuard.check(
            [.file(box.path("a.npy"), option: "--output"), .file(box.root.path + "/./a.npy", option: "--gradients")], inputs: [])) { error in
            XCTAssertTrue("\(error)".contains("same file as --output"), "\(error)")
        }
        XCTAssertThrowsError(try OutputGuard.check([.directory(box.path("in.xyz"), option: "--report", fileNames: ["a.json"])], inputs: [])) { error in
            XCTAssertTrue("\(error)".contains("not a directory"), "\(error)")
        }
        let reportOverInput = PlannedOutput.directory(box.root.path, option: "--report", fileNames: ["in.xyz"])
        XCTAssertThrowsError(try OutputGuard.check([reportOverInput], inputs: [box.path("in.xyz")])) { error in
            XCTAssertTrue("\(error)".contains("would be overwritten"), "\(error)")
        }
        XCTAssertNoThrow(try OutputGuard.check([.file(box.path("out.xyz"), option: "--output")], inputs: [box.path("in.xyz")]))
    }
}
