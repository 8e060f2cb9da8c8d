import AtomicStructures
import Configuration
import Descriptors
import Foundation
@testable import GAPXML
import Kernels
import ModelFiles
import Prediction
import XCTest
@testable import Training

/// The writer on its own, and gap_fit's index files feeding our training.
final class GAPXMLWriterTests: XCTestCase {
    /// Writing and reading back gives the same numbers, bit for bit (shortest round-trip decimals).
    func testWriteReadRoundTripIsBitIdentical() throws {
        for name in ["ours_si", "ours_tial"] {
            let original = try ModelFile.load(path: "\(fixtures)/\(name).gapjson").potential
            for storage in [GAPXMLWriter.SparsePointStorage.sideFiles, .inline] {
                let directory = NSTemporaryDirectory() + "swiftgap-write-\(getpid())"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let written = try GAPXMLWriter.write(original, to: directory + "/m.xml", label: "GAP_test", storage: storage)
                XCTAssertEqual(written.count, storage == .inline ? 1 : original.terms.count + 1)
                let back = try ModelFile.load(path: directory + "/m.xml").potential
                XCTAssertEqual(back.e0, original.e0)
                XCTAssertEqual(back.alphas, original.alphas)
                for (a, b) in zip(original.terms, back.terms) {
                    if let a = a as? SOAPTerm, let b = b as? SOAPTerm {
                        XCTAssertEqual(a.kernel.sparsePoints, b.kernel.sparsePoints)
                        XCTAssertEqual(a.calculator.hyperparameters, b.calculator.hyperparameters)
                        XCTAssertEqual([a.kernel.delta, Double(a.kernel.zeta)], [b.kernel.delta, Double(b.kernel.zeta)])
                    } else if let a = a as? PairDistanceTerm, let b = b as? PairDistanceTerm {
                        XCTAssertEqual(a.kernel.sparseDistances, b.kernel.sparseDistances)
                        XCTAssertEqual([a.kernel.theta, a.kernel.delta, a.kernel.cutoffRadius, a.kernel.transitionWidth],
                                       [b.kernel.theta, b.kernel.delta, b.kernel.cutoffRadius, b.kernel.transitionWidth])
                        XCTAssertEqual(a.kernel.species, b.kernel.species)
                    } else {
                        XCTFail("term kinds differ: \(a.name), \(b.name)")
                    }
                }
            }
        }
    }

    /// angle_3b terms (with species filters, three different θ) write and read back bit for bit
    /// and predict the same to the bit.
    func testAngleTermRoundTripIsBitIdentical() throws {
        let descriptor = AngleTripletDescriptor(cutoffRadius: 3.6, transitionWidth: 0.7, species: SpeciesTriplet(centre: 22, 13, 22))
        let kernel = AngleTripletKernel(
            descriptor: descriptor, theta: [0.9, 0.45, 1.3], delta: 0.3,
            sparsePoints: [5.1, 0.02, 2.9, 5.6, 0.3, 4.1, 6.0, 0.01, 3.3], sparseWeights: [1, 0.37, 0.81])
        let original = Potential(e0: [13: -1.5, 22: -2.25], terms: [AngleTripletTerm(kernel: kernel)], alphas: [[0.4, -1.2, 0.75]])
        for storage in [GAPXMLWriter.SparsePointStorage.sideFiles, .inline] {
            let directory = NSTemporaryDirectory() + "swiftgap-write-3b-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try GAPXMLWriter.write(original, to: directory + "/m.xml", label: "GAP_test", storage: storage)
            let xml = try String(contentsOfFile: directory + "/m.xml", encoding: .utf8)
            XCTAssertTrue(xml.contains("<descriptor>angle_3b cutoff=3.6 cutoff_transition_width=0.7 Z_center=22 Z1=13 Z2=22</descriptor>"), xml)
            XCTAssertTrue(xml.contains("<theta> 0.9 0.45 1.3 </theta>"))
            XCTAssertTrue(xml.contains("<permutation i=\"1\">1 2 3</permutation>"))
            let back = try ModelFile.load(path: directory + "/m.xml").potential
            XCTAssertEqual(back.e0, original.e0)
            XCTAssertEqual(back.alphas, original.alphas)
            let b = try XCTUnwrap(back.terms[0] as? AngleTripletTerm).kernel
            XCTAssertEqual(b.sparsePoints, kernel.sparsePoints)
            XCTAssertEqual(b.sparseWeights, kernel.sparseWeights)
            XCTAssertEqual(b.theta, kernel.theta)
            XCTAssertEqual(b.delta, kernel.delta)
            XCTAssertEqual(b.descriptor, kernel.descriptor)
            let structures = try ExtendedXYZReader.readAll(path: "\(fixtures)/structures_tial.xyz")
            for s in structures.prefix(3) {
                let p = try original.predict(s), q = try back.predict(s)
                XCTAssertEqual(p.energy.bitPattern, q.energy.bitPattern)
                XCTAssertEqual(p.forces.map(\.bitPattern), q.forces.map(\.bitPattern))
            }
        }
    }

