// Keys and mouse events from ncurses, as the Visualizer's `Key`.
import CNcursesw
import Visualizer
#if canImport(Glibc)
import Glibc
#endif

/// Reads input from the screen started by ``Screen``.
public enum Input {
    /// Waits up to `milliseconds` for a key (0: do not wait) and translates it.
    /// - Returns: the key, or nil on timeout, an interrupted wait, or an event the UI does not use.
    public static func read(timeout milliseconds: Int) -> Key? {
        timeout(Int32(max(0, milliseconds)))
        var character: wint_t = 0
        let status = get_wch(&character)
        return translate(status, character).flatMap { splitSequences.accept($0, at: EventLoop.now()) }
    }

    /// Drops the tail of an escape sequence whose Esc ncurses handed over alone (see ``SplitSequenceFilter``);
    /// one terminal, read from one thread.
    nonisolated(unsafe) static var splitSequences = SplitSequenceFilter()

    /// Every key already typed (does not wait), in order, at most `limit`; events the UI does not use are
    /// left out, so a key after them is not missed.
    public static func readWaiting(limit: Int = 1024) -> [Key] {
        timeout(0)
        var keys: [Key] = []
        for _ in 0..<limit {
            var character: wint_t = 0
            let status = get_wch(&character)
            if status == ERR { break }
            if let key = translate(status, character).flatMap({ splitSequences.accept($0, at: EventLoop.now()) }) {
                keys.append(key)
            }
        }
        return keys
    }

    static func translate(_ status: Int32, _ character: wint_t) -> Key? {
        if status == ERR { return nil }
        if status == KEY_CODE_YES { return functionKey(Int32(bitPattern: character)) }
        switch character {
        case 27: return .escape
        case 10, 13: return .enter
        case 9: return .character("\t")
        default:
            guard let scalar = Unicode.Scalar(UInt32(character)) else { return nil }
            return .character(Character(scalar))
        }
    }

    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case ds_key_resize():
            var y: Int32 = 0, x: Int32 = 0
            ds_getmaxyx(ds_stdscr(), &y, &x)
            return .resize(width: Int(x), height: Int(y))
        case ds_key_mouse():
            var x: Int32 = 0, y: Int32 = 0
            switch ds_read_mouse(&x, &y) {
            case 1: return .click(x: Int(x), y: Int(y))
            case 4: return .up
            case 5: return .down
            default: return nil
            }
        case ds_key_up(): return .up
        case ds_key_down(): return .down
        case ds_key_left(): return .left
        case ds_key_right(): return .right
        case ds_key_ppage(): return .pageUp
        case ds_key_npage(): return .pageDown
        case ds_key_home(): return .home
        case ds_key_end(): return .end
        case ds_key_enter(): return .enter
        default: return nil
        }
    }
}

/// The rest of an escape sequence that arrived too late to be one. ncurses waits ESCDELAY (25 ms) after an
/// Esc for the rest of a sequence; when the rest comes later (a slow link, a loaded machine), it hands over
/// Esc as a key and then every following byte as a key of its own. For a mouse report (X10: Esc [ M, then
/// the button, column and row as bytes 32 + value) that turns coordinates into commands: a click in column
/// 80 is the byte `q`, and quits. This filter lets the Esc through (a lone Esc is never delayed) and drops
/// what follows it as the tail of a sequence: `[` or `O` right after the Esc, then for `[ M` the three
/// report bytes, for another CSI its parameter and intermediate bytes up to the final byte (SGR mouse
/// reports, cursor keys), for `O` one byte. A key that cannot belong to the sequence (a function key, a
/// control character) ends it and is kept, and so is every key once `window` seconds have passed without
/// one, so a sequence cut short never eats keys typed later.
struct SplitSequenceFilter {
    /// How long after the Esc (and between the sequence's bytes) a byte still counts as its tail.
    var window = 0.5

