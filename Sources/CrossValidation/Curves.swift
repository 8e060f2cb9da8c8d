import AtomicStructures
import Configuration
import Descriptors
import Prediction
import Selection
import Support
import Training

extension Engine {
    /// The learning curve: for each fraction, every fold trained on that fraction of its
    /// training frames (per config type, rounded up, so every type keeps at least one frame;
    /// always-trained frames always kept) and tested on its whole test set. Subsets are nested:
    /// a larger fraction adds frames to a smaller one's. Fraction 1 (the main run) is always included.
    mutating func learningCurve(main: CrossValidationRun) throws -> [(fraction: Double, run: CrossValidationRun)] {
        // One seeded order per fold and config type, drawn once so that subsets nest.
        var rng = Xoshiro256StarStar(seed: seed &+ 0x4C45_4152_4E49_4E47)
        var orders: [[[Int]]] = []
        for k in 0..<assignment.foldCount {
            var groups: [String: [Int]] = [:]
            var keys: [String] = []
            for f in assignment.trainingFrames(k) where assignment.foldOfFrame[f] != nil {
                let key = ConfigTypeKey.of(data.frames[f])
                if groups[key] == nil { keys.append(key) }
                groups[key, default: []].append(f)
            }
            orders.append(keys.map { FoldAssignment.shuffled(groups[$0]!, using: &rng) })
        }
        let always = assignment.alwaysTrainedFrames
        var points: [(Double, CrossValidationRun)] = []
        // Fraction 1 is the main run, free: always part of the curve.
        for fraction in Array(Set(options.learningCurveFractions + [1])).sorted() {
            if fraction == 1 {
                var run = main
                run.label = "fraction 1"
                points.append((1, run))
                continue
            }
            let label = "fraction \(fraction)"
            let subsets = orders.map { groups -> [Int] in
                var frames = always
                for group in groups {
                    let n = max(1, Int((fraction * Double(group.count) - 1e-9).rounded(.up)))
                    frames += group.prefix(n)
                }
                return frames.sorted()
            }
            let (capped, capNotes) = cappingSparsePoints(config, subsets: subsets)
            for text in capNotes { note("\(label): \(text)") }
            do {
                var run = try runFolds(config: capped, data: data, subsets: subsets, label: label, keepPredictions: false).run
                run.notes = capNotes
                points.append((fraction, run))
            } catch {
                note("\(label) failed: \(error)")
                points.append((fraction, CrossValidationRun(label: label, folds: [], pooled: ErrorStatistics(), notes: capNotes, failure: "\(error)")))
            }
        }
        return points
    }

    /// `config` with each SOAP term's n_sparse lowered, where needed, to the number of
    /// environments in the smallest training subset (a learning curve's small fractions can
    /// have fewer environments than the config asks for); notes say where.
    func cappingSparsePoints(_ config: TrainingConfig, subsets: [[Int]]) -> (TrainingConfig, [String]) {
        var capped = config
        var notes: [String] = []
        for (i, term) in config.descriptors.enumerated() {
            guard case .soap(var t) = term, let count = t.sparse.count else { continue }
            let centres = Set(t.descriptor.hyperparameters(speciesPresent: species).centreSpecies)
            let fewest = subsets.map { frames in
                frames.reduce(0) { $0 + data.frames[$1].structure.atomicNumbers.filter(centres.contains).count }
            }.min() ?? 0
            if fewest < count {
                t.sparse.count = fewest
                capped.descriptors[i] = .soap(t)
                notes.append("descriptors[\(i)].n_sparse capped at \(fewest), the number of environments in the smallest training subset (the config asks for \(count))")
            }
        }
        return (capped, notes)
    }

    /// The sweep: every value cross-validated on the same folds. The value equal to the config's
    /// own reuses the main run; values that change descriptors get their own features.
    mutating func runSweep(_ sweep: ParameterSweep, main: CrossValidationRun) throws -> [(value: String, run: CrossValidationRun)] {
        var runs: [(String, CrossValidationRun)] = []
        for (value, swept) in zip(sweep.values, sweepConfigs) {
            let label = "\(sweep.pathDescription) = \(sweep.displayValue(value))"
            if swept.jsonValue == config.jsonValue {
                var run = main
                run.label = label
                runs.append((value, run))
                continue
            }
            do {
                let sweptData = try TrainingData.load(swept)
                guard sweptData.frames.count == data.frames.count else {
                    throw InputError(file: swept.sourceName, message: "the swept config reads \(sweptData.frames.count) frames, the original \(data.frames.count)")
                }
                try prepareFeatures(for: swept)
                let run = try runFolds(config: swept, data: sweptData, subsets: nil, label: label, keepPredictions: false).run
                runs.append((value, run))
            } catch {
                note("\(label) failed: \(error)")
                runs.append((value, CrossValidationRun(label: label, folds: [], pooled: ErrorStatistics(), notes: [], failure: "\(error)")))
            }
        }
        return runs
    }
}
