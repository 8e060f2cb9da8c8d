import AtomicStructures
import Configuration
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

    static func symbol(_ z: Int) -> String { Element(atomicNumber: z)?.symbol ?? "Z=\(z)" }
}
