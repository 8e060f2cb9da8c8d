import CSOAPKernels
#if canImport(Glibc)
import Glibc
#endif

/// Orthonormal real spherical harmonics Y_lm(r̂) for l = 0 ... lMax, and their gradients with
/// respect to the (unnormalised) vector r, computed by recursion.
///
/// Convention (the same as featomic's, no Condon–Shortley phase): with (x, y, z) = r̂,
/// c_m + i s_m = (x + i y)^m and Q_l^m(z) = d^m P_l(z) / dz^m,
/// - Y_l0 = N_l0 Q_l^0(z),
/// - Y_lm = N_lm Q_l^m(z) c_m and Y_l,−m = N_lm Q_l^m(z) s_m for m > 0,
/// with N_l0 = √((2l+1)/4π) and N_lm = √(2 (2l+1)/4π (l−m)!/(l+m)!). So Y_1,−1 ∝ y, Y_10 ∝ z and
/// Y_11 ∝ x. The power spectrum does not depend on this choice (any unitary mix of the m
/// components gives the same Σ_m c c).
///
/// Values are stored at index l² + l + m (m = −l ... l).
///
/// Gradients: the polynomial F(x, y, z) = N Q(z) c_m(x, y) equals Y on the unit sphere, so
/// ∇_r Y(r/|r|) = (G − r̂ (r̂ · G)) / |r| with G = ∇F at r̂, using ∂c_m/∂x = m c_{m−1},
/// ∂c_m/∂y = −m s_{m−1}, ∂s_m/∂x = m s_{m−1}, ∂s_m/∂y = m c_{m−1} and ∂Q_l^m/∂z = Q_l^{m+1}.
@usableFromInline
struct RealSphericalHarmonics: Sendable {
    /// The largest l.
    @usableFromInline let lMax: Int
    /// Number of (l, m) components, (lMax + 1)².
    @usableFromInline let componentCount: Int
    /// Q̄_m^m = N_mm (2m − 1)!!, indexed by m.
    @usableFromInline let diagonal: [Double]
    /// Q̄_{m+1}^m = offDiagonal[m] · z · Q̄_m^m.
    @usableFromInline let offDiagonal: [Double]
    /// Q̄_l^m = a[lm] z Q̄_{l−1}^m + b[lm] Q̄_{l−2}^m for l ≥ m + 2, indexed by l(l+1)/2 + m.
    @usableFromInline let recurrenceA: [Double]
    @usableFromInline let recurrenceB: [Double]
    /// ∂Q̄_l^m/∂z = zDerivative[lm] · Q̄_l^{m+1} (0 for m = l), indexed by l(l+1)/2 + m.
    @usableFromInline let zDerivative: [Double]

    /// Precomputes the recursion coefficients up to `lMax`.
    init(lMax: Int) {
        precondition(lMax >= 0)
        self.lMax = lMax
        componentCount = (lMax + 1) * (lMax + 1)
        // log N_lm, with lgamma to stay finite for any l.
        func logNormalisation(_ l: Int, _ m: Int) -> Double {
            let base = log(Double(2 * l + 1) / (4 * Double.pi))
                + lgamma(Double(l - m + 1)) - lgamma(Double(l + m + 1))
            return 0.5 * (m == 0 ? base : base + log(2.0))
        }
        var diagonal = [Double](repeating: 0, count: lMax + 1)
        var offDiagonal = [Double](repeating: 0, count: lMax + 1)
        let triangle = (lMax + 1) * (lMax + 2) / 2
        var a = [Double](repeating: 0, count: triangle)
        var b = [Double](repeating: 0, count: triangle)
        var dz = [Double](repeating: 0, count: triangle)
        for m in 0...lMax {
            // (2m − 1)!! = (2m)! / (2^m m!)
            let logDoubleFactorial = lgamma(Double(2 * m + 1)) - Double(m) * log(2.0) - lgamma(Double(m + 1))
            diagonal[m] = exp(logNormalisation(m, m) + logDoubleFactorial)
            if m + 1 <= lMax {
                offDiagonal[m] = Double(2 * m + 1) * exp(logNormalisation(m + 1, m) - logNormalisation(m, m))
            }
            if m + 2 <= lMax {
                for l in (m + 2)...lMax {
                    let index = l * (l + 1) / 2 + m
                    a[index] = Double(2 * l - 1) / Double(l - m) * exp(logNormalisation(l, m) - logNormalisation(l - 1, m))
                    b[index] = -Double(l + m - 1) / Double(l - m) * exp(logNormalisation(l, m) - logNormalisation(l - 2, m))
                }
            }
        }
        for l in 0...lMax {
            for m in 0..<l {
                dz[l * (l + 1) / 2 + m] = exp(logNormalisation(l, m) - logNormalisation(l, m + 1))
            }
        }
        self.diagonal = diagonal
        self.offDiagonal = offDiagonal
        recurrenceA = a
        recurrenceB = b
        zDerivative = dz
    }

