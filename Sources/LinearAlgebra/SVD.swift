import CLapack

/// A thin singular value decomposition A = U diag(s) Vᵀ of an m x n matrix, r = min(m, n).
public struct SingularValueDecomposition: Sendable {
    /// Left singular vectors as columns (m x r).
    public var u: Matrix
    /// Singular values in descending order (r of them, ≥ 0).
    public var singularValues: [Double]
    /// Right singular vectors as rows (r x n).
    public var vt: Matrix
}

/// The thin SVD of `a` via LAPACK dgesdd (divide and conquer).
///
/// - Throws: ``LinearAlgebraError`` if the algorithm fails to converge.
public func singularValueDecomposition(_ a: Matrix) throws -> SingularValueDecomposition {
    let m = a.rows, n = a.columns, r = min(m, n)
    var work = a
    var s = [Double](repeating: 0, count: r)
    var u = Matrix(rows: m, columns: r)
    var vt = Matrix(rows: r, columns: n)
    guard r > 0 else { return SingularValueDecomposition(u: u, singularValues: s, vt: vt) }
    let info = work.storage.withUnsafeMutableBufferPointer { pa in
        s.withUnsafeMutableBufferPointer { ps in
            u.storage.withUnsafeMutableBufferPointer { pu in
                vt.storage.withUnsafeMutableBufferPointer { pv in
                    LAPACKE_dgesdd(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "S")), Int32(m), Int32(n), pa.baseAddress, Int32(m),
                                   ps.baseAddress, pu.baseAddress, Int32(m), pv.baseAddress, Int32(r))
                }
            }
        }
    }
    if info > 0 { throw LinearAlgebraError("dgesdd: the SVD failed to converge (info \(info))") }
    precondition(info == 0, "dgesdd: invalid argument \(-info)")
    return SingularValueDecomposition(u: u, singularValues: s, vt: vt)
}
