// Port of VmaBlockMetadata_TLSF::CreateAllocationRequest, CheckBlock, Alloc and Free (vk_mem_alloc.h).

extension TLSFMetadata {
    /// Where VMA's TLSF would place an allocation, or `nil` when it does not fit (the contract of
    /// ``BlockMetadata/createAllocationRequest(size:alignment:upperAddress:type:strategy:maxOffset:)``).
    ///
    /// - Parameters:
    ///   - requestedSize: bytes requested, at least 1; buffer/image granularity may round it up.
    ///   - requestedAlignment: a power of two; buffer/image granularity may raise it.
    ///   - upperAddress: must be `false`: a TLSF page has a single tranche.
    ///   - type: the resource type, for buffer/image granularity.
    ///   - strategy: which fitting range to prefer; none set is VMA's default placement.
    ///   - maxOffset: with ``AllocationStrategy/minOffset``, free ranges starting at or above this offset
    ///     need not be considered. Pass `Int.max` for no limit.
    public func createAllocationRequest(
        size requestedSize: Int, alignment requestedAlignment: Int, upperAddress: Bool, type: SuballocationType,
        strategy: AllocationStrategy, maxOffset: Int
    ) throws -> AllocationRequest? {
        guard requestedSize >= 1 else { throw MetadataError.invalidSize(requestedSize) }
        guard isPowerOfTwo(requestedAlignment) else { throw MetadataError.invalidAlignment(requestedAlignment) }
        if upperAddress { throw MetadataError.upperAddressNotSupported }

        var allocSize = requestedSize, alignment = requestedAlignment
        granularity.roundUp(type: type, size: &allocSize, alignment: &alignment)

        // Quick check for a page that is too full.
        if allocSize > sumFreeSize { return nil }
        // An allocation may take two more nodes (padding before it, the rest after it).
        if !hasRoomForTwoNodes { return nil }

        // Nothing can hold it when the tail is too small and no free list holds a range that large: then
        // VMA's search fails too, and failing searches change nothing, so answer at once.
        if allocSize > nodes[Int(nullBlock)].size && allocSize > largestListedFreeSizeBound { return nil }

        // No free ranges besides the tail: only the tail can take it.
        if blocksFreeCount == 0 {
            if strategy.contains(.minOffset) && nodes[Int(nullBlock)].offset > maxOffset { return nil }
            return checkBlock(nullBlock, -1, allocSize, alignment, type)
        }

        // Round up to the next size class.
        var sizeForNextList = allocSize
        let smallSizeStep = Self.smallBufferSize / 4
        if allocSize > Self.smallBufferSize {
            sizeForNextList += 1 << ((63 - allocSize.leadingZeroBitCount) - Self.secondLevelIndex)
        } else if allocSize > Self.smallBufferSize - smallSizeStep {
            sizeForNextList = Self.smallBufferSize + 1
        } else {
            sizeForNextList += smallSizeStep
        }

        var nextListIndex = listsCount
        // Whether a failure of the walk below is a failure of VMA's whole default search.
        var wholeSearch = false

        if strategy.contains(.minTime) {
            let found = findFreeBlock(sizeForNextList)
            if let found {
                nextListIndex = found.listIndex
                if let r = checkBlock(found.block, found.rank, allocSize, alignment, type) { return r }
            }
            if let r = checkBlock(nullBlock, -1, allocSize, alignment, type) { return r }
            // VMA checks that first block again with the rest of its list.
            if let found, let r = scanList(found.listIndex, found.rank, allocSize, alignment, type) { return r }
            if let r = searchList(from: findFreeBlock(allocSize), allocSize, alignment, type) { return r }
        } else if strategy.contains(.minMemory) {
            if let r = searchList(from: findFreeBlock(allocSize), allocSize, alignment, type) { return r }
            if let r = checkBlock(nullBlock, -1, allocSize, alignment, type) { return r }
            if let found = findFreeBlock(sizeForNextList) {
                nextListIndex = found.listIndex
                if let r = scanList(nextListIndex, found.rank, allocSize, alignment, type) { return r }
            }
        } else if strategy.contains(.minOffset) {
            // Every free range in ascending offset order, then the tail. VMA checks all of them; the Go
            // port stops at maxOffset, which gives the same answer to a caller that only wants lower offsets.
            if offsetIndex == nil { enableOffsetIndex() }
            var low = 0
            while true {
                let b = indexFirstFit(atOrAbove: low, size: allocSize, alignment: alignment)
                if b == Self.none { break }
                let n = nodes[Int(b)]
                if n.offset >= maxOffset { break }
                if let r = checkBlock(b, rank(ofList: listIndex(forSize: n.size)), allocSize, alignment, type) { return r }
                low = n.offset + 1
            }
            return checkBlock(nullBlock, -1, allocSize, alignment, type)
        } else {
            // VMA's default search looks at the first non-empty list from the request's own size class up,
            // the tail, and every non-empty list above that first one: it fails exactly when no range from
            // the own class up holds the request, nor the tail, so a size that failed fails every larger
            // one until a range joins, grows, or the tail grows (recorded as a walk from "list -1").
            if !granularity.isEnabled && lastResortKnownToFail(allocSize, alignment.trailingZeroBitCount, from: -1) { return nil }
            wholeSearch = true
            if let found = findFreeBlock(sizeForNextList) {
                nextListIndex = found.listIndex
                if let r = scanList(nextListIndex, found.rank, allocSize, alignment, type) { return r }
            }
            if let r = checkBlock(nullBlock, -1, allocSize, alignment, type) { return r }
            if let r = searchList(from: findFreeBlock(allocSize), allocSize, alignment, type) { return r }
        }

        // Worst case: search every list above the one tried first (VMA walks every list index; the
        // bitmaps name the non-empty ones, in the same order, and their entries are in that order too).
        // Lists known to fail are skipped right here (the same test scanList makes first), so that a page
        // that cannot take the request costs a few loads per non-empty list.
        let exponent = alignment.trailingZeroBitCount
        let column = granularity.isEnabled ? -1 : failColumn(exponent)
        if column >= 0 && lastResortKnownToFail(allocSize, exponent, from: nextListIndex) { return nil }
        // The loop walks the bitmaps' set bits (scans change no list's emptiness, and the first success
        // returns).
        let first = nextNonEmptyList(after: nextListIndex)
        if first >= listsCount {
            if column >= 0 { rememberLastResortFailure(allocSize, exponent, from: wholeSearch ? -1 : nextListIndex) }
            return nil
        }
        var (memoryClass, firstSecond) = Self.classAndSecond(ofList: first)
        var r = rank(memoryClass, firstSecond)
        var bits = innerIsFreeBitmap[memoryClass] & (UInt32.max << UInt32(firstSecond))
        while true {
            while bits != 0 {
                let second = bits.trailingZeroBitCount
                bits &= bits - 1
                let threshold = failThreshold(r, memoryClass, second, column: column)
                if threshold == nil || allocSize < threshold! {
                    if let request = scanList(listIndex(memoryClass, second), r, allocSize, alignment, type, checked: true) { return request }
                }
                r += 1
            }
            let classes = memoryClass + 1 >= 32 ? 0 : isFreeBitmap & (UInt32.max << UInt32(memoryClass + 1))
            if classes == 0 {
                if column >= 0 { rememberLastResortFailure(allocSize, exponent, from: wholeSearch ? -1 : nextListIndex) }
                return nil
            }
            memoryClass = classes.trailingZeroBitCount
            bits = innerIsFreeBitmap[memoryClass]
            firstSecond = 0
        }
    }

