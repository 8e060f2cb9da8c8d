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
/// per output element, the size of the output itself (a dC·Cᵀ product per l would cost 2(2l+1)
/// per element, and BLAS calls on such small matrices are dominated by overhead). The pair
/// gradient is built in an L1-resident scratch row, then one fused pass normalises it, adds it to
/// its atom's entry, subtracts it from the centre's entry, and feeds the strain rows.
///
/// Rows are independent, each written to its own slice of the preallocated outputs, so results
/// do not depend on the thread count.
enum SOAPEvaluator {
    /// Evaluates the plan's rows in consecutive blocks, each into `block` (the memory of its
    /// arrays reused from block to block), and calls `body` after each. A block takes rows while
    /// its arrays stay within `blockBytes` (at least one row); no rows make one empty block; with
    /// `.max` the one block is the whole structure, as ``DensityDescriptor/compute(_:neighbours:gradients:strainGradients:threads:into:)``
    /// returns it. A block's gradient offsets count from its first entry. Rows are independent,
    /// so the values do not depend on the blocks or the thread count.
    static func runBlocks(
        density: SOAPCalculator, featureCount f: Int, structure: Structure, list: NeighbourList, plan: SOAPPlan,
        gradients: Bool, strainGradients: Bool, threads: Int, blockBytes: Int, into block: inout DescriptorValues,
        makeWorkspace: (_ pairCapacity: Int, _ pairGradients: Bool) -> any RowEvaluator,
        _ body: (DescriptorValues) throws -> Void
    ) rethrows {
        let rows = plan.rowCount
        let needsPairGradients = gradients || strainGradients
        let rowBytes = 8 * f * (strainGradients ? 10 : 1)
        var first = 0
        repeat {
            var end = first, bytes = 0
            while end < rows {
                let entries = gradients ? plan.entryOffsets[end + 1] - plan.entryOffsets[end] : 0
                let b = rowBytes + 24 * entries * f
                if end > first && bytes + b > blockBytes { break }
                bytes += b
                end += 1
            }
            let blockRows = end - first
            let firstEntry = gradients ? plan.entryOffsets[first] : 0
            let endEntry = gradients ? plan.entryOffsets[end] : 0
            // Take the arrays out of `block` so that they are uniquely referenced while resized.
            var valuesStorage = block.values, gradientStorage = block.gradientValues, strainStorage = block.strainValues
            block = DescriptorValues(featureCount: f, centres: [], values: [])
            // Every element is written by exactly one row's worker before it is read.
            resizeForOverwrite(&valuesStorage, to: blockRows * f)
            resizeForOverwrite(&gradientStorage, to: 3 * (endEntry - firstEntry) * f)
            resizeForOverwrite(&strainStorage, to: strainGradients ? 9 * blockRows * f : 0)
            let chunkCount = threads <= 1 ? 1 : min(blockRows, threads * 8)
            valuesStorage.withUnsafeMutableBufferPointer { valuesOut in
            gradientStorage.withUnsafeMutableBufferPointer { gradientOut in
            strainStorage.withUnsafeMutableBufferPointer { strainOut in
                let outputs = RowOutputs(
                    values: valuesOut.baseAddress, gradients: gradientOut.baseAddress, strain: strainOut.baseAddress,
                    firstRow: first, firstEntry: firstEntry)
                withRowInputs(calculator: density, structure: structure, list: list, plan: plan, entryAtoms: true) { inputs in
                    parallelChunks(count: blockRows, chunkCount: chunkCount, threads: threads) { _, range in
                        let workspace = makeWorkspace(plan.maximumPairCount, needsPairGradients)
                        for row in range {
                            workspace.evaluateRow(
                                first + row, plan: plan, inputs: inputs, outputs: outputs, gradients: gradients,
                                strainGradients: strainGradients)
                        }
                    }
                }
            }
            }
            }
            let whole = first == 0 && end == rows
            block = DescriptorValues(
                featureCount: f, centres: whole ? plan.centres : Array(plan.centres[first ..< end]), values: valuesStorage,
                gradientOffsets: !gradients ? [] : whole ? plan.entryOffsets : plan.entryOffsets[first ... end].map { $0 - firstEntry },
                gradientAtoms: !gradients ? [] : whole ? plan.entryAtoms : Array(plan.entryAtoms[firstEntry ..< endEntry]),
                gradientValues: gradientStorage, strainValues: strainStorage)
            try body(block)
            first = end
        } while first < rows
    }

