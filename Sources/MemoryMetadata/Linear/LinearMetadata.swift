// A linear (stack) metadata in the spirit of VMA's VmaBlockMetadata_Linear: allocations are placed one
// after another at the end of the used range; freeing the last one gives its bytes back at once, and
// freeing an earlier one leaves a hole that is reclaimed when everything after it is freed. There is no
// random access, so the defragmentation engine refuses pages that use it.
//
// This is a single-stack subset of VMA's linear metadata (no ring buffer, no double stack): enough to
// serve stack-like pools and to show the engine's refusal.

public final class LinearMetadata: BlockMetadata {
    struct Item {
        var offset: Int
        var size: Int
        var userData: Int
        var type: SuballocationType
        var live: Bool
        var generation: UInt32
    }

    public let size: Int
    /// Allocations by ascending offset, including freed ones that are not yet reclaimed.
    private var items: [Item] = []
    /// The handle index of each item slot: handles stay valid while items shift.
    private var generationCounter: UInt32 = 0
    private var liveCount = 0
    private var liveBytes = 0
    /// Stamped on every handle this page issues, so another page's handles are refused.
    private let owner = OwnerTag.next()

    public init(size: Int) {
        precondition(size > 0, "page size must be positive")
        self.size = size
    }

    public var supportsRandomAccess: Bool { false }
    public var allocationCount: Int { liveCount }
    public var sumFreeSize: Int { size - liveBytes }
    public var isEmpty: Bool { liveCount == 0 }
    private var end: Int { items.last.map { $0.offset + $0.size } ?? 0 }

    public var freeRegionsCount: Int {
        var count = 0, cursor = 0
        for item in items where item.live {
            if item.offset > cursor { count += 1 }
            cursor = item.offset + item.size
        }
        return count + (cursor < size ? 1 : 0)
    }

    public func mayHaveFreeBlock(type: SuballocationType, size: Int) -> Bool { self.size - end >= size }

    private func index(of handle: AllocationHandle) throws -> Int {
        let i = Int(handle.index)
        guard handle.owner == owner, i < items.count, items[i].generation == handle.generation, items[i].live else {
            throw MetadataError.unknownHandle(handle)
        }
        return i
    }

    public func allocationListBegin() throws -> AllocationHandle? { throw MetadataError.randomAccessNotSupported }
    public func nextAllocation(after handle: AllocationHandle) throws -> AllocationHandle? { throw MetadataError.randomAccessNotSupported }

    public func nextFreeRegionSize(after handle: AllocationHandle) throws -> Int {
        let i = try index(of: handle)
        var j = i - 1
        while j >= 0 && !items[j].live { j -= 1 }
        let lower = j >= 0 ? items[j].offset + items[j].size : 0
        return items[i].offset - lower
    }

    public func offset(of handle: AllocationHandle) throws -> Int { items[try index(of: handle)].offset }
    public func size(of handle: AllocationHandle) throws -> Int { items[try index(of: handle)].size }
    public func userData(of handle: AllocationHandle) throws -> Int { items[try index(of: handle)].userData }
    public func setUserData(_ userData: Int, of handle: AllocationHandle) throws { items[try index(of: handle)].userData = userData }

    public func visitAllRegions(_ body: (Region) throws -> Void) rethrows {
        // Highest offset first, as TLSF reports them.
        var cursor = size
        for (i, item) in items.enumerated().reversed() where item.live {
            let top = item.offset + item.size
            if top < cursor {
                try body(Region(handle: AllocationHandle(index: UInt32.max, generation: 0), offset: top, size: cursor - top, userData: 0, type: .free, isFree: true))
            }
            try body(Region(handle: AllocationHandle(index: UInt32(i), generation: item.generation, owner: owner), offset: item.offset, size: item.size, userData: item.userData, type: item.type, isFree: false))
            cursor = item.offset
        }
        if cursor > 0 {
            try body(Region(handle: AllocationHandle(index: UInt32.max, generation: 0), offset: 0, size: cursor, userData: 0, type: .free, isFree: true))
        }
    }

    public func addStatistics(_ stats: inout Statistics) {
        stats.blockCount += 1
        stats.allocationCount += liveCount
        stats.blockBytes += size
        stats.allocationBytes += liveBytes
    }

    public func addDetailedStatistics(_ stats: inout DetailedStatistics) {
        stats.statistics.blockCount += 1
        stats.statistics.blockBytes += size
        visitAllRegions { r in
            if r.isFree { stats.addUnusedRange(r.size) } else { stats.addAllocation(r.size) }
        }
    }

    public func clear() {
        items.removeAll()
        liveCount = 0
        liveBytes = 0
    }

    public func createAllocationRequest(size: Int, alignment: Int, upperAddress: Bool, type: SuballocationType,
                                        strategy: AllocationStrategy, maxOffset: Int) throws -> AllocationRequest? {
        guard size >= 1 else { throw MetadataError.invalidSize(size) }
        guard isPowerOfTwo(alignment) else { throw MetadataError.invalidAlignment(alignment) }
        if upperAddress { throw MetadataError.upperAddressNotSupported }
        let offset = alignUp(end, alignment)
        guard offset + size <= self.size else { return nil }
        if strategy.contains(.minOffset) && offset >= maxOffset { return nil }
        return AllocationRequest(handle: AllocationHandle(index: UInt32(items.count), generation: 0, owner: owner), size: size, offset: offset, kind: .endOf1st, type: type)
    }

    @discardableResult
    public func alloc(_ request: AllocationRequest, type: SuballocationType, userData: Int) throws -> AllocationHandle {
        guard request.kind == .endOf1st else { throw MetadataError.incompatibleRequest("made by another kind of metadata") }
        guard request.handle.owner == owner else { throw MetadataError.incompatibleRequest("made by another page") }
        guard request.size >= 1 else { throw MetadataError.invalidSize(request.size) }
        guard Int(request.handle.index) == items.count, request.offset >= end, request.offset + request.size <= size else {
            throw MetadataError.incompatibleRequest("the end of the stack moved since the request was made")
        }
        generationCounter &+= 1
        items.append(Item(offset: request.offset, size: request.size, userData: userData, type: type, live: true, generation: generationCounter))
        liveCount += 1
        liveBytes += request.size
        return AllocationHandle(index: UInt32(items.count - 1), generation: generationCounter, owner: owner)
    }

    public func free(_ handle: AllocationHandle) throws {
        let i = try index(of: handle)
        items[i].live = false
        liveCount -= 1
        liveBytes -= items[i].size
        while let last = items.last, !last.live { items.removeLast() }
    }

    public func validate() throws {
        var cursor = 0, count = 0, bytes = 0
        for item in items {
            if item.offset < cursor { throw MetadataError.corrupted("linear page: allocation at offset \(item.offset) overlaps the one before (ends at \(cursor))") }
            cursor = item.offset + item.size
            if item.live { count += 1; bytes += item.size }
        }
        if cursor > size { throw MetadataError.corrupted("linear page: allocations end at \(cursor), past the page (\(size))") }
        if let last = items.last, !last.live { throw MetadataError.corrupted("linear page: freed allocation at offset \(last.offset) was not reclaimed") }
        if count != liveCount || bytes != liveBytes { throw MetadataError.corrupted("linear page: counted \(liveCount) allocations of \(liveBytes) bytes, found \(count) of \(bytes)") }
    }
}
