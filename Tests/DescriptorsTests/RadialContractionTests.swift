import AtomicStructures
import Support
import TestSupport
import XCTest
@testable import Descriptors

/// The optimal (contracted) radial basis and feature selection in the SOAP calculator.
final class RadialContractionTests: XCTestCase {
    static let siliconOxygen: [Structure] = [
        TestStructures.periodic(count: 6, species: [14, 8, 8], seed: 21, lattice: TestStructures.skewedLattice, minimumDistance: 1.6),
        TestStructures.periodic(count: 5, species: [14, 8], seed: 22, lattice: TestStructures.skewedLattice, minimumDistance: 1.6),
        TestStructures.cluster(count: 6, species: [8, 14], seed: 23, box: 4.0, minimumDistance: 1.7),
    ]

    static let silicon: [Structure] = [
        TestStructures.periodic(count: 5, species: [14], seed: 31, lattice: TestStructures.skewedLattice),
        TestStructures.periodic(count: 4, species: [14], seed: 32, lattice: TestStructures.skewedLattice),
        TestStructures.cluster(count: 5, species: [14], seed: 33, box: 4.0),
    ]

    func fit(
        _ h: SOAPHyperparameters, primitive: Int, structures: [Structure], retained: Double? = nil, combined: Bool = false, threads: Int = 2
    ) throws -> RadialContraction {
        try RadialContraction.fit(
            h, primitiveCount: primitive, retainedVariance: retained, combineSpecies: combined, structures: structures,
            centres: structures.map { s in s.atomicNumbers.indices.filter { h.centreSpecies.contains(s.atomicNumbers[$0]) } },
            threads: threads)
    }

    /// Eigenvalues and retained-variance fractions per (species, l) match numpy's eigh of the
    /// covariance assembled from QUIP's unnormalised power spectrum (make_optimal_basis_fixture.py).
    func testRetainedVarianceMatchesIndependentNumpyComputation() throws {
        let fixture = try loadFixture("optimal_basis_reference.json")
        let structures = try (fixture["structures"] as? [[String: Any]] ?? []).map { try structure(fromJSON: $0) }
        let hypers = try XCTUnwrap(fixture["hypers"] as? [String: Any])
        func number(_ key: String) -> Double { (hypers[key] as? NSNumber)?.doubleValue ?? .nan }
        let primitive = Int(number("n_max"))
        let h = SOAPHyperparameters(
            cutoffRadius: number("cutoff"), cutoffTransitionWidth: number("cutoff_transition_width"), nMax: primitive,
            lMax: Int(number("l_max")), atomSigma: number("atom_sigma"), centralWeight: number("central_weight"),
            neighbourSpecies: [8, 14], centreSpecies: [8, 14])
        let contraction = try fit(h, primitive: primitive, structures: structures)
        XCTAssertEqual(contraction.environmentCount, (fixture["environments"] as? NSNumber)?.intValue)
        var worstValue = 0.0, worstFraction = 0.0
        for block in fixture["blocks"] as? [[String: Any]] ?? [] {
            let z = (block["species"] as? NSNumber)?.intValue ?? -1
            let l = (block["l"] as? NSNumber)?.intValue ?? -1
            let s = try XCTUnwrap(contraction.species.firstIndex(of: z))
            let reference = doubles(block["eigenvalues"]), fractions = doubles(block["retained"])
            let ours = contraction.eigenvalues(speciesIndex: s, l: l)
            let ourFractions = contraction.retainedVariance(speciesIndex: s, l: l)
            XCTAssertEqual(ours.count, reference.count)
            let scale = reference.map(abs).max() ?? 1
            for (a, b) in zip(ours, reference) { worstValue = max(worstValue, abs(a - b) / scale) }
            for (a, b) in zip(ourFractions, fractions) { worstFraction = max(worstFraction, abs(a - b)) }
        }
        print("optimal basis vs numpy: eigenvalues \(worstValue), retained fractions \(worstFraction)")
        XCTAssertLessThan(worstValue, 1e-11)
        XCTAssertLessThan(worstFraction, 1e-11)
        XCTAssertFalse(contraction.retainedVarianceTable().isEmpty)
    }

