import AtomicStructures
import CSOAPKernels
import Descriptors
import LinearAlgebra
import NeighbourLists

extension DotProductKernel {
    /// The largest block of rows evaluated together: the kernel against the sparse points is then
    /// a matrix product of this many rows, while the descriptor's memory stays that of one block
    /// per thread. BLAS packs the sparse points once per product, so the block must be large for
    /// that copy to be cheap against the product: with M = 4,000, F = 715 the packing (and the
    /// zeroing of G) took 28 % of the products' time at 56 rows, 20 % at 128 and 11 % at 512. See
    /// ``predictionBlockSize(centreCount:)``.
    public static let predictionBlockSize = 512

    /// The block size for a structure of `centreCount` centres: half the centres (at least 32, a
    /// multiple of 8) up to ``predictionBlockSize``: a structure of a few hundred atoms takes two
    /// pairs of products (one thread packs the sparse points four times, not eight), and two
    /// threads (or an MD rank's share) still get a block each. It depends on the structure only,
    /// never on threads: BLAS
    /// may round a product differently for another row count (its small-matrix kernels do), so
    /// this keeps results the same bits for any thread count.
    public static func predictionBlockSize(centreCount: Int) -> Int {
        let half = (centreCount + 1) / 2
        return min(predictionBlockSize, max(32, (half + 7) / 8 * 8))
    }

