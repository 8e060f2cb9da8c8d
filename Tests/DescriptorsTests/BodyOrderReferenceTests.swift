import XCTest
import AtomicStructures
import NeighbourLists
@testable import Descriptors

/// ν = 1, 2, 3 against featomic through Gram matrices (see Fixtures/make_body_order_fixture.py:
/// featomic's expansion, harmonics and Clebsch–Gordan products on the QUIP radial functions
/// re-implemented in NumPy). The Gram matrix X Xᵀ over all environments does not depend on the
/// layout, signs or multiplicity folding of the features, only on what they measure.
final class BodyOrderReferenceTests: XCTestCase {
    func testGramMatricesMatchFeatomic() throws {
        let record = try loadFixture("body_order_reference.json")
        let structures = try (record["structures"] as? [Any] ?? []).map { try structure(fromJSON: try XCTUnwrap($0 as? [String: Any])) }
        let sets = try XCTUnwrap(record["sets"] as? [[String: Any]])
        XCTAssertEqual(sets.count, 2)
        for set in sets {
            let h = try hyperparameters(fromJSON: try XCTUnwrap(set["hypers"] as? [String: Any]))
            let environments = (set["environments"] as? [Any] ?? []).map { doubles($0).map { Int($0) } }
            let cases: [(String, any DensityDescriptor)] = [
                ("nu1", try RadialSpectrumCalculator(h)), ("nu2", try SOAPCalculator(h)),
                ("nu3_even", try BispectrumCalculator(h)), ("nu3_odd", try OddOnly(BispectrumCalculator(h, pseudoscalars: true))),
            ]
            for (name, calculator) in cases {
                let reference = doubleMatrix(set[name])
                XCTAssertEqual(reference.count, environments.count)
                let rows = try environments.map { environment -> [Double] in
                    let d = try calculator.values(structures[environment[0]])
                    let row = try XCTUnwrap(d.centres.firstIndex(of: Int32(environment[1])))
                    return Array(d.values[row * d.featureCount ..< (row + 1) * d.featureCount])
                }
                var worst = 0.0, scale = 0.0
                for i in rows.indices {
                    for j in rows.indices {
                        let ours = zip(rows[i], rows[j]).reduce(0) { $0 + $1.0 * $1.1 }
                        worst = max(worst, abs(ours - reference[i][j]))
                        scale = max(scale, abs(reference[i][j]))
                    }
                }
                print("Gram \(name) (n_max \(h.nMax), l_max \(h.lMax), scaling \(h.radialScaling != nil)): max |ours − featomic| / max = \(worst / scale), \(rows[0].count) features")
                XCTAssertGreaterThan(scale, 0)
                XCTAssertLessThan(worst / scale, 1e-11)  // measured ≤ 3e-13
            }
        }
    }
}

/// The pseudoscalar features of a bispectrum calculator only (l1 + l2 + l3 odd).
private struct OddOnly: DensityDescriptor {
    let base: BispectrumCalculator
    let kept: [Int]
    init(_ base: BispectrumCalculator) {
        self.base = base
        kept = (0..<base.featureCount).filter { base.feature(at: $0).map(\.l).reduce(0, +) % 2 == 1 }
    }
    var hyperparameters: SOAPHyperparameters { base.hyperparameters }
    var radialContraction: RadialContraction? { nil }
    var featureCount: Int { kept.count }
    var correlation: DensityCorrelation { .bispectrum(pseudoscalars: true) }
    /// The whole structure as one block.
    func compute(
        _ structure: Structure, neighbours: NeighbourList?, gradients: Bool, strainGradients: Bool, threads: Int?,
        blockBytes: Int, into block: inout DescriptorValues, eachBlock body: (DescriptorValues) throws -> Void
    ) throws {
        let full = try base.compute(structure)
        let f = base.featureCount
        block = DescriptorValues(
            featureCount: kept.count, centres: full.centres,
            values: (0..<full.rowCount).flatMap { r in kept.map { full.values[r * f + $0] } })
        try body(block)
    }
}