    /// Whether the last-resort walk of the lists after `start` is sure to fail for this size and alignment:
    /// it failed since the last range joined or grew in a list (or the tail grew), at this alignment, for a
    /// size at most this one, from a list at most `start` (every list it walks then failed already, and a
    /// list that fails a size fails every larger one). On a page that many requests try and few change (a
    /// pool tries pages in turn; one takes the allocation), this answers most of them without a walk.
    @inline(__always)
    func lastResortKnownToFail(_ size: Int, _ exponent: Int, from start: Int) -> Bool {
        guard lastResortVersion == freeRangeVersion else { return false }
        let column = failColumn(exponent)
        guard column >= 0 else { return false }
        let known = lastResortFailure(column)
        return known != 0 && size >= Int(known & Node.low40) && start + 1 >= Int(known >> 40)
    }

    func rememberLastResortFailure(_ size: Int, _ exponent: Int, from start: Int) {
        let column = failColumn(exponent)
        guard column >= 0, size < 1 << 40 else { return }
        if lastResortVersion != freeRangeVersion {
            lastResortFailures = (0, 0, 0, 0, 0)
            lastResortVersion = freeRangeVersion
        }
        let known = lastResortFailure(column)
        // Keep the entry that covers more.
        if known != 0 && Int(known & Node.low40) <= size && Int(known >> 40) <= start + 1 { return }
        setLastResortFailure(column, UInt64(size) | UInt64(start + 1) << 40)
    }

