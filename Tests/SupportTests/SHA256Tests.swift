import XCTest
@testable import Support

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 test vectors (including the two-block padding case) and a multi-block message
    /// checked against Python's hashlib.
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(of: Array("".utf8)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let bytes = (0..<3).flatMap { _ in (0..<256).map { UInt8($0) } }
        XCTAssertEqual(SHA256.hex(of: bytes), "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363")
        // Streaming in uneven pieces gives the same digest.
        var hasher = SHA256()
        hasher.update(bytes[0..<37])
        hasher.update(bytes[37..<101])
        hasher.update(bytes[101...])
        XCTAssertEqual(hasher.finalize(), "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363")
    }
}
