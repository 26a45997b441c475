// Maps semantic roles to terminal colours for each colour depth. Monochrome keeps moves and freed pages
// visible through attributes here and through the glyphs the renderer picks (`ViewState.monochrome`).

/// How many colours the terminal offers.
public enum ColourDepth: Int, Sendable, CaseIterable, Comparable {
    case none = 0, eight = 8, sixteen = 16, full = 256

    /// The depth a terminal reporting `colours` (ncurses' `COLORS`) supports; `noColour` (the `NO_COLOR`
    /// convention) forces none.
    public static func detect(colours: Int, hasColours: Bool, noColour: Bool) -> ColourDepth {
        if noColour || !hasColours { return .none }
        if colours >= 256 { return .full }
        if colours >= 16 { return .sixteen }
        if colours >= 8 { return .eight }
        return .none
    }

    public static func < (a: ColourDepth, b: ColourDepth) -> Bool { a.rawValue < b.rawValue }
}

/// A terminal colour: the terminal's default, or a palette index.
public enum TerminalColour: Hashable, Sendable {
    case terminalDefault
    case index(Int)

    /// ncurses' convention: -1 is the default colour (after `use_default_colors`).
    public var cursesValue: Int {
        switch self {
        case .terminalDefault: return -1
        case .index(let i): return i
        }
    }
}

/// Colours and attributes for every role at one colour depth.
public struct Theme: Sendable {
    public let depth: ColourDepth
    private let colours: [TerminalColour]

    public init(depth: ColourDepth) {
        self.depth = depth
        colours = Role.allCases.map { Theme.colour(for: $0, depth: depth) }
    }

    /// The colour of `role`, as a foreground or as a background.
    @inline(__always)
    public func colour(_ role: Role) -> TerminalColour { colours[Int(role.rawValue)] }

    /// Attributes the theme adds to a cell. Without colour, bars, header and selection need reverse video and
    /// freed or dimmed text needs dim to stay distinguishable.
    public func extraAttributes(foreground: Role, background: Role) -> Attributes {
        switch depth {
        case .none:
            var result: Attributes = []
            if background == .header || background == .keybar || background == .selection { result.insert(.reverse) }
            if foreground == .keybarKey || foreground == .panelTitle || foreground == .warning || foreground == .immovable { result.insert(.bold) }
            if foreground == .movedDestination { result.insert(.bold) }
            if foreground == .dimText || foreground == .freedPage { result.insert(.dim) }
            return result
        case .eight:
            // Eight colours have no dark grey: free space is the terminal background, so mark headers bold.
            return foreground == .keybarKey || foreground == .panelTitle || foreground == .warning ? [.bold] : []
        default:
            return foreground == .keybarKey || foreground == .panelTitle ? [.bold] : []
        }
    }

    /// Palette choices. 256: xterm cube; 16: bright variants; 8: the basic colours.
    static func colour(for role: Role, depth: ColourDepth) -> TerminalColour {
        switch depth {
        case .none:
            return .terminalDefault
        case .full:
            switch role {
            case .background, .text: return .terminalDefault
            case .dimText: return .index(244)
            case .free: return .index(236)
            case .size0: return .index(39)   // blue: smallest
            case .size1: return .index(44)   // cyan
            case .size2: return .index(78)   // green
            case .size3: return .index(184)  // yellow
            case .size4: return .index(208)  // orange
            case .size5: return .index(170)  // magenta: largest
            case .buffer: return .index(75)
            case .imageOptimal: return .index(141)
            case .imageLinear: return .index(215)
            case .unknownType: return .index(248)
            case .movedSource: return .index(124)
            case .movedDestination: return .index(231)
            case .freedPage: return .index(240)
            case .immovable: return .index(160)
            case .header: return .index(24)
            case .keybar: return .index(238)
            case .keybarKey: return .index(220)
            case .selection: return .index(25)
            case .warning: return .index(203)
            case .panelTitle: return .index(117)
            case .sparkline: return .index(114)
            case .border: return .index(240)
            }
        case .sixteen:
            switch role {
            case .background, .text: return .terminalDefault
            case .dimText, .freedPage, .border: return .index(8)
            case .free: return .index(0)
            case .size0: return .index(12)
            case .size1: return .index(14)
            case .size2: return .index(10)
            case .size3: return .index(11)
            case .size4: return .index(3)
            case .size5: return .index(13)
            case .buffer: return .index(12)
            case .imageOptimal: return .index(13)
            case .imageLinear: return .index(11)
            case .unknownType: return .index(7)
            case .movedSource: return .index(1)
            case .movedDestination: return .index(15)
            case .immovable, .warning: return .index(9)
            case .header, .selection: return .index(4)
            case .keybar: return .index(8)
            case .keybarKey: return .index(11)
            case .panelTitle: return .index(14)
            case .sparkline: return .index(10)
            }
        case .eight:
            switch role {
            case .background, .text, .free: return .terminalDefault
            case .dimText, .freedPage, .border, .unknownType: return .index(7)
            case .size0, .buffer: return .index(4)
            case .size1: return .index(6)
            case .size2: return .index(2)
            case .size3, .imageLinear: return .index(3)
            case .size4: return .index(3)
            case .size5, .imageOptimal: return .index(5)
            case .movedSource, .immovable, .warning: return .index(1)
            case .movedDestination: return .index(7)
            case .header, .selection, .keybar: return .index(4)
            case .keybarKey: return .index(3)
            case .panelTitle: return .index(6)
            case .sparkline: return .index(2)
            }
        }
    }
}
