import Descriptors
import LinearAlgebra

/// The GAP dot-product kernel on descriptor vectors, k(d, x) = δ² (d · x)^ζ, with its sparse
/// (representative) points.
///
/// For normalised SOAP vectors d · x is the cosine similarity of two environments, and raising it
/// to the power ζ sharpens the kernel (Willatt, Musil, Ceriotti 2019). The local energy of an
/// environment d is ε(d) = Σ_m α_m k(d, x_m), and a structure's energy is the sum over its
/// environments.
public struct DotProductKernel: Sendable {
    /// Energy scale δ in eV: the kernel is multiplied by δ².
    public let delta: Double
    /// Integer exponent ζ ≥ 1.
    public let zeta: Int
    /// Number of features per descriptor vector.
    public let featureCount: Int
    /// Sparse points, row-major `sparseCount x featureCount`.
    public let sparsePoints: [Double]

    /// The number of sparse points M.
    public var sparseCount: Int { featureCount == 0 ? 0 : sparsePoints.count / featureCount }

    /// Creates a kernel. `sparsePoints` is row-major with `featureCount` columns.
    public init(delta: Double, zeta: Int, featureCount: Int, sparsePoints: [Double]) {
        precondition(zeta >= 1, "zeta must be a positive integer")
        precondition(featureCount > 0 && sparsePoints.count % featureCount == 0, "sparse points must have featureCount columns")
        self.delta = delta
        self.zeta = zeta
        self.featureCount = featureCount
        self.sparsePoints = sparsePoints
    }

    /// K_MM: the kernel between every pair of sparse points, `M x M` column-major (symmetric).
    public func sparseCovariance() -> [Double] {
        let m = sparseCount
        var g = [Double](repeating: 0, count: m * m)
        sparsePoints.withUnsafeBufferPointer { x in
            g.withUnsafeMutableBufferPointer { out in
                // Column-major G = X Xᵀ: X row-major M x F is column-major F x M, so G = Xsᵀ Xs.
                RawBLAS.syrk(
                    triangle: .upper, transpose: true, n: m, k: featureCount, alpha: 1,
                    a: x.baseAddress, lda: featureCount, beta: 0, c: out.baseAddress, ldc: m)
            }
        }
        let d2 = delta * delta
        for j in 0..<m {
            for i in 0...j {
                let value = d2 * integerPower(g[i + j * m], zeta)
                g[i + j * m] = value
                g[j + i * m] = value
            }
        }
        return g
    }

    /// The block of K_MM for sparse points `rows` x `columns`, column-major: for a factor of K_MM
    /// spread over ranks, where no rank holds all of it. Equal to those entries of
    /// ``sparseCovariance()`` up to round-off (a GEMM here, a SYRK there).
    public func sparseCovariance(rows: Range<Int>, columns: Range<Int>) -> [Double] {
        var g = [Double](repeating: 0, count: rows.count * columns.count)
        guard !rows.isEmpty && !columns.isEmpty else { return g }
        sparsePoints.withUnsafeBufferPointer { x in
            g.withUnsafeMutableBufferPointer { out in
                // X row-major is column-major F x M: G = X[:, rows]ᵀ X[:, columns].
                RawBLAS.gemm(
                    transposeA: true, transposeB: false, m: rows.count, n: columns.count, k: featureCount, alpha: 1,
                    a: x.baseAddress! + rows.lowerBound * featureCount, lda: featureCount,
                    b: x.baseAddress! + columns.lowerBound * featureCount, ldb: featureCount,
                    beta: 0, c: out.baseAddress, ldc: rows.count)
            }
        }
        let d2 = delta * delta
        for k in g.indices { g[k] = d2 * integerPower(g[k], zeta) }
        return g
    }

    /// Similarities G = D Xᵀ between the rows of `values` (`rows x featureCount`, row-major) and
    /// the sparse points, returned column-major `rows x M`.
    @usableFromInline
    func similarities(_ values: UnsafeBufferPointer<Double>, rows: Int) -> [Double] {
        let m = sparseCount
        var g = [Double](repeating: 0, count: rows * m)
        guard rows > 0, m > 0 else { return g }
        sparsePoints.withUnsafeBufferPointer { x in
            g.withUnsafeMutableBufferPointer { out in
                // values row-major rows x F == column-major F x rows (A); X row-major == column-major F x M (B).
                RawBLAS.gemm(
                    transposeA: true, transposeB: false, m: rows, n: m, k: featureCount, alpha: 1,
                    a: values.baseAddress, lda: featureCount, b: x.baseAddress, ldb: featureCount, beta: 0,
                    c: out.baseAddress, ldc: rows)
            }
        }
        return g
    }

