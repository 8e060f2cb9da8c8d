import AtomicStructures
import NeighbourLists
import Parallelism
import Support

/// Reverse mode of the SOAP power spectrum (see ``ReverseModeDescriptor``).
///
/// Per row, given u = ∂E/∂v:
/// 1. through the normalisation v = p/|p|: ∂E/∂p = (u − v (v · u))/|p|;
/// 2. through the power spectrum p_{ABl} = s_AB k_l Σ_m c_{Alm} c_{Blm} (s_AB = √2 if A ≠ B,
///    k_l = 1/√(2l+1)): G_{Alm} = ∂E/∂c_{Alm} = Σ_B t_{ABl} c_{Blm}, with t = s_AB k_l ∂E/∂p_{ABl}
///    counted once for each of A and B (twice on the diagonal);
/// 3. through the density expansion c_{Anlm} = Σ_j w R_nl(r_j) Y_lm(r̂_j): for each pair,
///    ∂E/∂r_j = r̂_j Σ_{nlm} G (wR)′_nl Y_lm + Σ_{nlm} G wR_nl ∇Y_lm, that is
///    2 n_max (l_max+1)² + 4 (l_max+1)² multiply-adds per pair instead of the 3 F (n_max + …)
///    of a forward gradient.
/// The pair's force goes to its atom (−) and its centre (+), and −r ⊗ ∂E/∂r to the virial.
extension SOAPCalculator: ReverseModeDescriptor {
    public func evaluateReverse(
        _ structure: Structure, neighbours list: NeighbourList, forces: Bool, virial: Bool, blockSize: Int, threads: Int,
        energy: (ReverseModeBlock) -> Void
    ) throws -> ReverseModeResult {
        try SOAPBlockState.evaluateReverse(
            density: self, correlation: .power, structure, neighbours: list, forces: forces, virial: virial,
            blockSize: blockSize, threads: threads, energy: energy)
    }

    public func reverseModeBlockBytes(blockSize: Int, pairsPerRow: Int) -> Int {
        SOAPBlockState.blockBytes(density: self, featureCount: featureCount, termValueCount: 0, blockSize: blockSize, pairsPerRow: pairsPerRow)
    }
}

/// Reverse mode of the bispectrum: as the power spectrum's, with G = ∂E/∂c from
/// ``BispectrumLayout/coefficientAdjoint(valueAdjoint:terms:into:)``.
extension BispectrumCalculator: ReverseModeDescriptor {
    public func evaluateReverse(
        _ structure: Structure, neighbours list: NeighbourList, forces: Bool, virial: Bool, blockSize: Int, threads: Int,
        energy: (ReverseModeBlock) -> Void
    ) throws -> ReverseModeResult {
        try SOAPBlockState.evaluateReverse(
            density: density, correlation: .bispectrum(layout), structure, neighbours: list, forces: forces, virial: virial,
            blockSize: blockSize, threads: threads, energy: energy)
    }

    public func reverseModeBlockBytes(blockSize: Int, pairsPerRow: Int) -> Int {
        SOAPBlockState.blockBytes(
            density: density, featureCount: featureCount, termValueCount: layout.termValueCount, blockSize: blockSize,
            pairsPerRow: pairsPerRow)
    }
}

/// Which density correlation a reverse-mode block evaluates.
enum BlockCorrelation {
    /// The power spectrum (SOAP), full or with selected features.
    case power
    /// The bispectrum.
    case bispectrum(BispectrumLayout)
}

