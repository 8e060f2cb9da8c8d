import ArgumentParser
import AtomicStructures
import CommandLineSupport
import Configuration
import Descriptors
import FeatureExport
import LinearAlgebra
import Parallelism
import Support

/// `gap-features [export] CONFIG.json INPUT.xyz --output FEATURES.npy [--gradients GRADIENTS.npz]`:
/// density descriptors (and their gradients) as NumPy arrays; `gap-features compare A.json
/// B.json FILE...`: feature-space reconstruction errors between two descriptors.
struct GapFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-features",
        abstract: "Descriptors as NumPy arrays (export, the default), or two descriptors compared (compare).",
        subcommands: [Export.self, Compare.self],
        defaultSubcommand: Export.self
    )
}

/// `gap-features [export] CONFIG.json INPUT.xyz --output FEATURES.npy [--gradients GRADIENTS.npz]`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write density descriptors (and optionally their gradients) as NumPy .npy/.npz files.",
        discussion: """
            CONFIG.json is a descriptor object ({"cutoff": 5, "n_max": 8, "l_max": 6, \
            "atom_sigma": 0.5, ...}, the keys of a soap, radial_spectrum or bispectrum term in \
            docs/config.md; "type" defaults to soap) or a training config, whose first such \
            term is used. Species lists (species_Z, Z) that are not given default to every \
            species in the input. Several input files are concatenated.

            FEATURES.npy: float64 (N, F), one row per centre atom in file order (frames \
            concatenated, atoms in frame order). By default every species is a centre, so row i \
            is atom i of the whole input. If the descriptor's Z leaves out species present, their \
            atoms get no row (the other rows keep file order); --centres writes the global atom \
            index of each row.

            GRADIENTS.npz (load with np.load):
              samples         int64 (P, 2): [row i, global atom a], sorted by i,
                              then a; only atoms a within the cutoff of row i's
                              centre (and the centre) appear, other gradients
                              are zero.
              values          float64 (P, 3, F): d features[i] / d r_a (x, y, z),
                              in 1/Å; all periodic images of atom a summed.
              strain          float64 (M, 3, 3, F): d features[i] / d eps[b, c]
                              for r' = r (1 + eps), cell rows H' = H (1 + eps);
                              only rows of frames periodic in all three
                              directions have strain entries.
              strain_samples  int64 (M,): the row i of each strain entry
                              (arange(N) when every frame is periodic).

            Global atom indices count every atom of every frame from 0 in file order. Values are \
            the library's bit for bit for any --threads. Files are written atomically; progress \
            goes to stderr.
            """
    )

    @Argument(help: ArgumentHelp("A descriptor object (soap, radial_spectrum, bispectrum) or a training config (JSON).", valueName: "CONFIG.json"))
    var config: String

    @Argument(help: ArgumentHelp("Extended XYZ input (several files are concatenated).", valueName: "INPUT.xyz"))
    var inputs: [String]

    @Option(help: ArgumentHelp("The descriptor rows (float64 .npy, rows x features).", valueName: "FEATURES.npy"))
    var output: String

    @Option(help: ArgumentHelp("Also write position and strain gradients (.npz with samples, values, strain, strain_samples).", valueName: "GRADIENTS.npz"))
    var gradients: String?

    @Option(help: ArgumentHelp("Also write the global atom index of each row (int64 .npy).", valueName: "CENTRES.npy"))
    var centres: String?

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one extended XYZ input file") }
    }

    func run() throws {
        runReportingErrors("gap-features") {
            runOptions.applyThreads()
            // The export makes no BLAS call; OpenBLAS's workers, started at load, would spin
            // beside the descriptor threads.
            BLASThreads.endIdleWorkers()
            let progress = runOptions.progressReporter()
            let outputs = [("--output", output), ("--gradients", gradients), ("--centres", centres)]
                .compactMap { name, path in path.map { PlannedOutput.file($0, option: name) } }
            try reserveOutputs(outputs, inputs: inputs + [config], tool: "gap-features", quiet: runOptions.quiet)
            let descriptor = try TrainingConfig.loadSOAPDescriptor(path: config)
            let options = FeatureExportOptions(
                featuresPath: output, gradientsPath: gradients, centresPath: centres, threads: ThreadCount.current)
            let start = monotonicSeconds()
            let result = try FeatureExport.run(descriptor, descriptorSource: config, inputs: inputs, options: options, progress: progress)
            let h = result.hyperparameters
            let species = { (list: [Int]) in list.map { Element(atomicNumber: $0)?.symbol ?? "\($0)" }.joined(separator: " ") }
            progress.note("\(result.scan.frameCount) frames, \(result.scan.atomCount) atoms; species_Z \(species(h.neighbourSpecies)), Z \(species(h.centreSpecies))")
            let excluded = result.scan.speciesPresent.filter { !h.centreSpecies.contains($0) }
            if !excluded.isEmpty {
                progress.note("note: Z leaves out \(species(excluded)): \(result.rowCount) of \(result.scan.atomCount) atoms have rows (--centres gives each row's atom)")
            }
            var message = "wrote \(output): \(result.rowCount) x \(result.featureCount)"
            if let gradients {
                message += "; \(gradients): \(result.gradientEntryCount) gradient entries, \(result.strainRowCount) strain rows"
            }
            if let centres { message += "; \(centres)" }
            progress.note(message + " (\(formatDuration(monotonicSeconds() - start)))")
            return 0
        }
    }
}

