import Foundation
import ModelFiles
import Support
import XCTest

/// Reading a model file never parses a part of it as if it were the whole.
final class ModelFileReadingTests: XCTestCase {
    /// A path that opens but cannot be read (a directory: read(2) fails with EISDIR) is a read
    /// error naming the file, not an empty or truncated document handed to the parser.
    func testUnreadableModelFileIsAReadError() throws {
        let directory = NSTemporaryDirectory() + "swiftgap-model-dir-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertThrowsError(try ModelFile.load(path: directory)) { error in
            guard let e = error as? InputError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.file, directory)
            XCTAssertTrue(e.message.contains("cannot read the model file"), "\(e)")
        }
    }
}
