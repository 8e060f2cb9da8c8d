#if canImport(Glibc)
import Glibc
#endif

/// Set from the SIGINT handler; read between units of work.
nonisolated(unsafe) private var interruptionRequested: sig_atomic_t = 0

/// Cooperative handling of Ctrl-C (SIGINT) for long work.
///
/// After ``installHandler()`` the first SIGINT only sets a flag: long loops check
/// ``isRequested`` between units of work, save what they can and stop cleanly (no partial output
/// file is ever left, since outputs are written atomically). A second SIGINT ends the process at
/// once, as the user expects from pressing Ctrl-C twice.
public enum Interruption {
    /// Installs the SIGINT handler (idempotent).
    public static func installHandler() {
        signal(SIGINT) { _ in
            if interruptionRequested != 0 {
                _exit(130)
            }
            interruptionRequested = 1
        }
    }

    /// Whether a SIGINT arrived since the handler was installed (or ``reset()``).
    public static var isRequested: Bool { interruptionRequested != 0 }

    /// Clears the flag (tests).
    public static func reset() { interruptionRequested = 0 }

    /// Sets the flag as if SIGINT had arrived (tests).
    public static func request() { interruptionRequested = 1 }
}
