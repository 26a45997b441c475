// The timeline in the view: ←/→ ask the driver for another pass, a step from the past first comes back, the
// header and the pages-per-pass history say which pass is shown; the driver's past snapshot leaves the pools.
import DefragSession
import Defragmentation
import MemoryPools
import Testing
import Workloads
@testable import Visualizer

/// `Fixtures.afterPass` as if two more passes had run since.
private var pastSnapshot: SessionSnapshot {
    var s = Fixtures.afterPass
    s.passesRun = s.passNumber + 2
    s.pagesHistory += [s.pagesHistory.last!, s.pagesHistory.last!]
    return s
}

@Suite struct TimelineUpdateTests {
    @Test func previousAndNextAskForTheNeighbouringPass() {
        let past = pastSnapshot
        #expect(update(ViewState(), .showPass(forward: false), past).1 == [.showPass(past.passNumber - 1)])
        #expect(update(ViewState(), .showPass(forward: true), past).1 == [.showPass(past.passNumber + 1)])
    }

    @Test func theEndsOfTheTimelineSaySo() {
        let (atStart, none) = update(ViewState(), .showPass(forward: false), Fixtures.before)
        #expect(none.isEmpty && atStart.hint == "this is the start of the run" && atStart.message == nil)
        let (atNewest, nothing) = update(ViewState(), .showPass(forward: true), Fixtures.afterPass)
        #expect(nothing.isEmpty && atNewest.hint?.contains("newest") == true)
        #expect(update(atNewest, .scrollDown, Fixtures.afterPass).0.hint == nil, "a hint lasts until the next key")
        let lines = render(Fixtures.afterPass, atNewest, width: 100, height: 30).lines()
        #expect(lines.contains { $0.hasPrefix(" > this is the newest pass") }, "shown as information, not as a warning")
    }

    @Test func aStepFromThePastReturnsToTheNewestFirst() {
        let past = pastSnapshot
        let (state, effects) = update(ViewState(), .step, past)
        #expect(effects == [.showPass(past.passesRun)], "no pass runs: the view comes back first")
        #expect(state.message == nil)
        // Running, or a tick while running, also comes back before stepping.
        #expect(update(ViewState(), .toggleRun, past).1 == [.showPass(past.passesRun)])
        var running = ViewState(); running.isRunning = true
        #expect(update(running, .tick, past).1 == [.showPass(past.passesRun)])
        #expect(update(running, .tick, Fixtures.afterPass).1 == [.step])
    }
}

@Suite struct TimelineRenderTests {
    @Test func headerSaysWhichPassOfHowMany() {
        let lines = render(pastSnapshot, ViewState(width: 100, height: 30), width: 100, height: 30).lines()
        let n = pastSnapshot.passNumber
        #expect(lines[0].contains("pass \(n) of \(n + 2)") && lines[0].contains("past"), "\(lines[0])")
        let newest = render(Fixtures.afterPass, ViewState(width: 100, height: 30), width: 100, height: 30).lines()
        #expect(!newest[0].contains(" of ") && newest[0].contains("pass \(Fixtures.afterPass.passNumber)"), "\(newest[0])")
    }

    @Test func historyMarksThePassShown() {
        let canvas = render(pastSnapshot, ViewState(width: 100, height: 30), width: 100, height: 30)
        let marked = (0..<canvas.height).flatMap { y in (0..<canvas.width).map { (x: $0, y: y) } }
            .filter { canvas[$0.x, $0.y].attributes.contains(.reverse) && canvas[$0.x, $0.y].foreground == .keybarKey }
        #expect(marked.count == 1, "one glyph of the pages-per-pass history is marked")
        let newest = render(Fixtures.afterPass, ViewState(width: 100, height: 30), width: 100, height: 30)
        let none = (0..<newest.height).flatMap { y in (0..<newest.width).map { (x: $0, y: y) } }
            .filter { newest[$0.x, $0.y].attributes.contains(.reverse) && newest[$0.x, $0.y].foreground == .keybarKey }
        #expect(none.isEmpty, "at the newest pass nothing is marked")
    }
}

@Suite struct TimelineDriverTests {
    @Test func showPassRebuildsThePastAndStepComesBack() throws {
        let workload = Workload.trace(Scenario.checkerboard.trace())
        let device = HostPageDevice()
        let session = try DefragSession(title: workload.title, configuration: EngineConfiguration(algorithm: .full)) {
            try workload.makePools(device: device)
        }
        let driver = DefragSessionDriver(session: session)
        var after: [SessionSnapshot] = [driver.snapshot]
        for _ in 0..<3 { try driver.perform(.step); after.append(driver.snapshot) }
        try driver.perform(.showPass(1))
        #expect(driver.snapshot.passNumber == 1 && driver.snapshot.passesRun == 3)
        #expect(driver.snapshot.pages == after[1].pages && driver.snapshot.metrics == after[1].metrics)
        #expect(session.pageSnapshots == after[3].pages, "the pools stay after pass 3")
        try driver.perform(.showPass(3))
        #expect(!driver.snapshot.isPast && driver.snapshot.pages == after[3].pages)
        try driver.perform(.showPass(0))
        #expect(driver.snapshot.pages == after[0].pages)
        try driver.perform(.step)
        #expect(driver.snapshot.passNumber == session.history.count && !driver.snapshot.isPast, "a step runs from the newest pass")
    }
}

