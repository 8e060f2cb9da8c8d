import ArgumentParser
import AtomicStructures
import CommandLineSupport
import Kernels
import ModelFiles
import Parallelism
import Prediction
import Support

/// `gap-predict --model MODEL INPUT.xyz...`: energies, forces and virials for new structures.
struct GapPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-predict",
        abstract: "Predict energies, forces and virials with a model from gap-train.",
        discussion: """
            With --output, writes extended XYZ that ASE reads: info `energy` (eV), per-atom `forces`
            (eV/Å), and for periodic cells `virial` (eV, 9 numbers, W = −dE/dε) and `stress`
            (eV/Å³, σ = −W/V, ASE's sign; 3x3 as ASE reads it, and ASE's get_stress() gives
            Voigt order xx yy zz yz xz xy). Reference labels found in the
            inputs (same key options as gap-data) are kept as ref_energy, ref_forces, ref_virial,
            and RMSE/MAE per config type are printed: energy and virial in meV/atom, forces in eV/Å.
            With --uncertainty (models trained with "uncertainty": true), also info `energy_std`
            (eV) and per-atom `forces_std` (eV/Å): predictive standard deviations (SoR variance of
            the GP mean; it shrinks far from the training data, see docs/config.md).
            """
    )

    @Option(help: "The model file written by gap-train, or a gap_fit (QUIP/GAP XML) model; the format is told by content.")
    var model: String

    @Argument(help: "Extended XYZ files to predict.")
    var inputs: [String]

    @Option(help: "Write the structures with predictions here (extended XYZ, written atomically).")
    var output: String?

    @OptionGroup var keys: KeyOptions

    @OptionGroup var runOptions: RunOptions

    @Flag(help: "Also write predictive standard deviations (energy_std, forces_std) to --output; needs a model trained with \"uncertainty\": true.")
    var uncertainty = false

    @Option(help: ArgumentHelp("Memory budget such as 8G or 500M (default: the memory available now). Predictions that would need more are refused before they start.", valueName: "size"))
    var maxMemory: String?

    func run() throws {
        runReportingErrors("gap-predict") {
            try predict()
            return 0
        }
    }

    func predict() throws {
        runOptions.applyThreads()
        let progress = runOptions.progressReporter()
        if let output {
            try reserveOutputs([.file(output, option: "--output")], inputs: [model] + inputs, tool: "gap-predict", quiet: runOptions.quiet)
        }
        let modelFile = try ModelFile.load(path: model)
        if let note = modelFile.integrityNote { progress.note("gap-predict: note: \(note)") }
        if uncertainty && modelFile.potential.posteriorFactor == nil {
            throw InputError(
                file: model, field: "posterior_factor",
                message: "--uncertainty needs a model trained with \"uncertainty\": true in its config; this model stores no posterior factor (retrain it with that key)")
        }
        var structures: [Structure] = []
        for input in inputs { structures += try ExtendedXYZReader.readAll(path: input) }
        for structure in structures { try structure.requireAtoms(for: "prediction") }
        let labelKeys = keys.labelKeys
        let labels = try structures.map { try labelKeys.labels(of: $0) }
        try checkMemory(modelFile.potential, structures: structures, progress: progress)
        let start = monotonicSeconds()
        let predictions = try BatchPrediction.predict(modelFile.potential, structures: structures, progress: progress)
        let seconds = monotonicSeconds() - start
        let uncertaintyStart = monotonicSeconds()
        let deviations = uncertainty ? try BatchPrediction.standardDeviations(modelFile.potential, structures: structures, progress: progress) : nil
        let uncertaintySeconds = monotonicSeconds() - uncertaintyStart
        var statistics = ErrorStatistics()
        var labelled = false
        for (i, s) in structures.enumerated() {
            let l = labels[i]
            guard l.energy != nil || l.forces != nil || l.virial != nil else { continue }
            labelled = true
            statistics.add(
                configType: l.configType, atomCount: s.count, predictedEnergy: predictions[i].energy, referenceEnergy: l.energy,
                predictedForces: predictions[i].forces, referenceForces: l.forces.map { $0.flatMap { [$0.x, $0.y, $0.z] } },
                predictedVirial: s.cell.isFullyPeriodic ? predictions[i].virial : nil, referenceVirial: l.virial?.rowMajor)
        }
        if let output {
            let annotated = structures.indices.map { BatchPrediction.annotated(structures[$0], prediction: predictions[$0], labels: labels[$0], uncertainty: deviations?[$0]) }
            try ExtendedXYZWriter.write(annotated, to: output)
        }
        let atoms = structures.reduce(0) { $0 + $1.count }
        if labelled {
            print(statistics.formattedTable())
        } else if output == nil {
            for (i, p) in predictions.enumerated() {
                let std = deviations.map { " ± \($0[i].energy)" } ?? ""
                print("\(structures[i].sourceDescription)  energy \(p.energy)\(std) eV")
            }
        }
        if uncertainty {
            progress.note("uncertainties in \(formatDuration(uncertaintySeconds)) (\(formatRate(1e6 * uncertaintySeconds / Double(max(1, structures.reduce(0) { $0 + $1.count })))) µs/atom, energy + forces)")
        }
        progress.note("\(structures.count) structures, \(atoms) atoms in \(formatDuration(seconds)) (\(formatRate(1e6 * seconds / Double(max(1, atoms)))) µs/atom, energy + forces + virial)")
    }

    /// Prints the memory estimate and refuses, before any work, a prediction above the budget.
    func checkMemory(_ potential: Potential, structures: [Structure], progress: ProgressReporter) throws {
        let threads = ThreadCount.current
        let budget = try maxMemory.map { try parseByteCount($0, option: "--max-memory") } ?? availableMemoryBytes()
        let prediction = BatchPrediction.memoryEstimate(potential, structures: structures, threads: threads)
        let estimate = prediction + potential.modelBytes
        let largest = structures.max { $0.count < $1.count }
        var note = "memory: estimated \(formatBytes(estimate)) for prediction (model \(formatBytes(potential.modelBytes)), largest structure \(largest?.count ?? 0) atoms, \(threads) thread\(threads == 1 ? "" : "s"))"
        if let budget { note += ", budget \(formatBytes(budget))\(maxMemory == nil ? " (available now)" : "")" }
        progress.note(note)
        if let budget, estimate > budget {
            throw InputError(
                file: "<command line>", field: "--max-memory",
                message: "predicting needs about \(formatBytes(estimate)), more than the budget of \(formatBytes(budget)); the largest structure (\(largest?.sourceDescription ?? "-"), \(largest?.count ?? 0) atoms) alone needs \(formatBytes(largest.map { potential.predictionBytes(for: $0, threads: threads) } ?? 0)). Raise --max-memory, lower --threads, or split the input")
        }
    }
}

GapPredict.main()
