import CSOAPKernels
#if canImport(Glibc)
import Glibc
#endif
/// The small dense kernels, on raw pointers.
@usableFromInline
enum SOAPKernels {
    /// Whether the per-pair loops run eight wide (CSOAPKernels, AVX-512) where the layout allows:
    /// when the CPU has AVX-512 (F and DQ), unless `SWIFTGAP_SOAP_KERNELS=portable` asks for the Swift loops
    /// (both give the same bits; the variable exists for side-by-side timing).
    /// (Tests switch it to compare the two paths on whole structures; nothing else writes it.)
    @usableFromInline nonisolated(unsafe) static var wideKernels: Bool = {
        if let choice = getenv("SWIFTGAP_SOAP_KERNELS"), String(cString: choice) == "portable" { return false }
        return wideAvailable
    }()

    /// Whether this CPU runs the wide kernels at all.
    static let wideAvailable = swiftgap_soap_wide_available() != 0

    /// Whether the wide kernels take this l_max + 1.
    @inlinable @inline(__always)
    static func wide(lCount: Int) -> Bool {
        wideKernels && lCount <= Int(SWIFTGAP_SOAP_WIDE_MAX_L_COUNT)
    }

    /// c[n][lm] += wR[n][l] Y[lm] for one pair, into its species' channel block. Two m at a
    /// time in explicit SIMD2 (the same operations per element as a scalar loop, without the
    /// aliasing checks a compiler-vectorised loop pays on every short (2l+1) trip).
    @inline(__always)
    static func accumulate(
        coefficients: UnsafeMutablePointer<Double>, weightedRadial: UnsafePointer<Double>, harmonics: UnsafePointer<Double>,
        nMax: Int, lCount: Int
    ) {
        let lm = lCount * lCount
        for l in 0..<lCount {
            let start = l * l, end = start + 2 * l + 1
            var k = start
            while k + 1 < end {
                let y = load2(harmonics + k)
                for n in 0..<nMax {
                    let c = coefficients + n * lm + k
                    store2(load2(c) + weightedRadial[n * lCount + l] * y, c)
                }
                k += 2
            }
            if k < end {
                let y = harmonics[k]
                for n in 0..<nMax { coefficients[n * lm + k] += weightedRadial[n * lCount + l] * y }
            }
        }
    }

    /// c[n][lm] += Σ_k wR_{q_k}[n][l] Y_{q_k}[lm] over the pair slots q_k = `slots[k]` (pair tables
    /// at `weightedRadial + q nl` and `harmonics + q lm`), for one channel block: eight wide where
    /// the CPU allows, else ``accumulateRowPortable``; the same bits either way.
    @inline(__always)
    static func accumulateRow(
        coefficients: UnsafeMutablePointer<Double>, weightedRadial: UnsafePointer<Double>, harmonics: UnsafePointer<Double>,
        slots: UnsafePointer<Int>, slotCount: Int, nMax: Int, lCount: Int
    ) {
        if wide(lCount: lCount) {
            slots.withMemoryRebound(to: Int64.self, capacity: slotCount) { slots64 in
                swiftgap_soap_accumulate_row(
                    coefficients, weightedRadial, harmonics, slots64, Int64(slotCount), Int64(nMax), Int64(lCount))
            }
        } else {
            accumulateRowPortable(
                coefficients: coefficients, weightedRadial: weightedRadial, harmonics: harmonics, slots: slots,
                slotCount: slotCount, nMax: nMax, lCount: lCount)
        }
    }

