// The page zoom (issue 16, item 2): its frame drawn to text (offsets, honest glyphs at every zoom level, moves
// marked, the cursor row's list) and its keys through update().
import DefragSession
import Defragmentation
import Testing
@testable import Visualizer

// At 80×24 without the legend: the header (row 0), the zoom's title (row 1), the map (rows 2–21), the message
// row (22, always kept in the zoom) and the key bar (23). Fixtures' 552 KiB page (0x8a000: five hex digits)
// gets labels "0x00000 " (8 columns), then 64 cells (71 columns free, rounded down to a multiple of 16) and the
// scroll hint's column; the whole page fits 20 rows of 64 cells at 512 B per cell: rows of 32 KiB, 18 of them.
private let mapY = 2
private let cellsX = 8
private let kib = 1024

/// `snapshot` zoomed into the page on page-list row `row`, at 80×24 unless told, then `keys` applied.
private func zoomed(_ snapshot: SessionSnapshot, row: Int, width: Int = 80, height: Int = 24, _ commands: [Command] = [],
                    _ configure: (inout ViewState) -> Void = { _ in }) -> ViewState {
    var state = ViewState(width: width, height: height)
    configure(&state)
    state.selectedRow = row
    state = update(state, .zoomIn, snapshot).0
    for command in commands { state = update(state, command, snapshot).0 }
    return state
}

private func frame(_ snapshot: SessionSnapshot, _ state: ViewState) -> Canvas {
    render(snapshot, state, width: state.width, height: state.height)
}

/// The bytes allocations of `page` hold in `range`.
private func held(_ page: PageSnapshot, _ range: Range<Int>) -> Int {
    page.allocations.reduce(0) { sum, a in sum + max(0, min(range.upperBound, a.offset + a.size) - max(range.lowerBound, a.offset)) }
}

@Suite struct PageZoomRenderTests {
    @Test("z: the title names the page, its zoom and the offsets shown; each row starts with its offset in hex")
    func offsets() throws {
        let snapshot = Fixtures.afterPass
        let state = zoomed(snapshot, row: 0)
        #expect(state.zoom?.bytesPerCell == 512)
        let lines = frame(snapshot, state).lines(trimming: true)
        #expect(lines[0].contains("pass 1"), "the screen's header stays: \(lines[0])")
        #expect(lines[1] == " page 0: 552 KiB, 100% used │ 512 B per cell │ 0x00000–0x89fff │ 69 allocations")
        for row in 0..<18 {
            #expect(lines[mapY + row].hasPrefix(hexOffset(row * 32 * kib, digits: 5) + " "), "row \(row): \(lines[mapY + row])")
        }
        #expect(lines[mapY + 18].isEmpty && lines[mapY + 19].isEmpty, "18 rows: \(lines)")
        // The last row holds the page's last 8 KiB: 16 cells.
        #expect(lines[mapY + 17] == "0x88000 " + String(repeating: "█", count: 16))
        // Zooming in twice: 128 B per cell, rows of 8 KiB, the cursor's row (0) on top.
        let deeper = zoomed(snapshot, row: 0, [.zoomIn, .zoomIn])
        let deeperLines = frame(snapshot, deeper).lines(trimming: true)
        #expect(deeperLines[1].contains("│ 128 B per cell │ 0x00000–0x27fff │"), "\(deeperLines[1])")
        #expect(deeperLines[mapY + 1].hasPrefix("0x02000 ") && deeperLines[mapY + 19].hasPrefix("0x26000 "))
        #expect(frame(snapshot, deeper)[79, mapY + 19].scalar == "▼", "rows below are hinted")
    }

    @Test("the title names the page's pool when there are several (with one, the header names the input)")
    func poolInTheTitle() {
        var snapshot = Fixtures.afterPass
        for index in snapshot.pages.indices { snapshot.pages[index].pool = "Buffers" }
        #expect(frame(snapshot, zoomed(snapshot, row: 0)).lines()[1].hasPrefix(" page 0: 552 KiB, 100% used │"))
        snapshot.pages[2].pool = "Images"
        // Rows: the Buffers header, pages 0 and 1, the Images header, page 2.
        let lines = frame(snapshot, zoomed(snapshot, row: 1)).lines()
        #expect(lines[1].hasPrefix(" page 0 (Buffers): 552 KiB, 100% used │ 512 B per cell │"), "\(lines[1])")
    }

