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

    @Test func aFailedScanIsRememberedAndAJoiningRangeRaisesIt() throws {
        let (m, x1) = try Self.page()
        let list = m.listIndex(forSize: 200)
        let exponent = 8 // 256-byte alignment
        #expect(!m.knownToFail(list, 150, exponent))

        // At 256-byte alignment the range holds nothing: the scan fails, and the list is known to fail
        // from 1 byte on at that alignment, not at others.
        #expect(try place(m, 150, align: 256) == nil)
        #expect(m.knownToFail(list, 1, exponent))
        #expect(!m.knownToFail(list, 150, 4))
        try m.validate()

        // Freeing x1 merges [0, 216) into the list: it holds 216 bytes at offset 0, so the threshold rises
        // to 217, and the request that failed now lands at 0.
        try m.free(x1)
        #expect(m.listIndex(forSize: 216) == list)
        #expect(!m.knownToFail(list, 216, exponent))
        #expect(m.knownToFail(list, 217, exponent))
        try m.validate()
        #expect(try place(m, 150, align: 256)?.offset == 0)
        try m.validate()
    }

    @Test func rangesLeavingKeepTheThresholdAnUpperBound() throws {
        let (m, _) = try Self.page()
        let list = m.listIndex(forSize: 200)
        #expect(try place(m, 150, align: 256) == nil)
        #expect(m.knownToFail(list, 1, 8))
        // The range leaves the list (taken whole); nothing in it holds more, so the bound stays true.
        let taken = try #require(try place(m, 200, align: 16))
        #expect(taken.offset == 16)
        #expect(m.knownToFail(list, 1, 8))
        try m.validate()
        // It comes back: still nothing at 256-byte alignment (16 + 240 padding > 200), so no raise.
        try m.free(taken.handle)
        #expect(m.knownToFail(list, 1, 8))
        #expect(try place(m, 150, align: 256) == nil)
        try m.validate()
    }

    @Test func clearForgetsEverything() throws {
        let (m, _) = try Self.page()
        #expect(try place(m, 150, align: 256) == nil)
        // A min-offset request builds the offset index; clear() must drop it with the ranges it indexed.
        #expect(try place(m, 8, strategy: .minOffset)?.offset == 16)
        #expect(m.offsetIndex != nil)
        m.clear()
        #expect(m.failSlot.isEmpty && m.failSizes.isEmpty && m.failKnown.isEmpty && m.offsetIndex == nil)
        #expect(try place(m, 150, align: 256)?.offset == 0)
        try m.validate()
    }
}
