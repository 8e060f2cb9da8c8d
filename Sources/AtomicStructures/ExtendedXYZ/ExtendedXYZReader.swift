import OrderedCollections
import Support

/// Streams ``Structure`` values out of an extended XYZ file, one frame at a time.
///
/// The file is read in large chunks and parsed from bytes; memory use is bounded by one frame
/// plus the read buffer, so files of any size can be streamed with ``next()``.
///
/// **What is read.** Each frame is an atom-count line, a header line of `key=value` pairs, and
/// one line per atom. The header follows ASE's rules (quoting with "", '', [], {}; backslash
/// escapes; flags without a value mean true; value types inferred as integer, real, boolean,
/// in that order, then `_JSON ` text, then string; see ``InfoValue``). Three keys are special,
/// matched **case-sensitively** exactly as ASE does:
/// - `Lattice`: nine numbers, the three lattice vectors one after the other (rows of
///   ``Cell/matrix``);
/// - `pbc`: three booleans (or one, applied to all three directions, as ASE allows); the
///   default is `T T T` when a `Lattice` is present and `F F F` otherwise;
/// - `Properties`: `name:type:count` triplets describing the atom columns, in any order; the
///   default is `species:S:1:pos:R:3`.
/// Any other capitalisation of these three (`lattice`, `PBC`, ...) is rejected: ASE would
/// silently ignore it while QUIP would honour it, so such a file means different things to
/// different tools.
///
/// Species come from the `species` column (element symbols, any letter case, as ASE) or, if
/// there is none, from an integer `Z` column. Positions come from `pos` (`R:3`). Every other
/// column goes into ``Structure/arrays`` in file order (including `Z` when `species` is also
/// present; the two must agree); every other header key goes into ``Structure/info`` in file
/// order.
///
/// **What is rejected.** Every problem throws ``InputError`` with the file, the 1-based line,
/// the field (column name or header key) and what was expected: a non-integer, negative or
/// impossible atom count (checked against the bytes left in the file before anything is
/// allocated), a truncated frame, too few or too many columns, a token that does not parse as
/// its column's type, an unknown element, a non-finite position, an unterminated quote, a
/// repeated header key, a malformed `Lattice`, `pbc` or `Properties`, a periodic direction whose
/// lattice vector is zero or linearly dependent on the others, `pbc` true without a `Lattice`,
/// binary data (NUL bytes, invalid UTF-8), a blank line followed by more frames (ASE stops
/// reading at a blank line, so such a file is ambiguous), and an empty file ("no frames").
/// Blank lines at the end of the file are fine. NaN and infinity in columns other than `pos`
/// are read as they are (the data audit reports them).
///
/// **Where we differ from ASE**, deliberately: ASE silently accepts the malformed input listed
/// above (extra columns are ignored, a bad logical becomes false, an unterminated quote runs to
/// the end of the line, `key=` swallows the next pair, a duplicate key keeps the last value),
/// and it uses `Z` over `species` when both are present (we require them to agree). Numbers use
/// Python's `float()`/`int()` syntax except digit-group underscores (`1_000`). ASE's `VEC1`..`VEC3`
/// cell lines (a non-standard variant) are not supported. `I` columns are read as 64-bit integers
/// (ASE uses 32-bit ones).
///
/// Copies of a reader share the underlying file position.
public struct ExtendedXYZReader {
    /// The file path (or the name given for in-memory input), as used in errors.
    public let name: String
    private let source: LineSource
    private let scratch = FrameScratch()
    private var lineNumber = 0
    private var frameIndex = 0
    private var failure: Error?
    private var finished = false

    /// Opens `path` for streaming. Throws ``InputError`` if the file cannot be opened.
    public init(path: String) throws {
        source = try LineSource(path: path)
        name = path
    }

    /// Parses extended XYZ held in memory; `name` stands for the file in errors.
    public init(bytes: [UInt8], name: String) {
        source = LineSource(bytes: bytes, name: name)
        self.name = name
    }

    /// The next frame, or nil after the last one.
    ///
    /// Throws ``InputError`` for malformed input (and keeps throwing it on later calls).
    public mutating func next() throws -> Structure? {
        if let failure { throw failure }
        if finished { return nil }
        do {
            let structure = try readFrame()
            if structure == nil { finished = true }
            return structure
        } catch {
            failure = error
            throw error
        }
    }

