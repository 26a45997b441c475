// The page list: one row per page with an occupancy bar whose ink is the bytes allocations hold (BarCoverage).
import DefragSession
import Defragmentation
import MemoryMetadata

/// The last pass's moves, indexed by page, so each row finds its marks without scanning every move.
struct MoveMarks {
    struct PageKey: Hashable { var pool: String; var page: Int }
    struct Arrival: Hashable { var id: Int; var offset: Int }
    /// Byte ranges allocations left, per page.
    var sources: [PageKey: [Range<Int>]] = [:]
    /// Allocations that arrived, per page.
    var arrivals: [PageKey: Set<Arrival>] = [:]

    init(_ pass: PassReport?) {
        guard let pass else { return }
        for move in pass.moves where move.operation != .ignore {
            sources[PageKey(pool: move.pool, page: move.sourcePage), default: []]
                .append(move.sourceOffset..<(move.sourceOffset + move.size))
            if move.operation == .copy {
                arrivals[PageKey(pool: move.pool, page: move.destinationPage), default: []]
                    .insert(Arrival(id: move.id, offset: move.destinationOffset))
            }
        }
    }
}

/// Size classes: below 4 KiB, 64 KiB, 1 MiB, 16 MiB, 256 MiB, and above.
public func sizeClass(ofSize size: Int) -> Int {
    var limit = 4096, index = 0
    while size >= limit && index < Role.sizeClassCount - 1 { limit &*= 16; index += 1 }
    return index
}

/// The role of an allocation when it did not just arrive.
func allocationRole(_ allocation: AllocationSnapshot, mode: ColourMode) -> Role {
    switch mode {
    case .size:
        return Role.sizeClass(sizeClass(ofSize: allocation.size))
    case .type:
        switch allocation.type {
        case .buffer: return .buffer
        case .imageOptimal: return .imageOptimal
        case .imageLinear, .imageUnknown: return .imageLinear
        case .unknown, .free: return .unknownType
        }
    }
}

/// Columns of a page row.
struct RowColumns {
    var idWidth: Int
    var barX: Int
    var barWidth: Int
    var percentX: Int?
    var countX: Int?
    var countWidth: Int

    init(rect: Rect, maxID: Int, maxCount: Int) {
        idWidth = max(1, String(maxID).count)
        countWidth = max(1, String(maxCount).count)
        // [id][flag] [bar] [100%] [count]
        let label = idWidth + 2
        let suffixFull = 5 + 1 + countWidth
        if rect.width - label - suffixFull >= 4 {
            barX = rect.x + label
            barWidth = rect.width - label - suffixFull
            percentX = barX + barWidth + 1
            countX = barX + barWidth + 5 + 1
        } else if rect.width - label - 5 >= 4 {
            barX = rect.x + label
            barWidth = rect.width - label - 5
            percentX = barX + barWidth + 1
        } else {
            barX = rect.x + label
            barWidth = max(0, rect.width - label)
        }
    }
}

extension Renderer {
    mutating func drawPageList() {
        let rect = layout.pages
        guard !rect.isEmpty else { return }
        if rowCount == 0 {
            canvas.writeTruncated("no pages", x: rect.x + 1, y: rect.y, maxWidth: rect.width - 1, foreground: .dimText, ascii: state.ascii)
            return
        }
        let maxID = max(snapshot.pages.map(\.id).max() ?? 0, snapshot.lastPass?.freedPages.max() ?? 0)
        let maxCount = snapshot.pages.map(\.allocations.count).max() ?? 0
        let columns = RowColumns(rect: rect, maxID: maxID, maxCount: maxCount)
        let marks = MoveMarks(snapshot.lastPass)
        var coverage = BarCoverage()
        for line in 0..<rect.height {
            let row = scroll + line
            guard row < rowCount else { break }
            let y = rect.y + line
            switch rows[row] {
            case .page(let index):
                drawPageRow(snapshot.pages[index], y: y, columns: columns, selected: row == selected, marks: marks, coverage: &coverage)
            case .released(let id):
                drawReleasedRow(id: id, y: y, columns: columns, selected: row == selected)
            case .poolHeader(let name, let pages, let used, let bytes):
                let percent = bytes > 0 ? used * 100 / bytes : 0
                drawGroupHeader(name.isEmpty ? "(unnamed pool)" : name,
                                detail: "\(pages) page\(pages == 1 ? "" : "s")\(glyphs.dot)\(percent)% used", y: y)
            case .releasedHeader:
                drawGroupHeader("released", detail: "by pass \(snapshot.lastPass?.number ?? 0)", y: y)
            }
        }
        // A scroll hint on the last column when rows are hidden.
        if rowCount > rect.height, rect.width > 0 {
            let x = rect.maxX - 1
            if scroll > 0 { canvas.put(x, rect.y, state.ascii ? "^" : "▲", .dimText) }
            if scroll + rect.height < rowCount { canvas.put(x, rect.maxY - 1, state.ascii ? "v" : "▼", .dimText) }
        }
    }

    /// "── Pool 2 'Textures' · 3 pages · 45% used ─────": a pool's heading in the page list.
    mutating func drawGroupHeader(_ name: String, detail: String, y: Int) {
        let rect = layout.pages
        let rule = Cell(glyphs.horizontal, foreground: .border)
        canvas.fill(x: rect.x, y: y, width: rect.width, height: 1, with: rule)
        var x = canvas.write(String(glyphs.horizontal) + " ", x: rect.x, y: y, maxWidth: rect.width, foreground: .border)
        x = canvas.writeTruncated(name, x: x, y: y, maxWidth: rect.maxX - x, foreground: .panelTitle, attributes: .bold, ascii: state.ascii)
        canvas.writeTruncated(glyphs.dot + detail + " ", x: x, y: y, maxWidth: rect.maxX - x, foreground: .dimText, ascii: state.ascii)
    }

