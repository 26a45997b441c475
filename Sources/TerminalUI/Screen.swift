// The only drawing code that talks to ncurses: it copies a Canvas to the terminal, cell by changed cell.
import CNcursesw
import Visualizer
#if canImport(Glibc)
import Glibc
#endif

/// Errors of the terminal layer.
public enum TerminalUIError: Error, CustomStringConvertible {
    /// The terminal cannot run the UI; the message says why and what to use instead (exit status 2).
    case refused(String)
    /// `newterm` failed.
    case cannotStart(term: String)

    public var description: String {
        switch self {
        case .refused(let message): return message
        case .cannotStart(let term): return "defragscope watch: ncurses could not start on TERM=\(term)"
        }
    }
}

/// Locale setup: block characters need a UTF-8 codeset.
public enum TerminalLocale {
    /// Sets the locale from the environment. The locale says what the terminal can show: when its codeset
    /// is not UTF-8 (`LANG` unset, `LC_ALL=C`) the UI draws ASCII, as the issue asks, rather than overriding
    /// the user's locale with C.UTF-8 and sending block characters to a terminal that may not show them.
    /// - Returns: whether the codeset is UTF-8 (otherwise draw ASCII).
    public static func configure() -> Bool {
        setlocale(LC_ALL, "")
        return ds_codeset_is_utf8() != 0
    }
}

/// An ncurses screen on the process's terminal. Call ``end()`` (idempotent) before leaving; the event loop
/// does it on every path out, errors and signals included. A fatal signal (a trap, a crash, `kill -SEGV`)
/// restores the terminal in its handler. Flow control is off: Ctrl-S and Ctrl-Q are keys.
public final class Screen {
    public let depth: ColourDepth
    public let theme: Theme
    private var screen: OpaquePointer?
    private var previous: Canvas?
    private struct PairKey: Hashable { var foreground: Int; var background: Int }
    private var pairs: [PairKey: Int16] = [:]
    private var nextPair: Int16 = 1
    private var defaultColours = false
    private var attributeCache: [UInt8: attr_t] = [:]
    public private(set) var isActive = false

