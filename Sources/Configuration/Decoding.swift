import AtomicStructures
import JSON
import Support

/// The edit distance between two strings for "did you mean" hints: insertions, deletions,
/// substitutions and transpositions of adjacent characters each count 1 (optimal string
/// alignment distance), compared case-insensitively.
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.lowercased().unicodeScalars)
    let y = Array(b.lowercased().unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    // d[i][j] = distance between x[..<i] and y[..<j], rows kept: two back for transpositions.
    var twoBack = [Int](repeating: 0, count: y.count + 1)
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            var d = min(previous[j - 1] + cost, previous[j] + 1, current[j - 1] + 1)
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                d = min(d, twoBack[j - 2] + 1)
            }
            current[j] = d
        }
        (twoBack, previous, current) = (previous, current, twoBack)
    }
    return previous[y.count]
}

/// The candidate closest to `word` by ``editDistance(_:_:)``, if it is close enough to be a
/// plausible typo: at most 1 edit for words up to 4 letters, 2 up to 8, else 3.
/// Ties go to the candidate listed first.
public func closestMatch(to word: String, among candidates: [String]) -> String? {
    let limit = word.count <= 4 ? 1 : (word.count <= 8 ? 2 : 3)
    var best: (String, Int)?
    for candidate in candidates {
        let d = editDistance(word, candidate)
        if d <= limit, d < (best?.1 ?? Int.max) { best = (candidate, d) }
    }
    return best?.0
}

/// Where in a JSON document a value sits, written like `descriptors[0].n_sparse`.
struct JSONPath: CustomStringConvertible {
    private var text: String

    static let root = JSONPath(text: "")

    func key(_ name: String) -> JSONPath {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_"
        }
        if plain { return JSONPath(text: text.isEmpty ? name : text + "." + name) }
        return JSONPath(text: text + "[\"" + name + "\"]")
    }

    func element(_ i: Int) -> JSONPath { JSONPath(text: text + "[\(i)]") }

    var description: String { text.isEmpty ? "(top level)" : text }
}

/// The file a document came from, for errors.
struct DecodingContext {
    /// The name printed in errors.
    var fileName: String

    func error(_ path: JSONPath, at position: SourcePosition, _ message: String) -> InputError {
        InputError(file: fileName, line: position.line, field: path.description, message: message)
    }

    func error(_ path: JSONPath, _ value: JSONValue, _ message: String) -> InputError {
        error(path, at: value.position, message)
    }
}

/// Hints for keys that users of gap_fit (or of earlier drafts) are likely to type.
let keyAliasHints: [String: String] = [
    "at_file": "train_files",
    "gp_file": "output",
    "theta": "theta_uniform",
    "sigma": "atom_sigma",
    "n_species": "species_Z (the count is implied by the list)",
    "n_Z": "Z (the count is implied by the list)",
    "energy_parameter_name": "label_keys.energy",
    "force_parameter_name": "label_keys.forces",
    "virial_parameter_name": "label_keys.virial",
    "stress_parameter_name": "label_keys.stress",
    "config_type_parameter_name": "label_keys.config_type",
    "energy_sigma_parameter_name": "sigma_keys.energy",
    "force_sigma_parameter_name": "sigma_keys.forces",
    "virial_sigma_parameter_name": "sigma_keys.virial",
    "force_atom_sigma_parameter_name": "sigma_keys.forces_per_atom",
    "covariance_type": "nothing: soap uses the dot-product kernel, distance_2b and angle_3b the squared-exponential kernel",
    "e0_method": "e0 (\"isolated\" or \"average\")",
    "nthreads": "threads",
    "n_threads": "threads",
    "random_seed": "seed",
    "rnd_seed": "seed",
]

/// Reads the members of one JSON object, checking for unknown keys first.
struct ObjectReader {
    let object: JSONObject
    let value: JSONValue
    let path: JSONPath
    let context: DecodingContext

    /// Wraps `value`, which must be an object; `known` are the accepted keys. Unknown keys are
    /// reported (the first in source order) with a "did you mean" hint.
    init(_ value: JSONValue, path: JSONPath, context: DecodingContext, known: [String], what: String) throws {
        guard case .object(let object) = value.kind else {
            throw context.error(path, value, "expected \(what) (a JSON object {...}), found \(value.kindDescription)")
        }
        self.object = object
        self.value = value
        self.path = path
        self.context = context
        for member in object.members where !known.contains(member.key) {
            var message = "unknown key \"\(member.key)\" in \(what)"
            if let hint = closestMatch(to: member.key, among: known) {
                message += "; did you mean `\(hint)`?"
            } else if let hint = keyAliasHints[member.key] {
                message += "; did you mean `\(hint)`?"
            } else {
                message += " (known keys: \(known.joined(separator: ", ")))"
            }
            throw context.error(path.key(member.key), at: member.keyPosition, message)
        }
    }

