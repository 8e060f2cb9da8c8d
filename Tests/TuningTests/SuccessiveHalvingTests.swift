import XCTest
@testable import Tuning

/// The search logic on synthetic objectives (no fits): a point's "record" on a fold is a number,
/// and the score is the mean of its records.
final class SuccessiveHalvingTests: XCTestCase {
    /// A separable bowl on a 4-dimensional grid with its minimum at `optimum`, plus a fold-
    /// dependent offset that is the same for every point (as fold difficulty is), and a small
    /// point-and-fold-dependent wobble that never changes the ranking of the minimum.
    struct Bowl {
        var counts = [5, 4, 6, 3]
        var optimum = [4, 0, 3, 2]
        var base = [1, 2, 1, 0]

        func value(_ p: [Int], fold: Int) -> Double {
            var v = 0.0
            for d in p.indices { v += Double((p[d] - optimum[d]) * (p[d] - optimum[d])) }
            let wobble = Double((p.reduce(0, +) * 7 + fold * 13) % 5) * 0.01
            return v + Double(fold) * 0.5 + wobble
        }
    }

    func search(_ bowl: Bowl, budget: Int?, seconds: Double? = nil, seed: UInt64 = 1, folds: Int = 5) -> SuccessiveHalving<Double> {
        SuccessiveHalving(valueCounts: bowl.counts, basePoint: bowl.base, settings: SearchSettings(folds: folds, budgetFits: budget, budgetSeconds: seconds, seed: seed))
    }

    func run(_ s: SuccessiveHalving<Double>, _ bowl: Bowl, calls: inout [(point: [Int], fold: Int)]) throws -> SuccessiveHalving<Double>.Outcome {
        try s.run(
            evaluate: { p, fold in
                calls.append((p, fold))
                return bowl.value(p, fold: fold)
            },
            score: { $0.reduce(0, +) / Double($0.count) }, seconds: { 0 })
    }

    func testFindsTheKnownOptimum() throws {
        let bowl = Bowl()
        var calls: [(point: [Int], fold: Int)] = []
        let outcome = try run(search(bowl, budget: 400), bowl, calls: &calls)
        XCTAssertEqual(outcome.points[outcome.best].point, bowl.optimum)
        XCTAssertEqual(outcome.points[outcome.best].records.count, 5, "the winner is evaluated on every fold")
        // Far fewer fits than evaluating the whole grid (360 points x 5 folds).
        XCTAssertLessThan(outcome.fits, 360 * 5 / 4)
    }

    func testRespectsTheFitBudgetExactly() throws {
        let bowl = Bowl()
        for budget in [5, 6, 12, 17, 40, 101] {
            var calls: [(point: [Int], fold: Int)] = []
            let outcome = try run(search(bowl, budget: budget), bowl, calls: &calls)
            XCTAssertLessThanOrEqual(calls.count, budget, "budget \(budget)")
            XCTAssertEqual(outcome.fits, calls.count)
            XCTAssertEqual(outcome.points[0].point, bowl.base, "the base config comes first")
            XCTAssertEqual(outcome.points[0].records.count, 5)
        }
        var none: [(point: [Int], fold: Int)] = []
        XCTAssertThrowsError(try run(search(bowl, budget: 4), bowl, calls: &none)) { error in
            XCTAssertTrue("\(error)".contains("cannot cross-validate even the base config"), "\(error)")
        }
    }

    func testSameSeedSameEvaluationsOtherSeedOtherCandidates() throws {
        let bowl = Bowl()
        var a: [(point: [Int], fold: Int)] = [], b: [(point: [Int], fold: Int)] = [], c: [(point: [Int], fold: Int)] = []
        _ = try run(search(bowl, budget: 60, seed: 3), bowl, calls: &a)
        _ = try run(search(bowl, budget: 60, seed: 3), bowl, calls: &b)
        _ = try run(search(bowl, budget: 60, seed: 4), bowl, calls: &c)
        XCTAssertEqual(a.map(\.point), b.map(\.point))
        XCTAssertEqual(a.map(\.fold), b.map(\.fold))
        XCTAssertNotEqual(a.map(\.point), c.map(\.point))
    }

