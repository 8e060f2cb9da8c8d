import Support
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Progress of long work (phase, count, rate, ETA), printed to stderr at most a few times per
/// second. Library code reports through this type; command-line tools decide whether it prints
/// (`--quiet` sets ``isEnabled`` to false).
///
/// Thread-safe: workers may call ``advance(by:)`` concurrently.
public final class ProgressReporter: @unchecked Sendable {
    /// Whether anything is printed (false for `--quiet`).
    package let isEnabled: Bool
    private let state = Mutex(State())
    private let startTime: Double
    private let interactive: Bool

    /// The current phase; guarded by the mutex.
    private struct State {
        var phase = ""
        var unit = ""
        var total = 0
        var done = 0
        var phaseStart = 0.0
        var detail: (() -> String)?
        var lastPrint = 0.0
    }

    /// A reporter that prints to stderr if `enabled`.
    public init(enabled: Bool = true) {
        isEnabled = enabled
        startTime = monotonicSeconds()
        interactive = isatty(STDERR_FILENO) != 0
    }

    /// A reporter that never prints.
    public static let silent = ProgressReporter(enabled: false)

    /// Seconds since the reporter was created.
    package var elapsedSeconds: Double { monotonicSeconds() - startTime }

    /// Starts a phase of `total` units (`unit` names them, e.g. "structures"). `detail`, if
    /// given, is called for every printed line and appended to it (e.g. rows folded, memory).
    public func begin(_ phase: String, total: Int, unit: String, detail: (() -> String)? = nil) {
        state.withLock { s in
            finishLine(&s)
            s.phase = phase
            s.unit = unit
            s.total = total
            s.detail = detail
            s.done = 0
            s.phaseStart = monotonicSeconds()
            s.lastPrint = 0
        }
    }

    /// Records `count` more units done, printing if enough time has passed.
    public func advance(by count: Int = 1) {
        guard isEnabled else { return }
        state.withLock { s in
            s.done += count
            let now = monotonicSeconds()
            if now - s.lastPrint > (interactive ? 0.25 : 5.0) || s.done == s.total {
                s.lastPrint = now
                printLine(s, now: now)
            }
        }
    }

    /// Ends the current phase, printing its final line with the elapsed time.
    public func end() {
        state.withLock { s in
            finishLine(&s)
            s.phase = ""
        }
    }

    /// Prints a one-line message (not a progress line), e.g. a memory estimate.
    public func note(_ message: String) {
        guard isEnabled else { return }
        state.withLock { s in
            if interactive && !s.phase.isEmpty { fputs("\n", stderr) }
            fputs(message + "\n", stderr)
        }
    }

    /// Prints a warning: like ``note(_:)``, but also when quiet, since it is not progress but
    /// something the user must know (e.g. a checkpoint that could not be written).
    public func warn(_ message: String) {
        state.withLock { s in
            if isEnabled && interactive && !s.phase.isEmpty { fputs("\n", stderr) }
            fputs(message + "\n", stderr)
        }
    }

    private func finishLine(_ s: inout State) {
        guard isEnabled, !s.phase.isEmpty else { return }
        printLine(s, now: monotonicSeconds(), final: true)
    }

    private func printLine(_ s: State, now: Double, final: Bool = false) {
        let elapsed = now - s.phaseStart
        let rate = elapsed > 0 ? Double(s.done) / elapsed : 0
        var line = "\(s.phase): \(s.done)/\(s.total) \(s.unit)"
        if rate > 0 { line += ", \(formatRate(rate)) \(s.unit)/s" }
        if let detail = s.detail { line += ", " + detail() }
        if final {
            line += ", \(formatDuration(elapsed))"
        } else if rate > 0 && s.total > s.done {
            line += ", ETA \(formatDuration(Double(s.total - s.done) / rate))"
        }
        if interactive {
            fputs("\r\u{1B}[K" + line + (final ? "\n" : ""), stderr)
        } else {
            fputs(line + "\n", stderr)
        }
    }
}

/// Seconds on a monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

