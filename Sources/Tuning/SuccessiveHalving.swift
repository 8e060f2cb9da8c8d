import Selection
import Support

/// Settings of a successive-halving search.
public struct SearchSettings: Hashable, Sendable {
    /// Cross-validation folds K; a point is fully evaluated on all K.
    public var folds: Int
    /// Halving rate η: each rung keeps the best 1/η of its points and evaluates them on η times
    /// as many folds.
    public var eta: Int
    /// Points per bracket, the incumbent included.
    public var bracketSize: Int
    /// At most this many fold fits in all (the base config's K included); nil for no limit.
    public var budgetFits: Int?
    /// Stop starting new fits after this many seconds; nil for no limit.
    public var budgetSeconds: Double?
    /// Seed of the candidate sampling.
    public var seed: UInt64

    /// Creates settings. At least one budget must be given.
    public init(folds: Int, eta: Int = 3, bracketSize: Int = 9, budgetFits: Int? = nil, budgetSeconds: Double? = nil, seed: UInt64 = 1) {
        self.folds = folds
        self.eta = eta
        self.bracketSize = bracketSize
        self.budgetFits = budgetFits
        self.budgetSeconds = budgetSeconds
        self.seed = seed
    }

    /// Fold counts of the rungs: 1, η, η², ... capped at K (the last is always K).
    public var rungs: [Int] {
        var r = [1]
        while r.last! < folds { r.append(min(folds, r.last! * eta)) }
        return r
    }
}

/// One point's evaluations.
public struct EvaluatedPoint<Record: Sendable>: Sendable {
    /// Value indices, one per dimension.
    public var point: [Int]
    /// Records of folds 0, 1, ... in order (a prefix of the folds).
    public var records: [Record]
    /// The bracket that sampled it (-1 for the base config).
    public var bracket: Int
    /// Why its config could not be evaluated, if so (the point then counts as worst).
    public var failure: String?
}

/// Successive halving (Jamieson and Talwalkar 2016; the inner loop of Hyperband, Li et al. 2018)
/// with folds as the resource, in brackets sampled around the incumbent.
///
/// The base point is evaluated on every fold first and is the first incumbent. Each bracket then
/// takes the incumbent and `bracketSize − 1` new points, each a seeded random move of the
/// incumbent (one to three settings changed: usually to a neighbouring value, sometimes to any);
/// every point is evaluated on the first fold, the best 1/η go on to η folds, and so on until K
/// folds; a point that beats the incumbent on all K folds becomes the incumbent, and the next
/// bracket is sampled around it. Brackets are planned so that their worst-case cost fits the
/// remaining fit budget; a time budget stops before the next fit once exceeded.
///
/// Deterministic: the same settings, space and objective give the same evaluations in the same
/// order (with a time budget, only where it stops depends on the machine).
public struct SuccessiveHalving<Record: Sendable> {
    /// Values per dimension.
    public let valueCounts: [Int]
    /// The base point.
    public let basePoint: [Int]
    /// The settings.
    public let settings: SearchSettings

    /// Creates a search over a grid of `valueCounts` values per dimension.
    public init(valueCounts: [Int], basePoint: [Int], settings: SearchSettings) {
        precondition(valueCounts.count == basePoint.count && zip(valueCounts, basePoint).allSatisfy { $1 >= 0 && $1 < $0 })
        self.valueCounts = valueCounts
        self.basePoint = basePoint
        self.settings = settings
    }

    /// What a search did.
    public struct Outcome: Sendable {
        /// Every point evaluated, in the order first evaluated.
        public var points: [EvaluatedPoint<Record>]
        /// Index into ``points`` of the best point evaluated on all folds.
        public var best: Int
        /// Fold fits made.
        public var fits: Int
        /// Brackets run (fully or partly).
        public var brackets: Int
        /// Why the search stopped.
        public var stopReason: String
    }

