import AtomicStructures
import NeighbourLists
import Support

/// What one `compute` call will do, worked out serially before the parallel part: the rows
/// (centres), the pairs each row uses, and where each row's gradient entries go.
struct SOAPPlan {
    /// Atom index of each row.
    var centres: [Int32] = []
    /// The pairs (indices into the neighbour list) of row r are `pairs[pairOffsets[r] ..< pairOffsets[r + 1]]`:
    /// neighbours of a neighbour species strictly inside the cutoff.
    var pairOffsets: [Int] = [0]
    var pairs: [Int32] = []
    /// Gradient entries of row r are `entryOffsets[r] ..< entryOffsets[r + 1]`, for the atoms
    /// `entryAtoms[...]` (sorted ascending, the centre included). Empty when not needed.
    var entryOffsets: [Int] = []
    var entryAtoms: [Int32] = []
    /// The largest number of pairs of any row.
    var maximumPairCount = 0

    /// The smallest distance (Å) accepted between two atoms that enter a descriptor.
    static let minimumDistance = 1e-6

    init(calculator: SOAPCalculator, structure: Structure, list: NeighbourList, needsEntries: Bool) throws {
        let numbers = structure.atomicNumbers
        let channels = calculator.channelOfElement
        let cutoff = calculator.hyperparameters.cutoffRadius
        func channel(_ z: Int) -> Int32 { z >= 0 && z < channels.count ? channels[z] : -1 }
        if needsEntries { entryOffsets = [0] }
        var atoms: [Int32] = []
        // The list's centres: every atom, or only the first ones (NeighbourList.firstCentres).
        for i in 0..<min(structure.count, list.centreCount) {
            let z = numbers[i]
            guard z >= 0, z < calculator.isCentreElement.count, calculator.isCentreElement[z] else { continue }
            centres.append(Int32(i))
            atoms.removeAll(keepingCapacity: true)
            for p in list.pairRange(of: i) {
                let j = Int(list.neighbours[p])
                guard channel(numbers[j]) >= 0, list.distances[p] < cutoff else { continue }
                if list.distances[p] < SOAPPlan.minimumDistance {
                    throw InputError(
                        file: structure.source?.file ?? "<memory>", line: structure.source?.line, field: "pos",
                        message: "atoms \(i + 1) and \(j + 1) (or a periodic image) are \(list.distances[p]) Å apart; atoms must not coincide")
                }
                pairs.append(Int32(p))
                if needsEntries && j != i { atoms.append(Int32(j)) }
            }
            pairOffsets.append(pairs.count)
            maximumPairCount = max(maximumPairCount, pairOffsets[pairOffsets.count - 1] - pairOffsets[pairOffsets.count - 2])
            if needsEntries {
                atoms.append(Int32(i))
                atoms.sort()
                var previous: Int32 = -1
                for a in atoms where a != previous {
                    entryAtoms.append(a)
                    previous = a
                }
                entryOffsets.append(entryAtoms.count)
            }
        }
    }

    var rowCount: Int { centres.count }
}
