// Pages grouped under their pool's header when a snapshot has several pools, selection and the mouse around
// the headers, dedicated pages, and colour by type with its legend.
import DefragSession
import Defragmentation
import MemoryMetadata
import Testing
@testable import Visualizer

enum PoolFixtures {
    static let kib = Fixtures.kib
    static let pageSize = Fixtures.pageSize
    static let poolA = "Type 0"
    static let poolB = "Pool 2 'Textures'"

    /// Pool A: page 0 full of 8 KiB buffers, page 1 one 140 KiB buffer (62% used in all).
    /// Pool B: page 0 an optimal and a linear image, page 1 dedicated (one whole-page image), page 2 one 8 KiB
    /// allocation of unknown type (50% used in all).
    static var pages: [PageSnapshot] {
        [
            PageSnapshot(id: 0, size: pageSize, pool: poolA, allocations: (0..<69).map {
                AllocationSnapshot(id: $0, offset: $0 * 8 * kib, size: 8 * kib, type: .buffer)
            }),
            PageSnapshot(id: 1, size: pageSize, pool: poolA, allocations: [
                AllocationSnapshot(id: 100, offset: 0, size: 140 * kib, type: .buffer, name: "vertices"),
            ]),
            PageSnapshot(id: 0, size: pageSize, pool: poolB, allocations: [
                AllocationSnapshot(id: 200, offset: 0, size: 140 * kib, type: .imageOptimal, name: "albedo"),
                AllocationSnapshot(id: 201, offset: 280 * kib, size: 140 * kib, type: .imageLinear),
            ]),
            PageSnapshot(id: 1, size: pageSize, pool: poolB, allocations: [
                AllocationSnapshot(id: 300, offset: 0, size: pageSize, type: .imageOptimal, name: "shadow map"),
            ], isDedicated: true),
            PageSnapshot(id: 2, size: pageSize, pool: poolB, allocations: [
                AllocationSnapshot(id: 400, offset: 80 * kib, size: 8 * kib, type: .unknown),
            ]),
        ]
    }

    static var twoPools: SessionSnapshot {
        let pages = pages
        return SessionSnapshot(title: "dump", backend: "host", configuration: EngineConfiguration(), passNumber: 0,
                               isFinished: false, pages: pages, pagesAtStart: 5, metrics: Fixtures.metrics(pages), lastPass: nil,
                               pagesHistory: [5], runStats: DefragmentationStats())
    }

    /// After pass 1: a 56 KiB buffer moved from pool A's page 2 (released) to pool A's page 1 at 140 KiB, pool
    /// A's 140 KiB buffer moved within page 1, and a move record (that a dedicated page must not show) leaves
    /// and enters pool B's dedicated page 1.
    static var twoPoolsAfterPass: SessionSnapshot {
        var snapshot = twoPools
        snapshot.pages[1].allocations.append(AllocationSnapshot(id: 50, offset: 140 * kib, size: 56 * kib, type: .buffer))
        let moves = [
            MoveRecord(id: 50, size: 56 * kib, sourcePage: 2, sourceOffset: 0, destinationPage: 1, destinationOffset: 140 * kib, pool: poolA),
            MoveRecord(id: 300, size: pageSize, sourcePage: 1, sourceOffset: 0, destinationPage: 1, destinationOffset: 0,
                       operation: .copy, pool: poolB),
            MoveRecord(id: 100, size: 140 * kib, sourcePage: 1, sourceOffset: 280 * kib, destinationPage: 1, destinationOffset: 0, pool: poolA),
        ]
        let stats = DefragmentationStats(bytesMoved: 56 * kib, bytesFreed: pageSize, allocationsMoved: 1, deviceMemoryBlocksFreed: 1)
        snapshot.passNumber = 1
        snapshot.lastPass = PassReport(number: 1, moves: moves, stats: stats, freedPages: [2], planningSeconds: 0.001,
                                       copySeconds: 0.001, completeSeconds: 0.001, metricsAfter: snapshot.metrics)
        snapshot.pagesHistory = [6, 5]
        return snapshot
    }

    /// Two pools of `perPool` pages each (page k holds k % 9 buffers of 56 KiB).
    static func manyInTwoPools(_ perPool: Int) -> SessionSnapshot {
        var pages: [PageSnapshot] = []
        for pool in [poolA, poolB] {
            pages += (0..<perPool).map { k in
                PageSnapshot(id: k, size: pageSize, pool: pool, allocations: (0..<(k % 9)).map {
                    AllocationSnapshot(id: k * 100 + $0, offset: $0 * 56 * kib, size: 56 * kib, type: .buffer)
                })
            }
        }
        return SessionSnapshot(title: "many", backend: "host", configuration: EngineConfiguration(), passNumber: 0,
                               isFinished: false, pages: pages, pagesAtStart: pages.count, metrics: Fixtures.metrics(pages),
                               lastPass: nil, pagesHistory: [pages.count], runStats: DefragmentationStats())
    }
}

