import Support

/// One `name:TYPE:count` entry of a `Properties=` header value.
struct PropertyColumn: Equatable {
    var name: String
    var kind: PropertyKind
    var columns: Int
}

/// The most columns an atom line may declare in total (guards allocations before any atom line).
let maximumColumnsPerAtom = 100_000

/// Parses a `Properties` value such as `species:S:1:pos:R:3:forces:R:3`.
///
/// Throws (via `fail`) unless the value is a non-empty sequence of complete triplets with a
/// non-empty name, a type letter S, R, I or L, and a positive integer count, and names are unique.
func parsePropertiesSpecification(
    _ text: String,
    fail: (String) -> InputError
) throws -> [PropertyColumn] {
    let fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard fields.count % 3 == 0, !fields.isEmpty, !text.isEmpty else {
        throw fail("expected name:type:count triplets (for example species:S:1:pos:R:3), found \(text.isEmpty ? 0 : fields.count) colon-separated fields in '\(text)'")
    }
    var result: [PropertyColumn] = []
    var names = Set<String>()
    var total = 0
    for k in stride(from: 0, to: fields.count, by: 3) {
        let name = fields[k], type = fields[k + 1], countText = fields[k + 2]
        let entry = k / 3 + 1
        guard !name.isEmpty else {
            throw fail("entry \(entry) has an empty name; expected name:type:count")
        }
        guard name.utf8.allSatisfy({ !isASCIISpace($0) }) else {
            throw fail("entry \(entry) name '\(name)' contains whitespace")
        }
        guard type.count == 1, let letter = type.first, let kind = PropertyKind(rawValue: letter) else {
            throw fail("entry \(entry) ('\(name)') has type '\(type)'; expected one of S (string), R (real), I (integer), L (logical)")
        }
        guard case .value(let count) = Array(countText.utf8).parsedAsInteger(), count >= 1 else {
            throw fail("entry \(entry) ('\(name)') has column count '\(countText)'; expected a positive integer")
        }
        guard count <= maximumColumnsPerAtom - total else {
            throw fail("declares more than \(maximumColumnsPerAtom) columns per atom")
        }
        guard names.insert(name).inserted else {
            throw fail("the name '\(name)' appears twice; expected each property once")
        }
        total += count
        result.append(PropertyColumn(name: name, kind: kind, columns: count))
    }
    return result
}
