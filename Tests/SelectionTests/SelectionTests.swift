import AtomicStructures
import Foundation
import LinearAlgebra
import Support
import XCTest
@testable import Selection

/// The committed skmatter fixtures (see Fixtures/generate_skmatter_fixtures.py).
struct Fixtures: Decodable {
    struct Case: Decodable {
        var name: String
        var method: String
        var k: Int?
        var initialize: Int?
        var rows: Int
        var features: Int
        var values: [Double]
        var count: Int
        var selected: [Int]

        var matrix: FeatureMatrix { FeatureMatrix(rowCount: rows, featureCount: features, values: values) }
    }
    struct RandomReference: Decodable {
        struct Selection: Decodable {
            var rows: Int
            var count: Int
            var seed: UInt64
            var selected: [Int]
        }
        var splitmix64_seed0_first: String
        var xoshiro_seed1_first8: [String]
        var xoshiro_seed42_below_1000003: [Int]
        var selections: [Selection]
    }
    var skmatter: String
    var cases: [Case]
    var random: RandomReference

    static let shared: Fixtures = {
        let url = Bundle.module.url(forResource: "skmatter_fixtures", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }()
}

/// A deterministic test matrix: rows with a decaying spectrum.
func testMatrix(rows: Int, features: Int, seed: UInt64, decay: Double = 0.9) -> FeatureMatrix {
    var rng = Xoshiro256StarStar(seed: seed)
    var values = [Double](repeating: 0, count: rows * features)
    for i in 0..<rows {
        for j in 0..<features {
            values[i * features + j] = (rng.nextUnitInterval() - 0.5) * pow(decay, Double(j))
        }
    }
    return FeatureMatrix(rowCount: rows, featureCount: features, values: values)
}

final class SkmatterFixtureTests: XCTestCase {
    func testIterativeCURReproducesSkmatter() throws {
        let cases = Fixtures.shared.cases.filter { $0.method == "cur" }
        XCTAssertEqual(cases.count, 7)
        for c in cases {
            let picked = try CURSelection(count: c.count, variant: .iterative, singularVectorCount: c.k)
                .selectInOrder(from: c.matrix, threads: 2)
            XCTAssertEqual(picked, c.selected, c.name)
        }
    }

    func testFPSReproducesSkmatter() throws {
        let cases = Fixtures.shared.cases.filter { $0.method == "fps" }
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let picked = try FPSSelection(count: c.count, start: .index(c.initialize ?? 0)).selectInOrder(from: c.matrix, threads: 2)
            XCTAssertEqual(picked, c.selected, c.name)
            XCTAssertEqual(try FPSSelection(count: c.count, start: .index(c.initialize ?? 0)).select(from: c.matrix), c.selected.sorted())
        }
    }

    /// Feature (column) selection: `skmatter.feature_selection.CUR` and `.FPS`, the known
    /// examples the SOAP term's `n_features` relies on.
    func testColumnSelectionReproducesSkmatterFeatureSelection() throws {
        let cur = Fixtures.shared.cases.filter { $0.method == "feature_cur" }
        XCTAssertEqual(cur.count, 3)
        for c in cur {
            let selection = CURSelection(count: c.count, variant: .iterative, singularVectorCount: c.k)
            XCTAssertEqual(try selection.selectColumnsInOrder(from: c.matrix, threads: 2), c.selected, c.name)
            XCTAssertEqual(try selection.selectColumns(from: c.matrix, threads: 1), c.selected.sorted(), c.name)
        }
        XCTAssertEqual(cur.first { $0.name == "feature_cur_doc_example" }?.selected, [2, 1])
        let fps = Fixtures.shared.cases.filter { $0.method == "feature_fps" }
        XCTAssertEqual(fps.count, 1)
        for c in fps {
            XCTAssertEqual(try FPSSelection(count: c.count, start: .index(c.initialize ?? 0)).selectColumnsInOrder(from: c.matrix, threads: 2), c.selected, c.name)
        }
    }

