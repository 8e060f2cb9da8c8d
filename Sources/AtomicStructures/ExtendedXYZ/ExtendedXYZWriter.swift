import JSON
import OrderedCollections
import Support

/// Writes structures as extended XYZ that ASE and ``ExtendedXYZReader`` read back exactly.
///
/// Layout of a frame: the atom count; a header with `Lattice` (only when the cell is not
/// ``Cell/none``), `Properties` (`species:S:1:pos:R:3` first, then ``Structure/arrays`` in
/// order), the ``Structure/info`` values in order, and `pbc` (with the `Lattice`); then one line
/// per atom.
///
/// Reals are written in the shortest form that parses back to the same double (Swift's
/// `description`), so values round-trip bit for bit through any correctly rounded parser; NaN is
/// written `nan` (its sign and payload are not kept) and infinities `inf` / `-inf`, which ASE
/// and our reader both accept.
///
/// Header values are written so that ASE's type inference gives back the same ``InfoValue``:
/// arrays of two or more integers, reals or booleans as quoted lists; strings plainly, or
/// quoted with `\"` and `\\` escapes when they contain spaces or special characters. Values
/// that ASE would otherwise read as something else use ASE's `_JSON ` form: single-element
/// and empty real arrays, single-element integer and boolean arrays, string arrays, and strings
/// that look like numbers or booleans, are empty, start with `_JSON`, or contain control
/// characters. An empty integer array is written `" "` (never `""`, which makes ASE merge the
/// value with the next pair). Some values have no extended XYZ form (see ``problems(in:)``); ``write(_:to:)``
/// refuses them.
public enum ExtendedXYZWriter {
    /// The extended XYZ text of one frame, ending with a newline.
    public static func format(_ structure: Structure) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256 + structure.count * 64)
        append(structure, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes `structures` to `path` atomically (see ``writeFileAtomically(_:to:)``).
    ///
    /// Throws ``InputError`` (naming `path`, the frame and the field) if a structure has no
    /// faithful extended XYZ form, and if the file cannot be written.
    public static func write(_ structures: [Structure], to path: String) throws {
        for (index, structure) in structures.enumerated() {
            if let problem = problems(in: structure).first {
                throw InputError(file: path, field: problem.field, message: "frame \(index): \(problem.message)")
            }
        }
        var out: [UInt8] = []
        for structure in structures { append(structure, to: &out) }
        try writeFileAtomically(out, to: path)
    }

    /// A reason why a structure cannot be written faithfully.
    public struct Problem: Hashable, Sendable {
        /// The info key or array name concerned.
        public var field: String
        /// What is wrong.
        public var message: String
    }

    /// Everything in `structure` that extended XYZ cannot represent (empty when it can be written).
    ///
    /// Checked: info keys (non-empty, no control characters, not `Lattice`/`pbc`/`Properties` in
    /// any letter case; `uid` values must be plain strings, as ASE never interprets them); empty boolean or string arrays in info; array names (non-empty, no
    /// whitespace, `:`, quotes, brackets, `=` or backslash; not `species` or `pos`); array
    /// shapes; string values in arrays (non-empty, no whitespace); per-atom integers beyond 32
    /// bits (ASE stores `I` columns as 32-bit integers); finite positions; a `Z` array
    /// that disagrees with the atomic numbers; atomic numbers outside 1 ... 118; and a cell that
    /// is periodic along a zero or dependent lattice vector.
    public static func problems(in structure: Structure) -> [Problem] {
        var problems: [Problem] = []
        for z in structure.atomicNumbers where Element(atomicNumber: z) == nil {
            problems.append(Problem(field: "species", message: "atomic number \(z) is not an element"))
            break
        }
        if !structure.positions.allSatisfy({ $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }) {
            problems.append(Problem(field: "pos", message: "positions must be finite"))
        }
        let periodic = (structure.cell.isPeriodic(0), structure.cell.isPeriodic(1), structure.cell.isPeriodic(2))
        if let problem = latticeProblem(structure.cell.matrix, periodic: periodic) {
            problems.append(Problem(field: "Lattice", message: problem))
        }
        if !structure.cell.matrix.rowMajor.allSatisfy(\.isFinite) {
            problems.append(Problem(field: "Lattice", message: "the cell matrix must be finite"))
        }
        for (key, value) in structure.info {
            let lower = key.lowercased()
            if key.isEmpty || key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                problems.append(Problem(field: key, message: "info keys must be non-empty and free of control characters"))
            } else if lower == "lattice" || lower == "pbc" || lower == "properties" {
                problems.append(Problem(field: key, message: "'\(key)' is reserved in extended XYZ and cannot be an info key"))
            }
            if lower == "uid" {
                if case .string(let text) = value, !text.isEmpty,
                   !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                    continue
                }
                problems.append(Problem(field: key, message: "ASE keeps 'uid' values as raw text, so only a non-empty string without control characters can be written"))
                continue
            }
            switch value {
            case .bools(let v) where v.isEmpty:
                problems.append(Problem(field: key, message: "an empty boolean array has no extended XYZ form (it reads back as an empty real array)"))
            case .strings(let v) where v.isEmpty:
                problems.append(Problem(field: key, message: "an empty string array has no extended XYZ form (it reads back as an empty real array)"))
            default:
                break
            }
        }
        for (name, property) in structure.arrays {
            let forbidden: Set<UInt8> = [
                UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "["), UInt8(ascii: "]"),
                UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "="), UInt8(ascii: "\\"), UInt8(ascii: ","),
            ]
            if name.isEmpty || name.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || forbidden.contains($0) })
                || name.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
                problems.append(Problem(field: name, message: "array names must be non-empty, without whitespace, control characters or any of : \" ' [ ] { } = \\ ,"))
            }
            if name == "species" || name == "pos" {
                problems.append(Problem(field: name, message: "'\(name)' is written from the atomic numbers and positions and cannot also be an array"))
            }
            if property.columns < 1 || property.values.count != structure.count * property.columns {
                problems.append(Problem(field: name, message: "has \(property.values.count) values for \(structure.count) atoms of \(property.columns) columns"))
            }
            if case .strings(let values) = property.values,
               values.contains(where: { $0.isEmpty || $0.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) }) {
                problems.append(Problem(field: name, message: "per-atom strings must be non-empty and free of whitespace and control characters"))
            }
            if case .integers(let values) = property.values, values.contains(where: { Int32(exactly: $0) == nil }) {
                problems.append(Problem(field: name, message: "per-atom integers must fit in 32 bits: ASE reads I columns as 32-bit integers"))
            }
            if name == "Z", case .integers(let values) = property.values, property.columns == 1, values != structure.atomicNumbers {
                problems.append(Problem(field: name, message: "a Z column must agree with the atomic numbers"))
            }
        }
        return problems
    }

    // MARK: - Frames

    static func append(_ structure: Structure, to out: inout [UInt8]) {
        out.append(contentsOf: String(structure.count).utf8)
        out.append(newline)
        let writeCell = structure.cell != .none
        if writeCell {
            out.append(contentsOf: "Lattice=\"".utf8)
            for (k, x) in structure.cell.matrix.rowMajor.enumerated() {
                if k > 0 { out.append(space) }
                appendReal(x, to: &out)
            }
            out.append(quote)
            out.append(space)
        }
        out.append(contentsOf: "Properties=species:S:1:pos:R:3".utf8)
        for (name, property) in structure.arrays {
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: name.utf8)
            out.append(UInt8(ascii: ":"))
            out.append(property.kind.rawValue.asciiValue!)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: String(property.columns).utf8)
        }
        for (key, value) in structure.info {
            out.append(space)
            appendHeaderText(key, to: &out)
            out.append(UInt8(ascii: "="))
            if key.lowercased() == "uid", case .string(let text) = value {
                // ASE (and our reader) keep `uid` values as raw text: no JSON form here.
                appendHeaderText(text, to: &out)
            } else {
                appendInfoValue(value, to: &out)
            }
        }
        if writeCell {
            out.append(contentsOf: " pbc=\"".utf8)
            for k in 0..<3 {
                if k > 0 { out.append(space) }
                out.append(structure.cell.isPeriodic(k) ? UInt8(ascii: "T") : UInt8(ascii: "F"))
            }
            out.append(quote)
        }
        out.append(newline)

        let columns = Array(structure.arrays.values)
        for atom in 0..<structure.count {
            let z = structure.atomicNumbers[atom]
            out.append(contentsOf: (Element(atomicNumber: z)?.symbol ?? "X").utf8)
            let p = structure.positions[atom]
            for x in [p.x, p.y, p.z] {
                out.append(space)
                appendReal(x, to: &out)
            }
            for property in columns {
                let width = property.columns
                for c in 0..<width {
                    let index = atom * width + c
                    out.append(space)
                    switch property.values {
                    case .reals(let v): appendReal(index < v.count ? v[index] : .nan, to: &out)
                    case .integers(let v): out.append(contentsOf: String(index < v.count ? v[index] : 0).utf8)
                    case .bools(let v): out.append(index < v.count && v[index] ? UInt8(ascii: "T") : UInt8(ascii: "F"))
                    case .strings(let v): out.append(contentsOf: (index < v.count && !v[index].isEmpty ? v[index] : "_").utf8)
                    }
                }
            }
            out.append(newline)
        }
    }

    private static let newline = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let quote = UInt8(ascii: "\"")

    /// Shortest round-trip text; `nan`, `inf`, `-inf` for non-finite values.
    static func appendReal(_ x: Double, to out: inout [UInt8]) {
        if x.isNaN {
            out.append(contentsOf: "nan".utf8)
        } else {
            out.append(contentsOf: x.description.utf8)  // "inf" / "-inf" for infinities
        }
    }

    // MARK: - Header values

    static func appendInfoValue(_ value: InfoValue, to out: inout [UInt8]) {
        switch value {
        case .integer(let n):
            out.append(contentsOf: String(n).utf8)
        case .real(let x):
            appendReal(x, to: &out)
        case .bool(let b):
            out.append(b ? UInt8(ascii: "T") : UInt8(ascii: "F"))
        case .string(let s):
            if let plain = plainForm(s) {
                out.append(contentsOf: plain)
            } else {
                appendQuoted(jsonPrefix + JSONWriter.quoted(s), to: &out)
            }
        case .integers(let v):
            if v.isEmpty {
                // Not `""`: ASE's tokenizer merges an empty value with the next pair.
                appendQuoted(" ", to: &out)
            } else if v.count == 1 {
                appendQuoted(jsonPrefix + "[\(v[0])]", to: &out)
            } else {
                appendQuoted(v.map(String.init).joined(separator: " "), to: &out)
            }
        case .reals(let v):
            if v.count >= 2 {
                appendQuoted(v.map(realText).joined(separator: " "), to: &out)
            } else {
                appendQuoted(jsonPrefix + "[" + v.map(jsonReal).joined(separator: ", ") + "]", to: &out)
            }
        case .bools(let v):
            if v.count >= 2 {
                appendQuoted(v.map { $0 ? "T" : "F" }.joined(separator: " "), to: &out)
            } else {
                appendQuoted(jsonPrefix + "[" + v.map { $0 ? "true" : "false" }.joined(separator: ", ") + "]", to: &out)
            }
        case .strings(let v):
            appendQuoted(jsonPrefix + "[" + v.map(JSONWriter.quoted).joined(separator: ", ") + "]", to: &out)
        }
    }

    private static let jsonPrefix = "_JSON "

    private static func realText(_ x: Double) -> String { x.isNaN ? "nan" : x.description }

    /// JSON (as Python's json module reads it) for a real: NaN and Infinity are Python extensions.
    private static func jsonReal(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
        return x.description
    }

    /// The bytes that read back as exactly `.string(s)` without JSON, or nil if there are none.
    private static func plainForm(_ s: String) -> [UInt8]? {
        if s.hasPrefix("_JSON") { return nil }
        if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return nil }
        var out: [UInt8] = []
        appendHeaderText(s, to: &out)
        // What the reader (and ASE) would make of it must be this very string.
        guard interpretHeaderValue(Array(s.utf8), key: "") == .string(s) else { return nil }
        return out
    }

    /// A key or string value: as is when it has only safe characters, else quoted and escaped.
    static func appendHeaderText(_ s: String, to out: inout [UInt8]) {
        let safe = !s.isEmpty && s.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "_.+-/:@%,^~!?#*()<>;|&$".utf8.contains(byte)
            }
        }
        if safe {
            out.append(contentsOf: s.utf8)
        } else {
            appendQuoted(s, to: &out)
        }
    }

    /// Double-quoted with `"` and `\` escaped by a backslash.
    private static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(quote)
        for byte in s.utf8 {
            if byte == quote || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(quote)
    }
}
