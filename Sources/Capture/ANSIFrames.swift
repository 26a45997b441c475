// Canvas → the terminal output that draws it: a whole frame, or only the cells that changed since the
// frame before. This is what a recording's "o" events carry.
import Visualizer

/// Turns successive canvases into terminal output. Keeps the last frame to send only differences.
public struct ANSIFrameEncoder {
    public let theme: Theme
    private var previous: Canvas?

    public init(theme: Theme = Theme(depth: .full)) { self.theme = theme }

    /// Forgets the last frame: the next ``encode(_:)`` redraws everything.
    public mutating func reset() { previous = nil }

    /// The output that turns the screen showing the last encoded frame into `canvas` (the whole frame the
    /// first time, after ``reset()`` or when the size changed; empty when nothing changed).
    public mutating func encode(_ canvas: Canvas) -> String {
        defer { previous = canvas }
        guard let previous, previous.width == canvas.width, previous.height == canvas.height else {
            return Self.fullFrame(canvas, theme: theme)
        }
        var out = ""
        for row in 0..<canvas.height {
            var first = -1, last = -1
            for column in 0..<canvas.width where canvas[column, row] != previous[column, row] {
                if first < 0 { first = column }
                last = column
            }
            guard first >= 0 else { continue }
            out += "\u{1B}[\(row + 1);\(first + 1)H"
            out += Self.cells(canvas, row: row, from: first, through: last, theme: theme)
        }
        return out.isEmpty ? out : out + "\u{1B}[0m"
    }

    /// The output that clears the screen and draws `canvas` from the top left, cursor hidden.
    public static func fullFrame(_ canvas: Canvas, theme: Theme = Theme(depth: .full)) -> String {
        var out = "\u{1B}[?25l\u{1B}[0m\u{1B}[2J"
        for row in 0..<canvas.height {
            out += "\u{1B}[\(row + 1);1H"
            out += cells(canvas, row: row, from: 0, through: canvas.width - 1, theme: theme)
        }
        return out + "\u{1B}[0m"
    }

    /// The cells of `row` from `first` through `last`, with a style change wherever the style changes.
    static func cells(_ canvas: Canvas, row: Int, from first: Int, through last: Int, theme: Theme) -> String {
        guard first <= last else { return "" }
        var out = ""
        var style: CellStyle?
        for column in first...last {
            let cell = canvas[column, row]
            let s = CellStyle(cell, theme: theme)
            if s != style { out += s.sgr; style = s }
            out.unicodeScalars.append(printable(cell.scalar))
        }
        return out
    }

    /// Control characters never reach the output (they would move the cursor).
    static func printable(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "?" : scalar
    }
}
