import AtomicStructures
import Configuration
import JSON
import Foundation
import CrossValidation
import Parallelism
import Prediction
import Support
import Training

/// The files a tuning run writes: the best config (commented with its CV errors) and a report
/// directory (`report.json` with every evaluation, `report.md` for reading). For a fit budget
/// and a seed, the config and `report.json` are byte-identical run to run (no timings in them);
/// `report.md` adds timings.
public struct TuningReport {
    /// The run.
    public let result: TuningResult
    /// The command line, for the record.
    public let command: String

    /// Creates a report.
    public init(result: TuningResult, command: String) {
        self.result = result
        self.command = command
    }

    /// Pooled MAE and per-fold MAE mean ± sample sd of a point on all its folds.
    func spreads(_ index: Int) -> [(name: String, unit: String, pooled: Double?, folds: FoldSpread)] {
        let p = result.points[index]
        let perFold = p.folds.map { PooledErrors([$0]) }
        return [
            ("E MAE", "meV/atom", p.pooled.energy, FoldSpread(perFold.map(\.energy))),
            ("F MAE", "eV/Å", p.pooled.forces, FoldSpread(perFold.map(\.forces))),
            ("V MAE", "meV/atom", p.pooled.virial, FoldSpread(perFold.map(\.virial))),
        ]
    }

    public func errorSummary(_ index: Int) -> String {
        spreads(index).compactMap { s -> String? in
            guard let pooled = s.pooled else { return nil }
            let decimals = s.unit == "eV/Å" ? 4 : 3
            var text = "\(s.name) \(fixed(pooled, decimals)) \(s.unit)"
            if let m = s.folds.mean, let sd = s.folds.standardDeviation { text += " (per fold \(fixed(m, decimals)) ± \(fixed(sd, decimals)))" }
            return text
        }.joined(separator: "; ")
    }

    // MARK: - The best config

    /// The best config, paths rewritten relative to `outputPath`'s directory, preceded by
    /// comments saying how it was chosen and its CV errors.
    package func bestConfigText(outputPath: String) -> String {
        let r = result
        let outputDirectory = PathText.directory(of: outputPath)
        var json = r.bestConfig.jsonValue
        json = PathText.rebasedPaths(in: json, from: r.base.baseDirectory, to: outputDirectory)
        if case .object(var o) = json {
            let description = (r.base.runDescription.map { $0 + "; " } ?? "") + "tuned by gap-tune (\(r.points[r.best].folds.count)-fold CV)"
            o.members.removeAll { $0.key == "description" }
            o.members.append(JSONObject.Member(key: "description", keyPosition: SourcePosition(line: 1, column: 1), value: JSONValue(.string(description))))
            json = .object(o)
        }
        let s = r.options.search
        var lines: [String] = []
        lines.append("Chosen by gap-tune (SwiftGAP) from \(r.base.sourceName): successive halving over \(s.folds)-fold")
        lines.append("cross-validation on the training data only (folds seeded \(r.foldSeed); search seed \(s.seed); eta \(s.eta);")
        lines.append("brackets of \(s.bracketSize) points around the incumbent). Budget: \(budgetText); \(r.fits) fold fits made")
        lines.append("in \(r.brackets) bracket(s), \(r.points.count) configs tried; stopped: \(r.stopReason).")
        lines.append("Objective: MAE relative to the base config's, weights \(r.options.objective.text).")
        lines.append("Command: \(command)")
        let changes = r.space.changes(r.points[r.best].point)
        if r.points.count == 1 {
            lines.append("The budget covered only the base config's cross-validation: it is kept as it was.")
        } else {
            lines.append(changes.isEmpty ? "No config tried beat the base config: it is kept as it was." : "Changed from the base config:")
        }
        for c in changes { lines.append("  \(c)") }
        lines.append("Out-of-fold errors over all \(r.testFramesPerFold.reduce(0, +)) frames (pooled; per-fold MAE mean ± sd):")
        lines.append("  chosen: " + errorSummary(r.best))
        if r.best != 0 { lines.append("  base:   " + errorSummary(0)) }
        lines.append("These are cross-validation estimates on data the settings were chosen on (mildly optimistic).")
        return lines.map { "// " + $0 }.joined(separator: "\n") + "\n" + JSONWriter.write(json)
    }

    var budgetText: String {
        let s = result.options.search
        var parts: [String] = []
        if let f = s.budgetFits { parts.append("\(f) fold fits") }
        if let t = s.budgetSeconds { parts.append("\(fixed(t, 0)) s") }
        return parts.joined(separator: " and ")
    }

    // MARK: - Report directory

