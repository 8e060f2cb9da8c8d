import Foundation
import XCTest
@testable import Support

final class FileReadingTests: XCTestCase {
    private var scratch: String { NSTemporaryDirectory() + "swiftgap-read-\(getpid())" }

    override func setUpWithError() throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// Empty, small and multi-buffer files come back byte for byte.
    func testReadsWholeFiles() throws {
        for size in [0, 1, 65_535, 65_536, 65_537, 300_001] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let path = scratch + "/f\(size)"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            XCTAssertEqual(try readFile(path), bytes, "size \(size)")
        }
    }

    /// Files whose size is not known in advance (procfs reports 0) are read to their end.
    func testReadsFilesWithoutAKnownSize() throws {
        let text = String(decoding: try readFile("/proc/self/status"), as: UTF8.self)
        XCTAssertTrue(text.contains("Pid:"), text)
    }

    func testMissingFileAndDirectoryAreErrors() {
        XCTAssertThrowsError(try readFile(scratch + "/missing", what: "config file")) { error in
            XCTAssertTrue("\(error)".contains("cannot open the config file: No such file"), "\(error)")
        }
        XCTAssertThrowsError(try readFile(scratch, what: "model file")) { error in
            XCTAssertEqual((error as? InputError)?.file, self.scratch)
            XCTAssertTrue("\(error)".contains("cannot read the model file: it is a directory"), "\(error)")
        }
    }

    /// A file larger than the caller's limit is refused by its size, before anything is read.
    func testFileAboveTheLimitIsRefusedBeforeReading() throws {
        let path = scratch + "/large"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 4096)))
        XCTAssertEqual(try readFile(path, maximumBytes: 4096).count, 4096)
        XCTAssertThrowsError(try readFile(path, what: "model file", maximumBytes: 4095)) { error in
            XCTAssertEqual((error as? InputError)?.file, path)
            XCTAssertTrue("\(error)".contains("the model file is 4 kB, more than the 4 kB"), "\(error)")
        }
    }

    /// Fewer bytes than the file held when opened (it shrank while being read) is an error, not
    /// a short result: a pipe delivers 10 bytes where 20 were expected.
    func testShortReadIsAnError() throws {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        defer { close(ends[0]) }
        let payload = [UInt8](repeating: 65, count: 10)
        XCTAssertEqual(payload.withUnsafeBytes { write(ends[1], $0.baseAddress, 10) }, 10)
        close(ends[1])
        XCTAssertThrowsError(try readAll(ends[0], expectedCount: 20, path: "p", what: "model file")) { error in
            XCTAssertTrue("\(error)".contains("got 10 of its 20 bytes"), "\(error)")
        }
    }
}
