// The page zoom (`z`): one page drawn over the whole screen, many rows, each a contiguous slice of the page with
// its starting offset in hex; `z`/`Z` halve/double the bytes per cell, the arrows and PgUp/PgDn move the cursor
// row, Enter lists the allocations of the cursor row, Esc goes back. This file holds the zoom's state, its
// geometry (shared by `update` and `render`, so what a key does matches what is drawn) and its key handling.
import DefragSession

/// What the zoom remembers. Positions are byte offsets, not row numbers, so a resize or a new zoom level keeps
/// the cursor on the bytes it was on; ``normalised(_:)`` turns them into the starts of rows at the current zoom.
public struct PageZoom: Hashable, Sendable {
    /// The zoomed page: its pool and id.
    public var pool: String
    public var page: Int
    /// A power of two, from 1 to the zoom that shows the whole page on the screen.
    public var bytesPerCell: Int
    /// The start of the first row shown.
    public var topOffset = 0
    /// The start of the cursor row.
    public var cursorOffset = 0
    /// The cursor row's allocation list (Enter) is open, in the lower half of the screen.
    public var isListShown = false
    /// First line of that list shown.
    public var listScroll = 0

    public init(pool: String, page: Int, bytesPerCell: Int) {
        self.pool = pool
        self.page = page
        self.bytesPerCell = bytesPerCell
    }
}

/// Where the zoom's parts go for one page at one zoom level. The screen's own header, message row, legend and
/// key bar stay where the page list has them (the message row is always kept, so a hint appearing does not
/// move the map); between them: a title line, the map, and (when open) the list pane.
struct ZoomGeometry {
    let pageSize: Int
    /// Hex digits of an offset (those of the page size, as in a page's allocation list).
    let digits: Int
    let bytesPerCell: Int
    /// The zoom that shows the whole page on the screen (the list closed): the largest bytes per cell.
    let wholePage: Int
    let title: Rect
    /// The map's rows: an offset label, then the cells, then a column for the scroll hint.
    let map: Rect
    /// The list pane's box (empty when the list is closed).
    let list: Rect
    let cellsX: Int
    /// Cells in a full row: a multiple of 16 when the screen is that wide, so rows start at round offsets.
    let columns: Int

    var rowBytes: Int { columns * bytesPerCell }
    var rowCount: Int { pageSize <= 0 ? 0 : (pageSize + rowBytes - 1) / rowBytes }
    var visibleRows: Int { map.height }

    /// The layout of a zoomed screen (the message row always kept).
    static func layout(width: Int, height: Int, state: ViewState) -> Layout {
        Layout(width: width, height: height, hasMessage: true, narrowPanelItems: 0, hasLegend: state.isLegendShown)
    }

    init(pageSize: Int, bytesPerCell requested: Int, body: Rect, isListShown: Bool) {
        self.pageSize = max(0, pageSize)
        digits = max(1, String(self.pageSize, radix: 16).count)
        title = Rect(x: body.x, y: body.y, width: body.width, height: min(1, body.height))
        let area = Rect(x: body.x, y: body.y + 1, width: body.width, height: body.height - 1)
        let labelWidth = digits + 3
        let available = max(1, area.width - labelWidth - 1)
        columns = available >= 16 ? available / 16 * 16 : available
        cellsX = area.x + labelWidth
        wholePage = ZoomGeometry.wholePageBytesPerCell(pageSize: self.pageSize, columns: columns, rows: area.height)
        bytesPerCell = max(1, min(wholePage, requested))
        // The list takes the lower half, when there is room for its border, its column names and a line.
        let listHeight = isListShown && area.height >= 6 ? area.height / 2 : 0
        map = Rect(x: area.x, y: area.y, width: area.width, height: area.height - listHeight)
        list = listHeight > 0 ? Rect(x: area.x, y: map.maxY, width: area.width, height: listHeight) : .empty
    }

