import LinearAlgebra
import Parallelism
import Support

/// The dot product of two length-n vectors with four fixed partial sums, so that the result
/// depends only on the inputs (never on threads or chunking).
@inlinable
func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var k = 0
    while k + 4 <= n {
        s0 += a[k] * b[k]
        s1 += a[k + 1] * b[k + 1]
        s2 += a[k + 2] * b[k + 2]
        s3 += a[k + 3] * b[k + 3]
        k += 4
    }
    while k < n {
        s0 += a[k] * b[k]
        k += 1
    }
    return (s0 + s1) + (s2 + s3)
}

/// The squared Euclidean distance of two length-n vectors, with fixed partial sums.
@inlinable
func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var k = 0
    while k + 4 <= n {
        let d0 = a[k] - b[k], d1 = a[k + 1] - b[k + 1], d2 = a[k + 2] - b[k + 2], d3 = a[k + 3] - b[k + 3]
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
        k += 4
    }
    while k < n {
        let d = a[k] - b[k]
        s0 += d * d
        k += 1
    }
    return (s0 + s1) + (s2 + s3)
}

/// The index of the largest score among rows not yet selected; ties go to the lowest index
/// (as numpy's argmax). Returns nil when every row is selected.
func argmax(_ scores: [Double], excluding selected: [Bool]) -> Int? {
    var best: Int?
    var bestScore = -Double.infinity
    for i in 0..<scores.count where !selected[i] {
        if best == nil || scores[i] > bestScore {
            best = i
            bestScore = scores[i]
        }
    }
    return best
}

/// The Gram matrix of the features, XᵀX (F x F, full symmetric, column-major = row-major),
/// or of the rows, XXᵀ (N x N), via one BLAS dsyrk call.
///
/// OpenBLAS splits a syrk over threads by output blocks, never along the summed dimension, so
/// every element is summed in the same order whatever the thread count.
func gramMatrix(of m: FeatureMatrix, ofFeatures: Bool) -> [Double] {
    let n = ofFeatures ? m.featureCount : m.rowCount
    var g = [Double](repeating: 0, count: n * n)
    m.values.withUnsafeBufferPointer { px in
        g.withUnsafeMutableBufferPointer { pg in
            // Row-major X (N x F) is the column-major matrix A = Xᵀ (F x N) with lda = F.
            // XᵀX = A Aᵀ (no transpose); XXᵀ = Aᵀ A (transpose).
            RawBLAS.syrk(
                triangle: .upper, transpose: !ofFeatures, n: n, k: ofFeatures ? m.rowCount : m.featureCount, alpha: 1,
                a: px.baseAddress, lda: max(1, m.featureCount), beta: 0, c: pg.baseAddress, ldc: max(1, n))
        }
    }
    // Mirror the upper triangle (column-major: element (i, j) at i + j n, upper means i ≤ j).
    for j in 0..<n {
        for i in 0..<j { g[j + i * n] = g[i + j * n] }
    }
    return g
}

/// y = A x for a full symmetric n x n matrix, row by row with fixed partial sums: the result
/// is the same for every thread count. Rows go in fours so that each load of x serves four rows.
func symmetricMatrixVector(_ a: UnsafePointer<Double>, _ n: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, threads: Int) {
    let workers = n >= 256 ? threads : 1
    let groups = (n + 3) / 4
    parallelChunks(count: groups, threads: workers) { _, range in
        for g in range {
            let i = 4 * g
            if i + 4 <= n {
                let r0 = a + i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n
                var s0 = SIMD2<Double>(), s1 = SIMD2<Double>(), s2 = SIMD2<Double>(), s3 = SIMD2<Double>()
                var k = 0
                while k + 2 <= n {
                    let xv = SIMD2<Double>(x[k], x[k + 1])
                    s0 += SIMD2<Double>(r0[k], r0[k + 1]) * xv
                    s1 += SIMD2<Double>(r1[k], r1[k + 1]) * xv
                    s2 += SIMD2<Double>(r2[k], r2[k + 1]) * xv
                    s3 += SIMD2<Double>(r3[k], r3[k + 1]) * xv
                    k += 2
                }
                var t0 = s0.sum(), t1 = s1.sum(), t2 = s2.sum(), t3 = s3.sum()
                if k < n {
                    t0 += r0[k] * x[k]
                    t1 += r1[k] * x[k]
                    t2 += r2[k] * x[k]
                    t3 += r3[k] * x[k]
                }
                y[i] = t0
                y[i + 1] = t1
                y[i + 2] = t2
                y[i + 3] = t3
            } else {
                for r in i..<n { y[r] = dot(a + r * n, x, n) }
            }
        }
    }
}

