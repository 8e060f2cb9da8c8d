import XCTest
import AtomicStructures
@testable import Descriptors

/// The SOAP building blocks one at a time: scaled Bessel functions, real spherical harmonics and
/// their gradients, the radial basis and its spline.
final class BuildingBlockTests: XCTestCase {
    // MARK: Modified spherical Bessel functions

    func testScaledBesselAgainstHighPrecision() throws {
        let record = try loadFixture("bessel_scaled.json")
        let lMax = try XCTUnwrap((record["l_max"] as? NSNumber)?.intValue)
        var output = [Double](repeating: 0, count: lMax + 1)
        var closed = output, ratio = output
        var worst = 0.0
        for case let entry as [String: Any] in record["table"] as? [Any] ?? [] {
            let x = try XCTUnwrap((entry["x"] as? NSNumber)?.doubleValue)
            let reference = doubles(entry["values"])
            output.withUnsafeMutableBufferPointer { ModifiedSphericalBessel.scaled(x, lMax: lMax, into: $0.baseAddress!) }
            ratio.withUnsafeMutableBufferPointer { ModifiedSphericalBessel.ratioRecurrence(x, lMax: lMax, into: $0.baseAddress!) }
            closed.withUnsafeMutableBufferPointer { ModifiedSphericalBessel.closedForm(x, lMax: lMax, into: $0.baseAddress!) }
            for l in 0...lMax where abs(reference[l]) > 1e-290 {
                let error = abs(output[l] - reference[l]) / abs(reference[l])
                worst = max(worst, error)
                XCTAssertLessThan(error, 1e-14, "x = \(x), l = \(l)")
                // The recurrence is exact for every x; the closed form wherever x ≥ l².
                XCTAssertLessThan(abs(ratio[l] - reference[l]) / abs(reference[l]), 1e-14, "recurrence x = \(x), l = \(l)")
                if x >= Double(l * l), x >= 1 {
                    XCTAssertLessThan(abs(closed[l] - reference[l]) / abs(reference[l]), 1e-14, "closed form x = \(x), l = \(l)")
                }
            }
        }
        print("scaled Bessel: max relative error \(worst)")
        // x = 0: ĩ_0 = 1, others vanish.
        output.withUnsafeMutableBufferPointer { ModifiedSphericalBessel.scaled(0, lMax: lMax, into: $0.baseAddress!) }
        XCTAssertEqual(output[0], 1)
        XCTAssertEqual(output[1...].max(), 0)
    }

    // MARK: Spherical harmonics

    func testSphericalHarmonicsAgainstFeatomicBuildingBlocks() throws {
        let record = try loadSharedReference("building_blocks_bench.json")
        let harmonics = RealSphericalHarmonics(lMax: 6)
        var values = [Double](repeating: 0, count: harmonics.componentCount)
        var scratch = [Double](repeating: 0, count: harmonics.scratchCount)
        var worst = 0.0
        for case let entry as [String: Any] in record["real_spherical_harmonics"] as? [Any] ?? [] {
            let u = doubles(entry["unit_vector"])
            let reference = doubleMatrix(entry["Y_lm"])
            let vector = 2.7 * Vector3(u[0], u[1], u[2])
            values.withUnsafeMutableBufferPointer { v in
                scratch.withUnsafeMutableBufferPointer { s in
                    harmonics.compute(vector, distance: length(vector), values: v.baseAddress!, gradients: nil, scratch: s.baseAddress!)
                }
            }
            for l in 0...6 {
                for m in -l...l { worst = max(worst, abs(values[l * l + l + m] - reference[l][m + l])) }
            }
        }
        XCTAssertLessThan(worst, 1e-14)
    }

