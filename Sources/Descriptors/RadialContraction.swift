import AtomicStructures
import LinearAlgebra
import Parallelism
import Support

/// A data-driven ("optimal") radial basis: the QUIP basis of P primitive functions contracted,
/// per neighbour species s and angular momentum l, onto the n_max leading principal components
/// of the training environments' density coefficients (Goscinski, Musil, Pozdnyakov and
/// Ceriotti, J. Chem. Phys. 155, 104106 (2021)).
///
/// With c_{s p l m}(i) the primitive expansion coefficients of environment i (see
/// ``SOAPCalculator/densityExpansion(_:threads:)``), the uncentred covariance
///
///     C^{s l}[p, p′] = (1/N) Σ_i Σ_m c_{s p l m}(i) c_{s p′ l m}(i)
///
/// is diagonalised, C^{s l} = V Λ Vᵀ with eigenvalues descending, and U^{s l} = the first n_max
/// columns of V. The contracted coefficients are c_{s q l m} = Σ_p U^{s l}[p, q] c_{s p l m},
/// which is the expansion on the radial functions R^s_ql(r) = Σ_p U^{s l}[p, q] R_pl(r). Those
/// are splined like the QUIP basis, so a descriptor with n_max contracted functions costs what
/// n_max primitive functions cost. Each eigenvector's sign is fixed (its largest-magnitude
/// entry, the first of equals, is positive), so the contraction is a deterministic function of
/// the covariance.
///
/// When n_max = P nothing is truncated: U^{s l} is orthogonal, the power spectrum is rotated by
/// an orthogonal map per l, and dot products (the SOAP kernel) are unchanged up to round-off.
///
/// **Combined species** (``combinesSpecies``, for several neighbour species): one covariance per
/// l over every (species, primitive) pair, C^l[(s p), (s′ p′)] = (1/N) Σ_i Σ_m c_{s p l m} c_{s′ p′ l m},
/// and n_max contracted channels shared by all species, c_{q l m} = Σ_{s p} U^l[(s p), q] c_{s p l m}:
/// a neighbour of species s contributes through R^s_ql = Σ_p U^l[(s p), q] R_pl. The descriptor
/// then has n_max channels in all instead of species · n_max (a joint species and radial
/// compression, as Willatt, Musil and Ceriotti 2019 do for species); n_max = species · P keeps
/// the kernel unchanged.
public struct RadialContraction: Hashable, Sendable {
    /// The number of primitive functions P (`n_max_primitive`).
    public let primitiveCount: Int
    /// The number of contracted functions per (species, l): the descriptor's n_max.
    public let contractedCount: Int
    /// The maximum angular momentum.
    public let lMax: Int
    /// The neighbour species (atomic numbers, ascending), one contraction each.
    public let species: [Int]
    /// U^{s l} for s in `species` order, then l = 0 ... lMax: each P x n_max, row-major (row p,
    /// column q), concatenated.
    public let matrices: [Double]
    /// The eigenvalues of C^{s l}, descending, P per (s, l), in the order of `matrices`.
    public let eigenvalues: [Double]
    /// The number of environments N the covariance was averaged over.
    public let environmentCount: Int
    /// Whether one contraction per l mixes every species (else one per species and l).
    public let combinesSpecies: Bool

    /// The number of covariance blocks: species · (l_max + 1), or l_max + 1 when combined.
    package var blockCount: Int { (combinesSpecies ? 1 : species.count) * (lMax + 1) }

    /// Rows of each block's matrix and eigenvalues per block: P, or species · P when combined.
    public var blockSize: Int { (combinesSpecies ? species.count : 1) * primitiveCount }

    /// The "file" named in errors about an inconsistent contraction.
    static let errorSource = "<radial contraction>"

