// Port of memutils/statistics.go (VMA's VmaStatistics and VmaDetailedStatistics).

/// Counts for a set of pages.
public struct Statistics: Hashable, Sendable {
    /// Pages.
    public var blockCount = 0
    /// Live allocations.
    public var allocationCount = 0
    /// Bytes of all pages.
    public var blockBytes = 0
    /// Bytes held by live allocations.
    public var allocationBytes = 0

    public init() {}

    public mutating func add(_ other: Statistics) {
        blockCount += other.blockCount
        allocationCount += other.allocationCount
        blockBytes += other.blockBytes
        allocationBytes += other.allocationBytes
    }
}

/// ``Statistics`` plus the sizes of allocations and free ranges.
public struct DetailedStatistics: Hashable, Sendable {
    public var statistics = Statistics()
    /// Distinct free ranges.
    public var unusedRangeCount = 0
    public var allocationSizeMin = Int.max
    public var allocationSizeMax = 0
    public var unusedRangeSizeMin = Int.max
    public var unusedRangeSizeMax = 0

    public init() {}

    public mutating func addUnusedRange(_ size: Int) {
        unusedRangeCount += 1
        unusedRangeSizeMin = min(unusedRangeSizeMin, size)
        unusedRangeSizeMax = max(unusedRangeSizeMax, size)
    }

    public mutating func addAllocation(_ size: Int) {
        statistics.allocationCount += 1
        statistics.allocationBytes += size
        allocationSizeMin = min(allocationSizeMin, size)
        allocationSizeMax = max(allocationSizeMax, size)
    }

    public mutating func add(_ other: DetailedStatistics) {
        statistics.add(other.statistics)
        unusedRangeCount += other.unusedRangeCount
        unusedRangeSizeMin = min(unusedRangeSizeMin, other.unusedRangeSizeMin)
        unusedRangeSizeMax = max(unusedRangeSizeMax, other.unusedRangeSizeMax)
        allocationSizeMin = min(allocationSizeMin, other.allocationSizeMin)
        allocationSizeMax = max(allocationSizeMax, other.allocationSizeMax)
    }
}
