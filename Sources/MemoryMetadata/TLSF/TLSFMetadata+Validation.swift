// Port of VmaBlockMetadata_TLSF::Validate: every invariant of the physical and free lists, with offsets.

extension TLSFMetadata {
    public func validate() throws {
        func fail(_ why: String) -> MetadataError { .corrupted("TLSF page of \(size) bytes: \(why)") }
        if sumFreeSize > size { throw fail("free size \(sumFreeSize) exceeds the page") }

        var freeListCount = 0
        for list in freeList.indices {
            var b = freeList[list]
            if b == Self.none { continue }
            if !isFree(b) { throw fail("block at offset \(nodes[Int(b)].offset) heads free list \(list) but is taken") }
            if nodes[Int(b)].prevFree != Self.none { throw fail("block at offset \(nodes[Int(b)].offset) heads a free list but has a previous block") }
            while b != Self.none {
                let n = nodes[Int(b)]
                if !n.live { throw fail("free list \(list) holds a released node") }
                if !isFree(b) { throw fail("block at offset \(n.offset) is in free list \(list) but taken") }
                if listIndex(forSize: n.size) != list { throw fail("block at offset \(n.offset) of size \(n.size) is in the wrong free list \(list)") }
                if n.nextFree != Self.none && nodes[Int(n.nextFree)].prevFree != b {
                    throw fail("block at offset \(n.offset): next free block at offset \(nodes[Int(n.nextFree)].offset) does not point back")
                }
                freeListCount += 1
                if !failSlot.isEmpty && failSlot[list] != 0 {
                    let row = Int(failSlot[list]) - 1
                    for k in 0..<Self.failCacheAlignments where failColumn[k] >= 0 && failSizes[row * failWidth + Int(failColumn[k])] != Int32.max {
                        let threshold = failSizes[row * failWidth + Int(failColumn[k])]
                        if failKnown[row] & (1 << UInt32(k)) == 0 {
                            throw fail("free list \(list) holds a threshold for alignment \(1 << k) not marked known")
                        }
                        let mask = (1 << k) - 1
                        let holds = n.size - (((n.offset + mask) & ~mask) - n.offset)
                        if holds >= Int(threshold) {
                            throw fail("free list \(list) is remembered to fail from \(threshold) bytes at alignment \(1 << k), but the range at offset \(n.offset) holds \(holds)")
                        }
                    }
                }
                b = n.nextFree
            }
        }
        if isFreeBitmap >> UInt32(innerIsFreeBitmap.count) != 0 { throw fail("free bitmap marks a memory class above the page's") }
        for memClass in innerIsFreeBitmap.indices {
            let inner = innerIsFreeBitmap[memClass]
            if (inner != 0) != (isFreeBitmap & (UInt32(1) << UInt32(memClass)) != 0) {
                throw fail("free bitmap of memory class \(memClass) disagrees with its inner bitmap")
            }
            for second in 0..<32 where inner & (UInt32(1) << UInt32(second)) != 0 {
                let index = listIndex(memClass, second)
                if index >= listsCount || freeList[index] == Self.none { throw fail("bitmap marks empty free list \(index)") }
            }
        }

        // Every row of thresholds belongs to one non-empty list or is free, once.
        var rowOwners = [Int](repeating: 0, count: failKnown.count)
        for (list, row) in failSlot.enumerated() where row != 0 {
            if freeList[list] == Self.none { throw fail("empty free list \(list) keeps row \(row - 1) of failed-scan thresholds") }
            rowOwners[Int(row) - 1] += 1
        }
        for row in freeFailRows { rowOwners[Int(row)] += 1 }
        if let row = rowOwners.firstIndex(where: { $0 != 1 }) { throw fail("row \(row) of failed-scan thresholds has \(rowOwners[row]) owners") }

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
        var released = 0, r = recycledHead
        while r != Self.none {
            if released > nodes.count { throw fail("the chain of released nodes loops") }
            if nodes[Int(r)].live { throw fail("node \(r) is live but on the chain of released nodes") }
            released += 1
            r = nodes[Int(r)].nextFree
        }
        if released + allocs + frees + 1 != nodes.count {
            throw fail("\(nodes.count) nodes: \(allocs + frees + 1) in the page and \(released) released do not add up")
        }
        try granularity.validate(allocations: taken)
        try validateOffsetIndex()
    }
}