    @Test("the cursor row's offset is drawn in the selection's colours")
    func cursorRow() {
        let snapshot = Fixtures.afterPass
        let canvas = frame(snapshot, zoomed(snapshot, row: 0, [.scrollDown, .scrollDown]))
        #expect(canvas[0, mapY + 2].background == .selection)
        #expect(canvas[0, mapY + 1].background == .background)
    }

    @Test("a page of many small allocations: the visible cells add up to the used share of the bytes shown, within 6 points, at every zoom level, colour and monochrome, before and after a pass",
          arguments: [0.1, 0.5, 0.53, 0.9])
    func glyphSumsAtEveryZoom(fill: Double) throws {
        let page = smallAllocationPage(id: 1, size: 4 << 20, fill: fill, seed: UInt64(fill * 1000) + 16)
        for snapshot in [single(page), afterAPass(page)] {
            for monochrome in [false, true] {
                // 4 MiB over 46 rows of 144 cells: 1 KiB per cell shows all of it (29 rows); the cursor on row 14
                // (the middle), then down to 32 B per cell around it.
                var state = zoomed(snapshot, row: 0, width: 160, height: 50, Array(repeating: .scrollDown, count: 14)) { $0.monochrome = monochrome }
                var levels: [Int] = []
                while true {
                    let zoom = try #require(state.zoom)
                    levels.append(zoom.bytesPerCell)
                    let geometry = zoomGeometry(zoom, page: page, state: state)
                    let (top, _) = geometry.rows(zoom)
                    let canvas = frame(snapshot, state)
                    var inked = 0, cells = 0, bytes = 0
                    for line in 0..<geometry.visibleRows where top + line < geometry.rowCount {
                        let range = geometry.bytes(ofRow: top + line)
                        #expect(range.count % zoom.bytesPerCell == 0)
                        let count = range.count / zoom.bytesPerCell
                        inked += inkedEighths(canvas, row: geometry.map.y + line, from: geometry.cellsX, count: count)
                        cells += count
                        bytes += held(page, range)
                    }
                    let shown = Double(inked) * 100 / Double(cells * 8)
                    let actual = Double(bytes) * 100 / Double(cells * zoom.bytesPerCell)
                    #expect(abs(shown - actual) <= 6, "fill \(fill), \(zoom.bytesPerCell) B per cell, monochrome \(monochrome), pass \(snapshot.passNumber): cells read \(shown)%, bytes \(actual)%")
                    if zoom.bytesPerCell <= 32 { break }
                    state = update(state, .zoomIn, snapshot).0
                }
                #expect(levels == [1024, 512, 256, 128, 64, 32])
                // At the zoom that shows the whole page, the map reads as the page's percentage.
                let whole = zoomed(snapshot, row: 0, width: 160, height: 50) { $0.monochrome = monochrome }
                let canvas = frame(snapshot, whole)
                let eighths = (0..<29).reduce(0) { $0 + inkedEighths(canvas, row: mapY + $1, from: 9, count: $1 == 28 ? 64 : 144) }
                let shown = Double(eighths) * 100 / Double((28 * 144 + 64) * 8)
                let percent = Double(page.usedBytes) * 100 / Double(page.size)
                #expect(abs(shown - percent) <= 6, "whole page: \(shown)% against \(percent)%")
            }
        }
    }