    /// The number of doubles `compute` and `contract` need in `scratch`: 2 (lMax + 1)(lMax + 2)/2 +
    /// 2 (lMax + 2).
    @usableFromInline
    var scratchCount: Int { (lMax + 1) * (lMax + 2) + 2 * (lMax + 2) }

    /// Computes Y_lm(r̂) into `values[l² + l + m]` and, if `gradients` is non-nil, ∂Y_lm/∂r_α
    /// (Å⁻¹) into `gradients[α · componentCount + l² + l + m]`. `vector` must be non-zero.
    @inlinable
    func compute(
        _ vector: SIMD3<Double>, distance: Double, values: UnsafeMutablePointer<Double>,
        gradients: UnsafeMutablePointer<Double>?, scratch: UnsafeMutablePointer<Double>
    ) {
        let (x, y, z, inverse, q, c, s) = angularParts(vector, distance: distance, scratch: scratch)
        for l in 0...lMax {
            let row = l &* (l &+ 1) / 2
            let centre = l &* l &+ l
            values[centre] = q[row]
            if l >= 1 {
                for m in 1...l {
                    values[centre &+ m] = q[row &+ m] * c[m]
                    values[centre &- m] = q[row &+ m] * s[m]
                }
            }
        }
        guard let gradients else { return }
        harmonicGradients(x: x, y: y, z: z, inverse: inverse, q: q, c: c, s: s, into: gradients)
    }

    /// ``compute(_:distance:values:gradients:scratch:)`` without gradients for `count` pairs, eight
    /// at a time (CSOAPKernels; the same bits): pair k is `vectors[pairs[k]]` at
    /// `distances[pairs[k]]`, its values at `values + k (lMax + 1)²`. Only where
    /// ``SOAPKernels/wide(lCount:)`` holds for lMax + 1.
    func computeWide(
        vectors: UnsafePointer<SIMD3<Double>>, distances: UnsafePointer<Double>, pairs: UnsafePointer<Int>, count: Int,
        values: UnsafeMutablePointer<Double>
    ) {
        withWideInputs(vectors: vectors, pairs: pairs, count: count) { components, pairs64, diag, off, a, b in
            swiftgap_soap_harmonics(components, distances, pairs64, Int64(count), Int64(lMax), diag, off, a, b, values)
        }
    }

    /// The angular parts of `count` pairs in blocks of eight pairs (CSOAPKernels
    /// `swiftgap_soap_angular_parts`: field f of pair k of a block at 8 f + k, blocks
    /// 8 ``angularRecordStride`` apart; the same bits as ``angularParts(_:distance:scratch:)``),
    /// for ``pairGradientsWide(records:adjoint:weightedRadial:weightedSlope:count:nMax:vectors:distances:pairs:slots:scratch:gradients:)``.
    /// `records` holds ``angularRecordCapacity(pairCount:)`` doubles. Only where ``SOAPKernels/wide(lCount:)``.
    func angularPartsWide(
        vectors: UnsafePointer<SIMD3<Double>>, distances: UnsafePointer<Double>, pairs: UnsafePointer<Int>, count: Int,
        records: UnsafeMutablePointer<Double>
    ) {
        withWideInputs(vectors: vectors, pairs: pairs, count: count) { components, pairs64, diag, off, a, b in
            swiftgap_soap_angular_parts(components, distances, pairs64, Int64(count), Int64(lMax), diag, off, a, b, records)
        }
    }

