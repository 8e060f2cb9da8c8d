import CLapack

/// BLAS on raw column-major storage, for the numeric kernels that work on sub-blocks of larger
/// buffers (rows of descriptor and gradient arrays, scratch blocks) and cannot afford to copy them
/// into a ``Matrix``. Arguments are BLAS's, in its order, with leading dimensions passed through
/// unchanged; shapes are the caller's responsibility. Everything else in the package uses the
/// ``Matrix`` wrappers, so that this module is the only one that calls BLAS or LAPACK.
public enum RawBLAS {
    /// C ← alpha op(A) op(B) + beta C (dgemm), op(A) m x k, op(B) k x n, C m x n.
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>?, lda: Int, b: UnsafePointer<Double>?, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>?, ldc: Int
    ) {
        cblas_dgemm(
            CblasColMajor, cblasTranspose(transposeA), cblasTranspose(transposeB), Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// As ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` with every matrix
    /// row-major (C m x n).
    public static func gemmRowMajor(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>?, lda: Int, b: UnsafePointer<Double>?, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>?, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB), Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The `triangle` of C ← alpha op(A) op(A)ᵀ + beta C (dsyrk), where op(A) is A (n x k) or, with
    /// `transpose`, Aᵀ for A k x n.
    public static func syrk(
        triangle: Triangle, transpose: Bool, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>?, lda: Int, beta: Double, c: UnsafeMutablePointer<Double>?, ldc: Int
    ) {
        cblas_dsyrk(CblasColMajor, triangle.cblas, cblasTranspose(transpose), Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    /// B ← alpha op(T)⁻¹ B (side `.left`) or alpha B op(T)⁻¹ (side `.right`) (dtrsm), B m x n; no
    /// check of T's diagonal (see ``triangularSolve(_:_:transposed:unitDiagonal:side:_:)``).
    public static func trsm(
        side: Side, triangle: Triangle, transpose: Bool, unitDiagonal: Bool, m: Int, n: Int, alpha: Double,
        a: UnsafePointer<Double>?, lda: Int, b: UnsafeMutablePointer<Double>?, ldb: Int
    ) {
        cblas_dtrsm(
            CblasColMajor, side.cblas, triangle.cblas, cblasTranspose(transpose), unitDiagonal ? CblasUnit : CblasNonUnit,
            Int32(m), Int32(n), alpha, a, Int32(lda), b, Int32(ldb))
    }

    /// x · y over `count` contiguous elements (ddot).
    public static func dot(_ count: Int, _ x: UnsafePointer<Double>?, _ y: UnsafePointer<Double>?) -> Double {
        cblas_ddot(Int32(count), x, 1, y, 1)
    }
}
