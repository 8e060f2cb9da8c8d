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
public func runReportingErrors(_ tool: String, _ body: () throws -> Int32) -> Never {
    do {
        exit(try body())
    } catch let error as InputError {
        printError("\(tool): error: \(error)")
        exit(1)
    } catch {
        printError("\(tool): error: \(error)")
        exit(1)
    }
}
