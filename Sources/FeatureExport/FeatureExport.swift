import ArrayFiles
import AtomicStructures
import Configuration
import Descriptors
import Parallelism
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Where `gap-features` writes, and how it computes.
public struct FeatureExportOptions: Sendable {
    /// The descriptor rows, `.npy` (float64, rows x features).
    public var featuresPath: String
    /// Position and strain gradients, `.npz`; nil for none.
    public var gradientsPath: String?
    /// The global atom index of each row, `.npy` (int64); nil for none.
    public var centresPath: String?
    /// Worker threads. The files do not depend on it.
    public var threads: Int
    /// The size of the blocks of rows a frame computed alone is written in (see
    /// ``Exporter/defaultBlockBytes``); the files do not depend on it (tests vary it).
    var blockBytes = Exporter.defaultBlockBytes

    /// Creates options.
    public init(featuresPath: String, gradientsPath: String? = nil, centresPath: String? = nil, threads: Int = ThreadCount.current) {
        self.featuresPath = featuresPath
        self.gradientsPath = gradientsPath
        self.centresPath = centresPath
        self.threads = threads
    }
}

/// What the first, cheap pass over the input found.
public struct FeatureInputScan: Sendable {
    /// Frames in all input files.
    public var frameCount = 0
    /// Atoms in all frames.
    public var atomCount = 0
    /// Atomic numbers occurring anywhere, ascending.
    public var speciesPresent: [Int] = []
    /// Frames periodic in all three directions (they get strain gradients).
    public var periodicFrameCount = 0
}

/// What was written.
public struct FeatureExportResult: Sendable {
    /// The descriptor's hyper-parameters with species resolved against the input.
    public var hyperparameters: SOAPHyperparameters
    /// The input's frames, atoms and species.
    public var scan: FeatureInputScan
    /// Rows of the features array (centre atoms).
    public var rowCount = 0
    /// Features per row.
    public var featureCount = 0
    /// Rows of the gradient `samples`/`values` arrays (0 without gradients).
    public var gradientEntryCount = 0
    /// Rows of the `strain` array (0 without gradients).
    public var strainRowCount = 0
}

/// Computes density descriptors (soap, radial_spectrum or bispectrum) of every frame of extended
/// XYZ files and streams them to NumPy files, frame by frame, a large frame in blocks of rows (memory is bounded by a
/// batch of frames or a block, not by the output size).
///
/// ## The files (N rows, F features, P gradient entries, M periodic rows)
/// - features `.npy`: float64 `(N, F)`. One row per **centre atom**, in file order (frames
///   concatenated, then atoms in their order in the frame). With the default centre species
///   (every species of the input) every atom is a centre, so row i is atom i. If the
///   descriptor's `Z` leaves out some species present, their atoms have no row; the optional
///   centres `.npy` (int64 `(N,)`) gives the global atom index of each row.
/// - gradients `.npz`:
///   - `samples`: int64 `(P, 2)`, rows `[i, a]`: global row index i (a row of the features
///     array) and global atom index a (counting every atom of every frame from 0, in file order).
///     Sorted by i, then a. Only atoms within the cutoff of the centre (and the centre itself)
///     appear; every other derivative is zero.
///   - `values`: float64 `(P, 3, F)`, `values[p, α, :]` = ∂ features[i] / ∂ r_a,α (1/Å), all
///     periodic images of atom a summed.
///   - `strain`: float64 `(M, 3, 3, F)`, `strain[m, β, γ, :]` = ∂ features[i] / ∂ε_βγ with
///     i = `strain_samples[m]`, for the deformation r′ = r (1 + ε), H′ = H (1 + ε) of positions
///     and cell rows (dimensionless). A virial follows as W_βγ = −Σ_i (∂E/∂features[i]) ·
///     strain[., β, γ, :]. Only rows of frames periodic in all three directions have strain
///     rows (strain is undefined for the others).
///   - `strain_samples`: int64 `(M,)`, the global row index of each strain row, ascending. If
///     every frame is periodic, it is `arange(N)`.
/// Values are exactly the calculator's (e.g. ``SOAPCalculator/compute(_:gradients:strainGradients:threads:)``), bit
/// for bit, for any thread count.
public enum FeatureExport {
    /// Reads every frame once, counting frames and atoms and collecting species, so that species
    /// lists can default to the whole input and malformed input is reported before any work.
    public static func scan(_ inputs: [String]) throws -> FeatureInputScan {
        var result = FeatureInputScan()
        var species = Set<Int>()
        for path in inputs {
            var reader = try ExtendedXYZReader(path: path)
            while let structure = try reader.next() {
                result.frameCount += 1
                result.atomCount += structure.count
                species.formUnion(structure.atomicNumbers)
                if structure.cell.isFullyPeriodic { result.periodicFrameCount += 1 }
            }
        }
        result.speciesPresent = species.sorted()
        return result
    }

