// `watch --compare`: two to four sessions from one start state side by side (columns when the terminal is
// wide, stacked when it is tall), each a small header over the single-session frame; a line under them
// states the difference; keys step all sessions together or act on the focused one. Pure, like `render`.
import DefragSession

/// The view of a comparison: one ``ViewState`` per pane, which pane has the focus, and what is global.
public struct ComparisonViewState: Hashable, Sendable {
    public var width: Int
    public var height: Int
    /// One per session, sized to its pane.
    public var panes: [ViewState]
    /// The pane keys other than stepping, running and quitting act on (Tab moves it).
    public var focus = 0
    /// Auto-stepping all sessions.
    public var isRunning = false
    public var speedLevel = ViewState.defaultSpeedLevel
    public var message: String?

    /// Pane states opened for `snapshots`, laid out in `width` × `height`.
    public init(width: Int, height: Int, ascii: Bool = false, monochrome: Bool = false, opening snapshots: [SessionSnapshot]) {
        self.width = width
        self.height = height
        let rects = Self.paneRects(count: snapshots.count, width: width, height: height)
        panes = zip(snapshots, rects).map { snapshot, rect in
            var pane = ViewState(width: rect.width, height: max(0, rect.height - 1), ascii: ascii, monochrome: monochrome, opening: snapshot)
            pane.isLegendShown = false
            return pane
        }
    }

    public var passesPerSecond: Double { ViewState.speeds[max(0, min(ViewState.speeds.count - 1, speedLevel))] }

    /// Rows under the panes: the difference line and the key bar.
    static let footerRows = 2
    /// Panes go side by side when each gets at least this many columns.
    static let minimumColumnWidth = 60

    /// Where each pane goes: columns when every pane gets ``minimumColumnWidth`` columns, else stacked rows.
    public static func paneRects(count: Int, width: Int, height: Int) -> [Rect] {
        guard count > 0 else { return [] }
        let body = max(0, height - footerRows)
        if width / count >= minimumColumnWidth {
            let each = width / count
            return (0..<count).map { Rect(x: $0 * each, y: 0, width: $0 == count - 1 ? width - $0 * each : each - 1, height: body) }
        }
        let each = body / count
        return (0..<count).map { Rect(x: 0, y: $0 * each, width: width, height: $0 == count - 1 ? body - $0 * each : each) }
    }
}

/// What the driver of session `pane` must do.
public struct PaneEffect: Hashable, Sendable {
    public var pane: Int
    public var effect: Effect
    public init(pane: Int, effect: Effect) {
        self.pane = pane
        self.effect = effect
    }
}

/// Applies `command` to a comparison. Step, run, speed, reset and resize act on every session; the
/// others act on the focused pane as they would in the single view (its effects go to its session).
public func updateComparison(_ state: ComparisonViewState, _ command: Command, _ snapshots: [SessionSnapshot]) -> (ComparisonViewState, [PaneEffect]) {
    var state = state
    var effects: [PaneEffect] = []
    let panes = state.panes.indices
    switch command {
    case .step:
        let open = panes.filter { !snapshots[$0].isFinished }
        if open.isEmpty { state.message = "every run is finished: R resets them" }
        else { state.message = nil; effects = open.map { PaneEffect(pane: $0, effect: .step) } }
    case .tick:
        let open = panes.filter { !snapshots[$0].isFinished }
        if !state.isRunning {
        } else if open.isEmpty { state.isRunning = false } else { effects = open.map { PaneEffect(pane: $0, effect: .step) } }
    case .toggleRun:
        if state.isRunning { state.isRunning = false }
        else if snapshots.allSatisfy(\.isFinished) { state.message = "every run is finished: R resets them" }
        else { state.isRunning = true; state.message = nil }
    case .faster:
        state.speedLevel = min(ViewState.speeds.count - 1, state.speedLevel + 1)
    case .slower:
        state.speedLevel = max(0, state.speedLevel - 1)
    case .reset:
        state.isRunning = false
        state.message = nil
        effects = panes.map { PaneEffect(pane: $0, effect: .reset) }
    case .quit:
        effects = [PaneEffect(pane: state.focus, effect: .quit)]
    case .resize(let width, let height):
        state.width = max(0, width)
        state.height = max(0, height)
        let rects = ComparisonViewState.paneRects(count: state.panes.count, width: state.width, height: state.height)
        for (index, rect) in zip(panes, rects) {
            state.panes[index] = update(state.panes[index], .resize(width: rect.width, height: max(0, rect.height - 1)), snapshots[index]).0
        }
    case .selectRow(let x, let y):
        // A click: stacked, the pane under it takes the focus; in columns the focused pane gets it. The cell
        // is the pane's own, under its header.
        let rects = ComparisonViewState.paneRects(count: state.panes.count, width: state.width, height: state.height)
        let stacked = rects.allSatisfy { $0.x == 0 }
        let index = stacked ? (rects.firstIndex { y >= $0.y && y < $0.maxY } ?? state.focus) : state.focus
        if index < rects.count {
            state.focus = index
            let (pane, paneEffects) = update(state.panes[index], .selectRow(x: x - rects[index].x, y: y - rects[index].y - 1), snapshots[index])
            state.panes[index] = pane
            effects = paneEffects.map { PaneEffect(pane: index, effect: $0) }
        }
    default:
        let focus = state.focus
        let (pane, paneEffects) = update(state.panes[focus], command, snapshots[focus])
        state.panes[focus] = pane
        effects = paneEffects.map { PaneEffect(pane: focus, effect: $0) }
    }
    return (state, effects)
}

