// Recordings, SVG and text screenshots of hand-made canvases. The recording's output is replayed through a
// small terminal emulator (cursor moves, clears, SGR) to check it draws exactly the frames it was given.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Capture
import Visualizer

/// A grid a stream of the encoder's output is played onto: characters and the last SGR per cell.
struct VirtualTerminal {
    var width: Int, height: Int
    var chars: [[Unicode.Scalar]]
    var sgr: [[String]]
    var row = 0, column = 0
    var currentSGR = "0"

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        chars = Array(repeating: Array(repeating: " ", count: width), count: height)
        sgr = Array(repeating: Array(repeating: "0", count: width), count: height)
    }

    mutating func play(_ output: String) {
        let s = Array(output.unicodeScalars)
        var i = 0
        while i < s.count {
            if s[i] == "\u{1B}" {
                #expect(i + 1 < s.count && s[i + 1] == "[", "only CSI sequences are written")
                var j = i + 2
                var parameters = ""
                while j < s.count, !("A"..."Z").contains(s[j]) && !("a"..."z").contains(s[j]) { parameters.unicodeScalars.append(s[j]); j += 1 }
                switch s[j] {
                case "H":
                    let parts = parameters.split(separator: ";").map { Int($0)! }
                    row = parts[0] - 1
                    column = parts[1] - 1
                case "J": chars = Array(repeating: Array(repeating: " ", count: width), count: height)
                case "m": currentSGR = parameters
                case "l": #expect(parameters == "?25")
                default: Issue.record("unexpected sequence \(parameters)\(s[j])")
                }
                i = j + 1
                continue
            }
            #expect(s[i].value >= 0x20, "control character in output")
            chars[row][column] = s[i]
            sgr[row][column] = currentSGR
            column += 1
            i += 1
        }
    }

    var lines: [String] { chars.map { String(String.UnicodeScalarView($0)) } }
}

func sampleCanvas(_ variant: Int = 0) -> Canvas {
    var canvas = Canvas(width: 12, height: 4)
    canvas.fill(x: 0, y: 0, width: 12, height: 1, with: Cell(" ", foreground: .text, background: .header))
    canvas.write("pass \(variant)", x: 1, y: 0, background: .header, attributes: .bold)
    canvas.write("█▓<&>\"'", x: 0, y: 1, foreground: .buffer)
    canvas.put(7, 1, "x", .imageOptimal, .free, .reverse)
    canvas.write("dim", x: 0, y: 2, foreground: .dimText, attributes: [.dim, .underline])
    canvas.write(variant.isMultiple(of: 2) ? "even" : "odd", x: 0, y: 3, foreground: .size3)
    return canvas
}

@Suite struct ANSIFrameTests {
    @Test func fullFrameThenDifferencesRedrawEveryFrame() {
        var encoder = ANSIFrameEncoder()
        var terminal = VirtualTerminal(width: 12, height: 4)
        for variant in 0..<5 {
            let canvas = sampleCanvas(variant)
            terminal.play(encoder.encode(canvas))
            #expect(terminal.lines == canvas.lines(), "frame \(variant)")
        }
    }

    @Test func unchangedFrameWritesNothingAndChangesOnlyTouchChangedRows() {
        var encoder = ANSIFrameEncoder()
        _ = encoder.encode(sampleCanvas(0))
        #expect(encoder.encode(sampleCanvas(0)).isEmpty)
        let diff = encoder.encode(sampleCanvas(1))
        #expect(diff.hasPrefix("\u{1B}[1;7H\u{1B}[0;1;48;5;") && diff.contains("m1\u{1B}[4;1H"))   // "pass 0" → "pass 1": only the changed cell
        #expect(diff.contains("\u{1B}[4;1H"))
        #expect(!diff.contains("\u{1B}[2;") && !diff.contains("\u{1B}[3;"))
        #expect(!diff.contains("\u{1B}[2J"))
    }

    @Test func stylesFollowTheTheme() {
        var terminal = VirtualTerminal(width: 12, height: 4)
        terminal.play(ANSIFrameEncoder.fullFrame(sampleCanvas()))
        let theme = Theme(depth: .full)
        guard case .index(let header) = theme.colour(.header), case .index(let buffer) = theme.colour(.buffer) else {
            Issue.record("the 256-colour theme gives header and buffer palette colours"); return
        }
        #expect(terminal.sgr[0][1] == "0;1;48;5;\(header)")
        #expect(terminal.sgr[1][0] == "0;38;5;\(buffer)")
        #expect(terminal.sgr[1][7].hasPrefix("0;7;"))
        #expect(terminal.sgr[2][0].hasPrefix("0;2;4;"))
        // Without colours, the header is reverse video.
        var mono = VirtualTerminal(width: 12, height: 4)
        mono.play(ANSIFrameEncoder.fullFrame(sampleCanvas(), theme: Theme(depth: .none)))
        #expect(mono.sgr[0][1] == "0;1;7")
    }

