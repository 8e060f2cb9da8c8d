import AtomicStructures
import Configuration
import Foundation
import GAPXML
import Kernels
import ModelFiles
import Prediction
import TestSupport
import Training
import XCTest

/// A model trained now, exported by gap-export's writer and loaded in real quippy
/// (`pip install quippy-ase`, done by .ci/run): quippy predicts what SwiftGAP predicts.
///
/// Without quippy the test fails with a message, unless GAP_SKIP_QUIPPY_TESTS=1 turns it into a
/// skip (the committed reference fixtures are checked either way by QuippyReferenceTests).
final class QuippyLiveTests: XCTestCase {
    func quippyAvailable() throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import quippy.potential"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        try probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            if ProcessInfo.processInfo.environment["GAP_SKIP_QUIPPY_TESTS"] == "1" { throw XCTSkip("quippy is not installed") }
            XCTFail("quippy is not installed: `python3 -m pip install quippy-ase` (or set GAP_SKIP_QUIPPY_TESTS=1 to skip)")
            throw XCTSkip("quippy missing")
        }
    }

    func quippyPredictions(model: String, structures: String) throws -> [QuippyReferenceTests.Frame] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot + "/Tests/GAPXMLTests/Scripts/quippy_predict.py", model, structures]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: messages, as: UTF8.self))
        return try JSONDecoder().decode([QuippyReferenceTests.Frame].self, from: data)
    }

    func testFreshlyTrainedModelsExportToQuippy() throws {
        try quippyAvailable()
        let directory = NSTemporaryDirectory() + "swiftgap-quippy-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (config, structures, storage) in [("ours_si", "structures_si.xyz", GAPXMLWriter.SparsePointStorage.sideFiles),
                                              ("ours_tial", "structures_tial.xyz", .inline)] {
            let training = try TrainingConfig.load(path: "\(fixtures)/\(config).json")
            let fitted = try Trainer(config: training).fit(try TrainingData.load(training), options: FitOptions(threads: 2))
            let xml = "\(directory)/\(config).xml"
            try GAPXMLWriter.write(fitted.potential, to: xml, storage: storage)
            let reference = try quippyPredictions(model: xml, structures: "\(fixtures)/\(structures)")
            let frames = try ExtendedXYZReader.readAll(path: "\(fixtures)/\(structures)")
            XCTAssertEqual(frames.count, reference.count)
            for (s, r) in zip(frames, reference) {
                let p = try fitted.potential.predict(s)
                XCTAssertEqual(p.energy / Double(s.count), r.energy / Double(s.count), accuracy: 1e-8, config)
                for a in 0..<s.count { for k in 0..<3 { XCTAssertEqual(p.forces[3 * a + k], r.forces[a][k], accuracy: 1e-7, config) } }
                if let v = r.virial { for i in 0..<3 { for j in 0..<3 { XCTAssertEqual(p.virial[3 * i + j], v[i][j], accuracy: 1e-7, config) } } }
            }
        }
    }

    /// angle_3b terms (with a distance_2b term on Si; one term per species triplet on TiAl, so
    /// QUIP's Z_center/Z1/Z2 filters are exercised): quippy's angle_3b gives the same energies,
    /// forces and virials, so the descriptor, its cutoff weight and the instance count match QUIP's.
    func testAngleTermsExportToQuippy() throws {
        try quippyAvailable()
        let directory = NSTemporaryDirectory() + "swiftgap-quippy-3b-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cases = [
            ("si", "si_train.xyz", "structures_si.xyz", """
                {"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 1.0, "theta_uniform": 1.0, "delta": 2.0, "n_sparse": 8},
                {"type": "angle_3b", "cutoff": 3.7, "cutoff_transition_width": 0.8, "theta_uniform": 0.6, "delta": 0.3, "n_sparse": 30, "sparse_method": "cur"}
                """),
            ("tial", "tial_train.xyz", "structures_tial.xyz", """
                {"type": "angle_3b", "cutoff": 3.4, "cutoff_transition_width": 0.7, "theta_uniform": 0.8, "delta": 0.2, "n_sparse": 6}
                """),
        ]
        for (name, train, structures, terms) in cases {
            let json = """
                {"train_files": ["\(fixtures)/\(train)"], "e0": "average", "descriptors": [\(terms)],
                 "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05}, "seed": 5}
                """
            let training = try TrainingConfig.parse(bytes: Array(json.utf8), name: "<\(name) 3b>", baseDirectory: "")
            let fitted = try Trainer(config: training).fit(try TrainingData.load(training), options: FitOptions(threads: 2))
            XCTAssertTrue(fitted.potential.terms.contains { $0 is AngleTripletTerm })
            let xml = "\(directory)/\(name).xml"
            try GAPXMLWriter.write(fitted.potential, to: xml, storage: .inline)
            let reference = try quippyPredictions(model: xml, structures: "\(fixtures)/\(structures)")
            let frames = try ExtendedXYZReader.readAll(path: "\(fixtures)/\(structures)")
            XCTAssertEqual(frames.count, reference.count)
            var largestForce = 0.0, worstEnergy = 0.0, worstForce = 0.0
            for (s, r) in zip(frames, reference) {
                let p = try fitted.potential.predict(s)
                XCTAssertEqual(p.energy / Double(s.count), r.energy / Double(s.count), accuracy: 1e-8, name)
                worstEnergy = max(worstEnergy, abs(p.energy - r.energy) / Double(s.count))
                for a in 0..<s.count {
                    for k in 0..<3 {
                        XCTAssertEqual(p.forces[3 * a + k], r.forces[a][k], accuracy: 1e-7, name)
                        largestForce = max(largestForce, abs(r.forces[a][k]))
                        worstForce = max(worstForce, abs(p.forces[3 * a + k] - r.forces[a][k]))
                    }
                }
                if let v = r.virial { for i in 0..<3 { for j in 0..<3 { XCTAssertEqual(p.virial[3 * i + j], v[i][j], accuracy: 1e-7, name) } } }
            }
            XCTAssertGreaterThan(largestForce, 0.01, "\(name): the comparison needs non-zero forces")
            print("\(name) angle_3b vs quippy: largest |ΔE|/atom \(worstEnergy) eV, |ΔF| \(worstForce) eV/Å (largest |F| \(largestForce))")
        }
    }
}