    mutating func drawLabel(id: Int, y: Int, columns: RowColumns, selected: Bool, flag: Unicode.Scalar, flagRole: Role) {
        let x = layout.pages.x
        let background: Role = selected ? .selection : .background
        let digits = String(id)
        let pad = columns.idWidth - digits.unicodeScalars.count
        for i in 0..<pad { canvas.put(x + i, y, " ", .text, background) }
        canvas.write(digits, x: x + pad, y: y, maxWidth: layout.pages.width - pad, background: background,
                     attributes: selected ? .bold : [])
        if columns.idWidth < layout.pages.width {
            canvas.put(x + columns.idWidth, y, flag, flagRole, background, flagRole == .immovable ? .bold : [])
        }
    }

    mutating func drawPageRow(_ page: PageSnapshot, y: Int, columns: RowColumns, selected: Bool, marks: MoveMarks,
                              coverage: inout BarCoverage) {
        let flag: Unicode.Scalar = page.isImmovable ? glyphs.immovableFlag : (page.isDedicated ? glyphs.dedicatedFlag : " ")
        drawLabel(id: page.id, y: y, columns: columns, selected: selected, flag: flag,
                  flagRole: page.isImmovable ? .immovable : .dimText)
        guard columns.barWidth > 0 else { return }
        let key = MoveMarks.PageKey(pool: page.pool, page: page.id)
        // A dedicated page is never a move's source or destination: nothing is marked on it.
        let arrivals = page.isDedicated ? [] : marks.arrivals[key] ?? []
        let mode = state.colourMode
        coverage.measure(start: 0, end: page.size, width: columns.barWidth,
                         sources: page.isDedicated ? [] : marks.sources[key] ?? [],
                         allocations: page.allocations.lazy.map { allocation in
                             let arrived = !arrivals.isEmpty && arrivals.contains(MoveMarks.Arrival(id: allocation.id, offset: allocation.offset))
                             return (allocation.offset, allocation.size, arrived ? .movedDestination : allocationRole(allocation, mode: mode))
                         })
        drawBar(coverage, x: columns.barX, y: y)
        let used = page.usedBytes
        if let percentX = columns.percentX {
            let percent = page.size > 0 ? used * 100 / page.size : 0
            writeRight(String(percent) + "%", x: percentX, width: 4, y: y, role: .text)
        }
        if let countX = columns.countX {
            writeRight(String(page.allocations.count), x: countX, width: columns.countWidth, y: y, role: .dimText)
        }
    }

    mutating func drawReleasedRow(id: Int, y: Int, columns: RowColumns, selected: Bool) {
        drawLabel(id: id, y: y, columns: columns, selected: selected, flag: glyphs.releasedFlag, flagRole: .freedPage)
        guard columns.barWidth > 0 else { return }
        canvas.fill(x: columns.barX, y: y, width: columns.barWidth, height: 1,
                    with: Cell(glyphs.released, foreground: .freedPage, background: .background, attributes: .dim))
        let text = " page \(id) released "
        let length = text.unicodeScalars.count
        if length <= columns.barWidth {
            canvas.write(text, x: columns.barX + (columns.barWidth - length) / 2, y: y, foreground: .freedPage, attributes: .dim)
        }
    }

    mutating func writeRight(_ text: String, x: Int, width: Int, y: Int, role: Role) {
        let length = text.unicodeScalars.count
        canvas.write(text, x: x + max(0, width - length), y: y, maxWidth: width, foreground: role)
    }

    /// Draws `coverage` as a bar of `coverage.width` cells from `x`. A cell's glyph shows the share of its
    /// bytes that allocations hold, in eighths, rounded (at least one eighth when anything is allocated), in
    /// the colour of the role holding most of those bytes. When the allocated bytes are one run at the
    /// cell's right end, the block is drawn reversed so the ink sits on the right (its eighths still count
    /// the allocated share: the rest of the cell is the inked part); ASCII has no reversed ramp character,
    /// so there the ramp character of the eighths is drawn wherever the ink sits. A cell with nothing
    /// allocated shows free space, or where a move left when at least an eighth of it did.
    mutating func drawBar(_ coverage: BarCoverage, x: Int, y: Int) {
        let ascii = state.ascii
        for cell in 0..<coverage.width {
            let column = x + cell
            let eighths = coverage.eighths(cell)
            if eighths == 0 {
                drawFull(coverage.isMarkedLeft(cell) ? .movedSource : .free, x: column, y: y)
                continue
            }
            let role = coverage.majorityRole(cell)
            if eighths == 8 {
                drawFull(role, x: column, y: y)
                continue
            }
            let background: Role = coverage.isMarkedLeft(cell) ? .movedSource : .free
            if !ascii && coverage.isInkOnTheRight(cell) {
                canvas.put(column, y, glyphs.eighths[8 - eighths], role, background, .reverse)
            } else {
                canvas.put(column, y, glyphs.eighths[eighths], role, background)
            }
        }
    }

    mutating func drawFull(_ role: Role, x: Int, y: Int) {
        switch role {
        case .free:
            canvas.put(x, y, glyphs.free, .dimText, .free)
        case .movedSource:
            canvas.put(x, y, glyphs.left, .movedSource, .free)
        case .movedDestination:
            canvas.put(x, y, glyphs.arrived, .movedDestination, .free)
        default:
            canvas.put(x, y, glyphs.fill(role), role, .free)
        }
    }
}
