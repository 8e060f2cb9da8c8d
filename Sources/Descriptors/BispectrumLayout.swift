/// The feature list of the bispectrum and the tables its evaluator runs on.
///
/// A slot is one (channel, l) of the density expansion, s = A (l_max + 1) + l. A feature is an
/// unordered triple of slots s1 ≤ s2 ≤ s3 whose l's obey the triangle rule |l1 − l2| ≤ l3 ≤ l1 + l2,
/// with l1 + l2 + l3 even (the true scalars); with pseudoscalars also the odd triples with
/// s1 < s2 < s3 (an odd triple with two equal slots is zero: W changes sign when the two are
/// swapped). Features are listed in lexicographic order of (s1, s2, s3), s1 slowest.
///
/// The value of a feature is √μ · Σ W^{l1 l2 l3}[μ1 μ2 μ3] c_{s1 μ1} c_{s2 μ2} c_{s3 μ3}, where μ is
/// the number of distinct orderings of the triple (6, 3 or 1), so that the dot product of two
/// feature vectors is the full contraction over every ordered triple (as SOAP's √2).
///
/// **Evaluation.** For each unordered pair of slots (a ≤ b) and each l that some feature couples
/// them to, a "term" H_{ab,l}[μ] = Σ W^{la lb l}[μa μb μ] c_{a μa} c_{b μb}. The value is then
/// Σ_μ c_{s3 μ} H_{s1 s2, l3}[μ], and the derivative through slot k uses the term of the other
/// two slots: by the cyclic symmetry of W, slot 1 pairs with H_{s2 s3, l1}, slot 2 with
/// H_{s1 s3, l2} times (−1)^{l1+l2+l3} (an odd permutation), slot 3 with H_{s1 s2, l3}.
struct BispectrumLayout: Sendable {
    let slotCount: Int
    let lCount: Int
    /// Per term: coefficient offsets (channel (l_max+1)² + l²) of its two slots, its l, the
    /// offset of its 2l + 1 values in the term buffer, and its range in the coupling arrays.
    let termFirst: [Int32], termSecond: [Int32], termL: [Int32], termOffset: [Int32]
    let termCouplingStart: [Int32], termCouplingEnd: [Int32]
    /// Size of the term buffer: Σ_t (2 l_t + 1).
    let termValueCount: Int
    /// Flat coupling entries, one run per distinct (la, lb, l): offsets of μa, μb, μ and W.
    let couplingFirst: [Int32], couplingSecond: [Int32], couplingThird: [Int32], couplingValue: [Double]
    /// The slots (s1, s2, s3) of each feature, 3 per feature.
    let featureSlots: [Int32]
    /// Per feature and slot k (3 per feature): the term of the other two slots, the factor
    /// √μ · sign_k, the slot's channel block (channel / n_max) and its radial index n (l_max+1) + l.
    let featureTerm: [Int32], featureFactor: [Double], featureBlock: [Int32], featureRadial: [Int32]
    /// Per feature: coefficient offset of slot 3 and 2 l3 + 1.
    let valueOffset: [Int32], valueDegeneracy: [Int32]

    var featureCount: Int { valueOffset.count }

    /// The number of features for `channelCount` channels up to `lMax`, without building tables:
    /// per multiset of l's obeying the triangle rule, the number of channel choices (N³ for three
    /// distinct l's; N(N ± 1)/2 · N for two equal ones; N(N + 1)(N + 2)/6 or N(N − 1)(N − 2)/6 for
    /// three equal ones, + for scalars, − for pseudoscalars, whose slots must differ).
    static func count(channelCount n: Int, lMax: Int, pseudoscalars: Bool) -> Int {
        var result = 0
        for l1 in 0...lMax {
            for l2 in l1...lMax {
                for l3 in l2...lMax where l3 <= l1 + l2 {
                    let odd = (l1 + l2 + l3) % 2 == 1
                    if odd && !pseudoscalars { continue }
                    if l1 == l3 {
                        result += odd ? n * (n - 1) * (n - 2) / 6 : n * (n + 1) * (n + 2) / 6
                    } else if l1 == l2 || l2 == l3 {
                        result += (odd ? n * (n - 1) / 2 : n * (n + 1) / 2) * n
                    } else {
                        result += n * n * n
                    }
                }
            }
        }
        return result
    }

