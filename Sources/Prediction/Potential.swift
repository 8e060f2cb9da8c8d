import AtomicStructures
import Descriptors
import Kernels
import NeighbourLists
import Support

/// What one term computes from a structure before its kernel is applied: the input of its
/// design rows and of its predictions.
///
/// Computing this is the expensive part of both (the SOAP power spectrum and its gradients), so
/// callers that fit several models to the same structures — cross-validation folds, learning
/// curves — compute it once with ``PotentialTerm/features(of:neighbours:gradients:strainGradients:)``
/// and pass it to ``PotentialTerm/addDesignRows(from:structure:neighbours:rows:into:columnOffset:)``
/// and ``PotentialTerm/predict(from:structure:neighbours:alpha:)``. The results are bit for bit
/// those of computing it on the fly.
public enum TermFeatures: Sendable {
    /// Descriptor values, with position gradients and strain gradients where they were asked for.
    case descriptors(DescriptorValues)
    /// Nothing beyond the structure's neighbour list (pair terms read distances from it).
    case neighbourList

    /// Bytes held (the descriptor arrays; 0 for ``neighbourList``).
    public var byteCount: Int {
        switch self {
        case .descriptors(let d):
            return 8 * (d.values.count + d.gradientValues.count + d.strainValues.count + d.gradientOffsets.count)
                + 4 * (d.centres.count + d.gradientAtoms.count)
        case .neighbourList:
            return 0
        }
    }
}

/// One additive term of a GAP model: a descriptor, a kernel with its sparse points, and the
/// fitted coefficients α (one per sparse point, without δ², as gap_fit stores them).
///
/// A term works in two steps: ``features(of:neighbours:gradients:strainGradients:)`` computes
/// what it needs from a structure, and the kernel turns that into design rows or predictions.
/// The one-step methods ``addDesignRows(for:neighbours:rows:into:columnOffset:)`` and
/// ``predict(_:neighbours:alpha:forces:virial:)`` chain the two.
public protocol PotentialTerm: Sendable {
    /// A short name for messages and reports, e.g. "soap" or "distance_2b Si-Si".
    var name: String { get }
    /// The cutoff radius of the term's descriptor, Å.
    var cutoffRadius: Double { get }
    /// The number of sparse points M.
    var sparseCount: Int { get }
    /// K_MM of the term (M x M, column-major, δ² included, no jitter).
    func sparseCovariance() -> [Double]
    /// The block of K_MM for sparse points `rows` x `columns` (column-major).
    func sparseCovariance(rows: Range<Int>, columns: Range<Int>) -> [Double]
    /// Computes the term's per-structure input, with position gradients if `gradients` (needed
    /// for force rows and force predictions) and strain gradients if `strainGradients` (virial).
    /// `neighbours` was built for `structure` with a cutoff at least ``cutoffRadius``.
    func features(of structure: Structure, neighbours: NeighbourList, gradients: Bool, strainGradients: Bool) throws -> TermFeatures
    /// Adds the term's (unweighted) design rows for one structure from its features (which must
    /// carry the gradients the layout's force and virial rows need); see ``DotProductKernel``.
    func addDesignRows(
        from features: TermFeatures, structure: Structure, neighbours: NeighbourList, rows: DesignRowLayout,
        into block: inout DesignBlock, columnOffset: Int
    ) throws
    /// The term's contribution to energy, forces and virial for coefficients `alpha`, from the
    /// structure's features (forces and virial are zero where the features lack gradients).
    func predict(from features: TermFeatures, structure: Structure, neighbours: NeighbourList, alpha: [Double]) throws -> Prediction
    /// The term's contribution to energy, forces and virial of `structure` for coefficients
    /// `alpha`, computed the cheapest way (for SOAP: reverse mode, in blocks of centres, so
    /// memory stays that of one block per thread), with up to `threads` threads inside the
    /// structure. Equal to ``predict(from:structure:neighbours:alpha:)`` on features with
    /// gradients up to round-off (tested to 1e-10 relative), identical for any thread count.
    /// `neighbours` was built for `structure` with a cutoff at least ``cutoffRadius``.
    func predict(
        _ structure: Structure, neighbours: NeighbourList, alpha: [Double], forces: Bool, virial: Bool, threads: Int
    ) throws -> Prediction
    /// As ``features(of:neighbours:gradients:strainGradients:)``, reusing the memory of the
    /// features of a previous structure held in `buffer` (which is emptied). Loops over many
    /// structures hand each result back as the next call's buffer: large gradient arrays are then
    /// written in place instead of being allocated and page-faulted afresh. Results are bit for
    /// bit the same.
    func features(
        of structure: Structure, neighbours: NeighbourList, gradients: Bool, strainGradients: Bool, reusing buffer: inout TermFeatures?
    ) throws -> TermFeatures
}

