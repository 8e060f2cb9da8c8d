import CSOAPKernels
/// Quintic Hermite interpolation of all radial functions R_nl(r) of one table (the QUIP basis, or
/// its contraction for one neighbour species) on [0, r_cut], with derivative.
///
/// On each of `intervalCount` equal intervals of width h the polynomial matches the exact
/// value, first and second derivative at both ends, so values are C² and the error falls as h⁶
/// (derivatives as h⁵). The grid is refined at construction until, at the three interior points
/// of every interval where the leading error terms peak, |spline − exact| ≤ `valueTolerance` · max|R| and
/// |spline′ − exact′| ≤ `derivativeTolerance` · max|R′| (maxima over r, n and l). With the
/// defaults (10⁻¹³ and 10⁻¹¹) the grid has h ≈ σ/80; see `SOAPCalculator.splineAccuracy`.
///
/// Storage: for interval k, six coefficient rows of `functionCount` doubles (a0 ... a5 of
/// p(t) = Σ a_j t^j, t = (r − k h)/h), contiguous, so one pair reads one 6 · n_max (l_max+1)
/// block and the inner loops run over (n, l) with unit stride.
struct RadialSpline: Sendable {
    /// Number of (n, l) functions, n_max (l_max + 1), ordered n-major.
    let functionCount: Int
    /// Number of intervals.
    let intervalCount: Int
    /// Interval width h, Å.
    let step: Double
    /// 1/h.
    let inverseStep: Double
    /// Coefficients, `intervalCount x 6 x functionCount`.
    let coefficients: [Double]
    /// The measured maximum errors at construction (relative to max |R| and max |R′|).
    let valueError: Double
    let derivativeError: Double

    /// The size limit of the grid: at most 2¹⁶ intervals, and at most 2²² (intervals × functions)
    /// table entries, so that the coefficients never take more than 200 MB (for n_max (l_max + 1)
    /// up to 64, only the first limit applies).
    static func maximumIntervals(functionCount: Int) -> Int {
        max(8, min(1 << 16, (1 << 22) / functionCount))
    }

    /// Builds the spline of `basis` on [0, cutoffRadius], refining the grid until the tolerances
    /// are met (or the size limit ``maximumIntervals(functionCount:)`` is reached).
    init(basis: RadialFunctions, cutoffRadius: Double, sigma: Double,
         valueTolerance: Double = 1e-13, derivativeTolerance: Double = 1e-11) {
        let count = basis.functionCount
        functionCount = count
        // The limit also bounds the first grid: a σ tiny next to the cutoff (any positive finite
        // values pass validation) made the initial count overflow Int or need gigabytes, and large
        // n_max (l_max + 1) made even 2¹⁶ intervals take gigabytes (found by fuzzing model files).
        let maximumIntervals = RadialSpline.maximumIntervals(functionCount: count)
        var intervals = Int(min(max(8, (cutoffRadius / sigma * 40).rounded(.up)), Double(maximumIntervals)))
        var result = RadialSpline.build(basis: basis, cutoffRadius: cutoffRadius, intervals: intervals)
        while (result.valueError > valueTolerance || result.derivativeError > derivativeTolerance) && intervals < maximumIntervals {
            intervals = min(2 * intervals, maximumIntervals)
            result = RadialSpline.build(basis: basis, cutoffRadius: cutoffRadius, intervals: intervals)
        }
        intervalCount = intervals
        step = cutoffRadius / Double(intervals)
        inverseStep = Double(intervals) / cutoffRadius
        coefficients = result.coefficients
        valueError = result.valueError
        derivativeError = result.derivativeError
    }

