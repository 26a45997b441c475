// The pool's VMA block-vector rules: page choice, incremental sort, empty-page release and the heap budget.
import Defragmentation
import Foundation
@_spi(Tables) import MemoryMetadata
@testable import MemoryPools
import Testing

private func pool(pageSize: Int = 1024, keepOneEmptyPage: Bool = true, heapSize: Int = 2 << 30) -> MemoryPool<HostPageDevice> {
    var options = PoolOptions(pageSize: pageSize)
    options.keepOneEmptyPage = keepOneEmptyPage
    options.heapSize = heapSize
    return MemoryPool(options: options, device: HostPageDevice())
}

@Suite("Pool rules")
struct PoolRuleTests {
    @Test("an allocation goes to the first page in order that holds it, else a new page")
    func pageChoice() throws {
        let p = pool()
        try p.allocate(id: 1, size: 600, alignment: 16)
        try p.allocate(id: 2, size: 600, alignment: 16)  // does not fit page 0: page 1
        try p.allocate(id: 3, size: 300, alignment: 16)  // fits page 0
        #expect(p.record(id: 1)?.page == 0)
        #expect(p.record(id: 2)?.page == 1)
        #expect(p.record(id: 3)?.page == 0)
        #expect(p.record(id: 3)?.offset == 608)
        try p.validate()
        try p.verifyAll()
    }

    @Test("one incremental sort step after each operation: the first pair with more free bytes first swaps")
    func incrementalSort() throws {
        let p = pool()
        try p.allocate(id: 1, size: 1000, alignment: 16) // page 0 full
        try p.allocate(id: 2, size: 1000, alignment: 16) // page 1 full
        #expect(p.pageIDs == [0, 1])
        try p.allocate(id: 3, size: 100, alignment: 16)  // page 2
        try p.free(id: 1)  // page 0 empty: order [0, 1, 2] → 0 has more free than 1: swap → [1, 0, 2]
        #expect(p.pageIDs == [1, 0, 2])
        try p.validate()
    }

    @Test("VMA keeps one emptied page; a second empty page is released")
    func hysteresis() throws {
        let p = pool()
        for id in 1...3 { try p.allocate(id: id, size: 1000, alignment: 16) }
        try p.free(id: 3)
        #expect(p.pageIDs.count == 3)  // page 2 kept empty
        try p.free(id: 2)
        #expect(p.pageIDs.count == 2)  // page 1 emptied while page 2 was empty: page 1 released
        #expect(p.takeReleasedPages() == [1])
        #expect(p.device.pageCount == 2)
        try p.validate()
    }

    @Test("with an empty page around, a free elsewhere releases the last page if it is empty")
    func releaseLastEmpty() throws {
        let p = pool()
        try p.allocate(id: 1, size: 500, alignment: 16)
        try p.allocate(id: 2, size: 500, alignment: 16)
        try p.allocate(id: 3, size: 1000, alignment: 16)
        try p.free(id: 3)  // page 1 empty, kept; it is last in order
        #expect(p.pageIDs == [0, 1])
        try p.free(id: 2)  // page 0 not empty, an empty page existed: the last page (empty) goes
        #expect(p.pageIDs == [0])
        try p.validate()
    }

    @Test("without hysteresis every emptied page is released")
    func noHysteresis() throws {
        let p = pool(keepOneEmptyPage: false)
        try p.allocate(id: 1, size: 1000, alignment: 16)
        try p.allocate(id: 2, size: 1000, alignment: 16)
        try p.free(id: 2)
        #expect(p.pageIDs == [0])
    }

    @Test("over the heap budget (80% of the heap) every emptied page is released")
    func budget() throws {
        let p = pool(heapSize: 4096) // budget 3276 bytes: 4 pages of 1024 are over it
        for id in 1...4 { try p.allocate(id: id, size: 1000, alignment: 16) }
        try p.free(id: 4)
        #expect(p.pageIDs.count == 3)
        #expect(PoolOptions(pageSize: 1).budgetBytes == 1_717_986_918)
    }