    /// Starts ncurses with `newterm` (never `initscr`, which exits the process on an unknown terminal).
    /// - Parameters:
    ///   - term: the terminal type (`TERM`).
    ///   - noColour: the `NO_COLOR` convention: draw without colour.
    ///   - mouse: report mouse clicks.
    /// - Throws: ``TerminalUIError/cannotStart(term:)`` when ncurses refuses the terminal.
    public init(term: String, noColour: Bool, mouse: Bool) throws {
        ds_save_shell_mode()
        guard let screen = term.withCString({ ds_newterm($0) }) else { throw TerminalUIError.cannotStart(term: term) }
        self.screen = screen
        isActive = true
        ds_install_signal_handlers()
        cbreak()
        noecho()
        nonl()
        ds_disable_flow_control()
        keypad(ds_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        leaveok(ds_stdscr(), true)
        if mouse { ds_enable_mouse() }
        var depth = ColourDepth.none
        if !noColour && has_colors() {
            start_color()
            defaultColours = use_default_colors() == OK
            depth = ColourDepth.detect(colours: Int(ds_colors()), hasColours: true, noColour: false)
        }
        self.depth = depth
        theme = Theme(depth: depth)
        // From here on a crash puts the terminal back before Swift's backtracer prints (shim.h), and what
        // the program writes to standard error waits in a file instead of scribbling over the frame.
        ds_prepare_crash_restore(mouse ? 1 : 0)
        ds_capture_stderr()
        ds_install_fatal_handlers()
    }

    deinit { end() }

    /// The terminal's size in cells.
    public var size: (width: Int, height: Int) {
        var y: Int32 = 0, x: Int32 = 0
        ds_getmaxyx(ds_stdscr(), &y, &x)
        return (Int(max(0, x)), Int(max(0, y)))
    }

    /// The signal (SIGINT, SIGTERM, SIGHUP) received since the last call, or 0.
    public func takeSignal() -> Int32 { ds_take_signal() }

    /// Shows `canvas`, sending ncurses only the cells that differ from the last frame.
    public func draw(_ canvas: Canvas) {
        guard isActive else { return }
        let full = previous.map { $0.width != canvas.width || $0.height != canvas.height } ?? true
        if full {
            erase()
            clearok(ds_stdscr(), true)
        }
        let width = canvas.width
        canvas.cells.withUnsafeBufferPointer { cells in
            previous.map { old in
                old.cells.withUnsafeBufferPointer { oldCells in
                    for index in 0..<cells.count where full || cells[index] != oldCells[index] {
                        put(cells[index], y: index / width, x: index % width)
                    }
                }
            } ?? {
                for index in 0..<cells.count { put(cells[index], y: index / width, x: index % width) }
            }()
        }
        previous = canvas
        refresh()
    }

    /// Forgets the last frame, so the next ``draw(_:)`` repaints everything.
    public func invalidate() { previous = nil }

    @inline(__always)
    private func put(_ cell: Cell, y: Int, x: Int) {
        let attributes = cursesAttributes(cell.attributes.union(theme.extraAttributes(foreground: cell.foreground, background: cell.background)))
        let pair = depth == .none ? 0 : self.pair(foreground: theme.colour(cell.foreground), background: theme.colour(cell.background))
        _ = ds_put(Int32(y), Int32(x), wchar_t(bitPattern: cell.scalar.value), attributes, pair)
    }

    private func cursesAttributes(_ attributes: Attributes) -> attr_t {
        if let cached = attributeCache[attributes.rawValue] { return cached }
        var result = ds_a_normal()
        if attributes.contains(.bold) { result |= ds_a_bold() }
        if attributes.contains(.reverse) { result |= ds_a_reverse() }
        if attributes.contains(.underline) { result |= ds_a_underline() }
        if attributes.contains(.dim) { result |= ds_a_dim() }
        attributeCache[attributes.rawValue] = result
        return result
    }

    /// The colour pair for a foreground and background, made on first use; pair 0 when pairs run out.
    private func pair(foreground: TerminalColour, background: TerminalColour) -> Int16 {
        var fg = foreground.cursesValue, bg = background.cursesValue
        if !defaultColours {
            if fg < 0 { fg = Int(COLOR_WHITE) }
            if bg < 0 { bg = Int(COLOR_BLACK) }
        }
        if fg == -1 && bg == -1 { return 0 }
        let key = PairKey(foreground: fg, background: bg)
        if let pair = pairs[key] { return pair }
        let limit = min(Int(ds_color_pairs()), Int(Int16.max))
        guard Int(nextPair) < limit else { return 0 }
        let pair = nextPair
        init_pair(pair, Int16(fg), Int16(bg))
        pairs[key] = pair
        nextPair += 1
        return pair
    }

    /// Restores the terminal (idempotent).
    public func end() {
        guard isActive else { return }
        isActive = false
        curs_set(1)
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
        ds_restore_signal_handlers()
        ds_remove_fatal_handlers()
        // What went to standard error while the screen was up, now below the restored terminal.
        ds_release_stderr()
    }
}

/// Whether the terminal UI can start here.
public enum TerminalCheck {
    /// Why `watch` must not start (stdin or stdout not a terminal, `TERM` unset, empty, "dumb" or unknown to
    /// terminfo), as a message pointing to `defragscope run`; nil when it can. The CLI prints the message and
    /// exits with status 2.
    /// - Parameter environment: the process environment (for `TERM`).
    public static func refusal(environment: [String: String]) -> String? {
        TerminalRequirements.refusal(stdinIsTerminal: isatty(STDIN_FILENO) != 0, stdoutIsTerminal: isatty(STDOUT_FILENO) != 0,
                                     term: environment["TERM"]) { term in
            term.withCString { ds_terminfo_knows($0) } != 0
        }
    }
}
