import Support
import XCTest

final class MD5Tests: XCTestCase {
    func testMD5() {
        // RFC 1321 test suite.
        XCTAssertEqual(MD5.hex([]), "d41d8cd98f00b204e9800998ecf8427e")
        XCTAssertEqual(MD5.hex(Array("abc".utf8)), "900150983cd24fb0d6963f7d28e17f72")
        XCTAssertEqual(MD5.hex(Array("message digest".utf8)), "f96b697d7cb7938d525a2f31aaf161d0")
        XCTAssertEqual(
            MD5.hex(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8)),
            "57edf4a22be3c955ac49da2e2107b67a")
    }
}
