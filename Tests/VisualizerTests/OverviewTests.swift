// The overview strip (every page as one cell when the pages do not fit; the pages the list shows marked;
// immovable and released pages told apart, with and without colour; several pages a cell when even four
// rows are not enough) and the page list's order (`o`: the engine's, fill, free bytes, largest free range,
// id; ties by id; the selection kept; the order kept after a pass).
import DefragSession
import Defragmentation
import Testing
@testable import Visualizer

private func frame(_ snapshot: SessionSnapshot, width: Int = 80, height: Int = 24, _ configure: (inout ViewState) -> Void = { _ in }) -> Canvas {
    var state = ViewState(width: width, height: height)
    configure(&state)
    return render(snapshot, state, width: width, height: height)
}

private func layout(_ snapshot: SessionSnapshot, _ state: ViewState) -> Layout {
    Layout(width: state.width, height: state.height, snapshot: snapshot, state: state)
}

/// The page ids at the start of the page list's rows, top to bottom (the list starts at `y`).
private func listedIDs(_ canvas: Canvas, from y: Int, count: Int) -> [Int] {
    canvas.lines().dropFirst(y).prefix(count).compactMap { line in Int(line.drop { $0 == " " }.prefix { $0.isNumber }) }
}

/// The eighths a page of `used` bytes of `size` shows, worked out in floating point: rounded, one at least
/// when anything is used.
private func expectedEighths(used: Int, size: Int) -> Int {
    used == 0 ? 0 : max(1, min(8, Int((Double(used) * 8 / Double(size)).rounded())))
}

/// Pages of the order tests (all of Fixtures' 552 KiB but page 5, twice that), listed in this engine order:
/// - 3: 100 KiB at 0 (fill 18%, free 452 KiB, largest free 452 KiB)
/// - 1: 100 KiB at 300 KiB and 100 KiB at 0, listed in that order (free 352 KiB, largest free 200 KiB)
/// - 2: 100 KiB at 200 KiB (ties page 3 on fill and free bytes; largest free 252 KiB)
/// - 0: full
/// - 4: empty (free 552 KiB, as page 5)
/// - 5: 1104 KiB, 552 KiB at 0 (fill 50%, free and largest free 552 KiB: ties page 4)
private var orderPages: SessionSnapshot {
    let kib = Fixtures.kib
    let pages = [
        PageSnapshot(id: 3, size: Fixtures.pageSize, allocations: [AllocationSnapshot(id: 30, offset: 0, size: 100 * kib)]),
        PageSnapshot(id: 1, size: Fixtures.pageSize, allocations: [AllocationSnapshot(id: 11, offset: 300 * kib, size: 100 * kib),
                                                                   AllocationSnapshot(id: 10, offset: 0, size: 100 * kib)]),
        PageSnapshot(id: 2, size: Fixtures.pageSize, allocations: [AllocationSnapshot(id: 20, offset: 200 * kib, size: 100 * kib)]),
        PageSnapshot(id: 0, size: Fixtures.pageSize, allocations: [AllocationSnapshot(id: 1, offset: 0, size: Fixtures.pageSize)]),
        PageSnapshot(id: 4, size: Fixtures.pageSize, allocations: []),
        PageSnapshot(id: 5, size: 2 * Fixtures.pageSize, allocations: [AllocationSnapshot(id: 50, offset: 0, size: Fixtures.pageSize)]),
    ]
    var snapshot = Fixtures.before
    snapshot.pages = pages
    snapshot.metrics = Fixtures.metrics(pages)
    return snapshot
}

/// `Fixtures.many(count)` after a pass that released `released` more pages (ids from `count` on), with page
/// `immovable` made immovable.
private func manyAfterAPass(_ count: Int, released: Int, immovable: Int) -> SessionSnapshot {
    var snapshot = Fixtures.many(count)
    snapshot.pages[immovable].isImmovable = true
    snapshot.passNumber = 1
    snapshot.lastPass = PassReport(number: 1, moves: [], stats: DefragmentationStats(), freedPages: Array(count..<(count + released)),
                                   planningSeconds: 0, copySeconds: 0, completeSeconds: 0, metricsAfter: snapshot.metrics)
    return snapshot
}