extension PotentialTerm {
    /// Terms without large per-structure arrays ignore the buffer.
    public func features(
        of structure: Structure, neighbours: NeighbourList, gradients: Bool, strainGradients: Bool, reusing buffer: inout TermFeatures?
    ) throws -> TermFeatures {
        buffer = nil
        return try features(of: structure, neighbours: neighbours, gradients: gradients, strainGradients: strainGradients)
    }

    /// Adds the term's (unweighted) design rows for one structure, computing its features first.
    /// `neighbours` was built for `structure` with a cutoff at least ``cutoffRadius``.
    public func addDesignRows(
        for structure: Structure, neighbours: NeighbourList, rows: DesignRowLayout, into block: inout DesignBlock,
        columnOffset: Int
    ) throws {
        let f = try features(of: structure, neighbours: neighbours, gradients: rows.forces != nil, strainGradients: rows.virial != nil)
        try addDesignRows(from: f, structure: structure, neighbours: neighbours, rows: rows, into: &block, columnOffset: columnOffset)
    }

    /// Terms without a reverse mode compute their features (with gradients as needed) and
    /// predict from them.
    public func predict(
        _ structure: Structure, neighbours: NeighbourList, alpha: [Double], forces: Bool, virial: Bool, threads: Int
    ) throws -> Prediction {
        let f = try features(of: structure, neighbours: neighbours, gradients: forces, strainGradients: virial)
        return try predict(from: f, structure: structure, neighbours: neighbours, alpha: alpha)
    }

    /// ``predict(_:neighbours:alpha:forces:virial:threads:)`` on one thread.
    public func predict(
        _ structure: Structure, neighbours: NeighbourList, alpha: [Double], forces: Bool, virial: Bool
    ) throws -> Prediction {
        try predict(structure, neighbours: neighbours, alpha: alpha, forces: forces, virial: virial, threads: 1)
    }
}

/// A term was handed features of another kind of term (a programming error in the caller,
/// reported rather than trapped).
public struct TermFeaturesMismatch: Error, CustomStringConvertible, Sendable {
    /// The term's name.
    public var term: String

    /// Creates the error for the term named `term`.
    public init(term: String) {
        self.term = term
    }

    public var description: String { "the \(term) term was given features computed for another kind of term" }
}

/// A density-correlation term with the dot-product kernel δ² (d · x)^ζ: the QUIP `soap` power
/// spectrum (ν = 2), or the radial spectrum (ν = 1) or bispectrum (ν = 3) on the same density.
public struct SOAPTerm: PotentialTerm {
    /// The descriptor calculator (``SOAPCalculator``, ``RadialSpectrumCalculator`` or ``BispectrumCalculator``).
    public let calculator: any DensityDescriptor
    /// The kernel with its sparse points.
    public let kernel: DotProductKernel

    /// Creates a SOAP term.
    public init(calculator: any DensityDescriptor, kernel: DotProductKernel) {
        precondition(calculator.featureCount == kernel.featureCount, "kernel and descriptor feature counts differ")
        self.calculator = calculator
        self.kernel = kernel
    }

    public var name: String { calculator.correlation.typeName }
    public var cutoffRadius: Double { calculator.hyperparameters.cutoffRadius }
    public var sparseCount: Int { kernel.sparseCount }
    public func sparseCovariance() -> [Double] { kernel.sparseCovariance() }
    public func sparseCovariance(rows: Range<Int>, columns: Range<Int>) -> [Double] { kernel.sparseCovariance(rows: rows, columns: columns) }

    public func features(of structure: Structure, neighbours: NeighbourList, gradients: Bool, strainGradients: Bool) throws -> TermFeatures {
        // Single-threaded inside: training and prediction parallelise over structures.
                var d = DescriptorValues(featureCount: calculator.featureCount, centres: [], values: [])
        try calculator.compute(structure, neighbours: neighbours, gradients: gradients, strainGradients: strainGradients, threads: 1, into: &d)
        return .descriptors(d)
    }

    public func features(
        of structure: Structure, neighbours: NeighbourList, gradients: Bool, strainGradients: Bool, reusing buffer: inout TermFeatures?
    ) throws -> TermFeatures {
        var d = DescriptorValues(featureCount: calculator.featureCount, centres: [], values: [])
        if case .descriptors(let previous)? = buffer { d = previous }
        buffer = nil  // `d` is now the arrays' only owner, so they are overwritten in place
        try calculator.compute(structure, neighbours: neighbours, gradients: gradients, strainGradients: strainGradients, threads: 1, into: &d)
        return .descriptors(d)
    }