    /// Column `column`'s entry of ``lastResortFailures`` (0: none).
    @inline(__always)
    func lastResortFailure(_ column: Int) -> UInt64 {
        switch column {
        case 0: return lastResortFailures.0
        case 1: return lastResortFailures.1
        case 2: return lastResortFailures.2
        case 3: return lastResortFailures.3
        default: return lastResortFailures.4
        }
    }

    func setLastResortFailure(_ column: Int, _ entry: UInt64) {
        switch column {
        case 0: lastResortFailures.0 = entry
        case 1: lastResortFailures.1 = entry
        case 2: lastResortFailures.2 = entry
        case 3: lastResortFailures.3 = entry
        default: lastResortFailures.4 = entry
        }
    }

    /// Whether two more nodes fit the node limit (released ones count: they are reused first).
    var hasRoomForTwoNodes: Bool { allocCount + blocksFreeCount + 3 <= nodeLimit }

    /// The lowest non-empty free list above `index` (`listsCount`: none).
    @inline(__always)
    func nextNonEmptyList(after index: Int) -> Int {
        let next = index + 1
        if next >= listsCount { return listsCount }
        var memoryClass: Int, second: Int
        if next < 4 {
            memoryClass = 0
            second = next
        } else {
            memoryClass = (next - 4) >> Self.secondLevelIndex + 1
            second = (next - 4) & ((1 << Self.secondLevelIndex) - 1)
        }
        let inner = innerIsFreeBitmap[memoryClass] & (UInt32.max << UInt32(second))
        if inner != 0 { return listIndex(memoryClass, inner.trailingZeroBitCount) }
        let classes = memoryClass + 1 >= 32 ? 0 : isFreeBitmap & (UInt32.max << UInt32(memoryClass + 1))
        if classes == 0 { return listsCount }
        memoryClass = classes.trailingZeroBitCount
        return listIndex(memoryClass, innerIsFreeBitmap[memoryClass].trailingZeroBitCount)
    }

