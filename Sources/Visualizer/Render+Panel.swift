// The stats panel: to the right of the pages when the screen is wide, a grid below them when narrow.
import DefragSession

/// Figures of the panel, formatted.
enum StatsPanel {
    struct Item { var label: String; var value: String }
    struct Section { var title: String; var items: [Item] }

    /// Items of the grid shown below the pages (kept constant so the layout does not jump).
    static let gridItemCount = 12

    static func sections(_ snapshot: SessionSnapshot) -> [Section] {
        let m = snapshot.metrics
        let pass = snapshot.lastPass
        let run = snapshot.runStats
        return [
            Section(title: "Pages", items: [
                Item(label: "now", value: String(m.pages)),
                Item(label: "at start", value: String(snapshot.pagesAtStart)),
                Item(label: "lower bound", value: String(m.lowerBoundPages)),
            ]),
            Section(title: "Memory", items: [
                Item(label: "live", value: "\(ByteFormat.short(m.liveBytes)) in \(m.liveAllocations)"),
                Item(label: "free", value: ByteFormat.short(m.freeBytes)),
                Item(label: "largest free", value: ByteFormat.short(m.largestFreeRange)),
                Item(label: "fragmentation", value: percent(m.fragmentation)),
            ]),
            Section(title: pass.map { "Pass \($0.number)" } ?? "Pass -", items: [
                Item(label: "bytes moved", value: pass.map { ByteFormat.short($0.stats.bytesMoved) } ?? "-"),
                Item(label: "allocs moved", value: pass.map { String($0.stats.allocationsMoved) } ?? "-"),
                Item(label: "pages freed", value: pass.map { String($0.stats.deviceMemoryBlocksFreed) } ?? "-"),
                Item(label: "bytes freed", value: pass.map { ByteFormat.short($0.stats.bytesFreed) } ?? "-"),
                Item(label: "time", value: pass.map { duration($0.elapsedSeconds) } ?? "-"),
            ]),
            Section(title: "Run", items: [
                Item(label: "bytes moved", value: ByteFormat.short(run.bytesMoved)),
                Item(label: "allocs moved", value: String(run.allocationsMoved)),
                Item(label: "pages freed", value: String(run.deviceMemoryBlocksFreed)),
                Item(label: "bytes freed", value: ByteFormat.short(run.bytesFreed)),
            ]),
        ]
    }

    /// The grid below the pages: column-major, four rows at 80 columns.
    static func gridItems(_ snapshot: SessionSnapshot) -> [Item] {
        let m = snapshot.metrics
        let pass = snapshot.lastPass
        let run = snapshot.runStats
        let items = [
            Item(label: "pages", value: "\(m.pages)/\(snapshot.pagesAtStart), min \(m.lowerBoundPages)"),
            Item(label: "live", value: ByteFormat.short(m.liveBytes)),
            Item(label: "free", value: ByteFormat.short(m.freeBytes)),
            Item(label: "largest free", value: ByteFormat.short(m.largestFreeRange)),
            Item(label: "pass moved", value: pass.map { ByteFormat.short($0.stats.bytesMoved) } ?? "-"),
            Item(label: "pass allocs", value: pass.map { String($0.stats.allocationsMoved) } ?? "-"),
            Item(label: "pass freed", value: pass.map { "\($0.stats.deviceMemoryBlocksFreed) / \(ByteFormat.short($0.stats.bytesFreed))" } ?? "-"),
            Item(label: "pass time", value: pass.map { duration($0.elapsedSeconds) } ?? "-"),
            Item(label: "run moved", value: ByteFormat.short(run.bytesMoved)),
            Item(label: "run allocs", value: String(run.allocationsMoved)),
            Item(label: "run freed", value: "\(run.deviceMemoryBlocksFreed) / \(ByteFormat.short(run.bytesFreed))"),
            Item(label: "fragment.", value: percent(m.fragmentation)),
        ]
        assert(items.count == gridItemCount)
        return items
    }