    public func addDesignRows(
        from features: TermFeatures, structure: Structure, neighbours: NeighbourList, rows: DesignRowLayout,
        into block: inout DesignBlock, columnOffset: Int
    ) throws {
        guard case .descriptors(let d) = features else { throw TermFeaturesMismatch(term: name) }
        // Scratch below glibc's largest mmap threshold (32 MB), so that its memory is reused from
        // the heap frame after frame instead of being mapped and page-faulted afresh each time:
        // measured on configs/default.json, 2.3 M → 0.2 M page faults and 4.4 → 0.4 s of system
        // time per fit, with a byte-identical model.
        kernel.addDesignRows(for: d, rows: rows, into: &block, columnOffset: columnOffset, scratchBytes: 16 << 20)
    }

    public func predict(from features: TermFeatures, structure: Structure, neighbours: NeighbourList, alpha: [Double]) throws -> Prediction {
        guard case .descriptors(let d) = features else { throw TermFeaturesMismatch(term: name) }
        return kernel.predict(d, atomCount: structure.count, alpha: alpha)
    }

    /// Reverse mode: ∂E/∂descriptor per block of centres (two GEMMs against the sparse points),
    /// pulled back through the power spectrum and density expansion to the atoms.
    public func predict(
        _ structure: Structure, neighbours: NeighbourList, alpha: [Double], forces: Bool, virial: Bool, threads: Int
    ) throws -> Prediction {
        guard let reverse = calculator as? any ReverseModeDescriptor else {
            // The radial spectrum: forward gradients contracted with the kernel derivative
            // (reverse mode is the power spectrum's and the bispectrum's so far).
            // The given list, not one of the descriptor's own: it may hold only the first atoms
            // as centres (NeighbourList.firstCentres).
            var d = DescriptorValues(featureCount: calculator.featureCount, centres: [], values: [])
            try calculator.compute(structure, neighbours: neighbours, gradients: forces, strainGradients: virial, threads: threads, into: &d)
            return kernel.predict(d, atomCount: structure.count, alpha: alpha)
        }
        return try kernel.predict(structure, descriptor: reverse, neighbours: neighbours, alpha: alpha, forces: forces, virial: virial, threads: threads)
    }
}

/// A fitted GAP potential: per-species reference energies plus additive kernel terms.
///
/// E = Σ_atoms e0(Z) + Σ_terms Σ_environments Σ_m α_m δ² k(d, x_m); forces and virial are the
/// derivatives (F = −dE/dr, W = −dE/dε).
public struct Potential: Sendable {
    /// Reference energy per atomic number, eV.
    public var e0: [Int: Double]
    /// The terms, in model order.
    public var terms: [any PotentialTerm]
    /// Fitted coefficients per term (`alphas[t].count == terms[t].sparseCount`).
    public var alphas: [[Double]]
    /// The posterior factor R of the coefficients (all terms' concatenated), kept only by fits
    /// with `"uncertainty": true`; needed by ``standardDeviation(of:forces:)``. nil by default.
    public var posteriorFactor: PosteriorFactor?

    /// Creates a potential.
    public init(e0: [Int: Double], terms: [any PotentialTerm], alphas: [[Double]]) {
        precondition(terms.count == alphas.count, "one coefficient vector per term")
        for (term, alpha) in zip(terms, alphas) {
            precondition(term.sparseCount == alpha.count, "one coefficient per sparse point")
        }
        self.e0 = e0
        self.terms = terms
        self.alphas = alphas
    }

    /// The largest descriptor cutoff, Å (one neighbour list serves every term).
    public var cutoffRadius: Double { terms.map(\.cutoffRadius).max() ?? 0 }

    /// Predicts energy (eV), forces (eV/Å) and, if asked, the virial (eV) of `structure`, with
    /// up to `threads` threads inside the structure (results are identical for any count).
    ///
    /// Memory is that of the neighbour list, the outputs and one block of centres per thread
    /// (see ``memoryEstimate(atomCount:threads:)``), whatever the structure's size.
    ///
    /// - Throws: ``InputError`` if the structure contains a species without e0 or the structure
    ///   is unusable (for example overlapping atoms).
    public func predict(_ structure: Structure, forces: Bool = true, virial: Bool = true, threads: Int = 1) throws -> Prediction {
        let reference = try referenceEnergy(of: structure)
        var total = Prediction(atomCount: structure.count)
        total.energy = reference
        guard !terms.isEmpty else { return total }
        let list = try NeighbourList(structure, cutoffRadius: cutoffRadius)
        for (term, alpha) in zip(terms, alphas) {
            total.add(try term.predict(structure, neighbours: list, alpha: alpha, forces: forces, virial: virial, threads: threads))
        }
        return total
    }

