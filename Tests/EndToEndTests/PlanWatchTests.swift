// `p` in the real program: the stats panel shows the plan of the run's start state, computed while the UI
// goes on answering keys.
import Foundation
import Testing
import TestSupport

@Suite("watch: the plan in the stats panel, in tmux", .serialized, .requires(.tmux))
struct PlanWatchTests {
    @Test("churn: after a pass of full, p shows computing, then optimal's 54 pages and 356.5 MiB against this run; q exits 0")
    func churnPlan() throws {
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("churn"), "--dialect", "vma"], width: 110, height: 40)
        defer { t.close() }
        _ = try t.waitFor("the first frame", timeout: 60) { passNumber($0) == 0 && hasBlockBars($0) }
        try t.send("Space")
        var screen = try t.waitFor("pass 1") { passNumber($0) == 1 }
        let moved = try #require(panelValue(screen, section: "Run", "bytes moved"))
        try t.send("p")
        screen = try t.waitFor("the gap to the lower bound") { panelValue($0, section: "Plan (p)", "gap to bound") != nil }
        let pages = try #require(Int(panelValue(screen, section: "Pages", "now") ?? ""))
        let bound = try #require(Int(panelValue(screen, section: "Pages", "lower bound") ?? ""))
        #expect(panelValue(screen, section: "Plan (p)", "gap to bound") == (pages > bound ? "+\(pages - bound) page\(pages - bound == 1 ? "" : "s")" : "at bound"))
        // The UI answers keys while the plan is computed: the help opens and closes.
        try t.send("?")
        _ = try t.waitFor("the help") { $0.contains("─ help ─") }
        try t.send("Escape")
        screen = try t.waitFor("the plan", timeout: 30) { panelValue($0, section: "Plan (p)", "optimal") == "54 pages" }
        #expect(panelValue(screen, section: "Plan (p)", "it moves") == "356.5 MiB", "\(screen)")
        let run = try #require(panelValue(screen, section: "Plan (p)", "this run"))
        #expect(run.hasPrefix(moved + " (") && run.hasSuffix("×)"), "\(run)")
        // p hides it, and shows it again without computing it again.
        try t.send("p")
        _ = try t.waitFor("the plan hidden") { !$0.contains("Plan (p)") }
        try t.send("p")
        screen = try t.waitFor("the plan again", timeout: 2) { panelValue($0, section: "Plan (p)", "optimal") == "54 pages" }
        try t.send("q")
        #expect(t.exitStatus(timeout: 20) == "EXIT=0", "\(screen)")
    }

    @Test("watch --compare: p in the focused pane plans its start (checkerboard: 5 pages, 14.0 MiB); the other pane shows no plan")
    func comparePlan() throws {
        let t = try TmuxSession(["watch", "--compare", "full,fast", "--trace", TestPaths.trace("checkerboard")], width: 220, height: 45)
        defer { t.close() }
        _ = try t.waitFor("the panes", timeout: 30) { $0.contains("Memory") }
        // Tab: the second (right) pane, whose panel is the last on each line.
        try t.send("Tab")
        try t.send("p")
        let screen = try t.waitFor("the plan", timeout: 30) { panelValue($0, section: "Plan (p)", "optimal") == "5 pages" }
        #expect(panelValue(screen, section: "Plan (p)", "it moves") == "14.0 MiB", "\(screen)")
        #expect(screen.components(separatedBy: "Plan (p)").count == 2, "one pane shows the plan:\n\(screen)")
        try t.send("q")
        #expect(t.exitStatus(timeout: 20) == "EXIT=0", "\(screen)")
    }
}
