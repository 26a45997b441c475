// A chart as a standalone SVG document: axes with ticks and titles (units included), one polyline per
// series with a dot at each point, the reference line dashed, a legend naming every series. Pure.

extension Chart {
    /// The series' stroke colours, in order; series beyond them reuse them.
    public static let svgColours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The chart as an SVG document of `width` × `height` user units (the legend takes a column on the right).
    public func svg(width: Int = 800, height: Int = 450) -> String {
        let legendWidth = 10 + min(260, 60 + 7 * ((series.map(\.name.count) + [reference?.name.count ?? 0]).max() ?? 0))
        let left = 70.0, top = 40.0, bottom = 60.0, right = Double(legendWidth) + 20
        let plotWidth = max(40, Double(width) - left - right), plotHeight = max(40, Double(height) - top - bottom)
        let (xr, yr) = bounds
        func sx(_ x: Double) -> Double { left + (x - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * plotWidth }
        func sy(_ y: Double) -> Double { top + (yr.upperBound - y) / (yr.upperBound - yr.lowerBound) * plotHeight }
        func n(_ v: Double) -> String {
            let r = (v * 10).rounded() / 10
            return r == r.rounded() ? "\(Int(r))" : "\(r)"
        }

        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="12">
        <title>\(Self.escape(title))</title>
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="white"/>
        <text x="\(n(left))" y="22" font-size="15" font-weight="bold">\(Self.escape(title))</text>

        """
        // Grid, ticks and their labels.
        for value in Self.ticks(xr, unit: xAxis.unit) {
            let x = n(sx(value))
            out += "<line x1=\"\(x)\" y1=\"\(n(top))\" x2=\"\(x)\" y2=\"\(n(top + plotHeight))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(x)\" y=\"\(n(top + plotHeight + 18))\" text-anchor=\"middle\">\(Self.escape(xAxis.unit.label(value)))</text>\n"
        }
        for value in Self.ticks(yr, unit: yAxis.unit) {
            let y = n(sy(value))
            out += "<line x1=\"\(n(left))\" y1=\"\(y)\" x2=\"\(n(left + plotWidth))\" y2=\"\(y)\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(n(left - 8))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Self.escape(yAxis.unit.label(value)))</text>\n"
        }
        // Axes and their titles.
        out += "<line x1=\"\(n(left))\" y1=\"\(n(top + plotHeight))\" x2=\"\(n(left + plotWidth))\" y2=\"\(n(top + plotHeight))\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(n(left))\" y1=\"\(n(top))\" x2=\"\(n(left))\" y2=\"\(n(top + plotHeight))\" stroke=\"black\"/>\n"
        out += "<text x=\"\(n(left + plotWidth / 2))\" y=\"\(n(top + plotHeight + 42))\" text-anchor=\"middle\">\(Self.escape(xAxis.title))</text>\n"
        out += "<text x=\"18\" y=\"\(n(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(n(top + plotHeight / 2)))\">\(Self.escape(yAxis.title))</text>\n"

        if let reference {
            let y = n(sy(reference.y))
            out += "<line class=\"reference\" x1=\"\(n(left))\" y1=\"\(y)\" x2=\"\(n(left + plotWidth))\" y2=\"\(y)\" stroke=\"#777777\" stroke-dasharray=\"6 4\"/>\n"
        }
        for (index, s) in series.enumerated() {
            let colour = Self.svgColours[index % Self.svgColours.count]
            let points = s.points.map { "\(n(sx($0.x))),\(n(sy($0.y)))" }.joined(separator: " ")
            out += "<g class=\"series\" data-name=\"\(Self.escape(s.name))\">\n"
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points)\"><title>\(Self.escape(s.name))</title></polyline>\n"
            for p in s.points {
                out += "<circle cx=\"\(n(sx(p.x)))\" cy=\"\(n(sy(p.y)))\" r=\"2.5\" fill=\"\(colour)\"/>\n"
            }
            out += "</g>\n"
        }

        // The legend, right of the plot.
        let lx = left + plotWidth + 20
        out += "<g class=\"legend\">\n"
        var ly = top + 6
        for (index, s) in series.enumerated() {
            let colour = Self.svgColours[index % Self.svgColours.count]
            out += "<line x1=\"\(n(lx))\" y1=\"\(n(ly))\" x2=\"\(n(lx + 24))\" y2=\"\(n(ly))\" stroke=\"\(colour)\" stroke-width=\"3\"/>\n"
            out += "<text x=\"\(n(lx + 30))\" y=\"\(n(ly))\" dominant-baseline=\"middle\">\(Self.escape(s.name))</text>\n"
            ly += 20
        }
        if let reference {
            out += "<line x1=\"\(n(lx))\" y1=\"\(n(ly))\" x2=\"\(n(lx + 24))\" y2=\"\(n(ly))\" stroke=\"#777777\" stroke-dasharray=\"6 4\"/>\n"
            out += "<text x=\"\(n(lx + 30))\" y=\"\(n(ly))\" dominant-baseline=\"middle\">\(Self.escape("\(reference.name) (\(yAxis.unit.label(reference.y)))"))</text>\n"
        }
        out += "</g>\n</svg>\n"
        return out
    }

    /// At most seven ticks across `range`, in steps of 1, 2 or 5 × 10ⁿ: whole numbers for counts; for bytes,
    /// of the largest binary unit (KiB, MiB, …) that fits five times in the range, so labels read "5 MiB".
    static func ticks(_ range: ClosedRange<Double>, unit: ChartUnit) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return [range.lowerBound] }
        var base = 1.0
        if unit == .bytes { while base * 1024 <= span / 5 { base *= 1024 } }
        var step = base
        var magnitude = base
        outer: while true {
            for factor in [1.0, 2.0, 5.0] {
                step = magnitude * factor
                if span / step <= 6 { break outer }
            }
            magnitude *= 10
        }
        if unit == .count { step = max(1, step) }
        var values: [Double] = []
        var v = (range.lowerBound / step).rounded(.up) * step
        while v <= range.upperBound + step * 1e-9 {
            values.append(v)
            v += step
        }
        return values
    }

    /// Text for XML character data and attribute values (``XMLText/escape(_:)``).
    static func escape(_ text: String) -> String { XMLText.escape(text) }
}
