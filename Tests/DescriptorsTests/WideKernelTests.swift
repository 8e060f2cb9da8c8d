import Foundation
import AtomicStructures
import CSOAPKernels
import NeighbourLists
import Support
import TestSupport
import XCTest
@testable import Descriptors

/// The eight-wide (AVX-512) SOAP kernels against the portable Swift loops: the same bits for every
/// n_max and l_max + 1 the wide path takes, on pseudo-random tables with values across many
/// magnitudes, with pair slots out of order and subsets of them (as for several species).
final class WideKernelTests: XCTestCase {
    /// Values spread over twelve orders of magnitude and both signs, so that a changed rounding
    /// anywhere (a fused multiply-add, another summation order) shows in the low bits.
    func table(_ count: Int, _ random: inout SplitMix64) -> [Double] {
        (0..<count).map { _ in
            let magnitude = pow(10.0, 12 * random.unitInterval() - 6)
            return (random.unitInterval() - 0.5) * magnitude
        }
    }

    func skipUnlessWide() throws {
        try XCTSkipUnless(
            swiftgap_soap_wide_available() != 0, "this CPU has no AVX-512 F and DQ: the portable loops are the only path")
    }

    func testAccumulateRowIsBitwiseThePortableLoop() throws {
        try skipUnlessWide()
        var random = SplitMix64(seed: 17)
        for lCount in 1...Int(SWIFTGAP_SOAP_WIDE_MAX_L_COUNT) {
            for nMax in [1, 3, 6, 9] {
                let pairCount = 13
                let lm = lCount * lCount, nl = nMax * lCount
                let radial = table(pairCount * nl, &random), harmonics = table(pairCount * lm, &random)
                // Every other slot, in reverse: a channel's subset of a row's pairs.
                let slots = Array(stride(from: pairCount - 1, through: 0, by: -2))
                let start = table(nMax * lm, &random)
                var portable = start, wide = start
                radial.withUnsafeBufferPointer { w in
                harmonics.withUnsafeBufferPointer { y in
                slots.withUnsafeBufferPointer { s in
                    SOAPKernels.accumulateRowPortable(
                        coefficients: &portable, weightedRadial: w.baseAddress!, harmonics: y.baseAddress!,
                        slots: s.baseAddress!, slotCount: s.count, nMax: nMax, lCount: lCount)
                    s.withMemoryRebound(to: Int64.self) { s64 in
                        swiftgap_soap_accumulate_row(
                            &wide, w.baseAddress!, y.baseAddress!, s64.baseAddress!, Int64(s64.count), Int64(nMax), Int64(lCount))
                    }
                }
                }
                }
                XCTAssertEqual(
                    wide.map(\.bitPattern), portable.map(\.bitPattern), "n_max \(nMax), l_max + 1 = \(lCount)")
            }
        }
    }

    func testPowerSpectrumIsBitwiseThePortableLoop() throws {
        try skipUnlessWide()
        var random = SplitMix64(seed: 43)
        for lCount in 1...Int(SWIFTGAP_SOAP_WIDE_MAX_L_COUNT) {
            for channelCount in [1, 3, 6, 8, 9, 12, Int(SWIFTGAP_SOAP_WIDE_MAX_SPECTRUM_CHANNELS)] {
                let coefficients = table(channelCount * lCount * lCount, &random)
                let k = (0..<lCount).map { 1 / Double(2 * $0 + 1).squareRoot() }
                let count = channelCount * (channelCount + 1) / 2 * lCount
                // A guard element past the last value.
                var portable = [Double](repeating: 7, count: count + 1), wide = portable
                SOAPKernels.powerSpectrumPortable(
                    coefficients: coefficients, channelCount: channelCount, lCount: lCount, inverseRootDegeneracy: k,
                    into: &portable)
                swiftgap_soap_power_spectrum(coefficients, Int64(channelCount), Int64(lCount), k, &wide)
                XCTAssertEqual(
                    wide.map(\.bitPattern), portable.map(\.bitPattern), "\(channelCount) channels, l_max + 1 = \(lCount)")
            }
        }
    }

