import Kernels
import Prediction

extension ErrorStatistics {
    /// Adds the errors of a prediction for a training frame, against the frame's labels (the
    /// virial counts only for frames with a virial label).
    public mutating func add(frame: TrainingFrame, prediction: Prediction) {
        add(
            configType: frame.configType, atomCount: frame.atomCount, predictedEnergy: prediction.energy,
            referenceEnergy: frame.energy, predictedForces: prediction.forces, referenceForces: frame.forces,
            predictedVirial: frame.virial != nil ? prediction.virial : nil, referenceVirial: frame.virial)
    }
}