    /// Predicts this term's energy, forces and virial of one structure in reverse mode: per block
    /// of rows, G = D Xᵀ (one GEMM against the sparse points X), local energies
    /// Σ_m α_m δ² G^ζ, ∂E/∂d = W X with W = α δ² ζ G^(ζ−1) (a second GEMM), then the descriptor
    /// pulls ∂E/∂d back to the atoms (``ReverseModeDescriptor``). No descriptor gradient is ever
    /// formed; memory is one block per thread. Equal to ``predict(_:atomCount:alpha:)`` on the
    /// forward gradients up to round-off, and identical for any thread count.
    ///
    /// - Parameters:
    ///   - threads: threads inside the structure (blocks run concurrently).
    /// - Throws: as the descriptor's ``ReverseModeDescriptor/evaluateReverse(_:neighbours:forces:virial:blockSize:threads:energy:)``.
    public func predict(
        _ structure: Structure, descriptor: any ReverseModeDescriptor, neighbours: NeighbourList, alpha: [Double],
        forces: Bool, virial: Bool, threads: Int = 1, blockSize requestedBlockSize: Int? = nil
    ) throws -> Prediction {
        let blockSize = requestedBlockSize ?? Self.predictionBlockSize(centreCount: neighbours.centreCount)
        let m = sparseCount, f = featureCount
        precondition(alpha.count == m, "one coefficient per sparse point")
        precondition(descriptor.featureCount == f, "descriptor and kernel feature counts differ")
        let slots = max(1, threads)
        // Per slot: G, blockSize x M, overwritten by W (each element read before it is written),
        // and eight rows of energy terms for the wide elementwise pass.
        let scratchPerSlot = blockSize * m + 8 * m
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(1, slots * scratchPerSlot))
        defer { scratch.deallocate() }
        let d2 = delta * delta
        // The blocks' kernel products run with one BLAS thread (parallelism comes from the
        // blocks): OpenBLAS's results for products of this size differ in the last bits between
        // thread counts (``BLASThreads``), so this keeps predictions the same bits whatever the
        // caller's BLAS setting.
        let previousBLASThreads = BLASThreads.current
        if previousBLASThreads != 1 { BLASThreads.set(1) }
        defer { if previousBLASThreads != 1 { BLASThreads.set(previousBLASThreads) } }
        let evaluation = try sparsePoints.withUnsafeBufferPointer { x in
            try alpha.withUnsafeBufferPointer { a in
                try descriptor.evaluateReverse(
                    structure, neighbours: neighbours, forces: forces, virial: virial, blockSize: blockSize, threads: threads
                ) { block in
                    blockEnergies(block, x: x.baseAddress!, alpha: a.baseAddress!, d2: d2, g: scratch + block.slot * scratchPerSlot)
                }
            }
        }
        var result = Prediction(atomCount: structure.count)
        if forces { result.forces = evaluation.forces }
        result.virial = evaluation.virial
        result.localEnergies = evaluation.localEnergies
        result.localCentres = evaluation.centres
        result.energy = evaluation.localEnergies.reduce(0, +)
        return result
    }

    /// One block: G = D Xᵀ, the local energies and, if asked, ∂E/∂d = W X, W written over G (one
    /// n x M buffer instead of two: half the memory traffic of this pass, which streams it).
    private func blockEnergies(
        _ block: ReverseModeBlock, x: UnsafePointer<Double>, alpha: UnsafePointer<Double>, d2: Double,
        g: UnsafeMutablePointer<Double>
    ) {
        let w = g
        let n = block.rows.count, m = sparseCount, f = featureCount
        // G row-major n x M.
        RawBLAS.gemmRowMajor(
            transposeA: false, transposeB: true, m: n, n: m, k: f, alpha: 1,
            a: block.values, lda: f, b: x, ldb: f, beta: 0, c: g, ldc: m)
        let z = Double(zeta)
        if wideKernelsEnabled {
            // The same operations eight points wide, eight rows' energy chains overlapping.
            swiftgap_kernel_block_energies(g, Int64(n), Int64(m), alpha, d2, z, Int64(zeta - 1), block.localEnergies, g + n * m)
        } else {
            blockEnergiesPortable(g: g, rows: n, alpha: alpha, d2: d2, energies: block.localEnergies)
        }
        guard let u = block.valueGradients else { return }
        // ∂E/∂d = W X: row-major n x F.
        RawBLAS.gemmRowMajor(
            transposeA: false, transposeB: false, m: n, n: f, k: m, alpha: 1,
            a: w, lda: m, b: x, ldb: f, beta: 0, c: u, ldc: f)
    }

    /// The elementwise pass in Swift: energies Σ_c α_c d2 G^ζ (in order over c) and W over G.
    func blockEnergiesPortable(
        g: UnsafeMutablePointer<Double>, rows n: Int, alpha: UnsafePointer<Double>, d2: Double,
        energies: UnsafeMutablePointer<Double>
    ) {
        let m = sparseCount, w = g
        let z = Double(zeta)
        // Four rows at a time: each row's energy is still summed over the points in order, but
        // the four addition chains (latency-bound one by one) overlap.
        var i = 0
        while i + 4 <= n {
            let g0 = g + i * m, g1 = g0 + m, g2 = g1 + m, g3 = g2 + m
            let w0 = w + i * m, w1 = w0 + m, w2 = w1 + m, w3 = w2 + m
            var e0 = 0.0, e1 = 0.0, e2 = 0.0, e3 = 0.0
            for c in 0..<m {
                let a = alpha[c]
                let s0 = g0[c], s1 = g1[c], s2 = g2[c], s3 = g3[c]
                let p0 = integerPower(s0, zeta - 1), p1 = integerPower(s1, zeta - 1)
                let p2 = integerPower(s2, zeta - 1), p3 = integerPower(s3, zeta - 1)
                e0 += a * d2 * p0 * s0
                e1 += a * d2 * p1 * s1
                e2 += a * d2 * p2 * s2
                e3 += a * d2 * p3 * s3
                w0[c] = a * d2 * z * p0
                w1[c] = a * d2 * z * p1
                w2[c] = a * d2 * z * p2
                w3[c] = a * d2 * z * p3
            }
            energies[i] = e0
            energies[i + 1] = e1
            energies[i + 2] = e2
            energies[i + 3] = e3
            i += 4
        }
        while i < n {
            let gi = g + i * m, wi = w + i * m
            var energy = 0.0
            for c in 0..<m {
                let s = gi[c]
                let power = integerPower(s, zeta - 1)
                energy += alpha[c] * d2 * power * s
                wi[c] = alpha[c] * d2 * z * power
            }
            energies[i] = energy
            i += 1
        }
    }
}