extension SOAPBlockState {
    /// The reverse-mode evaluation shared by the density correlations (see ``ReverseModeDescriptor``).
    static func evaluateReverse(
        density calculator: SOAPCalculator, correlation: BlockCorrelation, _ structure: Structure, neighbours list: NeighbourList,
        forces: Bool, virial: Bool, blockSize: Int, threads: Int, energy: (ReverseModeBlock) -> Void
    ) throws -> ReverseModeResult {
        let hyperparameters = calculator.hyperparameters
        guard list.centreCount <= structure.count, list.cutoffRadius >= hyperparameters.cutoffRadius else {
            throw InputError(
                file: structure.source?.file ?? "<memory>", line: structure.source?.line, field: "cutoff",
                message: "the neighbour list (\(list.centreCount) atoms, cutoff \(list.cutoffRadius) Å) does not fit this structure (\(structure.count) atoms) and SOAP cutoff (\(hyperparameters.cutoffRadius) Å)")
        }
        let plan = try SOAPPlan(calculator: calculator, structure: structure, list: list, needsEntries: false)
        let rows = plan.rowCount
        let blockSize = max(1, blockSize)
        let blockCount = (rows + blockSize - 1) / blockSize
        let slots = ReverseModeBlock.slotCount(rowCount: rows, blockSize: blockSize, threads: threads)
        let needsGradients = forces || virial
        var localEnergies = [Double](repeating: 0, count: rows)
        var forceValues = forces ? [Double](repeating: 0, count: 3 * structure.count) : []
        var virialValues = [Double](repeating: 0, count: 9)
        guard rows > 0 else {
            return ReverseModeResult(centres: plan.centres, localEnergies: localEnergies, forces: forceValues, virial: virialValues)
        }
        let states = (0..<slots).map { _ in
            SOAPBlockState(
                calculator: calculator, correlation: correlation, blockSize: min(blockSize, rows), pairCapacity: plan.maximumPairCount)
        }
        localEnergies.withUnsafeMutableBufferPointer { energies in
        forceValues.withUnsafeMutableBufferPointer { forcesOut in
        virialValues.withUnsafeMutableBufferPointer { virialOut in
            SOAPEvaluator.withRowInputs(calculator: calculator, structure: structure, list: list, plan: plan, entryAtoms: false) { inputs in
                // Waves of `slots` blocks: evaluated concurrently, then reduced in block order.
                var waveStart = 0
                while waveStart < blockCount {
                    let waveEnd = min(blockCount, waveStart + slots)
                    parallelChunks(count: waveEnd - waveStart, chunkCount: waveEnd - waveStart, threads: slots) { slot, _ in
                        let block = waveStart + slot
                        let range = (block * blockSize) ..< min(rows, (block + 1) * blockSize)
                        let state = states[slot]
                        state.forward(range, plan: plan, inputs: inputs)
                        energy(ReverseModeBlock(
                            rows: range, slot: slot, values: state.values,
                            valueGradients: needsGradients ? state.valueGradients : nil,
                            localEnergies: energies.baseAddress! + range.lowerBound))
                        if needsGradients { state.backward(range, plan: plan, inputs: inputs) }
                    }
                    if needsGradients {
                        for block in waveStart..<waveEnd {
                            let range = (block * blockSize) ..< min(rows, (block + 1) * blockSize)
                            states[block - waveStart].accumulate(
                                range, plan: plan, inputs: inputs, forces: forces ? forcesOut.baseAddress : nil,
                                virial: virial ? virialOut.baseAddress : nil)
                        }
                    }
                    waveStart = waveEnd
                }
            }
        }
        }
        }
        return ReverseModeResult(centres: plan.centres, localEnergies: localEnergies, forces: forceValues, virial: virialValues)
    }

    /// Bytes one concurrent block holds (see ``ReverseModeDescriptor/reverseModeBlockBytes(blockSize:pairsPerRow:)``).
    static func blockBytes(density: SOAPCalculator, featureCount: Int, termValueCount: Int, blockSize: Int, pairsPerRow: Int) -> Int {
        let h = density.hyperparameters, channelCount = density.channelCount
        let lCount = h.lMax + 1
        let lm = lCount * lCount, nl = h.nMax * lCount
        let p = max(1, pairsPerRow)
        // Per row: its coefficients, values, ∂E/∂v, norm, pair forces and weights; per block: one
        // SOAPWorkspace (pair tables with gradients, coefficients, scratch), the coefficient
        // adjoints and pair scratch (h and h′ of one pair), the spectrum and its adjoint, terms.
        let perRow = channelCount * lm + 2 * featureCount + 1 + 5 * p
        let slots = max(8, p)
        let workspace = 2 * slots * nl + 4 * slots * lm + channelCount * lm + 4 * density.featureCount + 2 * nl + 4 * channelCount * lCount
            + 4 * nl + density.harmonics.scratchCount + lCount + lm * channelCount + 4 * lCount * channelCount + 4 * p
        let perBlock = workspace + channelCount * lm + 2 * featureCount + 2 * lm + termValueCount
            + density.harmonics.angularRecordCapacity(pairCount: p) + 2 * p + density.harmonics.pairGradientScratchCount(nMax: h.nMax)
        return 8 * (blockSize * perRow + perBlock)
    }
}

