// The pool's id table: ids numbered densely past 2^20 (`huge` numbers 1.6 million allocations) stay in the
// array, sparse ids go to the dictionary, and an id in the dictionary moves to the array when it grows
// over it.
@testable import MemoryPools
import Testing

@Suite("Slot table")
struct SlotTableTests {
    @Test("dense ids past 2^20 in the array, sparse ids in the dictionary, every id found once")
    func denseAndSparse() {
        var table = SlotTable()
        let far = 1 << 40, early = SlotTable.denseLimit + 500_000
        // Few ids in use: an id past 2^20 is sparse.
        table[early] = 7
        table[far] = 8
        #expect(table[early] == 7 && table[far] == 8 && table.count == 2)
        // Ids 1... in use, past 2^20: they stay in the array, and it grows over `early`, which moves there.
        let top = SlotTable.denseLimit + 400_000
        for id in 1...top { table[id] = id }
        #expect(table.count == top + 2)
        #expect(table[early] == 7 && table[far] == 8 && table[top] == top && table[SlotTable.denseLimit + 1] == SlotTable.denseLimit + 1)
        #expect(table.isInArray(early) && table.isInArray(top) && !table.isInArray(far))
        #expect(table[top + 1] == nil && table[0] == nil)
        let ids = table.ids
        #expect(ids.count == top + 2 && ids.first == 1 && ids.last == far && ids == ids.sorted() && Set(ids).count == ids.count)
        // Removing from either side.
        #expect(table.removeSlot(ofID: early) == 7 && table.removeSlot(ofID: far) == 8 && table.removeSlot(ofID: far) == nil)
        #expect(table[early] == nil && table[far] == nil && table.count == top)
    }
}
