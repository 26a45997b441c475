// A failed scan of a TLSF free list is remembered as "nothing here holds more than N bytes at this
// alignment", and a range joining the list raises N. These tests reach the thresholds with @testable and
// check both the memory and that the answers stay VMA's.
@testable import MemoryMetadata
import Testing

@Suite("TLSF remembers failed list scans")
struct FailureMemoryTests {
    /// A 4 KiB page: x1@0+16, a free range [16, 216) that no 256-aligned request can use, x3@216+16, and
    /// the rest taken, so the tail holds nothing.
    static func page() throws -> (TLSFMetadata, x1: AllocationHandle) {
        let m = TLSFMetadata(size: 4096)
        let x1 = try #require(try place(m, 16))
        let x2 = try #require(try place(m, 200))
        try place(m, 16)
        try place(m, 4096 - 232)
        try m.free(x2.handle)
        #expect(layout(m) == "#0@0+16 free@16+200 #0@216+16 #0@232+3864")
        return (m, x1.handle)
    }

    @Test func aFailedScanIsRememberedPerAlignment() throws {
        let (m, _) = try Self.page()
        let list = m.listIndex(forSize: 200)
        let exponent = 8 // 256-byte alignment
        #expect(!m.knownToFail(list, 150, exponent))

        // At 256-byte alignment the range holds nothing: the scan fails, and the list is known to fail
        // from 1 byte on at that alignment, not at others.
        #expect(try place(m, 150, align: 256) == nil)
        #expect(m.knownToFail(list, 1, exponent))
        #expect(!m.knownToFail(list, 150, 4))
        try m.validate()
    }

    /// a@0+16, free [16, 216), c@216+16, free [232, 432), e@432+16, the rest taken: two 200-byte ranges in
    /// one list. Returns the page and a.
    static func twoRangePage() throws -> (TLSFMetadata, a: AllocationHandle) {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 16)), b = try #require(try place(m, 200))
        try place(m, 16)
        let d = try #require(try place(m, 200))
        try place(m, 16)
        try place(m, 4096 - 448)
        try m.free(b.handle)
        try m.free(d.handle)
        #expect(layout(m) == "#0@0+16 free@16+200 #0@216+16 free@232+200 #0@432+16 #0@448+3648")
        return (m, a.handle)
    }

    @Test func aRangeJoiningTheListRaisesTheThreshold() throws {
        let (m, a) = try Self.twoRangePage()
        let list = m.listIndex(forSize: 200)
        // At 256-byte alignment [232, 432) holds 176 bytes and [16, 216) none: 180 fails, from 177 on.
        #expect(try place(m, 180, align: 256) == nil)
        #expect(m.knownToFail(list, 177, 8) && !m.knownToFail(list, 176, 8))
        try m.validate()
        // Freeing a merges [0, 216) into the list (which keeps [232, 432) meanwhile, and so its row): it
        // holds 216 bytes at offset 0, so the threshold rises to 217, and the request that failed lands at 0.
        try m.free(a)
        #expect(m.listIndex(forSize: 216) == list)
        #expect(!m.knownToFail(list, 216, 8) && m.knownToFail(list, 217, 8))
        try m.validate()
        #expect(try place(m, 180, align: 256)?.offset == 0)
        try m.validate()
    }

    @Test func rangesLeavingKeepTheThresholdAnUpperBound() throws {
        // The same two ranges; the one at 16 leaves the list, taken whole: the other still holds no more
        // than before, so the threshold stays (an upper bound).
        let (m, _) = try Self.twoRangePage()
        let list = m.listIndex(forSize: 200)
        #expect(try place(m, 180, align: 256) == nil)
        #expect(try place(m, 200, align: 16)?.offset == 16)
        #expect(m.knownToFail(list, 177, 8))
        #expect(try place(m, 180, align: 256) == nil)
        try m.validate()
    }

    @Test func aListThatEmptiesGivesItsRowBackForTheNextFailure() throws {
        let (m, _) = try Self.page()
        let list = m.listIndex(forSize: 200)
        #expect(try place(m, 150, align: 256) == nil)
        #expect(m.knownToFail(list, 1, 8) && m.failKnown.count == 1 && m.freeFailRows.isEmpty)
        // The range leaves the list (taken whole): the list is empty, its row free.
        let taken = try #require(try place(m, 200, align: 16))
        #expect(taken.offset == 16)
        #expect(m.freeList[list] == -1 && m.failSlot[list] == 0 && m.freeFailRows == [0])
        try m.validate()
        // It comes back to a list with no row: the next scan checks it, fails, and takes the row again.
        try m.free(taken.handle)
        #expect(!m.knownToFail(list, 1, 8))
        #expect(try place(m, 150, align: 256) == nil)
        #expect(m.knownToFail(list, 1, 8) && m.failKnown.count == 1 && m.freeFailRows.isEmpty)
        try m.validate()
    }

    @Test func clearForgetsEverything() throws {
        let (m, _) = try Self.page()
        #expect(try place(m, 150, align: 256) == nil)
        // A min-offset request builds the offset index; clear() must drop it with the ranges it indexed.
        #expect(try place(m, 8, strategy: .minOffset)?.offset == 16)
        #expect(m.offsetIndex != nil)
        m.clear()
        #expect(m.failSlot.isEmpty && m.freeFailRows.isEmpty && m.failSizes.isEmpty && m.failKnown.isEmpty && m.offsetIndex == nil)
        #expect(try place(m, 150, align: 256)?.offset == 0)
        try m.validate()
    }
}
