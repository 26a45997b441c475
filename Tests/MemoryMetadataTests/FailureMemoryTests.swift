// A failed scan of a TLSF free list is remembered as "nothing here holds more than N bytes at this
// alignment", and a range joining the list raises N. These tests reach the thresholds with @testable and
// check both the memory and that the answers stay VMA's.
@_spi(Tables) @testable import MemoryMetadata
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

    @Test func aListThatEmptiesForgetsItsThresholds() throws {
        let (m, _) = try Self.page()
        let list = m.listIndex(forSize: 200)
        #expect(try place(m, 150, align: 256) == nil)
        #expect(m.knownToFail(list, 1, 8) && m.lists.count == 1)
        // The range leaves the list (taken whole): the list is empty, and its entry, thresholds and all,
        // is gone.
        let taken = try #require(try place(m, 200, align: 16))
        #expect(taken.offset == 16)
        #expect(m.head(ofList: list) == -1 && m.lists.isEmpty)
        try m.validate()
        // It comes back to a list that knows nothing: the next scan checks it, fails, and remembers again.
        try m.free(taken.handle)
        #expect(!m.knownToFail(list, 1, 8) && m.lists.count == 1)
        #expect(try place(m, 150, align: 256) == nil)
        #expect(m.knownToFail(list, 1, 8))
        try m.validate()
    }

    @Test func clearForgetsEverything() throws {
        let (m, _) = try Self.page()
        #expect(try place(m, 150, align: 256) == nil)
        // A min-offset request builds the offset index; clear() must drop it with the ranges it indexed.
        #expect(try place(m, 8, strategy: .minOffset)?.offset == 16)
        #expect(m.offsetIndex != nil)
        m.clear()
        #expect(m.lists.isEmpty && m.failExponents == 0 && m.offsetIndex == nil)
        #expect(try place(m, 150, align: 256)?.offset == 0)
        try m.validate()
    }

    /// The offset index (min-offset requests) caches each chunk's largest range and, per alignment asked
    /// about, the most bytes its ranges hold after padding; validate() recomputes both from the page.
    @Test func validateRefusesAnOffsetIndexThatDisagreesWithThePage() throws {
        let (m, _) = try Self.page()
        // Builds the index; [16, 216) holds nothing at 256-byte alignment, which its chunk now remembers.
        #expect(try place(m, 150, align: 256, strategy: .minOffset) == nil)
        let index = try #require(m.offsetIndex)
        let slot = index.slotOf[0]
        #expect(index.usableKnown[slot] & (1 << 8) != 0)
        try m.validate()

        var broken = index
        broken.maxSizeOf[0] += 1
        m.offsetIndex = broken
        let why = try #require(ValidationTests.corruption(m))
        #expect(why.contains("chunk 0 records max 201, not 200"), "\(why)")

        broken = index
        broken.usable[slot * TLSFMetadata.OffsetIndex.alignmentClasses + 8] = 150
        m.offsetIndex = broken
        let usable = try #require(ValidationTests.corruption(m))
        #expect(usable.contains("remembers 150 usable bytes at alignment 256, holds 0"), "\(usable)")

        m.offsetIndex = index
        try m.validate()
    }

    @Test func validateRefusesAThresholdARangeReaches() throws {
        let (m, _) = try Self.twoRangePage()
        let list = m.listIndex(forSize: 200)
        #expect(try place(m, 180, align: 256) == nil)
        try m.validate()
        // [232, 432) holds 176 bytes at 256-byte alignment: a threshold of 100 claims it fails from 100 on.
        let column = m.failColumn(8), r = m.rank(ofList: list)
        let code = TLSFMetadata.encodeFailThreshold(100, top: TLSFMetadata.listTop(TLSFMetadata.classAndSecond(ofList: list).memoryClass,
                                                                                 TLSFMetadata.classAndSecond(ofList: list).second))
        let shift = UInt64(column * 8)
        m.lists[r].failCodes = m.lists[r].failCodes & ~(0xFF << shift) | code << shift
        let why = try #require(ValidationTests.corruption(m))
        #expect(why.contains("is remembered to fail from") && why.contains("range at offset 232 holds 176"), "\(why)")
    }

    @Test func validateRefusesALastResortFailureARangeHolds() throws {
        let (m, _) = try Self.twoRangePage()
        #expect(try place(m, 180, align: 256) == nil)
        // VMA's whole default search failed for 180 bytes at 256-byte alignment: remembered, and true.
        let column = m.failColumn(8)
        #expect(column >= 0 && m.lastResortVersion == m.freeRangeVersion)
        let known = m.lastResortFailure(column)
        #expect(known & TLSFMetadata.Node.low40 == 180 && known >> 40 == 0)
        try m.validate()
        // Claiming that 100 bytes fail is false: [232, 432) holds 176.
        m.setLastResortFailure(column, 100)
        let why = try #require(ValidationTests.corruption(m))
        #expect(why.contains("walk of the lists after -1 is remembered to fail from 100") && why.contains("range at offset 232 holds 176"), "\(why)")
    }

    @Test func validateRefusesALastResortFailureTheTailHolds() throws {
        let (m, _) = try Self.twoRangePage()
        #expect(try place(m, 180, align: 256) == nil)
        let column = m.failColumn(8)
        // Free the last allocation without telling the memory (as if the version had not moved): the tail
        // then holds 3648 bytes, which the whole search's failure says it does not.
        let last = try #require(m.nodes.indices.first { m.nodes[$0].live && m.nodes[$0].offset == 448 })
        try m.free(m.handle(Int32(last)))
        m.setLastResortFailure(column, 180)
        m.lastResortVersion = m.freeRangeVersion
        let why = try #require(ValidationTests.corruption(m))
        #expect(why.contains("walk of the lists after -1 is remembered to fail from 180") && why.contains("tail at offset"), "\(why)")
    }

    /// Thresholds are kept in a byte, spread over what they can be for the list: every code decodes to the
    /// threshold it stands for or more (so "sure to fail" stays true), and to no more than 1/254 of the top
    /// above it.
    @Test(arguments: [0, 1, 2, 7, 19, 31])
    func thresholdCodesRoundUpByLittle(memoryClass: Int) throws {
        var rng = SplitMix64(seed: UInt64(memoryClass) + 1)
        for second in memoryClass == 0 ? 0...3 : 0...31 {
            let top = TLSFMetadata.listTop(memoryClass, second)
            for threshold in [1, 2, top / 2, top - 1, top] + (0..<200).map({ _ in rng.int(1...top) }) {
                let code = TLSFMetadata.encodeFailThreshold(threshold, top: top)
                #expect((1...255).contains(code))
                let decoded = TLSFMetadata.decodeFailThreshold(code, top: top)
                #expect(decoded >= threshold && decoded <= threshold + top / 254 + 1,
                        "class \(memoryClass), list \(second): \(threshold) → \(code) → \(decoded)")
                // The smallest such code: one less stands for less than the threshold.
                if code > 1 { #expect(TLSFMetadata.decodeFailThreshold(code - 1, top: top) < threshold) }
            }
        }
    }

    /// The top of a list is one more than the largest range it can hold.
    @Test func listTopsBoundTheirLists() {
        for size in [1, 64, 65, 256, 257, 511, 512, 4095, 4096, 1 << 20, (1 << 20) + 12345, 1 << 38] {
            let memoryClass = TLSFMetadata.sizeToMemoryClass(size)
            let second = TLSFMetadata.sizeToSecondIndex(size, memoryClass)
            let top = TLSFMetadata.listTop(memoryClass, second)
            #expect(size < top, "\(size)")
            // The next size class starts at the top.
            let next = TLSFMetadata.sizeToMemoryClass(top)
            #expect((next, TLSFMetadata.sizeToSecondIndex(top, next)) != (memoryClass, second), "\(size)")
        }
    }

    /// A page remembers failures for the first five alignments its scans fail with: a sixth is scanned
    /// every time, with the same answers.
    @Test func fiveAlignmentsAreRemembered() throws {
        let (m, _) = try Self.page()
        let list = m.listIndex(forSize: 200)
        // [16, 216) fails each of these alignments for 200 bytes (16 is not aligned to any of them).
        for exponent in 5...10 { #expect(try place(m, 200, align: 1 << exponent) == nil) }
        for exponent in 5...9 { #expect(m.knownToFail(list, 200, exponent), "alignment \(1 << exponent)") }
        #expect(!m.knownToFail(list, 200, 10))
        #expect(try place(m, 200, align: 1 << 10) == nil)
        try m.validate()
        // The range is still found when it holds a request.
        #expect(try place(m, 200, align: 8)?.offset == 16)
        try m.validate()
    }
}

@Suite("TLSF remembers failed searches per page")
struct SearchMemoryTests {
    /// Two pages take the same random requests; one forgets every failed search before each request. A
    /// third of the requests come in runs of large ones, most too large or too aligned to fit (as a pool
    /// tries page after page). Every answer is the same, and the remembering page answers many failures
    /// from memory.
    @Test(arguments: [1, 2, 3, 4])
    func rememberedFailuresGiveTheSameAnswers(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let remembering = TLSFMetadata(size: 1 << 24), forgetting = TLSFMetadata(size: 1 << 24)
        var handles: [(AllocationHandle, AllocationHandle)] = []
        let strategies: [AllocationStrategy] = [.default, .default, .default, .minTime, .minMemory]
        var refused = 0, remembered = 0
        func request(_ size: Int, _ align: Int, _ strategy: AllocationStrategy, _ step: Int) throws {
            forgetting.freeRangeVersion &+= 1
            let known = strategy == .default && remembering.lastResortKnownToFail(size, align.trailingZeroBitCount, from: -1)
            let a = try place(remembering, size, align: align, strategy: strategy, userData: step)
            let b = try place(forgetting, size, align: align, strategy: strategy, userData: step)
            #expect(a?.offset == b?.offset, "step \(step): \(size) bytes at alignment \(align), \(strategy)")
            if let a, let b { handles.append((a.handle, b.handle)) } else { refused += 1 }
            if known { remembered += 1; #expect(a == nil, "step \(step): remembered to fail, but fits") }
        }
        for step in 0..<4000 {
            let kind = rng.int(0...2)
            if handles.isEmpty || kind == 0 {
                try request(rng.int(1...6000), 1 << rng.int(0...8), strategies[rng.int(0...4)], step)
            } else if kind == 1 {
                for _ in 0..<10 { try request(rng.int(2000...60_000), 1 << rng.int(10...17), strategies[rng.int(0...4)], step) }
            } else {
                let (a, b) = handles.remove(at: rng.int(0...(handles.count - 1)))
                try remembering.free(a)
                try forgetting.free(b)
            }
            if step % 50 == 0 {
                try remembering.validate()
                #expect(layout(remembering) == layout(forgetting), "step \(step)")
            }
        }
        #expect(refused > 2000 && remembered > 50, "\(refused) refused, \(remembered) answered from memory")
    }
}