    /// Runs the search.
    ///
    /// - Parameters:
    ///   - evaluate: the record of a point on one fold (throws: the point failed; it is not
    ///     evaluated further and ranks last).
    ///   - score: lower is better; called with the records of the same number of folds for
    ///     every point it compares.
    ///   - groupKey: points with equal keys are evaluated one after another within a rung (e.g.
    ///     the same descriptor, so features are computed once); order never changes results.
    ///   - seconds: a clock, for the time budget.
    ///   - baseline: called once with the base point's records on every fold, before any score
    ///     (e.g. to normalise scores by the base config's errors).
    ///   - log: one line per event, for progress.
    public func run(
        evaluate: (_ point: [Int], _ fold: Int) throws -> Record, score: ([Record]) -> Double, baseline: ([Record]) -> Void = { _ in },
        groupKey: ([Int]) -> String = { _ in "" }, seconds: () -> Double, log: (String) -> Void = { _ in }
    ) throws -> Outcome {
        precondition(settings.budgetFits != nil || settings.budgetSeconds != nil, "a search needs a budget")
        let K = settings.folds
        let start = seconds()
        var state = State(points: [], index: [:], fits: 0, secondsPerFit: [])
        func outOfTime() -> Bool { settings.budgetSeconds.map { seconds() - start >= $0 } ?? false }
        func fitsLeft() -> Int { settings.budgetFits.map { $0 - state.fits } ?? Int.max }

        /// Brings `p` to `folds` folds; false if the budget ran out first.
        func bring(_ p: Int, to folds: Int) -> Bool {
            while state.points[p].failure == nil, state.points[p].records.count < folds {
                if fitsLeft() <= 0 || outOfTime() { return false }
                let fold = state.points[p].records.count
                let t0 = seconds()
                state.fits += 1
                do {
                    state.points[p].records.append(try evaluate(state.points[p].point, fold))
                } catch {
                    state.points[p].failure = "\(error)"
                    log("point \(p) failed: \(error)")
                }
                state.secondsPerFit.append(seconds() - t0)
            }
            return true
        }
        func scoreOf(_ p: Int, folds: Int) -> Double {
            let e = state.points[p]
            guard e.failure == nil, e.records.count >= folds else { return .infinity }
            return score(Array(e.records.prefix(folds)))
        }

        guard settings.budgetFits.map({ $0 >= K }) ?? true else {
            throw SearchError.budgetTooSmall("a fit budget of \(settings.budgetFits!) cannot cross-validate even the base config (\(K) folds)")
        }
        let base = state.add(basePoint, bracket: -1)
        log("base config: \(K) folds")
        guard bring(base, to: K) else { return state.outcome(best: base, brackets: 0, reason: "time budget spent on the base config") }
        guard state.points[base].failure == nil else { throw SearchError.baseFailed(state.points[base].failure!) }
        baseline(state.points[base].records)
        var incumbent = base
        var rng = Xoshiro256StarStar(seed: settings.seed)
        var bracket = 0
        let rungs = settings.rungs
        while true {
            let n = plannedBracketSize(fitsLeft: fitsLeft(), secondsLeft: settings.budgetSeconds.map { $0 - (seconds() - start) }, secondsPerFit: state.meanSecondsPerFit)
            guard n >= 2 else {
                let timeBound = plannedBracketSize(fitsLeft: fitsLeft(), secondsLeft: nil, secondsPerFit: 0) >= 2
                return state.outcome(best: incumbent, brackets: bracket, reason: timeBound ? "time budget spent (no bracket fits the time left)" : "fit budget spent")
            }
            var members = [incumbent]
            var attempts = 0
            while members.count < n, attempts < 200 * n {
                attempts += 1
                let candidate = neighbour(of: state.points[incumbent].point, rng: &rng)
                guard state.index[candidate] == nil else { continue }
                members.append(state.add(candidate, bracket: bracket))
            }
            guard members.count >= 2 else { return state.outcome(best: incumbent, brackets: bracket, reason: "no unexplored point near the incumbent") }
            log("bracket \(bracket + 1): \(members.count - 1) new points around the incumbent, rungs of \(rungs.map(String.init).joined(separator: ", ")) folds")
            var alive = members
            for (r, folds) in rungs.enumerated() {
                let ordered = alive.enumerated().sorted { (groupKey(state.points[$0.element].point), $0.offset) < (groupKey(state.points[$1.element].point), $1.offset) }.map(\.element)
                for p in ordered where !bring(p, to: folds) {
                    return state.outcome(best: incumbent, brackets: bracket + 1, reason: outOfTime() ? "time budget spent" : "fit budget spent")
                }
                // Rank by score on the same folds; ties keep the earlier point.
                let ranked = alive.enumerated().sorted { (scoreOf($0.element, folds: folds), $0.offset) < (scoreOf($1.element, folds: folds), $1.offset) }.map(\.element)
                if folds == K {
                    if ranked[0] != incumbent, scoreOf(ranked[0], folds: K) < scoreOf(incumbent, folds: K) {
                        incumbent = ranked[0]
                        log("new incumbent: point \(incumbent)")
                    }
                    break
                }
                let keep = max(1, alive.count / settings.eta)
                alive = Array(ranked.prefix(keep)).filter { scoreOf($0, folds: folds).isFinite }
                if alive.isEmpty { break }
                log("bracket \(bracket + 1), rung \(r + 1) (\(folds) fold\(folds == 1 ? "" : "s")): \(alive.count) promoted")
            }
            bracket += 1
        }
    }

