// The plan in the stats panel (`p`): requests and their answers in update(), and the panel's lines.
import Defragmentation
import DefragSession
import Testing
@testable import Visualizer

private let kib = Fixtures.kib
/// What the fixture's start would reach: 2 pages, 100 KiB moved (this run moved 148 KiB: 1.48×).
private let plan = PlanSummary(lowerBound: 2, pagesBefore: 4, pagesAfter: 2, bytesMoved: 100 * kib, passes: 1)

private func after(_ commands: [Command], _ state: ViewState = ViewState(), _ snapshot: SessionSnapshot = Fixtures.afterPass) -> (ViewState, [[Effect]]) {
    var state = state
    var effects: [[Effect]] = []
    for command in commands {
        let (next, e) = update(state, command, snapshot)
        state = next
        effects.append(e)
    }
    return (state, effects)
}

@Suite struct PlanPanelUpdateTests {
    @Test func pIsThePlanKey() {
        #expect(KeyMap.standard.command(for: .character("p")) == .togglePlan)
        #expect(Renderer.helpLines.contains { $0.key.split(separator: " ").contains("p") && $0.text.contains("plan") })
    }

    @Test func pAsksOnceThenShowsAndHides() {
        let (asked, effects) = after([.togglePlan])
        #expect(effects == [[.computePlan(request: 1)]])
        #expect(asked.isPlanShown && asked.planStatus == .computing(request: 1))

        let (ready, _) = after([.planComputed(plan, request: 1)], asked)
        #expect(ready.planStatus == .ready(plan))
        // Shown and hidden again without planning again.
        let (toggled, more) = after([.togglePlan, .togglePlan], ready)
        #expect(more == [[], []])
        #expect(toggled.isPlanShown && toggled.planStatus == .ready(plan))
    }

    @Test func anOlderAnswerIsDropped() {
        let (asked, _) = after([.togglePlan, .reset])
        #expect(asked.planStatus == .computing(request: 2))
        let (state, _) = after([.planComputed(plan, request: 1)], asked)
        #expect(state.planStatus == .computing(request: 2))
        let (unavailable, _) = after([.planUnavailable(request: 2)], asked)
        #expect(unavailable.planStatus == .unavailable)
    }

    @Test(arguments: [Command.reset, .cycleAlgorithm, .cycleDialect, .cycleBudget(forward: true), .cycleBudget(forward: false)])
    func aRebuildAsksAgainAfterItsEffect(_ command: Command) {
        let (shown, _) = after([.togglePlan, .planComputed(plan, request: 1)])
        let (state, effects) = after([command], shown)
        #expect(effects[0].count == 2)
        #expect(effects[0].last == .computePlan(request: 2))
        #expect(state.planStatus == .computing(request: 2))
        // Hidden: the plan is dropped, not asked for.
        let (hidden, _) = after([.togglePlan], shown)
        let (dropped, quiet) = after([command], hidden)
        #expect(quiet[0].count == 1)
        #expect(dropped.planStatus == .none)
        // p then asks anew.
        #expect(after([.togglePlan], dropped).1 == [[.computePlan(request: 2)]])
    }

    @Test func askingKeepsMoveMode() {
        var state = ViewState()
        state.moveIndex = 0
        #expect(after([.togglePlan], state).0.moveIndex == 0)
    }
}

@Suite struct PlanPanelRenderTests {
    private func frame(width: Int, _ commands: [Command]) -> Canvas {
        let state = after(commands, ViewState(width: width, height: 24)).0
        return render(Fixtures.afterPass, state, width: width, height: 24)
    }

    private func lines(_ canvas: Canvas) -> [String] { canvas.lines(trimming: true) }

    @Test func sidePanelShowsTheGapAndThePlan() {
        let m = Fixtures.afterPass.metrics
        let gap = m.pages <= m.lowerBoundPages ? "at bound" : "+\(m.pages - m.lowerBoundPages) page"
        let computing = lines(frame(width: 100, [.togglePlan])).joined(separator: "\n")
        #expect(computing.contains("Plan (p)"))
        #expect(computing.contains("gap to bound"))
        #expect(computing.contains(gap))
        #expect(computing.contains("computing…"))

        let ready = lines(frame(width: 100, [.togglePlan, .planComputed(plan, request: 1)]))
        func row(_ label: String) -> String? { ready.first { $0.contains("│  \(label)") } }
        #expect(row("optimal")?.hasSuffix("2 pages") == true, "\(ready.joined(separator: "\n"))")
        #expect(row("it moves")?.hasSuffix("100 KiB") == true)
        #expect(row("this run")?.hasSuffix("148 KiB (1.48×)") == true)
        #expect(!ready.joined().contains("computing"))

        // Not asked for: no plan section.
        #expect(!lines(frame(width: 100, [])).joined().contains("Plan (p)"))
    }

    @Test func gridTitleCarriesThePlan() {
        let canvas = frame(width: 99, [.togglePlan, .planComputed(plan, request: 1)])
        let title = lines(canvas)[17]
        #expect(title.hasPrefix("── after pass 1 "))
        #expect(title.contains("optimal 2 pages, 100 KiB moved · this run 1.48×"), "\(title)")
        let hidden = frame(width: 99, [.togglePlan, .planComputed(plan, request: 1), .togglePlan])
        #expect(!lines(hidden)[17].contains("optimal"))
    }
}
