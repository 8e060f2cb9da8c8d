import OrderedCollections
import Support
#if canImport(Glibc)
import Glibc
#endif

// The extended XYZ reader's row parsing: token plans, frame layouts, the row parser and its
// scratch memory, and small byte-level helpers (ExtendedXYZReader.swift drives them).
// MARK: - Helpers

/// What one token of an atom line is and where its value goes.
struct TokenPlan {
    static let real: UInt8 = 0
    static let finiteReal: UInt8 = 1
    static let integer: UInt8 = 2
    static let bool: UInt8 = 3
    static let species: UInt8 = 4
    static let string: UInt8 = 5

    var kind: UInt8
    /// Index within the atom's row of reals, integers or booleans, or the string column.
    var slot: Int32
    /// Index of the property in `Properties`.
    var property: Int32
}

/// How the atom lines of frames with one `Properties` value are laid out and parsed.
struct FrameLayout {
    var propertiesText: String
    var columns: [PropertyColumn]
    /// Per token (column of an atom line): what it is and where its value goes.
    var plan: [TokenPlan] = []
    var realsPerAtom = 0, integersPerAtom = 0, boolsPerAtom = 0, stringColumnCount = 0
    /// Per property: its first slot in its kind's row (or its first string column).
    var firstSlot: [Int] = []
    var speciesIndex: Int?
    var positionIndex: Int?
    /// The index of an integer, one-column `Z` property.
    var atomicNumberIndex: Int?

    init(columns: [PropertyColumn], propertiesText: String) {
        self.columns = columns
        self.propertiesText = propertiesText
        for (p, column) in columns.enumerated() {
            let isSpecies = column.name == "species" && column.kind == .string && column.columns == 1
            let isPosition = column.name == "pos" && column.kind == .real && column.columns == 3
            if isSpecies { speciesIndex = p }
            if isPosition { positionIndex = p }
            if column.name == "Z" && column.kind == .integer && column.columns == 1 { atomicNumberIndex = p }
            switch column.kind {
            case .real: firstSlot.append(realsPerAtom)
            case .integer: firstSlot.append(integersPerAtom)
            case .bool: firstSlot.append(boolsPerAtom)
            case .string: firstSlot.append(isSpecies ? 0 : stringColumnCount)
            }
            for _ in 0..<column.columns {
                var token = TokenPlan(kind: 0, slot: 0, property: Int32(p))
                switch column.kind {
                case .real:
                    token.kind = isPosition ? TokenPlan.finiteReal : TokenPlan.real
                    token.slot = Int32(realsPerAtom); realsPerAtom += 1
                case .integer:
                    token.kind = TokenPlan.integer
                    token.slot = Int32(integersPerAtom); integersPerAtom += 1
                case .bool:
                    token.kind = TokenPlan.bool
                    token.slot = Int32(boolsPerAtom); boolsPerAtom += 1
                case .string:
                    if isSpecies {
                        token.kind = TokenPlan.species
                    } else {
                        token.kind = TokenPlan.string
                        token.slot = Int32(stringColumnCount); stringColumnCount += 1
                    }
                }
                plan.append(token)
            }
        }
    }
}

/// Why an atom line was refused, and where.
struct RowFailure {
    enum Reason { case missingColumn, extraColumn, badValue, outOfRange, notFinite }
    var reason: Reason
    /// The token (column) index.
    var token: Int
    /// The token's byte offset and length in the line.
    var start: Int = 0
    var length: Int = 0
}

/// The hot loop: parses atom lines into rows of raw buffers.
///
/// A plain value holding raw pointers (valid until the scratch buffers grow), so that parsing
/// a line involves no reference counting, no exclusivity checks and no allocation (except for
/// string columns and the first sight of each element symbol, which go to the scratch).
struct RowParser {
    let plan: UnsafePointer<TokenPlan>
    let planCount: Int
    let reals: UnsafeMutablePointer<Double>
    let integers: UnsafeMutablePointer<Int>
    let bools: UnsafeMutablePointer<Bool>
    let species: UnsafeMutablePointer<Int>
    let realsPerAtom: Int, integersPerAtom: Int, boolsPerAtom: Int
    let powers: UnsafePointer<Double>
    var lastSpeciesKey: UInt64
    var lastSpeciesNumber: Int
    unowned(unsafe) let scratch: FrameScratch

