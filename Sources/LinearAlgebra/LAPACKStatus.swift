import CLapack

/// Which triangle of a square matrix holds the data of a triangular or symmetric matrix.
public enum Triangle: Sendable, Hashable {
    /// Elements (i, j) with i ≤ j.
    case upper
    /// Elements (i, j) with i ≥ j.
    case lower

    @usableFromInline var cblas: CBLAS_UPLO { self == .upper ? CblasUpper : CblasLower }
    @usableFromInline var lapack: Int8 { Int8(UInt8(ascii: self == .upper ? "U" : "L")) }
}

/// The side from which a matrix multiplies another: `.left` means op(T) B, `.right` means B op(T).
public enum Side: Sendable, Hashable {
    /// op(T) B.
    case left
    /// B op(T).
    case right

    @usableFromInline var cblas: CBLAS_SIDE { self == .left ? CblasLeft : CblasRight }
    @usableFromInline var lapack: Int8 { Int8(UInt8(ascii: self == .left ? "L" : "R")) }
}

@usableFromInline func cblasTranspose(_ transposed: Bool) -> CBLAS_TRANSPOSE {
    transposed ? CblasTrans : CblasNoTrans
}

/// A LAPACK option character ('U', 'N', 'T', ...).
@usableFromInline func lapackChar(_ c: Unicode.Scalar) -> Int8 { Int8(bitPattern: UInt8(ascii: c)) }

/// A LAPACK leading dimension: at least 1, as LAPACK demands even for empty matrices.
@usableFromInline func leading(_ n: Int) -> Int32 { Int32(max(1, n)) }

/// Stops on a negative LAPACK info code.
///
/// A negative code means LAPACK rejected one of its arguments. The wrappers in this module
/// check shapes before calling and use the `_work` interfaces (no NaN scan, no hidden
/// allocation), so such a code can only come from a bug in the wrapper itself, never from data.
@usableFromInline func requireValidArguments(_ info: Int32, routine: String, argumentNames: [String]) {
    guard info < 0 else { return }
    let index = Int(-info)
    let name = index <= argumentNames.count ? " (\(argumentNames[index - 1]))" : ""
    preconditionFailure(
        "LinearAlgebra internal error: LAPACK \(routine) rejected argument \(index)\(name); "
            + "this is a bug in the SwiftGAP LinearAlgebra wrapper, please report it")
}

/// The first non-finite element of a matrix, as a `LinearAlgebraError` naming its position.
func checkFinite(_ m: Matrix, name: String) throws {
    let index = m.storage.withUnsafeBufferPointer { p -> Int? in
        for k in 0..<p.count where !p[k].isFinite { return k }
        return nil
    }
    if let k = index {
        let (i, j) = (k % max(1, m.rows), k / max(1, m.rows))
        throw LinearAlgebraError(
            "\(name) contains a non-finite value (\(m.storage[k])) at row \(i), column \(j) (counting from 0)")
    }
}

/// The first non-finite element of a vector, as a `LinearAlgebraError` naming its position.
func checkFinite(_ v: [Double], name: String) throws {
    if let k = v.firstIndex(where: { !$0.isFinite }) {
        throw LinearAlgebraError("\(name) contains a non-finite value (\(v[k])) at index \(k) (counting from 0)")
    }
}

/// The first non-finite element inside `triangle` of a square matrix (the other triangle is not read).
func checkFinite(_ m: Matrix, triangle: Triangle, name: String) throws {
    let n = m.rows
    let position = m.storage.withUnsafeBufferPointer { p -> (Int, Int)? in
        for j in 0..<n {
            let range = triangle == .upper ? 0..<(j + 1) : j..<n
            for i in range where !p[i + j * n].isFinite { return (i, j) }
        }
        return nil
    }
    if let (i, j) = position {
        throw LinearAlgebraError(
            "\(name) contains a non-finite value (\(m[i, j])) at row \(i), column \(j) (counting from 0)")
    }
}
