// A pass on a large pool takes seconds; watch runs it on a thread of its own (PassWait), says so once it
// outlasts a moment, hears q at once, and keeps the other keys typed meanwhile for after the pass. In tmux, on
// a generated pool of 150,000 small allocations (half freed) in 64 MiB pages: one pass of full takes about
// a second and a half in a debug build.
import Foundation
import Testing
import TestSupport

@Suite("watch: a slow pass in tmux", .serialized, .requires(.tmux))
struct SlowPassWatchTests {
    static func writeTrace() throws -> String {
        var text = "block-size 67108864\n"
        text.reserveCapacity(4_000_000)
        let count = 150_000
        // Sizes from 64 B to 1 KiB; half of the allocations freed, scattered.
        for id in 0..<count { text += "a \(id) \(64 << (id * 7 % 5)) 64\n" }
        for id in 0..<count where id * 2_654_435_761 % 100 < 50 { text += "f \(id)\n" }
        return try temporaryTrace(text, prefix: "dscope-slow")
    }

    @Test("while a pass runs the message line says so, q ends the program at once (exit 0), and keys typed meanwhile work after the pass")
    func quitDuringAPass() throws {
        let trace = try Self.writeTrace()
        defer { try? FileManager.default.removeItem(atPath: trace) }

        // Keys typed during the pass are kept: o, sent while pass 1 runs, orders the list after it.
        do {
            let t = try TmuxSession(["watch", "--trace", trace, "--backend", "metadata"], width: 160, height: 40)
            defer { t.close() }
            try t.waitFor("the bars", timeout: 120) { passNumber($0) == 0 && hasBlockBars($0) }
            try t.send("Space")
            try t.waitFor("the running pass", timeout: 30, settled: false) { $0.contains("pass 1 is running… (q quits)") }
            try t.send("o")
            let after = try t.waitFor("pass 1 and the order", timeout: 60) { passNumber($0) == 1 && $0.contains("order: fullest first") }
            #expect(!after.contains("is running"))
            try t.send("q")
            #expect(t.exitStatus() == "EXIT=0")
        }

        // q while the pass runs: the program ends long before the pass would.
        let t = try TmuxSession(["watch", "--trace", trace, "--backend", "metadata"], width: 160, height: 40)
        defer { t.close() }
        try t.waitFor("the bars", timeout: 120) { passNumber($0) == 0 && hasBlockBars($0) }
        try t.send("Space")
        try t.waitFor("the running pass", timeout: 30, settled: false) { $0.contains("pass 1 is running… (q quits)") }
        let quit = Date()
        try t.send("q")
        let status = t.exitStatus(timeout: 10)
        let seconds = Date().timeIntervalSince(quit)
        #expect(status == "EXIT=0")
        #expect(seconds < 1.0, "q took \(seconds) s to end the program while a pass ran")
        #expect(try !t.alternateScreenOn())
    }
}
