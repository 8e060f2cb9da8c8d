import ArgumentParser
import AtomicStructures
import CommandLineSupport
import GAPXML
import ModelFiles
import Prediction
import Support

/// `gap-export MODEL --format gap-xml|gapjson --output PATH`: converts models between SwiftGAP's
/// format and QUIP/GAP XML.
struct GapExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gap-export",
        abstract: "Convert a model between SwiftGAP's format and QUIP/GAP XML (gap_fit's format).",
        discussion: """
            MODEL is a SwiftGAP model (.gapjson) or a gap_fit XML model (told apart by content).

            --format gap-xml writes an XML that quippy (Potential(param_filename=...)) and LAMMPS \
            (pair_style quip; pair_coeff * * gap.xml "IP GAP label=LABEL" Z...) load and that \
            predicts what gap-predict predicts, to round-off. Sparse points go to side files next \
            to it (OUTPUT.sparseX.LABELk, md5 sums in the XML), or inside it with --inline. A model \
            QUIP cannot express exactly (a normalised optimal radial basis or n_features selection) \
            is refused with the reason and the remedy; there is no approximate export. A posterior \
            factor (uncertainty) is not exported.

            --format gapjson writes SwiftGAP's model file, e.g. to convert a gap_fit XML once \
            (gap-predict also reads the XML directly). See docs/gap_fit.md, section 9.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case gapXML = "gap-xml"
        case gapjson
    }

    @Argument(help: "The model to convert (SwiftGAP .gapjson or gap_fit XML).")
    var model: String

    @Option(help: "Output format: gap-xml or gapjson.")
    var format: Format

    @Option(help: "The file to write (written atomically; side files go next to it).")
    var output: String

    @Flag(help: "gap-xml: put the sparse points inside the XML instead of side files.")
    var inline = false

    @Option(help: "gap-xml: the GAP label (letters, digits, _; starting with a letter).")
    var label = "GAP_SwiftGAP"

    @Flag(help: "No messages on stderr.")
    var quiet = false

    func validate() throws {
        guard label.first?.isLetter == true, label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw ValidationError("--label must start with a letter and hold only letters, digits and _")
        }
        if inline && format != .gapXML { throw ValidationError("--inline applies to --format gap-xml only") }
    }

    func run() throws {
        runReportingErrors("gap-export") {
            let modelFile = try ModelFile.load(path: model)
            if let note = modelFile.integrityNote, !quiet { printError("gap-export: note: \(note)") }
            // The XML's side files are named after it: OUTPUT.sparseX.LABEL1, LABEL2, ...
            let sideFiles = format == .gapXML && !inline ? modelFile.potential.terms.indices.map { "\(output).sparseX.\(label)\($0 + 1)" } : []
            try reserveOutputs([.file(output, option: "--output", companions: sideFiles)], inputs: [model], tool: "gap-export", quiet: quiet)
            switch format {
            case .gapjson:
                try modelFile.write(to: output)
                if !quiet { printError("gap-export: wrote \(output)") }
            case .gapXML:
                let written = try GAPXMLWriter.write(modelFile.potential, to: output, label: label, storage: inline ? .inline : .sideFiles)
                if !quiet {
                    if modelFile.potential.posteriorFactor != nil {
                        printError("gap-export: note: the posterior factor (predictive uncertainties) has no GAP XML form and is left out")
                    }
                    printError("gap-export: wrote \(written.joined(separator: ", "))")
                }
            }
            return 0
        }
    }
}

GapExport.main()
