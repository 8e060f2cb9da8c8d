import Configuration
import Foundation
import Kernels
import Prediction
import Training

extension CrossValidationReport {
    /// At most this many points are drawn per parity plot.
    static let parityPointLimit = 8000

    /// Points of a parity plot with their config type, and a deterministic subsample.
    struct ParityData {
        var series: [SVG.Series]
        /// Set when not every point is drawn.
        var subsampleNote: String?
    }

    /// Parity points of one quantity (reference, prediction), in data order, with the frame's
    /// config type; energies and virials per atom in eV/atom, forces in eV/Å.
    func parityPoints(_ q: ErrorQuantity) -> [(type: String, x: Double, y: Double)] {
        var points: [(String, Double, Double)] = []
        for (f, frame) in result.data.frames.enumerated() {
            guard let p = result.predictions.indices.contains(f) ? result.predictions[f] : nil else { continue }
            let key = ConfigTypeKey.of(frame)
            let n = Double(frame.atomCount)
            switch q {
            case .energy:
                if let e = frame.energy { points.append((key, e / n, p.energy / n)) }
            case .forceComponents, .forceVectors:
                if let ref = frame.forces { for i in ref.indices { points.append((key, ref[i], p.forces[i])) } }
            case .virial:
                if let v = frame.virial { for ab in [0, 1, 2, 4, 5, 8] { points.append((key, v[ab] / n, p.virial[ab] / n)) } }
            }
        }
        return points
    }

    /// Splits points into series by config type, keeping at most ``parityPointLimit``: the
    /// largest errors (a tenth of the limit) and an even stride through the rest.
    func parityData(_ points: [(type: String, x: Double, y: Double)], colours: [String: String]) -> ParityData {
        var keep = [Bool](repeating: true, count: points.count)
        var note: String?
        let limit = Self.parityPointLimit
        if points.count > limit {
            keep = [Bool](repeating: false, count: points.count)
            let worst = limit / 10
            let byError = points.indices.sorted {
                let a = abs(points[$0].y - points[$0].x), b = abs(points[$1].y - points[$1].x)
                return a != b ? a > b : $0 < $1
            }
            for i in byError.prefix(worst) { keep[i] = true }
            let rest = points.count - worst
            let stride = Int((Double(rest) / Double(limit - worst)).rounded(.up))
            var seen = 0
            for i in points.indices where !keep[i] {
                if seen % stride == 0 { keep[i] = true }
                seen += 1
            }
            let shown = keep.filter { $0 }.count
            note = "\(shown) of \(points.count) points drawn: the \(worst) largest errors and every \(stride)th of the others (all points are in \(Self.fileNames.predictions))."
        }
        var order: [String] = []
        var byType: [String: [(x: Double, y: Double)]] = [:]
        for (i, p) in points.enumerated() where keep[i] {
            if byType[p.type] == nil { order.append(p.type) }
            byType[p.type, default: []].append((p.x, p.y))
        }
        let single = order.count == 1 && order[0] == ConfigTypeKey.none
        return ParityData(
            series: order.map { SVG.Series(name: single ? "" : $0, colour: colours[$0] ?? "#4e79a7", points: byType[$0]!) },
            subsampleNote: note)
    }

    /// Histogram bins over [low, high] with `count` bins.
    static func histogram(_ values: [Double], low: Double, high: Double, count: Int) -> (edges: [Double], counts: [Int]) {
        let width = (high - low) / Double(count)
        let edges = (0...count).map { low + Double($0) * width }
        var counts = [Int](repeating: 0, count: count)
        guard width > 0 else { counts[0] = values.count; return (edges, counts) }
        for v in values {
            let b = min(count - 1, max(0, Int((v - low) / width)))
            counts[b] += 1
        }
        return (edges, counts)
    }

