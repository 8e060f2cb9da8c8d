import Foundation

/// Small, dependency-free SVG charts for the self-contained HTML report: parity plots,
/// histograms, horizontal bar charts and line plots with error bars. Everything is drawn in
/// user units of a fixed view box, so the charts scale with the page.
enum SVG {
    /// A named, coloured set of points.
    struct Series {
        var name: String
        var colour: String
        var points: [(x: Double, y: Double)]
    }

    /// A line-plot series: points with an optional symmetric error (same units as y).
    struct LineSeries {
        var name: String
        var colour: String
        var points: [(x: Double, y: Double, error: Double?)]
    }

    /// One horizontal bar with an optional whisker (low, high).
    struct Bar {
        var label: String
        var value: Double?
        var whisker: (low: Double, high: Double)?
    }

    /// Distinct colours for `count` categories: a fixed palette, then evenly spread hues.
    static func colours(_ count: Int) -> [String] {
        let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
        if count <= palette.count { return Array(palette.prefix(count)) }
        return (0..<count).map { i in
            let hue = (Double(i) * 137.508).truncatingRemainder(dividingBy: 360)
            return "hsl(\(Int(hue)), 60%, \(i % 2 == 0 ? 42 : 58)%)"
        }
    }

    // MARK: - Axes

    /// A linear or logarithmic axis mapping data to a pixel interval.
    struct Axis {
        var low: Double
        var high: Double
        var logarithmic: Bool
        var pixelLow: Double
        var pixelHigh: Double

        func position(_ v: Double) -> Double {
            let (a, b, x) = logarithmic ? (log10(low), log10(high), log10(max(v, low))) : (low, high, v)
            guard b > a else { return (pixelLow + pixelHigh) / 2 }
            return pixelLow + (x - a) / (b - a) * (pixelHigh - pixelLow)
        }

        /// Tick values: 1-2-5 steps (linear) or powers of ten (logarithmic).
        func ticks() -> [Double] {
            if logarithmic {
                // Powers of ten, with 2 and 5 times them when the axis spans under three decades.
                let first = Int(floor(log10(low))), last = Int(ceil(log10(high)))
                let multiples: [Double] = log10(high / low) < 3 ? [1, 2, 5] : [1]
                var ticks: [Double] = []
                for k in first...max(first, last) {
                    for m in multiples {
                        let t = m * pow(10, Double(k))
                        if t >= low * (1 - 1e-9) && t <= high * (1 + 1e-9) { ticks.append(t) }
                    }
                }
                return ticks.count >= 2 ? ticks : [low, high]
            }
            let step = SVG.niceStep((high - low) / 5)
            guard step > 0, step.isFinite else { return [low] }
            var t = (low / step).rounded(.up) * step
            var ticks: [Double] = []
            while t <= high + step * 1e-9 && ticks.count < 20 {
                ticks.append(abs(t) < step * 1e-9 ? 0 : t)
                t += step
            }
            return ticks
        }