private func frame(_ snapshot: SessionSnapshot, _ state: ViewState) -> Canvas {
    render(snapshot, state, width: state.width, height: state.height)
}

private func frame(_ snapshot: SessionSnapshot, width: Int = 80, height: Int = 24, _ configure: (inout ViewState) -> Void = { _ in }) -> Canvas {
    var state = ViewState(width: width, height: height)
    configure(&state)
    return render(snapshot, state, width: width, height: height)
}

private func apply(_ command: Command, _ state: ViewState, _ snapshot: SessionSnapshot = PoolFixtures.twoPools) -> ViewState {
    update(state, command, snapshot).0
}

/// A pool heading as drawn across the 80 columns of the page list.
private func heading(_ text: String, width: Int = 80) -> String {
    text + String(repeating: "─", count: width - text.count)
}

@Suite struct PoolHeaderTests {
    @Test func headersComeBeforeEachPoolsPages() {
        let lines = frame(PoolFixtures.twoPools).lines(trimming: true)
        #expect(Array(lines[1...8]) == [
            heading("─ Type 0 · 2 pages · 62% used "),
            "0  █████████████████████████████████████████████████████████████████████ 100% 69",
            "1  █████████████████▌                                                     25%  1",
            heading("─ Pool 2 'Textures' · 3 pages · 50% used "),
            "0  █████████████████▌                 █████████████████▌                  50%  2",
            "1D █████████████████████████████████████████████████████████████████████ 100%  1",
            "2            █                                                             1%  1",
            "",
        ])
        let canvas = frame(PoolFixtures.twoPools)
        #expect(canvas[2, 1].foreground == .panelTitle && canvas[2, 1].attributes.contains(.bold))
        #expect(canvas[0, 1].foreground == .border)
    }

    @Test func singlePoolHasNoHeader() {
        var snapshot = PoolFixtures.twoPools
        snapshot.pages = snapshot.pages.map { var page = $0; page.pool = PoolFixtures.poolA; return page }.filter { !$0.isDedicated }
        snapshot.pages = Array(snapshot.pages.prefix(2))
        #expect(pageRows(snapshot) == [.page(index: 0), .page(index: 1)])
        #expect(frame(snapshot).lines()[1].hasPrefix("0  ███"))
    }

    @Test func releasedPageFollowsItsPool() {
        let lines = frame(PoolFixtures.twoPoolsAfterPass).lines(trimming: true)
        #expect(lines[1] == heading("─ Type 0 · 2 pages · 67% used "))
        #expect(lines[4].hasPrefix("2× ───") && lines[4].contains(" page 2 released "))
        #expect(lines[5] == heading("─ Pool 2 'Textures' · 3 pages · 50% used "))
        #expect(lines[8].hasPrefix("2            █"))
    }

    @Test func releasedPageOfAnUnknownPoolGetsItsOwnHeader() {
        var snapshot = PoolFixtures.twoPoolsAfterPass
        snapshot.lastPass!.freedPages = [7]
        let rows = pageRows(snapshot)
        #expect(Array(rows.suffix(2)) == [.releasedHeader, .released(id: 7)])
        let lines = frame(snapshot).lines(trimming: true)
        #expect(lines[8] == heading("─ released · by pass 1 "))
        #expect(lines[9].hasPrefix("7× ───"))
    }

    @Test func asciiHeading() {
        let lines = frame(PoolFixtures.twoPools) { $0.ascii = true }.lines(trimming: true)
        #expect(lines[1] == "- Type 0 - 2 pages - 62% used " + String(repeating: "-", count: 50))
    }
}

@Suite struct PoolSelectionTests {
    /// Rows: 0 header A, 1 A/0, 2 A/1, 3 header B, 4 B/0, 5 B/1 (dedicated), 6 B/2.
    @Test func selectionNeverRestsOnAHeader() {
        let start = ViewState(width: 80, height: 24)
        // The first row is a header: the first page is selected instead, drawn on screen row 2.
        let canvas = frame(PoolFixtures.twoPools, start)
        #expect(canvas[0, 2].background == .selection)
        #expect(canvas[0, 1].background != .selection)
        var state = apply(.home, start)
        #expect(state.selectedRow == 1)
        state = apply(.scrollUp, state)
        #expect(state.selectedRow == 1)
        state = apply(.scrollDown, state)
        #expect(state.selectedRow == 2)
        state = apply(.scrollDown, state)
        #expect(state.selectedRow == 4)    // over the header of pool B
        state = apply(.scrollUp, state)
        #expect(state.selectedRow == 2)
        state = apply(.end, state)
        #expect(state.selectedRow == 6)
        var onHeader = start
        onHeader.selectedRow = 3
        #expect(apply(.tick, onHeader).selectedRow == 4)
    }

