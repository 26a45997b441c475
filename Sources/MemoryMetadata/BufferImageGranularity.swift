// Port of VMA's VmaBlockBufferImageGranularity (vk_mem_alloc.h): keeps buffers and optimal images out of
// the same granularity page. A granularity of 1 disables it; up to 256 only rounds requests up; above 256
// tracks the resource type of every granularity page.

/// Buffer/image granularity bookkeeping for one page.
public struct BufferImageGranularity: Sendable {
    /// VMA's `MAX_LOW_BUFFER_IMAGE_GRANULARITY`: up to this size, requests are rounded instead of tracked.
    public static let maxLowGranularity = 256

    public let granularity: Int
    private var regionType: [UInt8] = []
    private var regionCount: [UInt16] = []
    private var shift = 0

    /// - Parameter granularity: a power of two; 1 disables granularity handling.
    public init(granularity: Int) {
        precondition(granularity > 0 && granularity & (granularity - 1) == 0, "granularity \(granularity) is not a power of two")
        self.granularity = granularity
        shift = granularity.trailingZeroBitCount
    }

    /// Whether pages are tracked (granularity above 256).
    @inlinable public var isEnabled: Bool { granularity > Self.maxLowGranularity }

    mutating func initialize(size: Int) {
        guard isEnabled else { return }
        let count = (size + granularity - 1) / granularity
        regionType = Array(repeating: 0, count: count)
        regionCount = Array(repeating: 0, count: count)
    }

    /// Raises size and alignment of image-like requests to whole granularity pages (granularity 2...256).
    @inlinable
    func roundUp(type: SuballocationType, size: inout Int, alignment: inout Int) {
        if granularity > 1 && granularity <= Self.maxLowGranularity {
            if type == .unknown || type == .imageUnknown || type == .imageOptimal {
                alignment = max(alignment, granularity)
                size = alignUp(size, granularity)
            }
        }
    }

    private func startPage(_ offset: Int) -> Int { (offset & ~(granularity - 1)) >> shift }
    private func endPage(_ offset: Int, _ size: Int) -> Int { ((offset + size - 1) & ~(granularity - 1)) >> shift }

    /// Whether an allocation at `offset` conflicts with its neighbours' types; moves it to the next
    /// granularity page when that resolves the conflict. Returns `true` on a conflict that remains.
    func conflicts(offset: inout Int, size: Int, blockOffset: Int, blockSize: Int, type: SuballocationType) -> Bool {
        guard isEnabled else { return false }
        var start = startPage(offset)
        if regionCount[start] > 0, SuballocationType.granularityConflict(SuballocationType(rawValue: regionType[start])!, type) {
            offset = alignUp(offset, granularity)
            if blockSize < size + offset - blockOffset { return true }
            start = startPage(offset)
            if regionCount[start] > 0, SuballocationType.granularityConflict(SuballocationType(rawValue: regionType[start])!, type) {
                return true
            }
        }
        let end = endPage(offset, size)
        if end != start, regionCount[end] > 0,
           SuballocationType.granularityConflict(SuballocationType(rawValue: regionType[end])!, type) {
            return true
        }
        return false
    }

    mutating func allocPages(type: SuballocationType, offset: Int, size: Int) {
        guard isEnabled else { return }
        let start = startPage(offset)
        allocPage(start, type)
        let end = endPage(offset, size)
        if start != end { allocPage(end, type) }
    }

    private mutating func allocPage(_ page: Int, _ type: SuballocationType) {
        if regionCount[page] == 0 || regionType[page] == SuballocationType.free.rawValue {
            regionType[page] = type.rawValue
        }
        regionCount[page] += 1
    }

    mutating func freePages(offset: Int, size: Int) {
        guard isEnabled else { return }
        let start = startPage(offset)
        regionCount[start] -= 1
        if regionCount[start] == 0 { regionType[start] = SuballocationType.free.rawValue }
        let end = endPage(offset, size)
        if start != end {
            regionCount[end] -= 1
            if regionCount[end] == 0 { regionType[end] = SuballocationType.free.rawValue }
        }
    }

    mutating func clear() {
        guard isEnabled else { return }
        for i in regionType.indices { regionType[i] = 0; regionCount[i] = 0 }
    }

    /// Recounts the pages the given allocations touch and compares with the bookkeeping.
    func validate(allocations: [(offset: Int, size: Int)]) throws {
        guard isEnabled else { return }
        var counts = Array(repeating: UInt16(0), count: regionCount.count)
        for a in allocations {
            let s = startPage(a.offset)
            counts[s] += 1
            let e = endPage(a.offset, a.size)
            if s != e { counts[e] += 1 }
        }
        for page in counts.indices where counts[page] != regionCount[page] {
            throw MetadataError.corrupted("granularity page at offset \(page * granularity) counts \(regionCount[page]) allocations, found \(counts[page])")
        }
    }
}
