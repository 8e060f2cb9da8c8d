import AtomicStructures
import Configuration
import Foundation
import ModelFiles
import Parallelism
import TestSupport
import XCTest
@testable import Training

final class FailureExplanationTests: XCTestCase {
    /// Duplicate sparse points with no jitter make K_MM singular; the error names the points,
    /// their frames and atoms, calls them duplicates and gives the remedy.
    func testSingularSparseCovarianceIsExplained() throws {
        // The first frame of the shipped data twice (as GAP-18's 111adatom frames 9 and 10), and
        // sparse points on atom 6 of both copies.
        let base = NSTemporaryDirectory() + "/swiftgap-duplicates-\(getpid())"
        defer { unlink(base + ".idx"); unlink(base + ".xyz") }
        let frame = try XCTUnwrap(try ExtendedXYZReader.readAll(path: packageRoot + "/datasets/si_zuo2020/Si_train.xyz").first)
        try ExtendedXYZWriter.write([frame, frame], to: base + ".xyz")
        try "1\n2\n7\n\(frame.count + 7)\n".write(toFile: base + ".idx", atomically: true, encoding: .utf8)
        let indexFile = base + ".idx"
        let json = """
            {"train_files": ["\(base).xyz"], "e0": "average",
             "descriptors": [{"type": "soap", "cutoff": 4.5, "n_max": 3, "l_max": 2, "atom_sigma": 0.5, "delta": 1.0,
                              "zeta": 2, "sparse_method": "index_file", "sparse_file": "\(indexFile)"}],
             "sparse_jitter": 0}
            """
        let config = try TrainingConfig.parse(bytes: Array(json.utf8), name: "<test>", baseDirectory: "")
        let data = try TrainingData.load(config)
        XCTAssertThrowsError(try Trainer(config: config).fit(data, options: FitOptions(threads: 1))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("descriptors[0] (soap)"), text)
            XCTAssertTrue(text.contains("sparse point 3 (training frame 1, atom 6)"), text)
            XCTAssertTrue(text.contains("sparse point 2 (training frame 0, atom 6)"), text)
            XCTAssertTrue(text.contains("duplicates"), text)
            XCTAssertTrue(text.contains("raise sparse_jitter"), text)
            XCTAssertFalse(text.contains("info"), "no LAPACK info codes: \(text)")
        }
    }

    /// A budget that only the design blocks exceed shrinks the blocks; one that the fixed parts
    /// exceed is refused with advice.
    func testMemoryBudgetShrinksBlocksOrRefuses() throws {
        let config = try smallConfig(sparse: 100)
        let data = try smallData(config)
        let plan = try FitPlan.make(config, data: data, options: FitOptions(threads: 2, blockRows: 20_000))
        // Room for two waves of blocks of 300 rows, less than the data's rows in one block.
        let budget = plan.peakBytes - plan.blockBytes(plan.blockRows) + plan.blockBytesBound(300)
        XCTAssertLessThan(budget, plan.peakBytes)
        let smaller = try plan.fitting(budget: budget, fixedBlockRows: false)
        XCTAssertLessThan(smaller.blockRows, plan.blockRows)
        XCTAssertLessThanOrEqual(smaller.peakBytes, budget)
        XCTAssertThrowsError(try plan.fitting(budget: budget, fixedBlockRows: true))
        XCTAssertThrowsError(try plan.fitting(budget: 1 << 20, fixedBlockRows: false)) { error in
            XCTAssertTrue("\(error)".contains("more than the budget"), "\(error)")
        }
        XCTAssertEqual(try plan.fitting(budget: plan.peakBytes, fixedBlockRows: false).blockRows, plan.blockRows)
    }

    /// Pass 1 counts the sparse-point selection's working memory (CUR's Gram matrix and dsyevd's
    /// eigendecomposition, 3 s² doubles for s = min(N, F)), which had been left out: on a 7-species
    /// SOAP of 4,515 features the fit peaked at 975 MB against a 777 MB estimate.
    func testPassOneCountsTheSparsePointSelection() throws {
        let config = try smallConfig(sparse: 40, nMax: 6, lMax: 4)
        let data = try smallData(config)
        let plan = try FitPlan.make(config, data: data, options: FitOptions(threads: 1))
        let term = try XCTUnwrap(plan.terms.first)
        let s = min(term.environments, term.features)
        let item = try XCTUnwrap(plan.phases[0].items.first { $0.item.hasPrefix("sparse-point selection") })
        XCTAssertGreaterThanOrEqual(item.bytes, 3 * s * s * 8)
        XCTAssertEqual(item.bytes, FitPlan.selectionWorkingBytes(method: .cur, environments: term.environments, features: term.features, sparsePoints: 40))
        XCTAssertGreaterThanOrEqual(plan.peakBytes, plan.phases[0].items.reduce(0) { $0 + $1.bytes })
        XCTAssertFalse(term.featuresAreUpperBound, "QUIP basis: the feature count is exact")
        let json = """
            {"train_files": ["\(packageRoot)/datasets/si_zuo2020/Si_train.xyz"], "e0": "average",
             "descriptors": [{"type": "soap", "cutoff": 4.5, "n_max": 4, "l_max": 3, "atom_sigma": 0.5,
                              "delta": 1.0, "zeta": 4, "radial_basis": "optimal", "n_max_primitive": 8, "n_sparse": 40}]}
            """
        let optimal = try TrainingConfig.parse(bytes: Array(json.utf8), name: "<test>", baseDirectory: "", checkFiles: false)
        let optimalPlan = try FitPlan.make(optimal, data: try smallData(optimal), options: FitOptions(threads: 1))
        XCTAssertTrue(try XCTUnwrap(optimalPlan.terms.first).featuresAreUpperBound)
        XCTAssertTrue(optimalPlan.formatted().contains("at most"), optimalPlan.formatted())
    }

    /// An interrupted library fit saves a checkpoint, and resuming it gives the same bytes.
    func testInterruptedFitResumesToTheSameModel() throws {
        let config = try smallConfig(sparse: 60)
        let data = try smallData(config)
        let trainer = Trainer(config: config)
        let reference = trainer.modelFile(for: try trainer.fit(data, options: FitOptions(threads: 2, blockRows: 300)), data: data).encoded()
        let path = NSTemporaryDirectory() + "/swiftgap-checkpoint-\(getpid())"
        defer { unlink(path) }
        let policy = CheckpointPolicy(path: path, intervalSeconds: 0, fingerprint: CheckpointPolicy.fingerprint(config: config, data: data))
        Interruption.request()
        defer { Interruption.reset() }
        XCTAssertThrowsError(try trainer.fit(data, options: FitOptions(threads: 2, blockRows: 300, checkpoint: policy, stopsOnInterrupt: true))) { error in
            guard case TrainingError.interrupted(let saved) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(saved, path)
        }
        Interruption.reset()
        let checkpoint = try Checkpoint.load(path: path)
        XCTAssertEqual(checkpoint.framesDone, 0, "stopped before folding the first wave")
        let resumed = try trainer.fit(data, options: FitOptions(threads: 1, blockRows: 300, checkpoint: policy, resume: checkpoint))
        XCTAssertEqual(trainer.modelFile(for: resumed, data: data).encoded(), reference)
    }
}
