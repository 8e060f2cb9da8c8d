import XCTest
import AtomicStructures
import Support
@testable import Descriptors

/// Alchemical compression: the species mixing is a PCA of the species covariance, the
/// compressed expansion is that mixing of the per-species one, K = S keeps every kernel, and
/// gradients stay exact.
final class SpeciesChannelTests: XCTestCase {
    /// Three species so that K = 2 compresses.
    static let structures: [Structure] = [
        TestStructures.periodic(count: 6, species: [14, 8, 6], seed: 41, lattice: TestStructures.skewedLattice, minimumDistance: 1.5),
        TestStructures.periodic(count: 6, species: [8, 8, 14, 6], seed: 42, lattice: TestStructures.skewedLattice, minimumDistance: 1.5),
        TestStructures.cluster(count: 6, species: [6, 14, 8], seed: 43, box: 4.0, minimumDistance: 1.6),
    ]
    static var centres: [[Int]] { structures.map { Array($0.atomicNumbers.indices) } }

    func testCompressedExpansionIsTheSpeciesMixing() throws {
        let h = TestStructures.soap(nMax: 3, lMax: 2, species: [6, 8, 14], normalise: false)
        let contraction = try RadialContraction.speciesChannels(h, channelCount: 2, structures: Self.structures, centres: Self.centres, threads: 2)
        XCTAssertEqual(contraction.contractedCount, 6)
        XCTAssertTrue(contraction.combinesSpecies)
        // The mixing W[s, k] is the (s, n = 0) → (k, n = 0) entry of the l = 0 block; orthonormal columns.
        let w = (0..<3).map { s in (0..<2).map { k in contraction.matrix(speciesIndex: s, l: 0)[0 * 6 + k * 3] } }
        for a in 0..<2 {
            for b in 0..<2 {
                XCTAssertEqual((0..<3).reduce(0) { $0 + w[$1][a] * w[$1][b] }, a == b ? 1 : 0, accuracy: 1e-12)
            }
        }
        // Retained variance at the kept count = (λ1 + λ2) / Σλ of the species covariance.
        let fractions = contraction.retainedVariance(speciesIndex: 0, l: 1)
        XCTAssertEqual(fractions.count, 9)
        XCTAssertLessThan(fractions[5], 1)
        XCTAssertEqual(fractions[8], 1, accuracy: 1e-12)
        var compressedH = h
        compressedH.nMax = 6
        let full = try SOAPCalculator(h), compressed = try SOAPCalculator(compressedH, radialContraction: contraction)
        let lm = 9
        for structure in Self.structures {
            let a = try full.densityExpansion(structure), b = try compressed.densityExpansion(structure)
            var worst = 0.0, scale = 0.0
            for row in 0..<a.rowCount {
                for k in 0..<2 {
                    for n in 0..<3 {
                        for m in 0..<lm {
                            var expected = 0.0
                            for s in 0..<3 { expected += w[s][k] * a.values[row * a.featureCount + (s * 3 + n) * lm + m] }
                            let ours = b.values[row * b.featureCount + (k * 3 + n) * lm + m]
                            worst = max(worst, abs(ours - expected))
                            scale = max(scale, abs(expected))
                        }
                    }
                }
            }
            XCTAssertLessThan(worst / scale, 1e-12)
        }
    }

    func testAllChannelsKeepTheKernelAndGradientsAreExact() throws {
        let h = TestStructures.soap(nMax: 2, lMax: 2, species: [6, 8, 14])
        let keep = try RadialContraction.speciesChannels(h, channelCount: 3, structures: Self.structures, centres: Self.centres, threads: 1)
        let two = try RadialContraction.speciesChannels(h, channelCount: 2, structures: Self.structures, centres: Self.centres, threads: 2)
        var wide = h, narrow = h
        wide.nMax = 6
        narrow.nMax = 4
        for correlation in [DensityCorrelation.powerSpectrum, .bispectrum(pseudoscalars: false)] {
            let plain = try correlation.makeCalculator(h)
            let mixed = try correlation.makeCalculator(wide, radialContraction: keep)
            let a = try Self.structures.flatMap { try plain.values($0).values }
            let b = try Self.structures.flatMap { try mixed.values($0).values }
            let rows = a.count / plain.featureCount
            var worst = 0.0
            for i in 0..<rows {
                for j in 0..<rows {
                    let ka = (0..<plain.featureCount).reduce(0) { $0 + a[i * plain.featureCount + $1] * a[j * plain.featureCount + $1] }
                    let kb = (0..<mixed.featureCount).reduce(0) { $0 + b[i * mixed.featureCount + $1] * b[j * mixed.featureCount + $1] }
                    worst = max(worst, abs(ka - kb))
                }
            }
            XCTAssertLessThan(worst, 1e-12, "\(correlation)")
            let compressed = try correlation.makeCalculator(narrow, radialContraction: two)
            XCTAssertLessThan(compressed.featureCount, plain.featureCount)
            print("species channels 2 of 3, \(correlation.typeName): \(compressed.featureCount) features instead of \(plain.featureCount)")
            XCTAssertLessThan(try positionFiniteDifferenceError(compressed, Self.structures[0]), 1e-8)
            XCTAssertLessThan(try strainFiniteDifferenceError(compressed, Self.structures[1]), 1e-8)
        }
        XCTAssertThrowsError(try RadialContraction.speciesChannels(h, channelCount: 4, structures: Self.structures, centres: Self.centres)) {
            XCTAssertEqual(($0 as? InputError)?.field, "species_channels")
        }
    }
}
