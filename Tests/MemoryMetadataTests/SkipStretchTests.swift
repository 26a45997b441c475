// A long free list remembers a stretch of ranges that hold little (TLSFMetadata+SkipStretches.swift), and
// scans jump over it. These tests drive a page the way `huge` does (a page filled with small, variously
// aligned allocations, then small requests taking its alignment gaps, with frees between) beside a twin
// page that forgets its stretches before every request, and check that every answer is the twin's (VMA's
// walk of the whole list), that the stretches are kept true as the lists change, and that they are used.
@_spi(Tables) @testable import MemoryMetadata
import Testing

@Suite("TLSF skips stretches of long free lists")
struct SkipStretchTests {
    /// What a drive saw besides the placements.
    struct Seen {
        /// Requests that found a stretch to jump over.
        var jumps = 0
        /// The most stretches the page kept at once, and the most of one list.
        var mostStretches = 0, mostOfOneList = 0
        /// Requests made while the page kept as many stretches as it may.
        var atCap = 0
    }

    /// Applies the same operations to a page and to a twin without stretches; every placement must agree.
    /// Sizes are log-uniform from 2^`sizeExponents.lowerBound` bytes up to twice 2^`upperBound` (16-byte
    /// multiples), alignments 16 to 256 bytes, as `huge`. Returns the page and what it saw.
    static func drive(seed: UInt64, pageSize: Int, operations: Int, validateEvery: Int,
                      sizeExponents: ClosedRange<Int> = 6...11, cap: Int? = nil) throws -> (TLSFMetadata, Seen) {
        let page = TLSFMetadata(size: pageSize), twin = TLSFMetadata(size: pageSize)
        page.skipStretchCapForTests = cap
        var random = SplitMix64(seed: seed)
        var live: [(AllocationHandle, AllocationHandle)] = []
        var seen = Seen()
        for step in 0..<operations {
            // Mostly small allocations, a free now and then once the page is full.
            let full = page.sumFreeSize < pageSize / 8
            if full && !live.isEmpty && random.chance(4) {
                let k = random.int(0...(live.count - 1))
                live.swapAt(k, live.count - 1)
                let (a, b) = live.removeLast()
                try page.free(a)
                try twin.free(b)
            } else {
                let base = 1 << random.int(sizeExponents)
                let size = max(1 << sizeExponents.lowerBound, base + random.int(0...(base / 16 - 1)) * 16)
                let alignment = 16 << random.int(0...4)
                twin.skipStretches.removeAll()
                let stretches = page.skipStretches.array
                let column = page.failColumn(alignment.trailingZeroBitCount)
                if stretches.contains(where: { column >= 0 && size >= $0.bound(column) }) { seen.jumps += 1 }
                seen.mostStretches = max(seen.mostStretches, stretches.count)
                seen.mostOfOneList = max(seen.mostOfOneList, Dictionary(grouping: stretches, by: \.list).values.map(\.count).max() ?? 0)
                if stretches.count >= page.skipStretchCap { seen.atCap += 1 }
                let placed = try place(page, size, align: alignment)
                let expected = try place(twin, size, align: alignment)
                // The first disagreement is the one to read: stop there.
                try #require(placed?.offset == expected?.offset, "step \(step): \(size) bytes at alignment \(alignment)")
                if let placed, let expected { live.append((placed.handle, expected.handle)) }
            }
            if step % validateEvery == 0 {
                try page.validate()
                try twin.validate()
            }
        }
        try page.validate()
        let sameLayout = layout(page) == layout(twin)
        #expect(sameLayout, "the pages' layouts differ")
        return (page, seen)
    }

    @Test("a page of small allocations: the same placements as the whole walk, stretches kept and used", arguments: [1, 2, 3] as [UInt64])
    func sameAnswersAsTheWholeWalk(seed: UInt64) throws {
        let (page, seen) = try Self.drive(seed: seed, pageSize: 4 << 20, operations: 12_000, validateEvery: 97)
        #expect(page.allocationCount > 1000)
        #expect(seen.jumps > 100, "requests that had a stretch to jump over: \(seen.jumps)")
    }