    func testRungsPromoteOnlyTheBestAndFoldsArePrefixes() throws {
        let bowl = Bowl()
        var calls: [(point: [Int], fold: Int)] = []
        let s = search(bowl, budget: 5 + s0Cost(), folds: 5)
        XCTAssertEqual(s.settings.rungs, [1, 3, 5])
        let outcome = try run(s, bowl, calls: &calls)
        XCTAssertGreaterThanOrEqual(outcome.brackets, 1)
        let bracket = outcome.points.filter { $0.bracket == 0 }
        XCTAssertEqual(bracket.count, 8, "a bracket of 9 holds the incumbent and 8 new points")
        // 8 new + incumbent at one fold; 3 kept to three folds; 1 kept to five.
        XCTAssertEqual(bracket.filter { $0.records.count == 1 }.count + bracket.filter { $0.records.count == 3 }.count + bracket.filter { $0.records.count == 5 }.count, 8)
        XCTAssertLessThanOrEqual(bracket.filter { $0.records.count >= 3 }.count, 3)
        // Every point's folds are 0, 1, ... in order.
        var seen: [[Int]: Int] = [:]
        for call in calls {
            XCTAssertEqual(call.fold, seen[call.point, default: 0])
            seen[call.point, default: 0] += 1
        }
        // Points promoted past the first rung are the best first-fold scores of the bracket.
        let firstFold = (outcome.points.filter { $0.bracket == 0 } + [outcome.points[0]]).sorted { $0.records[0] < $1.records[0] }
        let promoted = Set(outcome.points.filter { $0.bracket == 0 && $0.records.count >= 3 }.map(\.point))
        XCTAssertTrue(promoted.isSubset(of: Set(firstFold.prefix(3).map(\.point))))
    }

    /// The worst case of one bracket of 9 with rungs 1, 3, 5 (the three promoted points all
    /// new): 8 + 3·2 + 1·2 = 16 fits.
    func s0Cost() -> Int { 16 }

    func testWorstCaseCostMatchesThePlan() {
        let s = search(Bowl(), budget: 100)
        XCTAssertEqual(s.worstCaseCost(bracketSize: 9), s0Cost())
        XCTAssertEqual(s.worstCaseCost(bracketSize: 2), 1 + 2 + 2, "the one new point may go on to every fold")
        XCTAssertEqual(s.plannedBracketSize(fitsLeft: 16, secondsLeft: nil, secondsPerFit: 1), 9)
        XCTAssertEqual(s.plannedBracketSize(fitsLeft: 15, secondsLeft: nil, secondsPerFit: 1), 8)
        XCTAssertEqual(s.plannedBracketSize(fitsLeft: 100, secondsLeft: 5.5, secondsPerFit: 1), 2, "5 fits of time: one new point to all folds")
        XCTAssertEqual(s.plannedBracketSize(fitsLeft: 4, secondsLeft: nil, secondsPerFit: 1), 1, "not even one new point fits")
    }

    func testTimeBudgetStopsBeforeTheNextFit() throws {
        let bowl = Bowl()
        var clock = 0.0
        var calls = 0
        let s = search(bowl, budget: nil, seconds: 30)
        let outcome = try s.run(
            evaluate: { p, fold in
                calls += 1
                clock += 2  // every fit takes 2 s
                return bowl.value(p, fold: fold)
            },
            score: { $0.reduce(0, +) / Double($0.count) }, seconds: { clock })
        XCTAssertLessThanOrEqual(calls, 15, "no fit starts after 30 s")
        XCTAssertGreaterThanOrEqual(calls, 10, "brackets are planned from the measured time per fit")
        XCTAssertEqual(outcome.fits, calls)
        XCTAssertTrue(outcome.stopReason.contains("time"), outcome.stopReason)
    }

    func testFailedPointsRankLastAndDoNotStopTheSearch() throws {
        let bowl = Bowl()
        let outcome = try search(bowl, budget: 200).run(
            evaluate: { p, fold in
                if p[0] == 4 { throw SearchError.baseFailed("synthetic failure") }  // the optimum's row cannot be fitted
                return bowl.value(p, fold: fold)
            },
            score: { $0.reduce(0, +) / Double($0.count) }, seconds: { 0 })
        XCTAssertNotEqual(outcome.points[outcome.best].point[0], 4)
        XCTAssertTrue(outcome.points.contains { $0.failure != nil })
        XCTAssertEqual(outcome.points[outcome.best].point[1...], bowl.optimum[1...])
    }
}
