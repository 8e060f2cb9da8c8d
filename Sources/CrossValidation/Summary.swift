import Prediction
import Training

/// The four error quantities of a report, with their units.
public enum ErrorQuantity: String, CaseIterable, Sendable {
    /// (E_pred − E_ref)/N, meV/atom, one value per frame.
    case energy
    /// F_pred − F_ref per Cartesian component, eV/Å.
    case forceComponents = "force_components"
    /// |F_pred − F_ref| per atom, eV/Å.
    case forceVectors = "force_vectors"
    /// (W_pred − W_ref)/N per independent component (xx, xy, xz, yy, yz, zz), meV/atom.
    case virial

    /// The unit of the quantity's errors.
    public var unit: String {
        switch self {
        case .energy, .virial: return "meV/atom"
        case .forceComponents, .forceVectors: return "eV/Å"
        }
    }

    /// A short heading.
    package var title: String {
        switch self {
        case .energy: return "Energy"
        case .forceComponents: return "Force components"
        case .forceVectors: return "Force vectors |ΔF|"
        case .virial: return "Virial"
        }
    }

    /// Decimals shown in tables.
    public var decimals: Int {
        switch self {
        case .energy, .virial: return 2
        case .forceComponents, .forceVectors: return 4
        }
    }

    /// The quantity's accumulator in a group.
    public func accumulator(_ group: ErrorStatistics.Group) -> ErrorStatistics.Accumulator {
        switch self {
        case .energy: return group.energy
        case .forceComponents: return group.forceComponents
        case .forceVectors: return group.forceVectors
        case .virial: return group.virial
        }
    }
}

/// RMSE or MAE.
public enum ErrorStatistic: String, CaseIterable, Sendable {
    /// Root-mean-square error.
    case rmse
    /// Mean absolute error.
    case mae

    /// The statistic of an accumulator (nil without values).
    public func value(_ a: ErrorStatistics.Accumulator) -> Double? {
        switch self {
        case .rmse: return a.rmse
        case .mae: return a.mae
        }
    }
}

/// One statistic over the folds: each fold's value, their mean and sample standard deviation.
public struct FoldSpread: Hashable, Sendable {
    /// Per fold (nil where the fold's test set has no such value).
    public var values: [Double?]
    /// Mean over the folds that have a value (nil if none).
    public var mean: Double?
    /// Sample standard deviation (n − 1) over those folds (nil with fewer than two).
    public var standardDeviation: Double?

    /// Summarises per-fold values.
    public init(_ values: [Double?]) {
        self.values = values
        let present = values.compactMap { $0 }
        guard !present.isEmpty else { return }
        let mean = present.reduce(0, +) / Double(present.count)
        self.mean = mean
        if present.count > 1 {
            let squares = present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            standardDeviation = (squares / Double(present.count - 1)).squareRoot()
        }
    }
}

extension CrossValidationRun {
    /// The group of `configType` (nil: all frames) in `statistics`.
    static func group(_ statistics: ErrorStatistics, _ configType: String?) -> ErrorStatistics.Group? {
        guard let configType else { return statistics.configTypes.isEmpty ? nil : statistics.overall }
        return statistics.groups[configType]
    }

    /// The pooled errors of `configType` (nil: all tested frames).
    public func pooled(_ configType: String?) -> ErrorStatistics.Group? {
        CrossValidationRun.group(pooled, configType)
    }

    /// A statistic of one quantity over the folds, for `configType` (nil: all frames).
    public func spread(_ quantity: ErrorQuantity, _ statistic: ErrorStatistic, configType: String?) -> FoldSpread {
        FoldSpread(folds.map { fold in
            CrossValidationRun.group(fold.statistics, configType).flatMap { statistic.value(quantity.accumulator($0)) }
        })
    }
}
