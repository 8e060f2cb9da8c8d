import AtomicStructures
import Kernels
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
