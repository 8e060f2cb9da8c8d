import AtomicStructures
import Descriptors
import Foundation
import NeighbourLists
import XCTest
@testable import Kernels

final class PairDistanceKernelTests: XCTestCase {
    /// Cutoff 4.5 Å with a 1.5 Å transition on a ~4 Å triclinic cell: most pairs, including
    /// images and self-images, lie in the transition region, and the last sparse point too.
    func makeKernel(species: PairDistanceKernel.SpeciesPair = .any) -> (PairDistanceKernel, [Double]) {
        let kernel = PairDistanceKernel(
            cutoffRadius: 4.5, transitionWidth: 1.5, theta: 0.7, delta: 1.3, species: species,
            sparseDistances: [1.9, 2.5, 3.1, 3.6, 4.2])
        return (kernel, [0.8, -0.35, 0.6, -1.1, 0.45])
    }

    /// A periodic triclinic Si/O cell.
    func makeStructure(seed: UInt64 = 3, atoms: Int = 5) -> Structure {
        var s = makeTestStructure(seed: seed, atoms: atoms)
        s.atomicNumbers = (0..<atoms).map { $0 % 2 == 0 ? 14 : 8 }
        return s
    }

    func predict(_ kernel: PairDistanceKernel, _ s: Structure, _ alpha: [Double]) throws -> Prediction {
        kernel.predict(s, neighbours: try NeighbourList(s, cutoffRadius: kernel.cutoffRadius), alpha: alpha)
    }

    func testTestStructureExercisesImagesAndTransitionRegion() throws {
        let (kernel, _) = makeKernel()
        let s = makeStructure()
        let list = try NeighbourList(s, cutoffRadius: kernel.cutoffRadius)
        XCTAssertGreaterThan(kernel.cutoffRadius, 0.5 * 4.1)
        XCTAssertTrue(list.shifts.contains { $0 != .zero }, "periodic images")
        XCTAssertTrue((0..<s.count).contains { i in list.pairRange(of: i).contains { Int(list.neighbours[$0]) == i } }, "self-images")
        let inTransition = list.distances.filter { $0 > 3.0 && $0 < 4.5 }.count
        XCTAssertGreaterThan(inTransition, 10)
        XCTAssertLessThan(kernel.cutoffWeight(4.2), 1)
        XCTAssertGreaterThan(kernel.cutoffWeight(4.2), 0)
    }

    /// Predicted forces and virial are minus the derivatives of the energy, for every species
    /// selection (all pairs, unlike species, like species, one species with any other).
    func testPredictedForcesAndVirialMatchFiniteDifferences() throws {
        let selections: [PairDistanceKernel.SpeciesPair] = [.any, .init(14, 8), .init(14, 14), .init(8, 0)]
        for species in selections {
            let (kernel, alpha) = makeKernel(species: species)
            let s = makeStructure()
            let p = try predict(kernel, s, alpha)
            XCTAssertNotEqual(p.energy, 0)
            try assertForcesAndVirialMatchFiniteDifferences(
                p, of: s, energy: { try predict(kernel, $0, alpha).energy },
                relativeTolerance: 1e-9, smallestLargestForce: 0.1, "\(species)")
        }
    }

    /// Design rows reproduce the prediction (``assertDesignRowsReproducePrediction``).
    func testDesignRowsTimesCoefficientsEqualPrediction() throws {
        for species in [PairDistanceKernel.SpeciesPair.any, .init(8, 14)] {
            let (kernel, alpha) = makeKernel(species: species)
            try assertDesignRowsReproducePrediction(
                kernel, alpha: alpha, structure: makeStructure(seed: 8, atoms: 6), longCutoff: 6.0)
        }
    }

    /// One local energy per descriptor instance, summing to the energy; both orders of a pair equal.
    func testLocalEnergiesFollowDescriptorInstances() throws {
        let (kernel, alpha) = makeKernel(species: .init(14, 8))
        let s = makeStructure()
        let list = try NeighbourList(s, cutoffRadius: kernel.cutoffRadius)
        let p = kernel.predict(s, neighbours: list, alpha: alpha)
        let distances = PairDistanceKernel.pairDistances(in: s, neighbours: list, species: kernel.species)
        XCTAssertEqual(p.localEnergies.count, distances.count)
        XCTAssertEqual(p.localEnergies.reduce(0, +), p.energy, accuracy: 1e-14)
        let sortedEnergies = p.localEnergies.sorted()
        for k in stride(from: 0, to: sortedEnergies.count, by: 2) {
            XCTAssertEqual(sortedEnergies[k], sortedEnergies[k + 1], accuracy: 1e-12)
        }
    }

