// The real binary in a terminal: tmux (its own server on its own socket) runs `defragscope watch` in a
// pseudo-terminal it creates, send-keys types, capture-pane reads the screen. Nothing here depends on the
// terminal the tests were started from (CI has none, and no stdin).
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// Block and box characters: none of them may appear in ASCII mode.
let nonASCIIGlyphs: [Character] = ["█", "▉", "▊", "▋", "▌", "▍", "▎", "▏", "░", "│", "─", "┌", "■", "␣", "▼", "…"]

/// One isolated tmux server running one command in a window of a given size.
final class TmuxSession {
    let socket = "dscope-watch-\(getpid())-\(UUID().uuidString.prefix(8))"
    let name = "w\(UUID().uuidString.prefix(6))"
    let exitFile = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-exit-\(UUID().uuidString)").path
    /// `stty -a` in the pane right after the program ended: the terminal modes it left behind.
    let ttyFile = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-tty-\(UUID().uuidString)").path

    /// Starts `defragscope <arguments>` at `width`×`height`. `environment` is set in the pane (`nil` values
    /// are unset); `stdin` redirects the program's input. The pane's shell writes `EXIT=<status>` to a file
    /// when the program ends, then the terminal's modes (`stty -a`) to another, and stays open, so what the
    /// program printed can still be read.
    init(_ arguments: [String], width: Int = 100, height: Int = 30,
         environment: [String: String?] = ["TERM": "tmux-256color", "LANG": "C.UTF-8", "LC_ALL": nil], stdin: String? = nil) throws {
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        // env takes its -u options before the assignments.
        var env = ["env", "-u", "NO_COLOR", "-u", "LC_CTYPE"], assignments: [String] = []
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) {
            if let value { assignments.append(quote("\(key)=\(value)")) } else { env += ["-u", key] }
        }
        env += assignments
        var command = env.joined(separator: " ") + " " + ([TestPaths.binary] + arguments).map(quote).joined(separator: " ")
        if let stdin { command += " < " + quote(stdin) }
        let script = "\(command); echo EXIT=$? > \(quote(exitFile)).tmp; stty -a > \(quote(ttyFile)); mv \(quote(exitFile)).tmp \(quote(exitFile)); sleep 120"
        let result = try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", script])
        guard result.status == 0 else { throw TmuxFailure(description: "tmux new-session: \(result.stderr)") }
    }

    /// Ends the session and the server; call it in a `defer`.
    func close() {
        _ = try? tmux(["kill-session", "-t", name])
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: exitFile)
        try? FileManager.default.removeItem(atPath: ttyFile)
    }

    /// The program's process id (the pane's shell runs it as its only child).
    func programPID() throws -> pid_t {
        let shell = try tmux(["display-message", "-p", "-t", name, "#{pane_pid}"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        guard let pid = children.split(separator: " ").compactMap({ pid_t($0) }).first else {
            throw TmuxFailure(description: "no child of the pane's shell \(shell)")
        }
        return pid
    }

    /// Whether the pane shows the alternate screen (tmux's `#{alternate_on}`).
    func alternateScreenOn() throws -> Bool {
        try tmux(["display-message", "-p", "-t", name, "#{alternate_on}"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }

    /// The terminal's modes after the program ended (`stty -a`), once written.
    func ttyModes() -> String { (try? String(contentsOfFile: ttyFile, encoding: .utf8)) ?? "" }

    @discardableResult
    func tmux(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(TestPaths.tmux!, ["-L", socket, "-f", "/dev/null"] + arguments, timeout: 60)
    }

    func capture() throws -> String { try tmux(["capture-pane", "-p", "-t", name]).stdout }

    func send(_ key: String) throws { try tmux(["send-keys", "-t", name, key]) }

    func resize(_ width: Int, _ height: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Polls the screen until `condition` holds on a settled screen (the same on a second capture 0.1 s
    /// later: under load a capture can land in the middle of a refresh, showing the new pass number over
    /// rows not yet drawn); after `timeout` throws (ending the test) with the last screen. `settled: false`
    /// for a UI that never rests (running).
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 10, settled: Bool = true, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        repeat {
            screen = try capture()
            if condition(screen) {
                if !settled { return screen }
                Thread.sleep(forTimeInterval: 0.1)
                let again = try capture()
                if again == screen { return screen }
                screen = again
                continue
            }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        throw TmuxFailure(description: "timed out after \(timeout) s waiting for \(what); screen:\n\(screen)")
    }

    /// `EXIT=<status>` once the program has ended (polled up to `timeout`), else nil.
    func exitStatus(timeout: Double = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let text = try? String(contentsOfFile: exitFile, encoding: .utf8), text.hasSuffix("\n") {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        return nil
    }
}

struct TmuxFailure: Error, CustomStringConvertible { var description: String }

// MARK: reading the screen

/// The header's pass number.
func passNumber(_ screen: String) -> Int? {
    guard let header = screen.split(separator: "\n").first,
          let range = header.range(of: #"pass \d+"#, options: .regularExpression) else { return nil }
    return Int(header[range].dropFirst(5))
}

/// The stats panel's value for `label` in section `section` (the wide layout: the panel right of `│`).
func panelValue(_ screen: String, section: String, _ label: String) -> String? {
    let panel = screen.split(separator: "\n").compactMap { line -> String? in
        guard let bar = line.lastIndex(of: "│") else { return nil }
        return String(line[line.index(after: bar)...])
    }
    guard let start = panel.firstIndex(where: { $0.hasPrefix(" \(section)") }) else { return nil }
    for row in panel[(start + 1)...] {
        if !row.hasPrefix("  ") { break } // the next section
        if row.hasPrefix("  \(label) ") { return row.dropFirst(label.count + 2).trimmingCharacters(in: .whitespaces) }
    }
    return nil
}

/// Page rows: a page number at the start of the line, then a bar.
func pageRows(_ screen: String) -> [Substring] {
    screen.split(separator: "\n").filter { $0.range(of: #"^\s*\d+[ xD!]"#, options: .regularExpression) != nil }
}

func hasBlockBars(_ screen: String) -> Bool { pageRows(screen).contains { $0.contains("█") || $0.contains("▌") || $0.contains("▋") } }

// MARK: tests

@Test("watch refuses when stdout is not a terminal: exit 2, pointing to `defragscope run`", arguments: [["watch", "--scenario", "tiny"], []])
func watchRefusesPipedStdout(arguments: [String]) throws {
    let result = try runDefragscope(arguments)
    #expect(result.status == 2)
    #expect(result.stderr.contains("standard output is not a terminal"), "\(result.stderr)")
    #expect(result.stderr.contains("defragscope run"), "\(result.stderr)")
    #expect(result.stdout.isEmpty, "nothing but the message: \(result.stdout)")
}

@Suite("watch in tmux", .serialized, .requires(.tmux))
struct WatchTests {
    @Test("checkerboard at 100×30: bars, three steps, resize to 60×14 and back, help, a page's list, quit with 0")
    func interactive() throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard")])
        defer { t.close() }
        var screen = try t.waitFor("the bars") { passNumber($0) == 0 && hasBlockBars($0) }
        #expect(screen.contains("checkerboard.trace") && screen.contains("host memory") && screen.contains("full/memutils"), "\(screen)")
        #expect(pageRows(screen).count == 9, "the checkerboard starts with 9 pages: \(screen)")
        #expect(panelValue(screen, section: "Pages", "now") == "9")
        #expect(panelValue(screen, section: "Run", "bytes moved") == "0 B")
        #expect(!screen.contains("released"))

        // Three passes, one key each: the pass number, the page count and the run's totals change.
        var pages = [9], moved = ["0 B"]
        for expected in 1...3 {
            try t.send("Space")
            screen = try t.waitFor("pass \(expected)") { passNumber($0) == expected }
            pages.append(Int(panelValue(screen, section: "Pages", "now") ?? "") ?? -1)
            moved.append(panelValue(screen, section: "Run", "bytes moved") ?? "?")
            #expect(screen.contains(" Pass \(expected)"), "the pass section names the pass: \(screen)")
            if expected == 1 { #expect(screen.contains("released"), "pages freed by pass 1 are shown as freed: \(screen)") }
        }
        #expect(pages[1] < pages[0] && pages[3] <= pages[1] && pages[3] >= 5, "pages per pass: \(pages)")
        #expect(Set(moved).count == 4, "the run's bytes moved grows every pass: \(moved)")
        #expect(pageRows(screen).count >= pages[3], "one row per page: \(screen)")

        // Smaller: the program lays itself out again (stats below, the short key bar).
        try t.resize(60, 14)
        screen = try t.waitFor("the 60×14 layout") { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return passNumber(s) == 3 && lines.contains { $0.hasSuffix("q quit") && $0.count <= 60 } && s.contains("pages per pass")
        }
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 60 })
        // And back: the panel is right of the pages again, the full key bar is back.
        try t.resize(100, 30)
        screen = try t.waitFor("the 100×30 layout again") { s in
            passNumber(s) == 3 && s.contains("│ Pages per pass") && s.contains("b/B budget") && s.contains("q quit")
        }
        #expect(panelValue(screen, section: "Pages", "now") == "\(pages[3])", "the same state after resizing")

        // Help: ? opens it, Escape closes it; ? closes it too.
        for closeKey in ["Escape", "?"] {
            try t.send("?")
            try t.waitFor("the help overlay") { $0.contains("─ help ─") && $0.contains("step one pass") }
            try t.send(closeKey)
            try t.waitFor("help closed by \(closeKey)") { !$0.contains("step one pass") && $0.contains("│ Pages per pass") }
        }

        // Enter: the selected page's allocations; Escape closes the list.
        try t.send("Enter")
        screen = try t.waitFor("a page's allocation list") {
            $0.range(of: #"page \d+ \(checkerboard\.trace\): 8 MiB, \d+ allocations"#, options: .regularExpression) != nil
                && $0.contains("offset") && $0.contains("moved")
        }
        #expect(screen.range(of: #"0x[0-9a-f]{6}"#, options: .regularExpression) != nil, "offsets listed: \(screen)")
        try t.send("Escape")
        try t.waitFor("the list closed") { !$0.contains("offset") && $0.contains("│ Pages per pass") }

        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }

    @Test("TERM=dumb, an unknown TERM, or stdin not a terminal: refused with exit 2, pointing to `defragscope run`",
          arguments: [("TERM=dumb", "dumb", nil as String?),
                      ("terminfo has no entry for TERM=no-such-terminal-xyz", "no-such-terminal-xyz", nil),
                      ("standard input is not a terminal", "tmux-256color", "/dev/null")])
    func refusedInTerminal(reason: String, term: String, stdin: String?) throws {
        let t = try TmuxSession(["watch", "--scenario", "tiny"], environment: ["TERM": term, "LANG": "C.UTF-8"], stdin: stdin)
        defer { t.close() }
        #expect(t.exitStatus() == "EXIT=2")
        let screen = try t.capture()
        #expect(screen.contains(reason) && screen.contains("defragscope run"), "\(screen)")
    }

    @Test("SIGTERM ends the UI with exit status 128+15")
    func terminated() throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard"), "--run"])
        defer { t.close() }
        try t.waitFor("the bars, running", settled: false) { passNumber($0) != nil && hasBlockBars($0) }
        #expect(kill(try t.programPID(), SIGTERM) == 0)
        #expect(t.exitStatus() == "EXIT=143")
    }

    @Test("a locale that is not UTF-8 (LANG unset, LC_ALL=C) draws ASCII: bars of #, no block characters",
          arguments: [["TERM": "tmux-256color", "LANG": nil, "LC_ALL": nil] as [String: String?],
                      ["TERM": "tmux-256color", "LANG": "C.UTF-8", "LC_ALL": "C"]])
    func asciiLocale(environment: [String: String?]) throws {
        // textures has allocations larger than a cell: full cells are #, partly covered ones the ramp ,;~=+*%
        // (their eighths), free space .
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("textures"), "--verify", "none"], environment: environment)
        defer { t.close() }
        var screen = try t.waitFor("ASCII bars", timeout: 20) { s in
            passNumber(s) == 0 && pageRows(s).count == 11 && pageRows(s).allSatisfy { $0.range(of: #"^\s*\d+\s+[#.,;~=+*%]{40}"#, options: .regularExpression) != nil }
        }
        #expect(pageRows(screen).contains { $0.contains("#####") }, "bars made of #: \(screen)")
        #expect(!screen.contains { nonASCIIGlyphs.contains($0) }, "no block or box characters: \(screen)")
        try t.send("Space")
        screen = try t.waitFor("pass 1 in ASCII") { passNumber($0) == 1 }
        #expect(!screen.contains { nonASCIIGlyphs.contains($0) }, "no block or box characters: \(screen)")
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }

    @Test("--backend lavapipe: the header names the Vulkan device; passes run without an error",
          .requires(Lavapipe.driver))
    func lavapipe() throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard"), "--backend", "lavapipe"])
        defer { t.close() }
        var screen = try t.waitFor("the device in the header") { passNumber($0) == 0 && hasBlockBars($0) }
        let header = String(screen.split(separator: "\n").first ?? "")
        #expect(header.contains("llvmpipe") && !header.contains("host memory"), "\(header)")
        for expected in 1...3 {
            try t.send("Space")
            screen = try t.waitFor("pass \(expected)") { passNumber($0) == expected }
        }
        #expect(panelValue(screen, section: "Run", "bytes moved") != "0 B")
        #expect(!screen.contains(" ! "), "no message (a failed copy or check would show one): \(screen)")
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }

    @Test("--backend lavapipe without a Vulkan driver: the UI shows why and goes on with host memory")
    func lavapipeMissing() throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard"), "--backend", "lavapipe"],
                                environment: ["TERM": "tmux-256color", "LANG": "C.UTF-8", "VK_DRIVER_FILES": "/nonexistent.json",
                                              "VK_ICD_FILENAMES": "/nonexistent.json"])
        defer { t.close() }
        var screen = try t.waitFor("the message and host memory") { passNumber($0) == 0 && $0.contains("mesa-vulkan-drivers") }
        let lines = screen.split(separator: "\n")
        #expect(lines.first?.contains("host memory") == true, "\(screen)")
        #expect(lines.contains { $0.hasPrefix(" ! ") && $0.contains("no Vulkan device") }, "on the message line: \(screen)")
        try t.send("Space")
        screen = try t.waitFor("pass 1 on host memory") { passNumber($0) == 1 }
        #expect(screen.contains("mesa-vulkan-drivers"), "the notice stays: \(screen)")
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }

    @Test("a VMA dump: pages grouped under their pools' names, coloured by type")
    func vmaDump() throws {
        let dump = TestPaths.shared.appendingPathComponent("vma-dumps/vma-sample.json").path
        let t = try TmuxSession(["watch", "--vma-dump", dump])
        defer { t.close() }
        // The whole first frame: header, pool headers and the legend at the bottom (under load, a capture
        // can land between the top and the bottom lines of one refresh).
        let screen = try t.waitFor("pool headers and the legend") { passNumber($0) == 0 && $0.contains("─ Type 0 ·") && $0.contains(" type: ") }
        #expect(screen.contains("vma-sample.json"))
        #expect(screen.contains("─ Type 0 / dedicated ·"), "\(screen)")
        #expect(screen.contains(" type: "), "the legend colours by type: \(screen)")
        // The last page is under a later pool's header.
        try t.send("G")
        try t.waitFor("the last pool") { $0.range(of: #"─ Type [1-7]"#, options: .regularExpression) != nil && !$0.contains("─ Type 0 ·") }
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }
}
