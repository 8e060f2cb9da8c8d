import TestSupport
import XCTest
@testable import Support

final class CRC32Tests: XCTestCase {
    /// The bit-at-a-time definition, as a reference for the table-driven code.
    func referenceCRC(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    func testKnownValues() {
        XCTAssertEqual(CRC32.checksum([]), 0)
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)  // the standard check value
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
    }

    func testMatchesBitwiseDefinitionForEveryLengthAndAlignment() {
        var random = SplitMix64(seed: 7)
        let data = random.bytes(300)
        for start in 0..<9 {
            for length in 0...(data.count - start) where length < 80 || length % 37 == 0 {
                let slice = Array(data[start ..< start + length])
                var crc = CRC32()
                data.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[start ..< start + length])) }
                XCTAssertEqual(crc.value, referenceCRC(slice), "start \(start) length \(length)")
            }
        }
    }

    func testIncrementalUpdatesEqualOneShot() {
        var random = SplitMix64(seed: 11)
        let data = random.bytes(10_000)
        var crc = CRC32()
        var offset = 0
        for size in [1, 7, 8, 9, 1000, 3, 4096] {
            crc.update(Array(data[offset ..< offset + size]))
            offset += size
        }
        crc.update(Array(data[offset...]))
        XCTAssertEqual(crc.value, referenceCRC(data))
    }

    /// The carry-less-multiplication fold (where the CPU has it) and the tables, at every length
    /// from 0 to 300 and some long ones, odd alignments, after a prefix (the fold continues a
    /// running register), against the bitwise definition.
    func testFoldAndTablesMatchTheDefinition() throws {
        var random = SplitMix64(seed: 17)
        let data = random.bytes(70_000)
        let lengths = Array(0...300) + [1023, 1024, 4097, 65_536, 69_000]
        let ways = CRC32.foldAvailable ? [false, true] : [false]
        for start in [0, 1, 5] {
            for length in lengths where start + length <= data.count {
                let expected = referenceCRC(Array(data[0 ..< start + length]))
                for folding in ways {
                    var crc = CRC32()
                    crc.update(Array(data[0 ..< start]))
                    data.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[start ..< start + length]), folding: folding) }
                    XCTAssertEqual(crc.value, expected, "folding \(folding) start \(start) length \(length)")
                }
            }
        }
        #if arch(x86_64) && os(Linux)
        // The machines this runs on (CI included) have PCLMULQDQ: the fold must be in use.
        XCTAssertTrue(CRC32.foldAvailable)
        #endif
    }

    func testLongBuffersTakeTheFourLanePathAndMatchTheDefinition() {
        // Lengths around the lane threshold and around multiples of 4 · 8 (the lanes' split),
        // at odd alignments and after a prefix (the lanes continue a running checksum).
        var random = SplitMix64(seed: 5)
        let threshold = CRC32.laneThreshold
        let data = random.bytes(4 * threshold + 100)
        for length in [threshold - 1, threshold, threshold + 1, threshold + 7, threshold + 31, threshold + 33, 4 * threshold + 63] {
            for start in [0, 3] {
                var crc = CRC32()
                crc.update(Array(data[0 ..< start]))
                data.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[start ..< start + length]), folding: false) }
                XCTAssertEqual(crc.value, referenceCRC(Array(data[0 ..< start + length])), "start \(start) length \(length)")
            }
        }
    }

    func testCombineEqualsChecksumOfConcatenation() {
        var random = SplitMix64(seed: 3)
        for (a, b) in [(0, 0), (0, 5), (5, 0), (1, 1), (13, 64), (128, 1_000_003), (1000, 65_536)] {
            let first = random.bytes(a), second = random.bytes(b)
            XCTAssertEqual(
                CRC32.combine(CRC32.checksum(first), CRC32.checksum(second), secondLength: b),
                CRC32.checksum(first + second), "lengths \(a) + \(b)")
        }
    }

    func testAppendingAChecksumEqualsUpdatingWithTheBytes() {
        var random = SplitMix64(seed: 13)
        let a = random.bytes(1000), b = random.bytes(70_000)
        var joined = CRC32()
        joined.update(a)
        b.withUnsafeBytes { joined.append(checksum: CRC32.checksum($0), length: b.count) }
        XCTAssertEqual(joined.value, referenceCRC(a + b))
    }

    func testCombineWithLengthsBeyondFourGigabytes() {
        // A run of zero bytes extends a CRC like the combine's shift; check the shift for a
        // 5 GiB second part against squaring: shifting by n bytes twice equals shifting by 2n.
        let n = 5 << 30
        let a: UInt32 = 0x1234_5678
        let twice = CRC32.combine(CRC32.combine(a, 0, secondLength: n), 0, secondLength: n)
        XCTAssertEqual(twice, CRC32.combine(a, 0, secondLength: 2 * n))
        // And with real zero bytes for a length the test can afford.
        let zeros = [UInt8](repeating: 0, count: 100_000)
        var crc = CRC32()
        crc.update([1, 2, 3])
        let prefix = crc.value
        crc.update(zeros)
        XCTAssertEqual(CRC32.combine(prefix, CRC32.checksum(zeros), secondLength: zeros.count), crc.value)
    }
}

private extension SplitMix64 {
    /// `count` bytes, the low byte of each 64-bit output.
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}
