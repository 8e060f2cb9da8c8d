import Configuration
import Descriptors
import Foundation
import XCTest

/// docs/config.md's `soap` table is the key table of the code (``SOAPTermConfig/keys``), row for
/// row: names, types, defaults and meanings cannot drift apart.
final class DocumentationTableTests: XCTestCase {
    func testSOAPTableIsGeneratedFromTheKeyTable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/config.md"), encoding: .utf8)
        let section = try XCTUnwrap(docs.range(of: "### `soap` terms\n\n"))
        let rest = docs[section.upperBound...]
        let table = String(rest[..<(rest.range(of: "\n\n")?.lowerBound ?? rest.endIndex)])
        XCTAssertEqual(table, SOAPTermConfig.documentationTable, "replace the soap table of docs/config.md by:\n\(SOAPTermConfig.documentationTable)")
    }

    /// The decoder's defaults are the table's.
    func testDefaultsComeFromTheTable() throws {
        let config = try TrainingConfig.parseSOAPDescriptor(
            bytes: Array(#"{"type": "soap", "cutoff": 5, "n_max": 4, "l_max": 3, "atom_sigma": 0.5, "delta": 1, "n_sparse": 10}"#.utf8),
            name: "t.json")
        XCTAssertEqual(config.cutoffTransitionWidth, SOAPKeys.defaultTransitionWidth)
        XCTAssertEqual(config.centralWeight, SOAPKeys.defaultCentralWeight)
        XCTAssertEqual(config.normalise, SOAPKeys.defaultNormalise)
        XCTAssertEqual(SOAPHyperparameters(cutoffRadius: 5, nMax: 2, lMax: 1, atomSigma: 0.5, neighbourSpecies: [14], centreSpecies: [14]).cutoffTransitionWidth, 0.5)
    }
}