    func testTranspose() {
        let m = testMatrix(rows: 45, features: 70, seed: 3)
        let t = m.transposed
        XCTAssertEqual(t.rowCount, 70)
        XCTAssertEqual(t.featureCount, 45)
        for i in 0..<45 { for j in 0..<70 { XCTAssertEqual(t.values[j * 45 + i], m.values[i * 70 + j]) } }
        XCTAssertEqual(t.transposed.values, m.values)
    }

    func testGeneratorAndRandomSelectionMatchTheIndependentPythonImplementation() throws {
        let r = Fixtures.shared.random
        var mix = SplitMix64(seed: 0)
        XCTAssertEqual(mix.next(), 0xE220_A839_7B1D_CDAF)  // the published first output for seed 0
        XCTAssertEqual(String(SplitMix64(seed: 0).nextValue()), r.splitmix64_seed0_first)
        var x = Xoshiro256StarStar(seed: 1)
        XCTAssertEqual((0..<8).map { _ in String(x.next()) }, r.xoshiro_seed1_first8)
        var y = Xoshiro256StarStar(seed: 42)
        XCTAssertEqual(y.nextInt(below: 1_000_003), r.xoshiro_seed42_below_1000003[0])
        for s in r.selections {
            XCTAssertEqual(try RandomSelection(count: s.count, seed: s.seed).select(fromRowCount: s.rows), s.selected)
        }
    }
}

private extension SplitMix64 {
    func nextValue() -> UInt64 {
        var copy = self
        return copy.next()
    }
}

final class CURTests: XCTestCase {
    func testDocumentationExample() throws {
        let x = FeatureMatrix(rows: [[0.12, 0.21, -0.11], [-0.09, 0.32, 0.51], [-0.03, 0.53, 0.14], [-0.83, -0.13, 0.82]])
        XCTAssertEqual(try CURSelection(count: 2, variant: .iterative).selectInOrder(from: x), [3, 2])
        XCTAssertEqual(try CURSelection(count: 2, variant: .iterative).select(from: x), [2, 3])
    }

    func testLeverageScoresAgreeWithLAPACKSVD() throws {
        for (rows, features) in [(90, 12), (12, 30), (200, 60)] {
            let m = testMatrix(rows: rows, features: features, seed: UInt64(rows), decay: 0.8)
            let svd = try singularValueDecomposition(Matrix(rows: features, columns: rows, columnMajor: m.values).transposed)
            for k in [1, 3, 7] {
                let scores = try LeverageScores(matrix: m, rank: k)
                XCTAssertEqual(scores.rank, k)
                var expected = [Double](repeating: 0, count: rows)
                for j in 0..<k { for i in 0..<rows { expected[i] += svd.u[i, j] * svd.u[i, j] } }
                for i in 0..<rows { XCTAssertEqual(scores.values[i], expected[i], accuracy: 1e-10, "\(rows)x\(features) k=\(k) row \(i)") }
                XCTAssertEqual(scores.values.reduce(0, +), Double(k), accuracy: 1e-9)
            }
            let full = try LeverageScores(matrix: m)
            XCTAssertEqual(full.numericalRank, min(rows, features))
            XCTAssertEqual(full.rank, min(rows, features) / 2)  // gap_fit: half the numerical rank
        }
        // A rank-2 matrix: rank detected, default k = 1.
        let lowRank = FeatureMatrix(rows: (0..<40).map { i in
            let a = Double(i % 7) - 3, b = Double(i % 5) - 2
            return [a, b, a + b, a - b, 2 * a]
        })
        let s = try LeverageScores(matrix: lowRank)
        XCTAssertEqual(s.numericalRank, 2)
        XCTAssertEqual(s.rank, 1)
    }

