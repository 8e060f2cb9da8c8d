import Support
import XCTest
@testable import AtomicStructures

/// Every file in Fixtures/malformed must be refused with an InputError naming the file, the
/// 1-based line and the field; none may crash.
final class MalformedInputTests: XCTestCase {
    /// File name -> (line, field, a fragment of the message).
    static let expectations: [String: (line: Int, field: String, says: String)] = [
        "absurd_atom_count.xyz": (1, "atom count", "only 15 bytes remain"),
        "atom_count_exceeds_file.xyz": (5, "atom count", "bytes remain"),
        "atom_count_not_integer.xyz": (1, "atom count", "found 'two'"),
        "atom_count_overflow.xyz": (1, "atom count", "too large"),
        "atomic_number_out_of_range.xyz": (4, "Z", "200 is not an element"),
        "bad_integer_column.xyz": (4, "tags", "expected an integer, found '1.5'"),
        "bad_logical_column.xyz": (4, "fixed", "found 'yes'"),
        "binary_file.xyz": (1, "atom count", "binary data"),
        "blank_line_between_frames.xyz": (6, "atom count", "blank line (line 5)"),
        "dangling_backslash.xyz": (2, "comment", "lone backslash"),
        "duplicate_key.xyz": (2, "energy", "appears twice"),
        "empty.xyz": (1, "atom count", "no frames"),
        "equals_without_key.xyz": (2, "header", "has no key"),
        "garbage_after_frame.xyz": (5, "atom count", "found 'this is not a frame'"),
        "infinite_position.xyz": (4, "pos", "finite"),
        "integer_column_overflow.xyz": (3, "tags", "within"),
        "invalid_utf8_header.xyz": (2, "comment", "UTF-8"),
        "key_without_value.xyz": (2, "energy", "missing value"),
        "lattice_eight_numbers.xyz": (2, "Lattice", "has 8 numbers"),
        "lattice_nan.xyz": (2, "Lattice", "NaN"),
        "lattice_not_numeric.xyz": (2, "Lattice", "not a list of numbers"),
        "lowercase_lattice_key.xyz": (2, "lattice", "spelled exactly 'Lattice'"),
        "missing_header_line.xyz": (2, "header", "ends after the atom count"),
        "nan_position.xyz": (4, "pos", "found 'nan'"),
        "negative_atom_count.xyz": (1, "atom count", "negative"),
        "non_numeric_force.xyz": (4, "forces", "column 6 (forces component 2 of 3): expected a real number, found '1.0x'"),
        "non_numeric_position.xyz": (4, "pos", "found 'abc'"),
        "nul_in_atom_line.xyz": (3, "pos", "binary data"),
        "only_blank_lines.xyz": (1, "atom count", "no frames"),
        "pbc_not_boolean.xyz": (2, "pbc", "expected three booleans"),
        "pbc_two_values.xyz": (2, "pbc", "has 2 values"),
        "pbc_without_lattice.xyz": (2, "pbc", "no Lattice"),
        "properties_bad_type.xyz": (2, "Properties", "type 'X'"),
        "properties_duplicate_name.xyz": (2, "Properties", "appears twice"),
        "properties_incomplete.xyz": (2, "Properties", "found 5 colon-separated fields"),
        "properties_missing_name.xyz": (2, "Properties", "empty name"),
        "properties_no_pos.xyz": (2, "Properties", "no pos column"),
        "properties_no_species.xyz": (2, "Properties", "neither a species nor a Z column"),
        "properties_non_integer_count.xyz": (2, "Properties", "column count 'three'"),
        "properties_pos_wrong_shape.xyz": (2, "Properties", "pos is R:2"),
        "properties_zero_count.xyz": (2, "Properties", "column count '0'"),
        "second_frame_truncated.xyz": (8, "atom count", "after 1 of 2 atom lines"),
        "singular_cell.xyz": (2, "Lattice", "linearly dependent"),
        "species_and_Z_disagree.xyz": (4, "Z", "disagrees with species Si"),
        "too_few_columns.xyz": (4, "forces", "the line has 5 columns but Properties=species:S:1:pos:R:3:forces:R:3 declares 7"),
        "too_many_columns.xyz": (4, "Properties", "the line has 5 columns"),
        "truncated_frame.xyz": (5, "atom count", "after 2 of 3 atom lines"),
        "unknown_element.xyz": (4, "species", "found 'Xx'"),
        "unterminated_quote.xyz": (2, "Lattice", "unterminated quote"),
    ]