    /// Parses the tokens of one atom line into row `atom`; nil on success.
    @inline(__always)
    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, atom: Int) -> RowFailure? {
        guard let base = line.baseAddress else {
            return planCount == 0 ? nil : RowFailure(reason: .missingColumn, token: 0)
        }
        let realRow = reals + atom * realsPerAtom
        let integerRow = integers + atom * integersPerAtom
        let boolRow = bools + atom * boolsPerAtom
        var p = base
        let end = base + line.count
        for t in 0..<planCount {
            p = skipSpaces(p, end)
            if p == end { return RowFailure(reason: .missingColumn, token: t) }
            let tokenStart = p
            let token = plan[t]
            if token.kind <= TokenPlan.finiteReal {
                // Numbers are parsed in one pass; the token must end where the number does.
                var after = tokenStart
                let x = parseRealPrefix(tokenStart, powers: powers, end: &after)
                if after != tokenStart && (after == end || isASCIISpace(after.pointee)) {
                    if token.kind == TokenPlan.finiteReal && !x.isFinite {
                        return RowFailure(reason: .notFinite, token: t, start: tokenStart - base, length: after - tokenStart)
                    }
                    realRow[Int(token.slot)] = x
                    p = after
                    continue
                }
                while p < end && !isASCIISpace(p.pointee) { p += 1 }
                return RowFailure(reason: .badValue, token: t, start: tokenStart - base, length: p - tokenStart)
            }
            while p < end && !isASCIISpace(p.pointee) { p += 1 }
            let length = p - tokenStart
            switch token.kind {
            case TokenPlan.species:
                guard let key = packedKey(tokenStart, length) else {
                    return RowFailure(reason: .badValue, token: t, start: tokenStart - base, length: length)
                }
                if key == lastSpeciesKey {
                    species[atom] = lastSpeciesNumber
                } else if let z = scratch.atomicNumber(key, tokenStart, length) {
                    species[atom] = z
                    lastSpeciesKey = key
                    lastSpeciesNumber = z
                } else {
                    return RowFailure(reason: .badValue, token: t, start: tokenStart - base, length: length)
                }
            case TokenPlan.integer:
                switch parseInteger(tokenStart, length) {
                case .value(let n): integerRow[Int(token.slot)] = n
                case .outOfRange: return RowFailure(reason: .outOfRange, token: t, start: tokenStart - base, length: length)
                case .notAnInteger: return RowFailure(reason: .badValue, token: t, start: tokenStart - base, length: length)
                }
            case TokenPlan.bool:
                guard let b = parseLogical(tokenStart, length) else {
                    return RowFailure(reason: .badValue, token: t, start: tokenStart - base, length: length)
                }
                boolRow[Int(token.slot)] = b
            default:
                guard scratch.appendString(tokenStart, length, column: Int(token.slot)) else {
                    return RowFailure(reason: .badValue, token: t, start: tokenStart - base, length: length)
                }
            }
        }
        while p < end && isASCIISpace(p.pointee) { p += 1 }
        if p != end { return RowFailure(reason: .extraColumn, token: planCount) }
        return nil
    }
}

/// Reusable per-reader buffers (one row per atom for each value kind) and lookup tables.
final class FrameScratch {
    private var reals = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var integers = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    private var bools = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
    private var species = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    private var realCapacity = 1, integerCapacity = 1, boolCapacity = 1, speciesCapacity = 1
    private var plan = UnsafeMutablePointer<TokenPlan>.allocate(capacity: 1)
    private var planCapacity = 1
    private var layout: FrameLayout?
    private let powers: UnsafeMutablePointer<Double>
    /// Per-atom values of each string column of the current frame.
    private(set) var stringColumns: [[String]] = []
    private var lastSpeciesKey: UInt64 = 0
    private var lastSpeciesNumber = 0
    private var speciesTable: [UInt64: Int] = [:]
    private var stringTable: [UInt64: String] = [:]
    /// Reused storage for header tokens.
    var headerTokens = HeaderTokens()
    /// The layout of the last `Properties` value seen (files rarely change it between frames).
    var lastLayout: FrameLayout?

    init() {
        powers = .allocate(capacity: exactPowersOfTen.count)
        powers.initialize(from: exactPowersOfTen, count: exactPowersOfTen.count)
    }

    deinit {
        reals.deallocate(); integers.deallocate(); bools.deallocate(); species.deallocate()
        plan.deallocate(); powers.deallocate()
    }

