// Statistics, region walks and the allocation walk the defragmentation engine uses.
import MemoryMetadata
import Testing

@Suite("Statistics and walks")
struct StatisticsTests {
    /// A 4 KiB page: A@0+100, hole [100,300), B@300+200, C@500+50, tail [550,4096).
    static func page() throws -> (TLSFMetadata, a: AllocationHandle, b: AllocationHandle, c: AllocationHandle) {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 100, userData: 1))
        let x = try #require(try place(m, 200, userData: 9))
        let b = try #require(try place(m, 200, userData: 2))
        let c = try #require(try place(m, 50, userData: 3))
        try m.free(x.handle)
        return (m, a.handle, b.handle, c.handle)
    }

    @Test func emptyPage() throws {
        let m = TLSFMetadata(size: 4096)
        #expect(m.isEmpty)
        #expect(m.allocationCount == 0)
        #expect(m.sumFreeSize == 4096)
        #expect(m.freeRegionsCount == 1)
        #expect(m.vmaFreeRegionsCount == 1)
        #expect(m.supportsRandomAccess)
        #expect(try m.allocationListBegin() == nil)
        #expect(m.allocations().isEmpty)
        var stats = Statistics()
        m.addStatistics(&stats)
        #expect(stats.blockCount == 1 && stats.blockBytes == 4096 && stats.allocationCount == 0 && stats.allocationBytes == 0)
        var detailed = DetailedStatistics()
        m.addDetailedStatistics(&detailed)
        #expect(detailed.unusedRangeCount == 1)
        #expect(detailed.unusedRangeSizeMin == 4096 && detailed.unusedRangeSizeMax == 4096)
        #expect(detailed.allocationSizeMin == Int.max && detailed.allocationSizeMax == 0)
        try m.validate()
    }

    @Test func countsAfterOperations() throws {
        let (m, a, _, _) = try Self.page()
        #expect(!m.isEmpty)
        #expect(m.allocationCount == 3)
        #expect(m.sumFreeSize == 4096 - 350)
        #expect(m.freeRegionsCount == 2)
        #expect(m.vmaFreeRegionsCount == 2)

        var stats = Statistics()
        m.addStatistics(&stats)
        m.addStatistics(&stats)                                            // adds, does not overwrite
        #expect(stats == { var s = Statistics(); s.blockCount = 2; s.allocationCount = 6; s.blockBytes = 8192; s.allocationBytes = 700; return s }())

        var detailed = DetailedStatistics()
        m.addDetailedStatistics(&detailed)
        #expect(detailed.statistics.blockCount == 1)
        #expect(detailed.statistics.blockBytes == 4096)
        #expect(detailed.statistics.allocationCount == 3)
        #expect(detailed.statistics.allocationBytes == 350)
        #expect(detailed.unusedRangeCount == 2)
        #expect(detailed.allocationSizeMin == 50 && detailed.allocationSizeMax == 200)
        #expect(detailed.unusedRangeSizeMin == 200 && detailed.unusedRangeSizeMax == 3546)

        var total = DetailedStatistics()
        total.add(detailed)
        total.add(detailed)
        #expect(total.statistics.allocationCount == 6 && total.unusedRangeCount == 4)
        #expect(total.allocationSizeMin == 50 && total.unusedRangeSizeMax == 3546)

        try m.free(a)                                                      // merges into the hole
        #expect(m.freeRegionsCount == 2)
        #expect(m.sumFreeSize == 4096 - 250)
    }

    /// VMA counts the tail even when it is empty; the plain count does not.
    @Test func freeRegionsCountVersusVMAs() throws {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 1000)), _ = try place(m, 3096)
        #expect(m.freeRegionsCount == 0)
        #expect(m.vmaFreeRegionsCount == 1)
        #expect(m.sumFreeSize == 0)
        try m.free(a.handle)
        #expect(m.freeRegionsCount == 1)
        #expect(m.vmaFreeRegionsCount == 2)
        var detailed = DetailedStatistics()
        m.addDetailedStatistics(&detailed)
        #expect(detailed.unusedRangeCount == 1)                            // an empty tail is not a range
    }

    @Test func visitAllRegionsGoesDownAndTilesThePage() throws {
        let (m, a, b, c) = try Self.page()
        var regions: [Region] = []
        m.visitAllRegions { regions.append($0) }
        #expect(regions.map(\.offset) == [550, 500, 300, 100, 0])
        #expect(regions.map(\.size) == [3546, 50, 200, 200, 100])
        #expect(regions.map(\.isFree) == [true, false, false, true, false])
        #expect(regions.map(\.type) == [.free, .buffer, .buffer, .free, .buffer])
        #expect(regions.map(\.userData) == [0, 3, 2, 0, 1])
        #expect(regions.filter { !$0.isFree }.map(\.handle) == [c, b, a])
        var end = m.size
        for r in regions {
            #expect(r.offset + r.size == end)
            end = r.offset
        }
        #expect(end == 0)
        #expect(m.allocations().map(\.offset) == [0, 300, 500])
    }

    @Test func visitAllRegionsSkipsAnEmptyTail() throws {
        let m = TLSFMetadata(size: 4096)
        try place(m, 4096)
        var regions: [Region] = []
        m.visitAllRegions { regions.append($0) }
        #expect(regions.map(\.offset) == [0])
        #expect(regions.map(\.isFree) == [false])
    }

    @Test func allocationWalkGoesFromTheHighestOffsetDown() throws {
        let (m, a, b, c) = try Self.page()
        var walk: [AllocationHandle] = []
        var h = try m.allocationListBegin()
        while let current = h {
            walk.append(current)
            h = try m.nextAllocation(after: current)
        }
        #expect(walk == [c, b, a])
        #expect(try walk.map { try m.offset(of: $0) } == [500, 300, 0])
        #expect(try walk.map { try m.userData(of: $0) } == [3, 2, 1])
        // The free range just below each allocation, in the walk's direction.
        #expect(try m.nextFreeRegionSize(after: c) == 0)
        #expect(try m.nextFreeRegionSize(after: b) == 200)
        #expect(try m.nextFreeRegionSize(after: a) == 0)                   // nothing below offset 0
    }

    @Test func clearReturnsToTheInitialState() throws {
        let m = TLSFMetadata(size: 1 << 20, bufferImageGranularity: 1024)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<50 { try place(m, rng.int(1...5000), type: rng.chance(2) ? .buffer : .imageOptimal) }
        let freed = try #require(try m.allocationListBegin())
        try m.free(freed)
        m.clear()
        try m.validate()
        #expect(m.isEmpty)
        #expect(m.allocationCount == 0)
        #expect(m.sumFreeSize == 1 << 20)
        #expect(m.freeRegionsCount == 1)
        #expect(layout(m) == "tail@0")
        // Granularity pages were cleared too: an image goes to offset 0 next to nothing.
        #expect(try place(m, 100, type: .buffer)?.offset == 0)
        #expect(try place(m, 100, type: .imageOptimal)?.offset == 1024)
        try m.validate()
    }
}