    /// Computes and writes the files described in ``FeatureExport``.
    ///
    /// - Parameters:
    ///   - descriptor: the SOAP descriptor; species lists not given default to the species
    ///     present anywhere in `inputs`.
    ///   - descriptorSource: the file the descriptor came from, named in errors.
    /// - Throws: ``InputError`` for unreadable or malformed input, a descriptor whose centre
    ///   species do not occur or that is data-driven (`radial_basis` "optimal", `n_features`:
    ///   those are fitted by gap-train), or an output that cannot be written. If reading or computing
    ///   fails, nothing is left at the output paths (existing files there are untouched).
    public static func run(
        _ descriptor: SOAPDescriptorConfig, descriptorSource: String, inputs: [String], options: FeatureExportOptions,
        progress: ProgressReporter = .silent
    ) throws -> FeatureExportResult {
        if descriptor.isDataDriven {
            // These are fitted to training data by gap-train and stored in its model.
            throw InputError(
                file: descriptorSource, field: descriptor.featureSelection != nil ? "n_features" : (descriptor.speciesChannels != nil ? "species_channels" : "radial_basis"),
                message: "gap-features computes QUIP's radial basis with every component; radial_basis \"optimal\", species_channels and n_features are fitted to training data by gap-train (remove them here; `gap-features compare` fits them to its input)")
        }
        try checkOutputs(inputs: inputs + [descriptorSource], options: options)
        let scan = try FeatureExport.scan(inputs)
        guard scan.atomCount > 0 else {
            throw InputError(file: inputs.joined(separator: ", "), message: "the input contains no atoms")
        }
        let hyperparameters = descriptor.hyperparameters(speciesPresent: scan.speciesPresent)
        guard hyperparameters.centreSpecies.contains(where: scan.speciesPresent.contains) else {
            throw InputError(
                file: descriptorSource, field: "Z",
                message: "none of the centre species \(symbols(hyperparameters.centreSpecies)) occurs in the input (species present: \(symbols(scan.speciesPresent)))")
        }
        let calculator = try descriptor.correlation.makeCalculator(hyperparameters)
        var exporter = try Exporter(calculator: calculator, options: options)
        do {
            progress.begin("descriptors", total: scan.atomCount, unit: "atoms")
            try exporter.process(inputs: inputs, progress: progress)
            progress.end()
            try exporter.finish()
        } catch {
            progress.end()
            exporter.discard()
            throw error
        }
        var result = FeatureExportResult(hyperparameters: calculator.hyperparameters, scan: scan)
        result.rowCount = exporter.rowBase
        result.featureCount = calculator.featureCount
        result.gradientEntryCount = exporter.gradientEntryCount
        result.strainRowCount = exporter.strainRowCount
        return result
    }

