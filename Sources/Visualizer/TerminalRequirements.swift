// Whether the terminal UI can start, decided from plain facts so it can be tested without a terminal.

public enum TerminalRequirements {
    /// Why the terminal UI must not start, or nil when it can.
    /// - Parameters:
    ///   - stdinIsTerminal: `isatty(0)`.
    ///   - stdoutIsTerminal: `isatty(1)`.
    ///   - term: the `TERM` variable, nil when unset.
    ///   - termIsKnown: whether terminfo describes `term` (only asked when `term` is set and not "dumb").
    /// - Returns: a message for standard error; the caller exits with status 2.
    public static func refusal(stdinIsTerminal: Bool, stdoutIsTerminal: Bool, term: String?,
                               termIsKnown: (String) -> Bool) -> String? {
        let hint = "use `defragscope run` for a text report of every pass (add --format json for JSON lines)"
        if !stdoutIsTerminal {
            return "defragscope watch: standard output is not a terminal; \(hint)"
        }
        if !stdinIsTerminal {
            return "defragscope watch: standard input is not a terminal (keys cannot be read); \(hint)"
        }
        guard let term, !term.isEmpty else {
            return "defragscope watch: TERM is not set, so the terminal's capabilities are unknown; set TERM (e.g. xterm-256color) or \(hint)"
        }
        if term == "dumb" {
            return "defragscope watch: TERM=dumb cannot draw the interface; \(hint)"
        }
        if !termIsKnown(term) {
            return "defragscope watch: terminfo has no entry for TERM=\(term); install ncurses-term or set TERM (e.g. xterm-256color), or \(hint)"
        }
        return nil
    }
}