    /// The doubles ``angularPartsWide(vectors:distances:pairs:count:records:)`` writes for
    /// `pairCount` pairs: whole blocks of eight.
    func angularRecordCapacity(pairCount: Int) -> Int { 8 * ((pairCount + 7) / 8) * angularRecordStride }

    /// The reverse-mode gradients ∂E/∂r of `count` (1 to 8) pairs of one channel, the pairs in the
    /// lanes of CSOAPKernels `swiftgap_soap_pair_gradients`: per pair h and h′ as
    /// ``SOAPKernels/pairWeights(adjoint:weightedRadial:weightedSlope:nMax:lCount:h:hs:)`` forms them
    /// from the channel's ∂E/∂c (`adjoint`) and the pair's wR and (wR)′ (pair k's at
    /// `weightedRadial + k nMax (lMax + 1)`, likewise `weightedSlope`), then
    /// ∂E/∂r = (Σ h′ Y / r) r⃗ + Σ h ∇Y with the operations of
    /// ``contract(_:distance:weights:valueWeights:scratch:)`` in their order (the same bits).
    /// `records` is the block of ``angularPartsWide(vectors:distances:pairs:count:records:)`` holding
    /// the pairs, pair k is `pairs[k]` of `vectors` and `distances`, and its gradient goes to
    /// `gradients + 3 slots[k]`. `scratch` holds ``pairGradientScratchCount(nMax:)`` doubles.
    func pairGradientsWide(
        records: UnsafePointer<Double>, adjoint: UnsafePointer<Double>, weightedRadial: UnsafePointer<Double>,
        weightedSlope: UnsafePointer<Double>, count: Int, nMax: Int, vectors: UnsafePointer<SIMD3<Double>>,
        distances: UnsafePointer<Double>, pairs: UnsafePointer<Int>, slots: UnsafePointer<Int>,
        scratch: UnsafeMutablePointer<Double>, gradients: UnsafeMutablePointer<Double>
    ) {
        zDerivative.withUnsafeBufferPointer { dz in
            UnsafeRawPointer(vectors).withMemoryRebound(to: Double.self, capacity: 4) { components in
                pairs.withMemoryRebound(to: Int64.self, capacity: count) { pairs64 in
                    slots.withMemoryRebound(to: Int64.self, capacity: count) { slots64 in
                        swiftgap_soap_pair_gradients(
                            records, adjoint, weightedRadial, weightedSlope, Int64(count), Int64(nMax), Int64(lMax),
                            dz.baseAddress!, components, distances, pairs64, slots64, scratch, gradients)
                    }
                }
            }
        }
    }

    /// The scratch doubles of ``pairGradientsWide(records:adjoint:weightedRadial:weightedSlope:count:nMax:vectors:distances:pairs:slots:scratch:gradients:)``.
    func pairGradientScratchCount(nMax: Int) -> Int { 16 * (nMax * (lMax + 1) + componentCount) }

    /// The pair vectors as doubles (four apart), the pair indices as Int64 and the recurrence
    /// tables, as the CSOAPKernels batch functions take them.
    private func withWideInputs(
        vectors: UnsafePointer<SIMD3<Double>>, pairs: UnsafePointer<Int>, count: Int,
        _ body: (UnsafePointer<Double>, UnsafePointer<Int64>, UnsafePointer<Double>, UnsafePointer<Double>,
                 UnsafePointer<Double>, UnsafePointer<Double>) -> Void
    ) {
        diagonal.withUnsafeBufferPointer { diag in
        offDiagonal.withUnsafeBufferPointer { off in
        recurrenceA.withUnsafeBufferPointer { a in
        recurrenceB.withUnsafeBufferPointer { b in
            UnsafeRawPointer(vectors).withMemoryRebound(to: Double.self, capacity: 4) { components in
                pairs.withMemoryRebound(to: Int64.self, capacity: count) { pairs64 in
                    body(components, pairs64, diag.baseAddress!, off.baseAddress!, a.baseAddress!, b.baseAddress!)
                }
            }
        }
        }
        }
        }
    }

