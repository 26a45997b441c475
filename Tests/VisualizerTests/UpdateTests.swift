// update() for every command, and the key map behind it.
import DefragSession
import Defragmentation
import Testing
@testable import Visualizer

private func apply(_ command: Command, _ state: ViewState = ViewState(), _ snapshot: SessionSnapshot = Fixtures.afterPass) -> (ViewState, [Effect]) {
    update(state, command, snapshot)
}

@Suite struct KeyMapTests {
    let map = KeyMap.standard

    @Test(arguments: [
        (Key.character(" "), Command.step), (.character("n"), .step), (.character("r"), .toggleRun),
        (.character("+"), .faster), (.character("-"), .slower), (.character("R"), .reset),
        (.character("a"), .cycleAlgorithm), (.character("d"), .cycleDialect),
        (.character("b"), .cycleBudget(forward: true)), (.character("B"), .cycleBudget(forward: false)),
        (.up, .scrollUp), (.character("k"), .scrollUp), (.down, .scrollDown), (.character("j"), .scrollDown),
        (.pageUp, .pageUp), (.pageDown, .pageDown), (.home, .home), (.end, .end),
        (.enter, .openDetail), (.escape, .closeDetail), (.character("?"), .toggleHelp),
        (.character("c"), .toggleColourMode), (.character("s"), .screenshot), (.character("q"), .quit),
        (.left, .showPass(forward: false)), (.character("["), .showPass(forward: false)),
        (.right, .showPass(forward: true)), (.character("]"), .showPass(forward: true)),
        (.character("z"), .zoomIn), (.character("Z"), .zoomOut),
    ])
    func binding(key: Key, command: Command) {
        #expect(map.command(for: key) == command)
    }

    @Test func unboundKeysAndEvents() {
        #expect(map.command(for: .character("x")) == nil)
        #expect(map.command(for: .resize(width: 90, height: 30)) == .resize(width: 90, height: 30))
        #expect(map.command(for: .click(x: 3, y: 7)) == .selectRow(x: 3, y: 7))
    }

    @Test func caseMatters() {
        #expect(map.command(for: .character("r")) != map.command(for: .character("R")))
        #expect(map.command(for: .character("b")) != map.command(for: .character("B")))
    }
}

@Suite struct UpdateTests {
    @Test func stepAsksTheDriver() {
        let (state, effects) = apply(.step)
        #expect(effects == [.step])
        #expect(state.message == nil)
    }

    @Test func stepWhenFinishedSaysSo() {
        var snapshot = Fixtures.afterPass
        snapshot.isFinished = true
        let (state, effects) = apply(.step, ViewState(), snapshot)
        #expect(effects.isEmpty)
        #expect(state.message?.contains("R resets") == true)
    }

    @Test func runPauseAndTicks() {
        let (running, effects) = apply(.toggleRun)
        #expect(running.isRunning && effects.isEmpty)
        #expect(apply(.tick, running).1 == [.step])
        #expect(apply(.tick, ViewState()).1.isEmpty)
        let (paused, _) = apply(.toggleRun, running)
        #expect(!paused.isRunning)
        var finished = Fixtures.afterPass
        finished.isFinished = true
        let (stopped, tickEffects) = apply(.tick, running, finished)
        #expect(!stopped.isRunning && tickEffects.isEmpty)
        #expect(!apply(.toggleRun, ViewState(), finished).0.isRunning)
    }

    @Test func speedIsClamped() {
        var state = ViewState()
        let start = state.passesPerSecond
        state = apply(.faster, state).0
        #expect(state.passesPerSecond > start)
        for _ in 0..<20 { state = apply(.faster, state).0 }
        #expect(state.speedLevel == ViewState.speeds.count - 1)
        for _ in 0..<20 { state = apply(.slower, state).0 }
        #expect(state.speedLevel == 0)
        #expect(state.speedDescription == "0.5/s")
    }

    @Test func resetPausesAndAsks() {
        var state = ViewState()
        state.isRunning = true
        let (after, effects) = apply(.reset, state)
        #expect(effects == [.reset])
        #expect(!after.isRunning)
    }

    @Test func algorithmDialectAndBudgetCycle() {
        #expect(apply(.cycleAlgorithm).1 == [.setAlgorithm(.balanced)])  // full → balanced
        var snapshot = Fixtures.afterPass
        snapshot.configuration.algorithm = .extensive
        #expect(apply(.cycleAlgorithm, ViewState(), snapshot).1 == [.setAlgorithm(.optimal)])
        snapshot.configuration.algorithm = .optimal
        #expect(apply(.cycleAlgorithm, ViewState(), snapshot).1 == [.setAlgorithm(.fast)])
        #expect(apply(.cycleDialect).1 == [.setDialect(.vma)])
        #expect(apply(.cycleBudget(forward: true)).1 == [.setBudget(maxPassBytes: 64 << 20, maxPassAllocations: .max)])
        #expect(apply(.cycleBudget(forward: false)).1 == [.setBudget(maxPassBytes: .max, maxPassAllocations: 1)])
        snapshot.configuration.maxPassBytes = 12345
        #expect(apply(.cycleBudget(forward: true), ViewState(), snapshot).1 == [.setBudget(maxPassBytes: .max, maxPassAllocations: .max)])
    }

    @Test func selectionMovesAndIsClamped() {
        var state = ViewState()
        state = apply(.scrollUp, state).0
        #expect(state.selectedRow == 0)
        state = apply(.scrollDown, state).0
        #expect(state.selectedRow == 1)
        for _ in 0..<10 { state = apply(.scrollDown, state).0 }
        #expect(state.selectedRow == 3)  // three pages and one released page
        state = apply(.home, state).0
        #expect(state.selectedRow == 0)
        state = apply(.end, state).0
        #expect(state.selectedRow == 3)
    }