    /// Checks every range of free list `list` (at rank `r` in ``lists``) in order, as VMA does, and returns
    /// the first that holds the request. A scan that finds nothing measures the most any range of the list
    /// holds at this alignment (see ``failExponents``): a later request above it skips the list.
    /// `checked`: the caller already looked up whether the list is known to fail.
    /// A long walk is remembered as a stretch of the list, which later scans jump over when none of its
    /// ranges can hold their request (see TLSFMetadata+SkipStretches.swift).
    private func scanList(_ list: Int, _ r: Int, _ allocSize: Int, _ alignment: Int, _ type: SuballocationType,
                          checked: Bool = false) -> AllocationRequest? {
        let exponent = alignment.trailingZeroBitCount
        let cacheable = !granularity.isEnabled
        let (memoryClass, second) = Self.classAndSecond(ofList: list)
        if cacheable && !checked, let threshold = failThreshold(r, memoryClass, second, column: failColumn(exponent)),
           allocSize >= threshold {
            return nil
        }
        var b = lists[r].head, most = 0
        let mask = alignment - 1
        let column = cacheable ? claimFailColumn(exponent) : -1
        if column < 0 {
            // With granularity (no memory), or every column taken by other alignments: the plain walk.
            while b != Self.none {
                // checkBlock's first test, on the node already at hand: most ranges of a long list fail it.
                let n = nodes[Int(b)]
                let holds = n.size - (((n.offset + mask) & ~mask) - n.offset)
                if holds >= allocSize, let request = checkBlock(b, r, allocSize, alignment, type) { return request }
                b = n.nextFree
            }
            return nil
        }
        // The list's stretches (k..<kEnd in skipStretches, in list order): the walk jumps those whose bound
        // at this alignment the request reaches, and walks through the others.
        var (k, kEnd) = skipStretches(ofList: list)
        var inside = false
        // The run walked since the front, the last jump or the last stretch kept, for the stretch it
        // becomes. What its ranges hold at every column's alignment is measured once it is long enough to
        // be kept (short walks, the usual ones, pay nothing for it).
        var masks = (0, 0, 0, 0, 0)
        var runFirst = b, runFrom = k, walked = 0
        var most5 = (0, 0, 0, 0, 0)
        @inline(__always) func measure(_ n: Node) {
            @inline(__always) func held(_ m: Int) -> Int { n.size - (((n.offset + m) & ~m) - n.offset) }
            most5 = (max(most5.0, held(masks.0)), max(most5.1, held(masks.1)), max(most5.2, held(masks.2)),
                     max(most5.3, held(masks.3)), max(most5.4, held(masks.4)))
        }
        // Keeps the run up to `b` as a stretch in place of those it walked through (`through`: the one it
        // is inside or reaches next), and starts a new run at `b`.
        @inline(__always) func keepRun(upTo b: Int32, through: Int, inside: Bool) {
            let count = skipStretches.count
            k = keepSkipStretch(list: list, first: runFirst, end: b, most: most5, from: runFrom, through: through, inside: inside)
            kEnd += skipStretches.count - count
            runFirst = b
            runFrom = k
            walked = 0
            most5 = (0, 0, 0, 0, 0)
        }
        while b != Self.none {
            if k < kEnd {
                if inside {
                    if b == skipStretches[k].end {
                        inside = false
                        k += 1
                        continue
                    }
                } else if b == skipStretches[k].first {
                    let bound = skipStretches[k].bound(column)
                    if allocSize >= bound {
                        if walked >= Self.minSkipStretchLength { keepRun(upTo: b, through: k, inside: false) }
                        most = max(most, bound - 1)
                        b = skipStretches[k].end
                        k += 1
                        runFirst = b
                        runFrom = k
                        walked = 0
                        most5 = (0, 0, 0, 0, 0)
                        continue
                    }
                    inside = true
                }
            }
            if walked == Self.maxSkipStretchLength { keepRun(upTo: b, through: k, inside: inside) }
            // checkBlock's first test, on the node already at hand: most ranges of a long list fail it.
            let n = nodes[Int(b)]
            let holds = n.size - (((n.offset + mask) & ~mask) - n.offset)
            if holds >= allocSize {
                if walked >= Self.minSkipStretchLength { keepRun(upTo: b, through: k, inside: inside) }
                // Without granularity, holding the request is all checkBlock asks.
                guard let request = checkBlock(b, r, allocSize, alignment, type) else {
                    preconditionFailure("TLSF: the range at offset \(n.offset) holds the request but was refused")
                }
                return request
            }
            most = max(most, holds)
            walked += 1
            if walked > Self.minSkipStretchLength {
                measure(n)
            } else if walked == Self.minSkipStretchLength {
                // Long enough to keep: measure the run so far (its ranges are in cache).
                masks = failColumnMasks()
                most5 = (0, 0, 0, 0, 0)
                var m = runFirst
                for _ in 0..<walked {
                    measure(nodes[Int(m)])
                    m = nodes[Int(m)].nextFree
                }
            }
            b = n.nextFree
        }
        // At the list's end: a stretch it was inside ran to the end too, and the run replaces it.
        if walked >= Self.minSkipStretchLength { keepRun(upTo: Self.none, through: inside ? k + 1 : k, inside: false) }
        // Every range holds at most `most` < allocSize bytes at this alignment.
        rememberFailure(r, memoryClass, second, most + 1, exponent)
        return nil
    }