    /// Prepares for a frame with `layout` and room for `atoms` rows.
    func beginFrame(_ layout: FrameLayout, atoms: Int) -> RowParser {
        if layout.plan.count > planCapacity {
            plan.deallocate()
            planCapacity = layout.plan.count
            plan = .allocate(capacity: planCapacity)
        }
        plan.update(from: layout.plan, count: layout.plan.count)
        self.layout = layout
        stringColumns = [[String]](repeating: [], count: layout.stringColumnCount)
        for k in 0..<layout.stringColumnCount { stringColumns[k].reserveCapacity(atoms) }
        grow(atoms: atoms, preserving: 0)
        return rowParser(lastSpeciesKey: lastSpeciesKey, lastSpeciesNumber: lastSpeciesNumber)
    }

    /// Makes room for `atoms` rows, keeping the first `preserving`; returns the new row parser.
    func reserve(atoms: Int, preserving: Int, continuing previous: RowParser) -> RowParser {
        grow(atoms: atoms, preserving: preserving)
        return rowParser(lastSpeciesKey: previous.lastSpeciesKey, lastSpeciesNumber: previous.lastSpeciesNumber)
    }

    /// Keeps the row parser's species cache for the next frame.
    func endFrame(_ rows: RowParser) {
        lastSpeciesKey = rows.lastSpeciesKey
        lastSpeciesNumber = rows.lastSpeciesNumber
    }

    private func rowParser(lastSpeciesKey: UInt64, lastSpeciesNumber: Int) -> RowParser {
        let layout = self.layout!
        return RowParser(
            plan: plan, planCount: layout.plan.count, reals: reals, integers: integers, bools: bools,
            species: species, realsPerAtom: layout.realsPerAtom, integersPerAtom: layout.integersPerAtom,
            boolsPerAtom: layout.boolsPerAtom, powers: powers, lastSpeciesKey: lastSpeciesKey,
            lastSpeciesNumber: lastSpeciesNumber, scratch: self
        )
    }

    private func grow(atoms: Int, preserving: Int) {
        let layout = self.layout!
        func grow<T>(_ pointer: inout UnsafeMutablePointer<T>, _ capacity: inout Int, _ needed: Int, _ kept: Int) {
            guard needed > capacity else { return }
            let newCapacity = max(needed, capacity + capacity / 2)
            let fresh = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
            if kept > 0 { fresh.moveInitialize(from: pointer, count: kept) }
            pointer.deallocate()
            pointer = fresh
            capacity = newCapacity
        }
        grow(&reals, &realCapacity, atoms * layout.realsPerAtom, preserving * layout.realsPerAtom)
        grow(&integers, &integerCapacity, atoms * layout.integersPerAtom, preserving * layout.integersPerAtom)
        grow(&bools, &boolCapacity, atoms * layout.boolsPerAtom, preserving * layout.boolsPerAtom)
        grow(&species, &speciesCapacity, atoms, preserving)
    }

    /// The atomic number of a symbol (letter case ignored, as ASE capitalises), or nil.
    @inline(never)
    func atomicNumber(_ key: UInt64, _ start: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        if let known = speciesTable[key] { return known }
        let bytes = UnsafeBufferPointer(start: start, count: length)
        guard length >= 1, bytes.allSatisfy({ $0 < 0x80 && $0 != 0 }) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        let symbol = text.prefix(1).uppercased() + text.dropFirst().lowercased()
        guard let element = Element(symbol: symbol) else { return nil }
        speciesTable[key] = element.atomicNumber
        return element.atomicNumber
    }

    /// Appends a string-column token (interned when short); false if not UTF-8 or contains NUL.
    @inline(never)
    func appendString(_ start: UnsafePointer<UInt8>, _ length: Int, column: Int) -> Bool {
        let key = packedKey(start, length)
        if let key, let known = stringTable[key] {
            stringColumns[column].append(known)
            return true
        }
        let bytes = Array(UnsafeBufferPointer(start: start, count: length))
        guard let s = String(validatingUTF8Bytes: bytes) else { return false }
        if let key, stringTable.count < 4096 { stringTable[key] = s }
        stringColumns[column].append(s)
        return true
    }
}

/// Packs a token of at most 7 bytes and its length into one integer key.
@inline(__always)
func packedKey(_ start: UnsafePointer<UInt8>, _ length: Int) -> UInt64? {
    guard length <= 7 else { return nil }
    var key = UInt64(length) << 56
    for k in 0..<length { key |= UInt64(start[k]) << (8 * UInt64(k)) }
    return key
}

