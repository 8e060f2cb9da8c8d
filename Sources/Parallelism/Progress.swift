import Support
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
    public let isEnabled: Bool
    private var mutex = pthread_mutex_t()
    private var phase = ""
    private var unit = ""
    private var total = 0
    private var done = 0
    private var phaseStart = 0.0
    private var detail: (() -> String)?
    private var lastPrint = 0.0
    private let startTime: Double
    private let interactive: Bool

    /// A reporter that prints to stderr if `enabled`.
    public init(enabled: Bool = true) {
        isEnabled = enabled
        pthread_mutex_init(&mutex, nil)
        startTime = monotonicSeconds()
        interactive = isatty(STDERR_FILENO) != 0
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// A reporter that never prints.
    public static let silent = ProgressReporter(enabled: false)

    /// Seconds since the reporter was created.
    public var elapsedSeconds: Double { monotonicSeconds() - startTime }

    /// Starts a phase of `total` units (`unit` names them, e.g. "structures"). `detail`, if
    /// given, is called for every printed line and appended to it (e.g. rows folded, memory).
    public func begin(_ phase: String, total: Int, unit: String, detail: (() -> String)? = nil) {
        pthread_mutex_lock(&mutex)
        finishLineLocked()
        self.phase = phase
        self.unit = unit
        self.total = total
        self.detail = detail
        done = 0
        phaseStart = monotonicSeconds()
        lastPrint = 0
        pthread_mutex_unlock(&mutex)
    }

    /// Records `count` more units done, printing if enough time has passed.
    public func advance(by count: Int = 1) {
        guard isEnabled else { return }
        pthread_mutex_lock(&mutex)
        done += count
        let now = monotonicSeconds()
        if now - lastPrint > (interactive ? 0.25 : 5.0) || done == total {
            lastPrint = now
            printLocked(now: now)
        }
        pthread_mutex_unlock(&mutex)
    }

    /// Ends the current phase, printing its final line with the elapsed time.
    public func end() {
        pthread_mutex_lock(&mutex)
        finishLineLocked()
        phase = ""
        pthread_mutex_unlock(&mutex)
    }

    /// Prints a one-line message (not a progress line), e.g. a memory estimate.
    public func note(_ message: String) {
        guard isEnabled else { return }
        pthread_mutex_lock(&mutex)
        if interactive && !phase.isEmpty { fputs("\n", stderr) }
        fputs(message + "\n", stderr)
        pthread_mutex_unlock(&mutex)
    }

    /// Prints a warning: like ``note(_:)``, but also when quiet, since it is not progress but
    /// something the user must know (e.g. a checkpoint that could not be written).
    public func warn(_ message: String) {
        pthread_mutex_lock(&mutex)
        if isEnabled && interactive && !phase.isEmpty { fputs("\n", stderr) }
        fputs(message + "\n", stderr)
        pthread_mutex_unlock(&mutex)
    }

    private func finishLineLocked() {
        guard isEnabled, !phase.isEmpty else { return }
        printLocked(now: monotonicSeconds(), final: true)
    }

    private func printLocked(now: Double, final: Bool = false) {
        let elapsed = now - phaseStart
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\(phase): \(done)/\(total) \(unit)"
        if rate > 0 { line += ", \(formatRate(rate)) \(unit)/s" }
        if let detail { line += ", " + detail() }
        if final {
            line += ", \(formatDuration(elapsed))"
        } else if rate > 0 && total > done {
            line += ", ETA \(formatDuration(Double(total - done) / rate))"
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

