// render(snapshot, state, width, height) → Canvas: the whole frame, a pure function of its inputs.
import DefragSession

/// Draws one frame.
/// - Parameters:
///   - snapshot: what the session shows now.
///   - state: the view's state (scroll, selection, overlays, modes).
///   - width: columns of the canvas; 0 or less gives an empty canvas.
///   - height: rows of the canvas; 0 or less gives an empty canvas.
/// - Returns: a canvas of exactly `width` × `height` cells (clamped at 0).
public func render(_ snapshot: SessionSnapshot, _ state: ViewState, width: Int, height: Int) -> Canvas {
    var canvas = Canvas(width: width, height: height)
    guard canvas.width > 0, canvas.height > 0 else { return canvas }
    var renderer = Renderer(snapshot: snapshot, state: state, canvas: canvas)
    renderer.draw()
    canvas = renderer.canvas
    return canvas
}

struct Renderer {
    let snapshot: SessionSnapshot
    let state: ViewState
    var canvas: Canvas
    let glyphs: Glyphs
    let layout: Layout
    /// The page list's rows (pages, pool headers, released pages).
    let rows: [PageRow]
    let selected: Int
    let scroll: Int

    var rowCount: Int { rows.count }

    init(snapshot: SessionSnapshot, state: ViewState, canvas: Canvas) {
        self.snapshot = snapshot
        self.state = state
        self.canvas = canvas
        glyphs = Glyphs.forState(state)
        layout = state.zoom != nil ? ZoomGeometry.layout(width: canvas.width, height: canvas.height, state: state)
            : Layout(width: canvas.width, height: canvas.height, snapshot: snapshot, state: state)
        rows = pageRows(snapshot, order: state.pageOrder)
        (selected, scroll) = clampedSelection(selected: state.selectedRow, scroll: state.scrollOffset,
                                              rows: rows, visible: layout.pages.height)
    }

    mutating func draw() {
        drawHeader()
        if state.zoom != nil {
            drawZoom()
            drawMessage()
            drawLegend()
            drawKeyBar()
            if state.isHelpShown { drawHelp() }
            return
        }
        drawOverview()
        drawPageList()
        drawShownMove()
        drawPanel()
        drawMessage()
        drawLegend()
        drawKeyBar()
        if state.isDetailShown { drawDetail() }
        if state.isHelpShown { drawHelp() }
    }

    // MARK: header

    mutating func drawHeader() {
        let rect = layout.header
        guard !rect.isEmpty else { return }
        canvas.fill(x: 0, y: rect.y, width: rect.width, height: 1, with: Cell(" ", foreground: .text, background: .header))
        let configuration = snapshot.configuration
        var left = ["defragscope", snapshot.title, snapshot.backend,
                    "\(configuration.algorithm.rawValue)/\(configuration.dialect.rawValue)",
                    "budget \(configuration.budgetDescription)"].joined(separator: glyphs.separator)
        let status: String
        if snapshot.isPast { status = "past" }
        else if snapshot.isFinished { status = "finished" }
        else if state.isRunning { status = "running \(state.speedDescription)" }
        else { status = "paused" }
        let pass = snapshot.isPast ? "pass \(snapshot.passNumber) of \(snapshot.passesRun)" : "pass \(snapshot.passNumber)"
        let right = "\(pass)\(glyphs.separator)\(status)"
        let rightWidth = right.unicodeScalars.count
        let rightX = rect.width - 1 - rightWidth
        let statusRole: Role = snapshot.isFinished ? .sparkline : (state.isRunning ? .keybarKey : .text)
        if Canvas.displayWidth(left, ascii: state.ascii) > rightX - 2, let cut = left.range(of: glyphs.separator) {
            left = String(left[cut.upperBound...])  // the program's name goes first when space runs out
        }
        if rightX >= 12 {
            canvas.writeTruncated(left, x: 1, y: rect.y, maxWidth: rightX - 2, background: .header, attributes: .bold, ascii: state.ascii)
            let x = canvas.write("\(pass)\(glyphs.separator)", x: rightX, y: rect.y, background: .header, ascii: state.ascii)
            canvas.write(status, x: x, y: rect.y, foreground: statusRole, background: .header, attributes: .bold, ascii: state.ascii)
        } else {
            canvas.writeTruncated("\(snapshot.title) \(pass) \(status)", x: rect.width > 2 ? 1 : 0, y: rect.y,
                                  maxWidth: rect.width > 2 ? rect.width - 2 : rect.width, background: .header, ascii: state.ascii)
        }
    }