    @Test("the last pass's moves: arrivals in the arrival's role, the bytes an allocation left drawn as left, in colour, monochrome and ASCII")
    func movesMarked() {
        let snapshot = Fixtures.afterPass
        // Page 1: allocation 101 arrived at 140 KiB (rows 4–8) from 280 KiB (it left 280–420 KiB: rows 8–13).
        for (monochrome, ascii) in [(false, false), (true, false), (false, true)] {
            let canvas = frame(snapshot, zoomed(snapshot, row: 1) { $0.monochrome = monochrome; $0.ascii = ascii })
            let arrived: Unicode.Scalar = ascii ? "@" : (monochrome ? "▓" : "█")
            let left: Unicode.Scalar = ascii ? ":" : "░"
            // Row 4 (128–160 KiB): 12 KiB of allocation 100, then 20 KiB of 101.
            #expect(canvas.foregrounds(row: mapY + 4, from: cellsX, count: 24).allSatisfy { $0 == .size2 })
            #expect(canvas.foregrounds(row: mapY + 4, from: cellsX + 24, count: 40).allSatisfy { $0 == .movedDestination })
            #expect(text(canvas, row: mapY + 4, from: cellsX + 24, count: 40) == String(repeating: String(arrived), count: 40))
            // Row 8 (256–288 KiB): 24 KiB of 101, then 8 KiB it left.
            #expect(text(canvas, row: mapY + 8, from: cellsX + 48, count: 16) == String(repeating: String(left), count: 16))
            #expect(canvas.foregrounds(row: mapY + 8, from: cellsX + 48, count: 16).allSatisfy { $0 == .movedSource })
            // Rows 9–12 left whole; row 13 (416–448 KiB) the first 4 KiB; the rest of the page free.
            for row in 9...12 { #expect(canvas.foregrounds(row: mapY + row, from: cellsX, count: 64).allSatisfy { $0 == .movedSource }) }
            #expect(canvas.foregrounds(row: mapY + 13, from: cellsX, count: 8).allSatisfy { $0 == .movedSource })
            #expect(!canvas.foregrounds(row: mapY + 13, from: cellsX + 8, count: 56).contains(.movedSource))
            if ascii { #expect(canvas.cells.allSatisfy { $0.scalar.isASCII }) }
        }
    }

    @Test("Enter: the allocations overlapping the cursor row, with offsets, sizes, ids, types, classes and where they came from")
    func listOfTheCursorRow() {
        let snapshot = Fixtures.afterPass
        // Row 8 of page 1: 256–288 KiB.
        let state = zoomed(snapshot, row: 1, Array(repeating: .scrollDown, count: 8) + [.openDetail])
        #expect(state.zoom?.isListShown == true && state.zoom?.cursorOffset == 256 * kib)
        let page = snapshot.pages[1]
        let list = zoomList(page: page, range: 256 * kib..<288 * kib, digits: 5, lastPass: snapshot.lastPass, ascii: false)
        #expect(list.title == "0x40000–0x47fff: 1 allocation, 75% used")
        #expect(list.header == "offset         size        id  type           class      moved")
        #expect(list.lines.map(\.0) == [
            "0x23000     140 KiB       101  image_linear   <1 MiB     ← page 1 @ 0x46000",
            "0x46000     140 KiB       101  (left)                    → page 1 @ 0x23000",
        ])
        #expect(list.lines.map(\.1) == [.movedDestination, .movedSource])
        // Drawn in the lower half: the map keeps rows 2–11, the box rows 12–21 with the cursor row in view.
        let lines = frame(snapshot, state).lines(trimming: true)
        #expect(lines[12].hasPrefix("┌─ 0x40000–0x47fff: 1 allocation, 75% used ─"), "\(lines[12])")
        #expect(lines[13] == "│ " + list.header + String(repeating: " ", count: 78 - 1 - list.header.count) + "│")
        #expect(lines[14].hasPrefix("│ " + list.lines[0].0))
        #expect(lines[15].hasPrefix("│ " + list.lines[1].0))
        #expect(lines[21].hasPrefix("└"))
        #expect(lines[mapY + 8].hasPrefix("0x40000 ") && lines[mapY + 9].hasPrefix("0x48000 "), "the map's ten rows above the list: \(lines)")
        // Row 0 holds allocation 100 only, not moved; in ASCII the arrows are spelled out.
        let first = zoomList(page: page, range: 0..<32 * kib, digits: 5, lastPass: snapshot.lastPass, ascii: true)
        #expect(first.title == "0x00000-0x07fff: 1 allocation, 100% used")
        #expect(first.lines.map(\.0) == ["0x00000     140 KiB       100  image_optimal  <1 MiB"])
        let last = zoomList(page: page, range: 256 * kib..<288 * kib, digits: 5, lastPass: snapshot.lastPass, ascii: true)
        #expect(last.lines[0].0.hasSuffix("<- page 1 @ 0x46000") && last.lines[1].0.hasSuffix("-> page 1 @ 0x23000"))
    }