    /// Predicts from precomputed features: `features[t]` is term t's, computed from `structure`
    /// with `neighbours` (a list with a cutoff of at least ``cutoffRadius``). Forces and virial
    /// come out zero where the features lack the gradients. This is the forward path (descriptor
    /// gradients contracted with the kernel derivative), for callers that hold features with
    /// gradients anyway (training); it equals ``predict(_:forces:virial:threads:)`` (reverse
    /// mode) up to round-off, about 1e-14 relative.
    ///
    /// - Throws: ``InputError`` for a species without e0.
    public func predict(_ structure: Structure, neighbours: NeighbourList, features: [TermFeatures]) throws -> Prediction {
        precondition(features.count == terms.count, "one feature set per term")
        return try predict(structure, neighbours: neighbours, features: features, referenceEnergy: referenceEnergy(of: structure))
    }

    /// Σ_atoms e0(Z), eV, summed in atom order.
    func referenceEnergy(of structure: Structure) throws -> Double {
        var total = 0.0
        for z in structure.atomicNumbers {
            guard let e = e0[z] else {
                throw InputError(
                    file: structure.source?.file ?? "<memory>", line: structure.source?.line, field: "species",
                    message: "the model has no reference energy for \(Element(atomicNumber: z)?.symbol ?? "Z=\(z)"); it was trained on \(e0.keys.sorted().compactMap { Element(atomicNumber: $0)?.symbol }.joined(separator: ", "))")
            }
            total += e
        }
        return total
    }

    private func predict(_ structure: Structure, neighbours: NeighbourList, features: [TermFeatures], referenceEnergy: Double) throws -> Prediction {
        var total = Prediction(atomCount: structure.count)
        total.energy = referenceEnergy
        for (t, (term, alpha)) in zip(terms, alphas).enumerated() {
            total.add(try term.predict(from: features[t], structure: structure, neighbours: neighbours, alpha: alpha))
        }
        return total
    }
}

/// A term whose kernel reads its descriptor from the neighbour list as it works (`distance_2b`,
/// `angle_3b`): it holds nothing per structure and forwards everything else to the kernel.
public protocol NeighbourListTerm: PotentialTerm {
    associatedtype Kernel: NeighbourListKernel
    /// The kernel with its sparse points.
    var kernel: Kernel { get }
}

extension NeighbourListTerm {
    public var cutoffRadius: Double { kernel.cutoffRadius }
    public var sparseCount: Int { kernel.sparseCount }
    public func sparseCovariance() -> [Double] { kernel.sparseCovariance() }
    public func sparseCovariance(rows: Range<Int>, columns: Range<Int>) -> [Double] { kernel.sparseCovariance(rows: rows, columns: columns) }

    /// Pairs and triplets are read from the neighbour list as needed (nothing to hold per structure).
    public func features(of structure: Structure, neighbours: NeighbourList, gradients: Bool, strainGradients: Bool) throws -> TermFeatures {
        .neighbourList
    }

    public func addDesignRows(
        from features: TermFeatures, structure: Structure, neighbours: NeighbourList, rows: DesignRowLayout,
        into block: inout DesignBlock, columnOffset: Int
    ) throws {
        guard case .neighbourList = features else { throw TermFeaturesMismatch(term: name) }
        kernel.addDesignRows(for: structure, neighbours: neighbours, rows: rows, into: &block, columnOffset: columnOffset)
    }

    public func predict(from features: TermFeatures, structure: Structure, neighbours: NeighbourList, alpha: [Double]) throws -> Prediction {
        guard case .neighbourList = features else { throw TermFeaturesMismatch(term: name) }
        return kernel.predict(structure, neighbours: neighbours, alpha: alpha)
    }
}

/// A species as a term name shows it: its symbol, or "*" for any species (0).
private func speciesSymbol(_ z: Int) -> String {
    z == 0 ? "*" : (Element(atomicNumber: z)?.symbol ?? "\(z)")
}

/// The `distance_2b` term: pair distances with the squared-exponential kernel
/// δ² fc(r) fc(r′) exp(−(r − r′)²/2θ²), every ordered pair counted (as gap_fit).
public struct PairDistanceTerm: NeighbourListTerm {
    /// The kernel with its sparse distances.
    public let kernel: PairDistanceKernel

    /// Creates a pair term.
    public init(kernel: PairDistanceKernel) {
        self.kernel = kernel
    }

    public var name: String {
        "distance_2b \(speciesSymbol(kernel.species.z1))-\(speciesSymbol(kernel.species.z2))"
    }
}

/// The `angle_3b` term: QUIP's 3-body descriptor (r_ij + r_ik, (r_ij − r_ik)², r_jk) with the
/// ARD squared-exponential kernel; see ``AngleTripletKernel``.
public struct AngleTripletTerm: NeighbourListTerm {
    /// The kernel with its sparse points.
    public let kernel: AngleTripletKernel

    /// Creates a 3-body term.
    public init(kernel: AngleTripletKernel) {
        self.kernel = kernel
    }

    public var name: String {
        let s = kernel.species
        return "angle_3b \(speciesSymbol(s.z1))-\(speciesSymbol(s.centre))-\(speciesSymbol(s.z2))"
    }
}
