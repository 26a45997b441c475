// Hand-built snapshots the render and update tests draw. Sizes are chosen so bars land on whole eighths:
// at 80 columns a page row is "id flag space" (3 columns), the bar (69 cells = 552 eighths), then " 100% 69"
// (8 columns), so a 552 KiB page puts exactly 1 KiB in each eighth and 8 KiB in each cell.
import DefragSession
import Defragmentation
import MemoryMetadata
@testable import Visualizer

enum Fixtures {
    static let kib = 1024
    /// 69 cells × 8 eighths × 1 KiB.
    static let pageSize = 552 * 1024
    /// Column of the first bar cell at 80 columns.
    static let barX = 3

    static func metrics(_ pages: [PageSnapshot]) -> Metrics {
        var m = Metrics()
        m.pages = pages.count
        m.nonEmptyPages = pages.filter { !$0.allocations.isEmpty }.count
        m.liveBytes = pages.reduce(0) { $0 + $1.usedBytes }
        m.liveAllocations = pages.reduce(0) { $0 + $1.allocations.count }
        m.freeBytes = pages.reduce(0) { $0 + $1.freeBytes }
        m.lowerBoundPages = pages.isEmpty ? 0 : (m.liveBytes + pageSize - 1) / pageSize
        m.largestFreeRange = 140 * kib
        m.fragmentation = m.freeBytes == 0 ? 0 : 1 - Double(m.largestFreeRange) / Double(m.freeBytes)
        return m
    }

    /// Four pages before any pass: page 0 full of 8 KiB buffers with one hole, page 1 half full of images,
    /// page 2 with a 3 KiB allocation (3/8 of a cell) and a large one, page 3 nearly empty.
    static var before: SessionSnapshot {
        let pages = [
            PageSnapshot(id: 0, size: pageSize, allocations: (0..<69).filter { $0 != 10 }.map {
                AllocationSnapshot(id: $0, offset: $0 * 8 * kib, size: 8 * kib, type: .buffer)
            }),
            PageSnapshot(id: 1, size: pageSize, allocations: [
                AllocationSnapshot(id: 100, offset: 0, size: 140 * kib, type: .imageOptimal),
                AllocationSnapshot(id: 101, offset: 280 * kib, size: 140 * kib, type: .imageLinear),
            ]),
            PageSnapshot(id: 2, size: pageSize, allocations: [
                AllocationSnapshot(id: 200, offset: 0, size: 3 * kib, type: .buffer),
                AllocationSnapshot(id: 202, offset: 13 * kib, size: 67 * kib, type: .imageOptimal),
            ]),
            PageSnapshot(id: 3, size: pageSize, allocations: [
                AllocationSnapshot(id: 300, offset: 80 * kib, size: 8 * kib, type: .buffer),
            ]),
        ]
        return SessionSnapshot(title: "fixture", backend: "host", configuration: EngineConfiguration(), passNumber: 0,
                               isFinished: false, pages: pages, pagesAtStart: 4, metrics: metrics(pages), lastPass: nil,
                               pagesHistory: [4], runStats: DefragmentationStats())
    }

    /// After pass 1: allocation 300 moved from page 3 (offset 80 KiB) into page 0's hole (offset 80 KiB);
    /// allocation 101 moved within page 1 from 280 KiB down to 140 KiB; page 3 was released; page 2 is
    /// immovable.
    static var afterPass: SessionSnapshot {
        var pages = before.pages
        pages.removeLast()
        pages[0].allocations.insert(AllocationSnapshot(id: 300, offset: 80 * kib, size: 8 * kib, type: .buffer), at: 10)
        pages[1].allocations[1].offset = 140 * kib
        pages[2].isImmovable = true
        let moves = [
            MoveRecord(id: 300, size: 8 * kib, sourcePage: 3, sourceOffset: 80 * kib, destinationPage: 0, destinationOffset: 80 * kib),
            MoveRecord(id: 101, size: 140 * kib, sourcePage: 1, sourceOffset: 280 * kib, destinationPage: 1, destinationOffset: 140 * kib),
        ]
        let stats = DefragmentationStats(bytesMoved: 148 * kib, bytesFreed: pageSize, allocationsMoved: 2, deviceMemoryBlocksFreed: 1)
        let m = metrics(pages)
        let pass = PassReport(number: 1, moves: moves, stats: stats, freedPages: [3], planningSeconds: 0.000_25,
                              copySeconds: 0.001, completeSeconds: 0.000_25, metricsAfter: m)
        return SessionSnapshot(title: "fixture", backend: "host", configuration: EngineConfiguration(), passNumber: 1,
                               isFinished: false, pages: pages, pagesAtStart: 4, metrics: m, lastPass: pass,
                               pagesHistory: [4, 3], runStats: stats)
    }

    /// `count` pages, page k holding k % 9 allocations of 56 KiB at the start.
    static func many(_ count: Int) -> SessionSnapshot {
        let pages = (0..<count).map { k in
            PageSnapshot(id: k, size: pageSize, allocations: (0..<(k % 9)).map {
                AllocationSnapshot(id: k * 100 + $0, offset: $0 * 56 * kib, size: 56 * kib, type: .buffer)
            })
        }
        return SessionSnapshot(title: "many", backend: "host", configuration: EngineConfiguration(), passNumber: 0,
                               isFinished: false, pages: pages, pagesAtStart: count, metrics: metrics(pages), lastPass: nil,
                               pagesHistory: [count], runStats: DefragmentationStats())
    }
}