    /// Energy and virial are unchanged, and forces and virial rotate, under rotations,
    /// translations (including moving one atom by a lattice vector) and permutations.
    func testInvariances() throws {
        let (kernel, alpha) = makeKernel()
        let s = makeStructure(seed: 5, atoms: 6)
        let p = try predict(kernel, s, alpha)
        let n = s.count

        // Rotation R (column convention): positions r → R r, lattice rows h → R h.
        let angle = 0.7
        let axis = Vector3(1, 2, -0.5) / length(Vector3(1, 2, -0.5))
        let k = Matrix3(rows: Vector3(0, -axis.z, axis.y), Vector3(axis.z, 0, -axis.x), Vector3(-axis.y, axis.x, 0))
        let rotation = Matrix3.identity + sin(angle) * k + (1 - cos(angle)) * (k * k)
        var rotated = s
        rotated.positions = s.positions.map { rotation.multiply($0) }
        rotated.cell.matrix = s.cell.matrix * rotation.transposed
        let r = try predict(kernel, rotated, alpha)
        XCTAssertEqual(r.energy, p.energy, accuracy: 1e-12 * abs(p.energy))
        for atom in 0..<n {
            let f = rotation.multiply(Vector3(p.forces[3 * atom], p.forces[3 * atom + 1], p.forces[3 * atom + 2]))
            for a in 0..<3 { XCTAssertEqual(r.forces[3 * atom + a], f[a], accuracy: 1e-11) }
        }
        let v = rotation * Matrix3(rowMajor: p.virial) * rotation.transposed
        for ab in 0..<9 { XCTAssertEqual(r.virial[ab], v.rowMajor[ab], accuracy: 1e-11) }

        // Translation of all atoms, and one atom moved by a lattice vector.
        var translated = s
        translated.positions = s.positions.map { $0 + Vector3(0.37, -1.2, 2.9) }
        translated.positions[2] += s.cell.matrix[row: 1] - s.cell.matrix[row: 2]
        let t = try predict(kernel, translated, alpha)
        XCTAssertEqual(t.energy, p.energy, accuracy: 1e-12 * abs(p.energy))
        for i in 0..<(3 * n) { XCTAssertEqual(t.forces[i], p.forces[i], accuracy: 1e-11) }
        for ab in 0..<9 { XCTAssertEqual(t.virial[ab], p.virial[ab], accuracy: 1e-11) }

        // Permutation.
        let order = [3, 0, 5, 1, 4, 2]
        var permuted = s
        permuted.positions = order.map { s.positions[$0] }
        permuted.atomicNumbers = order.map { s.atomicNumbers[$0] }
        let q = try predict(kernel, permuted, alpha)
        XCTAssertEqual(q.energy, p.energy, accuracy: 1e-12 * abs(p.energy))
        for (newIndex, oldIndex) in order.enumerated() {
            for a in 0..<3 { XCTAssertEqual(q.forces[3 * newIndex + a], p.forces[3 * oldIndex + a], accuracy: 1e-11) }
        }
        for ab in 0..<9 { XCTAssertEqual(q.virial[ab], p.virial[ab], accuracy: 1e-11) }
        // Newton's third law: pair forces cancel.
        for a in 0..<3 { XCTAssertEqual(stride(from: a, to: 3 * n, by: 3).reduce(0) { $0 + p.forces[$1] }, 0, accuracy: 1e-11) }
    }

    /// The descriptor instances quippy's distance_2b emits for each (Z1, Z2) setting on a periodic
    /// Si/O cell: both orders when Z1 ≠ Z2, symmetric in Z1 and Z2, and 0 meaning any species.
    func testSpeciesSelectionMatchesQuippy() throws {
        let ref = PairDistanceReference.self
        let c = ref.cell
        let cell = Cell(matrix: Matrix3(rowMajor: c), periodic: (true, true, true))
        let positions = (0..<ref.atomicNumbers.count).map { Vector3(ref.positions[3 * $0], ref.positions[3 * $0 + 1], ref.positions[3 * $0 + 2]) }
        let s = Structure(atomicNumbers: ref.atomicNumbers, positions: positions, cell: cell)
        let list = try NeighbourList(s, cutoffRadius: 6.0)
        for (z1, z2, expected) in ref.instances {
            let ours = PairDistanceKernel.pairDistances(in: s, neighbours: list, species: .init(z1, z2), cutoffRadius: ref.cutoff).sorted()
            XCTAssertEqual(ours.count, expected.count, "Z1=\(z1) Z2=\(z2)")
            for (a, b) in zip(ours, expected) { XCTAssertEqual(a, b, accuracy: 1e-12, "Z1=\(z1) Z2=\(z2)") }
        }
        let unlike = try XCTUnwrap(ref.instances.first { $0.0 == 8 && $0.1 == 14 }).2
        XCTAssertFalse(unlike.isEmpty)
    }

