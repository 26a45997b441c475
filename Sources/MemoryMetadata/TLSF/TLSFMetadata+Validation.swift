// Port of VmaBlockMetadata_TLSF::Validate: every invariant of the physical and free lists, with offsets.

extension TLSFMetadata {
    public func validate() throws {
        func fail(_ why: String) -> MetadataError { .corrupted("TLSF page of \(size) bytes: \(why)") }
        if sumFreeSize > size { throw fail("free size \(sumFreeSize) exceeds the page") }

        // The bitmaps name the non-empty lists; their entries are in list order, each class's after the
        // classes below it.
        if isFreeBitmap >> UInt32(innerIsFreeBitmap.count) != 0 { throw fail("free bitmap marks a memory class above the page's") }
        var nonEmpty = 0
        for memClass in innerIsFreeBitmap.indices {
            let inner = innerIsFreeBitmap[memClass]
            if (inner != 0) != (isFreeBitmap & (UInt32(1) << UInt32(memClass)) != 0) {
                throw fail("free bitmap of memory class \(memClass) disagrees with its inner bitmap")
            }
            if listsBelow(memClass) != nonEmpty {
                throw fail("memory class \(memClass) counts \(listsBelow(memClass)) non-empty lists below it, not \(nonEmpty)")
            }
            if inner != 0 && listIndex(memClass, 31 - inner.leadingZeroBitCount) >= listsCount {
                throw fail("bitmap marks free list \(listIndex(memClass, 31 - inner.leadingZeroBitCount)), above the page's last")
            }
            nonEmpty += inner.nonzeroBitCount
        }
        // The last word's lanes past the page's classes count along (every list is below them).
        for memClass in innerIsFreeBitmap.count..<classBase.count * 4 {
            if listsBelow(memClass) != nonEmpty { throw fail("lane \(memClass) of the class counts holds \(listsBelow(memClass)), not \(nonEmpty)") }
        }
        if lists.count != nonEmpty { throw fail("\(lists.count) list entries for \(nonEmpty) non-empty lists") }
        let columns = (0..<Self.failColumns).filter { (failExponents >> UInt64($0 * 8)) & 0xFF != 0 }
        if columns != Array(0..<columns.count) { throw fail("failed-scan columns \(columns) are not the first ones") }
        if granularity.isEnabled && failExponents != 0 { throw fail("failed scans remembered on a page that tracks granularity") }

        var freeListCount = 0, r = 0
        for memClass in innerIsFreeBitmap.indices {
            var bits = innerIsFreeBitmap[memClass]
            while bits != 0 {
                let second = bits.trailingZeroBitCount, list = listIndex(memClass, second)
                bits &= bits - 1
                let entry = lists[r]
                var b = entry.head
                if b == Self.none { throw fail("non-empty free list \(list) has no first range") }
                if nodes[Int(b)].prevFree != Self.none { throw fail("block at offset \(nodes[Int(b)].offset) heads a free list but has a previous block") }
                if entry.failCodes >> UInt64(columns.count * 8) != 0 { throw fail("free list \(list) has a threshold in an unused column") }
                while b != Self.none {
                    let n = nodes[Int(b)]
                    if !n.live { throw fail("free list \(list) holds a released node") }
                    if !isFree(b) { throw fail("block at offset \(n.offset) is in free list \(list) but taken") }
                    if listIndex(forSize: n.size) != list { throw fail("block at offset \(n.offset) of size \(n.size) is in the wrong free list \(list)") }
                    if n.nextFree != Self.none && nodes[Int(n.nextFree)].prevFree != b {
                        throw fail("block at offset \(n.offset): next free block at offset \(nodes[Int(n.nextFree)].offset) does not point back")
                    }
                    freeListCount += 1
                    if n.size > largestListedFreeSizeBound {
                        throw fail("block at offset \(n.offset) of size \(n.size) is above the free lists' bound \(largestListedFreeSizeBound)")
                    }
                    for column in columns {
                        let exponent = Int((failExponents >> UInt64(column * 8)) & 0xFF) - 1
                        guard let threshold = failThreshold(r, memClass, second, column: column) else { continue }
                        let mask = (1 << exponent) - 1
                        let holds = n.size - (((n.offset + mask) & ~mask) - n.offset)
                        if holds >= threshold {
                            throw fail("free list \(list) is remembered to fail from \(threshold) bytes at alignment \(1 << exponent), but the range at offset \(n.offset) holds \(holds)")
                        }
                    }
                    b = n.nextFree
                }
                r += 1
            }
        }

        let null = nodes[Int(nullBlock)]
        if null.nextPhysical != Self.none { throw fail("tail range at offset \(null.offset) is not last") }
        if !isFree(nullBlock) { throw fail("tail range at offset \(null.offset) is taken") }
        if null.offset + null.size != size { throw fail("tail range at offset \(null.offset) of \(null.size) bytes does not end the page") }

        var calculatedSize = null.size, calculatedFreeSize = null.size
        var allocs = 0, frees = 0
        var nextOffset = null.offset
        var b = null.prevPhysical, after = nullBlock
        var taken: [(offset: Int, size: Int)] = []
        var prevWasFree = false
        while b != Self.none {
            let n = nodes[Int(b)]
            if !n.live { throw fail("physical list holds a released node") }
            if n.nextPhysical != after { throw fail("block at offset \(n.offset): next physical link is broken") }
            if n.offset + n.size != nextOffset { throw fail("block at offset \(n.offset) of \(n.size) bytes does not end where the next begins (\(nextOffset))") }
            if n.size <= 0 { throw fail("block at offset \(n.offset) has size \(n.size)") }
            nextOffset = n.offset
            calculatedSize += n.size
            if isFree(b) {
                if prevWasFree { throw fail("adjacent free ranges at offsets \(n.offset) and \(n.offset + n.size) were not merged") }
                frees += 1
                calculatedFreeSize += n.size
                prevWasFree = true
            } else {
                allocs += 1
                taken.append((n.offset, n.size))
                prevWasFree = false
            }
            after = b
            b = n.prevPhysical
        }
        if after != headBlock { throw fail("the first physical block is not at the head") }
        if nextOffset != 0 { throw fail("first block starts at offset \(nextOffset), not 0") }
        if freeListCount != frees { throw fail("\(freeListCount) blocks in free lists but \(frees) free blocks in the page") }
        if calculatedSize != size { throw fail("blocks add up to \(calculatedSize) bytes") }
        if calculatedFreeSize != sumFreeSize { throw fail("free blocks add up to \(calculatedFreeSize) bytes, counted \(sumFreeSize)") }
        if allocs != allocCount { throw fail("\(allocs) allocations found, counted \(allocCount)") }
        if frees != blocksFreeCount { throw fail("\(frees) free blocks found, counted \(blocksFreeCount)") }
        // Every node is in the page (the null block and the physical list) or released, once.
        var released = 0, chain = recycledHead
        while chain != Self.none {
            if released > nodes.count { throw fail("the chain of released nodes loops") }
            if nodes[Int(chain)].live { throw fail("node \(chain) is live but on the chain of released nodes") }
            released += 1
            chain = nodes[Int(chain)].nextFree
        }
        if released + allocs + frees + 1 != nodes.count {
            throw fail("\(nodes.count) nodes: \(allocs + frees + 1) in the page and \(released) released do not add up")
        }
        try validateLastResortFailures(columns: columns)
        try granularity.validate(allocations: taken)
        try validateOffsetIndex()
        try validateSkipStretches(fail)
    }
}

