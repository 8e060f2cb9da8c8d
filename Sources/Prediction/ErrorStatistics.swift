import Foundation
import Kernels
import Support

/// Prediction errors accumulated per config type and overall: energy per atom (meV/atom),
/// force components (eV/Å), force vectors per atom (eV/Å, |ΔF|), virial per atom (meV/atom).
///
/// Definitions (as gap_fit and most GAP papers report them): the energy error of a frame is
/// (E_pred − E_ref)/N, one value per frame; force errors are F_pred − F_ref per Cartesian
/// component (3N values per frame) and |F_pred − F_ref| per atom (N values); virial errors are
/// (W_pred − W_ref)/N for the six independent components xx, xy, xz, yy, yz, zz. RMSE and MAE
/// are over all values of a group; frames lacking a label add nothing to that quantity.
public struct ErrorStatistics: Sendable {
    /// Running sums for one quantity.
    public struct Accumulator: Sendable, Hashable {
        /// Number of values.
        public var count = 0
        /// Σ e².
        package var sumOfSquares = 0.0
        /// Σ |e|.
        package var sumOfAbsolute = 0.0
        /// max |e|.
        public var maximum = 0.0

        /// Adds one error.
        public mutating func add(_ error: Double) {
            count += 1
            sumOfSquares += error * error
            sumOfAbsolute += abs(error)
            maximum = max(maximum, abs(error))
        }

        /// Merges another accumulator.
        public mutating func merge(_ other: Accumulator) {
            count += other.count
            sumOfSquares += other.sumOfSquares
            sumOfAbsolute += other.sumOfAbsolute
            maximum = max(maximum, other.maximum)
        }

        /// Root-mean-square error (nil without values).
        public var rmse: Double? { count > 0 ? (sumOfSquares / Double(count)).squareRoot() : nil }
        /// Mean absolute error (nil without values).
        public var mae: Double? { count > 0 ? sumOfAbsolute / Double(count) : nil }
    }

    /// Errors of one group (a config type, or all).
    public struct Group: Sendable, Hashable {
        /// Frames in the group.
        public var frames = 0
        /// Atoms in the group.
        public var atoms = 0
        /// Energy error per atom, meV/atom.
        public var energy = Accumulator()
        /// Force component errors, eV/Å.
        public var forceComponents = Accumulator()
        /// Force vector errors |F_pred − F_ref| per atom, eV/Å.
        public var forceVectors = Accumulator()
        /// Virial component errors per atom (6 independent components), meV/atom.
        public var virial = Accumulator()

        /// Adds another group's counts and errors.
        public mutating func merge(_ other: Group) {
            frames += other.frames
            atoms += other.atoms
            energy.merge(other.energy)
            forceComponents.merge(other.forceComponents)
            forceVectors.merge(other.forceVectors)
            virial.merge(other.virial)
        }
    }

    /// Groups by config type ("(none)" for frames without one), in order of first appearance.
    public private(set) var configTypes: [String] = []
    /// The group of each config type.
    public private(set) var groups: [String: Group] = [:]

    /// An empty accumulator.
    public init() {}

    /// All groups merged.
    public var overall: Group {
        var total = Group()
        for key in configTypes { total.merge(groups[key]!) }
        return total
    }

    /// Adds one frame's errors. Arrays are optional: pass nil for labels the frame lacks.
    /// Energies in eV, forces eV/Å (3N flat), virials eV (9 row-major).
    public mutating func add(
        configType: String?, atomCount: Int, predictedEnergy: Double, referenceEnergy: Double?,
        predictedForces: [Double], referenceForces: [Double]?, predictedVirial: [Double]?, referenceVirial: [Double]?
    ) {
        let key = configType ?? "(none)"
        if groups[key] == nil {
            configTypes.append(key)
            groups[key] = Group()
        }
        var g = groups[key]!
        g.frames += 1
        g.atoms += atomCount
        let n = Double(atomCount)
        if let e = referenceEnergy { g.energy.add(1000 * (predictedEnergy - e) / n) }
        if let f = referenceForces {
            for atom in 0..<atomCount {
                var squared = 0.0
                for a in 0..<3 {
                    let d = predictedForces[3 * atom + a] - f[3 * atom + a]
                    g.forceComponents.add(d)
                    squared += d * d
                }
                g.forceVectors.add(squared.squareRoot())
            }
        }
        if let v = referenceVirial, let p = predictedVirial {
            for ab in [0, 1, 2, 4, 5, 8] { g.virial.add(1000 * (p[ab] - v[ab]) / n) }
        }
        groups[key] = g
    }

    /// Merges another set of statistics (config types appended in their order).
    public mutating func merge(_ other: ErrorStatistics) {
        for key in other.configTypes {
            if groups[key] == nil {
                configTypes.append(key)
                groups[key] = Group()
            }
            groups[key]!.merge(other.groups[key]!)
        }
    }

    /// A readable table: RMSE and MAE per config type and overall.
    public func formattedTable() -> String {
        func cell(_ x: Double?, _ digits: Int) -> String {
            guard let x else { return "-".leftPadded(9) }
            return formatFixed(x, digits).leftPadded(9)
        }
        var lines = [
            "config type           frames   atoms    E RMSE     E MAE    F RMSE     F MAE   |F| RMSE    V RMSE     V MAE",
            "                                      meV/atom  meV/atom      eV/Å      eV/Å      eV/Å  meV/atom  meV/atom",
        ]
        func row(_ name: String, _ g: Group) -> String {
            name.padding(toLength: max(20, name.count), withPad: " ", startingAt: 0)
                + String(g.frames).leftPadded(8) + String(g.atoms).leftPadded(8)
                + cell(g.energy.rmse, 2) + " " + cell(g.energy.mae, 2) + " "
                + cell(g.forceComponents.rmse, 4) + " " + cell(g.forceComponents.mae, 4) + " "
                + cell(g.forceVectors.rmse, 4) + " "
                + cell(g.virial.rmse, 2) + " " + cell(g.virial.mae, 2)
        }
        for key in configTypes { lines.append(row(key, groups[key]!)) }
        if configTypes.count > 1 { lines.append(row("overall", overall)) }
        return lines.joined(separator: "\n")
    }
}
