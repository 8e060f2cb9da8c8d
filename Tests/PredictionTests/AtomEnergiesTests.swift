import AtomicStructures
import Descriptors
import Kernels
import ModelFiles
import NeighbourLists
import Prediction
import TestSupport
import XCTest

/// Per-atom energies and the local-environment evaluation MD engines use (the C library's
/// swiftgap_compute and swiftgap_compute_local), checked against the periodic evaluation.
final class AtomEnergiesTests: XCTestCase {
    static let fixtures = packageRoot + "/Tests/GAPXMLTests/Fixtures"

    /// A SOAP + distance_2b silicon model, a two-species (Ti, Al) one, and the TiAl one with two
    /// angle_3b terms added (one for every species, one for Ti centres with Al-Ti neighbour
    /// pairs), with their test structures.
    static func cases() throws -> [(model: Potential, structures: [Structure])] {
        let tial = try ModelFile.load(path: fixtures + "/ours_tial.gapjson").potential
        var withAngles = tial
        for species in [SpeciesTriplet.any, SpeciesTriplet(centre: 22, 13, 22)] {
            let kernel = AngleTripletKernel(
                descriptor: AngleTripletDescriptor(cutoffRadius: 3.6, transitionWidth: 0.8, species: species),
                theta: [0.9, 0.6, 1.1], delta: 0.2,
                sparsePoints: [5.2, 0.1, 2.9, 5.8, 0.4, 4.2, 6.4, 0.02, 3.6], sparseWeights: [0.95, 0.6, 0.8])
            withAngles.terms.append(AngleTripletTerm(kernel: kernel))
            withAngles.alphas.append([0.7, -0.4, 0.25])
        }
        let tialStructures = try ExtendedXYZReader.readAll(path: fixtures + "/structures_tial.xyz")
        return [
            (try ModelFile.load(path: fixtures + "/ours_si.gapjson").potential,
             Array(try ExtendedXYZReader.readAll(path: fixtures + "/structures_si.xyz").prefix(4))),
            (tial, tialStructures),
            (withAngles, tialStructures),
        ]
    }

    func testPerAtomPredictionIsThePredictionAndItsAtomEnergiesSumToTheEnergy() throws {
        for (model, structures) in try Self.cases() {
            for s in structures {
                let plain = try model.predict(s, threads: 2)
                let perAtom = try model.predictPerAtom(s, threads: 2)
                XCTAssertEqual(perAtom.total.energy, plain.energy)  // bit for bit
                XCTAssertEqual(perAtom.total.forces, plain.forces)
                XCTAssertEqual(perAtom.total.virial, plain.virial)
                XCTAssertEqual(perAtom.atomEnergies.count, s.count)
                XCTAssertEqual(perAtom.atomEnergies.reduce(0, +), plain.energy, accuracy: 1e-10 * Double(s.count))
                // Each atom's energy is its e0 plus something of the size of a cohesive energy.
                for (z, e) in zip(s.atomicNumbers, perAtom.atomEnergies) {
                    XCTAssertLessThan(abs(e - model.e0[z]!), 20)
                }
            }
        }
    }

    /// The open set of an MD domain for a periodic structure: its atoms (the centres), then every
    /// image within the cutoff of one of them (the ghosts), with the owner of each ghost.
    static func replicated(_ s: Structure, cutoff: Double) throws -> (numbers: [Int], positions: [Vector3], owners: [Int]) {
        let list = try NeighbourList(s, cutoffRadius: cutoff)
        var numbers = s.atomicNumbers, positions = s.positions, owners = Array(0..<s.count)
        var seen = Set<[Int32]>()
        for p in 0..<list.pairCount where list.shifts[p] != .zero {
            let j = Int(list.neighbours[p]), shift = list.shifts[p]
            guard seen.insert([Int32(j), shift.x, shift.y, shift.z]).inserted else { continue }
            numbers.append(s.atomicNumbers[j])
            positions.append(s.positions[j] + s.cell.cartesian(Vector3(Double(shift.x), Double(shift.y), Double(shift.z))))
            owners.append(j)
        }
        return (numbers, positions, owners)
    }

