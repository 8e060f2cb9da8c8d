// gap-data: summarize and check extended XYZ training data. A thin shell over DataAudit.
import ArgumentParser
import AtomicStructures
import CommandLineSupport
import DataAudit

struct GapData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-data",
        abstract: "Summarize and check extended XYZ training data.",
        discussion: """
            Labels are read from the first key present in each list (defaults: energy \
            dft_energy, DFT_energy, energy; forces dft_force, DFT_force, forces, force; virial \
            dft_virial, DFT_virial, virial; stress dft_stress, DFT_stress, stress; config type \
            config_type). Giving a --*-key option replaces that list; repeat it for several names.
            """,
        subcommands: [Summary.self, Check.self]
    )
}

/// The label-key options shared by both subcommands.
struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count configs, atoms, species, config types and labels per file and in total.")

    @OptionGroup var keys: KeyOptions
    @Flag(help: "Write JSON (stable key order) instead of a table.")
    var json = false
    @Argument(help: ArgumentHelp("Extended XYZ files.", valueName: "file"))
    var files: [String]

    func run() throws {
        runReportingErrors("gap-data") {
            let summary = try DatasetSummary.of(paths: files, labelKeys: keys.labelKeys)
            print(json ? summary.json() : summary.formattedTable(), terminator: "")
            return 0
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audit training data; exit status 1 if any error is found, 0 on warnings only.",
        discussion: """
            Errors: non-finite numbers (positions, lattice, header numbers, any per-atom column), \
            atoms or periodic images closer than --min-distance, malformed labels, invalid cells, \
            per-atom columns of the wrong length. Warnings: exact duplicate frames, per-atom \
            energies more than 20 robust standard deviations (1.4826 MAD, at least 1 meV/atom) \
            from their config type's median (groups of 5 or more frames; frames without a config \
            type are grouped per file), net forces |ΣF| > √N · max(0.01 eV/Å, 1% of the RMS \
            force), forces without energy, frames with no labels, asymmetric virials, cells with \
            less than 1 Å³ per atom, empty frames.
            """)

    @OptionGroup var keys: KeyOptions
    @Option(name: .customLong("min-distance"), help: ArgumentHelp("Atoms closer than this (Å) are an error.", valueName: "Å"))
    var minimumDistance: Double = 0.5
    @Flag(help: "Write the report as JSON (stable key order).")
    var json = false
    @Argument(help: ArgumentHelp("Extended XYZ files.", valueName: "file"))
    var files: [String]

    func validate() throws {
        guard minimumDistance.isFinite, minimumDistance > 0 else {
            throw ValidationError("--min-distance must be a positive number of Å, got \(minimumDistance)")
        }
    }

    func run() throws {
        runReportingErrors("gap-data") {
            let options = AuditOptions(labelKeys: keys.labelKeys, minimumDistance: minimumDistance)
            let report = try DatasetAuditor.audit(paths: files, options: options)
            print(json ? report.json() : report.formatted(), terminator: "")
            return report.hasErrors ? 1 : 0
        }
    }
}

GapData.main()
