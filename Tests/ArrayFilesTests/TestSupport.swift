import Foundation
import Support
import TestSupport
import XCTest

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

/// Little-endian bytes of doubles, as hex (what NumPy's `tobytes().hex()` prints).
func hexBytes(_ values: [Double]) -> String {
    values.map { v in (0..<8).map { String(format: "%02x", (v.bitPattern >> (8 * UInt64($0))) & 0xFF) }.joined() }.joined()
}

func hexBytes(_ values: [Int64]) -> String {
    hexBytes(values.map { Double(bitPattern: UInt64(bitPattern: $0)) })
}