    /// The smallest power of two of bytes per cell at which `pageSize` bytes fit in `rows` rows of `columns`.
    static func wholePageBytesPerCell(pageSize: Int, columns: Int, rows: Int) -> Int {
        let cells = max(1, columns) * max(1, rows)
        let needed = max(1, (pageSize + cells - 1) / cells)
        var power = 1
        while power < needed && power < Int.max / 2 { power <<= 1 }
        return power
    }

    /// Row `row`'s bytes (the last row ends with the page).
    func bytes(ofRow row: Int) -> Range<Int> {
        let start = min(pageSize, max(0, row) * rowBytes)
        return start..<min(pageSize, start + rowBytes)
    }

    /// "0x0040000": an offset with the page's digits.
    func hex(_ offset: Int) -> String { hexOffset(offset, digits: digits) }

    /// The first row shown and the cursor row for `zoom`'s offsets, made consistent (the cursor in view).
    func rows(_ zoom: PageZoom) -> (top: Int, cursor: Int) {
        let (cursor, top) = clampedSelection(selected: zoom.cursorOffset / rowBytes, scroll: zoom.topOffset / rowBytes,
                                             rowCount: rowCount, visible: visibleRows)
        return (top, cursor)
    }

    /// `zoom` at this geometry's zoom level, its offsets at the starts of the rows they fall in.
    func normalised(_ zoom: PageZoom) -> PageZoom {
        var zoom = zoom
        zoom.bytesPerCell = bytesPerCell
        let (top, cursor) = rows(zoom)
        zoom.topOffset = top * rowBytes
        zoom.cursorOffset = cursor * rowBytes
        return zoom
    }
}

