// Keys and mouse events from ncurses, as the Visualizer's `Key`.
import CNcursesw
import Visualizer

/// Reads input from the screen started by ``Screen``.
public enum Input {
    /// Waits up to `milliseconds` for a key (0: do not wait) and translates it.
    /// - Returns: the key, or nil on timeout, an interrupted wait, or an event the UI does not use.
    public static func read(timeout milliseconds: Int) -> Key? {
        timeout(Int32(max(0, milliseconds)))
        var character: wint_t = 0
        let status = get_wch(&character)
        return translate(status, character)
    }

    /// Every key already typed (does not wait), in order, at most `limit`; events the UI does not use are
    /// left out, so a key after them is not missed.
    public static func readWaiting(limit: Int = 1024) -> [Key] {
        timeout(0)
        var keys: [Key] = []
        for _ in 0..<limit {
            var character: wint_t = 0
            let status = get_wch(&character)
            if status == ERR { break }
            if let key = translate(status, character) { keys.append(key) }
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