/// `gap-features compare A.json B.json FILE... [--json]`.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Global feature-space reconstruction errors (GFRE) and distortions (GFRD) between two descriptors.",
        discussion: """
            A.json and B.json are descriptor objects or training configs, as for export (an \
            optimal radial basis is fitted to the train half; n_features is refused). Their \
            centre species must agree. On the centre environments of FILE... (at most \
            --environments of them, a seeded sample), split in two halves (seeded): both feature \
            sets are centred and scaled to unit total variance on the train half, B is \
            reconstructed from A by ridge regression whose singular-value cutoff is chosen by \
            two-fold cross-validation on the train half, and GFRE(A→B) is the RMSE of that \
            reconstruction on the test half (0: B is a linear function of A; about 1: nothing of \
            B is). GFRD(A→B) measures how far that map is from an orthogonal one. Goscinski et \
            al., Mach. Learn.: Sci. Technol. 2, 025028 (2021); the same as scikit-matter's \
            global_reconstruction_error/distortion on the same split.
            """
    )

    @Argument(help: ArgumentHelp("Descriptor A (JSON).", valueName: "A.json"))
    var first: String

    @Argument(help: ArgumentHelp("Descriptor B (JSON).", valueName: "B.json"))
    var second: String

    @Argument(help: ArgumentHelp("Extended XYZ input (several files are concatenated).", valueName: "FILE"))
    var inputs: [String]

    @Option(help: "The largest number of environments used (a seeded sample when there are more).")
    var environments = 4000

    @Option(help: "Seed of the environment sample and of the splits.")
    var seed: UInt64 = 0

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        if environments < 4 { throw ValidationError("--environments must be at least 4") }
        if inputs.isEmpty { throw ValidationError("give at least one extended XYZ input file") }
    }

    func run() throws {
        runReportingErrors("gap-features compare") {
            runOptions.applyThreads()
            let progress = runOptions.progressReporter()
            let a = try TrainingConfig.loadSOAPDescriptor(path: first)
            let b = try TrainingConfig.loadSOAPDescriptor(path: second)
            let result = try FeatureComparison.run(
                a: a, aSource: first, b: b, bSource: second, inputs: inputs, environmentLimit: environments, seed: seed,
                threads: ThreadCount.current, progress: progress)
            print(json ? result.json : result.text)
            return 0
        }
    }
}

GapFeatures.main()
