import AtomicStructures
import GAPXML
import JSON
import Prediction
import Support

extension ModelFile {
    /// A gap_fit (QUIP/GAP XML) model read by ``GAPXMLReader`` as a model file. Its provenance
    /// records where it came from (`config` = {"imported_from": "gap_fit XML", "file", "sha256",
    /// "label", "gap_version", "command_line"}); no training files, frames or seed are known.
    static func importGAPXML(_ bytes: [UInt8], name: String) throws -> ModelFile {
        let imported = try GAPXMLReader.read(bytes: bytes, name: name)
        var origin: [(String, JSONValue.Kind)] = [
            ("imported_from", .string("gap_fit XML")),
            ("file", .string(name)),
            ("sha256", .string(SHA256.hex(of: bytes))),
            ("label", .string(imported.label)),
        ]
        if let v = imported.gapVersion { origin.append(("gap_version", JSONWriter.number(v))) }
        if let c = imported.commandLine { origin.append(("command_line", .string(c))) }
        let provenance = ModelProvenance(
            config: JSONWriter.object(origin), trainingFiles: [], seed: 0, frameCount: 0, atomCount: 0, observationCount: 0)
        return ModelFile(
            potential: imported.potential, sparseSources: imported.potential.terms.map { _ in [] }, provenance: provenance)
    }
}