    /// Writes the best config to `outputPath` and, if given, the report into `directory`.
    public func write(outputPath: String, reportDirectory: String?) throws {
        try writeFileAtomically(Array(bestConfigText(outputPath: outputPath).utf8), to: outputPath)
        guard let directory = reportDirectory else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw InputError(file: directory, message: "cannot create the report directory: \(error.localizedDescription)")
        }
        try writeFileAtomically(Array(JSONWriter.write(reportJSON()).utf8), to: directory + "/report.json")
        try writeFileAtomically(Array(markdown().utf8), to: directory + "/report.md")
    }

    /// Every evaluation, without timings.
    package func reportJSON() -> JSONValue.Kind {
        typealias W = JSONWriter
        let r = result
        func num(_ x: Double?) -> JSONValue.Kind { x.flatMap { $0.isFinite ? W.number($0) : nil } ?? .null }
        func errors(_ e: PooledErrors) -> JSONValue.Kind {
            W.object([("energy_mae_meV_per_atom", num(e.energy)), ("force_component_mae_eV_per_A", num(e.forces)), ("virial_mae_meV_per_atom", num(e.virial))])
        }
        let points = r.points.enumerated().map { (i, p) -> JSONValue.Kind in
            W.object([
                ("index", W.number(i)), ("bracket", W.number(p.bracket)), ("folds_evaluated", W.number(p.folds.count)),
                ("changes", W.array(r.space.changes(p.point).map { .string($0) })),
                ("values", W.array(p.point.map { W.number($0) })),
                ("score", num(r.score(i, folds: p.folds.count))),
                ("pooled", errors(p.pooled)), ("per_fold", W.array(p.folds.map { errors(PooledErrors([$0])) })),
                ("failure", p.failure.map { .string($0) } ?? .null),
            ])
        }
        let dims = r.space.dimensions.map { d in
            W.object([("name", .string(d.name)), ("values", W.array(d.values)), ("base_index", W.number(d.baseIndex))])
        }
        let s = r.options.search
        return W.object([
            ("tool", .string("gap-tune")), ("base_config", .string(r.base.sourceName)),
            ("method", .string("successive halving over folds, brackets sampled around the incumbent")),
            ("folds", W.number(s.folds)), ("fold_seed", W.number(Int(clamping: r.foldSeed))), ("seed", W.number(Int(clamping: s.seed))),
            ("eta", W.number(s.eta)), ("bracket_size", W.number(s.bracketSize)),
            ("budget_fits", s.budgetFits.map { W.number($0) } ?? .null), ("budget_seconds", num(s.budgetSeconds)),
            ("objective", .string(r.options.objective.text)), ("fits", W.number(r.fits)), ("brackets", W.number(r.brackets)),
            ("stop_reason", .string(r.stopReason)), ("space", W.array(dims)), ("points", W.array(points)),
            ("best", W.number(r.best)), ("best_config", r.bestConfig.jsonValue),
            ("definitions", .string("MAEs are out-of-fold: energy (E_pred - E_ref)/N per frame in meV/atom, force components in eV/Å, virial (W_pred - W_ref)/N in meV/atom; pooled over every test frame of the evaluated folds. score: objective-weighted mean of each MAE divided by the base config's (point 0) pooled MAE on all folds; points are compared only on equal fold counts.")),
        ])
    }

    /// A readable summary with timings.
    public func markdown() -> String {
        let r = result
        var out = "# gap-tune report\n\n"
        out += "Base config `\(r.base.sourceName)`; \(r.options.search.folds)-fold CV (fold seed \(r.foldSeed)), search seed \(r.options.search.seed); "
        out += "budget \(budgetText); \(r.fits) fold fits in \(r.brackets) bracket(s), \(fixed(r.seconds, 0)) s wall; stopped: \(r.stopReason).\n\n"
        out += "Objective: MAE relative to the base config's (\(r.options.objective.text)); lower is better, 1 = base.\n\n"
        out += "## Chosen\n\n" + (r.space.changes(r.points[r.best].point).map { "- `\($0)`\n" }.joined())
        out += "\nChosen: " + errorSummary(r.best) + "\n\nBase: " + errorSummary(0) + "\n\n"
        out += "## Every config tried (best first; score on the folds evaluated)\n\n"
        out += "| # | bracket | folds | score | E MAE (meV/atom) | F MAE (eV/Å) | s per fold | changes from base |\n|---:|---:|---:|---:|---:|---:|---:|---|\n"
        let order = r.points.indices.sorted {
            let a = (-r.points[$0].folds.count, r.score($0, folds: r.points[$0].folds.count) ?? .infinity, $0)
            let b = (-r.points[$1].folds.count, r.score($1, folds: r.points[$1].folds.count) ?? .infinity, $1)
            return a < b
        }
        for i in order {
            let p = r.points[i]
            let score = r.score(i, folds: p.folds.count).map { fixed($0, 3) } ?? (p.failure != nil ? "failed" : "-")
            let sec = p.foldSeconds.isEmpty ? "-" : fixed(p.foldSeconds.reduce(0, +) / Double(p.foldSeconds.count), 1)
            let changes = r.space.changes(p.point).joined(separator: ", ")
            out += "| \(i) | \(p.bracket < 0 ? "base" : String(p.bracket + 1)) | \(p.folds.count) | \(score) | \(p.pooled.energy.map { fixed($0, 3) } ?? "-") | \(p.pooled.forces.map { fixed($0, 4) } ?? "-") | \(sec) | \(changes.isEmpty ? "(base)" : changes)\(p.failure.map { " — " + $0.replacingOccurrences(of: "|", with: "/") } ?? "") |\n"
        }
        out += "\n## Space\n\n"
        for d in r.space.dimensions {
            out += "- `\(d.name)`: " + d.values.indices.map { $0 == d.baseIndex ? "**\(d.describe($0))**" : d.describe($0) }.joined(separator: ", ") + "\n"
        }
        if !r.notes.isEmpty { out += "\n## Notes\n\n" + r.notes.map { "- \($0)\n" }.joined() }
        return out
    }
}

func fixed(_ x: Double?, _ decimals: Int) -> String { x.map { formatFixed($0, decimals) } ?? "–" }

