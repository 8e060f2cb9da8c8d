import AtomicStructures
import Kernels
import LinearAlgebra
import NeighbourLists
import Support

/// The upper-triangular M x M factor R of the posterior precision of a potential's
/// coefficients: RᵀR = K_MM + jitter + K_MN Λ⁻¹ K_NM, the R of the QR factorisation whose
/// triangular solve gave α (M = the sparse points of every term, concatenated in term order).
///
/// The posterior covariance of α is Σ = (RᵀR)⁻¹, so any prediction linear in α with
/// (unweighted) design row k has variance k Σ kᵀ = ‖k R⁻¹‖². This is the "subset of regressors"
/// (SoR) variance, the uncertainty of the predicted mean from the finite data; it does not
/// include the K_** − Q_** term of the full GP, so far from the training data it shrinks
/// towards zero instead of growing to the prior variance.
public struct PosteriorFactor: Sendable {
    /// M, the number of coefficients.
    public let size: Int
    /// R column-major (`size x size`), zeros below the diagonal.
    public let upper: [Double]

    /// Creates the factor from R, column-major `size x size`; only the upper triangle is read.
    public init(size: Int, upperColumnMajor r: [Double]) {
        precondition(size >= 0 && r.count == size * size, "R must be size x size")
        var u = [Double](repeating: 0, count: size * size)
        for j in 0..<size {
            for i in 0...j { u[i + j * size] = r[i + j * size] }
        }
        self.size = size
        self.upper = u
    }

    /// Creates the factor from its upper triangle packed by columns (LAPACK's "U" packed
    /// storage: column j holds rows 0...j), `size (size + 1) / 2` numbers.
    public init(size: Int, packedUpper packed: [Double]) {
        precondition(size >= 0 && packed.count == size * (size + 1) / 2, "packed R must hold size (size + 1) / 2 numbers")
        var u = [Double](repeating: 0, count: size * size)
        var k = 0
        for j in 0..<size {
            for i in 0...j {
                u[i + j * size] = packed[k]
                k += 1
            }
        }
        self.size = size
        self.upper = u
    }

    /// The upper triangle packed by columns (see ``init(size:packedUpper:)``).
    public var packedUpper: [Double] {
        var packed = [Double]()
        packed.reserveCapacity(size * (size + 1) / 2)
        for j in 0..<size {
            for i in 0...j { packed.append(upper[i + j * size]) }
        }
        return packed
    }

    /// Replaces every row k of `rows` (column-major `rowCount x size`) by k R⁻¹, so that the
    /// squared norm of row i becomes the variance of the prediction with design row i
    /// (one dtrsm: about rowCount · size² flops).
    package func whiten(_ rows: inout [Double], rowCount: Int) {
        precondition(rows.count == rowCount * size, "rows must be rowCount x size")
        guard rowCount > 0, size > 0 else { return }
        upper.withUnsafeBufferPointer { r in
            rows.withUnsafeMutableBufferPointer { b in
                RawBLAS.trsm(
                    side: .right, triangle: .upper, transpose: false, unitDiagonal: false, m: rowCount, n: size, alpha: 1,
                    a: r.baseAddress, lda: size, b: b.baseAddress, ldb: rowCount)
            }
        }
    }
}

/// Predictive standard deviations of one structure (the square roots of the SoR variances; see
/// ``PosteriorFactor``).
public struct PredictiveStandardDeviation: Sendable, Equatable {
    /// Of the total energy, eV.
    public var energy: Double
    /// Of every force component, eV/Å, flat `3 x atomCount` (x, y, z per atom); empty if not asked.
    public var forces: [Double]
}

/// The model cannot give uncertainties: it was trained without `"uncertainty": true`.
public struct MissingPosteriorFactor: Error, CustomStringConvertible, Sendable {
    public init() {}

    public var description: String {
        "the model stores no posterior factor, so it cannot give uncertainties; retrain it with \"uncertainty\": true in the training config"
    }
}

extension Potential {
    /// Standard deviations of the predicted total energy (eV) and, if `forces`, of every force
    /// component (eV/Å) of `structure`, from its design rows (the rows training builds) and the
    /// stored ``posteriorFactor``.
    ///
    /// Cost: the structure's design rows (1 + 3N rows of M, as in training) and one triangular
    /// solve of about (1 + 3N) M² flops: for M = 1000, some 3 Mflop per atom on top of a
    /// prediction.
    ///
    /// - Throws: ``MissingPosteriorFactor`` if the model has none; ``InputError`` for an
    ///   unusable structure or a species without e0.
    public func standardDeviation(of structure: Structure, forces: Bool = true) throws -> PredictiveStandardDeviation {
        var buffers = [TermFeatures?](repeating: nil, count: terms.count)
        return try standardDeviation(of: structure, forces: forces, reusing: &buffers)
    }

    /// As ``standardDeviation(of:forces:)``, reusing per-term feature memory across calls: keep
    /// one `buffers` array (``terms``.count entries, initially nil) per thread and pass it to
    /// every call. Results are bit for bit the same.
    public func standardDeviation(
        of structure: Structure, forces: Bool = true, reusing buffers: inout [TermFeatures?]
    ) throws -> PredictiveStandardDeviation {
        precondition(buffers.count == terms.count, "one buffer per term")
        guard let factor = posteriorFactor else { throw MissingPosteriorFactor() }
        _ = try referenceEnergy(of: structure)  // the same species check as predict
        let columns = terms.reduce(0) { $0 + $1.sparseCount }
        precondition(factor.size == columns, "the posterior factor does not match the terms")
        let rowCount = 1 + (forces ? 3 * structure.count : 0)
        var block = DesignBlock(rowCount: rowCount, columnCount: columns)
        if !terms.isEmpty {
            let list = try NeighbourList(structure, cutoffRadius: cutoffRadius)
            let layout = DesignRowLayout(energy: 0, forces: forces ? 1 : nil)
            var offset = 0
            for (t, term) in terms.enumerated() {
                let f = try term.features(of: structure, neighbours: list, gradients: forces, strainGradients: false, reusing: &buffers[t])
                try term.addDesignRows(from: f, structure: structure, neighbours: list, rows: layout, into: &block, columnOffset: offset)
                buffers[t] = f
                offset += term.sparseCount
            }
        }
        factor.whiten(&block.storage, rowCount: rowCount)
        var variances = [Double](repeating: 0, count: rowCount)
        block.storage.withUnsafeBufferPointer { b in
            for j in 0..<columns {
                let column = b.baseAddress! + j * rowCount
                for i in 0..<rowCount { variances[i] += column[i] * column[i] }
            }
        }
        let deviations = variances.map { $0.squareRoot() }
        return PredictiveStandardDeviation(energy: deviations[0], forces: Array(deviations.dropFirst()))
    }
}
