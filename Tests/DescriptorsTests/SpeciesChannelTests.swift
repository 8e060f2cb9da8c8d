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

    /// The supervised mixing: α = 1 is the PCA mixing; at α = 0 the first channel is the
    /// regression direction C⁻¹ b, with the species covariance C and the cross-covariance
    /// b[s] = (1/N) Σ_i Σ_n c_{s n 0 0}(i) ε_i recomputed here from the per-species expansion;
    /// the same bits for 1 and 2 threads; α outside [0, 1] is an input error.
    func testSupervisedMixing() throws {
        let h = TestStructures.soap(nMax: 3, lMax: 2, species: [6, 8, 14], normalise: false)
        let p = 3, speciesCount = 3, lm = 9
        let weights = (0..<(speciesCount * p)).map { 0.3 * sin(Double($0) + 1) + 0.1 }
        let pca = try RadialContraction.speciesChannels(h, channelCount: 2, structures: Self.structures, centres: Self.centres, threads: 2)
        let one = try RadialContraction.speciesChannels(
            h, channelCount: 2, structures: Self.structures, centres: Self.centres, threads: 2, supervision: .init(mixing: 1, weights: weights))
        for (a, b) in zip(pca.matrices, one.matrices) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        for (a, b) in zip(pca.eigenvalues, one.eigenvalues) { XCTAssertEqual(a, b, accuracy: 1e-12 * pca.eigenvalues[0]) }

        let half1 = try RadialContraction.speciesChannels(
            h, channelCount: 2, structures: Self.structures, centres: Self.centres, threads: 1, supervision: .init(mixing: 0.4, weights: weights))
        let half2 = try RadialContraction.speciesChannels(
            h, channelCount: 2, structures: Self.structures, centres: Self.centres, threads: 2, supervision: .init(mixing: 0.4, weights: weights))
        XCTAssertEqual(half1, half2)
        XCTAssertNotEqual(half1.matrices, pca.matrices)

        // C and b from the expansion of every environment.
        let full = try SOAPCalculator(h)
        var c = [[Double]](repeating: [Double](repeating: 0, count: speciesCount), count: speciesCount)
        var b = [Double](repeating: 0, count: speciesCount)
        var count = 0
        for structure in Self.structures {
            let e = try full.densityExpansion(structure)
            for row in 0..<e.rowCount {
                count += 1
                let x = { (s: Int, n: Int, m: Int) in e.values[row * e.featureCount + (s * p + n) * lm + m] }
                var energy = 0.0
                for s in 0..<speciesCount { for n in 0..<p { energy += weights[s * p + n] * x(s, n, 0) } }
                for s in 0..<speciesCount {
                    for n in 0..<p {
                        b[s] += x(s, n, 0) * energy
                        for t in 0..<speciesCount { for m in 0..<lm { c[s][t] += x(s, n, m) * x(t, n, m) } }
                    }
                }
            }
        }
        // C⁻¹ b by Cramer's rule (3 x 3).
        func det(_ m: [[Double]]) -> Double {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        }
        let d = det(c)
        var direction = (0..<speciesCount).map { k -> Double in
            var m = c
            for s in 0..<speciesCount { m[s][k] = b[s] }
            return det(m) / d
        }
        let regression = try RadialContraction.speciesChannels(
            h, channelCount: 1, structures: Self.structures, centres: Self.centres, threads: 2, supervision: .init(mixing: 0, weights: weights))
        XCTAssertEqual(regression.environmentCount, count)
        let w = (0..<speciesCount).map { regression.matrix(speciesIndex: $0, l: 0)[0] }
        let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot(), wNorm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let sign: Double = (zip(w, direction).reduce(0) { $0 + $1.0 * $1.1 }) < 0 ? -1 : 1
        direction = direction.map { sign * $0 / norm }
        for (x, y) in zip(w, direction) { XCTAssertEqual(x / wNorm, y, accuracy: 1e-9) }

        XCTAssertThrowsError(try RadialContraction.speciesChannels(
            h, channelCount: 2, structures: Self.structures, centres: Self.centres, supervision: .init(mixing: 1.5, weights: weights))) {
            XCTAssertEqual(($0 as? InputError)?.field, "supervised_mixing")
        }
    }
}
