// What a pool is asked to build from a file (a VMA dump's block ids, sizes and offsets) is checked: a bad
// value is a PoolError of the caller's kind (which Workloads turns into a message naming the JSON path),
// never a trap, an overflow or an index as long as a huge id.
import Defragmentation
import MemoryMetadata
import MemoryPools
import Testing

@Suite("Pool input checks")
struct PoolInputTests {
    private func pool() -> MemoryPool<HostPageDevice> { MemoryPool(options: PoolOptions(pageSize: 1024), device: HostPageDevice()) }

    @Test("page ids and sizes out of range are the caller's errors")
    func pages() throws {
        let p = pool()
        let limit = MemoryPool<HostPageDevice>.maxPageID
        #expect(throws: PoolError.invalidPage(id: Int.max, size: 1024)) { try p.addPage(id: Int.max, size: 1024) }
        #expect(throws: PoolError.invalidPage(id: limit + 1, size: 1024)) { try p.addPage(id: limit + 1, size: 1024) }
        #expect(throws: PoolError.invalidPage(id: -1, size: 1024)) { try p.addPage(id: -1, size: 1024) }
        #expect(throws: PoolError.invalidPage(id: 3, size: 0)) { try p.addPage(id: 3, size: 0) }
        try p.addPage(id: 3, size: 1024)
        #expect(throws: PoolError.duplicatePage(3)) { try p.addPage(id: 3, size: 1024) }
        #expect(throws: PoolError.pageTooLarge(size: TLSFMetadata.maxPageSize + 1, limit: TLSFMetadata.maxPageSize)) {
            try p.addPage(id: 4, size: TLSFMetadata.maxPageSize + 1)
        }
        #expect(p.pageIDs == [3])
        try p.validate()
    }

    @Test("placements outside a page, over another allocation or in a page that is not there are the caller's errors")
    func placements() throws {
        let p = pool()
        try p.addPage(id: 0, size: 1024)
        try p.place(id: 1, pageID: 0, offset: 100, size: 100)
        #expect(throws: PoolError.overlap(id: 2, page: 0, offset: 150)) { try p.place(id: 2, pageID: 0, offset: 150, size: 10) }
        #expect(throws: PoolError.allocationTooLarge(id: 3, size: 16, pageSize: 1024)) { try p.place(id: 3, pageID: 0, offset: Int.max - 8, size: 16) }
        #expect(throws: PoolError.unknownPage(Int.max)) { try p.place(id: 4, pageID: Int.max, offset: 0, size: 16) }
        #expect(throws: PoolError.unknownPage(-2)) { try p.place(id: 5, pageID: -2, offset: 0, size: 16) }
        #expect("\(PoolError.overlap(id: 2, page: 0, offset: 150))" == "allocation 2 at offset 150 of page 0 overlaps another allocation")
        #expect(p.liveAllocationCount == 1 && p.pageIDs == [0])
        try p.validate()
    }

    @Test("completing a move the engine did not make is an error, not a trap")
    func notAMove() throws {
        let p = pool()
        try p.allocate(id: 7, size: 64, alignment: 16)
        let page = try #require(p.metadata(ofPage: 0))
        var move = DefragmentationMove<Int, TLSFMetadata>(size: 64, sourceMetadata: page, sourceAllocation: 0)
        #expect(throws: PoolError.notAMove(slot: 0)) { try p.complete(move) }
        move.destinationAllocation = 99
        #expect(throws: PoolError.notAMove(slot: 0)) { try p.complete(move) }
        move.sourceAllocation = -3
        move.destinationAllocation = 0
        #expect(throws: PoolError.notAMove(slot: -3)) { try p.complete(move) }
        #expect(p.record(id: 7)?.offset == 0)
        try p.validate()
    }
}
