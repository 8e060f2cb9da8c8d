import AtomicStructures
import Descriptors
import Kernels
import Prediction

/// Why a model cannot be written as GAP XML without changing its predictions, and what to do.
public struct GAPXMLExportError: Error, CustomStringConvertible, Sendable {
    /// The term concerned (its position in the model, 1-based, and name).
    public var term: String
    /// What QUIP cannot express.
    public var reason: String
    /// How to get an exportable model.
    public var remedy: String

    public var description: String { "\(term): \(reason); remedy: \(remedy)" }
}

/// One term as QUIP sees it: a descriptor string, kernel settings and sparse points in QUIP's
/// feature layout (with the trailing `covariance_sigma0` slot for soap).
struct QUIPTerm {
    var descriptor: String
    var dimensions: Int
    var delta: Double
    /// 1 = ard_se, 2 = dot_product.
    var covarianceType: Int
    var zeta: Int?
    /// ard_se length scales, one per dimension.
    var theta: [Double]?
    var alpha: [Double]
    var sparseCutoff: [Double]
    /// alpha.count × dimensions.
    var sparseX: [Double]
}

/// The exact QUIP form of each term of a potential, or the reason there is none.
enum GAPXMLExportForm {
    static func terms(of potential: Potential) throws -> [QUIPTerm] {
        try potential.terms.enumerated().map { t, term in
            let label = "term \(t + 1) (\(term.name))"
            if let soap = term as? SOAPTerm { return try soapTerm(soap, alpha: potential.alphas[t], label: label) }
            if let pair = term as? PairDistanceTerm { return pairTerm(pair, alpha: potential.alphas[t]) }
            if let triplet = term as? AngleTripletTerm { return tripletTerm(triplet, alpha: potential.alphas[t]) }
            throw GAPXMLExportError(term: label, reason: "QUIP/GAP has no descriptor for this term", remedy: "train a model with soap, distance_2b and angle_3b terms only")
        }
    }

    static func number(_ x: Double) -> String { "\(x)" }

    static func pairTerm(_ term: PairDistanceTerm, alpha: [Double]) -> QUIPTerm {
        let k = term.kernel
        return QUIPTerm(
            descriptor: "distance_2b cutoff=\(number(k.cutoffRadius)) cutoff_transition_width=\(number(k.transitionWidth)) Z1=\(k.species.z1) Z2=\(k.species.z2)",
            dimensions: 1, delta: k.delta, covarianceType: 1, zeta: nil, theta: [k.theta], alpha: alpha,
            sparseCutoff: k.sparseCutoffWeights, sparseX: k.sparseDistances)
    }

    /// QUIP's angle_3b sums over ordered neighbour pairs, SwiftGAP over unordered ones with two
    /// instances each: the same energy with the same α (see ``AngleTripletDescriptor``).
    static func tripletTerm(_ term: AngleTripletTerm, alpha: [Double]) -> QUIPTerm {
        let k = term.kernel
        let s = k.species
        return QUIPTerm(
            descriptor: "angle_3b cutoff=\(number(k.cutoffRadius)) cutoff_transition_width=\(number(k.descriptor.transitionWidth)) Z_center=\(s.centre) Z1=\(s.z1) Z2=\(s.z2)",
            dimensions: AngleTripletDescriptor.featureCount, delta: k.delta, covarianceType: 1, zeta: nil, theta: k.theta, alpha: alpha,
            sparseCutoff: k.sparseWeights, sparseX: k.sparsePoints)
    }

