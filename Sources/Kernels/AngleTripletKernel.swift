import AtomicStructures
import Descriptors
import Foundation
import NeighbourLists
import Support

/// The GAP `angle_3b` term: QUIP's ARD squared-exponential kernel on the 3-body descriptor
/// ``AngleTripletDescriptor`` x = (r_ij + r_ik, (r_ij − r_ik)², r_jk).
///
/// For a sparse point y_m (a 3-vector with its cutoff weight w_m, the weight of the training
/// triplet it was taken from) the covariance with a descriptor instance x of weight w is
///
///     k(x, y_m) = δ² w w_m exp(−½ Σ_d (x_d − y_md)² / θ_d²),
///
/// as gap_fit's `covariance_type=ard_se` (one permutation). A structure's energy from this term
/// is E = Σ_instances Σ_m α_m k(x, y_m), with QUIP's two instances per triplet (see the
/// descriptor); α does not include δ². Each triplet's energy goes to its centre atom.
///
/// Cost: one exponential and a few multiply-adds per (triplet, sparse point), plus 9 force and
/// 6 virial updates per (triplet, sparse point) for design rows; O(T·M) for T triplets, and no
/// allocation depends on T (prediction keeps one local energy per atom).
public struct AngleTripletKernel: Sendable {
    /// The descriptor: triplets within the cutoff, with their cutoff weights.
    public let descriptor: AngleTripletDescriptor
    /// Length scales θ_d of the three features (Å, Å², Å); gap_fit's `theta_uniform` sets all three.
    public let theta: [Double]
    /// Energy scale δ in eV: the kernel is multiplied by δ².
    public let delta: Double
    /// Sparse points y_m, `M x 3` row-major.
    public let sparsePoints: [Double]
    /// The cutoff weight w_m of each sparse point (gap_fit's `sparseCutoff`).
    public let sparseWeights: [Double]

    /// The number of sparse points M.
    public var sparseCount: Int { sparseWeights.count }
    /// Cutoff radius rc in Å.
    public var cutoffRadius: Double { descriptor.cutoffRadius }
    /// The species covered.
    public var species: SpeciesTriplet { descriptor.species }

    /// Creates a kernel; three positive finite θ, one weight per sparse point (validated by the
    /// configuration layer and the model reader before this).
    public init(descriptor: AngleTripletDescriptor, theta: [Double], delta: Double, sparsePoints: [Double], sparseWeights: [Double]) {
        precondition(theta.count == AngleTripletDescriptor.featureCount && theta.allSatisfy { $0 > 0 && $0.isFinite }, "three positive length scales")
        precondition(sparsePoints.count == AngleTripletDescriptor.featureCount * sparseWeights.count, "three features per sparse point")
        self.descriptor = descriptor
        self.theta = theta
        self.delta = delta
        self.sparsePoints = sparsePoints
        self.sparseWeights = sparseWeights
    }

    /// exp(−½ Σ_d ((y_a − y_b)_d / θ_d)²) for sparse points a and b.
    func sparseExponential(_ a: Int, _ b: Int) -> Double {
        var sum = 0.0
        for d in 0..<3 {
            let x = (sparsePoints[3 * a + d] - sparsePoints[3 * b + d]) / theta[d]
            sum += x * x
        }
        return exp(-0.5 * sum)
    }

    /// K_MM: δ² w_a w_b exp(−½ Σ_d (y_a − y_b)_d²/θ_d²), `M x M` column-major (symmetric), no jitter.
    public func sparseCovariance() -> [Double] {
        sparseCovariance(rows: 0..<sparseCount, columns: 0..<sparseCount)
    }

    /// The block of K_MM for sparse points `rows` x `columns`, column-major; the same entries as
    /// ``sparseCovariance()`` (each evaluated with the lower index first, so K_MM is exactly symmetric).
    public func sparseCovariance(rows: Range<Int>, columns: Range<Int>) -> [Double] {
        let d2 = delta * delta
        var k = [Double](repeating: 0, count: rows.count * columns.count)
        for (j, b) in columns.enumerated() {
            for (i, a) in rows.enumerated() {
                let (low, high) = a <= b ? (a, b) : (b, a)
                k[i + j * rows.count] = d2 * sparseWeights[low] * sparseWeights[high] * sparseExponential(low, high)
            }
        }
        return k
    }

