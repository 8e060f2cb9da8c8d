// TestSupport: what every test target shares (see Package.swift). Not part of any product.
import Foundation
import Support
import XCTest

/// The package's root directory, found from this file's path (Tests/TestSupport/TestSupport.swift).
public let packageRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// The shared reference data next to the repository (`../shared`: datasets, reference values);
/// tests that need it skip when it is absent.
public let sharedRoot: String = packageRoot + "/../shared"

/// The datasets tests read: the one shipped in `datasets/` and those in ``sharedRoot``.
public enum Datasets {
    /// The shipped Zuo et al. silicon training set.
    public static let shippedSilicon = packageRoot + "/datasets/si_zuo2020/Si_train.xyz"

    /// The 24 GAP-18 files (sorted), or a skip if the shared datasets are absent.
    public static func gap18Files() throws -> [String] {
        let directory = URL(fileURLWithPath: sharedRoot + "/datasets/si_gap18_bartok2018").standardized
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let files = names.filter { $0.hasSuffix(".xyz") }.sorted().map { directory.appendingPathComponent($0).path }
        guard files.count == 24 else {
            throw XCTSkip("the shared GAP-18 dataset is not at \(directory.path) (expected 24 .xyz files, found \(files.count))")
        }
        return files
    }

    /// The 53-frame Si_tiny subset of GAP-18, or a skip if the shared datasets are absent.
    public static func tinySilicon() throws -> String {
        let path = sharedRoot + "/datasets/si_gap18_tiny/Si_tiny.xyz"
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("../shared/datasets/si_gap18_tiny/Si_tiny.xyz is absent (it is present in CI)")
        }
        return path
    }
}

/// A new, empty scratch directory named after `prefix`; the caller removes it.
public func makeScratchDirectory(_ prefix: String = "swiftgap-tests") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A product of this package built next to the test bundle (`swift test` builds every product
/// first), or in `.build/debug`.
public func builtExecutable(_ name: String) throws -> URL {
    let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let candidates = [
        me.deletingLastPathComponent().appendingPathComponent(name),
        URL(fileURLWithPath: packageRoot + "/.build/debug/" + name),
    ]
    return try XCTUnwrap(
        candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
        "\(name) was not built next to the tests; run `swift build` first")
}

/// Runs a program to its end, capturing stdout and stderr through files (pipes could fill and
/// block), optionally in `directory` with extra environment variables.
public func runProcess(
    _ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
) throws -> (status: Int32, stdout: String, stderr: String) {
    let scratch = FileManager.default.temporaryDirectory
    let outURL = scratch.appendingPathComponent("out-\(UUID().uuidString)")
    let errURL = scratch.appendingPathComponent("err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return (process.terminationStatus, try String(contentsOf: outURL, encoding: .utf8), try String(contentsOf: errURL, encoding: .utf8))
}

/// As ``runProcess(_:_:in:environment:)`` for a program given by path.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProcess(URL(fileURLWithPath: executable), arguments)
}

/// Runs a built product of this package (see ``builtExecutable(_:)``).
public func runTool(
    _ name: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProcess(builtExecutable(name), arguments, in: directory, environment: environment)
}

extension SplitMix64 {
    /// A uniform double in [0, 1): the top 53 bits of an output.
    public mutating func unitInterval() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A uniform double in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unitInterval()
    }

    /// `count` bytes, the low byte of each output.
    public mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }

    /// A uniform double in [−1, 1): the top 53 bits of an output.
    public mutating func symmetricUnit() -> Double { Double(next() >> 11) / Double(1 << 53) * 2 - 1 }
}