    /// Addition theorem Σ_m Y_lm(u) Y_lm(v) = (2l+1)/4π P_l(u · v), up to the largest l_max.
    func testSphericalHarmonicsAdditionTheorem() {
        let lMax = SOAPCalculator.maximumLMax
        let harmonics = RealSphericalHarmonics(lMax: lMax)
        var yu = [Double](repeating: 0, count: harmonics.componentCount), yv = yu
        var scratch = [Double](repeating: 0, count: harmonics.scratchCount)
        let pairs: [(Vector3, Vector3)] = [
            (Vector3(0.3, -0.4, 0.8), Vector3(-0.6, 0.1, 0.2)), (Vector3(0, 0, 1), Vector3(0.1, 0.2, -0.9)),
            (Vector3(1e-9, 0, -1), Vector3(0.5, 0.5, 0.5)), (Vector3(0.7, 0.7, 0), Vector3(0.7, 0.7, 1e-3)),
        ]
        for (u, v) in pairs {
            scratch.withUnsafeMutableBufferPointer { s in
                yu.withUnsafeMutableBufferPointer { harmonics.compute(u, distance: length(u), values: $0.baseAddress!, gradients: nil, scratch: s.baseAddress!) }
                yv.withUnsafeMutableBufferPointer { harmonics.compute(v, distance: length(v), values: $0.baseAddress!, gradients: nil, scratch: s.baseAddress!) }
            }
            let t = dot(u, v) / (length(u) * length(v))
            var legendre = [1.0, t]
            for l in 2...lMax { legendre.append((Double(2 * l - 1) * t * legendre[l - 1] - Double(l - 1) * legendre[l - 2]) / Double(l)) }
            for l in 0...lMax {
                var sum = 0.0, norm = 0.0
                for m in -l...l {
                    sum += yu[l * l + l + m] * yv[l * l + l + m]
                    norm += yu[l * l + l + m] * yu[l * l + l + m]
                }
                let expected = Double(2 * l + 1) / (4 * Double.pi)
                XCTAssertEqual(sum, expected * legendre[l], accuracy: 1e-13 * expected, "l = \(l)")
                XCTAssertEqual(norm, expected, accuracy: 1e-13 * expected, "l = \(l)")
            }
        }
    }

