import LinearAlgebra
import Support
#if canImport(Glibc)
import Glibc
#endif

/// The global feature-space reconstruction error (GFRE) and distortion (GFRD) of Goscinski,
/// Fraux, Imbalzano and Ceriotti, Mach. Learn.: Sci. Technol. 2, 025028 (2021), as used by
/// Goscinski et al., J. Chem. Phys. 155, 104106 (2021) to compare radial bases and body orders.
///
/// For a source feature matrix X and a target Y (rows: the same environments):
/// 1. a seeded two-fold split of the environments into train and test halves;
/// 2. both spaces standardised on the train half: centred, then divided by the square root of
///    the total variance (Σ of the column variances), so that the train reconstruction error is
///    at most 1;
/// 3. a linear map W from X to Y by ridge regression on the train half, with the regulariser
///    chosen by an inner seeded two-fold cross-validation among ``relativeRegularisations``: a
///    singular-value cutoff relative to the largest singular value of the two inner folds
///    (keep singular values above it; score: the mean over target columns of the RMSE, averaged
///    over both fold directions); W is then refitted on the whole train half with that cutoff;
/// 4. GFRE = √(Σ_test ‖y − x W‖² / n_test): 0 when Y is a linear function of X, 1 (about) when
///    nothing of Y is;
/// 5. GFRD: the test error between x W and x Q, where Q is the orthogonal map (Procrustes) that
///    best takes X to X W on the train half, both zero-padded to max(p, q) columns: how much
///    the best linear reconstruction has to deform X, beyond a rotation.
///
/// These are exactly scikit-matter's `global_reconstruction_error` and
/// `global_reconstruction_distortion` with their defaults (StandardFlexibleScaler, Ridge2FoldCV
/// with relative cutoff alphas geomspace(1e-9, 0.9, 20) and RMSE scoring, OrthogonalRegression
/// without projector) on the same split, except that scikit-matter's GFRD fails when X has more
/// columns than Y, where we zero-pad the prediction x W as the Procrustes problem pads Y.
public enum FeatureSpaceReconstruction {
    /// The two-fold split: environments of the train and test halves, and the train half's
    /// inner folds (positions within `train`).
    public struct Split: Sendable, Equatable {
        public var train: [Int], test: [Int]
        public var innerFirst: [Int], innerSecond: [Int]

        /// Creates a split from its parts.
        public init(train: [Int], test: [Int], innerFirst: [Int], innerSecond: [Int]) {
            self.train = train
            self.test = test
            self.innerFirst = innerFirst
            self.innerSecond = innerSecond
        }

        /// A seeded split of `count` environments: a random permutation, its first ⌊count/2⌋
        /// the train half; then a random permutation of the train half, its first ⌈n/2⌉ the
        /// first inner fold.
        public init(count: Int, seed: UInt64) {
            var random = SplitMix64(seed: seed)
            let order = (0..<count).shuffled(using: &random)
            train = Array(order.prefix(count / 2))
            test = Array(order.dropFirst(count / 2))
            let inner = (0..<train.count).shuffled(using: &random)
            innerFirst = Array(inner.prefix((train.count + 1) / 2))
            innerSecond = Array(inner.dropFirst((train.count + 1) / 2))
        }
    }

    /// The measures of one direction.
    public struct Measures: Sendable, Equatable {
        /// GFRE (dimensionless).
        public var error: Double
        /// GFRD (dimensionless).
        public var distortion: Double
        /// The chosen relative regulariser (one of ``relativeRegularisations``).
        package var regularisation: Double
    }

    /// The candidate relative singular-value cutoffs: 20 values geometrically spaced from 10⁻⁹
    /// to 0.9.
    public static let relativeRegularisations: [Double] = (0..<20).map { (k: Int) -> Double in
        let start = log(1e-9), stop = log(0.9)
        let fraction = Double(k) / 19
        return k == 0 ? 1e-9 : (k == 19 ? 0.9 : exp(start + fraction * (stop - start)))
    }

    /// Errors of the comparison that are about the data.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The GFRE and GFRD of reconstructing `target` from `source` (rows: environments).
    ///
    /// - Throws: ``Failure`` if a space has no variance on the train half or a fold is empty;
    ///   ``LinearAlgebraError`` if an SVD fails.
    public static func measures(source: Matrix, target: Matrix, split: Split) throws -> Measures {
        precondition(source.rows == target.rows, "source and target must have the same environments")
        guard split.innerFirst.count >= 1, split.innerSecond.count >= 1, !split.test.isEmpty else {
            throw Failure(description: "too few environments for a two-fold split with inner folds (\(source.rows))")
        }
        let (xTrain, xTest) = try standardised(source, split: split, name: "source")
        let (yTrain, yTest) = try standardised(target, split: split, name: "target")
        let (weights, regularisation) = try ridge(xTrain, yTrain, first: split.innerFirst, second: split.innerSecond)
        let prediction = xTest * weights
        var squared = 0.0
        for k in 0..<yTest.storage.count { squared += (yTest.storage[k] - prediction.storage[k]) * (yTest.storage[k] - prediction.storage[k]) }
        let error = (squared / Double(yTest.rows)).squareRoot()
        // Distortion: the orthogonal map from X (padded) to X W (padded) on the train half.
        let width = max(xTrain.columns, yTrain.columns)
        let paddedTrain = padded(xTrain, to: width), paddedTest = padded(xTest, to: width)
        let fitted = padded(xTrain * weights, to: width)
        var cross = Matrix(rows: width, columns: width)
        gemm(paddedTrain, transposeA: true, fitted, into: &cross)
        let svd = try singularValueDecomposition(cross)
        let rotation = svd.u * svd.vt
        let orthogonal = paddedTest * rotation
        let paddedPrediction = padded(prediction, to: width)
        var distortion = 0.0
        for k in 0..<orthogonal.storage.count {
            let d = paddedPrediction.storage[k] - orthogonal.storage[k]
            distortion += d * d
        }
        return Measures(error: error, distortion: (distortion / Double(yTest.rows)).squareRoot(), regularisation: regularisation)
    }

