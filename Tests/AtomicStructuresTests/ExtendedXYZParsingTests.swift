import Foundation
import OrderedCollections
import Support
import XCTest
@testable import AtomicStructures

/// Number parsing, header interpretation and buffering details of the reader.
final class ExtendedXYZParsingTests: XCTestCase {
    // MARK: - Numbers

    /// Both parsers against the standard library's correctly rounded conversion.
    private func checkReal(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array(text.utf8)
        let bounded = bytes.parsedAsReal()
        // The prefix parser needs readable bytes after the token: pad like the line buffer does.
        let padded = bytes + [UInt8](repeating: 0, count: 16)
        let prefix: Double? = padded.withUnsafeBufferPointer { buffer in
            exactPowersOfTen.withUnsafeBufferPointer { powers in
                var end = buffer.baseAddress!
                let x = parseRealPrefix(buffer.baseAddress!, powers: powers.baseAddress!, end: &end)
                return end - buffer.baseAddress! == bytes.count && !bytes.isEmpty ? x : nil
            }
        }
        let expected = Double(text)
        XCTAssertEqual(bounded?.bitPattern, expected?.bitPattern, "bounded parser: \(text)", file: file, line: line)
        XCTAssertEqual(prefix?.bitPattern, expected?.bitPattern, "prefix parser: \(text)", file: file, line: line)
    }

    func testRealsAreCorrectlyRounded() {
        let cases = [
            "0", "-0", "+0", "0.0", "-0.0", "1", "-1", "1.0", "1.", ".5", "-.5", "+.5", "0.1", "0.2", "0.3",
            "1.10554620", "-0.16128625", "1e-5", "1E-5", "-0.5", "1.0E+03", "1e22", "1e23", "9007199254740992",
            "9007199254740993", "9007199254740993.0", "900719925474099.3e1", "123456789012345678",
            "1234567890123456789", "12345678901234567890", "0.000000000000000000000000000001",
            "0.1000000000000000055511151231257827021181583404541015625",
            "2.2250738585072011e-308", "2.2250738585072014e-308", "4.9406564584124654e-324", "5e-324",
            "2e-324", "1e-400", "1.7976931348623157e308", "1.7976931348623159e308", "1e400", "-1e400",
            "123.456e-7", "1.0000000000000002", "0.99999999999999994", "3.141592653589793238462643383279",
            "00000000000000000000001.5", "1.50000000000000000000000000", "7e22", "7e-22", "8.5e-23",
            "18014398509481984", "18014398509481985", "1e0", "1e+0", "1e-0", "12345678.12345678",
            "0.12345678901234567", "-66.5341384", "21.76", "28.08500000",
        ]
        for text in cases { checkReal(text) }
    }

    func testRandomRealsAreCorrectlyRounded() {
        var generator = SplitMix64(seed: 11)
        for _ in 0..<20000 {
            // Random doubles printed shortest, with 17 digits, and as random digit strings.
            let x = Double(bitPattern: generator.next())
            guard x.isFinite else { continue }
            checkReal(x.description)
            checkReal(String(format: "%.17g", x))
            checkReal(String(format: "%.8f", Double(Int64(bitPattern: generator.next()) % 100_000_000) / 997.0))
            let digits = 1 + Int(generator.next() % 25)
            var text = (0..<digits).map { _ in String(generator.next() % 10) }.joined()
            let point = Int(generator.next() % UInt64(digits + 1))
            text.insert(".", at: text.index(text.startIndex, offsetBy: point))
            if generator.next() % 2 == 0 { text += "e\(Int(generator.next() % 80) - 40)" }
            checkReal(text)
        }
    }

