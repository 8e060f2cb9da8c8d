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
    /// The body order ν: how many neighbour densities each feature correlates.
    var bodyOrder: Int { get }
    /// Computes every centre's row into `result`, reusing its memory; `neighbours` may be a list
    /// built for this structure with at least this cutoff (nil builds one).
    func compute(
        _ structure: Structure, neighbours: NeighbourList?, gradients: Bool, strainGradients: Bool, threads: Int?,
        into result: inout DescriptorValues
    ) throws
}

extension DensityDescriptor {
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
    public var bodyOrder: Int { 2 }
}

extension RadialSpectrumCalculator: DensityDescriptor {
    public var bodyOrder: Int { 1 }
}

extension BispectrumCalculator: DensityDescriptor {
    public var bodyOrder: Int { 3 }
}