    /// Creates a contraction from its parts (as stored in a model file). `matrices` holds one
    /// matrix per block (species then l, or l only when `combinesSpecies`), each ``blockSize``
    /// x n_max, row-major; `eigenvalues` ``blockSize`` per block, descending.
    ///
    /// - Throws: ``InputError`` (field `radial_contraction`) if the sizes disagree, a count is out
    ///   of range, a value is not finite, or the species are not distinct and ascending.
    public init(
        primitiveCount: Int, contractedCount: Int, lMax: Int, species: [Int], matrices: [Double], eigenvalues: [Double],
        environmentCount: Int, combinesSpecies: Bool = false
    ) throws {
        func fail(_ message: String) -> InputError {
            InputError(file: RadialContraction.errorSource, field: "radial_contraction", message: message)
        }
        guard primitiveCount >= 1, primitiveCount <= SOAPCalculator.maximumNMax else {
            throw fail("the primitive count must be between 1 and \(SOAPCalculator.maximumNMax), got \(primitiveCount)")
        }
        let rows = (combinesSpecies ? species.count : 1) * primitiveCount
        guard contractedCount >= 1, contractedCount <= rows else {
            throw fail("the contracted count must be between 1 and \(rows) (the primitive functions\(combinesSpecies ? " of every species" : "")), got \(contractedCount)")
        }
        guard lMax >= 0, lMax <= SOAPCalculator.maximumLMax else {
            throw fail("l_max must be between 0 and \(SOAPCalculator.maximumLMax), got \(lMax)")
        }
        guard !species.isEmpty, zip(species, species.dropFirst()).allSatisfy({ $0 < $1 }),
              species.allSatisfy({ (1...SOAPCalculator.maximumAtomicNumber).contains($0) }) else {
            throw fail("the species must be distinct atomic numbers in ascending order, got \(species)")
        }
        let blocks = (combinesSpecies ? 1 : species.count) * (lMax + 1)
        guard matrices.count == blocks * rows * contractedCount else {
            throw fail("holds \(matrices.count) matrix elements, expected \(blocks * rows * contractedCount) (\(blocks) blocks x \(rows) x \(contractedCount))")
        }
        guard eigenvalues.count == blocks * rows else {
            throw fail("holds \(eigenvalues.count) eigenvalues, expected \(blocks * rows)")
        }
        guard matrices.allSatisfy(\.isFinite), eigenvalues.allSatisfy(\.isFinite) else {
            throw fail("holds a value that is not finite")
        }
        guard environmentCount >= 0 else { throw fail("the environment count must be ≥ 0, got \(environmentCount)") }
        self.primitiveCount = primitiveCount
        self.contractedCount = contractedCount
        self.lMax = lMax
        self.species = species
        self.matrices = matrices
        self.eigenvalues = eigenvalues
        self.environmentCount = environmentCount
        self.combinesSpecies = combinesSpecies
    }

    /// The block holding species `speciesIndex` and `l`.
    func block(speciesIndex: Int, l: Int) -> Int { combinesSpecies ? l : speciesIndex * (lMax + 1) + l }

    /// The P x n_max matrix (row-major) taking the primitive coefficients c_{s p l m} of the
    /// species at position `speciesIndex` of ``species`` to the contracted ones: U^{s l}, or the
    /// species' P rows of U^l when combined.
    public func matrix(speciesIndex: Int, l: Int) -> [Double] {
        let size = primitiveCount * contractedCount
        let start = block(speciesIndex: speciesIndex, l: l) * blockSize * contractedCount + (combinesSpecies ? speciesIndex * size : 0)
        return Array(matrices[start ..< start + size])
    }

    /// The eigenvalues of the covariance holding species `speciesIndex` and `l`, descending
    /// (``blockSize`` values; with combined species, the same for every species).
    public func eigenvalues(speciesIndex: Int, l: Int) -> [Double] {
        let start = block(speciesIndex: speciesIndex, l: l) * blockSize
        return Array(eigenvalues[start ..< start + blockSize])
    }

    /// The cumulative fraction of the variance (the trace of C^{s l}) that the first k
    /// eigenvectors retain, for k = 1 ... ``blockSize``: element k − 1 is Σ_{j<k} λ_j / Σ_j λ_j. Negative
    /// round-off eigenvalues count as zero. Where C^{s l} is zero (no neighbour of the species in
    /// the sample) every fraction is 1: there is nothing to lose.
    public func retainedVariance(speciesIndex: Int, l: Int) -> [Double] {
        RadialContraction.cumulativeFractions(eigenvalues(speciesIndex: speciesIndex, l: l))
    }

    /// The smallest fraction of variance retained by the kept functions over every (species, l).
    public var minimumRetainedVariance: Double {
        var result = 1.0
        for s in (combinesSpecies ? [0] : Array(species.indices)) {
            for l in 0...lMax { result = min(result, retainedVariance(speciesIndex: s, l: l)[contractedCount - 1]) }
        }
        return result
    }

    static func cumulativeFractions(_ values: [Double]) -> [Double] {
        let clamped = values.map { max(0, $0) }
        let total = clamped.reduce(0, +)
        guard total > 0 else { return [Double](repeating: 1, count: values.count) }
        var running = 0.0
        return clamped.map { running += $0; return min(1, running / total) }
    }