    func testPowerSpectrumAdjointIsBitwiseThePortableLoop() throws {
        try skipUnlessWide()
        var random = SplitMix64(seed: 37)
        for lCount in 1...Int(SWIFTGAP_SOAP_WIDE_MAX_L_COUNT) {
            for channelCount in [1, 3, 6, 12] {
                let lm = lCount * lCount
                let coefficients = table(channelCount * lm, &random)
                let adjoint = table(channelCount * (channelCount + 1) / 2 * lCount, &random)
                let k = (0..<lCount).map { 1 / Double(2 * $0 + 1).squareRoot() }
                // Nonzero start (G accumulates) and a guard element past the last channel.
                var portable = table(channelCount * lm, &random) + [7]
                var wide = portable
                SOAPKernels.powerSpectrumAdjointPortable(
                    coefficients: coefficients, spectrumAdjoint: adjoint, inverseRootDegeneracy: k, channelCount: channelCount,
                    lCount: lCount, into: &portable)
                swiftgap_soap_power_spectrum_adjoint(coefficients, adjoint, k, Int64(channelCount), Int64(lCount), &wide)
                XCTAssertEqual(
                    wide.map(\.bitPattern), portable.map(\.bitPattern), "\(channelCount) channels, l_max + 1 = \(lCount)")
                XCTAssertEqual(wide[channelCount * lm], 7, "wrote past the last channel")
            }
        }
    }

    func testWeightedSplineIsBitwiseThePortableEvaluation() throws {
        try skipUnlessWide()
        var random = SplitMix64(seed: 53)
        for count in [1, 5, 8, 9, 42, 130] {
            let intervals = 4, inverseStep = 0.8
            let table = table(intervals * 6 * count, &random)
            for r in [0.0, 0.3, 1.7, 4.99] {
                let w = random.unitInterval(), dw = random.unitInterval() - 0.5
                var radial = [Double](repeating: 0, count: count), slope = radial
                RadialSpline.evaluate(
                    r, table: table, count: count, intervalCount: intervals, inverseStep: inverseStep, values: &radial,
                    derivatives: &slope)
                let portable = radial.map { w * $0 }
                let portableSlope = zip(radial, slope).map { dw * $0 + w * $1 }
                let (rows, t) = RadialSpline.interval(r, table: table, count: count, intervalCount: intervals, inverseStep: inverseStep)
                var wide = [Double](repeating: 0, count: count + 1), wideSlope = wide
                swiftgap_soap_weighted_spline(rows, Int64(count), t, inverseStep, w, dw, &wide, &wideSlope)
                XCTAssertEqual(wide[..<count].map(\.bitPattern), portable.map(\.bitPattern), "count \(count), r \(r)")
                XCTAssertEqual(wideSlope[..<count].map(\.bitPattern), portableSlope.map(\.bitPattern), "count \(count), r \(r)")
                XCTAssertEqual(wide[count], 0, "wrote past the end")
                var valuesOnly = [Double](repeating: 0, count: count)
                swiftgap_soap_weighted_spline(rows, Int64(count), t, inverseStep, w, dw, &valuesOnly, nil)
                XCTAssertEqual(valuesOnly, Array(wide[..<count]))
            }
        }
    }