    /// ``accumulateRow`` in Swift. The sum over pairs is carried in registers, four n and two m at
    /// a time, and added to c once: for c = 0 on entry (each block is filled by one call) the
    /// result is bitwise that of ``accumulate`` pair by pair.
    @inline(__always)
    static func accumulateRowPortable(
        coefficients: UnsafeMutablePointer<Double>, weightedRadial: UnsafePointer<Double>, harmonics: UnsafePointer<Double>,
        slots: UnsafePointer<Int>, slotCount: Int, nMax: Int, lCount: Int
    ) {
        let lm = lCount &* lCount, nl = nMax &* lCount
        let zero = SIMD2<Double>(repeating: 0)
        for l in 0..<lCount {
            let start = l &* l, end = start &+ 2 &* l &+ 1
            var n = 0
            while n &+ 4 <= nMax {
                let w = weightedRadial + (n &* lCount &+ l)
                let out = coefficients + n &* lm
                var i = start
                while i &+ 1 < end {
                    var c0 = zero, c1 = zero, c2 = zero, c3 = zero
                    for k in 0..<slotCount {
                        let q = slots[k]
                        let y = load2(harmonics + (q &* lm &+ i))
                        let wq = w + q &* nl
                        c0 += wq[0] * y
                        c1 += wq[lCount] * y
                        c2 += wq[2 &* lCount] * y
                        c3 += wq[3 &* lCount] * y
                    }
                    store2(load2(out + i) + c0, out + i)
                    store2(load2(out + (lm &+ i)) + c1, out + (lm &+ i))
                    store2(load2(out + (2 &* lm &+ i)) + c2, out + (2 &* lm &+ i))
                    store2(load2(out + (3 &* lm &+ i)) + c3, out + (3 &* lm &+ i))
                    i &+= 2
                }
                if i < end {
                    var c0 = 0.0, c1 = 0.0, c2 = 0.0, c3 = 0.0
                    for k in 0..<slotCount {
                        let q = slots[k]
                        let y = harmonics[q &* lm &+ i]
                        let wq = w + q &* nl
                        c0 += wq[0] * y
                        c1 += wq[lCount] * y
                        c2 += wq[2 &* lCount] * y
                        c3 += wq[3 &* lCount] * y
                    }
                    out[i] += c0
                    out[lm &+ i] += c1
                    out[2 &* lm &+ i] += c2
                    out[3 &* lm &+ i] += c3
                }
                n &+= 4
            }
            while n < nMax {
                let w = weightedRadial + (n &* lCount &+ l)
                let out = coefficients + n &* lm
                var i = start
                while i &+ 1 < end {
                    var c0 = zero
                    for k in 0..<slotCount {
                        let q = slots[k]
                        c0 += w[q &* nl] * load2(harmonics + (q &* lm &+ i))
                    }
                    store2(load2(out + i) + c0, out + i)
                    i &+= 2
                }
                if i < end {
                    var c0 = 0.0
                    for k in 0..<slotCount {
                        let q = slots[k]
                        c0 += w[q &* nl] * harmonics[q &* lm &+ i]
                    }
                    out[i] += c0
                }
                n &+= 1
            }
        }
    }

    /// h[lm] = Σ_n G[n][lm] wR[n][l] and hs[lm] = Σ_n G[n][lm] (wR)′[n][l] (the reverse-mode
    /// weights of one pair, G = ∂E/∂c of its channel block), two m at a time; eight pairs at once
    /// in the lanes of ``RealSphericalHarmonics/pairGradientsWide(records:adjoint:weightedRadial:weightedSlope:count:nMax:vectors:distances:pairs:slots:scratch:gradients:)``
    /// where the CPU allows (the same bits).
    @inline(__always)
    static func pairWeights(
        adjoint block: UnsafePointer<Double>, weightedRadial wr: UnsafePointer<Double>, weightedSlope ws: UnsafePointer<Double>,
        nMax: Int, lCount lc: Int, h: UnsafeMutablePointer<Double>, hs: UnsafeMutablePointer<Double>
    ) {
        let lm = lc &* lc
        for l in 0..<lc {
            let start = l &* l, end = start &+ 2 &* l &+ 1
            var i = start
            // Eight m at a time where the block is long enough: each element's sum over n is a
            // latency-bound chain, and eight chains of h and eight of h′ overlap.
            while i &+ 8 <= end {
                var h0 = SIMD2<Double>(0, 0), h1 = SIMD2<Double>(0, 0), h2 = SIMD2<Double>(0, 0), h3 = SIMD2<Double>(0, 0)
                var s0 = SIMD2<Double>(0, 0), s1 = SIMD2<Double>(0, 0), s2 = SIMD2<Double>(0, 0), s3 = SIMD2<Double>(0, 0)
                for n in 0..<nMax {
                    let a = wr[n &* lc &+ l], b = ws[n &* lc &+ l]
                    let gn = block + (n &* lm &+ i)
                    let g0 = load2(gn), g1 = load2(gn + 2)
                    let g2 = load2(gn + 4), g3 = load2(gn + 6)
                    h0 += a * g0; h1 += a * g1; h2 += a * g2; h3 += a * g3
                    s0 += b * g0; s1 += b * g1; s2 += b * g2; s3 += b * g3
                }
                store2(h0, h + i); store2(h1, h + i + 2)
                store2(h2, h + i + 4); store2(h3, h + i + 6)
                store2(s0, hs + i); store2(s1, hs + i + 2)
                store2(s2, hs + i + 4); store2(s3, hs + i + 6)
                i &+= 8
            }
            while i &+ 1 < end {
                var hv = SIMD2<Double>(0, 0), sv = SIMD2<Double>(0, 0)
                for n in 0..<nMax {
                    let g = load2(block + (n &* lm &+ i))
                    hv += wr[n &* lc &+ l] * g
                    sv += ws[n &* lc &+ l] * g
                }
                store2(hv, h + i)
                store2(sv, hs + i)
                i &+= 2
            }
            if i < end {
                var hv = 0.0, sv = 0.0
                for n in 0..<nMax {
                    let g = block[n &* lm &+ i]
                    hv += wr[n &* lc &+ l] * g
                    sv += ws[n &* lc &+ l] * g
                }
                h[i] = hv
                hs[i] = sv
            }
        }
    }