    func testLeverageVariants() throws {
        let m = testMatrix(rows: 500, features: 40, seed: 3)
        let p = try LeverageScores(matrix: m).values
        let top = try CURSelection(count: 60, variant: .topLeverage).selectInOrder(from: m)
        let expectedTop = Array((0..<500).sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(60))
        XCTAssertEqual(top, expectedTop)

        let a = try CURSelection(count: 60, seed: 5).select(from: m)
        XCTAssertEqual(a.count, 60)
        XCTAssertEqual(Set(a).count, 60)
        XCTAssertEqual(a, a.sorted())
        XCTAssertEqual(try CURSelection(count: 60, seed: 5).select(from: m, threads: 1), a)
        XCTAssertNotEqual(try CURSelection(count: 60, seed: 6).select(from: m), a)
        // The sampling follows the keys u − π of gap_fit, with u from the seeded generator.
        let k = Double(try LeverageScores(matrix: m).rank)
        var rng = Xoshiro256StarStar(seed: 5)
        let keys = p.map { rng.nextUnitInterval() - min(1, $0 * 60 / k) }
        XCTAssertEqual(a, Array((0..<500).sorted { keys[$0] < keys[$1] }.prefix(60)).sorted())
        // More points than features is fine for the leverage variants (GAP-18: 9000 > 715).
        XCTAssertEqual(try CURSelection(count: 300, seed: 1).select(from: m).count, 300)
    }

    func testIterativeCURRestartsOnceThePicksSpanTheRows() throws {
        let c = Fixtures.shared.cases.first { $0.name == "cur_tall_40x6" }!
        let picked = try CURSelection(count: 20, variant: .iterative).selectInOrder(from: c.matrix)
        XCTAssertEqual(Array(picked.prefix(6)), c.selected)  // skmatter's picks while rank remains
        XCTAssertEqual(picked.count, 20)
        XCTAssertEqual(Set(picked).count, 20)
        // The second pass is the iterative CUR of the rows not yet picked.
        let remaining = (0..<40).filter { !c.selected.contains($0) }
        let sub = FeatureMatrix(rows: remaining.map { c.matrix.row($0) })
        let secondPass = try CURSelection(count: 6, variant: .iterative).selectInOrder(from: sub).map { remaining[$0] }
        XCTAssertEqual(Array(picked[6..<12]), secondPass)
        // Wide matrices restart too (rank = number of rows here, so all rows can be picked).
        let wide = Fixtures.shared.cases.first { $0.name == "cur_wide_8x20" }!
        XCTAssertEqual(try CURSelection(count: 8, variant: .iterative).select(from: wide.matrix), Array(0..<8))
    }

    func testIterativeCURWithDegenerateRows() throws {
        // All-zero rows: nothing to rank, the picks fall back to the lowest indices.
        let zeros = FeatureMatrix(rowCount: 10, featureCount: 3, values: [Double](repeating: 0, count: 30))
        XCTAssertEqual(try CURSelection(count: 4, variant: .iterative).select(from: zeros), [0, 1, 2, 3])
        // Duplicated rows: the second copy is never picked before distinct rows are exhausted.
        let base = testMatrix(rows: 5, features: 8, seed: 9)
        let doubled = FeatureMatrix(rows: (0..<10).map { base.row($0 % 5) })
        let picked = try CURSelection(count: 5, variant: .iterative).select(from: doubled)
        XCTAssertEqual(Set(picked.map { $0 % 5 }).count, 5)
    }

