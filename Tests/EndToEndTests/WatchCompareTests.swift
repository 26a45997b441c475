// `watch --compare` in a terminal (tmux): both sessions shown, one space steps both, Tab moves the focus,
// q exits 0; a bad list is refused with exit 2.
import Foundation
import Testing
import TestSupport

/// The pass number in the pane header of `label` ("▶ full  pass 3  …" or "  fast  pass 3  …").
private func panePass(_ screen: String, _ label: String) -> Int? {
    guard let range = screen.range(of: #"[▶ ] \#(label)  pass (\d+)"#, options: .regularExpression) else { return nil }
    return Int(screen[range].split(separator: " ").last ?? "")
}

@Suite("watch --compare in tmux", .serialized, .requires(.tmux))
struct WatchCompareTests {
    @Test("full,fast on checkerboard: both names, one space shows pass 1 on both sides, Tab, q exits 0")
    func sideBySide() throws {
        let t = try TmuxSession(["watch", "--compare", "full,fast", "--trace", TestPaths.trace("checkerboard")], width: 160, height: 40)
        defer { t.close() }
        var screen = try t.waitFor("both panes") { panePass($0, "full") == 0 && panePass($0, "fast") == 0 }
        let header = screen.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.hasPrefix("▶ full  pass 0  pages 9 / bound 5") && header.contains("│  fast  pass 0  pages 9 / bound 5"), "\(screen)")
        #expect(screen.contains("fast: as many pages as full"))

        try t.send("Space")
        screen = try t.waitFor("pass 1 on both sides") { panePass($0, "full") == 1 && panePass($0, "fast") == 1 }
        #expect(screen.contains("16.4 MiB moved") && screen.contains("14.9 MiB moved"), "\(screen)")
        #expect(screen.contains("fast: as many pages as full, 0.9× its bytes moved"), "\(screen)")

        try t.send("Tab")
        screen = try t.waitFor("the focus on fast") { $0.contains("▶ fast  pass 1") }
        #expect(screen.contains("  full  pass 1"))

        // Tall and narrow: the panes stack, each header on its own line.
        try t.resize(100, 40)
        screen = try t.waitFor("the stacked layout") { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.contains { $0.hasPrefix("  full  pass 1") } && lines.contains { $0.hasPrefix("▶ fast  pass 1") }
        }
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 100 })

        // Run to the end: both finish and wait.
        for _ in 0..<8 { try t.send("Space") }
        screen = try t.waitFor("both finished") { $0.components(separatedBy: "finished, waiting").count == 3 }
        #expect(panePass(screen, "fast") == 2 && panePass(screen, "full") == 4, "\(screen)")

        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }

    @Test("compare in a colour terminal: the plot's series and legend in colour")
    func compareColours() throws {
        let t = try TmuxSession(["compare", "--trace", TestPaths.trace("checkerboard"), "--algorithm", "fast", "--algorithm", "full"],
                                width: 120, height: 50)
        defer { t.close() }
        try t.waitFor("the legend") { $0.contains("lower bound: 5") }
        let screen = try t.tmux(["capture-pane", "-p", "-e", "-t", t.name]).stdout
        #expect(t.exitStatus() == "EXIT=0")
        // tmux re-renders the colours it was given: series 1 cyan (36), series 2 yellow (33), before "━━ 1" and "━━ 2".
        #expect(screen.range(of: "\u{1B}\\[[0-9;]*36m━━ 1", options: .regularExpression) != nil, "\(screen)")
        #expect(screen.range(of: "\u{1B}\\[[0-9;]*33m━━ 2", options: .regularExpression) != nil, "\(screen)")

        // NO_COLOR: the same plot without colours.
        let plain = try TmuxSession(["compare", "--trace", TestPaths.trace("checkerboard"), "--algorithm", "fast", "--algorithm", "full"],
                                    width: 120, height: 50, environment: ["TERM": "tmux-256color", "LANG": "C.UTF-8", "LC_ALL": nil, "NO_COLOR": "1"])
        defer { plain.close() }
        try plain.waitFor("the legend without colour") { $0.contains("lower bound: 5") }
        let uncoloured = try plain.tmux(["capture-pane", "-p", "-e", "-t", plain.name]).stdout
        #expect(uncoloured.contains("━━ 1 fast") && !uncoloured.contains("36m"), "\(uncoloured)")
    }

    @Test("a bad --compare list exits 2 naming the item", arguments: [
        ("full", "expected two to four configurations"),
        ("full,quick", "--compare 'quick': unknown algorithm 'quick'"),
        ("full,fast@dx12", "unknown dialect 'dx12'"),
        ("full,fast:64", "a budget needs both BYTES and ALLOCS"),
        ("full,fast:-1:0", "BYTES and ALLOCS must be whole numbers"),
        ("a,b,c,d,e", "found 5"),
    ])
    func refused(list: String, message: String) throws {
        let result = try runDefragscope(["watch", "--compare", list, "--scenario", "tiny"])
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
