// watch --compare, pure: where the panes go, which keys act on all sessions and which on the focused one,
// the difference line, and the frame (headers over each session's own frame).
import DefragSession
import Defragmentation
import Testing
@testable import Visualizer

private func snapshot(_ base: SessionSnapshot, pages: Int, bytesMoved: Int, finished: Bool = false, algorithm: Algorithm? = nil) -> SessionSnapshot {
    var s = base
    if let algorithm { s.configuration.algorithm = algorithm }
    s.metrics.pages = pages
    s.runStats.bytesMoved = bytesMoved
    s.isFinished = finished
    return s
}

@Suite struct ComparisonViewTests {
    @Test("columns when each pane gets 60 columns, stacked otherwise; the panes cover the body")
    func paneRects() {
        let wide = ComparisonViewState.paneRects(count: 2, width: 160, height: 40)
        #expect(wide.map(\.y) == [0, 0] && wide.map(\.height) == [38, 38])
        #expect(wide[0].x == 0 && wide[1].x == 80 && wide[1].maxX == 160 && wide[0].maxX < wide[1].x)
        let tall = ComparisonViewState.paneRects(count: 3, width: 100, height: 40)
        #expect(tall.map(\.x) == [0, 0, 0] && tall.map(\.width) == [100, 100, 100])
        #expect(tall.map(\.y) == [0, 12, 24] && tall.last?.maxY == 38)
        #expect(ComparisonViewState.paneRects(count: 4, width: 240, height: 30).map(\.x) == [0, 60, 120, 180])
    }

    @Test("space steps every unfinished session; all finished, it says so")
    func stepAll() {
        let snapshots = [Fixtures.before, snapshot(Fixtures.before, pages: 4, bytesMoved: 0, finished: true), Fixtures.before]
        let state = ComparisonViewState(width: 100, height: 40, opening: snapshots)
        let (_, effects) = updateComparison(state, .step, snapshots)
        #expect(effects == [PaneEffect(pane: 0, effect: .step), PaneEffect(pane: 2, effect: .step)])
        let finished = snapshots.map { snapshot($0, pages: 4, bytesMoved: 0, finished: true) }
        let (after, none) = updateComparison(state, .step, finished)
        #expect(none.isEmpty && after.message == "every run is finished: R resets them")
        #expect(updateComparison(state, .reset, snapshots).1.map(\.pane) == [0, 1, 2])
    }

    @Test("Tab moves the focus; per-session keys act on the focused pane only")
    func focus() {
        let snapshots = [Fixtures.many(40), Fixtures.many(40)]
        var state = ComparisonViewState(width: 100, height: 40, opening: snapshots)
        #expect(state.focus == 0)
        state = focusNext(state)
        #expect(state.focus == 1)
        let (moved, effects) = updateComparison(state, .scrollDown, snapshots)
        #expect(effects.isEmpty)
        #expect(moved.panes[1].selectedRow == 1 && moved.panes[0].selectedRow == 0)
        let (_, algorithm) = updateComparison(state, .cycleAlgorithm, snapshots)
        #expect(algorithm.map(\.pane) == [1])
        #expect(focusNext(state).focus == 0)
    }

    @Test("the difference line states each session against the first")
    func difference() {
        let fast = snapshot(Fixtures.before, pages: 7, bytesMoved: 10 << 20, algorithm: .fast)
        let full = snapshot(Fixtures.before, pages: 5, bytesMoved: 13 << 20, algorithm: .full)
        let same = snapshot(Fixtures.before, pages: 8, bytesMoved: 10 << 20, algorithm: .balanced)
        #expect(comparisonDifference([fast, full, same])
            == "full: 2 pages fewer than fast, 1.3× its bytes moved; balanced: 1 page more than fast, 1.0× its bytes moved")
        let a = snapshot(Fixtures.before, pages: 7, bytesMoved: 0, algorithm: .fast)
        var b = snapshot(Fixtures.before, pages: 7, bytesMoved: 0, algorithm: .fast)
        b.configuration.dialect = b.configuration.dialect == .vma ? .memutils : .vma
        let names = SessionComparison.labels(for: [a.configuration, b.configuration])
        #expect(comparisonDifference([a, b]) == "\(names[1]): as many pages as \(names[0]), no bytes moved by either")
        #expect(names[0].hasPrefix("fast@"))
    }

    @Test("the frame: a header per pane with its name, pass, pages and bytes, the focus marked, the difference line")
    func frame() {
        let snapshots = [snapshot(Fixtures.afterPass, pages: 3, bytesMoved: 1 << 20, algorithm: .full),
                         snapshot(Fixtures.afterPass, pages: 4, bytesMoved: 1 << 19, finished: true, algorithm: .fast)]
        let state = ComparisonViewState(width: 160, height: 30, opening: snapshots)
        let lines = renderComparison(snapshots, state).lines()
        #expect(lines.count == 30 && lines.allSatisfy { $0.count == 160 })
        #expect(lines[0].hasPrefix("▶ full  pass \(Fixtures.afterPass.passNumber)  pages 3 / bound "))
        #expect(lines[0].contains("│  fast  pass") && lines[0].contains("512 KiB moved  finished, waiting"))
        #expect(lines[28].hasPrefix(" fast: 1 page more than full, 0.5× its bytes moved"))
        #expect(lines[29].contains("Tab focus"))
    }
}
