import AtomicStructures
import NeighbourLists
import Parallelism
import Support

/// The radial spectrum: the density correlation of body order ν = 1 (two-body), the l = 0 part
/// of the density expansion (Willatt, Musil and Ceriotti, J. Chem. Phys. 150, 154110 (2019)).
///
/// For a centre i the features are, per channel A = (species block) · n_max + n (the channels of
/// ``SOAPCalculator``: species ascending, or shared by all species with a combined optimal basis),
///
///     v[A] = c_{A 0 0} = Σ_j w(r_ij) R_{n0}(r_ij) Y_00 + δ_{s, s_i} central_weight R_{n0}(0) Y_00,
///
/// with the same radial basis (QUIP's, or an optimal contraction of it for l = 0), neighbour
/// weight (cutoff function times optional radial scaling) and centre term as SOAP; divided by
/// the vector's length if `normalise`. So `featureCount` = channels (species · n_max, or n_max
/// when combined). l_max is 0 by construction. Gradients (position and strain) follow the
/// conventions of ``DescriptorValues``; they need only (w R_{n0})′ per pair.
public struct RadialSpectrumCalculator: Sendable {
    /// The hyper-parameters (l_max is 0), species sorted ascending.
    public var hyperparameters: SOAPHyperparameters { density.hyperparameters }
    /// The data-driven radial basis (fitted with l_max = 0), or nil for QUIP's.
    public var radialContraction: RadialContraction? { density.radialContraction }
    /// The number of features per row: species · n_max, or n_max with combined species.
    public let featureCount: Int
    /// The density expansion (only its l = 0 part is used).
    let density: SOAPCalculator

    /// Validates the hyper-parameters (their l_max is ignored and set to 0) and precomputes the
    /// radial basis. Throws ``InputError`` as ``SOAPCalculator/init(_:radialContraction:selectedFeatures:)``.
    public init(_ hyperparameters: SOAPHyperparameters, radialContraction: RadialContraction? = nil) throws {
        var h = hyperparameters
        h.lMax = 0
        density = try SOAPCalculator(h, radialContraction: radialContraction)
        featureCount = density.channelCount
    }

    /// Computes in blocks of rows (see ``SOAPCalculator/compute(_:neighbours:gradients:strainGradients:threads:blockBytes:into:eachBlock:)``).
    public func compute(
        _ structure: Structure, neighbours list: NeighbourList?, gradients: Bool, strainGradients: Bool, threads: Int?,
        blockBytes: Int, into block: inout DescriptorValues, eachBlock body: (DescriptorValues) throws -> Void
    ) throws {
        let list = try list ?? SOAPCalculator.makeNeighbourList(structure, cutoffRadius: hyperparameters.cutoffRadius)
        let density = self.density, f = featureCount
        try CorrelationDriver.run(
            density: density, featureCount: f, structure: structure, list: list, gradients: gradients,
            strainGradients: strainGradients, threads: threads ?? ThreadCount.current, blockBytes: blockBytes, into: &block,
            eachBlock: body
        ) { capacity, pairGradients in
            RadialSpectrumWorkspace(density: density, featureCount: f, pairCapacity: capacity, pairGradients: pairGradients)
        }
    }

    /// The meaning of feature `index`: the channel's species (0 when species are combined) and
    /// radial index n.
    public func feature(at index: Int) -> (species: Int, radial: Int) {
        precondition(index >= 0 && index < featureCount, "feature index out of range")
        let nMax = hyperparameters.nMax
        return (density.combinesSpecies ? 0 : hyperparameters.neighbourSpecies[index / nMax], index % nMax)
    }
}

/// ν = 1 rows: v[A] = c_{A00}; a pair of block s moves only its block's n_max features.
final class RadialSpectrumWorkspace: CorrelationWorkspace {
    override func unnormalisedValues() {
        // With l_max = 0 the coefficient block of a channel is its one (l, m) = (0, 0) element.
        raw.update(from: density.coefficients, count: featureCount)
    }

    override func pairGradient(
        _ q: Int, unit: SIMD3<Double>, scale: Double, unitValues: UnsafePointer<Double>?, into output: UnsafeMutablePointer<Double>
    ) -> SIMD3<Double> {
        let f = featureCount, nMax = density.nMax
        let first = density.pairChannel[q] * nMax
        let y00 = density.harmonicValues[q * density.lmCount]
        let slope = density.weightedSlope + q * density.nlCount
        output.update(repeating: 0, count: 3 * f)
        var dots = SIMD3<Double>(0, 0, 0)
        for n in 0..<nMax {
            let s = slope[n] * y00 * scale
            let g = SIMD3(s * unit.x, s * unit.y, s * unit.z)
            output[first + n] = g.x
            output[f + first + n] = g.y
            output[2 * f + first + n] = g.z
            if let unitValues { dots += unitValues[first + n] * g }
        }
        return dots
    }
}
