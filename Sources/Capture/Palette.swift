// The colours a captured frame is drawn in: the Theme's roles at a colour depth, resolved to the escape
// codes a terminal reads (recordings) and to RGB (SVG screenshots, which have no terminal to ask).
import Visualizer

/// How a cell looks once its roles went through a ``Theme``: terminal colours and attributes, reverse
/// video not yet applied.
struct CellStyle: Hashable {
    var foreground: TerminalColour
    var background: TerminalColour
    var attributes: Attributes

    init(_ cell: Cell, theme: Theme) {
        foreground = theme.colour(cell.foreground)
        background = theme.colour(cell.background)
        attributes = cell.attributes.union(theme.extraAttributes(foreground: cell.foreground, background: cell.background))
    }

    /// The SGR sequence that sets exactly this style from any other (it starts with a reset).
    var sgr: String {
        var codes = ["0"]
        if attributes.contains(.bold) { codes.append("1") }
        if attributes.contains(.dim) { codes.append("2") }
        if attributes.contains(.underline) { codes.append("4") }
        if attributes.contains(.reverse) { codes.append("7") }
        if case .index(let i) = foreground { codes.append(i < 8 ? "3\(i)" : i < 16 ? "9\(i - 8)" : "38;5;\(i)") }
        if case .index(let i) = background { codes.append(i < 8 ? "4\(i)" : i < 16 ? "10\(i - 8)" : "48;5;\(i)") }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
}

/// RGB values of the xterm 256-colour palette, and the default colours a screenshot assumes (light text
/// on a near-black terminal).
public enum Palette {
    public static let defaultForeground = RGB(0xD0, 0xD0, 0xD0)
    public static let defaultBackground = RGB(0x12, 0x12, 0x12)

    public struct RGB: Hashable, Sendable, CustomStringConvertible {
        public var r: Int, g: Int, b: Int
        public init(_ r: Int, _ g: Int, _ b: Int) { self.r = r; self.g = g; self.b = b }
        /// `#rrggbb`.
        public var description: String {
            let hex = [r, g, b].map { v -> String in
                let s = String(v, radix: 16)
                return s.count == 1 ? "0" + s : s
            }
            return "#" + hex.joined()
        }
    }

    /// The 16 system colours as xterm draws them.
    static let system: [RGB] = [
        RGB(0x00, 0x00, 0x00), RGB(0xCD, 0x00, 0x00), RGB(0x00, 0xCD, 0x00), RGB(0xCD, 0xCD, 0x00),
        RGB(0x00, 0x00, 0xEE), RGB(0xCD, 0x00, 0xCD), RGB(0x00, 0xCD, 0xCD), RGB(0xE5, 0xE5, 0xE5),
        RGB(0x7F, 0x7F, 0x7F), RGB(0xFF, 0x00, 0x00), RGB(0x00, 0xFF, 0x00), RGB(0xFF, 0xFF, 0x00),
        RGB(0x5C, 0x5C, 0xFF), RGB(0xFF, 0x00, 0xFF), RGB(0x00, 0xFF, 0xFF), RGB(0xFF, 0xFF, 0xFF),
    ]

    /// The RGB of palette index `index` (0–255; others are clamped).
    public static func rgb(index: Int) -> RGB {
        let i = max(0, min(255, index))
        if i < 16 { return system[i] }
        if i < 232 {
            let levels = [0, 95, 135, 175, 215, 255]
            let c = i - 16
            return RGB(levels[c / 36], levels[c / 6 % 6], levels[c % 6])
        }
        let grey = 8 + 10 * (i - 232)
        return RGB(grey, grey, grey)
    }

    /// The RGB of `colour` used as a foreground (`isForeground`) or a background.
    public static func rgb(_ colour: TerminalColour, isForeground: Bool) -> RGB {
        switch colour {
        case .terminalDefault: return isForeground ? defaultForeground : defaultBackground
        case .index(let i): return rgb(index: i)
        }
    }
}