@Suite struct OverviewStripTests {
    @Test("the strip is drawn exactly when the page rows do not fit (16 rows at 80×24)")
    func shownIffPagesDoNotFit() {
        for count in [4, 16] {
            let state = ViewState(width: 80, height: 24)
            #expect(layout(Fixtures.many(count), state).overview == nil, "\(count) pages fit")
            let canvas = frame(Fixtures.many(count))
            #expect(!canvas.lines().contains { $0.contains("order:") })
            #expect(listedIDs(canvas, from: 1, count: count) == Array(0..<count))
        }
        let strip = try! #require(layout(Fixtures.many(17), ViewState(width: 80, height: 24)).overview)
        #expect(strip.title.y == 1 && strip.cells == Rect(x: 0, y: 2, width: 80, height: 1) && strip.pagesPerCell == 1)
        #expect(strip.cellCount == 17)
        let canvas = frame(Fixtures.many(17))
        let lines = canvas.lines(trimming: true)
        #expect(lines[1].hasPrefix("─ 17 pages · order: the engine's (o) · 1–14 shown ─"), "\(lines[1])")
        #expect(listedIDs(canvas, from: 3, count: 14) == Array(0..<14), "the list starts under the strip")
        // Released pages count: 16 live and one released do not fit either.
        #expect(layout(manyAfterAPass(16, released: 1, immovable: 0), ViewState(width: 80, height: 24)).overview != nil)
    }

    @Test("each cell is its page's fill in eighths, rounded as the bars are; free pages are blank")
    func cellsAreTheFill() {
        let snapshot = Fixtures.many(40)
        for (ascii, glyphs) in [(false, Glyphs.unicode), (true, Glyphs.ascii)] {
            let canvas = frame(snapshot) { $0.ascii = ascii }
            for (k, page) in snapshot.pages.enumerated() {
                let eighths = expectedEighths(used: page.usedBytes, size: page.size)
                let expected = eighths == 0 ? glyphs.free : glyphs.eighths[eighths]
                #expect(canvas[k, 2].scalar == expected, "page \(k), ASCII \(ascii): \(page.usedBytes) of \(page.size)")
            }
            #expect(canvas[40, 2].scalar == " " && canvas[40, 2].background == .background, "nothing after the last page")
        }
        // Page 8 (8 × 56 KiB of 552 KiB: 6.5 eighths) and page 1 (0.8 eighths).
        #expect(frame(snapshot)[8, 2].scalar == "▊" && frame(snapshot)[1, 2].scalar == "▏")
        #expect(frame(snapshot) { $0.ascii = true }[8, 2].scalar == "*")
    }

