import Support
import XCTest
@testable import LinearAlgebra

final class BLASTests: XCTestCase {
    func testGemvMatchesLoopsBothOrientations() {
        var rng = SplitMix64(seed: 1)
        let a = randomMatrix(7, 4, &rng)
        let x = randomVector(4, &rng), z = randomVector(7, &rng)
        let ax = naiveProduct(a, Matrix(rows: 4, columns: 1, columnMajor: x)).storage
        XCTAssertLessThan(maxAbsDifference(a * x, ax), 1e-14)
        // y = 2 Aᵀ z + 3 y
        var y = randomVector(4, &rng)
        let expected = naiveProduct(a.transposed, Matrix(rows: 7, columns: 1, columnMajor: z)).storage
            .enumerated().map { 2 * $0.element + 3 * y[$0.offset] }
        gemv(a, transposed: true, z, alpha: 2, beta: 3, into: &y)
        XCTAssertLessThan(maxAbsDifference(y, expected), 1e-14)
        // Empty inner dimension: y = beta y.
        var w = [1.0, 2.0]
        gemv(Matrix(rows: 2, columns: 0), [], beta: 0.5, into: &w)
        XCTAssertEqual(w, [0.5, 1.0])
    }

    func testSyrkAndGramMatrixMatchGemm() {
        var rng = SplitMix64(seed: 2)
        let a = randomMatrix(9, 5, &rng)
        let gram = gramMatrix(of: a)
        let reference = naiveProduct(a.transposed, a)
        XCTAssertLessThan(maxAbsDifference(gram.storage, reference.storage), 1e-13)
        XCTAssertEqual(gram, gram.transposed, "both triangles are filled symmetrically")
        // Lower triangle of 2 A Aᵀ + 1 C; the upper triangle must be left untouched.
        var c = Matrix(rows: 9, columns: 9, repeating: 7)
        syrk(a, alpha: 2, beta: 1, into: &c, triangle: .lower)
        let aat = naiveProduct(a, a.transposed)
        for j in 0..<9 {
            for i in 0..<9 {
                if i >= j { XCTAssertEqual(c[i, j], 2 * aat[i, j] + 7, accuracy: 1e-13) } else { XCTAssertEqual(c[i, j], 7) }
            }
        }
    }

    func testMirrorAndKeepTriangle() {
        let m = Matrix(rows: 3, columns: 3, columnMajor: [1, 2, 3, 4, 5, 6, 7, 8, 9])  // rows [1 4 7; 2 5 8; 3 6 9]
        var up = m
        up.mirrorTriangle(.upper)
        XCTAssertEqual(up.storage, [1, 4, 7, 4, 5, 8, 7, 8, 9])
        var low = m
        low.mirrorTriangle(.lower)
        XCTAssertEqual(low.storage, [1, 2, 3, 2, 5, 6, 3, 6, 9])
        XCTAssertEqual(m.keepingTriangle(.upper).storage, [1, 0, 0, 4, 5, 0, 7, 8, 9])
        XCTAssertEqual(m.keepingTriangle(.lower).storage, [1, 2, 3, 0, 5, 6, 0, 0, 9])
    }

    /// Every triangle/transpose/diagonal/side combination of dtrmv and dtrmm against loops,
    /// with junk in the unused triangle to prove it is not read.
    func testTriangularMultiplyAllVariants() {
        var rng = SplitMix64(seed: 3)
        let full = randomMatrix(5, 5, &rng)
        for triangle in [Triangle.upper, .lower] {
            for transposed in [false, true] {
                for unit in [false, true] {
                    var t = full.keepingTriangle(triangle)
                    if unit { for i in 0..<5 { t[i, i] = 1 } }
                    let op = transposed ? t.transposed : t
                    let x = randomVector(5, &rng)
                    var y = x
                    triangularMultiply(full, triangle, transposed: transposed, unitDiagonal: unit, &y)
                    let expected = naiveProduct(op, Matrix(rows: 5, columns: 1, columnMajor: x)).storage
                    XCTAssertLessThan(maxAbsDifference(y, expected), 1e-14)
                    for side in [Side.left, .right] {
                        let b = side == .left ? randomMatrix(5, 3, &rng) : randomMatrix(3, 5, &rng)
                        var out = b
                        triangularMultiply(full, triangle, transposed: transposed, unitDiagonal: unit, side: side, alpha: -2, &out)
                        let ref = side == .left ? naiveProduct(op, b) : naiveProduct(b, op)
                        XCTAssertLessThan(maxAbsDifference(out.storage, ref.storage.map { -2 * $0 }), 1e-13)
                    }
                }
            }
        }
    }

    /// Solving and multiplying back recovers the right-hand side, for all variants.
    func testTriangularSolveInvertsMultiply() throws {
        var rng = SplitMix64(seed: 4)
        var full = randomMatrix(6, 6, &rng)
        for i in 0..<6 { full[i, i] = 2 + Double(i) }  // well conditioned
        for triangle in [Triangle.upper, .lower] {
            for transposed in [false, true] {
                let b = randomVector(6, &rng)
                var x = b
                try triangularSolve(full, triangle, transposed: transposed, &x)
                triangularMultiply(full, triangle, transposed: transposed, &x)
                XCTAssertLessThan(maxAbsDifference(x, b), 1e-13)
                for side in [Side.left, .right] {
                    let bm = side == .left ? randomMatrix(6, 4, &rng) : randomMatrix(4, 6, &rng)
                    var xm = bm
                    try triangularSolve(full, triangle, transposed: transposed, side: side, &xm)
                    triangularMultiply(full, triangle, transposed: transposed, side: side, &xm)
                    XCTAssertLessThan(maxAbsDifference(xm.storage, bm.storage), 1e-13)
                }
            }
        }
    }

    func testTriangularSolveExplainsSingularAndNonFinite() {
        var t = Matrix(rows: 3, columns: 3, columnMajor: [1, 0, 0, 2, 0, 0, 3, 4, 5])
        var b = [1.0, 2.0, 3.0]
        XCTAssertThrowsError(try triangularSolve(t, .upper, &b)) { error in
            XCTAssertEqual(
                (error as? LinearAlgebraError)?.message,
                "the triangular matrix is singular: diagonal element 1 (counting from 0, of 3) is exactly zero, "
                    + "so the triangular system has no unique solution")
        }
        var bm = Matrix(rows: 2, columns: 3)
        XCTAssertThrowsError(try triangularSolve(t, .upper, side: .right, &bm))
        t[1, 1] = 1
        b[2] = .nan
        XCTAssertThrowsError(try triangularSolve(t, .upper, &b)) { error in
            XCTAssertEqual(
                (error as? LinearAlgebraError)?.message,
                "the right-hand side contains a non-finite value (nan) at row 2, column 0 (counting from 0)")
        }
        b[2] = 1
        t[0, 2] = .infinity
        XCTAssertThrowsError(try triangularSolve(t, .upper, &b))
        XCTAssertNoThrow(try triangularSolve(t, .lower, &b), "the upper triangle is not read by a lower solve")
    }

    func testReciprocalConditionEstimate() {
        let t = Matrix(rows: 2, columns: 2, columnMajor: [1, 0, 0, 1e-12])
        XCTAssertLessThan(reciprocalConditionEstimate(ofTriangular: t, .upper), 1e-11)
        XCTAssertEqual(reciprocalConditionEstimate(ofTriangular: Matrix.identity(4), .lower), 1, accuracy: 1e-15)
    }
}
