// Frames compared line by line, and roles checked on the cells that carry meaning.
import DefragSession
import Testing
@testable import Visualizer

private func frame(_ snapshot: SessionSnapshot, width: Int, height: Int, _ configure: (inout ViewState) -> Void = { _ in }) -> Canvas {
    var state = ViewState(width: width, height: height)
    configure(&state)
    return render(snapshot, state, width: width, height: height)
}

/// Row of page row `index` at 80×24 (the header is row 0).
private func pageRowY(_ index: Int) -> Int { 1 + index }

@Suite struct RenderLayoutTests {
    @Test func before80x24() { expectLines(frame(Fixtures.before, width: 80, height: 24), "before-80x24") }
    @Test func afterPass80x24() { expectLines(frame(Fixtures.afterPass, width: 80, height: 24), "after-80x24") }
    @Test func afterPass200x60() { expectLines(frame(Fixtures.afterPass, width: 200, height: 60), "after-200x60") }
    @Test func tiny20x5() { expectLines(frame(Fixtures.afterPass, width: 20, height: 5), "after-20x5") }

    @Test func oneByOne() {
        let canvas = frame(Fixtures.afterPass, width: 1, height: 1)
        #expect(canvas.width == 1 && canvas.height == 1)
        #expect(canvas.lines() == [" "] || canvas.lines().count == 1)
        #expect(canvas[0, 0].background == .header)
    }

    @Test(arguments: [(0, 0), (0, 10), (10, 0), (-3, -3), (1, 2), (2, 1), (5, 3), (3, 5), (7, 7), (40, 4), (99, 6), (100, 6), (12, 40)])
    func smallSizesDoNotCrash(width: Int, height: Int) {
        for snapshot in [Fixtures.before, Fixtures.afterPass, Fixtures.many(0), Fixtures.many(300)] {
            for configure: (inout ViewState) -> Void in [{ _ in }, { $0.isHelpShown = true }, { $0.isDetailShown = true }, { $0.ascii = true; $0.selectedRow = 99 }] {
                let canvas = frame(snapshot, width: width, height: height, configure)
                #expect(canvas.width == max(0, width) && canvas.height == max(0, height))
                #expect(canvas.lines().count == max(0, height))
            }
        }
    }

    @Test func zeroByZeroIsEmpty() {
        let canvas = frame(Fixtures.afterPass, width: 0, height: 0)
        #expect(canvas.cells.isEmpty)
        #expect(canvas.lines().isEmpty)
    }

    @Test func keyBarAlwaysShowsTheMainKeys() {
        for width in [40, 80, 120, 200] {
            let canvas = frame(Fixtures.afterPass, width: width, height: 24)
            let bar = canvas.lines()[23]
            for required in ["step", "run", "quit", "help"] { #expect(bar.contains(required), "\(width): \(bar)") }
        }
    }

    @Test func statsPanelGoesRightWhenWideAndBelowWhenNarrow() {
        let wide = frame(Fixtures.afterPass, width: 100, height: 24)
        #expect(wide[66, 1].scalar == "│")
        #expect(text(wide, row: 1, from: 68, count: 5) == "Pages")
        let narrow = frame(Fixtures.afterPass, width: 99, height: 24)
        #expect(narrow.lines()[17].hasPrefix("── after pass 1 "))
    }

    @Test func sparklineFollowsThePagesHistory() {
        var snapshot = Fixtures.afterPass
        snapshot.pagesHistory = [8, 6, 4, 2, 2]
        let canvas = frame(snapshot, width: 80, height: 24)
        #expect(canvas.lines(trimming: true)[22] == " pages per pass █▅▃▁▁ 8→2")
        #expect(canvas[16, 22].foreground == .sparkline)
    }
}

@Suite struct BarTests {
    /// 3 KiB from offset 0 fills 3/8 of the first cell.
    @Test func threeEighthsOfACell() {
        let canvas = frame(Fixtures.before, width: 80, height: 24)
        let cell = canvas[Fixtures.barX, pageRowY(2)]
        #expect(cell.scalar == "▍")
        #expect(cell.foreground == .size0)
        #expect(cell.background == .free)
        #expect(!cell.attributes.contains(.reverse))
    }