    /// The expansion coefficients c_{A lm} of every row (step (1) only), rows of
    /// `channelCount · (lMax + 1)²` doubles, channel-major, lm = l² + l + m.
    static func runExpansion(
        calculator: SOAPCalculator, structure: Structure, list: NeighbourList, plan: SOAPPlan, threads: Int
    ) -> DescriptorValues {
        let lCount = calculator.hyperparameters.lMax + 1
        let width = calculator.channelCount * lCount * lCount
        let rows = plan.rowCount
        var values = [Double](repeating: 0, count: rows * width)
        let chunkCount = threads <= 1 ? 1 : min(rows, threads * 8)
        values.withUnsafeMutableBufferPointer { valuesOut in
            let output = RowOutputs(values: valuesOut.baseAddress, gradients: nil, strain: nil)
            withRowInputs(calculator: calculator, structure: structure, list: list, plan: plan, entryAtoms: false) { inputs in
                parallelChunks(count: rows, chunkCount: chunkCount, threads: threads) { _, range in
                    let workspace = SOAPWorkspace(calculator: calculator, pairCapacity: plan.maximumPairCount, gradients: false)
                    for row in range {
                        workspace.expandRow(row, plan: plan, inputs: inputs, needsPairGradients: false)
                        (output.values! + row * width).update(from: workspace.coefficients, count: width)
                    }
                }
            }
        }
        return DescriptorValues(featureCount: width, centres: plan.centres, values: values)
    }

