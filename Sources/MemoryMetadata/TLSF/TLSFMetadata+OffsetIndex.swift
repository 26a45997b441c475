// An index over the free ranges by offset, so that a min-offset request ("the lowest free range that
// holds this") does not walk every range of the page as VMA does (which made VMA need 43.6 s to plan the
// `scale` trace). It answers exactly what VMA's walk answers: the free ranges of at least the requested
// size, in ascending offset, each checked in turn.
//
// The ranges are kept sorted by offset in chunks of at most `chunkCapacity` entries, each chunk with the
// largest size it holds. A search skips whole chunks by that maximum and scans the rest: a few contiguous
// arrays, so it costs a handful of cache lines where a balanced tree (the first version here, a treap) paid
// a cache miss per level. Chunks split when full and merge with a neighbour when sparse, so there are
// between n / chunkCapacity and 4n / chunkCapacity of them.
//
// Sizes alone prune badly: on `scale`, most chunks hold a range large enough that alignment padding then
// makes too small (holes left by allocations of similar sizes). So each chunk also remembers, per
// alignment it was asked about, the most bytes any of its ranges can hold at that alignment, computed
// at the first such search and forgotten when the chunk changes.
//
// On a page of tens of thousands of free ranges (`huge`: 256 MiB pages) the chunks alone still make a
// search that finds nothing, or finds it far up, visit a thousand chunks. So consecutive chunks form groups
// of `groupSpan`, and each group remembers, per alignment asked about, the most any of its chunks holds
// at that alignment: a search skips whole groups. A group's memory is forgotten when one of its chunks
// changes, and for every group from a split, merge or removal on (chunk positions shift there).
//
// It is built the first time a page gets a min-offset request (defragmentation) and maintained from then
// on, so replaying a workload pays nothing for it.

extension TLSFMetadata {
    struct OffsetIndex {
        static let chunkCapacity = 64

        // Entry storage: chunk slot s holds its entries at s * chunkCapacity ..< s * chunkCapacity + count.
        var offsets: [Int] = []
        var sizes: [Int] = []
        var blocks: [Int32] = []
        var recycledSlots: [Int] = []

        // The chunks in offset order.
        var slotOf: [Int] = []
        var countOf: [Int] = []
        var maxSizeOf: [Int] = []
        var firstOffsetOf: [Int] = []

        var count = 0

        /// Per chunk slot: bit k set when `usable[slot * alignmentClasses + k]` holds the most bytes a range
        /// of the chunk holds at alignment 2^k.
        var usableKnown: [UInt32] = []
        var usable: [Int] = []
        static let alignmentClasses = 24

        /// Per group g (chunks g * groupSpan ..< (g + 1) * groupSpan): bit k set when
        /// `groupUsable[g * alignmentClasses + k]` holds the most bytes any of its chunks' ranges holds at
        /// alignment 2^k.
        var groupKnown: [UInt32] = []
        var groupUsable: [Int] = []
        static let groupSpan = 32

        /// Chunk `c`'s ranges changed: its group's memory goes.
        mutating func chunkChanged(_ c: Int) {
            let g = c / Self.groupSpan
            if g < groupKnown.count { groupKnown[g] = 0 }
        }

        /// Chunks at and after `c` changed position: the memory of their groups goes.
        mutating func chunksShifted(from c: Int) {
            var g = c / Self.groupSpan
            while g < groupKnown.count {
                groupKnown[g] = 0
                g += 1
            }
        }

        /// The most bytes a range of group `g`'s chunks can hold at alignment 2^k.
        mutating func groupUsableBytes(_ g: Int, alignmentLog2 k: Int) -> Int {
            if g >= groupKnown.count {
                let extra = g + 1 - groupKnown.count
                groupKnown.append(contentsOf: repeatElement(0, count: extra))
                groupUsable.append(contentsOf: repeatElement(0, count: extra * Self.alignmentClasses))
            }
            let i = g * Self.alignmentClasses + k
            if groupKnown[g] & (1 << UInt32(k)) != 0 { return groupUsable[i] }
            var m = 0
            for c in g * Self.groupSpan..<min((g + 1) * Self.groupSpan, countOf.count) where maxSizeOf[c] > m {
                m = max(m, usableBytes(slot: slotOf[c], count: countOf[c], alignmentLog2: k))
            }
            groupUsable[i] = m
            groupKnown[g] |= 1 << UInt32(k)
            return m
        }

