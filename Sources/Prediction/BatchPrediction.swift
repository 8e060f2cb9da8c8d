import AtomicStructures
import Kernels
import LinearAlgebra
import OrderedCollections
import Parallelism
import Support

/// Predicting with a fitted potential over many structures, in parallel, in input order.
public enum BatchPrediction {
    /// Predicts every structure; results are in input order and identical for any thread count.
    ///
    /// Structures of fewer than ``largeStructureAtoms`` atoms per thread run in parallel, one per
    /// thread; larger ones run one at a time with every thread inside (so memory is that of one
    /// large structure, see ``memoryEstimate(_:structures:threads:)``).
    public static func predict(
        _ potential: Potential, structures: [Structure], threads: Int = ThreadCount.current,
        progress: ProgressReporter = .silent
    ) throws -> [Prediction] {
        let threads = max(1, threads)
        let isLarge = structures.map { $0.count >= largeStructureAtoms * threads }
        let smallIndices = structures.indices.filter { !isLarge[$0] }
        var results = [Prediction?](repeating: nil, count: structures.count)
        progress.begin("predicting", total: structures.count, unit: "structures")
        defer { progress.end() }
        let small = try mapStructures(smallIndices.map { structures[$0] }, of: potential, threads: threads, progress: progress) { s, _ in
            try predictChecked(potential, s, threads: 1)
        }
        for (i, p) in zip(smallIndices, small) { results[i] = p }
        let previousBLASThreads = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(previousBLASThreads) }
        for i in structures.indices where isLarge[i] {
            results[i] = try predictChecked(potential, structures[i], threads: threads)
            progress.advance()
        }
        return results.map { $0! }
    }

    /// Structures with at least this many atoms per thread are predicted one at a time with every
    /// thread inside (enough blocks of centres to keep the threads busy: two of the largest per
    /// thread).
    package static let largeStructureAtoms = 2 * DotProductKernel.predictionBlockSize

    /// Bytes ``predict(_:structures:threads:progress:)`` holds at its peak besides the model and
    /// the structures: the larger of `threads` small structures at once and one large structure
    /// with every thread, plus the predictions kept (forces and virial of every structure).
    public static func memoryEstimate(_ potential: Potential, structures: [Structure], threads: Int) -> Int {
        let threads = max(1, threads)
        var smallSizes: [Int] = [], large = 0, kept = 0
        for s in structures {
            kept += 8 * (3 * s.count + 9 + 1) + 8 * s.count
            if s.count >= largeStructureAtoms * threads {
                large = max(large, potential.predictionBytes(for: s, threads: threads))
            } else {
                smallSizes.append(potential.predictionBytes(for: s, threads: 1))
            }
        }
        let concurrentSmall = smallSizes.sorted(by: >).prefix(threads).reduce(0, +)
        return max(concurrentSmall, large) + kept
    }

    /// Predictive standard deviations of every structure's energy and force components (see
    /// ``Potential/standardDeviation(of:forces:)``), in input order, identical for any thread
    /// count.
    ///
    /// - Throws: ``MissingPosteriorFactor`` if the model was trained without uncertainty.
    public static func standardDeviations(
        _ potential: Potential, structures: [Structure], threads: Int = ThreadCount.current,
        progress: ProgressReporter = .silent
    ) throws -> [PredictiveStandardDeviation] {
        guard potential.posteriorFactor != nil else { throw MissingPosteriorFactor() }
        progress.begin("uncertainties", total: structures.count, unit: "structures")
        defer { progress.end() }
        return try mapStructures(structures, of: potential, threads: threads, progress: progress) { s, buffers in
            try potential.standardDeviation(of: s, forces: true, reusing: &buffers)
        }
    }

    /// `body` applied to every structure in parallel, results in input order and identical for any
    /// thread count; the first error (in input order) is thrown.
    private static func mapStructures<Result>(
        _ structures: [Structure], of potential: Potential, threads: Int, progress: ProgressReporter,
        _ body: (Structure, inout [TermFeatures?]) throws -> Result
    ) throws -> [Result] {
        // Parallelism comes from the chunks below. Multi-threaded BLAS inside each worker's kernel
        // products would oversubscribe the cores (measured: 29 % longer wall time and 10x the
        // system time with 2 workers on 2 cores), and its results would depend on the machine's
        // core count.
        let previousBLASThreads = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(previousBLASThreads) }
        var results = [Result?](repeating: nil, count: structures.count)
        var failures = [Error?](repeating: nil, count: structures.count)
        results.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { errors in
                // Few chunks (4 per thread), each reusing one set of descriptor buffers from structure
                // to structure; the work is pulled chunk by chunk, so uneven sizes still balance.
                parallelChunks(count: structures.count, chunkCount: min(structures.count, 4 * threads), threads: threads) { _, range in
                    var buffers = [TermFeatures?](repeating: nil, count: potential.terms.count)
                    for i in range {
                        do {
                            out[i] = try body(structures[i], &buffers)
                        } catch {
                            errors[i] = error
                        }
                        progress.advance()
                    }
                }
            }
        }
        if let error = failures.first(where: { $0 != nil }) { throw error! }
        return results.map { $0! }
    }

    /// One prediction, with non-finite results reported against the structure.
    static func predictChecked(_ potential: Potential, _ s: Structure, threads: Int) throws -> Prediction {
        let p = try potential.predict(s, forces: true, virial: s.cell.isFullyPeriodic, threads: threads)
        guard p.energy.isFinite, p.forces.allSatisfy(\.isFinite), p.virial.allSatisfy(\.isFinite) else {
            throw InputError(
                file: s.source?.file ?? "<memory>", line: s.source?.line, field: "prediction",
                message: "the model predicts a non-finite energy, force or virial for this structure; check it for overlapping or coincident atoms (gap-data check) and that the model file is intact")
        }
        return p
    }

    /// The structure annotated with a prediction, for extended XYZ output.
    ///
    /// Predictions go under ASE's names: info `energy` (eV), per-atom `forces` (eV/Å), and for
    /// fully periodic cells `virial` (eV, 9 numbers row-major, W = −dE/dε) and `stress`
    /// (eV/Å³, σ = −W/V, ASE's sign, as the 3x3 matrix ASE expects in extended XYZ; ASE's
    /// `get_stress()` returns it in Voigt order xx yy zz yz xz xy). Reference labels found
    /// with `labels` are kept as `ref_energy`, `ref_forces`, `ref_virial`; other columns and
    /// header values are kept unless they clash with the prediction names.
    ///
    /// With `uncertainty`, also info `energy_std` (eV) and per-atom `forces_std` (eV/Å, 3
    /// columns): the predictive standard deviations.
    public static func annotated(
        _ structure: Structure, prediction: Prediction, labels: Labels?, uncertainty: PredictiveStandardDeviation? = nil
    ) -> Structure {
        var s = structure
        for key in ["energy", "virial", "stress", "ref_energy", "ref_virial"] { s.info.removeValue(forKey: key) }
        for key in ["forces", "ref_forces"] { s.arrays.removeValue(forKey: key) }
        if let uncertainty {
            s.info.removeValue(forKey: "energy_std")
            s.arrays.removeValue(forKey: "forces_std")
            s.info["energy_std"] = .real(uncertainty.energy)
            s.arrays["forces_std"] = PerAtomProperty(name: "forces_std", columns: 3, values: .reals(uncertainty.forces))
        }
        if let labels {
            if let e = labels.energy { s.info["ref_energy"] = .real(e) }
            if let v = labels.virial { s.info["ref_virial"] = .reals(v.rowMajor) }
            if let f = labels.forces {
                s.arrays["ref_forces"] = PerAtomProperty(name: "ref_forces", columns: 3, values: .reals(f.flatMap { [$0.x, $0.y, $0.z] }))
            }
            // The label columns were read under their own names; drop them to avoid two copies.
            for key in [labels.sourceKeys.energy, labels.sourceKeys.virial].compactMap({ $0 }) { s.info.removeValue(forKey: key) }
            if let key = labels.sourceKeys.forces { s.arrays.removeValue(forKey: key) }
        }
        s.info["energy"] = .real(prediction.energy)
        s.arrays["forces"] = PerAtomProperty(name: "forces", columns: 3, values: .reals(prediction.forces))
        if structure.cell.isFullyPeriodic {
            s.info["virial"] = .reals(prediction.virial)
            let v = prediction.virial
            let volume = structure.cell.volume
            // σ = −W/V from the symmetric part of W. ASE reads extended XYZ stresses only as 3x3
            // (9 numbers); `atoms.get_stress()` then gives Voigt order xx yy zz yz xz xy.
            var stress = [Double](repeating: 0, count: 9)
            for a in 0..<3 {
                for b in 0..<3 { stress[3 * a + b] = -0.5 * (v[3 * a + b] + v[3 * b + a]) / volume }
            }
            s.info["stress"] = .reals(stress)
        }
        return s
    }
}
