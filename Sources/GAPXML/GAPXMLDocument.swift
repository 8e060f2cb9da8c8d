import AtomicStructures
import Support
#if canImport(Glibc)
import Glibc
#endif

/// The contents of a gap_fit model file (QUIP's GAP XML), as written, before any conversion.
///
/// Layout (gap_fit 0.10.x): a root element named after the label, holding
/// `<Potential label init_args="IP GAP label=…"/>` and `<GAP_params label gap_version>` with
/// `<GAP_data do_core>` (`<e0 Z value/>` per element), `<gpSparse n_coordinate>` with one
/// `<gpCoordinates>` per descriptor term, `<command_line>` and `<XYZ_data>` (a copy of the
/// training set, never read here). See docs/gap_fit.md §2.
struct GAPXMLDocument {
    struct Coordinates {
        var index: Int
        var line: Int
        var label: String
        var dimensions: Int
        /// `signal_variance`: δ itself, not δ².
        var delta: Double
        var signalMean: Double
        var covarianceType: Int
        var zeta: Double?
        var theta: [Double]
        var descriptor: String
        var alpha: [Double]
        var sparseCutoff: [Double]
        /// n_sparseX × dimensions, sparse point by sparse point.
        var sparseX: [Double]
    }

    var label: String
    var gapVersion: Int?
    var potentialArguments: String?
    var e0: [Int: Double]
    var doCore: Bool
    var coordinates: [Coordinates]
    var commandLine: String?
    /// Element names directly under the root other than the GAP ones (a core potential's
    /// parameters, for example `Glue_params`).
    var otherParameterElements: [String]

    /// Reads `bytes` (the XML file `fileName`); sparse-point side files are looked up in
    /// `directory` and checked against their md5 sums.
    init(bytes: [UInt8], fileName: String, directory: String) throws {
        var reader = XMLTreeReader(bytes: bytes, fileName: fileName, skipping: ["XYZ_data"])
        let root = try reader.parse()
        func fail(_ line: Int?, _ field: String?, _ message: String) -> InputError {
            InputError(file: fileName, line: line, field: field, message: message)
        }
        guard let params = root.name == "GAP_params" ? root : root.child("GAP_params") else {
            let args = root.child("Potential")?.attributes["init_args"]
            throw fail(root.line, nil, "not a GAP model: no <GAP_params> element" + (args.map { " (the file defines the QUIP potential \"\($0)\")" } ?? ""))
        }
        label = params.attributes["label"] ?? root.name
        gapVersion = params.attributes["gap_version"].flatMap { Int($0.trimmingSpaces) }
        potentialArguments = root.child("Potential")?.attributes["init_args"]
        otherParameterElements = root.children.map(\.name).filter { !["Potential", "GAP_params"].contains($0) }
        guard let data = params.child("GAP_data") else { throw fail(params.line, "GAP_data", "missing") }
        doCore = data.attributes["do_core"].map { $0.uppercased().hasPrefix("T") } ?? false
        e0 = [:]
        for item in data.children("e0") {
            guard let z = item.attributes["Z"].flatMap({ Int($0.trimmingSpaces) }), (1...118).contains(z),
                  let value = item.attributes["value"].flatMap({ Double(fortran: $0) }), value.isFinite
            else { throw fail(item.line, "e0", "expected Z (1...118) and a finite value") }
            e0[z] = value
        }
        commandLine = try params.child("command_line").map { try reader.text($0.textRanges).trimmingSpaces }
        guard let sparse = params.child("gpSparse") else { throw fail(params.line, "gpSparse", "missing: the file holds no GAP terms") }
        coordinates = []
        for (k, coord) in sparse.children("gpCoordinates").enumerated() {
            coordinates.append(try GAPXMLDocument.coordinates(coord, index: k, reader: reader, directory: directory))
        }
        if let n = sparse.attributes["n_coordinate"].flatMap({ Int($0.trimmingSpaces) }), n != coordinates.count {
            throw fail(sparse.line, "gpSparse.n_coordinate", "is \(n) but there are \(coordinates.count) <gpCoordinates> elements")
        }
    }