    /// Calls `body` with pointers to the read-only inputs of every row: the plan's pairs (and, with
    /// `entryAtoms`, its gradient entry atoms), the neighbour list and the species tables. The
    /// pointers are valid only inside `body`.
    static func withRowInputs(
        calculator: SOAPCalculator, structure: Structure, list: NeighbourList, plan: SOAPPlan, entryAtoms: Bool,
        _ body: (RowInputs) -> Void
    ) {
        plan.pairs.withUnsafeBufferPointer { planPairs in
        plan.entryAtoms.withUnsafeBufferPointer { entryAtomsBuffer in
        list.vectors.withUnsafeBufferPointer { vectors in
        list.distances.withUnsafeBufferPointer { distances in
        list.neighbours.withUnsafeBufferPointer { neighbours in
        calculator.channelOfElement.withUnsafeBufferPointer { channelOfElement in
        calculator.tableOfElement.withUnsafeBufferPointer { tableOfElement in
        structure.atomicNumbers.withUnsafeBufferPointer { numbers in
            body(RowInputs(
                planPairs: planPairs.baseAddress, entryAtoms: entryAtoms ? entryAtomsBuffer.baseAddress : nil,
                vectors: vectors.baseAddress!, distances: distances.baseAddress!, neighbours: neighbours.baseAddress!,
                channelOfElement: channelOfElement.baseAddress!, tableOfElement: tableOfElement.baseAddress!,
                numbers: numbers.baseAddress!))
        }
        }
        }
        }
        }
        }
        }
        }
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
    let tableOfElement: UnsafePointer<Int32>
    let numbers: UnsafePointer<Int>
}

/// Output buffers; each row writes only its own slices. They hold a block of rows starting at
/// row `firstRow`, whose gradient entries start at entry `firstEntry` of the plan.
struct RowOutputs: @unchecked Sendable {
    let values: UnsafeMutablePointer<Double>?
    let gradients: UnsafeMutablePointer<Double>?
    let strain: UnsafeMutablePointer<Double>?
    var firstRow = 0
    var firstEntry = 0
}

/// A worker's row kernel: ``SOAPWorkspace`` (ν = 2) or a ``CorrelationWorkspace`` (ν = 1, 3).
protocol RowEvaluator: AnyObject {
    func evaluateRow(
        _ row: Int, plan: SOAPPlan, inputs: RowInputs, outputs: RowOutputs, gradients: Bool, strainGradients: Bool)
}

extension SOAPWorkspace: RowEvaluator {}

/// Per-worker scratch memory, allocated once per chunk and reused for every row.
final class SOAPWorkspace {
    let calculator: SOAPCalculator
    let nMax: Int, lCount: Int, lmCount: Int, nlCount: Int, channelCount: Int, featureCount: Int
    let pairCapacity: Int
    // Cutoff-function and scaling constants.
    let transitionStart: Double, transitionWidth: Double
    let scaling: RadialScaling?
    let centralWeight: Double
    let normalise: Bool
    /// Whether every channel belongs to one block (one neighbour species, or species combined).
    let singleChannel: Bool
    /// Whether there is one neighbour species (QUIP's rule for the centre's own Gaussian).
    let singleSpecies: Bool
    /// Whether each neighbour species has its own radial table (contracted basis).
    let tablePerSpecies: Bool

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
    let transposedCoefficients: UnsafeMutablePointer<Double> // LM x N
    let transposedProjections: UnsafeMutablePointer<Double>  // 4 x L1 x N
    let exactRadial: Bool
    /// The spline tables (one, or one per neighbour species) for the eight-wide evaluation, owned
    /// by `calculator`'s ``WideSplineStore``; nil when the radial functions are exact or the
    /// portable loops run.
    let wideSplines: UnsafeMutablePointer<WideSplineTable>?
    let exactScratch: UnsafeMutablePointer<Double>      // NL + basis scratch, exact evaluation only
    let pairChannel: UnsafeMutablePointer<Int>
    let pairEntry: UnsafeMutablePointer<Int>
    let entryWritten: UnsafeMutablePointer<Bool>
    let pairIndex: UnsafeMutablePointer<Int>
    /// 0, 1, ..., pairCapacity − 1, and scratch for the slots of one channel.
    let allSlots: UnsafeMutablePointer<Int>
    let channelSlots: UnsafeMutablePointer<Int>

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
        transitionWidth = h.cutoffTransitionWidth
        transitionStart = h.cutoffRadius - h.cutoffTransitionWidth
        scaling = h.radialScaling
        centralWeight = h.centralWeight
        normalise = h.normalise
        singleChannel = calculator.channelCount == h.nMax
        singleSpecies = h.neighbourSpecies.count == 1
        tablePerSpecies = calculator.tablePerSpecies
        let p = pairCapacity
        let sizes = [
            channelCount * lmCount, featureCount,
            p * nlCount, gradients ? p * nlCount : 0, p * lmCount, gradients ? 3 * p * lmCount : 0,
            2 * nlCount, channelCount * lCount, 3 * channelCount * lCount, 3 * nlCount, nlCount,
            gradients ? 3 * featureCount : 0, calculator.harmonics.scratchCount, lCount,
            calculator.radialEvaluation == .exact ? 2 * nlCount + (calculator.radialTables.map(\.scratchCount).max() ?? 0) : 0,
            gradients ? lmCount * channelCount : 0, gradients ? 4 * lCount * channelCount : 0,
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
        transposedCoefficients = take(sizes[15])
        transposedProjections = take(sizes[16])
        exactRadial = calculator.radialEvaluation == .exact
        wideSplines = !exactRadial && SOAPKernels.wideKernels ? calculator.wideSplines?.tables : nil
        for l in 0..<lCount { inverseRootDegeneracy[l] = 1 / Double(2 * l + 1).squareRoot() }
        pairChannel = .allocate(capacity: p)
        pairEntry = .allocate(capacity: p)
        pairIndex = .allocate(capacity: p)
        allSlots = .allocate(capacity: p)
        channelSlots = .allocate(capacity: p)
        for q in 0..<p { allSlots[q] = q }
        entryWritten = .allocate(capacity: p + 1)
    }

