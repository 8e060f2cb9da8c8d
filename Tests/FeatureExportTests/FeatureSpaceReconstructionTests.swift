import Foundation
import XCTest
import AtomicStructures
import Configuration
import Descriptors
import LinearAlgebra
import Support
@testable import FeatureExport

/// GFRE and GFRD against scikit-matter on the same split (Fixtures/make_reconstruction_fixture.py),
/// and their defining properties.
final class FeatureSpaceReconstructionTests: XCTestCase {
    func matrix(_ value: Any?) -> Matrix {
        let rows = (value as? [[NSNumber]] ?? []).map { $0.map(\.doubleValue) }
        var m = Matrix(rows: rows.count, columns: rows.first?.count ?? 0)
        for (i, row) in rows.enumerated() { for (j, x) in row.enumerated() { m[i, j] = x } }
        return m
    }

    func integers(_ value: Any?) -> [Int] { (value as? [NSNumber] ?? []).map(\.intValue) }

    func testMatchesScikitMatter() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "reconstruction_reference", withExtension: "json", subdirectory: "Fixtures"))
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try XCTUnwrap(record["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 3)
        var compared = 0
        for c in cases {
            let x = matrix(c["x"]), y = matrix(c["y"])
            let split = FeatureSpaceReconstruction.Split(
                train: integers(c["train"]), test: integers(c["test"]), innerFirst: integers(c["fold1"]), innerSecond: integers(c["fold2"]))
            for (name, source, target) in [("x_to_y", x, y), ("y_to_x", y, x)] {
                let ours = try FeatureSpaceReconstruction.measures(source: source, target: target, split: split)
                let gfre = try XCTUnwrap((c["gfre_\(name)"] as? NSNumber)?.doubleValue)
                print("\(source.columns)→\(target.columns): GFRE ours \(ours.error) skmatter \(gfre); GFRD ours \(ours.distortion) skmatter \((c["gfrd_\(name)"] as? NSNumber)?.doubleValue ?? .nan)")
                XCTAssertEqual(ours.error, gfre, accuracy: 1e-10 * gfre)
                compared += 1
                if let gfrd = (c["gfrd_\(name)"] as? NSNumber)?.doubleValue {
                    XCTAssertEqual(ours.distortion, gfrd, accuracy: 1e-10 * gfrd)
                    compared += 1
                }
            }
        }
        XCTAssertEqual(compared, 10)
    }

    /// A space reconstructs itself and any invertible linear map of itself (GFRE ≈ 0), and a
    /// rotation of itself without distortion (GFRD ≈ 0); independent noise is not reconstructed
    /// (GFRE ≈ 1).
    func testDefiningProperties() throws {
        var random = SplitMix64ForTests(state: 7)
        let n = 200, p = 6
        var x = Matrix(rows: n, columns: p), noise = Matrix(rows: n, columns: 4)
        for k in x.storage.indices { x.storage[k] = random.normal() }
        for k in noise.storage.indices { noise.storage[k] = random.normal() }
        var mixing = Matrix(rows: p, columns: p)
        for k in mixing.storage.indices { mixing.storage[k] = random.normal() }
        let split = FeatureSpaceReconstruction.Split(count: n, seed: 3)
        XCTAssertEqual(Set(split.train + split.test), Set(0..<n))
        XCTAssertEqual(split.innerFirst.count + split.innerSecond.count, split.train.count)
        let same = try FeatureSpaceReconstruction.measures(source: x, target: x, split: split)
        XCTAssertLessThan(same.error, 1e-6)
        XCTAssertLessThan(same.distortion, 1e-6)
        let mixed = try FeatureSpaceReconstruction.measures(source: x, target: x * mixing, split: split)
        XCTAssertLessThan(mixed.error, 1e-6)
        XCTAssertGreaterThan(mixed.distortion, 0.05, "a generic linear map is not a rotation")
        let unrelated = try FeatureSpaceReconstruction.measures(source: x, target: noise, split: split)
        XCTAssertGreaterThan(unrelated.error, 0.9)
        XCTAssertEqual(FeatureSpaceReconstruction.relativeRegularisations.count, 20)
        XCTAssertEqual(FeatureSpaceReconstruction.relativeRegularisations.first, 1e-9)
        XCTAssertEqual(FeatureSpaceReconstruction.relativeRegularisations.last, 0.9)
    }
}

/// Box–Muller normals from SplitMix64 (test data only).
struct SplitMix64ForTests {
    var state: UInt64
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / Double(1 << 53)
    }
    mutating func normal() -> Double { (-2 * log(next())).squareRoot() * cos(2 * Double.pi * next()) }
}

/// gap-features compare fits a species mixing to its input.
final class SpeciesMixingComparisonTests: XCTestCase {
    /// GFRE compares feature spaces without labels: a supervised species mixing (fitted to
    /// energies) is refused, naming `species_mixing`; the PCA mixing is fitted.
    func testSupervisedSpeciesMixingIsRefused() throws {
        let structure = Structure(
            atomicNumbers: [6, 8, 14, 6], positions: [Vector3(0, 0, 0), Vector3(1.5, 0, 0), Vector3(0, 1.6, 0), Vector3(0, 0, 1.7)])
        for supervision in [nil, 0.5] {
            let d = SOAPDescriptorConfig(
                cutoffRadius: 4, nMax: 2, lMax: 2, atomSigma: 0.5, speciesChannels: 2, speciesMixingSupervision: supervision)
            let h = d.hyperparameters(speciesPresent: [6, 8, 14])
            let make = {
                try FeatureComparison.calculator(
                    d, h, source: "a.json", structures: [structure], environments: [(0, 0), (0, 1), (0, 2), (0, 3)], seed: 1, threads: 1)
            }
            if supervision == nil {
                XCTAssertEqual(try make().featureCount, 4 * 5 / 2 * 3)
            } else {
                XCTAssertThrowsError(try make()) { XCTAssertEqual(($0 as? InputError)?.field, "species_mixing") }
            }
        }
    }
}
