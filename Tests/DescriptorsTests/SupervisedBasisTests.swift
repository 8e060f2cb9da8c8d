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

    /// The force rows of a structure are −d(Σ_i c_{·00}(i))/dr_j by finite differences (the
    /// fourth-order stencil), for a periodic cell with two species, and its mean row is the
    /// density expansion's l = 0 average bit for bit (the energy target's rows are unchanged).
    func testForceRowsMatchFiniteDifferences() throws {
        let h = TestStructures.soap(nMax: 3, lMax: 2, species: [8, 14])
        let primitive = try RadialContraction.primitiveCalculator(h, primitiveCount: 5)
        let d = primitive.featureCount
        XCTAssertEqual(d, 10)
        let structure = TestStructures.periodic(count: 6, species: [8, 14], seed: 7, lattice: TestStructures.skewedLattice)
        var block = DescriptorValues(featureCount: d, centres: [], values: [])
        let (mean, rows) = try RadialContraction.structureRows(primitive, structure, forceRows: true, block: &block)
        XCTAssertEqual(rows.count, 3 * structure.count * d)

        var expansionParameters = h
        expansionParameters.nMax = 5
        expansionParameters.lMax = 0
        let expansion = try SOAPCalculator(expansionParameters).densityExpansion(structure, threads: 1)
        var expected = [Double](repeating: 0, count: d)
        for row in 0..<expansion.centres.count {
            for j in 0..<d { expected[j] += expansion.values[row * d + j] * (1 / Double(structure.count)) }
        }
        XCTAssertEqual(mean.map(\.bitPattern), expected.map(\.bitPattern))

        let step = 5e-4
        let atoms = Double(structure.count)
        var worst = 0.0, scale = 0.0
        try TestStructures.positionDerivatives(of: structure, step: step, {
            try RadialContraction.structureRows(primitive, $0, forceRows: false, block: &block).mean.map { $0 * atoms }
        }) { atom, alpha, derivative in
            for k in 0..<d {
                let row = rows[(atom * 3 + alpha) * d + k]
                worst = max(worst, abs(row + derivative[k]))
                scale = max(scale, abs(row))
            }
        }
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThan(worst / scale, 1e-7, "force rows against finite differences")
    }

    /// Energies and forces of a planted model ε_i = w · c_{·00}(i) + b (forces from the radial
    /// spectrum's gradients, summed here): the energy-and-force regression recovers it (every
    /// energy and force, cross-validated residuals ~ 0), identically for 1 and 2
    /// threads; from forces alone (no energies) it recovers the forces; with the energy target the
    /// forces are not used.
    func testEnergyForceRegressionRecoversAPlantedModel() throws {
        let h = TestStructures.soap(nMax: 3, lMax: 2, species: [8, 14])
        let structures = RadialContractionTests.siliconOxygen + (0..<4).map {
            TestStructures.periodic(count: 5 + $0 % 2, species: [14, 8], seed: UInt64(60 + $0), lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        }
        let truth: [Double] = [0.3, -0.2, 0.1, 0.05, -0.4, 0.2, -0.1, 0.15, 0.25, -0.3]
        let intercept = -3.0
        let primitive = try RadialContraction.primitiveCalculator(h, primitiveCount: 5)
        let d = primitive.featureCount
        var labels: [RadialContraction.StructureLabels] = []
        for s in structures {
            let v = try primitive.values(s, gradients: true, threads: 1)
            var energy = intercept * Double(s.count)
            for row in 0..<v.rowCount {
                for j in 0..<d { energy += truth[j] * v.values[row * d + j] }
            }
            var forces = [Double](repeating: 0, count: 3 * s.count)
            for (p, atom) in v.gradientAtoms.enumerated() {
                for a in 0..<3 {
                    for j in 0..<d { forces[3 * Int(atom) + a] -= truth[j] * v.gradientValues[(p * 3 + a) * d + j] }
                }
            }
            labels.append(.init(energy: energy, energySigma: 0.001 * Double(s.count).squareRoot(), forces: forces,
                                forceSigmas: [Double](repeating: 0.05, count: forces.count)))
        }
        func regression(_ labels: [RadialContraction.StructureLabels], _ target: RadialContraction.Target, threads: Int) throws -> RadialContraction.EnergyRegression {
            try RadialContraction.atomicEnergyRegression(h, primitiveCount: 5, structures: structures, labels: labels, target: target, seed: 1, threads: threads)
        }
        let one = try regression(labels, .energyForces, threads: 1)
        XCTAssertEqual(one, try regression(labels, .energyForces, threads: 2))
        XCTAssertEqual(one.structureCount, structures.count)
        XCTAssertEqual(one.forceComponentCount, structures.reduce(0) { $0 + 3 * $1.count })
        let forceScale = labels.flatMap { $0.forces! }.map(abs).max()!
        // The model's energies and forces from the regression against the planted ones.
        func check(_ fit: RadialContraction.EnergyRegression, energies: Bool, _ message: String) throws {
            var worstForce = 0.0, worstEnergy = 0.0
            for (s, label) in zip(structures, labels) {
                let v = try primitive.values(s, gradients: true, threads: 1)
                var energy = fit.intercept * Double(s.count)
                for row in 0..<v.rowCount {
                    for j in 0..<d { energy += fit.weights[j] * v.values[row * d + j] }
                }
                worstEnergy = max(worstEnergy, abs(energy - label.energy!) / Double(s.count))
                var forces = [Double](repeating: 0, count: 3 * s.count)
                for (p, atom) in v.gradientAtoms.enumerated() {
                    for a in 0..<3 {
                        for j in 0..<d { forces[3 * Int(atom) + a] -= fit.weights[j] * v.gradientValues[(p * 3 + a) * d + j] }
                    }
                }
                for (x, y) in zip(forces, label.forces!) { worstForce = max(worstForce, abs(x - y)) }
            }
            // Not to round-off: the weakest ridge of the grid (1e-10 tr/d) still damps directions
            // the coefficients hardly span (the last Gaussian, centred at the cutoff, has tiny
            // coefficients), which moves the model's forces by ~1e-4 of their scale here.
            XCTAssertLessThan(worstForce, 1e-3 * forceScale, message)
            if energies { XCTAssertLessThan(worstEnergy, 1e-5, message) }
        }
        try check(one, energies: true, "energy and forces")
        XCTAssertEqual(one.relativeRegularisation, 1e-10)
        XCTAssertLessThan(one.validationRMSE, 1e-5)
        XCTAssertLessThan(try XCTUnwrap(one.forceValidationResidual), 1e-3 * forceScale / 0.05)

        // Forces only: the weights are determined by the forces (the intercept is not).
        let forcesOnly = labels.map { RadialContraction.StructureLabels(energy: nil, forces: $0.forces, forceSigmas: $0.forceSigmas) }
        try check(try regression(forcesOnly, .energyForces, threads: 2), energies: false, "forces only")

        // The energy target ignores the forces: the same as the energies alone.
        let energyOnly = try regression(labels, .energy, threads: 2)
        XCTAssertNil(energyOnly.forceValidationResidual)
        XCTAssertEqual(energyOnly, try RadialContraction.energyRegression(
            h, primitiveCount: 5, structures: structures, energies: labels.map { $0.energy! }, seed: 1, threads: 1))
        XCTAssertThrowsError(try regression(labels.map { .init(energy: nil, forces: $0.forces, forceSigmas: $0.forceSigmas) }, .energy, threads: 1)) { error in
            XCTAssertEqual((error as? InputError)?.field, "radial_basis")
        }
    }
}
