// The comparison charts, pure: braille dots where the series run, labels on the rows of their values,
// markers and legend, colours only when asked, and the SVG well-formed with every name in it.
import DefragSession
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Visualizer

private func chart(_ series: [ChartSeries], reference: ChartReference? = nil, x: ChartUnit = .bytes) -> Chart {
    Chart(title: "t", xAxis: ChartAxis(title: x == .bytes ? "bytes moved (cumulative)" : "pass", unit: x),
          yAxis: ChartAxis(title: "non-empty pages", unit: .count), series: series, reference: reference)
}

private func points(_ xy: [(Double, Double)]) -> [ChartPoint] { xy.map { ChartPoint(x: $0.0, y: $0.1) } }

/// The plot rows (after the title) of a drawing, as plain text.
private func plotRows(_ drawing: TerminalChart, height: Int) -> [String] {
    Array(drawing.text(colour: false).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[1...height])
}

/// The braille dots of a character (0 for anything else).
private func dots(_ c: Character) -> UInt32 {
    guard let s = c.unicodeScalars.first, (0x2800...0x28FF).contains(s.value) else { return 0 }
    return s.value - 0x2800
}

@Suite struct TerminalChartTests {
    @Test("a flat series at the top fills the top dot row of every cell and ends in its number")
    func flatSeries() {
        let drawing = TerminalChart(chart([ChartSeries(name: "a", points: points([(0, 9), (100, 9), (200, 9)]))], reference: ChartReference(name: "lower bound", y: 5)),
                                    plotWidth: 10, plotHeight: 4)
        let rows = plotRows(drawing, height: 4)
        #expect(rows[0] == "9 ┤⠉⠉⠉⠉⠉⠉⠉⠉⠉1")
        #expect(rows[3] == "5 ┤┈┈┈┈┈┈┈┈┈┈")
        #expect(rows[1].hasPrefix("  │") && rows[2].hasPrefix("  │"))
    }

    @Test("a falling diagonal starts in the top-left dot and ends at the bottom right")
    func diagonal() {
        let drawing = TerminalChart(chart([ChartSeries(name: "a", points: points([(0, 9), (1000, 5)]))]), plotWidth: 8, plotHeight: 3)
        let rows = plotRows(drawing, height: 3)
        let first = Array(rows[0].dropFirst(3)), last = Array(rows[2].dropFirst(3))
        #expect(dots(first[0]) & 0x01 != 0, "top-left dot: \(rows)")
        #expect(last.last == "1", "the end marker: \(rows)")
        #expect(rows[1].dropFirst(3).contains { dots($0) != 0 }, "the middle row is crossed: \(rows)")
    }

    @Test("every y label is on the row its value is drawn on")
    func labelsOnTheirRows() {
        // Flat series at 5, 6, 7, 8 and 9: each label's row carries the dots of the series of that value.
        let series = (5...9).map { ChartSeries(name: "y\($0)", points: points([(0, Double($0)), (10, Double($0))])) }
        let height = 14
        let rows = plotRows(TerminalChart(chart(series, x: .count), plotWidth: 20, plotHeight: height), height: height)
        var labelled = 0
        for row in rows {
            let label = row.prefix { $0 != "┤" && $0 != "│" }.trimmingCharacters(in: .whitespaces)
            guard !label.isEmpty else { continue }
            labelled += 1
            #expect(row.dropFirst(3).contains { dots($0) != 0 }, "label \(label) on a row without its series: \(rows)")
        }
        #expect(labelled >= 3)
        #expect(rows.first?.hasPrefix("9 ┤") == true && rows.last?.hasPrefix("5 ┤") == true)
    }

    @Test("series ending in one cell share a * marker; the legend numbers them and says where each ends")
    func legendAndSharedEnd() {
        let drawing = TerminalChart(chart([ChartSeries(name: "full", points: points([(0, 9), (4_194_304, 5)])),
                                           ChartSeries(name: "extensive", points: points([(0, 9), (2_097_152, 7), (4_194_304, 5)]))],
                                          reference: ChartReference(name: "lower bound", y: 5)), plotWidth: 16, plotHeight: 5)
        let text = drawing.text(colour: false)
        #expect(text.contains("*"))
        #expect(text.contains("  ━━ 1 full: 5 after 4 MiB\n"))
        #expect(text.contains("  ━━ 2 extensive: 5 after 4 MiB\n"))
        #expect(text.contains("  ┈┈   lower bound: 5\n"))
        #expect(text.contains("bytes moved (cumulative)"))
        let passes = TerminalChart(chart([ChartSeries(name: "fast", points: points([(0, 9), (1, 6), (2, 5)]))], x: .count), plotWidth: 16, plotHeight: 5)
        #expect(passes.text(colour: false).contains("  ━━ 1 fast: 5 after pass 2\n"))
    }

