import AtomicStructures
import Configuration
import Foundation
import Kernels
import ModelFiles
import NeighbourLists
import OrderedCollections
@testable import Prediction
import Selection
import Support
import TestSupport
import XCTest
@testable import Training

/// A SOAP + distance_2b config on the shipped Zuo data, with `extra` appended to the top level.
private func uncertaintyConfig(
    extra: String, sigma: String = #"{"energy": 0.002, "forces": 0.05, "virial": 0.05}"#
) throws -> TrainingConfig {
    let json = """
        {
          "train_files": ["\(packageRoot)/datasets/si_zuo2020/Si_train.xyz"],
          "e0": "average",
          "descriptors": [{"type": "soap", "cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 4, "l_max": 3,
                           "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": 25, "sparse_method": "cur"},
                          {"type": "distance_2b", "cutoff": 4.5, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
                           "delta": 0.5, "n_sparse": 8, "sparse_method": "uniform"}],
          "default_sigma": \(sigma),
          "seed": 3 \(extra)
        }
        """
    return try TrainingConfig.parse(bytes: Array(json.utf8), name: "<test>", baseDirectory: "", checkFiles: false)
}

final class UncertaintyTests: XCTestCase {
    /// Unweighted design rows (energy, then 3N forces) of `structure` for `potential`'s terms,
    /// as a dense row-major matrix `rows x M`.
    private func designRows(_ potential: Potential, _ structure: Structure, forces: Bool) throws -> [[Double]] {
        let m = potential.terms.reduce(0) { $0 + $1.sparseCount }
        let rowCount = 1 + (forces ? 3 * structure.count : 0)
        var block = DesignBlock(rowCount: rowCount, columnCount: m)
        let list = try NeighbourList(structure, cutoffRadius: potential.cutoffRadius)
        var offset = 0
        for term in potential.terms {
            try term.addDesignRows(
                for: structure, neighbours: list, rows: DesignRowLayout(energy: 0, forces: forces ? 1 : nil), into: &block, columnOffset: offset)
            offset += term.sparseCount
        }
        return (0..<rowCount).map { i in (0..<m).map { block[i, $0] } }
    }

