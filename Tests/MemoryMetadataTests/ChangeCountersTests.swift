// TLSF's change counters (BlockMetadata.changeCounters), which the engine's memory of earlier walks relies
// on: `growth` moves when a failed request may fit afterwards, `changes` with anything a caller can see.
import MemoryMetadata
import Testing

@Suite("TLSF change counters")
struct ChangeCountersTests {
    private func place(_ page: TLSFMetadata, _ size: Int, _ userData: Int, strategy: AllocationStrategy = .default) throws -> AllocationHandle {
        let request = try #require(try page.createAllocationRequest(size: size, alignment: 1, upperAddress: false, type: .buffer,
                                                                    strategy: strategy, maxOffset: .max))
        return try page.alloc(request, type: .buffer, userData: userData)
    }

    @Test("an allocation changes the page without growth; a free grows it; user data and compaction change it")
    func counters() throws {
        let page = TLSFMetadata(size: 1 << 16)
        let start = try #require(page.changeCounters)
        let a = try place(page, 1024, 1), b = try place(page, 1024, 2)
        _ = try place(page, 1024, 3)
        let placed = try #require(page.changeCounters)
        #expect(placed.growth == start.growth && placed.changes != start.changes)

        // A request that fails changes nothing.
        #expect(try page.createAllocationRequest(size: 1 << 17, alignment: 1, upperAddress: false, type: .buffer, strategy: .default, maxOffset: .max) == nil)
        #expect(page.changeCounters == placed)

        try page.free(a)
        let freed = try #require(page.changeCounters)
        #expect(freed.growth != placed.growth && freed.changes != placed.changes)

        try page.setUserData(7, of: b)
        let relabelled = try #require(page.changeCounters)
        #expect(relabelled.growth == freed.growth && relabelled.changes != freed.changes)

        page.compact { _, _ in }
        #expect(page.changeCounters?.changes != relabelled.changes)

        page.clear()
        #expect(page.changeCounters?.growth != relabelled.growth)
    }

    @Test("a search that moves a free range to the front of its list is a change; finding the front one is not")
    func reorderIsAChange() throws {
        let page = TLSFMetadata(size: 1 << 16)
        // Two free ranges of one size class, with allocations around them: freed in order, the second is
        // the head of their list.
        var handles: [AllocationHandle] = []
        for i in 0..<5 { handles.append(try place(page, 1000, i)) }
        try page.free(handles[1])
        try page.free(handles[3])
        let before = try #require(page.changeCounters)
        // The lowest-offset search finds the first range, behind the head: VMA moves it to the front.
        let low = try #require(try page.createAllocationRequest(size: 1000, alignment: 1, upperAddress: false, type: .buffer,
                                                                strategy: .minOffset, maxOffset: .max))
        #expect(low.offset == 1000)
        let moved = try #require(page.changeCounters)
        #expect(moved.changes != before.changes && moved.growth == before.growth)
        // Asked again, it is at the front already: nothing changes.
        _ = try page.createAllocationRequest(size: 1000, alignment: 1, upperAddress: false, type: .buffer, strategy: .minOffset, maxOffset: .max)
        #expect(page.changeCounters == moved)
    }

    @Test("metadata that keeps no counters answers nil")
    func linearKeepsNone() {
        #expect(LinearMetadata(size: 4096).changeCounters == nil)
    }
}
