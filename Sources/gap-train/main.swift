import ArgumentParser
import AtomicStructures
import CommandLineSupport
import Configuration
import LinearAlgebra
import ModelFiles
import Parallelism
import Support
import Training
#if canImport(Glibc)
import Glibc
#endif

/// `gap-train CONFIG.json`: fits a GAP model and writes the model file.
struct GapTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-train",
        abstract: "Fit a GAP model (SOAP and 2-body terms, sparse GP on energies, forces and virials).",
        discussion: """
            The config is JSON (comments allowed); see docs/config.md and configs/. Progress goes to
            stderr; the model is written atomically to the config's `output` (or --output).

            Long fits save a checkpoint (OUTPUT.checkpoint) after choosing sparse points and then
            every --checkpoint-interval seconds. If a run is killed, run the same command with
            --resume: the result is byte-identical to an uninterrupted run. Ctrl-C stops cleanly
            after saving a checkpoint (press it twice to stop at once); no partial model is ever
            written. The checkpoint is removed when the model has been written.
            """
    )

    @Argument(help: "The training config (JSON).")
    var config: String

    @Flag(help: "Read and check everything, print the data, sizes and memory estimate, and exit.")
    var dryRun = false

    @OptionGroup var runOptions: RunOptions

    @Option(help: "Write the model here instead of the config's `output`.")
    var output: String?

    @Option(help: ArgumentHelp("Memory budget such as 8G or 500M (default: the memory available now). A fit that would need more is refused before it starts, or uses smaller blocks of design rows.", valueName: "size"))
    var maxMemory: String?

    @Flag(help: "Continue from the checkpoint of an interrupted run of the same config and data.")
    var resume = false

    @Option(help: ArgumentHelp("Seconds between checkpoints during the design-matrix pass (0: after every block).", valueName: "seconds"))
    var checkpointInterval: Double = 120

    @Flag(help: "Do not write checkpoints.")
    var noCheckpoint = false

    @Option(help: .hidden)
    var blockRows: Int?

    func validate() throws {
        if let blockRows, blockRows < 1 { throw ValidationError("--block-rows must be at least 1") }
        if !(checkpointInterval >= 0) { throw ValidationError("--checkpoint-interval must be a non-negative number of seconds") }
        if resume && noCheckpoint { throw ValidationError("--resume needs checkpoints; drop --no-checkpoint") }
    }

    func run() throws {
        runReportingErrors("gap-train") {
            do {
                try train()
            } catch let error as TrainingError {
                if case .interrupted = error {
                    printError("gap-train: \(error)")
                    return 130
                }
                throw error
            }
            return 0
        }
    }

    func train() throws {
        let config = try TrainingConfig.load(path: self.config)
        runOptions.applyThreads(configThreads: config.threads)
        let progress = runOptions.progressReporter()
        // Before any work: the model (and its checkpoint) must not overwrite an input, and must
        // be writable; a second run on the same output stops here.
        let path = output ?? config.resolvedOutput
        let planned = PlannedOutput.file(path, option: output == nil ? "output" : "--output", companions: [path + ".checkpoint"])
        if dryRun {
            try OutputGuard.check([planned], inputs: try config.inputFiles())
        } else {
            try reserveOutputs([planned], inputs: try config.inputFiles(), tool: "gap-train", quiet: runOptions.quiet)
        }
        let data = try TrainingData.load(config, progress: progress)
        var options = FitOptions(threads: ThreadCount.current, blockRows: blockRows, progress: progress)
        let budget = try maxMemory.map { try parseByteCount($0, option: "--max-memory") } ?? availableMemoryBytes()
        var plan = try FitPlan.make(config, data: data, options: options)
        if let budget { plan = try plan.fitting(budget: budget, fixedBlockRows: blockRows != nil) }
        if dryRun {
            print(data.labelTable())
            print(plan.formatted())
            if let budget { print("memory budget: \(formatBytes(budget))\(maxMemory == nil ? " (available now)" : "")") }
            return
        }
        progress.note(data.labelTable())
        progress.note(plan.formatted())

        options.blockRows = plan.blockRows
        options.estimatedPeakBytes = plan.peakBytes
        options.stopsOnInterrupt = true
        let checkpointPath = path + ".checkpoint"
        if !noCheckpoint {
            if resume {
                let checkpoint = try Checkpoint.load(path: checkpointPath)
                options.resume = checkpoint
                progress.note("resuming from \(checkpointPath): \(checkpoint.solver.rowsAppended) rows of \(checkpoint.framesDone) structures already folded")
            } else if access(checkpointPath, F_OK) == 0 {
                progress.note("note: replacing the checkpoint \(checkpointPath) of an earlier run (use --resume to continue it instead)")
            }
            options.checkpoint = CheckpointPolicy(
                path: checkpointPath, intervalSeconds: checkpointInterval,
                fingerprint: CheckpointPolicy.fingerprint(config: config, data: data))
        }
        Interruption.installHandler()
        let trainer = Trainer(config: config)
        let result = try trainer.fit(data, options: options)
        try trainer.modelFile(for: result, data: data).write(to: path)
        if let report = result.descriptorReport { progress.note(report) }
        if !noCheckpoint { unlink(checkpointPath) }
        let phases = result.phaseSeconds.map { "\($0.phase) \(formatDuration($0.seconds))" }.joined(separator: ", ")
        let peak = residentPeakBytes().map(formatBytes) ?? "unknown"
        progress.note("wrote \(path) (\(result.observationCount) observations; \(phases); peak memory \(peak), estimated \(formatBytes(plan.peakBytes)))")
    }
}

GapTrain.main()
