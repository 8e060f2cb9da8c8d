import AtomicStructures
import NeighbourLists
import Parallelism
import Support

/// The bispectrum: the density correlation of body order ν = 3 (four-body), the rotation
/// invariants of three copies of the density expansion coupled by Clebsch–Gordan coefficients
/// (Willatt, Musil and Ceriotti, J. Chem. Phys. 150, 154110 (2019), Eq. for ν = 3):
///
///     B(A l1, B l2, C l3) = Σ_{m1 m2 m3} (l1 l2 l3; m1 m2 m3) a_{A l1 m1} a_{B l2 m2} a_{C l3 m3},
///
/// with a the complex expansion coefficients; here evaluated on our real coefficients c_{A lm}
/// (the same expansion as ``SOAPCalculator``: QUIP or optimal radial basis, radial scaling,
/// species channels) with the 3j symbol written in the real basis (``RealCouplingCoefficients``).
///
/// ## Features: which, in what order, how many
/// A slot is s = A (l_max + 1) + l (channel A = species block · n_max + n, species ascending).
/// Features are the unordered slot triples s1 ≤ s2 ≤ s3 with |l1 − l2| ≤ l3 ≤ l1 + l2 and
/// l1 + l2 + l3 even, in lexicographic order (s1 slowest), each scaled by √(number of distinct
/// orderings), so v · v′ is the contraction over all ordered triples; see ``BispectrumLayout``.
/// ``feature(at:)`` gives the labels; `featureCount` the count, which grows as
/// (channels (l_max+1))³/6 · (about 1/4 to 1/2 for the triangle and parity rules): for one species,
/// n_max 4 and l_max 4 it is 548, for n_max 8 and l_max 6 9,760 (5,416 more pseudoscalars).
///
/// ## Reflection
/// Under an improper rotation (a rotation times the inversion r → −r) the coefficients become
/// c_{A lm} → (−1)^l (rotated), so a feature is multiplied by (−1)^{l1+l2+l3}: the even triples
/// kept by default are invariant under reflections (true O(3) scalars); the odd ones, included
/// only with `pseudoscalars`, change sign, so they tell an environment from its mirror image.
/// Odd triples with two equal slots vanish identically and are never listed. Energies built on
/// pseudoscalars are not mirror-symmetric: keep the default for potentials.
///
/// If `normalise` is set, the vector is divided by its length (zero rows stay zero). Gradients
/// (position and strain) follow ``DescriptorValues``.
public struct BispectrumCalculator: Sendable {
    /// The hyper-parameters, species sorted ascending.
    public var hyperparameters: SOAPHyperparameters { density.hyperparameters }
    /// The data-driven radial basis, or nil for QUIP's.
    public var radialContraction: RadialContraction? { density.radialContraction }
    /// Whether the odd (pseudoscalar) triples are included.
    public let includesPseudoscalars: Bool
    /// The number of features per row.
    public let featureCount: Int
    /// The largest l_max accepted.
    public static let maximumLMax = RealCouplingCoefficients.maximumL
    /// The largest number of features accepted (2²⁰; memory for gradients grows with it).
    package static let maximumFeatureCount = 1 << 20
    let density: SOAPCalculator
    let layout: BispectrumLayout

    /// Validates the hyper-parameters and builds the coupling tables.
    ///
    /// - Throws: ``InputError`` as ``SOAPCalculator/init(_:radialContraction:selectedFeatures:)``, and
    ///   for l_max above ``maximumLMax`` or more than ``maximumFeatureCount`` features.
    public init(_ hyperparameters: SOAPHyperparameters, radialContraction: RadialContraction? = nil, pseudoscalars: Bool = false) throws {
        guard hyperparameters.lMax <= BispectrumCalculator.maximumLMax else {
            throw InputError(
                file: SOAPCalculator.errorSource, field: "l_max",
                message: "the bispectrum supports l_max up to \(BispectrumCalculator.maximumLMax), got \(hyperparameters.lMax)")
        }
        let channels = (radialContraction?.combinesSpecies == true ? 1 : Set(hyperparameters.neighbourSpecies).count) * hyperparameters.nMax
        let count = BispectrumLayout.count(channelCount: channels, lMax: max(0, hyperparameters.lMax), pseudoscalars: pseudoscalars)
        guard count <= BispectrumCalculator.maximumFeatureCount else {
            throw InputError(
                file: SOAPCalculator.errorSource, field: "n_max",
                message: "this bispectrum would have \(count) features (\(channels) channels, l_max \(hyperparameters.lMax)), more than \(BispectrumCalculator.maximumFeatureCount); use a smaller n_max or l_max, or an optimal basis combining species")
        }
        density = try SOAPCalculator(hyperparameters, radialContraction: radialContraction)
        let h = density.hyperparameters
        layout = BispectrumLayout(
            channelCount: density.channelCount, nMax: h.nMax, lMax: h.lMax, pseudoscalars: pseudoscalars,
            coupling: RealCouplingCoefficients(lMax: h.lMax))
        includesPseudoscalars = pseudoscalars
        featureCount = layout.featureCount
    }

