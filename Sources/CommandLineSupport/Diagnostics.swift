import AtomicStructures
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to stderr (messages, warnings and progress never go to stdout).
public func printError(_ text: String) {
    var line = text
    line += "\n"
    fputs(line, stderr)
}

/// Runs a command body, turning every thrown error into one readable stderr line and exit code 1.
///
/// Commands call this so that bad input never surfaces as a Swift trap or an unexplained code.
/// Output locks still held are released before exiting (``OutputLock/releaseAll()``).
public func runReportingErrors(_ tool: String, _ body: () throws -> Int32) -> Never {
    let status: Int32
    do {
        status = try body()
    } catch {
        printError("\(tool): error: \(error)")
        status = 1
    }
    OutputLock.releaseAll()
    exit(status)
}

/// Checks and locks a command's outputs before any work (``OutputGuard/reserve(_:inputs:tool:)``)
/// and prints its notes (stale locks taken over, partial files of killed runs removed) unless
/// `quiet`. The locks are held until the command exits.
///
/// - Throws: ``InputError`` for an output that is an input, a directory, in a missing or
///   read-only directory, or being written by another run.
@discardableResult
public func reserveOutputs(_ outputs: [PlannedOutput], inputs: [String], tool: String, quiet: Bool) throws -> OutputReservation {
    let reservation = try OutputGuard.reserve(outputs, inputs: inputs, tool: tool)
    if !quiet {
        for note in reservation.notes { printError("\(tool): \(note)") }
    }
    return reservation
}