    func testCentresInsideTheirImagesGiveThePeriodicAtomEnergiesForcesAndVirial() throws {
        for (model, structures) in try Self.cases() {
            for s in structures where s.cell.isPeriodicInAnyDirection {
                let periodic = try model.predictPerAtom(s, threads: 1)
                let open = try Self.replicated(s, cutoff: model.cutoffRadius)
                XCTAssertGreaterThan(open.positions.count, s.count)
                for threads in [1, 2] {
                    let local = try model.predictCentres(
                        centreCount: s.count, atomicNumbers: open.numbers, positions: open.positions, threads: threads)
                    XCTAssertEqual(local.atomEnergies.count, s.count)
                    for i in 0..<s.count {
                        XCTAssertEqual(local.atomEnergies[i], periodic.atomEnergies[i], accuracy: 1e-10, "\(s.sourceDescription) atom \(i)")
                    }
                    XCTAssertEqual(local.total.energy, periodic.total.energy, accuracy: 1e-10 * Double(s.count))
                    var folded = [Double](repeating: 0, count: 3 * s.count)
                    for (k, owner) in open.owners.enumerated() {
                        for a in 0..<3 { folded[3 * owner + a] += local.total.forces[3 * k + a] }
                    }
                    for k in folded.indices {
                        XCTAssertEqual(folded[k], periodic.total.forces[k], accuracy: 1e-10, "\(s.sourceDescription) force \(k)")
                    }
                    for k in 0..<9 {
                        XCTAssertEqual(local.total.virial[k], periodic.total.virial[k], accuracy: 1e-9, "\(s.sourceDescription) virial \(k)")
                    }
                }
            }
        }
    }

    func testLocalResultsDoNotDependOnThreads() throws {
        let (model, structures) = try Self.cases()[1]
        let s = try XCTUnwrap(structures.first { $0.cell.isFullyPeriodic })
        let open = try Self.replicated(s, cutoff: model.cutoffRadius)
        let one = try model.predictCentres(centreCount: s.count, atomicNumbers: open.numbers, positions: open.positions, threads: 1)
        let two = try model.predictCentres(centreCount: s.count, atomicNumbers: open.numbers, positions: open.positions, threads: 2)
        XCTAssertEqual(one.total.forces, two.total.forces)
        XCTAssertEqual(one.atomEnergies, two.atomEnergies)
    }

    /// The force on a ghost is minus the derivative of the centres' energy with respect to it,
    /// and the forces on centres likewise (central differences, h = 1e-5 Å).
    func testLocalForcesAreMinusTheGradientOfTheCentresEnergy() throws {
        for (model, structures) in try Self.cases() {
            let s = try XCTUnwrap(structures.first { $0.cell.isFullyPeriodic })
            let open = try Self.replicated(s, cutoff: model.cutoffRadius)
            let centres = s.count
            let base = try model.predictCentres(centreCount: centres, atomicNumbers: open.numbers, positions: open.positions)
            // A few centres and a few ghosts (those with the largest forces, so the test means something).
            let ghosts = (centres..<open.positions.count).sorted {
                length(Self.force(base, $0)) > length(Self.force(base, $1))
            }.prefix(3)
            for atom in [0, centres - 1] + ghosts {
                for a in 0..<3 {
                    let h = 1e-5
                    var plus = open.positions, minus = open.positions
                    plus[atom][a] += h
                    minus[atom][a] -= h
                    let ep = try model.predictCentres(centreCount: centres, atomicNumbers: open.numbers, positions: plus, forces: false).total.energy
                    let em = try model.predictCentres(centreCount: centres, atomicNumbers: open.numbers, positions: minus, forces: false).total.energy
                    XCTAssertEqual(-(ep - em) / (2 * h), base.total.forces[3 * atom + a], accuracy: 2e-6, "atom \(atom) direction \(a)")
                }
            }
            XCTAssertGreaterThan(length(Self.force(base, ghosts.first!)), 1e-3, "the ghosts checked carry force")
        }
    }

    static func force(_ p: PerAtomPrediction, _ atom: Int) -> Vector3 {
        Vector3(p.total.forces[3 * atom], p.total.forces[3 * atom + 1], p.total.forces[3 * atom + 2])
    }

    func testGhostsOfUnknownSpeciesAreRefused() throws {
        let (model, structures) = try Self.cases()[0]
        let s = structures[0]
        let open = try Self.replicated(s, cutoff: model.cutoffRadius)
        var numbers = open.numbers
        numbers[numbers.count - 1] = 8  // oxygen, unknown to the silicon model
        XCTAssertThrowsError(try model.predictCentres(centreCount: s.count, atomicNumbers: numbers, positions: open.positions)) { error in
            XCTAssertTrue("\(error)".contains("O"), "\(error)")
        }
    }
}