    /// The number of features for these settings, without building a calculator.
    public static func featureCount(channels: Int, lMax: Int, pseudoscalars: Bool = false) -> Int {
        BispectrumLayout.count(channelCount: channels, lMax: lMax, pseudoscalars: pseudoscalars)
    }

    /// Computes in blocks of rows (see ``SOAPCalculator/compute(_:neighbours:gradients:strainGradients:threads:blockBytes:into:eachBlock:)``).
    public func compute(
        _ structure: Structure, neighbours list: NeighbourList?, gradients: Bool, strainGradients: Bool, threads: Int?,
        blockBytes: Int, into block: inout DescriptorValues, eachBlock body: (DescriptorValues) throws -> Void
    ) throws {
        let list = try list ?? SOAPCalculator.makeNeighbourList(structure, cutoffRadius: hyperparameters.cutoffRadius)
        let density = self.density, layout = self.layout
        try CorrelationDriver.run(
            density: density, featureCount: featureCount, structure: structure, list: list, gradients: gradients,
            strainGradients: strainGradients, threads: threads ?? ThreadCount.current, blockBytes: blockBytes, into: &block,
            eachBlock: body
        ) { capacity, pairGradients in
            BispectrumWorkspace(density: density, layout: layout, pairCapacity: capacity, pairGradients: pairGradients)
        }
    }

    /// The meaning of feature `index`: three (species, n, l) slots, in layout order. Species are
    /// 0 when an optimal basis combines them.
    public func feature(at index: Int) -> [(species: Int, radial: Int, l: Int)] {
        precondition(index >= 0 && index < featureCount, "feature index out of range")
        let h = hyperparameters, lCount = h.lMax + 1
        return (0..<3).map { k in
            let slot = Int(layout.featureSlots[3 * index + k])
            let channel = slot / lCount
            return (density.combinesSpecies ? 0 : h.neighbourSpecies[channel / h.nMax], channel % h.nMax, slot % lCount)
        }
    }
}

/// ν = 3 rows: the terms H per row, values from slot 3, pair gradients through all three slots.
final class BispectrumWorkspace: CorrelationWorkspace {
    let layout: BispectrumLayout
    /// H values (Σ_t (2 l_t + 1)), then per pair the projections y_t, g_t^x, g_t^y, g_t^z (4 x terms).
    let terms: UnsafeMutablePointer<Double>
    let projections: UnsafeMutablePointer<Double>

    init(density: SOAPCalculator, layout: BispectrumLayout, pairCapacity: Int, pairGradients: Bool) {
        self.layout = layout
        terms = .allocate(capacity: max(1, layout.termValueCount))
        projections = .allocate(capacity: pairGradients ? 4 * layout.termCount : 0)
        super.init(density: density, featureCount: layout.featureCount, pairCapacity: pairCapacity, pairGradients: pairGradients)
    }

    deinit {
        terms.deallocate()
        projections.deallocate()
    }

    override func unnormalisedValues() {
        let c = UnsafePointer(density.coefficients)
        layout.terms(coefficients: c, into: terms)
        layout.values(coefficients: c, terms: UnsafePointer(terms), into: raw)
    }

    override func pairGradient(
        _ q: Int, unit: SIMD3<Double>, scale: Double, unitValues: UnsafePointer<Double>?, into output: UnsafeMutablePointer<Double>
    ) -> SIMD3<Double> {
        let lm = density.lmCount, termCount = layout.termCount
        let y = UnsafePointer(density.harmonicValues + q * lm)
        let gx = UnsafePointer(density.harmonicGradients + 3 * q * lm), gy = gx + lm, gz = gx + 2 * lm
        let py = projections, px = projections + termCount, pyy = projections + 2 * termCount, pz = projections + 3 * termCount
        // Projections of every term on the pair's harmonics at the term's l.
        layout.termL.withUnsafeBufferPointer { tl in
        layout.termOffset.withUnsafeBufferPointer { to in
            for t in 0..<termCount {
                let l = Int(tl[t]), start = l * l, h = terms + Int(to[t])
                var sy = 0.0, sx = 0.0, syy = 0.0, sz = 0.0
                for m in 0..<(2 * l + 1) {
                    let value = h[m]
                    sy += y[start + m] * value
                    sx += gx[start + m] * value
                    syy += gy[start + m] * value
                    sz += gz[start + m] * value
                }
                py[t] = sy; px[t] = sx; pyy[t] = syy; pz[t] = sz
            }
        }
        }
        let f = featureCount
        let block = Int32(density.pairChannel[q])
        let radial = UnsafePointer(density.weightedRadial + q * density.nlCount)
        let slope = UnsafePointer(density.weightedSlope + q * density.nlCount)
        let ox = output, oy = output + f, oz = output + 2 * f
        var dots = SIMD3<Double>(0, 0, 0)
        layout.featureTerm.withUnsafeBufferPointer { ft in
        layout.featureFactor.withUnsafeBufferPointer { ff in
        layout.featureBlock.withUnsafeBufferPointer { fb in
        layout.featureRadial.withUnsafeBufferPointer { fr in
            for feature in 0..<f {
                // Σ_k over slots of the pair's block: factor_k (P_k r̂ y_t + Q_k ∇-projection g_t).
                var along = 0.0, x = 0.0, yy = 0.0, z = 0.0
                for k in (3 * feature)..<(3 * feature + 3) where fb[k] == block {
                    let t = Int(ft[k]), r = Int(fr[k])
                    let factor = ff[k] * scale
                    along += factor * slope[r] * py[t]
                    let weighted = factor * radial[r]
                    x += weighted * px[t]
                    yy += weighted * pyy[t]
                    z += weighted * pz[t]
                }
                let gxv = along * unit.x + x, gyv = along * unit.y + yy, gzv = along * unit.z + z
                ox[feature] = gxv
                oy[feature] = gyv
                oz[feature] = gzv
                if let unitValues {
                    let v = unitValues[feature]
                    dots += SIMD3(v * gxv, v * gyv, v * gzv)
                }
            }
        }
        }
        }
        }
        return dots
    }
}

