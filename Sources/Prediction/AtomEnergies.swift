import AtomicStructures
import Kernels
import NeighbourLists
import Support

/// A prediction together with each atom's energy, as MD engines use it (per-atom energies,
/// and the sum over a domain's own atoms under domain decomposition).
public struct PerAtomPrediction: Sendable {
    /// Energy (eV), forces (eV/Å) and virial (eV).
    public var total: Prediction
    /// Each atom's energy, eV: its reference energy e0(Z) plus the local energies of the
    /// environments it centres (for a pair term, half of each of its pairs). They sum to the
    /// total energy up to round-off.
    public var atomEnergies: [Double]
}

extension Potential {
    /// Predicts as ``predict(_:forces:virial:threads:)`` (the same energy, forces and virial bit
    /// for bit), with each atom's energy.
    ///
    /// - Throws: as ``predict(_:forces:virial:threads:)``.
    public func predictPerAtom(_ structure: Structure, forces: Bool = true, virial: Bool = true, threads: Int = 1) throws -> PerAtomPrediction {
        let reference = try referenceEnergy(of: structure)
        var total = Prediction(atomCount: structure.count)
        total.energy = reference
        var atomEnergies = try structure.atomicNumbers.map { try referenceEnergy(of: $0, in: structure) }
        guard !terms.isEmpty else { return PerAtomPrediction(total: total, atomEnergies: atomEnergies) }
        let list = try NeighbourList(structure, cutoffRadius: cutoffRadius)
        for (term, alpha) in zip(terms, alphas) {
            let part = try term.predict(structure, neighbours: list, alpha: alpha, forces: forces, virial: virial, threads: threads)
            total.add(part)
            Potential.addLocalEnergies(of: part, to: &atomEnergies)
        }
        return PerAtomPrediction(total: total, atomEnergies: atomEnergies)
    }

    /// Evaluates the atoms `0 ..< centreCount` (the centres) inside a larger open set of atoms:
    /// the form an MD engine's domain decomposition gives, local atoms first, then the ghost
    /// atoms (periodic images and other domains' atoms) around them, which must include every
    /// atom within ``cutoffRadius`` of every centre.
    ///
    /// The energy is the sum of the centres' energies; the forces, −∂E/∂r, are on every atom,
    /// ghosts included (an engine adds a ghost's force to its owner); the virial is
    /// W_ab = Σ_atoms r_a f_b, which summed over the domains of a periodic system is the virial
    /// −∂E/∂ε. For a periodic structure given as its atoms plus their images, the centres'
    /// energies are the periodic per-atom energies and the folded forces the periodic forces.
    ///
    /// - Parameters:
    ///   - atomicNumbers: every atom's, centres first.
    ///   - positions: every atom's, Å (no cell: the set is open).
    ///   - forces: whether to compute forces and virial.
    ///   - threads: threads inside the evaluation (results identical for any count).
    /// - Throws: ``InputError`` for a species the model lacks (centres and ghosts alike),
    ///   positions that are not finite, or coinciding atoms.
    public func predictCentres(
        centreCount: Int, atomicNumbers: [Int], positions: [Vector3], forces: Bool = true, threads: Int = 1
    ) throws -> PerAtomPrediction {
        precondition(centreCount >= 0 && centreCount <= positions.count, "more centres than atoms")
        let structure = Structure(atomicNumbers: atomicNumbers, positions: positions)
        // Every atom's species must be known: a ghost of an unknown species would otherwise
        // silently drop out of its centres' environments.
        var atomEnergies = [Double](repeating: 0, count: centreCount)
        for (i, z) in atomicNumbers.enumerated() {
            let e = try referenceEnergy(of: z, in: structure)
            if i < centreCount { atomEnergies[i] = e }
        }
        var total = Prediction(atomCount: structure.count)
        total.energy = atomEnergies.reduce(0, +)
        if !terms.isEmpty && centreCount > 0 {
            let list = try NeighbourList(structure, cutoffRadius: cutoffRadius).firstCentres(centreCount)
            for (term, alpha) in zip(terms, alphas) {
                // The virial comes from the forces below (the terms' own virial assumes a cell).
                let part = try term.predict(structure, neighbours: list, alpha: alpha, forces: forces, virial: false, threads: threads)
                total.add(part)
                Potential.addLocalEnergies(of: part, to: &atomEnergies)
            }
        }
        total.virial = [Double](repeating: 0, count: 9)
        if forces {
            for (i, r) in positions.enumerated() {
                for a in 0..<3 {
                    for b in 0..<3 { total.virial[3 * a + b] += r[a] * total.forces[3 * i + b] }
                }
            }
        }
        return PerAtomPrediction(total: total, atomEnergies: atomEnergies)
    }

    /// e0 of one atomic number, with the error ``referenceEnergy(of:)`` gives.
    func referenceEnergy(of z: Int, in structure: Structure) throws -> Double {
        if let e = e0[z] { return e }
        return try referenceEnergy(of: Structure(atomicNumbers: [z], positions: [.zero], source: structure.source))
    }

    static func addLocalEnergies(of part: Prediction, to atomEnergies: inout [Double]) {
        precondition(part.localCentres.count == part.localEnergies.count, "a term gave local energies without their centres")
        for (centre, e) in zip(part.localCentres, part.localEnergies) { atomEnergies[Int(centre)] += e }
    }
}