    /// For reverse mode: Σ_lm hs_lm Y_lm(r̂) and Σ_lm h_lm ∇_r Y_lm(r̂) at once, without storing
    /// the harmonics or their 3 (lMax + 1)² gradients (the backward pass needs only these two
    /// contractions). With F the polynomial extension (see the type), Σ h ∇Y = (S − r̂ (r̂ · S))/|r|
    /// for S = Σ h ∇F at r̂. `h` and `hs` are indexed as the values (l² + l + m).
    @inlinable
    func contract(
        _ vector: SIMD3<Double>, distance: Double, weights h: UnsafePointer<Double>,
        valueWeights hs: UnsafePointer<Double>, scratch: UnsafeMutablePointer<Double>
    ) -> (value: Double, gradient: SIMD3<Double>) {
        let (x, y, z, inverse, q, c, s) = angularParts(vector, distance: distance, scratch: scratch)
        return contract(x: x, y: y, z: z, inverse: inverse, q: q, c: c, s: s, weights: h, valueWeights: hs, scratch: scratch)
    }

    /// The fields of one pair's angular parts in ``angularPartsWide(vectors:distances:pairs:count:records:)``.
    var angularRecordStride: Int { 4 + (lMax + 1) * (lMax + 2) / 2 + 2 * (lMax + 2) }

    /// The sums of ``contract(_:distance:weights:valueWeights:scratch:)`` from the angular parts.
    @inlinable @inline(__always)
    func contract(
        x: Double, y: Double, z: Double, inverse: Double, q: UnsafePointer<Double>, c: UnsafePointer<Double>,
        s: UnsafePointer<Double>, weights h: UnsafePointer<Double>, valueWeights hs: UnsafePointer<Double>,
        scratch: UnsafeMutablePointer<Double>
    ) -> (value: Double, gradient: SIMD3<Double>) {
        var value = 0.0, sx = 0.0, sy = 0.0, sz = 0.0
        zDerivative.withUnsafeBufferPointer { dz in
            // m = 0: F = Q̄_l^0(z), ∂F/∂z = dz Q̄_l^1.
            for l in 0...lMax {
                let row = l &* (l &+ 1) / 2, centre = l &* l &+ l
                value += hs[centre] * q[row]
                if l >= 1 { sz += h[centre] * (dz[row] * q[row &+ 1]) }
            }
            guard lMax >= 1 else { return }
            // m > 0, m-major: the sums over l for one m are six short independent chains, and the
            // chains of different m overlap (an l-major sum is four chains the length of the table).
            for m in 1...lMax {
                var vc = 0.0, vs = 0.0, xc = 0.0, xs = 0.0, zc = 0.0, zs = 0.0
                for l in m...lMax {
                    let row = l &* (l &+ 1) / 2, centre = l &* l &+ l
                    let qm = q[row &+ m]
                    let dq = m < l ? dz[row &+ m] * q[row &+ m &+ 1] : 0
                    let cosine = h[centre &+ m], sine = h[centre &- m]
                    vc += qm * hs[centre &+ m]
                    vs += qm * hs[centre &- m]
                    xc += qm * cosine
                    xs += qm * sine
                    zc += dq * cosine
                    zs += dq * sine
                }
                let dm = Double(m)
                value += vc * c[m] + vs * s[m]
                sx += dm * (xc * c[m &- 1] + xs * s[m &- 1])
                sy += dm * (xs * c[m &- 1] - xc * s[m &- 1])
                sz += zc * c[m] + zs * s[m]
            }
        }
        let radial = x * sx + y * sy + z * sz
        return (value, SIMD3((sx - x * radial) * inverse, (sy - y * radial) * inverse, (sz - z * radial) * inverse))
    }

    /// The unit vector (x, y, z), 1/|r|, and in `scratch` the normalised Legendre functions
    /// Q̄_l^m(z) (`q`, at l(l+1)/2 + m) and c_m + i s_m = (x + iy)^m (`c`, `s`, m = 0 ... lMax).
    @inlinable @inline(__always)
    func angularParts(_ vector: SIMD3<Double>, distance: Double, scratch: UnsafeMutablePointer<Double>) -> (
        Double, Double, Double, Double, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>
    ) {
        let inverse = 1 / distance
        let x = vector.x * inverse, y = vector.y * inverse, z = vector.z * inverse
        let triangle = (lMax &+ 1) &* (lMax &+ 2) / 2
        let q = scratch                      // Q̄_l^m at l(l+1)/2 + m
        let c = scratch + triangle           // c_m, m = 0 ... lMax (+1 spare)
        let s = c + (lMax &+ 2)              // s_m
        legendre(z, into: q)
        c[0] = 1
        s[0] = 0
        if lMax >= 1 {
            for m in 1...lMax {
                c[m] = c[m &- 1] * x - s[m &- 1] * y
                s[m] = c[m &- 1] * y + s[m &- 1] * x
            }
        }
        return (x, y, z, inverse, q, c, s)
    }