    func testThetaFromFactor() {
        XCTAssertEqual(PairDistanceKernel.thetaFromFactor(0.5, distances: [3.2, 4.99966, 1.96173, 2.5])!, 0.5 * (4.99966 - 1.96173), accuracy: 1e-15)
        XCTAssertNil(PairDistanceKernel.thetaFromFactor(0.5, distances: []))
        XCTAssertNil(PairDistanceKernel.thetaFromFactor(0.5, distances: [2.0, 2.0]))
        XCTAssertNil(PairDistanceKernel.thetaFromFactor(0, distances: [1.0, 2.0]))
    }

    func testCutoffWeightAndSparseCovariance() {
        let kernel = PairDistanceKernel(cutoffRadius: 5, transitionWidth: 1, theta: 0.5, delta: 2, sparseDistances: [3.5, 4.5, 5.5])
        XCTAssertEqual(kernel.cutoffWeight(3.9), 1)
        XCTAssertEqual(kernel.cutoffWeight(4.0), 1)
        XCTAssertEqual(kernel.cutoffWeight(4.5), 0.5, accuracy: 1e-15)
        XCTAssertEqual(kernel.cutoffWeight(5.0), 0)
        XCTAssertEqual(kernel.cutoffWeight(6.0), 0)
        let step = PairDistanceKernel(cutoffRadius: 5, transitionWidth: 0, theta: 0.5, delta: 2, sparseDistances: [])
        XCTAssertEqual(step.cutoffWeight(4.999), 1)
        XCTAssertEqual(step.cutoffWeight(5.0), 0)
        let k = kernel.sparseCovariance()
        XCTAssertEqual(k.count, 9)
        XCTAssertEqual(k[0], 4, accuracy: 1e-15)
        XCTAssertEqual(k[1 + 3], 4 * 0.25, accuracy: 1e-15)
        XCTAssertEqual(k[0 + 1 * 3], 4 * 0.5 * exp(-2), accuracy: 1e-15)
        XCTAssertEqual(k[1 + 0 * 3], k[0 + 1 * 3])
        for i in 0..<3 { XCTAssertEqual(k[2 + i * 3], 0); XCTAssertEqual(k[i + 2 * 3], 0) }
    }

    // MARK: - Agreement with gap_fit

    private struct GapFitFixture {
        var frames: [Structure]
        var kernel: PairDistanceKernel
        var sparseCutoff: [Double]
        var sparsePairs: [[Int]]        // (frame, i, j), 0-based
        var kMM: [[Double]]             // full M x M, jitter included
        var kNM: [[Double]]             // N rows of M
        var jitter: Double
        var layout: [DesignRowLayout]   // gap_fit's rows for each frame
        var rowCount: Int
    }

    private func loadGapFitFixture() throws -> GapFitFixture {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TrainingTests/Fixtures")
        let url = fixtures.appendingPathComponent("gap_fit_small.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("gap_fit fixture not found at \(url.path); regenerate with Benchmarks/make_gap_fit_fixture.py")
        }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let two = try XCTUnwrap(json["two_body"] as? [String: Any])
        let system = try XCTUnwrap(json["linear_system"] as? [String: Any])
        let descriptor = try XCTUnwrap(two["descriptor"] as? String)
        XCTAssertTrue(descriptor.contains("Z1=14 Z2=14"))
        XCTAssertEqual(try XCTUnwrap(two["covariance"] as? String), "ard_se")
        let kernel = PairDistanceKernel(
            cutoffRadius: try XCTUnwrap(two["cutoff"] as? Double),
            transitionWidth: try XCTUnwrap(two["cutoff_transition_width"] as? Double),
            theta: try XCTUnwrap((two["theta"] as? [Double])?.first),
            delta: try XCTUnwrap(two["delta"] as? Double),
            species: .init(14, 14),
            sparseDistances: try XCTUnwrap(two["sparse_distance"] as? [Double]))
        var layout: [DesignRowLayout] = []
        for entry in try XCTUnwrap(system["layout"] as? [[String: Any]]) {
            layout.append(DesignRowLayout(
                energy: try XCTUnwrap(entry["energy_row"] as? Int),
                forces: (entry["force_rows"] as? [Int])?.first,
                virial: (entry["virial_rows"] as? [Int])?.first))
        }
        let trainFile = try XCTUnwrap(json["train_file"] as? String)
        return GapFitFixture(
            frames: try ExtendedXYZReader.readAll(path: fixtures.appendingPathComponent(trainFile).path),
            kernel: kernel,
            sparseCutoff: try XCTUnwrap(two["sparse_cutoff"] as? [Double]),
            sparsePairs: try XCTUnwrap(two["sparse_pairs_0based"] as? [[Int]]),
            kMM: try XCTUnwrap(system["K_MM"] as? [[Double]]),
            kNM: try XCTUnwrap(system["K_NM"] as? [[Double]]),
            jitter: try XCTUnwrap(json["sparse_jitter"] as? Double),
            layout: layout,
            rowCount: try XCTUnwrap(system["n_rows"] as? Int))
    }

