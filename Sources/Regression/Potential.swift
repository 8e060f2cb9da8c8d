import AtomicStructures
import Descriptors
import NeighbourLists

/// One additive term of a GAP model: a descriptor, a kernel with its sparse points, and the
/// fitted coefficients α (one per sparse point, without δ², as gap_fit stores them).
public protocol PotentialTerm: Sendable {
    /// A short name for messages and reports, e.g. "soap" or "distance_2b Si-Si".
    var name: String { get }
    /// The cutoff radius of the term's descriptor, Å.
    var cutoffRadius: Double { get }
    /// The number of sparse points M.
    var sparseCount: Int { get }
    /// K_MM of the term (M x M, column-major, δ² included, no jitter).
    func sparseCovariance() -> [Double]
    /// Adds the term's (unweighted) design rows for one structure; see ``DotProductKernel``.
    /// `neighbours` was built for `structure` with a cutoff at least ``cutoffRadius``.
    func addDesignRows(
        for structure: Structure, neighbours: NeighbourList, rows: DesignRowLayout, into block: inout DesignBlock,
        columnOffset: Int
    ) throws
    /// The term's contribution to energy, forces and virial for coefficients `alpha`.
    func predict(
        _ structure: Structure, neighbours: NeighbourList, alpha: [Double], forces: Bool, virial: Bool
    ) throws -> Prediction
}

/// The SOAP term: the QUIP `soap` power spectrum with the dot-product kernel δ² (d · x)^ζ.
public struct SOAPTerm: PotentialTerm {
    /// The descriptor calculator.
    public let calculator: SOAPCalculator
    /// The kernel with its sparse points.
    public let kernel: DotProductKernel

    /// Creates a SOAP term.
    public init(calculator: SOAPCalculator, kernel: DotProductKernel) {
        precondition(calculator.featureCount == kernel.featureCount, "kernel and descriptor feature counts differ")
        self.calculator = calculator
        self.kernel = kernel
    }

    public var name: String { "soap" }
    public var cutoffRadius: Double { calculator.hyperparameters.cutoffRadius }
    public var sparseCount: Int { kernel.sparseCount }
    public func sparseCovariance() -> [Double] { kernel.sparseCovariance() }

    public func addDesignRows(
        for structure: Structure, neighbours: NeighbourList, rows: DesignRowLayout, into block: inout DesignBlock,
        columnOffset: Int
    ) throws {
        // Single-threaded inside: training parallelises over structures.
        let d = try calculator.compute(
            structure, neighbours: neighbours, gradients: rows.forces != nil, strainGradients: rows.virial != nil, threads: 1)
        kernel.addDesignRows(for: d, rows: rows, into: &block, columnOffset: columnOffset)
    }

    public func predict(
        _ structure: Structure, neighbours: NeighbourList, alpha: [Double], forces: Bool, virial: Bool
    ) throws -> Prediction {
        let d = try calculator.compute(structure, neighbours: neighbours, gradients: forces, strainGradients: virial, threads: 1)
        return kernel.predict(d, atomCount: structure.count, alpha: alpha)
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

    /// Predicts energy (eV), forces (eV/Å) and, if asked, the virial (eV) of `structure`.
    ///
    /// - Throws: ``InputError`` if the structure contains a species without e0 or the structure
    ///   is unusable (for example overlapping atoms).
    public func predict(_ structure: Structure, forces: Bool = true, virial: Bool = true) throws -> Prediction {
        var total = Prediction(atomCount: structure.count)
        for z in structure.atomicNumbers {
            guard let e = e0[z] else {
                throw InputError(
                    file: structure.source?.file ?? "<memory>", line: structure.source?.line, field: "species",
                    message: "the model has no reference energy for \(Element(atomicNumber: z)?.symbol ?? "Z=\(z)"); it was trained on \(e0.keys.sorted().compactMap { Element(atomicNumber: $0)?.symbol }.joined(separator: ", "))")
            }
            total.energy += e
        }
        guard !terms.isEmpty else { return total }
        let list = try NeighbourList(structure, cutoffRadius: cutoffRadius)
        for (term, alpha) in zip(terms, alphas) {
            let part = try term.predict(structure, neighbours: list, alpha: alpha, forces: forces, virial: virial)
            total.add(part)
        }
        return total
    }
}

/// The `distance_2b` term: pair distances with the squared-exponential kernel
/// δ² fc(r) fc(r′) exp(−(r − r′)²/2θ²), every ordered pair counted (as gap_fit).
public struct PairDistanceTerm: PotentialTerm {
    /// The kernel with its sparse distances.
    public let kernel: PairDistanceKernel

    /// Creates a pair term.
    public init(kernel: PairDistanceKernel) {
        self.kernel = kernel
    }

    public var name: String {
        let s = kernel.species
        func symbol(_ z: Int) -> String { z == 0 ? "*" : (Element(atomicNumber: z)?.symbol ?? "\(z)") }
        return "distance_2b \(symbol(s.z1))-\(symbol(s.z2))"
    }
    public var cutoffRadius: Double { kernel.cutoffRadius }
    public var sparseCount: Int { kernel.sparseCount }
    public func sparseCovariance() -> [Double] { kernel.sparseCovariance() }

    public func addDesignRows(
        for structure: Structure, neighbours: NeighbourList, rows: DesignRowLayout, into block: inout DesignBlock,
        columnOffset: Int
    ) throws {
        kernel.addDesignRows(for: structure, neighbours: neighbours, rows: rows, into: &block, columnOffset: columnOffset)
    }

    public func predict(
        _ structure: Structure, neighbours: NeighbourList, alpha: [Double], forces: Bool, virial: Bool
    ) throws -> Prediction {
        kernel.predict(structure, neighbours: neighbours, alpha: alpha)
    }
}
