import AtomicStructures
import Support
import XCTest
@testable import Descriptors

/// SOAP hyper-parameters found by fuzzing model files (Fuzz/README.md) that trapped or asked for
/// gigabytes while building the calculator. They are valid by the documented ranges (positive
/// finite widths), so construction must either work within bounded memory or throw InputError.
final class DescriptorFuzzRegressionTests: XCTestCase {
    private func hyperparameters(nMax: Int = 1, lMax: Int = 0, atomSigma: Double) -> SOAPHyperparameters {
        SOAPHyperparameters(
            cutoffRadius: 5, cutoffTransitionWidth: 1, nMax: nMax, lMax: lMax, atomSigma: atomSigma,
            neighbourSpecies: [14], centreSpecies: [14])
    }

    /// σ = 10⁻³⁰⁰ Å: α = 1/(2σ²) overflows, the overlap integrals are NaN, and LAPACK's NaN check
    /// made `choleskyLower` trap on "invalid argument". Now an InputError on `atom_sigma`.
    func testNonFiniteBasisIsAnInputError() {
        XCTAssertThrowsError(try SOAPCalculator(hyperparameters(atomSigma: 1e-300))) { error in
            guard let e = error as? InputError else { return XCTFail("not an InputError: \(error)") }
            XCTAssertEqual(e.field, "atom_sigma")
            XCTAssertTrue(e.message.contains("too extreme"), "\(e)")
        }
    }

    /// σ = 10⁻¹⁸ Å gives a finite basis, but the first spline grid, 40·cutoff/σ = 2·10²⁰
    /// intervals, overflowed `Int` (a trap). The grid now starts at its size limit.
    func testSplineGridStartsWithinItsLimit() throws {
        let calculator = try SOAPCalculator(hyperparameters(atomSigma: 1e-18))
        XCTAssertEqual(calculator.splineIntervalCount, 1 << 16)
    }

    /// The size limit: 2¹⁶ intervals up to 64 radial functions n_max (l_max + 1), then at most
    /// 2²² table entries (n_max 64, l_max 24 used to need 2¹⁶ · 6 · 1600 doubles, 5 GB).
    func testSplineTableSizeIsBounded() {
        XCTAssertEqual(RadialSpline.maximumIntervals(functionCount: 1), 1 << 16)
        XCTAssertEqual(RadialSpline.maximumIntervals(functionCount: 64), 1 << 16)
        XCTAssertEqual(RadialSpline.maximumIntervals(functionCount: 65), (1 << 22) / 65)
        let largest = SOAPCalculator.maximumNMax * (SOAPCalculator.maximumLMax + 1)
        XCTAssertEqual(RadialSpline.maximumIntervals(functionCount: largest), 2621)
        XCTAssertLessThanOrEqual(RadialSpline.maximumIntervals(functionCount: largest) * largest, 1 << 22)
    }

    /// Ordinary hyper-parameters are far from the limit and keep their accuracy.
    func testOrdinarySplineIsUnaffected() throws {
        let calculator = try SOAPCalculator(hyperparameters(nMax: 8, lMax: 6, atomSigma: 0.5))
        XCTAssertLessThan(calculator.splineIntervalCount, 1 << 13)
        XCTAssertLessThan(calculator.splineAccuracy.value, 1e-13)
        XCTAssertLessThan(calculator.splineAccuracy.derivative, 1e-11)
    }
}
