// Line charts of several series (a comparison's convergence curves, pages per pass): the data, and the
// chart drawn for a terminal in braille dots. Pure: data in, lines of text out. ChartSVG.swift writes the
// same chart as SVG.
import DefragSession

/// One point of a series.
public struct ChartPoint: Hashable, Sendable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// One line of a chart, named in its legend.
public struct ChartSeries: Hashable, Sendable {
    public var name: String
    public var points: [ChartPoint]
    public init(name: String, points: [ChartPoint]) {
        self.name = name
        self.points = points
    }
}

/// What an axis counts, for its tick labels.
public enum ChartUnit: Hashable, Sendable {
    /// Bytes: ticks read "16 MiB".
    case bytes
    /// Whole numbers (pages, passes).
    case count

    /// A tick's text.
    public func label(_ value: Double) -> String {
        switch self {
        case .bytes: return ByteFormat.short(Int(value.rounded()))
        case .count: return "\(Int(value.rounded()))"
        }
    }
}

public struct ChartAxis: Hashable, Sendable {
    /// The axis title, with its unit ("bytes moved (cumulative)").
    public var title: String
    public var unit: ChartUnit
    public init(title: String, unit: ChartUnit) {
        self.title = title
        self.unit = unit
    }
}

/// A horizontal line across a chart, named in its legend.
public struct ChartReference: Hashable, Sendable {
    public var name: String
    public var y: Double
    public init(name: String, y: Double) {
        self.name = name
        self.y = y
    }
}

/// Several series over the same two axes, and optionally a horizontal reference line.
public struct Chart: Hashable, Sendable {
    public var title: String
    public var xAxis: ChartAxis
    public var yAxis: ChartAxis
    public var series: [ChartSeries]
    /// A horizontal line (the pages' lower bound), named in the legend.
    public var reference: ChartReference?

    public init(title: String, xAxis: ChartAxis, yAxis: ChartAxis, series: [ChartSeries], reference: ChartReference? = nil) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.series = series
        self.reference = reference
    }

    /// The ranges the axes span: every point and the reference line; a range of one value is widened
    /// by one so that it has a length. Counts start at whole numbers.
    public var bounds: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let points = series.flatMap(\.points)
        var xs = points.map(\.x), ys = points.map(\.y)
        if let reference { ys.append(reference.y) }
        if xs.isEmpty { xs = [0] }
        if ys.isEmpty { ys = [0] }
        func range(_ values: [Double]) -> ClosedRange<Double> {
            let low = values.min()!, high = values.max()!
            return high > low ? low...high : low...(low + 1)
        }
        return (range(xs), range(ys))
    }
}

// MARK: - charts of a comparison

extension Chart {
    /// Which chart of a comparison.
    public enum ComparisonKind: String, CaseIterable, Sendable {
        /// Non-empty pages against cumulative bytes moved, one point per pass.
        case convergence
        /// Non-empty pages after each pass.
        case passes
    }

    /// The chart of `kind` for the results of a comparison, the pages' lower bound as its reference line.
    public static func comparison(_ results: [ComparisonRun], kind: ComparisonKind, title: String) -> Chart {
        let series = results.map { r in
            ChartSeries(name: r.label, points: r.curve.map { point in
                ChartPoint(x: Double(kind == .convergence ? point.cumulativeBytesMoved : point.pass), y: Double(point.nonEmptyPages))
            })
        }
        let xAxis = kind == .convergence ? ChartAxis(title: "bytes moved (cumulative)", unit: .bytes) : ChartAxis(title: "pass", unit: .count)
        let bound = results.first.map { Double($0.metricsAtEnd.lowerBoundPages) }
        return Chart(title: title, xAxis: xAxis, yAxis: ChartAxis(title: "non-empty pages", unit: .count), series: series,
                     reference: bound.map { ChartReference(name: "lower bound", y: $0) })
    }
}

// MARK: - the terminal drawing