    /// A table of the retained variance per species and l for k = 1 ... P kept functions (the
    /// curve of the contraction), with the kept count marked.
    public func retainedVarianceTable() -> String {
        var lines = ["retained variance of the optimal radial basis (\(environmentCount) environments, \(primitiveCount) primitive functions\(combinesSpecies ? " per species, species combined" : ""), \(contractedCount) kept):"]
        var header = "  species l  "
        for k in 1...blockSize { header += String(k).leftPadded(7) + " " }
        lines.append(header)
        for (s, z) in (combinesSpecies ? [0] : species).enumerated() {
            let symbol = combinesSpecies ? "all" : (Element(atomicNumber: z)?.symbol ?? "Z\(z)")
            for l in 0...lMax {
                var line = "  " + (symbol + String(repeating: " ", count: max(0, 7 - symbol.count))) + String(l).leftPadded(2) + "  "
                for (k, fraction) in retainedVariance(speciesIndex: s, l: l).enumerated() {
                    line += formatFixed(fraction, 4).leftPadded(7) + (k + 1 == contractedCount ? "*" : " ")
                }
                lines.append(line)
            }
        }
        lines.append("  (* = the kept count n_max)")
        return lines.joined(separator: "\n")
    }

    /// Fits the contraction to environments.
    ///
    /// - Parameters:
    ///   - hyperparameters: the descriptor; its n_max is the number of contracted functions (an
    ///     upper limit when `retainedVariance` is given).
    ///   - primitiveCount: P, the size of the primitive QUIP basis (≥ n_max).
    ///   - retainedVariance: if given (0 < v ≤ 1), keep the fewest functions (at most n_max) such
    ///     that every (species, l) retains at least this fraction of its variance.
    ///   - combineSpecies: one contraction per l over every species (see ``combinesSpecies``);
    ///     n_max may then be up to species · P.
    ///   - structures: the structures holding the environments.
    ///   - centres: for each structure, the atoms whose environments enter the covariance (each
    ///     must be of a centre species of the descriptor).
    ///   - threads: worker threads. The result is bit for bit the same for any value (structures
    ///     are summed in 64 fixed chunks, combined in order).
    ///   - supervision: the supervised basis: the l = 0 blocks by PCovR with these weights and
    ///     mixing instead of PCA (see `SupervisedRadialBasis.swift`); nil for PCA everywhere.
    /// - Throws: ``InputError`` (fields `n_max_primitive`, `retained_variance`, or a descriptor
    ///   field) for invalid settings or an atom that is not a centre, and if there is no
    ///   environment; ``LinearAlgebraError`` if an eigensolver fails.
    public static func fit(
        _ hyperparameters: SOAPHyperparameters, primitiveCount: Int, retainedVariance: Double? = nil, combineSpecies: Bool = false,
        structures: [Structure], centres: [[Int]], threads: Int = ThreadCount.current, supervision: Supervision? = nil
    ) throws -> RadialContraction {
        let file = SOAPCalculator.errorSource
        if let a = supervision?.mixing, !(a >= 0 && a <= 1) {
            throw InputError(file: file, field: "supervised_mixing", message: "must be in [0, 1], got \(a)")
        }
        let speciesFactor = combineSpecies ? Set(hyperparameters.neighbourSpecies).count : 1
        guard primitiveCount * speciesFactor >= hyperparameters.nMax, primitiveCount <= SOAPCalculator.maximumNMax else {
            throw InputError(file: file, field: "n_max_primitive", message: "the primitive basis must have between \(combineSpecies ? "n_max / species" : "n_max") (\(hyperparameters.nMax)\(combineSpecies ? " / \(speciesFactor)" : "")) and \(SOAPCalculator.maximumNMax) functions, got \(primitiveCount)")
        }
        if let v = retainedVariance, !(v > 0 && v <= 1) {
            throw InputError(file: file, field: "retained_variance", message: "must be a fraction in (0, 1], got \(v)")
        }
        let (h, sums, environmentCount) = try covariance(
            hyperparameters, primitiveCount: primitiveCount, combineSpecies: combineSpecies, structures: structures,
            centres: centres, threads: threads)
        let speciesCount = h.neighbourSpecies.count
        let lCount = h.lMax + 1
        let p = primitiveCount
        let (rows, blockCount, blockSize) = RadialContraction.covarianceBlocks(
            speciesCount: speciesCount, lCount: lCount, primitiveCount: p, combineSpecies: combineSpecies)
        // Eigenvectors per block, columns by descending eigenvalue.
        var vectors: [[Double]] = []   // per block: rows x rows row-major, column j = j-th eigenvector
        var values: [Double] = []
        let scale = 1 / Double(environmentCount)
        for block in 0..<blockCount {
            var covariance = Matrix(rows: rows, columns: rows)
            for i in 0..<rows {
                for j in 0..<rows { covariance[i, j] = sums[block * blockSize + i * rows + j] * scale }
            }
            // The l = 0 blocks of the supervised basis: PCovR (already sorted by descending value).
            let l = combineSpecies ? block : block % lCount
            if let supervision, l == 0 {
                precondition(supervision.weights.count == speciesCount * p, "one weight per (species, primitive function)")
                let weights = combineSpecies ? supervision.weights : Array(supervision.weights[(block / lCount) * p ..< (block / lCount + 1) * p])
                if let pcovr = try supervisedBlock(covariance: covariance, weights: weights, mixing: supervision.mixing) {
                    var columns = pcovr.projection
                    for j in 0..<rows {
                        var pivot = 0
                        for i in 1..<rows where abs(columns[i * rows + j]) > abs(columns[pivot * rows + j]) { pivot = i }
                        if columns[pivot * rows + j] < 0 { for i in 0..<rows { columns[i * rows + j] = -columns[i * rows + j] } }
                    }
                    values += pcovr.eigenvalues
                    vectors.append(columns)
                    continue
                }
            }
            let decomposition = try symmetricEigendecomposition(covariance)
            var block = [Double](repeating: 0, count: blockSize)
            for j in 0..<rows {
                let source = rows - 1 - j
                values.append(decomposition.values[source])
                // Sign: the largest-magnitude entry positive (the first of equals).
                var pivot = 0
                for i in 1..<rows where abs(decomposition.vectors[i, source]) > abs(decomposition.vectors[pivot, source]) { pivot = i }
                let sign: Double = decomposition.vectors[pivot, source] < 0 ? -1 : 1
                for i in 0..<rows { block[i * rows + j] = sign * decomposition.vectors[i, source] }
            }
            vectors.append(block)
        }
        var kept = hyperparameters.nMax
        if let threshold = retainedVariance {
            kept = 1
            for block in 0..<blockCount {
                let fractions = cumulativeFractions(Array(values[(block * rows) ..< ((block + 1) * rows)]))
                let needed = (fractions.firstIndex { $0 >= threshold } ?? (rows - 1)) + 1
                kept = max(kept, needed)
            }
            kept = min(kept, hyperparameters.nMax)
        }
        var matrices: [Double] = []
        matrices.reserveCapacity(blockCount * rows * kept)
        for block in vectors {
            for i in 0..<rows {
                for j in 0..<kept { matrices.append(block[i * rows + j]) }
            }
        }
        return try RadialContraction(
            primitiveCount: p, contractedCount: kept, lMax: h.lMax, species: h.neighbourSpecies, matrices: matrices,
            eigenvalues: values, environmentCount: environmentCount, combinesSpecies: combineSpecies)
    }