/// The memory of one concurrent block: each row's expansion coefficients, values and ∂E/∂v
/// (kept from the forward to the backward pass), each pair's ∂E/∂r until the serial reduction,
/// and one ``SOAPWorkspace`` shared by the block's rows. A pair's radial functions and harmonics
/// are evaluated again in the backward pass rather than kept (keeping them for a block of rows
/// would cost far more memory than the block's kernel products), so a block can be large enough
/// for the kernel against the sparse points to run at matrix-product speed.
final class SOAPBlockState {
    let calculator: SOAPCalculator
    let featureCount: Int, channelCount: Int, nMax: Int, lCount: Int, lmCount: Int, nlCount: Int
    let coefficientCount: Int
    let pairCapacity: Int
    let normalise: Bool
    let workspace: SOAPWorkspace
    /// Expansion coefficients of the block's rows, `coefficientCount` each.
    let rowCoefficients: UnsafeMutablePointer<Double>
    /// Values and ∂E/∂v of the block, row-major.
    let values: UnsafeMutablePointer<Double>
    let valueGradients: UnsafeMutablePointer<Double>
    /// |p| of each row (0 for a row without any density).
    let norms: UnsafeMutablePointer<Double>
    /// u · v of each row (∂E/∂v · v), for the normalisation's adjoint.
    let projections: UnsafeMutablePointer<Double>
    /// ∂E/∂r of every pair, 3 per pair, `pairCapacity` pairs per row.
    let pairGradients: UnsafeMutablePointer<Double>
    /// The neighbour weight w and w′ of every pair, 2 per pair, laid out as `pairGradients`.
    let pairWeights: UnsafeMutablePointer<Double>
    /// Scratch: ∂E/∂p (F), G = ∂E/∂c (channels x LM).
    let spectrumAdjoint: UnsafeMutablePointer<Double>
    let coefficientAdjoint: UnsafeMutablePointer<Double>
    /// Scratch of one pair: h_lm and h′_lm (2 x LM), on the portable path.
    let harmonicWeights: UnsafeMutablePointer<Double>
    /// When the wide kernels run (else nil): the angular parts of one channel's pairs of a row in
    /// blocks of eight (``RealSphericalHarmonics/angularPartsWide(vectors:distances:pairs:count:records:)``),
    /// their pair indices and their places in the row, and the scratch of the eight-pair gradients.
    let angularRecords: UnsafeMutablePointer<Double>?
    let angularPairs: UnsafeMutablePointer<Int>
    let angularSlots: UnsafeMutablePointer<Int>
    let angularRecordStride: Int
    let pairGradientScratch: UnsafeMutablePointer<Double>
    /// What the block's values are and, for the bispectrum, one row's terms.
    let correlation: BlockCorrelation
    let terms: UnsafeMutablePointer<Double>