/// "0x" and `offset` in hex, zero-padded to `digits`.
func hexOffset(_ offset: Int, digits: Int) -> String {
    let text = String(offset, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
}

/// The zoomed page in `snapshot`, if it is there.
func zoomedPage(_ zoom: PageZoom, _ snapshot: SessionSnapshot) -> PageSnapshot? {
    snapshot.pages.first { $0.id == zoom.page && $0.pool == zoom.pool }
}

/// The zoom's geometry for `state` (which must be zoomed) on `page`.
func zoomGeometry(_ zoom: PageZoom, page: PageSnapshot, state: ViewState) -> ZoomGeometry {
    let layout = ZoomGeometry.layout(width: state.width, height: state.height, state: state)
    return ZoomGeometry(pageSize: page.size, bytesPerCell: zoom.bytesPerCell, body: layout.body, isListShown: zoom.isListShown)
}

/// Index of the first of `allocations` (ascending by offset, not overlapping) that ends after `offset`.
func firstAllocation(endingAfter offset: Int, in allocations: [AllocationSnapshot]) -> Int {
    var low = 0, high = allocations.count
    while low < high {
        let middle = (low + high) / 2
        if allocations[middle].offset + allocations[middle].size <= offset { low = middle + 1 } else { high = middle }
    }
    return low
}

/// The allocations of `page` overlapping `range`, in order.
func allocations(of page: PageSnapshot, overlapping range: Range<Int>) -> ArraySlice<AllocationSnapshot> {
    let first = firstAllocation(endingAfter: range.lowerBound, in: page.allocations)
    var end = first
    while end < page.allocations.count && page.allocations[end].offset < range.upperBound { end += 1 }
    return page.allocations[first..<end]
}

// MARK: the cursor row's list

/// The list of the allocations overlapping `range` of `page` (Enter in the zoom): a title, the column names,
/// and one line per allocation (offset, size, id, type, size class, and where it came from when the last pass
/// moved it here), then the ranges the last pass's moves left in it.
func zoomList(page: PageSnapshot, range: Range<Int>, digits: Int, lastPass: PassReport?, ascii: Bool)
    -> (title: String, header: String, lines: [(String, Role)]) {
    let shown = allocations(of: page, overlapping: range)
    var held = 0
    for allocation in shown {
        held += min(range.upperBound, allocation.offset + allocation.size) - max(range.lowerBound, allocation.offset)
    }
    let percent = range.isEmpty ? 0 : held * 100 / range.count
    let dash = ascii ? "-" : "–"
    let title = "\(hexOffset(range.lowerBound, digits: digits))\(dash)\(hexOffset(max(range.lowerBound, range.upperBound - 1), digits: digits)): "
        + "\(shown.count) allocation\(shown.count == 1 ? "" : "s"), \(percent)% used"
    let offsetWidth = digits + 2
    func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
    let header = pad("offset", offsetWidth) + "  " + pad("size", 10, right: true) + "  " + pad("id", 8, right: true)
        + "  " + pad("type", 13) + "  " + pad("class", 9) + "  moved"
    var arrivedFrom: [MoveMarks.Arrival: MoveRecord] = [:]
    var departures: [MoveRecord] = []
    for move in lastPass?.moves ?? [] where move.pool == page.pool && move.operation != .ignore && !page.isDedicated {
        if move.destinationPage == page.id && move.operation == .copy {
            arrivedFrom[MoveMarks.Arrival(id: move.id, offset: move.destinationOffset)] = move
        }
        if move.sourcePage == page.id && move.sourceOffset < range.upperBound && move.sourceOffset + move.size > range.lowerBound {
            departures.append(move)
        }
    }
    let classLabels = Renderer.legendEntries(.size).map(\.label)
    let arrow = ascii ? "<-" : "←", away = ascii ? "->" : "→"
    var lines: [(String, Role)] = []
    for allocation in shown {
        var line = pad(hexOffset(allocation.offset, digits: digits), offsetWidth) + "  " + pad(ByteFormat.short(allocation.size), 10, right: true)
            + "  " + pad(String(allocation.id), 8, right: true) + "  " + pad(allocation.type.description.lowercased(), 13)
            + "  " + pad(classLabels[sizeClass(ofSize: allocation.size)], 9)
        var role = Role.text
        if let move = arrivedFrom[MoveMarks.Arrival(id: allocation.id, offset: allocation.offset)] {
            line += "  \(arrow) page \(move.sourcePage) @ \(hexOffset(move.sourceOffset, digits: digits))"
            role = .movedDestination
        }
        if let name = allocation.name, !name.isEmpty { line += "  \(name)" }
        while line.last == " " { line.removeLast() }
        lines.append((line, role))
    }
    for move in departures.sorted(by: { $0.sourceOffset < $1.sourceOffset }) {
        let target = move.operation == .destroy ? "destroyed" : "page \(move.destinationPage) @ \(hexOffset(move.destinationOffset, digits: digits))"
        lines.append((pad(hexOffset(move.sourceOffset, digits: digits), offsetWidth) + "  " + pad(ByteFormat.short(move.size), 10, right: true)
            + "  " + pad(String(move.id), 8, right: true) + "  " + pad("(left)", 13) + "  " + pad("", 9) + "  \(away) \(target)", .movedSource))
    }
    return (title, header, lines)
}

/// Lines of the list pane that fit under its border and column names.
func zoomListVisibleLines(_ geometry: ZoomGeometry) -> Int { max(1, geometry.list.height - 3) }

// MARK: keys

extension Command {
    /// The commands the zoom handles itself while it is open (the others act as on the page list: steps, the
    /// timeline, run, reset, algorithm, help...).
    var isZoomCommand: Bool {
        switch self {
        case .zoomIn, .zoomOut, .scrollUp, .scrollDown, .pageUp, .pageDown, .home, .end, .selectRow, .openDetail,
             .closeDetail, .stepMove, .resize:
            return true
        default:
            return false
        }
    }
}

/// `z` on the page list: the selected page's map, at the zoom that shows all of it.
func openZoom(_ state: inout ViewState, _ snapshot: SessionSnapshot, rows: [PageRow]) {
    let (selected, _) = clampedSelection(selected: state.selectedRow, scroll: state.scrollOffset, rows: rows, visible: 1)
    guard selected < rows.count else { state.hint = "no page to zoom into"; return }
    switch rows[selected] {
    case .page(let index):
        let page = snapshot.pages[index]
        var zoom = PageZoom(pool: page.pool, page: page.id, bytesPerCell: .max)
        zoom = zoomGeometry(zoom, page: page, state: state).normalised(zoom)
        state.zoom = zoom
        state.isDetailShown = false
        state.isHelpShown = false
        state.moveIndex = nil
    case .released(let id):
        state.hint = "page \(id) was released by pass \(snapshot.lastPass?.number ?? 0): nothing to zoom into"
    case .poolHeader, .releasedHeader:
        state.hint = "no page to zoom into"
    }
}

/// The zoom's part of ``update(_:_:_:)`` for a command with ``Command/isZoomCommand`` while zoomed.
func updateZoom(_ state: inout ViewState, _ command: Command, _ snapshot: SessionSnapshot, rows: [PageRow]) {
    guard var zoom = state.zoom else { return }
    if case .resize(let width, let height) = command {
        // A zoom that showed the whole page keeps showing it.
        let before = zoomedPage(zoom, snapshot).map { zoomGeometry(zoom, page: $0, state: state) }
        state.width = max(0, width)
        state.height = max(0, height)
        if let before, before.bytesPerCell == before.wholePage { zoom.bytesPerCell = .max }
        state.zoom = zoom
        return
    }
    if state.isHelpShown, command == .closeDetail || command.isClick {
        state.isHelpShown = false
        return
    }
    guard let page = zoomedPage(zoom, snapshot) else {
        if command == .closeDetail { leaveZoom(&state, snapshot, rows: rows) }
        else { state.hint = "page \(zoom.page) is not in the pool shown: Esc goes back to the page list" }
        return
    }
    let geometry = zoomGeometry(zoom, page: page, state: state)
    let (top, cursor) = geometry.rows(zoom)
    let rowBytes = geometry.rowBytes
    func moveCursor(to row: Int, top newTop: Int? = nil) {
        zoom.cursorOffset = max(0, min(geometry.rowCount - 1, row)) * rowBytes
        if let newTop { zoom.topOffset = max(0, newTop) * rowBytes }
        if zoom.isListShown { zoom.listScroll = 0 }
    }
    let listPage = zoomListVisibleLines(geometry)
    switch command {
    case .zoomIn, .zoomOut:
        let zoomingIn = command == .zoomIn
        if zoomingIn && geometry.bytesPerCell == 1 { state.hint = "1 byte per cell: the closest zoom" }
        else if !zoomingIn && geometry.bytesPerCell >= geometry.wholePage { state.hint = "the whole page is on the screen: Z zooms no further out" }
        else {
            // The cursor's bytes stay on the same screen line when they can.
            let line = cursor - top
            zoom.bytesPerCell = zoomingIn ? geometry.bytesPerCell / 2 : geometry.bytesPerCell * 2
            let next = zoomGeometry(zoom, page: page, state: state)
            let row = zoom.cursorOffset / next.rowBytes
            zoom.topOffset = max(0, row - line) * next.rowBytes
            zoom.listScroll = 0
        }
    case .scrollUp: moveCursor(to: cursor - 1)
    case .scrollDown: moveCursor(to: cursor + 1)
    case .pageUp:
        if zoom.isListShown { zoom.listScroll = max(0, zoom.listScroll - listPage) }
        else { moveCursor(to: cursor - geometry.visibleRows, top: top - geometry.visibleRows) }
    case .pageDown:
        if zoom.isListShown { zoom.listScroll += listPage }
        else { moveCursor(to: cursor + geometry.visibleRows, top: top + geometry.visibleRows) }
    case .home:
        if zoom.isListShown { zoom.listScroll = 0 } else { moveCursor(to: 0) }
    case .end:
        if zoom.isListShown { zoom.listScroll = Int.max / 2 } else { moveCursor(to: geometry.rowCount - 1) }
    case .selectRow(_, let y):
        // A click on a map row moves the cursor there; on the cursor row, it opens the row's list.
        if y >= geometry.map.y && y < geometry.map.maxY {
            let row = top + (y - geometry.map.y)
            if row < geometry.rowCount {
                if row == cursor { zoom.isListShown = true; zoom.listScroll = 0 } else { moveCursor(to: row) }
            }
        }
    case .openDetail:
        zoom.isListShown = true
        zoom.listScroll = 0
        state.isHelpShown = false
    case .closeDetail:
        if zoom.isListShown { zoom.isListShown = false }
        else if state.moveIndex != nil { state.moveIndex = nil }
        else { leaveZoom(&state, snapshot, rows: rows); return }
    case .stepMove(let forward):
        stepZoomMove(&state, &zoom, forward: forward, snapshot, page: page)
    default:
        break
    }
    state.zoom = zoom
}

/// Esc in the zoom: back to the page list, the zoomed page selected (a pass may have moved its row).
func leaveZoom(_ state: inout ViewState, _ snapshot: SessionSnapshot, rows: [PageRow]) {
    guard let zoom = state.zoom else { return }
    state.zoom = nil
    state.moveIndex = nil
    state.message = nil
    if let row = rowIndex(ofPage: zoom.page, pool: zoom.pool, in: rows, snapshot) { state.selectedRow = row }
}

/// `.`/`,` in the zoom: the next (previous) move of the pass shown that left or reached the zoomed page; the
/// cursor goes to where it arrived here (else to where it left).
func stepZoomMove(_ state: inout ViewState, _ zoom: inout PageZoom, forward: Bool, _ snapshot: SessionSnapshot, page: PageSnapshot) {
    let moves = snapshot.lastPass?.moves ?? []
    func touches(_ move: MoveRecord) -> Bool {
        move.pool == page.pool && move.operation != .ignore && (move.sourcePage == page.id || move.destinationPage == page.id)
    }
    let candidates: [Int]
    if let current = state.moveIndex {
        candidates = forward ? Array((current + 1)..<max(current + 1, moves.count)) : Array((0..<min(current, moves.count)).reversed())
    } else {
        candidates = forward ? Array(moves.indices) : Array(moves.indices.reversed())
    }
    guard let index = candidates.first(where: { touches(moves[$0]) }) else {
        if state.moveIndex == nil {
            state.hint = "no move of the pass shown left or reached page \(page.id) (← → choose a pass)"
        } else {
            state.hint = forward ? "no later move of this pass touches page \(page.id)" : "no earlier move of this pass touches page \(page.id)"
        }
        return
    }
    state.moveIndex = index
    state.message = nil
    zoom.isListShown = false
    let move = moves[index]
    zoom.cursorOffset = move.destinationPage == page.id && move.operation == .copy ? move.destinationOffset : move.sourceOffset
}

extension Command {
    /// A mouse click.
    var isClick: Bool { if case .selectRow = self { return true } else { return false } }
}

/// `zoom` made consistent with the screen and the page after an update: its zoom level within bounds, its
/// offsets at row starts with the cursor in view, the list's scroll within its lines.
func normalisedZoom(_ zoom: PageZoom, _ state: ViewState, _ snapshot: SessionSnapshot) -> PageZoom {
    guard let page = zoomedPage(zoom, snapshot) else { return zoom }
    let geometry = zoomGeometry(zoom, page: page, state: state)
    var zoom = geometry.normalised(zoom)
    if zoom.isListShown {
        let lines = zoomList(page: page, range: geometry.bytes(ofRow: zoom.cursorOffset / geometry.rowBytes), digits: geometry.digits,
                             lastPass: snapshot.lastPass, ascii: state.ascii).lines.count
        zoom.listScroll = max(0, min(zoom.listScroll, lines - zoomListVisibleLines(geometry)))
    } else {
        zoom.listScroll = 0
    }
    return zoom
}