    @Test("page numbers are creation ordinals and keep gaps")
    func ordinals() throws {
        let p = pool(keepOneEmptyPage: false)
        try p.allocate(id: 1, size: 1000, alignment: 16)
        try p.allocate(id: 2, size: 1000, alignment: 16)
        try p.free(id: 1)
        try p.allocate(id: 3, size: 1000, alignment: 16)
        #expect(p.record(id: 3)?.page == 2)
        #expect(p.pageIDs.sorted() == [1, 2])
    }

    @Test("bad requests throw and leave the pool unchanged")
    func badRequests() throws {
        let p = pool()
        try p.allocate(id: 1, size: 16, alignment: 16)
        #expect(throws: PoolError.duplicateID(1)) { try p.allocate(id: 1, size: 16, alignment: 16) }
        #expect(throws: PoolError.allocationTooLarge(id: 2, size: 2048, pageSize: 1024)) { try p.allocate(id: 2, size: 2048, alignment: 16) }
        #expect(throws: PoolError.invalidAlignment(id: 3, alignment: 24)) { try p.allocate(id: 3, size: 16, alignment: 24) }
        #expect(throws: PoolError.invalidSize(id: 4, size: 0)) { try p.allocate(id: 4, size: 0, alignment: 16) }
        #expect(throws: PoolError.unknownID(9)) { try p.free(id: 9) }
        #expect(p.liveAllocationCount == 1)
        try p.validate()
    }

    @Test("a device that refuses a page: the allocation fails, nothing leaks, the pool stays valid")
    func deviceRefusesPage() throws {
        let p = pool()
        p.device.maxPages = 2
        try p.allocate(id: 1, size: 1000, alignment: 16)
        try p.allocate(id: 2, size: 1000, alignment: 16)
        #expect(throws: PoolError.self) { try p.allocate(id: 3, size: 1000, alignment: 16) }
        #expect(p.pageIDs.count == 2 && p.device.pageCount == 2)
        try p.allocate(id: 4, size: 10, alignment: 16)
        try p.validate()
        try p.verifyAll()
    }