    @Test func enterOpensThePageUnderTheSelection() {
        var state = ViewState(width: 80, height: 24)
        state.selectedRow = 4
        state = apply(.openDetail, state)
        #expect(state.isDetailShown)
        let lines = frame(PoolFixtures.twoPools, state).lines(trimming: true)
        #expect(lines[1].contains("page 0 (Pool 2 'Textures'): 552 KiB, 2 allocations, 50% used"))
        #expect(lines.contains { $0.contains("image_optimal") && $0.contains("albedo") })
        state.selectedRow = 6   // after the pass, pool A's released page 2 is row 3
        let dedicated = frame(PoolFixtures.twoPoolsAfterPass, state).lines(trimming: true)
        #expect(dedicated[1].contains("page 1 (Pool 2 'Textures', dedicated): 552 KiB, 1 allocations, 100% us"))
        #expect(!dedicated.contains { $0.contains("(left)") })
    }

    @Test func mouseRowMapsToThePageDrawnThere() {
        let start = ViewState(width: 80, height: 24)
        // Screen row 6 is row 5: pool B's page 1.
        var state = apply(.selectRow(y: 6), start)
        #expect(state.selectedRow == 5 && !state.isDetailShown)
        state = apply(.selectRow(y: 6), state)
        #expect(state.isDetailShown)
        #expect(frame(PoolFixtures.twoPools, state).lines()[1].contains("page 1 (Pool 2 'Textures', dedicated)"))
        // A click on a header selects nothing.
        let onHeader = apply(.selectRow(y: 4), start)
        #expect(onHeader.selectedRow == 1 && !onHeader.isDetailShown)
    }

    /// Rows: 0 header A, 1–20 pool A's pages 0–19, 21 header B, 22–41 pool B's pages 0–19; under the list's
    /// title and one row of the overview strip, 14 rows shown from screen row 3.
    @Test func scrollingWithHeaders() {
        let snapshot = PoolFixtures.manyInTwoPools(20)
        var state = apply(.end, ViewState(width: 80, height: 24), snapshot)
        #expect(state.selectedRow == 41 && state.scrollOffset == 28)
        var lines = frame(snapshot, state).lines(trimming: true)
        #expect(lines[16].hasPrefix("19"))
        #expect(lines[3].hasPrefix(" 6"))
        // Up to pool B's first page: its header comes into view above it.
        for _ in 0..<19 { state = apply(.scrollUp, state, snapshot) }
        #expect(state.selectedRow == 22 && state.scrollOffset == 21)
        lines = frame(snapshot, state).lines(trimming: true)
        #expect(lines[3].hasPrefix("─ Pool 2 'Textures' · 20 pages · 37% used ────"))
        #expect(lines[3].hasSuffix("─▲"))
        #expect(lines[4].hasPrefix(" 0"))
        #expect(frame(snapshot, state)[0, 4].background == .selection)
        // The mouse maps through the scrolled rows: screen row 6 is pool B's page 2.
        let clicked = apply(.selectRow(y: 6), state, snapshot)
        #expect(clicked.selectedRow == 24)
        // One more step up skips the header into pool A's last page.
        state = apply(.scrollUp, state, snapshot)
        #expect(state.selectedRow == 20 && state.scrollOffset == 20)
        #expect(frame(snapshot, state).lines()[3].hasPrefix("19"))
        // Paging down and up lands on pages only.
        state = apply(.home, state, snapshot)
        #expect(state.selectedRow == 1 && state.scrollOffset == 0)
        for _ in 0..<3 {
            state = apply(.pageDown, state, snapshot)
            #expect(state.selectedRow != 0 && state.selectedRow != 21)
        }
        #expect(state.selectedRow == 41)
        state = apply(.pageUp, state, snapshot)
        #expect(state.selectedRow == 27)
    }
}

@Suite struct PoolColourTests {
    @Test func dumpsOpenColouredByTypeAndTracesBySize() {
        #expect(ColourMode.preferred(for: PoolFixtures.twoPools) == .type)
        var trace = Fixtures.many(5)
        trace.pages = trace.pages.map { var page = $0; page.allocations = page.allocations.map { var a = $0; a.type = .unknown; return a }; return page }
        #expect(ColourMode.preferred(for: trace) == .size)
        let opened = ViewState(width: 80, height: 24, opening: PoolFixtures.twoPools)
        #expect(opened.colourMode == .type && opened.isLegendShown)
        #expect(ViewState(width: 80, height: 24, opening: trace).colourMode == .size)
        let canvas = frame(PoolFixtures.twoPools, opened)
        #expect(canvas[Fixtures.barX, 2].foreground == .buffer)
        #expect(canvas[Fixtures.barX, 5].foreground == .imageOptimal)
        #expect(canvas[Fixtures.barX + 40, 5].foreground == .imageLinear)
        #expect(canvas[Fixtures.barX + 10, 7].foreground == .unknownType)
    }

