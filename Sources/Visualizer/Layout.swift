// Where each part of the screen goes, shared by `render` and `update` so that scrolling and mouse
// selection agree with what is drawn.
import DefragSession

/// A rectangle of cells.
public struct Rect: Hashable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public static let empty = Rect(x: 0, y: 0, width: 0, height: 0)
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var maxY: Int { y + height }
    public var maxX: Int { x + width }
}

/// One row of the page list.
enum PageRow: Equatable {
    /// `snapshot.pages[index]`.
    case page(index: Int)
    /// A page the last pass released.
    case released(id: Int)
    /// The heading of a pool's pages (only when the snapshot has several pools): its name, page count and
    /// used bytes over page bytes.
    case poolHeader(name: String, pages: Int, usedBytes: Int, bytes: Int)
    /// The heading of released pages whose pool is not known (several pools only).
    case releasedHeader

    /// Headers are never selected.
    var isSelectable: Bool {
        switch self {
        case .page, .released: return true
        case .poolHeader, .releasedHeader: return false
        }
    }
}

/// The screen's regions for one frame.
struct Layout {
    /// Width of the stats panel when it sits to the right.
    static let sidePanelWidth = 34
    /// From this width on, the stats panel sits to the right of the pages.
    static let sidePanelMinimumWidth = 100
    /// Width of one item of the stats panel when it sits below.
    static let gridItemWidth = 26
    /// Page rows kept for the list before a panel below is dropped.
    static let minimumPageRows = 3

    var header = Rect.empty
    var keyBar = Rect.empty
    var message = Rect.empty
    var pages = Rect.empty
    var panel = Rect.empty
    var panelBeside = false
    var body = Rect.empty

    /// The colour legend, just above the key bar (``ViewState/isLegendShown``).
    var legend = Rect.empty
    /// The page list's title and overview strip, above `pages` (nil: not shown).
    var overview: OverviewStrip?

    init(width: Int, height: Int, hasMessage: Bool, narrowPanelItems: Int, hasLegend: Bool = false) {
        guard width > 0, height > 0 else { return }
        header = Rect(x: 0, y: 0, width: width, height: 1)
        var bottom = height
        if height >= 3 {
            keyBar = Rect(x: 0, y: height - 1, width: width, height: 1)
            bottom -= 1
        }
        if hasLegend && height >= 8 {
            legend = Rect(x: 0, y: bottom - 1, width: width, height: 1)
            bottom -= 1
        }
        if hasMessage && height >= 6 {
            message = Rect(x: 0, y: bottom - 1, width: width, height: 1)
            bottom -= 1
        }
        body = Rect(x: 0, y: 1, width: width, height: bottom - 1)
        pages = body
        guard !body.isEmpty else { return }
        if width >= Layout.sidePanelMinimumWidth {
            panelBeside = true
            panel = Rect(x: width - Layout.sidePanelWidth, y: body.y, width: Layout.sidePanelWidth, height: body.height)
            pages = Rect(x: 0, y: body.y, width: width - Layout.sidePanelWidth, height: body.height)
        } else {
            let columns = max(1, width / Layout.gridItemWidth)
            let panelHeight = 2 + (narrowPanelItems + columns - 1) / columns
            if body.height - panelHeight >= Layout.minimumPageRows {
                panel = Rect(x: 0, y: body.maxY - panelHeight, width: width, height: panelHeight)
                pages = Rect(x: 0, y: body.y, width: width, height: body.height - panelHeight)
            }
        }
    }

    init(width: Int, height: Int, snapshot: SessionSnapshot, state: ViewState) {
        self.init(width: width, height: height, hasMessage: messageText(snapshot, state) != nil,
                  narrowPanelItems: StatsPanel.gridItemCount, hasLegend: state.isLegendShown)
        let counts = pageRowCounts(snapshot)
        overview = OverviewStrip(pages: &pages, rowCount: counts.rows, itemCount: counts.pages, order: state.pageOrder)
    }
}