    @Test("a corrupted byte is found and named by allocation, page and offset")
    func corruptionFound() throws {
        let p = pool()
        try p.allocate(id: 7, size: 100, alignment: 16)
        try p.allocate(id: 8, size: 100, alignment: 16)
        let r = try #require(p.record(id: 8))
        var byte: UInt8 = 0xAA
        try withUnsafeBytes(of: &byte) { try p.device.write(page: r.page, offset: r.offset + 50, bytes: $0) }
        try p.verify(id: 7)
        #expect {
            try p.verify(id: 8)
        } throws: { error in
            "\(error)".contains("allocation 8") && "\(error)".contains("page 0") && "\(error)".contains("offset \(r.offset)")
        }
    }

    @Test("placing at exact offsets rebuilds a layout, and overlaps are refused")
    func place() throws {
        let p = pool()
        try p.place(id: 1, pageID: 0, offset: 100, size: 50)
        try p.place(id: 2, pageID: 1, offset: 0, size: 1024)
        try p.place(id: 3, pageID: 0, offset: 0, size: 100)
        #expect(throws: PoolError.self) { try p.place(id: 4, pageID: 0, offset: 120, size: 10) }
        #expect(p.record(id: 1)?.offset == 100 && p.record(id: 3)?.offset == 0 && p.record(id: 2)?.page == 1)
        try p.validate()
        try p.verifyAll()
    }

    @Test("for the engine: moveSize is each allocation's size, from its range or (with granularity) its slot; prepareCompletion changes nothing, slots out of range included",
          arguments: [1, 256])
    func engineHints(granularity: Int) throws {
        var options = PoolOptions(pageSize: 4096)
        options.bufferImageGranularity = granularity
        let p = MemoryPool(options: options, device: HostPageDevice())
        for (id, size) in [(1, 100), (2, 33), (3, 250), (4, 7)] {
            try p.allocate(id: id, size: size, alignment: 16, type: id % 2 == 0 ? .imageOptimal : .buffer)
        }
        let metadata = p.metadata(forBlock: 0)
        var handle = try metadata.allocationListBegin(), seen = 0
        while let h = handle {
            let slot = try metadata.userData(of: h)
            #expect(p.moveSize(forUserData: slot, handle: h, in: metadata) == p.moveData(forUserData: slot).move.size)
            p.prepareCompletion(of: DefragmentationMove(size: 1, sourceMetadata: metadata, sourceAllocation: slot))
            seen += 1
            handle = try metadata.nextAllocation(after: h)
        }
        #expect(seen == 4)
        for slot in [-1, 4, 1 << 40] {
            p.prepareCompletion(of: DefragmentationMove(size: 1, sourceMetadata: metadata, sourceAllocation: slot))
        }
        try p.validate()
        try p.verifyAll()
        // (With granularity, an image's size is rounded up to it: the pool's record and the range agree.)
        #expect((1...4).map { p.record(id: $0)?.size } == (granularity == 1 ? [100, 33, 250, 7] : [100, 256, 250, 256]))
    }

    @Test("a replay's hints of frees to come change nothing, for live, freed, unknown, sparse and negative ids")
    func replayHints() throws {
        let p = pool(pageSize: 4096)
        for id in [1, 2, 3, 5_000_000] { try p.allocate(id: id, size: 64 * id % 1000 + 16, alignment: 16) }
        try p.free(id: 2)
        let before = [1, 3, 5_000_000].map { p.record(id: $0) }
        for id in [1, 2, 3, 4, 5_000_000, 1 << 40, -7] {
            p.prepareLookup(ofID: id)
            p.prepareFree(ofID: id)
            p.prepareRange(ofID: id)
        }
        #expect([1, 3, 5_000_000].map { p.record(id: $0) } == before)
        #expect(p.record(id: 2) == nil)
        try p.validate()
        try p.verifyAll()
    }

    @Test("a run sorts pages by free bytes, fullest first, ties in their order")
    func sortAtBegin() throws {
        let p = pool(keepOneEmptyPage: false)
        try p.allocate(id: 1, size: 1000, alignment: 16)
        try p.allocate(id: 2, size: 1000, alignment: 16)
        try p.allocate(id: 3, size: 1000, alignment: 16)
        try p.free(id: 1)
        try p.allocate(id: 4, size: 200, alignment: 16) // page 0 again (first that fits)
        try p.allocate(id: 5, size: 500, alignment: 16)
        p.beginDefragmentation()
        let free = p.pageIDs.map { p.metadata(ofPage: $0)!.sumFreeSize }
        #expect(free == free.sorted())
        p.endDefragmentation()
    }

    @Test("frees outside a run compact a page's node storage and give the records new handles; a run defers it to its end")
    func compaction() throws {
        let p = pool(pageSize: 1 << 20)
        for id in 0..<400 { try p.allocate(id: id, size: 1000, alignment: 256) }
        let page = try #require(p.pageIDs.first)
        let m = try #require(p.metadata(ofPage: page))
        let handleBefore = try #require(p.record(id: 399)).handle
        for id in 0..<300 {
            try p.free(id: id)
            #expect(!m.wantsCompaction, "after freeing \(id)")
            try p.validate()
        }
        // A small page (some 400 nodes) is kept tight: released nodes under a sixteenth of the live ones.
        #expect(m.releasedNodeCount * 16 < m.liveNodeCount)
        // Storage shrank along the way: the page refuses every handle from before.
        #expect(throws: MetadataError.self) { try m.offset(of: handleBefore) }
        for id in 300..<400 {
            let r = try #require(p.record(id: id))
            #expect(try m.offset(of: r.handle) == r.offset && m.userData(of: r.handle) >= 0)
        }
        try p.verifyAll()

        // During a run the engine holds handles: frees leave the storage alone until the run ends.
        p.beginDefragmentation()
        for id in 300..<380 { try p.free(id: id) }
        #expect(m.wantsCompaction)
        try p.validate()
        p.endDefragmentation()
        #expect(m.releasedNodeCount == 0)
        try p.validate()
        try p.verifyAll()
    }

    @Test("ids in, beyond and above the dense id table: allocate, find, refuse twice, free")
    func idTable() throws {
        let p = pool(pageSize: 1 << 16)
        // 3 and 2000 land in the table (the second grows it), 5 000 000 in the dictionary above it.
        let ids = [3, 2000, 5_000_000]
        for id in ids { try p.allocate(id: id, size: 64, alignment: 16) }
        #expect(p.liveAllocationCount == 3)
        for id in ids {
            #expect(p.record(id: id)?.id == id)
            #expect(throws: PoolError.duplicateID(id)) { try p.allocate(id: id, size: 64, alignment: 16) }
        }
        #expect(p.record(id: 4) == nil && p.record(id: 1 << 21) == nil)
        try p.validate()
        for id in ids {
            try p.free(id: id)
            #expect(throws: PoolError.unknownID(id)) { try p.free(id: id) }
        }
        #expect(p.liveAllocationCount == 0)
        #expect(throws: PoolError.unknownID(1 << 19)) { try p.free(id: 1 << 19) }
        try p.validate()
    }

    @Test("a page larger than TLSF handles, or than host memory holds, is a pool error, not a crash")
    func pagesTooLarge() throws {
        let huge = MemoryPool(options: PoolOptions(pageSize: TLSFMetadata.maxPageSize * 2), device: MetadataOnlyPageDevice())
        #expect(throws: PoolError.pageTooLarge(size: TLSFMetadata.maxPageSize * 2, limit: TLSFMetadata.maxPageSize)) {
            try huge.allocate(id: 1, size: 64, alignment: 1)
        }
        #expect(throws: PoolError.self) { try huge.addPage(id: 0, size: TLSFMetadata.maxPageSize + 1) }
        // 256 GiB is within TLSF's limit but not within this machine's memory (unless the kernel promises
        // any amount: vm.overcommit_memory 1).
        let overcommit = (try? String(contentsOfFile: "/proc/sys/vm/overcommit_memory", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard overcommit != "1" else { return }
        let p = pool(pageSize: TLSFMetadata.maxPageSize)
        #expect(throws: PoolError.device("host memory: cannot allocate page 0 of \(TLSFMetadata.maxPageSize) bytes")) {
            try p.allocate(id: 1, size: 64, alignment: 1)
        }
        #expect(p.blockCount == 0)
        try p.validate()
        try huge.validate()
    }
}

