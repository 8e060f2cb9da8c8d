import ArrayFiles
import AtomicStructures
import Configuration
import Descriptors
import Foundation
import Support
import TestSupport
import XCTest
@testable import FeatureExport

final class FeatureExportTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws { scratch = try makeScratchDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    func write(_ name: String, _ frames: [String]) throws -> String {
        try frames.joined().write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// Periodic, non-periodic, slab (periodic in two directions) and again periodic frames.
    func mixedInput() throws -> (path: String, frames: [Structure]) {
        let a = siliconCrystal(seed: 1), b = siliconCrystal(seed: 2)
        let input = try write("mixed.xyz", [
            xyzFrame(a.atoms, lattice: a.lattice, pbc: "T T T"),
            xyzFrame(cluster()),
            xyzFrame(b.atoms, lattice: [5.5, 0, 0, 0, 5.5, 0, 0, 0, 20], pbc: "T T F"),
            xyzFrame(b.atoms, lattice: b.lattice, pbc: "T T T"),
        ])
        return (input, try ExtendedXYZReader.readAll(path: input))
    }

    func testFilesEqualTheLibraryBitForBit() throws {
        let (input, frames) = try mixedInput()
        let options = FeatureExportOptions(featuresPath: path("f.npy"), gradientsPath: path("g.npz"), centresPath: path("c.npy"), threads: 2)
        let result = try FeatureExport.run(smallSOAP, descriptorSource: "soap.json", inputs: [input], options: options)
        let expected = try ExpectedFiles(smallSOAP, frames: frames)
        let f = result.featureCount
        XCTAssertEqual(result.rowCount, 8 + 5 + 8 + 8)
        XCTAssertEqual(result.scan.frameCount, 4)
        XCTAssertEqual(result.scan.periodicFrameCount, 2)
        XCTAssertEqual(result.strainRowCount, 16)

        let features = try NumPyArray.readNPY(path: path("f.npy"))
        XCTAssertEqual(features.shape, [29, f])
        XCTAssertEqual(bits(features.float64Values), bits(expected.features))
        let centres = try NumPyArray.readNPY(path: path("c.npy"))
        XCTAssertEqual(centres.shape, [29])
        XCTAssertEqual(centres.int64Values, (0..<29).map(Int64.init))  // every atom is a centre

        let g = try NumPyArray.readNPZ(path: path("g.npz"))
        XCTAssertEqual(Set(g.keys), ["samples", "values", "strain", "strain_samples"])
        let p = expected.samples.count / 2
        XCTAssertEqual(result.gradientEntryCount, p)
        XCTAssertEqual(g["samples"]?.shape, [p, 2])
        XCTAssertEqual(g["samples"]?.int64Values, expected.samples)
        XCTAssertEqual(g["values"]?.shape, [p, 3, f])
        XCTAssertEqual(bits(g["values"]?.float64Values), bits(expected.values))
        XCTAssertEqual(g["strain"]?.shape, [16, 3, 3, f])
        XCTAssertEqual(bits(g["strain"]?.float64Values), bits(expected.strain))
        // Strain rows: the crystal (rows 0–7) and the last crystal (rows 21–28); not the cluster
        // (8–12) nor the slab (13–20).
        XCTAssertEqual(g["strain_samples"]?.int64Values, (0..<8).map(Int64.init) + (21..<29).map(Int64.init))
    }

    /// The layout itself, checked independently of the helper above: samples are (row, atom)
    /// sorted, each row's entries include its centre, atoms are global, and the values are the
    /// derivatives (finite differences of the exported features with respect to one atom).
    func testGradientLayoutOnPeriodicAndNonPeriodicFrames() throws {
        let (input, frames) = try mixedInput()
        let options = FeatureExportOptions(featuresPath: path("f.npy"), gradientsPath: path("g.npz"), threads: 1)
        let result = try FeatureExport.run(smallSOAP, descriptorSource: "soap.json", inputs: [input], options: options)
        let g = try NumPyArray.readNPZ(path: path("g.npz"))
        let samples = try XCTUnwrap(g["samples"]?.int64Values)
        let values = try XCTUnwrap(g["values"]?.float64Values)
        let pairs: [[Int]] = stride(from: 0, to: samples.count, by: 2).map { [Int(samples[$0]), Int(samples[$0 + 1])] }
        XCTAssertEqual(pairs, pairs.sorted { $0.lexicographicallyPrecedes($1) })
        XCTAssertEqual(Set(pairs.map { $0[0] }), Set(0..<result.rowCount))
        // Every atom is a centre here, so row i describes atom i and must have an entry for it.
        for row in 0..<result.rowCount { XCTAssertTrue(pairs.contains([row, row]), "row \(row) lacks its centre") }
        // Frame atom ranges: 0–7, 8–12, 13–20, 21–28; entries never cross frames.
        let frameOf = { (atom: Int) in [8, 13, 21, 29].firstIndex { atom < $0 }! }
        for pair in pairs { XCTAssertEqual(frameOf(pair[0]), frameOf(pair[1])) }

        // Finite differences: move atom a (global) of frame k along α and recompute.
        let f = result.featureCount
        let calculator = try SOAPCalculator(smallSOAP.hyperparameters(speciesPresent: [14]))
        for (frameIndex, atomInFrame, alpha) in [(0, 3, 0), (1, 0, 2), (1, 4, 1), (3, 7, 2)] {
            let frame = frames[frameIndex]
            let first = [0, 8, 13, 21][frameIndex]
            let h = 1e-5
            var plus = frame, minus = frame
            plus.positions[atomInFrame][alpha] += h
            minus.positions[atomInFrame][alpha] -= h
            let vp = try calculator.compute(plus).values, vm = try calculator.compute(minus).values
            for r in 0..<frame.count {
                let numeric = (0..<f).map { (vp[r * f + $0] - vm[r * f + $0]) / (2 * h) }
                let p = pairs.firstIndex(of: [first + r, first + atomInFrame])
                let analytic = p.map { Array(values[($0 * 3 + alpha) * f ..< ($0 * 3 + alpha + 1) * f]) } ?? [Double](repeating: 0, count: f)
                for k in 0..<f {
                    XCTAssertEqual(analytic[k], numeric[k], accuracy: 1e-6, "frame \(frameIndex) atom \(atomInFrame) α \(alpha) row \(r) feature \(k)")
                }
            }
        }
    }

