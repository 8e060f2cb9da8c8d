import Foundation
import Support
import XCTest

/// A fresh scratch directory per test.
func makeScratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("arrayfiles-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `python3 -c script args...` and returns stdout; skips the test if python3 with numpy is
/// not installed (CI installs ase, which brings numpy).
func runPython(_ script: String, _ arguments: [String] = []) throws -> String {
    try requireNumPy()
    let (status, out, err) = try runProcess("/usr/bin/env", ["python3", "-c", script] + arguments)
    XCTAssertEqual(status, 0, "python failed: \(err)")
    return out
}

func requireNumPy() throws {
    if numPyAvailable == nil {
        numPyAvailable = (try? runProcess("/usr/bin/env", ["python3", "-c", "import numpy"]).status) == 0
    }
    if numPyAvailable != true {
        throw XCTSkip("python3 with numpy is not installed (CI gets it with `pip install ase`); NumPy interoperability not checked")
    }
}

nonisolated(unsafe) private var numPyAvailable: Bool?

/// Runs a program, capturing stdout and stderr through files (pipes could block).
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let directory = FileManager.default.temporaryDirectory
    let outURL = directory.appendingPathComponent("out-\(UUID().uuidString)")
    let errURL = directory.appendingPathComponent("err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
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

/// Little-endian bytes of doubles, as hex (what NumPy's `tobytes().hex()` prints).
func hexBytes(_ values: [Double]) -> String {
    values.map { v in (0..<8).map { String(format: "%02x", (v.bitPattern >> (8 * UInt64($0))) & 0xFF) }.joined() }.joined()
}

func hexBytes(_ values: [Int64]) -> String {
    hexBytes(values.map { Double(bitPattern: UInt64(bitPattern: $0)) })
}

/// Deterministic pseudo-random numbers (SplitMix64).
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    mutating func double() -> Double { Double(next() >> 11) / Double(1 << 53) * 2 - 1 }
}