    /// Adds this kernel's columns of the (unweighted) design matrix for one structure.
    ///
    /// Writes into `block` (column-major, leading dimension `block.rows`) at columns
    /// `columnOffset ..< columnOffset + M`:
    /// - the energy row (if `rows.energy` is set): Σ_i k(d_i, x_m);
    /// - force rows `rows.forces + 3k + α`: −∂/∂r_kα Σ_i k(d_i, x_m) (needs position gradients);
    /// - virial rows `rows.virial + c` for the c-th of ``DesignRowLayout/virialComponents`` (ab):
    ///   −∂/∂ε_ab Σ_i k(d_i, x_m) (needs strain gradients).
    /// The contributions are added, so several descriptor terms can share columns only if they
    /// share sparse points (they normally do not: each term owns its columns).
    /// Work is done in chunks of descriptor rows so that scratch memory stays below about
    /// `scratchBytes`.
    public func addDesignRows(
        for descriptors: DescriptorValues, rows: DesignRowLayout, into block: inout DesignBlock,
        columnOffset: Int, scratchBytes: Int = 64 << 20
    ) {
        let m = sparseCount
        let n = descriptors.rowCount
        let f = featureCount
        guard n > 0, m > 0 else { return }
        precondition(descriptors.featureCount == f, "descriptor and kernel feature counts differ")
        let ld = block.rowCount
        let d2 = delta * delta
        let z = Double(zeta)
        descriptors.values.withUnsafeBufferPointer { values in
            let g = similarities(values, rows: n)
            block.storage.withUnsafeMutableBufferPointer { out in
                if let e = rows.energy {
                    for c in 0..<m {
                        var sum = 0.0
                        for i in 0..<n { sum += integerPower(g[i + c * n], zeta) }
                        out[e + (columnOffset + c) * ld] += d2 * sum
                    }
                }
                guard rows.forces != nil || rows.virial != nil else { return }
                // s_im = δ² ζ G_im^(ζ−1): the derivative of k with respect to G.
                var s = [Double](repeating: 0, count: n * m)
                for idx in 0..<(n * m) { s[idx] = d2 * z * integerPower(g[idx], zeta - 1) }
                if let forceRow = rows.forces, descriptors.hasGradients {
                    addForceRows(descriptors, s: s, forceRow: forceRow, out: out, ld: ld, columnOffset: columnOffset, scratchBytes: scratchBytes)
                }
                if let virialRow = rows.virial, descriptors.hasStrainGradients {
                    addVirialRows(descriptors, s: s, virialRow: virialRow, out: out, ld: ld, columnOffset: columnOffset, scratchBytes: scratchBytes)
                }
            }
        }
    }

    private func addForceRows(
        _ d: DescriptorValues, s: [Double], forceRow: Int, out: UnsafeMutableBufferPointer<Double>,
        ld: Int, columnOffset: Int, scratchBytes: Int
    ) {
        let m = sparseCount
        let n = d.rowCount
        let f = featureCount
        let maxEntries = max(1, scratchBytes / (3 * m * MemoryLayout<Double>.stride))
        // H is written whole by the product (β = 0): no zeroing (it was tens of MB per frame).
        var scratch = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
        defer { scratch.deallocate() }
        var rowStart = 0
        d.gradientValues.withUnsafeBufferPointer { grad in
            sparsePoints.withUnsafeBufferPointer { x in
                while rowStart < n {
                    // Take whole descriptor rows until the chunk's gradient entries fill the scratch.
                    var rowEnd = rowStart + 1
                    while rowEnd < n && d.gradientOffsets[rowEnd + 1] - d.gradientOffsets[rowStart] <= maxEntries { rowEnd += 1 }
                    let p0 = d.gradientOffsets[rowStart]
                    let p1 = d.gradientOffsets[rowEnd]
                    let entries = p1 - p0
                    if entries > 0 {
                        let h = 3 * entries
                        if scratch.count < h * m {
                            scratch.deallocate()
                            scratch = .allocate(capacity: h * m)
                        }
                        // H = grad X ᵀ, column-major h x M.
                        RawBLAS.gemm(
                            transposeA: true, transposeB: false, m: h, n: m, k: f, alpha: 1,
                            a: grad.baseAddress! + 3 * p0 * f, lda: f, b: x.baseAddress, ldb: f, beta: 0,
                            c: scratch.baseAddress, ldc: h)
                        Self.scatterForceColumns(
                            h: UnsafePointer(scratch.baseAddress!), entries: h, s: s, rows: rowStart..<rowEnd, descriptorRows: n,
                            firstEntry: p0, offsets: d.gradientOffsets, atoms: d.gradientAtoms,
                            out: out.baseAddress! + columnOffset * ld + forceRow, ld: ld, columns: m)
                    }
                    rowStart = rowEnd
                }
            }
        }
    }

