// Every key of the UI pressed in the real binary, the way a user meets it: reset, a new algorithm, a new
// dialect and budgets on a trace, a scenario and a dump, on host memory and on lavapipe; a crash that leaves
// the terminal usable; Ctrl-S as a key; a large input's loading frame; mouse reports whose bytes look like keys
// (column 80 is `q`), whole and split after their Esc; and a seeded key fuzz.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// The header's "<algorithm>/<dialect>" and "budget …" parts.
func headerConfiguration(_ screen: String) -> (engine: String, budget: String)? {
    guard let header = screen.split(separator: "\n").first else { return nil }
    let parts = header.components(separatedBy: " │ ")
    guard let engine = parts.first(where: { $0.range(of: #"^[a-z]+/[a-z]+$"#, options: .regularExpression) != nil }),
          let budget = parts.first(where: { $0.hasPrefix("budget ") }) else { return nil }
    return (engine, String(budget.dropFirst(7)).components(separatedBy: "  ").first ?? "")
}

func isFinished(_ screen: String) -> Bool { screen.split(separator: "\n").first?.contains("finished") ?? false }

/// A message line (" ! …") other than the finished run's hint: a failure shown
/// to the user.
func failureMessage(_ screen: String) -> String? {
    screen.split(separator: "\n").first {
        $0.hasPrefix(" ! ") && !$0.contains("R resets it")
    }.map(String.init)
}

extension TmuxSession {
    /// Space, then the next pass (or, once the run is finished, the hint that R resets it); no failure shown.
    @discardableResult
    func step(_ what: String) throws -> String {
        let before = try capture()
        let pass = try #require(passNumber(before), "no pass number before stepping (\(what)): \(before)")
        try send("Space")
        let after = isFinished(before)
            ? try waitFor("the finished hint (\(what))") { $0.contains("R resets it") }
            : try waitFor("pass \(pass + 1) or the end (\(what))", timeout: 30) { passNumber($0) == pass + 1 || isFinished($0) }
        #expect(failureMessage(after) == nil, "a failure after stepping (\(what)): \(after)")
        return after
    }
}

@Suite("watch: every key in tmux", .serialized, .requires(.tmux))
struct WatchKeysTests {
    /// A dump with something to move (vma-sample.json is already compact: its first pass finds nothing).
    static let dump = TestPaths.shared.appendingPathComponent("vma-dumps/checkerboard-s1.pool.json").path

    /// R, a, d, b and B, each followed by steps, then a run to the end and R again (the hint the UI gives).
    /// Issue 14, item 1: R, a and d crashed with "page 0 exists already" on every input.
    @Test("host memory: R, a, d, b, B, then steps: no crash, no failure message, the header follows, q exits 0",
          arguments: [("trace", ["--trace", TestPaths.trace("checkerboard")]),
                      ("scenario", ["--scenario", "fast-vs-full"]),
                      ("dump", ["--vma-dump", WatchKeysTests.dump])])
    func everyRunKeyOnHost(input: String, arguments: [String]) throws {
        try pressEveryRunKey(input: input, arguments: arguments)
    }

    @Test("lavapipe: R, a, d, b, B, then steps: no crash, no failure message, q exits 0",
          .requires(Lavapipe.driver),
          arguments: [("trace", ["--trace", TestPaths.trace("checkerboard"), "--backend", "lavapipe"]),
                      ("dump", ["--vma-dump", WatchKeysTests.dump, "--backend", "lavapipe"])])
    func everyRunKeyOnLavapipe(input: String, arguments: [String]) throws {
        try pressEveryRunKey(input: input, arguments: arguments)
    }

    func pressEveryRunKey(input: String, arguments: [String]) throws {
        // Wide enough for the whole header, a Vulkan device's long name included.
        let t = try TmuxSession(["watch"] + arguments + ["--algorithm", "full", "--dialect", "memutils"], width: 160)
        defer { t.close() }
        var screen = try t.waitFor("the first frame of the \(input)", timeout: 30) { passNumber($0) == 0 && hasBlockBars($0) }
        #expect(headerConfiguration(screen)?.engine == "full/memutils", "\(screen)")
        if arguments.contains("lavapipe") { #expect(!(screen.split(separator: "\n").first ?? "").contains("host memory"), "\(screen)") }

        try t.step("before R")
        try t.send("R")
        screen = try t.waitFor("pass 0 after R") { passNumber($0) == 0 && !isFinished($0) && hasBlockBars($0) }
        screen = try t.step("after R")
        #expect(passNumber(screen) == 1, "\(screen)")

        try t.send("a")
        screen = try t.waitFor("the next algorithm") { headerConfiguration($0)?.engine == "balanced/memutils" && passNumber($0) == 0 }
        try t.step("after a")

        try t.send("d")
        screen = try t.waitFor("the next dialect") { headerConfiguration($0)?.engine == "balanced/vma" && passNumber($0) == 0 }
        screen = try t.step("after d")
        let passAfterD = try #require(passNumber(screen))

        // A budget applies from the next pass on: the run goes on.
        try t.send("b")
        screen = try t.waitFor("a budget") { headerConfiguration($0)?.budget == "64 MiB / ∞" }
        #expect(passNumber(screen) == passAfterD, "a budget does not restart the run: \(screen)")
        try t.step("after b")
        try t.send("B")
        screen = try t.waitFor("unlimited again") { headerConfiguration($0)?.budget == "unlimited" }
        try t.send("B")
        screen = try t.waitFor("the last preset") { headerConfiguration($0)?.budget == "∞ bytes / 1" }
        try t.step("after B")

        // Run to the end at the top speed (unlimited again), then R, as the finished run's hint says.
        try t.send("b")
        try t.waitFor("unlimited for the run") { headerConfiguration($0)?.budget == "unlimited" }
        for key in ["r"] + Array(repeating: "+", count: 8) { try t.send(key) }
        screen = try t.waitFor("the end of the run", timeout: 60, settled: false) { isFinished($0) }
        try t.send("Space")
        try t.waitFor("the hint") { $0.contains("R resets it") }
        try t.send("R")
        screen = try t.waitFor("pass 0 after the end") { passNumber($0) == 0 && !isFinished($0) && hasBlockBars($0) }
        #expect(headerConfiguration(screen)?.engine == "balanced/vma", "R keeps the configuration: \(screen)")
        screen = try t.step("after the last R")
        #expect(failureMessage(screen) == nil, "\(screen)")

        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0", "\((try? t.capture()) ?? "")")
    }

    /// A crash (here a fatal signal from outside) leaves the alternate screen, gives back echo and line
    /// mode, and the backtracer does not wait for a key: the program is gone within seconds.
    @Test("a fatal signal restores the terminal first and ends at once", arguments: [(SIGSEGV, 139), (SIGABRT, 134), (SIGILL, 132), (SIGQUIT, 131)])
    func crashRestoresTerminal(signal: Int32, status: Int) throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard")])
        defer { t.close() }
        try t.waitFor("the bars") { passNumber($0) == 0 && hasBlockBars($0) }
        #expect(try t.alternateScreenOn(), "the UI uses the alternate screen")
        let sent = Date()
        #expect(kill(try t.programPID(), signal) == 0)
        let exit = t.exitStatus(timeout: 20)
        let elapsed = Date().timeIntervalSince(sent)
        #expect(exit == "EXIT=\(status)", "\((try? t.capture()) ?? "")")
        #expect(elapsed < 10, "the program ended \(elapsed) s after the signal (a backtracer waiting for a key takes 30 s)")
        #expect(try !t.alternateScreenOn(), "the pane left the alternate screen: \((try? t.capture()) ?? "")")
        let modes = t.ttyModes().split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init)
        for mode in ["echo", "icanon", "icrnl", "onlcr"] {
            #expect(modes.contains(mode) && !modes.contains("-" + mode), "\(mode) is on again: \(t.ttyModes())")
        }
    }

    /// An error found once the screen is up (an --ignore-ids that names no allocation needs the built pools)
    /// is printed after the terminal is restored, and the program exits 2.
    @Test("an error after the screen is up: the terminal is restored, then the message, exit 2")
    func errorAfterScreenStarted() throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard"), "--ignore-ids", "99999"])
        defer { t.close() }
        #expect(t.exitStatus(timeout: 30) == "EXIT=2")
        let screen = try t.capture()
        #expect(screen.contains("--ignore-ids") && screen.contains("99999"), "\(screen)")
        #expect(try !t.alternateScreenOn())
        let modes = t.ttyModes().split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init)
        #expect(modes.contains("echo") && modes.contains("icanon"), "\(t.ttyModes())")
    }

    /// Keys typed faster than the program carries them out wait in the terminal; q among them must not wait
    /// behind the rest (here twenty resets of textures: about a second each in a debug build).
    @Test("q typed after twenty R ends the program at once, not after the resets")
    func quitJumpsTheQueue() throws {
        let t = try TmuxSession(["watch", "--scenario", "textures"])
        defer { t.close() }
        try t.waitFor("the bars", timeout: 30) { passNumber($0) == 0 && hasBlockBars($0) }
        let sent = Date()
        try t.tmux(["send-keys", "-t", t.name] + Array(repeating: "R", count: 20) + ["q"])
        #expect(t.exitStatus(timeout: 60) == "EXIT=0", "\((try? t.capture()) ?? "")")
        let elapsed = Date().timeIntervalSince(sent)
        #expect(elapsed < 5, "ended \(elapsed) s after q")
    }

    /// Issue 14, item 5: Ctrl-S froze the UI until Ctrl-Q.
    @Test("Ctrl-S and Ctrl-Q are ordinary keys: the UI goes on answering")
    func flowControlOff() throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard")])
        defer { t.close() }
        try t.waitFor("the bars") { passNumber($0) == 0 && hasBlockBars($0) }
        try t.send("C-s")
        try t.send("Space")
        try t.waitFor("pass 1 after Ctrl-S") { passNumber($0) == 1 }
        try t.send("C-q")
        try t.send("Space")
        try t.waitFor("pass 2 after Ctrl-Q") { passNumber($0) == 2 }
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
        let modes = t.ttyModes().split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(modes.contains("ixon"), "flow control is the shell's again after the UI: \(t.ttyModes())")
    }

    /// Issue 14, item 5: a large trace showed a blank screen while it loaded, and q waited for the load.
    @Test("a large trace shows its loading progress, and q (or Ctrl-C) ends the program during loading",
          arguments: [("q", "EXIT=0"), ("C-c", "EXIT=130")])
    func loadingProgress(key: String, exit: String) throws {
        let path = try Self.writeLargeTrace(allocations: 300_000)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let t = try TmuxSession(["watch", "--trace", path])
        defer { t.close() }
        let pattern = #"replayed ([1-9][0-9,]*) of 600,000 operations \((\d+)%\)"#
        let screen = try t.waitFor("the loading frame with progress", timeout: 60, settled: false) {
            $0.range(of: pattern, options: .regularExpression) != nil
        }
        let sent = Date()
        try t.send(key)
        #expect(screen.contains("loading") && screen.contains("q quit"), "\(screen)")
        #expect(screen.contains("█") && screen.contains("░"), "a bar part full: \(screen)")
        #expect(t.exitStatus(timeout: 20) == exit, "\((try? t.capture()) ?? "")")
        let elapsed = Date().timeIntervalSince(sent)
        #expect(elapsed < 5, "ended \(elapsed) s after \(key), during loading")
        #expect(try !t.alternateScreenOn())
        // Still loading when the key went: the program did not simply finish first.
        let line = try #require(screen.split(separator: "\n").first { $0.range(of: pattern, options: .regularExpression) != nil })
        #expect(!line.contains("(100%)"), "\(line)")
    }

    /// A trace of `allocations` allocations of 4 KiB, each freed 64 allocations later (so little is live at a
    /// time), then the last 64 freed: twice as many operations, in a temporary file the caller removes.
    static func writeLargeTrace(allocations: Int) throws -> String {
        let window = 64
        var text = "block-size 1048576\n"
        text.reserveCapacity(allocations * 24)
        for id in 0..<allocations {
            text += "a \(id) 4096 256\n"
            if id >= window { text += "f \(id - window)\n" }
        }
        for id in max(0, allocations - window)..<allocations { text += "f \(id)\n" }
        return try temporaryTrace(text, prefix: "dscope-large")
    }

    /// A click in column 80 sends the byte `q` (33 + 80) inside the mouse report; row 26 ends the report
    /// with `;`. Sent whole (the key fuzz lost the `;` in tmux and quit here), the program takes it for a
    /// click, on host memory and on lavapipe; clicks in column 80 on a page's row select it and open it.
    @Test("host memory: a click in column 80, row 26 is a click, not q")
    func clickInColumn80OnHost() throws {
        try clickInColumn80(arguments: ["--trace", TestPaths.trace("checkerboard")])
    }

    @Test("lavapipe: a click in column 80, row 26 is a click, not q", .requires(Lavapipe.driver))
    func clickInColumn80OnLavapipe() throws {
        try clickInColumn80(arguments: ["--trace", TestPaths.trace("checkerboard"), "--backend", "lavapipe"])
    }

    func clickInColumn80(arguments: [String]) throws {
        let t = try TmuxSession(["watch"] + arguments)
        defer { t.close() }
        try t.waitFor("the bars", timeout: 30) { passNumber($0) == 0 && hasBlockBars($0) }
        func click(_ x: Int, _ y: Int) throws {
            for button in [0, 3] { try t.tmux(["send-keys", "-t", t.name, "-H"] + WatchKeyFuzzTests.mouse(button: button, x: x, y: y)) }
        }
        try click(80, 26)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(t.exitStatus(timeout: 0) == nil, "the click ended the program: \((try? t.capture()) ?? "")")
        // Column 80 of the fourth page's row (page 4): the first click selects it, the second opens its list.
        try click(80, 3)
        try click(80, 3)
        try t.waitFor("page 4's allocation list") { $0.range(of: #"page 4 \(checkerboard\.trace\): 8 MiB"#, options: .regularExpression) != nil }
        try t.send("Escape")
        try t.waitFor("the list closed") { $0.contains("│ Pages per pass") }
        try t.step("after the clicks")
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0", "\((try? t.capture()) ?? "")")
    }

    /// Over a slow link the rest of a mouse report can come after ncurses stopped waiting for it (ESCDELAY,
    /// 25 ms): it hands over Esc alone, then `[`, `M`, the button and the coordinates as keys. For a click
    /// in column 80 that was ` ` (a step) and `q` (the program quit). Only the Esc may count.
    @Test("a mouse report whose rest comes 150 ms after its Esc does not become keys")
    func splitMouseReport() throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard")])
        defer { t.close() }
        try t.waitFor("the bars", timeout: 30) { passNumber($0) == 0 && hasBlockBars($0) }
        for button in [0, 3] {
            let report = WatchKeyFuzzTests.mouse(button: button, x: 80, y: 26)
            try t.tmux(["send-keys", "-t", t.name, "-H", report[0]])
            Thread.sleep(forTimeInterval: 0.15)
            try t.tmux(["send-keys", "-t", t.name, "-H"] + report.dropFirst())
        }
        Thread.sleep(forTimeInterval: 0.7)
        #expect(t.exitStatus(timeout: 0) == nil, "the report's bytes quit the program: \((try? t.capture()) ?? "")")
        let screen = try t.capture()
        #expect(passNumber(screen) == 0, "the report's space stepped: \(screen)")
        // Keys typed after the report count again.
        try t.step("after the split report")
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0", "\((try? t.capture()) ?? "")")
    }

    /// R rebuilds the pools by replaying the input again: the loading frame comes back, and q works there too.
    @Test("R on a large trace shows the loading frame again, and q quits during it")
    func quitWhileResetting() throws {
        let path = try Self.writeLargeTrace(allocations: 120_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = try TmuxSession(["watch", "--trace", path, "--verify", "none"])
        defer { t.close() }
        try t.waitFor("the first frame", timeout: 90) { passNumber($0) == 0 }
        try t.send("R")
        let screen = try t.waitFor("the loading frame of the reset", timeout: 30, settled: false) {
            $0.range(of: #"replayed [0-9,]+ of 240,000 operations \((\d|[1-9]\d)%\)"#, options: .regularExpression) != nil
        }
        #expect(screen.contains("loading"), "\(screen)")
        // Caught below 100% (the pattern): q goes while the reset still replays.
        try t.send("q")
        #expect(t.exitStatus(timeout: 20) == "EXIT=0", "\((try? t.capture()) ?? "")")
    }
}

/// Random keys for a while, in the real binary, on several inputs: the program must answer `q` at the end
/// with exit 0, never trap, never show a failure. Seeded (`DEFRAGSCOPE_FUZZ_SEED` replaces the seed, and
/// `DEFRAGSCOPE_FUZZ_SECONDS` the time per input); a failure prints the seed and every key sent.
@Suite("watch: key fuzz in tmux", .serialized, .requires(.tmux))
struct WatchKeyFuzzTests {
    /// Every key the UI binds (`s` saves screenshots in a temporary folder, `p` plans in the background), keys it does not, Ctrl-S/Ctrl-Q, "resize" (a new window size), "click" (a
    /// left click at a random cell), "wheel" (the mouse wheel, either way) and "slow-click" (a click whose reports
    /// come in two parts, the Esc and 60 ms later the rest, as over a slow link).
    static let keys = ["Space", "n", "r", "+", "=", "-", "R", "a", "d", "b", "B", "Up", "k", "Down", "j", "PPage", "NPage",
                       "Home", "End", "g", "G", "Enter", "Escape", "?", "h", "c", "Left", "Right", "[", "]", ".", ",", "Tab", "BSpace", "x", "1",
                       "C-s", "C-q", "s", "p", "z", "Z", "o", "resize", "click", "click", "wheel", "slow-click"]

    /// A mouse event as the terminal reports it to the program (X10 encoding, what tmux-256color's `kmous`
    /// announces): ESC [ M, then 32 + the button, 33 + the column, 33 + the row (kept ASCII: up to 90), as
    /// hexadecimal bytes for `send-keys -H`. (Not `send-keys -l`: tmux takes a `;` ending an argument for a
    /// command separator and drops it, so row 26 lost its last byte and the program read the next report's
    /// Esc in its place, and that report's bytes as keys: column 80 is `q`.)
    static func mouse(button: Int, x: Int, y: Int) -> [String] {
        [0x1B, 0x5B, 0x4D, 32 + button, 33 + min(90, x), 33 + min(90, y)].map { String(format: "%02x", $0) }
    }

    static let environment = ProcessInfo.processInfo.environment
    static let seconds = Double(environment["DEFRAGSCOPE_FUZZ_SECONDS"] ?? "") ?? 7

    @Test("random keys end with q and exit 0", arguments: [
        (UInt64(14_01), ["--trace", TestPaths.trace("checkerboard")]),
        (UInt64(14_02), ["--scenario", "budget"]),
        (UInt64(14_03), ["--vma-dump", TestPaths.shared.appendingPathComponent("vma-dumps/vma-sample.json").path]),
        (UInt64(14_04), ["--vma-dump", TestPaths.shared.appendingPathComponent("vma-dumps/checkerboard-s1.pool.json").path, "--ascii"]),
    ])
    func fuzz(defaultSeed: UInt64, arguments: [String]) throws {
        try typeRandomKeys(defaultSeed: defaultSeed, arguments: arguments)
    }

    @Test("random keys on lavapipe end with q and exit 0", .requires(Lavapipe.driver))
    func fuzzOnLavapipe() throws {
        try typeRandomKeys(defaultSeed: 14_05, arguments: ["--trace", TestPaths.trace("checkerboard"), "--backend", "lavapipe"])
    }

    func typeRandomKeys(defaultSeed: UInt64, arguments: [String]) throws {
        let seed = UInt64(Self.environment["DEFRAGSCOPE_FUZZ_SEED"] ?? "") ?? defaultSeed
        var random = SeededRandom(seed: seed)
        let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: screenshots) }
        let t = try TmuxSession(["watch"] + arguments + ["--screenshot-dir", screenshots])
        defer { t.close() }
        var sent: [String] = []
        func report(_ problem: String) -> Comment {
            let screen = (try? t.capture()) ?? ""
            return Comment(rawValue: "\(problem)\nwatch \(arguments.joined(separator: " ")), seed \(seed) (DEFRAGSCOPE_FUZZ_SEED=\(seed) "
                + "repeats it), \(sent.count) keys: \(sent.joined(separator: " "))\nscreen:\n\(screen)")
        }
        try t.waitFor("the first frame", timeout: 30) { passNumber($0) == 0 }

        let deadline = Date().addingTimeInterval(Self.seconds)
        while Date() < deadline {
            // A burst of one to six keys (typed fast), then a pause of up to 60 ms.
            var burst: [String] = []
            for _ in 0..<(1 + Int(random.next() % 6)) {
                let key = Self.keys[Int(random.next() % UInt64(Self.keys.count))]
                if key == "resize" || key == "click" || key == "wheel" || key == "slow-click" {
                    if !burst.isEmpty { try t.tmux(["send-keys", "-t", t.name] + burst); burst = [] }
                }
                if key == "click" || key == "wheel" || key == "slow-click" {
                    let x = Int(random.next() % 90), y = Int(random.next() % 40)
                    // A click is a press and a release; the wheel is buttons 4 and 5 (64 + 0 or 1).
                    let events = key == "wheel" ? [Self.mouse(button: 64 + Int(random.next() % 2), x: x, y: y)]
                        : [Self.mouse(button: 0, x: x, y: y), Self.mouse(button: 3, x: x, y: y)]
                    sent.append("\(key):\(x),\(y)")
                    for event in events {
                        if key == "slow-click" {
                            try t.tmux(["send-keys", "-t", t.name, "-H", event[0]])
                            Thread.sleep(forTimeInterval: 0.06)
                            try t.tmux(["send-keys", "-t", t.name, "-H"] + event.dropFirst())
                        } else {
                            try t.tmux(["send-keys", "-t", t.name, "-H"] + event)
                        }
                    }
                } else if key == "resize" {
                    // Mostly usable sizes, sometimes tiny ones.
                    let tiny = random.next() % 5 == 0
                    let width = tiny ? 1 + Int(random.next() % 20) : 20 + Int(random.next() % 140)
                    let height = tiny ? 1 + Int(random.next() % 6) : 6 + Int(random.next() % 44)
                    sent.append("resize:\(width)x\(height)")
                    try t.resize(width, height)
                } else {
                    burst.append(key)
                    sent.append(key)
                }
            }
            if !burst.isEmpty { try t.tmux(["send-keys", "-t", t.name] + burst) }
            Thread.sleep(forTimeInterval: Double(random.next() % 60) / 1000)
            if let exit = t.exitStatus(timeout: 0) {
                Issue.record(report("the program ended by itself: \(exit)"))
                return
            }
        }
        // Back to a readable size, then the last key.
        try t.resize(120, 40)
        Thread.sleep(forTimeInterval: 0.3)
        let screen = (try? t.capture()) ?? ""
        #expect(failureMessage(screen) == nil, report("a failure on the message line"))
        try t.send("q")
        let exit = t.exitStatus(timeout: 30)
        #expect(exit == "EXIT=0", report("q did not end the program with 0: \(exit ?? "still running")"))
    }
}