    @Test func controlCharactersNeverReachTheOutput() {
        var canvas = Canvas(width: 3, height: 1)
        canvas.put(0, 0, "\u{1B}")
        canvas.put(1, 0, "\u{7}")
        let output = ANSIFrameEncoder.fullFrame(canvas)
        #expect(!output.unicodeScalars.contains("\u{7}"))
        var terminal = VirtualTerminal(width: 3, height: 1)
        terminal.play(output)
        #expect(terminal.lines == ["?? "])
    }
}

@Suite struct AsciicastTests {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("capture-\(UUID().uuidString)-\(name)").path
    }

    func jsonLines(_ path: String) throws -> [Any] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: [.fragmentsAllowed]) }
    }

    @Test func recordingHasAHeaderFramesAndMarkers() throws {
        let path = temporaryPath("a.cast")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try AsciicastWriter(path: path, width: 12, height: 4, title: "checker \"board\"", timestamp: 1_700_000_000)
        try writer.frame(sampleCanvas(0), at: 0)
        for pass in 1...3 {
            try writer.frame(sampleCanvas(pass), at: Double(pass) * 0.5)
            try writer.marker("pass \(pass): 2 moves", at: Double(pass) * 0.5)
        }
        try writer.frame(sampleCanvas(3), at: 9)  // unchanged: no event
        #expect(writer.markerCount == 3)
        writer.close()

        let lines = try jsonLines(path)
        let header = try #require(lines.first as? [String: Any])
        #expect(header["version"] as? Int == 2)
        #expect(header["width"] as? Int == 12 && header["height"] as? Int == 4)
        #expect(header["timestamp"] as? Int == 1_700_000_000)
        #expect(header["title"] as? String == "checker \"board\"")
        let events = lines.dropFirst().map { $0 as! [Any] }
        #expect(events.count == 7)
        #expect(events.compactMap { $0[1] as? String == "m" ? $0[2] as? String : nil } == ["pass 1: 2 moves", "pass 2: 2 moves", "pass 3: 2 moves"])
        let times = events.map { ($0[0] as! NSNumber).doubleValue }
        #expect(times == times.sorted() && times.last == 1.5)
        var terminal = VirtualTerminal(width: 12, height: 4)
        for e in events where e[1] as? String == "o" { terminal.play(e[2] as! String) }
        #expect(terminal.lines == sampleCanvas(3).lines())
    }

    @Test func aResizeIsAnEventAndRedrawsEverything() throws {
        let path = temporaryPath("r.cast")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try AsciicastWriter(path: path, width: 12, height: 4, title: "t", timestamp: 0)
        try writer.frame(sampleCanvas(), at: 0)
        var wide = Canvas(width: 20, height: 2)
        wide.write("wider", x: 0, y: 0)
        try writer.frame(wide, at: 1)
        writer.close()
        let events = try jsonLines(path).dropFirst().map { $0 as! [Any] }
        #expect(events.map { $0[1] as! String } == ["o", "r", "o"])
        #expect(events[1][2] as? String == "20x2")
        #expect((events[2][2] as! String).contains("\u{1B}[2J"))
    }

    @Test func everyLineIsCompleteAfterEachWrite() throws {
        // What a killed program leaves: the file as it is between two calls parses line by line.
        let path = temporaryPath("k.cast")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try AsciicastWriter(path: path, width: 12, height: 4, title: "k", timestamp: 0)
        for pass in 0..<4 {
            try writer.frame(sampleCanvas(pass), at: Double(pass))
            try writer.marker("pass \(pass)", at: Double(pass))
            let lines = try jsonLines(path)   // read while the writer is still open
            #expect(lines.count == 1 + 2 * (pass + 1))
        }
    }

    @Test func anUnwritablePathIsAClearError() {
        #expect(throws: CaptureError.self) { try AsciicastWriter(path: "/nonexistent-dir/x.cast", width: 10, height: 2, title: "t") }
        do { _ = try AsciicastWriter(path: "/nonexistent-dir/x.cast", width: 10, height: 2, title: "t") } catch {
            #expect("\(error)".hasPrefix("/nonexistent-dir/x.cast: cannot create the recording"))
        }
    }

    @Test func jsonStringsEscapeWhatJSONRequires() throws {
        let text = "a\"b\\c\nd\u{1B}[0m\u{7F}█"
        let parsed = try JSONSerialization.jsonObject(with: Data(Asciicast.jsonString(text).utf8), options: [.fragmentsAllowed])
        #expect(parsed as? String == text)
        #expect(Asciicast.time(1.5) == "1.500000" && Asciicast.time(-2) == "0.000000" && Asciicast.time(12.0000004) == "12.000000")
    }
}