    /// Gradients against fourth-order finite differences of the values, and tangential (r · ∇Y = 0).
    func testSphericalHarmonicGradients() {
        let lMax = SOAPCalculator.maximumLMax
        let harmonics = RealSphericalHarmonics(lMax: lMax)
        let n = harmonics.componentCount
        var values = [Double](repeating: 0, count: n), gradients = [Double](repeating: 0, count: 3 * n)
        var scratch = [Double](repeating: 0, count: harmonics.scratchCount)
        func evaluate(_ r: Vector3) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            scratch.withUnsafeMutableBufferPointer { s in
                out.withUnsafeMutableBufferPointer { harmonics.compute(r, distance: length(r), values: $0.baseAddress!, gradients: nil, scratch: s.baseAddress!) }
            }
            return out
        }
        for r in [Vector3(1.3, -0.4, 2.1), Vector3(-0.2, 0.05, -3.0), Vector3(2.0, 2.5, 0.01)] {
            scratch.withUnsafeMutableBufferPointer { s in
                values.withUnsafeMutableBufferPointer { v in
                    gradients.withUnsafeMutableBufferPointer { g in
                        harmonics.compute(r, distance: length(r), values: v.baseAddress!, gradients: g.baseAddress!, scratch: s.baseAddress!)
                    }
                }
            }
            let h = 1e-4
            var worst = 0.0, scale = 0.0
            for alpha in 0..<3 {
                var e = Vector3.zero
                e[alpha] = h
                let p1 = evaluate(r + e), m1 = evaluate(r - e), p2 = evaluate(r + 2 * e), m2 = evaluate(r - 2 * e)
                for k in 0..<n {
                    let fd = (-p2[k] + 8 * p1[k] - 8 * m1[k] + m2[k]) / (12 * h)
                    worst = max(worst, abs(fd - gradients[alpha * n + k]))
                    scale = max(scale, abs(gradients[alpha * n + k]))
                }
            }
            XCTAssertLessThan(worst / scale, 1e-9)
            for k in 0..<n {
                let radial = r.x * gradients[k] + r.y * gradients[n + k] + r.z * gradients[2 * n + k]
                XCTAssertEqual(radial, 0, accuracy: 1e-12 * scale)
            }
        }
    }

    // MARK: Radial basis

    /// Exact first and second radial derivatives against finite differences of the exact values,
    /// and R_n0(0) equals the centre's coefficients L[0, n].
    func testExactRadialDerivatives() throws {
        for (nMax, lMax, sigma) in [(8, 6, 0.5), (6, 12, 0.3), (10, 2, 1.0)] {
            let basis = try GaussianRadialBasis(cutoffRadius: 5, atomSigma: sigma, nMax: nMax, lMax: lMax, errorFile: "test")
            let count = nMax * (lMax + 1)
            func evaluate(_ r: Double) -> ([Double], [Double], [Double]) {
                var v = [Double](repeating: 0, count: count), d = v, s = v
                var scratch = [Double](repeating: 0, count: basis.scratchCount)
                v.withUnsafeMutableBufferPointer { vp in d.withUnsafeMutableBufferPointer { dp in s.withUnsafeMutableBufferPointer { sp in
                    scratch.withUnsafeMutableBufferPointer { basis.evaluate(r, values: vp.baseAddress!, first: dp.baseAddress!, second: sp.baseAddress!, scratch: $0.baseAddress!) }
                } } }
                return (v, d, s)
            }
            let zero = evaluate(0).0
            for n in 0..<nMax { XCTAssertEqual(zero[n * (lMax + 1)], basis.centreCoefficients[n], accuracy: 1e-14) }
            let h = 1e-4
            var worstFirst = 0.0, worstSecond = 0.0, scaleFirst = 0.0, scaleSecond = 0.0
            for r in [0.3, 1.2, 2.35, 3.7, 4.6] {
                let (_, d, s) = evaluate(r)
                let p1 = evaluate(r + h), m1 = evaluate(r - h), p2 = evaluate(r + 2 * h), m2 = evaluate(r - 2 * h)
                for k in 0..<count {
                    let fd1 = (-p2.0[k] + 8 * p1.0[k] - 8 * m1.0[k] + m2.0[k]) / (12 * h)
                    let fd2 = (-p2.1[k] + 8 * p1.1[k] - 8 * m1.1[k] + m2.1[k]) / (12 * h)
                    worstFirst = max(worstFirst, abs(fd1 - d[k]))
                    worstSecond = max(worstSecond, abs(fd2 - s[k]))
                    scaleFirst = max(scaleFirst, abs(d[k]))
                    scaleSecond = max(scaleSecond, abs(s[k]))
                }
            }
            XCTAssertLessThan(worstFirst / scaleFirst, 1e-9, "n_max \(nMax) l_max \(lMax)")
            XCTAssertLessThan(worstSecond / scaleSecond, 1e-9, "n_max \(nMax) l_max \(lMax)")
        }
    }

    /// The documented spline accuracy, for several hyper-parameter sets.
    func testSplineAccuracy() throws {
        for (nMax, lMax, sigma, cutoff) in [(8, 6, 0.5, 5.0), (10, 12, 0.5, 5.0), (12, 8, 0.3, 6.0), (6, 4, 1.0, 4.0)] {
            let calculator = try SOAPCalculator(SOAPHyperparameters(
                cutoffRadius: cutoff, cutoffTransitionWidth: 1.0, nMax: nMax, lMax: lMax, atomSigma: sigma, neighbourSpecies: [14], centreSpecies: [14]))
            let accuracy = calculator.splineAccuracy
            print("spline n_max \(nMax) l_max \(lMax) σ \(sigma) cutoff \(cutoff): \(calculator.splineIntervalCount) intervals, value error \(accuracy.value), derivative error \(accuracy.derivative)")
            XCTAssertLessThanOrEqual(accuracy.value, 1e-13)
            XCTAssertLessThanOrEqual(accuracy.derivative, 1e-11)
        }
    }

    /// Descriptors with splined radial functions against exact evaluation.
    func testSplinedDescriptorsMatchExactEvaluation() throws {
        let structure = TestStructures.periodic(count: 6, species: [14, 8], seed: 21, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        for normalise in [true, false] {
            let h = SOAPHyperparameters(cutoffRadius: 5, cutoffTransitionWidth: 1.0, nMax: 8, lMax: 6, atomSigma: 0.5, normalise: normalise, neighbourSpecies: [8, 14], centreSpecies: [8, 14])
            let splined = try SOAPCalculator(h).compute(structure, gradients: true, strainGradients: true)
            let exact = try SOAPCalculator(h, radialEvaluation: .exact).compute(structure, gradients: true, strainGradients: true)
            func relative(_ a: [Double], _ b: [Double]) -> Double {
                var d = 0.0, s = 0.0
                for k in 0..<a.count { d = max(d, abs(a[k] - b[k])); s = max(s, abs(b[k])) }
                return d / s
            }
            let errors = (relative(splined.values, exact.values), relative(splined.gradientValues, exact.gradientValues), relative(splined.strainValues, exact.strainValues))
            print("spline vs exact, normalise=\(normalise): values \(errors.0), gradients \(errors.1), strain \(errors.2)")
            XCTAssertLessThan(errors.0, 1e-12)
            XCTAssertLessThan(errors.1, 1e-11)
            XCTAssertLessThan(errors.2, 1e-11)
        }
    }
}
