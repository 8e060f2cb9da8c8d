import Foundation
import OrderedCollections
import XCTest
@testable import AtomicStructures

/// Our writer and reader against ASE's (`Fixtures/ase_extxyz.py`), compared bit for bit.
///
/// Needs `python3` with `ase` (CI installs it). Without them the tests fail with a message,
/// unless GAP_SKIP_ASE_TESTS=1 is set, which turns them into skips.
final class ExtendedXYZInteropTests: XCTestCase {
    /// Structures exercising what the writer must encode so that ASE reads it back unchanged.
    static func sampleStructures() -> [Structure] {
        let tricky: OrderedDictionary<String, InfoValue> = [
            "config_type": .string("bulk"),
            "spaced": .string("a string with spaces"),
            "quoted": .string("say \"hi\" and 'bye'"),
            "backslash": .string(#"C:\path\to"#),
            "brackets": .string("[x] {y} a=b, c"),
            "looks_like_number": .string("12"),
            "looks_like_real": .string("1e5"),
            "looks_like_bool": .string("T"),
            "looks_like_list": .string("1 2 3"),
            "empty_string": .string(""),
            "json_prefix": .string("_JSON not json"),
            "newline": .string("two\nlines\tand tab"),
            "unicode": .string("Å ångström ✓"),
            "uid": .string("0042"),
            "integer": .integer(-7),
            "big_integer": .integer(Int.max),
            "real": .real(0.1),
            "third": .real(1.0 / 3.0),
            "tiny": .real(.leastNonzeroMagnitude),
            "huge": .real(-1.7976931348623157e308),
            "negative_zero": .real(-0.0),
            "infinity": .real(.infinity),
            "whole_real": .real(100.0),
            "exponent_real": .real(1e16),
            "yes": .bool(true),
            "no": .bool(false),
            "integers": .integers([1, -2, 3]),
            "one_integer": .integers([5]),
            "no_integers": .integers([]),
            "reals": .reals([1.5, -2.25e-8, 3.0, .infinity]),
            "one_real": .reals([2.5]),
            "no_reals": .reals([]),
            "bools": .bools([true, false, true]),
            "one_bool": .bools([false]),
            "strings": .strings(["a b", "c", "\"q\""]),
            "one_string": .strings(["solo"]),
            "virial": .reals([1, 2, 3, 4, 5, 6, 7, 8, 9.5]),
            "energy": .real(-12.345678901234567),
        ]
        let periodic = Structure(
            atomicNumbers: [14, 14, 8],
            positions: [Vector3(0, 0.1, -0.2), Vector3(1.0 / 3.0, 2e-9, 5.5), Vector3(-1.25, 3.75, 1e-300)],
            cell: Cell(matrix: Matrix3(rows: Vector3(5.1, 0.2, 0), Vector3(0.3, 4.9, 0.1), Vector3(0, 0.2, 6.3)), periodic: (true, true, true)),
            info: tricky,
            arrays: [
                "forces": PerAtomProperty(name: "forces", columns: 3, values: .reals([0.1, -0.2, 0.3, 1e-17, 2.0 / 3.0, -5, 0, -0.0, 123456.789])),
                "tag": PerAtomProperty(name: "tag", columns: 1, values: .integers([1, -2, Int(Int32.min)])),
                "shift": PerAtomProperty(name: "shift", columns: 3, values: .integers([0, 1, -1, 2, 0, 0, 0, 0, 9])),
                "fixed": PerAtomProperty(name: "fixed", columns: 1, values: .bools([true, false, true])),
                "flags": PerAtomProperty(name: "flags", columns: 2, values: .bools([true, false, false, false, true, true])),
                "label": PerAtomProperty(name: "label", columns: 1, values: .strings(["x", "yy", "Å"])),
                "pair": PerAtomProperty(name: "pair", columns: 2, values: .strings(["a", "b", "c", "d", "e", "f"])),
                "mass": PerAtomProperty(name: "mass", columns: 1, values: .reals([28.085, 28.085, .nan])),
            ]
        )
        let molecule = Structure(
            atomicNumbers: [1, 1, 8], positions: [Vector3(0, 0, 0), Vector3(0.96, 0, 0), Vector3(-0.24, 0.93, 0)],
            info: ["note": .string("isolated molecule")]
        )
        let slab = Structure(
            atomicNumbers: [6], positions: [Vector3(0.1, 0.2, 0.3)],
            cell: Cell(matrix: Matrix3(rows: Vector3(2.5, 0, 0), Vector3(-1.25, 2.1650635094610964, 0), Vector3(0, 0, 0)), periodic: (true, true, false))
        )
        let wire = Structure(
            atomicNumbers: [79, 79], positions: [Vector3(0, 0, 0), Vector3(0, 0, 1.4)],
            cell: Cell(matrix: Matrix3(rows: Vector3(20, 0, 0), Vector3(0, 20, 0), Vector3(0, 0, 2.8)), periodic: (false, false, true)),
            arrays: ["Z": PerAtomProperty(name: "Z", columns: 1, values: .integers([79, 79]))]
        )
        let boxedButNotPeriodic = Structure(
            atomicNumbers: [10], positions: [Vector3(1, 1, 1)],
            cell: Cell(matrix: Matrix3(rows: Vector3(10, 0, 0), Vector3(0, 10, 0), Vector3(0, 0, 10)), periodic: (false, false, false))
        )
        let empty = Structure(atomicNumbers: [], positions: [], info: ["empty": .bool(true)])
        return [periodic, molecule, slab, wire, boxedButNotPeriodic, empty]
    }

    func testOurWriterRoundTripsThroughOurReader() throws {
        let structures = Self.sampleStructures()
        for structure in structures {
            XCTAssertEqual(ExtendedXYZWriter.problems(in: structure), [])
        }
        let text = structures.map(ExtendedXYZWriter.format).joined()
        let back = try ExtendedXYZReader.readAll(bytes: Array(text.utf8), name: "round-trip")
        XCTAssertEqual(back.count, structures.count)
        for (original, read) in zip(structures, back) {
            assertSameExceptNaN(read, original)
        }
    }

    func testASEReadsOurFilesIdentically() throws {
        try requireASE()
        let structures = Self.sampleStructures()
        let directory = makeTemporaryDirectory()
        let path = directory + "/ours.xyz"
        try ExtendedXYZWriter.write(structures, to: path)
        let frames = try aseDump(path)
        XCTAssertEqual(frames.count, structures.count)
        for (index, (structure, frame)) in zip(structures, frames).enumerated() {
            compare(structure, toASE: frame, context: "frame \(index)")
        }
    }

    func testWeReadASEFilesAsASEDoes() throws {
        try requireASE()
        let directory = makeTemporaryDirectory()
        let path = directory + "/ase.xyz"
        try runPython(["write", path])
        let frames = try aseDump(path)
        let ours = try ExtendedXYZReader.readAll(path: path)
        XCTAssertEqual(ours.count, frames.count)
        XCTAssertEqual(ours.count, 4)
        for (index, (structure, frame)) in zip(ours, frames).enumerated() {
            compare(structure, toASE: frame, context: "frame \(index)")
        }
        // Spot checks that the comparison saw what we think it saw.
        XCTAssertEqual(ours[0].info["comment"], .string("has \"quotes\" and spaces"))
        XCTAssertEqual(ours[0].info["tags"], .strings(["a b", "c"]))
        XCTAssertEqual(ours[0].arrays["label"]?.values, .strings(["x", "yy", "zzz"]))
        XCTAssertEqual(ours[1].cell, .none)
        XCTAssertEqual(ours[2].cell.periodic, SIMD3(1, 1, 0))
        XCTAssertFalse(ours[3].cell.isPeriodicInAnyDirection)
        XCTAssertTrue(ours[3].cell.hasLattice)
    }

    func testGAP18FilesReadIdenticallyByASE() throws {
        // Three files (ASE's JSON dump of all 24 would make the suite slow): the one with the most
        // columns and header keys, the one with left-handed cells, and the one with DFT_ keys.
        try requireASE()
        let directory = try TestPaths.shared() + "/datasets/si_gap18_bartok2018"
        for name in ["screw_disloc.xyz", "decohesion.xyz", "sh.xyz"] {
            let path = "\(directory)/\(name)"
            let frames = try aseDump(path)
            let ours = try ExtendedXYZReader.readAll(path: path)
            XCTAssertEqual(ours.count, frames.count)
            for (index, (structure, frame)) in zip(ours, frames).enumerated() {
                compare(structure, toASE: frame, context: "\(name) frame \(index)")
            }
        }
    }

    // MARK: - Comparison with ASE's dump

    private func compare(_ s: Structure, toASE frame: [String: Any], context: String) {
        func doubles(_ any: Any?) -> [Double] {
            ((any as? [String]) ?? []).map { parseHex($0) }
        }
        XCTAssertEqual(frame["numbers"] as? [Int], s.atomicNumbers, context)
        assertBitwiseEqual(doubles(frame["positions"]), s.positions.flatMap { [$0.x, $0.y, $0.z] }, "\(context) positions")
        assertBitwiseEqual(doubles(frame["cell"]), s.cell.matrix.rowMajor, "\(context) cell")
        XCTAssertEqual(frame["pbc"] as? [Bool], (0..<3).map { s.cell.isPeriodic($0) }, "\(context) pbc")

        let info = frame["info"] as? [String: [String: Any]] ?? [:]
        XCTAssertEqual(Set(info.keys), Set(s.info.keys), "\(context) info keys")
        for (key, value) in s.info {
            guard let theirs = info[key] else { continue }
            let (type, theirValue) = (theirs["type"] as? String ?? "?", theirs["value"])
            let where_ = "\(context) info[\(key)]"
            switch value {
            case .string(let x): XCTAssertEqual(type, "str", where_); XCTAssertEqual(theirValue as? String, x, where_)
            case .integer(let x): XCTAssertEqual(type, "int", where_); XCTAssertEqual(theirValue as? Int, x, where_)
            case .real(let x): XCTAssertEqual(type, "float", where_); assertBitwiseEqual(doubles([theirValue as? String ?? ""]), [x], where_)
            case .bool(let x): XCTAssertEqual(type, "bool", where_); XCTAssertEqual(theirValue as? Bool, x, where_)
            case .integers(let x): XCTAssertEqual(type, "ints", where_); XCTAssertEqual(theirValue as? [Int], x, where_)
            case .reals(let x): XCTAssertEqual(type, "floats", where_); assertBitwiseEqual(doubles(theirValue), x, where_)
            case .bools(let x): XCTAssertEqual(type, "bools", where_); XCTAssertEqual(theirValue as? [Bool], x, where_)
            case .strings(let x): XCTAssertEqual(type, "strs", where_); XCTAssertEqual(theirValue as? [String], x, where_)
            }
        }

        // ASE turns a Z column into the atomic numbers (compared above) and keeps no Z array.
        let arrays = frame["arrays"] as? [String: [String: Any]] ?? [:]
        let ourArrays = s.arrays.filter { $0.key != "Z" }
        XCTAssertEqual(Set(arrays.keys), Set(ourArrays.keys), "\(context) array names")
        for (name, property) in ourArrays {
            guard let theirs = arrays[name] else { continue }
            let where_ = "\(context) arrays[\(name)]"
            XCTAssertEqual(theirs["columns"] as? Int, property.columns, where_)
            let type = theirs["type"] as? String
            switch property.values {
            case .reals(let x): XCTAssertEqual(type, "floats", where_); assertBitwiseEqual(doubles(theirs["value"]), x, where_)
            case .integers(let x): XCTAssertEqual(type, "ints", where_); XCTAssertEqual(theirs["value"] as? [Int], x, where_)
            case .bools(let x): XCTAssertEqual(type, "bools", where_); XCTAssertEqual(theirs["value"] as? [Bool], x, where_)
            case .strings(let x): XCTAssertEqual(type, "strs", where_); XCTAssertEqual(theirs["value"] as? [String], x, where_)
            }
        }
    }

    private func parseHex(_ text: String) -> Double {
        switch text {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default:
            guard let value = Double(text) else {
                XCTFail("cannot parse \(text) from the ASE dump")
                return .nan
            }
            return value
        }
    }

    // MARK: - Running python

    private func requireASE() throws {
        let skip = ProcessInfo.processInfo.environment["GAP_SKIP_ASE_TESTS"] == "1"
        do {
            try runPython(["-c", "import ase"], script: false)
        } catch {
            if skip { throw XCTSkip("python3 with ase is not available and GAP_SKIP_ASE_TESTS=1: \(error)") }
            XCTFail("These tests need python3 with ase (pip install ase); set GAP_SKIP_ASE_TESTS=1 to skip them. \(error)")
            throw error
        }
    }

    private struct PythonFailed: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    private func runPython(_ arguments: [String], script: Bool = true) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + (script ? [TestPaths.fixtures + "/ase_extxyz.py"] : []) + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PythonFailed(description: "python3 \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(errorText)")
        }
        return data
    }

    private func aseDump(_ path: String) throws -> [[String: Any]] {
        let data = try runPython(["dump", path])
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return try XCTUnwrap(json?["frames"] as? [[String: Any]])
    }
}