    func testRealSyntaxMatchesPythonFloat() {
        for text in ["inf", "-inf", "+inf", "Inf", "INF", "infinity", "-Infinity", "nan", "NaN", "-nan", "NAN"] {
            let value = Array(text.utf8).parsedAsReal()
            XCTAssertNotNil(value, text)
            XCTAssertEqual(value?.isNaN, text.lowercased().contains("nan"), text)
        }
        for text in ["", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "1_0", "1d5", "1.5D3", "nan(1)", "infx",
                     "--1", "1-", "in", "na", "1 2", " 1", "1,5", "١"] {
            XCTAssertNil(Array(text.utf8).parsedAsReal(), text)
            let padded = Array(text.utf8) + [UInt8](repeating: 0, count: 16)
            let consumed: Int? = padded.withUnsafeBufferPointer { buffer in
                exactPowersOfTen.withUnsafeBufferPointer { powers in
                    var end = buffer.baseAddress!
                    _ = parseRealPrefix(buffer.baseAddress!, powers: powers.baseAddress!, end: &end)
                    return end == buffer.baseAddress! ? nil : end - buffer.baseAddress!
                }
            }
            XCTAssertTrue(consumed == nil || consumed != text.utf8.count, "prefix parser must not accept all of '\(text)'")
        }
    }

