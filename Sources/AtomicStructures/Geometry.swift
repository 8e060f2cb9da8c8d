/// A Cartesian vector in Å (or a force in eV/Å, depending on context).
public typealias Vector3 = SIMD3<Double>

/// A 3x3 matrix stored by rows. Used for cell matrices (rows are lattice vectors, Å),
/// virials (eV) and stresses (eV/Å³).
public struct Matrix3: Hashable, Sendable, CustomStringConvertible {
    /// The three rows.
    public var rows: (Vector3, Vector3, Vector3)

    /// Creates a matrix from its rows.
    @inlinable
    public init(rows r0: Vector3, _ r1: Vector3, _ r2: Vector3) {
        rows = (r0, r1, r2)
    }

    /// Creates a matrix from nine numbers in row-major order (xx, xy, xz, yx, ...).
    @inlinable
    public init(rowMajor v: [Double]) {
        precondition(v.count == 9, "Matrix3 needs 9 numbers")
        rows = (Vector3(v[0], v[1], v[2]), Vector3(v[3], v[4], v[5]), Vector3(v[6], v[7], v[8]))
    }

    /// The zero matrix.
    public static let zero = Matrix3(rows: .zero, .zero, .zero)

    /// The identity matrix.
    public static let identity = Matrix3(rows: Vector3(1, 0, 0), Vector3(0, 1, 0), Vector3(0, 0, 1))

    /// Row `i` (0, 1 or 2).
    @inlinable
    public subscript(row i: Int) -> Vector3 {
        get {
            switch i {
            case 0: return rows.0
            case 1: return rows.1
            default: return rows.2
            }
        }
        set {
            switch i {
            case 0: rows.0 = newValue
            case 1: rows.1 = newValue
            default: rows.2 = newValue
            }
        }
    }

    /// Element (i, j).
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { self[row: i][j] }
        set {
            var r = self[row: i]
            r[j] = newValue
            self[row: i] = r
        }
    }

    /// The nine elements in row-major order.
    public var rowMajor: [Double] {
        [rows.0.x, rows.0.y, rows.0.z, rows.1.x, rows.1.y, rows.1.z, rows.2.x, rows.2.y, rows.2.z]
    }

    /// The determinant. For a cell matrix this is the signed volume (negative for left-handed cells).
    @inlinable
    public var determinant: Double {
        let (a, b, c) = rows
        return a.x * (b.y * c.z - b.z * c.y) - a.y * (b.x * c.z - b.z * c.x) + a.z * (b.x * c.y - b.y * c.x)
    }

    /// The transpose.
    @inlinable
    public var transposed: Matrix3 {
        let (a, b, c) = rows
        return Matrix3(rows: Vector3(a.x, b.x, c.x), Vector3(a.y, b.y, c.y), Vector3(a.z, b.z, c.z))
    }

    /// The inverse, or nil when the matrix is singular (|det| below 1e-300 or not finite).
    public var inverse: Matrix3? {
        let det = determinant
        guard det.isFinite, abs(det) > 1e-300 else { return nil }
        let (a, b, c) = rows
        // Columns of the inverse are cross products of rows divided by det.
        let c0 = cross(b, c) / det
        let c1 = cross(c, a) / det
        let c2 = cross(a, b) / det
        return Matrix3(rows: c0, c1, c2).transposed
    }

    /// Row vector times matrix: v M.
    @inlinable
    public func leftMultiply(_ v: Vector3) -> Vector3 {
        v.x * rows.0 + v.y * rows.1 + v.z * rows.2
    }

    /// Matrix times column vector: M v.
    @inlinable
    public func multiply(_ v: Vector3) -> Vector3 {
        Vector3((rows.0 * v).sum(), (rows.1 * v).sum(), (rows.2 * v).sum())
    }

    /// Matrix product.
    public static func * (lhs: Matrix3, rhs: Matrix3) -> Matrix3 {
        Matrix3(rows: rhs.leftMultiply(lhs.rows.0), rhs.leftMultiply(lhs.rows.1), rhs.leftMultiply(lhs.rows.2))
    }

    /// Scalar product.
    public static func * (lhs: Double, rhs: Matrix3) -> Matrix3 {
        Matrix3(rows: lhs * rhs.rows.0, lhs * rhs.rows.1, lhs * rhs.rows.2)
    }

    /// Element-wise sum.
    public static func + (lhs: Matrix3, rhs: Matrix3) -> Matrix3 {
        Matrix3(rows: lhs.rows.0 + rhs.rows.0, lhs.rows.1 + rhs.rows.1, lhs.rows.2 + rhs.rows.2)
    }

    /// Element-wise difference.
    public static func - (lhs: Matrix3, rhs: Matrix3) -> Matrix3 {
        Matrix3(rows: lhs.rows.0 - rhs.rows.0, lhs.rows.1 - rhs.rows.1, lhs.rows.2 - rhs.rows.2)
    }

    public static func == (lhs: Matrix3, rhs: Matrix3) -> Bool {
        lhs.rows.0 == rhs.rows.0 && lhs.rows.1 == rhs.rows.1 && lhs.rows.2 == rhs.rows.2
    }

    public func hash(into hasher: inout Hasher) {
        for value in rowMajor { hasher.combine(value) }
    }

    public var description: String { "\(rowMajor)" }
}

