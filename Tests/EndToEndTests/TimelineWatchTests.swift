// The timeline and move mode in the real program, in tmux: the past is shown as it was, and left again.
import Foundation
import Testing
import TestSupport

/// The page rows without the stats panel right of them (its pages-per-pass history marks the pass shown).
private func bars(_ screen: String) -> [Substring] {
    pageRows(screen).map { row in row.lastIndex(of: "│").map { row[..<$0] } ?? row }
}

@Suite("watch timeline in tmux", .serialized, .requires(.tmux))
struct TimelineWatchTests {
    @Test("checkerboard: three steps, ← twice shows pass 1 of 3 with the rows of pass 1, → twice gives back pass 3")
    func rewind() throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard")])
        defer { t.close() }
        var screen = try t.waitFor("the bars") { passNumber($0) == 0 && hasBlockBars($0) }
        var rows: [[Substring]] = [bars(screen)]
        var panel = [panelValue(screen, section: "Pages", "now")]
        for expected in 1...3 {
            try t.send("Space")
            screen = try t.waitFor("pass \(expected)") { passNumber($0) == expected }
            rows.append(bars(screen))
            panel.append(panelValue(screen, section: "Pages", "now"))
        }
        #expect(rows[1] != rows[3], "passes 1 and 3 look different")
        try t.send("Left")
        screen = try t.waitFor("pass 2 of 3") { $0.split(separator: "\n").first?.contains("pass 2 of 3") == true }
        #expect(bars(screen) == rows[2])
        try t.send("Left")
        screen = try t.waitFor("pass 1 of 3") { $0.split(separator: "\n").first?.contains("pass 1 of 3") == true }
        #expect(bars(screen) == rows[1], "the rows right after the first step:\n\(screen)")
        #expect(panelValue(screen, section: "Pages", "now") == panel[1], "the panel shows the figures after pass 1: \(screen)")
        try t.send("Right")
        try t.send("Right")
        screen = try t.waitFor("pass 3 again") { s in
            passNumber(s) == 3 && s.split(separator: "\n").first?.contains(" of ") == false
        }
        #expect(bars(screen) == rows[3])
        // From the past, space first returns to the newest pass and runs nothing.
        try t.send("[")
        _ = try t.waitFor("pass 2 of 3") { $0.split(separator: "\n").first?.contains("pass 2 of 3") == true }
        try t.send("Space")
        screen = try t.waitFor("back at pass 3") { s in
            passNumber(s) == 3 && s.split(separator: "\n").first?.contains(" of ") == false
        }
        #expect(bars(screen) == rows[3])

        // Move mode: `.` shows the first move of the pass shown, `,` stays at it, Esc leaves.
        try t.send(".")
        screen = try t.waitFor("move 1 of N") { $0.range(of: #"move 1 of \d+: id \d+, "#, options: .regularExpression) != nil }
        try t.send(".")
        screen = try t.waitFor("move 2") { $0.contains("move 2 of ") }
        try t.send("Escape")
        screen = try t.waitFor("move mode left") { !$0.contains("move 2 of ") }
        #expect(passNumber(screen) == 3)
    }
}