    func testLanczosAgreesWithLAPACK() throws {
        for (n, seed) in [(60, 1), (200, 2), (149, 3)] {
            let x = testMatrix(rows: n + 20, features: n, seed: UInt64(seed), decay: 0.97)
            let g = gramMatrix(of: x, ofFeatures: true)
            for start in [nil, [Double](repeating: 1, count: n)] {
                let (values, vectors) = try topEigenpairs(g, n: n, k: 3, start: start, threads: 2)
                let reference = try largestEigenpairs(of: Matrix(rows: n, columns: n, columnMajor: g), count: 3)
                for j in 0..<3 {
                    let r = 2 - j
                    XCTAssertEqual(values[j], reference.values[r], accuracy: 1e-10 * reference.values[2])
                    let overlap = (0..<n).reduce(0.0) { $0 + vectors[j][$1] * reference.vectors[$1, r] }
                    XCTAssertEqual(abs(overlap), 1, accuracy: 1e-8, "n=\(n) pair \(j)")
                }
            }
        }
        // A start vector that is an eigenvector of a small eigenvalue must not trap Lanczos.
        let n = 80
        var diagonal = [Double](repeating: 0, count: n * n)
        for i in 0..<n { diagonal[i + i * n] = Double(i + 1) }
        var start = [Double](repeating: 0, count: n)
        start[3] = 1
        let (values, vectors) = try topEigenpairs(diagonal, n: n, k: 1, start: start, threads: 1)
        XCTAssertEqual(values[0], Double(n), accuracy: 1e-9)
        XCTAssertEqual(abs(vectors[0][n - 1]), 1, accuracy: 1e-8)
        // A tight cluster that Lanczos cannot resolve in 150 steps: the LAPACK fallback answers.
        let m = 300
        var cluster = [Double](repeating: 0, count: m * m)
        for i in 0..<m { cluster[i + i * m] = 1 + 1e-9 * Double(i) }
        let (top, topVectors) = try topEigenpairs(cluster, n: m, k: 1, start: [Double](repeating: 1, count: m), threads: 2)
        XCTAssertEqual(top[0], 1 + 1e-9 * Double(m - 1), accuracy: 1e-15)
        XCTAssertEqual(abs(topVectors[0][m - 1]), 1, accuracy: 1e-8)
    }
}

final class FPSTests: XCTestCase {
    func testKernelMetricAndRandomStart() throws {
        // Normalised non-negative rows: the kernel metric orders rows as the Euclidean one.
        let soap = Fixtures.shared.cases.first { $0.name == "fps_soap_like_120x20" }!
        let euclidean = try FPSSelection(count: 30).selectInOrder(from: soap.matrix)
        let kernel = try FPSSelection(count: 30, metric: .dotProductKernel(zeta: 1)).selectInOrder(from: soap.matrix)
        XCTAssertEqual(kernel, euclidean)
        XCTAssertEqual(try FPSSelection(count: 30, metric: .dotProductKernel(zeta: 4)).selectInOrder(from: soap.matrix), euclidean)
        // Seeded first point: the generator's first draw.
        var rng = Xoshiro256StarStar(seed: 11)
        let first = rng.nextInt(below: soap.rows)
        let r = try FPSSelection(count: 10, start: .random(seed: 11)).selectInOrder(from: soap.matrix)
        XCTAssertEqual(r.first, first)
        XCTAssertEqual(try FPSSelection(count: 10, start: .random(seed: 11)).selectInOrder(from: soap.matrix), r)
        // Hand-checked: on a line, FPS from 0 goes to the far end, then to the largest gap.
        let line = FeatureMatrix(rows: [[0], [1], [2], [3], [4], [10]])
        XCTAssertEqual(try FPSSelection(count: 4).selectInOrder(from: line), [0, 5, 4, 2])
        // Identical rows: once everything is at distance 0, the lowest unpicked indices follow.
        let same = FeatureMatrix(rows: [[1, 1], [1, 1], [2, 2], [1, 1]])
        XCTAssertEqual(try FPSSelection(count: 4).selectInOrder(from: same), [0, 2, 1, 3])
        XCTAssertThrowsError(try FPSSelection(count: 2, start: .index(9)).select(from: same)) {
            XCTAssertEqual($0 as? SelectionError, .startOutOfRange(index: 9, rowCount: 4))
        }
    }
}

final class DeterminismAndErrorTests: XCTestCase {
    func testSameResultForEveryThreadCountAndRun() throws {
        let tall = testMatrix(rows: 3000, features: 60, seed: 21)
        let wide = testMatrix(rows: 70, features: 90, seed: 22)
        for m in [tall, wide] {
            let count = m.rowCount > m.featureCount ? 80 : 40
            var results: [[Int]] = []
            for threads in [1, 2, 3, 8] {
                results.append(try CURSelection(count: count, variant: .iterative).selectInOrder(from: m, threads: threads))
                results.append(try CURSelection(count: count, seed: 4).selectInOrder(from: m, threads: threads))
                results.append(try FPSSelection(count: count).selectInOrder(from: m, threads: threads))
                results.append(try FPSSelection(count: count, metric: .dotProductKernel(zeta: 2)).selectInOrder(from: m, threads: threads))
            }
            for t in 1..<4 {
                for s in 0..<4 { XCTAssertEqual(results[4 * t + s], results[s], "selector \(s), thread setting \(t)") }
            }
        }
    }

