/// An error in user-supplied input, located precisely enough to fix it.
///
/// Every reader and validator in the package throws this type, so that every command prints
/// the same `file:line: field: message` form on stderr and exits non-zero.
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file (path as given), or a description such as "<config>" for in-memory input.
    public var file: String
    /// One-based line number, or nil if the error is not tied to a line.
    public var line: Int?
    /// The field, key or column concerned (for example `Lattice`, `dft_force`, `pos`), if any.
    public var field: String?
    /// What was wrong and what was expected.
    public var message: String

    /// Creates an input error.
    public init(file: String, line: Int? = nil, field: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "\(field): " }
        return text + message
    }
}
