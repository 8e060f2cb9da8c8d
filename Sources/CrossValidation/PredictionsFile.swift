import AtomicStructures
import Kernels
import OrderedCollections
import Training

/// The out-of-fold predictions as extended XYZ (`predictions.xyz`), from which every number of
/// the report can be recomputed.
///
/// One frame per tested frame, in data order, holding the structure and only these keys:
/// - info `cv_frame` (0-based index of the frame in the training data, as in report.json),
///   `cv_fold` (1-based test fold), `config_type` (if the frame has one);
/// - info `energy` (predicted, eV) and `ref_energy` (label, eV) if the frame has an energy label;
/// - arrays `forces` (predicted, eV/Å, every frame) and `ref_forces` (label) if labelled;
/// - info `virial` (predicted, eV, 9 numbers row-major, W = −dE/dε) and `ref_virial` (label)
///   for frames with a virial label only.
public enum PredictionsFile {
    /// The annotated structures of every tested frame of `result`'s main run.
    public static func structures(_ result: CrossValidationResult) -> [Structure] {
        var out: [Structure] = []
        for (f, frame) in result.data.frames.enumerated() {
            guard let p = result.predictions.indices.contains(f) ? result.predictions[f] : nil,
                  let fold = result.assignment.foldOfFrame[f]
            else { continue }
            out.append(annotated(frame, index: f, fold: fold, prediction: p))
        }
        return out
    }

    /// One frame with its prediction and labels.
    public static func annotated(_ frame: TrainingFrame, index: Int, fold: Int, prediction: Prediction) -> Structure {
        var s = frame.structure
        s.info = [:]
        s.arrays = [:]
        s.info["cv_frame"] = .integer(index)
        s.info["cv_fold"] = .integer(fold + 1)
        if let type = frame.configType { s.info["config_type"] = .string(type) }
        s.info["energy"] = .real(prediction.energy)
        if let e = frame.energy { s.info["ref_energy"] = .real(e) }
        if let v = frame.virial {
            s.info["virial"] = .reals(prediction.virial)
            s.info["ref_virial"] = .reals(v)
        }
        s.arrays["forces"] = PerAtomProperty(name: "forces", columns: 3, values: .reals(prediction.forces))
        if let f = frame.forces {
            s.arrays["ref_forces"] = PerAtomProperty(name: "ref_forces", columns: 3, values: .reals(f))
        }
        return s
    }

    /// Writes the predictions of `result` to `path` (atomically).
    public static func write(_ result: CrossValidationResult, to path: String) throws {
        try ExtendedXYZWriter.write(structures(result), to: path)
    }
}