/// Moves the focus to the next pane (Tab).
public func focusNext(_ state: ComparisonViewState) -> ComparisonViewState {
    var state = state
    if !state.panes.isEmpty { state.focus = (state.focus + 1) % state.panes.count }
    return state
}

/// The line under the panes: each session against the first, e.g. "full: 2 pages fewer than fast, 1.3× its
/// bytes moved"; the sessions named as ``SessionComparison/labels(for:)`` names their configurations.
public func comparisonDifference(_ snapshots: [SessionSnapshot]) -> String {
    let labels = SessionComparison.labels(for: snapshots.map(\.configuration))
    guard let base = snapshots.first, let baseLabel = labels.first else { return "" }
    var parts: [String] = []
    for (snapshot, label) in zip(snapshots, labels).dropFirst() {
        let delta = snapshot.metrics.pages - base.metrics.pages
        let pages = delta == 0 ? "as many pages as \(baseLabel)"
            : "\(abs(delta)) page\(abs(delta) == 1 ? "" : "s") \(delta < 0 ? "fewer" : "more") than \(baseLabel)"
        let bytes: String
        if base.runStats.bytesMoved > 0 {
            let ratio = Double(snapshot.runStats.bytesMoved) / Double(base.runStats.bytesMoved)
            bytes = "\((ratio * 10).rounded() / 10)× its bytes moved"
        } else {
            bytes = snapshot.runStats.bytesMoved == 0 ? "no bytes moved by either" : "\(ByteFormat.short(snapshot.runStats.bytesMoved)) moved against none"
        }
        parts.append("\(label): \(pages), \(bytes)")
    }
    return parts.joined(separator: "; ")
}

/// Draws a comparison: for each pane its header (its configuration, pass, pages now / lower bound, bytes
/// moved, finished) over the single-session frame, then the difference line and the key bar. The names
/// come from the sessions' configurations now (a key may have changed the focused one's algorithm).
public func renderComparison(_ snapshots: [SessionSnapshot], _ state: ComparisonViewState) -> Canvas {
    var canvas = Canvas(width: state.width, height: state.height)
    guard canvas.width > 0, canvas.height > 0 else { return canvas }
    let labels = SessionComparison.labels(for: snapshots.map(\.configuration))
    let rects = ComparisonViewState.paneRects(count: snapshots.count, width: state.width, height: state.height)
    for (index, rect) in rects.enumerated() where index < snapshots.count && index < state.panes.count && !rect.isEmpty {
        let snapshot = snapshots[index], focused = index == state.focus
        let m = snapshot.metrics
        let header = "\(focused ? "▶" : " ") \(labels[index])  pass \(snapshot.passNumber)  pages \(m.pages) / bound \(m.lowerBoundPages)  "
            + "\(ByteFormat.short(snapshot.runStats.bytesMoved)) moved" + (snapshot.isFinished ? "  finished, waiting" : "")
        canvas.fill(x: rect.x, y: rect.y, width: rect.width, height: 1, with: Cell(" ", foreground: .text, background: focused ? .selection : .header))
        canvas.write(header, x: rect.x, y: rect.y, maxWidth: rect.width, background: focused ? .selection : .header,
                     attributes: focused ? .bold : [], ascii: state.panes[index].ascii)
        let frame = render(snapshot, state.panes[index], width: rect.width, height: rect.height - 1)
        for y in 0..<frame.height {
            for x in 0..<frame.width {
                let cell = frame[x, y]
                canvas.put(rect.x + x, rect.y + 1 + y, cell.scalar, cell.foreground, cell.background, cell.attributes)
            }
        }
        if rect.maxX < state.width {
            for y in rect.y..<rect.maxY { canvas.put(rect.maxX, y, state.panes[index].ascii ? "|" : "│", .border) }
        }
    }
    let ascii = state.panes.first?.ascii ?? false
    let footer = max(0, state.height - ComparisonViewState.footerRows)
    let difference = state.message ?? comparisonDifference(snapshots)
    canvas.write(difference, x: 1, y: footer, maxWidth: state.width - 1, foreground: state.message == nil ? .text : .warning, ascii: ascii)
    canvas.fill(x: 0, y: footer + 1, width: state.width, height: 1, with: Cell(" ", foreground: .text, background: .keybar))
    var x = 1
    for (key, label) in [("␣", "step all"), ("r", state.isRunning ? "pause" : "run"), ("Tab", "focus"), ("R", "reset"), ("?", "help"), ("q", "quit")] {
        x = canvas.write(key, x: x, y: footer + 1, foreground: .keybarKey, background: .keybar, ascii: ascii)
        x = canvas.write(" " + label + "  ", x: x, y: footer + 1, background: .keybar, ascii: ascii)
    }
    return canvas
}