/// Collects what an XML parser saw: the document is well-formed when parsing succeeds.
final class SVGCollector: NSObject, XMLParserDelegate {
    var texts: [String] = []
    var rects: [[String: String]] = []
    var textElements: [[String: String]] = []
    private var inText = false
    private var current = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if name == "rect" { rects.append(attributes) }
        if name == "text" { textElements.append(attributes); inText = true; current = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(current); inText = false }
    }
}

@Suite struct ScreenshotTests {
    func parse(_ svg: String) -> SVGCollector? {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = SVGCollector()
        parser.delegate = collector
        return parser.parse() ? collector : nil
    }

    @Test func svgIsWellFormedAndKeepsTextColoursAndReverse() throws {
        let svg = SVGScreenshot.render(sampleCanvas(2), title: "dump <a> & b")
        let doc = try #require(parse(svg), "well-formed XML")
        #expect(svg.contains("<title>dump &lt;a&gt; &amp; b</title>"))
        #expect(svg.contains("monospace"))
        #expect(doc.texts.contains("pass 2"))
        #expect(doc.texts.contains("█▓<&>\"'"))
        let theme = Theme(depth: .full)
        guard case .index(let header) = theme.colour(.header), case .index(let buffer) = theme.colour(.buffer),
              case .index(let image) = theme.colour(.imageOptimal) else { Issue.record("palette colours"); return }
        // The header row is one rectangle of the header colour across the width.
        #expect(doc.rects.contains { $0["y"] == "0" && $0["x"] == "0" && $0["width"] == "\(12 * SVGScreenshot.cellWidth)" && $0["fill"] == "\(Palette.rgb(index: header))" })
        #expect(doc.textElements.contains { $0["fill"] == "\(Palette.rgb(index: buffer))" })
        // The reverse cell: its background is the image colour, its text the free colour.
        #expect(doc.rects.contains { $0["x"] == "\(7 * SVGScreenshot.cellWidth)" && $0["fill"] == "\(Palette.rgb(index: image))" })
        let bold = try #require(doc.textElements.first { $0["class"]?.contains("b") == true })
        #expect(bold["x"] == "\(1 * SVGScreenshot.cellWidth)")
        #expect(doc.textElements.contains { $0["class"] == "d u" })
    }

    @Test func controlCharactersDoNotBreakTheXML() throws {
        var canvas = Canvas(width: 4, height: 1)
        canvas.put(0, 0, "\u{1}")
        canvas.put(1, 0, "<")
        let doc = try #require(parse(SVGScreenshot.render(canvas, title: "\u{2}")))
        #expect(doc.texts == ["?<"])
    }

    @Test func paletteMatchesXterm() {
        #expect("\(Palette.rgb(index: 16))" == "#000000")
        #expect("\(Palette.rgb(index: 39))" == "#00afff")
        #expect("\(Palette.rgb(index: 231))" == "#ffffff")
        #expect("\(Palette.rgb(index: 244))" == "#808080")
        #expect("\(Palette.rgb(index: 9))" == "#ff0000")
    }

    @Test func plainTextIsTheFrameTrimmed() {
        let text = PlainTextScreenshot.render(sampleCanvas(1))
        #expect(text == " pass 1\n█▓<&>\"'x\ndim\nodd\n")
    }
}

@Suite struct RecordingThemeTests {
    @Test func aNewThemeRedrawsTheNextFrameWholeInItsColours() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("theme-\(UUID().uuidString).cast").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try AsciicastWriter(path: path, width: nil, height: nil, title: "t", timestamp: 0)
        writer.theme = Theme(depth: .none)
        try writer.frame(sampleCanvas(0), at: 0)
        writer.theme = Theme(depth: .full)
        try writer.frame(sampleCanvas(0), at: 1)
        writer.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines[0].contains("\"width\": 12, \"height\": 4"))   // the first frame's size
        let outputs = try lines.dropFirst().map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [Any] }.map { $0[2] as! String }
        #expect(outputs.count == 2)
        #expect(outputs[0].contains("\u{1B}[0;1;7m") && !outputs[0].contains("48;5;"))   // monochrome: reverse header
        #expect(outputs[1].contains("\u{1B}[2J") && outputs[1].contains("48;5;"))
    }
}
