import AtomicStructures
import Configuration
import XCTest
@testable import CrossValidation
@testable import Training

final class FoldAssignmentTests: XCTestCase {
    /// Every testable frame is in exactly one test fold, isolated atoms in none; training and
    /// test sets of a fold are disjoint and cover the data; config types are spread evenly.
    func testFoldsAreDisjointCompleteAndStratified() throws {
        let config = try tinyConfig()
        let data = try TrainingData.load(config)
        let isolated = try FoldAssignment.isolatedAtoms(in: data.frames, cutoffRadius: 4.5)
        XCTAssertEqual(isolated, [0], "Si_tiny's first frame is the isolated atom")
        for k in [2, 3, 5, 7] {
            let folds = try FoldAssignment(frames: data.frames, foldCount: k, seed: 11, alwaysTrain: isolated)
            var seen = [Int](repeating: 0, count: data.frames.count)
            for fold in 0..<k {
                let test = folds.testFrames(fold), train = folds.trainingFrames(fold)
                XCTAssertTrue(Set(test).isDisjoint(with: train))
                XCTAssertEqual(Set(test).union(train), Set(data.frames.indices))
                XCTAssertTrue(train.contains(0), "the isolated atom is trained on in every fold")
                for f in test { seen[f] += 1 }
            }
            XCTAssertEqual(seen[0], 0)
            XCTAssertEqual(Array(seen.dropFirst()), [Int](repeating: 1, count: data.frames.count - 1))
            XCTAssertEqual(folds.alwaysTrainedFrames, [0])
            // Per config type and overall, fold sizes differ by at most one.
            var types = Set(data.frames.map(ConfigTypeKey.of))
            types.remove("isolated_atom")
            for type in types {
                let sizes = (0..<k).map { fold in folds.testFrames(fold).filter { ConfigTypeKey.of(data.frames[$0]) == type }.count }
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(type) with \(k) folds: \(sizes)")
            }
            let sizes = (0..<k).map { folds.testFrames($0).count }
            XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
        }
    }

    /// The assignment depends on the seed only (same seed, same folds; another seed, others).
    func testFoldsAreSeeded() throws {
        let data = try TrainingData.load(try tinyConfig())
        let a = try FoldAssignment(frames: data.frames, foldCount: 5, seed: 3, alwaysTrain: [0])
        let b = try FoldAssignment(frames: data.frames, foldCount: 5, seed: 3, alwaysTrain: [0])
        let c = try FoldAssignment(frames: data.frames, foldCount: 5, seed: 4, alwaysTrain: [0])
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    /// Frames without a config type form one group; too many folds is an input error.
    func testFramesWithoutConfigTypeAndTooManyFolds() throws {
        var data = try TrainingData.load(try tinyConfig())
        for i in data.frames.indices { data.frames[i].configType = nil }
        let folds = try FoldAssignment(frames: data.frames, foldCount: 4, seed: 1, alwaysTrain: [0])
        XCTAssertEqual((0..<4).map { folds.testFrames($0).count }.reduce(0, +), data.frames.count - 1)
        XCTAssertThrowsError(try FoldAssignment(frames: Array(data.frames.prefix(4)), foldCount: 4, seed: 1, alwaysTrain: [0])) { error in
            XCTAssertTrue("\(error)".contains("at least 4 frames that can be tested"), "\(error)")
        }
        XCTAssertThrowsError(try FoldAssignment(frames: data.frames, foldCount: 1, seed: 1, alwaysTrain: []))
    }
}