    /// Without truncation (n_max = P) the contraction is an orthogonal rotation per (species, l),
    /// so the SOAP kernel (dot products of normalised descriptors) is the gap basis's to round-off.
    func testNoTruncationGivesTheSameKernel() throws {
        for (species, structures) in [([14], RadialContractionTests.silicon), ([8, 14], RadialContractionTests.siliconOxygen)] {
            for normalise in [true, false] {
                let h = TestStructures.soap(nMax: 6, lMax: 4, species: species, normalise: normalise)
                let contraction = try fit(h, primitive: 6, structures: structures)
                let gap = try SOAPCalculator(h)
                let optimal = try SOAPCalculator(h, radialContraction: contraction)
                XCTAssertEqual(optimal.featureCount, gap.featureCount)
                let a = try structures.map { try gap.compute($0).values }
                let b = try structures.map { try optimal.compute($0).values }
                let f = gap.featureCount
                var worst = 0.0, scale = 0.0, differs = 0.0
                for i in structures.indices {
                    for j in structures.indices {
                        for r in 0..<(a[i].count / f) {
                            for t in 0..<(a[j].count / f) {
                                var k1 = 0.0, k2 = 0.0
                                for k in 0..<f {
                                    k1 += a[i][r * f + k] * a[j][t * f + k]
                                    k2 += b[i][r * f + k] * b[j][t * f + k]
                                }
                                worst = max(worst, abs(k1 - k2))
                                scale = max(scale, abs(k1))
                            }
                        }
                    }
                    for k in a[i].indices { differs = max(differs, abs(a[i][k] - b[i][k])) }
                }
                print("no truncation, species \(species), normalise \(normalise): kernel difference \(worst / scale)")
                XCTAssertLessThan(worst / scale, 1e-12)
                XCTAssertGreaterThan(differs, 1e-3, "the features themselves are rotated")
            }
        }
    }

    /// The contracted density coefficients are Uᵀ times the primitive ones (spline of the
    /// contracted functions against contraction of the primitive spline), truncated or not.
    func testContractedExpansionIsTheProjectionOfThePrimitiveOne() throws {
        let structures = RadialContractionTests.siliconOxygen
        let primitive = 9
        for nMax in [3, 9] {
            let h = TestStructures.soap(nMax: nMax, lMax: 3, species: [8, 14])
            let contraction = try fit(h, primitive: primitive, structures: structures)
            var ph = h
            ph.nMax = primitive
            let full = try SOAPCalculator(ph)
            let optimal = try SOAPCalculator(h, radialContraction: contraction)
            let lCount = h.lMax + 1, lm = lCount * lCount
            var worst = 0.0, scale = 0.0
            for structure in structures {
                let c = try full.densityExpansion(structure)
                let d = try optimal.densityExpansion(structure)
                XCTAssertEqual(c.centres, d.centres)
                for row in 0..<c.rowCount {
                    for s in 0..<2 {
                        for l in 0..<lCount {
                            let u = contraction.matrix(speciesIndex: s, l: l)
                            for q in 0..<nMax {
                                for m in (l * l)..<(l * l + 2 * l + 1) {
                                    var expected = 0.0
                                    for p in 0..<primitive { expected += u[p * nMax + q] * c.values[row * c.featureCount + (s * primitive + p) * lm + m] }
                                    let got = d.values[row * d.featureCount + (s * nMax + q) * lm + m]
                                    worst = max(worst, abs(got - expected))
                                    scale = max(scale, abs(expected))
                                }
                            }
                        }
                    }
                }
            }
            print("contracted expansion, n_max \(nMax) of \(primitive): \(worst / scale)")
            XCTAssertLessThan(worst / scale, 1e-12)
        }
    }

    /// The power spectrum is the documented function of the density expansion.
    func testPowerSpectrumFromExpansion() throws {
        let structures = RadialContractionTests.siliconOxygen
        let h = TestStructures.soap(nMax: 3, lMax: 3, species: [8, 14], normalise: false)
        let calculator = try SOAPCalculator(h, radialContraction: try fit(h, primitive: 7, structures: structures))
        for structure in structures {
            let c = try calculator.densityExpansion(structure)
            let v = try calculator.compute(structure)
            let lCount = h.lMax + 1, lm = lCount * lCount
            for row in 0..<v.rowCount {
                for k in 0..<v.featureCount {
                    let feature = calculator.feature(at: k)
                    let a = (feature.firstSpecies == 8 ? 0 : 1) * 3 + feature.firstRadial
                    let b = (feature.secondSpecies == 8 ? 0 : 1) * 3 + feature.secondRadial
                    let l = feature.angularMomentum
                    var sum = 0.0
                    for m in (l * l)..<(l * l + 2 * l + 1) { sum += c.values[row * c.featureCount + a * lm + m] * c.values[row * c.featureCount + b * lm + m] }
                    let expected = (a == b ? 1 : 2.0.squareRoot()) / Double(2 * l + 1).squareRoot() * sum
                    XCTAssertEqual(v.values[row * v.featureCount + k], expected, accuracy: 1e-13 * max(1, abs(expected)))
                }
            }
        }
    }