    /// Reads every frame of the file at `path`.
    public static func readAll(path: String) throws -> [Structure] {
        var reader = try ExtendedXYZReader(path: path)
        var structures: [Structure] = []
        while let structure = try reader.next() { structures.append(structure) }
        return structures
    }

    /// Reads every frame of in-memory extended XYZ; `name` stands for the file in errors.
    public static func readAll(bytes: [UInt8], name: String) throws -> [Structure] {
        var reader = ExtendedXYZReader(bytes: bytes, name: name)
        var structures: [Structure] = []
        while let structure = try reader.next() { structures.append(structure) }
        return structures
    }

    // MARK: - One frame

    private func error(_ line: Int?, _ field: String?, _ message: String) -> InputError {
        InputError(file: name, line: line, field: field, message: message)
    }

    private mutating func readFrame() throws -> Structure? {
        // The atom-count line, after any blank lines (allowed only at the end of the file).
        var firstBlankLine: Int? = nil
        var countLine: UnsafeBufferPointer<UInt8>
        while true {
            guard let line = try source.nextLine(lineNumber: lineNumber + 1) else {
                if frameIndex == 0 {
                    throw error(1, "atom count", "no frames: the file is empty or has only blank lines; expected an atom count on the first line")
                }
                return nil
            }
            lineNumber += 1
            if line.allSatisfy(isASCIISpace) {
                if firstBlankLine == nil { firstBlankLine = lineNumber }
                continue
            }
            if let blank = firstBlankLine {
                throw error(
                    lineNumber, "atom count",
                    "a blank line (line \(blank)) comes before this frame; blank lines are only allowed at the end of the file (ASE stops reading at a blank line and would drop this and later frames)"
                )
            }
            countLine = line
            break
        }
        let countLineNumber = lineNumber
        let atomCount = try parseAtomCount(countLine, line: countLineNumber)

        // The header line.
        guard let headerLine = try source.nextLine(lineNumber: lineNumber + 1) else {
            throw error(lineNumber + 1, "header", "the file ends after the atom count of line \(countLineNumber); expected a header (comment) line and \(atomCount) atom lines")
        }
        lineNumber += 1
        let headerLineNumber = lineNumber
        let header = try parseHeader(headerLine, line: headerLineNumber)

        // Refuse impossible counts before allocating anything for them: every atom line holds
        // at least one byte per column and a separator or newline after each.
        let columnsPerAtom = header.layout.plan.count
        if let remaining = source.remainingBytes {
            let (bytesPerAtom, o1) = columnsPerAtom.multipliedReportingOverflow(by: 2)
            let (needed, o2) = atomCount.multipliedReportingOverflow(by: bytesPerAtom)
            if o1 || o2 || needed - 1 > remaining {
                throw error(
                    countLineNumber, "atom count",
                    "\(atomCount) atoms of \(columnsPerAtom) columns need at least \(o1 || o2 ? "more" : String(needed - 1)) bytes, but only \(remaining) bytes remain in the file; the atom count is wrong or the file is truncated"
                )
            }
        }

        let parsed = try parseAtomLines(atomCount: atomCount, header: header, countLineNumber: countLineNumber)
        let source = SourceLocation(file: name, frameIndex: frameIndex, line: countLineNumber)
        frameIndex += 1
        return Structure(
            atomicNumbers: parsed.atomicNumbers, positions: parsed.positions, cell: header.cell,
            info: header.info, arrays: parsed.arrays, source: source
        )
    }

    private func parseAtomCount(_ line: UnsafeBufferPointer<UInt8>, line lineNumber: Int) throws -> Int {
        var lo = 0, hi = line.count
        while lo < hi && isASCIISpace(line[lo]) { lo += 1 }
        while hi > lo && isASCIISpace(line[hi - 1]) { hi -= 1 }
        let token = Array(line[lo..<hi])
        switch token.parsedAsInteger() {
        case .value(let n) where n >= 0:
            return n
        case .value(let n):
            throw error(lineNumber, "atom count", "negative atom count \(n); expected the number of atoms (a non-negative integer)")
        case .outOfRange:
            throw error(lineNumber, "atom count", "atom count '\(describeToken(token))' is too large; expected the number of atoms")
        case .notAnInteger:
            if looksBinary(UnsafeBufferPointer(rebasing: line[...])) {
                throw error(lineNumber, "atom count", "binary data (NUL bytes or invalid UTF-8); this does not look like an extended XYZ text file")
            }
            throw error(lineNumber, "atom count", "expected the number of atoms (a non-negative integer) on the first line of a frame, found '\(describeToken(token))'")
        }
    }

