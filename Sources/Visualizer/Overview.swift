// The page list's order (`o`) and, when the pages do not all fit on the screen, the overview strip above the
// list: every page as one cell (its fill in eighths, immovable and released pages told apart), the pages
// the list shows marked, and a title row naming the order.
import DefragSession

/// The order of the page list; `o` goes to the next. Pages of several pools stay under their pool's
/// heading (each pool is ordered on its own), and pages the last pass released stay after the live ones.
public enum PageOrder: String, CaseIterable, Sendable {
    /// As the engine keeps its pages (VMA's block order: about fullest first, re-sorted as passes go).
    case engine
    /// Used share of the page, highest first.
    case fill
    /// Free bytes, most first.
    case freeBytes
    /// The largest free range, largest first.
    case largestFreeRange
    /// Page id, lowest first.
    case id

    /// The order after this one.
    public var next: PageOrder {
        let all = PageOrder.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }

    /// How the list's title says it: "order: fullest first".
    public var label: String {
        switch self {
        case .engine: return "the engine's"
        case .fill: return "fullest first"
        case .freeBytes: return "most free bytes first"
        case .largestFreeRange: return "largest free range first"
        case .id: return "by id"
        }
    }
}

/// The largest run of free bytes in `page` (its allocations in any order; overlapping ones merge).
func largestFreeRange(of page: PageSnapshot) -> Int {
    var end = 0, largest = 0, previousOffset = Int.min
    for allocation in page.allocations {
        guard allocation.offset >= previousOffset else {
            // Not in offset order: measure the sorted ranges instead.
            var sorted = page
            sorted.allocations.sort { $0.offset < $1.offset }
            return largestFreeRange(of: sorted)
        }
        previousOffset = allocation.offset
        largest = max(largest, allocation.offset - end)
        end = max(end, allocation.offset + allocation.size)
    }
    return max(largest, page.size - end)
}

/// `indices` (into `pages`) in `order`; ties, and `.id`, by ascending page id, then as given.
func orderedPageIndices(_ indices: [Int], _ pages: [PageSnapshot], by order: PageOrder) -> [Int] {
    guard order != .engine, indices.count > 1 else { return indices }
    // Higher keys first; one key per page, computed once.
    let keys: [Double] = indices.map { index in
        let page = pages[index]
        switch order {
        case .engine, .id: return 0
        case .fill: return page.size > 0 ? Double(page.usedBytes) / Double(page.size) : 0
        case .freeBytes: return Double(page.freeBytes)
        case .largestFreeRange: return Double(largestFreeRange(of: page))
        }
    }
    let ids = indices.map { pages[$0].id }
    return indices.indices.sorted { a, b in
        if keys[a] != keys[b] { return keys[a] > keys[b] }
        return ids[a] != ids[b] ? ids[a] < ids[b] : a < b
    }.map { indices[$0] }
}

/// Where the list's title and the overview strip go, and how many pages a strip cell stands for.
struct OverviewStrip: Hashable {
    /// Rows of cells at most; beyond, a cell stands for several pages.
    static let maximumRows = 4

    /// The list's title row.
    var title: Rect
    /// The strip's rows (empty: the pages fit, the title alone names a chosen order).
    var cells: Rect
    /// The pages of the list, released ones included, in the list's order.
    var itemCount: Int
    /// Pages per cell.
    var pagesPerCell: Int

    var cellCount: Int { cells.isEmpty ? 0 : (itemCount + pagesPerCell - 1) / pagesPerCell }

    /// Takes the title (and the strip when `rowCount` rows do not fit) from the top of `pages`; nil when
    /// neither is shown: the rows fit and the order is the engine's, or the screen is too small.
    init?(pages: inout Rect, rowCount: Int, itemCount: Int, order: PageOrder) {
        let titled = order != .engine
        if rowCount <= pages.height - (titled ? 1 : 0) {
            guard titled, pages.height >= 2 else { return nil }
            self.init(title: Rect(x: pages.x, y: pages.y, width: pages.width, height: 1), cells: .empty, itemCount: itemCount,
                      pagesPerCell: 1)
        } else {
            let rows = min(OverviewStrip.maximumRows, pages.height - 1 - Layout.minimumPageRows)
            guard rows >= 1, pages.width > 0, itemCount > 0 else {
                guard titled, pages.height >= 2 else { return nil }
                self.init(title: Rect(x: pages.x, y: pages.y, width: pages.width, height: 1), cells: .empty,
                          itemCount: itemCount, pagesPerCell: 1)
                pages = Rect(x: pages.x, y: pages.y + 1, width: pages.width, height: pages.height - 1)
                return
            }
            let capacity = rows * pages.width
            let perCell = (itemCount + capacity - 1) / capacity
            let cellCount = (itemCount + perCell - 1) / perCell
            let used = (cellCount + pages.width - 1) / pages.width
            self.init(title: Rect(x: pages.x, y: pages.y, width: pages.width, height: 1),
                      cells: Rect(x: pages.x, y: pages.y + 1, width: pages.width, height: used),
                      itemCount: itemCount, pagesPerCell: perCell)
        }
        let taken = title.height + cells.height
        pages = Rect(x: pages.x, y: pages.y + taken, width: pages.width, height: pages.height - taken)
    }