    @inline(__always)
    private func searchList(from found: (block: Int32, listIndex: Int, rank: Int)?, _ allocSize: Int, _ alignment: Int,
                            _ type: SuballocationType) -> AllocationRequest? {
        guard let found else { return nil }
        return scanList(found.listIndex, found.rank, allocSize, alignment, type)
    }

    /// Whether the free range `block` can hold the request; on success it moves to the front of its list,
    /// whose entry is at rank `r` in ``lists`` (-1 for the tail, which is in no list) (VMA does this even
    /// when the caller then decides not to commit).
    func checkBlock(_ block: Int32, _ r: Int, _ allocSize: Int, _ alignment: Int,
                    _ type: SuballocationType) -> AllocationRequest? {
        let b = Int(block)
        precondition(isFree(block), "TLSF: block at offset \(nodes[b].offset) is already taken")
        let blockOffset = nodes[b].offset, blockSize = nodes[b].size
        var alignedOffset = alignUp(blockOffset, alignment)
        if blockSize < allocSize + alignedOffset - blockOffset { return nil }
        if granularity.conflicts(offset: &alignedOffset, size: allocSize, blockOffset: blockOffset, blockSize: blockSize, type: type) {
            return nil
        }
        let request = AllocationRequest(handle: handle(block), size: allocSize, offset: alignedOffset, kind: .tlsf, type: type)

        if r >= 0 && nodes[b].prevFree != Self.none {
            if !skipStretches.isEmpty { skipStretchesLose(block) }
            changeCount &+= 1
            let prev = nodes[b].prevFree, next = nodes[b].nextFree, head = lists[r].head
            nodes[Int(prev)].nextFree = next
            if next != Self.none { nodes[Int(next)].prevFree = prev }
            nodes[b].prevFree = Self.none
            nodes[b].nextFree = head
            if head != Self.none { nodes[Int(head)].prevFree = block }
            lists[r].head = block
        }
        return request
    }

