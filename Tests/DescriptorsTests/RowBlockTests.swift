import AtomicStructures
import Support
import XCTest
@testable import Descriptors

/// `compute(blockBytes:eachBlock:)`: blocks of rows, concatenated, are the whole structure's
/// rows bit for bit, for every body order, with gradients and strain, any thread count.
final class RowBlockTests: XCTestCase {
    /// Concatenates the blocks into one `DescriptorValues` (gradient offsets made global again).
    func concatenated(
        _ calculator: any DensityDescriptor, _ structure: Structure, gradients: Bool, strain: Bool, threads: Int, blockBytes: Int
    ) throws -> (values: DescriptorValues, blockRows: [Int]) {
        var all = DescriptorValues(featureCount: calculator.featureCount, centres: [], values: [], gradientOffsets: gradients ? [0] : [])
        var blockRows: [Int] = []
        var block = DescriptorValues(featureCount: 0, centres: [], values: [])
        try calculator.compute(
            structure, neighbours: nil, gradients: gradients, strainGradients: strain, threads: threads, blockBytes: blockBytes,
            into: &block
        ) { b in
            blockRows.append(b.rowCount)
            XCTAssertEqual(b.values.count, b.rowCount * calculator.featureCount)
            all.centres += b.centres
            all.values += b.values
            if gradients {
                XCTAssertEqual(b.gradientOffsets.count, b.rowCount + 1)
                XCTAssertEqual(b.gradientOffsets.first, 0)
                let base = all.gradientAtoms.count
                all.gradientOffsets += b.gradientOffsets.dropFirst().map { $0 + base }
                all.gradientAtoms += b.gradientAtoms
                all.gradientValues += b.gradientValues
            }
            all.strainValues += b.strainValues
        }
        return (all, blockRows)
    }

    func bits(_ v: [Double]) -> [UInt64] { v.map(\.bitPattern) }

    func testBlocksConcatenateToTheWholeStructure() throws {
        let hTwo = TestStructures.soap(nMax: 3, lMax: 2, species: [8, 14], centres: [14])
        let h = TestStructures.soap(nMax: 3, lMax: 3, species: [8, 14])
        let periodic = TestStructures.periodic(count: 9, species: [14, 8, 14], seed: 4, lattice: TestStructures.skewedLattice, minimumDistance: 1.6)
        let cluster = TestStructures.cluster(count: 7, species: [14, 8], seed: 5, box: 5)
        let calculators: [(String, any DensityDescriptor)] = [
            ("soap", try SOAPCalculator(h)), ("soap Si centres", try SOAPCalculator(hTwo)),
            ("nu1", try RadialSpectrumCalculator(h)), ("nu3", try BispectrumCalculator(hTwo)),
        ]
        for (name, calculator) in calculators {
            for (structure, strain) in [(periodic, true), (cluster, false)] {
                for gradients in [true, false] {
                    let whole = try calculator.compute(
                        structure, neighbours: nil, gradients: gradients, strainGradients: strain, threads: 1)
                    // One row per block, about two rows, and everything in one block.
                    let rowBytes = 8 * calculator.featureCount * (strain ? 10 : 1)
                    for (blockBytes, threads) in [(1, 1), (1, 2), (2 * rowBytes + 1, 2), (Int.max, 1)] {
                        let label = "\(name) \(structure.cell.isFullyPeriodic ? "periodic" : "cluster") gradients \(gradients) block \(blockBytes) threads \(threads)"
                        let (blocks, blockRows) = try concatenated(
                            calculator, structure, gradients: gradients, strain: strain, threads: threads, blockBytes: blockBytes)
                        XCTAssertEqual(blockRows.reduce(0, +), whole.rowCount, label)
                        if blockBytes == 1 { XCTAssertEqual(blockRows, Array(repeating: 1, count: whole.rowCount), label) }
                        if blockBytes == .max { XCTAssertEqual(blockRows, [whole.rowCount], label) }
                        XCTAssertEqual(blocks.centres, whole.centres, label)
                        XCTAssertEqual(bits(blocks.values), bits(whole.values), label)
                        XCTAssertEqual(blocks.gradientOffsets, whole.gradientOffsets, label)
                        XCTAssertEqual(blocks.gradientAtoms, whole.gradientAtoms, label)
                        XCTAssertEqual(bits(blocks.gradientValues), bits(whole.gradientValues), label)
                        XCTAssertEqual(bits(blocks.strainValues), bits(whole.strainValues), label)
                    }
                }
            }
        }
    }

    func testAStructureWithoutCentresIsOneEmptyBlock() throws {
        let calculator = try SOAPCalculator(TestStructures.soap(species: [8, 14], centres: [14]))
        let oxygen = TestStructures.cluster(count: 3, species: [8], seed: 6, box: 4)
        let (blocks, blockRows) = try concatenated(calculator, oxygen, gradients: true, strain: false, threads: 1, blockBytes: 1)
        XCTAssertEqual(blockRows, [0])
        XCTAssertEqual(blocks.rowCount, 0)
    }
}
