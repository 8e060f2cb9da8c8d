/// Gather tables for computing only the kept power-spectrum components (feature selection).
///
/// For kept feature k = (A, B, l) (A ≥ B, full-layout index (A(A+1)/2 + B)(l_max+1) + l), the
/// value is (√2 if A ≠ B) · 1/√(2l+1) · Σ_m c_{A lm} c_{B lm}, and the derivative for a pair of
/// species block s is, as in `SOAPKernels.pairGradient`,
///
///     s_AB ([A ∈ s] (P_α[n_A l] y[B l] + Q[n_A l] g_α[B l]) + [B ∈ s] (P_α[n_B l] y[A l] + Q[n_B l] g_α[A l])),
///
/// so each kept component costs what it costs in the full layout, and unkept ones cost nothing.
struct SelectedFeatureTables: Sendable {
    /// Kept features.
    let count: Int
    /// Offsets of c_{A l, −l} and c_{B l, −l} in the coefficient block (channel · (l_max+1)² + l²).
    let firstCoefficient: [Int32]
    let secondCoefficient: [Int32]
    /// 2l + 1.
    let degeneracy: [Int32]
    /// (√2 if A ≠ B) / √(2l + 1).
    let valueScale: [Double]
    /// √2 if A ≠ B, else 1.
    let pairScale: [Double]
    /// Species block (channel / n_max) of A and of B.
    let firstBlock: [Int32]
    let secondBlock: [Int32]
    /// Index (n_A (l_max+1) + l) into a pair's radial terms, for A and for B.
    let firstRadial: [Int32]
    let secondRadial: [Int32]
    /// Index (A (l_max+1) + l) into the projections y and g, for A and for B.
    let firstProjection: [Int32]
    let secondProjection: [Int32]

    /// Tables for the full-layout feature `indices` (sorted, distinct, in range).
    init(indices: [Int], nMax: Int, lCount: Int) {
        count = indices.count
        let lm = lCount * lCount
        var c1 = [Int32](), c2 = [Int32](), dg = [Int32](), vs = [Double](), ps = [Double]()
        var b1 = [Int32](), b2 = [Int32](), r1 = [Int32](), r2 = [Int32](), p1 = [Int32](), p2 = [Int32]()
        for index in indices {
            let pair = index / lCount, l = index % lCount
            let (a, b) = SelectedFeatureTables.channels(ofPair: pair)
            c1.append(Int32(a * lm + l * l))
            c2.append(Int32(b * lm + l * l))
            dg.append(Int32(2 * l + 1))
            let scale = a == b ? 1.0 : 2.0.squareRoot()
            ps.append(scale)
            vs.append(scale / Double(2 * l + 1).squareRoot())
            b1.append(Int32(a / nMax))
            b2.append(Int32(b / nMax))
            r1.append(Int32((a % nMax) * lCount + l))
            r2.append(Int32((b % nMax) * lCount + l))
            p1.append(Int32(a * lCount + l))
            p2.append(Int32(b * lCount + l))
        }
        firstCoefficient = c1; secondCoefficient = c2; degeneracy = dg; valueScale = vs; pairScale = ps
        firstBlock = b1; secondBlock = b2; firstRadial = r1; secondRadial = r2; firstProjection = p1; secondProjection = p2
    }

    /// The channels (A, B), A ≥ B, of pair index A(A+1)/2 + B.
    static func channels(ofPair pair: Int) -> (Int, Int) {
        var a = Int((Double(8 * pair + 1).squareRoot() - 1) / 2)
        while a * (a + 1) / 2 > pair { a -= 1 }
        while (a + 1) * (a + 2) / 2 <= pair { a += 1 }
        return (a, pair - a * (a + 1) / 2)
    }

    /// The kept components of the (unnormalised) power spectrum.
    @inline(__always)
    func powerSpectrum(coefficients: UnsafePointer<Double>, lmCount: Int, into output: UnsafeMutablePointer<Double>) {
        firstCoefficient.withUnsafeBufferPointer { c1 in
        secondCoefficient.withUnsafeBufferPointer { c2 in
        degeneracy.withUnsafeBufferPointer { dg in
        valueScale.withUnsafeBufferPointer { vs in
            for k in 0..<count {
                let ca = coefficients + Int(c1[k]), cb = coefficients + Int(c2[k])
                var sum = 0.0
                for m in 0..<Int(dg[k]) { sum += ca[m] * cb[m] }
                output[k] = vs[k] * sum
            }
        }
        }
        }
        }
    }

    /// ∂v/∂r_pair of the kept components (before projecting out v̂) for a pair in species block
    /// `channel`; P (`slopeTerms`, 3 x nl) and Q (`radialTerms`, nl) are the pair's radial terms,
    /// y and g (3 x channelCount·L1) the projections. Returns v̂ · out_α if `unitValues` is given.
    @inline(__always)
    func pairGradient(
        channel: Int, channelCount: Int, nlCount nl: Int, lCount: Int, slopeTerms: UnsafePointer<Double>,
        radialTerms: UnsafePointer<Double>, projections: UnsafePointer<Double>, gradientProjections: UnsafePointer<Double>,
        unitValues: UnsafePointer<Double>?, into output: UnsafeMutablePointer<Double>
    ) -> SIMD3<Double> {
        let stride = channelCount * lCount
        let px = slopeTerms, py = slopeTerms + nl, pz = slopeTerms + 2 * nl
        let gx = gradientProjections, gy = gradientProjections + stride, gz = gradientProjections + 2 * stride
        let ox = output, oy = output + count, oz = output + 2 * count
        let block = Int32(channel)
        var dx = 0.0, dy = 0.0, dz = 0.0
        firstBlock.withUnsafeBufferPointer { b1 in
        secondBlock.withUnsafeBufferPointer { b2 in
        firstRadial.withUnsafeBufferPointer { r1 in
        secondRadial.withUnsafeBufferPointer { r2 in
        firstProjection.withUnsafeBufferPointer { p1 in
        secondProjection.withUnsafeBufferPointer { p2 in
        pairScale.withUnsafeBufferPointer { ps in
            for k in 0..<count {
                var x = 0.0, y = 0.0, z = 0.0
                if b1[k] == block {
                    let r = Int(r1[k]), j = Int(p2[k])
                    let yj = projections[j], q = radialTerms[r]
                    x += px[r] * yj + q * gx[j]
                    y += py[r] * yj + q * gy[j]
                    z += pz[r] * yj + q * gz[j]
                }
                if b2[k] == block {
                    let r = Int(r2[k]), j = Int(p1[k])
                    let yj = projections[j], q = radialTerms[r]
                    x += px[r] * yj + q * gx[j]
                    y += py[r] * yj + q * gy[j]
                    z += pz[r] * yj + q * gz[j]
                }
                let s = ps[k]
                x *= s; y *= s; z *= s
                ox[k] = x
                oy[k] = y
                oz[k] = z
                if let unitValues {
                    let v = unitValues[k]
                    dx += v * x
                    dy += v * y
                    dz += v * z
                }
            }
        }
        }
        }
        }
        }
        }
        }
        return SIMD3(dx, dy, dz)
    }
}