    @Test func pagingScrollsByAScreen() {
        let snapshot = Fixtures.many(100)
        var state = ViewState(width: 80, height: 24)   // 13 page rows under the title and two strip rows
        state = apply(.pageDown, state, snapshot).0
        #expect(state.selectedRow == 13 && state.scrollOffset == 13)
        state = apply(.pageDown, state, snapshot).0
        #expect(state.selectedRow == 26 && state.scrollOffset == 26)
        state = apply(.pageUp, state, snapshot).0
        #expect(state.selectedRow == 13 && state.scrollOffset == 13)
        state = apply(.end, state, snapshot).0
        #expect(state.selectedRow == 99 && state.scrollOffset == 87)
        state = apply(.scrollUp, state, snapshot).0
        #expect(state.selectedRow == 98 && state.scrollOffset == 87)
    }

    @Test func mouseSelectsThenOpens() {
        let snapshot = Fixtures.many(100)
        var state = ViewState(width: 80, height: 24)
        state.scrollOffset = 10
        state.selectedRow = 12
        // The list starts on screen row 4, under the title and two strip rows: row 8 is its 5th, row 14.
        state = apply(.selectRow(y: 8), state, snapshot).0
        #expect(state.selectedRow == 14 && !state.isDetailShown)
        state = apply(.selectRow(y: 8), state, snapshot).0
        #expect(state.isDetailShown)
        let outside = apply(.selectRow(y: 0), ViewState(width: 80, height: 24), snapshot).0
        #expect(outside.selectedRow == 0)
    }

    @Test func detailOpensClosesAndScrolls() {
        var state = ViewState(width: 80, height: 24)
        state = apply(.openDetail, state).0
        #expect(state.isDetailShown && state.detailScroll == 0)
        state = apply(.scrollDown, state).0
        #expect(state.detailScroll == 1 && state.selectedRow == 0)
        state = apply(.end, state).0
        #expect(state.detailScroll == 69 - 19)   // 69 allocations, 19 rows for them
        state = apply(.pageUp, state).0
        #expect(state.detailScroll == 69 - 19 - 16)   // a page is the page list's 16 rows
        state = apply(.closeDetail, state).0
        #expect(!state.isDetailShown && state.detailScroll == 0)
        let empty = Fixtures.many(0)
        #expect(!apply(.openDetail, ViewState(), empty).0.isDetailShown)
    }

    @Test func helpTogglesAndEscapeClosesItFirst() {
        var state = apply(.toggleHelp).0
        #expect(state.isHelpShown)
        state.isDetailShown = true
        state = apply(.closeDetail, state).0
        #expect(!state.isHelpShown && state.isDetailShown)
        state = apply(.toggleHelp, apply(.toggleHelp, state).0).0
        #expect(!state.isHelpShown)
    }

    @Test func colourModeToggles() {
        let state = apply(.toggleColourMode).0
        #expect(state.colourMode == .type)
        #expect(apply(.toggleColourMode, state).0.colourMode == .size)
    }

    @Test func resizeKeepsTheSelectionVisible() {
        let snapshot = Fixtures.many(100)
        var state = ViewState(width: 120, height: 60)
        state.selectedRow = 50
        state = apply(.resize(width: 80, height: 24), state, snapshot).0
        #expect(state.width == 80 && state.height == 24)
        #expect(state.scrollOffset <= 50 && 50 < state.scrollOffset + 16)
    }

    @Test func quitAsksToLeave() {
        #expect(apply(.quit).1 == [.quit])
    }

    @Test func screenshotIsAnEffectAndLeavesTheViewAsItIs() {
        let (after, effects) = apply(.screenshot)
        #expect(effects == [.screenshot])
        #expect(after == apply(.tick).0)   // paused: a tick changes nothing either
    }
}

@Suite struct TerminalRequirementTests {
    func refusal(stdin: Bool = true, stdout: Bool = true, term: String? = "xterm-256color", known: Bool = true) -> String? {
        TerminalRequirements.refusal(stdinIsTerminal: stdin, stdoutIsTerminal: stdout, term: term) { _ in known }
    }

    @Test func acceptsAnInteractiveKnownTerminal() { #expect(refusal() == nil) }

    @Test func refusesAndPointsToRun() {
        for message in [refusal(stdout: false), refusal(stdin: false), refusal(term: nil), refusal(term: ""),
                        refusal(term: "dumb"), refusal(term: "vt-unknown", known: false)] {
            #expect(message?.contains("defragscope run") == true)
        }
        #expect(refusal(stdout: false)?.contains("standard output") == true)
        #expect(refusal(term: "vt-unknown", known: false)?.contains("vt-unknown") == true)
    }
}

@Suite struct BenchmarkFixtureTests {
    @Test func syntheticSnapshotRendersAndIsDeterministic() {
        let a = RenderBenchmark.syntheticSnapshot(pages: 256)
        let b = RenderBenchmark.syntheticSnapshot(pages: 256)
        #expect(a.pages == b.pages)
        #expect(a.pages.count == 256)
        #expect(a.pages.allSatisfy { page in zip(page.allocations, page.allocations.dropFirst()).allSatisfy { $0.offset + $0.size <= $1.offset } })
        #expect(RenderBenchmark.framesPerSecond(a, width: 200, height: 60, iterations: 3) > 0)
    }
}