    /// The 2b block of gap_fit's K_MM (jitter removed) and its sparse cutoff weights.
    func testSparseCovarianceMatchesGapFit() throws {
        let fixture = try loadGapFitFixture()
        let kernel = fixture.kernel
        let m = kernel.sparseCount
        XCTAssertEqual(m, 8)
        for (ours, theirs) in zip(kernel.sparseCutoffWeights, fixture.sparseCutoff) {
            XCTAssertEqual(ours, theirs, accuracy: 1e-14)
        }
        let k = kernel.sparseCovariance()
        var worst = 0.0
        for a in 0..<m {
            for b in 0..<m {
                let theirs = fixture.kMM[a][b] - (a == b ? fixture.jitter : 0)
                worst = max(worst, abs(k[a + b * m] - theirs) / 4)  // δ² = 4 is the scale
            }
        }
        XCTAssertLessThan(worst, 1e-12)
        // The off-diagonal blocks (2b against SOAP) are zero in gap_fit: the terms are independent.
        for a in 0..<m { for b in m..<fixture.kMM.count { XCTAssertEqual(fixture.kMM[a][b], 0) } }
    }

    /// Rebuilds the 2b columns of gap_fit's K_NM (energy, force and virial rows of all 28 training
    /// frames) with gap_fit's row order; its force and virial rows are the negatives of ours.
    func testDesignRowsMatchGapFit() throws {
        let fixture = try loadGapFitFixture()
        let kernel = fixture.kernel
        let m = kernel.sparseCount
        var block = DesignBlock(rowCount: fixture.rowCount, columnCount: m)
        for (frame, rows) in zip(fixture.frames, fixture.layout) {
            let list = try NeighbourList(frame, cutoffRadius: kernel.cutoffRadius)
            kernel.addDesignRows(for: frame, neighbours: list, rows: rows, into: &block, columnOffset: 0)
        }
        XCTAssertEqual(fixture.frames.count, 28)
        // Sign of our row relative to gap_fit's, and the kind of each row.
        var sign = [Double](repeating: 0, count: fixture.rowCount)
        var kind = [Int](repeating: -1, count: fixture.rowCount)
        for (frame, rows) in zip(fixture.frames, fixture.layout) {
            if let e = rows.energy { sign[e] = 1; kind[e] = 0 }
            if let f = rows.forces { for r in f..<(f + 3 * frame.count) { sign[r] = -1; kind[r] = 1 } }
            if let v = rows.virial { for r in v..<(v + 6) { sign[r] = -1; kind[r] = 2 } }
        }
        XCTAssertFalse(kind.contains(-1), "every gap_fit row is accounted for")
        // Compare each kind of row against its own scale (force rows of symmetric crystals are
        // zero up to round-off, so a per-entry relative test would measure noise).
        var scale = [0.0, 0.0, 0.0]
        for r in 0..<fixture.rowCount { for c in 0..<m { scale[kind[r]] = max(scale[kind[r]], abs(fixture.kNM[r][c])) } }
        var worst = [0.0, 0.0, 0.0]
        for r in 0..<fixture.rowCount {
            for c in 0..<m {
                let difference = abs(sign[r] * block[r, c] - fixture.kNM[r][c]) / scale[kind[r]]
                worst[kind[r]] = max(worst[kind[r]], difference)
            }
        }
        XCTAssertGreaterThan(scale.min()!, 1, "non-trivial rows of every kind")
        for k in 0..<3 { XCTAssertLessThan(worst[k], 1e-12, "row kind \(["energy", "force", "virial"][k])") }
    }

    /// Descriptor instances per training frame equal quippy's count, and each of gap_fit's sparse
    /// points is one of our instances for the same (frame, i, j).
    func testDescriptorInstancesMatchGapFit() throws {
        let fixture = try loadGapFitFixture()
        let kernel = fixture.kernel
        var counts: [Int] = []
        var lists: [NeighbourList] = []
        for frame in fixture.frames {
            let list = try NeighbourList(frame, cutoffRadius: kernel.cutoffRadius)
            counts.append(PairDistanceKernel.pairDistances(in: frame, neighbours: list, species: kernel.species).count)
            lists.append(list)
        }
        XCTAssertEqual(counts, PairDistanceReference.gapFitTrainingCounts)
        for (pair, distance) in zip(fixture.sparsePairs, kernel.sparseDistances) {
            let (f, i, j) = (pair[0], pair[1], pair[2])
            let list = lists[f]
            let match = list.pairRange(of: i).contains { Int(list.neighbours[$0]) == j && abs(list.distances[$0] - distance) < 1e-12 }
            XCTAssertTrue(match, "sparse point \(pair) at \(distance) Å")
        }
    }
}