    @Test("colour: one ANSI colour per series and the reference dim, only when asked")
    func colours() {
        let drawing = TerminalChart(chart([ChartSeries(name: "a", points: points([(0, 9), (10, 5)])),
                                           ChartSeries(name: "b", points: points([(0, 9), (10, 7)]))],
                                          reference: ChartReference(name: "lower bound", y: 5)), plotWidth: 12, plotHeight: 4)
        let coloured = drawing.text(colour: true)
        #expect(coloured.contains("\u{1B}[36m━━ 1\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[33m━━ 2\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[2m┈"))
        #expect(!drawing.text(colour: false).contains("\u{1B}"))
        // Without the escapes, the two texts are the same.
        let stripped = coloured.replacingOccurrences(of: "\u{1B}\\[[0-9]+m", with: "", options: .regularExpression)
        #expect(stripped == drawing.text(colour: false))
    }

    @Test("degenerate charts draw without trapping", arguments: [0, 1, 2])
    func degenerate(_ kind: Int) {
        let series: [ChartSeries] = [[], [ChartSeries(name: "one", points: points([(0, 3)]))],
                                     [ChartSeries(name: "empty", points: []), ChartSeries(name: "same", points: points([(5, 5), (5, 5)]))]][kind]
        for (w, h) in [(0, 0), (1, 1), (8, 3), (80, 20)] {
            let drawing = TerminalChart(chart(series), plotWidth: w, plotHeight: h)
            // Title, plot rows, axis, x labels, x title, legend heading, a line per series.
            #expect(drawing.lines.count == 1 + max(3, h) + 3 + 1 + series.count)
        }
    }
}

/// Elements and texts of an XML document; a parse error throws.
private final class XMLCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var texts: [String] = []
    private var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append((name, attributes))
        text = ""
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if !text.isEmpty { texts.append(text) }
        text = ""
    }
    static func parse(_ text: String) throws -> XMLCollector {
        let collector = XMLCollector(), parser = XMLParser(data: Data(text.utf8))
        parser.delegate = collector
        if !parser.parse() { throw parser.parserError ?? CocoaError(.fileReadCorruptFile) }
        return collector
    }
}

@Suite struct ChartSVGTests {
    @Test("names with XML's special characters are escaped: the document parses and keeps them")
    func escaping() throws {
        let names = ["a<b", "c & d", "\"q\" 'r'"]
        let svg = chart(names.enumerated().map { ChartSeries(name: $1, points: points([(0, 9), (Double($0 + 1) * 1000, 5)])) },
                        reference: ChartReference(name: "lower bound", y: 5)).svg()
        let xml = try XMLCollector.parse(svg)
        #expect(xml.elements.first?.name == "svg")
        #expect(xml.elements.filter { $0.name == "polyline" }.count == 3)
        for name in names { #expect(xml.texts.contains(name), "\(name) missing from \(xml.texts)") }
        #expect(xml.elements.filter { $0.name == "g" }.compactMap { $0.attributes["data-name"] } == names)
        #expect(xml.elements.contains { $0.name == "line" && $0.attributes["class"] == "reference" })
    }

    @Test("points map into the plot area: the start top-left, the end bottom-right")
    func geometry() throws {
        let svg = chart([ChartSeries(name: "a", points: points([(0, 9), (100, 5)]))]).svg(width: 800, height: 450)
        let xml = try XMLCollector.parse(svg)
        let line = try #require(xml.elements.first { $0.name == "polyline" }?.attributes["points"])
        let xy = line.split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
        #expect(xy.count == 2)
        #expect(xy[0][0] < xy[1][0] && xy[0][1] < xy[1][1], "\(xy)")
        for p in xy { #expect(p[0] >= 0 && p[0] <= 800 && p[1] >= 0 && p[1] <= 450) }
    }

    @Test("ticks: steps of 1, 2 or 5 of a unit; bytes in binary units")
    func ticks() {
        #expect(Chart.ticks(0...(17.8 * 1_048_576), unit: .bytes) == [0, 5, 10, 15].map { $0 * 1_048_576 })
        #expect(Chart.ticks(5...9, unit: .count) == [5, 6, 7, 8, 9])
        #expect(Chart.ticks(0...11, unit: .count) == [0, 2, 4, 6, 8, 10])
        #expect(Chart.ticks(3...4, unit: .count) == [3, 4])
        #expect(Chart.ticks(0...3000, unit: .bytes) == [0, 500, 1000, 1500, 2000, 2500, 3000])
    }
}