    // MARK: - Header

    /// A parsed header: cell, other info, and the column layout.
    private struct Header {
        var cell: Cell
        var info: OrderedDictionary<String, InfoValue>
        var layout: FrameLayout
    }

    private func parseHeader(_ line: UnsafeBufferPointer<UInt8>, line lineNumber: Int) throws -> Header {
        do {
            try tokenizeHeader(line, into: &scratch.headerTokens)
        } catch {
            throw InputError(file: name, line: lineNumber, field: error.key ?? "header", message: error.message)
        }
        let tokens = scratch.headerTokens
        var info = OrderedDictionary<String, InfoValue>()
        info.reserveCapacity(tokens.entries.count)  // one hash table instead of regrowing it
        var lattice: Matrix3? = nil
        var pbc: (Bool, Bool, Bool)? = nil
        var propertiesText: String? = nil
        var sawLattice = false, sawPBC = false

        for entry in tokens.entries {
            let key = tokens.key(entry)
            // Only keys of these lengths can be special; skip the string comparisons otherwise.
            let length = entry.key.count
            let maybeSpecial = length == 3 || length == 7 || length == 10
            let valueBytes = maybeSpecial ? entry.value.map { Array(tokens.bytes[$0]) } : nil
            switch maybeSpecial ? key : "" {
            case "Lattice":
                guard !sawLattice else { throw duplicateKey(key, line: lineNumber) }
                sawLattice = true
                lattice = try parseLattice(valueBytes, line: lineNumber)
            case "pbc":
                guard !sawPBC else { throw duplicateKey(key, line: lineNumber) }
                sawPBC = true
                pbc = try parsePBC(valueBytes, line: lineNumber)
            case "Properties":
                guard propertiesText == nil else { throw duplicateKey(key, line: lineNumber) }
                guard let valueBytes else {
                    throw error(lineNumber, key, "has no value; expected name:type:count triplets such as species:S:1:pos:R:3")
                }
                guard let text = String(validatingUTF8Bytes: valueBytes) else {
                    throw error(lineNumber, key, "not valid UTF-8 text")
                }
                propertiesText = text
            default:
                if maybeSpecial {
                    let lower = key.lowercased()
                    if lower == "lattice" || lower == "pbc" || lower == "properties" {
                        let proper = lower == "lattice" ? "Lattice" : lower == "pbc" ? "pbc" : "Properties"
                        throw error(
                            lineNumber, key,
                            "this key must be spelled exactly '\(proper)' (ASE matches it case-sensitively and would ignore '\(key)', while QUIP would not)"
                        )
                    }
                }
                var interpreted = InfoValue.bool(true)
                if let range = entry.value {
                    guard let value = tokens.withBytes(range, { interpretHeaderValue($0, key: key) }) else {
                        if tokens.bytes[range].contains(0) {
                            throw error(lineNumber, key, "binary data (a NUL byte) in the value; this does not look like a text file")
                        }
                        throw error(lineNumber, key, "the value is not valid UTF-8 text")
                    }
                    interpreted = value
                }
                guard info.updateValue(interpreted, forKey: key) == nil else { throw duplicateKey(key, line: lineNumber) }
            }
        }

        let layout = try frameLayout(propertiesText ?? "species:S:1:pos:R:3", line: lineNumber)
        let cell = try headerCell(lattice: lattice, pbc: pbc, line: lineNumber)
        return Header(cell: cell, info: info, layout: layout)
    }