    /// An allocation starting 5/8 into a cell: free on the left, so the eighth block is drawn reversed.
    @Test func allocationStartingInsideACellIsReversed() {
        let canvas = frame(Fixtures.before, width: 80, height: 24)
        let cell = canvas[Fixtures.barX + 1, pageRowY(2)]
        #expect(cell.scalar == "▋")
        #expect(cell.foreground == .size2)
        #expect(cell.background == .free)
        #expect(cell.attributes.contains(.reverse))
        #expect(text(canvas, row: pageRowY(2), from: Fixtures.barX, count: 12) == "▍▋████████  ")
        #expect(canvas.foregrounds(row: pageRowY(2), from: Fixtures.barX + 2, count: 8) == Array(repeating: .size2, count: 8))
    }

    @Test func eachEighth() {
        // One allocation of k KiB at offset 0 on a 552 KiB page: k eighths of the first cell at 80 columns.
        for k in 1...8 {
            var snapshot = Fixtures.before
            snapshot.pages = [PageSnapshot(id: 0, size: Fixtures.pageSize, allocations: [AllocationSnapshot(id: 1, offset: 0, size: k * 1024)])]
            snapshot.pages.append(PageSnapshot(id: 1, size: Fixtures.pageSize, allocations: (0..<10).map { AllocationSnapshot(id: 10 + $0, offset: $0 * 8192, size: 8192) }))
            let canvas = frame(snapshot, width: 80, height: 24)
            #expect(canvas[Fixtures.barX, 1].scalar == Array("▏▎▍▌▋▊▉█".unicodeScalars)[k - 1], "\(k) KiB")
            #expect(canvas[Fixtures.barX + 1, 1].scalar == " ")
        }
    }

    @Test func freeSpaceIsDarkAndFullPageIsFull() {
        let canvas = frame(Fixtures.before, width: 80, height: 24)
        let row = pageRowY(0)
        #expect(text(canvas, row: row, from: Fixtures.barX, count: 12) == "██████████ █")
        #expect(canvas[Fixtures.barX + 10, row].background == .free)
        #expect(canvas[Fixtures.barX, row].foreground == .size1)
        #expect(text(canvas, row: row, from: 72, count: 8) == "  98% 68")
    }

    @Test func colourByType() {
        let canvas = frame(Fixtures.before, width: 80, height: 24) { $0.colourMode = .type }
        #expect(canvas[Fixtures.barX, pageRowY(0)].foreground == .buffer)
        #expect(canvas[Fixtures.barX, pageRowY(1)].foreground == .imageOptimal)
        #expect(canvas[Fixtures.barX + 40, pageRowY(1)].foreground == .imageLinear)
    }

    @Test func tinyAllocationsStayVisible() {
        var snapshot = Fixtures.before
        snapshot.pages = [PageSnapshot(id: 0, size: 1 << 30, allocations: [AllocationSnapshot(id: 1, offset: 1 << 29, size: 256)])]
        let canvas = frame(snapshot, width: 80, height: 24)
        let bar = text(canvas, row: 1, from: Fixtures.barX, count: 71)
        #expect(bar.unicodeScalars.filter { $0 != " " }.count == 1, "\(bar)")
        #expect(bar.contains("▏"), "one eighth, not a full cell: \(bar)")
    }
}

@Suite struct MoveMarkingTests {
    let canvas = frame(Fixtures.afterPass, width: 80, height: 24)

    @Test func destinationInAnotherPage() {
        let row = pageRowY(0)
        // Allocation 300 arrived at 80 KiB of page 0: cell 10.
        #expect(canvas[Fixtures.barX + 10, row].foreground == .movedDestination)
        #expect(canvas[Fixtures.barX + 10, row].scalar == "█")
        #expect(canvas[Fixtures.barX + 9, row].foreground == .size1)
        #expect(canvas[Fixtures.barX + 11, row].foreground == .size1)
    }

    @Test func sourceAndDestinationWithinAPage() {
        let row = pageRowY(1)
        let x = Fixtures.barX
        // 100 covers cells 0..<17.5, 101 arrived at 17.5..<35, it left 35..<52.5. Cell 17 is full (half of
        // each, a tie that goes to the arrival); cell 52 is half left, half never used: marked as left.
        #expect(canvas.foregrounds(row: row, from: x, count: 17) == Array(repeating: .size2, count: 17))
        #expect(canvas[x + 17, row].scalar == "█")
        #expect(canvas.foregrounds(row: row, from: x + 17, count: 18) == Array(repeating: .movedDestination, count: 18))
        #expect(text(canvas, row: row, from: x + 35, count: 18) == String(repeating: "░", count: 18))
        #expect(canvas.foregrounds(row: row, from: x + 35, count: 18) == Array(repeating: .movedSource, count: 18))
        #expect(canvas[x + 53, row].scalar == " ")
    }