/// The pool's caches (each page's free bytes, emptiness and largest-range bound, the empty-page count, the
/// incremental sort's inversion bits, the slots kept for reuse) are checked by validate(): each corrupted
/// through internal access, on a pool that validated before, is refused with a message naming it.
@Suite("Pool validate() checks its caches")
struct PoolCacheValidationTests {
    /// Three pages: full, half, a quarter used (so in the sort's order, and no inversion).
    static func pool() throws -> MemoryPool<HostPageDevice> {
        let p = MemoryPool(options: PoolOptions(pageSize: 1024), device: HostPageDevice())
        try p.allocate(id: 1, size: 1024, alignment: 1)
        try p.allocate(id: 2, size: 512, alignment: 1)
        try p.allocate(id: 3, size: 768, alignment: 1)
        try p.allocate(id: 4, size: 256, alignment: 1)
        try p.free(id: 3)
        try p.validate()
        return p
    }

    static func refusal(_ p: MemoryPool<HostPageDevice>) -> String? {
        do { try p.validate() } catch PoolError.verification(let why) { return why } catch { return "unexpected \(error)" }
        return nil
    }

    @Test func largestRangeBound() throws {
        let p = try Self.pool()
        p.pages[1].largestFreeRange = 0
        #expect(try #require(Self.refusal(p)).contains("largest range at most 0"))
    }

    @Test func freeBytesAndTheInversionBits() throws {
        let p = try Self.pool()
        p.pages[0].free += 1
        let why = try #require(Self.refusal(p))
        #expect(why.contains("caches 1 free bytes"), "\(why)")
    }

    @Test func inversionBit() throws {
        let p = try Self.pool()
        p.inversions[0] ^= 1 << 2
        let why = try #require(Self.refusal(p))
        #expect(why.contains("bit for pages 1 and 2 is set"), "\(why)")
    }

    @Test func emptyPageCount() throws {
        let p = try Self.pool()
        p.emptyPageCount += 1
        let why = try #require(Self.refusal(p))
        #expect(why.contains("pages are empty, counted"), "\(why)")
    }

    @Test func slotsKeptForReuse() throws {
        let p = try Self.pool()
        p.freeSlots.append(0)
        let why = try #require(Self.refusal(p))
        #expect(why.contains("slots kept for reuse"), "\(why)")
    }
}
