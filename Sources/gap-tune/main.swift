import ArgumentParser
import AtomicStructures
import CommandLineSupport
import Configuration
import CrossValidation
import JSON
import Parallelism
import Support
import Training
import Tuning

/// `gap-tune CONFIG.json --output best.json`: hyper-parameter search by k-fold cross-validation.
struct GapTune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-tune",
        abstract: "Tunes a training config's hyper-parameters by k-fold cross-validation on its own training data.",
        discussion: """
            Successive halving (the inner loop of Hyperband) with CV folds as the resource: the base
            config is cross-validated on all K folds, then brackets of configs sampled around the
            best so far are fitted on one fold, the best third on three, and so on to K; a config
            that beats the best on all K folds becomes the new centre. Descriptors and gradients
            are computed once per distinct descriptor and shared by folds and configs; an optimal
            radial basis is fitted once per descriptor. The objective is the out-of-fold MAE
            relative to the base config's (--objective weights energy, forces, virial).
            The searched settings default to a space built around the config (see --print-space);
            --space FILE replaces it. The best config is written to --output with comments giving
            how it was chosen and its CV errors (relative paths rewritten for its directory); the
            report directory gets report.json (every evaluation) and report.md. With
            --budget-fits, the same seed gives byte-identical output. Progress on stderr.
            """
    )

    @Argument(help: "The base training config (JSON), as for gap-train.")
    var config: String

    @Option(help: "Where to write the best config.")
    var output: String?

    @Option(help: "Directory for report.json and report.md (created if missing).")
    var report: String?

    @Option(help: "At most this many fold fits in all (the base config's K fits included).")
    var budgetFits: Int?

    @Option(help: ArgumentHelp("Start no new fit after this many seconds (where the search stops then depends on the machine).", valueName: "seconds"))
    var budgetSeconds: Double?

    @Option(help: "Number of folds K (at least 2).")
    var folds = 5

    @Option(help: "Seed of the candidate sampling and of the folds (default: the config's seed).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Search space file (JSON: \"path\": [values], see --print-space); default: a space built around the config.", valueName: "file"))
    var space: String?

    @Flag(help: "Print the search space (as a --space file) and exit.")
    var printSpace = false

    @Option(help: ArgumentHelp("Weights of the relative MAEs minimised, e.g. energy=1,forces=1,virial=0.5.", valueName: "weights"))
    var objective = "energy=1,forces=1,virial=0"

    @Option(help: "Halving rate η: each rung keeps the best 1/η and gives them η times the folds.")
    var eta = 3

    @Option(help: "Configs per bracket, the incumbent included.")
    var bracketSize = 9

    @Option(help: ArgumentHelp("Memory budget for cached descriptors and gradients, e.g. 8G (default: half of physical memory).", valueName: "bytes"))
    var maxMemory: String?

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        if folds < 2 { throw ValidationError("--folds must be at least 2") }
        if eta < 2 { throw ValidationError("--eta must be at least 2") }
        if bracketSize < 2 { throw ValidationError("--bracket-size must be at least 2") }
        if printSpace { return }
        if output == nil { throw ValidationError("--output is required (where the best config is written)") }
        if budgetFits == nil && budgetSeconds == nil { throw ValidationError("give a budget: --budget-fits N or --budget-seconds S (or both)") }
        if let budgetFits, budgetFits < folds { throw ValidationError("--budget-fits must be at least --folds (\(folds)): the base config alone takes \(folds) fits") }
        if let budgetSeconds, !(budgetSeconds > 0) { throw ValidationError("--budget-seconds must be positive") }
    }

    func run() throws {
        runReportingErrors("gap-tune") {
            try tune()
            return 0
        }
    }

    func tune() throws {
        let base = try TrainingConfig.load(path: config)
        runOptions.applyThreads(configThreads: base.threads)
        let progress = runOptions.progressReporter()
        let weights = try TuningObjective.parse(objective)
        if !printSpace, let output {
            var outputs = [PlannedOutput.file(output, option: "--output")]
            if let report = self.report { outputs.append(.directory(report, option: "--report", fileNames: ["report.json", "report.md"])) }
            try reserveOutputs(outputs, inputs: try base.inputFiles() + (space.map { [$0] } ?? []), tool: "gap-tune", quiet: runOptions.quiet)
        }
        let data = try TrainingData.load(base, progress: progress)
        let searchSpace: SearchSpace
        if let space {
            searchSpace = try SearchSpace.parse(bytes: try readSpaceFile(space), name: space, base: base)
        } else {
            searchSpace = try SearchSpace.defaultSpace(for: base, facts: Tuner.facts(of: data))
        }
        if printSpace {
            print(searchSpace.spaceFileJSON(), terminator: "")
            return
        }
        progress.note(data.labelTable())
        progress.note("search space: \(searchSpace.dimensions.count) settings, \(Int(searchSpace.size)) configs")
        let settings = SearchSettings(
            folds: folds, eta: eta, bracketSize: bracketSize, budgetFits: budgetFits, budgetSeconds: budgetSeconds, seed: seed ?? base.seed)
        let options = TuningOptions(
            search: settings, objective: weights, maxMemoryBytes: try maxMemory.map { try parseByteCount($0, option: "--max-memory") },
            threads: ThreadCount.current, progress: progress)
        let result = try Tuner(base: base, data: data, space: searchSpace).run(options)
        let report = TuningReport(result: result, command: (["gap-tune"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        try report.write(outputPath: output!, reportDirectory: self.report)
        print("chosen: " + report.errorSummary(result.best))
        print("base:   " + report.errorSummary(0))
        for change in searchSpace.changes(result.points[result.best].point) { print("  " + change) }
        progress.note("wrote \(output!)\(self.report.map { " and \($0)/report.json, report.md" } ?? "") after \(result.fits) fits in \(formatDuration(result.seconds))")
    }

    func readSpaceFile(_ path: String) throws -> [UInt8] {
        try readFile(path, what: "search space file")
    }
}

GapTune.main()
