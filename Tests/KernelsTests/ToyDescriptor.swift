import AtomicStructures
import Descriptors
import Foundation
import NeighbourLists
import Support
import TestSupport

/// A small smooth descriptor for testing kernels independently of SOAP: for centre i,
/// f_k = Σ_j fc(r_ij) exp(−a_k r_ij²), normalised to unit length, with exact position and strain
/// gradients laid out as `DescriptorValues` requires.
struct ToyDescriptor {
    var featureCount = 6
    var cutoff = 4.0

    func exponent(_ k: Int) -> Double { 0.15 * Double(k + 1) }

    func cutoffFunction(_ r: Double) -> (Double, Double) {
        guard r < cutoff else { return (0, 0) }
        let x = Double.pi * r / cutoff
        return (0.5 * (1 + cos(x)), -0.5 * sin(x) * Double.pi / cutoff)
    }

    func compute(_ s: Structure) throws -> DescriptorValues {
        let list = try NeighbourList.bruteForce(s, cutoffRadius: cutoff)
        let f = featureCount
        var values: [Double] = []
        var offsets = [0]
        var atoms: [Int32] = []
        var grads: [Double] = []
        var strain: [Double] = []
        let periodic = s.cell.isPeriodicInAnyDirection
        for i in 0..<s.count {
            var raw = [Double](repeating: 0, count: f)
            // d raw_k / d r_ij (per pair) accumulated per neighbour atom (images summed).
            var perAtom: [Int: [Double]] = [:]
            var rawStrain = [Double](repeating: 0, count: 9 * f)
            for p in list.pairRange(of: i) {
                let r = list.distances[p]
                let v = list.vectors[p]
                let (fc, dfc) = cutoffFunction(r)
                var dr = [Double](repeating: 0, count: f)  // d raw_k / d r
                for k in 0..<f {
                    let e = exp(-exponent(k) * r * r)
                    raw[k] += fc * e
                    dr[k] = dfc * e + fc * e * (-2 * exponent(k) * r)
                }
                let j = Int(list.neighbours[p])
                var gj = perAtom[j] ?? [Double](repeating: 0, count: 3 * f)
                var gi = perAtom[i] ?? [Double](repeating: 0, count: 3 * f)
                for a in 0..<3 {
                    for k in 0..<f {
                        let g = dr[k] * v[a] / r
                        gj[a * f + k] += g
                        gi[a * f + k] -= g
                        for b in 0..<3 { rawStrain[(3 * b + a) * f + k] += v[b] * g }
                    }
                }
                perAtom[j] = gj
                perAtom[i] = gi
            }
            // Normalise: f̂ = raw/|raw|, d f̂ = (d raw − f̂ (f̂ · d raw)) / |raw|.
            let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let unit = raw.map { $0 / norm }
            func normalised(_ d: ArraySlice<Double>) -> [Double] {
                let dd = Array(d)
                let proj = zip(unit, dd).reduce(0) { $0 + $1.0 * $1.1 }
                return (0..<f).map { (dd[$0] - unit[$0] * proj) / norm }
            }
            values += unit
            for j in perAtom.keys.sorted() {
                atoms.append(Int32(j))
                let g = perAtom[j]!
                for a in 0..<3 { grads += normalised(g[(a * f)..<((a + 1) * f)]) }
            }
            offsets.append(atoms.count)
            if periodic {
                for ab in 0..<9 { strain += normalised(rawStrain[(ab * f)..<((ab + 1) * f)]) }
            }
        }
        return DescriptorValues(
            featureCount: f, centres: (0..<s.count).map { Int32($0) }, values: values,
            gradientOffsets: offsets, gradientAtoms: atoms, gradientValues: grads, strainValues: strain)
    }
}

/// A small perturbed periodic cluster of Si-like atoms in a triclinic cell.
func makeTestStructure(seed: UInt64, atoms: Int = 5) -> Structure {
    var rng = SplitMix64(seed: seed)
    let cell = Cell(matrix: Matrix3(rows: Vector3(4.1, 0.2, 0.0), Vector3(0.3, 3.9, 0.1), Vector3(-0.2, 0.1, 4.3)), periodic: (true, true, true))
    var positions: [Vector3] = []
    for _ in 0..<atoms { positions.append(Vector3(4 * rng.unitInterval(), 4 * rng.unitInterval(), 4 * rng.unitInterval())) }
    return Structure(atomicNumbers: [Int](repeating: 14, count: atoms), positions: positions, cell: cell)
}

/// Applies the strain ε to cell and positions: r' = r (1 + ε), rows as vectors.
func strained(_ s: Structure, _ epsilon: Matrix3) -> Structure {
    var t = s
    let deformation = Matrix3.identity + epsilon
    t.positions = s.positions.map { deformation.transposed.multiply($0) }
    t.cell.matrix = s.cell.matrix * deformation
    return t
}
