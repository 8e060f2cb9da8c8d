import Foundation
import CSOAPKernels
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
            swiftgap_soap_wide_available() != 0, "this CPU has no AVX-512F: the portable loops are the only path")
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

    func testPairWeightsAreBitwiseThePortableLoop() throws {
        try skipUnlessWide()
        var random = SplitMix64(seed: 29)
        for lCount in 1...Int(SWIFTGAP_SOAP_WIDE_MAX_L_COUNT) {
            for nMax in [1, 4, 6, 10] {
                let lm = lCount * lCount, nl = nMax * lCount
                let adjoint = table(nMax * lm, &random)
                let radial = table(nl, &random), slope = table(nl, &random)
                // A guard element past each output: the wide stores must stop at l_count².
                var portable = [Double](repeating: 7, count: 2 * lm + 1), wide = portable
                adjoint.withUnsafeBufferPointer { g in
                radial.withUnsafeBufferPointer { w in
                slope.withUnsafeBufferPointer { ws in
                    portable.withUnsafeMutableBufferPointer { out in
                        SOAPKernels.pairWeightsPortable(
                            adjoint: g.baseAddress!, weightedRadial: w.baseAddress!, weightedSlope: ws.baseAddress!,
                            nMax: nMax, lCount: lCount, h: out.baseAddress!, hs: out.baseAddress! + lm)
                    }
                    wide.withUnsafeMutableBufferPointer { out in
                        swiftgap_soap_pair_weights(
                            g.baseAddress!, w.baseAddress!, ws.baseAddress!, Int64(nMax), Int64(lCount), out.baseAddress!,
                            out.baseAddress! + lm)
                    }
                }
                }
                }
                XCTAssertEqual(
                    wide.map(\.bitPattern), portable.map(\.bitPattern), "n_max \(nMax), l_max + 1 = \(lCount)")
                XCTAssertEqual(wide[2 * lm], 7, "wrote past hs")
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