    /// The retained-variance threshold keeps the fewest functions that reach it in every
    /// (species, l), at most n_max.
    func testRetainedVarianceThresholdChoosesTheCount() throws {
        let structures = RadialContractionTests.siliconOxygen
        let h = TestStructures.soap(nMax: 10, lMax: 3, species: [8, 14])
        for threshold in [0.5, 0.9, 0.99, 0.9999] {
            let contraction = try fit(h, primitive: 10, structures: structures, retained: threshold)
            var needed = 1
            for s in 0..<2 {
                for l in 0...3 {
                    let fractions = contraction.retainedVariance(speciesIndex: s, l: l)
                    needed = max(needed, (fractions.firstIndex { $0 >= threshold } ?? 9) + 1)
                }
            }
            XCTAssertEqual(contraction.contractedCount, needed, "threshold \(threshold)")
            XCTAssertGreaterThanOrEqual(contraction.minimumRetainedVariance, threshold)
        }
        var capped = h
        capped.nMax = 2
        XCTAssertEqual(try fit(capped, primitive: 10, structures: structures, retained: 0.9999).contractedCount, 2)
    }

    /// The fit is bit for bit the same for any thread count, and the columns of each U are
    /// orthonormal.
    func testFitIsDeterministicAndOrthonormal() throws {
        let structures = RadialContractionTests.siliconOxygen + RadialContractionTests.silicon
        let h = TestStructures.soap(nMax: 4, lMax: 3, species: [8, 14])
        let one = try fit(h, primitive: 8, structures: structures, threads: 1)
        let two = try fit(h, primitive: 8, structures: structures, threads: 2)
        XCTAssertEqual(one, two)
        for s in 0..<2 {
            for l in 0...3 {
                let u = one.matrix(speciesIndex: s, l: l)
                for i in 0..<4 {
                    for j in 0..<4 {
                        var dot = 0.0
                        for p in 0..<8 { dot += u[p * 4 + i] * u[p * 4 + j] }
                        XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-13)
                    }
                }
            }
            // Descending eigenvalues.
            let values = one.eigenvalues(speciesIndex: s, l: 0)
            XCTAssertEqual(values, values.sorted(by: >))
        }
    }

    /// The splines of the contracted functions agree with exact evaluation.
    func testContractedSplineMatchesExactEvaluation() throws {
        let structures = RadialContractionTests.siliconOxygen
        let h = TestStructures.soap(nMax: 4, lMax: 4, species: [8, 14])
        let contraction = try fit(h, primitive: 12, structures: structures)
        let spline = try SOAPCalculator(h, radialContraction: contraction)
        let exact = try SOAPCalculator(h, radialContraction: contraction, radialEvaluation: .exact)
        XCTAssertLessThan(spline.splineAccuracy.value, 1e-13)
        XCTAssertLessThan(spline.splineAccuracy.derivative, 1e-11)
        for structure in structures {
            let a = try spline.compute(structure, gradients: true)
            let b = try exact.compute(structure, gradients: true)
            let valueError = zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
            let gradientError = zip(a.gradientValues, b.gradientValues).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(valueError, 1e-12)
            XCTAssertLessThan(gradientError, 1e-10)
        }
    }

    /// Position and strain gradients of the contracted basis against finite differences.
    func testGradientsWithContractedBasis() throws {
        let h2 = TestStructures.soap(nMax: 3, lMax: 4, species: [8, 14])
        let contraction2 = try fit(h2, primitive: 8, structures: RadialContractionTests.siliconOxygen)
        let calculator2 = try SOAPCalculator(h2, radialContraction: contraction2)
        let positions2 = try positionFiniteDifferenceError(calculator2, RadialContractionTests.siliconOxygen[0])
        let strain2 = try strainFiniteDifferenceError(calculator2, RadialContractionTests.siliconOxygen[1])
        let h1 = TestStructures.soap(nMax: 4, lMax: 3, species: [14], normalise: false)
        let calculator1 = try SOAPCalculator(h1, radialContraction: try fit(h1, primitive: 10, structures: RadialContractionTests.silicon))
        let positions1 = try positionFiniteDifferenceError(calculator1, RadialContractionTests.silicon[2])
        let strain1 = try strainFiniteDifferenceError(calculator1, RadialContractionTests.silicon[0])
        print("FD optimal basis: SiO positions \(positions2) strain \(strain2); Si positions \(positions1) strain \(strain1)")
        for error in [positions2, strain2, positions1, strain1] { XCTAssertLessThan(error, 1e-9) }
    }

    /// Unnormalised, kept features are exactly the full descriptor's components (values,
    /// position and strain gradients); normalised, they are those components over their own
    /// length. Labels follow the selection.
    func testFeatureSelectionComputesTheKeptComponents() throws {
        let structure = RadialContractionTests.siliconOxygen[0]
        for normalise in [false, true] {
            let h = TestStructures.soap(nMax: 3, lMax: 3, species: [8, 14], normalise: normalise)
            let full = try SOAPCalculator(TestStructures.soap(nMax: 3, lMax: 3, species: [8, 14], normalise: false))
            var random = SplitMix64(seed: 5)
            let kept = (0..<full.featureCount).filter { _ in random.unitInterval() < 0.3 }
            let selected = try SOAPCalculator(h, selectedFeatures: kept.reversed())
            XCTAssertEqual(selected.featureCount, kept.count)
            XCTAssertEqual(selected.selectedFeatures, kept)
            XCTAssertEqual(selected.fullFeatureCount, full.featureCount)
            for (k, index) in kept.enumerated() {
                XCTAssertEqual(selected.feature(at: k), full.feature(at: index))
                XCTAssertEqual(selected.featureIndex(of: full.feature(at: index)), k)
            }
            if let dropped = (0..<full.featureCount).first(where: { !kept.contains($0) }) {
                XCTAssertNil(selected.featureIndex(of: full.feature(at: dropped)))
            }
            let a = try full.compute(structure, gradients: true, strainGradients: true)
            let b = try selected.compute(structure, gradients: true, strainGradients: true)
            let f = full.featureCount, g = kept.count
            XCTAssertEqual(a.gradientAtoms, b.gradientAtoms)
            for row in 0..<a.rowCount {
                let subset = kept.map { a.values[row * f + $0] }
                let norm = normalise ? subset.reduce(0) { $0 + $1 * $1 }.squareRoot() : 1
                for (k, value) in subset.enumerated() {
                    XCTAssertEqual(b.values[row * g + k], value / norm, accuracy: 1e-14)
                }
            }
            if !normalise {
                for block in 0..<(a.gradientValues.count / f) {
                    for (k, index) in kept.enumerated() { XCTAssertEqual(b.gradientValues[block * g + k], a.gradientValues[block * f + index], accuracy: 1e-14) }
                }
                for block in 0..<(a.strainValues.count / f) {
                    for (k, index) in kept.enumerated() { XCTAssertEqual(b.strainValues[block * g + k], a.strainValues[block * f + index], accuracy: 1e-13) }
                }
            }
        }
    }

    /// Gradients with feature selection (and the contracted basis) against finite differences.
    func testGradientsWithFeatureSelection() throws {
        let structures = RadialContractionTests.siliconOxygen
        let h = TestStructures.soap(nMax: 3, lMax: 3, species: [8, 14])
        let contraction = try fit(h, primitive: 7, structures: structures)
        let all = try SOAPCalculator(h, radialContraction: contraction)
        let kept = stride(from: 1, to: all.featureCount, by: 3).map { $0 }
        let selected = try all.selectingFeatures(kept)
        XCTAssertEqual(selected.radialContraction, contraction)
        let positions = try positionFiniteDifferenceError(selected, structures[0])
        let strain = try strainFiniteDifferenceError(selected, structures[1])
        let single = try SOAPCalculator(TestStructures.soap(nMax: 4, lMax: 3), selectedFeatures: [0, 5, 7, 8, 13, 30, 31, 39])
        let singlePositions = try positionFiniteDifferenceError(single, RadialContractionTests.silicon[2])
        print("FD feature selection: SiO positions \(positions) strain \(strain); Si positions \(singlePositions)")
        for error in [positions, strain, singlePositions] { XCTAssertLessThan(error, 1e-9) }
    }

    // MARK: - Combined species

    /// The combined-species covariance per l matches numpy's eigh of the one assembled from
    /// QUIP's unnormalised power spectrum, cross-species blocks included.
    func testCombinedSpeciesSpectrumMatchesIndependentNumpyComputation() throws {
        let fixture = try loadFixture("optimal_basis_reference.json")
        let structures = try (fixture["structures"] as? [[String: Any]] ?? []).map { try structure(fromJSON: $0) }
        let h = SOAPHyperparameters(
            cutoffRadius: 4.5, cutoffTransitionWidth: 1.0, nMax: 16, lMax: 4, atomSigma: 0.5, neighbourSpecies: [8, 14],
            centreSpecies: [8, 14])
        XCTAssertEqual((fixture["hypers"] as? [String: Any])?["n_max"] as? Int, 8)
        let contraction = try fit(h, primitive: 8, structures: structures, combined: true)
        XCTAssertTrue(contraction.combinesSpecies)
        XCTAssertEqual(contraction.blockSize, 16)
        var worstValue = 0.0, worstFraction = 0.0
        for block in fixture["combined_blocks"] as? [[String: Any]] ?? [] {
            let l = (block["l"] as? NSNumber)?.intValue ?? -1
            let reference = doubles(block["eigenvalues"])
            let scale = reference.map(abs).max() ?? 1
            for s in 0..<2 {
                XCTAssertEqual(contraction.eigenvalues(speciesIndex: s, l: l).count, 16)
                for (a, b) in zip(contraction.eigenvalues(speciesIndex: s, l: l), reference) { worstValue = max(worstValue, abs(a - b) / scale) }
                for (a, b) in zip(contraction.retainedVariance(speciesIndex: s, l: l), doubles(block["retained"])) {
                    worstFraction = max(worstFraction, abs(a - b))
                }
            }
        }
        print("combined species vs numpy: eigenvalues \(worstValue), retained fractions \(worstFraction)")
        XCTAssertLessThan(worstValue, 1e-11)
        XCTAssertLessThan(worstFraction, 1e-11)
        XCTAssertTrue(contraction.retainedVarianceTable().contains("all"))
    }

    /// Combined species: the expansion is Σ_{s p} U^l[(s p), q] c_{s p l m}; with n_max = species · P
    /// the kernel is the QUIP basis's; features have n_max channels and no species.
    func testCombinedSpeciesExpansionAndKernel() throws {
        let structures = RadialContractionTests.siliconOxygen
        let primitive = 5
        for nMax in [4, 10] {
            let h = TestStructures.soap(nMax: nMax, lMax: 3, species: [8, 14])
            let contraction = try fit(h, primitive: primitive, structures: structures, combined: true)
            XCTAssertEqual(contraction.contractedCount, nMax)
            var ph = h
            ph.nMax = primitive
            let full = try SOAPCalculator(ph)
            let combined = try SOAPCalculator(h, radialContraction: contraction)
            XCTAssertEqual(combined.featureCount, nMax * (nMax + 1) / 2 * 4)
            XCTAssertEqual(combined.feature(at: 5).firstSpecies, 0)
            XCTAssertEqual(combined.featureIndex(of: combined.feature(at: 7)), 7)
            let lCount = 4, lm = 16
            var worst = 0.0, scale = 0.0
            for structure in structures {
                let c = try full.densityExpansion(structure)
                let d = try combined.densityExpansion(structure)
                XCTAssertEqual(d.featureCount, nMax * lm)
                for row in 0..<c.rowCount {
                    for l in 0..<lCount {
                        let u = (0..<2).map { contraction.matrix(speciesIndex: $0, l: l) }
                        for q in 0..<nMax {
                            for m in (l * l)..<(l * l + 2 * l + 1) {
                                var expected = 0.0
                                for s in 0..<2 {
                                    for p in 0..<primitive { expected += u[s][p * nMax + q] * c.values[row * c.featureCount + (s * primitive + p) * lm + m] }
                                }
                                worst = max(worst, abs(d.values[row * d.featureCount + q * lm + m] - expected))
                                scale = max(scale, abs(expected))
                            }
                        }
                    }
                }
            }
            XCTAssertLessThan(worst / scale, 1e-12, "n_max \(nMax)")
            if nMax == 2 * primitive {
                let a = try structures.map { try full.compute($0).values }
                let b = try structures.map { try combined.compute($0).values }
                let f = full.featureCount, g = combined.featureCount
                var kernelError = 0.0
                for i in structures.indices {
                    for j in structures.indices {
                        for r in 0..<(a[i].count / f) {
                            for t in 0..<(a[j].count / f) {
                                var k1 = 0.0, k2 = 0.0
                                for k in 0..<f { k1 += a[i][r * f + k] * a[j][t * f + k] }
                                for k in 0..<g { k2 += b[i][r * g + k] * b[j][t * g + k] }
                                kernelError = max(kernelError, abs(k1 - k2))
                            }
                        }
                    }
                }
                print("combined species without truncation: kernel difference \(kernelError)")
                XCTAssertLessThan(kernelError, 1e-12)
            }
        }
    }

    /// Gradients with combined species (and with feature selection on top) against finite differences.
    func testGradientsWithCombinedSpecies() throws {
        let h = TestStructures.soap(nMax: 5, lMax: 3, species: [8, 14])
        let contraction = try fit(h, primitive: 6, structures: RadialContractionTests.siliconOxygen, combined: true)
        let calculator = try SOAPCalculator(h, radialContraction: contraction)
        let positions = try positionFiniteDifferenceError(calculator, RadialContractionTests.siliconOxygen[0])
        let strain = try strainFiniteDifferenceError(calculator, RadialContractionTests.siliconOxygen[1])
        let selected = try calculator.selectingFeatures(stride(from: 0, to: calculator.featureCount, by: 2).map { $0 })
        let selectedPositions = try positionFiniteDifferenceError(selected, RadialContractionTests.siliconOxygen[2])
        // A centre species that is not a neighbour species: no own Gaussian with two species.
        var foreign = h
        foreign.centreSpecies = [8, 14]
        foreign.neighbourSpecies = [14, 1]
        let foreignCalculator = try SOAPCalculator(foreign, radialContraction: try fit(foreign, primitive: 6, structures: RadialContractionTests.siliconOxygen, combined: true))
        let foreignPositions = try positionFiniteDifferenceError(foreignCalculator, RadialContractionTests.siliconOxygen[0])
        print("FD combined species: positions \(positions) strain \(strain); selected \(selectedPositions); foreign centres \(foreignPositions)")
        for error in [positions, strain, selectedPositions, foreignPositions] { XCTAssertLessThan(error, 1e-9) }
    }

    func testInvalidContractionAndSelectionAreInputErrors() throws {
        let h = TestStructures.soap(nMax: 3, lMax: 3, species: [8, 14])
        let contraction = try fit(h, primitive: 5, structures: RadialContractionTests.siliconOxygen)
        func field(_ body: () throws -> Any) -> String? {
            do { _ = try body(); return nil } catch let error as InputError { return error.field } catch { return "\(error)" }
        }
        var other = h
        other.lMax = 2
        XCTAssertEqual(field { try SOAPCalculator(other, radialContraction: contraction) }, "radial_contraction")
        XCTAssertEqual(field { try SOAPCalculator(h, selectedFeatures: []) }, "selected_features")
        XCTAssertEqual(field { try SOAPCalculator(h, selectedFeatures: [0, 1000]) }, "selected_features")
        XCTAssertEqual(field { try SOAPCalculator(h, selectedFeatures: [3, 3]) }, "selected_features")
        XCTAssertEqual(field { try RadialContraction.fit(h, primitiveCount: 2, structures: [], centres: []) }, "n_max_primitive")
        XCTAssertEqual(field { try RadialContraction.fit(h, primitiveCount: 5, retainedVariance: 1.5, structures: [], centres: []) }, "retained_variance")
        XCTAssertEqual(field { try RadialContraction.fit(h, primitiveCount: 5, structures: [], centres: []) }, "radial_basis")
        XCTAssertEqual(field {
            try RadialContraction(primitiveCount: 5, contractedCount: 3, lMax: 3, species: [8, 14], matrices: [1], eigenvalues: [], environmentCount: 1)
        }, "radial_contraction")
    }
}