    deinit {
        memory.deallocate()
        pairChannel.deallocate()
        pairEntry.deallocate()
        pairIndex.deallocate()
        allSlots.deallocate()
        channelSlots.deallocate()
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

    /// The functions of pair `p` (an index into the neighbour list) into pair slot `slot`: w R_nl
    /// and Y_lm, with (w R_nl)′ and ∇Y_lm if `needsPairGradients`; returns the neighbour's channel.
    /// `weights`, if given, receives the pair's w and w′ (see ``pairRadial(_:inputs:slot:slopes:weights:weightsKnown:)``).
    @inline(__always)
    func pairFunctions(
        _ p: Int, inputs: RowInputs, slot q: Int, needsPairGradients: Bool, harmonics: Bool = true,
        weights: UnsafeMutablePointer<Double>? = nil
    ) -> Int {
        let lm = lmCount
        let channel = pairRadial(p, inputs: inputs, slot: q, slopes: needsPairGradients, weights: weights)
        guard harmonics else { return channel }
        calculator.harmonics.compute(inputs.vectors[p], distance: inputs.distances[p], values: harmonicValues + q * lm,
                                     gradients: needsPairGradients ? harmonicGradients + 3 * q * lm : nil,
                                     scratch: harmonicScratch)
        return channel
    }

    /// The radial part of ``pairFunctions``: w R_nl into `weightedRadial` slot `slot` and, if
    /// `slopes`, (w R_nl)′ into `weightedSlope`; returns the neighbour's channel. With `weights`,
    /// the neighbour weight w, w′ is stored there, or read from there if `weightsKnown` (the
    /// reverse mode's backward pass meets every pair of its forward pass again, and the cosine
    /// and sine of the cutoff need not be taken twice).
    @inline(__always)
    func pairRadial(
        _ p: Int, inputs: RowInputs, slot q: Int, slopes: Bool, weights: UnsafeMutablePointer<Double>? = nil,
        weightsKnown: Bool = false
    ) -> Int {
        let nl = nlCount
        let radial = radialTemporary, slope = radialTemporary + nl
        let r = inputs.distances[p]
        let neighbourNumber = inputs.numbers[Int(inputs.neighbours[p])]
        let channel = Int(inputs.channelOfElement[neighbourNumber])
        let table = tablePerSpecies ? Int(inputs.tableOfElement[neighbourNumber]) : 0
        let w: Double, dw: Double
        if let weights, weightsKnown {
            (w, dw) = (weights[0], weights[1])
        } else {
            (w, dw) = weight(r)
            if let weights { (weights[0], weights[1]) = (w, dw) }
        }
        let wr = weightedRadial + q &* nl
        if let wideSplines {
            let ws: UnsafeMutablePointer<Double>? = slopes ? weightedSlope + q &* nl : nil
            wideSplines[tablePerSpecies ? table : 0].evaluateWeighted(r, weight: w, weightSlope: dw, weighted: wr, weightedSlope: ws)
            return channel
        }
        if exactRadial {
            calculator.radialTables[table].evaluate(r, values: radial, first: slope, second: exactScratch,
                                                    scratch: exactScratch + nl)
        }
        if slopes {
            if exactRadial {
            } else if tablePerSpecies {
                calculator.splines[table].evaluate(r, values: radial, derivatives: slope)
            } else {
                calculator.spline.evaluate(r, values: radial, derivatives: slope)
            }
            let ws = weightedSlope + q &* nl
            for k in 0..<nl {
                wr[k] = w * radial[k]
                ws[k] = dw * radial[k] + w * slope[k]
            }
        } else {
            if exactRadial {
            } else if tablePerSpecies {
                calculator.splines[table].evaluate(r, values: radial)
            } else {
                calculator.spline.evaluate(r, values: radial)
            }
            for k in 0..<nl { wr[k] = w * radial[k] }
        }
        return channel
    }

    /// Step (1) of a row: radial functions, harmonics (with gradients if asked), the pair table
    /// (`pairIndex`, `pairChannel`) and the expansion coefficients c_{A lm} in `coefficients`,
    /// including the centre's own Gaussian.
    /// With `weights`, pair q's w and w′ go to `weights + 2q`.
    @inline(__always)
    func expandRow(
        _ row: Int, plan: SOAPPlan, inputs: RowInputs, needsPairGradients: Bool, weights: UnsafeMutablePointer<Double>? = nil
    ) {
        let centre = Int(plan.centres[row])
        let pairStart = plan.pairOffsets[row]
        let pairCount = plan.pairOffsets[row + 1] - pairStart
        let lm = lmCount, lc = lCount
        coefficients.update(repeating: 0, count: channelCount * lm)
        // Without gradients the harmonics of the row's pairs are taken eight pairs at a time where
        // the CPU allows (the same bits as pair by pair).
        let batchedHarmonics = !needsPairGradients && SOAPKernels.wide(lCount: lc)
        for q in 0..<pairCount {
            let p = Int(inputs.planPairs![pairStart + q])
            pairIndex[q] = p
            pairChannel[q] = pairFunctions(
                p, inputs: inputs, slot: q, needsPairGradients: needsPairGradients, harmonics: !batchedHarmonics,
                weights: weights.map { $0 + 2 &* q })
        }
        if batchedHarmonics && pairCount > 0 {
            calculator.harmonics.computeWide(
                vectors: inputs.vectors, distances: inputs.distances, pairs: pairIndex, count: pairCount, values: harmonicValues)
        }
        // c = Σ_pairs wR ⊗ Y per channel block, each block's pairs in pair order.
        if singleChannel {
            SOAPKernels.accumulateRow(
                coefficients: coefficients, weightedRadial: weightedRadial, harmonics: harmonicValues,
                slots: allSlots, slotCount: pairCount, nMax: nMax, lCount: lc)
        } else {
            for channel in 0..<(channelCount / nMax) {
                var count = 0
                for q in 0..<pairCount where pairChannel[q] == channel {
                    channelSlots[count] = q
                    count += 1
                }
                guard count > 0 else { continue }
                SOAPKernels.accumulateRow(
                    coefficients: coefficients + channel * nMax * lm, weightedRadial: weightedRadial,
                    harmonics: harmonicValues, slots: channelSlots, slotCount: count, nMax: nMax, lCount: lc)
            }
        }
        // The centre's own Gaussian (l = 0 only, no gradient), into its species' block with its
        // species' radial functions; a centre of another species adds to the only block when
        // there is one neighbour species (as QUIP).
        let centreNumber = inputs.numbers[centre]
        let centreChannel = Int(inputs.channelOfElement[centreNumber])
        let ownChannel = centreChannel >= 0 ? centreChannel : (singleSpecies ? 0 : -1)
        if ownChannel >= 0 && centralWeight != 0 {
            let y00 = 0.5 / Double.pi.squareRoot()
            let ownTable = tablePerSpecies ? max(0, Int(inputs.tableOfElement[centreNumber])) : 0
            calculator.centreCoefficients[ownTable].withUnsafeBufferPointer { centreCoefficients in
                for n in 0..<nMax {
                    coefficients[(ownChannel * nMax + n) * lm] += centralWeight * centreCoefficients[n] * y00
                }
            }
        }
    }

    /// Computes row `row`: values, and (if asked) its gradient entries and strain rows.
    func evaluateRow(
        _ row: Int, plan: SOAPPlan, inputs: RowInputs, outputs: RowOutputs, gradients: Bool, strainGradients: Bool
    ) {
        let centre = Int(plan.centres[row])
        let pairCount = plan.pairOffsets[row + 1] - plan.pairOffsets[row]
        let needsPairGradients = gradients || strainGradients
        expandRow(row, plan: plan, inputs: inputs, needsPairGradients: needsPairGradients)
        let f = featureCount
        let valuesOut = outputs.values! + (row - outputs.firstRow) * f
        let norm = spectrumRow(into: valuesOut)
        guard needsPairGradients else { return }

        // (3) Gradients. Each pair's ∂v/∂r_ij is built in an L1-resident scratch row (already
        // divided by |v| if normalising, with v̂ · row accumulated on the fly), then one fused pass
        // projects out v̂, adds it to its atom's entry, subtracts it from the centre's entry and
        // accumulates the strain rows. The first write to an entry assigns instead of adding, so
        // the output needs no separate zeroing pass.
        let entryStart = gradients ? plan.entryOffsets[row] : 0
        let entryCount = gradients ? plan.entryOffsets[row + 1] - entryStart : 0
        let gradientBase = gradients ? outputs.gradients! + 3 * (entryStart - outputs.firstEntry) * f : nil
        let strainBase = strainGradients ? outputs.strain! + 9 * (row - outputs.firstRow) * f : nil
        if let strainBase { strainBase.update(repeating: 0, count: 9 * f) }
        if normalise && norm == 0 {
            if let gradientBase { gradientBase.update(repeating: 0, count: 3 * entryCount * f) }
            return
        }
        let selfEntry = gradients ? resolvePairEntries(centre: centre, atoms: inputs.entryAtoms! + entryStart, entryCount: entryCount, pairCount: pairCount, inputs: inputs) : 0
        for a in 0..<channelCount {
            for k in 0..<lmCount { transposedCoefficients[k * channelCount + a] = coefficients[a * lmCount + k] }
        }
        for q in 0..<pairCount {
            let dots = buildPairGradient(q, inputs: inputs, unitValues: valuesOut, prefactorScale: normalise ? 1 / norm : 1)
            scatterPairGradient(
                q, vector: inputs.vectors[pairIndex[q]], dots: dots, unitValues: valuesOut, selfEntry: selfEntry,
                gradientBase: gradientBase, strainBase: strainBase)
        }
        // Entries never written (only the centre's, when no pair reaches another atom) are zero.
        if let gradientBase {
            for e in 0..<entryCount where !entryWritten[e] {
                (gradientBase + 3 * e * f).update(repeating: 0, count: 3 * f)
            }
        }
    }

    /// (2) Power spectrum (or its kept components) of the expanded row, normalised if asked,
    /// written to `valuesOut`; returns its norm before normalisation.
    @inline(__always)
    private func spectrumRow(into valuesOut: UnsafeMutablePointer<Double>) -> Double {
        if let selection = calculator.selection {
            selection.powerSpectrum(coefficients: coefficients, lmCount: lmCount, into: spectrum)
        } else {
            SOAPKernels.powerSpectrum(
                coefficients: coefficients, channelCount: channelCount, lCount: lCount, inverseRootDegeneracy: inverseRootDegeneracy,
                into: spectrum)
        }
        let f = featureCount
        var squaredNorm = 0.0
        for k in 0..<f { squaredNorm += spectrum[k] * spectrum[k] }
        let norm = squaredNorm.squareRoot()
        let scale = normalise ? (norm == 0 ? 0 : 1 / norm) : 1
        for k in 0..<f { valuesOut[k] = spectrum[k] * scale }
        return norm
    }

    /// The gradient entry of each pair of the row (binary search in its sorted atom list; −1 for
    /// a pair to the centre's own image), entries marked unwritten; returns the centre's entry.
    @inline(__always)
    private func resolvePairEntries(centre: Int, atoms: UnsafePointer<Int32>, entryCount: Int, pairCount: Int, inputs: RowInputs) -> Int {
        let selfEntry = SOAPWorkspace.search(Int32(centre), in: atoms, count: entryCount)
        for q in 0..<pairCount {
            let j = inputs.neighbours[pairIndex[q]]
            pairEntry[q] = Int(j) == centre ? -1 : SOAPWorkspace.search(j, in: atoms, count: entryCount)
        }
        for e in 0..<entryCount { entryWritten[e] = false }
        return selfEntry
    }

    /// ∂v/∂r_ij of pair `q` into `pairGradient` (3 rows of F), scaled by `prefactorScale`;
    /// returns v̂ · row for each direction when normalising.
    @inline(__always)
    private func buildPairGradient(_ q: Int, inputs: RowInputs, unitValues: UnsafeMutablePointer<Double>, prefactorScale: Double) -> SIMD3<Double> {
        let lm = lmCount, nl = nlCount, lc = lCount, f = featureCount
        let p = pairIndex[q]
        let unit = inputs.vectors[p] / inputs.distances[p]
        SOAPKernels.projections(
            transposedCoefficients: transposedCoefficients, channelCount: channelCount, lCount: lc,
            harmonics: harmonicValues + q * lm, harmonicGradients: harmonicGradients + 3 * q * lm,
            transposed: transposedProjections, projections: projections, gradientProjections: gradientProjections)
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
        if let selection = calculator.selection {
            return selection.pairGradient(
                channel: pairChannel[q], channelCount: channelCount, nlCount: nl, lCount: lc, slopeTerms: slopeTerms,
                radialTerms: radialTerms, projections: projections, gradientProjections: gradientProjections,
                unitValues: normalise ? unitValues : nil, into: pairGradient)
        } else if singleChannel {
            return SOAPKernels.pairGradientSingleChannel(
                nMax: nMax, lCount: lc, slopeTerms: slopeTerms, radialTerms: radialTerms, projections: projections,
                gradientProjections: gradientProjections, featureCount: f, unitValues: normalise ? unitValues : nil,
                into: pairGradient)
        } else {
            return SOAPKernels.pairGradient(
                channel: pairChannel[q], channelCount: channelCount, nMax: nMax, lCount: lc,
                slopeTerms: slopeTerms, radialTerms: radialTerms, projections: projections,
                gradientProjections: gradientProjections, featureCount: f, unitValues: normalise ? unitValues : nil,
                into: pairGradient)
        }
    }

    /// Fused: g = row − v̂ (v̂ · row); entry += g; centre −= g; strain[a][α] += r_a g.
    @inline(__always)
    private func scatterPairGradient(
        _ q: Int, vector: Vector3, dots: SIMD3<Double>, unitValues: UnsafeMutablePointer<Double>, selfEntry: Int,
        gradientBase: UnsafeMutablePointer<Double>?, strainBase: UnsafeMutablePointer<Double>?
    ) {
        let f = featureCount
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
            let d = normalise ? dots[alpha] : 0
            if let entryTarget, let selfTarget {
                // g = row − v̂ d, written back for the strain pass.
                let target = entryTarget + alpha * f, centreTarget = selfTarget + alpha * f
                switch (entryFirst, selfFirst) {
                case (true, true):
                    for k in 0..<f {
                        let g = source[k] - unitValues[k] * d
                        source[k] = g; target[k] = g; centreTarget[k] = -g
                    }
                case (true, false):
                    for k in 0..<f {
                        let g = source[k] - unitValues[k] * d
                        source[k] = g; target[k] = g; centreTarget[k] -= g
                    }
                case (false, true):
                    for k in 0..<f {
                        let g = source[k] - unitValues[k] * d
                        source[k] = g; target[k] += g; centreTarget[k] = -g
                    }
                case (false, false):
                    for k in 0..<f {
                        let g = source[k] - unitValues[k] * d
                        source[k] = g; target[k] += g; centreTarget[k] -= g
                    }
                }
            } else if normalise {
                for k in 0..<f { source[k] -= unitValues[k] * d }
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