    @discardableResult
    public func alloc(_ request: AllocationRequest, type: SuballocationType, userData: Int) throws -> AllocationHandle {
        guard request.kind == .tlsf else { throw MetadataError.incompatibleRequest("made by another kind of metadata") }
        guard request.size >= 1 else { throw MetadataError.invalidSize(request.size) }
        let current = try node(request.handle)
        let c = Int(current)
        guard isFree(current) else { throw MetadataError.incompatibleRequest("its free range at offset \(nodes[c].offset) is taken") }
        guard hasRoomForTwoNodes else { throw MetadataError.incompatibleRequest("the page holds \(nodeLimit) nodes at most") }
        let offset = request.offset
        guard nodes[c].offset <= offset else {
            throw MetadataError.incompatibleRequest("offset \(offset) is below its free range at \(nodes[c].offset)")
        }
        guard nodes[c].size - (offset - nodes[c].offset) >= request.size else {
            throw MetadataError.incompatibleRequest("its free range at offset \(nodes[c].offset) is too small")
        }

        if current != nullBlock { removeFreeBlock(current) }
        changeCount &+= 1

        let missingAlignment = offset - nodes[c].offset
        if missingAlignment != 0 {
            let prev = nodes[c].prevPhysical
            if prev != Self.none && isFree(prev) {
                let p = Int(prev)
                let oldList = listIndex(forSize: nodes[p].size)
                nodes[p].size += missingAlignment
                freeRangeVersion &+= 1
                if oldList != listIndex(forSize: nodes[p].size) {
                    nodes[p].size -= missingAlignment
                    removeFreeBlock(prev)
                    nodes[p].size += missingAlignment
                    insertFreeBlock(prev)
                } else {
                    // Same list: only the size grows, in place; the offset index and the list's failed
                    // scans must see it.
                    let (memoryClass, second) = Self.classAndSecond(ofList: oldList)
                    raiseFailThresholds(rank(memoryClass, second), memoryClass, second, prev)
                    if !skipStretches.isEmpty { dropSkipStretches(ofList: oldList) }
                    if offsetIndex != nil {
                        nodes[p].size -= missingAlignment
                        indexRemove(prev)
                        nodes[p].size += missingAlignment
                        indexInsert(prev)
                    }
                    blocksFreeSize += missingAlignment
                }
            } else {
                // VMA never pads at offset 0 (0 is aligned); a request placed at an exact offset can
                // (rebuilding a dump), so the padding may become the page's first block.
                let newBlock = makeNode(offset: nodes[c].offset, size: missingAlignment)
                let n = Int(newBlock)
                nodes[c].prevPhysical = newBlock
                if prev != Self.none { nodes[Int(prev)].nextPhysical = newBlock } else { headBlock = newBlock }
                nodes[n].prevPhysical = prev
                nodes[n].nextPhysical = current
                nodes[n].taken = true
                insertFreeBlock(newBlock)
            }
            nodes[c].size -= missingAlignment
            nodes[c].offset += missingAlignment
        }

        let size = request.size
        let isNull = current == nullBlock
        // New nodes first (they may grow the array), then every link and field.
        var split = Self.none
        if nodes[c].size == size {
            if isNull { split = makeNode(offset: nodes[c].offset + size, size: 0) }
        } else {
            precondition(nodes[c].size > size, "TLSF: free range too small for a checked request")
            split = makeNode(offset: nodes[c].offset + size, size: nodes[c].size - size)
        }
        let stored = storedUserData(userData, ofNode: current)
        if split != Self.none {
            let s = Int(split), after = nodes[c].nextPhysical
            nodes[s].prevPhysical = current
            nodes[s].nextPhysical = after
            nodes[c].nextPhysical = split
            nodes[c].size = size
            if !isNull {
                nodes[Int(after)].prevPhysical = split
                nodes[s].taken = true
            }
        }
        nodes[c].taken = true
        nodes[c].inlineUserData = stored
        nodes[c].type = type
        if split != Self.none {
            if isNull { nullBlock = split } else { insertFreeBlock(split) }
        }
        granularity.allocPages(type: request.type, offset: nodes[c].offset, size: nodes[c].size)
        allocCount += 1
        return handle(current)
    }

    public func free(_ handle: AllocationHandle) throws {
        var block = try allocationNode(handle)
        // The node may live on as a free range and later hold another allocation: a new generation keeps
        // this allocation's handle from naming it (a second free of it is refused, not obeyed).
        let b = Int(block), node = nodes[b]
        let next = node.nextPhysical, prev = node.prevPhysical
        granularity.freePages(offset: node.offset, size: node.size)
        allocCount -= 1
        changeCount &+= 1
        if node.inlineUserData == Node.userDataAside { largeUserData[block] = nil }
        nodes[b].generation &+= 1
        nodes[b].inlineUserData = 0
        nodes[b].type = .free

        freeRangeVersion &+= 1
        if prev != Self.none && isFree(prev) {
            removeFreeBlock(prev)
            mergeBlock(block, prev)
        }
        if !isFree(next) {
            insertFreeBlock(block)
        } else if next == nullBlock {
            mergeBlock(nullBlock, block)
        } else {
            removeFreeBlock(next)
            mergeBlock(next, block)
            insertFreeBlock(next)
            block = next
        }
    }
}