    /// The sparse points divided by θ (row-major M x 3) and a_m = δ² w_m (times `alpha` if given).
    func scaledSparsePoints(alpha: [Double]? = nil) -> (points: [Double], weights: [Double]) {
        let m = sparseCount
        var points = [Double](repeating: 0, count: 3 * m)
        var weights = [Double](repeating: 0, count: m)
        let d2 = delta * delta
        for c in 0..<m {
            for d in 0..<3 { points[3 * c + d] = sparsePoints[3 * c + d] / theta[d] }
            weights[c] = d2 * sparseWeights[c] * (alpha?[c] ?? 1)
        }
        return (points, weights)
    }

    /// Adds this kernel's columns of the (unweighted) design matrix for one structure, as
    /// ``PairDistanceKernel/addDesignRows(for:neighbours:rows:into:columnOffset:)``: the energy
    /// row K_E[m] = Σ_instances k(x, y_m), force rows −∂K_E[m]/∂r_kα, virial rows −∂K_E[m]/∂ε_ab
    /// (xx, xy, xz, yy, yz, zz). `neighbours` is the full list of `structure` with a cutoff of at
    /// least ``cutoffRadius``.
    public func addDesignRows(
        for structure: Structure, neighbours: NeighbourList, rows: DesignRowLayout,
        into block: inout DesignBlock, columnOffset: Int
    ) {
        let m = sparseCount
        guard m > 0 else { return }
        precondition(columnOffset >= 0 && columnOffset + m <= block.columnCount, "columns outside the block")
        let ld = block.rowCount
        let (scaled, a) = scaledSparsePoints()
        let inverseTheta = theta.map { 1 / $0 }
        let instances = AngleTripletDescriptor.instancesPerTriplet
        var energySums = [Double](repeating: 0, count: m)
        let forceRow = rows.forces
        let virialRow = rows.virial
        assert(DesignRowLayout.virialComponents == [0, 1, 2, 4, 5, 8])
        block.storage.withUnsafeMutableBufferPointer { out in
            scaled.withUnsafeBufferPointer { y in
                a.withUnsafeBufferPointer { a in
                    energySums.withUnsafeMutableBufferPointer { sums in
                        let base = out.baseAddress! + columnOffset * ld
                        descriptor.forEachTriplet(in: structure, neighbours: neighbours) { t in
                            let (s, q, r) = t.features
                            let xs = s * inverseTheta[0], xq = q * inverseTheta[1], xr = r * inverseTheta[2]
                            let w = instances * t.weight
                            let uij = t.vij / t.rij, uik = t.vik / t.rik
                            let vjk = t.vij - t.vik
                            let ujk = vjk / t.rjk
                            let difference = 2 * (t.rij - t.rik)
                            // ∂w/∂r_ij and ∂w/∂r_ik, both instances.
                            let dwj = instances * t.dfcj * t.fck, dwk = instances * t.fcj * t.dfck
                            for c in 0..<m {
                                let ds = xs - y[3 * c], dq = xq - y[3 * c + 1], dr = xr - y[3 * c + 2]
                                let e = a[c] * exp(-0.5 * (ds * ds + dq * dq + dr * dr))
                                sums[c] += w * e
                                // ∂(w e)/∂x_d = −w e (x_d − y_d)/θ_d², chained to r_ij, r_ik, r_jk.
                                let gs = -w * e * ds * inverseTheta[0], gq = -w * e * dq * inverseTheta[1]
                                let gj = e * dwj + gs + gq * difference
                                let gk = e * dwk + gs - gq * difference
                                let gt = -w * e * dr * inverseTheta[2]
                                let column = base + c * ld
                                if let forceRow {
                                    let f = column + forceRow
                                    let onJ = gj * uij + gt * ujk, onK = gk * uik - gt * ujk
                                    f[3 * t.j] -= onJ.x
                                    f[3 * t.j + 1] -= onJ.y
                                    f[3 * t.j + 2] -= onJ.z
                                    f[3 * t.k] -= onK.x
                                    f[3 * t.k + 1] -= onK.y
                                    f[3 * t.k + 2] -= onK.z
                                    let onI = gj * uij + gk * uik
                                    f[3 * t.i] += onI.x
                                    f[3 * t.i + 1] += onI.y
                                    f[3 * t.i + 2] += onI.z
                                }
                                if let virialRow {
                                    // ∂r/∂ε_ab = u_a v_b for each of the three distances.
                                    let gu = gj * uij, hu = gk * uik, tu = gt * ujk
                                    let vr = column + virialRow
                                    vr[0] -= gu.x * t.vij.x + hu.x * t.vik.x + tu.x * vjk.x
                                    vr[1] -= gu.x * t.vij.y + hu.x * t.vik.y + tu.x * vjk.y
                                    vr[2] -= gu.x * t.vij.z + hu.x * t.vik.z + tu.x * vjk.z
                                    vr[3] -= gu.y * t.vij.y + hu.y * t.vik.y + tu.y * vjk.y
                                    vr[4] -= gu.y * t.vij.z + hu.y * t.vik.z + tu.y * vjk.z
                                    vr[5] -= gu.z * t.vij.z + hu.z * t.vik.z + tu.z * vjk.z
                                }
                            }
                        }
                        if let e = rows.energy {
                            for c in 0..<m { base[e + c * ld] += sums[c] }
                        }
                    }
                }
            }
        }
    }