    /// The summed uncentred covariance blocks of the primitive coefficients of `centres`
    /// (per (species, l), or per l over every (species, p) when `combineSpecies`; row-major,
    /// concatenated, not yet divided by N), the number N of environments, and the primitive
    /// hyper-parameters (species sorted). Bit for bit the same for any `threads`.
    static func covariance(
        _ hyperparameters: SOAPHyperparameters, primitiveCount: Int, combineSpecies: Bool, structures: [Structure],
        centres: [[Int]], threads: Int
    ) throws -> (SOAPHyperparameters, [Double], Int) {
        let file = SOAPCalculator.errorSource
        precondition(structures.count == centres.count, "one list of centres per structure")
        var primitiveParameters = hyperparameters
        primitiveParameters.nMax = primitiveCount
        let primitive: SOAPCalculator
        do {
            primitive = try SOAPCalculator(primitiveParameters)
        } catch var error as InputError {
            if error.field == "n_max" { error.field = "n_max_primitive" }
            throw error
        }
        let h = primitive.hyperparameters
        let speciesCount = h.neighbourSpecies.count
        let lCount = h.lMax + 1
        let p = primitiveCount
        let (_, blockCount, blockSize) = RadialContraction.covarianceBlocks(
            speciesCount: speciesCount, lCount: lCount, primitiveCount: p, combineSpecies: combineSpecies)
        let sumSize = blockCount * blockSize
        let chunkCount = min(structures.count, 64)
        var partial = [[Double]](repeating: [], count: chunkCount)
        var counts = [Int](repeating: 0, count: chunkCount)
        var failures = [Error?](repeating: nil, count: chunkCount)
        partial.withUnsafeMutableBufferPointer { partialOut in
        counts.withUnsafeMutableBufferPointer { countsOut in
        failures.withUnsafeMutableBufferPointer { errors in
            parallelChunks(count: structures.count, chunkCount: chunkCount, threads: threads) { chunk, range in
                var sums = [Double](repeating: 0, count: sumSize)
                var used = 0
                do {
                    for k in range {
                        let expansion = try primitive.densityExpansion(structures[k], threads: 1)
                        let width = expansion.featureCount
                        for atom in centres[k] {
                            guard let row = expansion.centres.firstIndex(of: Int32(atom)) else {
                                throw InputError(
                                    file: structures[k].source?.file ?? "<memory>", line: structures[k].source?.line, field: "Z",
                                    message: "atom \(atom + 1) is not a centre of this descriptor (centre species \(h.centreSpecies))")
                            }
                            expansion.values.withUnsafeBufferPointer { values in
                                RadialContraction.accumulate(
                                    values.baseAddress! + row * width, speciesCount: speciesCount, primitiveCount: p,
                                    lCount: lCount, combined: combineSpecies, into: &sums)
                            }
                            used += 1
                        }
                    }
                } catch {
                    errors[chunk] = error
                }
                partialOut[chunk] = sums
                countsOut[chunk] = used
            }
        }
        }
        }
        if let error = failures.compactMap({ $0 }).first { throw error }
        let environmentCount = counts.reduce(0, +)
        guard environmentCount > 0 else {
            throw InputError(file: file, field: "radial_basis", message: "no environments to fit the optimal radial basis to")
        }
        var sums = [Double](repeating: 0, count: sumSize)
        for chunk in partial {
            for k in 0..<sumSize { sums[k] += chunk[k] }
        }
        return (h, sums, environmentCount)
    }