    /// Rejects output paths that coincide with each other or with an input (data or config),
    /// and outputs that cannot be created, before any work (``OutputGuard``).
    static func checkOutputs(inputs: [String], options: FeatureExportOptions) throws {
        let outputs = [("--output", options.featuresPath), ("--gradients", options.gradientsPath), ("--centres", options.centresPath)]
            .compactMap { name, path in path.map { PlannedOutput.file($0, option: name) } }
        try OutputGuard.check(outputs, inputs: inputs)
    }

    static func symbols(_ numbers: [Int]) -> String {
        numbers.map { Element(atomicNumber: $0)?.symbol ?? "Z=\($0)" }.joined(separator: " ")
    }
}

/// The streaming part: batches of frames computed in parallel, written in order.
struct Exporter {
    let calculator: any DensityDescriptor
    let threads: Int
    let gradients: Bool
    let features: NPYWriter
    let centres: NPYWriter?
    let archive: NPZWriter?
    let gradientValues: NumPyArrayStream?
    let gradientSamples: NumPyArrayStream?
    let strain: NumPyArrayStream?
    let strainSamples: NumPyArrayStream?
    /// Rows and atoms written so far: the global indices of the next frame's first row and atom.
    var rowBase = 0
    var atomBase = 0
    var gradientEntryCount = 0
    var strainRowCount = 0
    /// Per-frame results, reused across batches so that their memory stays mapped.
    var results: [DescriptorValues] = []
    var sampleBuffer: [Int64] = []

    /// A batch ends at this many atoms: frames of a batch are computed concurrently, one thread
    /// each; a frame this large is computed alone with every thread. With gradients, each atom
    /// holds (entries · 3 · F) doubles, often ~1 MB, hence the smaller batches.
    var batchAtomLimit: Int { gradients ? 16 * threads : 2048 * threads }
    static let batchFrameLimit = 4096
    /// A frame computed alone is computed and written in blocks of rows of about this many bytes
    /// (one reused buffer): memory stays bounded for any frame size, the buffer is mapped once
    /// (no page faults per frame), and the checksum and the write read it while it is in cache.
    static let defaultBlockBytes = 4 << 20
    let blockBytes: Int
    /// The block of a frame computed alone, reused.
    var block = DescriptorValues(featureCount: 0, centres: [], values: [])

    init(calculator: any DensityDescriptor, options: FeatureExportOptions) throws {
        self.calculator = calculator
        threads = max(1, options.threads)
        blockBytes = max(1, options.blockBytes)
        gradients = options.gradientsPath != nil
        let f = calculator.featureCount
        var created: [() -> Void] = []
        do {
            let features = try NPYWriter(path: options.featuresPath, elementType: .float64, trailingShape: [f])
            created.append(features.discard)
            self.features = features
            if let path = options.centresPath {
                let centres = try NPYWriter(path: path, elementType: .int64)
                created.append(centres.discard)
                self.centres = centres
            } else {
                centres = nil
            }
            if let path = options.gradientsPath {
                let archive = try NPZWriter(path: path)
                created.append(archive.discard)
                self.archive = archive
                // The largest array first: it is streamed in place, the others are staged.
                gradientValues = try archive.addArray(named: "values", elementType: .float64, trailingShape: [3, f])
                gradientSamples = try archive.addArray(named: "samples", elementType: .int64, trailingShape: [2])
                strain = try archive.addArray(named: "strain", elementType: .float64, trailingShape: [3, 3, f])
                strainSamples = try archive.addArray(named: "strain_samples", elementType: .int64)
            } else {
                archive = nil
                gradientValues = nil
                gradientSamples = nil
                strain = nil
                strainSamples = nil
            }
        } catch {
            for discard in created { discard() }
            throw error
        }
    }

    mutating func process(inputs: [String], progress: ProgressReporter) throws {
        var batch: [Structure] = []
        var batchAtoms = 0
        for path in inputs {
            var reader = try ExtendedXYZReader(path: path)
            while let structure = try reader.next() {
                if !batch.isEmpty, batchAtoms + structure.count > batchAtomLimit || batch.count >= Exporter.batchFrameLimit {
                    try computeAndWrite(batch, progress: progress)
                    batch.removeAll(keepingCapacity: true)
                    batchAtoms = 0
                }
                batch.append(structure)
                batchAtoms += structure.count
            }
        }
        if !batch.isEmpty { try computeAndWrite(batch, progress: progress) }
    }