    @Test("the pages the list shows are underlined (in colour on the selection's colour, never reversed), and the title says which")
    func visibleWindowIsMarked() {
        // 40 pages at 80×24: title and one strip row leave 14 rows; row 30 selected shows rows 17...30.
        let canvas = frame(Fixtures.many(40)) { $0.selectedRow = 30 }
        #expect(listedIDs(canvas, from: 3, count: 14) == Array(17...30))
        for x in 0..<40 {
            let shown = (17...30).contains(x)
            #expect(canvas[x, 2].attributes.contains(.underline) == shown, "cell \(x)")
            #expect((canvas[x, 2].background == .selection) == shown, "cell \(x)")
        }
        #expect(canvas.lines()[1].contains("18–31 shown"))
        // Without colour the selection's background would be reverse video, turning the blocks around.
        let monochrome = frame(Fixtures.many(40)) { $0.selectedRow = 30; $0.monochrome = true }
        for x in 0..<40 {
            #expect(monochrome[x, 2].attributes.contains(.underline) == (17...30).contains(x), "cell \(x)")
            #expect(monochrome[x, 2].background == .free && Theme(depth: .none).extraAttributes(
                foreground: monochrome[x, 2].foreground, background: monochrome[x, 2].background).isDisjoint(with: .reverse))
        }
        #expect(frame(Fixtures.many(40)) { $0.selectedRow = 30; $0.ascii = true }.lines()[1].contains("18-31 shown"))
    }

    @Test("immovable pages in their colour (without colour: !), released pages as × (ASCII x)")
    func immovableAndReleased() {
        let snapshot = manyAfterAPass(40, released: 2, immovable: 5)
        let colour = frame(snapshot)
        #expect(colour[5, 2].foreground == .immovable && colour[5, 2].scalar == "▌", "5 × 56 KiB: 4 eighths")
        #expect(colour[4, 2].foreground == .text)
        #expect(colour[40, 2].scalar == "×" && colour[41, 2].scalar == "×" && colour[40, 2].foreground == .freedPage)
        let monochrome = frame(snapshot) { $0.monochrome = true }
        #expect(monochrome[5, 2].scalar == "!" && monochrome[4, 2].scalar == "▍")
        let ascii = frame(snapshot) { $0.monochrome = true; $0.ascii = true }
        #expect(ascii[5, 2].scalar == "!" && ascii[40, 2].scalar == "x" && ascii[41, 2].scalar == "x")
        #expect(ascii.cells.allSatisfy { $0.scalar.isASCII })
        #expect(colour.lines()[1].contains("42 pages"))
    }

    @Test("more pages than one row of cells wrap, up to four rows; beyond, a cell stands for several pages")
    func wrapsThenAggregates() {
        let hundred = try! #require(layout(Fixtures.many(100), ViewState(width: 80, height: 24)).overview)
        #expect(hundred.cells.height == 2 && hundred.pagesPerCell == 1)
        #expect(hundred.position(ofCell: 85) == (5, 3) && hundred.cell(atX: 5, y: 3) == 85 && hundred.cell(atX: 25, y: 3) == nil)
        let wrapped = frame(Fixtures.many(100))
        #expect(wrapped[5, 3].scalar == Glyphs.unicode.eighths[expectedEighths(used: 4 * 56 * 1024, size: Fixtures.pageSize)], "page 85 holds 4 allocations")
        #expect(!wrapped.lines()[1].contains("1 cell ="))

        // 600 pages: 4 rows of 80 hold 320 cells, so 2 pages a cell, 300 cells on 4 rows.
        let snapshot = Fixtures.many(600)
        let strip = try! #require(layout(snapshot, ViewState(width: 80, height: 24)).overview)
        #expect(strip.cells.height == 4 && strip.pagesPerCell == 2 && strip.cellCount == 300)
        let canvas = frame(snapshot)
        #expect(canvas.lines()[1].contains("600 pages · order: the engine's (o) · 1–11 shown · 1 cell = 2 pages"), "\(canvas.lines()[1])")
        for c in [0, 3, 150, 299] {
            let pages = snapshot.pages[(2 * c)...(2 * c + 1)]
            let eighths = expectedEighths(used: pages.reduce(0) { $0 + $1.usedBytes }, size: 2 * Fixtures.pageSize)
            let (x, y) = strip.position(ofCell: c)
            #expect(canvas[x, y].scalar == (eighths == 0 ? " " : Glyphs.unicode.eighths[eighths]), "cell \(c)")
        }
        // Pages 0...10 shown (11 list rows): cells 0...5 marked.
        #expect((0...5).allSatisfy { canvas[$0, 2].attributes.contains(.underline) } && !canvas[6, 2].attributes.contains(.underline))

        // A short screen keeps three list rows: one strip row (5 rows above the panel), so more pages a cell.
        let short = try! #require(layout(snapshot, ViewState(width: 80, height: 13)).overview)
        #expect(short.cells.height == 1 && short.pagesPerCell == 8)
        // Too short for the strip and three list rows: no strip.
        #expect(layout(snapshot, ViewState(width: 80, height: 12)).overview == nil)
    }

    @Test("a click on a strip cell selects its first page, in the middle of the list")
    func clickJumps() {
        let snapshot = Fixtures.many(100)   // 80×24: title on row 1, strip rows 2 and 3, 13 list rows
        var state = update(ViewState(width: 80, height: 24), .selectRow(x: 50, y: 2), snapshot).0
        #expect(state.selectedRow == 50 && state.scrollOffset == 50 - 13 / 2)
        state = update(state, .selectRow(x: 5, y: 3), snapshot).0
        #expect(state.selectedRow == 85)
        let canvas = render(snapshot, state, width: 80, height: 24)
        #expect(listedIDs(canvas, from: 4, count: 13).contains(85))
        // Past the last cell and on the title: nothing happens.
        #expect(update(state, .selectRow(x: 30, y: 3), snapshot).0 == state)
        #expect(update(state, .selectRow(x: 30, y: 1), snapshot).0 == state)
        // A click on a list row still selects that row (row 4 is the list's first).
        let top = update(ViewState(width: 80, height: 24), .selectRow(x: 10, y: 6), snapshot).0
        #expect(top.selectedRow == 2)
    }
}

