import AtomicStructures
import Descriptors
import Foundation
import NeighbourLists
import XCTest
@testable import Kernels

final class AngleTripletKernelTests: XCTestCase {
    /// Cutoff 4.0 Å with a 1.5 Å transition on a ~4 Å triclinic cell (images, self-images and
    /// most pairs in the transition region); θ per feature different, so each one's chain rule
    /// is tested on its own.
    func makeKernel(species: SpeciesTriplet = .any) -> (AngleTripletKernel, [Double]) {
        let descriptor = AngleTripletDescriptor(cutoffRadius: 4.0, transitionWidth: 1.5, species: species)
        let points: [Double] = [4.5, 0.1, 3.0, 5.5, 0.6, 2.4, 6.2, 0.05, 4.9, 7.1, 1.2, 3.8]
        let kernel = AngleTripletKernel(
            descriptor: descriptor, theta: [0.9, 0.5, 1.3], delta: 0.7, sparsePoints: points, sparseWeights: [0.9, 0.4, 1.0, 0.25])
        return (kernel, [0.8, -0.35, 0.6, -1.1])
    }

    /// A periodic triclinic Si/O cell.
    func makeStructure(seed: UInt64 = 3, atoms: Int = 5) -> Structure {
        var s = makeTestStructure(seed: seed, atoms: atoms)
        s.atomicNumbers = (0..<atoms).map { $0 % 2 == 0 ? 14 : 8 }
        return s
    }

    func predict(_ kernel: AngleTripletKernel, _ s: Structure, _ alpha: [Double]) throws -> Prediction {
        kernel.predict(s, neighbours: try NeighbourList(s, cutoffRadius: kernel.cutoffRadius), alpha: alpha)
    }

    /// QUIP's angle_3b_calc written out literally: every centre, every ordered pair of distinct
    /// neighbour entries (n ≠ m) within the cutoff, QUIP's species test, the descriptor
    /// (r_ij + r_ik, (r_ij − r_ik)², r_jk) with covariance cutoff fc(r_ij) fc(r_ik), and gap's
    /// ard_se prediction Σ_m α_m δ² fc fc_m exp(−½ Σ_d ((x − y_m)_d/θ_d)²).
    func quipEnergy(_ kernel: AngleTripletKernel, _ s: Structure, _ alpha: [Double]) throws -> Double {
        let list = try NeighbourList(s, cutoffRadius: kernel.cutoffRadius)
        let rc = kernel.cutoffRadius, w = kernel.descriptor.transitionWidth
        func fc(_ r: Double) -> Double { r > rc ? 0 : r <= rc - w ? 1 : 0.5 * (cos(Double.pi * (r - rc + w) / w) + 1) }
        let sp = kernel.species
        var energy = 0.0
        for i in 0..<s.count {
            if sp.centre != 0 && s.atomicNumbers[i] != sp.centre { continue }
            for n in list.pairRange(of: i) {
                let rij = list.distances[n]
                if rij >= rc { continue }
                let zj = s.atomicNumbers[Int(list.neighbours[n])]
                for m in list.pairRange(of: i) where m != n {
                    let rik = list.distances[m]
                    if rik >= rc { continue }
                    let zk = s.atomicNumbers[Int(list.neighbours[m])]
                    let zk1 = sp.z1 == 0 || zk == sp.z1, zk2 = sp.z2 == 0 || zk == sp.z2
                    let zj1 = sp.z1 == 0 || zj == sp.z1, zj2 = sp.z2 == 0 || zj == sp.z2
                    if !((zk1 && zj2) || (zk2 && zj1)) { continue }
                    let djk = list.vectors[n] - list.vectors[m]
                    let x = [rij + rik, (rij - rik) * (rij - rik), (djk * djk).sum().squareRoot()]
                    for c in 0..<kernel.sparseCount {
                        var sum = 0.0
                        for d in 0..<3 {
                            let z = (x[d] - kernel.sparsePoints[3 * c + d]) / kernel.theta[d]
                            sum += z * z
                        }
                        energy += alpha[c] * kernel.delta * kernel.delta * fc(rij) * fc(rik) * kernel.sparseWeights[c] * exp(-0.5 * sum)
                    }
                }
            }
        }
        return energy
    }

    let selections: [SpeciesTriplet] = [.any, .init(centre: 14, 8, 8), .init(centre: 8, 8, 14), .init(centre: 14, 14, 14)]

    func testEnergyIsQUIPsSumOverOrderedNeighbourPairs() throws {
        for species in selections {
            let (kernel, alpha) = makeKernel(species: species)
            let s = makeStructure(seed: 5, atoms: 6)
            let p = try predict(kernel, s, alpha)
            let reference = try quipEnergy(kernel, s, alpha)
            XCTAssertNotEqual(reference, 0, "\(species)")
            XCTAssertEqual(p.energy, reference, accuracy: 1e-12 * abs(reference), "\(species)")
            XCTAssertEqual(p.localEnergies.reduce(0, +), p.energy, accuracy: 1e-13 * abs(p.energy))
        }
    }

