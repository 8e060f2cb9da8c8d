import ArgumentParser
import AtomicStructures
import CommandLineSupport
import Configuration
import CrossValidation
import Parallelism
import Prediction
import Support
import Training

/// `gap-cv CONFIG.json`: k-fold cross-validation of a training config, with a report.
struct GapCV: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-cv",
        abstract: "K-fold cross-validation of a training config: out-of-fold errors per config type, with a report.",
        discussion: """
            Folds are split by frame, stratified by config type and seeded; isolated atoms (e0) are
            always trained on. Descriptors and their gradients are computed once and shared by the
            folds when they fit in --max-memory (otherwise recomputed per fold); sparse points are
            chosen in each fold from its own training frames. The report directory receives
            report.json (every number), report.md, report.html (self-contained, inline SVG) and
            predictions.xyz (out-of-fold predictions with ref_* labels). Errors: energy and virial
            in meV/atom, forces in eV/Å (per component and |ΔF| per atom). Progress on stderr.
            """
    )

    @Argument(help: "The training config (JSON), as for gap-train.")
    var config: String

    @Option(help: "Number of folds K (at least 2).")
    var folds = 5

    @Option(help: "Directory for the report (created if missing).")
    var report = "cv-report"

    @Option(help: "Seed of the fold assignment and learning-curve subsets (default: the config's seed).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Memory budget for keeping descriptors and gradients of every frame, e.g. 8G, 500M (default: half of physical memory; 0 recomputes them in every fold).", valueName: "bytes"))
    var maxMemory: String?

    @Flag(help: "Also run a learning curve (training fractions from --fractions).")
    var learningCurve = false

    @Option(help: ArgumentHelp("Training fractions of the learning curve, comma-separated, each in (0, 1].", valueName: "list"))
    var fractions: String?

    @Option(help: ArgumentHelp("Sweep one setting: KEY=V1,V2,... with KEY a config path (descriptors[0].n_sparse, default_sigma.forces) or a key of exactly one descriptor term (n_sparse).", valueName: "key=values"))
    var sweep: String?

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        if folds < 2 { throw ValidationError("--folds must be at least 2") }
        if fractions != nil && !learningCurve { throw ValidationError("--fractions needs --learning-curve") }
    }

    func run() throws {
        runReportingErrors("gap-cv") {
            try crossValidate()
            return 0
        }
    }

    func crossValidate() throws {
        let start = monotonicSeconds()
        let startCPU = processCPUSeconds()
        let config = try TrainingConfig.load(path: self.config)
        runOptions.applyThreads(configThreads: config.threads)
        let progress = runOptions.progressReporter()
        let names = CrossValidationReport.fileNames
        try reserveOutputs(
            [.directory(report, option: "--report", fileNames: [names.json, names.markdown, names.html, names.predictions])],
            inputs: try config.inputFiles(), tool: "gap-cv", quiet: runOptions.quiet)
        let data = try TrainingData.load(config, progress: progress)
        progress.note(data.labelTable())
        var options = CrossValidationOptions(
            folds: folds, seed: seed, maxMemoryBytes: try maxMemory.map { try parseByteCount($0, option: "--max-memory") }, threads: ThreadCount.current, progress: progress)
        if learningCurve {
            options.learningCurveFractions = try fractions.map(parseFractions) ?? CrossValidationOptions.defaultLearningCurveFractions
        }
        if let sweep { options.sweep = try ParameterSweep.parse(sweep, config: config) }
        let reading = PhaseTime(phase: "reading config and data", seconds: monotonicSeconds() - start, cpuSeconds: processCPUSeconds() - startCPU)
        var result = try CrossValidation(config: config, data: data).run(options)
        result.timings.insert(reading, at: 0)
        let report = CrossValidationReport(result: result, command: CommandLine.arguments.joined(separator: " "))
        try report.write(to: self.report)
        print(result.main.pooled.formattedTable())
        progress.note("wrote \(self.report)/\(CrossValidationReport.fileNames.html), .md, .json and \(CrossValidationReport.fileNames.predictions) in \(formatDuration(monotonicSeconds() - start)) (peak memory \(result.memory.residentPeak.map(formatBytes) ?? "unknown"))")
    }

    func parseFractions(_ text: String) throws -> [Double] {
        try text.split(separator: ",").map { part in
            guard let x = Double(part.trimmingCharacters(in: " ")), x > 0, x <= 1 else {
                throw InputError(file: "<command line>", field: "--fractions", message: "each fraction must be a number in (0, 1], got \"\(part)\"")
            }
            return x
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

GapCV.main()
