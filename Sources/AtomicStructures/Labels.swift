import OrderedCollections
import Support

/// Reference labels of one structure, as used for training and error reports.
///
/// Units and signs (the QUIP/GAP convention, also ASE's):
/// - `energy`: total energy in eV.
/// - `forces`: eV/Å, F = -dE/dr.
/// - `virial`: eV, W = -dE/dε (ε the symmetric strain), so W = -σ V with σ the stress
///   in eV/Å³ (ASE sign: positive stress is tensile) and V the cell volume in Å³.
public struct Labels: Hashable, Sendable {
    /// Total energy in eV.
    public var energy: Double?
    /// Force on each atom in eV/Å.
    public var forces: [Vector3]?
    /// Virial in eV (3x3, symmetric for physical data).
    public var virial: Matrix3?
    /// Configuration type (`config_type`), used for per-type sigmas and reports.
    public var configType: String?
    /// The header or column names the labels were read from (for reports).
    public var sourceKeys: SourceKeys

    /// Which key each label was read from, or nil if absent.
    public struct SourceKeys: Hashable, Sendable {
        public var energy: String?
        public var forces: String?
        /// The virial key, or the stress key when the virial was derived from a stress.
        public var virial: String?
        /// True when `virial` was converted from a stress (W = -σ V).
        public var virialFromStress: Bool = false
        public var configType: String?

        /// Creates an empty record.
        public init() {}
    }

    /// Creates labels.
    public init(
        energy: Double? = nil, forces: [Vector3]? = nil, virial: Matrix3? = nil,
        configType: String? = nil, sourceKeys: SourceKeys = SourceKeys()
    ) {
        self.energy = energy
        self.forces = forces
        self.virial = virial
        self.configType = configType
        self.sourceKeys = sourceKeys
    }
}

/// Which header keys and per-atom columns hold the labels.
///
/// Each label accepts a list of names tried in order, so that one set of keys works for files
/// that mix conventions (for example `dft_energy` and `DFT_energy`). A virial is taken from the
/// first virial key present; only if none is present is the first stress key used, converted
/// by W = -σ V (eV). The defaults cover QUIP/GAP training files and ASE's own names; keys of
/// old-model predictions (`gap_energy`, ...) are deliberately not among them.
public struct LabelKeys: Hashable, Sendable, Codable {
    /// Header keys for the total energy (eV).
    public var energy: [String]
    /// Per-atom column names for forces (eV/Å).
    public var forces: [String]
    /// Header keys for the virial (eV, 9 numbers row-major, or 6 in Voigt order xx yy zz yz xz xy).
    public var virial: [String]
    /// Header keys for the stress (eV/Å³, 9 numbers or 6 Voigt), used only when no virial is found.
    public var stress: [String]
    /// Header keys for the configuration type.
    public var configType: [String]

    /// The defaults: `dft_energy, DFT_energy, energy`; `dft_force, DFT_force, forces, force`;
    /// `dft_virial, DFT_virial, virial`; `dft_stress, DFT_stress, stress`; `config_type`.
    public init(
        energy: [String] = ["dft_energy", "DFT_energy", "energy"],
        forces: [String] = ["dft_force", "DFT_force", "forces", "force"],
        virial: [String] = ["dft_virial", "DFT_virial", "virial"],
        stress: [String] = ["dft_stress", "DFT_stress", "stress"],
        configType: [String] = ["config_type"]
    ) {
        self.energy = energy
        self.forces = forces
        self.virial = virial
        self.stress = stress
        self.configType = configType
    }

    /// Reads the labels of `structure`.
    ///
    /// Throws an ``InputError`` naming the key when a label is present but malformed
    /// (for example a virial with 5 numbers, a non-numeric energy, or a stress without a cell).
    public func labels(of structure: Structure) throws -> Labels {
        var result = Labels()
        let file = structure.source?.file ?? "<memory>"
        let line = structure.source?.line

        func fail(_ key: String, _ message: String) -> InputError {
            InputError(file: file, line: line, field: key, message: message)
        }

        if let key = energy.first(where: { structure.info[$0] != nil }) {
            guard let value = structure.info[key]?.realValue else {
                throw fail(key, "expected a single real number (energy in eV)")
            }
            result.energy = value
            result.sourceKeys.energy = key
        }
        if let key = forces.first(where: { structure.arrays[$0] != nil }) {
            let column = structure.arrays[key]!
            guard column.columns == 3, let values = column.realValues else {
                throw fail(key, "expected a per-atom real column with 3 components (forces in eV/Å), found \(column.kind.rawValue):\(column.columns)")
            }
            result.forces = (0..<structure.count).map { Vector3(values[3 * $0], values[3 * $0 + 1], values[3 * $0 + 2]) }
            result.sourceKeys.forces = key
        }
        if let key = virial.first(where: { structure.info[$0] != nil }) {
            guard let values = structure.info[key]?.realArray, let matrix = LabelKeys.tensor(values) else {
                throw fail(key, "expected 9 numbers (row-major) or 6 in Voigt order (virial in eV)")
            }
            result.virial = matrix
            result.sourceKeys.virial = key
        } else if let key = stress.first(where: { structure.info[$0] != nil }) {
            guard let values = structure.info[key]?.realArray, let matrix = LabelKeys.tensor(values) else {
                throw fail(key, "expected 9 numbers (row-major) or 6 in Voigt order (stress in eV/Å³)")
            }
            guard structure.cell.isFullyPeriodic, structure.cell.volume > 0 else {
                throw fail(key, "a stress needs a fully periodic cell with non-zero volume to convert to a virial")
            }
            result.virial = (-structure.cell.volume) * matrix
            result.sourceKeys.virial = key
            result.sourceKeys.virialFromStress = true
        }
        if let key = configType.first(where: { structure.info[$0] != nil }) {
            switch structure.info[key]! {
            case .string(let s): result.configType = s
            case .integer(let n): result.configType = String(n)
            default: throw fail(key, "expected a single word or quoted string (config type)")
            }
            result.sourceKeys.configType = key
        }
        return result
    }

    /// A 3x3 tensor from 9 row-major numbers or 6 Voigt numbers (xx yy zz yz xz xy).
    static func tensor(_ v: [Double]) -> Matrix3? {
        switch v.count {
        case 9:
            return Matrix3(rowMajor: v)
        case 6:
            return Matrix3(rows: Vector3(v[0], v[5], v[4]), Vector3(v[5], v[1], v[3]), Vector3(v[4], v[3], v[2]))
        default:
            return nil
        }
    }
}
