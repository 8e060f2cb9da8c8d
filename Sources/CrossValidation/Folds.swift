import AtomicStructures
import NeighbourLists
import Selection
import Support
import Training

/// An assignment of frames to K cross-validation folds: split by frame, stratified by config
/// type, seeded, deterministic.
///
/// Frames that must always be trained on (isolated atoms, which fix e0 "isolated") get no fold;
/// every other frame is in exactly one test fold. Within each config type (frames without one
/// form their own group, "(none)"), frames are shuffled with ``Xoshiro256StarStar`` seeded by
/// `seed` and dealt to the folds in turn; each group starts dealing where the previous one
/// stopped, so fold sizes differ by at most one frame overall and by at most one frame of each
/// config type.
public struct FoldAssignment: Hashable, Sendable {
    /// The number of folds K.
    public let foldCount: Int
    /// The fold (0-based) whose test set holds each frame, or nil for a frame always trained on.
    package let foldOfFrame: [Int?]

    /// Deals `frames` into `foldCount` folds, never testing the frames in `alwaysTrain`.
    ///
    /// - Throws: ``InputError`` (field `--folds`) if K < 2 or there are fewer testable frames than folds.
    public init(frames: [TrainingFrame], foldCount: Int, seed: UInt64, alwaysTrain: Set<Int>) throws {
        let testable = frames.indices.filter { !alwaysTrain.contains($0) }
        guard foldCount >= 2 else {
            throw InputError(file: "<command line>", field: "--folds", message: "cross-validation needs at least 2 folds, got \(foldCount)")
        }
        guard testable.count >= foldCount else {
            throw InputError(
                file: "<command line>", field: "--folds",
                message: "\(foldCount) folds need at least \(foldCount) frames that can be tested, and the data has \(testable.count)")
        }
        var groups: [String: [Int]] = [:]
        var order: [String] = []
        for f in testable {
            let key = ConfigTypeKey.of(frames[f])
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(f)
        }
        var rng = Xoshiro256StarStar(seed: seed)
        var fold = [Int?](repeating: nil, count: frames.count)
        var next = 0
        for key in order {
            let shuffled = FoldAssignment.shuffled(groups[key]!, using: &rng)
            for f in shuffled {
                fold[f] = next
                next = (next + 1) % foldCount
            }
        }
        self.foldCount = foldCount
        self.foldOfFrame = fold
    }

    /// The frames tested in fold `k`, ascending.
    public func testFrames(_ k: Int) -> [Int] {
        foldOfFrame.indices.filter { foldOfFrame[$0] == k }
    }

    /// The frames trained on in fold `k` (every frame not in its test set), ascending.
    public func trainingFrames(_ k: Int) -> [Int] {
        foldOfFrame.indices.filter { foldOfFrame[$0] != k }
    }

    /// Frames never tested, ascending.
    public var alwaysTrainedFrames: [Int] {
        foldOfFrame.indices.filter { foldOfFrame[$0] == nil }
    }

    /// A Fisher–Yates shuffle driven by `rng` (spelled out so that it never changes).
    static func shuffled(_ items: [Int], using rng: inout Xoshiro256StarStar) -> [Int] {
        var a = items
        guard a.count > 1 else { return a }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = rng.nextInt(below: i + 1)
            a.swapAt(i, j)
        }
        return a
    }

    /// Frames holding one atom with no neighbour (periodic images included) within
    /// `cutoffRadius`: the isolated atoms that e0 "isolated" reads, kept in every training set.
    public static func isolatedAtoms(in frames: [TrainingFrame], cutoffRadius: Double) throws -> Set<Int> {
        var result = Set<Int>()
        for (f, frame) in frames.enumerated() where frame.atomCount == 1 {
            if try NeighbourList(frame.structure, cutoffRadius: cutoffRadius).pairCount == 0 { result.insert(f) }
        }
        return result
    }
}

/// The name under which a frame's config type is reported.
public enum ConfigTypeKey {
    /// The group of frames without a config type.
    public static let none = "(none)"

    /// The frame's config type, or ``none``.
    public static func of(_ frame: TrainingFrame) -> String { frame.configType ?? none }
}
