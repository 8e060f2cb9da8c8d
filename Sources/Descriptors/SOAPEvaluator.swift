import AtomicStructures
import NeighbourLists
import Parallelism
#if canImport(Glibc)
import Glibc
#endif

/// The parallel driver and the per-centre kernels of ``SOAPCalculator``.
///
/// Per centre: (1) for every pair, the weighted radial functions w R_nl and (w R_nl)′ from the
/// spline, and Y_lm with its gradient; accumulate c_{A lm}. (2) The power spectrum v and its
/// norm. (3) For every pair, y_A,l = Σ_m Y_lm c_{A lm} and g^α_{A l} = Σ_m ∂_α Y_lm c_{A lm}, from
/// which ∂v/∂r_pair follows as a sum of rank-one terms per (A, B, l) — about four multiply-adds
/// per output element, the size of the output itself. The pair gradient is normalised in an
/// L1-resident scratch row, then added to its atom's entry, subtracted from the centre's entry,
/// and (if asked) accumulated into the strain rows.
///
/// Rows are independent, each written to its own slice of the preallocated outputs, so results
/// do not depend on the thread count.
enum SOAPEvaluator {
    /// Computes into `result`, reusing its arrays' memory where it is large enough (memory that
    /// is already mapped costs no page faults, which dominate for large gradient arrays).
    static func run(
        calculator: SOAPCalculator, structure: Structure, list: NeighbourList, plan: SOAPPlan, gradients: Bool,
        strainGradients: Bool, threads: Int, into result: inout DescriptorValues
    ) {
        let f = calculator.featureCount
        let rows = plan.rowCount
        let entryCount = gradients ? plan.entryAtoms.count : 0
        let needsPairGradients = gradients || strainGradients
        // Take the arrays out of `result` so that they are uniquely referenced while resized.
        var valuesStorage = result.values, gradientStorage = result.gradientValues, strainStorage = result.strainValues
        result = DescriptorValues(featureCount: f, centres: [], values: [])
        // Every element is written by exactly one row's worker before it is read.
        resizeForOverwrite(&valuesStorage, to: rows * f)
        resizeForOverwrite(&gradientStorage, to: 3 * entryCount * f)
        resizeForOverwrite(&strainStorage, to: strainGradients ? 9 * rows * f : 0)
        let chunkCount = threads <= 1 ? 1 : min(rows, threads * 8)
        valuesStorage.withUnsafeMutableBufferPointer { valuesOut in
        gradientStorage.withUnsafeMutableBufferPointer { gradientOut in
        strainStorage.withUnsafeMutableBufferPointer { strainOut in
        plan.pairs.withUnsafeBufferPointer { planPairs in
        plan.entryAtoms.withUnsafeBufferPointer { entryAtoms in
        list.vectors.withUnsafeBufferPointer { vectors in
        list.distances.withUnsafeBufferPointer { distances in
        list.neighbours.withUnsafeBufferPointer { neighbours in
        calculator.channelOfElement.withUnsafeBufferPointer { channelOfElement in
        structure.atomicNumbers.withUnsafeBufferPointer { numbers in
            let inputs = RowInputs(
                planPairs: planPairs.baseAddress, entryAtoms: entryAtoms.baseAddress, vectors: vectors.baseAddress!,
                distances: distances.baseAddress!, neighbours: neighbours.baseAddress!,
                channelOfElement: channelOfElement.baseAddress!, numbers: numbers.baseAddress!)
            let outputs = RowOutputs(
                values: valuesOut.baseAddress, gradients: gradientOut.baseAddress, strain: strainOut.baseAddress)
            parallelChunks(count: rows, chunkCount: chunkCount, threads: threads) { _, range in
                let workspace = SOAPWorkspace(calculator: calculator, pairCapacity: plan.maximumPairCount, gradients: needsPairGradients)
                for row in range {
                    workspace.evaluateRow(
                        row, plan: plan, inputs: inputs, outputs: outputs, gradients: gradients, strainGradients: strainGradients)
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        result = DescriptorValues(
            featureCount: f, centres: plan.centres, values: valuesStorage,
            gradientOffsets: gradients ? plan.entryOffsets : [],
            gradientAtoms: gradients ? plan.entryAtoms : [],
            gradientValues: gradientStorage, strainValues: strainStorage)
    }

    /// Gives `array` exactly `count` elements whose values will all be overwritten: shrinks in
    /// place, grows within capacity, or else allocates (with 25% slack) without initialising.
    static func resizeForOverwrite(_ array: inout [Double], to count: Int) {
        if array.count > count {
            array.removeLast(array.count - count)
        } else if array.count < count {
            if array.capacity >= count {
                array.append(contentsOf: repeatElement(0, count: count - array.count))
            } else {
                array = [Double](unsafeUninitializedCapacity: count + count / 4) { _, initialized in initialized = count }
            }
        }
    }
}

/// Read-only inputs shared by all workers.
struct RowInputs: @unchecked Sendable {
    let planPairs: UnsafePointer<Int32>?
    let entryAtoms: UnsafePointer<Int32>?
    let vectors: UnsafePointer<Vector3>
    let distances: UnsafePointer<Double>
    let neighbours: UnsafePointer<Int32>
    let channelOfElement: UnsafePointer<Int32>
    let numbers: UnsafePointer<Int>
}

/// Output buffers; each row writes only its own slices.
struct RowOutputs: @unchecked Sendable {
    let values: UnsafeMutablePointer<Double>?
    let gradients: UnsafeMutablePointer<Double>?
    let strain: UnsafeMutablePointer<Double>?
}

/// Per-worker scratch memory, allocated once per chunk and reused for every row.
final class SOAPWorkspace {
    let calculator: SOAPCalculator
    let nMax: Int, lCount: Int, lmCount: Int, nlCount: Int, channelCount: Int, featureCount: Int
    let pairCapacity: Int
    let hasGradients: Bool
    // Cutoff and scaling constants.
    let cutoff: Double, transitionStart: Double, transitionWidth: Double
    let scaling: RadialScaling?
    let centralWeight: Double
    let normalise: Bool
    let singleChannel: Bool

    /// One allocation holding every scratch array below.
    let memory: UnsafeMutablePointer<Double>
    let coefficients: UnsafeMutablePointer<Double>      // N x LM
    let spectrum: UnsafeMutablePointer<Double>          // F (unnormalised v)
    let weightedRadial: UnsafeMutablePointer<Double>    // pairs x NL: w R
    let weightedSlope: UnsafeMutablePointer<Double>     // pairs x NL: (w R)′
    let harmonicValues: UnsafeMutablePointer<Double>    // pairs x LM
    let harmonicGradients: UnsafeMutablePointer<Double> // pairs x 3 x LM
    let radialTemporary: UnsafeMutablePointer<Double>   // 2 x NL
    let projections: UnsafeMutablePointer<Double>       // N x L1: y
    let gradientProjections: UnsafeMutablePointer<Double> // 3 x N x L1: g
    let slopeTerms: UnsafeMutablePointer<Double>        // 3 x NL: k_l (w R)′ u_α
    let radialTerms: UnsafeMutablePointer<Double>       // NL: k_l w R
    let pairGradient: UnsafeMutablePointer<Double>      // 3 x F
    let harmonicScratch: UnsafeMutablePointer<Double>
    let inverseRootDegeneracy: UnsafeMutablePointer<Double> // L1: 1/√(2l+1)
    let exactRadial: Bool
    let exactScratch: UnsafeMutablePointer<Double>      // NL + basis scratch, exact evaluation only
    let pairChannel: UnsafeMutablePointer<Int>
    let pairEntry: UnsafeMutablePointer<Int>
    let entryWritten: UnsafeMutablePointer<Bool>
    let pairIndex: UnsafeMutablePointer<Int>

    init(calculator: SOAPCalculator, pairCapacity requested: Int, gradients: Bool) {
        self.calculator = calculator
        let h = calculator.hyperparameters
        nMax = h.nMax
        lCount = h.lMax + 1
        lmCount = lCount * lCount
        nlCount = nMax * lCount
        channelCount = calculator.channelCount
        featureCount = calculator.featureCount
        pairCapacity = max(1, requested)
        hasGradients = gradients
        cutoff = h.cutoffRadius
        transitionWidth = h.cutoffTransitionWidth
        transitionStart = h.cutoffRadius - h.cutoffTransitionWidth
        scaling = h.radialScaling
        centralWeight = h.centralWeight
        normalise = h.normalise
        singleChannel = h.neighbourSpecies.count == 1
        let p = pairCapacity
        let sizes = [
            channelCount * lmCount, featureCount,
            p * nlCount, gradients ? p * nlCount : 0, p * lmCount, gradients ? 3 * p * lmCount : 0,
            2 * nlCount, channelCount * lCount, 3 * channelCount * lCount, 3 * nlCount, nlCount,
            gradients ? 3 * featureCount : 0, calculator.harmonics.scratchCount, lCount,
            calculator.radialEvaluation == .exact ? nlCount + calculator.basis.scratchCount : 0,
        ]
        memory = .allocate(capacity: sizes.reduce(0, +))
        var cursor = memory
        func take(_ count: Int) -> UnsafeMutablePointer<Double> {
            defer { cursor += count }
            return cursor
        }
        coefficients = take(sizes[0])
        spectrum = take(sizes[1])
        weightedRadial = take(sizes[2])
        weightedSlope = take(sizes[3])
        harmonicValues = take(sizes[4])
        harmonicGradients = take(sizes[5])
        radialTemporary = take(sizes[6])
        projections = take(sizes[7])
        gradientProjections = take(sizes[8])
        slopeTerms = take(sizes[9])
        radialTerms = take(sizes[10])
        pairGradient = take(sizes[11])
        harmonicScratch = take(sizes[12])
        inverseRootDegeneracy = take(sizes[13])
        exactScratch = take(sizes[14])
        exactRadial = calculator.radialEvaluation == .exact
        for l in 0..<lCount { inverseRootDegeneracy[l] = 1 / Double(2 * l + 1).squareRoot() }
        pairChannel = .allocate(capacity: p)
        pairEntry = .allocate(capacity: p)
        pairIndex = .allocate(capacity: p)
        entryWritten = .allocate(capacity: p + 1)
    }

    deinit {
        memory.deallocate()
        pairChannel.deallocate()
        pairEntry.deallocate()
        pairIndex.deallocate()
        entryWritten.deallocate()
    }

    /// The neighbour weight w(r) = f_c(r) u(r) and its derivative.
    @inline(__always)
    func weight(_ r: Double) -> (Double, Double) {
        var w = 1.0, dw = 0.0
        if r > transitionStart {
            let phase = Double.pi * (r - transitionStart) / transitionWidth
            w = 0.5 * (1 + cos(phase))
            dw = -0.5 * Double.pi / transitionWidth * sin(phase)
        }
        if let scaling {
            let x = pow(r / scaling.r0, scaling.m)
            let denominator = scaling.c + x
            let u = scaling.c / denominator
            let du = -scaling.c * scaling.m * x / (r * denominator * denominator)
            dw = dw * u + w * du
            w *= u
        }
        return (w, dw)
    }

    /// Computes row `row`: values, and (if asked) its gradient entries and strain rows.
    func evaluateRow(
        _ row: Int, plan: SOAPPlan, inputs: RowInputs, outputs: RowOutputs, gradients: Bool, strainGradients: Bool
    ) {
        let centre = Int(plan.centres[row])
        let pairStart = plan.pairOffsets[row]
        let pairCount = plan.pairOffsets[row + 1] - pairStart
        let lm = lmCount, nl = nlCount, lc = lCount
        let needsPairGradients = gradients || strainGradients
        coefficients.update(repeating: 0, count: channelCount * lm)

        // (1) Radial functions, harmonics, and the expansion coefficients.
        let radial = radialTemporary, slope = radialTemporary + nl
        for q in 0..<pairCount {
            let p = Int(inputs.planPairs![pairStart + q])
            pairIndex[q] = p
            let r = inputs.distances[p]
            let vector = inputs.vectors[p]
            let channel = Int(inputs.channelOfElement[inputs.numbers[Int(inputs.neighbours[p])]])
            pairChannel[q] = channel
            let (w, dw) = weight(r)
            let wr = weightedRadial + q * nl
            if exactRadial {
                calculator.basis.evaluate(r, values: radial, first: slope, second: exactScratch,
                                          scratch: exactScratch + nl)
            }
            if needsPairGradients {
                if !exactRadial { calculator.spline.evaluate(r, values: radial, derivatives: slope) }
                let ws = weightedSlope + q * nl
                for k in 0..<nl {
                    wr[k] = w * radial[k]
                    ws[k] = dw * radial[k] + w * slope[k]
                }
                calculator.harmonics.compute(vector, distance: r, values: harmonicValues + q * lm,
                                             gradients: harmonicGradients + 3 * q * lm, scratch: harmonicScratch)
            } else {
                if !exactRadial { calculator.spline.evaluate(r, values: radial) }
                for k in 0..<nl { wr[k] = w * radial[k] }
                calculator.harmonics.compute(vector, distance: r, values: harmonicValues + q * lm,
                                             gradients: nil, scratch: harmonicScratch)
            }
            SOAPKernels.accumulate(
                coefficients: coefficients + channel * nMax * lm, weightedRadial: wr, harmonics: harmonicValues + q * lm,
                nMax: nMax, lCount: lc)
        }
        // The centre's own Gaussian (l = 0 only, no gradient).
        let centreChannel = Int(inputs.channelOfElement[inputs.numbers[centre]])
        let ownChannel = centreChannel >= 0 ? centreChannel : (singleChannel ? 0 : -1)
        if ownChannel >= 0 && centralWeight != 0 {
            let y00 = 0.5 / Double.pi.squareRoot()
            calculator.basis.centreCoefficients.withUnsafeBufferPointer { centreCoefficients in
                for n in 0..<nMax {
                    coefficients[(ownChannel * nMax + n) * lm] += centralWeight * centreCoefficients[n] * y00
                }
            }
        }

        // (2) Power spectrum and normalisation.
        SOAPKernels.powerSpectrum(
            coefficients: coefficients, channelCount: channelCount, lCount: lc, inverseRootDegeneracy: inverseRootDegeneracy,
            into: spectrum)
        let f = featureCount
        var squaredNorm = 0.0
        for k in 0..<f { squaredNorm += spectrum[k] * spectrum[k] }
        let norm = squaredNorm.squareRoot()
        let valuesOut = outputs.values! + row * f
        let zeroRow = normalise && norm == 0
        let scale = normalise ? (zeroRow ? 0 : 1 / norm) : 1
        for k in 0..<f { valuesOut[k] = spectrum[k] * scale }

        guard needsPairGradients else { return }

        // (3) Gradients. Each pair's ∂v/∂r_ij is built in an L1-resident scratch row (already
        // divided by |v| if normalising, with v̂ · row accumulated on the fly), then one fused pass
        // projects out v̂, adds it to its atom's entry, subtracts it from the centre's entry and
        // accumulates the strain rows. The first write to an entry assigns instead of adding, so
        // the output needs no separate zeroing pass.
        let entryStart = gradients ? plan.entryOffsets[row] : 0
        let entryCount = gradients ? plan.entryOffsets[row + 1] - entryStart : 0
        let gradientBase = gradients ? outputs.gradients! + 3 * entryStart * f : nil
        let strainBase = strainGradients ? outputs.strain! + 9 * row * f : nil
        if let strainBase { strainBase.update(repeating: 0, count: 9 * f) }
        if zeroRow {
            if let gradientBase { gradientBase.update(repeating: 0, count: 3 * entryCount * f) }
            return
        }
        var selfEntry = 0
        if gradients {
            // Entry of each pair: binary search in the row's sorted atom list.
            let atoms = inputs.entryAtoms! + entryStart
            selfEntry = SOAPWorkspace.search(Int32(centre), in: atoms, count: entryCount)
            for q in 0..<pairCount {
                let j = inputs.neighbours[pairIndex[q]]
                pairEntry[q] = Int(j) == centre ? -1 : SOAPWorkspace.search(j, in: atoms, count: entryCount)
            }
            for e in 0..<entryCount { entryWritten[e] = false }
        }
        let unitValues = valuesOut
        let prefactorScale = normalise ? 1 / norm : 1
        var dots = SIMD3<Double>(0, 0, 0)
        for q in 0..<pairCount {
            let p = pairIndex[q]
            let r = inputs.distances[p]
            let vector = inputs.vectors[p]
            let unit = vector / r
            SOAPKernels.projections(
                coefficients: coefficients, channelCount: channelCount, lCount: lc,
                harmonics: harmonicValues + q * lm, harmonicGradients: harmonicGradients + 3 * q * lm,
                projections: projections, gradientProjections: gradientProjections)
            let wr = weightedRadial + q * nl, ws = weightedSlope + q * nl
            for n in 0..<nMax {
                for l in 0..<lc {
                    let k = n * lc + l
                    let factor = inverseRootDegeneracy[l] * prefactorScale
                    radialTerms[k] = factor * wr[k]
                    let s = factor * ws[k]
                    slopeTerms[k] = s * unit.x
                    slopeTerms[nl + k] = s * unit.y
                    slopeTerms[2 * nl + k] = s * unit.z
                }
            }
            dots = SOAPKernels.pairGradient(
                channel: pairChannel[q], channelCount: channelCount, nMax: nMax, lCount: lc,
                slopeTerms: slopeTerms, radialTerms: radialTerms, projections: projections,
                gradientProjections: gradientProjections, featureCount: f, unitValues: normalise ? unitValues : nil,
                into: pairGradient)
            // Fused: g = row − v̂ (v̂ · row); entry += g; centre −= g; strain[a][α] += r_a g.
            var entryTarget: UnsafeMutablePointer<Double>? = nil
            var entryFirst = false, selfFirst = false
            let selfTarget = gradientBase.map { $0 + 3 * selfEntry * f }
            if let gradientBase, pairEntry[q] >= 0 {
                let entry = pairEntry[q]
                entryTarget = gradientBase + 3 * entry * f
                entryFirst = !entryWritten[entry]
                entryWritten[entry] = true
                selfFirst = !entryWritten[selfEntry]
                entryWritten[selfEntry] = true
            }
            for alpha in 0..<3 {
                let source = pairGradient + alpha * f
                if normalise {
                    let d = dots[alpha]
                    for k in 0..<f { source[k] -= unitValues[k] * d }
                }
                if let entryTarget, let selfTarget {
                    let target = entryTarget + alpha * f, centreTarget = selfTarget + alpha * f
                    switch (entryFirst, selfFirst) {
                    case (true, true):
                        for k in 0..<f { target[k] = source[k]; centreTarget[k] = -source[k] }
                    case (true, false):
                        for k in 0..<f { target[k] = source[k]; centreTarget[k] -= source[k] }
                    case (false, true):
                        for k in 0..<f { target[k] += source[k]; centreTarget[k] = -source[k] }
                    case (false, false):
                        for k in 0..<f { target[k] += source[k]; centreTarget[k] -= source[k] }
                    }
                }
                if let strainBase {
                    let rx = vector.x, ry = vector.y, rz = vector.z
                    let sx = strainBase + alpha * f, sy = strainBase + (3 + alpha) * f, sz = strainBase + (6 + alpha) * f
                    for k in 0..<f {
                        let g = source[k]
                        sx[k] += rx * g
                        sy[k] += ry * g
                        sz[k] += rz * g
                    }
                }
            }
        }
        // Entries never written (only the centre's, when no pair reaches another atom) are zero.
        if let gradientBase {
            for e in 0..<entryCount where !entryWritten[e] {
                (gradientBase + 3 * e * f).update(repeating: 0, count: 3 * f)
            }
        }
    }

    /// Index of `atom` in the sorted `atoms[0 ..< count]` (it is always present).
    @inline(__always)
    static func search(_ atom: Int32, in atoms: UnsafePointer<Int32>, count: Int) -> Int {
        var low = 0, high = count - 1
        while low < high {
            let middle = (low + high) / 2
            if atoms[middle] < atom { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// The small dense kernels, on raw pointers.
enum SOAPKernels {
    /// c[n][lm] += wR[n][l] Y[lm] for one pair, into its species' channel block.
    @inline(__always)
    static func accumulate(
        coefficients: UnsafeMutablePointer<Double>, weightedRadial: UnsafePointer<Double>, harmonics: UnsafePointer<Double>,
        nMax: Int, lCount: Int
    ) {
        let lm = lCount * lCount
        for n in 0..<nMax {
            let c = coefficients + n * lm
            let wr = weightedRadial + n * lCount
            for l in 0..<lCount {
                let factor = wr[l]
                let start = l * l
                for k in start..<(start + 2 * l + 1) { c[k] += factor * harmonics[k] }
            }
        }
    }

    /// v[(A(A+1)/2 + B) L1 + l] = (√2 if A ≠ B) k_l Σ_m c[A][lm] c[B][lm].
    static func powerSpectrum(
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

    /// y[A][l] = Σ_m Y_lm c[A][lm] and g_α[A][l] = Σ_m ∂_α Y_lm c[A][lm].
    @inline(__always)
    static func projections(
        coefficients: UnsafePointer<Double>, channelCount: Int, lCount: Int, harmonics: UnsafePointer<Double>,
        harmonicGradients: UnsafePointer<Double>, projections: UnsafeMutablePointer<Double>,
        gradientProjections: UnsafeMutablePointer<Double>
    ) {
        let lm = lCount * lCount
        let gx = harmonicGradients, gy = harmonicGradients + lm, gz = harmonicGradients + 2 * lm
        let stride = channelCount * lCount
        for a in 0..<channelCount {
            let c = coefficients + a * lm
            for l in 0..<lCount {
                var y = 0.0, sx = 0.0, sy = 0.0, sz = 0.0
                let start = l * l
                for k in start..<(start + 2 * l + 1) {
                    let ck = c[k]
                    y += harmonics[k] * ck
                    sx += gx[k] * ck
                    sy += gy[k] * ck
                    sz += gz[k] * ck
                }
                let index = a * lCount + l
                projections[index] = y
                gradientProjections[index] = sx
                gradientProjections[stride + index] = sy
                gradientProjections[2 * stride + index] = sz
            }
        }
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
        var dots = SIMD3<Double>(0, 0, 0)
        var offset = 0
        for a in 0..<channelCount {
            let aIn = a >= first && a < last
            let na = a - first
            for b in 0...a {
                let bIn = b >= first && b < last
                let nb = b - first
                let pairScale = a == b ? 1.0 : root2
                for alpha in 0..<3 {
                    let out = output + alpha * featureCount + offset
                    let slope = slopeTerms + alpha * nl
                    let g = gradientProjections + alpha * stride
                    if aIn && bIn {
                        let pa = slope + na * lCount, qa = radialTerms + na * lCount
                        let pb = slope + nb * lCount, qb = radialTerms + nb * lCount
                        let ya = projections + a * lCount, yb = projections + b * lCount
                        let ga = g + a * lCount, gb = g + b * lCount
                        for l in 0..<lCount {
                            out[l] = pairScale * (pa[l] * yb[l] + qa[l] * gb[l] + pb[l] * ya[l] + qb[l] * ga[l])
                        }
                    } else if aIn {
                        let pa = slope + na * lCount, qa = radialTerms + na * lCount
                        let yb = projections + b * lCount, gb = g + b * lCount
                        for l in 0..<lCount { out[l] = pairScale * (pa[l] * yb[l] + qa[l] * gb[l]) }
                    } else if bIn {
                        let pb = slope + nb * lCount, qb = radialTerms + nb * lCount
                        let ya = projections + a * lCount, ga = g + a * lCount
                        for l in 0..<lCount { out[l] = pairScale * (pb[l] * ya[l] + qb[l] * ga[l]) }
                    } else {
                        for l in 0..<lCount { out[l] = 0 }
                    }
                    if let unitValues {
                        let v = unitValues + offset
                        var dot = 0.0
                        for l in 0..<lCount { dot += v[l] * out[l] }
                        dots[alpha] += dot
                    }
                }
                offset += lCount
            }
        }
        return dots
    }
}
