import AtomicStructures
import Configuration
import LinearAlgebra
import NeighbourLists
import Support

/// Per-species reference energies e0 (eV per atom), resolved as gap_fit does (docs/gap_fit.md §1.6).
public enum ReferenceEnergies {
    /// Resolves the config's e0 against the training data, then adds `e0_offset`.
    ///
    /// - `isolated`: for each species, the energy of the one training frame holding a single atom
    ///   of that species with no neighbour (periodic images included) within `cutoffRadius`.
    ///   Missing or ambiguous (two such frames) is an error, as in gap_fit.
    /// - `average`: the unweighted mean over labelled frames of E/N, the same for every species.
    /// - `fit`: per species, the least-squares fit of E/N over labelled frames to the composition
    ///   (see ``leastSquares(frames:species:source:)``).
    /// - per species: the given numbers (coverage was checked against the data).
    public static func resolve(
        _ config: TrainingConfig, frames: [TrainingFrame], species: [Int], cutoffRadius: Double
    ) throws -> [Int: Double] {
        var table: [Int: Double] = [:]
        switch config.e0 {
        case .perSpecies(let given):
            try config.checkE0Coverage(speciesPresent: species)
            for z in species { table[z] = given[z] }
        case .averagePerAtom:
            let labelled = frames.compactMap { f in f.energy.map { $0 / Double(f.atomCount) } }
            guard !labelled.isEmpty else {
                throw InputError(file: config.sourceName, field: "e0", message: "\"average\" needs frames with energies, and none has one")
            }
            let mean = labelled.reduce(0, +) / Double(labelled.count)
            for z in species { table[z] = mean }
        case .leastSquares:
            table = try leastSquares(frames: frames, species: species, source: config.sourceName)
        case .isolatedAtoms:
            var found: [Int: (Double, String)] = [:]
            for frame in frames where frame.atomCount == 1 {
                guard let energy = frame.energy else { continue }
                let list = try NeighbourList(frame.structure, cutoffRadius: cutoffRadius)
                guard list.pairCount == 0 else { continue }
                let z = frame.structure.atomicNumbers[0]
                let place = frame.structure.sourceDescription
                if let previous = found[z] {
                    throw InputError(
                        file: config.sourceName, field: "e0",
                        message: "more than one isolated \(symbol(z)) atom in the training data (\(previous.1) and \(place)); keep one or give e0 explicitly")
                }
                found[z] = (energy, place)
            }
            for z in species {
                guard let (energy, _) = found[z] else {
                    throw InputError(
                        file: config.sourceName, field: "e0",
                        message: "\"isolated\" needs a one-atom \(symbol(z)) frame with an energy and no neighbour within \(cutoffRadius) Å (images included); none found. Add one, give e0 per species, or use \"average\"")
                }
                table[z] = energy
            }
        }
        for z in species { table[z]! += config.e0Offset }
        return table
    }

    /// e0 per species minimising Σ_f (E_f/N_f − Σ_s c_fs e0_s)² over frames with an energy,
    /// c_fs the fraction of species s in frame f: the unweighted per-atom residual, so that with
    /// one species it is `average` (to round-off). Solved from the S x S normal equations by a
    /// symmetric eigendecomposition; directions the compositions do not determine (every frame
    /// with the same Ti:Al ratio, say) get the minimum-norm solution, which leaves those frames'
    /// energies exactly as well fitted (the GP then learns the rest).
    static func leastSquares(frames: [TrainingFrame], species: [Int], source: String) throws -> [Int: Double] {
        let s = species.count
        var normal = Matrix(rows: s, columns: s)
        var rhs = [Double](repeating: 0, count: s)
        var labelled = 0
        for frame in frames {
            guard let energy = frame.energy else { continue }
            labelled += 1
            let n = Double(frame.atomCount)
            var fraction = [Double](repeating: 0, count: s)
            for z in frame.structure.atomicNumbers {
                if let k = species.firstIndex(of: z) { fraction[k] += 1 / n }
            }
            for a in 0..<s {
                rhs[a] += fraction[a] * energy / n
                for b in 0..<s { normal[a, b] += fraction[a] * fraction[b] }
            }
        }
        guard labelled > 0 else {
            throw InputError(file: source, field: "e0", message: "\"fit\" needs frames with energies, and none has one")
        }
        let eigen = try symmetricEigendecomposition(normal)
        let largest = eigen.values.last ?? 0
        var e0 = [Double](repeating: 0, count: s)
        for (k, value) in eigen.values.enumerated() where value > 1e-12 * largest {
            var projection = 0.0
            for a in 0..<s { projection += eigen.vectors[a, k] * rhs[a] }
            for a in 0..<s { e0[a] += eigen.vectors[a, k] * projection / value }
        }
        var table: [Int: Double] = [:]
        for (k, z) in species.enumerated() { table[z] = e0[k] }
        return table
    }

    static func symbol(_ z: Int) -> String { Element(atomicNumber: z)?.symbol ?? "Z=\(z)" }
}