    func testInvalidRequestsAreExplained() throws {
        let m = testMatrix(rows: 10, features: 3, seed: 1)
        for selector in [
            { try CURSelection(count: 11).select(from: m) }, { try CURSelection(count: 11, variant: .iterative).select(from: m) },
            { try FPSSelection(count: 11).select(from: m) }, { try RandomSelection(count: 11, seed: 1).select(from: m) },
        ] as [() throws -> [Int]] {
            XCTAssertThrowsError(try selector()) { error in
                XCTAssertEqual(error as? SelectionError, .tooManyPoints(requested: 11, available: 10))
                XCTAssertTrue("\(error)".contains("set n_sparse to at most 10"), "\(error)")
            }
        }
        XCTAssertEqual(try CURSelection(count: 10, variant: .iterative).select(from: m), Array(0..<10))
        XCTAssertThrowsError(try CURSelection(count: 0).select(from: m)) { XCTAssertEqual($0 as? SelectionError, .invalidCount(0)) }
        var values = m.values
        values[2 * 3 + 1] = .nan
        let bad = FeatureMatrix(rowCount: 10, featureCount: 3, values: values)
        for selector in [
            { try CURSelection(count: 2).select(from: bad) }, { try CURSelection(count: 2, variant: .iterative).select(from: bad) },
            { try FPSSelection(count: 2).select(from: bad) }, { try RandomSelection(count: 2, seed: 1).select(from: bad) },
        ] as [() throws -> [Int]] {
            XCTAssertThrowsError(try selector()) { error in
                guard case .nonFiniteFeature(let row, let feature, _)? = error as? SelectionError else { return XCTFail("\(error)") }
                XCTAssertEqual([row, feature], [2, 1])
            }
        }
        XCTAssertThrowsError(try CURSelection(count: 1).select(from: FeatureMatrix(rowCount: 0, featureCount: 3, values: []))) {
            XCTAssertEqual($0 as? SelectionError, .empty)
        }
    }

    func testRandomSelection() throws {
        let a = try RandomSelection(count: 50, seed: 3).select(fromRowCount: 1000)
        XCTAssertEqual(a.count, 50)
        XCTAssertEqual(Set(a).count, 50)
        XCTAssertEqual(a, a.sorted())
        XCTAssertTrue(a.allSatisfy { (0..<1000).contains($0) })
        XCTAssertEqual(try RandomSelection(count: 50, seed: 3).select(fromRowCount: 1000), a)
        XCTAssertNotEqual(try RandomSelection(count: 50, seed: 4).select(fromRowCount: 1000), a)
        XCTAssertEqual(try RandomSelection(count: 7, seed: 3).select(fromRowCount: 7), Array(0..<7))
        // Roughly uniform: each of 10 rows picked about 3 times in 10 draws of 3 over 100 seeds... use many seeds.
        var hits = [Int](repeating: 0, count: 10)
        for seed in 0..<2000 { for i in try RandomSelection(count: 3, seed: UInt64(seed)).select(fromRowCount: 10) { hits[i] += 1 } }
        XCTAssertTrue(hits.allSatisfy { abs($0 - 600) < 100 }, "\(hits)")
        var rng = Xoshiro256StarStar(seed: 8)
        let u = (0..<10000).map { _ in rng.nextUnitInterval() }
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(u.reduce(0, +) / 10000, 0.5, accuracy: 0.01)
    }