    /// "62.3%".
    static func percent(_ fraction: Double) -> String {
        let tenths = Int((fraction * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// "850 µs", "1.25 ms", "2.50 s".
    static func duration(_ seconds: Double) -> String {
        if seconds < 0.001 { return "\(Int((seconds * 1_000_000).rounded())) µs" }
        if seconds < 1 { return fixed2(seconds * 1000) + " ms" }
        return fixed2(seconds) + " s"
    }

    static func fixed2(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// One glyph per value, scaled between the smallest and largest value shown.
    static func sparkline(_ values: [Int], width: Int, glyphs: [Unicode.Scalar]) -> String {
        let shown = values.suffix(max(0, width))
        guard let low = shown.min(), let high = shown.max() else { return "" }
        var view = String.UnicodeScalarView()
        for value in shown {
            let level = high == low ? glyphs.count / 2 : (value - low) * (glyphs.count - 1) / (high - low)
            view.append(glyphs[level])
        }
        return String(view)
    }
}

extension Renderer {
    mutating func drawPanel() {
        let rect = layout.panel
        guard !rect.isEmpty else { return }
        if layout.panelBeside { drawSidePanel(rect) } else { drawGridPanel(rect) }
    }

    mutating func drawSidePanel(_ rect: Rect) {
        for y in rect.y..<rect.maxY { canvas.put(rect.x, y, glyphs.vertical, .border) }
        let x = rect.x + 2
        let width = rect.width - 3
        var y = rect.y
        var sections = StatsPanel.sections(snapshot)
        // The plan (`p`) right under the pages it is about.
        if let plan = StatsPanel.planSection(snapshot, state) { sections.insert(plan, at: 1) }
        for section in sections {
            guard y < rect.maxY else { return }
            canvas.writeTruncated(section.title, x: x, y: y, maxWidth: width, foreground: .panelTitle, attributes: .bold, ascii: state.ascii)
            y += 1
            for item in section.items {
                guard y < rect.maxY else { return }
                drawItem(item, x: x + 1, y: y, width: width - 1)
                y += 1
            }
        }
        // The pages-per-pass history takes what is left (at least two rows).
        guard y + 1 < rect.maxY else { return }
        canvas.writeTruncated("Pages per pass", x: x, y: y, maxWidth: width, foreground: .panelTitle, attributes: .bold, ascii: state.ascii)
        drawHistory(x: x + 1, y: y + 1, width: width - 1)
    }

    mutating func drawGridPanel(_ rect: Rect) {
        canvas.fill(x: rect.x, y: rect.y, width: rect.width, height: 1, with: Cell(glyphs.horizontal, foreground: .border))
        let title = snapshot.lastPass.map { " after pass \($0.number) " } ?? " before the first pass "
        let titleEnd = canvas.write(title, x: rect.x + 2, y: rect.y, maxWidth: rect.width - 2, foreground: .panelTitle, ascii: state.ascii)
        if let plan = StatsPanel.planLine(snapshot, state) {
            canvas.writeTruncated(" \(plan) ", x: titleEnd + 1, y: rect.y, maxWidth: rect.maxX - titleEnd - 2, foreground: .panelTitle, ascii: state.ascii)
        }
        let items = StatsPanel.gridItems(snapshot)
        let columns = max(1, rect.width / Layout.gridItemWidth)
        let rows = (items.count + columns - 1) / columns
        let columnWidth = rect.width / columns
        for (index, item) in items.enumerated() {
            let column = index / rows, row = index % rows
            let y = rect.y + 1 + row
            guard y < rect.maxY - 1 else { continue }
            drawItem(item, x: rect.x + 1 + column * columnWidth, y: y, width: columnWidth - 2)
        }
        let y = rect.maxY - 1
        let x = canvas.write("pages per pass ", x: rect.x + 1, y: y, foreground: .dimText)
        drawHistory(x: x, y: y, width: rect.maxX - x - 1, oneLine: true)
    }

    /// "label ....... value": label left, value right.
    mutating func drawItem(_ item: StatsPanel.Item, x: Int, y: Int, width: Int) {
        guard width > 0 else { return }
        let valueLength = item.value.unicodeScalars.count
        let labelWidth = max(0, width - valueLength - 1)
        canvas.writeTruncated(item.label, x: x, y: y, maxWidth: labelWidth, foreground: .dimText, ascii: state.ascii)
        let valueX = x + max(0, width - valueLength)
        canvas.writeTruncated(item.value, x: valueX, y: y, maxWidth: width, ascii: state.ascii)
    }

    /// The sparkline of pages after each pass, with the first and last counts.
    mutating func drawHistory(x: Int, y: Int, width: Int, oneLine: Bool = false) {
        let history = snapshot.pagesHistory
        guard width > 0, let first = history.first, let last = history.last else { return }
        let caption = " \(first)\(glyphs.arrow)\(last)"
        let sparkWidth = max(0, width - caption.unicodeScalars.count)
        let spark = StatsPanel.sparkline(history, width: sparkWidth, glyphs: glyphs.sparks)
        let end = canvas.write(spark, x: x, y: y, maxWidth: width, foreground: .sparkline)
        // The pass shown stands out (reversed) when it is not the newest.
        let shownCount = spark.unicodeScalars.count
        let marked = snapshot.passNumber - (history.count - shownCount)
        if snapshot.isPast, marked >= 0, marked < shownCount, x + marked < end {
            let glyph = spark.unicodeScalars[spark.unicodeScalars.index(spark.unicodeScalars.startIndex, offsetBy: marked)]
            canvas.put(x + marked, y, glyph, .keybarKey, .background, .reverse)
        }
        canvas.write(caption, x: end, y: y, maxWidth: x + width - end, foreground: .dimText, ascii: state.ascii)
    }
}