    private init(title: Rect, cells: Rect, itemCount: Int, pagesPerCell: Int) {
        self.title = title
        self.cells = cells
        self.itemCount = itemCount
        self.pagesPerCell = pagesPerCell
    }

    /// The screen cell of strip cell `c`.
    func position(ofCell c: Int) -> (x: Int, y: Int) {
        (cells.x + c % cells.width, cells.y + c / cells.width)
    }

    /// The strip cell at screen cell (`x`, `y`), if one is drawn there.
    func cell(atX x: Int, y: Int) -> Int? {
        guard x >= cells.x, x < cells.maxX, y >= cells.y, y < cells.maxY else { return nil }
        let c = (y - cells.y) * cells.width + (x - cells.x)
        return c < cellCount ? c : nil
    }

    /// The list's pages (0 is the first page row) cell `c` stands for.
    func items(inCell c: Int) -> Range<Int> {
        (c * pagesPerCell)..<min(itemCount, (c + 1) * pagesPerCell)
    }
}

/// Rows of the page list and, of them, pages (live or released), without ordering or building the rows
/// when there is one pool.
func pageRowCounts(_ snapshot: SessionSnapshot) -> (rows: Int, pages: Int) {
    let pages = snapshot.pages.count + (snapshot.lastPass?.freedPages.count ?? 0)
    guard let firstPool = snapshot.pages.first?.pool, snapshot.pages.contains(where: { $0.pool != firstPool }) else {
        return (pages, pages)
    }
    return (pageRows(snapshot).count, pages)
}

extension Renderer {
    /// The list's title ("589 pages · order: fullest first (o) · 41–80 shown · 1 cell = 2 pages") and the
    /// strip: each cell the fill of its pages in eighths (rounded as the bars are), immovable pages in their
    /// colour (without colour: `!`), released ones as `×`; the cells of the pages the list shows underlined
    /// (in colour, on the selection's colour too).
    mutating func drawOverview() {
        guard let strip = layout.overview else { return }
        // The list's pages in its order: `items[i]` is the row of the i-th.
        let items = rows.indices.filter { rows[$0].isSelectable }
        let first = items.firstIndex { $0 >= scroll } ?? items.count
        let end = items.firstIndex { $0 >= scroll + layout.pages.height } ?? items.count
        var detail = "order: \(state.pageOrder.label) (o)"
        if !strip.cells.isEmpty {
            detail += glyphs.dot + (first < end ? "\(first + 1)\(state.ascii ? "-" : "–")\(end) shown" : "none shown")
            if strip.pagesPerCell > 1 { detail += glyphs.dot + "1 cell = \(strip.pagesPerCell) pages" }
        }
        let count = items.count
        drawGroupHeader("\(count) page\(count == 1 ? "" : "s")", detail: detail, y: strip.title.y)
        for c in 0..<strip.cellCount {
            let range = strip.items(inCell: c)
            var used = 0, size = 0, live = 0, immovable = false
            for item in range {
                guard case .page(let index) = rows[items[item]] else { continue }
                let page = snapshot.pages[index]
                used += page.usedBytes
                size += page.size
                live += 1
                immovable = immovable || page.isImmovable
            }
            let shown = range.lowerBound < end && range.upperBound > first
            let (x, y) = strip.position(ofCell: c)
            var cell: Cell
            if live == 0 {
                cell = Cell(glyphs.releasedFlag, foreground: .freedPage, background: .background)
            } else if immovable && state.monochrome {
                cell = Cell(glyphs.immovableFlag, foreground: .immovable, background: .free, attributes: .bold)
            } else {
                let eighths = BarCoverage.eighths(used: used, of: size)
                let role: Role = immovable ? .immovable : .text
                switch eighths {
                case 0: cell = Cell(glyphs.free, foreground: .dimText, background: .free)
                case 8: cell = Cell(glyphs.full, foreground: role, background: .free)
                default: cell = Cell(glyphs.eighths[eighths], foreground: role, background: .free)
                }
            }
            if shown {
                // Without colour the selection's background is reverse video, which would turn an eighth
                // block's ink around: underline alone marks the window there.
                if !state.monochrome { cell.background = .selection }
                cell.attributes.insert(.underline)
            }
            canvas.put(x, y, cell.scalar, cell.foreground, cell.background, cell.attributes)
        }
    }
}