    /// The column layout named by the Properties text (the previous frame's when unchanged).
    private func frameLayout(_ text: String, line lineNumber: Int) throws -> FrameLayout {
        if let cached = scratch.lastLayout, cached.propertiesText == text {
            return cached
        } else {
            let fileName = name
            let columns = try parsePropertiesSpecification(text) { message in
                InputError(file: fileName, line: lineNumber, field: "Properties", message: message)
            }
            try checkSpecialColumns(columns, line: lineNumber)
            let layout = FrameLayout(columns: columns, propertiesText: text)
            scratch.lastLayout = layout
            return layout
        }
    }

    /// The cell from Lattice and pbc (pbc defaults to periodic with a Lattice, open without).
    private func headerCell(lattice: Matrix3?, pbc: (Bool, Bool, Bool)?, line lineNumber: Int) throws -> Cell {
        if let lattice {
            let periodic = pbc ?? (true, true, true)
            if let problem = latticeProblem(lattice, periodic: periodic) {
                throw error(lineNumber, "Lattice", problem)
            }
            return Cell(matrix: lattice, periodic: periodic)
        } else {
            let periodic = pbc ?? (false, false, false)
            if periodic.0 || periodic.1 || periodic.2 {
                throw error(lineNumber, "pbc", "is true in some direction but the header has no Lattice; expected a Lattice with the periodic cell vectors, or pbc=\"F F F\"")
            }
            return .none
        }
    }

    private func duplicateKey(_ key: String, line: Int) -> InputError {
        error(line, key, "the key appears twice in the header; expected each key once")
    }

    private func parseLattice(_ value: [UInt8]?, line: Int) throws -> Matrix3 {
        let expected = "expected 9 numbers in quotes, the three lattice vectors in Å one after the other (Lattice=\"ax ay az bx by bz cx cy cz\")"
        guard let value, let interpreted = interpretHeaderValue(value, key: "Lattice") else {
            throw error(line, "Lattice", "has no value; " + expected)
        }
        guard let numbers = interpreted.realArray else {
            throw error(line, "Lattice", "is not a list of numbers; " + expected)
        }
        guard numbers.count == 9 else {
            throw error(line, "Lattice", "has \(numbers.count) number\(numbers.count == 1 ? "" : "s"); " + expected)
        }
        guard numbers.allSatisfy(\.isFinite) else {
            throw error(line, "Lattice", "contains NaN or infinity; " + expected)
        }
        return Matrix3(rowMajor: numbers)
    }

    private func parsePBC(_ value: [UInt8]?, line: Int) throws -> (Bool, Bool, Bool) {
        let expected = "expected three booleans such as pbc=\"T T F\" (T/F/True/False)"
        guard let value else { return (true, true, true) }  // a bare flag means true, as in ASE
        switch interpretHeaderValue(value, key: "pbc") {
        case .bool(let b)?:
            return (b, b, b)
        case .bools(let bs)? where bs.count == 3:
            return (bs[0], bs[1], bs[2])
        case .bools(let bs)?:
            throw error(line, "pbc", "has \(bs.count) values; " + expected)
        default:
            throw error(line, "pbc", "is '\(describeToken(value))'; " + expected)
        }
    }

    private func checkSpecialColumns(_ columns: [PropertyColumn], line: Int) throws {
        func fail(_ message: String) -> InputError { error(line, "Properties", message) }
        if let species = columns.first(where: { $0.name == "species" }), species.kind != .string || species.columns != 1 {
            throw fail("species is \(species.kind.rawValue):\(species.columns); expected species:S:1 (element symbols)")
        }
        guard let pos = columns.first(where: { $0.name == "pos" }) else {
            throw fail("has no pos column; expected pos:R:3 (Cartesian positions in Å)")
        }
        guard pos.kind == .real, pos.columns == 3 else {
            throw fail("pos is \(pos.kind.rawValue):\(pos.columns); expected pos:R:3")
        }
        if !columns.contains(where: { $0.name == "species" }) {
            guard let z = columns.first(where: { $0.name == "Z" }) else {
                throw fail("has neither a species nor a Z column; expected species:S:1 (element symbols) or Z:I:1 (atomic numbers)")
            }
            guard z.kind == .integer, z.columns == 1 else {
                throw fail("Z is \(z.kind.rawValue):\(z.columns); expected Z:I:1 (atomic numbers)")
            }
        }
    }

    // MARK: - Atom lines