    /// Whole structures through both paths: descriptor values with position and strain gradients
    /// (the training path) and reverse-mode forces and virial (prediction), bit for bit, for one
    /// and two species, l_max + 1 below and above 8, and the spline and radial scaling.
    func testWholeDescriptorsAreBitwiseTheSameOnBothPaths() throws {
        try skipUnlessWide()
        let saved = SOAPKernels.wideKernels
        defer { SOAPKernels.wideKernels = saved }
        let structures = [
            TestStructures.periodic(count: 6, species: [14, 8, 8], seed: 21, lattice: TestStructures.skewedLattice, minimumDistance: 1.6),
            TestStructures.cluster(count: 7, species: [14], seed: 33, box: 4.0),
        ]
        let calculators = [
            try SOAPCalculator(TestStructures.soap(nMax: 4, lMax: 3)),
            try SOAPCalculator(TestStructures.soap(nMax: 5, lMax: 9)),
            try SOAPCalculator(TestStructures.soap(nMax: 3, lMax: 6, scaling: RadialScaling(c: 1.3, r0: 2.1, m: 3.5))),
        ]
        for (c, calculator) in calculators.enumerated() {
            for (index, structure) in structures.enumerated() {
                let list = try NeighbourList(structure, cutoffRadius: calculator.hyperparameters.cutoffRadius)
                var results: [([Double], [Double], [Double], [Double], [Double])] = []
                for wide in [true, false] {
                    SOAPKernels.wideKernels = wide
                    let d = try calculator.compute(structure, gradients: true, strainGradients: true, threads: 1)
                    let f = calculator.featureCount
                    let reverse = try calculator.evaluateReverse(
                        structure, neighbours: list, forces: true, virial: true, blockSize: 3, threads: 1
                    ) { block in
                        for k in block.rows.indices {
                            var e = 0.0
                            for i in 0..<f {
                                let v = block.values[(k - block.rows.lowerBound) * f + i]
                                e += Double(i % 7 + 1) * v * v
                                block.valueGradients![(k - block.rows.lowerBound) * f + i] = 2 * Double(i % 7 + 1) * v
                            }
                            block.localEnergies[k - block.rows.lowerBound] = e
                        }
                    }
                    results.append((d.values, d.gradientValues, d.strainValues, reverse.forces, reverse.virial))
                }
                let label = "calculator \(c), structure \(index)"
                XCTAssertEqual(results[0].0.map(\.bitPattern), results[1].0.map(\.bitPattern), label)
                XCTAssertEqual(results[0].1.map(\.bitPattern), results[1].1.map(\.bitPattern), label)
                XCTAssertEqual(results[0].2.map(\.bitPattern), results[1].2.map(\.bitPattern), label)
                XCTAssertEqual(results[0].3.map(\.bitPattern), results[1].3.map(\.bitPattern), label)
                XCTAssertEqual(results[0].4.map(\.bitPattern), results[1].4.map(\.bitPattern), label)
                XCTAssertTrue(results[0].3.contains { $0 != 0 }, label)
            }
        }
    }

    /// The reverse-mode pair gradients of up to eight pairs in the lanes (angular parts in blocks,
    /// then pair weights and contraction) against the scalar path pair by pair (pair weights,
    /// contraction, then (Σ h′ Y / r) r⃗ + Σ h ∇Y as the block state forms it): the same bits, for
    /// partial blocks too, and nothing written but the pairs' own slots.
    func testPairsInLanesGradientsAreBitwiseTheScalarPairGradient() throws {
        try skipUnlessWide()
        let saved = SOAPKernels.wideKernels
        defer { SOAPKernels.wideKernels = saved }
        var random = SplitMix64(seed: 71)
        let vectors = (0..<30).map { _ in
            SIMD3(random.unitInterval() - 0.5, random.unitInterval() - 0.5, random.unitInterval() - 0.5) * 9
        }
        let distances = vectors.map { ($0 * $0).sum().squareRoot() }
        for lMax in 0..<Int(SWIFTGAP_SOAP_WIDE_MAX_L_COUNT) {
            let harmonics = RealSphericalHarmonics(lMax: lMax)
            let lm = (lMax + 1) * (lMax + 1)
            var scratch = [Double](repeating: 0, count: harmonics.scratchCount)
            for (nMax, count) in [(1, 1), (6, 5), (4, 8), (9, 11), (6, 16), (3, 23)] {
                let nl = nMax * (lMax + 1)
                let pairs = (0..<count).map { (11 * $0 + lMax) % vectors.count }
                let adjoint = table(nMax * lm, &random)
                let radial = table(count * nl, &random), slope = table(count * nl, &random)
                // Each pair's gradient goes to slot 2k + 1 of a row of 2 count + 1 slots.
                let slots = (0..<count).map { 2 * $0 + 1 }
                var portable = [Double](repeating: 5, count: 3 * (2 * count + 1))
                var h = [Double](repeating: 0, count: 2 * lm)
                SOAPKernels.wideKernels = false
                for (k, p) in pairs.enumerated() {
                    radial.withUnsafeBufferPointer { w in
                    slope.withUnsafeBufferPointer { ws in
                    h.withUnsafeMutableBufferPointer { hb in
                        SOAPKernels.pairWeights(
                            adjoint: adjoint, weightedRadial: w.baseAddress! + k * nl, weightedSlope: ws.baseAddress! + k * nl,
                            nMax: nMax, lCount: lMax + 1, h: hb.baseAddress!, hs: hb.baseAddress! + lm)
                    }
                    }
                    }
                    let (value, b) = h.withUnsafeBufferPointer { hb in
                        harmonics.contract(
                            vectors[p], distance: distances[p], weights: hb.baseAddress!, valueWeights: hb.baseAddress! + lm,
                            scratch: &scratch)
                    }
                    let g = (value / distances[p]) * vectors[p] + b
                    for a in 0..<3 { portable[3 * slots[k] + a] = g[a] }
                }
                SOAPKernels.wideKernels = true
                var records = [Double](repeating: 0, count: harmonics.angularRecordCapacity(pairCount: count))
                harmonics.angularPartsWide(vectors: vectors, distances: distances, pairs: pairs, count: count, records: &records)
                var wide = [Double](repeating: 5, count: 3 * (2 * count + 1))
                var gradientScratch = [Double](repeating: 0, count: harmonics.pairGradientScratchCount(nMax: nMax))
                for first in stride(from: 0, to: count, by: 8) {
                    records.withUnsafeBufferPointer { r in
                    radial.withUnsafeBufferPointer { w in
                    slope.withUnsafeBufferPointer { ws in
                    pairs.withUnsafeBufferPointer { p in
                    slots.withUnsafeBufferPointer { s in
                    wide.withUnsafeMutableBufferPointer { out in
                        harmonics.pairGradientsWide(
                            records: r.baseAddress! + first * harmonics.angularRecordStride, adjoint: adjoint,
                            weightedRadial: w.baseAddress! + first * nl, weightedSlope: ws.baseAddress! + first * nl,
                            count: min(8, count - first), nMax: nMax, vectors: vectors, distances: distances,
                            pairs: p.baseAddress! + first, slots: s.baseAddress! + first, scratch: &gradientScratch,
                            gradients: out.baseAddress!)
                    }
                    }
                    }
                    }
                    }
                    }
                }
                XCTAssertEqual(wide.map(\.bitPattern), portable.map(\.bitPattern), "l_max \(lMax), n_max \(nMax), \(count) pairs")
            }
        }
    }

