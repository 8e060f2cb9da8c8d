import ArgumentParser
import Parallelism

/// `--threads` and `--quiet`, shared by every command that does long work (one declaration
/// drives their parsing, validation and help).
public struct RunOptions: ParsableArguments {
    public init() {}

    @Option(help: "Worker threads (default: the config's `threads` where the command reads a config, else every core). Outputs do not depend on it.")
    public var threads: Int?

    @Flag(help: "No progress or summary on stderr.")
    public var quiet = false

    public func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Sets the process-wide worker count: `--threads`, else `configThreads`, else every core
    /// (``ThreadCount/current`` unchanged), and returns it.
    @discardableResult
    public func applyThreads(configThreads: Int? = nil) -> Int {
        ThreadCount.current = threads ?? configThreads ?? ThreadCount.current
        return ThreadCount.current
    }

    /// A reporter of progress on stderr, silent under `--quiet`.
    public func progressReporter() -> ProgressReporter { ProgressReporter(enabled: !quiet) }
}
