import ArgumentParser

/// Release-build timing harness; each measurement is a subcommand driven by the scripts in
/// Benchmarks/.
struct GapBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-bench",
        abstract: "Timing harness for SwiftGAP components (use a release build).",
        subcommands: [SOAPBenchmarkCommand.self]
    )
}

GapBench.main()