/// The rows of the page list: every page, then the pages the last pass released. With several pools, each
/// pool's pages come under a header row, and a released page follows its pool's pages when a move of the
/// last pass left it (else it goes under a last "released" header). A pool's pages are in `order`.
func pageRows(_ snapshot: SessionSnapshot, order: PageOrder = .engine) -> [PageRow] {
    let freed = snapshot.lastPass?.freedPages ?? []
    guard let firstPool = snapshot.pages.first?.pool, snapshot.pages.contains(where: { $0.pool != firstPool }) else {
        var rows = orderedPageIndices(Array(snapshot.pages.indices), snapshot.pages, by: order).map { PageRow.page(index: $0) }
        rows += freed.map { PageRow.released(id: $0) }
        return rows
    }
    // Pools in the order they first appear, each with its pages in `order`.
    var poolOrder: [String] = []
    var members: [String: [Int]] = [:]
    for (index, page) in snapshot.pages.enumerated() {
        if members[page.pool] == nil { poolOrder.append(page.pool) }
        members[page.pool, default: []].append(index)
    }
    // A released page belongs to the pool a move left it from, if that pool has no live page of that id.
    var releasedIn: [String: [Int]] = [:]
    var unattributed: [Int] = []
    for id in freed {
        let pools = Set((snapshot.lastPass?.moves ?? []).filter { $0.sourcePage == id && $0.operation != .ignore }.map(\.pool))
            .filter { pool in !(members[pool] ?? []).contains { snapshot.pages[$0].id == id } && members[pool] != nil }
        if pools.count == 1, let pool = pools.first { releasedIn[pool, default: []].append(id) } else { unattributed.append(id) }
    }
    var rows: [PageRow] = []
    rows.reserveCapacity(snapshot.pages.count + poolOrder.count + freed.count + 1)
    for pool in poolOrder {
        let indices = orderedPageIndices(members[pool] ?? [], snapshot.pages, by: order)
        var used = 0, bytes = 0
        for index in indices { used += snapshot.pages[index].usedBytes; bytes += snapshot.pages[index].size }
        rows.append(.poolHeader(name: pool, pages: indices.count, usedBytes: used, bytes: bytes))
        rows += indices.map { PageRow.page(index: $0) }
        rows += (releasedIn[pool] ?? []).map { PageRow.released(id: $0) }
    }
    if !unattributed.isEmpty {
        rows.append(.releasedHeader)
        rows += unattributed.map { PageRow.released(id: $0) }
    }
    return rows
}

/// The selectable row nearest `row` looking in `direction` (+1 or −1) first, then the other way; `row`
/// clamped to the rows when nothing is selectable.
func selectableRow(_ row: Int, in rows: [PageRow], direction: Int = 1) -> Int {
    guard !rows.isEmpty else { return 0 }
    let start = max(0, min(rows.count - 1, row))
    for step in [direction >= 0 ? 1 : -1, direction >= 0 ? -1 : 1] {
        var index = start
        while index >= 0 && index < rows.count {
            if rows[index].isSelectable { return index }
            index += step
        }
    }
    return start
}

/// ``clampedSelection(selected:scroll:rowCount:visible:)`` over `rows`, with the selection moved off header
/// rows (in `direction` first), and a pool's header kept in view above its first page.
func clampedSelection(selected: Int, scroll: Int, rows: [PageRow], visible: Int, direction: Int = 1) -> (selected: Int, scroll: Int) {
    let row = rows.isEmpty ? selected : selectableRow(selected, in: rows, direction: direction)
    var (selected, scroll) = clampedSelection(selected: row, scroll: scroll, rowCount: rows.count, visible: visible)
    if visible >= 2, scroll > 0, scroll == selected, !rows[selected - 1].isSelectable { scroll -= 1 }
    return (selected, scroll)
}

/// The text of the message row: the view's own message, else the session's notice, else a handler error.
func messageText(_ snapshot: SessionSnapshot, _ state: ViewState) -> String? {
    if let message = state.message { return message }
    if let hint = state.hint { return hint }
    if let move = moveText(snapshot, state) { return move }
    if let notice = snapshot.notice { return notice }
    if let errors = snapshot.lastPass?.errors, let first = errors.first {
        return errors.count == 1 ? first.description : "\(first) (+\(errors.count - 1) more)"
    }
    return nil
}

/// The selection and scroll offset made consistent with `rowCount` rows, `visible` at a time.
func clampedSelection(selected: Int, scroll: Int, rowCount: Int, visible: Int) -> (selected: Int, scroll: Int) {
    guard rowCount > 0 else { return (0, 0) }
    let selected = max(0, min(rowCount - 1, selected))
    guard visible > 0 else { return (selected, max(0, min(scroll, rowCount - 1))) }
    var scroll = max(0, min(scroll, rowCount - visible))
    if selected < scroll { scroll = selected }
    if selected >= scroll + visible { scroll = selected - visible + 1 }
    return (selected, scroll)
}
