/// Where one structure's observations sit in a block of design-matrix rows.
///
/// Rows are ordered per structure as energy, then forces (atom-major: x, y, z of atom 0, then
/// atom 1, ...), then the 6 independent virial components in gap_fit's order xx, xy, xz, yy, yz,
/// zz (see ``virialComponents``); absent labels take no rows.
public struct DesignRowLayout: Hashable, Sendable {
    /// Row of the energy observation, or nil.
    public var energy: Int?
    /// First of the 3N force rows, or nil.
    public var forces: Int?
    /// First of the 6 virial rows, or nil.
    public var virial: Int?

    /// Row-major indices (3a + b) of the virial components that get rows, in row order:
    /// xx, xy, xz, yy, yz, zz, as gap_fit.
    public static let virialComponents = [0, 1, 2, 4, 5, 8]

    /// Creates a layout.
    public init(energy: Int? = nil, forces: Int? = nil, virial: Int? = nil) {
        self.energy = energy
        self.forces = forces
        self.virial = virial
    }
}

/// A block of design-matrix rows, column-major (`rowCount x columnCount`), filled by the
/// kernels of every descriptor term and then weighted by 1/σ row by row.
public struct DesignBlock: Sendable {
    /// The number of rows.
    public private(set) var rowCount: Int
    /// The number of columns (total sparse points over all terms).
    public let columnCount: Int
    /// Column-major storage; element (i, j) is at `i + j * rowCount`.
    public var storage: [Double]

    /// A zero block.
    public init(rowCount: Int, columnCount: Int) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.storage = [Double](repeating: 0, count: rowCount * columnCount)
    }

    /// Element (i, j).
    @inlinable
    public subscript(row: Int, column: Int) -> Double {
        get { storage[row + column * rowCount] }
        set { storage[row + column * rowCount] = newValue }
    }

    /// Multiplies row i by `factors[i]` (the 1/σ weights).
    public mutating func scaleRows(by factors: [Double]) {
        precondition(factors.count == rowCount)
        storage.withUnsafeMutableBufferPointer { p in
            for j in 0..<columnCount {
                let column = p.baseAddress! + j * rowCount
                for i in 0..<rowCount { column[i] *= factors[i] }
            }
        }
    }
}

/// One structure's predicted energy (eV), forces (eV/Å, 3N flat, atom-major) and virial
/// (eV, 9 numbers row-major), plus the local energy of each descriptor row.
public struct Prediction: Sendable {
    /// Total energy, eV.
    public var energy: Double = 0
    /// Forces, eV/Å, flat `3 x atomCount` (x, y, z per atom).
    public var forces: [Double]
    /// Virial W = −dE/dε, eV, row-major 3x3.
    public var virial: [Double] = [Double](repeating: 0, count: 9)
    /// Energy of each descriptor row (environment), eV.
    public var localEnergies: [Double] = []
    /// The atom each local energy belongs to (the row's centre; for a pair term, the pair's
    /// first atom, which carries half the unordered pair's energy). Per-atom energies are
    /// these sums.
    public var localCentres: [Int32] = []

    /// A zero prediction for `atomCount` atoms.
    public init(atomCount: Int) {
        forces = [Double](repeating: 0, count: 3 * atomCount)
    }

    /// Adds another term's contribution.
    public mutating func add(_ other: Prediction) {
        energy += other.energy
        for i in forces.indices { forces[i] += other.forces[i] }
        for i in 0..<9 { virial[i] += other.virial[i] }
    }
}
