// Drawing the page zoom: a title line (page, size, used share, bytes per cell, the offsets shown), the map (one
// row per slice of the page, its offset in hex on the left, cells drawn by the page bars' rules), the move of
// move mode, and the cursor row's allocation list in the lower half when open.
import DefragSession

extension Renderer {
    mutating func drawZoom() {
        guard let zoom = state.zoom, !layout.body.isEmpty else { return }
        guard let page = zoomedPage(zoom, snapshot) else {
            drawZoomedPageGone(zoom)
            return
        }
        let geometry = zoomGeometry(zoom, page: page, state: state)
        let (top, cursor) = geometry.rows(zoom)
        drawZoomTitle(page, geometry, top: top)
        drawZoomMap(page, geometry, top: top, cursor: cursor)
        drawZoomShownMove(page, geometry, top: top)
        if !geometry.list.isEmpty { drawZoomList(page, geometry, zoom: zoom, cursor: cursor) }
    }

    /// "page 5: 64 MiB, 52% used │ 4 KiB per cell │ 0x0000000–0x0bfffff │ 3512 allocations": what the map
    /// shows first, so a narrow screen cuts the least useful part.
    mutating func drawZoomTitle(_ page: PageSnapshot, _ geometry: ZoomGeometry, top: Int) {
        let rect = geometry.title
        guard !rect.isEmpty else { return }
        let percent = page.size > 0 ? page.usedBytes * 100 / page.size : 0
        var name = "page \(page.id)"
        // The pool's name when there are several (with one, the screen's header names the input).
        if !page.pool.isEmpty && snapshot.pages.contains(where: { $0.pool != page.pool }) { name += " (\(page.pool))" }
        var facts = [ByteFormat.short(page.size), "\(percent)% used"]
        if page.isImmovable { facts.append("immovable") }
        if page.isDedicated { facts.append("dedicated") }
        let last = min(geometry.rowCount, top + geometry.visibleRows) - 1
        let shown = last >= top
            ? "\(geometry.hex(geometry.bytes(ofRow: top).lowerBound))\(state.ascii ? "-" : "–")\(geometry.hex(max(0, geometry.bytes(ofRow: last).upperBound - 1)))"
            : "no row fits"
        let count = "\(page.allocations.count) allocation\(page.allocations.count == 1 ? "" : "s")"
        var x = canvas.writeTruncated(" " + name + ": ", x: rect.x, y: rect.y, maxWidth: rect.width, foreground: .panelTitle, attributes: .bold, ascii: state.ascii)
        x = canvas.writeTruncated(facts.joined(separator: ", "), x: x, y: rect.y, maxWidth: rect.maxX - x, ascii: state.ascii)
        let parts: [(String, Role, Attributes)] = [(glyphs.separator, .border, []), ("\(ByteFormat.short(geometry.bytesPerCell)) per cell", .keybarKey, .bold),
                                                   (glyphs.separator, .border, []), (shown, .text, []), (glyphs.separator, .border, []), (count, .dimText, [])]
        for (text, role, attributes) in parts {
            x = canvas.writeTruncated(text, x: x, y: rect.y, maxWidth: rect.maxX - x, foreground: role, attributes: attributes, ascii: state.ascii)
        }
    }

    /// The map's rows: each a slice of `geometry.rowBytes` bytes, its offset on the left (the cursor row's in the
    /// selection's colours), its cells drawn as the page bars draw theirs (``drawBar(_:x:y:)``).
    mutating func drawZoomMap(_ page: PageSnapshot, _ geometry: ZoomGeometry, top: Int, cursor: Int) {
        let rect = geometry.map
        guard !rect.isEmpty else { return }
        let marks = MoveMarks(snapshot.lastPass)
        let key = MoveMarks.PageKey(pool: page.pool, page: page.id)
        // A dedicated page is never a move's source or destination: nothing is marked on it.
        let arrivals = page.isDedicated ? [] : marks.arrivals[key] ?? []
        let sources = page.isDedicated ? [] : marks.sources[key] ?? []
        let mode = state.colourMode
        var coverage = BarCoverage()
        for line in 0..<rect.height {
            let row = top + line
            guard row < geometry.rowCount else { break }
            let y = rect.y + line
            let range = geometry.bytes(ofRow: row)
            let selected = row == cursor
            canvas.write(geometry.hex(range.lowerBound), x: rect.x, y: y, maxWidth: geometry.cellsX - rect.x - 1,
                         foreground: selected ? .text : .dimText, background: selected ? .selection : .background,
                         attributes: selected ? .bold : [])
            let shown = allocations(of: page, overlapping: range)
            let roles = shown.lazy.map { allocation -> (offset: Int, size: Int, role: Role) in
                let arrived = !arrivals.isEmpty && arrivals.contains(MoveMarks.Arrival(id: allocation.id, offset: allocation.offset))
                return (allocation.offset, allocation.size, arrived ? Role.movedDestination : allocationRole(allocation, mode: mode))
            }
            // Whole cells, then the page's last bytes when they do not fill a cell.
            let whole = range.count / geometry.bytesPerCell
            let wholeEnd = range.lowerBound + whole * geometry.bytesPerCell
            coverage.measure(start: range.lowerBound, end: wholeEnd, width: whole, sources: sources, allocations: roles)
            drawBar(coverage, x: geometry.cellsX, y: y)
            if wholeEnd < range.upperBound {
                coverage.measure(start: wholeEnd, end: range.upperBound, width: 1, sources: sources, allocations: roles)
                drawBar(coverage, x: geometry.cellsX + whole, y: y)
            }
        }
        // A scroll hint on the last column when rows are hidden.
        let x = rect.maxX - 1
        if top > 0 { canvas.put(x, rect.y, state.ascii ? "^" : "▲", .dimText) }
        if top + rect.height < geometry.rowCount { canvas.put(x, rect.maxY - 1, state.ascii ? "v" : "▼", .dimText) }
    }