    func testUniformGrid() throws {
        XCTAssertEqual(try UniformSelection(count: 5).points(spanning: [2.5, 1.0, 3.0, 2.0]), [1.0, 1.5, 2.0, 2.5, 3.0])
        XCTAssertEqual(try UniformSelection(count: 1).points(spanning: [1.0, 3.0]), [2.0])
        XCTAssertEqual(try UniformSelection(count: 3).points(spanning: FeatureMatrix(rows: [[4.0], [0.0]])), [0, 2, 4])
        // More points than data values is fine: the points are not data rows.
        XCTAssertEqual(try UniformSelection(count: 4).points(spanning: [0.0, 3.0]), [0, 1, 2, 3])
        XCTAssertThrowsError(try UniformSelection(count: 3).points(spanning: [2.0, 2.0])) { XCTAssertEqual($0 as? SelectionError, .noRange(value: 2)) }
        XCTAssertThrowsError(try UniformSelection(count: 3).points(spanning: FeatureMatrix(rows: [[1, 2]]))) {
            XCTAssertEqual($0 as? SelectionError, .notOneDimensional(featureCount: 2))
        }
        XCTAssertThrowsError(try UniformSelection(count: 3).points(spanning: [])) { XCTAssertEqual($0 as? SelectionError, .empty) }
        XCTAssertThrowsError(try UniformSelection(count: 3).points(spanning: [1, .infinity])) {
            XCTAssertEqual($0 as? SelectionError, .nonFiniteFeature(row: 1, feature: 0, value: .infinity))
        }
    }

    func testSparseIndexFiles() throws {
        let text = "# picked by hand\n3\n  1 \r\n\n10\n"
        XCTAssertEqual(try SparseIndexFile.parse(text, name: "s.idx"), [0, 2, 9])
        XCTAssertEqual(try SparseIndexFile.parse(text, name: "s.idx", base: .zeroBased, rowCount: 11), [1, 3, 10])
        func assertError(_ text: String, base: SparseIndexFile.Base = .oneBased, rows: Int? = 10, line: Int?, _ fragment: String, file: StaticString = #filePath, l: UInt = #line) {
            XCTAssertThrowsError(try SparseIndexFile.parse(text, name: "s.idx", base: base, rowCount: rows), file: file, line: l) { error in
                let e = error as! InputError
                XCTAssertEqual(e.file, "s.idx", file: file, line: l)
                XCTAssertEqual(e.line, line, "\(e)", file: file, line: l)
                XCTAssertTrue(e.message.contains(fragment), "\(e)", file: file, line: l)
            }
        }
        // gap_fit's print_sparse_index: one line, separated by spaces (and a trailing space).
        XCTAssertEqual(try SparseIndexFile.parse("1 3 5 6 8 15 \n", name: "s.idx"), [0, 2, 4, 5, 7, 14])
        XCTAssertEqual(try SparseIndexFile.parse("4\t2\n1\n", name: "s.idx"), [0, 1, 3])
        assertError("1\n2 x\n", line: 2, "found \"x\"")
        assertError("1\nx\n", line: 2, "found \"x\"")
        assertError("1 2\n3 2\n", line: 2, "listed twice (first on line 1)")
        assertError("1\n0\n", line: 2, "below the first environment (1; indices are 1-based)")
        assertError("-1\n", base: .zeroBased, line: 1, "below the first environment (0")
        assertError("11\n", line: 1, "past the last environment (10; there are 10")
        assertError("4\n5\n4\n", line: 3, "listed twice (first on line 1)")
        assertError("# only a comment\n", line: nil, "lists no indices")
        // Round trip through a file.
        let path = NSTemporaryDirectory() + "swiftgap-sparse-\(getpid()).idx"
        try SparseIndexFile.format([4, 0, 7]).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "5\n1\n8\n")
        XCTAssertEqual(try SparseIndexFile.read(path: path, rowCount: 8), [0, 4, 7])
        XCTAssertThrowsError(try SparseIndexFile.read(path: path + ".missing")) { XCTAssertTrue("\($0)".contains("cannot open")) }
    }

    /// A sparse index file that opens but cannot be read (here a directory) is a read error, not
    /// an empty or truncated list of indices.
    func testUnreadableSparseIndexFileIsAReadError() throws {
        let directory = NSTemporaryDirectory() + "swiftgap-sparse-dir-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertThrowsError(try SparseIndexFile.read(path: directory)) { error in
            XCTAssertTrue("\(error)".contains("cannot read the sparse index file"), "\(error)")
        }
    }
}
