import AtomicStructures
import Foundation
import GAPXML
import Kernels
import ModelFiles
import Prediction
import TestSupport
import XCTest

let fixtures = packageRoot + "/Tests/GAPXMLTests/Fixtures"

/// quippy's predictions (Fixtures/make_gap_xml_fixtures.py) with gap_fit's XML models (import)
/// and with the XML that gap-export wrote for SwiftGAP models (export), against ours.
final class QuippyReferenceTests: XCTestCase {
    struct Frame: Decodable {
        let energy: Double
        let forces: [[Double]]
        let virial: [[Double]]?
    }
    struct Model: Decodable {
        let structures: String
        let frames: [Frame]
    }

    func reference(_ model: String) throws -> Model {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/reference.json"))
        let all = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let entry = try JSONSerialization.data(withJSONObject: all[model]!)
        return try JSONDecoder().decode(Model.self, from: entry)
    }

    /// The tolerances: 1e-8 eV/atom, 1e-7 eV/Å, 1e-7 eV virial.
    func assertPredictsLikeQuippy(_ potential: Potential, reference model: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try reference(model)
        let structures = try ExtendedXYZReader.readAll(path: fixtures + "/" + reference.structures)
        XCTAssertEqual(structures.count, reference.frames.count)
        var periodic = 0, slabs = 0, clusters = 0
        for (s, r) in zip(structures, reference.frames) {
            let p = try potential.predict(s)
            XCTAssertEqual(p.energy / Double(s.count), r.energy / Double(s.count), accuracy: 1e-8, "\(model) energy", file: file, line: line)
            for a in 0..<s.count {
                for k in 0..<3 { XCTAssertEqual(p.forces[3 * a + k], r.forces[a][k], accuracy: 1e-7, "\(model) force", file: file, line: line) }
            }
            if let v = r.virial {
                periodic += 1
                for i in 0..<3 { for j in 0..<3 { XCTAssertEqual(p.virial[3 * i + j], v[i][j], accuracy: 1e-7, "\(model) virial", file: file, line: line) } }
            } else if s.cell.isPeriodicInAnyDirection {
                slabs += 1
            } else {
                clusters += 1
            }
        }
        XCTAssertTrue(periodic >= 2 && slabs == 1 && clusters == 1, "bulk, slab and cluster structures", file: file, line: line)
    }

    func testGapFitModelsImportAndPredictLikeQuippy() throws {
        // One species (side files with md5 sums) and two species (add_species, species_Z={22 13},
        // inline sliced sparse points).
        for model in ["gap_fit_si.xml", "gap_fit_tial.xml"] {
            let loaded = try ModelFile.load(path: fixtures + "/" + model)
            try assertPredictsLikeQuippy(loaded.potential, reference: model)
        }
        let tial = try ModelFile.load(path: fixtures + "/gap_fit_tial.xml").potential
        XCTAssertEqual(tial.terms.map(\.name), ["distance_2b Ti-Ti", "distance_2b Ti-Al", "distance_2b Al-Al", "soap", "soap"])
        XCTAssertEqual(tial.e0.keys.sorted(), [13, 22])
    }

    func testExportedModelsPredictInQuippyLikeGapPredict() throws {
        for name in ["ours_si", "ours_tial", "ours_si_optimal", "ours_tial_combined"] {
            // quippy's predictions with our XML equal ours with the original model...
            let original = try ModelFile.load(path: "\(fixtures)/\(name).gapjson")
            try assertPredictsLikeQuippy(original.potential, reference: name + ".xml")
            // ...and with the XML read back.
            let readBack = try ModelFile.load(path: "\(fixtures)/\(name).xml")
            try assertPredictsLikeQuippy(readBack.potential, reference: name + ".xml")
        }
    }

    /// The exporter writes exactly the committed files that quippy was run on.
    func testExportMatchesTheFilesQuippyRead() throws {
        for (name, storage) in [("ours_si", GAPXMLWriter.SparsePointStorage.sideFiles), ("ours_tial", .inline),
                                ("ours_si_optimal", .sideFiles), ("ours_tial_combined", .sideFiles)] {
            let model = try ModelFile.load(path: "\(fixtures)/\(name).gapjson")
            let files = try GAPXMLWriter.files(model.potential, xmlName: name + ".xml", label: "GAP_SwiftGAP", storage: storage)
            XCTAssertEqual(files.xml, try String(contentsOfFile: "\(fixtures)/\(name).xml", encoding: .utf8), name)
            for side in files.sideFiles {
                XCTAssertEqual(side.contents, try String(contentsOfFile: "\(fixtures)/\(side.name)", encoding: .utf8), side.name)
            }
            XCTAssertEqual(files.sideFiles.isEmpty, storage == .inline)
            let longest = files.xml.split(separator: "\n").map(\.utf8.count).max()!
            XCTAssertLessThan(longest, 1000, "QUIP's XML reader fails on longer lines")
        }
    }
}