    init(calculator: SOAPCalculator, correlation: BlockCorrelation, blockSize: Int, pairCapacity: Int) {
        self.calculator = calculator
        self.correlation = correlation
        let h = calculator.hyperparameters
        var termCount = 0
        switch correlation {
        case .power: featureCount = calculator.featureCount
        case .bispectrum(let layout):
            featureCount = layout.featureCount
            termCount = layout.termValueCount
        }
        terms = .allocate(capacity: max(1, termCount))
        channelCount = calculator.channelCount
        nMax = h.nMax
        lCount = h.lMax + 1
        lmCount = lCount * lCount
        nlCount = nMax * lCount
        coefficientCount = channelCount * lmCount
        normalise = h.normalise
        self.pairCapacity = max(1, pairCapacity)
        // At least eight pair slots: the wide backward pass evaluates eight pairs' radial functions
        // before their gradients.
        workspace = SOAPWorkspace(calculator: calculator, pairCapacity: max(8, pairCapacity), gradients: true)
        rowCoefficients = .allocate(capacity: blockSize * coefficientCount)
        values = .allocate(capacity: blockSize * featureCount)
        valueGradients = .allocate(capacity: blockSize * featureCount)
        norms = .allocate(capacity: blockSize)
        projections = .allocate(capacity: blockSize)
        pairGradients = .allocate(capacity: 3 * blockSize * self.pairCapacity)
        pairWeights = .allocate(capacity: 2 * blockSize * self.pairCapacity)
        spectrumAdjoint = .allocate(capacity: featureCount)
        coefficientAdjoint = .allocate(capacity: coefficientCount)
        harmonicWeights = .allocate(capacity: 2 * lmCount)
        angularRecordStride = calculator.harmonics.angularRecordStride
        angularRecords = SOAPKernels.wide(lCount: lCount)
            ? .allocate(capacity: calculator.harmonics.angularRecordCapacity(pairCount: self.pairCapacity)) : nil
        angularPairs = .allocate(capacity: self.pairCapacity)
        angularSlots = .allocate(capacity: self.pairCapacity)
        pairGradientScratch = .allocate(capacity: calculator.harmonics.pairGradientScratchCount(nMax: nMax))
    }

    deinit {
        rowCoefficients.deallocate()
        values.deallocate()
        valueGradients.deallocate()
        norms.deallocate()
        projections.deallocate()
        pairGradients.deallocate()
        pairWeights.deallocate()
        spectrumAdjoint.deallocate()
        coefficientAdjoint.deallocate()
        harmonicWeights.deallocate()
        angularRecords?.deallocate()
        angularPairs.deallocate()
        angularSlots.deallocate()
        pairGradientScratch.deallocate()
        terms.deallocate()
    }

    /// Expands every row of the block (keeping its coefficients) and writes its (normalised)
    /// power spectrum to `values`, exactly as the forward evaluator does.
    func forward(_ rows: Range<Int>, plan: SOAPPlan, inputs: RowInputs) {
        let f = featureCount
        // Each row's unnormalised values first (in place), then the norms and the scaling.
        for (k, row) in rows.enumerated() {
            workspace.expandRow(
                row, plan: plan, inputs: inputs, needsPairGradients: false, weights: pairWeights + 2 * k * pairCapacity)
            let coefficients = rowCoefficients + k * coefficientCount
            coefficients.update(from: workspace.coefficients, count: coefficientCount)
            let spectrum = values + k * f
            switch correlation {
            case .power:
                if let selection = calculator.selection {
                    selection.powerSpectrum(coefficients: coefficients, lmCount: lmCount, into: spectrum)
                } else {
                    SOAPKernels.powerSpectrum(
                        coefficients: coefficients, channelCount: channelCount, lCount: lCount,
                        inverseRootDegeneracy: workspace.inverseRootDegeneracy, into: spectrum)
                }
            case .bispectrum(let layout):
                layout.terms(coefficients: coefficients, into: terms)
                layout.values(coefficients: coefficients, terms: terms, into: spectrum)
            }
        }
        Self.rowDots(values, values, rows: rows.count, length: f, into: norms)
        for k in 0..<rows.count {
            let norm = norms[k].squareRoot()
            norms[k] = norm
            let scale = normalise ? (norm == 0 ? 0 : 1 / norm) : 1
            let out = values + k * f
            for i in 0..<f { out[i] = out[i] * scale }
        }
    }

    /// out[k] = Σ_i a[k][i] b[k][i] for `rows` rows of `length`, each sum in order from zero.
    /// (Interleaving four rows' addition chains gave the same bits and no measurable gain, so the
    /// plain loop stays.)
    static func rowDots(
        _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, rows: Int, length: Int, into out: UnsafeMutablePointer<Double>
    ) {
        for k in 0..<rows {
            let ak = a + k * length, bk = b + k * length
            var sum = 0.0
            for i in 0..<length { sum += ak[i] * bk[i] }
            out[k] = sum
        }
    }