    func testIntegers() {
        for (text, expected) in [("0", 0), ("-0", 0), ("+5", 5), ("-42", -42), ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min)] {
            guard case .value(let n) = Array(text.utf8).parsedAsInteger() else { return XCTFail(text) }
            XCTAssertEqual(n, expected, text)
        }
        for text in ["9223372036854775808", "-9223372036854775809", "99999999999999999999999"] {
            guard case .outOfRange = Array(text.utf8).parsedAsInteger() else { return XCTFail(text) }
        }
        for text in ["", "-", "1.0", "1e3", "0x1", " 1", "1_000"] {
            guard case .notAnInteger = Array(text.utf8).parsedAsInteger() else { return XCTFail(text) }
        }
    }

    // MARK: - Header values (cases checked against ase.io.extxyz.key_val_str_to_dict, ASE 3.29)

    private func header(_ line: String) throws -> Structure {
        let text = "1\n\(line)\nSi 0 0 0\n"
        return try XCTUnwrap(try ExtendedXYZReader.readAll(bytes: Array(text.utf8), name: "header").first)
    }

    func testHeaderValuesAreTypedAsASEDoes() throws {
        let s = try header(#"a=1e-5 b=-0.5 c=1.0E+03 d=nan e=inf f=-inf g=Infinity j=+5 l=0x10 m=1.5d3 n=.5 o=5. p=T q=t r=true s=TRUE t=tRue u="1 2 3" v=[1.5,2] w=[T, T, T] x flag2 bb=1,2 cc=99999999999999999999 dd="1 2.5" ee=nanx ff="_JSON [1.5]" gg="_JSON \"12\"" hh=- ll={a b} mm='x y' nn=1=2 oo=" T " pp=-0 qq=-0.0 uu=-nan vv=nan(123) xx=e5 yy="a\"b" zz=a\ b"#)
        let expected: [(String, InfoValue)] = [
            ("a", .real(1e-5)), ("b", .real(-0.5)), ("c", .real(1000)), ("e", .real(.infinity)), ("f", .real(-.infinity)),
            ("g", .real(.infinity)), ("j", .integer(5)), ("l", .string("0x10")), ("m", .string("1.5d3")), ("n", .real(0.5)),
            ("o", .real(5)), ("p", .bool(true)), ("q", .string("t")), ("r", .bool(true)), ("s", .bool(true)), ("t", .string("tRue")),
            ("u", .integers([1, 2, 3])), ("v", .reals([1.5, 2])), ("w", .bools([true, true, true])), ("x", .bool(true)),
            ("flag2", .bool(true)), ("bb", .integers([1, 2])), ("cc", .real(1e20)), ("dd", .reals([1, 2.5])),
            ("ee", .string("nanx")), ("ff", .reals([1.5])), ("gg", .string("12")), ("hh", .string("-")), ("ll", .string("a b")),
            ("mm", .string("x y")), ("nn", .string("1=2")), ("oo", .bool(true)), ("pp", .integer(0)), ("qq", .real(-0.0)),
            ("vv", .string("nan(123)")), ("xx", .string("e5")), ("yy", .string("a\"b")), ("zz", .string("a b")),
        ]
        for (key, value) in expected {
            XCTAssertEqual(s.info[key], value, key)
        }
        XCTAssertTrue(s.info["d"]?.realValue?.isNaN ?? false)
        XCTAssertTrue(s.info["uu"]?.realValue?.isNaN ?? false)
        XCTAssertEqual(s.info["qq"]?.realValue?.sign, .minus)
        XCTAssertEqual(Array(s.info.keys), ["a", "b", "c", "d", "e", "f", "g", "j", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "flag2", "bb", "cc", "dd", "ee", "ff", "gg", "hh", "ll", "mm", "nn", "oo", "pp", "qq", "uu", "vv", "xx", "yy", "zz"])
        XCTAssertEqual(s.cell, .none)
    }

    func testJSONValues() {
        let cases: [(String, InfoValue)] = [
            (#"_JSON [true, false]"#, .bools([true, false])),
            (#"_JSON [1, 2.5]"#, .reals([1, 2.5])),
            (#"_JSON [1, 2]"#, .integers([1, 2])),
            (#"_JSON []"#, .reals([])),
            (#"_JSON ["\u00e9\ud83d\ude00", "a\nb"]"#, .strings(["é😀", "a\nb"])),
            (#"_JSON "x""#, .string("x")),
            (#"_JSON 3"#, .integer(3)),
            (#"_JSON {"a": 1}"#, .string(#"_JSON {"a": 1}"#)),
            (#"_JSON [1, "a"]"#, .string(#"_JSON [1, "a"]"#)),
            (#"_JSON [[1], [2]]"#, .string(#"_JSON [[1], [2]]"#)),
            (#"_JSON [01]"#, .string(#"_JSON [01]"#)),
            (#"_JSON null"#, .string("_JSON null")),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(interpretHeaderValue(Array(text.utf8), key: "k"), expected, text)
        }
        guard case .reals(let special)? = interpretHeaderValue(Array(#"_JSON [NaN, -Infinity]"#.utf8), key: "k") else {
            return XCTFail("NaN and Infinity are accepted as Python's json does")
        }
        XCTAssertTrue(special[0].isNaN)
        XCTAssertEqual(special[1], -.infinity)
    }

    func testSpecialKeysAndDefaults() throws {
        // Spaces around '=' are allowed (as in ASE); pbc defaults to T T T with a Lattice.
        let s = try header(#"Lattice = "2 0 0 0 3 0 0 0 4" Properties=species:S:1:pos:R:3"#)
        XCTAssertEqual(s.cell.matrix.rowMajor, [2, 0, 0, 0, 3, 0, 0, 0, 4])
        XCTAssertTrue(s.cell.isFullyPeriodic)
        XCTAssertTrue(s.info.isEmpty)
        let partial = try header(#"pbc="T F T" Lattice="2 0 0 0 3 0 0 0 4""#)
        XCTAssertEqual(partial.cell.periodic, SIMD3(1, 0, 1))
        let single = try header(#"Lattice="2 0 0 0 3 0 0 0 4" pbc=F"#)
        XCTAssertFalse(single.cell.isPeriodicInAnyDirection)
        XCTAssertTrue(single.cell.hasLattice)
        let bracketed = try header(#"pbc=[T, T, T] Lattice="2 0 0 0 3 0 0 0 4""#)
        XCTAssertTrue(bracketed.cell.isFullyPeriodic)
        // A zero third vector is fine when that direction is not periodic.
        let slab = try header(#"Lattice="2 0 0 0 3 0 0 0 0" pbc="T T F""#)
        XCTAssertEqual(slab.cell.periodic, SIMD3(1, 1, 0))
        XCTAssertEqual(try header("").cell, .none)
        XCTAssertEqual(try header("Cubic bulk silicon").info, ["Cubic": .bool(true), "bulk": .bool(true), "silicon": .bool(true)])
        XCTAssertEqual(try header("UID=123").info["UID"], .string("123"), "uid values stay text, as in ASE")
    }

    func testAtomColumnsInAnyOrderWithZAndCase() throws {
        let text = """
        2
        Properties=tag:I:1:pos:R:3:Z:I:1:fixed:L:1:note:S:1 energy=1
        7 0.0 0.0 0.0 14 True a
        8 1.0 1.0 1.0 8 F bb

        """
        let s = try XCTUnwrap(try ExtendedXYZReader.readAll(bytes: Array(text.utf8), name: "z").first)
        XCTAssertEqual(s.atomicNumbers, [14, 8])
        XCTAssertEqual(Array(s.arrays.keys), ["tag", "fixed", "note"], "Z used for species is not kept as an array")
        XCTAssertEqual(s.arrays["fixed"]?.values, .bools([true, false]))
        XCTAssertEqual(s.arrays["note"]?.values, .strings(["a", "bb"]))

        let cases = "3\n\nSI 0 0 0\nsi 1 1 1\nsI 2 2 2\n"
        XCTAssertEqual(try ExtendedXYZReader.readAll(bytes: Array(cases.utf8), name: "case").first?.atomicNumbers, [14, 14, 14])
    }

    func testNaNInNonPositionColumnsIsKept() throws {
        let text = "1\nProperties=species:S:1:pos:R:3:forces:R:3\nSi 0 0 0 nan inf -inf\n"
        let s = try XCTUnwrap(try ExtendedXYZReader.readAll(bytes: Array(text.utf8), name: "nan").first)
        guard case .reals(let forces)? = s.arrays["forces"]?.values else { return XCTFail("forces") }
        XCTAssertTrue(forces[0].isNaN)
        XCTAssertEqual(forces[1], .infinity)
        XCTAssertEqual(forces[2], -.infinity)
    }

    func testLineEndingsBlankTailAndZeroAtoms() throws {
        let crlf = "1\r\nProperties=species:S:1:pos:R:3 a=1\r\nSi 0 0 1.5\r\n\r\n  \n"
        let s = try ExtendedXYZReader.readAll(bytes: Array(crlf.utf8), name: "crlf")
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s[0].positions, [Vector3(0, 0, 1.5)])
        XCTAssertEqual(s[0].info["a"], .integer(1))
        let noFinalNewline = "1\n\nSi 0 0 2.5"
        XCTAssertEqual(try ExtendedXYZReader.readAll(bytes: Array(noFinalNewline.utf8), name: "tail")[0].positions, [Vector3(0, 0, 2.5)])
        let zero = "0\nnote=empty\n1\n\nH 0 0 0\n"
        let frames = try ExtendedXYZReader.readAll(bytes: Array(zero.utf8), name: "zero")
        XCTAssertEqual(frames.map(\.count), [0, 1])
        XCTAssertEqual(frames[1].source, SourceLocation(file: "zero", frameIndex: 1, line: 3))
    }

    // MARK: - Buffering

    /// A header longer than the read chunk makes the buffer grow; frames on both sides survive.
    func testLinesLongerThanTheReadChunk() throws {
        let long = String(repeating: "x", count: LineSource.chunkSize * 2 + 123)
        let text = "1\nnote=\(long)\nSi 0 0 0\n1\nk=2\nSi 1 1 1\n"
        let path = makeTemporaryDirectory() + "/long.xyz"
        writeBytes(Array(text.utf8), to: path)
        let frames = try ExtendedXYZReader.readAll(path: path)
        XCTAssertEqual(frames.count, 2)
        XCTAssertEqual(frames[0].info["note"], .string(long))
        XCTAssertEqual(frames[1].positions, [Vector3(1, 1, 1)])
        XCTAssertEqual(frames[1].source?.line, 4)
    }

    /// Reading from a pipe (unknown size): storage grows with the atoms actually read, and a
    /// huge declared count fails at the end of input instead of allocating.
    func testReadingFromAPipe() throws {
        let directory = makeTemporaryDirectory()
        let fifo = directory + "/pipe.xyz"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        var text = "70000\nProperties=species:S:1:pos:R:3:tag:I:1\n"
        for i in 0..<70000 { text += "Si \(i) 0.5 -1 \(i)\n" }
        text += "1000000000000\n\n"
        let bytes = Array(text.utf8)
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: fifo)!
            handle.write(Data(bytes))
            handle.closeFile()
        }
        writer.start()
        var reader = try ExtendedXYZReader(path: fifo)
        let first = try XCTUnwrap(try reader.next())
        XCTAssertEqual(first.count, 70000)
        XCTAssertEqual(first.positions[69999], Vector3(69999, 0.5, -1))
        XCTAssertEqual(first.arrays["tag"]?.values, .integers(Array(0..<70000)))
        XCTAssertThrowsError(try reader.next()) { error in
            // Line 70003 holds the count, 70004 the (empty) header, 70005 would be the first atom.
            XCTAssertEqual((error as? InputError)?.line, 70005)
            XCTAssertEqual((error as? InputError)?.field, "atom count")
        }
    }
}
