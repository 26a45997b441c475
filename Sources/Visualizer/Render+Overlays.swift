// Overlays drawn over the page list: the help text and the selected page's allocation list.
import DefragSession

extension Renderer {
    /// Draws a bordered box and clears its inside. Returns the inside.
    mutating func drawBox(_ rect: Rect, title: String) -> Rect {
        guard rect.width >= 2, rect.height >= 2 else {
            canvas.fill(x: rect.x, y: rect.y, width: rect.width, height: rect.height, with: .blank)
            return rect
        }
        canvas.fill(x: rect.x, y: rect.y, width: rect.width, height: rect.height, with: .blank)
        let (topLeft, topRight, bottomLeft, bottomRight) = glyphs.corners
        for x in (rect.x + 1)..<(rect.maxX - 1) {
            canvas.put(x, rect.y, glyphs.horizontal, .border)
            canvas.put(x, rect.maxY - 1, glyphs.horizontal, .border)
        }
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            canvas.put(rect.x, y, glyphs.vertical, .border)
            canvas.put(rect.maxX - 1, y, glyphs.vertical, .border)
        }
        canvas.put(rect.x, rect.y, topLeft, .border)
        canvas.put(rect.maxX - 1, rect.y, topRight, .border)
        canvas.put(rect.x, rect.maxY - 1, bottomLeft, .border)
        canvas.put(rect.maxX - 1, rect.maxY - 1, bottomRight, .border)
        if rect.width > 4 {
            canvas.writeTruncated(" \(title) ", x: rect.x + 2, y: rect.y, maxWidth: rect.width - 4, foreground: .panelTitle,
                                  attributes: .bold, ascii: state.ascii)
        }
        return Rect(x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: rect.height - 2)
    }

    /// The area overlays may cover: everything between the header and the key bar.
    var overlayArea: Rect {
        let top = layout.header.isEmpty ? 0 : 1
        let bottom = layout.keyBar.isEmpty ? canvas.height : layout.keyBar.y
        return Rect(x: 0, y: top, width: canvas.width, height: bottom - top)
    }

    static let helpLines: [(key: String, text: String)] = [
        ("Space n", "step one pass"),
        ("r", "run / pause"),
        ("+ -", "faster / slower"),
        ("R", "reset the run"),
        ("a d", "next algorithm / dialect"),
        ("b B", "next / previous budget"),
        ("↑ ↓ j k", "select a page"),
        ("PgUp PgDn", "scroll a screen"),
        ("g G", "first / last page"),
        ("← → [ ]", "show the previous / next pass"),
        (". ,", "step through the pass's moves"),
        ("", "(replays the pass; Esc leaves)"),
        ("Enter", "allocations of the page"),
        ("z", "zoom into the page's map"),
        ("Esc", "close"),
        ("c", "colour by size / type"),
        ("o", "page order: fill, free, id, …"),
        ("s p", "screenshot (SVG) / optimal plan"),
        ("?", "this help"),
        ("q", "quit"),
    ]

    /// The keys of the page zoom (its help replaces the page list's).
    static let zoomHelpLines: [(key: String, text: String)] = [
        ("Space n", "step one pass"),
        ("r", "run / pause"),
        ("z", "zoom in: half the bytes per cell"),
        ("Z", "zoom out: double bytes per cell"),
        ("↑ ↓ j k", "move the cursor row"),
        ("PgUp PgDn", "scroll a screen (or the list)"),
        ("g G", "first / last row"),
        ("Enter", "allocations of the cursor row"),
        ("← → [ ]", "show the previous / next pass"),
        (". ,", "the pass's moves on this page"),
        ("R a d b B", "reset / algo / dialect / budget"),
        ("c", "colour by size / type"),
        ("s", "save a screenshot (SVG)"),
        ("Esc", "close the list / back to pages"),
        ("?", "this help"),
        ("q", "quit"),
    ]

    mutating func drawHelp() {
        let area = overlayArea
        guard !area.isEmpty else { return }
        let legend = 6
        let helpLines = state.zoom == nil ? Renderer.helpLines : Renderer.zoomHelpLines
        let wanted = Rect(x: 0, y: 0, width: 46, height: helpLines.count + legend + 3)
        let width = min(area.width, wanted.width), height = min(area.height, wanted.height)
        let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width: width, height: height)
        let inside = drawBox(box, title: state.zoom == nil ? "help" : "help: page map")
        var y = inside.y
        let x = inside.x + 1
        let textWidth = inside.width - 1
        func fits(_ y: Int) -> Bool { y < inside.maxY }
        for line in helpLines where fits(y) {
            canvas.writeTruncated(line.key, x: x, y: y, maxWidth: min(10, textWidth), foreground: .keybarKey, ascii: state.ascii)
            canvas.writeTruncated(line.text, x: x + 11, y: y, maxWidth: textWidth - 11, ascii: state.ascii)
            y += 1
        }
        y += 1
        guard fits(y) else { return }
        canvas.writeTruncated("Legend", x: x, y: y, maxWidth: textWidth, foreground: .panelTitle, attributes: .bold, ascii: state.ascii)
        y += 1
        let entries: [(Unicode.Scalar, Role, Role, String)] = [
            (glyphs.full, .size2, .free, state.colourMode == .size ? "allocation, colour by size class" : "allocation, colour by type"),
            (glyphs.arrived, .movedDestination, .free, "arrived in the last pass"),
            (glyphs.left, .movedSource, .free, "left in the last pass"),
            (glyphs.immovableFlag, .immovable, .background, "immovable page"),
            (glyphs.releasedFlag, .freedPage, .background, "page released by the last pass"),
        ]
        for (glyph, foreground, background, text) in entries where fits(y) {
            canvas.put(x, y, glyph, foreground, background)
            canvas.writeTruncated(text, x: x + 2, y: y, maxWidth: textWidth - 2, ascii: state.ascii)
            y += 1
        }
    }

    /// The lines of the selected row's allocation list.
    func detailLines() -> (title: String, header: String, lines: [(String, Role)]) {
        guard selected < rows.count else { return ("no page", "", []) }
        switch rows[selected] {
        case .poolHeader, .releasedHeader:
            return ("no page", "", [])
        case .released(let id):
            let pass = snapshot.lastPass?.number ?? 0
            return ("page \(id)", "", [("released by pass \(pass): its allocations moved to other pages", .freedPage)])
        case .page(let index):
            var detail = Renderer.detailLines(page: snapshot.pages[index], lastPass: snapshot.lastPass, ascii: state.ascii)
            detail.lines += whySection(page: snapshot.pages[index], snapshot).map { ($0, $0.hasPrefix(" ") ? .text : .panelTitle) }
            return detail
        }
    }

    static func detailLines(page: PageSnapshot, lastPass: PassReport?, ascii: Bool) -> (title: String, header: String, lines: [(String, Role)]) {
        let used = page.usedBytes
        let percent = page.size > 0 ? used * 100 / page.size : 0
        var title = "page \(page.id)"
        let origin = [page.pool, page.isDedicated ? "dedicated" : ""].filter { !$0.isEmpty }.joined(separator: ", ")
        if !origin.isEmpty { title += " (\(origin))" }
        title += ": \(ByteFormat.short(page.size)), \(page.allocations.count) allocations, \(percent)% used"
        if page.isImmovable { title += ", immovable" }
        let digits = max(1, String(page.size, radix: 16).count)
        func hex(_ value: Int) -> String { hexOffset(value, digits: digits) }
        let offsetWidth = digits + 2
        func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return right ? padding + text : text + padding
        }
        let header = pad("offset", offsetWidth) + "  " + pad("size", 10, right: true) + "  " + pad("id", 8, right: true) + "  " + pad("type", 13) + "  moved"
        var arrivedFrom: [MoveMarks.Arrival: Int] = [:]
        var departures: [MoveRecord] = []
        for move in lastPass?.moves ?? [] where move.pool == page.pool && move.operation != .ignore {
            if move.destinationPage == page.id && move.operation == .copy {
                arrivedFrom[MoveMarks.Arrival(id: move.id, offset: move.destinationOffset)] = move.sourcePage
            }
            if move.sourcePage == page.id && !page.isDedicated { departures.append(move) }
        }
        var lines: [(String, Role)] = []
        lines.reserveCapacity(page.allocations.count + departures.count)
        let arrow = ascii ? "<-" : "←", away = ascii ? "->" : "→"
        for allocation in page.allocations {
            var line = pad(hex(allocation.offset), offsetWidth) + "  " + pad(ByteFormat.short(allocation.size), 10, right: true)
                + "  " + pad(String(allocation.id), 8, right: true) + "  " + pad(allocation.type.description.lowercased(), 13)
            var role = Role.text
            if let from = arrivedFrom[MoveMarks.Arrival(id: allocation.id, offset: allocation.offset)] {
                line += "  \(arrow) page \(from)"
                role = .movedDestination
            }
            if let name = allocation.name, !name.isEmpty { line += "  \(name)" }
            lines.append((line, role))
        }
        for move in departures.sorted(by: { $0.sourceOffset < $1.sourceOffset }) {
            let target = move.operation == .destroy ? "destroyed" : "page \(move.destinationPage) @ \(hex(move.destinationOffset))"
            lines.append((pad(hex(move.sourceOffset), offsetWidth) + "  " + pad(ByteFormat.short(move.size), 10, right: true)
                + "  " + pad(String(move.id), 8, right: true) + "  " + pad("(left)", 13) + "  \(away) \(target)", .movedSource))
        }
        return (title, header, lines)
    }

    mutating func drawDetail() {
        let area = overlayArea
        guard !area.isEmpty else { return }
        let inset = area.width >= 40 ? 2 : 0
        let box = Rect(x: area.x + inset, y: area.y, width: area.width - 2 * inset, height: area.height)
        let (title, header, lines) = detailLines()
        let inside = drawBox(box, title: title)
        guard !inside.isEmpty else { return }
        var y = inside.y
        if !header.isEmpty {
            canvas.writeTruncated(header, x: inside.x + 1, y: y, maxWidth: inside.width - 1, foreground: .dimText, attributes: .underline, ascii: state.ascii)
            y += 1
        }
        let visible = max(0, inside.maxY - y)
        let scroll = max(0, min(state.detailScroll, lines.count - visible))
        for (index, line) in lines.dropFirst(scroll).prefix(visible).enumerated() {
            canvas.writeTruncated(line.0, x: inside.x + 1, y: y + index, maxWidth: inside.width - 1, foreground: line.1, ascii: state.ascii)
        }
        if lines.count > visible, box.width > 12, box.height > 1 {
            let hint = " \(scroll + 1)-\(scroll + visible) of \(lines.count) "
            canvas.write(hint, x: box.maxX - 2 - hint.count, y: box.maxY - 1, foreground: .dimText)
        }
    }
}