extension BispectrumLayout {
    /// Every term H_t of one row, from its coefficients (channel x (l_max+1)²), into `h`
    /// (``termValueCount`` values).
    func terms(coefficients c: UnsafePointer<Double>, into h: UnsafeMutablePointer<Double>) {
        termFirst.withUnsafeBufferPointer { tf in
        termSecond.withUnsafeBufferPointer { ts in
        termL.withUnsafeBufferPointer { tl in
        termOffset.withUnsafeBufferPointer { to in
        termCouplingStart.withUnsafeBufferPointer { start in
        termCouplingEnd.withUnsafeBufferPointer { end in
        couplingFirst.withUnsafeBufferPointer { cf in
        couplingSecond.withUnsafeBufferPointer { cs in
        couplingThird.withUnsafeBufferPointer { ct in
        couplingValue.withUnsafeBufferPointer { cv in
            for t in 0..<tf.count {
                let out = h + Int(to[t])
                out.update(repeating: 0, count: 2 * Int(tl[t]) + 1)
                let a = c + Int(tf[t]), b = c + Int(ts[t])
                for e in Int(start[t])..<Int(end[t]) {
                    out[Int(ct[e])] += cv[e] * a[Int(cf[e])] * b[Int(cs[e])]
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        }
    }

    /// The unnormalised features of one row: Σ_μ c_{s3 μ} H_{s1 s2, l3}[μ] times the factor.
    func values(coefficients c: UnsafePointer<Double>, terms h: UnsafePointer<Double>, into raw: UnsafeMutablePointer<Double>) {
        featureTerm.withUnsafeBufferPointer { ft in
        featureFactor.withUnsafeBufferPointer { ff in
        valueOffset.withUnsafeBufferPointer { vo in
        valueDegeneracy.withUnsafeBufferPointer { vd in
        termOffset.withUnsafeBufferPointer { to in
            for f in 0..<featureCount {
                let c3 = c + Int(vo[f]), term = h + Int(to[Int(ft[3 * f + 2])])
                var sum = 0.0
                for m in 0..<Int(vd[f]) { sum += c3[m] * term[m] }
                raw[f] = ff[3 * f + 2] * sum
            }
        }
        }
        }
        }
        }
    }

    /// Reverse mode: G += Σ_f u_f ∂v_f/∂c, where through slot k of feature f, ∂v_f/∂c_{slot k, μ}
    /// = factor_k H_{other two}[μ] (the same three terms the forward gradient sums over).
    func coefficientAdjoint(
        valueAdjoint u: UnsafePointer<Double>, terms h: UnsafePointer<Double>, into g: UnsafeMutablePointer<Double>
    ) {
        let lm = lCount * lCount
        featureSlots.withUnsafeBufferPointer { fs in
        featureTerm.withUnsafeBufferPointer { ft in
        featureFactor.withUnsafeBufferPointer { ff in
        termOffset.withUnsafeBufferPointer { to in
            for f in 0..<featureCount {
                let uf = u[f]
                for k in (3 &* f)..<(3 &* f &+ 3) {
                    let slot = Int(fs[k])
                    let l = slot % lCount
                    let target = g + ((slot / lCount) &* lm &+ l &* l)
                    let term = h + Int(to[Int(ft[k])])
                    let weight = uf * ff[k]
                    for m in 0..<(2 &* l &+ 1) { target[m] += weight * term[m] }
                }
            }
        }
        }
        }
        }
    }
}