    @Test func freedPageRow() {
        let line = canvas.lines(trimming: true)[pageRowY(3)]
        #expect(line.hasPrefix("3× ───"))
        #expect(line.contains(" page 3 released "))
        #expect(canvas[1, pageRowY(3)].foreground == .freedPage)
        #expect(canvas[Fixtures.barX, pageRowY(3)].attributes.contains(.dim))
    }

    @Test func immovablePageIsFlagged() {
        #expect(canvas[1, pageRowY(2)].scalar == "!")
        #expect(canvas[1, pageRowY(2)].foreground == .immovable)
        #expect(canvas[1, pageRowY(1)].scalar == " ")
    }

    @Test func ignoredMovesAreNotMarked() {
        var snapshot = Fixtures.afterPass
        snapshot.lastPass!.moves = snapshot.lastPass!.moves.map { var m = $0; m.operation = .ignore; return m }
        let canvas = frame(snapshot, width: 80, height: 24)
        #expect(!canvas.cells.contains { $0.foreground == .movedDestination || $0.foreground == .movedSource })
    }
}

@Suite struct ModeTests {
    @Test func asciiMode() {
        let canvas = frame(Fixtures.afterPass, width: 80, height: 24) { $0.ascii = true }
        expectLines(canvas, "after-80x24-ascii")
        #expect(canvas.cells.allSatisfy { $0.scalar.isASCII })
        let x = Fixtures.barX
        #expect(text(canvas, row: pageRowY(0), from: x + 8, count: 4) == "##@#")
        #expect(text(canvas, row: pageRowY(1), from: x + 33, count: 4) == "@@::")
        #expect(text(canvas, row: pageRowY(1), from: x + 51, count: 4) == "::..")
        #expect(text(canvas, row: pageRowY(2), from: x, count: 11) == "~~########.")   // 3/8 and 3/8: the ramp's third step
    }

    @Test func monochromeKeepsMovesVisibleWithoutColour() {
        let canvas = frame(Fixtures.afterPass, width: 80, height: 24) { $0.monochrome = true }
        let x = Fixtures.barX
        #expect(canvas[x + 10, pageRowY(0)].scalar == "▓")
        #expect(canvas[x + 9, pageRowY(0)].scalar == "█")
        #expect(canvas[x + 40, pageRowY(1)].scalar == "░")
        #expect(canvas[x + 60, pageRowY(1)].scalar == "·")
        let theme = Theme(depth: .none)
        #expect(Role.allCases.allSatisfy { theme.colour($0) == .terminalDefault })
        #expect(theme.extraAttributes(foreground: .text, background: .header).contains(.reverse))
        #expect(theme.extraAttributes(foreground: .text, background: .selection).contains(.reverse))
        #expect(theme.extraAttributes(foreground: .freedPage, background: .background).contains(.dim))
    }

    @Test func themesGiveMovesTheirOwnColour() {
        for depth in [ColourDepth.eight, .sixteen, .full] {
            let theme = Theme(depth: depth)
            let sizes = (0..<Role.sizeClassCount).map { theme.colour(.sizeClass($0)) }
            #expect(!sizes.contains(theme.colour(.movedSource)), "\(depth)")
            #expect(!sizes.contains(theme.colour(.movedDestination)), "\(depth)")
            #expect(theme.colour(.free) != theme.colour(.size0))
            let limit = depth.rawValue
            for role in Role.allCases {
                if case .index(let i) = theme.colour(role) { #expect(i >= 0 && i < limit, "\(depth) \(role)") }
            }
        }
    }

    @Test func colourDepthDetection() {
        #expect(ColourDepth.detect(colours: 256, hasColours: true, noColour: false) == .full)
        #expect(ColourDepth.detect(colours: 88, hasColours: true, noColour: false) == .sixteen)
        #expect(ColourDepth.detect(colours: 16, hasColours: true, noColour: false) == .sixteen)
        #expect(ColourDepth.detect(colours: 8, hasColours: true, noColour: false) == .eight)
        #expect(ColourDepth.detect(colours: 2, hasColours: true, noColour: false) == .none)
        #expect(ColourDepth.detect(colours: 256, hasColours: false, noColour: false) == .none)
        #expect(ColourDepth.detect(colours: 256, hasColours: true, noColour: true) == .none)
    }
}

@Suite struct ScrollTests {
    @Test func morePagesThanRows() {
        let snapshot = Fixtures.many(40)
        // 80×24: 16 rows above the 6-row panel: the list's title, one row of the overview strip, 14 page rows.
        let top = frame(snapshot, width: 80, height: 24)
        #expect(top.lines()[3].hasPrefix(" 0"))
        #expect(top.lines()[16].hasPrefix("13"))
        #expect(top[79, 16].scalar == "▼")
        let scrolled = frame(snapshot, width: 80, height: 24) { $0.selectedRow = 30; $0.scrollOffset = 0 }
        // The selection is kept visible: row 30 is the last one shown.
        #expect(scrolled.lines()[16].hasPrefix("30"))
        #expect(scrolled.lines()[3].hasPrefix("17"))
        #expect(scrolled[0, 16].background == .selection)
        #expect(scrolled[79, 3].scalar == "▲")
        expectLines(scrolled, "many40-80x24-scrolled")
    }
}

@Suite struct OverlayTests {
    @Test func helpOverlay() {
        let canvas = frame(Fixtures.afterPass, width: 80, height: 24) { $0.isHelpShown = true }
        expectLines(canvas, "after-80x24-help")
        #expect(canvas.lines().contains { $0.contains("q          quit") })
    }