    func testBatchedHarmonicsAreBitwiseThePairByPairValues() throws {
        try skipUnlessWide()
        XCTAssertEqual(MemoryLayout<SIMD3<Double>>.stride, 4 * MemoryLayout<Double>.stride)
        var random = SplitMix64(seed: 67)
        let vectors = (0..<40).map { _ in
            SIMD3(random.unitInterval() - 0.5, random.unitInterval() - 0.5, random.unitInterval() - 0.5) * 9
        }
        let distances = vectors.map { ($0 * $0).sum().squareRoot() }
        for lMax in 0..<Int(SWIFTGAP_SOAP_WIDE_MAX_L_COUNT) {
            let harmonics = RealSphericalHarmonics(lMax: lMax)
            let lm = (lMax + 1) * (lMax + 1)
            var scratch = [Double](repeating: 0, count: harmonics.scratchCount)
            for count in [1, 7, 8, 13, 27] {
                let pairs = (0..<count).map { (7 * $0 + lMax) % vectors.count }
                var portable = [Double](repeating: 0, count: count * lm)
                for (k, p) in pairs.enumerated() {
                    portable.withUnsafeMutableBufferPointer { out in
                        harmonics.compute(
                            vectors[p], distance: distances[p], values: out.baseAddress! + k * lm, gradients: nil, scratch: &scratch)
                    }
                }
                var wide = [Double](repeating: 9, count: count * lm + 1)
                harmonics.computeWide(vectors: vectors, distances: distances, pairs: pairs, count: count, values: &wide)
                XCTAssertEqual(wide[..<(count * lm)].map(\.bitPattern), portable.map(\.bitPattern), "l_max \(lMax), \(count) pairs")
                XCTAssertEqual(wide[count * lm], 9, "wrote past the last pair")
            }
        }
    }

    /// The accumulation must not write past its block: the next channel's coefficients follow.
    func testAccumulateRowStopsAtItsBlock() throws {
        try skipUnlessWide()
        var random = SplitMix64(seed: 41)
        let nMax = 3, lCount = 7, lm = 49
        let radial = table(4 * nMax * lCount, &random), harmonics = table(4 * lm, &random)
        var coefficients = [Double](repeating: 0, count: nMax * lm + 9)
        for k in (nMax * lm)..<coefficients.count { coefficients[k] = 3 }
        let slots: [Int64] = [0, 1, 2, 3]
        swiftgap_soap_accumulate_row(&coefficients, radial, harmonics, slots, 4, Int64(nMax), Int64(lCount))
        XCTAssertEqual(Array(coefficients[(nMax * lm)...]), [Double](repeating: 3, count: 9))
        XCTAssertTrue(coefficients[..<(nMax * lm)].allSatisfy { $0 != 0 })
    }
}