extension TLSFMetadata {
    /// The remembered failures of the last-resort walk (``lastResortFailures``), while they are current: each
    /// in a used column, and no range they say fails holds its size.
    func validateLastResortFailures(columns: [Int]) throws {
        guard lastResortVersion == freeRangeVersion else { return }
        func fail(_ why: String) -> MetadataError { .corrupted("TLSF page of \(size) bytes: \(why)") }
        for column in 0..<Self.failColumns {
            let known = lastResortFailure(column)
            if known == 0 { continue }
            guard columns.contains(column) else { throw fail("a last-resort failure is remembered in unused column \(column)") }
            let failing = Int(known & Node.low40), start = Int(known >> 40) - 1
            let exponent = Int((failExponents >> UInt64(column * 8)) & 0xFF) - 1
            let mask = (1 << exponent) - 1
            for i in nodes.indices where nodes[i].live && !nodes[i].taken {
                let n = nodes[i]
                let isTail = Int32(i) == nullBlock
                guard isTail ? start == -1 : listIndex(forSize: n.size) > start else { continue }
                let holds = n.size - (((n.offset + mask) & ~mask) - n.offset)
                if holds >= failing {
                    throw fail("the walk of the lists after \(start) is remembered to fail from \(failing) bytes at alignment \(1 << exponent), but the \(isTail ? "tail" : "range") at offset \(n.offset) holds \(holds)")
                }
            }
        }
    }
}
