import Support
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Paths used by the tests, found relative to this source file (no resource bundle needed).
enum TestPaths {
    /// The package root.
    static let packageRoot = TestSupport.packageRoot

    /// This test target's fixtures directory.
    static let fixtures = packageRoot + "/Tests/AtomicStructuresTests/Fixtures"

    /// `../shared` next to the package, or an XCTSkip if it is absent (it is present in CI).
    static func shared() throws -> String {
        let path = packageRoot + "/../shared"
        guard access(path + "/datasets", F_OK) == 0 else {
            throw XCTSkip("../shared/datasets not found next to the package (\(path)); dataset tests need it")
        }
        return path
    }

    /// The 24 GAP-18 files, sorted by name.
    static func gap18Files() throws -> [String] {
        let directory = try shared() + "/datasets/si_gap18_bartok2018"
        return try listDirectory(directory).filter { $0.hasSuffix(".xyz") }.sorted().map { directory + "/" + $0 }
    }

    /// Names of the entries of a directory (without . and ..).
    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw XCTSkip("cannot list \(path)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory() -> String {
        var template = Array("/tmp/swiftgap-test-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: path!)
    }
}

extension XCTestCase {
    /// A fresh temporary directory, removed with its contents when the test ends.
    func makeTemporaryDirectory() -> String {
        let path = TestPaths.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}

/// Reads a whole file as bytes.
func readBytes(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw XCTSkip("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return bytes
}

/// Writes bytes to a file (test setup only; the code under test uses writeFileAtomically).
func writeBytes(_ bytes: [UInt8], to path: String) {
    let file = fopen(path, "wb")!
    _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
}
