import Configuration
import Descriptors
import Foundation
import Kernels
import ModelFiles
import Prediction
import Support

extension TrainingData {
    /// A per-config-type table of what the data holds and the σ each kind of label gets.
    public func labelTable() -> String {
        var order: [String] = []
        var rows: [String: (frames: Int, atoms: Int, e: Int, f: Int, v: Int, sigmaE: Double, sigmaF: Double, sigmaV: Double)] = [:]
        for frame in frames {
            let key = frame.configType ?? "(none)"
            if rows[key] == nil {
                order.append(key)
                let n = Double(frame.atomCount).squareRoot()
                rows[key] = (0, 0, 0, 0, 0, frame.energySigma / n, frame.forceSigmas.first ?? 0, frame.virialSigma / n)
            }
            rows[key]!.frames += 1
            rows[key]!.atoms += frame.atomCount
            if frame.energy != nil { rows[key]!.e += 1 }
            if frame.forces != nil { rows[key]!.f += 1 }
            if frame.virial != nil { rows[key]!.v += 1 }
        }
        var lines = ["config type            frames    atoms  energy  forces  virial"]
        for key in order {
            let r = rows[key]!
            lines.append(
                key.padding(toLength: max(20, key.count), withPad: " ", startingAt: 0)
                    + [r.frames, r.atoms, r.e, r.f, r.v].map { String($0).leftPadded(8) }.joined())
        }
        let total = (frames.count, atomCount, frames.filter { $0.energy != nil }.count, frames.filter { $0.forces != nil }.count, frames.filter { $0.virial != nil }.count)
        lines.append("total".padding(toLength: 20, withPad: " ", startingAt: 0) + [total.0, total.1, total.2, total.3, total.4].map { String($0).leftPadded(8) }.joined())
        return lines.joined(separator: "\n")
    }
}

extension Trainer {
    /// The model file for a fit: the potential plus provenance (config, file hashes, seed, sizes).
    public func modelFile(for result: FitResult, data: TrainingData) -> ModelFile {
        ModelFile(
            potential: result.potential, sparseSources: result.sparseSources,
            provenance: ModelProvenance(
                config: config.jsonValue, trainingFiles: data.files, seed: config.seed,
                frameCount: data.frames.count, atomCount: data.atomCount, observationCount: result.observationCount))
    }
}

extension FitResult {
    /// For each soap term with an optimal radial basis or feature selection: the retained
    /// variance per species and l (the curve of the contraction) and the number of kept
    /// features; nil when no term has either.
    public var descriptorReport: String? {
        var parts: [String] = []
        for (t, term) in potential.terms.enumerated() {
            guard let soap = term as? SOAPTerm else { continue }
            let calculator = soap.calculator
            if let contraction = calculator.radialContraction {
                parts.append("term \(t): " + contraction.retainedVarianceTable())
            }
            if let calculator = calculator as? SOAPCalculator, calculator.selectedFeatures != nil {
                parts.append("term \(t): feature selection keeps \(calculator.featureCount) of \(calculator.fullFeatureCount) power-spectrum components")
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "\n")
    }
}