    static func soapTerm(_ term: SOAPTerm, alpha: [Double], label: String) throws -> QUIPTerm {
        guard let calculator = term.calculator as? SOAPCalculator else {
            throw GAPXMLExportError(
                term: label,
                reason: "it is a \(term.calculator.correlation.typeName) term (body order \(term.calculator.correlation.bodyOrder)), which QUIP's GAP has no descriptor for",
                remedy: "export models whose terms are soap, distance_2b and angle_3b only")
        }
        var h = calculator.hyperparameters
        let m = alpha.count
        var featureCount = calculator.featureCount
        var points = term.kernel.sparsePoints
        if h.normalise && (calculator.selectedFeatures != nil || calculator.radialContraction != nil) {
            var parts: [String] = [], remedies: [String] = []
            if calculator.radialContraction != nil {
                parts.append("the optimal radial basis contracts QUIP's radial functions, which QUIP's soap cannot do")
                remedies.append("with \"radial_basis\": \"gap\"")
            }
            if let selected = calculator.selectedFeatures {
                parts.append("n_features keeps \(selected.count) of \(calculator.fullFeatureCount) power-spectrum components")
                remedies.append("without n_features")
            }
            throw GAPXMLExportError(
                term: label,
                reason: parts.joined(separator: ", and ") + "; with normalise, SwiftGAP normalises that vector by its own length while QUIP's soap normalises the full primitive one, and the two lengths differ per environment",
                remedy: "train \(remedies.joined(separator: " and ")) (or with \"normalise\": false, which exports exactly on QUIP's primitive basis)")
        }
        if let selected = calculator.selectedFeatures {
            // Unnormalised: the left-out components meet zeros in the sparse points.
            featureCount = calculator.fullFeatureCount
            var full = [Double](repeating: 0, count: m * featureCount)
            for p in 0..<m { for (j, k) in selected.enumerated() { full[p * featureCount + k] = points[p * selected.count + j] } }
            points = full
        }
        if let contraction = calculator.radialContraction {
            points = primitivePoints(points, count: m, contraction: contraction, nMax: h.nMax)
            h.nMax = contraction.primitiveCount
            featureCount = points.count / max(m, 1)
        }
        var scaling = ""
        if let s = h.radialScaling {
            guard s.m == s.m.rounded(), s.m >= 1, s.m <= 1000 else {
                throw GAPXMLExportError(term: label, reason: "radial_scaling m = \(s.m) is not an integer, and QUIP's cutoff_dexp is", remedy: "train with an integer radial_scaling m")
            }
            scaling = " cutoff_rate=\(number(s.c)) cutoff_scale=\(number(s.r0)) cutoff_dexp=\(Int(s.m))"
        }
        let species = h.neighbourSpecies.map(String.init).joined(separator: " ")
        let centres = h.centreSpecies.count == 1 ? "Z=\(h.centreSpecies[0])" : "Z={\(h.centreSpecies.map(String.init).joined(separator: " "))}"
        let descriptor = "soap cutoff=\(number(h.cutoffRadius)) cutoff_transition_width=\(number(h.cutoffTransitionWidth)) "
            + "n_max=\(h.nMax) l_max=\(h.lMax) atom_sigma=\(number(h.atomSigma)) central_weight=\(number(h.centralWeight)) "
            + "normalise=\(h.normalise ? "T" : "F") covariance_sigma0=0.0 radial_basis=EQUISPACED_GAUSS\(scaling) "
            + "n_species=\(h.neighbourSpecies.count) species_Z={\(species)} n_Z=\(h.centreSpecies.count) \(centres)"
        // QUIP's vector has one more, trailing element (covariance_sigma0 = 0).
        let dimensions = featureCount + 1
        var sparseX = [Double](repeating: 0, count: m * dimensions)
        for p in 0..<m { for k in 0..<featureCount { sparseX[p * dimensions + k] = points[p * featureCount + k] } }
        return QUIPTerm(
            descriptor: descriptor, dimensions: dimensions, delta: term.kernel.delta, covarianceType: 2, zeta: term.kernel.zeta,
            theta: nil, alpha: alpha, sparseCutoff: [Double](repeating: 1, count: m), sparseX: sparseX)
    }

    /// Sparse points of an unnormalised contracted power spectrum rewritten on the primitive basis,
    /// so that dot products with primitive descriptors equal those with contracted ones exactly:
    /// per l, with T the (species · P) × channels matrix taking contracted to primitive channels,
    /// the symmetric channel matrix X of a point (off-diagonal entries x/√2) becomes Y = T X Tᵀ,
    /// stored as Y[A, A] and √2 Y[A, B].
    static func primitivePoints(_ points: [Double], count m: Int, contraction c: RadialContraction, nMax: Int) -> [Double] {
        let s = c.species.count, p = c.primitiveCount, lCount = c.lMax + 1
        let contracted = c.combinesSpecies ? nMax : s * nMax  // channels of the model
        let primitive = s * p
        let inputCount = contracted * (contracted + 1) / 2 * lCount
        let outputCount = primitive * (primitive + 1) / 2 * lCount
        precondition(points.count == m * inputCount, "sparse points do not match the contraction")
        let half = 0.5.squareRoot()
        var out = [Double](repeating: 0, count: m * outputCount)
        for l in 0..<lCount {
            // T[A, a], A primitive (species-major), a contracted channel.
            var t = [Double](repeating: 0, count: primitive * contracted)
            for A in 0..<primitive {
                let species = A / p, prim = A % p
                for a in 0..<contracted {
                    let block = c.combinesSpecies ? l : species * lCount + l
                    let row = c.combinesSpecies ? A : prim
                    let column = c.combinesSpecies ? a : a - species * nMax
                    guard column >= 0, column < nMax else { continue }  // another species' channel
                    t[A * contracted + a] = c.matrices[block * c.blockSize * nMax + row * nMax + column]
                }
            }
            for q in 0..<m {
                var x = [Double](repeating: 0, count: contracted * contracted)
                for a in 0..<contracted {
                    for b in 0...a {
                        let v = points[q * inputCount + (a * (a + 1) / 2 + b) * lCount + l]
                        x[a * contracted + b] = a == b ? v : v * half
                        x[b * contracted + a] = x[a * contracted + b]
                    }
                }
                var tx = [Double](repeating: 0, count: primitive * contracted)  // T X
                for A in 0..<primitive { for a in 0..<contracted { let tA = t[A * contracted + a]; if tA != 0 { for b in 0..<contracted { tx[A * contracted + b] += tA * x[a * contracted + b] } } } }
                for A in 0..<primitive {
                    for B in 0...A {
                        var y = 0.0
                        for b in 0..<contracted { y += tx[A * contracted + b] * t[B * contracted + b] }
                        out[q * outputCount + (A * (A + 1) / 2 + B) * lCount + l] = A == B ? y : y * 2 * half
                    }
                }
            }
        }
        return out
    }
}