    @Test("a long list scrolls with PgDn and says which lines it shows")
    func longListScrolls() throws {
        let snapshot = Fixtures.afterPass
        // At 80×14 the map and the list get 5 rows each (the list's box shows two lines); page 0 fits at 1 KiB per
        // cell: rows of 64 KiB, 8 allocations of 8 KiB each.
        var state = zoomed(snapshot, row: 0, width: 80, height: 14, [.openDetail])
        let zoom = try #require(state.zoom)
        #expect(zoom.isListShown)
        var lines = frame(snapshot, state).lines(trimming: true)
        #expect(lines.contains { $0.contains("1-2 of 8, PgUp PgDn") }, "\(lines)")
        state = update(state, .pageDown, snapshot).0
        lines = frame(snapshot, state).lines(trimming: true)
        #expect(lines.contains { $0.contains("3-4 of 8, PgUp PgDn") }, "\(lines)")
        for _ in 0..<5 { state = update(state, .pageDown, snapshot).0 }
        #expect(state.zoom?.listScroll == 6, "no further than the last line")
        #expect(state.zoom?.cursorOffset == 0, "PgDn scrolls the list, not the map")
    }

    @Test("the zoomed page released by a pass: the zoom says so and stays; Esc goes back")
    func releasedPage() {
        var snapshot = Fixtures.afterPass
        let state = zoomed(snapshot, row: 1)
        snapshot.pages.remove(at: 1)
        snapshot.lastPass!.freedPages.append(1)
        let lines = frame(snapshot, state).lines(trimming: true)
        #expect(lines[1] == " page 1 was released by pass 1: its allocations moved to other pages")
        #expect(lines[2].contains("Esc goes back"))
        let (scrolled, _) = update(state, .scrollDown, snapshot)
        #expect(scrolled.zoom == state.zoom)
        #expect(scrolled.hint?.contains("not in the pool shown") == true)
        let (back, _) = update(state, .closeDetail, snapshot)
        #expect(back.zoom == nil)
    }

    @Test("move mode in the zoom marks the shown move where it arrived on the page")
    func shownMove() {
        let snapshot = Fixtures.afterPass
        let state = zoomed(snapshot, row: 0, [.stepMove(forward: true)])
        #expect(state.moveIndex == 0, "move 0 (300 into page 0) touches page 0")
        #expect(state.zoom?.cursorOffset == 64 * kib, "the cursor on the row where it arrived")
        let canvas = frame(snapshot, state)
        // 300 arrived at 80 KiB: row 2, cells 32–47.
        #expect(canvas.foregrounds(row: mapY + 2, from: cellsX + 32, count: 16).allSatisfy { $0 == .keybarKey })
        #expect(canvas.lines()[22].hasPrefix(" > move 1 of 2: id 300"))
        // No later move touches page 0: a hint, the move stays.
        let (next, _) = update(state, .stepMove(forward: true), snapshot)
        #expect(next.moveIndex == 0 && next.hint == "no later move of this pass touches page 0")
    }

    @Test("help in the zoom lists the zoom's keys; the page list's help names z; the key bars hint the zoom")
    func helpAndKeyBars() {
        let snapshot = Fixtures.afterPass
        var state = zoomed(snapshot, row: 0, width: 80, height: 30)
        state = update(state, .toggleHelp, snapshot).0
        let help = frame(snapshot, state).lines(trimming: true).joined(separator: "\n")
        #expect(help.contains("help: page map") && help.contains("zoom in: half the bytes per cell") && help.contains("allocations of the cursor row"))
        let keyBar = frame(snapshot, zoomed(snapshot, row: 0, width: 120, height: 30)).lines(trimming: true).last ?? ""
        #expect(keyBar.contains("z/Z zoom in/out") && keyBar.contains("Esc back") && keyBar.contains("⏎ allocations"), "\(keyBar)")
        var list = ViewState(width: 80, height: 30)
        list.isHelpShown = true
        #expect(frame(snapshot, list).lines().contains { $0.contains("z          zoom into the page's map") })
        #expect(frame(snapshot, ViewState(width: 120, height: 30)).lines().last?.contains("z zoom") == true)
    }

