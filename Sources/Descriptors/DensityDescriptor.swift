import Support
import AtomicStructures
import NeighbourLists

/// A descriptor built on the SOAP density expansion: a density correlation of body order ν
/// (``RadialSpectrumCalculator`` ν = 1, ``SOAPCalculator`` ν = 2, ``BispectrumCalculator`` ν = 3).
/// All share the hyper-parameters, the radial bases and the output layout (``DescriptorValues``),
/// so training, feature export and comparison can take any of them.
public protocol DensityDescriptor: Sendable {
    /// The hyper-parameters of the density expansion, species sorted ascending.
    var hyperparameters: SOAPHyperparameters { get }
    /// The data-driven radial basis, or nil for QUIP's.
    var radialContraction: RadialContraction? { get }
    /// The number of features per row.
    var featureCount: Int { get }
    /// Which correlation (body order and options) this is.
    var correlation: DensityCorrelation { get }
    /// Computes every centre's row into `result`, reusing its memory; `neighbours` may be a list
    /// built for this structure with at least this cutoff (nil builds one). Has a default: the
    /// block-wise computation below with the whole structure as one block, which is the one a
    /// conforming type implements.
    func compute(
        _ structure: Structure, neighbours: NeighbourList?, gradients: Bool, strainGradients: Bool, threads: Int?,
        into result: inout DescriptorValues
    ) throws
    /// Computes the rows in consecutive blocks of at most about `blockBytes` of output (at
    /// least one row each), calling `body` with each block in order: a block's centres, values,
    /// gradient entries (offsets from its first entry) and strain rows, bit for bit the rows
    /// ``compute(_:neighbours:gradients:strainGradients:threads:into:)`` gives. The memory of
    /// `block` is reused from block to block, so memory is bounded by a block rather than by the
    /// structure, and a writer reads each block while it is still in cache. A structure without
    /// centres gives one empty block.
    func compute(
        _ structure: Structure, neighbours: NeighbourList?, gradients: Bool, strainGradients: Bool, threads: Int?,
        blockBytes: Int, into block: inout DescriptorValues, eachBlock body: (DescriptorValues) throws -> Void
    ) throws
}

/// Which density correlation a descriptor computes: its body order and its options.
public enum DensityCorrelation: Hashable, Sendable {
    /// ν = 1, ``RadialSpectrumCalculator`` (config type `radial_spectrum`).
    case radialSpectrum
    /// ν = 2, ``SOAPCalculator`` (config type `soap`).
    case powerSpectrum
    /// ν = 3, ``BispectrumCalculator`` (config type `bispectrum`), with or without the
    /// pseudoscalar (odd l1 + l2 + l3) invariants.
    case bispectrum(pseudoscalars: Bool)

    /// The body order ν.
    public var bodyOrder: Int {
        switch self {
        case .radialSpectrum: return 1
        case .powerSpectrum: return 2
        case .bispectrum: return 3
        }
    }

    /// The `"type"` of a config term or model-file term.
    public var typeName: String {
        switch self {
        case .radialSpectrum: return "radial_spectrum"
        case .powerSpectrum: return "soap"
        case .bispectrum: return "bispectrum"
        }
    }

    /// Every type name, in body order.
    public static let typeNames = ["radial_spectrum", "soap", "bispectrum"]

    /// The calculator for `hyperparameters` (l_max is ignored for the radial spectrum).
    /// `selectedFeatures` is only supported by the power spectrum.
    ///
    /// - Throws: ``InputError`` for invalid hyper-parameters, or a feature selection with ν ≠ 2.
    public func makeCalculator(
        _ hyperparameters: SOAPHyperparameters, radialContraction: RadialContraction? = nil, selectedFeatures: [Int]? = nil
    ) throws -> any DensityDescriptor {
        if selectedFeatures != nil, self != .powerSpectrum {
            throw InputError(
                file: SOAPCalculator.errorSource, field: "selected_features",
                message: "feature selection is only available for the power spectrum (soap), not the \(typeName)")
        }
        switch self {
        case .radialSpectrum: return try RadialSpectrumCalculator(hyperparameters, radialContraction: radialContraction)
        case .powerSpectrum:
            return try SOAPCalculator(hyperparameters, radialContraction: radialContraction, selectedFeatures: selectedFeatures)
        case .bispectrum(let odd):
            return try BispectrumCalculator(hyperparameters, radialContraction: radialContraction, pseudoscalars: odd)
        }
    }
}

extension DensityDescriptor {
    /// Computes the descriptor into `result`, replacing its contents but reusing its memory: the
    /// block-wise computation with the whole structure as one block.
    ///
    /// Gradient arrays are large (3 · entries · features doubles), and writing freshly allocated
    /// memory costs a page fault per 4 KiB — often more than computing the gradients. Loops over
    /// many structures should therefore keep one `DescriptorValues` and pass it here each time.
    /// `neighbours` may be a prebuilt list (as in ``compute(_:neighbours:gradients:strainGradients:threads:)``);
    /// nil builds one.
    public func compute(
        _ structure: Structure, neighbours list: NeighbourList? = nil, gradients: Bool = false,
        strainGradients: Bool = false, threads: Int? = nil, into result: inout DescriptorValues
    ) throws {
        try compute(
            structure, neighbours: list, gradients: gradients, strainGradients: strainGradients, threads: threads,
            blockBytes: .max, into: &result, eachBlock: { _ in })
    }

    /// Computes every centre's row (values, and gradients if asked), from `neighbours` if given
    /// (a list built for this structure with at least this cutoff) or a list built here.
    public func compute(
        _ structure: Structure, neighbours list: NeighbourList? = nil, gradients: Bool = false, strainGradients: Bool = false,
        threads: Int? = nil
    ) throws -> DescriptorValues {
        var result = DescriptorValues(featureCount: featureCount, centres: [], values: [])
        try compute(structure, neighbours: list, gradients: gradients, strainGradients: strainGradients, threads: threads, into: &result)
        return result
    }

    /// Computes every centre's row (values, and gradients if asked).
    public func values(
        _ structure: Structure, gradients: Bool = false, strainGradients: Bool = false, threads: Int? = nil
    ) throws -> DescriptorValues {
        var result = DescriptorValues(featureCount: featureCount, centres: [], values: [])
        try compute(structure, neighbours: nil, gradients: gradients, strainGradients: strainGradients, threads: threads, into: &result)
        return result
    }
}

extension SOAPCalculator: DensityDescriptor {
    public var correlation: DensityCorrelation { .powerSpectrum }
}

extension RadialSpectrumCalculator: DensityDescriptor {
    public var correlation: DensityCorrelation { .radialSpectrum }
}

extension BispectrumCalculator: DensityDescriptor {
    public var correlation: DensityCorrelation { .bispectrum(pseudoscalars: includesPseudoscalars) }
}
