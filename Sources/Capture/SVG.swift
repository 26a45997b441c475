// Canvas → SVG: a screenshot of one frame as the terminal showed it. The cell grid becomes background
// rectangles (runs of one colour merged per row) and text runs placed cell by cell, in a monospace font
// stack; colours come from the theme, reverse cells swap them, bold, dim and underline are kept.
import Visualizer

public enum SVGScreenshot {
    /// Cell size in SVG user units (pixels).
    public static let cellWidth = 9
    public static let cellHeight = 18
    static let fontSize = 15
    static let fontFamily = "'DejaVu Sans Mono', 'Menlo', 'Consolas', 'Liberation Mono', monospace"

    /// The SVG document of `canvas`.
    /// - Parameter title: the document's `<title>` (e.g. the input and the pass).
    public static func render(_ canvas: Canvas, title: String, theme: Theme = Theme(depth: .full)) -> String {
        let w = canvas.width * cellWidth, h = canvas.height * cellHeight
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(w)" height="\(h)" viewBox="0 0 \(w) \(h)">
        <title>\(escape(title))</title>
        <style>text{font-family:\(fontFamily);font-size:\(fontSize)px;white-space:pre}.b{font-weight:bold}.d{opacity:0.6}.u{text-decoration:underline}</style>
        <rect width="100%" height="100%" fill="\(Palette.defaultBackground)"/>

        """
        for row in 0..<canvas.height {
            let styles = (0..<canvas.width).map { cellColours(canvas[$0, row], theme: theme) }
            // Backgrounds: runs of one colour other than the terminal's.
            var x = 0
            while x < canvas.width {
                let fill = styles[x].background
                var end = x + 1
                while end < canvas.width && styles[end].background == fill { end += 1 }
                if fill != Palette.defaultBackground {
                    out += "<rect x=\"\(x * cellWidth)\" y=\"\(row * cellHeight)\" width=\"\((end - x) * cellWidth)\" height=\"\(cellHeight)\" fill=\"\(fill)\"/>\n"
                }
                x = end
            }
            // Text: runs of one colour and attribute set; runs of spaces are left out.
            x = 0
            while x < canvas.width {
                let key = styles[x].text
                var end = x + 1
                while end < canvas.width && styles[end].text == key { end += 1 }
                var text = String.UnicodeScalarView()
                for column in x..<end { text.append(ANSIFrameEncoder.printable(canvas[column, row].scalar)) }
                if !key.attributes.contains(.underline) { while text.last == " " { text.removeLast() } }
                let string = String(text)
                let length = text.count
                if !string.isEmpty {
                    var classes: [String] = []
                    if key.attributes.contains(.bold) { classes.append("b") }
                    if key.attributes.contains(.dim) { classes.append("d") }
                    if key.attributes.contains(.underline) { classes.append("u") }
                    let classAttribute = classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\""
                    let baseline = row * cellHeight + cellHeight * 3 / 4 + 1
                    out += "<text x=\"\(x * cellWidth)\" y=\"\(baseline)\" textLength=\"\(length * cellWidth)\" lengthAdjust=\"spacingAndGlyphs\" fill=\"\(key.fill)\"\(classAttribute)>\(escape(string))</text>\n"
                }
                x = end
            }
        }
        return out + "</svg>\n"
    }

    struct TextKey: Hashable {
        var fill: Palette.RGB
        var attributes: Attributes
    }

    /// A cell's background fill and text style, reverse video applied.
    static func cellColours(_ cell: Cell, theme: Theme) -> (background: Palette.RGB, text: TextKey) {
        let style = CellStyle(cell, theme: theme)
        var fg = Palette.rgb(style.foreground, isForeground: true)
        var bg = Palette.rgb(style.background, isForeground: false)
        if style.attributes.contains(.reverse) { swap(&fg, &bg) }
        return (bg, TextKey(fill: fg, attributes: style.attributes.subtracting(.reverse)))
    }

    /// `text` safe inside an XML element or attribute (``XMLText/escape(_:)``).
    public static func escape(_ text: String) -> String { XMLText.escape(text) }
}

public enum PlainTextScreenshot {
    /// The frame's characters, one line per row, trailing spaces removed.
    public static func render(_ canvas: Canvas) -> String {
        canvas.lines(trimming: true).map { line in
            String(String.UnicodeScalarView(line.unicodeScalars.map(ANSIFrameEncoder.printable)))
        }.joined(separator: "\n") + "\n"
    }
}
