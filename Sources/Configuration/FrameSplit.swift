import AtomicStructures
import JSON
import Support

/// A train/test split file such as `datasets/splits/si_gap18_80_20.json`:
///
/// ```json
/// {"frames": [["datasets/si_gap18_bartok2018/dia.xyz", 0], ...],   // [file, 0-based frame]
///  "train": [0, 1, ...], "test": [6, 7, ...]}                       // indices into frames
/// ```
///
/// Other keys (description, seed, counts) are ignored. Frame files are resolved against the
/// split file's directory and then each of its ancestors, taking the first that exists, so that
/// a split stored in `shared/datasets/splits/` may name files relative to `shared/`.
public struct FrameSplit: Hashable, Sendable {
    /// Each frame: resolved file path and 0-based frame index.
    public var frames: [(path: String, index: Int)] { zip(framePaths, frameIndices).map { ($0, $1) } }
    /// The resolved file of each frame.
    package var framePaths: [String]
    /// The 0-based index of each frame within its file.
    package var frameIndices: [Int]
    /// The parts (`train`, `test`): indices into the frame list.
    public var parts: [String: [Int]]
    /// The split file's name, for messages.
    public var sourceName: String

    /// Reads and validates a split file.
    public static func load(path: String) throws -> FrameSplit {
        try parse(bytes: readFile(path, what: "split file"), name: path, baseDirectory: TrainingConfig.directoryName(of: path))
    }

    /// Parses a split from memory; frame files are resolved against `baseDirectory` and its ancestors.
    public static func parse(bytes: [UInt8], name: String, baseDirectory: String) throws -> FrameSplit {
        let root = try JSONParser.parse(bytes, fileName: name)
        let context = DecodingContext(fileName: name)
        guard case .object(let object) = root.kind else {
            throw context.error(.root, root, "expected a split object with \"frames\", \"train\" and \"test\", found \(root.kindDescription)")
        }
        guard let framesValue = object["frames"] else {
            throw context.error(.root, root, "missing required key \"frames\" (a list of [file, frame index] pairs)")
        }
        let framesPath = JSONPath.root.key("frames")
        let list = try context.array(framesValue, path: framesPath, of: "[file, frame index] pairs")
        var paths: [String] = []
        var indices: [Int] = []
        var resolvedCache: [String: String] = [:]
        for (i, entry) in list.enumerated() {
            let p = framesPath.element(i)
            let pair = try context.array(entry, path: p, of: "a file and a frame index")
            guard pair.count == 2 else { throw context.error(p, entry, "expected [file, frame index], found \(pair.count) elements") }
            let file = try context.string(pair[0], path: p.element(0))
            let frame = try context.integer(pair[1], path: p.element(1))
            guard frame >= 0 else { throw context.error(p.element(1), pair[1], "frame indices are 0-based and must be ≥ 0, found \(frame)") }
            if resolvedCache[file] == nil { resolvedCache[file] = resolveAgainstAncestors(file, base: baseDirectory) }
            paths.append(resolvedCache[file]!)
            indices.append(frame)
        }
        var parts: [String: [Int]] = [:]
        for part in ["train", "test"] {
            guard let v = object[part] else { continue }
            let partPath = JSONPath.root.key(part)
            let elements = try context.array(v, path: partPath, of: "frame numbers")
            var seen = Set<Int>()
            var numbers: [Int] = []
            for (i, e) in elements.enumerated() {
                let k = try context.integer(e, path: partPath.element(i))
                guard k >= 0, k < list.count else {
                    throw context.error(partPath.element(i), e, "\(k) is not an index into frames (0 ..< \(list.count))")
                }
                guard seen.insert(k).inserted else { throw context.error(partPath.element(i), e, "frame \(k) is listed twice") }
                numbers.append(k)
            }
            parts[part] = numbers
        }
        return FrameSplit(framePaths: paths, frameIndices: indices, parts: parts, sourceName: name)
    }

    /// The frames of `part`, grouped by file in order of first appearance.
    public func frames(part: String) throws -> [FrameSource] {
        guard let numbers = parts[part] else {
            throw InputError(file: sourceName, field: part, message: "the split has no \"\(part)\" list")
        }
        var order: [String] = []
        var byFile: [String: [Int]] = [:]
        for k in numbers {
            let path = framePaths[k]
            if byFile[path] == nil { order.append(path); byFile[path] = [] }
            byFile[path]!.append(frameIndices[k])
        }
        return order.map { FrameSource(path: $0, frames: byFile[$0]) }
    }

    /// `file` joined to `base`, or to the nearest ancestor of `base` (up to 8 levels) under which
    /// it exists; `base`-relative if none.
    static func resolveAgainstAncestors(_ file: String, base: String) -> String {
        if file.hasPrefix("/") { return file }
        var directory = base
        for _ in 0...8 {
            let candidate = TrainingConfig.join(directory, file)
            if isReadableFile(candidate) { return candidate }
            directory = directory.isEmpty || directory == "." ? ".." : directory + "/.."
        }
        return TrainingConfig.join(base, file)
    }
}
