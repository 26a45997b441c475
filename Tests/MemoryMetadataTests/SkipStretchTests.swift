// A long free list remembers a stretch of ranges that hold little (TLSFMetadata+SkipStretches.swift), and
// scans jump over it. These tests drive a page the way `huge` does (a page filled with small, variously
// aligned allocations, then small requests taking its alignment gaps, with frees between) beside a twin
// page that forgets its stretches before every request, and check that every answer is the twin's (VMA's
// walk of the whole list), that the stretches are kept true as the lists change, and that they are used.
@_spi(Tables) @testable import MemoryMetadata
import Testing

@Suite("TLSF skips stretches of long free lists")
struct SkipStretchTests {
    /// Applies the same operations to a page and to a twin without stretches; every placement must agree.
    /// Returns the page, and how many requests found a stretch to jump over.
    static func drive(seed: UInt64, pageSize: Int, operations: Int, validateEvery: Int) throws -> (TLSFMetadata, jumps: Int) {
        let page = TLSFMetadata(size: pageSize), twin = TLSFMetadata(size: pageSize)
        var random = SplitMix64(seed: seed)
        var live: [(AllocationHandle, AllocationHandle)] = []
        var jumps = 0
        for step in 0..<operations {
            // Mostly small allocations (log-uniform 64 bytes to 4 KiB, 16-byte multiples, alignment 16 to
            // 256, as `huge`), a free now and then once the page is full.
            let full = page.sumFreeSize < pageSize / 8
            if full && !live.isEmpty && random.chance(4) {
                let k = random.int(0...(live.count - 1))
                live.swapAt(k, live.count - 1)
                let (a, b) = live.removeLast()
                try page.free(a)
                try twin.free(b)
            } else {
                let size = max(64, (1 << random.int(6...11)) + random.int(0...63) * 16)
                let alignment = 16 << random.int(0...4)
                twin.skipStretches.removeAll()
                let before = page.skipStretches.count
                let jumpable = (0..<before).contains { i in
                    let column = page.failColumn(alignment.trailingZeroBitCount)
                    return column >= 0 && size >= page.skipStretches[i].bound(column)
                }
                if jumpable { jumps += 1 }
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
        return (page, jumps)
    }

    @Test("a page of small allocations: the same placements as the whole walk, stretches kept and used", arguments: [1, 2, 3] as [UInt64])
    func sameAnswersAsTheWholeWalk(seed: UInt64) throws {
        let (page, jumps) = try Self.drive(seed: seed, pageSize: 4 << 20, operations: 12_000, validateEvery: 97)
        #expect(page.allocationCount > 1000)
        #expect(jumps > 100, "requests that had a stretch to jump over: \(jumps)")
    }

    @Test("compaction renumbers nodes: the stretches follow their ranges")
    func compactionKeepsThem() throws {
        let (page, _) = try Self.drive(seed: 9, pageSize: 4 << 20, operations: 6000, validateEvery: 499)
        #expect(page.skipStretches.count > 0)
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
}