    /// The report as one self-contained HTML page: styles and SVG inline, no scripts, no network.
    public func html() -> String {
        let run = result.main
        let types = run.pooled.configTypes
        let palette = SVG.colours(types.count)
        var colours: [String: String] = [:]
        for (i, t) in types.enumerated() { colours[t] = palette[i] }
        let present = ErrorQuantity.allCases.filter { q in (run.pooled(nil).map { q.accumulator($0).count } ?? 0) > 0 }

        var body: [String] = []
        func section(_ title: String, _ content: String) { body.append("<section>\n<h2>\(SVG.escape(title))</h2>\n\(content)\n</section>") }

        body.append("<h1>Cross-validation report</h1>")
        if let d = result.config.runDescription { body.append("<p class=\"subtitle\">\(SVG.escape(d))</p>") }
        body.append(Self.paragraph(headline + " " + modeSentence))
        body.append(Self.paragraph("Files next to this page: \(Self.fileNames.json) (every number), \(Self.fileNames.markdown), \(Self.fileNames.predictions) (the out-of-fold predictions, from which every number here can be recomputed)."))

        section("Errors, all tested frames", Self.paragraph("RMSE, MAE and max pool every out-of-fold value; \"over folds\" is the statistic of each fold's test set, mean ± sample standard deviation over the folds.") + summaryTable(run).html())
        section("Parity plots (out-of-fold prediction against reference)", "<div class=\"row\">\(parityFigures(present, colours: colours))</div>")
        if present.contains(.forceComponents) { section("Force errors", forceErrorFigures()) }
        section("Errors by config type", configTypeContent(present, run: run, types: types))
        section("Folds", foldTable(run).html())
        if !result.learningCurve.isEmpty { section("Learning curve", learningCurveContent(present)) }
        if let sweep = result.sweep { section("Sweep over \(sweep.parameter.pathDescription)", sweepContent(sweep, present)) }
        section("Data", dataTable().html())
        if !result.notes.isEmpty {
            section("Notes", "<ul>" + result.notes.map { "<li>\(SVG.escape($0))</li>" }.joined() + "</ul>")
        }
        section("Definitions", definitionTable().html())
        section("Time", timingTable().html())
        section("Memory", memoryTable().html())
        section("Provenance", provenanceTable().html())
        section("Config (canonical, defaults filled in)", "<pre>\(SVG.escape(result.config.canonicalJSON()))</pre>")
        return page(body: body.joined(separator: "\n"))
    }

    static func paragraph(_ text: String) -> String { "<p>\(SVG.escape(text))</p>" }

    /// One parity plot per quantity (out-of-fold prediction against reference).
    func parityFigures(_ present: [ErrorQuantity], colours: [String: String]) -> String {
        var parity = ""
        for q in present where q != .forceVectors {
            let data = parityData(parityPoints(q), colours: colours)
            let unit = q == .forceComponents ? "eV/Å" : "eV/atom"
            let title = q == .energy ? "Energy per atom" : q == .forceComponents ? "Force components" : "Virial per atom (6 components)"
            parity += "<figure>" + SVG.parity(title: title, unit: unit, series: data.series)
            if let note = data.subsampleNote { parity += "<figcaption>\(SVG.escape(note))</figcaption>" }
            parity += "</figure>\n"
        }
        return parity
    }

    /// Histograms of the force-component errors and of the per-atom force-error norms.
    func forceErrorFigures() -> String {
        var components: [Double] = []
        var norms: [Double] = []
        for (f, frame) in result.data.frames.enumerated() {
            guard let p = result.predictions.indices.contains(f) ? result.predictions[f] : nil, let ref = frame.forces else { continue }
            for atom in 0..<frame.atomCount {
                var s = 0.0
                for a in 0..<3 {
                    let d = p.forces[3 * atom + a] - ref[3 * atom + a]
                    components.append(d)
                    s += d * d
                }
                norms.append(s.squareRoot())
            }
        }
        let r = components.map(abs).max() ?? 1
        let h1 = Self.histogram(components, low: -r, high: r, count: 60)
        let h2 = Self.histogram(norms, low: 0, high: norms.max() ?? 1, count: 60)
        let figures = "<figure>" + SVG.histogram(title: "Force component errors", xLabel: "F_pred − F_ref (eV/Å)", edges: h1.edges, counts: h1.counts, logarithmic: true)
            + "</figure><figure>" + SVG.histogram(title: "Force error per atom", xLabel: "|F_pred − F_ref| (eV/Å)", edges: h2.edges, counts: h2.counts, logarithmic: true, colour: "#e15759") + "</figure>"
        return "<div class=\"row\">\(figures)</div>" + Self.paragraph("\(components.count) components of \(norms.count) atoms, 60 bins over the full range, logarithmic count axis.")
    }