    /// G_A += Σ_B t_ABl c_B (G = ∂E/∂c of the full power spectrum; see SOAPBlockState): for each
    /// channel pair B ≤ A in order, t_l = (2 if A = B, else √2) k_l ∂E/∂p_ABl, G_A += t c_B and, off
    /// the diagonal, G_B += t c_A. Eight wide where the CPU allows, else
    /// ``powerSpectrumAdjointPortable``; the same bits either way.
    @inline(__always)
    static func powerSpectrumAdjoint(
        coefficients: UnsafePointer<Double>, spectrumAdjoint: UnsafePointer<Double>, inverseRootDegeneracy: UnsafePointer<Double>,
        channelCount: Int, lCount: Int, into coefficientAdjoint: UnsafeMutablePointer<Double>
    ) {
        if wide(lCount: lCount) {
            swiftgap_soap_power_spectrum_adjoint(
                coefficients, spectrumAdjoint, inverseRootDegeneracy, Int64(channelCount), Int64(lCount), coefficientAdjoint)
        } else {
            powerSpectrumAdjointPortable(
                coefficients: coefficients, spectrumAdjoint: spectrumAdjoint, inverseRootDegeneracy: inverseRootDegeneracy,
                channelCount: channelCount, lCount: lCount, into: coefficientAdjoint)
        }
    }

    /// ``powerSpectrumAdjoint(coefficients:spectrumAdjoint:inverseRootDegeneracy:channelCount:lCount:into:)``
    /// in Swift, two m at a time in explicit SIMD2 (the same operations per element as a scalar
    /// loop, without aliasing checks on every short 2l + 1 trip).
    static func powerSpectrumAdjointPortable(
        coefficients: UnsafePointer<Double>, spectrumAdjoint: UnsafePointer<Double>, inverseRootDegeneracy: UnsafePointer<Double>,
        channelCount: Int, lCount lc: Int, into coefficientAdjoint: UnsafeMutablePointer<Double>
    ) {
        let lm = lc &* lc
        let root2 = 2.0.squareRoot()
        var offset = 0
        for a in 0..<channelCount {
            let ca = coefficients + a &* lm, ga = coefficientAdjoint + a &* lm
            for b in 0...a {
                let cb = coefficients + b &* lm, gb = coefficientAdjoint + b &* lm
                let diagonal = a == b
                for l in 0..<lc {
                    let start = l &* l, end = start &+ 2 &* l &+ 1
                    let t = (diagonal ? 2 : root2) * inverseRootDegeneracy[l] * spectrumAdjoint[offset &+ l]
                    let tv = SIMD2<Double>(repeating: t)
                    var i = start
                    if diagonal {
                        while i &+ 1 < end {
                            SOAPKernels.store2(SOAPKernels.load2(ga + i) + tv * SOAPKernels.load2(ca + i), ga + i)
                            i &+= 2
                        }
                        if i < end { ga[i] += t * ca[i] }
                    } else {
                        while i &+ 1 < end {
                            SOAPKernels.store2(SOAPKernels.load2(ga + i) + tv * SOAPKernels.load2(cb + i), ga + i)
                            SOAPKernels.store2(SOAPKernels.load2(gb + i) + tv * SOAPKernels.load2(ca + i), gb + i)
                            i &+= 2
                        }
                        if i < end {
                            ga[i] += t * cb[i]
                            gb[i] += t * ca[i]
                        }
                    }
                }
                offset &+= lc
            }
        }
    }