    /// Lower Cholesky factor of a dense symmetric positive-definite matrix (plain loops; the
    /// independent reference for the TSQR factor).
    private func cholesky(_ a: [[Double]]) -> [[Double]] {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for j in 0..<n {
            var d = a[j][j]
            for k in 0..<j { d -= l[j][k] * l[j][k] }
            l[j][j] = d.squareRoot()
            for i in (j + 1)..<max(j + 1, n) {
                var s = a[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                l[i][j] = s / l[j][j]
            }
        }
        return l
    }

    /// The SoR variances of the new path agree with a dense computation that forms
    /// P = K_MM + jitter + K_MN Λ⁻¹ K_NM explicitly and evaluates k P⁻¹ kᵀ, for held-out
    /// structures' energies and force components.
    ///
    /// The normal equations square the condition number, so the dense reference is accurate only
    /// to about κ(P) ε: the test fit uses broad label noise and a large jitter (κ(P) near 1e5)
    /// so that the reference itself is good to better than 1e-9. The identity tested holds for
    /// any noise and jitter.
    func testStandardDeviationsMatchDenseNormalEquations() throws {
        let config = try uncertaintyConfig(
            extra: #", "uncertainty": true, "sparse_jitter": 1e-2"#, sigma: #"{"energy": 0.5, "forces": 1.0, "virial": 1.0}"#)
        var data = try TrainingData.load(config)
        let all = data.frames
        data.frames = Array(all.prefix(6))
        let result = try Trainer(config: config).fit(data, options: FitOptions(threads: 2))
        let potential = result.potential
        XCTAssertNotNil(potential.posteriorFactor)
        let m = potential.terms.reduce(0) { $0 + $1.sparseCount }
        XCTAssertEqual(m, 33)

        // P = blockdiag(K_MM + jitter) + Σ_rows w² kᵀk.
        var p = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        var offset = 0
        for term in potential.terms {
            let n = term.sparseCount
            let k = term.sparseCovariance()
            for i in 0..<n {
                for j in 0..<n { p[offset + i][offset + j] = k[i + j * n] }
                p[offset + i][offset + i] += config.sparseJitter
            }
            offset += n
        }
        for frame in data.frames {
            let rows = try designRows(potential, frame.structure, forces: true)
            let weights = [1 / frame.energySigma] + frame.forceSigmas.map { 1 / $0 }
            XCTAssertNotNil(frame.energy)
            XCTAssertNotNil(frame.forces)
            for (r, row) in rows.enumerated() {
                let w2 = weights[r] * weights[r]
                for i in 0..<m where row[i] != 0 {
                    for j in 0..<m { p[i][j] += w2 * row[i] * row[j] }
                }
            }
        }
        let l = cholesky(p)
        func variance(_ k: [Double]) -> Double {
            // ‖L⁻¹ kᵀ‖² = k P⁻¹ kᵀ.
            var z = k
            for i in 0..<m {
                for j in 0..<i { z[i] -= l[i][j] * z[j] }
                z[i] /= l[i][i]
            }
            return z.reduce(0) { $0 + $1 * $1 }
        }
        var worst = 0.0
        var worstEnergy = 0.0
        for frame in all[10..<13] {
            let s = frame.structure
            let std = try potential.standardDeviation(of: s)
            XCTAssertEqual(std.forces.count, 3 * s.count)
            let rows = try designRows(potential, s, forces: true)
            let reference = rows.map { variance($0).squareRoot() }
            let largestForce = reference.dropFirst().max() ?? 0
            XCTAssertGreaterThan(reference[0], 0)
            worstEnergy = max(worstEnergy, abs(std.energy - reference[0]) / reference[0])
            for i in 0..<(3 * s.count) {
                // Relative to the frame's largest force deviation, so tiny components do not dominate.
                worst = max(worst, abs(std.forces[i] - reference[1 + i]) / largestForce)
            }
            // Without forces: the same energy deviation, no force entries.
            let energyOnly = try potential.standardDeviation(of: s, forces: false)
            // Equal up to the round-off of differently blocked triangular solves.
            XCTAssertEqual(energyOnly.energy, std.energy, accuracy: 1e-9 * std.energy)
            XCTAssertTrue(energyOnly.forces.isEmpty)
        }
        print("largest relative differences from the dense computation: energy \(worstEnergy), forces \(worst)")
        XCTAssertLessThan(worstEnergy, 1e-8, "largest relative difference of energy deviations from the dense computation")
        XCTAssertLessThan(worst, 1e-8, "largest relative difference of force deviations from the dense computation")

        // The factor survives the model file bit for bit, and so do the deviations.
        let model = Trainer(config: config).modelFile(for: result, data: data)
        let loaded = try ModelFile.decode(Array(model.encoded().utf8), name: "m.gapjson")
        XCTAssertEqual(loaded.potential.posteriorFactor?.upper.map(\.bitPattern), potential.posteriorFactor?.upper.map(\.bitPattern))
        XCTAssertEqual(try loaded.potential.standardDeviation(of: all[10].structure), try potential.standardDeviation(of: all[10].structure))
        XCTAssertEqual(loaded.encoded(), model.encoded())
    }

    /// A strongly distorted training frame is less certain than the frame itself (a sanity
    /// check with the realistic label noise of the shipped config).
    func testDistortedFrameIsLessCertainThanATrainingFrame() throws {
        let config = try uncertaintyConfig(extra: #", "uncertainty": true"#)
        var data = try TrainingData.load(config)
        data.frames = Array(data.frames.prefix(6))
        let potential = try Trainer(config: config).fit(data, options: FitOptions(threads: 2)).potential
        let training = try potential.standardDeviation(of: data.frames[0].structure)
        var distorted = data.frames[0].structure
        var generator = SplitMix64(seed: 7)
        distorted.positions = distorted.positions.map { $0 + Vector3(generator.uniform(), generator.uniform(), generator.uniform()) * 0.5 }
        let far = try potential.standardDeviation(of: distorted)
        print("energy std: training frame \(training.energy), distorted \(far.energy); mean force std \(training.forces.reduce(0, +) / Double(training.forces.count)), \(far.forces.reduce(0, +) / Double(far.forces.count))")
        // Measured: energy 0.013 → 0.095 eV, mean force component 0.0078 → 0.0129 eV/Å (the SoR
        // variance grows near the data and shrinks far from it, so no large factor is expected).
        XCTAssertGreaterThan(far.energy, 3 * training.energy)
        XCTAssertGreaterThan(far.forces.reduce(0, +), 1.3 * training.forces.reduce(0, +))

    }

    /// The key is off by default: no factor in the fit or the file, α and every other byte as
    /// without the feature; turning it on changes only the factor and the recorded config.
    func testOffByDefaultLeavesTheModelUnchanged() throws {
        let off = try uncertaintyConfig(extra: "")
        let explicitOff = try uncertaintyConfig(extra: #", "uncertainty": false"#)
        let on = try uncertaintyConfig(extra: #", "uncertainty": true"#)
        XCTAssertFalse(off.storesUncertainty)
        XCTAssertTrue(on.storesUncertainty)
        XCTAssertEqual(off, explicitOff)
        XCTAssertFalse(off.canonicalJSON().contains("\"uncertainty\""))
        var data = try TrainingData.load(off)
        data.frames = Array(data.frames.prefix(3))
        let a = try Trainer(config: off).fit(data, options: FitOptions(threads: 1))
        let b = try Trainer(config: on).fit(data, options: FitOptions(threads: 1))
        XCTAssertNil(a.potential.posteriorFactor)
        XCTAssertEqual(a.potential.alphas.flatMap { $0.map(\.bitPattern) }, b.potential.alphas.flatMap { $0.map(\.bitPattern) })
        let textOff = Trainer(config: off).modelFile(for: a, data: data).encoded()
        let textExplicit = Trainer(config: explicitOff).modelFile(for: a, data: data).encoded()
        XCTAssertEqual(textOff, textExplicit)
        XCTAssertFalse(textOff.contains("posterior_factor"))
        XCTAssertTrue(Trainer(config: on).modelFile(for: b, data: data).encoded().contains("posterior_factor"))
        XCTAssertThrowsError(try a.potential.standardDeviation(of: data.frames[0].structure)) { error in
            XCTAssertTrue(error is MissingPosteriorFactor, "\(error)")
            XCTAssertTrue("\(error)".contains("\"uncertainty\": true"), "\(error)")
        }
        XCTAssertThrowsError(try BatchPrediction.standardDeviations(a.potential, structures: [data.frames[0].structure]))
    }

    /// `uncertainty` is validated like every other key, and a malformed factor is refused with its field.
    func testConfigAndModelFileValidation() throws {
        XCTAssertThrowsError(try uncertaintyConfig(extra: #", "uncertainty": "yes""#)) { error in
            let e = error as? InputError
            XCTAssertNotNil(e, "\(error)")
            XCTAssertTrue(e?.field?.contains("uncertainty") ?? false, "\(error)")
        }
        let config = try uncertaintyConfig(extra: #", "uncertainty": true"#)
        var data = try TrainingData.load(config)
        data.frames = Array(data.frames.prefix(3))
        let trainer = Trainer(config: config)
        let text = trainer.modelFile(for: try trainer.fit(data, options: FitOptions(threads: 1)), data: data).encoded()
        let wrongSize = uncheckedVersion2(text).replacingOccurrences(of: "\"size\": 33", with: "\"size\": 32")
        XCTAssertNotEqual(wrongSize, text)
        XCTAssertThrowsError(try ModelFile.decode(Array(wrongSize.utf8), name: "m.gapjson")) { error in
            XCTAssertEqual((error as? InputError)?.field, "posterior_factor.size", "\(error)")
        }
    }

    /// `gap-predict --uncertainty` refuses a model without the factor, naming the model file,
    /// and writes energy_std and forces_std for one with it.
    func testGapPredictUncertaintyOption() throws {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates = [me.deletingLastPathComponent().appendingPathComponent("gap-predict").path, packageRoot + "/.build/debug/gap-predict"]
        let executable = try XCTUnwrap(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "gap-predict was not built next to the tests")
        let scratch = NSTemporaryDirectory() + "/swiftgap-uncertainty-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        var data = try TrainingData.load(try uncertaintyConfig(extra: ""))
        data.frames = Array(data.frames.prefix(3))
        let structures = [data.frames[0].structure, data.frames[1].structure]
        try ExtendedXYZWriter.write(structures, to: scratch + "/in.xyz")
        for stores in [false, true] {
            let config = try uncertaintyConfig(extra: stores ? #", "uncertainty": true"# : "")
            let trainer = Trainer(config: config)
            let fit = try trainer.fit(data, options: FitOptions(threads: 1))
            let modelPath = scratch + "/model-\(stores).gapjson"
            try trainer.modelFile(for: fit, data: data).write(to: modelPath)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["--model", modelPath, scratch + "/in.xyz", "--uncertainty", "--quiet", "--output", scratch + "/out.xyz"]
            let stderrPath = scratch + "/stderr-\(stores)"
            XCTAssertTrue(FileManager.default.createFile(atPath: stderrPath, contents: nil))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            process.waitUntilExit()
            let stderr = try String(contentsOfFile: stderrPath, encoding: .utf8)
            if stores {
                XCTAssertEqual(process.terminationStatus, 0, stderr)
                let out = try ExtendedXYZReader.readAll(path: scratch + "/out.xyz")
                XCTAssertEqual(out.count, 2)
                // Against the structures as gap-predict read them; equal up to the round-off of
                // the triangular solve, which depends on OpenBLAS's thread count (1 in gap-predict).
                let inputs = try ExtendedXYZReader.readAll(path: scratch + "/in.xyz")
                for (i, s) in out.enumerated() {
                    let expected = try fit.potential.standardDeviation(of: inputs[i])
                    guard case .real(let e)? = s.info["energy_std"] else { return XCTFail("no energy_std in \(s.info.keys)") }
                    XCTAssertEqual(e, expected.energy, accuracy: 1e-9 * expected.energy)
                    guard case .reals(let f)? = s.arrays["forces_std"]?.values else { return XCTFail("no forces_std") }
                    XCTAssertEqual(f.count, expected.forces.count)
                    for (a, b) in zip(f, expected.forces) { XCTAssertEqual(a, b, accuracy: 1e-9 * b) }
                }
            } else {
                XCTAssertNotEqual(process.terminationStatus, 0)
                XCTAssertTrue(stderr.contains(modelPath), stderr)
                XCTAssertTrue(stderr.contains("\"uncertainty\": true"), stderr)
                XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/out.xyz"))
            }
        }
    }
}

/// Uniform numbers in [−1, 1) from the library's SplitMix64, so the distortion is the same on
/// every machine.
private extension SplitMix64 {
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) * 2 - 1 }
}