    private struct AtomData {
        var atomicNumbers: [Int]
        var positions: [Vector3]
        var arrays: OrderedDictionary<String, PerAtomProperty>
    }

    private mutating func parseAtomLines(atomCount: Int, header: Header, countLineNumber: Int) throws -> AtomData {
        let layout = header.layout
        // Storage grows with the atoms actually read, so a wrong count in a pipe cannot
        // trigger a huge allocation; for files the count was checked against the file size.
        var capacity = source.remainingBytes != nil ? atomCount : min(atomCount, 1 << 16)
        var rows = scratch.beginFrame(layout, atoms: capacity)
        let firstAtomLine = lineNumber + 1
        for atom in 0..<atomCount {
            if atom == capacity {
                capacity = min(atomCount, capacity * 2)
                rows = scratch.reserve(atoms: capacity, preserving: atom, continuing: rows)
            }
            guard let line = try source.nextLine(lineNumber: lineNumber + 1) else {
                throw error(
                    lineNumber + 1, "atom count",
                    "the file ends after \(atom) of \(atomCount) atom lines; the frame starting at line \(countLineNumber) declares \(atomCount) atoms"
                )
            }
            lineNumber += 1
            if let failure = rows.parse(line, atom: atom) {
                throw rowError(line, failure, layout: layout)
            }
        }
        scratch.endFrame(rows)

        // Gather each property's values out of the row-major scratch rows.
        let columns = layout.columns
        var atomicNumbers: [Int] = []
        var positions: [Vector3] = []
        var arrays = OrderedDictionary<String, PerAtomProperty>()
        arrays.reserveCapacity(columns.count)
        let stringColumns = scratch.stringColumns
        for (p, column) in columns.enumerated() {
            let first = layout.firstSlot[p]
            let width = column.columns
            if p == layout.speciesIndex {
                atomicNumbers = Array(UnsafeBufferPointer(start: rows.species, count: atomCount))
                continue
            }
            if p == layout.positionIndex {
                let reals = rows.reals, stride = layout.realsPerAtom
                positions = [Vector3](unsafeUninitializedCapacity: atomCount) { buffer, count in
                    for atom in 0..<atomCount {
                        let row = reals + atom * stride + first
                        (buffer.baseAddress! + atom).initialize(to: Vector3(row[0], row[1], row[2]))
                    }
                    count = atomCount
                }
                continue
            }
            if p == layout.atomicNumberIndex && layout.speciesIndex == nil {
                atomicNumbers = try atomicNumbersFromZ(rows, layout: layout, atomCount: atomCount, firstAtomLine: firstAtomLine)
                continue
            }
            let values: PerAtomProperty.Values
            switch column.kind {
            case .real: values = .reals(gather(rows.reals, stride: layout.realsPerAtom, first: first, width: width, atoms: atomCount))
            case .integer: values = .integers(gather(rows.integers, stride: layout.integersPerAtom, first: first, width: width, atoms: atomCount))
            case .bool: values = .bools(gather(rows.bools, stride: layout.boolsPerAtom, first: first, width: width, atoms: atomCount))
            case .string: values = .strings(interleave(stringColumns[first..<(first + width)], atoms: atomCount))
            }
            arrays[column.name] = PerAtomProperty(name: column.name, columns: width, values: values)
        }
        if layout.speciesIndex != nil, let z = layout.atomicNumberIndex {
            let slot = layout.firstSlot[z], stride = layout.integersPerAtom
            for atom in 0..<atomCount where rows.integers[atom * stride + slot] != atomicNumbers[atom] {
                let zValue = rows.integers[atom * stride + slot]
                throw error(
                    firstAtomLine + atom, "Z",
                    "atomic number \(zValue) disagrees with species \(Element(atomicNumber: atomicNumbers[atom])?.symbol ?? "?") (Z = \(atomicNumbers[atom])); expected the two columns to agree"
                )
            }
        }
        return AtomData(atomicNumbers: atomicNumbers, positions: positions, arrays: arrays)
    }