    /// column_c[3k + α] −= s_ic H[entry, α; c] for every gradient entry (row i, atom k) of `rows`,
    /// two columns at a time so that each entry's atom and offset are read once for both (each
    /// column still receives the same subtractions in the same order).
    @inline(__always)
    private static func scatterForceColumns(
        h: UnsafePointer<Double>, entries: Int, s: [Double], rows: Range<Int>, descriptorRows n: Int, firstEntry p0: Int,
        offsets: [Int], atoms: [Int32], out: UnsafeMutablePointer<Double>, ld: Int, columns m: Int
    ) {
        s.withUnsafeBufferPointer { s in
        offsets.withUnsafeBufferPointer { offsets in
        atoms.withUnsafeBufferPointer { atoms in
            var c = 0
            while c &+ 1 < m {
                let column0 = out + c &* ld, column1 = column0 + ld
                let h0 = h + c &* entries, h1 = h0 + entries
                for row in rows {
                    let s0 = s[row &+ c &* n], s1 = s[row &+ (c &+ 1) &* n]
                    for p in offsets[row]..<offsets[row &+ 1] {
                        let k = 3 &* Int(atoms[p])
                        let local = 3 &* (p &- p0)
                        column0[k] -= s0 * h0[local]
                        column0[k &+ 1] -= s0 * h0[local &+ 1]
                        column0[k &+ 2] -= s0 * h0[local &+ 2]
                        column1[k] -= s1 * h1[local]
                        column1[k &+ 1] -= s1 * h1[local &+ 1]
                        column1[k &+ 2] -= s1 * h1[local &+ 2]
                    }
                }
                c &+= 2
            }
            if c < m {
                let column = out + c &* ld, hc = h + c &* entries
                for row in rows {
                    let sic = s[row &+ c &* n]
                    for p in offsets[row]..<offsets[row &+ 1] {
                        let k = 3 &* Int(atoms[p])
                        let local = 3 &* (p &- p0)
                        column[k] -= sic * hc[local]
                        column[k &+ 1] -= sic * hc[local &+ 1]
                        column[k &+ 2] -= sic * hc[local &+ 2]
                    }
                }
            }
        }
        }
        }
    }

    private func addVirialRows(
        _ d: DescriptorValues, s: [Double], virialRow: Int, out: UnsafeMutableBufferPointer<Double>,
        ld: Int, columnOffset: Int, scratchBytes: Int
    ) {
        let m = sparseCount
        let n = d.rowCount
        let f = featureCount
        let rowsPerChunk = max(1, scratchBytes / (9 * m * MemoryLayout<Double>.stride))
        var scratch = [Double](repeating: 0, count: 9 * min(n, rowsPerChunk) * m)
        d.strainValues.withUnsafeBufferPointer { strain in
            sparsePoints.withUnsafeBufferPointer { x in
                scratch.withUnsafeMutableBufferPointer { hp in
                    var rowStart = 0
                    while rowStart < n {
                        let rowEnd = min(n, rowStart + rowsPerChunk)
                        let h = 9 * (rowEnd - rowStart)
                        RawBLAS.gemm(
                            transposeA: true, transposeB: false, m: h, n: m, k: f, alpha: 1,
                            a: strain.baseAddress! + 9 * rowStart * f, lda: f, b: x.baseAddress, ldb: f, beta: 0,
                            c: hp.baseAddress, ldc: h)
                        for c in 0..<m {
                            let column = out.baseAddress! + (columnOffset + c) * ld + virialRow
                            let hc = hp.baseAddress! + c * h
                            for row in rowStart..<rowEnd {
                                let sic = s[row + c * n]
                                let local = 9 * (row - rowStart)
                                for (c, ab) in DesignRowLayout.virialComponents.enumerated() { column[c] -= sic * hc[local + ab] }
                            }
                        }
                        rowStart = rowEnd
                    }
                }
            }
        }
    }

