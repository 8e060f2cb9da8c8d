import AtomicStructures
import Configuration
import Foundation
import Kernels
import ModelFiles
import OrderedCollections
import Prediction
import TestSupport
import XCTest
@testable import CrossValidation
@testable import Training

/// End-to-end cross-validation on Si_tiny (53 frames: isolated atom, dia, bt, liq; energies,
/// forces, virials), with the report's numbers recomputed independently from predictions.xyz.
final class CrossValidationTests: XCTestCase {
    /// One shared run (cached descriptors), reused by several tests.
    static var shared: (config: TrainingConfig, result: CrossValidationResult, directory: String)?

    func sharedRun() throws -> (config: TrainingConfig, result: CrossValidationResult, directory: String) {
        if let shared = CrossValidationTests.shared { return shared }
        let config = try tinyConfig()
        let data = try TrainingData.load(config)
        let result = try CrossValidation(config: config, data: data).run(CrossValidationOptions(folds: 4, threads: 2))
        let directory = try scratchDirectory()
        try CrossValidationReport(result: result, command: "test").write(to: directory)
        CrossValidationTests.shared = (config, result, directory)
        return (config, result, directory)
    }

    override class func tearDown() {
        if let directory = shared?.directory { try? FileManager.default.removeItem(atPath: directory) }
        shared = nil
        super.tearDown()
    }

    // MARK: - Independent recomputation

    /// Sums for RMSE/MAE/max, written out here rather than taken from ErrorStatistics.
    struct Sums {
        var n = 0, squares = 0.0, absolute = 0.0, largest = 0.0
        mutating func add(_ e: Double) { n += 1; squares += e * e; absolute += abs(e); largest = max(largest, abs(e)) }
        var rmse: Double { (squares / Double(n)).squareRoot() }
        var mae: Double { absolute / Double(n) }
    }

    /// Errors of every quantity per key, recomputed from predictions.xyz.
    func recompute(_ frames: [Structure], key: (Structure) -> String?) throws -> [String: [String: Sums]] {
        var table: [String: [String: Sums]] = [:]
        for s in frames {
            guard let k = key(s) else { continue }
            var row = table[k] ?? [:]
            let n = Double(s.count)
            if case .real(let ref)? = s.info["ref_energy"], case .real(let pred)? = s.info["energy"] {
                row["energy", default: Sums()].add(1000 * (pred - ref) / n)
            }
            if let ref = s.arrays["ref_forces"]?.realValues, let pred = s.arrays["forces"]?.realValues {
                for atom in 0..<s.count {
                    var squared = 0.0
                    for a in 0..<3 {
                        let d = pred[3 * atom + a] - ref[3 * atom + a]
                        row["force_components", default: Sums()].add(d)
                        squared += d * d
                    }
                    row["force_vectors", default: Sums()].add(squared.squareRoot())
                }
            }
            if case .reals(let ref)? = s.info["ref_virial"], case .reals(let pred)? = s.info["virial"] {
                for ab in [0, 1, 2, 4, 5, 8] { row["virial", default: Sums()].add(1000 * (pred[ab] - ref[ab]) / n) }
            }
            table[k] = row
        }
        return table
    }

    func compare(_ sums: [String: Sums], with json: [String: Any], context: String) throws {
        for quantity in ["energy", "force_components", "force_vectors", "virial"] {
            let entry = try XCTUnwrap(json[quantity] as? [String: Any], "\(context) \(quantity)")
            guard let s = sums[quantity] else {
                XCTAssertEqual(entry["count"] as? Int, 0, "\(context) \(quantity)")
                continue
            }
            XCTAssertEqual(entry["count"] as? Int, s.n, "\(context) \(quantity) count")
            for (name, value) in [("rmse", s.rmse), ("mae", s.mae), ("max", s.largest)] {
                let reported = try XCTUnwrap(entry[name] as? Double, "\(context) \(quantity) \(name)")
                XCTAssertEqual(reported, value, accuracy: 1e-9 * max(1, abs(value)), "\(context) \(quantity) \(name)")
            }
        }
    }