@Suite struct PageOrderTests {
    @Test("each order sorts the hand-made pages, ties by id, released pages last",
          arguments: [(PageOrder.engine, [3, 1, 2, 0, 4, 5]), (.fill, [0, 5, 1, 2, 3, 4]), (.freeBytes, [4, 5, 2, 3, 1, 0]),
                      (.largestFreeRange, [4, 5, 3, 2, 1, 0]), (.id, [0, 1, 2, 3, 4, 5])])
    func orders(order: PageOrder, ids: [Int]) {
        let snapshot = orderPages
        #expect(pageRows(snapshot, order: order).map { row -> Int in
            guard case .page(let index) = row else { return -1 }
            return snapshot.pages[index].id
        } == ids)
        let canvas = frame(snapshot) { $0.pageOrder = order }
        let titled = order != .engine
        #expect(listedIDs(canvas, from: titled ? 2 : 1, count: 6) == ids)
        #expect(canvas.lines()[1].contains("order: \(order.label) (o)") == titled, "a chosen order is named above the list")
        var released = snapshot
        released.lastPass = PassReport(number: 1, moves: [], stats: DefragmentationStats(), freedPages: [6], planningSeconds: 0,
                                       copySeconds: 0, completeSeconds: 0, metricsAfter: snapshot.metrics)
        #expect(pageRows(released, order: order).last == .released(id: 6))
    }

    @Test("the largest free range: the gaps between allocations in any order, and the page's end")
    func largestFree() {
        let kib = Fixtures.kib
        #expect(largestFreeRange(of: orderPages.pages[1]) == 200 * kib)
        #expect(largestFreeRange(of: orderPages.pages[2]) == 252 * kib)
        #expect(largestFreeRange(of: PageSnapshot(id: 0, size: 100, allocations: [])) == 100)
        #expect(largestFreeRange(of: PageSnapshot(id: 0, size: 100, allocations: [
            AllocationSnapshot(id: 1, offset: 60, size: 30), AllocationSnapshot(id: 2, offset: 0, size: 10),
            AllocationSnapshot(id: 3, offset: 5, size: 20),
        ])) == 35)
    }

    @Test("o cycles the engine's, fill, free bytes, largest free range, id; the selected page stays selected")
    func cycleKeepsTheSelection() {
        #expect(KeyMap.standard.command(for: .character("o")) == .cycleOrder)
        let snapshot = orderPages
        var state = ViewState(width: 80, height: 24)
        state.selectedRow = 2   // page 2
        var seen: [PageOrder] = []
        for _ in 0..<5 {
            let (after, effects) = update(state, .cycleOrder, snapshot)
            #expect(effects.isEmpty)
            seen.append(after.pageOrder)
            guard case .page(let index) = pageRows(snapshot, order: after.pageOrder)[after.selectedRow] else {
                Issue.record("a page row is selected"); return
            }
            #expect(snapshot.pages[index].id == 2, "\(after.pageOrder)")
            let canvas = render(snapshot, after, width: 80, height: 24)
            #expect(canvas[0, canvas.lines().firstIndex { $0.hasPrefix("2 ") }!].background == .selection)
            state = after
        }
        #expect(seen == [.fill, .freeBytes, .largestFreeRange, .id, .engine])
    }

    @Test("in a long list the selected page keeps its screen line when the order changes")
    func longListKeepsTheLine() {
        let snapshot = Fixtures.many(100)
        var state = ViewState(width: 80, height: 24)
        state = update(state, .selectRow(x: 0, y: 9), snapshot).0   // list row 5 of 13
        let id = 5
        #expect(state.selectedRow == id)
        state = update(state, .cycleOrder, snapshot).0   // fill: 8 allocations first; page 5 after the 11 pages of 8, 7, 6
        let rows = pageRows(snapshot, order: .fill)
        guard case .page(let index) = rows[state.selectedRow] else { Issue.record("a page row is selected"); return }
        #expect(snapshot.pages[index].id == id)
        #expect(state.selectedRow - state.scrollOffset == 5)
        let canvas = render(snapshot, state, width: 80, height: 24)
        #expect(canvas.lines()[9].hasPrefix(" 5 ") && canvas[0, 9].background == .selection)
    }

    @Test("the order holds after a pass and in the timeline: the rows are sorted again for the pass shown")
    func orderSurvivesAPass() {
        var state = ViewState(width: 80, height: 24)
        state.pageOrder = .freeBytes
        let (stepped, effects) = update(state, .step, Fixtures.before)
        #expect(effects == [.step] && stepped.pageOrder == .freeBytes)
        // After pass 1 pages 0 (100%), 1 (50%), 2 (12%) and released page 3: most free first.
        let canvas = render(Fixtures.afterPass, stepped, width: 80, height: 24)
        #expect(listedIDs(canvas, from: 2, count: 4) == [2, 1, 0, 3])
        var past = Fixtures.afterPass
        past.passesRun = 2
        let (back, _) = update(stepped, .showPass(forward: false), past)
        #expect(back.pageOrder == .freeBytes)
    }

    @Test("with several pools each pool's pages are ordered under its heading")
    func poolsOrderedApart() {
        let snapshot = PoolFixtures.twoPools
        let rows = pageRows(snapshot, order: .freeBytes)
        #expect(rows.count == pageRows(snapshot).count)
        let pools = rows.compactMap { row -> String? in
            switch row {
            case .poolHeader(let name, _, _, _): return "[\(name)]"
            case .page(let index): return "\(snapshot.pages[index].id)"
            default: return nil
            }
        }
        #expect(pools == ["[\(PoolFixtures.poolA)]", "1", "0", "[\(PoolFixtures.poolB)]", "2", "0", "1"])
    }
}