    private static func coordinates(_ c: XMLElement, index: Int, reader: XMLTreeReader, directory: String) throws -> Coordinates {
        let file = reader.fileName
        let field = "gpCoordinates[\(index + 1)]"
        func fail(_ line: Int, _ message: String) -> InputError { InputError(file: file, line: line, field: field, message: message) }
        func integer(_ key: String) throws -> Int {
            guard let v = c.attributes[key].flatMap({ Int($0.trimmingSpaces) }) else { throw fail(c.line, "attribute \(key) missing or not an integer") }
            return v
        }
        func real(_ key: String, _ attributes: [String: String], line: Int) throws -> Double {
            guard let v = attributes[key].flatMap({ Double(fortran: $0) }), v.isFinite else { throw fail(line, "attribute \(key) missing or not a finite number") }
            return v
        }
        let dimensions = try integer("dimensions")
        let count = try integer("n_sparseX")
        guard dimensions >= 1, count >= 0 else { throw fail(c.line, "dimensions must be ≥ 1 and n_sparseX ≥ 0") }
        let points = c.children("sparseX")
        guard points.count == count else { throw fail(c.line, "n_sparseX is \(count) but there are \(points.count) <sparseX> elements") }
        var alpha = [Double](repeating: 0, count: count), cutoff = alpha
        var seen = [Bool](repeating: false, count: count)
        for p in points {
            guard let i = p.attributes["i"].flatMap({ Int($0.trimmingSpaces) }), (1...count).contains(i), !seen[i - 1] else {
                throw fail(p.line, "<sparseX> needs a distinct index i in 1...\(count)")
            }
            seen[i - 1] = true
            alpha[i - 1] = try real("alpha", p.attributes, line: p.line)
            cutoff[i - 1] = try real("sparseCutoff", p.attributes, line: p.line)
        }
        var sparseX: [Double]
        if let name = c.attributes["sparseX_filename"] {
            let path = name.hasPrefix("/") ? name : (directory.isEmpty ? name : directory + "/" + name)
            sparseX = try readSparseXFile(path: path, expectedMD5: c.attributes["sparseX_md5sum"], count: count * dimensions, from: file)
        } else {
            sparseX = []
            sparseX.reserveCapacity(count * dimensions)
            for p in points.sorted(by: { Int($0.attributes["i"]!.trimmingSpaces)! < Int($1.attributes["i"]!.trimmingSpaces)! }) {
                var ranges = p.textRanges
                for slice in p.children("sparseX_slice") { ranges += slice.textRanges }
                let values = try parseNumbers(reader.bytes, ranges, name: file, line: p.line)
                guard values.count == dimensions else { throw fail(p.line, "<sparseX> holds \(values.count) numbers, expected dimensions = \(dimensions)") }
                sparseX += values
            }
        }
        let theta = try c.child("theta").map { try parseNumbers(reader.bytes, $0.textRanges, name: file, line: $0.line) } ?? []
        guard let descriptor = c.child("descriptor") else { throw fail(c.line, "<descriptor> missing") }
        return Coordinates(
            index: index, line: c.line, label: c.attributes["label"] ?? "", dimensions: dimensions,
            delta: try real("signal_variance", c.attributes, line: c.line),
            signalMean: c.attributes["signal_mean"].flatMap { Double(fortran: $0) } ?? 0,
            covarianceType: try integer("covariance_type"),
            zeta: try c.attributes["zeta"].map { _ in try real("zeta", c.attributes, line: c.line) },
            theta: theta, descriptor: try reader.text(descriptor.textRanges).trimmingSpaces,
            alpha: alpha, sparseCutoff: cutoff, sparseX: sparseX)
    }

    /// A gap_fit side file: `count` numbers separated by white space (one per line).
    static func readSparseXFile(path: String, expectedMD5: String?, count: Int, from xmlFile: String) throws -> [Double] {
        let bytes: [UInt8]
        do { bytes = try readFile(path, what: "sparse-point file") } catch let error as InputError {
            throw InputError(file: xmlFile, field: "sparseX_filename", message: "\(error.message) (\(path), named by the model)")
        }
        if let expected = expectedMD5?.trimmingSpaces.lowercased(), !expected.isEmpty {
            let actual = MD5.hex(bytes)
            guard actual == expected else {
                throw InputError(file: path, message: "md5 sum \(actual) differs from the sparseX_md5sum \(expected) recorded in \(xmlFile): the sparse-point file does not belong to this model (or was changed)")
            }
        }
        let values = try parseNumbers(bytes, [0..<bytes.count], name: path, line: nil)
        guard values.count == count else {
            throw InputError(file: path, message: "holds \(values.count) numbers, expected n_sparseX × dimensions = \(count)")
        }
        return values
    }
}

/// Whitespace-separated numbers (Fortran forms such as `.5E-001` included) in `ranges`.
func parseNumbers(_ bytes: [UInt8], _ ranges: [Range<Int>], name: String, line: Int?) throws -> [Double] {
    var out: [Double] = []
    var token: [UInt8] = []
    for range in ranges {
        var i = range.lowerBound
        while i < range.upperBound {
            while i < range.upperBound, isWhitespace(bytes[i]) { i += 1 }
            let start = i
            while i < range.upperBound, !isWhitespace(bytes[i]) { i += 1 }
            guard i > start else { break }
            token.removeAll(keepingCapacity: true)
            token.append(contentsOf: bytes[start..<i])
            for k in token.indices where token[k] == UInt8(ascii: "d") || token[k] == UInt8(ascii: "D") { token[k] = UInt8(ascii: "e") }
            token.append(0)
            let value: Double? = token.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { p in
                    var end: UnsafeMutablePointer<CChar>?
                    let v = strtod(p, &end)
                    return end.map { UnsafePointer($0) } == p + (buffer.count - 1) ? v : nil
                }
            }
            guard let value, value.isFinite else {
                throw InputError(file: name, line: line, message: "expected a number, found \"\(String(decoding: bytes[start..<min(i, start + 40)], as: UTF8.self))\"")
            }
            out.append(value)
        }
    }
    return out
}

@inline(__always) private func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
