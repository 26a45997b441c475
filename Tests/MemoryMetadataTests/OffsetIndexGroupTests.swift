// The offset index's chunk groups (32 chunks of up to 64 free ranges each) on a page of thousands of free
// ranges: min-offset requests must still find exactly the lowest range that holds them at their alignment,
// while the page changes under the groups' remembered maxima (splits, merges, removals shift chunks).
import MemoryMetadata
import Testing

@Suite("TLSF offset index chunk groups")
struct OffsetIndexGroupTests {
    /// Live ranges sorted by offset; the lowest free range that holds `size` at `alignment`, by brute force.
    struct SortedModel {
        let pageSize: Int
        var live: [(offset: Int, size: Int, handle: AllocationHandle)] = []

        func index(of offset: Int) -> Int {
            var lo = 0, hi = live.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if live[mid].offset < offset { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }

        mutating func insert(_ offset: Int, _ size: Int, _ handle: AllocationHandle) {
            live.insert((offset, size, handle), at: index(of: offset))
        }

        func lowestFit(size: Int, alignment: Int) -> Int? {
            var cursor = 0
            for r in live {
                if r.offset > cursor && roundUp(cursor, alignment) + size <= r.offset { return roundUp(cursor, alignment) }
                cursor = r.offset + r.size
            }
            return roundUp(cursor, alignment) + size <= pageSize ? roundUp(cursor, alignment) : nil
        }
    }

    @Test("thousands of free ranges: min-offset requests find the lowest fit while groups split, merge and shift")
    func lowestFitAcrossGroups() throws {
        var rng = SplitMix64(seed: 21)
        let pageSize = 64 << 20
        let m = TLSFMetadata(size: pageSize, bufferImageGranularity: 1)
        var model = SortedModel(pageSize: pageSize)
        // 12,000 ranges packed from offset 0, then about half freed at random: some 6,000 free ranges, about
        // a hundred chunks in several groups. One in 50 is large (32 to 64 KiB) and stays: freed later between
        // live neighbours, it makes a range larger than its group remembers.
        var large = Set<Int>()
        for _ in 0..<12_000 {
            let isLarge = rng.chance(50)
            let size = 16 * (isLarge ? rng.int(2048...4096) : rng.int(1...256))
            let placed = try #require(try place(m, size, align: 16, strategy: .minOffset))
            model.insert(placed.offset, size, placed.handle)
            if isLarge { large.insert(placed.offset) }
        }
        var i = 0
        while i < model.live.count {
            if !large.contains(model.live[i].offset) && rng.chance(2) {
                try m.free(model.live[i].handle)
                model.live.remove(at: i)
            } else {
                i += 1
            }
        }
        try m.validate()
        var found = 0
        for step in 0..<1_500 {
            if rng.chance(3) && !model.live.isEmpty {
                let victim = rng.int(0...(model.live.count - 1))
                try m.free(model.live[victim].handle)
                model.live.remove(at: victim)
            } else {
                // Mostly sizes few ranges hold, so searches skip far; alignments up to 4 KiB.
                let size = 16 * rng.int(1...(rng.chance(4) ? 64 : rng.chance(3) ? 4096 : 1024)) + rng.int(0...15)
                let alignment = 1 << rng.int(0...12)
                let expected = model.lowestFit(size: size, alignment: alignment)
                let request = try m.createAllocationRequest(size: size, alignment: alignment, upperAddress: false, type: .buffer,
                                                            strategy: .minOffset, maxOffset: .max)
                #expect(request?.offset == expected, "step \(step): \(size) bytes at alignment \(alignment)")
                if let request, request.offset == expected {
                    let handle = try m.alloc(request, type: .buffer, userData: step)
                    model.insert(request.offset, size, handle)
                    found += 1
                }
            }
            if step % 10 == 0 { try m.validate() }
        }
        try m.validate()
        #expect(found > 300)
    }
}