    func testTripletsCoverImagesAndTheTransitionRegion() throws {
        let (kernel, _) = makeKernel()
        let s = makeStructure()
        let list = try NeighbourList(s, cutoffRadius: kernel.cutoffRadius)
        var selfImages = 0, sameAtomPairs = 0, inTransition = 0, count = 0
        kernel.descriptor.forEachTriplet(in: s, neighbours: list) { t in
            count += 1
            if t.j == t.i || t.k == t.i { selfImages += 1 }
            if t.j == t.k { sameAtomPairs += 1 }
            if t.weight < 1 { inTransition += 1 }
            XCTAssertLessThan(t.p, t.q)
        }
        XCTAssertGreaterThan(selfImages, 0)
        XCTAssertGreaterThan(sameAtomPairs, 0)
        XCTAssertGreaterThan(inTransition, count / 2)
        let pool = kernel.descriptor.triplets(in: s, neighbours: list)
        XCTAssertEqual(pool.weights.count, count)
        XCTAssertEqual(pool.features.count, 3 * count)
    }

    /// Predicted forces and virial are minus the derivatives of the energy, for every species selection.
    func testForcesAndVirialMatchFiniteDifferences() throws {
        for species in selections {
            let (kernel, alpha) = makeKernel(species: species)
            let s = makeStructure()
            let p = try predict(kernel, s, alpha)
            try assertForcesAndVirialMatchFiniteDifferences(
                p, of: s, energy: { try predict(kernel, $0, alpha).energy },
                relativeTolerance: 1e-8, smallestLargestForce: 0.01, "\(species)")
        }
    }

    /// Design rows reproduce the prediction (``assertDesignRowsReproducePrediction``).
    func testDesignRowsTimesCoefficientsEqualPrediction() throws {
        for species in [SpeciesTriplet.any, .init(centre: 8, 8, 14)] {
            let (kernel, alpha) = makeKernel(species: species)
            try assertDesignRowsReproducePrediction(
                kernel, alpha: alpha, structure: makeStructure(seed: 8, atoms: 6), longCutoff: 5.5)
        }
    }

    /// Energy is unchanged by rotating, translating or relabelling the atoms; forces rotate and
    /// permute with them.
    func testInvariantUnderRotationTranslationAndPermutation() throws {
        let (kernel, alpha) = makeKernel()
        let s = makeStructure(seed: 11, atoms: 6)
        let p = try predict(kernel, s, alpha)

        let (a, b, c) = (0.4, -1.1, 2.3)
        let rx = Matrix3(rows: Vector3(1, 0, 0), Vector3(0, cos(a), -sin(a)), Vector3(0, sin(a), cos(a)))
        let ry = Matrix3(rows: Vector3(cos(b), 0, sin(b)), Vector3(0, 1, 0), Vector3(-sin(b), 0, cos(b)))
        let rz = Matrix3(rows: Vector3(cos(c), -sin(c), 0), Vector3(sin(c), cos(c), 0), Vector3(0, 0, 1))
        let rotation = rz * ry * rx
        var rotated = s
        rotated.positions = s.positions.map { rotation.multiply($0) + Vector3(0.3, -1.7, 2.2) }
        rotated.cell.matrix = Matrix3(rows: rotation.multiply(s.cell.matrix[row: 0]), rotation.multiply(s.cell.matrix[row: 1]), rotation.multiply(s.cell.matrix[row: 2]))
        let q = try predict(kernel, rotated, alpha)
        XCTAssertEqual(q.energy, p.energy, accuracy: 1e-12 * abs(p.energy))
        for i in 0..<s.count {
            let f = rotation.multiply(Vector3(p.forces[3 * i], p.forces[3 * i + 1], p.forces[3 * i + 2]))
            for d in 0..<3 { XCTAssertEqual(q.forces[3 * i + d], f[d], accuracy: 1e-11) }
        }

        let order = [3, 0, 5, 1, 4, 2]
        var permuted = s
        permuted.positions = order.map { s.positions[$0] }
        permuted.atomicNumbers = order.map { s.atomicNumbers[$0] }
        let r = try predict(kernel, permuted, alpha)
        XCTAssertEqual(r.energy, p.energy, accuracy: 1e-12 * abs(p.energy))
        for (new, old) in order.enumerated() {
            for d in 0..<3 { XCTAssertEqual(r.forces[3 * new + d], p.forces[3 * old + d], accuracy: 1e-12) }
        }
    }

    /// K_MM is symmetric with diagonal δ² w_m² (QUIP's ard_se sets it so), blocks agree with it.
    func testSparseCovariance() throws {
        let (kernel, _) = makeKernel()
        let m = kernel.sparseCount
        let k = kernel.sparseCovariance()
        for a in 0..<m {
            XCTAssertEqual(k[a + a * m], 0.49 * kernel.sparseWeights[a] * kernel.sparseWeights[a], accuracy: 1e-15)
            for b in 0..<m { XCTAssertEqual(k[a + b * m], k[b + a * m]) }
        }
        let d = (0..<3).map { (kernel.sparsePoints[$0] - kernel.sparsePoints[3 + $0]) / kernel.theta[$0] }
        XCTAssertEqual(k[0 + 1 * m], 0.49 * 0.9 * 0.4 * exp(-0.5 * (d[0] * d[0] + d[1] * d[1] + d[2] * d[2])), accuracy: 1e-15)
        let block = kernel.sparseCovariance(rows: 1..<3, columns: 2..<4)
        for (j, b) in (2..<4).enumerated() {
            for (i, a) in (1..<3).enumerated() { XCTAssertEqual(block[i + j * 2], k[a + b * m]) }
        }
    }
}