/// A chart drawn in braille dots (2×4 per character cell), one colour per series.
public struct TerminalChart: Sendable {
    /// A piece of a line drawn in one colour.
    public struct Run: Hashable, Sendable {
        public var text: String
        /// The series (index into the chart's series) it belongs to; nil for axes and labels.
        public var series: Int?
        /// The reference line (drawn dim).
        public var isReference: Bool
    }

    /// The chart's lines, each a sequence of runs.
    public let lines: [[Run]]

    /// Draws `chart` with a plot area of `plotWidth` × `plotHeight` character cells (at least 8 × 3), the
    /// y-axis labels left of it, the x-axis labels and title under it, then a legend line per series.
    /// Each series' last point carries its number in the legend, so series stay told apart without colour.
    public init(_ chart: Chart, plotWidth: Int, plotHeight: Int) {
        let width = max(8, plotWidth), height = max(3, plotHeight)
        let (xr, yr) = chart.bounds
        let dotsX = width * 2, dotsY = height * 4
        func dot(_ p: ChartPoint) -> (Int, Int) {
            let fx = (p.x - xr.lowerBound) / (xr.upperBound - xr.lowerBound)
            let fy = (yr.upperBound - p.y) / (yr.upperBound - yr.lowerBound)
            return (Int((fx * Double(dotsX - 1)).rounded()), Int((fy * Double(dotsY - 1)).rounded()))
        }
        var bits = [UInt8](repeating: 0, count: width * height)
        var owner = [Int?](repeating: nil, count: width * height)
        var marker = [Character?](repeating: nil, count: width * height)
        func plot(_ x: Int, _ y: Int, series: Int) {
            guard x >= 0, y >= 0, x < dotsX, y < dotsY else { return }
            let cell = (y / 4) * width + x / 2
            let table: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
            bits[cell] |= table[x % 2][y % 4]
            owner[cell] = series
        }
        for (index, series) in chart.series.enumerated() {
            let dots = series.points.map(dot)
            guard var (x0, y0) = dots.first else { continue }
            plot(x0, y0, series: index)
            for (x1, y1) in dots.dropFirst() {
                // Bresenham from (x0, y0) to (x1, y1).
                let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
                var error = dx + dy, x = x0, y = y0
                while true {
                    plot(x, y, series: index)
                    if x == x1 && y == y1 { break }
                    let e2 = 2 * error
                    if e2 >= dy { error += dy; x += sx }
                    if e2 <= dx { error += dx; y += sy }
                }
                (x0, y0) = (x1, y1)
            }
            let (lx, ly) = dots.last!
            let cell = (ly / 4) * width + lx / 2
            let number = Character(index < 9 ? "\(index + 1)" : "+")
            marker[cell] = marker[cell] == nil || marker[cell] == number ? number : "*"
            owner[cell] = index
        }
        var referenceRow: Int?
        if let reference = chart.reference { referenceRow = dot(ChartPoint(x: xr.lowerBound, y: reference.y)).1 / 4 }

        // The y labels: top and bottom, and the ticks between (ChartSVG's) on the rows they fall on when
        // no other label is on that row or next to it.
        var yLabels = [String](repeating: "", count: height)
        yLabels[0] = chart.yAxis.unit.label(yr.upperBound)
        yLabels[height - 1] = chart.yAxis.unit.label(yr.lowerBound)
        for value in Chart.ticks(yr, unit: chart.yAxis.unit) {
            let row = dot(ChartPoint(x: xr.lowerBound, y: value)).1 / 4
            let label = chart.yAxis.unit.label(value)
            guard !yLabels.contains(label), yLabels[max(0, row - 1)...min(height - 1, row + 1)].allSatisfy(\.isEmpty) else { continue }
            yLabels[row] = label
        }
        let labelWidth = yLabels.map(\.count).max() ?? 0
        func padLeft(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }

        var lines: [[Run]] = [[Run(text: chart.title, series: nil, isReference: false)]]
        for row in 0..<height {
            var runs = [Run(text: padLeft(yLabels[row], labelWidth) + (yLabels[row].isEmpty ? " │" : " ┤"), series: nil, isReference: false)]
            for column in 0..<width {
                let cell = row * width + column
                let run: Run
                if let mark = marker[cell] {
                    run = Run(text: String(mark), series: mark == "*" ? nil : owner[cell], isReference: false)
                } else if bits[cell] != 0 {
                    run = Run(text: String(Character(Unicode.Scalar(0x2800 + UInt32(bits[cell]))!)), series: owner[cell], isReference: false)
                } else if row == referenceRow {
                    run = Run(text: "┈", series: nil, isReference: true)
                } else {
                    run = Run(text: " ", series: nil, isReference: false)
                }
                if let last = runs.last, last.series == run.series, last.isReference == run.isReference, runs.count > 1 {
                    runs[runs.count - 1].text += run.text
                } else {
                    runs.append(run)
                }
            }
            // No trailing blanks.
            while let last = runs.last, last.series == nil, !last.isReference, runs.count > 1, last.text.last == " " {
                runs[runs.count - 1].text = String(last.text.reversed().drop { $0 == " " }.reversed())
                if runs[runs.count - 1].text.isEmpty { runs.removeLast() }
            }
            lines.append(runs)
        }
        let indent = String(repeating: " ", count: labelWidth + 1)
        lines.append([Run(text: indent + "└" + String(repeating: "─", count: width), series: nil, isReference: false)])
        // The x labels: the left end, the middle, the right end, each under its place.
        let low = chart.xAxis.unit.label(xr.lowerBound), mid = chart.xAxis.unit.label((xr.lowerBound + xr.upperBound) / 2)
        let high = chart.xAxis.unit.label(xr.upperBound)
        var axis = Array(repeating: Character(" "), count: width + high.count)
        func place(_ text: String, at start: Int) {
            let begin = max(0, min(start, axis.count - text.count))
            guard axis[max(0, begin - 1)..<min(axis.count, begin + text.count + 1)].allSatisfy({ $0 == " " }) else { return }
            for (i, c) in text.enumerated() { axis[begin + i] = c }
        }
        place(low, at: 0)
        place(high, at: width - high.count)
        place(mid, at: width / 2 - mid.count / 2)
        lines.append([Run(text: indent + " " + String(axis.reversed().drop { $0 == " " }.reversed()), series: nil, isReference: false)])
        lines.append([Run(text: indent + " " + padLeft(chart.xAxis.title, width), series: nil, isReference: false)])
        lines.append([Run(text: "\(chart.yAxis.title), by series:", series: nil, isReference: false)])
        for (index, series) in chart.series.enumerated() {
            // "5 after 15.4 MiB", "5 after pass 4".
            let xPrefix = chart.xAxis.unit == .count ? chart.xAxis.title + " " : ""
            let last = series.points.last.map { "\(chart.yAxis.unit.label($0.y)) after \(xPrefix)\(chart.xAxis.unit.label($0.x))" } ?? "no points"
            lines.append([Run(text: "  ", series: nil, isReference: false),
                          Run(text: "━━ \(index < 9 ? "\(index + 1)" : "+")", series: index, isReference: false),
                          Run(text: " \(series.name): \(last)", series: nil, isReference: false)])
        }
        if let reference = chart.reference {
            lines.append([Run(text: "  ", series: nil, isReference: false), Run(text: "┈┈", series: nil, isReference: true),
                          Run(text: "   \(reference.name): \(chart.yAxis.unit.label(reference.y))", series: nil, isReference: false)])
        }
        self.lines = lines
    }

    /// The series' colours as ANSI SGR codes, in order; series beyond them reuse them.
    public static let ansiColours = ["36", "33", "35", "32", "34", "31"]

    /// The chart as text, each line ending in a newline; with `colour`, ANSI colours per series (the
    /// reference line dim).
    public func text(colour: Bool) -> String {
        var out = ""
        for line in lines {
            for run in line {
                if colour, let series = run.series {
                    out += "\u{1B}[\(Self.ansiColours[series % Self.ansiColours.count])m\(run.text)\u{1B}[0m"
                } else if colour && run.isReference {
                    out += "\u{1B}[2m\(run.text)\u{1B}[0m"
                } else {
                    out += run.text
                }
            }
            out += "\n"
        }
        return out
    }
}
