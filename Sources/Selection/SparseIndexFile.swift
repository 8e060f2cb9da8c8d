import AtomicStructures
import Support
#if canImport(Glibc)
import Glibc
#endif

/// A file of environment indices that fixes the sparse points (`sparse_method: "index_file"`).
///
/// Format: integers, the indices of environments (rows of the descriptor matrix, in the order
/// environments are generated: frame by frame, then atom by atom within a frame), one per line
/// (gap_fit's `sparse_file`) or several on a line separated by spaces or tabs (the one-line file
/// gap_fit's `print_sparse_index` writes).
/// Blank lines and lines starting with `#` are ignored; spaces around the number are allowed.
/// Indices are 1-based by default, as gap_fit's `sparse_file` and the `print_sparse_index`
/// files gap_fit writes; pass `.zeroBased` for files made with Python. Duplicates and indices
/// outside the matrix are errors naming the line.
public enum SparseIndexFile {
    /// Whether the first environment is 0 or 1.
    public enum Base: Int, Hashable, Sendable {
        /// The first environment is 0.
        case zeroBased = 0
        /// The first environment is 1 (gap_fit).
        case oneBased = 1
    }

    /// Reads the indices in `path` and returns them 0-based and sorted.
    ///
    /// - Parameter rowCount: the number of environments; when given, indices must lie below it.
    public static func read(path: String, base: Base = .oneBased, rowCount: Int? = nil) throws -> [Int] {
        let bytes = try readFile(path, what: "sparse index file")
        return try parse(String(decoding: bytes, as: UTF8.self), name: path, base: base, rowCount: rowCount)
    }

    /// Parses index-file text; `name` is used in errors.
    public static func parse(_ text: String, name: String, base: Base = .oneBased, rowCount: Int? = nil) throws -> [Int] {
        var result: [Int] = []
        var firstLine: [Int: Int] = [:]
        var lineNumber = 0
        // Split on the byte 10: "\r\n" is a single Character in Swift, so not on Characters.
        for rawLine in text.utf8.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Substring(String(decoding: rawLine, as: UTF8.self)).trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") { continue }
            // gap_fit's print_sparse_index writes all indices on one line, separated by spaces.
            for field in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                guard let value = Int(field) else {
                    let shown = field.count > 40 ? String(field.prefix(40)) + "…" : String(field)
                    throw InputError(file: name, line: lineNumber, message: "expected integers (environment indices, one per line or several separated by spaces), found \"\(shown)\"")
                }
                let index = value - base.rawValue
                guard index >= 0 else {
                    throw InputError(file: name, line: lineNumber, message: "index \(value) is below the first environment (\(base.rawValue); indices are \(base == .oneBased ? "1-based" : "0-based"))")
                }
                if let rowCount, index >= rowCount {
                    throw InputError(file: name, line: lineNumber, message: "index \(value) is past the last environment (\(rowCount - 1 + base.rawValue); there are \(rowCount), indices are \(base == .oneBased ? "1-based" : "0-based"))")
                }
                if let first = firstLine[index] {
                    throw InputError(file: name, line: lineNumber, message: "index \(value) is listed twice (first on line \(first))")
                }
                firstLine[index] = lineNumber
                result.append(index)
            }
        }
        guard !result.isEmpty else { throw InputError(file: name, message: "the sparse index file lists no indices") }
        return result.sorted()
    }

    /// The text of an index file for 0-based `indices` (one per line, in `base`).
    public static func format(_ indices: [Int], base: Base = .oneBased) -> String {
        indices.map { "\($0 + base.rawValue)\n" }.joined()
    }
}

extension Substring {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    fileprivate func trimmingCharacters() -> Substring {
        var s = self[...]
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return s
    }
}
