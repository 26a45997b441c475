// update(state, command, snapshot) → (state, effects): every reaction to input, as a pure function.
import DefragSession
import Defragmentation

/// Applies `command` to the view.
/// - Parameters:
///   - state: the view before the command.
///   - command: what the user (or the event loop's timer) asked for.
///   - snapshot: the session as shown now; read for the configuration, the rows and whether the run is over.
/// - Returns: the new view state and what the session driver must do, in order.
public func update(_ state: ViewState, _ command: Command, _ snapshot: SessionSnapshot) -> (ViewState, [Effect]) {
    var state = state
    state.hint = nil
    var effects: [Effect] = []
    let layout = Layout(width: state.width, height: state.height, snapshot: snapshot, state: state)
    let visible = max(1, layout.pages.height)
    var rowList = pageRows(snapshot, order: state.pageOrder)
    let rows = rowList.count
    /// Which way the selection moved, so that a header row is skipped in that direction.
    var direction = 1

    switch command {
    case _ where state.zoom != nil && command.isZoomCommand:
        updateZoom(&state, command, snapshot, rows: rowList)
    case .zoomIn:
        openZoom(&state, snapshot, rows: rowList)
    case .zoomOut:
        state.hint = "z opens the selected page's map; Z zooms out in it"
    case .step:
        if snapshot.isPast {
            // From the past, a step first comes back to the newest pass (the header says which).
            state.message = nil
            effects.append(.showPass(snapshot.passesRun))
        } else if snapshot.isFinished { state.message = "the run is finished: R resets it" }
        else { state.message = nil; effects.append(.step) }
    case .showPass(let forward):
        let target = snapshot.passNumber + (forward ? 1 : -1)
        if target < 0 { state.hint = "this is the start of the run" }
        else if target > snapshot.passesRun { state.hint = "this is the newest pass: space runs the next" }
        else { state.message = nil; effects.append(.showPass(target)) }
    case .toggleRun:
        if state.isRunning { state.isRunning = false }
        else if snapshot.isPast { state.isRunning = true; state.message = nil; effects.append(.showPass(snapshot.passesRun)) }
        else if snapshot.isFinished { state.message = "the run is finished: R resets it" }
        else { state.isRunning = true; state.message = nil }
    case .faster:
        state.speedLevel = min(ViewState.speeds.count - 1, state.speedLevel + 1)
    case .slower:
        state.speedLevel = max(0, state.speedLevel - 1)
    case .reset:
        state.isRunning = false
        state.message = nil
        effects.append(.reset)
        replan(&state, &effects)
    case .cycleAlgorithm:
        let all = Algorithm.allCases
        let index = all.firstIndex(of: snapshot.configuration.algorithm) ?? 0
        effects.append(.setAlgorithm(all[(index + 1) % all.count]))
        replan(&state, &effects)
    case .cycleDialect:
        let all = Dialect.allCases
        let index = all.firstIndex(of: snapshot.configuration.dialect) ?? 0
        effects.append(.setDialect(all[(index + 1) % all.count]))
        replan(&state, &effects)
    case .cycleBudget(let forward):
        let budget = BudgetPresets.next(after: snapshot.configuration.maxPassBytes, snapshot.configuration.maxPassAllocations,
                                        forward: forward)
        effects.append(.setBudget(maxPassBytes: budget.bytes, maxPassAllocations: budget.allocations))
        replan(&state, &effects)
    case .scrollUp:
        if state.isDetailShown { state.detailScroll = max(0, state.detailScroll - 1) }
        else { state.selectedRow = selectableRow(state.selectedRow - 1, in: rowList, direction: -1); direction = -1 }
    case .scrollDown:
        if state.isDetailShown { state.detailScroll += 1 } else { state.selectedRow += 1 }
    case .pageUp:
        if state.isDetailShown { state.detailScroll = max(0, state.detailScroll - visible) }
        else { state.selectedRow -= visible; state.scrollOffset -= visible; direction = -1 }
    case .pageDown:
        if state.isDetailShown { state.detailScroll += visible }
        else { state.selectedRow += visible; state.scrollOffset += visible }
    case .home:
        if state.isDetailShown { state.detailScroll = 0 } else { state.selectedRow = 0 }
    case .end:
        if state.isDetailShown { state.detailScroll = Int.max / 2 } else { state.selectedRow = rows - 1; direction = -1 }
    case .selectRow(let x, let y):
        if state.isHelpShown { state.isHelpShown = false }
        else if !state.isDetailShown, let strip = layout.overview, let cell = strip.cell(atX: x, y: y) {
            // The overview strip: the cell's first page, selected in the middle of the list.
            let pages = rowList.indices.filter { rowList[$0].isSelectable }
            let item = strip.items(inCell: cell).lowerBound
            if item < pages.count {
                state.selectedRow = pages[item]
                state.scrollOffset = pages[item] - visible / 2
            }
        }
        else if !state.isDetailShown, y >= layout.pages.y, y < layout.pages.maxY {
            let (_, scroll) = clampedSelection(selected: state.selectedRow, scroll: state.scrollOffset, rows: rowList, visible: visible)
            let row = scroll + (y - layout.pages.y)
            if row < rows, rowList[row].isSelectable {
                if row == state.selectedRow { state.isDetailShown = true; state.detailScroll = 0 }
                state.selectedRow = row
                state.scrollOffset = scroll
            }
        }
    case .openDetail:
        if rowList.contains(where: \.isSelectable) { state.isDetailShown = true; state.detailScroll = 0; state.isHelpShown = false }
    case .closeDetail:
        if state.isHelpShown { state.isHelpShown = false }
        else if state.isDetailShown { state.isDetailShown = false }
        else if state.moveIndex != nil { state.moveIndex = nil }
        else { state.message = nil }
    case .stepMove(let forward):
        stepMove(&state, forward: forward, snapshot, rows: rowList, visible: visible)
    case .toggleHelp:
        state.isHelpShown.toggle()
    case .toggleColourMode:
        state.colourMode = state.colourMode == .size ? .type : .size
    case .cycleOrder:
        // The selected page stays selected, on the same line of the list.
        let (selected, scroll) = clampedSelection(selected: state.selectedRow, scroll: state.scrollOffset, rows: rowList, visible: visible)
        state.pageOrder = state.pageOrder.next
        let reordered = pageRows(snapshot, order: state.pageOrder)
        if selected < rowList.count, let row = reordered.firstIndex(of: rowList[selected]) {
            state.selectedRow = row
            state.scrollOffset = row - (selected - scroll)
        }
        rowList = reordered
    case .tick:
        if state.isRunning {
            if snapshot.isPast { effects.append(.showPass(snapshot.passesRun)) }
            else if snapshot.isFinished { state.isRunning = false } else { effects.append(.step) }
        }
    case .resize(let width, let height):
        state.width = max(0, width)
        state.height = max(0, height)
    case .screenshot:
        effects.append(.screenshot)
    case .togglePlan:
        if state.planStatus == .none {
            state.isPlanShown = true
            requestPlan(&state, &effects)
        } else {
            state.isPlanShown.toggle()
        }
    case .planComputed(let plan, let request):
        if state.planStatus == .computing(request: request) { state.planStatus = .ready(plan) }
    case .planUnavailable(let request):
        if state.planStatus == .computing(request: request) { state.planStatus = .unavailable }
    case .quit:
        effects.append(.quit)
    }

    // Whatever the driver does changes the pass shown or its moves: move mode ends.
    if effects.contains(where: { if case .computePlan = $0 { false } else { true } }) { state.moveIndex = nil }

    let relaid = Layout(width: state.width, height: state.height, snapshot: snapshot, state: state)
    (state.selectedRow, state.scrollOffset) = clampedSelection(selected: state.selectedRow, scroll: state.scrollOffset,
                                                               rows: rowList, visible: relaid.pages.height, direction: direction)
    if state.isDetailShown {
        // Keep the list's scroll within its lines (two rows of box border, one of column names).
        let lineCount = detailLineCount(snapshot, rows: rowList, row: state.selectedRow)
        let shown = max(1, relaid.body.height + (relaid.message.isEmpty ? 0 : 1) - 3)
        state.detailScroll = max(0, min(state.detailScroll, lineCount - shown))
    } else {
        state.detailScroll = 0
    }
    if let zoom = state.zoom { state.zoom = normalisedZoom(zoom, state, snapshot) }
    return (state, effects)
}

/// The run is rebuilt or its budget changes: a plan asked for is dropped, and asked for again (after the
/// rebuild, which `effects` carries first) when the panel shows it.
private func replan(_ state: inout ViewState, _ effects: inout [Effect]) {
    guard state.planStatus != .none else { return }
    guard state.isPlanShown else { state.planStatus = .none; return }
    requestPlan(&state, &effects)
}

/// Asks the event loop for a plan of the run's start state.
private func requestPlan(_ state: inout ViewState, _ effects: inout [Effect]) {
    state.planRequests += 1
    state.planStatus = .computing(request: state.planRequests)
    effects.append(.computePlan(request: state.planRequests))
}

/// Lines of the allocation list of row `row` of `rows`.
func detailLineCount(_ snapshot: SessionSnapshot, rows: [PageRow], row: Int) -> Int {
    guard row >= 0, row < rows.count, case .page(let index) = rows[row] else { return 1 }
    let page = snapshot.pages[index]
    let departures = page.isDedicated ? 0
        : snapshot.lastPass?.moves.filter { $0.sourcePage == page.id && $0.pool == page.pool && $0.operation != .ignore }.count ?? 0
    return page.allocations.count + departures + whySection(page: page, snapshot).count
}