    func testStrainRowsAreDerivativesWithRespectToStrain() throws {
        let (input, frames) = try mixedInput()
        let options = FeatureExportOptions(featuresPath: path("f.npy"), gradientsPath: path("g.npz"), threads: 2)
        let result = try FeatureExport.run(smallSOAP, descriptorSource: "soap.json", inputs: [input], options: options)
        let strain = try XCTUnwrap(NumPyArray.readNPZ(path: path("g.npz"))["strain"]?.float64Values)
        let f = result.featureCount
        let calculator = try SOAPCalculator(smallSOAP.hyperparameters(speciesPresent: [14]))
        let frame = frames[3]  // strain rows 8–15 (the second periodic frame)
        for (a, b) in [(0, 0), (0, 1), (2, 1)] {
            func deformed(_ e: Double) throws -> [Double] {
                var s = frame
                var m = Matrix3.identity.rowMajor
                m[a * 3 + b] += e
                let deformation = Matrix3(rowMajor: m)
                s.positions = s.positions.map { deformation.leftMultiply($0) }
                s.cell.matrix = s.cell.matrix * deformation
                return try calculator.compute(s).values
            }
            let h = 1e-5
            let vp = try deformed(h), vm = try deformed(-h)
            for r in 0..<8 {
                for k in 0..<f {
                    let numeric = (vp[r * f + k] - vm[r * f + k]) / (2 * h)
                    XCTAssertEqual(strain[(((8 + r) * 3 + a) * 3 + b) * f + k], numeric, accuracy: 1e-6, "ε\(a)\(b) row \(r) feature \(k)")
                }
            }
        }
    }

    func testCentreSpeciesRestrictRowsInFileOrder() throws {
        let crystal = siliconCrystal(seed: 4, species: ["Si", "C", "Si", "Si", "C", "Si", "Si", "Si"])
        let input = try write("sic.xyz", [
            xyzFrame(cluster(centre: "C")),
            xyzFrame(crystal.atoms, lattice: crystal.lattice, pbc: "T T T"),
        ])
        let frames = try ExtendedXYZReader.readAll(path: input)
        var descriptor = smallSOAP
        descriptor.centreSpecies = [14]
        let options = FeatureExportOptions(featuresPath: path("f.npy"), gradientsPath: path("g.npz"), centresPath: path("c.npy"), threads: 2)
        let result = try FeatureExport.run(descriptor, descriptorSource: "soap.json", inputs: [input], options: options)
        XCTAssertEqual(result.hyperparameters.neighbourSpecies, [6, 14])
        XCTAssertEqual(result.hyperparameters.centreSpecies, [14])
        // Global atoms: cluster 0 (C), 1–4 (Si); crystal 5–12 with C at 6 and 9.
        let siliconAtoms: [Int64] = [1, 2, 3, 4, 5, 7, 8, 10, 11, 12]
        XCTAssertEqual(try NumPyArray.readNPY(path: path("c.npy")).int64Values, siliconAtoms)
        let expected = try ExpectedFiles(descriptor, frames: frames)
        XCTAssertEqual(expected.centres, siliconAtoms)
        XCTAssertEqual(bits(try NumPyArray.readNPY(path: path("f.npy")).float64Values), bits(expected.features))
        let g = try NumPyArray.readNPZ(path: path("g.npz"))
        XCTAssertEqual(g["samples"]?.int64Values, expected.samples)
        XCTAssertEqual(bits(g["values"]?.float64Values), bits(expected.values))
        XCTAssertEqual(g["strain_samples"]?.int64Values, Array(4..<10))
        // Carbon atoms (no rows of their own) still appear as neighbours in the samples.
        let atoms = Set(stride(from: 1, to: expected.samples.count, by: 2).map { expected.samples[$0] })
        XCTAssertTrue(atoms.isSuperset(of: [0, 6, 9]))
    }