/// Doubles equal bit for bit (NaN matches any NaN: its payload is not kept by the format).
func assertBitwiseEqual(_ a: [Double], _ b: [Double], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) where !(x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)) {
        XCTFail("\(message): \(x) (\(x.bitPattern)) != \(y) (\(y.bitPattern))", file: file, line: line)
        return
    }
}

/// Structure equality with sources ignored and NaN treated as equal to NaN.
func assertSameExceptNaN(_ a: Structure, _ b: Structure, file: StaticString = #filePath, line: UInt = #line) {
    func scrubbed(_ s: Structure) -> Structure {
        var s = s
        s.source = nil
        for (key, value) in s.info {
            if case .real(let x) = value, x.isNaN { s.info[key] = .real(12345.678) }
            if case .reals(let xs) = value { s.info[key] = .reals(xs.map { $0.isNaN ? 12345.678 : $0 }) }
        }
        for (key, property) in s.arrays {
            if case .reals(let xs) = property.values {
                s.arrays[key]?.values = .reals(xs.map { $0.isNaN ? 12345.678 : $0 })
            }
        }
        return s
    }
    let (x, y) = (scrubbed(a), scrubbed(b))
    XCTAssertEqual(x, y, file: file, line: line)
    // Equality of doubles treats 0.0 == -0.0: check signs bit for bit as well.
    assertBitwiseEqual(x.positions.flatMap { [$0.x, $0.y, $0.z] }, y.positions.flatMap { [$0.x, $0.y, $0.z] }, "positions", file: file, line: line)
    assertBitwiseEqual(x.cell.matrix.rowMajor, y.cell.matrix.rowMajor, "cell", file: file, line: line)
    for (key, value) in x.info {
        switch (value, y.info[key]) {
        case (.real(let p), .real(let q)?): assertBitwiseEqual([p], [q], "info[\(key)]", file: file, line: line)
        case (.reals(let p), .reals(let q)?): assertBitwiseEqual(p, q, "info[\(key)]", file: file, line: line)
        default: break
        }
    }
    for (key, property) in x.arrays {
        if case .reals(let p) = property.values, case .reals(let q)? = y.arrays[key]?.values {
            assertBitwiseEqual(p, q, "arrays[\(key)]", file: file, line: line)
        }
    }
}