    /// Predicts this term's contribution to energy, forces and virial of one structure for
    /// coefficients `alpha` (length M).
    ///
    /// Works in the order that avoids the design matrix: v_i = Σ_m α_m ∂k(d_i, x_m)/∂d_i first,
    /// then forces and virial as dot products of v_i with the descriptor gradients.
    public func predict(_ d: DescriptorValues, atomCount: Int, alpha: [Double]) -> Prediction {
        let m = sparseCount
        let n = d.rowCount
        let f = featureCount
        precondition(alpha.count == m, "one coefficient per sparse point")
        var result = Prediction(atomCount: atomCount)
        guard n > 0, m > 0 else { return result }
        let d2 = delta * delta
        let z = Double(zeta)
        result.localCentres = d.centres
        d.values.withUnsafeBufferPointer { values in
            let g = similarities(values, rows: n)
            result.localEnergies = [Double](repeating: 0, count: n)
            // w_im = α_m δ² ζ G_im^(ζ−1), column-major n x M.
            var w = [Double](repeating: 0, count: n * m)
            for c in 0..<m {
                let a = alpha[c]
                for i in 0..<n {
                    let gi = g[i + c * n]
                    let power = integerPower(gi, zeta - 1)
                    result.localEnergies[i] += a * d2 * power * gi
                    w[i + c * n] = a * d2 * z * power
                }
            }
            result.energy = result.localEnergies.reduce(0, +)
            guard d.hasGradients || d.hasStrainGradients else { return }
            // V = W X: n x F, row-major (as column-major F x n: Vᵀ = Xᵀ Wᵀ).
            var v = [Double](repeating: 0, count: n * f)
            sparsePoints.withUnsafeBufferPointer { x in
                w.withUnsafeBufferPointer { wp in
                    v.withUnsafeMutableBufferPointer { vp in
                        RawBLAS.gemm(
                            transposeA: false, transposeB: true, m: f, n: n, k: m, alpha: 1,
                            a: x.baseAddress, lda: f, b: wp.baseAddress, ldb: n, beta: 0, c: vp.baseAddress, ldc: f)
                    }
                }
            }
            v.withUnsafeBufferPointer { vp in
                if d.hasGradients {
                    d.gradientValues.withUnsafeBufferPointer { grad in
                        for row in 0..<n {
                            let vr = vp.baseAddress! + row * f
                            for p in d.gradientOffsets[row]..<d.gradientOffsets[row + 1] {
                                let k = Int(d.gradientAtoms[p])
                                for alpha in 0..<3 {
                                    let gp = grad.baseAddress! + (3 * p + alpha) * f
                                    result.forces[3 * k + alpha] -= RawBLAS.dot(f, vr, gp)
                                }
                            }
                        }
                    }
                }
                if d.hasStrainGradients {
                    d.strainValues.withUnsafeBufferPointer { strain in
                        for row in 0..<n {
                            let vr = vp.baseAddress! + row * f
                            for ab in 0..<9 {
                                result.virial[ab] -= RawBLAS.dot(f, vr, strain.baseAddress! + (9 * row + ab) * f)
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

/// x^n for a small non-negative integer n, by repeated squaring (exact for n ≤ 2, and
/// deterministic: the same operations whatever the caller).
@inlinable @inline(__always)
func integerPower(_ x: Double, _ n: Int) -> Double {
    // The usual exponents written out, with the operations the loop below performs (1 · x is
    // x exactly), so that a loop calling this with a fixed n needs no inner loop.
    switch n {
    case 1: return x
    case 2: return x * x
    case 3: return x * (x * x)
    case 4: return (x * x) * (x * x)
    default: break
    }
    var result = 1.0
    var base = x
    var e = n
    while e > 0 {
        if e & 1 == 1 { result *= base }
        e >>= 1
        if e > 0 { base *= base }
    }
    return result
}
