import ArgumentParser
import AtomicStructures
import CommandLineSupport
import JSON
import LinearAlgebra
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Release-build timing harness. Each measurement is a subcommand, so others can add theirs
/// (`soap`, ...) next to `read-xyz`; the scripts in Benchmarks/ drive them.
struct GapBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-bench",
        abstract: "Timing harness for SwiftGAP components (use a release build).",
        subcommands: [ReadXYZ.self, SOAPBenchmarkCommand.self, PredictBenchmarkCommand.self, BLASInfo.self]
    )
}

/// Wall-clock seconds from a monotonic clock.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}

/// `gap-bench read-xyz FILE...`: reads every frame of the files with ExtendedXYZReader.
struct ReadXYZ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-xyz",
        abstract: "Time reading extended XYZ files (every frame, all columns)."
    )

    @Argument(help: "Extended XYZ files to read, in order.")
    var files: [String]

    @Flag(help: "Print one JSON line instead of text.")
    var json = false

    func run() throws {
        var frames = 0, atoms = 0, bytes = 0
        let start = monotonicSeconds()
        for file in files {
            var reader = try ExtendedXYZReader(path: file)
            while let structure = try reader.next() {
                frames += 1
                atoms += structure.count
            }
            var info = stat()
            if stat(file, &info) == 0 { bytes += Int(info.st_size) }
        }
        let seconds = monotonicSeconds() - start
        let megabytesPerSecond = Double(bytes) / 1e6 / seconds
        if json {
            print("{\"frames\": \(frames), \"atoms\": \(atoms), \"bytes\": \(bytes), \"seconds\": \(seconds), \"megabytes_per_second\": \(megabytesPerSecond)}")
        } else {
            print("frames \(frames)  atoms \(atoms)  seconds \(seconds)  MB/s \(megabytesPerSecond)")
        }
    }
}

/// `gap-bench blas`: the linked BLAS and the CPU kernels it runs, for benchmark records.
struct BLASInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas",
        abstract: "Print the linked BLAS, its CPU kernels and whether SwiftGAP re-selected them."
    )

    @Flag(help: "Print one JSON line instead of text.")
    var json = false

    func run() {
        if json {
            var line = "{\"library\": "
            JSONWriter.appendQuoted(BLASThreads.libraryDescription, to: &line)
            line += ", \"kernels\": "
            JSONWriter.appendQuoted(BLASKernels.current, to: &line)
            line += ", \"replaced\": "
            if let replaced = BLASKernels.replacedChoice { JSONWriter.appendQuoted(replaced, to: &line) } else { line += "null" }
            line += ", \"best_for_cpu\": "
            if let best = BLASKernels.bestForThisCPU { JSONWriter.appendQuoted(best, to: &line) } else { line += "null" }
            print(line + "}")
        } else {
            print(BLASThreads.libraryDescription)
        }
    }
}

runReportingErrors("gap-bench") {
    // Every timed kernel gets its threads from `--threads`, none from BLAS. (A pool OpenBLAS
    // started at load time still spins for a while after start-up; the benchmark scripts set
    // OPENBLAS_NUM_THREADS=1 so that there is none.)
    BLASThreads.set(1)
    do {
        var command = try GapBench.parseAsRoot()
        try command.run()
        return 0
    } catch let error as InputError {
        throw error
    } catch {
        GapBench.exit(withError: error)
    }
}