    mutating func computeAndWrite(_ batch: [Structure], progress: ProgressReporter) throws {
        if batch.count == 1 {
            // A lone frame gets every thread, and is written block by block as it is computed.
            let structure = batch[0]
            let periodic = structure.cell.isFullyPeriodic
            var block = self.block
            self.block = DescriptorValues(featureCount: 0, centres: [], values: [])
            defer { self.block = block }
            try calculator.compute(
                structure, neighbours: nil, gradients: gradients, strainGradients: gradients && periodic, threads: threads,
                blockBytes: blockBytes, into: &block
            ) { rows in
                try writeRows(rows, periodic: periodic)
            }
            atomBase += structure.count
            if structure.count > 0 { progress.advance(by: structure.count) }
            return
        }
        if results.count < batch.count {
            results += [DescriptorValues](repeating: DescriptorValues(featureCount: 0, centres: [], values: []), count: batch.count - results.count)
        }
        var failures = [Error?](repeating: nil, count: batch.count)
        let calculator = self.calculator
        let gradients = self.gradients
        // Moved out (not copied), so the per-frame arrays stay uniquely referenced and reused.
        var results = self.results
        self.results = []
        defer { self.results = results }
        results.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { errors in
                // Frames run concurrently, one thread each.
                parallelChunks(count: batch.count, chunkCount: batch.count, threads: threads) { f, _ in
                    do {
                        try calculator.compute(
                            batch[f], neighbours: nil, gradients: gradients, strainGradients: gradients && batch[f].cell.isFullyPeriodic,
                            threads: 1, into: &out[f])
                    } catch {
                        errors[f] = error
                    }
                }
            }
        }
        for f in batch.indices {
            if let error = failures[f] { throw error }
            try writeRows(results[f], periodic: batch[f].cell.isFullyPeriodic)
            atomBase += batch[f].count
            if batch[f].count > 0 { progress.advance(by: batch[f].count) }
        }
    }

    /// Appends rows of the current frame (whose first atom is `atomBase`): a whole frame or a block of it.
    mutating func writeRows(_ d: DescriptorValues, periodic: Bool) throws {
        try features.append(d.values)
        if let centres {
            sampleBuffer.removeAll(keepingCapacity: true)
            for c in d.centres { sampleBuffer.append(Int64(atomBase + Int(c))) }
            try centres.append(sampleBuffer)
        }
        if let gradientValues, let gradientSamples, let strain, let strainSamples {
            sampleBuffer.removeAll(keepingCapacity: true)
            for r in 0..<d.rowCount {
                for p in d.gradientOffsets[r] ..< d.gradientOffsets[r + 1] {
                    sampleBuffer.append(Int64(rowBase + r))
                    sampleBuffer.append(Int64(atomBase + Int(d.gradientAtoms[p])))
                }
            }
            try gradientSamples.append(sampleBuffer)
            try gradientValues.append(d.gradientValues, threads: threads)
            gradientEntryCount += d.gradientAtoms.count
            if periodic {
                try strain.append(d.strainValues, threads: threads)
                sampleBuffer.removeAll(keepingCapacity: true)
                for r in 0..<d.rowCount { sampleBuffer.append(Int64(rowBase + r)) }
                try strainSamples.append(sampleBuffer)
                strainRowCount += d.rowCount
            }
        }
        rowBase += d.rowCount
    }

    /// Completes the files: the gradients (largest, most likely to hit a full disk) first.
    func finish() throws {
        try archive?.finish()
        try centres?.finish()
        try features.finish()
    }

    func discard() {
        archive?.discard()
        centres?.discard()
        features.discard()
    }
}