    /// Normalised associated Legendre functions Q̄_l^m(z) into `q[l(l+1)/2 + m]`.
    @inlinable @inline(__always)
    func legendre(_ z: Double, into q: UnsafeMutablePointer<Double>) {
        recurrenceA.withUnsafeBufferPointer { a in
        recurrenceB.withUnsafeBufferPointer { b in
        diagonal.withUnsafeBufferPointer { diag in
        offDiagonal.withUnsafeBufferPointer { off in
            // Associated Legendre part, normalised: Q̄_m^m and Q̄_{m+1}^m, then the recurrence row
            // by row in l, so that the chains of the different m are independent work in the
            // inner loop (a chain along l for one m at a time is latency-bound).
            for m in 0...lMax {
                let mm = m &* (m &+ 1) / 2 &+ m
                q[mm] = diag[m]
                if m < lMax {
                    let index = (m &+ 1) &* (m &+ 2) / 2 &+ m
                    q[index] = off[m] * z * diag[m]
                }
            }
            if lMax >= 2 {
                for l in 2...lMax {
                    let row = l &* (l &+ 1) / 2
                    let previous = row &- l, beforePrevious = row &- l &- (l &- 1)
                    for m in 0...(l &- 2) {
                        q[row &+ m] = a[row &+ m] * z * q[previous &+ m] + b[row &+ m] * q[beforePrevious &+ m]
                    }
                }
            }
        }
        }
        }
        }
    }

    /// ∂Y_lm/∂r_α from Q̄ (`q`), cos mφ and sin mφ powers (`c`, `s`) at the unit vector (x, y, z).
    @inlinable @inline(__always)
    func harmonicGradients(
        x: Double, y: Double, z: Double, inverse: Double, q: UnsafeMutablePointer<Double>,
        c: UnsafeMutablePointer<Double>, s: UnsafeMutablePointer<Double>, into gradients: UnsafeMutablePointer<Double>
    ) {
        let n = componentCount
        let gx = gradients, gy = gradients + n, gz = gradients + 2 * n
        zDerivative.withUnsafeBufferPointer { dz in
            for l in 0...lMax {
                let row = l * (l + 1) / 2
                let centre = l * l + l
                // m = 0: F = Q̄_l^0(z).
                let d0 = l >= 1 ? dz[row] * q[row + 1] : 0
                var fx = 0.0, fy = 0.0, fz = d0
                var radial = z * fz
                gx[centre] = (fx - x * radial) * inverse
                gy[centre] = (fy - y * radial) * inverse
                gz[centre] = (fz - z * radial) * inverse
                if l >= 1 {
                    for m in 1...l {
                        let qm = q[row + m]
                        let dq = m < l ? dz[row + m] * q[row + m + 1] : 0
                        let dm = Double(m)
                        // cos part: F = Q̄ c_m
                        fx = qm * dm * c[m - 1]
                        fy = -qm * dm * s[m - 1]
                        fz = dq * c[m]
                        radial = x * fx + y * fy + z * fz
                        gx[centre + m] = (fx - x * radial) * inverse
                        gy[centre + m] = (fy - y * radial) * inverse
                        gz[centre + m] = (fz - z * radial) * inverse
                        // sin part: F = Q̄ s_m
                        fx = qm * dm * s[m - 1]
                        fy = qm * dm * c[m - 1]
                        fz = dq * s[m]
                        radial = x * fx + y * fy + z * fz
                        gx[centre - m] = (fx - x * radial) * inverse
                        gy[centre - m] = (fy - y * radial) * inverse
                        gz[centre - m] = (fz - z * radial) * inverse
                    }
                }
            }
        }
    }
}
