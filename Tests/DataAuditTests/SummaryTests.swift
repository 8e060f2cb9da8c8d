import AtomicStructures
import OrderedCollections
import Support
import XCTest
@testable import DataAudit

final class SummaryTests: XCTestCase {
    func testCountsPerFileAndTotal() throws {
        var summary = DatasetSummary()
        summary.beginFile("empty.xyz")
        var f0 = frame(positions: square, energy: -20, forces: balanced, configType: "dia", file: "a.xyz", index: 0)
        f0.info["dft_virial"] = .reals([1, 0, 0, 0, 1, 0, 0, 0, 1])
        var f1 = frame(positions: square, energy: -20, forces: nil, configType: "liq", file: "a.xyz", index: 1)
        f1.atomicNumbers[0] = 8
        f1.info["stress"] = .reals([1, 2, 3, 0, 0, 0])
        let f2 = frame(positions: Array(square.prefix(2)), energy: nil, forces: nil, file: "b.xyz", index: 0)
        var f3 = frame(positions: square, energy: nil, forces: nil, configType: "dia", file: "b.xyz", index: 1)
        f3.info["DFT_energy"] = .real(-3)
        for f in [f0, f1, f2, f3] { try summary.add(f) }

        XCTAssertEqual(summary.files.map(\.file), ["empty.xyz", "a.xyz", "b.xyz"])
        XCTAssertEqual(summary.files[0].counts, FrameCounts())
        let a = summary.files[1].counts
        XCTAssertEqual(a.configs, 2)
        XCTAssertEqual(a.atoms, 8)
        XCTAssertEqual(a.atomsBySpecies, [14: 7, 8: 1])
        XCTAssertEqual(a.configsByType, ["dia": 1, "liq": 1])
        XCTAssertEqual(a.withEnergy, 2)
        XCTAssertEqual(a.withForces, 1)
        XCTAssertEqual(a.withVirial, 2)
        XCTAssertEqual(a.virialFromStress, 1)
        XCTAssertEqual(a.virialKeys, ["dft_virial": 1, "stress": 1])
        let t = summary.total
        XCTAssertEqual(t.configs, 4)
        XCTAssertEqual(t.atoms, 14)
        XCTAssertEqual(t.configsByType, ["dia": 2, "liq": 1])
        XCTAssertEqual(t.configsWithoutType, 1)
        XCTAssertEqual(t.energyKeys, ["dft_energy": 2, "DFT_energy": 1])

        let table = summary.formattedTable()
        let lines = table.split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[0].hasPrefix("file "))
        XCTAssertTrue(lines[4].hasPrefix("total"))
        XCTAssertTrue(lines[4].contains("O 1, Si 13"), String(lines[4]))  // by atomic number
        XCTAssertTrue(lines[4].hasSuffix("dia 2, liq 1, (none) 1"), String(lines[4]))
        // Columns are aligned: the third field (atoms, right-aligned) ends at the same offset on every line.
        func endOfThirdField(_ line: Substring) -> Int {
            let characters = Array(line)
            var fields = 0
            var k = 0
            while k < characters.count {
                if characters[k] != " " {
                    while k < characters.count && characters[k] != " " { k += 1 }
                    fields += 1
                    if fields == 3 { return k }
                } else { k += 1 }
            }
            return -1
        }
        XCTAssertEqual(Set(lines.map(endOfThirdField)).count, 1, table)

        let json = summary.json()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let total = try XCTUnwrap(object["total"] as? [String: Any])
        XCTAssertEqual(total["configs"] as? Int, 4)
        XCTAssertEqual(total["atoms"] as? Int, 14)
        XCTAssertEqual((total["labels"] as? [String: Int])?["virial_from_stress"], 1)
        XCTAssertEqual((total["species"] as? [String: Int]) ?? [:], ["O": 1, "Si": 13])
        XCTAssertEqual((object["files"] as? [[String: Any]])?.count, 3)
        let keyOrder = ["\"configs\"", "\"atoms\"", "\"species\"", "\"config_types\"", "\"labels\"", "\"label_keys\""].map { json.range(of: $0)!.lowerBound }
        XCTAssertEqual(keyOrder, keyOrder.sorted())
    }

    func testMalformedLabelThrowsInputError() {
        var summary = DatasetSummary()
        var s = frame(positions: square, energy: -20, forces: nil)
        s.info["dft_virial"] = .reals([1, 2, 3, 4, 5])
        XCTAssertThrowsError(try summary.add(s)) { error in
            XCTAssertEqual((error as? InputError)?.field, "dft_virial")
            XCTAssertEqual((error as? InputError)?.line, 1)
        }
    }
}