/// The `k` largest eigenpairs of a full symmetric n x n matrix, by Lanczos with full
/// reorthogonalisation started from `start` (a warm start from the previous step of an
/// iterative method), falling back to LAPACK dsyevr when Lanczos has not converged within
/// 150 steps. Small matrices (n ≤ 48) go straight to dsyevr.
///
/// - Returns: eigenvalues in descending order with their unit eigenvectors.
func topEigenpairs(_ a: [Double], n: Int, k: Int, start: [Double]?, threads: Int) throws -> (values: [Double], vectors: [[Double]]) {
    precondition(k >= 1 && k <= n)
    func viaLAPACK() throws -> (values: [Double], vectors: [[Double]]) {
        let e = try largestEigenpairs(of: Matrix(rows: n, columns: n, columnMajor: a), count: k)
        let order = Array((0..<k).reversed())
        return (order.map { e.values[$0] }, order.map { j in Array(e.vectors.storage[j * n ..< (j + 1) * n]) })
    }
    if n <= 48 { return try viaLAPACK() }

    let maxSteps = min(n, 150)
    let tolerance = 1e-12
    var lanczos = LanczosBasis(size: n, capacity: maxSteps)
    var alpha: [Double] = []
    var beta: [Double] = []
    var w = [Double](repeating: 0, count: n)
    var injectedAt = -1

    // First vector.
    if let start, start.count == n, case let norm = start.withUnsafeBufferPointer({ dot($0.baseAddress!, $0.baseAddress!, n) }).squareRoot(),
       norm > 0, norm.isFinite {
        lanczos.set(0, to: start.map { $0 / norm })
    } else {
        guard let v = lanczos.randomUnitVector(orthogonalTo: 0) else { return try viaLAPACK() }
        lanczos.set(0, to: v)
    }

    for j in 0..<maxSteps {
        a.withUnsafeBufferPointer { pa in
            lanczos.basis.withUnsafeBufferPointer { pq in
                w.withUnsafeMutableBufferPointer { pw in
                    symmetricMatrixVector(pa.baseAddress!, n, pq.baseAddress! + j * n, pw.baseAddress!, threads: threads)
                }
            }
        }
        let aj = lanczos.basis.withUnsafeBufferPointer { pq in w.withUnsafeBufferPointer { dot(pq.baseAddress! + j * n, $0.baseAddress!, n) } }
        alpha.append(aj)
        // Full reorthogonalisation, twice ("twice is enough"), replaces the three-term recurrence.
        lanczos.orthogonalise(&w, against: j + 1)
        lanczos.orthogonalise(&w, against: j + 1)
        let bj = w.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, n) }.squareRoot()
        let m = j + 1
        let scale = max(alpha.map(abs).max() ?? 0, beta.max() ?? 0, 1e-300)
        let breakdown = bj <= 1e-13 * scale

        // After a breakdown (an invariant subspace, e.g. a start vector that is an eigenvector)
        // convergence is not trusted until a fresh direction has been explored for 5 steps.
        let trusted = m == n || (!breakdown && (injectedAt < 0 || m - injectedAt > 5))
        if m >= k && (m % 5 == 0 || breakdown || m == maxSteps) && trusted {
            let t = try symmetricTridiagonalEigendecomposition(diagonal: alpha, offDiagonal: beta)
            let top = Array(((m - k)..<m).reversed())
            let thetaMax = max(abs(t.values[m - 1]), abs(t.values[0]), 1e-300)
            let converged = top.allSatisfy { idx in bj * abs(t.vectors[m - 1, idx]) <= tolerance * thetaMax }
            if converged || m == n {
                return (top.map { t.values[$0] }, top.map { lanczos.ritzVector(t.vectors, column: $0, steps: m) })
            }
        }
        guard m < maxSteps else { break }
        if breakdown {
            // Invariant subspace: continue in a fresh direction so that no eigenvalue is missed.
            guard let v = lanczos.randomUnitVector(orthogonalTo: m) else { break }
            beta.append(0)
            lanczos.set(m, to: v)
            injectedAt = m
        } else {
            beta.append(bj)
            lanczos.set(m, to: w.map { $0 / bj })
        }
    }
    return try viaLAPACK()
}

/// The Lanczos vectors of ``topEigenpairs``, one per row, with the operations on them.
private struct LanczosBasis {
    let size: Int
    var basis: [Double]
    var generator = SplitMix64(seed: 0x5EED_1A2C_7E55)

    init(size: Int, capacity: Int) {
        self.size = size
        basis = [Double](repeating: 0, count: capacity * size)
    }

    mutating func set(_ row: Int, to v: [Double]) {
        basis.replaceSubrange(row * size ..< (row + 1) * size, with: v)
    }

    /// v minus its components along the first `m` vectors.
    func orthogonalise(_ v: inout [Double], against m: Int) {
        let n = size
        basis.withUnsafeBufferPointer { pq in
            v.withUnsafeMutableBufferPointer { pv in
                for i in 0..<m {
                    let q = pq.baseAddress! + i * n
                    let c = dot(q, pv.baseAddress!, n)
                    for t in 0..<n { pv[t] -= c * q[t] }
                }
            }
        }
    }

    /// A seeded random unit vector orthogonal to the first `m` vectors, or nil if they span.
    mutating func randomUnitVector(orthogonalTo m: Int) -> [Double]? {
        let n = size
        for _ in 0..<4 {
            var v = (0..<n).map { _ in Double(generator.next() >> 11) * 0x1.0p-53 - 0.5 }
            for _ in 0..<2 { orthogonalise(&v, against: m) }
            let norm = v.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, n) }.squareRoot()
            if norm > 1e-8 { return v.map { $0 / norm } }
        }
        return nil
    }

    /// The unit Ritz vector Σᵢ t[i, column] qᵢ over the first `steps` vectors.
    func ritzVector(_ t: Matrix, column: Int, steps m: Int) -> [Double] {
        let n = size
        var v = [Double](repeating: 0, count: n)
        for i in 0..<m {
            let s = t[i, column]
            for r in 0..<n { v[r] += s * basis[i * n + r] }
        }
        let norm = v.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, n) }.squareRoot()
        return v.map { $0 / norm }
    }
}