    /// Calls `body(s1, s2, s3)` for every feature, in layout order.
    static func forEachFeature(channelCount: Int, lMax: Int, pseudoscalars: Bool, _ body: (Int, Int, Int) -> Void) {
        let lCount = lMax + 1
        let slots = channelCount * lCount
        for s1 in 0..<slots {
            let l1 = s1 % lCount
            for s2 in s1..<slots {
                let l2 = s2 % lCount
                for s3 in s2..<slots {
                    let l3 = s3 % lCount
                    guard l3 >= abs(l1 - l2), l3 <= l1 + l2 else { continue }
                    let odd = (l1 + l2 + l3) % 2 == 1
                    if odd && !(pseudoscalars && s1 < s2 && s2 < s3) { continue }
                    body(s1, s2, s3)
                }
            }
        }
    }

    init(channelCount: Int, nMax: Int, lMax: Int, pseudoscalars: Bool, coupling: RealCouplingCoefficients) {
        let lCount = lMax + 1, lm = lCount * lCount, slotTotal = channelCount * lCount
        self.lCount = lCount
        slotCount = slotTotal
        func coefficientOffset(_ s: Int) -> Int32 { Int32((s / lCount) * lm + (s % lCount) * (s % lCount)) }
        // Coupling runs per (la, lb, l), built on first use.
        var runs: [Int: (Int32, Int32)] = [:]
        var cf = [Int32](), cs = [Int32](), ct = [Int32](), cv = [Double]()
        func run(_ la: Int, _ lb: Int, _ l: Int) -> (Int32, Int32) {
            let key = (la * lCount + lb) * lCount + l
            if let existing = runs[key] { return existing }
            let start = Int32(cv.count)
            for e in coupling.entries(la, lb, l) {
                cf.append(e.first); cs.append(e.second); ct.append(e.third); cv.append(e.value)
            }
            runs[key] = (start, Int32(cv.count))
            return runs[key]!
        }
        var terms: [Int: Int32] = [:]
        var tf = [Int32](), ts = [Int32](), tl = [Int32](), to = [Int32](), tcs = [Int32](), tce = [Int32]()
        var valueCount = 0
        func term(_ a: Int, _ b: Int, _ l: Int) -> Int32 {
            let key = (a * slotTotal + b) * lCount + l
            if let existing = terms[key] { return existing }
            let index = Int32(tf.count)
            tf.append(coefficientOffset(a)); ts.append(coefficientOffset(b)); tl.append(Int32(l)); to.append(Int32(valueCount))
            let (start, end) = run(a % lCount, b % lCount, l)
            tcs.append(start); tce.append(end)
            valueCount += 2 * l + 1
            terms[key] = index
            return index
        }
        var slotsOut = [Int32](), ft = [Int32](), ff = [Double](), fb = [Int32](), fr = [Int32](), vo = [Int32](), vd = [Int32]()
        BispectrumLayout.forEachFeature(channelCount: channelCount, lMax: lMax, pseudoscalars: pseudoscalars) { s1, s2, s3 in
            let l1 = s1 % lCount, l2 = s2 % lCount, l3 = s3 % lCount
            let orderings = s1 == s3 ? 1.0 : (s1 == s2 || s2 == s3 ? 3.0 : 6.0)
            let root = orderings.squareRoot()
            let oddSign: Double = (l1 + l2 + l3) % 2 == 0 ? 1 : -1
            let slots = [s1, s2, s3]
            let others = [term(s2, s3, l1), term(s1, s3, l2), term(s1, s2, l3)]
            let factors = [root, root * oddSign, root]
            for k in 0..<3 {
                slotsOut.append(Int32(slots[k]))
                ft.append(others[k]); ff.append(factors[k])
                let channel = slots[k] / lCount
                fb.append(Int32(channel / nMax))
                fr.append(Int32((channel % nMax) * lCount + slots[k] % lCount))
            }
            vo.append(coefficientOffset(s3)); vd.append(Int32(2 * l3 + 1))
        }
        termFirst = tf; termSecond = ts; termL = tl; termOffset = to; termCouplingStart = tcs; termCouplingEnd = tce
        termValueCount = valueCount
        couplingFirst = cf; couplingSecond = cs; couplingThird = ct; couplingValue = cv
        featureSlots = slotsOut; featureTerm = ft; featureFactor = ff; featureBlock = fb; featureRadial = fr
        valueOffset = vo; valueDegeneracy = vd
    }

    var termCount: Int { termL.count }
}