    @Test func legendShowsTheTypeRolesAboveTheKeyBar() {
        let state = ViewState(width: 80, height: 24, opening: PoolFixtures.twoPools)
        let canvas = frame(PoolFixtures.twoPools, state)
        let lines = canvas.lines(trimming: true)
        #expect(lines[22] == " type: ■ buffer  ■ image optimal  ■ image linear  ■ unknown")
        #expect(lines[23].contains("quit"))
        #expect(lines[21].hasPrefix(" pages per pass"))
        let swatches = [7, 17, 34, 50]
        #expect(swatches.map { canvas[$0, 22].scalar } == ["■", "■", "■", "■"])
        #expect(swatches.map { canvas[$0, 22].foreground } == [.buffer, .imageOptimal, .imageLinear, .unknownType])
        #expect(canvas[9, 22].foreground == .text)
    }

    @Test func legendFollowsTheColourMode() {
        let state = apply(.toggleColourMode, ViewState(width: 80, height: 24, opening: PoolFixtures.twoPools))
        #expect(state.colourMode == .size)
        let canvas = frame(PoolFixtures.twoPools, state)
        #expect(canvas.lines(trimming: true)[22] == " size: ■ <4 KiB  ■ <64 KiB  ■ <1 MiB  ■ <16 MiB  ■ <256 MiB  ■ larger")
        let swatches = [7, 17, 28, 38, 49, 61]
        #expect(swatches.map { canvas[$0, 22].foreground } == (0..<Role.sizeClassCount).map { Role.sizeClass($0) })
        // Narrow: only the entries that fit.
        let narrow = frame(PoolFixtures.twoPools, ViewState(width: 30, height: 24, opening: PoolFixtures.twoPools))
        #expect(narrow.lines(trimming: true)[22] == " type: ■ buffer")
    }

    @Test func noLegendUnlessAsked() {
        let lines = frame(PoolFixtures.twoPools).lines(trimming: true)
        #expect(!lines.contains { $0.contains("buffer") || $0.contains("type:") })
    }

    @Test func monochromeAndAsciiTellTypesApartByGlyph() {
        for configure: (inout ViewState) -> Void in [{ $0.monochrome = true }, { $0.ascii = true }] {
            var state = ViewState(width: 80, height: 24, opening: PoolFixtures.twoPools)
            configure(&state)
            let canvas = frame(PoolFixtures.twoPools, state)
            let x = Fixtures.barX
            let cells = [canvas[x, 2], canvas[x, 5], canvas[x + 40, 5], canvas[x + 10, 7]]
            #expect(cells.map(\.foreground) == [.buffer, .imageOptimal, .imageLinear, .unknownType])
            let glyphs = cells.map(\.scalar)
            #expect(Set(glyphs).count == 4, "\(glyphs)")
            // The legend shows each type with the glyph its cells are drawn with.
            #expect([7, 17, 34, 50].map { canvas[$0, 22].scalar } == glyphs)
            if state.ascii { #expect(canvas.cells.allSatisfy { $0.scalar.isASCII }) }
        }
        // Colour by size in monochrome keeps the old full block.
        let sized = frame(PoolFixtures.twoPools) { $0.monochrome = true }
        #expect(sized[Fixtures.barX, 5].scalar == "█")
    }
}

@Suite struct DedicatedPageTests {
    @Test func dedicatedPageIsFlaggedAndNeverAMoveSource() {
        let canvas = frame(PoolFixtures.twoPoolsAfterPass)
        // Pool B's page 1 (screen row 7) is dedicated; a move record leaving it is not drawn.
        #expect(canvas[1, 7].scalar == "D")
        #expect(canvas[1, 6].scalar == " ")
        #expect(!(0..<80).contains { canvas[$0, 7].foreground == .movedSource || canvas[$0, 7].foreground == .movedDestination })
        // Pool A's page of the same id shows the range its move left.
        #expect(canvas.foregrounds(row: 3, from: Fixtures.barX + 35, count: 17) == Array(repeating: .movedSource, count: 17))
        var notDedicated = PoolFixtures.twoPoolsAfterPass
        notDedicated.pages[3].isDedicated = false
        let marked = frame(notDedicated)
        #expect((0..<80).contains { marked[$0, 7].foreground == .movedDestination })
    }
}