    @Test("a large page keeps as many stretches as its long lists need, and the placements stay the whole walk's")
    func stretchesScaleWithThePage() throws {
        let (page, seen) = try Self.drive(seed: 5, pageSize: 16 << 20, operations: 40_000, validateEvery: 1999, sizeExponents: 4...11)
        #expect(page.allocationCount > 5000)
        // The old fixed table held 16: a long list is now cut into many stretches of at most
        // maxSkipStretchLength ranges, and several lists keep some.
        #expect(seen.mostStretches > 4 * TLSFMetadata.minSkipStretchCap, "at most \(seen.mostStretches) stretches at once")
        #expect(seen.mostOfOneList > TLSFMetadata.minSkipStretchCap, "at most \(seen.mostOfOneList) stretches of one list")
        #expect(Set(page.skipStretches.array.map(\.list)).count > 1)
        #expect(seen.jumps > 1000, "requests that had a stretch to jump over: \(seen.jumps)")
    }

    @Test("a page that keeps as many stretches as it may: the placements stay the whole walk's")
    func fullTable() throws {
        // A cap of 4: runs extend the stretch before them or are not kept.
        let (page, seen) = try Self.drive(seed: 7, pageSize: 4 << 20, operations: 12_000, validateEvery: 97, cap: 4)
        #expect(seen.atCap > 1000, "requests made at the cap: \(seen.atCap)")
        #expect(seen.mostStretches == 4)
        #expect(page.skipStretches.count <= page.skipStretchCap)
    }

    @Test("compaction renumbers nodes: the stretches follow their ranges", arguments: [4 << 20, 32 << 10])
    func compactionKeepsThem(pageSize: Int) throws {
        // A large page renumbers every node in physical order; a small one (under 1024 nodes) moves its
        // last nodes into released slots.
        let small = pageSize < 1 << 20
        let (page, _) = try Self.drive(seed: 9, pageSize: pageSize, operations: small ? 1000 : 6000, validateEvery: 499,
                                       sizeExponents: small ? 4...6 : 6...11)
        #expect(page.skipStretches.count > 0, "nodes \(page.nodes.count) free \(page.blocksFreeCount)")
        // Free a third of the allocations so that the page compacts, then check the stretches against the
        // renumbered lists.
        var handles: [AllocationHandle] = []
        var h = try page.allocationListBegin()
        while let handle = h {
            handles.append(handle)
            h = try page.nextAllocation(after: handle)
        }
        for (i, handle) in handles.enumerated() where i % 3 == 0 { try page.free(handle) }
        #expect(page.wantsCompaction)
        #expect(TLSFMetadata.isSmall(page.nodes.count) == small)
        let kept = page.skipStretches.count
        #expect(kept > 0)
        page.compact { _, _ in }
        #expect(page.skipStretches.count == kept)
        try page.validate()
    }

    @Test("validate() refuses a stretch that bounds a range too low")
    func validateCatchesALyingStretch() throws {
        let (page, _) = try Self.drive(seed: 4, pageSize: 4 << 20, operations: 6000, validateEvery: 1999)
        // Stretches are never empty (one left empty goes).
        let i = try #require(page.skipStretches.indices.first)
        var s = page.skipStretches[i]
        s.setBounds((1, 1, 1, 1, 1))
        page.skipStretches[i] = s
        let error = metadataError { try page.validate() }
        #expect("\(String(describing: error))".contains("stretch's bound"), "\(String(describing: error))")
    }

    @Test("validate() refuses a stretch boundary without its mark")
    func validateCatchesAnUnmarkedBoundary() throws {
        let (page, _) = try Self.drive(seed: 4, pageSize: 4 << 20, operations: 6000, validateEvery: 1999)
        let first = try #require(page.skipStretches.array.first?.first)
        page.unmarkSkipStretchBoundary(first)
        let error = metadataError { try page.validate() }
        #expect("\(String(describing: error))".contains("is not marked"), "\(String(describing: error))")
    }

    @Test("validate() refuses stretches out of list order")
    func validateCatchesTheOrder() throws {
        let (page, _) = try Self.drive(seed: 5, pageSize: 16 << 20, operations: 40_000, validateEvery: 4999, sizeExponents: 4...11)
        let stretches = page.skipStretches.array
        // The last stretch of one list and the first of the next, swapped.
        let i = try #require(stretches.indices.dropLast().first { stretches[$0].list != stretches[$0 + 1].list })
        page.skipStretches.swapAt(i, i + 1)
        let error = metadataError { try page.validate() }
        #expect("\(String(describing: error))".contains("are not after those of list"), "\(String(describing: error))")
    }
}
