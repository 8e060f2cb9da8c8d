import ArgumentParser
import AtomicStructures
import CommandLineSupport
import Configuration
import Parallelism
import Training

/// `gap-train CONFIG.json`: fits a GAP model and writes the model file.
struct GapTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-train",
        abstract: "Fit a GAP model (SOAP and 2-body terms, sparse GP on energies, forces and virials).",
        discussion: """
            The config is JSON (comments allowed); see docs/config.md and configs/. Progress goes to
            stderr; the model is written atomically to the config's `output` (or --output).
            """
    )

    @Argument(help: "The training config (JSON).")
    var config: String

    @Flag(help: "Read and check everything, print the data, sizes and memory estimate, and exit.")
    var dryRun = false

    @Option(help: "Worker threads (default: the config's `threads`, else every core). The model does not depend on it.")
    var threads: Int?

    @Option(help: "Write the model here instead of the config's `output`.")
    var output: String?

    @Flag(help: "No progress or summary on stderr.")
    var quiet = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        runReportingErrors("gap-train") {
            try train()
            return 0
        }
    }

    func train() throws {
        let config = try TrainingConfig.load(path: self.config)
        ThreadCount.current = threads ?? config.threads ?? ThreadCount.current
        let progress = ProgressReporter(enabled: !quiet)
        let data = try TrainingData.load(config, progress: progress)
        let options = FitOptions(threads: ThreadCount.current, progress: progress)
        let plan = try FitPlan.make(config, data: data, options: options)
        if dryRun {
            print(data.labelTable())
            print(plan.formatted())
            return
        }
        progress.note(data.labelTable())
        progress.note(plan.formatted())
        let trainer = Trainer(config: config)
        let result = try trainer.fit(data, options: options)
        let path = output ?? config.resolvedOutput
        try trainer.modelFile(for: result, data: data).write(to: path)
        if let report = result.descriptorReport { progress.note(report) }
        let phases = result.phaseSeconds.map { "\($0.phase) \(formatDuration($0.seconds))" }.joined(separator: ", ")
        progress.note("wrote \(path) (\(result.observationCount) observations; \(phases); peak memory \(residentPeakDescription()))")
    }
}

/// Peak resident memory so far, from /proc/self/status (VmHWM).
func residentPeakDescription() -> String {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1])
    else { return "unknown" }
    return formatBytes(kb * 1024)
}

GapTrain.main()
