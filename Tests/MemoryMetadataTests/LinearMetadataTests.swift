// The linear (stack) metadata: no random access, stack-like reuse.
import MemoryMetadata
import Testing

@Suite("Linear metadata")
struct LinearMetadataTests {
    @Test func noRandomAccess() throws {
        let m = LinearMetadata(size: 4096)
        #expect(!m.supportsRandomAccess)
        #expect(throws: MetadataError.randomAccessNotSupported) { try m.allocationListBegin() }
        let a = try #require(try place(m, 100))
        #expect(throws: MetadataError.randomAccessNotSupported) { try m.allocationListBegin() }
        #expect(throws: MetadataError.randomAccessNotSupported) { try m.nextAllocation(after: a.handle) }
    }

    @Test func behavesAsAStack() throws {
        let m = LinearMetadata(size: 4096)
        let a = try #require(try place(m, 100, userData: 1))
        let b = try #require(try place(m, 100, align: 64, userData: 2))
        let c = try #require(try place(m, 50, userData: 3))
        #expect([a.offset, b.offset, c.offset] == [0, 128, 228])
        try m.validate()

        try m.free(b.handle)                                               // a hole, not reused
        try m.validate()
        #expect(m.allocationCount == 2)
        #expect(m.sumFreeSize == 4096 - 150)
        #expect(m.freeRegionsCount == 2)                                   // [100,228) and the tail
        #expect(try m.nextFreeRegionSize(after: c.handle) == 128)
        #expect(layout(m, names: [1: "A", 3: "C"]) == "A@0+100 free@100+128 C@228+50 tail@278")
        let d = try #require(try place(m, 10, userData: 4))
        #expect(d.offset == 278)                                           // after the top, not in the hole

        try m.free(d.handle)
        try m.free(c.handle)                                               // reclaims C and the freed B
        try m.validate()
        #expect(try place(m, 10)?.offset == 100)
        #expect(try m.userData(of: a.handle) == 1)
        #expect(throws: MetadataError.unknownHandle(c.handle)) { try m.free(c.handle) }
    }

    @Test func fullPageAndStatistics() throws {
        let m = LinearMetadata(size: 1024)
        let a = try #require(try place(m, 1000))
        #expect(try place(m, 25) == nil)
        #expect(m.mayHaveFreeBlock(type: .buffer, size: 24))
        #expect(!m.mayHaveFreeBlock(type: .buffer, size: 25))
        var stats = Statistics()
        m.addStatistics(&stats)
        #expect(stats.allocationCount == 1 && stats.allocationBytes == 1000 && stats.blockBytes == 1024)
        var detailed = DetailedStatistics()
        m.addDetailedStatistics(&detailed)
        #expect(detailed.unusedRangeCount == 1 && detailed.unusedRangeSizeMax == 24)
        try m.free(a.handle)
        #expect(m.isEmpty)
        #expect(m.freeRegionsCount == 1)
        m.clear()
        try m.validate()
        #expect(try place(m, 1024)?.offset == 0)
    }

    @Test func minOffsetRespectsMaxOffset() throws {
        let m = LinearMetadata(size: 4096)
        try place(m, 100)
        #expect(try m.createAllocationRequest(size: 10, alignment: 1, upperAddress: false, type: .buffer,
                                              strategy: .minOffset, maxOffset: 100) == nil)
        #expect(try m.createAllocationRequest(size: 10, alignment: 1, upperAddress: false, type: .buffer,
                                              strategy: .minOffset, maxOffset: 101)?.offset == 100)
    }

    @Test func staleRequestIsRefused() throws {
        let m = LinearMetadata(size: 4096)
        let r1 = try #require(try m.createAllocationRequest(size: 10, alignment: 1, upperAddress: false, type: .buffer, strategy: .default, maxOffset: .max))
        let r2 = try #require(try m.createAllocationRequest(size: 10, alignment: 1, upperAddress: false, type: .buffer, strategy: .default, maxOffset: .max))
        try m.alloc(r1, type: .buffer, userData: 0)
        #expect(throws: MetadataError.self) { try m.alloc(r2, type: .buffer, userData: 0) }
        try m.validate()
        #expect(m.allocationCount == 1)
    }
}
