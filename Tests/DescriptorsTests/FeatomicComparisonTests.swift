import XCTest
import AtomicStructures
@testable import Descriptors

/// Cross-checks with featomic's reference files. featomic uses another radial basis (GTOs), so
/// whole descriptors cannot be compared; instead each shared stage is:
/// - our Y_lm and expansion assembly reproduce featomic's spherical expansion of the Si dimer when
///   fed featomic's radial integrals (building_blocks_bench.json);
/// - our power-spectrum contraction reproduces featomic's power spectrum from featomic's own
///   expansion coefficients, through the documented map
///   p_featomic^{Zc,a,b}(l, n1, n2) = (−1)^l v[(A(A+1)/2 + B)(l_max+1) + l] / (√2 if a = b and n1 ≠ n2),
///   A = max and B = min of the channels (a, n1) and (b, n2) (the √2 of a ≠ b is in both);
/// - featomic's sparse samples (a centre is absent from block (Zc, a, b) when it has no neighbour of
///   species a or b, itself included) are exactly our all-zero species-pair blocks.
final class FeatomicComparisonTests: XCTestCase {
    struct ExpansionBlock {
        var l: Int, centreType: Int, neighbourType: Int
        var samples: [Int]            // atom index per sample
        var values: [[[Double]]]      // [sample][m + l][n]
    }

    func expansionBlocks(_ record: [String: Any]) throws -> [ExpansionBlock] {
        try (record["spherical_expansion"] as? [Any] ?? []).map { item in
            let block = try XCTUnwrap(item as? [String: Any])
            let key = try XCTUnwrap(block["key"] as? [String: Any])
            func int(_ name: String) -> Int { (key[name] as? NSNumber)?.intValue ?? -1 }
            return ExpansionBlock(
                l: int("o3_lambda"), centreType: int("center_type"), neighbourType: int("neighbor_type"),
                samples: doubleMatrix(block["samples"]).map { Int($0[1]) },
                values: (block["values"] as? [Any] ?? []).map { doubleMatrix($0) })
        }
    }

    /// Our expansion of the dimer from featomic's radial integrals I_nl(r) equals featomic's.
    func testDimerExpansionFromFeatomicRadialIntegrals() throws {
        let blocksRecord = try loadSharedReference("building_blocks_bench.json")
        let dimer = try loadSharedReference("featomic_si_dimer_bench.json")
        let structure = try structure(fromJSON: try XCTUnwrap(dimer["structure"] as? [String: Any]))
        let table = try XCTUnwrap(blocksRecord["radial_integral_table"] as? [Any]).compactMap { $0 as? [String: Any] }
        func integrals(at r: Double) throws -> [[Double]] {
            let row = try XCTUnwrap(table.first { abs((($0["r"] as? NSNumber)?.doubleValue ?? -1) - r) < 1e-12 })
            return doubleMatrix(row["I_nl"])
        }
        let nMax = 8, lMax = 6
        let bond = structure.positions[1] - structure.positions[0]
        let atBond = try integrals(at: 2.35), atZero = try integrals(at: 0)
        XCTAssertEqual(length(bond), 2.35, accuracy: 1e-12)
        let harmonics = RealSphericalHarmonics(lMax: lMax)
        var y = [Double](repeating: 0, count: harmonics.componentCount)
        var scratch = [Double](repeating: 0, count: harmonics.scratchCount)
        var worst = 0.0, scale = 0.0
        for block in try expansionBlocks(dimer) {
            for (sampleIndex, atom) in block.samples.enumerated() {
                let vector = atom == 0 ? bond : -bond
                y.withUnsafeMutableBufferPointer { v in
                    scratch.withUnsafeMutableBufferPointer { harmonics.compute(vector, distance: 2.35, values: v.baseAddress!, gradients: nil, scratch: $0.baseAddress!) }
                }
                let l = block.l
                for m in -l...l {
                    for n in 0..<nMax {
                        // f_c(2.35) = 1; the centre adds I_n0(0) Y_00 (centre weight 1).
                        var ours = atBond[n][l] * y[l * l + l + m]
                        if l == 0 { ours += atZero[n][0] * y[0] }
                        let theirs = block.values[sampleIndex][m + l][n]
                        worst = max(worst, abs(ours - theirs))
                        scale = max(scale, abs(theirs))
                    }
                }
            }
        }
        print("featomic dimer expansion from building blocks: max rel. difference \(worst / scale)")
        XCTAssertLessThan(worst / scale, 1e-12)
    }

