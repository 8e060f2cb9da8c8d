import AtomicStructures
import Descriptors
import Foundation
@testable import GAPXML
import Kernels
import ModelFiles
import Prediction
import Support
import XCTest

/// The reader on its own: what it keeps, what it refuses and why.
final class GAPXMLReaderTests: XCTestCase {
    func gapFitSi() throws -> String { try String(contentsOfFile: fixtures + "/gap_fit_si.xml", encoding: .utf8) }

    /// Reads `text` as if it were `gap_fit_si.xml` (its side files are found in Fixtures).
    func read(_ text: String) throws -> ImportedGAPModel {
        try GAPXMLReader.read(bytes: Array(text.utf8), name: fixtures + "/edited.xml")
    }

    func assertRefused(_ text: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try read(text), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(error is InputError, message, file: file, line: line)
            for f in fragments { XCTAssertTrue(message.contains(f), "\"\(f)\" not in: \(message)", file: file, line: line) }
        }
    }

    func testGapFitFileIsReadAsWritten() throws {
        let model = try read(try gapFitSi())
        let p = model.potential
        XCTAssertEqual(model.gapVersion, 1_769_700_636)
        XCTAssertTrue(model.commandLine?.contains("print_sparse_index=gap_fit_si_soap.idx") ?? false)
        XCTAssertEqual(Array(p.e0.keys), [14])
        XCTAssertEqual(p.e0[14], -158.54496821)
        let pair = try XCTUnwrap(p.terms[0] as? PairDistanceTerm)
        XCTAssertEqual(pair.kernel.cutoffRadius, 5)
        XCTAssertEqual(pair.kernel.transitionWidth, 1)
        XCTAssertEqual(pair.kernel.theta, 0.5)
        XCTAssertEqual(pair.kernel.delta, 2)
        XCTAssertEqual(pair.kernel.species, .init(14, 14))
        XCTAssertEqual(pair.kernel.sparseCount, 8)
        let soap = try XCTUnwrap(p.terms[1] as? SOAPTerm)
        let h = soap.calculator.hyperparameters
        XCTAssertEqual([h.nMax, h.lMax, soap.kernel.zeta, soap.kernel.sparseCount], [4, 3, 4, 20])
        XCTAssertEqual([h.cutoffRadius, h.cutoffTransitionWidth, h.atomSigma, h.centralWeight, soap.kernel.delta], [5, 1, 0.5, 1, 1])
        XCTAssertTrue(h.normalise)
        XCTAssertEqual(h.neighbourSpecies, [14])
        XCTAssertEqual(h.centreSpecies, [14])
        XCTAssertEqual(soap.kernel.featureCount, 40, "QUIP's 41 dimensions less the trailing covariance_sigma0 slot")
    }

    /// quippy gives e0 = 0 to species the model does not know; SwiftGAP stops.
    func testUnknownSpeciesIsAnError() throws {
        let p = try ModelFile.load(path: fixtures + "/gap_fit_si.xml").potential
        let water = Structure(atomicNumbers: [14, 8], positions: [Vector3(0, 0, 0), Vector3(1.6, 0, 0)])
        XCTAssertThrowsError(try p.predict(water)) { XCTAssertTrue("\($0)".contains("no reference energy for O"), "\($0)") }
    }

    func testCorePotentialsAreRefusedNamingGAP18sGlue() throws {
        // A real gap_fit model with a core potential (core_param_file, here Lennard-Jones).
        XCTAssertThrowsError(try ModelFile.load(path: fixtures + "/gap_fit_core_lj.xml")) { error in
            let message = "\(error)"
            for fragment in ["gap_fit_core_lj.xml", "GAP_data.do_core", "core_param_file", "init_args_pot1={IP LJ}", "GAP-18", "Glue"] {
                XCTAssertTrue(message.contains(fragment), "\"\(fragment)\" not in: \(message)")
            }
        }
        let text = try gapFitSi()
        assertRefused(text.replacingOccurrences(of: "do_core=\"F\"", with: "do_core=\"T\""), ["core", "core_param_file", "GAP-18", "Glue"])
        let label = try XCTUnwrap(text.range(of: "init_args=\"IP GAP label=")).upperBound
        let sum = text.replacingOccurrences(of: "init_args=\"IP GAP label=", with: "init_args=\"Sum init_args_pot1={IP Glue} init_args_pot2={IP GAP label=", range: text.range(of: "init_args=\"IP GAP label=")!.lowerBound..<label)
        assertRefused(sum, ["Sum init_args_pot1={IP Glue}", "Glue"])
    }

    func testUnsupportedDescriptorsAndOptionsAreNamed() throws {
        let text = try gapFitSi()
        assertRefused(text.replacingOccurrences(of: "<descriptor> soap ", with: "<descriptor> bispectrum_so4 "), ["bispectrum_so4", "soap, distance_2b and angle_3b"])
        assertRefused(text.replacingOccurrences(of: "<descriptor>distance_2b ", with: "<descriptor>angle_3b "), ["angle_3b"])
        for (option, fragment) in [
            ("covariance_sigma0=0.1", "covariance_sigma0"), ("diagonal_radial=T", "diagonal_radial"), ("average=T", "average"),
            ("radial_basis=GTO", "radial_basis=GTO"), ("basis_error_exponent=8", "basis_error_exponent"), ("nu_S=2", "nu_S"),
            ("mystery_option=3", "unknown soap option mystery_option"), ("central_reference_all_species=F", "central_reference_all_species"),
        ] {
            assertRefused(text.replacingOccurrences(of: "<descriptor> soap ", with: "<descriptor> soap \(option) "), [fragment, "gpCoordinates[2]"])
        }
        assertRefused(text.replacingOccurrences(of: "zeta=\"4.0000000000000000\"", with: "zeta=\"2.5\""), ["zeta=2.5", "integer"])
        assertRefused(text.replacingOccurrences(of: "covariance_type=\"2\"", with: "covariance_type=\"1\""), ["dot_product"])
        assertRefused(text.replacingOccurrences(of: "Z1=14 Z2=14", with: "Z1=14 Z2=14 tail_exponent=2"), ["tail_exponent"])
        // An old gap_version puts the centre's Gaussian in every channel (QUIP's old convention).
        let twoSpecies = try String(contentsOfFile: fixtures + "/gap_fit_tial.xml", encoding: .utf8)
        XCTAssertThrowsError(try GAPXMLReader.read(bytes: Array(twoSpecies.replacingOccurrences(of: "gap_version=\"1769700636\"", with: "gap_version=\"1400000000\"").utf8), name: "old.xml")) {
            XCTAssertTrue("\($0)".contains("central_reference_all_species=T"), "\($0)")
        }
    }

    func testSideFilesAreCheckedAgainstTheirMD5() throws {
        let directory = NSTemporaryDirectory() + "swiftgap-xml-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures).filter { $0.hasPrefix("gap_fit_si.xml") }
        for name in names { try FileManager.default.copyItem(atPath: "\(fixtures)/\(name)", toPath: "\(directory)/\(name)") }
        XCTAssertNoThrow(try GAPXMLReader.read(path: directory + "/gap_fit_si.xml"))
        let side = try XCTUnwrap(names.first { $0.hasSuffix("2") && $0.contains("sparseX") })
        // Still the same numbers, but not the file the model was written with.
        let values = try String(contentsOfFile: "\(directory)/\(side)", encoding: .utf8) + "\n"
        try values.write(toFile: "\(directory)/\(side)", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GAPXMLReader.read(path: directory + "/gap_fit_si.xml")) { XCTAssertTrue("\($0)".contains("md5 sum"), "\($0)") }
        try FileManager.default.removeItem(atPath: "\(directory)/\(side)")
        XCTAssertThrowsError(try GAPXMLReader.read(path: directory + "/gap_fit_si.xml")) {
            XCTAssertTrue("\($0)".contains("cannot open") && "\($0)".contains(side), "\($0)")
        }
    }

    /// gap_fit writes species_Z in its own order; features are permuted into ours.
    func testSpeciesOrderPermutation() {
        // One species: the identity. Two species (22, 13), n_max 1, l_max 0: QUIP's channels are
        // (Ti, Al), ours (Al, Ti); features (A, B) = (0,0), (1,0), (1,1).
        XCTAssertEqual(GAPXMLReader.quipToSortedFeatureIndex(species: [14], nMax: 2, lMax: 1), Array(0..<6))
        XCTAssertEqual(GAPXMLReader.quipToSortedFeatureIndex(species: [22, 13], nMax: 1, lMax: 0), [2, 1, 0])
        XCTAssertEqual(GAPXMLReader.quipToSortedFeatureIndex(species: [13, 22], nMax: 1, lMax: 0), [0, 1, 2])
    }

    func testContentDecidesTheFormat() throws {
        XCTAssertTrue(GAPXMLReader.looksLikeXML(Array("\u{FEFF}\n  <GAP>".utf8)))
        XCTAssertFalse(GAPXMLReader.looksLikeXML(Array(" {\"format\": 1}".utf8)))
        // A gap_fit XML under a .gapjson name still loads through the one entry point.
        let path = NSTemporaryDirectory() + "swiftgap-named-\(getpid()).gapjson"
        let text = try String(contentsOfFile: fixtures + "/gap_fit_tial.xml", encoding: .utf8)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let model = try ModelFile.load(path: path)
        XCTAssertEqual(model.potential.terms.count, 5)
        XCTAssertTrue(model.encoded().contains("\"imported_from\": \"gap_fit XML\""))
    }

    func testXMLReaderSubsetAndErrors() throws {
        var reader = XMLTreeReader(
            bytes: Array("<?xml version=\"1.0\"?>\n<!-- c -->\n<a x='1 &lt; 2' y=\"&#65;&#x42;\">t<![CDATA[<raw>]]><b/><skip><skip>x</skip><![CDATA[</skip>]]></skip>\n<c>u</c></a>\n".utf8),
            fileName: "t.xml", skipping: ["skip"])
        let root = try reader.parse()
        XCTAssertEqual(root.attributes, ["x": "1 < 2", "y": "AB"])
        XCTAssertEqual(root.children.map(\.name), ["b", "skip", "c"])
        XCTAssertEqual(try reader.text(root.textRanges), "t<raw>\n")
        XCTAssertEqual(root.child("c")?.line, 4)
        for (text, fragment, line) in [
            ("<a><b></a>", "</a> closes <b>", 1), ("<a>\n<b x=1/></a>", "not quoted", 2), ("<a>", "not closed", 1),
            ("<a/><b/>", "content after the root", 1), ("<a x=\"&bogus;\"/>", "unknown entity", 1),
        ] {
            var r = XMLTreeReader(bytes: Array(text.utf8), fileName: "bad.xml")
            XCTAssertThrowsError(try r.parse()) { error in
                let e = error as! InputError
                XCTAssertTrue(e.message.contains(fragment), "\(e)")
                XCTAssertEqual(e.line, line, "\(e)")
            }
        }
    }

    func testQUIPArguments() throws {
        let a = try QUIPArguments("soap cutoff=5.0 species_Z={22 13 } Z=22 label=\"two words\" flag")
        XCTAssertEqual(a.type, "soap")
        XCTAssertEqual(try a.integers("species_z"), [22, 13])
        XCTAssertEqual(a.value("label"), "two words")
        XCTAssertEqual(try a.bool("flag"), true)
        XCTAssertEqual(Double(fortran: "-.37841203966425652E-001"), -0.037841203966425652)
        XCTAssertEqual(Double(fortran: "0.1D+01"), 1)
        XCTAssertThrowsError(try QUIPArguments("soap species_Z={14"))
    }
}
