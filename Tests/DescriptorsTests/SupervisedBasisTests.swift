import AtomicStructures
import LinearAlgebra
import Support
import TestSupport
import XCTest
@testable import Descriptors

/// The supervised (PCovR) radial basis: the projection against scikit-matter, α = 1 against
/// the PCA basis, α = 0 against the regression weights, and the energy regression.
final class SupervisedBasisTests: XCTestCase {
    /// `pcovrProjection` reproduces scikit-matter's `PCovR(space="feature").pxt_` (column by
    /// column, up to sign) on the committed fixture (make_pcovr_fixture.py), with the ridge
    /// weights solved here.
    func testProjectionMatchesScikitMatter() throws {
        let fixture = try loadFixture("pcovr_reference.json")
        let x = doubleMatrix(fixture["X"]), y = doubleMatrix(fixture["Y"])
        let n = x.count, d = x[0].count, t = y[0].count
        let ridge = try XCTUnwrap((fixture["ridge_alpha"] as? NSNumber)?.doubleValue)
        let components = try XCTUnwrap((fixture["components"] as? NSNumber)?.intValue)
        var c = Matrix(rows: d, columns: d), xy = Matrix(rows: d, columns: t)
        for r in 0..<n {
            for i in 0..<d {
                for j in 0..<d { c[i, j] += x[r][i] * x[r][j] }
                for k in 0..<t { xy[i, k] += x[r][i] * y[r][k] }
            }
        }
        // Ridge W = (XᵀX + λ I)⁻¹ XᵀY by the eigendecomposition of XᵀX.
        let e = try symmetricEigendecomposition(c)
        var w = Matrix(rows: d, columns: t)
        for k in 0..<d {
            for col in 0..<t {
                var projected = 0.0
                for i in 0..<d { projected += e.vectors[i, k] * xy[i, col] }
                for i in 0..<d { w[i, col] += e.vectors[i, k] * projected / (e.values[k] + ridge) }
            }
        }
        let cw = c * w   // XᵀŶ = XᵀX W
        let cases = fixture["cases"] as? [[String: Any]] ?? []
        XCTAssertEqual(cases.count, 5)
        for record in cases {
            let mixing = try XCTUnwrap((record["mixing"] as? NSNumber)?.doubleValue)
            let referenceW = doubleMatrix(record["ridge_weights"])
            for i in 0..<d {
                for k in 0..<t { XCTAssertEqual(w[i, k], referenceW[i][k], accuracy: 1e-9 * abs(referenceW[i][k]) + 1e-12) }
            }
            let reference = doubleMatrix(record["pxt"])
            let ours = try RadialContraction.pcovrProjection(covariance: c, crossCovariance: cw, mixing: mixing).projection
            var worst = 0.0, scale = 0.0
            for j in 0..<components {
                var dot = 0.0
                for i in 0..<d { dot += ours[i * d + j] * reference[i][j] }
                let sign: Double = dot < 0 ? -1 : 1
                for i in 0..<d {
                    worst = max(worst, abs(sign * ours[i * d + j] - reference[i][j]))
                    scale = max(scale, abs(reference[i][j]))
                }
            }
            XCTAssertLessThan(worst / scale, 1e-8, "mixing \(mixing)")
        }
    }

    static let silicon: [Structure] = (0..<8).map {
        TestStructures.periodic(count: 4 + $0 % 3, species: [14], seed: UInt64(40 + $0), lattice: TestStructures.skewedLattice)
    }

    func centres(_ structures: [Structure]) -> [[Int]] { structures.map { Array($0.atomicNumbers.indices) } }

    /// Energies of a known model: per atom b + w_true · z_A (z_A the structure's mean l = 0
    /// primitive coefficients), so the regression can recover them.
    func syntheticEnergies(_ h: SOAPHyperparameters, primitive: Int, weights: [Double], intercept: Double) throws -> [Double] {
        var parameters = h
        parameters.nMax = primitive
        parameters.lMax = 0
        let calculator = try SOAPCalculator(parameters)
        return try SupervisedBasisTests.silicon.map { s in
            let expansion = try calculator.densityExpansion(s, threads: 1)
            var energy = intercept * Double(s.count)
            for row in 0..<expansion.centres.count {
                for p in 0..<primitive { energy += weights[p] * expansion.values[row * primitive + p] }
            }
            return energy
        }
    }

    /// The energy regression recovers a linear atomic-energy model (validation error ~ 0) and
    /// is the same for any thread count.
    func testEnergyRegressionRecoversALinearModel() throws {
        let h = TestStructures.soap(nMax: 4, lMax: 2, species: [14])
        let truth: [Double] = [0.3, -0.2, 0.1, 0.05, -0.4, 0.2]
        let energies = try syntheticEnergies(h, primitive: 6, weights: truth, intercept: -5)
        let one = try RadialContraction.energyRegression(h, primitiveCount: 6, structures: Self.silicon, energies: energies, seed: 1, threads: 1)
        let two = try RadialContraction.energyRegression(h, primitiveCount: 6, structures: Self.silicon, energies: energies, seed: 1, threads: 2)
        XCTAssertEqual(one, two)
        XCTAssertEqual(one.structureCount, 8)
        let spread = energies.enumerated().map { $1 / Double(Self.silicon[$0].count) }
        let range = (spread.max()! - spread.min()!)
        XCTAssertLessThan(one.validationRMSE, 1e-3 * range, "validation RMSE \(one.validationRMSE) against a spread of \(range) eV/atom")
        XCTAssertThrowsError(try RadialContraction.energyRegression(h, primitiveCount: 6, structures: [Self.silicon[0]], energies: [1], seed: 1)) { error in
            XCTAssertEqual((error as? InputError)?.field, "radial_basis")
        }
    }