    /// radial += h′ · Y and b_α += h · ∂_α Y for the two components k, k + 1 (in that order).
    @inline(__always)
    static func project(
        _ h: SIMD2<Double>, _ hs: SIMD2<Double>, _ k: Int, _ y: UnsafePointer<Double>, _ dx: UnsafePointer<Double>,
        _ dy: UnsafePointer<Double>, _ dz: UnsafePointer<Double>,
        _ radial: inout Double, _ bx: inout Double, _ by: inout Double, _ bz: inout Double
    ) {
        radial += hs[0] * y[k]
        bx += h[0] * dx[k]
        by += h[0] * dy[k]
        bz += h[0] * dz[k]
        radial += hs[1] * y[k + 1]
        bx += h[1] * dx[k + 1]
        by += h[1] * dy[k + 1]
        bz += h[1] * dz[k + 1]
    }

    @inline(__always)
    static func load2(_ p: UnsafePointer<Double>) -> SIMD2<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD2<Double>.self)
    }

    @inline(__always)
    static func load2(_ p: UnsafeMutablePointer<Double>) -> SIMD2<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD2<Double>.self)
    }

    @inline(__always)
    static func store2(_ v: SIMD2<Double>, _ p: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD2<Double>.self)
    }

    /// v[(A(A+1)/2 + B) L1 + l] = (√2 if A ≠ B) k_l Σ_m c[A][lm] c[B][lm]: eight channels B at a
    /// time where the CPU allows (up to 16 channels), else ``powerSpectrumPortable``; the same bits.
    @inline(__always)
    static func powerSpectrum(
        coefficients: UnsafePointer<Double>, channelCount: Int, lCount: Int, inverseRootDegeneracy: UnsafePointer<Double>,
        into output: UnsafeMutablePointer<Double>
    ) {
        if wide(lCount: lCount) && channelCount <= Int(SWIFTGAP_SOAP_WIDE_MAX_SPECTRUM_CHANNELS) {
            swiftgap_soap_power_spectrum(coefficients, Int64(channelCount), Int64(lCount), inverseRootDegeneracy, output)
        } else {
            powerSpectrumPortable(
                coefficients: coefficients, channelCount: channelCount, lCount: lCount,
                inverseRootDegeneracy: inverseRootDegeneracy, into: output)
        }
    }

    /// ``powerSpectrum(coefficients:channelCount:lCount:inverseRootDegeneracy:into:)`` in Swift.
    static func powerSpectrumPortable(
        coefficients: UnsafePointer<Double>, channelCount: Int, lCount: Int, inverseRootDegeneracy: UnsafePointer<Double>,
        into output: UnsafeMutablePointer<Double>
    ) {
        let lm = lCount * lCount
        let root2 = 2.0.squareRoot()
        var out = output
        for a in 0..<channelCount {
            let ca = coefficients + a * lm
            for b in 0...a {
                let cb = coefficients + b * lm
                let pairScale = a == b ? 1.0 : root2
                for l in 0..<lCount {
                    var sum = 0.0
                    let start = l * l
                    for k in start..<(start + 2 * l + 1) { sum += ca[k] * cb[k] }
                    out[l] = pairScale * inverseRootDegeneracy[l] * sum
                }
                out += lCount
            }
        }
    }

    /// y[A][l] = Σ_m Y_lm c[A][lm] and g_α[A][l] = Σ_m ∂_α Y_lm c[A][lm], from the transposed
    /// coefficients cT[lm][A] so that the inner loop runs over A (contiguous, no reduction), into
    /// `transposed` (4 x L1 x N: y, g_x, g_y, g_z), then transposed to the [A][l] layout.
    @inline(__always)
    static func projections(
        transposedCoefficients: UnsafePointer<Double>, channelCount: Int, lCount: Int, harmonics: UnsafePointer<Double>,
        harmonicGradients: UnsafePointer<Double>, transposed: UnsafeMutablePointer<Double>,
        projections: UnsafeMutablePointer<Double>, gradientProjections: UnsafeMutablePointer<Double>
    ) {
        let lm = lCount * lCount
        let n = channelCount
        let gx = harmonicGradients, gy = harmonicGradients + lm, gz = harmonicGradients + 2 * lm
        let block = lCount * n
        let ty = transposed, tx = transposed + block, tyy = transposed + 2 * block, tz = transposed + 3 * block
        for l in 0..<lCount {
            let oy = ty + l * n, ox = tx + l * n, oyy = tyy + l * n, oz = tz + l * n
            for a in 0..<n { oy[a] = 0; ox[a] = 0; oyy[a] = 0; oz[a] = 0 }
            for k in (l * l)..<(l * l + 2 * l + 1) {
                let c = transposedCoefficients + k * n
                let h = harmonics[k], hx = gx[k], hy = gy[k], hz = gz[k]
                for a in 0..<n {
                    let ca = c[a]
                    oy[a] += h * ca
                    ox[a] += hx * ca
                    oyy[a] += hy * ca
                    oz[a] += hz * ca
                }
            }
        }
        let stride = n * lCount
        for a in 0..<n {
            for l in 0..<lCount {
                let index = a * lCount + l, source = l * n + a
                projections[index] = ty[source]
                gradientProjections[index] = tx[source]
                gradientProjections[stride + index] = tyy[source]
                gradientProjections[2 * stride + index] = tz[source]
            }
        }
    }

    /// `pairGradient` for a single neighbour species (every channel is the pair's), with the
    /// three directions in one pass so that the shared operands are loaded once.
    @inline(__always)
    static func pairGradientSingleChannel(
        nMax: Int, lCount: Int, slopeTerms: UnsafePointer<Double>, radialTerms: UnsafePointer<Double>,
        projections: UnsafePointer<Double>, gradientProjections: UnsafePointer<Double>, featureCount: Int,
        unitValues: UnsafePointer<Double>?, into output: UnsafeMutablePointer<Double>
    ) -> SIMD3<Double> {
        let nl = nMax * lCount
        let root2 = 2.0.squareRoot()
        let px = slopeTerms, py = slopeTerms + nl, pz = slopeTerms + 2 * nl
        let gx = gradientProjections, gy = gradientProjections + nl, gz = gradientProjections + 2 * nl
        let ox = output, oy = output + featureCount, oz = output + 2 * featureCount
        var dx = 0.0, dy = 0.0, dz = 0.0
        var offset = 0
        for a in 0..<nMax {
            let ia = a * lCount
            for b in 0...a {
                let ib = b * lCount
                // Diagonal blocks: both terms coincide, 2 (P_a y_a + Q_a g_a) = √2 · √2 (...).
                let scale = a == b ? 2.0 : root2
                if a == b {
                    for l in 0..<lCount {
                        let ya = projections[ia + l], qa = radialTerms[ia + l]
                        let x = scale * (px[ia + l] * ya + qa * gx[ia + l])
                        let y = scale * (py[ia + l] * ya + qa * gy[ia + l])
                        let z = scale * (pz[ia + l] * ya + qa * gz[ia + l])
                        ox[offset + l] = x
                        oy[offset + l] = y
                        oz[offset + l] = z
                        if let unitValues {
                            let v = unitValues[offset + l]
                            dx += v * x
                            dy += v * y
                            dz += v * z
                        }
                    }
                } else {
                    for l in 0..<lCount {
                        let ya = projections[ia + l], yb = projections[ib + l]
                        let qa = radialTerms[ia + l], qb = radialTerms[ib + l]
                        let x = scale * (px[ia + l] * yb + qa * gx[ib + l] + px[ib + l] * ya + qb * gx[ia + l])
                        let y = scale * (py[ia + l] * yb + qa * gy[ib + l] + py[ib + l] * ya + qb * gy[ia + l])
                        let z = scale * (pz[ia + l] * yb + qa * gz[ib + l] + pz[ib + l] * ya + qb * gz[ia + l])
                        ox[offset + l] = x
                        oy[offset + l] = y
                        oz[offset + l] = z
                        if let unitValues {
                            let v = unitValues[offset + l]
                            dx += v * x
                            dy += v * y
                            dz += v * z
                        }
                    }
                }
                offset += lCount
            }
        }
        return SIMD3(dx, dy, dz)
    }

    /// ∂v/∂r_pair (before projecting out v̂) for a pair whose neighbour is in species `channel`:
    /// out_α[(A,B,l)] = s_AB ([A ∈ channel] (P_α[n_A][l] y[B][l] + Q[n_A][l] g_α[B][l])
    ///                      + [B ∈ channel] (P_α[n_B][l] y[A][l] + Q[n_B][l] g_α[A][l])),
    /// with P_α = k_l (wR)′ r̂_α / |v| and Q = k_l w R / |v| (|v| = 1 when not normalising).
    /// Returns v̂ · out_α for α = x, y, z if `unitValues` (v̂) is given, else zero.
    @inline(__always)
    static func pairGradient(
        channel: Int, channelCount: Int, nMax: Int, lCount: Int, slopeTerms: UnsafePointer<Double>,
        radialTerms: UnsafePointer<Double>, projections: UnsafePointer<Double>, gradientProjections: UnsafePointer<Double>,
        featureCount: Int, unitValues: UnsafePointer<Double>?, into output: UnsafeMutablePointer<Double>
    ) -> SIMD3<Double> {
        let nl = nMax * lCount
        let stride = channelCount * lCount
        let root2 = 2.0.squareRoot()
        let first = channel * nMax, last = first + nMax
        let px = slopeTerms, py = slopeTerms + nl, pz = slopeTerms + 2 * nl
        let gx = gradientProjections, gy = gradientProjections + stride, gz = gradientProjections + 2 * stride
        let ox = output, oy = output + featureCount, oz = output + 2 * featureCount
        var dx = 0.0, dy = 0.0, dz = 0.0
        var offset = 0
        for a in 0..<channelCount {
            let aIn = a >= first && a < last
            let ra = (a - first) * lCount     // radial index of channel a (valid if aIn)
            let ia = a * lCount               // projection index of channel a
            for b in 0...a {
                let bIn = b >= first && b < last
                let rb = (b - first) * lCount, ib = b * lCount
                let scale = a == b ? 1.0 : root2
                if aIn && bIn {
                    for l in 0..<lCount {
                        let ya = projections[ia + l], yb = projections[ib + l]
                        let qa = radialTerms[ra + l], qb = radialTerms[rb + l]
                        ox[offset + l] = scale * (px[ra + l] * yb + qa * gx[ib + l] + px[rb + l] * ya + qb * gx[ia + l])
                        oy[offset + l] = scale * (py[ra + l] * yb + qa * gy[ib + l] + py[rb + l] * ya + qb * gy[ia + l])
                        oz[offset + l] = scale * (pz[ra + l] * yb + qa * gz[ib + l] + pz[rb + l] * ya + qb * gz[ia + l])
                    }
                } else if aIn {
                    for l in 0..<lCount {
                        let yb = projections[ib + l], qa = radialTerms[ra + l]
                        ox[offset + l] = scale * (px[ra + l] * yb + qa * gx[ib + l])
                        oy[offset + l] = scale * (py[ra + l] * yb + qa * gy[ib + l])
                        oz[offset + l] = scale * (pz[ra + l] * yb + qa * gz[ib + l])
                    }
                } else if bIn {
                    for l in 0..<lCount {
                        let ya = projections[ia + l], qb = radialTerms[rb + l]
                        ox[offset + l] = scale * (px[rb + l] * ya + qb * gx[ia + l])
                        oy[offset + l] = scale * (py[rb + l] * ya + qb * gy[ia + l])
                        oz[offset + l] = scale * (pz[rb + l] * ya + qb * gz[ia + l])
                    }
                } else {
                    for l in 0..<lCount {
                        ox[offset + l] = 0
                        oy[offset + l] = 0
                        oz[offset + l] = 0
                    }
                }
                if let unitValues, aIn || bIn {
                    for l in 0..<lCount {
                        let v = unitValues[offset + l]
                        dx += v * ox[offset + l]
                        dy += v * oy[offset + l]
                        dz += v * oz[offset + l]
                    }
                }
                offset += lCount
            }
        }
        return SIMD3(dx, dy, dz)
    }
}

/// Whether CSOAPKernels' eight-wide kernels run (``SOAPKernels/wideKernels``), for the package's
/// other users of them (the dot-product kernel's elementwise pass).
package var wideKernelsEnabled: Bool { SOAPKernels.wideKernels }