    /// Pooled, per-fold and across-fold numbers of report.json agree with those recomputed from
    /// predictions.xyz (read with the extended XYZ reader), per config type and overall.
    func testReportNumbersAreRecomputedFromPredictions() throws {
        let (_, result, directory) = try sharedRun()
        let frames = try ExtendedXYZReader.readAll(path: directory + "/predictions.xyz")
        XCTAssertEqual(frames.count, result.data.frames.count - 1, "every frame but the isolated atom is tested")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/report.json"))) as? [String: Any])
        let cv = try XCTUnwrap(report["cross_validation"] as? [String: Any])

        func configType(_ s: Structure) -> String {
            if case .string(let t)? = s.info["config_type"] { return t }
            return "(none)"
        }
        func fold(_ s: Structure) -> Int {
            if case .integer(let k)? = s.info["cv_fold"] { return k }
            return -1
        }

        // Pooled, by config type and all.
        let pooled = try XCTUnwrap(cv["pooled"] as? [String: Any])
        let byType = try XCTUnwrap(pooled["by_config_type"] as? [String: Any])
        let recomputedByType = try recompute(frames) { configType($0) }
        XCTAssertEqual(Set(byType.keys), Set(recomputedByType.keys))
        XCTAssertEqual(Set(byType.keys), ["dia", "bt", "liq"])
        for (type, sums) in recomputedByType {
            try compare(sums, with: try XCTUnwrap(byType[type] as? [String: Any]), context: "pooled \(type)")
        }
        try compare(try recompute(frames) { _ in "all" }["all"]!, with: try XCTUnwrap(pooled["all"] as? [String: Any]), context: "pooled all")

        // Per fold, and the mean and sample standard deviation over folds.
        let folds = try XCTUnwrap(cv["folds"] as? [[String: Any]])
        XCTAssertEqual(folds.count, 4)
        let perFold = try recompute(frames) { "\(fold($0))" }
        var rmses: [Double] = []
        for entry in folds {
            let k = try XCTUnwrap(entry["fold"] as? Int)
            let errors = try XCTUnwrap(entry["errors"] as? [String: Any])
            try compare(try XCTUnwrap(perFold["\(k)"]), with: try XCTUnwrap(errors["all"] as? [String: Any]), context: "fold \(k)")
            let tested = try XCTUnwrap(entry["test_frames"] as? [Int])
            XCTAssertEqual(Set(tested), Set(frames.filter { fold($0) == k }.compactMap { s -> Int? in
                if case .integer(let i)? = s.info["cv_frame"] { return i }
                return nil
            }))
            rmses.append(perFold["\(k)"]!["force_components"]!.rmse)
        }
        let mean = rmses.reduce(0, +) / Double(rmses.count)
        let sd = (rmses.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rmses.count - 1)).squareRoot()
        let across = try XCTUnwrap(((cv["across_folds"] as? [String: Any])?["all"] as? [String: Any])?["force_components"] as? [String: Any])
        let rmse = try XCTUnwrap(across["rmse"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(rmse["mean"] as? Double), mean, accuracy: 1e-12 * mean)
        XCTAssertEqual(try XCTUnwrap(rmse["std"] as? Double), sd, accuracy: 1e-9 * max(sd, 1e-12))

        // Labels in predictions.xyz are the data's labels.
        for s in frames {
            guard case .integer(let f)? = s.info["cv_frame"] else { return XCTFail("cv_frame missing") }
            let frame = result.data.frames[f]
            XCTAssertEqual(s.info["ref_energy"], frame.energy.map { .real($0) })
            XCTAssertEqual(s.arrays["ref_forces"]?.realValues, frame.forces)
            XCTAssertEqual(s.positions, frame.structure.positions)
        }
    }

