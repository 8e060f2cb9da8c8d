import Configuration
import XCTest

final class HintTests: XCTestCase {
    func testEditDistanceAndHints() {
        XCTAssertEqual(editDistance("n_sprase", "n_sparse"), 1)  // a transposition is one edit
        XCTAssertEqual(editDistance("sede", "seed"), 1)
        XCTAssertEqual(editDistance("ca", "abc"), 3)  // optimal string alignment: no edits of a transposed pair
        XCTAssertEqual(editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(editDistance("", "abc"), 3)
        XCTAssertEqual(editDistance("Cutoff", "cutoff"), 0)
        XCTAssertEqual(closestMatch(to: "n_sprase", among: ["n_max", "n_sparse", "l_max"]), "n_sparse")
        XCTAssertEqual(closestMatch(to: "cutof", among: ["cutoff", "cutoff_transition_width"]), "cutoff")
        XCTAssertNil(closestMatch(to: "banana", among: ["n_max", "cutoff"]))
    }
}
