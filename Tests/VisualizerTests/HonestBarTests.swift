// Bars whose ink is the bytes: on pages of many small allocations (the shape of real pools) a bar, read
// cell by cell as a user reads it (an eighth block counts its eighths, a reversed one the rest, a full
// glyph eight), adds up to the page's used percentage, within 6 points, at every width, in colour and in
// monochrome, before and after a pass.
import DefragSession
import Defragmentation
import MemoryPools  // SplitMix64
import Testing
@testable import Visualizer

/// The eighths a user sees inked in `count` cells of row `y` from `x` (ASCII: the ramp `,;~=+*%` counts 1 to
/// 7, `#`, `@` and the type letters 8).
func inkedEighths(_ canvas: Canvas, row y: Int, from x: Int, count: Int) -> Int {
    let blocks = Array("▏▎▍▌▋▊▉".unicodeScalars)
    let ramp = Array(",;~=+*%".unicodeScalars)
    let full: Set<Unicode.Scalar> = ["█", "▓", "▒", "▚", "▄", "#", "@", "B", "O", "L"]
    var total = 0
    for column in x..<(x + count) {
        let cell = canvas[column, y]
        if let k = blocks.firstIndex(of: cell.scalar) {
            total += cell.attributes.contains(.reverse) ? 7 - k : k + 1
        } else if let k = ramp.firstIndex(of: cell.scalar) {
            total += k + 1
        } else if full.contains(cell.scalar) {
            total += cell.attributes.contains(.reverse) ? 0 : 8
        }
    }
    return total
}

/// A page of `size` bytes filled to about `fill` with allocations of 256 B to 32 KiB at random gaps, the
/// shape of `scale.trace`'s pages.
func smallAllocationPage(id: Int, size: Int, fill: Double, seed: UInt64) -> PageSnapshot {
    var random = SplitMix64(seed: seed)
    var allocations: [AllocationSnapshot] = []
    var offset = 0
    while true {
        let allocationSize = 256 + Int(random.next() % (32 * 1024 - 256))
        // The gap after an allocation averages allocationSize × (1 - fill) / fill.
        let meanGap = Double(allocationSize) * (1 - fill) / fill
        let gap = Int(Double(random.next() % 2001) / 1000 * meanGap)
        guard offset + allocationSize <= size else { break }
        allocations.append(AllocationSnapshot(id: id * 1_000_000 + allocations.count, offset: offset, size: allocationSize, type: .buffer))
        offset += allocationSize + gap
    }
    return PageSnapshot(id: id, size: size, allocations: allocations)
}

/// The snapshot of one page before any pass.
func single(_ page: PageSnapshot) -> SessionSnapshot {
    var snapshot = Fixtures.before
    snapshot.pages = [page]
    snapshot.metrics = Fixtures.metrics([page])
    return snapshot
}

/// `page` on Fixtures' 80-column layout, where a 552 KiB page has 8 KiB cells (a second page with ten
/// allocations gives the count column its two digits).
private func eightKiBCells(_ page: PageSnapshot) -> SessionSnapshot {
    let filler = PageSnapshot(id: 1, size: Fixtures.pageSize, allocations: (0..<10).map {
        AllocationSnapshot(id: 10_000 + $0, offset: $0 * 8192, size: 8192)
    })
    var snapshot = single(page)
    snapshot.pages.append(filler)
    snapshot.metrics = Fixtures.metrics(snapshot.pages)
    return snapshot
}

/// The same page after a pass that moved every third allocation into it from page 9 and moved allocations
/// out of it into the gaps between (so it shows arrivals, cells split between resident and arrived
/// allocations, and ranges allocations left).
func afterAPass(_ page: PageSnapshot) -> SessionSnapshot {
    var snapshot = single(page)
    var moves: [MoveRecord] = []
    for (index, allocation) in page.allocations.enumerated() where index % 3 == 0 {
        moves.append(MoveRecord(id: allocation.id, size: allocation.size, sourcePage: 9, sourceOffset: allocation.offset,
                                destinationPage: page.id, destinationOffset: allocation.offset))
    }
    // Left ranges: the gaps after every fifth allocation had an allocation that moved out.
    for (index, pair) in zip(page.allocations, page.allocations.dropFirst()).enumerated() where index % 5 == 0 {
        let start = pair.0.offset + pair.0.size
        if pair.1.offset > start {
            moves.append(MoveRecord(id: 5_000_000 + index, size: pair.1.offset - start, sourcePage: page.id, sourceOffset: start,
                                    destinationPage: 9, destinationOffset: 0))
        }
    }
    snapshot.passNumber = 1
    snapshot.lastPass = PassReport(number: 1, moves: moves, stats: DefragmentationStats(), freedPages: [], planningSeconds: 0,
                                   copySeconds: 0, completeSeconds: 0, metricsAfter: snapshot.metrics)
    return snapshot
}

