import AtomicStructures
import NeighbourLists
import Parallelism
import Support

/// The parallel driver and the row scaffolding shared by the density correlations of body order
/// ν = 1 (``RadialSpectrumCalculator``) and ν = 3 (``BispectrumCalculator``).
///
/// Both stand on the same density expansion as SOAP: a ``SOAPCalculator`` (`density`) supplies
/// the plan (rows, pairs, gradient entries), the radial splines, the harmonics and, per row,
/// c_{A lm} together with each pair's w R, (w R)′, Y_lm and ∇Y_lm (``SOAPWorkspace/expandRow``).
/// A body order then only says how the features v(c) and, per pair, ∂v/∂r_pair are formed
/// (``CorrelationWorkspace/unnormalisedValues()`` and ``CorrelationWorkspace/pairGradient(_:unit:scale:unitValues:into:)``);
/// normalisation, the scatter of pair gradients to atoms and the strain rows are done here, as in
/// ``SOAPEvaluator``. The layout of the output is ``DescriptorValues``'s, and results do not
/// depend on the thread count (rows are independent).
enum CorrelationDriver {
    static func run(
        density: SOAPCalculator, featureCount f: Int, structure: Structure, list: NeighbourList, gradients: Bool,
        strainGradients: Bool, threads: Int, blockBytes: Int = .max, into result: inout DescriptorValues,
        eachBlock body: (DescriptorValues) throws -> Void = { _ in },
        makeWorkspace: @escaping @Sendable (_ pairCapacity: Int, _ pairGradients: Bool) -> CorrelationWorkspace
    ) throws {
        guard list.centreCount <= structure.count, list.cutoffRadius >= density.hyperparameters.cutoffRadius else {
            throw InputError(
                file: structure.source?.file ?? "<memory>", line: structure.source?.line, field: "cutoff",
                message: "the neighbour list (\(list.centreCount) atoms, cutoff \(list.cutoffRadius) Å) does not fit this structure (\(structure.count) atoms) and cutoff (\(density.hyperparameters.cutoffRadius) Å)")
        }
        let plan = try SOAPPlan(calculator: density, structure: structure, list: list, needsEntries: gradients)
        try SOAPEvaluator.runBlocks(
            density: density, featureCount: f, structure: structure, list: list, plan: plan, gradients: gradients,
            strainGradients: strainGradients, threads: threads, blockBytes: blockBytes, into: &result,
            makeWorkspace: { makeWorkspace($0, $1) }, body)
    }
}

/// Per-worker scratch and the row steps common to every body order; subclasses supply the
/// features and their pair gradients.
class CorrelationWorkspace: RowEvaluator {
    /// The density expansion's workspace: after `expandRow`, `coefficients` (channel x (l_max+1)²),
    /// and per pair q `weightedRadial`/`weightedSlope` (n_max (l_max+1) each), `harmonicValues`,
    /// `harmonicGradients`, `pairIndex` and `pairChannel` (the pair's channel block).
    let density: SOAPWorkspace
    let featureCount: Int
    let normalise: Bool
    /// Unnormalised features (F), then the pair gradient (3 x F).
    let raw: UnsafeMutablePointer<Double>
    let pairGradient: UnsafeMutablePointer<Double>
    let pairEntry: UnsafeMutablePointer<Int>
    let entryWritten: UnsafeMutablePointer<Bool>

    init(density calculator: SOAPCalculator, featureCount: Int, pairCapacity: Int, pairGradients: Bool) {
        density = SOAPWorkspace(calculator: calculator, pairCapacity: pairCapacity, gradients: pairGradients)
        self.featureCount = featureCount
        normalise = calculator.hyperparameters.normalise
        raw = .allocate(capacity: featureCount)
        pairGradient = .allocate(capacity: pairGradients ? 3 * featureCount : 0)
        let p = max(1, pairCapacity)
        pairEntry = .allocate(capacity: p)
        entryWritten = .allocate(capacity: p + 1)
    }

    deinit {
        raw.deallocate()
        pairGradient.deallocate()
        pairEntry.deallocate()
        entryWritten.deallocate()
    }

