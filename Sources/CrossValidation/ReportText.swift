import AtomicStructures
import Configuration
import Foundation
import ModelFiles
import Parallelism
import Prediction
import Support
import Training

/// A table rendered as Markdown or HTML.
struct ReportTable {
    var headers: [String]
    var rows: [[String]]
    /// Columns after the first are right-aligned (numbers).
    var numericFrom = 1

    func markdown() -> String {
        var lines = ["| " + headers.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"]
        lines.append("|" + headers.indices.map { $0 >= numericFrom ? "---:|" : "---|" }.joined())
        for row in rows { lines.append("| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n")
    }

    func html() -> String {
        var out = "<table>\n<thead><tr>"
        for (i, h) in headers.enumerated() { out += "<th\(i >= numericFrom ? " class=\"num\"" : "")>\(SVG.escape(h))</th>" }
        out += "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr>"
            for (i, cell) in row.enumerated() { out += "<td\(i >= numericFrom ? " class=\"num\"" : "")>\(SVG.escape(cell))</td>" }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table>"
    }
}

extension CrossValidationReport {
    // MARK: - Formatting

    static func fixed(_ x: Double?, _ decimals: Int) -> String {
        guard let x, x.isFinite else { return "–" }
        return String(format: "%.\(decimals)f", x)
    }

    static func meanAndSpread(_ s: FoldSpread, _ decimals: Int) -> String {
        guard let mean = s.mean else { return "–" }
        guard let sd = s.standardDeviation else { return fixed(mean, decimals) }
        return fixed(mean, decimals) + " ± " + fixed(sd, decimals)
    }

    static func seconds(_ s: Double) -> String { String(format: s < 10 ? "%.2f" : "%.1f", s) }

    static func bytes(_ b: Int?) -> String {
        guard let b else { return "–" }
        return formatBytes(b)
    }

    // MARK: - Tables

    /// All frames: one row per quantity.
    func summaryTable(_ run: CrossValidationRun) -> ReportTable {
        var rows: [[String]] = []
        for q in ErrorQuantity.allCases {
            guard let g = run.pooled(nil) else { continue }
            let a = q.accumulator(g)
            guard a.count > 0 else { continue }
            rows.append([
                q.title, q.unit, "\(a.count)", Self.fixed(a.rmse, q.decimals), Self.fixed(a.mae, q.decimals),
                Self.fixed(a.maximum, q.decimals),
                Self.meanAndSpread(run.spread(q, .rmse, configType: nil), q.decimals),
                Self.meanAndSpread(run.spread(q, .mae, configType: nil), q.decimals),
            ])
        }
        return ReportTable(
            headers: ["quantity", "unit", "values", "RMSE", "MAE", "max", "RMSE over folds (mean ± sd)", "MAE over folds (mean ± sd)"],
            rows: rows, numericFrom: 2)
    }

    /// One quantity, per config type and for all frames; nil if no frame has such a label.
    func quantityTable(_ q: ErrorQuantity, _ run: CrossValidationRun) -> ReportTable? {
        guard let all = run.pooled(nil), q.accumulator(all).count > 0 else { return nil }
        var rows: [[String]] = []
        for group in groups {
            guard let g = run.pooled(group) else { continue }
            let a = q.accumulator(g)
            rows.append([
                Self.configTypeName(group), "\(g.frames)", "\(a.count)", Self.fixed(a.rmse, q.decimals), Self.fixed(a.mae, q.decimals),
                a.count > 0 ? Self.fixed(a.maximum, q.decimals) : "–",
                Self.meanAndSpread(run.spread(q, .rmse, configType: group), q.decimals),
                Self.meanAndSpread(run.spread(q, .mae, configType: group), q.decimals),
            ])
        }
        return ReportTable(
            headers: ["config type", "frames", "values", "RMSE", "MAE", "max", "RMSE over folds", "MAE over folds"], rows: rows)
    }

    func foldTable(_ run: CrossValidationRun) -> ReportTable {
        let hasVirial = (run.pooled(nil)?.virial.count ?? 0) > 0
        var headers = ["fold", "test frames", "training frames", "sparse points", "E RMSE (meV/atom)", "F RMSE (eV/Å)"]
        if hasVirial { headers.append("V RMSE (meV/atom)") }
        headers += ["e0 (eV)", "fit (s)", "prediction (s)", "CPU (s)"]
        let rows = run.folds.map { fold -> [String] in
            let g = fold.statistics.configTypes.isEmpty ? nil : fold.statistics.overall
            var row = [
                "\(fold.fold + 1)", "\(fold.testFrames.count)", "\(fold.trainingFrames.count)",
                fold.sparseSources.map { "\($0.count)" }.joined(separator: " + "),
                Self.fixed(g?.energy.rmse, 2), Self.fixed(g?.forceComponents.rmse, 4),
            ]
            if hasVirial { row.append(Self.fixed(g?.virial.rmse, 2)) }
            let fit = fold.phaseSeconds.filter { $0.phase != "prediction" }.reduce(0) { $0 + $1.seconds }
            let predict = fold.phaseSeconds.first { $0.phase == "prediction" }?.seconds ?? 0
            row += [
                fold.e0.sorted { $0.key < $1.key }.map { "\(Element(atomicNumber: $0.key)?.symbol ?? "\($0.key)") \(Self.fixed($0.value, 4))" }.joined(separator: ", "),
                Self.seconds(fit), Self.seconds(predict), Self.seconds(fold.cpuSeconds),
            ]
            return row
        }
        return ReportTable(headers: headers, rows: rows)
    }

    /// Learning-curve or sweep points: overall RMSE over folds per quantity.
    func curveTable(firstHeader: String, points: [(label: String, run: CrossValidationRun)]) -> ReportTable {
        let quantities = ErrorQuantity.allCases.filter { q in (result.main.pooled(nil).map { q.accumulator($0).count } ?? 0) > 0 }
        let headers = [firstHeader, "training frames (mean)"] + quantities.map { "\($0.title) RMSE (\($0.unit)), mean ± sd" } + ["notes"]
        let rows = points.map { point -> [String] in
            if let failure = point.run.failure {
                return [point.label, "–"] + quantities.map { _ in "–" } + ["failed: " + failure]
            }
            return [point.label, Self.fixed(point.run.meanTrainingFrames, 1)]
                + quantities.map { Self.meanAndSpread(point.run.spread($0, .rmse, configType: nil), $0.decimals) }
                + [point.run.notes.joined(separator: "; ")]
        }
        return ReportTable(headers: headers, rows: rows)
    }

    func dataTable() -> ReportTable {
        var order: [String] = []
        var counts: [String: [Int]] = [:]
        for (f, frame) in result.data.frames.enumerated() {
            let key = ConfigTypeKey.of(frame)
            if counts[key] == nil { order.append(key); counts[key] = [0, 0, 0, 0, 0, 0] }
            counts[key]![0] += 1
            counts[key]![1] += frame.atomCount
            if frame.energy != nil { counts[key]![2] += 1 }
            if frame.forces != nil { counts[key]![3] += 1 }
            if frame.virial != nil { counts[key]![4] += 1 }
            if result.assignment.foldOfFrame[f] != nil { counts[key]![5] += 1 }
        }
        var rows = order.map { [$0] + counts[$0]!.map { "\($0)" } }
        let totals = (0..<6).map { c in order.reduce(0) { $0 + counts[$1]![c] } }
        rows.append(["total"] + totals.map { "\($0)" })
        return ReportTable(headers: ["config type", "frames", "atoms", "energies", "forces", "virials", "tested"], rows: rows)
    }

    func timingTable() -> ReportTable {
        ReportTable(
            headers: ["phase", "wall seconds", "CPU seconds (all threads)"],
            rows: result.timings.map { [$0.phase, Self.seconds($0.seconds), Self.seconds($0.cpuSeconds)] })
    }

    func memoryTable() -> ReportTable {
        let m = result.memory
        var rows: [[String]] = [
            ["budget (--max-memory)", Self.bytes(m.budget)],
            ["descriptor cache, estimated before computing", Self.bytes(m.estimatedCache)],
        ]
        switch result.featureMode {
        case .cached:
            rows.append(["descriptor cache, measured (array sizes)", Self.bytes(m.measuredCache)])
            if let a = m.residentBeforeCache, let b = m.residentAfterCache {
                rows.append(["resident memory before → after computing the cache", Self.bytes(a) + " → " + Self.bytes(b)])
            }
        case .recomputed:
            rows.append(["descriptor cache", "not kept: descriptors recomputed in every fold"])
        }
        rows.append(["one fit on all frames, estimated upper bound", Self.bytes(m.estimatedFit)])
        rows.append(["peak resident memory of the process", Self.bytes(m.residentPeak)])
        return ReportTable(headers: ["item", "bytes"], rows: rows)
    }

    func definitionTable() -> ReportTable {
        ReportTable(headers: ["term", "definition"], rows: Self.definitions.map { [$0.0, $0.1] }, numericFrom: 2)
    }

    func provenanceTable() -> ReportTable {
        var rows: [[String]] = [
            ["created", createdAt], ["command", command], ["code version", "SwiftGAP \(swiftGAPVersion)"],
            ["config file", result.config.sourceName], ["seed (folds and subsets)", "\(result.seed)"],
            ["threads", "\(result.threads) (results do not depend on it)"],
        ]
        for file in result.data.files { rows.append(["training file", "\(file.path) (SHA-256 \(file.sha256))"]) }
        return ReportTable(headers: ["item", "value"], rows: rows, numericFrom: 2)
    }

    var modeSentence: String {
        switch result.featureMode {
        case .cached(let bytes):
            return "Descriptors and their gradients were computed once for every frame (\(Self.bytes(bytes))) and shared by all folds."
        case .recomputed:
            // A supervised radial basis or species mixing is fitted per fold (see CrossValidation.trainer(for:)).
            if Trainer(config: result.config).hasLabelDependentDescriptors {
                return "Descriptors were recomputed in every fold: the supervised radial basis or species mixing is fitted to each fold's training labels."
            }
            return "Descriptors were recomputed in every fold: keeping them would have exceeded the memory budget."
        }
    }

    var headline: String {
        let r = result
        let tested = r.assignment.foldOfFrame.compactMap { $0 }.count
        var s = "\(r.assignment.foldCount)-fold cross-validation of \(r.config.sourceName): \(r.data.frames.count) frames (\(r.data.atomCount) atoms), \(tested) tested out of fold"
        let always = r.assignment.alwaysTrainedFrames.count
        if always > 0 { s += ", \(always) always in training (isolated atom\(always == 1 ? "" : "s"), which fix e0)" }
        s += ". Folds are split by frame, stratified by config type, with seed \(r.seed); sparse points are chosen in each fold from its own training frames."
        return s
    }

    // MARK: - Markdown

    /// The report as Markdown (tables only; the plots are in report.html).
    public func markdown() -> String {
        var md: [String] = []
        md.append("# Cross-validation report")
        if let d = result.config.runDescription { md.append("*\(d)*") }
        md.append(headline + " " + modeSentence)
        md.append("Plots: `\(Self.fileNames.html)`. Every number: `\(Self.fileNames.json)`. Out-of-fold predictions: `\(Self.fileNames.predictions)`.")
        md.append("## Errors, all tested frames\n\nRMSE, MAE and max pool every out-of-fold value; \"over folds\" is the statistic per fold, mean ± sample standard deviation.\n\n" + summaryTable(result.main).markdown())
        for q in ErrorQuantity.allCases {
            if let t = quantityTable(q, result.main) {
                md.append("## \(q.title) errors by config type (\(q.unit))\n\n" + t.markdown())
            } else {
                md.append("## \(q.title) errors by config type\n\nNo tested frame has this label.")
            }
        }
        md.append("## Folds\n\n" + foldTable(result.main).markdown())
        if !result.learningCurve.isEmpty {
            md.append("## Learning curve\n\n" + curveTable(firstHeader: "training fraction", points: result.learningCurve.map { (Self.fraction($0.fraction), $0.run) }).markdown())
        }
        if let sweep = result.sweep {
            md.append("## Sweep over \(sweep.parameter.pathDescription)\n\n" + curveTable(firstHeader: sweep.parameter.pathDescription, points: sweep.runs.map { (sweep.parameter.displayValue($0.value), $0.run) }).markdown())
        }
        md.append("## Data\n\n" + dataTable().markdown())
        if !result.notes.isEmpty { md.append("## Notes\n\n" + result.notes.map { "- " + $0 }.joined(separator: "\n")) }
        md.append("## Definitions\n\n" + definitionTable().markdown())
        md.append("## Time\n\n" + timingTable().markdown())
        md.append("## Memory\n\n" + memoryTable().markdown())
        md.append("## Provenance\n\n" + provenanceTable().markdown())
        md.append("## Config (canonical, defaults filled in)\n\n```json\n" + result.config.canonicalJSON() + "```")
        return md.joined(separator: "\n\n") + "\n"
    }

    static func fraction(_ x: Double) -> String {
        var s = String(format: "%.3f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