    /// Predicts this term's contribution to the energy (eV), forces (eV/Å) and virial
    /// V = −∂E/∂ε (eV) of one structure for coefficients `alpha` (length M, without δ²).
    /// `localEnergies` holds one entry per atom of the list's centres (its triplets' energy).
    public func predict(_ structure: Structure, neighbours: NeighbourList, alpha: [Double]) -> Prediction {
        let m = sparseCount
        precondition(alpha.count == m, "one coefficient per sparse point")
        var result = Prediction(atomCount: structure.count)
        guard m > 0 else { return result }
        let (scaled, a) = scaledSparsePoints(alpha: alpha)
        let inverseTheta = theta.map { 1 / $0 }
        let instances = AngleTripletDescriptor.instancesPerTriplet
        var local = [Double](repeating: 0, count: neighbours.centreCount)
        var virial = [Double](repeating: 0, count: 9)
        result.forces.withUnsafeMutableBufferPointer { forces in
            scaled.withUnsafeBufferPointer { y in
                a.withUnsafeBufferPointer { a in
                    descriptor.forEachTriplet(in: structure, neighbours: neighbours) { t in
                        let (s, q, r) = t.features
                        let xs = s * inverseTheta[0], xq = q * inverseTheta[1], xr = r * inverseTheta[2]
                        // Σ_m a_m e_m and Σ_m a_m e_m (x − y_m)_d/θ_d.
                        var energy = 0.0, sumS = 0.0, sumQ = 0.0, sumR = 0.0
                        for c in 0..<m {
                            let ds = xs - y[3 * c], dq = xq - y[3 * c + 1], dr = xr - y[3 * c + 2]
                            let e = a[c] * exp(-0.5 * (ds * ds + dq * dq + dr * dr))
                            energy += e
                            sumS += e * ds
                            sumQ += e * dq
                            sumR += e * dr
                        }
                        let w = instances * t.weight
                        local[t.i] += w * energy
                        let gs = -w * sumS * inverseTheta[0], gq = -w * sumQ * inverseTheta[1]
                        let difference = 2 * (t.rij - t.rik)
                        let gj = instances * t.dfcj * t.fck * energy + gs + gq * difference
                        let gk = instances * t.fcj * t.dfck * energy + gs - gq * difference
                        let gt = -w * sumR * inverseTheta[2]
                        let vjk = t.vij - t.vik
                        let gu = (gj / t.rij) * t.vij, hu = (gk / t.rik) * t.vik, tu = (gt / t.rjk) * vjk
                        let onJ = gu + tu, onK = hu - tu, onI = gu + hu
                        forces[3 * t.j] -= onJ.x
                        forces[3 * t.j + 1] -= onJ.y
                        forces[3 * t.j + 2] -= onJ.z
                        forces[3 * t.k] -= onK.x
                        forces[3 * t.k + 1] -= onK.y
                        forces[3 * t.k + 2] -= onK.z
                        forces[3 * t.i] += onI.x
                        forces[3 * t.i + 1] += onI.y
                        forces[3 * t.i + 2] += onI.z
                        for p in 0..<3 {
                            for b in 0..<3 { virial[3 * p + b] -= gu[p] * t.vij[b] + hu[p] * t.vik[b] + tu[p] * vjk[b] }
                        }
                    }
                }
            }
        }
        result.virial = virial
        result.energy = local.reduce(0, +)
        result.localEnergies = local
        result.localCentres = (0..<Int32(neighbours.centreCount)).map { $0 }
        return result
    }
}