    /// The largest bracket whose worst-case cost fits the budget left (at most `bracketSize`).
    func plannedBracketSize(fitsLeft: Int, secondsLeft: Double?, secondsPerFit: Double) -> Int {
        var budget = fitsLeft
        if let secondsLeft { budget = min(budget, secondsPerFit > 0 ? Int(secondsLeft / secondsPerFit) : Int.max) }
        var n = settings.bracketSize
        while n >= 2, worstCaseCost(bracketSize: n) > budget { n -= 1 }
        return n
    }

    /// Fits a bracket of `n` points (one of them the fully evaluated incumbent) may need.
    public func worstCaseCost(bracketSize n: Int) -> Int {
        var cost = 0
        var alive = n
        var previous = 0
        for folds in settings.rungs {
            cost += min(alive, n - 1) * (folds - previous)
            previous = folds
            alive = max(1, alive / settings.eta)
        }
        return cost
    }

    /// A random move of `point`: one to three settings changed, each to a neighbouring value
    /// (70 %) or any other value (30 %).
    func neighbour(of point: [Int], rng: inout Xoshiro256StarStar) -> [Int] {
        let movable = valueCounts.indices.filter { valueCounts[$0] > 1 }
        guard !movable.isEmpty else { return point }
        let u = rng.nextUnitInterval()
        let changes = min(movable.count, u < 0.5 ? 1 : (u < 0.8 ? 2 : 3))
        var pool = movable
        var q = point
        for _ in 0..<changes {
            let d = pool.remove(at: rng.nextInt(below: pool.count))
            let count = valueCounts[d]
            if rng.nextUnitInterval() < 0.7 {
                let up = rng.nextInt(below: 2) == 1
                q[d] = (up && q[d] + 1 < count) || q[d] == 0 ? q[d] + 1 : q[d] - 1
            } else {
                let other = rng.nextInt(below: count - 1)
                q[d] = other >= q[d] ? other + 1 : other
            }
        }
        return q
    }

    struct State {
        var points: [EvaluatedPoint<Record>]
        var index: [[Int]: Int]
        var fits: Int
        var secondsPerFit: [Double]

        var meanSecondsPerFit: Double { secondsPerFit.isEmpty ? 0 : secondsPerFit.reduce(0, +) / Double(secondsPerFit.count) }

        mutating func add(_ point: [Int], bracket: Int) -> Int {
            points.append(EvaluatedPoint(point: point, records: [], bracket: bracket, failure: nil))
            index[point] = points.count - 1
            return points.count - 1
        }

        func outcome(best: Int, brackets: Int, reason: String) -> Outcome {
            Outcome(points: points, best: best, fits: fits, brackets: brackets, stopReason: reason)
        }
    }
}

/// Why a search could not run.
public enum SearchError: Error, CustomStringConvertible {
    /// The budget does not cover the base config's folds.
    case budgetTooSmall(String)
    /// The base config itself failed to fit.
    case baseFailed(String)

    public var description: String {
        switch self {
        case .budgetTooSmall(let m): return m
        case .baseFailed(let m): return "the base config could not be cross-validated: \(m)"
        }
    }
}
