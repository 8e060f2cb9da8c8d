import Configuration
import Foundation
import TestSupport
import XCTest

/// A small SOAP + 2-body config on Si_tiny (as configs/ci.json, with fewer sparse points).
func tinyConfig(e0: String = "\"isolated\"", sparse: Int = 20) throws -> TrainingConfig {
    let json = """
        {
          "description": "tiny cross-validation test",
          "train_files": ["\(try Datasets.tinySilicon())"],
          "e0": \(e0),
          "descriptors": [
            {"type": "soap", "cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 4, "l_max": 3,
             "atom_sigma": 0.5, "delta": 3.0, "zeta": 4, "n_sparse": \(sparse), "sparse_method": "cur"},
            {"type": "distance_2b", "cutoff": 4.5, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
             "delta": 2.0, "n_sparse": 8, "sparse_method": "uniform"}
          ],
          "default_sigma": {"energy": 0.001, "forces": 0.1, "virial": 0.05},
          "config_type_sigma": {"liq": {"energy": 0.003, "forces": 0.15, "virial": 0.2}},
          "seed": 7
        }
        """
    return try TrainingConfig.parse(bytes: Array(json.utf8), name: "<tiny cv>", baseDirectory: "", checkFiles: false)
}

/// A fresh scratch directory, removed by the caller.
func scratchDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "/swiftgap-cv-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