    /// The unnormalised features of the expanded row, into `raw`.
    func unnormalisedValues() { fatalError("subclass") }

    /// ∂v/∂r_pair of pair `q` (direction `unit` = r̂_pair) times `scale` (1/|v| when normalising),
    /// 3 x F into `output`; returns v̂ · output_α if `unitValues` is given.
    func pairGradient(
        _ q: Int, unit: SIMD3<Double>, scale: Double, unitValues: UnsafePointer<Double>?, into output: UnsafeMutablePointer<Double>
    ) -> SIMD3<Double> {
        fatalError("subclass")
    }

    /// Values, and (if asked) gradient entries and strain rows of row `row`.
    final func evaluateRow(
        _ row: Int, plan: SOAPPlan, inputs: RowInputs, outputs: RowOutputs, gradients: Bool, strainGradients: Bool
    ) {
        let f = featureCount
        let needsPairGradients = gradients || strainGradients
        density.expandRow(row, plan: plan, inputs: inputs, needsPairGradients: needsPairGradients)
        unnormalisedValues()
        var squaredNorm = 0.0
        for k in 0..<f { squaredNorm += raw[k] * raw[k] }
        let norm = squaredNorm.squareRoot()
        let zeroRow = normalise && norm == 0
        let scale = normalise ? (zeroRow ? 0 : 1 / norm) : 1
        let valuesOut = outputs.values! + (row - outputs.firstRow) * f
        for k in 0..<f { valuesOut[k] = raw[k] * scale }
        guard needsPairGradients else { return }

        let centre = Int(plan.centres[row])
        let pairCount = plan.pairOffsets[row + 1] - plan.pairOffsets[row]
        let entryStart = gradients ? plan.entryOffsets[row] : 0
        let entryCount = gradients ? plan.entryOffsets[row + 1] - entryStart : 0
        let gradientBase = gradients ? outputs.gradients! + 3 * (entryStart - outputs.firstEntry) * f : nil
        let strainBase = strainGradients ? outputs.strain! + 9 * (row - outputs.firstRow) * f : nil
        strainBase?.update(repeating: 0, count: 9 * f)
        gradientBase?.update(repeating: 0, count: 3 * entryCount * f)
        if zeroRow { return }
        var selfEntry = 0
        if gradients {
            let atoms = inputs.entryAtoms! + entryStart
            selfEntry = SOAPWorkspace.search(Int32(centre), in: atoms, count: entryCount)
            for q in 0..<pairCount {
                let j = inputs.neighbours[density.pairIndex[q]]
                pairEntry[q] = Int(j) == centre ? -1 : SOAPWorkspace.search(j, in: atoms, count: entryCount)
            }
        }
        for q in 0..<pairCount {
            let p = density.pairIndex[q]
            let vector = inputs.vectors[p]
            let dots = pairGradient(
                q, unit: vector / inputs.distances[p], scale: scale, unitValues: normalise ? UnsafePointer(valuesOut) : nil,
                into: pairGradient)
            let entryTarget = pairEntry[q] >= 0 ? gradientBase.map { $0 + 3 * pairEntry[q] * f } : nil
            let centreTarget = gradientBase.map { $0 + 3 * selfEntry * f }
            for alpha in 0..<3 {
                let source = pairGradient + alpha * f
                // g = (1 − v̂ v̂ᵀ) ∂v/∂r / |v|: the derivative of the normalised vector.
                if normalise {
                    let d = dots[alpha]
                    for k in 0..<f { source[k] -= valuesOut[k] * d }
                }
                if let entryTarget, let centreTarget {
                    let target = entryTarget + alpha * f, own = centreTarget + alpha * f
                    for k in 0..<f {
                        target[k] += source[k]
                        own[k] -= source[k]
                    }
                }
                if let strainBase {
                    let sx = strainBase + alpha * f, sy = strainBase + (3 + alpha) * f, sz = strainBase + (6 + alpha) * f
                    for k in 0..<f {
                        let g = source[k]
                        sx[k] += vector.x * g
                        sy[k] += vector.y * g
                        sz[k] += vector.z * g
                    }
                }
            }
        }
    }
}