    /// α = 1 is the PCA ("optimal") basis to round-off, through the PCovR code path; α < 1
    /// changes only the l = 0 contraction, and α = 0 makes its first function the regression
    /// direction w (P_XT's first column is C^{-1/2} C^{1/2} w / norm ∝ w).
    func testMixingOneIsThePCABasisAndZeroTheRegression() throws {
        let h = TestStructures.soap(nMax: 3, lMax: 2, species: [14])
        let structures = Self.silicon
        let pca = try RadialContraction.fit(h, primitiveCount: 6, structures: structures, centres: centres(structures), threads: 2)
        let weights: [Double] = [0.3, -0.2, 0.1, 0.05, -0.4, 0.2]
        func supervised(_ alpha: Double) throws -> RadialContraction {
            try RadialContraction.fit(
                h, primitiveCount: 6, structures: structures, centres: centres(structures), threads: 2,
                supervision: .init(mixing: alpha, weights: weights))
        }
        let one = try supervised(1)
        XCTAssertEqual(one.matrices.count, pca.matrices.count)
        for (a, b) in zip(one.matrices, pca.matrices) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        let scale = pca.eigenvalues.max()!
        for (a, b) in zip(one.eigenvalues, pca.eigenvalues) { XCTAssertEqual(a, b, accuracy: 1e-12 * scale) }

        let half = try supervised(0.5)
        XCTAssertNotEqual(half.matrix(speciesIndex: 0, l: 0), pca.matrix(speciesIndex: 0, l: 0))
        for l in 1...2 { XCTAssertEqual(half.matrix(speciesIndex: 0, l: l), pca.matrix(speciesIndex: 0, l: l)) }
        XCTAssertEqual(half, try supervised(0.5))

        // α = 0: the first function's coefficients X u₀ of the environments are their model
        // atomic energies X w (compared in the metric of C = XᵀX, where directions C cannot
        // see, below scikit-matter's eigenvalue tolerance, do not count).
        let zero = try supervised(0).matrix(speciesIndex: 0, l: 0)
        let first = (0..<6).map { zero[$0 * 3] }
        let (_, sums, _) = try RadialContraction.covariance(
            h, primitiveCount: 6, combineSpecies: false, structures: structures, centres: centres(structures), threads: 1)
        func product(_ a: [Double], _ b: [Double]) -> Double {
            var sum = 0.0
            for i in 0..<6 { for j in 0..<6 { sum += a[i] * sums[i * 6 + j] * b[j] } }
            return sum
        }
        let cosine = product(first, weights) / (product(first, first) * product(weights, weights)).squareRoot()
        XCTAssertEqual(abs(cosine), 1, accuracy: 1e-8)

        XCTAssertThrowsError(try supervised(1.5)) { error in XCTAssertEqual((error as? InputError)?.field, "supervised_mixing") }
    }

    /// Two species, separate and combined: α = 1 is the PCA basis; with α < 1 each species' l = 0
    /// block (or the combined l = 0 block over both) takes its part of the weights, deterministically
    /// for any thread count.
    func testTwoSpeciesSeparateAndCombined() throws {
        let structures = RadialContractionTests.siliconOxygen
        let h = TestStructures.soap(nMax: 3, lMax: 1, species: [8, 14])
        let weights: [Double] = [0.2, -0.1, 0.3, 0.05, -0.2, 0.1, 0.4, -0.3, 0.2, 0.1]
        for combined in [false, true] {
            let pca = try RadialContraction.fit(h, primitiveCount: 5, combineSpecies: combined, structures: structures, centres: centres(structures), threads: 2)
            func supervised(_ alpha: Double, threads: Int = 2) throws -> RadialContraction {
                try RadialContraction.fit(
                    h, primitiveCount: 5, combineSpecies: combined, structures: structures, centres: centres(structures), threads: threads,
                    supervision: .init(mixing: alpha, weights: weights))
            }
            let one = try supervised(1)
            for (a, b) in zip(one.matrices, pca.matrices) { XCTAssertEqual(a, b, accuracy: 1e-9, "combined \(combined)") }
            let half = try supervised(0.5)
            XCTAssertEqual(half, try supervised(0.5, threads: 1))
            for s in 0..<2 {
                XCTAssertNotEqual(half.matrix(speciesIndex: s, l: 0), pca.matrix(speciesIndex: s, l: 0), "combined \(combined), species \(s)")
                XCTAssertEqual(half.matrix(speciesIndex: s, l: 1), pca.matrix(speciesIndex: s, l: 1))
            }
        }
    }
}