    // MARK: message and key bar

    mutating func drawMessage() {
        let rect = layout.message
        guard !rect.isEmpty, let text = messageText(snapshot, state) else { return }
        // Hints and the move of move mode are information, not warnings.
        let isInformation = state.message == nil && (state.hint != nil || moveText(snapshot, state) != nil)
        canvas.writeTruncated((isInformation ? " > " : " ! ") + text, x: 0, y: rect.y, maxWidth: rect.width,
                              foreground: isInformation ? .keybarKey : .warning, ascii: state.ascii)
    }

    /// The legend's entries for the colour mode: a role and what it stands for.
    static func legendEntries(_ mode: ColourMode) -> [(role: Role, label: String)] {
        switch mode {
        case .type:
            return [(.buffer, "buffer"), (.imageOptimal, "image optimal"), (.imageLinear, "image linear"), (.unknownType, "unknown")]
        case .size:
            let labels = ["<4 KiB", "<64 KiB", "<1 MiB", "<16 MiB", "<256 MiB", "larger"]
            return (0..<Role.sizeClassCount).map { (Role.sizeClass($0), labels[$0]) }
        }
    }

    /// " type: ■ buffer  ■ image optimal  ■ image linear  ■ unknown", each sample in its role's colour (and,
    /// in monochrome or ASCII, its own fill glyph); entries that do not fit are left out.
    mutating func drawLegend() {
        let rect = layout.legend
        guard !rect.isEmpty else { return }
        let mode = state.colourMode
        var x = canvas.write(mode == .type ? " type:" : " size:", x: rect.x, y: rect.y, maxWidth: rect.width, foreground: .dimText)
        for (index, entry) in Renderer.legendEntries(mode).enumerated() {
            let gap = index == 0 ? 1 : 2
            let width = Canvas.displayWidth(entry.label, ascii: state.ascii) + 2 + gap
            guard x + width <= rect.maxX else { break }
            x += gap
            canvas.put(x, rect.y, glyphs.legendSample(entry.role), entry.role, .free)
            x = canvas.write(" " + entry.label, x: x + 1, y: rect.y, ascii: state.ascii)
        }
    }

    struct KeyItem { var priority: Int; var key: String; var label: String }

    var keyItems: [KeyItem] {
        if state.zoom != nil { return zoomKeyItems }
        return [KeyItem(priority: 0, key: state.ascii ? "Spc" : "␣", label: "step"),
         KeyItem(priority: 1, key: "r", label: state.isRunning ? "pause" : "run"),
         KeyItem(priority: 4, key: "+/-", label: "speed"),
         KeyItem(priority: 5, key: "R", label: "reset"),
         KeyItem(priority: 6, key: "a", label: "algo"),
         KeyItem(priority: 8, key: "d", label: "dialect"),
         KeyItem(priority: 7, key: "b/B", label: "budget"),
         KeyItem(priority: 11, key: state.ascii ? "j/k" : "↑↓", label: "select"),
         KeyItem(priority: 9, key: state.ascii ? "Enter" : "⏎", label: "page"),
         KeyItem(priority: 10, key: "z", label: "zoom"),
         KeyItem(priority: 12, key: state.ascii ? "[/]" : "←→", label: "pass"),
         KeyItem(priority: 13, key: "./,", label: "moves"),
         KeyItem(priority: 3, key: "?", label: "help"),
         KeyItem(priority: 2, key: "q", label: "quit")]
    }

    mutating func drawKeyBar() {
        let rect = layout.keyBar
        guard !rect.isEmpty else { return }
        canvas.fill(x: 0, y: rect.y, width: rect.width, height: 1, with: Cell(" ", foreground: .text, background: .keybar))
        let items = keyItems
        // Keep the most important items that fit, then draw them in their natural order.
        var budget = rect.width - 1
        var kept = Set<Int>()
        for (index, item) in items.enumerated().sorted(by: { $0.element.priority < $1.element.priority }) {
            let cost = item.key.unicodeScalars.count + 1 + item.label.unicodeScalars.count + (kept.isEmpty ? 0 : 2)
            if cost <= budget { kept.insert(index); budget -= cost }
        }
        var x = 1
        var first = true
        for (index, item) in items.enumerated() where kept.contains(index) {
            if !first { x += 2 }
            first = false
            x = canvas.write(item.key, x: x, y: rect.y, foreground: .keybarKey, background: .keybar, ascii: state.ascii)
            x = canvas.write(" " + item.label, x: x, y: rect.y, background: .keybar, ascii: state.ascii)
        }
    }
}