    /// From ∂E/∂v in `valueGradients`, each pair's ∂E/∂r_pair into `pairGradients`.
    func backward(_ rows: Range<Int>, plan: SOAPPlan, inputs: RowInputs) {
        let f = featureCount
        if normalise { Self.rowDots(valueGradients, values, rows: rows.count, length: f, into: projections) }
        for (k, row) in rows.enumerated() {
            let pairStart = plan.pairOffsets[row]
            let pairCount = plan.pairOffsets[row + 1] - pairStart
            let out = pairGradients + 3 * k * pairCapacity
            let weights = pairWeights + 2 * k * pairCapacity
            let u = valueGradients + k * f, v = values + k * f
            if normalise && norms[k] == 0 {
                // No density: the row and its gradients are zero.
                out.update(repeating: 0, count: 3 * pairCount)
                continue
            }
            let coefficients = rowCoefficients + k * coefficientCount
            // (1) ∂E/∂p.
            if normalise {
                let projection = projections[k]
                let inverseNorm = 1 / norms[k]
                for i in 0..<f { spectrumAdjoint[i] = (u[i] - v[i] * projection) * inverseNorm }
            } else {
                spectrumAdjoint.update(from: u, count: f)
            }
            // (2) G = ∂E/∂c.
            coefficientAdjoint.update(repeating: 0, count: coefficientCount)
            switch correlation {
            case .power:
                if let selection = calculator.selection {
                    selection.coefficientAdjoint(
                        spectrumAdjoint: spectrumAdjoint, coefficients: coefficients, into: coefficientAdjoint)
                } else {
                    SOAPKernels.powerSpectrumAdjoint(
                        coefficients: coefficients, spectrumAdjoint: spectrumAdjoint,
                        inverseRootDegeneracy: workspace.inverseRootDegeneracy, channelCount: channelCount, lCount: lCount,
                        into: coefficientAdjoint)
                }
            case .bispectrum(let layout):
                layout.terms(coefficients: coefficients, into: terms)
                layout.coefficientAdjoint(valueAdjoint: spectrumAdjoint, terms: terms, into: coefficientAdjoint)
            }
            // (3) each pair, its radial functions and harmonics evaluated again. Where the CPU
            // allows, channel by channel: the angular parts of the channel's pairs, then eight
            // pairs' gradients at once, the pairs in the lanes (the same bits as pair by pair).
            if let angularRecords {
                let lm = lmCount
                let channelBlocks = channelCount / nMax
                for channel in 0..<channelBlocks {
                    var count = 0
                    for q in 0..<pairCount {
                        let p = Int(inputs.planPairs![pairStart + q])
                        if channelBlocks > 1 && Int(inputs.channelOfElement[inputs.numbers[Int(inputs.neighbours[p])]]) != channel {
                            continue
                        }
                        angularPairs[count] = p
                        angularSlots[count] = q
                        count &+= 1
                    }
                    guard count > 0 else { continue }
                    calculator.harmonics.angularPartsWide(
                        vectors: inputs.vectors, distances: inputs.distances, pairs: angularPairs, count: count,
                        records: angularRecords)
                    for first in stride(from: 0, to: count, by: 8) {
                        let batch = min(8, count &- first)
                        for k in 0..<batch {
                            _ = workspace.pairRadial(
                                angularPairs[first &+ k], inputs: inputs, slot: k, slopes: true,
                                weights: weights + 2 &* angularSlots[first &+ k], weightsKnown: true)
                        }
                        calculator.harmonics.pairGradientsWide(
                            records: angularRecords + first &* angularRecordStride,
                            adjoint: coefficientAdjoint + channel &* nMax &* lm, weightedRadial: workspace.weightedRadial,
                            weightedSlope: workspace.weightedSlope, count: batch, nMax: nMax, vectors: inputs.vectors,
                            distances: inputs.distances, pairs: angularPairs + first, slots: angularSlots + first,
                            scratch: pairGradientScratch, gradients: out)
                    }
                }
                continue
            }
            for q in 0..<pairCount {
                let p = Int(inputs.planPairs![pairStart + q])
                let channel = workspace.pairRadial(
                    p, inputs: inputs, slot: 0, slopes: true, weights: weights + 2 &* q, weightsKnown: true)
                let g = pairGradient(channel: channel, vector: inputs.vectors[p], distance: inputs.distances[p])
                out[3 * q] = g.x
                out[3 * q + 1] = g.y
                out[3 * q + 2] = g.z
            }
        }
    }