        /// A padded linear range (or decade-aligned log range) covering `values`.
        static func range(_ values: [Double], logarithmic: Bool, includeZero: Bool = false, pad: Double = 0.05) -> (Double, Double) {
            let finite = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }
            guard var lo = finite.min(), var hi = finite.max() else { return logarithmic ? (1, 10) : (0, 1) }
            if logarithmic {
                // A margin of a quarter on either side, widened to at least a factor of 4 overall.
                lo /= 1.25
                hi *= 1.25
                if hi < 4 * lo {
                    let centre = (lo * hi).squareRoot()
                    lo = centre / 2
                    hi = centre * 2
                }
                return (lo, hi)
            }
            if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
            if hi <= lo {
                let d = lo == 0 ? 1 : abs(lo) * 0.1
                return (lo - d, hi + d)
            }
            let d = (hi - lo) * pad
            return (includeZero && lo == 0 ? 0 : lo - d, hi + d)
        }
    }

    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 0 }
        let power = pow(10, floor(log10(rough)))
        let f = rough / power
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power
    }

    /// Tick labels for a list of ticks: as many decimals as the linear step needs, the same for
    /// every tick; powers of ten on logarithmic axes.
    static func tickLabels(_ ticks: [Double], logarithmic: Bool) -> [String] {
        guard !logarithmic, ticks.count > 1 else { return ticks.map(label) }
        let step = abs(ticks[1] - ticks[0])
        let largest = ticks.map(abs).max() ?? 0
        if largest >= 1e5 || (largest < 1e-3 && largest > 0) { return ticks.map { String(format: "%.2g", $0) } }
        let decimals = max(0, Int((-log10(step) - 1e-9).rounded(.up)))
        return ticks.map { $0 == 0 ? "0" : String(format: "%.\(decimals)f", $0) }
    }

    /// A single value's label: short, without trailing zeros.
    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.0e", v) }
        var s = String(format: a >= 100 ? "%.0f" : a >= 1 ? "%.2f" : "%.4f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// Plot area in a view box of `width` x `height`.
    struct Canvas {
        var width: Double
        var height: Double
        var left = 62.0, right = 12.0, top = 30.0, bottom = 44.0
        var body = ""

        var plotLeft: Double { left }
        var plotRight: Double { width - right }
        var plotTop: Double { top }
        var plotBottom: Double { height - bottom }

        mutating func add(_ s: String) { body += s + "\n" }

        /// Frame, grid, ticks and labels for the two axes, and the title.
        mutating func axes(x: Axis, y: Axis, xLabel: String, yLabel: String, title: String) {
            add("<text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"title\">\(escape(title))</text>")
            let xTicks = x.ticks(), yTicks = y.ticks()
            for (t, text) in zip(xTicks, tickLabels(xTicks, logarithmic: x.logarithmic)) {
                let px = x.position(t)
                add("<line x1=\"\(f(px))\" y1=\"\(f(plotTop))\" x2=\"\(f(px))\" y2=\"\(f(plotBottom))\" class=\"grid\"/>")
                add("<text x=\"\(f(px))\" y=\"\(f(plotBottom + 14))\" text-anchor=\"middle\" class=\"tick\">\(text)</text>")
            }
            for (t, text) in zip(yTicks, tickLabels(yTicks, logarithmic: y.logarithmic)) {
                let py = y.position(t)
                add("<line x1=\"\(f(plotLeft))\" y1=\"\(f(py))\" x2=\"\(f(plotRight))\" y2=\"\(f(py))\" class=\"grid\"/>")
                add("<text x=\"\(f(plotLeft - 4))\" y=\"\(f(py + 3.5))\" text-anchor=\"end\" class=\"tick\">\(text)</text>")
            }
            add("<rect x=\"\(f(plotLeft))\" y=\"\(f(plotTop))\" width=\"\(f(plotRight - plotLeft))\" height=\"\(f(plotBottom - plotTop))\" class=\"frame\"/>")
            add("<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\" class=\"axis\">\(escape(xLabel))</text>")
            add("<text transform=\"translate(14 \(f((plotTop + plotBottom) / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(escape(yLabel))</text>")
        }

        /// A legend in the top-left corner of the plot area.
        mutating func legend(_ entries: [(name: String, colour: String)], line: Bool = false) {
            guard !entries.isEmpty else { return }
            let x = plotLeft + 8
            var y = plotTop + 12
            let width = 16 + 6.2 * Double(entries.map(\.name.count).max() ?? 0)
            add("<rect x=\"\(f(x - 4))\" y=\"\(f(y - 10))\" width=\"\(f(width))\" height=\"\(f(Double(entries.count) * 13 + 4))\" class=\"legend\"/>")
            for e in entries {
                if line {
                    add("<line x1=\"\(f(x))\" y1=\"\(f(y - 3))\" x2=\"\(f(x + 10))\" y2=\"\(f(y - 3))\" stroke=\"\(e.colour)\" stroke-width=\"2\"/>")
                } else {
                    add("<circle cx=\"\(f(x + 4))\" cy=\"\(f(y - 3))\" r=\"3.5\" fill=\"\(e.colour)\"/>")
                }
                add("<text x=\"\(f(x + 14))\" y=\"\(f(y))\" class=\"tick\">\(escape(e.name))</text>")
                y += 13
            }
        }

        func svg() -> String {
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" class=\"chart\">\n" + body + "</svg>"
        }
    }

    // MARK: - Charts

    /// Prediction (y) against reference (x), with the line y = x, coloured by series.
    static func parity(title: String, unit: String, series: [Series]) -> String {
        var c = Canvas(width: 440, height: 440)
        let all = series.flatMap { $0.points.flatMap { [$0.x, $0.y] } }
        let (lo, hi) = Axis.range(all, logarithmic: false)
        let x = Axis(low: lo, high: hi, logarithmic: false, pixelLow: c.plotLeft, pixelHigh: c.plotRight)
        let y = Axis(low: lo, high: hi, logarithmic: false, pixelLow: c.plotBottom, pixelHigh: c.plotTop)
        c.axes(x: x, y: y, xLabel: "reference (\(unit))", yLabel: "prediction (\(unit))", title: title)
        c.add("<line x1=\"\(f(x.position(lo)))\" y1=\"\(f(y.position(lo)))\" x2=\"\(f(x.position(hi)))\" y2=\"\(f(y.position(hi)))\" class=\"diagonal\"/>")
        for s in series {
            var path = ""
            for p in s.points {
                // Tiny circles as round-capped path segments: compact for many points. Not of zero
                // length: some renderers (QtWebKit, as in wkhtmltopdf; older librsvg) draw no cap
                // on a zero-length segment, which left parity plots empty there.
                path += "M\(f(x.position(p.x))) \(f(y.position(p.y)))h0.01"
            }
            c.add("<path d=\"\(path)\" stroke=\"\(s.colour)\" class=\"dots\"><title>\(escape(s.name))</title></path>")
        }
        if series.count > 1 || series.first?.name != "" {
            c.legend(series.map { ($0.name, $0.colour) })
        }
        return c.svg()
    }

    /// A histogram of counts per bin (bars), optionally with a logarithmic count axis.
    static func histogram(title: String, xLabel: String, edges: [Double], counts: [Int], logarithmic: Bool, colour: String = "#4e79a7") -> String {
        var c = Canvas(width: 440, height: 300)
        let maxCount = Double(counts.max() ?? 1)
        let x = Axis(low: edges.first ?? 0, high: edges.last ?? 1, logarithmic: false, pixelLow: c.plotLeft, pixelHigh: c.plotRight)
        let yHigh = logarithmic ? pow(10, ceil(log10(max(maxCount, 1)) + 1e-9)) : Axis.range([0, maxCount], logarithmic: false, includeZero: true).1
        let y = Axis(low: logarithmic ? 0.5 : 0, high: max(yHigh, 1), logarithmic: logarithmic, pixelLow: c.plotBottom, pixelHigh: c.plotTop)
        c.axes(x: x, y: y, xLabel: xLabel, yLabel: logarithmic ? "count (log scale)" : "count", title: title)
        for (i, n) in counts.enumerated() where n > 0 {
            let x0 = x.position(edges[i]), x1 = x.position(edges[i + 1])
            let top = y.position(Double(n))
            c.add("<rect x=\"\(f(x0))\" y=\"\(f(top))\" width=\"\(f(max(0.5, x1 - x0 - 0.5)))\" height=\"\(f(c.plotBottom - top))\" fill=\"\(colour)\"><title>\(label(edges[i])) to \(label(edges[i + 1])): \(n)</title></rect>")
        }
        return c.svg()
    }

    /// Horizontal bars, one per category, with optional whiskers.
    static func bars(title: String, unit: String, bars: [Bar], colour: String) -> String {
        let rowHeight = 18.0
        var c = Canvas(width: 440, height: 74 + rowHeight * Double(max(1, bars.count)))
        c.left = min(170, 14 + 6.5 * Double(bars.map(\.label.count).max() ?? 4))
        let values = bars.flatMap { b in [b.value, b.whisker?.high].compactMap { $0 } }
        let (_, hi) = Axis.range(values + [0], logarithmic: false, includeZero: true)
        let x = Axis(low: 0, high: hi, logarithmic: false, pixelLow: c.plotLeft, pixelHigh: c.plotRight)
        c.add("<text x=\"\(f(c.width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"title\">\(escape(title))</text>")
        let ticks = x.ticks()
        for (t, text) in zip(ticks, tickLabels(ticks, logarithmic: false)) {
            let px = x.position(t)
            c.add("<line x1=\"\(f(px))\" y1=\"\(f(c.plotTop))\" x2=\"\(f(px))\" y2=\"\(f(c.plotBottom))\" class=\"grid\"/>")
            c.add("<text x=\"\(f(px))\" y=\"\(f(c.plotBottom + 14))\" text-anchor=\"middle\" class=\"tick\">\(text)</text>")
        }
        c.add("<text x=\"\(f((c.plotLeft + c.plotRight) / 2))\" y=\"\(f(c.height - 8))\" text-anchor=\"middle\" class=\"axis\">\(escape(unit))</text>")
        for (i, b) in bars.enumerated() {
            let yTop = c.plotTop + 4 + rowHeight * Double(i)
            c.add("<text x=\"\(f(c.plotLeft - 4))\" y=\"\(f(yTop + 11))\" text-anchor=\"end\" class=\"tick\">\(escape(b.label))</text>")
            if let v = b.value {
                c.add("<rect x=\"\(f(c.plotLeft))\" y=\"\(f(yTop))\" width=\"\(f(max(0.5, x.position(v) - c.plotLeft)))\" height=\"\(f(rowHeight - 5))\" fill=\"\(colour)\"><title>\(escape(b.label)): \(label(v))</title></rect>")
            } else {
                c.add("<text x=\"\(f(c.plotLeft + 4))\" y=\"\(f(yTop + 11))\" class=\"tick\">no data</text>")
            }
            if let w = b.whisker {
                let mid = yTop + (rowHeight - 5) / 2
                c.add("<path d=\"M\(f(x.position(w.low))) \(f(mid))H\(f(x.position(w.high)))M\(f(x.position(w.low))) \(f(mid - 4))v8M\(f(x.position(w.high))) \(f(mid - 4))v8\" class=\"whisker\"/>")
            }
        }
        c.add("<line x1=\"\(f(c.plotLeft))\" y1=\"\(f(c.plotTop))\" x2=\"\(f(c.plotLeft))\" y2=\"\(f(c.plotBottom))\" class=\"axisline\"/>")
        return c.svg()
    }

    /// Lines with markers and error bars.
    static func lines(title: String, xLabel: String, yLabel: String, logX: Bool, logY: Bool, series: [LineSeries]) -> String {
        var c = Canvas(width: 440, height: 320)
        let xs = series.flatMap { $0.points.map(\.x) }
        let ys = series.flatMap { $0.points.flatMap { p in [p.y, p.y + (p.error ?? 0), p.y - (p.error ?? 0)] } }
        let (xl, xh) = Axis.range(xs, logarithmic: logX)
        let (yl, yh) = Axis.range(ys.filter { !logY || $0 > 0 }, logarithmic: logY, includeZero: !logY)
        let x = Axis(low: xl, high: xh, logarithmic: logX, pixelLow: c.plotLeft, pixelHigh: c.plotRight)
        let y = Axis(low: yl, high: yh, logarithmic: logY, pixelLow: c.plotBottom, pixelHigh: c.plotTop)
        c.axes(x: x, y: y, xLabel: xLabel, yLabel: yLabel, title: title)
        for s in series {
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) && (!logX || $0.x > 0) }
            guard !points.isEmpty else { continue }
            let path = points.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(f(x.position(p.x))) \(f(y.position(p.y)))" }.joined()
            c.add("<path d=\"\(path)\" stroke=\"\(s.colour)\" class=\"curve\"/>")
            for p in points {
                let px = x.position(p.x)
                if let e = p.error, e > 0 {
                    let low = logY ? max(p.y - e, yl) : p.y - e
                    c.add("<path d=\"M\(f(px)) \(f(y.position(low)))V\(f(y.position(p.y + e)))M\(f(px - 3)) \(f(y.position(low)))h6M\(f(px - 3)) \(f(y.position(p.y + e)))h6\" stroke=\"\(s.colour)\" class=\"errorbar\"/>")
                }
                c.add("<circle cx=\"\(f(px))\" cy=\"\(f(y.position(p.y)))\" r=\"3\" fill=\"\(s.colour)\"><title>\(escape(s.name)): x = \(label(p.x)), y = \(label(p.y))\(p.error.map { " ± " + label($0) } ?? "")</title></circle>")
            }
        }
        c.legend(series.map { ($0.name, $0.colour) }, line: true)
        return c.svg()
    }

    /// The style sheet the charts use (inlined in the report's head).
    static let style = """
        svg.chart { width: 100%; max-width: 460px; height: auto; font-family: system-ui, sans-serif; }
        svg.chart .title { font-size: 13px; font-weight: 600; }
        svg.chart .tick { font-size: 10px; fill: #333; }
        svg.chart .axis { font-size: 11px; fill: #111; }
        svg.chart .grid { stroke: #e4e4e4; stroke-width: 0.7; }
        svg.chart .frame { fill: none; stroke: #888; stroke-width: 0.8; }
        svg.chart .axisline { stroke: #888; stroke-width: 0.8; }
        svg.chart .diagonal { stroke: #222; stroke-width: 0.8; stroke-dasharray: 4 3; }
        svg.chart .dots { fill: none; stroke-width: 3.2; stroke-linecap: round; stroke-opacity: 0.7; }
        svg.chart .curve { fill: none; stroke-width: 1.6; }
        svg.chart .errorbar { fill: none; stroke-width: 1; }
        svg.chart .whisker { fill: none; stroke: #222; stroke-width: 1; }
        svg.chart .legend { fill: white; fill-opacity: 0.85; stroke: #ccc; stroke-width: 0.6; }
        """
}