    /// The move of move mode, where it left and where it arrived on this page, in its own colour (as
    /// ``drawShownMove()`` marks it on the page list).
    mutating func drawZoomShownMove(_ page: PageSnapshot, _ geometry: ZoomGeometry, top: Int) {
        guard let (_, _, move) = shownMove(snapshot, state), move.pool == page.pool else { return }
        var ends: [(offset: Int, glyph: Unicode.Scalar)] = []
        if move.sourcePage == page.id { ends.append((move.sourceOffset, glyphs.left)) }
        if move.destinationPage == page.id && move.operation == .copy { ends.append((move.destinationOffset, glyphs.full)) }
        let bottom = min(geometry.rowCount, top + geometry.visibleRows)
        for end in ends {
            let bytes = end.offset..<(end.offset + move.size)
            guard !bytes.isEmpty else { continue }
            let first = max(top, bytes.lowerBound / geometry.rowBytes), stop = min(bottom, (bytes.upperBound - 1) / geometry.rowBytes + 1)
            guard first < stop else { continue }
            for row in first..<stop {
                let range = geometry.bytes(ofRow: row)
                let from = (max(range.lowerBound, bytes.lowerBound) - range.lowerBound) / geometry.bytesPerCell
                let to = (min(range.upperBound, bytes.upperBound) - range.lowerBound + geometry.bytesPerCell - 1) / geometry.bytesPerCell
                for cell in from..<max(from + 1, to) {
                    canvas.put(geometry.cellsX + cell, geometry.map.y + row - top, end.glyph, .keybarKey, .background, .bold)
                }
            }
        }
    }

    /// The cursor row's allocations, in a box in the lower half.
    mutating func drawZoomList(_ page: PageSnapshot, _ geometry: ZoomGeometry, zoom: PageZoom, cursor: Int) {
        let (title, header, lines) = zoomList(page: page, range: geometry.bytes(ofRow: cursor), digits: geometry.digits,
                                              lastPass: snapshot.lastPass, ascii: state.ascii)
        let box = geometry.list
        let inside = drawBox(box, title: title)
        guard !inside.isEmpty else { return }
        canvas.writeTruncated(header, x: inside.x + 1, y: inside.y, maxWidth: inside.width - 1, foreground: .dimText,
                              attributes: .underline, ascii: state.ascii)
        let visible = max(0, inside.height - 1)
        let scroll = max(0, min(zoom.listScroll, lines.count - visible))
        if lines.isEmpty, visible > 0 {
            canvas.writeTruncated("no allocation in this row", x: inside.x + 1, y: inside.y + 1, maxWidth: inside.width - 1,
                                  foreground: .dimText, ascii: state.ascii)
        }
        for (index, line) in lines.dropFirst(scroll).prefix(visible).enumerated() {
            canvas.writeTruncated(line.0, x: inside.x + 1, y: inside.y + 1 + index, maxWidth: inside.width - 1, foreground: line.1, ascii: state.ascii)
        }
        if lines.count > visible, box.width > 12 {
            let hint = " \(scroll + 1)-\(scroll + visible) of \(lines.count), PgUp PgDn "
            canvas.write(hint, x: max(box.x + 1, box.maxX - 2 - hint.count), y: box.maxY - 1, foreground: .dimText)
        }
    }

    /// The zoomed page is not in the snapshot: a pass released it (or the pass shown is before it existed).
    mutating func drawZoomedPageGone(_ zoom: PageZoom) {
        let body = layout.body
        let released = snapshot.lastPass?.freedPages.contains(zoom.page) == true
        let title = released ? "page \(zoom.page) was released by pass \(snapshot.lastPass?.number ?? 0): its allocations moved to other pages"
            : "page \(zoom.page) is not in the pool shown"
        canvas.writeTruncated(" " + title, x: body.x, y: body.y, maxWidth: body.width, foreground: .freedPage, attributes: .bold, ascii: state.ascii)
        canvas.writeTruncated(" Esc goes back to the page list; \(state.ascii ? "[ ]" : "← →") show other passes", x: body.x, y: body.y + 1,
                              maxWidth: body.width, foreground: .dimText, ascii: state.ascii)
    }

    var zoomKeyItems: [KeyItem] {
        [KeyItem(priority: 0, key: state.ascii ? "Spc" : "␣", label: "step"),
         KeyItem(priority: 4, key: "r", label: state.isRunning ? "pause" : "run"),
         KeyItem(priority: 1, key: "z/Z", label: "zoom in/out"),
         KeyItem(priority: 5, key: state.ascii ? "j/k" : "↑↓", label: "row"),
         KeyItem(priority: 8, key: "PgUp/PgDn", label: "scroll"),
         KeyItem(priority: 6, key: state.ascii ? "Enter" : "⏎", label: "allocations"),
         KeyItem(priority: 9, key: state.ascii ? "[/]" : "←→", label: "pass"),
         KeyItem(priority: 10, key: "./,", label: "moves"),
         KeyItem(priority: 3, key: "Esc", label: "back"),
         KeyItem(priority: 7, key: "?", label: "help"),
         KeyItem(priority: 2, key: "q", label: "quit")]
    }
}