    /// ∂E/∂r of the pair whose radial functions are in the workspace's pair slot 0, from G in
    /// `coefficientAdjoint`: h_lm = Σ_n G_nlm wR_nl and h′_lm = Σ_n G_nlm (wR)′_nl
    /// (``SOAPKernels/pairWeights(adjoint:weightedRadial:weightedSlope:nMax:lCount:h:hs:)``), then
    /// ∂E/∂r = r̂ Σ h′ Y + Σ h ∇Y, the two harmonic sums taken by the harmonics in one pass.
    @inline(__always)
    private func pairGradient(channel: Int, vector: Vector3, distance r: Double) -> SIMD3<Double> {
        let lm = lmCount
        let h = harmonicWeights, hs = harmonicWeights + lm
        SOAPKernels.pairWeights(
            adjoint: coefficientAdjoint + channel &* nMax &* lm, weightedRadial: workspace.weightedRadial,
            weightedSlope: workspace.weightedSlope, nMax: nMax, lCount: lCount, h: h, hs: hs)
        let (radial, b) = calculator.harmonics.contract(
            vector, distance: r, weights: h, valueWeights: hs, scratch: workspace.harmonicScratch)
        return (radial / r) * vector + b
    }

    /// Adds the block's pair gradients to forces (−∂E/∂r on the neighbour, + on the centre) and
    /// virial (−r ⊗ ∂E/∂r), pair by pair in row order.
    func accumulate(
        _ rows: Range<Int>, plan: SOAPPlan, inputs: RowInputs, forces: UnsafeMutablePointer<Double>?,
        virial: UnsafeMutablePointer<Double>?
    ) {
        for (k, row) in rows.enumerated() {
            let centre = Int(plan.centres[row])
            let start = plan.pairOffsets[row]
            let g = pairGradients + 3 * k * pairCapacity
            for q in 0..<(plan.pairOffsets[row + 1] - start) {
                let p = Int(plan.pairs[start + q])
                let gx = g[3 * q], gy = g[3 * q + 1], gz = g[3 * q + 2]
                if let forces {
                    let j = Int(inputs.neighbours[p])
                    if j != centre {
                        forces[3 * j] -= gx
                        forces[3 * j + 1] -= gy
                        forces[3 * j + 2] -= gz
                        forces[3 * centre] += gx
                        forces[3 * centre + 1] += gy
                        forces[3 * centre + 2] += gz
                    }
                }
                if let virial {
                    let r = inputs.vectors[p]
                    virial[0] -= r.x * gx; virial[1] -= r.x * gy; virial[2] -= r.x * gz
                    virial[3] -= r.y * gx; virial[4] -= r.y * gy; virial[5] -= r.y * gz
                    virial[6] -= r.z * gx; virial[7] -= r.z * gy; virial[8] -= r.z * gz
                }
            }
        }
    }
}

extension SelectedFeatureTables {
    /// G += ∂E/∂c for the kept components: each adds t c_B to G_A and t c_A to G_B with
    /// t = s_AB k_l ∂E/∂p (so twice on the diagonal A = B, as d(c_A · c_A) = 2 c_A).
    func coefficientAdjoint(
        spectrumAdjoint: UnsafePointer<Double>, coefficients: UnsafePointer<Double>, into adjoint: UnsafeMutablePointer<Double>
    ) {
        firstCoefficient.withUnsafeBufferPointer { c1 in
        secondCoefficient.withUnsafeBufferPointer { c2 in
        degeneracy.withUnsafeBufferPointer { dg in
        valueScale.withUnsafeBufferPointer { vs in
            for k in 0..<count {
                let t = vs[k] * spectrumAdjoint[k]
                let a = Int(c1[k]), b = Int(c2[k])
                for m in 0..<Int(dg[k]) {
                    adjoint[a + m] += t * coefficients[b + m]
                    adjoint[b + m] += t * coefficients[a + m]
                }
            }
        }
        }
        }
        }
    }
}
