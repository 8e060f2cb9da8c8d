import Support
import XCTest

final class TextFormattingTests: XCTestCase {
    func testNumberFormatting() {
        XCTAssertEqual(formatSignificant(0), "0")
        XCTAssertEqual(formatSignificant(0.5), "0.5")
        XCTAssertEqual(formatSignificant(-5.1299975893925875e-06), "-5.13e-6")
        XCTAssertEqual(formatSignificant(2.0000000001), "2")
        XCTAssertEqual(formatSignificant(-23805.43840308), "-23805.4")
        XCTAssertEqual(formatSignificant(9.9999996), "10")
        XCTAssertEqual(formatSignificant(0.22912878474779197), "0.229129")
        XCTAssertEqual(formatSignificant(1.5e12), "1.5e12")
        XCTAssertEqual(formatSignificant(9.9999999e-7), "1e-6")
        XCTAssertEqual(formatSignificant(.nan), "nan")
    }

    func testDurationsAndBytesReadWell() {
        XCTAssertEqual(formatDuration(4.31), "4.3 s")
        XCTAssertEqual(formatDuration(75), "1 min 15 s")
        XCTAssertEqual(formatDuration(3725), "1 h 02 min")
        XCTAssertEqual(formatBytes(1_500_000_000), "1.5 GB")
        XCTAssertEqual(formatBytes(340_000_000), "340 MB")
    }

    func testFixedAndPadded() {
        XCTAssertEqual(formatFixed(0.12345, 4), "0.1235")
        XCTAssertEqual(formatFixed(-2.5, 0), "-3")
        XCTAssertEqual(formatFixed(-0.00001, 2), "0.00")
        XCTAssertEqual("7".leftPadded(3), "  7")
        XCTAssertEqual("A".leftPadded(2, with: "0"), "0A")
        XCTAssertEqual("long".leftPadded(2), "long")
    }
}