    /// The train and test rows of `m`, centred and scaled by the train half's total variance.
    static func standardised(_ m: Matrix, split: Split, name: String) throws -> (Matrix, Matrix) {
        var train = rows(m, split.train), test = rows(m, split.test)
        var totalVariance = 0.0
        for j in 0..<m.columns {
            var mean = 0.0
            for i in 0..<train.rows { mean += train[i, j] }
            mean /= Double(train.rows)
            var variance = 0.0
            for i in 0..<train.rows {
                train[i, j] -= mean
                variance += train[i, j] * train[i, j]
            }
            totalVariance += variance / Double(train.rows)
            for i in 0..<test.rows { test[i, j] -= mean }
        }
        guard totalVariance >= 1e-12 else {
            throw Failure(description: "the \(name) features do not vary over the train half (total variance \(totalVariance)); nothing to reconstruct")
        }
        let scale = 1 / totalVariance.squareRoot()
        for k in train.storage.indices { train.storage[k] *= scale }
        for k in test.storage.indices { test.storage[k] *= scale }
        return (train, test)
    }

    /// Ridge (singular-value cutoff) from x to y, cutoff chosen by two-fold CV on the given folds.
    static func ridge(_ x: Matrix, _ y: Matrix, first: [Int], second: [Int]) throws -> (Matrix, Double) {
        let x1 = rows(x, first), x2 = rows(x, second), y1 = rows(y, first), y2 = rows(y, second)
        let svd1 = try singularValueDecomposition(x1), svd2 = try singularValueDecomposition(x2)
        let rcond = Double(max(x.rows, x.columns)) * Double.ulpOfOne
        let s1 = svd1.singularValues, s2 = svd2.singularValues
        let scale = max(s1.max() ?? 0, s2.max() ?? 0)
        // Prediction of fold b from fold a's SVD with the k largest singular values.
        func foldLoss(_ svd: SingularValueDecomposition, _ ya: Matrix, _ xb: Matrix, _ yb: Matrix, cutoff: Double) -> Double {
            let valid = svd.singularValues.filter { $0 > rcond }.count
            let k = min(valid, svd.singularValues.filter { $0 > cutoff }.count)
            let prediction = truncatedSolution(svd, ya, keep: k, apply: xb)
            var total = 0.0
            for j in 0..<yb.columns {
                var squared = 0.0
                for i in 0..<yb.rows { squared += (yb[i, j] - prediction[i, j]) * (yb[i, j] - prediction[i, j]) }
                total += (squared / Double(yb.rows)).squareRoot()
            }
            return total / Double(yb.columns)
        }
        var best = 0, bestLoss = Double.infinity
        for (index, alpha) in relativeRegularisations.enumerated() {
            let loss = (foldLoss(svd1, y1, x2, y2, cutoff: alpha * scale) + foldLoss(svd2, y2, x1, y1, cutoff: alpha * scale)) / 2
            if loss < bestLoss { best = index; bestLoss = loss }
        }
        let svd = try singularValueDecomposition(x)
        let k = svd.singularValues.filter { $0 > relativeRegularisations[best] * scale }.count
        return (truncatedSolution(svd, y, keep: k, apply: nil), relativeRegularisations[best])
    }

    /// W = V_k diag(1/s_k) U_kᵀ y (p x q), or `apply` · W if given.
    static func truncatedSolution(_ svd: SingularValueDecomposition, _ y: Matrix, keep k: Int, apply: Matrix?) -> Matrix {
        let p = svd.vt.columns, q = y.columns
        guard k > 0 else { return Matrix(rows: apply?.rows ?? p, columns: q) }
        var u = Matrix(rows: svd.u.rows, columns: k)
        for j in 0..<k { for i in 0..<svd.u.rows { u[i, j] = svd.u[i, j] } }
        var uty = Matrix(rows: k, columns: q)
        gemm(u, transposeA: true, y, into: &uty)
        for j in 0..<q { for i in 0..<k { uty[i, j] /= svd.singularValues[i] } }
        var vt = Matrix(rows: k, columns: p)
        for j in 0..<p { for i in 0..<k { vt[i, j] = svd.vt[i, j] } }
        var w = Matrix(rows: p, columns: q)
        gemm(vt, transposeA: true, uty, into: &w)
        return apply.map { $0 * w } ?? w
    }

    static func rows(_ m: Matrix, _ indices: [Int]) -> Matrix {
        var result = Matrix(rows: indices.count, columns: m.columns)
        for j in 0..<m.columns {
            for (i, row) in indices.enumerated() { result[i, j] = m[row, j] }
        }
        return result
    }

    static func padded(_ m: Matrix, to columns: Int) -> Matrix {
        guard m.columns < columns else { return m }
        var storage = m.storage
        storage.append(contentsOf: repeatElement(0, count: m.rows * (columns - m.columns)))
        return Matrix(rows: m.rows, columns: columns, columnMajor: storage)
    }
}
