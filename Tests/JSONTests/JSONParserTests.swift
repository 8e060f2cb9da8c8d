import JSON
import Support
import XCTest
@testable import JSON

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(text, fileName: "t.json")
    }

    /// Asserts that `text` fails with an InputError at line:column whose message contains `fragment`.
    private func assertSyntaxError(
        _ text: String, line: Int, column: Int, _ fragment: String, file: StaticString = #filePath, lineNumber: UInt = #line
    ) {
        XCTAssertThrowsError(try parse(text), file: file, line: lineNumber) { error in
            guard let e = error as? InputError else { return XCTFail("not an InputError: \(error)", file: file, line: lineNumber) }
            XCTAssertEqual(e.file, "t.json", file: file, line: lineNumber)
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: lineNumber)
            XCTAssertTrue(e.message.hasPrefix("column \(column): "), "\(e)", file: file, line: lineNumber)
            XCTAssertTrue(e.message.contains(fragment), "\(e) lacks \"\(fragment)\"", file: file, line: lineNumber)
        }
    }

    func testScalarsArraysObjectsAndPositions() throws {
        let text = """
        // leading comment
        {
          "a": 1, /* block */ "b": [true, false, null],
          "c": {"d": "x"}
        }
        """
        let v = try parse(text)
        guard case .object(let o) = v.kind else { return XCTFail() }
        XCTAssertEqual(v.position, SourcePosition(line: 2, column: 1))
        XCTAssertEqual(o.keys, ["a", "b", "c"])
        XCTAssertEqual(o.member("a")?.keyPosition, SourcePosition(line: 3, column: 3))
        XCTAssertEqual(o["a"]?.position, SourcePosition(line: 3, column: 8))
        XCTAssertEqual(o["b"]?.position, SourcePosition(line: 3, column: 28))
        guard case .array(let b)? = o["b"]?.kind else { return XCTFail() }
        XCTAssertEqual(b.map(\.kind), [.bool(true), .bool(false), .null])
        XCTAssertEqual(b[2].position, SourcePosition(line: 3, column: 42))
        guard case .object(let c)? = o["c"]?.kind else { return XCTFail() }
        XCTAssertEqual(c["d"]?.kind, .string("x"))
        XCTAssertEqual(c["d"]?.position, SourcePosition(line: 4, column: 14))
    }

    func testCommentsEverywhere() throws {
        let text = "/*a*/[/*b*/1//c\n,/* multi\nline */2/**/]//end"
        guard case .array(let a) = try parse(text).kind else { return XCTFail() }
        XCTAssertEqual(a.count, 2)
        XCTAssertEqual(a[1].position, SourcePosition(line: 3, column: 8))
        // A comment-only file has no value.
        assertSyntaxError("// nothing\n", line: 2, column: 1, "empty")
    }

    func testColumnsCountUnicodeScalarsAndBOMIsSkipped() throws {
        let text = "\u{FEFF}{\"Å\": \"é\", \"x\": 1}"
        guard case .object(let o) = try parse(text).kind else { return XCTFail() }
        XCTAssertEqual(o["Å"]?.kind, .string("é"))
        // {"Å": "é", "x": 1} : x's key starts at scalar column 12 (the BOM is not counted).
        XCTAssertEqual(o.member("x")?.keyPosition, SourcePosition(line: 1, column: 12))
    }

    func testStringEscapes() throws {
        let v = try parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20AC", "\uD83D\uDE00", "\u0000"]"#)
        guard case .array(let a) = v.kind else { return XCTFail() }
        XCTAssertEqual(a[0].kind, .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        XCTAssertEqual(a[1].kind, .string("é€"))
        XCTAssertEqual(a[2].kind, .string("😀"))
        XCTAssertEqual(a[3].kind, .string("\u{0}"))
        // Raw multi-byte UTF-8 passes through unchanged.
        XCTAssertEqual(try parse("\"Si–Si 😀\"").kind, .string("Si–Si 😀"))
    }

    func testNumbers() throws {
        func number(_ text: String) throws -> JSONNumber {
            guard case .number(let n) = try parse(text).kind else { throw XCTSkip("not a number") }
            return n
        }
        XCTAssertEqual(try number("0").integerValue, 0)
        XCTAssertEqual(try number("-0").doubleValue.sign, .minus)
        XCTAssertEqual(try number("-12").integerValue, -12)
        XCTAssertNil(try number("12.0").integerValue)
        XCTAssertEqual(try number("12.0").exactInteger, 12)
        XCTAssertEqual(try number("1e3").exactInteger, 1000)
        XCTAssertNil(try number("12.5").exactInteger)
        XCTAssertEqual(try number("1.5E-3").doubleValue, 0.0015)
        XCTAssertEqual(try number("0.1").doubleValue, 0.1)
        XCTAssertEqual(try number("-158.54496821").doubleValue, -158.54496821)
        // Correct rounding: the smallest normal double and a halfway case.
        XCTAssertEqual(try number("2.2250738585072014e-308").doubleValue, Double.leastNormalMagnitude)
        XCTAssertEqual(try number("9007199254740993").doubleValue, 9007199254740992)  // ties to even
        XCTAssertEqual(try number("9007199254740993").integerValue, 9007199254740993)  // but exact as an integer
        XCTAssertEqual(try number("1.7976931348623157e308").doubleValue, Double.greatestFiniteMagnitude)
        XCTAssertEqual(try number("4.9e-324").doubleValue, Double.leastNonzeroMagnitude)
        XCTAssertEqual(try number("1e-400").doubleValue, 0)  // underflow rounds to zero, as strtod
        // Integers beyond Int keep their double value and no integer value.
        let big = try number("123456789012345678901234567890")
        XCTAssertNil(big.integerValue)
        XCTAssertNil(big.exactInteger)
        XCTAssertEqual(big.doubleValue, 1.2345678901234568e29)
        XCTAssertEqual(big.literal, "123456789012345678901234567890")
        assertSyntaxError("[1, 1e400]", line: 1, column: 5, "too large for a double")
        assertSyntaxError("-1e999", line: 1, column: 1, "too large")
    }

    func testInvalidCorpus() {
        assertSyntaxError("{\"a\": 1,}", line: 1, column: 9, "trailing comma")
        assertSyntaxError("[1, 2,\n]", line: 2, column: 1, "trailing comma")
        assertSyntaxError("{\"a\": 1 \"b\": 2}", line: 1, column: 9, "expected ',' or '}'")
        assertSyntaxError("[1 2]", line: 1, column: 4, "expected ',' or ']'")
        assertSyntaxError("{'a': 1}", line: 1, column: 2, "expected a key in double quotes")
        assertSyntaxError("['a']", line: 1, column: 2, "double quotes")
        assertSyntaxError("{\"a\" 1}", line: 1, column: 6, "expected ':'")
        assertSyntaxError("{a: 1}", line: 1, column: 2, "expected a key")
        assertSyntaxError("\"abc", line: 1, column: 1, "unterminated string")
        assertSyntaxError("[\"abc\n\"]", line: 1, column: 6, "line break inside a string")
        assertSyntaxError("[1, /* open", line: 1, column: 5, "unterminated block comment")
        assertSyntaxError("[1 / 2]", line: 1, column: 4, "comments start with")
        assertSyntaxError(#"["\q"]"#, line: 1, column: 3, "invalid escape '\\q'")
        assertSyntaxError(#"["\u12G4"]"#, line: 1, column: 3, "4 hexadecimal digits")
        assertSyntaxError(#"["\uD83D"]"#, line: 1, column: 3, "unpaired UTF-16 high surrogate")
        assertSyntaxError(#"["\uDE00"]"#, line: 1, column: 3, "unpaired UTF-16 low surrogate")
        assertSyntaxError(#"["\uD83D\u0041"]"#, line: 1, column: 9, "not a low surrogate")
        assertSyntaxError("[\"a\tb\"]", line: 1, column: 4, "control character U+0009")
        assertSyntaxError("[01]", line: 1, column: 2, "leading zeros")
        assertSyntaxError("[+1]", line: 1, column: 2, "cannot start with '+'")
        assertSyntaxError("[.5]", line: 1, column: 2, "digit before the decimal point")
        assertSyntaxError("[1.]", line: 1, column: 4, "digit after the decimal point")
        assertSyntaxError("[1e]", line: 1, column: 4, "exponent")
        assertSyntaxError("[-]", line: 1, column: 3, "digit after '-'")
        assertSyntaxError("[NaN]", line: 1, column: 2, "NaN and Infinity")
        assertSyntaxError("[-Infinity]", line: 1, column: 2, "NaN and Infinity")
        assertSyntaxError("[12abc]", line: 1, column: 4, "after a number")
        assertSyntaxError("[tru]", line: 1, column: 2, "unknown literal 'tru'")
        assertSyntaxError("[True]", line: 1, column: 2, "expected a value")
        assertSyntaxError("[nulll]", line: 1, column: 2, "unknown literal 'nulll'")
        assertSyntaxError("{} {}", line: 1, column: 4, "after the end of the top-level value")
        assertSyntaxError("", line: 1, column: 1, "empty")
        assertSyntaxError("[1,\n  2", line: 2, column: 4, "inside the array opened at line 1, column 1")
        assertSyntaxError("{\"a\":\n", line: 2, column: 1, "expected a value")
        assertSyntaxError("{\"k\": 1,\n \"k\": 2}", line: 2, column: 2, "duplicate key \"k\" (first given at line 1, column 2)")
    }

    func testInvalidUTF8IsRejected() {
        for bytes: [UInt8] in [
            [0x22, 0xFF, 0x22],              // invalid byte
            [0x22, 0xC3, 0x22],              // truncated sequence
            [0x22, 0xC0, 0xAF, 0x22],        // overlong '/'
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate
        ] {
            XCTAssertThrowsError(try JSONParser.parse(bytes, fileName: "u.json")) { error in
                XCTAssertTrue("\(error)".contains("invalid UTF-8"), "\(error)")
            }
        }
        XCTAssertThrowsError(try JSONParser.parse([0xFF], fileName: "u.json")) { error in
            XCTAssertTrue("\(error)".contains("invalid UTF-8"), "\(error)")
        }
    }

    func testNestingLimitStopsHostileInputWithoutCrashing() throws {
        let depth = JSONParser.maximumDepth
        let ok = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        XCTAssertNoThrow(try parse(ok))
        let tooDeep = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        assertSyntaxError(tooDeep, line: 1, column: depth + 1, "nesting deeper than \(depth)")
        // A megabyte of open brackets and braces: an error, not a stack overflow.
        let hostile = String(repeating: "[{\"a\":", count: 200_000)
        XCTAssertThrowsError(try parse(hostile)) { XCTAssertTrue("\($0)".contains("nesting deeper")) }
    }

    func testLongSingleLineDocumentParsesInLinearTime() throws {
        // 200,000 numbers on one line: column tracking must not rescan the line for each value.
        let text = "[" + (0..<200_000).map(String.init).joined(separator: ",") + "]"
        let start = DispatchTime.now().uptimeNanoseconds
        guard case .array(let a) = try parse(text).kind else { return XCTFail() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        XCTAssertEqual(a.count, 200_000)
        XCTAssertEqual(a.last?.position.column, text.count - 6)
        XCTAssertLessThan(seconds, 10, "parsing took \(seconds) s")
    }

    func testCanonicalWriterSortsKeysAndRoundTrips() throws {
        let v = try parse(#"{"b": [1, 2.5, "x\n\u0001é"], "a": {"z": null, "y": true}, "c": -0.0001}"#)
        let compact = JSONWriter.write(v.kind, pretty: false)
        XCTAssertEqual(compact, #"{"a":{"y":true,"z":null},"b":[1,2.5,"x\n\u0001é"],"c":-0.0001}"#)
        let pretty = JSONWriter.write(v.kind)
        // Both forms parse back to the same values.
        XCTAssertEqual(JSONWriter.write(try parse(pretty).kind, pretty: false), compact)
        XCTAssertEqual(JSONWriter.write(try parse(compact).kind, pretty: false), compact)
        // Doubles are written in shortest round-trip form.
        for x in [0.1, 1e-8, -158.54496821, 1e300, 5.0, 123456789.125] {
            let text = JSONWriter.write(JSONWriter.number(x), pretty: false)
            guard case .number(let n) = try parse(text).kind else { return XCTFail() }
            XCTAssertEqual(n.doubleValue, x, text)
        }
    }

    /// One escaping rule for every JSON the package writes; non-finite numbers as null; the
    /// insertion-order style keeps keys as built and puts every array element on its own line.
    func testEscapingAndStyles() {
        XCTAssertEqual(JSONWriter.write(.string("a\"b\\c\nd\u{1}"), pretty: false), "\"a\\\"b\\\\c\\nd\\u0001\"")
        XCTAssertEqual(JSONWriter.quoted("\u{7F}\u{1B}\u{08}"), "\"\\u007F\\u001B\\b\"")
        XCTAssertEqual(JSONWriter.write(JSONWriter.finiteOrNull(.nan), pretty: false), "null")
        XCTAssertEqual(JSONWriter.write(JSONWriter.object([]), pretty: false), "{}")
        let value = JSONWriter.object([("b", JSONWriter.array([JSONWriter.number(1), JSONWriter.number(2)])), ("a", .null)])
        XCTAssertEqual(JSONWriter.write(value), "{\n  \"a\": null,\n  \"b\": [1, 2]\n}\n")
        XCTAssertEqual(JSONWriter.write(value, style: .insertionOrder), "{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": null\n}\n")
    }
}