@Suite struct MoveModeTests {
    @Test func dotAndCommaStepThroughTheMovesOfThePassShown() throws {
        let snapshot = Fixtures.afterPass
        let moves = try #require(snapshot.lastPass?.moves)
        #expect(!moves.isEmpty)
        var (state, effects) = update(ViewState(width: 100, height: 30), .stepMove(forward: true), snapshot)
        #expect(effects.isEmpty && state.moveIndex == 0)
        let text = try #require(moveText(snapshot, state))
        let m = moves[0]
        #expect(text == "move 1 of \(moves.count): id \(m.id), \(ByteFormat.short(m.size)), page \(m.sourcePage) @0x\(String(m.sourceOffset, radix: 16)) → page \(m.destinationPage) @0x\(String(m.destinationOffset, radix: 16)), copy")
        // The destination's row is selected.
        let rows = pageRows(snapshot)
        #expect(rows[state.selectedRow] == .page(index: snapshot.pages.firstIndex { $0.id == m.destinationPage }!))
        (state, _) = update(state, .stepMove(forward: false), snapshot)
        #expect(state.moveIndex == 0, "the first move stays the first")
        for _ in 0..<moves.count + 2 { (state, _) = update(state, .stepMove(forward: true), snapshot) }
        #expect(state.moveIndex == moves.count - 1, "the last move stays the last")
        (state, _) = update(state, .closeDetail, snapshot)
        #expect(state.moveIndex == nil, "Esc leaves move mode")
    }

    @Test func noMovesBeforeTheFirstPassAndAStepEndsTheMode() {
        let (state, _) = update(ViewState(), .stepMove(forward: true), Fixtures.before)
        #expect(state.moveIndex == nil && state.hint?.contains("no moves") == true)
        var on = ViewState(); on.moveIndex = 0
        #expect(update(on, .step, Fixtures.afterPass).0.moveIndex == nil)
        #expect(update(on, .showPass(forward: false), Fixtures.afterPass).0.moveIndex == nil)
    }

    @Test func theMoveIsDrawnInItsOwnColourAtBothEnds() throws {
        let snapshot = Fixtures.afterPass
        var state = ViewState(width: 100, height: 30)
        (state, _) = update(state, .stepMove(forward: true), snapshot)
        let canvas = render(snapshot, state, width: 100, height: 30)
        let m = try #require(snapshot.lastPass?.moves.first)
        let marked = (0..<canvas.height).filter { y in (0..<canvas.width).contains { canvas[$0, y].foreground == .keybarKey && canvas[$0, y].attributes.contains(.bold) && y > 0 && y < canvas.height - 3 } }
        #expect(marked.count == (m.sourcePage == m.destinationPage ? 1 : 2), "source and destination rows: \(marked)")
        #expect(canvas.lines().contains { $0.contains("move 1 of ") })
        let plain = render(snapshot, ViewState(width: 100, height: 30), width: 100, height: 30)
        #expect(!plain.lines().contains { $0.contains("move 1 of ") })
    }
}

@Suite struct WhySectionTests {
    @Test func thePageDetailSaysWhyItsAllocationsStay() throws {
        let snapshot = Fixtures.afterPass
        var pass = try #require(snapshot.lastPass)
        let page = snapshot.pages[1]
        var decisions = PassDecisions()
        for allocation in page.allocations { decisions.byAllocation[PassDecisions.Key(pool: page.pool, id: allocation.id)] = .noDestination }
        decisions.largestFreeRangeBefore[PassDecisions.Key(pool: page.pool, id: snapshot.pages[0].id)] = 4096
        pass.decisions = decisions
        var explained = snapshot
        explained.lastPass = pass
        let section = whySection(page: page, explained)
        #expect(section.count == 3 && section[1] == "why it is still here (pass \(pass.number))", "\(section)")
        #expect(section[2].hasPrefix("  no destination: \(page.allocations.count) allocation") && section[2].hasSuffix("other pages 4 KiB"), "\(section)")
        #expect(whySection(page: page, snapshot).isEmpty, "no section when the pass was not explained")
        // The detail overlay shows it, and its scroll range counts it.
        var state = ViewState(width: 100, height: 30)
        state.selectedRow = 1
        state.isDetailShown = true
        let lines = render(explained, state, width: 100, height: 30).lines()
        #expect(lines.contains { $0.contains("why it is still here (pass \(pass.number))") }, "\(lines.joined(separator: "\n"))")
        #expect(detailLineCount(explained, rows: pageRows(explained), row: 1) == detailLineCount(snapshot, rows: pageRows(snapshot), row: 1) + 3)
    }
}