    private static func build(basis: RadialFunctions, cutoffRadius: Double, intervals: Int)
        -> (coefficients: [Double], valueError: Double, derivativeError: Double) {
        let count = basis.functionCount
        let h = cutoffRadius / Double(intervals)
        let nodes = intervals + 1
        var f = [Double](repeating: 0, count: nodes * count)
        var d = [Double](repeating: 0, count: nodes * count)
        var s = [Double](repeating: 0, count: nodes * count)
        var scratch = [Double](repeating: 0, count: basis.scratchCount)
        f.withUnsafeMutableBufferPointer { f in
            d.withUnsafeMutableBufferPointer { d in
                s.withUnsafeMutableBufferPointer { s in
                    scratch.withUnsafeMutableBufferPointer { scratch in
                        for k in 0..<nodes {
                            basis.evaluate(Double(k) * h, values: f.baseAddress! + k * count, first: d.baseAddress! + k * count,
                                           second: s.baseAddress! + k * count, scratch: scratch.baseAddress!)
                        }
                    }
                }
            }
        }
        var coefficients = [Double](repeating: 0, count: intervals * 6 * count)
        for k in 0..<intervals {
            let base = k * 6 * count
            for j in 0..<count {
                let f0 = f[k * count + j], f1 = f[(k + 1) * count + j]
                let d0 = d[k * count + j] * h, d1 = d[(k + 1) * count + j] * h
                let s0 = s[k * count + j] * h * h, s1 = s[(k + 1) * count + j] * h * h
                coefficients[base + j] = f0
                coefficients[base + count + j] = d0
                coefficients[base + 2 * count + j] = 0.5 * s0
                coefficients[base + 3 * count + j] = 10 * (f1 - f0) - 6 * d0 - 4 * d1 - 1.5 * s0 + 0.5 * s1
                coefficients[base + 4 * count + j] = -15 * (f1 - f0) + 8 * d0 + 7 * d1 + 1.5 * s0 - s1
                coefficients[base + 5 * count + j] = 6 * (f1 - f0) - 3 * d0 - 3 * d1 - 0.5 * s0 + 0.5 * s1
            }
        }
        // Accuracy check at interior points of every interval.
        var valueScale = 0.0, derivativeScale = 0.0
        for value in f { valueScale = max(valueScale, abs(value)) }
        for value in d { derivativeScale = max(derivativeScale, abs(value)) }
        var maxValueError = 0.0, maxDerivativeError = 0.0
        var exactValues = [Double](repeating: 0, count: count)
        var exactFirst = [Double](repeating: 0, count: count)
        var exactSecond = [Double](repeating: 0, count: count)
        var splineValues = [Double](repeating: 0, count: count)
        var splineFirst = [Double](repeating: 0, count: count)
        // The leading error terms, t³(1−t)³ for values and its derivative for slopes, peak at
        // t = 1/2 and t = (1 ± 1/√5)/2.
        let probeFractions = [0.5 - 0.5 / 5.0.squareRoot(), 0.5, 0.5 + 0.5 / 5.0.squareRoot()]
        let probe = RadialSpline(functionCount: count, intervalCount: intervals, step: h, coefficients: coefficients)
        exactValues.withUnsafeMutableBufferPointer { ev in
        exactFirst.withUnsafeMutableBufferPointer { e1 in
        exactSecond.withUnsafeMutableBufferPointer { e2 in
        splineValues.withUnsafeMutableBufferPointer { sv in
        splineFirst.withUnsafeMutableBufferPointer { s1 in
        scratch.withUnsafeMutableBufferPointer { scratch in
            for k in 0..<intervals {
                for fraction in probeFractions {
                    let r = (Double(k) + fraction) * h
                    basis.evaluate(r, values: ev.baseAddress!, first: e1.baseAddress!, second: e2.baseAddress!, scratch: scratch.baseAddress!)
                    probe.evaluate(r, values: sv.baseAddress!, derivatives: s1.baseAddress!)
                    for j in 0..<count {
                        maxValueError = max(maxValueError, abs(sv[j] - ev[j]))
                        maxDerivativeError = max(maxDerivativeError, abs(s1[j] - e1[j]))
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        return (coefficients, maxValueError / max(valueScale, .leastNormalMagnitude),
                maxDerivativeError / max(derivativeScale, .leastNormalMagnitude))
    }

    private init(functionCount: Int, intervalCount: Int, step: Double, coefficients: [Double]) {
        self.functionCount = functionCount
        self.intervalCount = intervalCount
        self.step = step
        self.inverseStep = 1 / step
        self.coefficients = coefficients
        valueError = .nan
        derivativeError = .nan
    }

    /// Evaluates every R_nl(r) and dR_nl/dr (for 0 ≤ r ≤ cutoff; beyond, the last interval's
    /// polynomial is extrapolated).
    @inline(__always)
    func evaluate(_ r: Double, values: UnsafeMutablePointer<Double>, derivatives: UnsafeMutablePointer<Double>) {
        coefficients.withUnsafeBufferPointer { table in
            RadialSpline.evaluate(r, table: table.baseAddress!, count: functionCount, intervalCount: intervalCount,
                                  inverseStep: inverseStep, values: values, derivatives: derivatives)
        }
    }

    /// Evaluates every R_nl(r) only.
    @inline(__always)
    func evaluate(_ r: Double, values: UnsafeMutablePointer<Double>) {
        coefficients.withUnsafeBufferPointer { table in
            let (a, t) = RadialSpline.interval(r, table: table.baseAddress!, count: functionCount,
                                               intervalCount: intervalCount, inverseStep: inverseStep)
            let count = functionCount
            let tv = SIMD2<Double>(repeating: t)
            var j = 0
            while j &+ 1 < count {
                SOAPKernels.store2(RadialSpline.value(RadialSpline.coefficients2(a, count, j), tv), values + j)
                j &+= 2
            }
            if j < count { values[j] = RadialSpline.value(RadialSpline.coefficients1(a, count, j), tv)[0] }
        }
    }

    @inline(__always)
    static func evaluate(_ r: Double, table: UnsafePointer<Double>, count: Int, intervalCount: Int, inverseStep: Double,
                         values: UnsafeMutablePointer<Double>, derivatives: UnsafeMutablePointer<Double>) {
        let (a, t) = interval(r, table: table, count: count, intervalCount: intervalCount, inverseStep: inverseStep)
        let tv = SIMD2<Double>(repeating: t), step = SIMD2<Double>(repeating: inverseStep)
        var j = 0
        while j &+ 1 < count {
            let c = coefficients2(a, count, j)
            SOAPKernels.store2(value(c, tv), values + j)
            SOAPKernels.store2(slope(c, tv) * step, derivatives + j)
            j &+= 2
        }
        if j < count {
            let c = coefficients1(a, count, j)
            values[j] = value(c, tv)[0]
            derivatives[j] = (slope(c, tv) * step)[0]
        }
    }

    /// The interval of r: its coefficient rows and the position t ∈ [0, 1) in it.
    @inline(__always)
    static func interval(
        _ r: Double, table: UnsafePointer<Double>, count: Int, intervalCount: Int, inverseStep: Double
    ) -> (UnsafePointer<Double>, Double) {
        let position = r * inverseStep
        let k = min(max(Int(position), 0), intervalCount - 1)
        return (table + k &* 6 &* count, position - Double(k))
    }

    typealias Coefficients2 = (SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>)

    /// The six coefficients of functions j and j + 1.
    @inline(__always)
    static func coefficients2(_ a: UnsafePointer<Double>, _ count: Int, _ j: Int) -> Coefficients2 {
        (SOAPKernels.load2(a + j), SOAPKernels.load2(a + (count &+ j)), SOAPKernels.load2(a + (2 &* count &+ j)),
         SOAPKernels.load2(a + (3 &* count &+ j)), SOAPKernels.load2(a + (4 &* count &+ j)),
         SOAPKernels.load2(a + (5 &* count &+ j)))
    }

    /// The six coefficients of function j alone, in the first lane (the last, odd function).
    @inline(__always)
    static func coefficients1(_ a: UnsafePointer<Double>, _ count: Int, _ j: Int) -> Coefficients2 {
        (SIMD2(a[j], 0), SIMD2(a[count &+ j], 0), SIMD2(a[2 &* count &+ j], 0), SIMD2(a[3 &* count &+ j], 0),
         SIMD2(a[4 &* count &+ j], 0), SIMD2(a[5 &* count &+ j], 0))
    }

    /// a0 + t(a1 + t(a2 + t(a3 + t(a4 + t a5)))), per lane (the scalar form's operations).
    @inline(__always)
    static func value(_ c: Coefficients2, _ t: SIMD2<Double>) -> SIMD2<Double> {
        let v4: SIMD2<Double> = c.4 + t * c.5
        let v3: SIMD2<Double> = c.3 + t * v4
        let v2: SIMD2<Double> = c.2 + t * v3
        return c.0 + t * (c.1 + t * v2)
    }

    /// a1 + t(2a2 + t(3a3 + t(4a4 + 5t a5))), per lane (d/dt of ``value(_:_:)``).
    @inline(__always)
    static func slope(_ c: Coefficients2, _ t: SIMD2<Double>) -> SIMD2<Double> {
        let t5: SIMD2<Double> = t * 5
        let d4: SIMD2<Double> = 4 * c.4 + t5 * c.5
        let d3: SIMD2<Double> = 3 * c.3 + t * d4
        let d2: SIMD2<Double> = 2 * c.2 + t * d3
        return c.1 + t * d2
    }
}

/// The spline tables of one calculator in memory it owns, for the eight-wide evaluation, made
/// once with the calculator: reading them through a `RadialSpline` value would copy it (and count
/// a reference) for every pair, and copying them per evaluation costs more than small structures'
/// whole SOAP.
final class WideSplineStore: @unchecked Sendable {
    /// One table per spline, index for index (immutable after init).
    let tables: UnsafeMutablePointer<WideSplineTable>
    let count: Int

    init(_ splines: [RadialSpline]) {
        count = splines.count
        tables = .allocate(capacity: max(1, splines.count))
        for (k, spline) in splines.enumerated() { (tables + k).initialize(to: WideSplineTable(spline)) }
    }

    deinit {
        for k in 0..<count { tables[k].deallocate() }
        tables.deinitialize(count: count)
        tables.deallocate()
    }
}

/// One spline's coefficients in memory a ``WideSplineStore`` owns.
struct WideSplineTable {
    let rows: UnsafeMutablePointer<Double>
    let functionCount: Int, intervalCount: Int
    let inverseStep: Double

    init(_ spline: RadialSpline) {
        let copy = UnsafeMutablePointer<Double>.allocate(capacity: max(1, spline.coefficients.count))
        spline.coefficients.withUnsafeBufferPointer { copy.update(from: $0.baseAddress!, count: $0.count) }
        rows = copy
        functionCount = spline.functionCount
        intervalCount = spline.intervalCount
        inverseStep = spline.inverseStep
    }

    func deallocate() { rows.deallocate() }

    /// w R_nl(r) into `weighted` and, if given, w′ R_nl + w R′_nl into `weightedSlope`
    /// (CSOAPKernels; the same bits as ``RadialSpline/evaluate(_:values:derivatives:)`` followed by
    /// the weighting).
    @inline(__always)
    func evaluateWeighted(
        _ r: Double, weight w: Double, weightSlope dw: Double, weighted: UnsafeMutablePointer<Double>,
        weightedSlope: UnsafeMutablePointer<Double>?
    ) {
        let (a, t) = RadialSpline.interval(
            r, table: rows, count: functionCount, intervalCount: intervalCount, inverseStep: inverseStep)
        swiftgap_soap_weighted_spline(a, Int64(functionCount), t, inverseStep, w, dw, weighted, weightedSlope)
    }
}
