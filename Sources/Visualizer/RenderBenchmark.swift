// Frames per second of `render`, for `defragscope bench --render` and the render test's figure.
import DefragSession
import Defragmentation
import Dispatch
import MemoryMetadata
import MemoryPools  // SplitMix64

public enum RenderBenchmark {
    /// Renders `snapshot` `iterations` times at `width` × `height` and returns frames per second. The
    /// selection moves every frame so that no frame is a copy of the one before.
    public static func framesPerSecond(_ snapshot: SessionSnapshot, width: Int = 200, height: Int = 60, iterations: Int = 500,
                                       state: ViewState? = nil) -> Double {
        var state = state ?? ViewState(width: width, height: height)
        state.width = width
        state.height = height
        var checksum = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<max(1, iterations) {
            state.selectedRow = i % max(1, snapshot.pages.count)
            let canvas = render(snapshot, state, width: width, height: height)
            checksum &+= Int(canvas[i % width, i % height].scalar.value)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(checksum != -1)
        return Double(max(1, iterations)) / seconds
    }

    /// A deterministic pool of `pages` pages of 64 MiB, 70–95% full with 4 KiB–8 MiB allocations, and a
    /// last pass that moved allocations from the last pages into the first and released one page.
    public static func syntheticSnapshot(pages pageCount: Int = 256, seed: UInt64 = 42) -> SessionSnapshot {
        var rng = SplitMix64(seed: seed)
        func next() -> UInt64 { rng.next() }
        let pageSize = 64 << 20
        var pages: [PageSnapshot] = []
        var id = 0
        var moves: [MoveRecord] = []
        let types: [SuballocationType] = [.buffer, .imageOptimal, .imageLinear, .unknown]
        for p in 0..<pageCount {
            var allocations: [AllocationSnapshot] = []
            var offset = 0
            let target = pageSize * (70 + Int(next() % 26)) / 100
            var used = 0
            while used < target {
                let size = 4096 << Int(next() % 12)
                let gap = Int(next() % 4) * 4096 * (1 + Int(next() % 64))
                guard offset + gap + size <= pageSize else { break }
                offset += gap
                allocations.append(AllocationSnapshot(id: id, offset: offset, size: size, type: types[Int(next() % 4)]))
                if p < 4 && allocations.count % 7 == 0 {
                    moves.append(MoveRecord(id: id, size: size, sourcePage: pageCount - 1 - p, sourceOffset: offset,
                                            destinationPage: p, destinationOffset: offset))
                }
                id += 1
                offset += size
                used += size
            }
            pages.append(PageSnapshot(id: p, size: pageSize, allocations: allocations, isImmovable: p == 3))
        }
        var metrics = Metrics()
        metrics.pages = pageCount
        metrics.nonEmptyPages = pageCount
        metrics.liveBytes = pages.reduce(0) { $0 + $1.usedBytes }
        metrics.liveAllocations = id
        metrics.freeBytes = pageCount * pageSize - metrics.liveBytes
        metrics.lowerBoundPages = (metrics.liveBytes + pageSize - 1) / pageSize
        metrics.largestFreeRange = 8 << 20
        metrics.fragmentation = 0.9
        let stats = DefragmentationStats(bytesMoved: moves.reduce(0) { $0 + $1.size }, bytesFreed: pageSize,
                                         allocationsMoved: moves.count, deviceMemoryBlocksFreed: 1)
        let pass = PassReport(number: 3, moves: moves, stats: stats, freedPages: [pageCount], planningSeconds: 0.0012,
                              copySeconds: 0.003, completeSeconds: 0.0004, metricsAfter: metrics)
        return SessionSnapshot(title: "synthetic-\(pageCount)", backend: "host", configuration: EngineConfiguration(),
                               passNumber: 3, isFinished: false, pages: pages, pagesAtStart: pageCount + 3, metrics: metrics,
                               lastPass: pass, pagesHistory: [pageCount + 3, pageCount + 2, pageCount + 1, pageCount],
                               runStats: stats)
    }
}
