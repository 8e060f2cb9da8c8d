import AtomicStructures
import Foundation
import XCTest
import ArrayFiles
import Configuration
import Descriptors

/// A small SOAP descriptor (fast in debug builds).
let smallSOAP = SOAPDescriptorConfig(cutoffRadius: 3.0, cutoffTransitionWidth: 0.5, nMax: 3, lMax: 2, atomSigma: 0.5)
let smallSOAPJSON = #"{"cutoff": 3.0, "cutoff_transition_width": 0.5, "n_max": 3, "l_max": 2, "atom_sigma": 0.5}"#

/// One extended XYZ frame. `lattice` nil: no cell (non-periodic); `pbc` as written in the header.
func xyzFrame(_ atoms: [(String, Vector3)], lattice: [Double]? = nil, pbc: String? = nil) -> String {
    var text = "\(atoms.count)\n"
    if let lattice { text += "Lattice=\"\(lattice.map { "\($0)" }.joined(separator: " "))\" " }
    text += "Properties=species:S:1:pos:R:3"
    if let pbc { text += " pbc=\"\(pbc)\"" }
    text += "\n"
    for (symbol, r) in atoms { text += "\(symbol) \(r.x) \(r.y) \(r.z)\n" }
    return text
}

/// Diamond silicon in a slightly triclinic cell, atoms displaced deterministically by `seed`.
func siliconCrystal(seed: Int, species: [String]? = nil) -> (atoms: [(String, Vector3)], lattice: [Double]) {
    let lattice = [5.5, 0, 0, 0.4, 5.3, 0, 0.2, 0.3, 5.6]
    let fractions: [Vector3] = [
        Vector3(0, 0, 0), Vector3(0, 0.5, 0.5), Vector3(0.5, 0, 0.5), Vector3(0.5, 0.5, 0),
        Vector3(0.25, 0.25, 0.25), Vector3(0.25, 0.75, 0.75), Vector3(0.75, 0.25, 0.75), Vector3(0.75, 0.75, 0.25),
    ]
    let h = Matrix3(rowMajor: lattice)
    var atoms: [(String, Vector3)] = []
    for (i, f) in fractions.enumerated() {
        let wiggle = Vector3(sin(Double(3 * i + seed)), cos(Double(5 * i + 2 * seed)), sin(Double(7 * i + 3 * seed))) * 0.08
        atoms.append((species?[i] ?? "Si", h.leftMultiply(f) + wiggle))
    }
    return (atoms, lattice)
}

/// A non-periodic tetrahedral cluster.
func cluster(centre: String = "Si", shift: Double = 0) -> [(String, Vector3)] {
    [(centre, Vector3(shift, 0, 0)), ("Si", Vector3(1.4 + shift, 1.3, 1.35)), ("Si", Vector3(-1.35 + shift, -1.4, 1.3)),
     ("Si", Vector3(1.3 + shift, -1.35, -1.4)), ("Si", Vector3(-1.4 + shift, 1.35, -1.3))]
}

/// What `gap-features` must write for `frames`, computed frame by frame with the library.
struct ExpectedFiles {
    var features: [Double] = []
    var centres: [Int64] = []
    var samples: [Int64] = []
    var values: [Double] = []
    var strain: [Double] = []
    var strainSamples: [Int64] = []
    var rows = 0

    init(_ descriptor: SOAPDescriptorConfig, frames: [Structure]) throws {
        let species = Array(Set(frames.flatMap(\.atomicNumbers))).sorted()
        let calculator = try SOAPCalculator(descriptor.hyperparameters(speciesPresent: species))
        var atomBase = 0
        for frame in frames {
            let periodic = frame.cell.isFullyPeriodic
            let d = try calculator.compute(frame, gradients: true, strainGradients: periodic, threads: 1)
            features += d.values
            centres += d.centres.map { Int64(atomBase + Int($0)) }
            for r in 0..<d.rowCount {
                for p in d.gradientOffsets[r] ..< d.gradientOffsets[r + 1] {
                    samples += [Int64(rows + r), Int64(atomBase + Int(d.gradientAtoms[p]))]
                }
            }
            values += d.gradientValues
            if periodic {
                strain += d.strainValues
                strainSamples += (0..<d.rowCount).map { Int64(rows + $0) }
            }
            rows += d.rowCount
            atomBase += frame.count
        }
    }
}

func bits(_ values: [Double]?) -> [UInt64] { (values ?? []).map(\.bitPattern) }