    /// The same check with ASE's extended XYZ reader and numpy (Scripts/recompute_cv_report.py),
    /// which shares no code with ours.
    func testReportNumbersAreRecomputedWithASE() throws {
        let (_, _, directory) = try sharedRun()
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import ase.io, numpy"]
        probe.standardError = FileHandle.nullDevice
        try probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else { throw XCTSkip("python3 with ase is not available (CI installs it)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot + "/Tests/CrossValidationTests/Scripts/recompute_cv_report.py", directory]
        let output = directory + "/recompute.out"
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = try String(contentsOfFile: output, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("checked 52 frames, 3 config types, 4 folds") && text.contains("all numbers agree"), text)
    }

    /// No fold chooses a sparse point from one of its test frames, and every fold's SOAP sparse
    /// points are environments of its training frames.
    func testSparsePointsComeFromTrainingFramesOnly() throws {
        let (_, result, _) = try sharedRun()
        XCTAssertEqual(result.main.folds.count, 4)
        for fold in result.main.folds {
            let test = Set(fold.testFrames)
            let training = Set(fold.trainingFrames)
            var environments = 0
            for term in fold.sparseSources {
                for source in term {
                    if case .environment(let frame, _) = source {
                        XCTAssertFalse(test.contains(frame), "fold \(fold.fold + 1) chose a sparse point in test frame \(frame)")
                        XCTAssertTrue(training.contains(frame))
                        environments += 1
                    }
                }
            }
            XCTAssertEqual(environments, 20, "20 SOAP sparse points per fold (the 2-body points are synthetic)")
            // e0 "isolated" comes from the isolated atom, in every fold.
            XCTAssertEqual(fold.e0[14], result.data.frames[0].energy)
        }
    }

    /// Recomputing descriptors in every fold (budget 0) gives bit-identical predictions and
    /// identical statistics to sharing them.
    func testCachedAndRecomputedDescriptorsGiveIdenticalResults() throws {
        let (config, cached, _) = try sharedRun()
        guard case .cached = cached.featureMode else { return XCTFail("the shared run should have cached descriptors") }
        let recomputed = try CrossValidation(config: config, data: cached.data).run(CrossValidationOptions(folds: 4, maxMemoryBytes: 0, threads: 1))
        XCTAssertEqual(recomputed.featureMode, .recomputed)
        XCTAssertTrue(recomputed.notes.contains { $0.contains("recomputing them in every fold") })
        for (a, b) in zip(cached.predictions, recomputed.predictions) {
            XCTAssertEqual(a?.energy.bitPattern, b?.energy.bitPattern)
            XCTAssertEqual(a?.forces.map(\.bitPattern), b?.forces.map(\.bitPattern))
            XCTAssertEqual(a?.virial.map(\.bitPattern), b?.virial.map(\.bitPattern))
        }
        for (a, b) in zip(cached.main.folds, recomputed.main.folds) {
            XCTAssertEqual(a.statistics.groups, b.statistics.groups)
            XCTAssertEqual(a.sparseSources, b.sparseSources)
        }
        XCTAssertEqual(cached.main.pooled.groups, recomputed.main.pooled.groups)
    }

    /// A fold is exactly an independent fit on its training frames: same model, same
    /// predictions as `Trainer.fit` on those frames followed by `Potential.predict`.
    func testFoldEqualsIndependentFit() throws {
        let (config, result, _) = try sharedRun()
        let fold = result.main.folds[1]
        var part = result.data
        part.frames = fold.trainingFrames.map { result.data.frames[$0] }
        let fit = try Trainer(config: config).fit(part, species: result.data.speciesPresent, options: FitOptions(threads: 1))
        for f in fold.testFrames {
            let frame = result.data.frames[f]
            let p = try fit.potential.predict(frame.structure, forces: true, virial: frame.virial != nil)
            XCTAssertEqual(p.energy.bitPattern, result.predictions[f]?.energy.bitPattern)
            XCTAssertEqual(p.forces.map(\.bitPattern), result.predictions[f]?.forces.map(\.bitPattern))
        }
    }

    /// e0 "average" is taken from each fold's own training frames.
    func testAverageE0IsPerFold() throws {
        let config = try tinyConfig(e0: "\"average\"")
        let data = try TrainingData.load(config)
        let result = try CrossValidation(config: config, data: data).run(CrossValidationOptions(folds: 3, threads: 2))
        var values = Set<Double>()
        for fold in result.main.folds {
            let perAtom = fold.trainingFrames.map { data.frames[$0].energy! / Double(data.frames[$0].atomCount) }
            let mean = perAtom.reduce(0, +) / Double(perAtom.count)
            XCTAssertEqual(try XCTUnwrap(fold.e0[14]), mean, accuracy: 1e-12 * abs(mean))
            values.insert(fold.e0[14]!)
        }
        XCTAssertEqual(values.count, 3, "each fold has its own average")
    }

    /// Learning curve: nested, stratified subsets; fraction 1 is the main run. Sweep: the base
    /// value reuses the main run, a descriptor change gets its own features and equals a
    /// cross-validation of the changed config run on its own.
    func testLearningCurveAndSweep() throws {
        let config = try tinyConfig()
        let data = try TrainingData.load(config)
        let sweep = try ParameterSweep.parse("descriptors[0].n_max=3,4", config: config)
        let result = try CrossValidation(config: config, data: data).run(
            CrossValidationOptions(folds: 3, threads: 2, learningCurveFractions: [0.5, 0.25], sweep: sweep))
        XCTAssertEqual(result.learningCurve.map(\.fraction), [0.25, 0.5, 1], "fraction 1, the main run, is always added")
        let quarter = result.learningCurve[0].run, half = result.learningCurve[1].run, full = result.learningCurve[2].run
        XCTAssertEqual(full.pooled.groups, result.main.pooled.groups)
        for k in 0..<3 {
            let a = Set(quarter.folds[k].trainingFrames), b = Set(half.folds[k].trainingFrames), c = Set(result.main.folds[k].trainingFrames)
            XCTAssertTrue(a.isSubset(of: b) && b.isSubset(of: c), "fold \(k): subsets nest")
            XCTAssertTrue(a.contains(0), "the isolated atom stays in training")
            XCTAssertEqual(quarter.folds[k].testFrames, result.main.folds[k].testFrames, "tested on the whole test fold")
            for type in ["dia", "bt", "liq"] {
                let all = c.filter { data.frames[$0].configType == type }.count
                let kept = b.filter { data.frames[$0].configType == type }.count
                XCTAssertEqual(kept, Int((0.5 * Double(all) - 1e-9).rounded(.up)), "fold \(k) \(type): half, rounded up")
            }
        }
        XCTAssertLessThan(quarter.meanTrainingFrames, half.meanTrainingFrames)

        let runs = try XCTUnwrap(result.sweep).runs
        XCTAssertEqual(runs.map(\.value), ["3", "4"])
        XCTAssertEqual(runs[1].run.pooled.groups, result.main.pooled.groups, "n_max 4 is the config's own value")
        XCTAssertNil(runs[0].run.failure)
        let alone = try CrossValidation(config: try sweep.config(value: "3", base: config), data: data).run(CrossValidationOptions(folds: 3, threads: 2))
        XCTAssertEqual(runs[0].run.pooled.groups, alone.main.pooled.groups)
        XCTAssertNotEqual(runs[0].run.pooled.groups, result.main.pooled.groups)
    }

    /// A learning-curve subset with fewer environments than n_sparse gets n_sparse capped (and
    /// says so) instead of failing; the cap is the smallest subset's environment count.
    func testLearningCurveCapsSparsePoints() throws {
        let config = try tinyConfig(sparse: 110)
        let data = try TrainingData.load(config)
        let result = try CrossValidation(config: config, data: data).run(CrossValidationOptions(folds: 3, threads: 2, learningCurveFractions: [0.1]))
        let point = try XCTUnwrap(result.learningCurve.first)
        XCTAssertEqual(point.fraction, 0.1)
        XCTAssertNil(point.run.failure)
        let note = try XCTUnwrap(point.run.notes.first, "a cap note")
        XCTAssertTrue(note.contains("descriptors[0].n_sparse capped at"), note)
        let fewest = point.run.folds.map { fold in fold.trainingFrames.reduce(0) { $0 + data.frames[$1].atomCount } }.min()!
        XCTAssertTrue(note.contains("capped at \(fewest),"), "\(note) (fewest environments \(fewest))")
        for fold in point.run.folds { XCTAssertEqual(fold.sparseSources[0].count, fewest) }
        XCTAssertTrue(result.notes.contains { $0.contains("capped") }, "the note is also in the report's notes")
    }

    /// The HTML needs nothing from the network: no scripts, links or external resources.
    func testReportFilesAreSelfContained() throws {
        let (_, _, directory) = try sharedRun()
        let html = try String(contentsOfFile: directory + "/report.html", encoding: .utf8)
        for forbidden in ["<script", "src=", "href=", "@import", "url("] {
            XCTAssertFalse(html.contains(forbidden), forbidden)
        }
        // The only URL is the SVG namespace, which is a name, not a fetch.
        let urls = html.components(separatedBy: "http").count - 1
        XCTAssertEqual(urls, html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1)
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "<svg").count - 1, 6, "parity plots, histograms and bar charts")
        let markdown = try String(contentsOfFile: directory + "/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("| liq |"))
    }

    /// Sparse points from an index file cannot be cross-validated: an input error, not a leak.
    func testIndexFileSparsePointsAreRefused() throws {
        let path = try Datasets.tinySilicon()
        let json = """
            {"train_files": ["\(path)"], "e0": "isolated",
             "descriptors": [{"type": "soap", "cutoff": 4.5, "n_max": 4, "l_max": 3, "atom_sigma": 0.5, "delta": 1,
                              "sparse_method": "index_file", "sparse_file": "/dev/null"}]}
            """
        let config = try TrainingConfig.parse(bytes: Array(json.utf8), name: "<index>", baseDirectory: "", checkFiles: false)
        let data = try TrainingData.load(config)
        XCTAssertThrowsError(try CrossValidation(config: config, data: data).run(CrossValidationOptions(folds: 3))) { error in
            XCTAssertTrue("\(error)".contains("cannot be cross-validated"), "\(error)")
        }
    }
}
