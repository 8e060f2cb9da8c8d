import OrderedCollections
import Support

/// A value in a frame's header (`key=value` in extended XYZ).
public enum InfoValue: Hashable, Sendable {
    case string(String)
    case integer(Int)
    case real(Double)
    case bool(Bool)
    case integers([Int])
    case reals([Double])
    case bools([Bool])
    case strings([String])

    /// The value as a real number, if it is a single integer or real.
    public var realValue: Double? {
        switch self {
        case .real(let x): return x
        case .integer(let n): return Double(n)
        default: return nil
        }
    }

    /// The value as an array of reals, if it is numeric (a single number gives one element).
    public var realArray: [Double]? {
        switch self {
        case .reals(let xs): return xs
        case .integers(let ns): return ns.map(Double.init)
        case .real(let x): return [x]
        case .integer(let n): return [Double(n)]
        default: return nil
        }
    }

    /// The value as text, if it is a string (numbers and booleans are not converted).
    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

/// The element type of a per-atom column, as in `Properties=name:TYPE:count`.
public enum PropertyKind: Character, Hashable, Sendable {
    /// Text (`S`).
    case string = "S"
    /// Double-precision real (`R`).
    case real = "R"
    /// Integer (`I`).
    case integer = "I"
    /// Logical (`L`).
    case bool = "L"
}

/// One per-atom array (a `Properties` entry other than species and positions).
///
/// Values are stored flat, atom-major: atom `i`, column `c` is at `i * columns + c`.
public struct PerAtomProperty: Hashable, Sendable {
    /// Storage for the values of one property.
    public enum Values: Hashable, Sendable {
        case strings([String])
        case reals([Double])
        case integers([Int])
        case bools([Bool])

        /// The number of stored values (atoms x columns).
        public var count: Int {
            switch self {
            case .strings(let v): return v.count
            case .reals(let v): return v.count
            case .integers(let v): return v.count
            case .bools(let v): return v.count
            }
        }
    }

    /// The column name, for example `forces` or `dft_force`.
    public var name: String
    /// The number of columns per atom (3 for a vector).
    public var columns: Int
    /// The values, atom-major.
    public var values: Values

    /// Creates a per-atom property.
    public init(name: String, columns: Int, values: Values) {
        self.name = name
        self.columns = columns
        self.values = values
    }

    /// The element type.
    public var kind: PropertyKind {
        switch values {
        case .strings: return .string
        case .reals: return .real
        case .integers: return .integer
        case .bools: return .bool
        }
    }

    /// The values as reals (integers are converted), or nil for strings and booleans.
    public var realValues: [Double]? {
        switch values {
        case .reals(let v): return v
        case .integers(let v): return v.map(Double.init)
        default: return nil
        }
    }
}

/// Where a structure came from, so that errors and reports can point at it.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file path as given by the user.
    public var file: String
    /// Zero-based index of the frame in the file.
    public var frameIndex: Int
    /// One-based line number of the frame's first line (the atom count).
    public var line: Int

    /// Creates a source location.
    public init(file: String, frameIndex: Int, line: Int) {
        self.file = file
        self.frameIndex = frameIndex
        self.line = line
    }

    public var description: String { "\(file):\(line) (frame \(frameIndex))" }
}

extension Structure {
    /// Throws unless the structure has at least one atom. Extended XYZ allows empty frames, but
    /// fitting and predicting need atoms: an empty frame's energy per atom is 0/0, and with
    /// labels it would reach the fit as NaN rows far from its file. `use` says what needs atoms.
    ///
    /// - Throws: ``InputError`` naming the file, line and frame.
    public func requireAtoms(for use: String) throws {
        guard atomicNumbers.isEmpty else { return }
        throw InputError(
            file: source?.file ?? "<memory>", line: source?.line, field: "atom count",
            message: "frame \(source.map { "\($0.frameIndex)" } ?? "?") (0-based) has no atoms; \(use) needs atoms in every frame: remove the frame")
    }
}

/// One atomic configuration: species, positions, cell, and everything else its file carried.
///
/// Labels (energy, forces, virial, config type) are not interpreted here: they are read from
/// `info` and `arrays` by ``LabelKeys`` so that users choose the key names.
public struct Structure: Hashable, Sendable {
    /// Atomic number of each atom.
    public var atomicNumbers: [Int]
    /// Cartesian positions in Å.
    public var positions: [Vector3]
    /// Lattice and periodicity.
    public var cell: Cell
    /// Header values other than `Lattice`, `pbc` and `Properties`, in file order.
    public var info: OrderedDictionary<String, InfoValue>
    /// Per-atom columns other than species and positions, in file order.
    public var arrays: OrderedDictionary<String, PerAtomProperty>
    /// The file, frame and line this structure was read from (nil if built in code).
    public var source: SourceLocation?

    /// Creates a structure.
    public init(
        atomicNumbers: [Int],
        positions: [Vector3],
        cell: Cell = .none,
        info: OrderedDictionary<String, InfoValue> = [:],
        arrays: OrderedDictionary<String, PerAtomProperty> = [:],
        source: SourceLocation? = nil
    ) {
        precondition(atomicNumbers.count == positions.count, "one atomic number per position")
        self.atomicNumbers = atomicNumbers
        self.positions = positions
        self.cell = cell
        self.info = info
        self.arrays = arrays
        self.source = source
    }

    /// The number of atoms.
    @inlinable
    public var count: Int { positions.count }

    /// The distinct atomic numbers, sorted.
    public var speciesPresent: [Int] { Array(Set(atomicNumbers)).sorted() }

    /// Where this structure came from, for messages ("<memory>" when built in code).
    public var sourceDescription: String { source?.description ?? "<memory>" }
}
