import Configuration
import Foundation
import LinearAlgebra
import ModelFiles
import Support
import XCTest
@testable import Training

/// D9: model bytes depended on --max-memory (through the block size), so the same config gave
/// different models on machines with different free memory.
final class DeterminismTests: XCTestCase {
    /// Rows folded in fixed panels give the same bits however they are chunked on arrival.
    func testPanelledFoldIsIndependentOfHowRowsArrive() throws {
        let columns = 13, rows = 1000, panel = 64
        var generator = SplitMix64(seed: 7)
        let values = (0..<(rows * columns)).map { _ in Double.random(in: 0..<1, using: &generator) - 0.5 }
        let targets = (0..<rows).map { _ in Double.random(in: 0..<1, using: &generator) }
        func rowsColumnMajor(_ range: Range<Int>) -> [Double] {
            var out = [Double]()
            for j in 0..<columns { for i in range { out.append(values[i * columns + j]) } }
            return out
        }
        func fold(_ chunks: [Int]) throws -> IncrementalLeastSquares {
            var solver = PanelledLeastSquares(IncrementalLeastSquares(columns: columns), panelRows: panel)
            var start = 0
            for size in chunks {
                let range = start..<min(rows, start + size)
                try solver.append(columnMajor: rowsColumnMajor(range), rowCount: range.count, targets: Array(targets[range]))
                start = range.upperBound
            }
            XCTAssertEqual(start, rows)
            try solver.finish()
            return solver.solver
        }
        let whole = try fold([rows])
        let single = try fold([Int](repeating: 1, count: rows))
        var uneven: [Int] = []
        var left = rows
        while left > 0 { let k = min(left, Int(generator.next() % 150) + 1); uneven.append(k); left -= k }
        let random = try fold(uneven)
        for other in [single, random] {
            XCTAssertEqual(other.r.storage.map(\.bitPattern), whole.r.storage.map(\.bitPattern))
            XCTAssertEqual(other.qTransposedTargets.map(\.bitPattern), whole.qTransposedTargets.map(\.bitPattern))
            XCTAssertEqual(other.residualSumOfSquares.bitPattern, whole.residualSumOfSquares.bitPattern)
        }
        // And it is the least-squares solution of all rows (against one direct fold).
        var direct = IncrementalLeastSquares(columns: columns)
        try direct.add(rows: Matrix(rows: rows, columns: columns, columnMajor: rowsColumnMajor(0..<rows)), targets: targets)
        for (a, b) in zip(try whole.solve(), try direct.solve()) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b))) }
    }

    /// Three memory budgets (three block sizes) and two thread counts give one model, byte for byte.
    func testModelBytesDoNotDependOnTheMemoryBudgetOrThreads() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 14, sparse: 40)
        let config = try TrainingConfig.load(path: box.path("config.json"))
        let data = try TrainingData.load(config)
        let trainer = Trainer(config: config)
        let plan = try FitPlan.make(config, data: data, options: FitOptions(threads: 2))
        XCTAssertGreaterThan(plan.observations, 2400)
        // One budget that fits everything, and budgets that leave room for blocks of 600, 400 and
        // 256 rows (two waves of two blocks: 2,400 rows and less, below the data's rows).
        let fixed = plan.phaseBytes[2] - plan.blockBytes(plan.blockRows)
        var blockSizes: [Int] = []
        var models: [String] = []
        for budget in [plan.peakBytes, fixed + plan.blockBytesBound(600), fixed + plan.blockBytesBound(400), fixed + plan.blockBytesBound(256)] {
            let fitted = try plan.fitting(budget: max(budget, plan.phaseBytes.dropLast().max()!), fixedBlockRows: false)
            blockSizes.append(fitted.blockRows)
            for threads in [1, 2] {
                let result = try trainer.fit(data, options: FitOptions(threads: threads, blockRows: fitted.blockRows))
                models.append(trainer.modelFile(for: result, data: data).encoded())
            }
        }
        XCTAssertEqual(Set(blockSizes).count, 4, "the budgets give different block sizes: \(blockSizes)")
        XCTAssertEqual(Set(models).count, 1, "one model whatever the budget and threads (block sizes \(blockSizes))")
    }

    /// The same through gap-train: --block-rows and --threads do not change the file, and a run
    /// killed mid-fit resumes with another block size to the same bytes.
    func testGapTrainBytesAndResumeAcrossBlockSizes() throws {
        let box = try Sandbox()
        try box.makeTrainingSet(frames: 12, sparse: 40)
        try box.trainModel(["--output", "reference.gapjson"])
        let reference = try XCTUnwrap(box.bytes("reference.gapjson"))
        for (rows, threads) in [("150", "1"), ("700", "2"), ("100000", "2")] {
            let result = try box.run("gap-train", ["config.json", "--quiet", "--no-checkpoint", "--block-rows", rows, "--threads", threads, "--output", "m.gapjson"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(box.bytes("m.gapjson"), reference, "--block-rows \(rows) --threads \(threads)")
        }
        // Interrupted (SIGINT: a clean stop with a checkpoint) with blocks of 150 rows, resumed with 900.
        let (process, _) = try box.start("gap-train", ["config.json", "--quiet", "--block-rows", "150", "--threads", "1", "--checkpoint-interval", "0"])
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline {
            if let text = box.bytes("model.gapjson.checkpoint").map({ String(decoding: $0.prefix(300), as: UTF8.self) }),
               let range = text.range(of: "\"frames_done\":"), let done = Int(text[range.upperBound...].prefix { $0.isNumber }), done >= 3 { break }
            usleep(2000)
        }
        XCTAssertTrue(process.isRunning, "the fit ended before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        let resumed = try box.run("gap-train", ["config.json", "--resume", "--block-rows", "900", "--threads", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(box.bytes("model.gapjson"), reference)
    }
}