    @Test(arguments: [(1, 1), (3, 3), (20, 5), (40, 8), (80, 6), (12, 40), (200, 60)])
    func smallAndLargeScreensDoNotCrash(width: Int, height: Int) {
        for snapshot in [Fixtures.before, Fixtures.afterPass, Fixtures.many(30)] {
            for commands: [Command] in [[], [.openDetail], [.zoomIn, .zoomIn, .end, .openDetail, .pageDown], [.toggleHelp]] {
                for ascii in [false, true] {
                    let state = zoomed(snapshot, row: 1, width: width, height: height, commands) { $0.ascii = ascii }
                    let canvas = frame(snapshot, state)
                    #expect(canvas.width == width && canvas.height == height)
                    if ascii { #expect(canvas.cells.allSatisfy { $0.scalar.isASCII }) }
                }
            }
        }
    }
}

@Suite struct PageZoomUpdateTests {
    @Test("z opens the selected page at the zoom that shows all of it; Z there and z at 1 B per cell say why nothing changed")
    func zoomBounds() throws {
        let snapshot = Fixtures.afterPass
        var state = zoomed(snapshot, row: 1)
        #expect(state.zoom == PageZoom(pool: "", page: 1, bytesPerCell: 512))
        let (out, effects) = update(state, .zoomOut, snapshot)
        #expect(out.zoom?.bytesPerCell == 512 && effects.isEmpty)
        #expect(out.hint == "the whole page is on the screen: Z zooms no further out")
        var levels: [Int] = []
        for _ in 0..<12 {
            state = update(state, .zoomIn, snapshot).0
            levels.append(try #require(state.zoom).bytesPerCell)
        }
        #expect(levels == [256, 128, 64, 32, 16, 8, 4, 2, 1, 1, 1, 1])
        #expect(state.hint == "1 byte per cell: the closest zoom")
        state = update(state, .zoomOut, snapshot).0
        #expect(state.zoom?.bytesPerCell == 2 && state.hint == nil)
    }

    @Test("Z on the page list and z on a released page give a hint and no zoom")
    func noZoom() {
        let snapshot = Fixtures.afterPass
        let (list, _) = update(ViewState(), .zoomOut, snapshot)
        #expect(list.zoom == nil && list.hint?.contains("z opens") == true)
        var released = ViewState()
        released.selectedRow = 3
        let (state, _) = update(released, .zoomIn, snapshot)
        #expect(state.zoom == nil && state.hint == "page 3 was released by pass 1: nothing to zoom into")
    }

    @Test("arrows move the cursor a row, PgUp/PgDn a screen, Home/End to the ends, never off the page")
    func scroll() throws {
        let snapshot = Fixtures.afterPass
        // 128 B per cell: rows of 8 KiB, 69 rows, 20 on the screen.
        var state = zoomed(snapshot, row: 0, [.zoomIn, .zoomIn])
        let steps: [([Command], (top: Int, cursor: Int))] = [
            ([.scrollUp], (0, 0)), ([.scrollDown], (0, 1)), ([.pageDown], (20, 21)), ([.end], (49, 68)),
            ([.scrollDown, .pageDown], (49, 68)), ([.pageUp], (29, 48)), ([.home], (0, 0)),
        ]
        for (commands, expected) in steps {
            for command in commands { state = update(state, command, snapshot).0 }
            let zoom = try #require(state.zoom)
            #expect(zoom.topOffset / (8 * kib) == expected.top && zoom.cursorOffset / (8 * kib) == expected.cursor, "after \(commands)")
        }
        let frameText = frame(snapshot, state).lines(trimming: true)
        #expect(frameText[1].contains("0x00000–0x27fff"))
    }

    @Test("zooming keeps the cursor's bytes on the screen, on the same line when it can")
    func zoomKeepsTheCursor() throws {
        let snapshot = Fixtures.afterPass
        // 512 B per cell (rows of 32 KiB): the cursor on row 10 (320 KiB), the 11th line.
        var state = zoomed(snapshot, row: 0, Array(repeating: .scrollDown, count: 10))
        state = update(state, .zoomIn, snapshot).0
        var zoom = try #require(state.zoom)
        #expect(zoom.bytesPerCell == 256 && zoom.cursorOffset == 320 * kib)
        #expect(zoom.topOffset == 10 * 16 * kib, "row 20 of 16 KiB rows, still on the 11th line")
        state = update(state, .zoomIn, snapshot).0
        zoom = try #require(state.zoom)
        #expect(zoom.cursorOffset == 320 * kib && zoom.topOffset == 30 * 8 * kib, "row 40 of 8 KiB rows, still on the 11th line")
        state = update(state, .zoomOut, snapshot).0
        state = update(state, .zoomOut, snapshot).0
        zoom = try #require(state.zoom)
        #expect(zoom.bytesPerCell == 512 && zoom.cursorOffset == 320 * kib && zoom.topOffset == 0)
    }

    @Test("Esc closes the help, then the list, then leaves move mode, then the zoom, selecting the zoomed page")
    func escape() throws {
        let snapshot = Fixtures.afterPass
        var state = zoomed(snapshot, row: 1, [.openDetail, .stepMove(forward: true), .openDetail, .toggleHelp])
        #expect(state.isHelpShown && state.zoom?.isListShown == true && state.moveIndex == 1)
        state = update(state, .closeDetail, snapshot).0
        #expect(!state.isHelpShown && state.zoom?.isListShown == true)
        state = update(state, .closeDetail, snapshot).0
        #expect(state.zoom?.isListShown == false && state.moveIndex == 1)
        state = update(state, .closeDetail, snapshot).0
        #expect(state.zoom != nil && state.moveIndex == nil)
        state.selectedRow = 0
        state = update(state, .closeDetail, snapshot).0
        #expect(state.zoom == nil && state.selectedRow == 1)
    }

    @Test("steps, run, the timeline, reset and the colour key keep working in the zoom, which stays open")
    func stepsInTheZoom() {
        let snapshot = Fixtures.afterPass
        let state = zoomed(snapshot, row: 0, [.zoomIn, .scrollDown])
        for (command, effect) in [(Command.step, Effect.step), (.showPass(forward: false), .showPass(0)), (.reset, .reset)] {
            let (after, effects) = update(state, command, snapshot)
            #expect(effects == [effect])
            #expect(after.zoom == state.zoom)
        }
        let (running, _) = update(state, .toggleRun, snapshot)
        #expect(running.isRunning && running.zoom == state.zoom)
        #expect(update(running, .tick, snapshot).1 == [.step])
        #expect(update(state, .toggleColourMode, snapshot).0.colourMode == .type)
    }

    @Test("a click on a map row moves the cursor there; a click on the cursor row opens its list")
    func clicks() throws {
        let snapshot = Fixtures.afterPass
        var state = zoomed(snapshot, row: 0)
        state = update(state, .selectRow(y: mapY + 5), snapshot).0
        #expect(state.zoom?.cursorOffset == 5 * 32 * kib && state.zoom?.isListShown == false)
        state = update(state, .selectRow(y: mapY + 5), snapshot).0
        #expect(state.zoom?.isListShown == true)
        state = update(state, .selectRow(y: 0), snapshot).0
        #expect(state.zoom?.cursorOffset == 5 * 32 * kib, "the header is not a row")
    }

    @Test("watch --compare: z zooms into the focused pane's page, drawn in its pane; stepping all sessions keeps it")
    func comparisonPane() {
        let snapshots = [Fixtures.afterPass, Fixtures.afterPass]
        var state = ComparisonViewState(width: 160, height: 40, opening: snapshots)
        state = updateComparison(state, .zoomIn, snapshots).0
        #expect(state.panes[0].zoom != nil && state.panes[1].zoom == nil)
        // The left pane: its header on row 0, then its frame (the screen's header, the zoom's title, the map).
        let lines = renderComparison(snapshots, state).lines()
        #expect(lines[2].hasPrefix(" page 0: 552 KiB, 100% used │ 512 B per cell │"), "\(lines[2])")
        #expect(lines[3].hasPrefix("0x00000 ") && lines[4].hasPrefix("0x08000 "))
        #expect(lines[2].dropFirst(80).hasPrefix("0  "), "the right pane still shows its page list: \(lines[2])")
        let (stepped, effects) = updateComparison(state, .step, snapshots)
        #expect(effects.count == 2 && stepped.panes[0].zoom == state.panes[0].zoom)
    }

    @Test("a resize keeps a whole-page zoom whole and the cursor's bytes on the screen")
    func resize() throws {
        let snapshot = Fixtures.afterPass
        var state = zoomed(snapshot, row: 0)
        state = update(state, .resize(width: 160, height: 50), snapshot).0
        // 144 cells × 46 rows (no legend: 47 rows, less the title) hold the page at 128 B per cell.
        #expect(state.zoom?.bytesPerCell == 128)
        state = update(state, .zoomIn, snapshot).0
        state = update(state, .end, snapshot).0
        state = update(state, .resize(width: 80, height: 24), snapshot).0
        let zoom = try #require(state.zoom)
        #expect(zoom.bytesPerCell == 64, "a zoom the user chose stays")
        let geometry = zoomGeometry(zoom, page: snapshot.pages[0], state: state)
        #expect(geometry.rows(zoom).cursor == geometry.rowCount - 1)
    }
}