    @Test func pageDetailList() {
        let canvas = frame(Fixtures.afterPass, width: 80, height: 24) { $0.selectedRow = 1; $0.isDetailShown = true }
        expectLines(canvas, "after-80x24-detail-page1")
        let lines = canvas.lines(trimming: true)
        #expect(lines.contains { $0.contains("0x23000") && $0.contains("← page 1") })
        #expect(lines.contains { $0.contains("0x46000") && $0.contains("(left)") && $0.contains("→ page 1 @ 0x23000") })
    }

    @Test func detailOfAReleasedPage() {
        let canvas = frame(Fixtures.afterPass, width: 80, height: 24) { $0.selectedRow = 3; $0.isDetailShown = true }
        #expect(canvas.lines().contains { $0.contains("released by pass 1") })
    }

    @Test func detailScrollsThroughALongList() {
        let canvas = frame(Fixtures.afterPass, width: 80, height: 24) { $0.selectedRow = 0; $0.isDetailShown = true; $0.detailScroll = 60 }
        let lines = canvas.lines(trimming: true)
        // 69 allocations, 19 rows for them (box border and column names take 3): scrolled to the end.
        #expect(lines.contains { $0.contains("0x88000") })
        #expect(!lines.contains { $0.contains("0x00000") })
        #expect(lines[22].contains("51-69 of 69"))
    }

    @Test func messageRowShowsNoticesAndErrors() {
        var snapshot = Fixtures.afterPass
        snapshot.notice = "device lost"
        let canvas = frame(snapshot, width: 80, height: 24)
        #expect(canvas.lines(trimming: true)[22] == " ! device lost")
        #expect(canvas[3, 22].foreground == .warning)
    }
}

@Suite struct CanvasTests {
    @Test func writeClipsAndReplacesWideCharacters() {
        var canvas = Canvas(width: 6, height: 2)
        canvas.write("ab漢\u{0301}c\tdefgh", x: 0, y: 0)
        #expect(canvas.lines() == ["ab??c?", "      "])
        canvas.write("xyz", x: 4, y: 1)
        canvas.write("xyz", x: -1, y: 5)
        #expect(canvas.lines() == ["ab??c?", "    xy"])
    }

    @Test func truncationAndAscii() {
        var canvas = Canvas(width: 10, height: 1)
        canvas.writeTruncated("∞ bytes and more", x: 0, y: 0, maxWidth: 8, ascii: true)
        #expect(canvas.lines(trimming: true) == ["inf byt~"])
        canvas.writeTruncated("short", x: 0, y: 0, maxWidth: 10)
        #expect(canvas.lines(trimming: true) == ["shortyt~"])
    }

    @Test func sizeClasses() {
        #expect(sizeClass(ofSize: 1) == 0)
        #expect(sizeClass(ofSize: 4095) == 0)
        #expect(sizeClass(ofSize: 4096) == 1)
        #expect(sizeClass(ofSize: 65536) == 2)
        #expect(sizeClass(ofSize: 1 << 20) == 3)
        #expect(sizeClass(ofSize: 1 << 40) == 5)
    }
}