    /// Tables per quantity and, with several config types, RMSE bars per type.
    func configTypeContent(_ present: [ErrorQuantity], run: CrossValidationRun, types: [String]) -> String {
        var byType = ""
        for q in present {
            if let t = quantityTable(q, run) { byType += "<h3>\(SVG.escape(q.title)) (\(SVG.escape(q.unit)))</h3>\n" + t.html() + "\n" }
        }
        guard types.count > 1 else { return byType }
        var bars = ""
        for q in present where q != .forceVectors {
            let entries = types.map { t -> SVG.Bar in
                let spread = run.spread(q, .rmse, configType: t)
                let whisker = spread.mean.map { m in (max(0, m - (spread.standardDeviation ?? 0)), m + (spread.standardDeviation ?? 0)) }
                return SVG.Bar(label: t, value: run.pooled(t).flatMap { q.accumulator($0).rmse }, whisker: whisker)
            }
            bars += "<figure>" + SVG.bars(title: "\(q.title) RMSE by config type", unit: q.unit, bars: entries, colour: q == .energy ? "#4e79a7" : q == .virial ? "#59a14f" : "#f28e2b") + "</figure>"
        }
        return "<div class=\"row\">\(bars)</div>\n" + Self.paragraph("Bars: pooled RMSE of the config type. Whiskers: mean ± standard deviation of the per-fold RMSE.") + byType
    }

    /// RMSE against training frames, with its table.
    func learningCurveContent(_ present: [ErrorQuantity]) -> String {
        var plots = ""
        for q in present where q != .forceVectors {
            let points = result.learningCurve.compactMap { point -> (x: Double, y: Double, error: Double?)? in
                let s = point.run.spread(q, .rmse, configType: nil)
                guard point.run.failure == nil, let m = s.mean else { return nil }
                return (point.run.meanTrainingFrames, m, s.standardDeviation)
            }
            plots += "<figure>" + SVG.lines(
                title: "\(q.title) RMSE", xLabel: "training frames (mean over folds)", yLabel: "RMSE (\(q.unit))", logX: true, logY: true,
                series: [SVG.LineSeries(name: "mean ± sd over folds", colour: "#4e79a7", points: points)]) + "</figure>"
        }
        return "<div class=\"row\">\(plots)</div>\n" + curveTable(firstHeader: "training fraction", points: result.learningCurve.map { (Self.fraction($0.fraction), $0.run) }).html()
    }

    /// RMSE against the swept parameter (lines for numbers, bars otherwise), with its table.
    func sweepContent(_ sweep: (parameter: ParameterSweep, runs: [(value: String, run: CrossValidationRun)]), _ present: [ErrorQuantity]) -> String {
        let name = sweep.parameter.pathDescription
        let numeric = sweep.runs.allSatisfy { sweep.parameter.numericValue($0.value) != nil }
        var plots = ""
        for q in present where q != .forceVectors {
            if numeric {
                let xs = sweep.runs.map { sweep.parameter.numericValue($0.value)! }
                let logX = (xs.min() ?? 0) > 0 && (xs.max() ?? 0) >= 10 * (xs.min() ?? 1)
                let points = sweep.runs.compactMap { point -> (x: Double, y: Double, error: Double?)? in
                    let s = point.run.spread(q, .rmse, configType: nil)
                    guard point.run.failure == nil, let m = s.mean else { return nil }
                    return (sweep.parameter.numericValue(point.value)!, m, s.standardDeviation)
                }
                plots += "<figure>" + SVG.lines(
                    title: "\(q.title) RMSE", xLabel: name, yLabel: "RMSE (\(q.unit))", logX: logX, logY: false,
                    series: [SVG.LineSeries(name: "mean ± sd over folds", colour: "#f28e2b", points: points)]) + "</figure>"
            } else {
                let bars = sweep.runs.map { point -> SVG.Bar in
                    let s = point.run.spread(q, .rmse, configType: nil)
                    return SVG.Bar(
                        label: sweep.parameter.displayValue(point.value), value: s.mean,
                        whisker: s.mean.map { m in (max(0, m - (s.standardDeviation ?? 0)), m + (s.standardDeviation ?? 0)) })
                }
                plots += "<figure>" + SVG.bars(title: "\(q.title) RMSE by \(name)", unit: q.unit, bars: bars, colour: "#f28e2b") + "</figure>"
            }
        }
        return "<div class=\"row\">\(plots)</div>\n" + curveTable(firstHeader: name, points: sweep.runs.map { (sweep.parameter.displayValue($0.value), $0.run) }).html()
    }

    /// The page around the sections: inline styles, no scripts.
    func page(body: String) -> String {
        """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Cross-validation report: \(SVG.escape(result.config.sourceName))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #111; line-height: 1.4; }
            h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.8em; }
            h3 { font-size: 1.05em; } .subtitle { font-style: italic; color: #444; }
            table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
            th, td { border: 1px solid #d4d4d4; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
            th { background: #f3f3f3; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
            .row { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; flex: 1 1 420px; max-width: 460px; }
            figcaption { font-size: 0.8em; color: #555; }
            pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
            \(SVG.style)
            </style>
            </head>
            <body>
            \(body)
            </body>
            </html>

            """
    }
}