    private func atomicNumbersFromZ(_ rows: RowParser, layout: FrameLayout, atomCount: Int, firstAtomLine: Int) throws -> [Int] {
        let slot = layout.firstSlot[layout.atomicNumberIndex!], stride = layout.integersPerAtom
        var result = [Int](repeating: 0, count: atomCount)
        for atom in 0..<atomCount {
            let z = rows.integers[atom * stride + slot]
            guard (1...118).contains(z) else {
                throw error(firstAtomLine + atom, "Z", "atomic number \(z) is not an element; expected an integer from 1 to 118")
            }
            result[atom] = z
        }
        return result
    }

    /// The error for a row that ``RowParser/parse(_:atom:)`` refused.
    private func rowError(_ line: UnsafeBufferPointer<UInt8>, _ failure: RowFailure, layout: FrameLayout) -> InputError {
        layout.plan.withUnsafeBufferPointer { plan in
            let t = failure.token
            let columns = layout.columns
            switch failure.reason {
            case .missingColumn, .extraColumn:
                return columnCountError(line, found: failure.reason == .missingColumn ? t : plan.count + 1, plan: plan, columns: columns, propertiesText: layout.propertiesText)
            case .badValue, .outOfRange, .notFinite:
                let start = line.baseAddress! + failure.start
                let expected: String
                switch (plan[t].kind, failure.reason) {
                case (_, .notFinite): expected = "a finite real number (positions must not be NaN or infinite)"
                case (_, .outOfRange): expected = "an integer within ±9.2e18"
                case (TokenPlan.real, _), (TokenPlan.finiteReal, _): expected = "a real number"
                case (TokenPlan.integer, _): expected = "an integer"
                case (TokenPlan.bool, _): expected = "a logical T, F, True or False"
                case (TokenPlan.species, _): expected = "an element symbol such as Si"
                default: expected = "text (valid UTF-8)"
                }
                return tokenError(line, t, start, failure.length, plan: plan, columns: columns, expected: expected)
            }
        }
    }

    /// The column, component and property of token `t`, for messages.
    private func describeColumn(_ t: Int, plan: UnsafeBufferPointer<TokenPlan>, columns: [PropertyColumn]) -> (field: String, text: String) {
        let p = Int(plan[t].property)
        let column = columns[p]
        var component = 0
        var k = t
        while k > 0 && Int(plan[k - 1].property) == p { k -= 1; component += 1 }
        let where_ = column.columns > 1
            ? "column \(t + 1) (\(column.name) component \(component + 1) of \(column.columns))"
            : "column \(t + 1) (\(column.name))"
        return (column.name, where_)
    }

    private func tokenError(
        _ line: UnsafeBufferPointer<UInt8>, _ t: Int, _ start: UnsafePointer<UInt8>, _ length: Int,
        plan: UnsafeBufferPointer<TokenPlan>, columns: [PropertyColumn], expected: String
    ) -> InputError {
        let (field, text) = describeColumn(t, plan: plan, columns: columns)
        let token = Array(UnsafeBufferPointer(start: start, count: length))
        if looksBinary(line) {
            return error(lineNumber, field, "binary data (NUL bytes or invalid UTF-8) in \(text); this does not look like an extended XYZ text file")
        }
        var message = "\(text): expected \(expected), found '\(describeToken(token))'"
        if plan[t].kind == TokenPlan.species, case .value = token.parsedAsInteger(), lineHasOneToken(line) {
            message += " (a lone integer here suggests the previous frame's atom count is too large)"
        }
        return error(lineNumber, field, message)
    }

    private func columnCountError(
        _ line: UnsafeBufferPointer<UInt8>, found: Int, plan: UnsafeBufferPointer<TokenPlan>,
        columns: [PropertyColumn], propertiesText: String
    ) -> InputError {
        if looksBinary(line) {
            let field = found < plan.count ? describeColumn(found, plan: plan, columns: columns).field : "Properties"
            return error(lineNumber, field, "binary data (NUL bytes or invalid UTF-8); this does not look like an extended XYZ text file")
        }
        let tokens = countTokens(line)
        if found < plan.count {
            let (field, text) = describeColumn(found, plan: plan, columns: columns)
            return error(lineNumber, field, "missing \(text): the line has \(tokens) columns but Properties=\(propertiesText) declares \(plan.count)")
        }
        return error(lineNumber, "Properties", "the line has \(tokens) columns but Properties=\(propertiesText) declares \(plan.count); expected exactly \(plan.count)")
    }
}
