import Foundation
import TestSupport
import XCTest

/// A scratch directory with a small training set and config, and helpers to run the tools in it
/// as a careless or hostile user would.
final class Sandbox {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftgap-adversarial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit {
        // Directories made read-only by a test must be writable again to be removed.
        if let items = FileManager.default.enumerator(atPath: root.path) {
            for case let item as String in items { chmod(root.appendingPathComponent(item).path, 0o755) }
        }
        try? FileManager.default.removeItem(at: root)
    }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    func write(_ text: String, to name: String) throws {
        try text.write(toFile: path(name), atomically: false, encoding: .utf8)
    }

    func bytes(_ name: String) -> Data? { FileManager.default.contents(atPath: path(name)) }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    /// The first `frames` frames of the shipped Zuo et al. data as `train.xyz`, and `config.json`
    /// fitting them (a small SOAP and a 2-body term; output `model.gapjson`).
    func makeTrainingSet(frames: Int = 8, sparse: Int = 30, extraConfig: String = "") throws {
        let all = try String(contentsOfFile: packageRoot + "/datasets/si_zuo2020/Si_train.xyz", encoding: .utf8)
        var lines = all.split(separator: "\n", omittingEmptySubsequences: false)[...]
        var kept: [Substring] = []
        for _ in 0..<frames {
            let n = Int(lines.first!)!
            kept += lines.prefix(n + 2)
            lines = lines.dropFirst(n + 2)
        }
        try write(kept.joined(separator: "\n") + "\n", to: "train.xyz")
        try write(
            """
            {"train_files": ["train.xyz"], "e0": "average",
             "descriptors": [{"type": "soap", "cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 3, "l_max": 2,
                              "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": \(sparse), "sparse_method": "cur"},
                             {"type": "distance_2b", "cutoff": 4.5, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
                              "delta": 0.5, "n_sparse": 8, "sparse_method": "uniform"}],
             "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05}, "output": "model.gapjson"\(extraConfig)}
            """, to: "config.json")
    }

    /// Starts `tool` with `arguments` in the sandbox (the working directory), stderr to a file.
    func start(_ tool: String, _ arguments: [String]) throws -> (Process, URL) {
        let process = Process()
        process.executableURL = try builtExecutable(tool)
        process.arguments = arguments
        process.currentDirectoryURL = root
        let stderr = root.appendingPathComponent(".stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return (process, stderr)
    }

    /// Runs `tool` to the end: exit status and stderr.
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let (process, stderr) = try start(tool, arguments)
        process.waitUntilExit()
        let text = try String(contentsOf: stderr, encoding: .utf8)
        try? FileManager.default.removeItem(at: stderr)
        return (process.terminationStatus, text)
    }

    /// A trained model, `model.gapjson` (fits `config.json` once).
    func trainModel(_ extra: [String] = []) throws {
        let result = try run("gap-train", ["config.json", "--quiet", "--no-checkpoint", "--threads", "2"] + extra)
        XCTAssertEqual(result.status, 0, result.stderr)
    }
}