/// T, F, True, False (the logical values ASE reads in atom columns).
@inline(__always)
func parseLogical(_ start: UnsafePointer<UInt8>, _ length: Int) -> Bool? {
    switch length {
    case 1:
        if start[0] == UInt8(ascii: "T") { return true }
        if start[0] == UInt8(ascii: "F") { return false }
        return nil
    case 4:
        return start[0] == UInt8(ascii: "T") && start[1] == UInt8(ascii: "r") && start[2] == UInt8(ascii: "u") && start[3] == UInt8(ascii: "e") ? true : nil
    case 5:
        return start[0] == UInt8(ascii: "F") && start[1] == UInt8(ascii: "a") && start[2] == UInt8(ascii: "l")
            && start[3] == UInt8(ascii: "s") && start[4] == UInt8(ascii: "e") ? false : nil
    default:
        return nil
    }
}

/// Copies `width` values per atom starting at `first` out of rows of `stride` values.
func gather<T>(_ rows: UnsafeMutablePointer<T>, stride: Int, first: Int, width: Int, atoms: Int) -> [T] {
    [T](unsafeUninitializedCapacity: atoms * width) { buffer, count in
        var out = buffer.baseAddress!
        for atom in 0..<atoms {
            let row = rows + atom * stride + first
            out.initialize(from: row, count: width)
            out += width
        }
        count = atoms * width
    }
}

/// Interleaves per-component string columns into atom-major order.
func interleave(_ components: ArraySlice<[String]>, atoms: Int) -> [String] {
    if components.count == 1 { return components.first! }
    var result: [String] = []
    result.reserveCapacity(atoms * components.count)
    for atom in 0..<atoms {
        for component in components { result.append(component[atom]) }
    }
    return result
}

/// True if the bytes contain NUL or are not valid UTF-8.
func looksBinary(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    if bytes.contains(0) { return true }
    return String(validating: bytes, as: UTF8.self) == nil
}

/// The number of whitespace-separated tokens in a line.
func countTokens(_ line: UnsafeBufferPointer<UInt8>) -> Int {
    var count = 0
    var inToken = false
    for byte in line {
        let space = isASCIISpace(byte)
        if !space && !inToken { count += 1 }
        inToken = !space
    }
    return count
}

func lineHasOneToken(_ line: UnsafeBufferPointer<UInt8>) -> Bool { countTokens(line) == 1 }

/// A token for an error message: at most 40 characters, non-printable bytes escaped.
func describeToken<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    var text = ""
    for (k, byte) in bytes.enumerated() {
        if k == 40 { text += "..."; break }
        if byte >= 0x20 && byte < 0x7F {
            text.append(Character(UnicodeScalar(byte)))
        } else {
            text += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(2, with: "0")
        }
    }
    return text
}

/// Why a lattice cannot be used with the given periodicity, or nil if it can.
///
/// Each periodic direction needs a lattice vector that is not zero and not (within a relative
/// 1e-10) in the span of the other non-zero lattice vectors.
func latticeProblem(_ lattice: Matrix3, periodic: (Bool, Bool, Bool)) -> String? {
    let tolerance = 1e-10
    let (a, b, c) = lattice.rows
    // The usual case: three independent vectors, whatever the periodicity.
    let (la, lb, lc) = (length(a), length(b), length(c))
    if abs(lattice.determinant) > tolerance * la * lb * lc { return nil }
    let flags = [periodic.0, periodic.1, periodic.2]
    let vectors = [a, b, c]
    for i in 0..<3 where flags[i] {
        let v = vectors[i]
        let lv = length(v)
        if lv == 0 {
            return "lattice vector \(i + 1) is zero but pbc is true in that direction; expected a non-zero periodic cell vector"
        }
        let others = (0..<3).filter { $0 != i && length(vectors[$0]) > 0 }.map { vectors[$0] }
        var dependent = false
        if others.count == 1 {
            dependent = length(cross(v, others[0])) <= tolerance * lv * length(others[0])
        } else if others.count == 2 {
            let (u, w) = (others[0], others[1])
            let uw = cross(u, w)
            if length(uw) <= tolerance * length(u) * length(w) {
                dependent = length(cross(v, u)) <= tolerance * lv * length(u)
            } else {
                dependent = abs(dot(v, uw)) <= tolerance * lv * length(u) * length(w)
            }
        }
        if dependent {
            return "lattice vector \(i + 1) is linearly dependent on the other lattice vectors (the cell is singular) but pbc is true in that direction; expected three independent cell vectors"
        }
    }
    return nil
}
