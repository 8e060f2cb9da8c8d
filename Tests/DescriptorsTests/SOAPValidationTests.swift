import AtomicStructures
import Support
import XCTest
@testable import Descriptors
import NeighbourLists

/// Hyper-parameter validation and bad structures: errors name the gap_fit field and the range.
final class SOAPValidationTests: XCTestCase {
    func base() -> SOAPHyperparameters {
        SOAPHyperparameters(cutoffRadius: 5, cutoffTransitionWidth: 1.0, nMax: 4, lMax: 3, atomSigma: 0.5, neighbourSpecies: [14], centreSpecies: [14])
    }

    func expectError(_ field: String, containing text: String, _ modify: (inout SOAPHyperparameters) -> Void,
                     file: StaticString = #filePath, line: UInt = #line) {
        var h = base()
        modify(&h)
        XCTAssertThrowsError(try SOAPCalculator(h), file: file, line: line) { error in
            guard let error = error as? InputError else {
                return XCTFail("expected InputError, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.field, field, file: file, line: line)
            XCTAssertTrue(error.message.contains(text), "message: \(error.message)", file: file, line: line)
        }
    }

    func testInvalidHyperparametersNameTheField() {
        expectError("cutoff", containing: "positive") { $0.cutoffRadius = 0 }
        expectError("cutoff", containing: "positive") { $0.cutoffRadius = .nan }
        expectError("cutoff_transition_width", containing: "between 0 and the cutoff") { $0.cutoffTransitionWidth = -0.1 }
        expectError("cutoff_transition_width", containing: "between 0 and the cutoff") { $0.cutoffTransitionWidth = 5.5 }
        expectError("n_max", containing: "between 1 and") { $0.nMax = 0 }
        expectError("n_max", containing: "between 1 and") { $0.nMax = 1000 }
        expectError("l_max", containing: "between 0 and") { $0.lMax = -1 }
        expectError("l_max", containing: "between 0 and") { $0.lMax = SOAPCalculator.maximumLMax + 1 }
        expectError("atom_sigma", containing: "positive") { $0.atomSigma = 0 }
        expectError("atom_sigma", containing: "positive") { $0.atomSigma = .infinity }
        expectError("central_weight", containing: "finite") { $0.centralWeight = .nan }
        expectError("species_Z", containing: "at least one") { $0.neighbourSpecies = [] }
        expectError("species_Z", containing: "between 1 and 118") { $0.neighbourSpecies = [0, 14] }
        expectError("species_Z", containing: "twice") { $0.neighbourSpecies = [14, 14] }
        expectError("Z", containing: "at least one") { $0.centreSpecies = [] }
        expectError("Z", containing: "between 1 and 118") { $0.centreSpecies = [200] }
        expectError("radial_scaling", containing: "r0 must be a positive") { $0.radialScaling = RadialScaling(c: 1, r0: 0, m: 2) }
        expectError("radial_scaling", containing: "m must be a positive") { $0.radialScaling = RadialScaling(c: 1, r0: 2, m: -1) }
        // Too many radial Gaussians for their width: the basis is numerically singular.
        expectError("n_max", containing: "linearly dependent") { $0.nMax = 60; $0.atomSigma = 2.0 }
    }

    func testEdgeValuesAreAccepted() throws {
        var h = base()
        h.cutoffTransitionWidth = 0
        XCTAssertNoThrow(try SOAPCalculator(h))
        h.cutoffTransitionWidth = h.cutoffRadius
        h.lMax = 0
        h.nMax = 1
        let calculator = try SOAPCalculator(h)
        XCTAssertEqual(calculator.featureCount, 1)
    }

    /// Species lists given unsorted are sorted (the layout is defined for ascending species).
    func testSpeciesAreSorted() throws {
        var h = base()
        h.neighbourSpecies = [14, 8]
        h.centreSpecies = [14, 8, 1]
        let calculator = try SOAPCalculator(h)
        XCTAssertEqual(calculator.hyperparameters.neighbourSpecies, [8, 14])
        XCTAssertEqual(calculator.hyperparameters.centreSpecies, [1, 8, 14])
        XCTAssertEqual(calculator.featureCount, 8 * 9 / 2 * 4)
    }

    func testCoincidentAtomsAreAnInputError() throws {
        let calculator = try SOAPCalculator(base())
        let structure = Structure(atomicNumbers: [14, 14], positions: [Vector3(1, 2, 3), Vector3(1, 2, 3)])
        XCTAssertThrowsError(try calculator.compute(structure)) { error in
            XCTAssertEqual((error as? InputError)?.field, "pos")
        }
        // An atom of another species at the same place is ignored, as QUIP ignores it.
        let ignored = Structure(atomicNumbers: [14, 1], positions: [Vector3(1, 2, 3), Vector3(1, 2, 3)])
        XCTAssertNoThrow(try calculator.compute(ignored))
    }

    /// Structures without centres, and centres without neighbours, are fine.
    func testEmptyAndLonelyStructures() throws {
        let calculator = try SOAPCalculator(base())
        let none = try calculator.compute(Structure(atomicNumbers: [8, 8], positions: [.zero, Vector3(1.2, 0, 0)]), gradients: true, strainGradients: true)
        XCTAssertEqual(none.rowCount, 0)
        XCTAssertEqual(none.gradientOffsets, [0])
        let lonely = try calculator.compute(Structure(atomicNumbers: [14], positions: [.zero]), gradients: true)
        XCTAssertEqual(lonely.rowCount, 1)
        XCTAssertEqual(lonely.gradientAtoms, [0])
        XCTAssertEqual(lonely.gradientValues.map(abs).max(), 0)
        // A lone atom's normalised SOAP: only (n, n', l = 0) terms, unit length.
        let norm = lonely.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertEqual(norm, 1, accuracy: 1e-15)
        // Without its own Gaussian the vector is zero, and so are its gradients.
        var h = base()
        h.centralWeight = 0
        let empty = try SOAPCalculator(h).compute(Structure(atomicNumbers: [14], positions: [.zero]), gradients: true)
        XCTAssertEqual(empty.values.map(abs).max(), 0)
    }
}

extension SOAPValidationTests {
    /// A prebuilt neighbour list must belong to the structure and reach the SOAP cutoff.
    func testMismatchedNeighbourListIsAnInputError() throws {
        let calculator = try SOAPCalculator(base())
        let structure = Structure(atomicNumbers: [14, 14], positions: [.zero, Vector3(2.3, 0, 0)])
        let short = try NeighbourList.bruteForce(structure, cutoffRadius: 3.0)
        XCTAssertThrowsError(try calculator.compute(structure, neighbours: short)) { error in
            XCTAssertEqual((error as? InputError)?.field, "cutoff")
        }
        let other = try NeighbourList.bruteForce(Structure(atomicNumbers: [14], positions: [.zero]), cutoffRadius: 6.0)
        XCTAssertThrowsError(try calculator.compute(structure, neighbours: other))
        // A longer list is fine and gives the same result.
        let long = try NeighbourList.bruteForce(structure, cutoffRadius: 6.5)
        XCTAssertEqual(try calculator.compute(structure, neighbours: long, gradients: true).gradientValues,
                       try calculator.compute(structure, gradients: true).gradientValues)
    }
}

/// Feature labels and their inverse.
final class SOAPFeatureLabelTests: XCTestCase {
    func testLabelsRoundTripAndFollowQUIPOrder() throws {
        let calculator = try SOAPCalculator(SOAPHyperparameters(
            cutoffRadius: 5, cutoffTransitionWidth: 1.0, nMax: 3, lMax: 2, atomSigma: 0.5, neighbourSpecies: [14, 8], centreSpecies: [14]))
        // QUIP order for species_Z={8 14}: (A, B ≤ A, l) with A = s n_max + n.
        var expected: [SOAPFeature] = []
        for a in 0..<6 {
            for b in 0...a {
                for l in 0...2 {
                    expected.append(SOAPFeature(firstSpecies: [8, 14][a / 3], firstRadial: a % 3, secondSpecies: [8, 14][b / 3],
                                                secondRadial: b % 3, angularMomentum: l))
                }
            }
        }
        XCTAssertEqual(calculator.featureCount, expected.count)
        for k in 0..<calculator.featureCount {
            XCTAssertEqual(calculator.feature(at: k), expected[k])
            XCTAssertEqual(calculator.featureIndex(of: expected[k]), k)
            var swapped = expected[k]
            swap(&swapped.firstSpecies, &swapped.secondSpecies)
            swap(&swapped.firstRadial, &swapped.secondRadial)
            XCTAssertEqual(calculator.featureIndex(of: swapped), k)
        }
        XCTAssertNil(calculator.featureIndex(of: SOAPFeature(firstSpecies: 1, firstRadial: 0, secondSpecies: 8, secondRadial: 0, angularMomentum: 0)))
        XCTAssertEqual(calculator.feature(at: 0).description, "(Z8 n0, Z8 n0, l0)")
    }
}