/// Cross product.
@inlinable
public func cross(_ a: Vector3, _ b: Vector3) -> Vector3 {
    Vector3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

/// Dot product.
@inlinable
public func dot(_ a: Vector3, _ b: Vector3) -> Double { (a * b).sum() }

/// Euclidean length.
@inlinable
public func length(_ a: Vector3) -> Double { dot(a, a).squareRoot() }

/// The simulation cell: lattice vectors (rows of `matrix`, Å) and periodicity per direction.
///
/// A structure without a `Lattice` in its file has a zero matrix and no periodic direction.
/// Left-handed cells (negative determinant) are allowed. A direction that is periodic must have
/// a lattice vector that is linearly independent of the others.
public struct Cell: Hashable, Sendable {
    /// Lattice vectors as rows, in Å.
    public var matrix: Matrix3
    /// Whether the structure repeats along each lattice vector.
    public var periodic: SIMD3<UInt8>

    /// Creates a cell. `periodic` gives periodicity along the first, second and third vector.
    public init(matrix: Matrix3, periodic: (Bool, Bool, Bool)) {
        self.matrix = matrix
        self.periodic = SIMD3(periodic.0 ? 1 : 0, periodic.1 ? 1 : 0, periodic.2 ? 1 : 0)
    }

    /// A cell with no lattice and no periodicity (an isolated cluster or molecule).
    public static let none = Cell(matrix: .zero, periodic: (false, false, false))

    /// Whether the structure is periodic along lattice vector `i`.
    @inlinable
    public func isPeriodic(_ i: Int) -> Bool { periodic[i] != 0 }

    /// Whether any direction is periodic.
    public var isPeriodicInAnyDirection: Bool { periodic != .zero }

    /// Whether all three directions are periodic.
    public var isFullyPeriodic: Bool { periodic == SIMD3(1, 1, 1) }

    /// Whether a lattice was given (any non-zero lattice vector).
    public var hasLattice: Bool { matrix != .zero }

    /// Signed volume in Å³ (negative for a left-handed cell).
    public var signedVolume: Double { matrix.determinant }

    /// Volume in Å³ (absolute value of the determinant).
    public var volume: Double { abs(matrix.determinant) }

    /// Fractional coordinates of a Cartesian position, or nil if the lattice is singular.
    public func fractional(_ position: Vector3) -> Vector3? {
        matrix.inverse.map { $0.leftMultiply(position) }
    }

    /// Cartesian position of fractional coordinates (row vector times lattice matrix).
    @inlinable
    public func cartesian(_ fractional: Vector3) -> Vector3 { matrix.leftMultiply(fractional) }

    public static func == (lhs: Cell, rhs: Cell) -> Bool {
        lhs.matrix == rhs.matrix && lhs.periodic == rhs.periodic
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(matrix)
        hasher.combine(periodic)
    }
}
