import AtomicStructures
import Prediction
import Support

/// Writing a ``Potential`` as a QUIP/GAP XML model that quippy (`Potential(param_filename=…)`) and
/// LAMMPS `pair_style quip` load, predicting what SwiftGAP predicts.
///
/// The file follows gap_fit 0.10.x (docs/gap_fit.md §2): `signal_variance` holds δ (not δ²),
/// soap sparse points carry QUIP's extra trailing component (0, `covariance_sigma0`), distance_2b
/// sparse points their cutoff weight as `sparseCutoff`, and `gap_version` is gap_fit 0.10.3's,
/// which selects today's SOAP conventions. Numbers are written in their shortest round-trip form.
/// Every line stays far below the ~1,000 characters at which QUIP's XML reader fails.
///
/// Only exact exports are made: a term QUIP cannot express is refused with a
/// ``GAPXMLExportError`` giving the reason and the remedy. Models with an optimal radial basis
/// or `n_features` export exactly when they are unnormalised (rewritten on QUIP's primitive
/// basis / zero-padded); normalised ones cannot be.
public enum GAPXMLWriter {
    /// gap_fit 0.10.3's `gap_version`.
    public static let gapVersion = 1_769_700_636

    /// Where the sparse points go.
    public enum SparsePointStorage: Sendable {
        /// One text file per term next to the XML (`<xml>.sparseX.<label><k>`), one number per line,
        /// with its md5 sum in the XML (gap_fit's default, `sparse_separate_file=T`).
        case sideFiles
        /// Inside the XML, in `<sparseX>` elements (gap_fit's `sparse_separate_file=F`).
        case inline
    }

    /// The files of an export: the XML text and the side files (name relative to the XML's
    /// directory, and contents).
    public struct Files: Sendable {
        public var xml: String
        public var sideFiles: [(name: String, contents: String)]
    }

    /// Checks that every term can be exported exactly; throws the first ``GAPXMLExportError``.
    public static func check(_ potential: Potential) throws {
        _ = try GAPXMLExportForm.terms(of: potential)
    }

    /// The files for `potential` written as `xmlName` (the XML's file name, which side-file names
    /// start with) with GAP label `label` (letters, digits and `_`, starting with a letter).
    public static func files(_ potential: Potential, xmlName: String, label: String, storage: SparsePointStorage) throws -> Files {
        precondition(label.first?.isLetter == true && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }, "the label must be an XML name")
        let terms = try GAPXMLExportForm.terms(of: potential)
        var out = "<\(label)>\n"
        out += "<Potential label=\"\(label)\" init_args=\"IP GAP label=\(label)\"/>\n"
        out += "<GAP_params label=\"\(label)\" gap_version=\"\(gapVersion)\">\n"
        out += "  <GAP_data do_core=\"F\">\n"
        for z in 1...118 { out += "    <e0 Z=\"\(z)\" value=\"\(GAPXMLExportForm.number(potential.e0[z] ?? 0))\"/>\n" }
        out += "  </GAP_data>\n"
        out += "  <gpSparse label=\"\(label)\" n_coordinate=\"\(terms.count)\" fitted=\"T\">\n"
        var sideFiles: [(String, String)] = []
        for (t, term) in terms.enumerated() {
            let termLabel = "\(label)\(t + 1)"
            var attributes = "label=\"\(termLabel)\" dimensions=\"\(term.dimensions)\" signal_variance=\"\(GAPXMLExportForm.number(term.delta))\" "
                + "signal_mean=\"0.0\" sparsified=\"T\" n_permutations=\"1\" covariance_type=\"\(term.covarianceType)\""
            if let zeta = term.zeta { attributes += " zeta=\"\(zeta).0\"" }
            attributes += " n_sparseX=\"\(term.alpha.count)\""
            if storage == .sideFiles {
                let name = "\(xmlName).sparseX.\(termLabel)"
                let contents = term.sparseX.map { GAPXMLExportForm.number($0) + "\n" }.joined()
                sideFiles.append((name, contents))
                attributes += " sparseX_filename=\"\(name)\" sparseX_md5sum=\"\(MD5.hex(Array(contents.utf8)))\""
            }
            out += "    <gpCoordinates \(attributes)>\n"
            if let theta = term.theta { out += "      <theta> \(theta.map(GAPXMLExportForm.number).joined(separator: " ")) </theta>\n" }
            out += "      <descriptor>\(term.descriptor)</descriptor>\n"
            // The identity permutation: QUIP reads one index per dimension for ard_se terms
            // (gap_fit writes a lone 1 for soap, whose dot-product kernel ignores it).
            let identity = term.covarianceType == 1 ? (1...term.dimensions).map(String.init).joined(separator: " ") : "1"
            out += "      <permutation i=\"1\">\(identity)</permutation>\n"
            for (i, a) in term.alpha.enumerated() {
                let open = "      <sparseX i=\"\(i + 1)\" alpha=\"\(GAPXMLExportForm.number(a))\" sparseCutoff=\"\(GAPXMLExportForm.number(term.sparseCutoff[i]))\""
                guard storage == .inline else {
                    out += open + "/>\n"
                    continue
                }
                out += open + ">\n"
                let values = term.sparseX[(i * term.dimensions)..<((i + 1) * term.dimensions)]
                // At most 8 numbers (≤ 200 characters) per line.
                for start in stride(from: values.startIndex, to: values.endIndex, by: 8) {
                    out += "        " + values[start..<min(start + 8, values.endIndex)].map(GAPXMLExportForm.number).joined(separator: " ") + "\n"
                }
                out += "      </sparseX>\n"
            }
            out += "    </gpCoordinates>\n"
        }
        out += "  </gpSparse>\n</GAP_params>\n</\(label)>\n"
        return Files(xml: out, sideFiles: sideFiles)
    }

    /// Writes `potential` to `path` (and its side files next to it), each file atomically.
    /// Returns the paths written.
    @discardableResult
    public static func write(_ potential: Potential, to path: String, label: String = "GAP_SwiftGAP", storage: SparsePointStorage = .sideFiles) throws -> [String] {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let files = try files(potential, xmlName: name, label: label, storage: storage)
        var written: [String] = []
        for side in files.sideFiles {
            try writeFileAtomically(Array(side.contents.utf8), to: directory + side.name)
            written.append(directory + side.name)
        }
        try writeFileAtomically(Array(files.xml.utf8), to: path)
        return written + [path]
    }
}
