// A grid of styled cells: what the Visualizer draws into and what TerminalUI copies to the terminal.
// Cells hold Unicode scalars, not Strings, so a frame allocates one array and nothing per cell.

/// A semantic colour: the renderer says what a cell *is*; a ``Theme`` decides what colour that is.
public enum Role: UInt8, CaseIterable, Sendable {
    case background, text, dimText
    /// Free bytes inside a page.
    case free
    /// Allocations by size class (``sizeClass(ofSize:)``), smallest first.
    case size0, size1, size2, size3, size4, size5
    /// Allocations by resource type.
    case buffer, imageOptimal, imageLinear, unknownType
    /// Free bytes an allocation left in the last pass.
    case movedSource
    /// An allocation that arrived in the last pass.
    case movedDestination
    /// A page released by the last pass.
    case freedPage
    /// A page made immovable during the run (or a dedicated page).
    case immovable
    case header, keybar, keybarKey, selection, warning, panelTitle, sparkline, border

    /// Number of size classes.
    public static let sizeClassCount = sizeClasses.count

    /// The role of size class `index` (clamped to the classes there are).
    public static func sizeClass(_ index: Int) -> Role {
        sizeClasses[max(0, min(sizeClassCount - 1, index))]
    }

    private static let sizeClasses: [Role] = [.size0, .size1, .size2, .size3, .size4, .size5]

    /// Whether this role stands for allocated bytes (an "ink" segment of a bar).
    public var isAllocation: Bool {
        (Role.size0.rawValue...Role.unknownType.rawValue).contains(rawValue) || self == .movedDestination
    }
}

/// Text attributes of a cell.
public struct Attributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = Attributes(rawValue: 1 << 0)
    public static let reverse = Attributes(rawValue: 1 << 1)
    public static let underline = Attributes(rawValue: 1 << 2)
    public static let dim = Attributes(rawValue: 1 << 3)
}

/// One character cell. Every glyph the renderer emits is one column wide.
public struct Cell: Hashable, Sendable {
    public var scalar: Unicode.Scalar
    public var foreground: Role
    public var background: Role
    public var attributes: Attributes

    public init(_ scalar: Unicode.Scalar = " ", foreground: Role = .text, background: Role = .background,
                attributes: Attributes = []) {
        self.scalar = scalar
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public var character: Character { Character(scalar) }
    public static let blank = Cell()
}

/// A width × height grid of cells, row-major. Writes outside the grid are dropped, so drawing code never
/// needs to check bounds and a 0×0 canvas is valid.
public struct Canvas: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
    }

    @inline(__always)
    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    @inline(__always)
    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Sets one cell if it is inside the grid.
    @inline(__always)
    public mutating func put(_ x: Int, _ y: Int, _ scalar: Unicode.Scalar, _ foreground: Role = .text,
                             _ background: Role = .background, _ attributes: Attributes = []) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        cells[y * width + x] = Cell(scalar, foreground: foreground, background: background, attributes: attributes)
    }

    /// Fills a rectangle (clipped to the grid).
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, with cell: Cell) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            let base = row * width
            for column in x0..<x1 { cells[base + column] = cell }
        }
    }

    /// Writes `text` from (`x`, `y`), at most `maxWidth` columns, clipped to the grid. Control characters,
    /// wide and combining characters become `?` (every cell holds one column); with `ascii`, so does
    /// anything outside ASCII.
    /// - Returns: the column after the last one written.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, maxWidth: Int = .max, foreground: Role = .text,
                               background: Role = .background, attributes: Attributes = [], ascii: Bool = false) -> Int {
        var column = x
        let limit = maxWidth == .max ? Int.max : x + max(0, maxWidth)
        for scalar in text.unicodeScalars {
            if column >= limit { break }
            if ascii, scalar.value >= 0x7F, let replacement = Canvas.asciiReplacements[scalar] {
                for r in replacement.unicodeScalars where column < limit {
                    put(column, y, r, foreground, background, attributes)
                    column += 1
                }
                continue
            }
            put(column, y, Canvas.displayable(scalar, ascii: ascii), foreground, background, attributes)
            column += 1
        }
        return column
    }

    /// ASCII spellings of the few non-ASCII characters the program's own text uses.
    static let asciiReplacements: [Unicode.Scalar: String] = [
        "∞": "inf", "µ": "u", "…": "...", "→": "->", "←": "<-", "·": "-", "│": "|", "─": "-", "×": "x",
        "↑": "^", "↓": "v", "⏎": "Enter", "␣": "Spc", "≥": ">=",
    ]

    /// Columns `text` takes when written (with `ascii`, replacements may be longer).
    public static func displayWidth(_ text: String, ascii: Bool) -> Int {
        var width = 0
        for scalar in text.unicodeScalars {
            if ascii, scalar.value >= 0x7F, let replacement = asciiReplacements[scalar] { width += replacement.unicodeScalars.count }
            else { width += 1 }
        }
        return width
    }

    /// Writes `text`, ending it with `…` when it is longer than `maxWidth`.
    @discardableResult
    public mutating func writeTruncated(_ text: String, x: Int, y: Int, maxWidth: Int, foreground: Role = .text,
                                        background: Role = .background, attributes: Attributes = [], ascii: Bool = false) -> Int {
        guard maxWidth > 0 else { return x }
        let scalars = text.unicodeScalars
        if Canvas.displayWidth(text, ascii: ascii) <= maxWidth {
            return write(text, x: x, y: y, maxWidth: maxWidth, foreground: foreground, background: background,
                         attributes: attributes, ascii: ascii)
        }
        let head = String(String.UnicodeScalarView(scalars.prefix(maxWidth - 1)))
        let end = write(head, x: x, y: y, maxWidth: maxWidth - 1, foreground: foreground, background: background,
                        attributes: attributes, ascii: ascii)
        put(end, y, ascii ? "~" : "…", foreground, background, attributes)
        return end + 1
    }

    /// The scalar drawn for `scalar`: itself when it takes exactly one column.
    public static func displayable(_ scalar: Unicode.Scalar, ascii: Bool) -> Unicode.Scalar {
        let v = scalar.value
        if v < 0x20 || (0x7F...0x9F).contains(v) { return "?" }
        if v < 0x7F { return scalar }
        if ascii { return "?" }
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark
            || scalar.properties.generalCategory == .format { return "?" }
        if isWide(v) { return "?" }
        return scalar
    }

    /// East Asian wide and fullwidth ranges, and emoji: two columns in a terminal.
    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// The rows as text (for tests and plain output).
    /// - Parameter trimming: drop trailing spaces of each row.
    public func lines(trimming: Bool = false) -> [String] {
        var result: [String] = []
        result.reserveCapacity(height)
        for row in 0..<height {
            var view = String.UnicodeScalarView()
            for column in 0..<width { view.append(cells[row * width + column].scalar) }
            var line = String(view)
            if trimming { while line.last == " " { line.removeLast() } }
            result.append(line)
        }
        return result
    }

    /// The roles of a row's cells from `x` for `count` cells (tests).
    public func foregrounds(row: Int, from x: Int, count: Int) -> [Role] {
        (x..<min(width, x + count)).map { self[$0, row].foreground }
    }
}