    func testOutputDoesNotDependOnThreadsOrBatching() throws {
        // Many small frames (several batches) around one large frame (computed alone).
        var frames: [String] = []
        for k in 0..<30 { frames.append(xyzFrame(cluster(shift: 0.01 * Double(k)))) }
        let big = siliconCrystal(seed: 9)
        var atoms: [(String, Vector3)] = []
        for copy in 0..<5 { atoms += big.atoms.map { ($0.0, $0.1 + Vector3(0, 0, 5.6 * Double(copy))) } }
        frames.insert(xyzFrame(atoms, lattice: [5.5, 0, 0, 0.4, 5.3, 0, 1.0, 1.5, 28.0], pbc: "T T T"), at: 12)
        let input = try write("many.xyz", frames)
        var outputs: [[Data]] = []
        // The large frame in one block, in blocks of one row, and of a few rows.
        for (k, (threads, blockBytes)) in [(1, Int.max), (2, Exporter.defaultBlockBytes), (3, Exporter.defaultBlockBytes), (1, 1), (2, 50_000)].enumerated() {
            let names = ["f\(k).npy", "g\(k).npz", "c\(k).npy"]
            var options = FeatureExportOptions(featuresPath: path(names[0]), gradientsPath: path(names[1]), centresPath: path(names[2]), threads: threads)
            options.blockBytes = blockBytes
            _ = try FeatureExport.run(smallSOAP, descriptorSource: "soap.json", inputs: [input], options: options)
            outputs.append(try names.map { try Data(contentsOf: URL(fileURLWithPath: path($0))) })
        }
        for k in 1..<outputs.count { XCTAssertEqual(outputs[0], outputs[k], "run \(k)") }
        let expected = try ExpectedFiles(smallSOAP, frames: ExtendedXYZReader.readAll(path: input))
        XCTAssertEqual(bits(try NumPyArray.readNPY(path: path("f2.npy")).float64Values), bits(expected.features))
    }

    func testSeveralInputsAreConcatenated() throws {
        let (input, frames) = try mixedInput()
        let second = try write("second.xyz", [xyzFrame(cluster(shift: 0.3))])
        let options = FeatureExportOptions(featuresPath: path("f.npy"), gradientsPath: path("g.npz"), threads: 2)
        _ = try FeatureExport.run(smallSOAP, descriptorSource: "soap.json", inputs: [input, second], options: options)
        let expected = try ExpectedFiles(smallSOAP, frames: frames + ExtendedXYZReader.readAll(path: second))
        XCTAssertEqual(bits(try NumPyArray.readNPY(path: path("f.npy")).float64Values), bits(expected.features))
        XCTAssertEqual(try NumPyArray.readNPZ(path: path("g.npz"))["samples"]?.int64Values, expected.samples)
    }

    func testFailuresLeaveNoOutputFiles() throws {
        let a = siliconCrystal(seed: 1)
        var overlapping = cluster()
        overlapping[3].1 = overlapping[0].1
        let input = try write("bad.xyz", [xyzFrame(a.atoms, lattice: a.lattice, pbc: "T T T"), xyzFrame(cluster()), xyzFrame(overlapping)])
        let options = FeatureExportOptions(featuresPath: path("f.npy"), gradientsPath: path("g.npz"), centresPath: path("c.npy"), threads: 2)
        XCTAssertThrowsError(try FeatureExport.run(smallSOAP, descriptorSource: "soap.json", inputs: [input], options: options)) { error in
            XCTAssertTrue(error is InputError)
            XCTAssertTrue("\(error)".contains("bad.xyz:18") && "\(error)".contains("coincide"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["bad.xyz"])
    }

    func testCentreSpeciesMissingFromInputIsAnError() throws {
        let (input, _) = try mixedInput()
        var descriptor = smallSOAP
        descriptor.centreSpecies = [6]
        let options = FeatureExportOptions(featuresPath: path("f.npy"))
        XCTAssertThrowsError(try FeatureExport.run(descriptor, descriptorSource: "soap.json", inputs: [input], options: options)) { error in
            XCTAssertEqual("\(error)", "soap.json: Z: none of the centre species C occurs in the input (species present: Si)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("f.npy")))
    }

    func testOutputsMayNotCoincideWithEachOtherOrTheInput() throws {
        let (input, _) = try mixedInput()
        for options in [
            FeatureExportOptions(featuresPath: path("x.npy"), gradientsPath: path("x.npy")),
            FeatureExportOptions(featuresPath: path("./mixed.xyz")),
        ] {
            XCTAssertThrowsError(try FeatureExport.run(smallSOAP, descriptorSource: "soap.json", inputs: [input], options: options)) { error in
                XCTAssertTrue("\(error)".contains("same file") || "\(error)".contains("would be overwritten"), "\(error)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["mixed.xyz"])
    }
}