    enum State: Equatable {
        case idle
        /// An Esc was handed over as a key.
        case afterEscape
        /// `Esc [` seen: a CSI.
        case csiStart
        /// Inside a CSI's parameters.
        case csi
        /// `Esc [ M` seen: this many report bytes to go.
        case mouseReport(remaining: Int)
        /// `Esc O` seen: one byte to go.
        case ss3
    }

    private(set) var state = State.idle
    private var last = -Double.infinity

    /// `key`, read at `time` (seconds), or nil when it is part of a split sequence's tail.
    mutating func accept(_ key: Key, at time: Double) -> Key? {
        if state != .idle && time - last > window { state = .idle }
        last = time
        var byte: UInt32?
        if case .character(let character) = key, character.unicodeScalars.count == 1 { byte = character.unicodeScalars.first?.value }
        switch state {
        case .idle:
            break
        case .afterEscape:
            if byte == 0x5B { state = .csiStart; return nil } // [
            if byte == 0x4F { state = .ss3; return nil } // O
        case .csiStart:
            if byte == 0x4D { state = .mouseReport(remaining: 3); return nil } // M
            if let byte, (0x20...0x3F).contains(byte) { state = .csi; return nil }
            if let byte, (0x40...0x7E).contains(byte) { state = .idle; return nil }
        case .csi:
            if let byte, (0x20...0x3F).contains(byte) { return nil }
            if let byte, (0x40...0x7E).contains(byte) { state = .idle; return nil }
        case .mouseReport(let remaining):
            // Report bytes are 32 and up (a wide column or row can come as a multibyte character).
            if let byte, byte >= 0x20 {
                state = remaining > 1 ? .mouseReport(remaining: remaining - 1) : .idle
                return nil
            }
        case .ss3:
            if let byte, (0x20...0x7E).contains(byte) { state = .idle; return nil }
        }
        // Not part of a sequence: the key as it is, and an Esc may start the next one.
        state = key == .escape ? .afterEscape : .idle
        return key
    }
}

/// How the event loops wait for the next key: keys typed while an effect ran (a reset can take seconds) are
/// read but kept for later, a quit among them ends the loop at once, and a wait that keeps returning at
/// once without a key means the terminal is gone.
struct KeyWait {
    enum Outcome: Equatable {
        case key(Key)
        /// No key within the wait.
        case timeout
        /// A key for ``Command/quit`` was typed (now or ahead of the keys not yet handled).
        case quit
        /// Input is no longer a terminal (the loop ends as for SIGHUP).
        case terminalGone
    }

    /// Keys read but not handled yet, oldest first.
    private var typedAhead: [Key] = []
    /// Waits in a row that returned at once without a key.
    private var quickTimeouts = 0

    /// Keys taken with ``next(waitingUpTo:keyMap:)`` but not handled yet go back, before those typed after.
    mutating func putBack(_ keys: [Key]) {
        typedAhead.insert(contentsOf: keys, at: 0)
    }

    /// The next key, waiting up to `milliseconds` when none was typed ahead.
    mutating func next(waitingUpTo milliseconds: Int, keyMap: KeyMap) -> Outcome {
        let started = EventLoop.now()
        if let key = typedAhead.isEmpty ? Input.read(timeout: milliseconds) : typedAhead.removeFirst() {
            quickTimeouts = 0
            // Take every key already typed: a quit among them ends the program now, not after the resets
            // queued before it.
            typedAhead += Input.readWaiting()
            if typedAhead.contains(where: { keyMap.command(for: $0) == .quit }) { return .quit }
            return .key(key)
        }
        if milliseconds >= 20 && EventLoop.now() - started < Double(milliseconds) / 4000 {
            // get_wch returned at once without a key: the terminal is gone or input is not a terminal.
            quickTimeouts += 1
            if quickTimeouts >= 10 {
                if isatty(STDIN_FILENO) == 0 { return .terminalGone }
                usleep(50_000)
            }
        }
        return .timeout
    }
}