    /// Whether `key` is present with a non-null value.
    func has(_ key: String) -> Bool {
        guard let v = object[key] else { return false }
        if case .null = v.kind { return false }
        return true
    }

    /// The value of `key`; null counts as absent.
    func optionalValue(_ key: String) -> JSONValue? {
        has(key) ? object[key] : nil
    }

    /// The value of `key`, or an error saying it is required.
    func requiredValue(_ key: String, _ explanation: String) throws -> JSONValue {
        guard let v = optionalValue(key) else {
            throw context.error(path.key(key), value, "missing required key \"\(key)\" (\(explanation))")
        }
        return v
    }

    func fieldPath(_ key: String) -> JSONPath { path.key(key) }

    // MARK: typed accessors

    func double(_ key: String, _ explanation: String) throws -> Double {
        try context.double(requiredValue(key, explanation), path: path.key(key))
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let v = optionalValue(key) else { return nil }
        return try context.double(v, path: path.key(key))
    }

    func integer(_ key: String, _ explanation: String) throws -> Int {
        try context.integer(requiredValue(key, explanation), path: path.key(key))
    }

    func optionalInteger(_ key: String) throws -> Int? {
        guard let v = optionalValue(key) else { return nil }
        return try context.integer(v, path: path.key(key))
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let v = optionalValue(key) else { return nil }
        guard case .bool(let b) = v.kind else {
            throw context.error(path.key(key), v, "expected true or false, found \(v.kindDescription)")
        }
        return b
    }

    func string(_ key: String, _ explanation: String) throws -> String {
        try context.string(requiredValue(key, explanation), path: path.key(key))
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = optionalValue(key) else { return nil }
        return try context.string(v, path: path.key(key))
    }
}

extension DecodingContext {
    func double(_ v: JSONValue, path: JSONPath) throws -> Double {
        guard case .number(let n) = v.kind else {
            throw error(path, v, "expected a number, found \(v.kindDescription)")
        }
        return n.doubleValue
    }

    func integer(_ v: JSONValue, path: JSONPath) throws -> Int {
        guard case .number(let n) = v.kind else {
            throw error(path, v, "expected an integer, found \(v.kindDescription)")
        }
        guard let i = n.exactInteger else {
            throw error(path, v, "expected an integer, found \(n.literal)")
        }
        return i
    }

    func string(_ v: JSONValue, path: JSONPath) throws -> String {
        guard case .string(let s) = v.kind else {
            throw error(path, v, "expected a string, found \(v.kindDescription)")
        }
        return s
    }

    func array(_ v: JSONValue, path: JSONPath, of what: String) throws -> [JSONValue] {
        guard case .array(let a) = v.kind else {
            throw error(path, v, "expected an array of \(what) ([...]), found \(v.kindDescription)")
        }
        return a
    }

    /// A string, or an array of strings (a single string is a one-element list).
    func stringList(_ v: JSONValue, path: JSONPath) throws -> [String] {
        if case .string(let s) = v.kind { return [s] }
        let elements = try array(v, path: path, of: "strings")
        return try elements.enumerated().map { try string($0.element, path: path.element($0.offset)) }
    }

    /// An atomic number given as an integer (14) or an element symbol ("Si").
    func atomicNumber(_ v: JSONValue, path: JSONPath) throws -> Int {
        switch v.kind {
        case .number(let n):
            guard let z = n.exactInteger, Element(atomicNumber: z) != nil else {
                throw error(path, v, "expected an atomic number between 1 and 118, found \(n.literal)")
            }
            return z
        case .string(let s):
            if let e = Element(symbol: s) { return e.atomicNumber }
            var message = "unknown element symbol \"\(s)\""
            if let hint = Element.symbols.first(where: { $0.lowercased() == s.lowercased() }) ?? closestMatch(to: s, among: Element.symbols) {
                message += "; did you mean `\(hint)`?"
            }
            throw error(path, v, message)
        default:
            throw error(path, v, "expected an atomic number (14) or an element symbol (\"Si\"), found \(v.kindDescription)")
        }
    }

    /// A non-empty list of distinct atomic numbers, sorted ascending.
    func species(_ v: JSONValue, path: JSONPath) throws -> [Int] {
        let elements = try array(v, path: path, of: "atomic numbers or element symbols")
        guard !elements.isEmpty else { throw error(path, v, "the species list must not be empty (omit the key to use every species in the data)") }
        var result: [Int] = []
        for (i, e) in elements.enumerated() {
            let z = try atomicNumber(e, path: path.element(i))
            if result.contains(z) {
                throw error(path.element(i), e, "species \(Element(atomicNumber: z)!.symbol) (Z = \(z)) is listed twice")
            }
            result.append(z)
        }
        return result.sorted()
    }
}