    /// Adds one environment's Σ_m c_{s p l m} c_{s p′ l m} to the (s, l) blocks of `sums`, or
    /// Σ_m c_{s p l m} c_{s′ p′ l m} to the l blocks when `combined`.
    static func accumulate(
        _ coefficients: UnsafePointer<Double>, speciesCount: Int, primitiveCount p: Int, lCount: Int, combined: Bool,
        into sums: inout [Double]
    ) {
        let lm = lCount * lCount
        if combined {
            // Channels A = s P + p are contiguous across species, so one (S P)² block per l.
            let rows = speciesCount * p
            sums.withUnsafeMutableBufferPointer { out in
                for l in 0..<lCount {
                    let block = out.baseAddress! + l * rows * rows
                    for i in 0..<rows {
                        let ci = coefficients + i * lm + l * l
                        for j in 0..<rows {
                            let cj = coefficients + j * lm + l * l
                            var sum = 0.0
                            for m in 0..<(2 * l + 1) { sum += ci[m] * cj[m] }
                            block[i * rows + j] += sum
                        }
                    }
                }
            }
            return
        }
        sums.withUnsafeMutableBufferPointer { out in
            for s in 0..<speciesCount {
                for l in 0..<lCount {
                    let block = out.baseAddress! + (s * lCount + l) * p * p
                    for i in 0..<p {
                        let ci = coefficients + (s * p + i) * lm + l * l
                        for j in 0..<p {
                            let cj = coefficients + (s * p + j) * lm + l * l
                            var sum = 0.0
                            for m in 0..<(2 * l + 1) { sum += ci[m] * cj[m] }
                            block[i * p + j] += sum
                        }
                    }
                }
            }
        }
    }
}

extension RadialContraction {
    /// The covariance blocks: per (species, l) of P x P, or per l of (species · P)² when the
    /// species are combined; rows per block, block count and doubles per block.
    static func covarianceBlocks(speciesCount: Int, lCount: Int, primitiveCount p: Int, combineSpecies: Bool) -> (rows: Int, blockCount: Int, blockSize: Int) {
        let rows = (combineSpecies ? speciesCount : 1) * p
        return (rows, (combineSpecies ? 1 : speciesCount) * lCount, rows * rows)
    }
}