    /// Our power-spectrum contraction and layout, fed featomic's expansion, give featomic's power
    /// spectrum through the documented map (multi-species cluster and periodic cell).
    func testPowerSpectrumContractionAndLayoutMap() throws {
        for (name, species) in [("featomic_sio_cluster_small.json", [8, 14]), ("featomic_si_diamond8_small.json", [14]),
                                ("featomic_sio_cluster_bench.json", [8, 14])] {
            let record = try loadSharedReference(name)
            let hypers = try XCTUnwrap(record["hypers"] as? [String: Any])
            let nMax = try XCTUnwrap((hypers["n_max"] as? NSNumber)?.intValue)
            let lMax = try XCTUnwrap((hypers["l_max"] as? NSNumber)?.intValue)
            let structure = try structure(fromJSON: try XCTUnwrap(record["structure"] as? [String: Any]))
            let lm = (lMax + 1) * (lMax + 1)
            let channels = species.count * nMax
            let featureCount = channels * (channels + 1) / 2 * (lMax + 1)
            // Our coefficient array per atom, from featomic's sparse blocks (absent = zero).
            var coefficients = [[Double]](repeating: [Double](repeating: 0, count: channels * lm), count: structure.count)
            for block in try expansionBlocks(record) {
                let s = try XCTUnwrap(species.firstIndex(of: block.neighbourType))
                for (sampleIndex, atom) in block.samples.enumerated() {
                    for m in -block.l...block.l {
                        for n in 0..<nMax {
                            coefficients[atom][(s * nMax + n) * lm + block.l * block.l + block.l + m] = block.values[sampleIndex][m + block.l][n]
                        }
                    }
                }
            }
            var inverseRoot = (0...lMax).map { 1 / Double(2 * $0 + 1).squareRoot() }
            var ours = [[Double]](repeating: [], count: structure.count)
            for atom in 0..<structure.count {
                var v = [Double](repeating: 0, count: featureCount)
                coefficients[atom].withUnsafeBufferPointer { c in
                    inverseRoot.withUnsafeMutableBufferPointer { k in
                        v.withUnsafeMutableBufferPointer {
                            SOAPKernels.powerSpectrum(coefficients: c.baseAddress!, channelCount: channels, lCount: lMax + 1,
                                                      inverseRootDegeneracy: k.baseAddress!, into: $0.baseAddress!)
                        }
                    }
                }
                ours[atom] = v
            }
            var worst = 0.0, scale = 0.0
            for case let block as [String: Any] in record["power_spectrum"] as? [Any] ?? [] {
                let key = try XCTUnwrap(block["key"] as? [String: Any])
                let a = try XCTUnwrap(species.firstIndex(of: (key["neighbor_1_type"] as? NSNumber)?.intValue ?? -1))
                let b = try XCTUnwrap(species.firstIndex(of: (key["neighbor_2_type"] as? NSNumber)?.intValue ?? -1))
                let properties = doubleMatrix(block["properties"]).map { $0.map(Int.init) }
                let values = doubleMatrix(block["values"])
                for (sampleIndex, sample) in doubleMatrix(block["samples"]).enumerated() {
                    let atom = Int(sample[1])
                    for (p, property) in properties.enumerated() {
                        let (l, n1, n2) = (property[0], property[1], property[2])
                        let first = a * nMax + n1, second = b * nMax + n2
                        let (big, small) = (max(first, second), min(first, second))
                        var mapped = ours[atom][(big * (big + 1) / 2 + small) * (lMax + 1) + l]
                        if l % 2 == 1 { mapped = -mapped }
                        if a == b && n1 != n2 { mapped /= 2.0.squareRoot() }
                        worst = max(worst, abs(mapped - values[sampleIndex][p]))
                        scale = max(scale, abs(values[sampleIndex][p]))
                    }
                }
            }
            print("featomic \(name): power spectrum from featomic's expansion, max rel. difference \(worst / scale)")
            XCTAssertLessThan(worst / scale, 1e-13)
        }
    }

    /// featomic's sparse samples ⇔ our zero species-pair blocks, on the shared SiO cluster and on
    /// a cluster where an O atom has no O neighbour and one Si has no neighbour at all.
    func testSparseSamplesAreOurZeroBlocks() throws {
        let record = try loadSharedReference("featomic_sio_cluster_small.json")
        let shared = try structure(fromJSON: try XCTUnwrap(record["structure"] as? [String: Any]))
        var present = Set<[Int]>()   // [centre atom, a, b]
        for case let block as [String: Any] in record["power_spectrum"] as? [Any] ?? [] {
            let key = try XCTUnwrap(block["key"] as? [String: Any])
            let a = (key["neighbor_1_type"] as? NSNumber)?.intValue ?? -1
            let b = (key["neighbor_2_type"] as? NSNumber)?.intValue ?? -1
            for sample in doubleMatrix(block["samples"]) { present.insert([Int(sample[1]), a, b]) }
        }
        let isolated = Structure(atomicNumbers: [14, 8, 14, 8], positions: [
            Vector3(0, 0, 0), Vector3(1.6, 0.1, -0.2), Vector3(-1.5, 1.0, 0.3), Vector3(20, 0, 0)])
        // In `isolated`, atom 3 (O) is alone: featomic's rule keeps it only in (8, 8, 8).
        let isolatedPresent: Set<[Int]> = Set([0, 1, 2].flatMap { atom in [[atom, 8, 8], [atom, 8, 14], [atom, 14, 14]] } + [[3, 8, 8]])
        for (structure, expected) in [(shared, present), (isolated, isolatedPresent)] {
            let calculator = try SOAPCalculator(SOAPHyperparameters(
                cutoffRadius: 5, cutoffTransitionWidth: 1.0, nMax: 4, lMax: 3, atomSigma: 0.5, normalise: false, neighbourSpecies: [8, 14], centreSpecies: [8, 14]))
            let d = try calculator.compute(structure)
            let nMax = 4, lCount = 4
            for row in 0..<d.rowCount {
                let atom = Int(d.centres[row])
                for (sa, a) in [8, 14].enumerated() {
                    for (sb, b) in [8, 14].enumerated() where sb >= sa {
                        var nonzero = false
                        for n1 in 0..<nMax {
                            for n2 in 0..<nMax {
                                let first = sa * nMax + n1, second = sb * nMax + n2
                                let (big, small) = (max(first, second), min(first, second))
                                for l in 0..<lCount where d.values[row * d.featureCount + (big * (big + 1) / 2 + small) * lCount + l] != 0 {
                                    nonzero = true
                                }
                            }
                        }
                        XCTAssertEqual(nonzero, expected.contains([atom, a, b]), "atom \(atom) block (\(a), \(b))")
                    }
                }
            }
        }
    }
}