/// The bar of the first page row: (x, width), as the renderer lays it out.
private func barColumns(_ snapshot: SessionSnapshot, _ state: ViewState) -> RowColumns {
    let layout = Layout(width: state.width, height: state.height, snapshot: snapshot, state: state)
    return RowColumns(rect: layout.pages, maxID: snapshot.pages.map(\.id).max() ?? 0,
                      maxCount: snapshot.pages.map(\.allocations.count).max() ?? 0)
}

@Suite struct HonestBarTests {
    @Test("a page of many small allocations reads as its used percentage at every width, colour, monochrome and ASCII, before and after a pass",
          arguments: [0.1, 0.3, 0.5, 0.53, 0.75, 0.9, 0.98])
    func barSumsToThePercentage(fill: Double) {
        let page = smallAllocationPage(id: 1, size: 64 << 20, fill: fill, seed: UInt64(fill * 1000))
        let percent = page.usedBytes * 100 / page.size
        #expect(abs(Double(page.usedBytes) / Double(page.size) - fill) < 0.05, "the page is filled as asked: \(percent)%")
        for snapshot in [single(page), afterAPass(page)] {
            for width in [40, 63, 80, 100, 160, 211, 300] {
                for (monochrome, ascii) in [(false, false), (true, false), (true, true), (false, true)] {
                  for colourMode in ColourMode.allCases {
                    var state = ViewState(width: width, height: 24, ascii: ascii, monochrome: monochrome)
                    state.colourMode = colourMode
                    let canvas = render(snapshot, state, width: width, height: 24)
                    let columns = barColumns(snapshot, state)
                    let inked = inkedEighths(canvas, row: 1, from: columns.barX, count: columns.barWidth)
                    let shown = Double(inked) * 100 / Double(columns.barWidth * 8)
                    #expect(abs(shown - Double(percent)) <= 6,
                            "fill \(fill), width \(width), monochrome \(monochrome), ASCII \(ascii), \(colourMode), pass \(snapshot.passNumber): bar reads \(shown)%, page \(percent)%")
                  }
                }
            }
        }
    }

    @Test("a half-used page of small allocations is drawn half-inked: mostly half blocks, not solid")
    func halfUsedIsNotSolid() {
        let page = smallAllocationPage(id: 1, size: 64 << 20, fill: 0.5, seed: 7)
        let canvas = render(single(page), ViewState(width: 160, height: 50), width: 160, height: 50)
        let columns = barColumns(single(page), ViewState(width: 160, height: 50))
        let glyphs = (0..<columns.barWidth).map { canvas[columns.barX + $0, 1].scalar }
        let solid = glyphs.filter { $0 == "█" }.count
        #expect(solid * 10 < glyphs.count, "at most a tenth of the cells solid: \(String(String.UnicodeScalarView(glyphs)))")
        let middling = glyphs.filter { "▍▌▋".unicodeScalars.contains($0) }.count
        #expect(middling * 2 > glyphs.count, "most cells 3/8 to 5/8: \(String(String.UnicodeScalarView(glyphs)))")
    }

    @Test("a cell split between a resident and an arrived allocation is full; its colour is the larger one's")
    func residentAndArrivedFillTheCell() {
        // 8 KiB cells (Fixtures' 552 KiB page at 80 columns): cell 1 holds 3 KiB of a resident allocation and
        // 5 KiB of an arrived one; cell 3 holds 5 KiB resident and 3 KiB arrived.
        let kib = 1024
        let page = PageSnapshot(id: 0, size: Fixtures.pageSize, allocations: [
            AllocationSnapshot(id: 1, offset: 8 * kib, size: 3 * kib, type: .buffer),
            AllocationSnapshot(id: 2, offset: 11 * kib, size: 5 * kib, type: .buffer),
            AllocationSnapshot(id: 3, offset: 24 * kib, size: 5 * kib, type: .buffer),
            AllocationSnapshot(id: 4, offset: 29 * kib, size: 3 * kib, type: .buffer),
        ])
        var snapshot = eightKiBCells(page)
        snapshot.lastPass = PassReport(number: 1, moves: [
            MoveRecord(id: 2, size: 5 * kib, sourcePage: 5, sourceOffset: 0, destinationPage: 0, destinationOffset: 11 * kib),
            MoveRecord(id: 4, size: 3 * kib, sourcePage: 5, sourceOffset: 0, destinationPage: 0, destinationOffset: 29 * kib),
        ], stats: DefragmentationStats(), freedPages: [], planningSeconds: 0, copySeconds: 0, completeSeconds: 0,
           metricsAfter: snapshot.metrics)
        for monochrome in [false, true] {
            var state = ViewState(width: 80, height: 24)
            state.monochrome = monochrome
            let canvas = render(snapshot, state, width: 80, height: 24)
            let x = Fixtures.barX
            #expect(canvas[x + 1, 1].foreground == .movedDestination)
            #expect(canvas[x + 1, 1].scalar == (monochrome ? "▓" : "█"))
            #expect(canvas[x + 3, 1].foreground == .size1, "5 KiB resident (size class 1) over 3 KiB arrived")
            #expect(canvas[x + 3, 1].scalar == "█")
            #expect(inkedEighths(canvas, row: 1, from: x, count: 69) == 16)
        }
    }

    @Test("a cell's colour is the size class holding most of its bytes, not the most allocations")
    func colourIsTheMajorityOfBytes() {
        // Cell 0: three 1 KiB allocations (size class 0) and one of 4 KiB (class 1): 7 eighths of class 1.
        let page = PageSnapshot(id: 0, size: Fixtures.pageSize, allocations: [
            AllocationSnapshot(id: 1, offset: 0, size: 1024),
            AllocationSnapshot(id: 2, offset: 1024, size: 1024),
            AllocationSnapshot(id: 3, offset: 3072, size: 1024),
            AllocationSnapshot(id: 4, offset: 4096, size: 4096),
        ])
        let canvas = render(eightKiBCells(page), ViewState(width: 80, height: 24), width: 80, height: 24)
        let cell = canvas[Fixtures.barX, 1]
        #expect(cell.scalar == "▉")
        #expect(cell.foreground == .size1)
        #expect(!cell.attributes.contains(.reverse), "the allocated bytes are not one run at the right end")
    }

    @Test("ink on the right of a cell is a reversed block that still counts the allocated eighths")
    func inkOnTheRight() {
        // 2 KiB free then 6 KiB allocated in cell 0.
        let page = PageSnapshot(id: 0, size: Fixtures.pageSize, allocations: [AllocationSnapshot(id: 1, offset: 2048, size: 6144)])
        let canvas = render(eightKiBCells(page), ViewState(width: 80, height: 24), width: 80, height: 24)
        let cell = canvas[Fixtures.barX, 1]
        #expect(cell.scalar == "▎" && cell.attributes.contains(.reverse))
        #expect(inkedEighths(canvas, row: 1, from: Fixtures.barX, count: 69) == 6)
    }

    @Test("rounding: under half an eighth still shows one eighth (nothing live is invisible), never a full cell")
    func floorOfOneEighth() {
        // 8 KiB cells: 100 B in cell 0, 4.4 KiB in cell 2 (4 eighths), 7.6 KiB in cell 4 (8 eighths, rounded).
        let page = PageSnapshot(id: 0, size: Fixtures.pageSize, allocations: [
            AllocationSnapshot(id: 1, offset: 100, size: 100),
            AllocationSnapshot(id: 2, offset: 16 * 1024, size: 4506),
            AllocationSnapshot(id: 3, offset: 32 * 1024, size: 7783),
        ])
        let canvas = render(eightKiBCells(page), ViewState(width: 80, height: 24), width: 80, height: 24)
        #expect(text(canvas, row: 1, from: Fixtures.barX, count: 6) == "▏ ▌ █ ")
        let ascii = render(eightKiBCells(page), ViewState(width: 80, height: 24, ascii: true), width: 80, height: 24)
        #expect(text(ascii, row: 1, from: Fixtures.barX, count: 6) == ",.=.#.")
    }

    @Test("ASCII bars draw each cell's eighths as a ramp ,;~=+*% then #, wherever in the cell the ink sits, never reversed")
    func asciiRamp() {
        // 8 KiB cells: cell k (1...7) holds k KiB at its start, cell 8 the same at its end, cell 9 is full.
        let kib = 1024
        var allocations = (1...7).map { AllocationSnapshot(id: $0, offset: $0 * 8 * kib, size: $0 * kib) }
        allocations.append(AllocationSnapshot(id: 8, offset: 8 * 8 * kib + 5 * kib, size: 3 * kib))
        allocations.append(AllocationSnapshot(id: 9, offset: 9 * 8 * kib, size: 8 * kib))
        let page = PageSnapshot(id: 0, size: Fixtures.pageSize, allocations: allocations)
        let canvas = render(eightKiBCells(page), ViewState(width: 80, height: 24, ascii: true), width: 80, height: 24)
        #expect(text(canvas, row: 1, from: Fixtures.barX, count: 11) == ".,;~=+*%~#.")
        #expect((0..<11).allSatisfy { !canvas[Fixtures.barX + $0, 1].attributes.contains(.reverse) })
        #expect(inkedEighths(canvas, row: 1, from: Fixtures.barX, count: 69) == (1...7).reduce(0, +) + 3 + 8)
    }
}