        var footprintBytes: Int {
            offsets.capacity * 8 + sizes.capacity * 8 + blocks.capacity * 4 + recycledSlots.capacity * 8
                + usableKnown.capacity * 4 + usable.capacity * 8 + groupKnown.capacity * 4 + groupUsable.capacity * 8
                + (slotOf.capacity + countOf.capacity + maxSizeOf.capacity + firstOffsetOf.capacity) * 8
        }

        /// The chunk that holds `offset` or would: the last whose first offset is at most `offset` (0 if none).
        func chunk(containing offset: Int) -> Int {
            var lo = 0, hi = firstOffsetOf.count // first chunk whose first offset > offset
            while lo < hi {
                let mid = (lo + hi) >> 1
                if firstOffsetOf[mid] <= offset { lo = mid + 1 } else { hi = mid }
            }
            return max(lo - 1, 0)
        }

        /// Position in chunk `c` of the first entry whose offset is at least `offset`.
        func position(in c: Int, atOrAbove offset: Int) -> Int {
            let base = slotOf[c] * Self.chunkCapacity
            var lo = 0, hi = countOf[c]
            while lo < hi {
                let mid = (lo + hi) >> 1
                if offsets[base + mid] < offset { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }

        mutating func newSlot() -> Int {
            if let s = recycledSlots.popLast() {
                usableKnown[s] = 0
                return s
            }
            let s = offsets.count / Self.chunkCapacity
            offsets.append(contentsOf: repeatElement(0, count: Self.chunkCapacity))
            sizes.append(contentsOf: repeatElement(0, count: Self.chunkCapacity))
            blocks.append(contentsOf: repeatElement(-1, count: Self.chunkCapacity))
            usableKnown.append(0)
            usable.append(contentsOf: repeatElement(0, count: Self.alignmentClasses))
            return s
        }

        /// The most bytes a range of chunk slot `slot` (holding `n` entries) can hold at alignment 2^k.
        mutating func usableBytes(slot: Int, count n: Int, alignmentLog2 k: Int) -> Int {
            let i = slot * Self.alignmentClasses + k
            if usableKnown[slot] & (1 << UInt32(k)) != 0 { return usable[i] }
            let mask = (1 << k) - 1, base = slot * Self.chunkCapacity
            var m = 0
            for e in base..<base + n {
                let o = offsets[e]
                m = max(m, sizes[e] - (((o + mask) & ~mask) - o))
            }
            usable[i] = m
            usableKnown[slot] |= 1 << UInt32(k)
            return m
        }

        mutating func recomputeMax(_ c: Int) {
            let base = slotOf[c] * Self.chunkCapacity
            var m = 0
            for i in base..<base + countOf[c] where sizes[i] > m { m = sizes[i] }
            maxSizeOf[c] = m
        }

        /// Splits full chunk `c` into two halves.
        mutating func split(_ c: Int) {
            let half = countOf[c] / 2
            let from = slotOf[c] * Self.chunkCapacity, to = newSlot()
            let toBase = to * Self.chunkCapacity
            let moving = countOf[c] - half
            for k in 0..<moving {
                offsets[toBase + k] = offsets[from + half + k]
                sizes[toBase + k] = sizes[from + half + k]
                blocks[toBase + k] = blocks[from + half + k]
            }
            countOf[c] = half
            usableKnown[slotOf[c]] = 0
            chunksShifted(from: c)
            slotOf.insert(to, at: c + 1)
            countOf.insert(moving, at: c + 1)
            maxSizeOf.insert(0, at: c + 1)
            firstOffsetOf.insert(offsets[toBase], at: c + 1)
            recomputeMax(c)
            recomputeMax(c + 1)
        }

        /// Appends chunk `c + 1` to chunk `c` and drops it.
        mutating func mergeWithNext(_ c: Int) {
            let base = slotOf[c] * Self.chunkCapacity + countOf[c], from = slotOf[c + 1] * Self.chunkCapacity
            for k in 0..<countOf[c + 1] {
                offsets[base + k] = offsets[from + k]
                sizes[base + k] = sizes[from + k]
                blocks[base + k] = blocks[from + k]
            }
            countOf[c] += countOf[c + 1]
            usableKnown[slotOf[c]] = 0
            chunksShifted(from: c)
            maxSizeOf[c] = max(maxSizeOf[c], maxSizeOf[c + 1])
            removeChunk(c + 1)
        }

        mutating func removeChunk(_ c: Int) {
            recycledSlots.append(slotOf[c])
            chunksShifted(from: c)
            slotOf.remove(at: c)
            countOf.remove(at: c)
            maxSizeOf.remove(at: c)
            firstOffsetOf.remove(at: c)
        }

        mutating func insert(_ block: Int32, offset: Int, size: Int) {
            if slotOf.isEmpty {
                slotOf.append(newSlot())
                countOf.append(0)
                maxSizeOf.append(0)
                firstOffsetOf.append(offset)
                chunksShifted(from: 0)
            }
            var c = chunk(containing: offset)
            if countOf[c] == Self.chunkCapacity {
                split(c)
                if offset >= firstOffsetOf[c + 1] { c += 1 }
            }
            let p = position(in: c, atOrAbove: offset)
            let base = slotOf[c] * Self.chunkCapacity
            var i = base + countOf[c]
            while i > base + p {
                offsets[i] = offsets[i - 1]
                sizes[i] = sizes[i - 1]
                blocks[i] = blocks[i - 1]
                i -= 1
            }
            offsets[base + p] = offset
            sizes[base + p] = size
            blocks[base + p] = block
            countOf[c] += 1
            usableKnown[slotOf[c]] = 0
            chunkChanged(c)
            if size > maxSizeOf[c] { maxSizeOf[c] = size }
            if p == 0 { firstOffsetOf[c] = offset }
            count += 1
        }

        /// Removes the range at `offset`; returns the block it indexed (-1: none).
        @discardableResult
        mutating func remove(offset: Int) -> Int32 {
            guard !slotOf.isEmpty else { return -1 }
            let c = chunk(containing: offset)
            let p = position(in: c, atOrAbove: offset)
            let base = slotOf[c] * Self.chunkCapacity
            guard p < countOf[c], offsets[base + p] == offset else { return -1 }
            let block = blocks[base + p], size = sizes[base + p]
            let n = countOf[c]
            for i in base + p..<base + n - 1 {
                offsets[i] = offsets[i + 1]
                sizes[i] = sizes[i + 1]
                blocks[i] = blocks[i + 1]
            }
            countOf[c] = n - 1
            usableKnown[slotOf[c]] = 0
            chunkChanged(c)
            count -= 1
            if n == 1 {
                removeChunk(c)
                return block
            }
            if p == 0 { firstOffsetOf[c] = offsets[base] }
            if size == maxSizeOf[c] { recomputeMax(c) }
            // Keep chunks at least a quarter full on average: merge with a neighbour when both fit in half.
            let half = Self.chunkCapacity / 2
            if c + 1 < countOf.count && countOf[c] + countOf[c + 1] <= half {
                mergeWithNext(c)
            } else if c > 0 && countOf[c - 1] + countOf[c] <= half {
                mergeWithNext(c - 1)
            }
            return block
        }

        /// The indexed range of lowest offset at or above `low` that holds `size` bytes at an offset aligned
        /// to `alignment` (-1: none). This is the first half of TLSF's checkBlock, which has no side effect
        /// when it fails, so ranges it skips are ranges VMA's walk would have rejected.
        mutating func firstFit(atOrAbove low: Int, size: Int, alignment: Int) -> Int32 {
            if slotOf.isEmpty { return -1 }
            var c = 0, p = 0
            if low > firstOffsetOf[0] {
                c = chunk(containing: low)
                p = position(in: c, atOrAbove: low)
            }
            let chunks = countOf.count, mask = alignment - 1, k = alignment.trailingZeroBitCount
            while c < chunks {
                // At the start of a group, skip it whole when none of its ranges holds the request.
                if p == 0 && c % Self.groupSpan == 0 && k < Self.alignmentClasses
                    && groupUsableBytes(c / Self.groupSpan, alignmentLog2: k) < size {
                    c += Self.groupSpan
                    continue
                }
                let n = countOf[c], slot = slotOf[c]
                if maxSizeOf[c] >= size && (k >= Self.alignmentClasses || usableBytes(slot: slot, count: n, alignmentLog2: k) >= size) {
                    let base = slot * Self.chunkCapacity
                    for i in base + p..<base + n where sizes[i] >= size {
                        let o = offsets[i]
                        if sizes[i] - ((o + mask) & ~mask) + o >= size { return blocks[i] }
                    }
                }
                c += 1
                p = 0
            }
            return -1
        }
    }

    /// Builds the index from the current free ranges.
    func enableOffsetIndex() {
        var index = OffsetIndex()
        var b = headBlock
        while b != Self.none && b != nullBlock {
            // In physical order, so every insert appends.
            if !nodes[Int(b)].taken { index.insert(b, offset: nodes[Int(b)].offset, size: nodes[Int(b)].size) }
            b = nodes[Int(b)].nextPhysical
        }
        offsetIndex = index
    }

    /// Adds a free range (not the tail) to the index.
    func indexInsert(_ block: Int32) {
        guard offsetIndex != nil else { return }
        offsetIndex!.insert(block, offset: nodes[Int(block)].offset, size: nodes[Int(block)].size)
    }

    /// Removes a free range from the index.
    func indexRemove(_ block: Int32) {
        guard offsetIndex != nil else { return }
        let removed = offsetIndex!.remove(offset: nodes[Int(block)].offset)
        precondition(removed == block, "TLSF offset index: free range at offset \(nodes[Int(block)].offset) is not indexed")
    }

    /// The free range of lowest offset at or above `low` that holds `size` bytes aligned to `alignment`.
    func indexFirstFit(atOrAbove low: Int, size: Int, alignment: Int) -> Int32 {
        offsetIndex!.firstFit(atOrAbove: low, size: size, alignment: alignment)
    }

    /// Checks the index against the physical list (for validate()).
    func validateOffsetIndex() throws {
        guard let index = offsetIndex else { return }
        var expected: [Int32] = []
        var b = headBlock
        while b != Self.none && b != nullBlock {
            if !nodes[Int(b)].taken { expected.append(b) }
            b = nodes[Int(b)].nextPhysical
        }
        if index.count != expected.count {
            throw MetadataError.corrupted("TLSF offset index holds \(index.count) ranges, the page has \(expected.count) free ranges")
        }
        var k = 0, previous = Int.min
        for c in 0..<index.slotOf.count {
            let base = index.slotOf[c] * OffsetIndex.chunkCapacity, n = index.countOf[c]
            if n < 1 || n > OffsetIndex.chunkCapacity { throw MetadataError.corrupted("TLSF offset index: chunk \(c) holds \(n) ranges") }
            if index.firstOffsetOf[c] != index.offsets[base] {
                throw MetadataError.corrupted("TLSF offset index: chunk \(c) records first offset \(index.firstOffsetOf[c]), holds \(index.offsets[base])")
            }
            var m = 0
            for i in base..<base + n {
                let block = expected[k], node = nodes[Int(block)]
                k += 1
                let o = index.offsets[i]
                if o <= previous { throw MetadataError.corrupted("TLSF offset index: range at offset \(o) is out of order") }
                previous = o
                if index.blocks[i] != block || o != node.offset || index.sizes[i] != node.size {
                    throw MetadataError.corrupted("TLSF offset index: entry \(o)+\(index.sizes[i]) does not match the free range at \(node.offset)+\(node.size)")
                }
                m = max(m, index.sizes[i])
            }
            if m != index.maxSizeOf[c] { throw MetadataError.corrupted("TLSF offset index: chunk \(c) records max \(index.maxSizeOf[c]), not \(m)") }
            let slot = index.slotOf[c]
            for k in 0..<OffsetIndex.alignmentClasses where index.usableKnown[slot] & (1 << UInt32(k)) != 0 {
                let mask = (1 << k) - 1
                var u = 0
                for i in base..<base + n { u = max(u, index.sizes[i] - (((index.offsets[i] + mask) & ~mask) - index.offsets[i])) }
                if u != index.usable[slot * OffsetIndex.alignmentClasses + k] {
                    throw MetadataError.corrupted("TLSF offset index: chunk \(c) remembers \(index.usable[slot * OffsetIndex.alignmentClasses + k]) usable bytes at alignment \(1 << k), holds \(u)")
                }
            }
        }
        for g in index.groupKnown.indices {
            for k in 0..<OffsetIndex.alignmentClasses where index.groupKnown[g] & (1 << UInt32(k)) != 0 {
                let mask = (1 << k) - 1
                var u = 0
                for c in g * OffsetIndex.groupSpan..<min((g + 1) * OffsetIndex.groupSpan, index.slotOf.count) {
                    let base = index.slotOf[c] * OffsetIndex.chunkCapacity
                    for i in base..<base + index.countOf[c] { u = max(u, index.sizes[i] - (((index.offsets[i] + mask) & ~mask) - index.offsets[i])) }
                }
                if u != index.groupUsable[g * OffsetIndex.alignmentClasses + k] {
                    throw MetadataError.corrupted("TLSF offset index: chunk group \(g) remembers \(index.groupUsable[g * OffsetIndex.alignmentClasses + k]) usable bytes at alignment \(1 << k), holds \(u)")
                }
            }
        }
    }
}