    func testEveryMalformedFileIsRefusedWithLineAndField() throws {
        let directory = TestPaths.fixtures + "/malformed"
        let files = try TestPaths.listDirectory(directory).sorted()
        XCTAssertEqual(Set(files), Set(Self.expectations.keys), "every fixture needs an expectation and vice versa")
        for file in files {
            guard let expected = Self.expectations[file] else { continue }
            let path = directory + "/" + file
            for (mode, read) in [
                ("file", { try ExtendedXYZReader.readAll(path: path) }),
                ("memory", { try ExtendedXYZReader.readAll(bytes: try readBytes(path), name: path) }),
            ] as [(String, () throws -> [Structure])] {
                do {
                    let structures = try read()
                    XCTFail("\(file) (\(mode)): read \(structures.count) frames, expected an error")
                } catch let error as InputError {
                    XCTAssertEqual(error.file, path, "\(file) (\(mode))")
                    XCTAssertEqual(error.line, expected.line, "\(file) (\(mode)): \(error)")
                    XCTAssertEqual(error.field, expected.field, "\(file) (\(mode)): \(error)")
                    XCTAssertTrue(error.message.contains(expected.says), "\(file) (\(mode)): '\(error.message)' should contain '\(expected.says)'")
                } catch {
                    XCTFail("\(file) (\(mode)): unexpected error type \(error)")
                }
            }
        }
    }

    func testStreamingReturnsGoodFramesBeforeTheBadOneAndKeepsFailing() throws {
        let path = TestPaths.fixtures + "/malformed/second_frame_truncated.xyz"
        var reader = try ExtendedXYZReader(path: path)
        let first = try XCTUnwrap(try reader.next())
        XCTAssertEqual(first.count, 2)
        XCTAssertThrowsError(try reader.next())
        XCTAssertThrowsError(try reader.next(), "a failed reader keeps reporting its error")
    }

    func testUnreadableFileIsAnInputError() {
        XCTAssertThrowsError(try ExtendedXYZReader(path: "/nonexistent/file.xyz")) { error in
            XCTAssertEqual((error as? InputError)?.file, "/nonexistent/file.xyz")
        }
        XCTAssertThrowsError(try ExtendedXYZReader.readAll(path: TestPaths.fixtures)) { error in
            XCTAssertTrue((error as? InputError)?.message.contains("directory") ?? false, "\(error)")
        }
    }

    /// Random bytes and random corruptions of a valid file never crash: they parse or throw.
    func testRandomCorruptionNeverCrashes() throws {
        let valid = Array("""
        3
        Lattice="5.0 0.0 0.0 0.0 5.0 0.0 0.0 0.0 5.0" Properties=species:S:1:pos:R:3:forces:R:3:tag:I:1:fixed:L:1:label:S:1 energy=-1.5 name="a b" pbc="T T F"
        Si 0.0 0.0 0.0 0.1 0.2 0.3 1 T x
        O 1.0 1.0 1.0 0.1 0.2 0.3 2 F y
        H 2.0 2.0 2.0 0.1 0.2 0.3 3 T z

        """.utf8)
        var generator = SplitMix64(seed: 7)
        let alphabet = Array(" \t\n\"'[]{}=:\\.-+e0123456789TFSiO\u{0}".utf8) + [0xFF, 0xC3]
        for trial in 0..<3000 {
            var bytes = valid
            let edits = 1 + Int(generator.next() % 4)
            for _ in 0..<edits {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: position)
                }
            }
            do {
                for structure in try ExtendedXYZReader.readAll(bytes: bytes, name: "trial\(trial)") {
                    XCTAssertEqual(structure.atomicNumbers.count, structure.positions.count)
                    XCTAssertTrue(structure.positions.allSatisfy { $0.x.isFinite && $0.y.isFinite && $0.z.isFinite })
                }
            } catch let error as InputError {
                XCTAssertNotNil(error.line, "trial \(trial): \(error)")
                XCTAssertNotNil(error.field, "trial \(trial): \(error)")
            }
        }
        for trial in 0..<300 {
            let count = Int(generator.next() % 300)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? ExtendedXYZReader.readAll(bytes: bytes, name: "random\(trial)")
        }
    }
}