    /// What QUIP cannot express exactly is refused with the reason and the remedy.
    func testInexpressibleModelsAreRefusedWithRemedy() throws {
        let optimal = try ModelFile.load(path: "\(fixtures)/ours_si_optimal.gapjson").potential
        let soap = try XCTUnwrap(optimal.terms[0] as? SOAPTerm)
        var h = soap.calculator.hyperparameters
        h.normalise = true
        func potential(_ calculator: SOAPCalculator) -> Potential {
            var kernelPoints = soap.kernel.sparsePoints
            if calculator.featureCount != soap.kernel.featureCount { kernelPoints = [Double](repeating: 0.1, count: soap.kernel.sparseCount * calculator.featureCount) }
            let kernel = DotProductKernel(delta: 1, zeta: 2, featureCount: calculator.featureCount, sparsePoints: kernelPoints)
            return Potential(e0: optimal.e0, terms: [SOAPTerm(calculator: calculator, kernel: kernel)], alphas: optimal.alphas)
        }
        let normalisedOptimal = try SOAPCalculator(h, radialContraction: soap.calculator.radialContraction)
        XCTAssertThrowsError(try GAPXMLWriter.check(potential(normalisedOptimal))) { error in
            let e = error as! GAPXMLExportError
            XCTAssertTrue(e.reason.contains("optimal radial basis"), "\(e)")
            XCTAssertTrue(e.remedy.contains("\"radial_basis\": \"gap\""), "\(e)")
            XCTAssertTrue(e.term.contains("term 1 (soap)"), "\(e)")
        }
        let selected = try SOAPCalculator(h, selectedFeatures: (soap.calculator as! SOAPCalculator).selectedFeatures)
        XCTAssertThrowsError(try GAPXMLWriter.check(potential(selected))) { error in
            XCTAssertTrue("\(error)".contains("n_features keeps") && "\(error)".contains("train without n_features"), "\(error)")
        }
        let both = try SOAPCalculator(h, radialContraction: soap.calculator.radialContraction, selectedFeatures: (soap.calculator as! SOAPCalculator).selectedFeatures)
        XCTAssertThrowsError(try GAPXMLWriter.check(potential(both))) { error in
            XCTAssertTrue("\(error)".contains("train with \"radial_basis\": \"gap\" and without n_features"), "\(error)")
        }
        var scaled = h
        scaled.radialScaling = RadialScaling(c: 1, r0: 3, m: 2.5)
        XCTAssertThrowsError(try GAPXMLWriter.check(potential(try SOAPCalculator(scaled)))) { error in
            XCTAssertTrue("\(error)".contains("cutoff_dexp"), "\(error)")
        }
        XCTAssertNoThrow(try GAPXMLWriter.check(optimal), "unnormalised: exported exactly")
    }

    /// `sparse_method: index_file` with the one-line file gap_fit's print_sparse_index wrote picks
    /// the sparse points gap_fit picked.
    func testGapFitPrintSparseIndexFileGivesGapFitsSparsePoints() throws {
        let json = """
            {
              "train_files": ["\(fixtures)/si_train.xyz"],
              "e0": "isolated",
              "descriptors": [{"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 4, "l_max": 3,
                               "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "sparse_method": "index_file",
                               "sparse_file": "\(fixtures)/gap_fit_si_soap.idx"}],
              "default_sigma": {"energy": 0.002, "forces": 0.1, "virial": 0.05}
            }
            """
        let config = try TrainingConfig.parse(bytes: Array(json.utf8), name: "<test>", baseDirectory: "")
        let data = try TrainingData.load(config)
        let fitted = try Trainer(config: config).fit(data, options: FitOptions(threads: 2))
        let ours = try XCTUnwrap(fitted.potential.terms[0] as? SOAPTerm).kernel
        let gapFit = try XCTUnwrap(try ModelFile.load(path: fixtures + "/gap_fit_si.xml").potential.terms[1] as? SOAPTerm).kernel
        XCTAssertEqual(ours.sparseCount, 20)
        XCTAssertEqual(ours.sparseCount, gapFit.sparseCount)
        for (a, b) in zip(ours.sparsePoints, gapFit.sparsePoints) { XCTAssertEqual(a, b, accuracy: 1e-13) }
    }
}
