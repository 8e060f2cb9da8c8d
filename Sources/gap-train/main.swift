import ArgumentParser
import AtomicStructures
import CommandLineSupport
import Configuration
import LinearAlgebra
import MessagePassing
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

            Built with `swift build --traits MPI`, `mpirun -np N gap-train CONFIG` fits on N ranks
            with the same config and flags: each rank takes a share of the structures (balanced by
            observations), rank 0 gathers descriptors to choose the same sparse points as one
            process, the ranks' QR factors are combined by TSQR and rank 0 writes the model (the
            single-process model to round-off; the same bytes for the same N). Each rank keeps its
            own checkpoint (OUTPUT.checkpoint.rankKofN); --resume needs the same N. Without
            --threads each rank uses its share of the machine's cores.
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

    @Flag(help: "Over MPI: spread the triangular factor block-cyclically across the ranks (ScaLAPACK) instead of one M x M factor per rank; chosen automatically when that factor does not fit the memory budget.")
    var distributedFactor = false

    @Option(help: .hidden)
    var blockRows: Int?

    func validate() throws {
        if let blockRows, blockRows < 1 { throw ValidationError("--block-rows must be at least 1") }
        if !(checkpointInterval >= 0) { throw ValidationError("--checkpoint-interval must be a non-negative number of seconds") }
        if resume && noCheckpoint { throw ValidationError("--resume needs checkpoints; drop --no-checkpoint") }
    }

    func run() throws {
        let world = DistributedRun.world()
        runReportingErrors("gap-train") {
            do {
                try train(world)
            } catch let error as TrainingError where world.size == 1 {
                if case .interrupted = error {
                    printError("gap-train: \(error)")
                    return 130
                }
                throw error
            } catch where world.size > 1 {
                // One rank's failure stops every rank (MPI_Abort), so none waits forever in a
                // collective; rank 0 writes the model only after every rank has finished.
                printError("gap-train: error on rank \(world.rank) of \(world.size): \(error)")
                world.abort(status: 1)
            }
            DistributedRun.finish()
            return 0
        }
    }

    func train(_ world: any Communicator) throws {
        if world.size == 1 && DistributedRun.launcherRanks > 1 {
            // N copies of a single-process fit would each fit everything and race for the output.
            throw ValidationError("this gap-train was built without MPI but started as one of \(DistributedRun.launcherRanks) ranks; build it with `swift build -c release --traits MPI` (Open MPI's libopenmpi-dev installed) to fit over MPI")
        }
        let config = try TrainingConfig.load(path: self.config)
        if world.size > 1 && runOptions.threads == nil && config.threads == nil {
            // The ranks on one machine share its cores.
            ThreadCount.current = max(1, ThreadCount.current / DistributedRun.localRanks)
        }
        runOptions.applyThreads(configThreads: config.threads)
        // The fit makes every BLAS call with one thread (results must not depend on threads), so
        // OpenBLAS's workers, started at load, would only spin beside ours.
        BLASThreads.endIdleWorkers()
        // Rank 0 speaks for the job; the others report only errors.
        let progress = world.isRoot ? runOptions.progressReporter() : .silent
        // Before any work: the model (and its checkpoint) must not overwrite an input, and must
        // be writable; a second run on the same output stops here.
        let path = output ?? config.resolvedOutput
        let checkpointPaths = (0..<world.size).map { GapTrain.checkpointPath(path, rank: $0, of: world.size) }
        let companions = checkpointPaths + (world.size > 1 ? checkpointPaths.map { $0 + ".previous" } : [])
        let planned = PlannedOutput.file(path, option: output == nil ? "output" : "--output", companions: companions)
        if dryRun {
            try OutputGuard.check([planned], inputs: try config.inputFiles())
        } else if world.isRoot {
            try reserveOutputs([planned], inputs: try config.inputFiles(), tool: "gap-train", quiet: runOptions.quiet)
        }
        let data = try TrainingData.load(config, progress: progress)
        var options = FitOptions(threads: ThreadCount.current, blockRows: blockRows, progress: progress)
        options.communicator = world
        let budget = try maxMemory.map { try parseByteCount($0, option: "--max-memory") } ?? availableMemoryBytes()
        var plan = try FitPlan.make(config, data: data, options: options)
        var spreadFactor = distributedFactor
        if spreadFactor {
            guard world.size > 1 else { throw ValidationError("--distributed-factor needs several MPI ranks (mpirun -np N with the MPI build)") }
            plan = plan.withDistributedFactor()
            if let budget, plan.peakBytes > budget {
                throw TrainingError.memoryBudget("the fit needs about \(formatBytes(plan.peakBytes)) per rank with the distributed factor, more than the budget of \(formatBytes(budget)); use more ranks or reduce n_sparse")
            }
        } else if let budget {
            do {
                plan = try plan.fitting(budget: budget, fixedBlockRows: blockRows != nil)
            } catch TrainingError.memoryBudget(let message) where world.size > 1 {
                // One M x M factor per rank does not fit: spread it over the ranks if that fits.
                let spread = plan.withDistributedFactor()
                guard spread.peakBytes <= budget else { throw TrainingError.memoryBudget(message) }
                progress.note("the M x M factor does not fit one rank's memory: it is spread over the \(world.size) ranks (--distributed-factor)")
                plan = spread
                spreadFactor = true
            }
        }
        if dryRun && !world.isRoot { return }
        if dryRun {
            print(data.labelTable())
            print(plan.formatted())
            if let budget { print("memory budget: \(formatBytes(budget))\(maxMemory == nil ? " (available now)" : "")") }
            return
        }
        progress.note(data.labelTable())
        progress.note(plan.formatted())

        options.blockRows = plan.blockRows
        options.distributedFactor = spreadFactor
        options.estimatedPeakBytes = plan.peakBytes
        options.stopsOnInterrupt = true
        let checkpointPath = checkpointPaths[world.rank]
        if !noCheckpoint {
            if resume && spreadFactor {
                // This rank's latest save and the one before (a kill between two ranks' writes
                // leaves ranks one save apart; the fit resumes from the last round all have).
                let saved = try DistributedCheckpoint.loadGenerations(path: checkpointPath)
                options.distributedResume = saved
                progress.note("resuming from \(checkpointPath): \(saved.map(\.roundsDone).max() ?? 0) rounds of the distributed QR already done")
            } else if resume {
                let checkpoint = try Checkpoint.load(path: checkpointPath)
                options.resume = checkpoint
                progress.note("resuming from \(checkpointPath): \(checkpoint.solver.rowsAppended) rows of \(checkpoint.framesDone) structures already folded")
            } else if access(checkpointPath, F_OK) == 0 {
                progress.note("note: replacing the checkpoint \(checkpointPath) of an earlier run (use --resume to continue it instead)")
            }
            options.checkpoint = CheckpointPolicy(
                path: checkpointPath, intervalSeconds: checkpointInterval,
                fingerprint: CheckpointPolicy.fingerprint(config: config, data: data, rank: world.rank, of: world.size))
        }
        Interruption.installHandler()
        let trainer = Trainer(config: config)
        let result = try trainer.fit(data, options: options)
        if world.isRoot { try trainer.modelFile(for: result, data: data).write(to: path) }
        if world.size > 1 {
            // Checkpoints go only once the model is written; rank 0 reports what every rank did.
            try world.barrier()
            if let report = try DistributedReport.gather(world) { progress.note(report) }
        }
        if let report = result.descriptorReport { progress.note(report) }
        if !noCheckpoint {
            unlink(checkpointPath)
            if world.size > 1 { unlink(checkpointPath + ".previous") }
        }
        let phases = result.phaseSeconds.map { "\($0.phase) \(formatDuration($0.seconds))" }.joined(separator: ", ")
        let peak = residentPeakBytes().map(formatBytes) ?? "unknown"
        progress.note("wrote \(path) (\(result.observationCount) observations; \(phases); peak memory \(peak), estimated \(formatBytes(plan.peakBytes)))")
    }
}

extension GapTrain {
    /// Where a rank keeps its checkpoint: OUTPUT.checkpoint alone, OUTPUT.checkpoint.rankKofN over MPI.
    static func checkpointPath(_ output: String, rank: Int, of size: Int) -> String {
        size == 1 ? output + ".checkpoint" : output + ".checkpoint.rank\(rank)of\(size)"
    }
}

GapTrain.main()
