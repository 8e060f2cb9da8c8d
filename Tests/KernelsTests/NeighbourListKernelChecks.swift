import AtomicStructures
import Kernels
import NeighbourLists
import Support
import XCTest

/// −dE/dt by Richardson-extrapolated central differences (error O(h⁴)): strain derivatives of
/// short-ranged SE kernels have large third derivatives, which leave a plain central difference
/// with h = 1e-5 about 4e-8 off; this one is below 1e-10 there.
func negativeDerivative(_ energy: (Double) throws -> Double, h: Double = 1e-4) rethrows -> Double {
    let d1 = (try energy(h) - energy(-h)) / (2 * h)
    let d2 = (try energy(2 * h) - energy(-2 * h)) / (4 * h)
    return -(4 * d1 - d2) / 3
}

/// Checks a prediction's forces (eV/Å) and virial (eV) against minus the finite-difference
/// derivatives of `energy` with respect to every position and strain component, to
/// `relativeTolerance` × max(1, |value|); at least one force component must exceed
/// `smallestLargestForce`, so that a term that predicts nothing cannot pass.
func assertForcesAndVirialMatchFiniteDifferences(
    _ prediction: Prediction, of structure: Structure, energy: (Structure) throws -> Double,
    relativeTolerance: Double, smallestLargestForce: Double, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) throws {
    var largest = 0.0
    for atom in 0..<structure.count {
        for a in 0..<3 {
            let fd = try negativeDerivative { t in
                var moved = structure
                moved.positions[atom][a] += t
                return try energy(moved)
            }
            largest = max(largest, abs(fd))
            XCTAssertEqual(prediction.forces[3 * atom + a], fd, accuracy: relativeTolerance * max(1, abs(fd)),
                           "\(label) atom \(atom) \(a)", file: file, line: line)
        }
    }
    XCTAssertGreaterThan(largest, smallestLargestForce, "\(label): forces should not vanish", file: file, line: line)
    for a in 0..<3 {
        for b in 0..<3 {
            let fd = try negativeDerivative { t in
                var e = Matrix3.zero
                e[a, b] = t
                return try energy(strained(structure, e))
            }
            XCTAssertEqual(prediction.virial[3 * a + b], fd, accuracy: relativeTolerance * max(1, abs(fd)),
                           "\(label) virial \(a)\(b)", file: file, line: line)
        }
    }
}

/// Checks a neighbour-list kernel's design rows on `structure`: rows times α reproduce the
/// prediction (energy, forces, virial), only the kernel's columns are written, a neighbour list
/// with a longer cutoff (shared with another term) changes nothing, and rows are added, not
/// overwritten (a second call doubles the block).
func assertDesignRowsReproducePrediction<Kernel: NeighbourListKernel>(
    _ kernel: Kernel, alpha: [Double], structure s: Structure, longCutoff: Double,
    file: StaticString = #filePath, line: UInt = #line
) throws {
    let list = try NeighbourList(s, cutoffRadius: kernel.cutoffRadius)
    let longList = try NeighbourList(s, cutoffRadius: longCutoff)
    let p = kernel.predict(s, neighbours: list, alpha: alpha)
    let n = s.count, m = kernel.sparseCount
    let layout = DesignRowLayout(energy: 1, forces: 2, virial: 2 + 3 * n)
    var block = DesignBlock(rowCount: 2 + 3 * n + 6 + 1, columnCount: m + 2)
    kernel.addDesignRows(for: s, neighbours: list, rows: layout, into: &block, columnOffset: 1)
    func row(_ r: Int) -> Double { (0..<m).reduce(0) { $0 + block[r, $1 + 1] * alpha[$1] } }
    XCTAssertEqual(row(1), p.energy, accuracy: 1e-12 * abs(p.energy), file: file, line: line)
    for i in 0..<(3 * n) { XCTAssertEqual(row(2 + i), p.forces[i], accuracy: 1e-12, file: file, line: line) }
    for (c, ab) in DesignRowLayout.virialComponents.enumerated() {
        XCTAssertEqual(row(2 + 3 * n + c), p.virial[ab], accuracy: 1e-12, file: file, line: line)
    }
    for r in 0..<block.rowCount {
        XCTAssertEqual(block[r, 0], 0, file: file, line: line)
        XCTAssertEqual(block[r, m + 1], 0, file: file, line: line)
    }
    XCTAssertEqual(row(0), 0, file: file, line: line)
    XCTAssertEqual(row(block.rowCount - 1), 0, file: file, line: line)

    var longBlock = DesignBlock(rowCount: block.rowCount, columnCount: m + 2)
    kernel.addDesignRows(for: s, neighbours: longList, rows: layout, into: &longBlock, columnOffset: 1)
    XCTAssertEqual(longBlock.storage, block.storage, file: file, line: line)
    let q = kernel.predict(s, neighbours: longList, alpha: alpha)
    XCTAssertEqual(q.energy, p.energy, file: file, line: line)
    XCTAssertEqual(q.forces, p.forces, file: file, line: line)
    XCTAssertEqual(q.virial, p.virial, file: file, line: line)

    kernel.addDesignRows(for: s, neighbours: list, rows: layout, into: &block, columnOffset: 1)
    for (a, b) in zip(block.storage, longBlock.storage) {
        XCTAssertEqual(a, 2 * b, accuracy: 1e-14 * max(1, abs(a)), file: file, line: line)
    }
}
