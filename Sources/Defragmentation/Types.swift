// Port of memutils/defrag (defrag.go, move.go, pass.go) from github.com/vkngwrapper/arsenal, with VMA's
// Balanced and Extensive algorithms (vk_mem_alloc.h, VmaDefragmentationContext_T).
import MemoryMetadata

/// Which defragmentation algorithm a run uses.
public enum Algorithm: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Moves allocations only between pages, into earlier pages. Fewest passes, least compaction.
    case fast
    /// Like fast, and moves an allocation lower within its own page when no earlier page takes it.
    /// The seed's default.
    case full
    /// VMA's default: like full, but moves within a page only where the gap around the allocation is
    /// worth it (average-size heuristics computed when the run starts).
    case balanced
    /// VMA's: empties one page at a time and separates resource types to beat buffer/image granularity;
    /// the same as full when granularity is 1.
    case extensive
    /// Plans the whole run up front: the fewest pages the allocations pack into (the lower bound wherever
    /// its packing finds it), then the fewest bytes to get there (the fullest pages stay, allocations move
    /// within a page only to clear room that is needed), handed out as passes within the budget.
    case optimal

    public var description: String { rawValue }
}

/// Whose behaviour the engine reproduces where VMA and the Go port differ.
public enum Dialect: String, CaseIterable, Sendable, CustomStringConvertible {
    /// The seed's (Go memutils): the page walk includes the first movable page, fast makes no move when one
    /// page is left, full is the default algorithm.
    case memutils
    /// VMA 3.4's: the walk stops before the first movable page, a single page is compacted in place by every
    /// algorithm, balanced is the default algorithm.
    case vma

    public var description: String { rawValue }

    /// The algorithm a run uses when none is given.
    public var defaultAlgorithm: Algorithm { self == .vma ? .balanced : .full }
}

/// What the consumer does with a proposed move.
public enum MoveOperation: Sendable, Hashable {
    /// Copy the bytes; the allocation takes the destination (the default).
    case copy
    /// Do not move; the source page becomes immovable for the rest of the run.
    case ignore
    /// The allocation was destroyed by the consumer; its source is freed.
    case destroy
}

/// One relocation proposed by the engine.
public struct DefragmentationMove<Allocation, Metadata: BlockMetadata> {
    /// What to do; `.copy` until the consumer changes it.
    public var operation: MoveOperation = .copy
    /// Bytes to relocate.
    public var size: Int
    /// The page the allocation is in now.
    public var sourceMetadata: Metadata
    /// The allocation that moves.
    public var sourceAllocation: Allocation
    /// The page of the temporary destination (set by the engine).
    public var destinationMetadata: Metadata?
    /// The temporary destination the engine allocated (set by the engine).
    public var destinationAllocation: Allocation?

    public init(size: Int, sourceMetadata: Metadata, sourceAllocation: Allocation) {
        self.size = size
        self.sourceMetadata = sourceMetadata
        self.sourceAllocation = sourceAllocation
    }
}

/// An allocation the engine may move, as the block list describes it (the seed's MoveAllocationData).
public struct MoveAllocationData<Allocation, Metadata: BlockMetadata> {
    public var alignment: Int
    public var suballocationType: SuballocationType
    public var flags: UInt32
    /// Source filled in; destination empty.
    public var move: DefragmentationMove<Allocation, Metadata>

    public init(alignment: Int, suballocationType: SuballocationType, flags: UInt32 = 0,
                move: DefragmentationMove<Allocation, Metadata>) {
        self.alignment = alignment
        self.suballocationType = suballocationType
        self.flags = flags
        self.move = move
    }
}

/// What a run (or a pass) achieved.
public struct DefragmentationStats: Hashable, Sendable {
    /// Bytes successfully relocated.
    public var bytesMoved = 0
    /// Bytes of pages released as a consequence of the moves.
    public var bytesFreed = 0
    /// Successful relocations.
    public var allocationsMoved = 0
    /// Pages the block list released as a consequence of the moves.
    public var deviceMemoryBlocksFreed = 0

    public init(bytesMoved: Int = 0, bytesFreed: Int = 0, allocationsMoved: Int = 0, deviceMemoryBlocksFreed: Int = 0) {
        self.bytesMoved = bytesMoved
        self.bytesFreed = bytesFreed
        self.allocationsMoved = allocationsMoved
        self.deviceMemoryBlocksFreed = deviceMemoryBlocksFreed
    }

    public mutating func add(_ other: DefragmentationStats) {
        bytesMoved += other.bytesMoved
        bytesFreed += other.bytesFreed
        allocationsMoved += other.allocationsMoved
        deviceMemoryBlocksFreed += other.deviceMemoryBlocksFreed
    }
}

/// Budget and results of one pass.
public struct PassContext: Sendable {
    /// The most bytes to relocate in this pass (`Int.max`: no limit).
    public var maxPassBytes: Int
    /// The most relocations in this pass (`Int.max`: no limit).
    public var maxPassAllocations: Int
    /// What this pass did.
    public var stats = DefragmentationStats()
    /// Allocations skipped in a row because they would exceed `maxPassBytes`.
    @usableFromInline var ignoredAllocations = 0

    /// VMA's `MAX_ALLOCS_TO_IGNORE`: the 16th skip in a row ends the pass.
    public static let maxAllocationsToIgnore = 16

    public init(maxPassBytes: Int = .max, maxPassAllocations: Int = .max) {
        self.maxPassBytes = maxPassBytes
        self.maxPassAllocations = maxPassAllocations
    }

    @usableFromInline enum CounterStatus { case pass, ignore, end }

    /// Whether an allocation of `bytes` fits the pass's byte budget.
    @inlinable mutating func checkCounters(_ bytes: Int) -> CounterStatus {
        if bytes > maxPassBytes - stats.bytesMoved {
            ignoredAllocations += 1
            return ignoredAllocations < Self.maxAllocationsToIgnore ? .ignore : .end
        }
        ignoredAllocations = 0
        return .pass
    }

    /// Counts a move; true when the pass has reached its budget exactly and must end.
    @inlinable mutating func incrementCounters(_ bytes: Int) -> Bool {
        stats.bytesMoved += bytes
        stats.allocationsMoved += 1
        if stats.allocationsMoved >= maxPassAllocations || stats.bytesMoved >= maxPassBytes {
            precondition(stats.allocationsMoved == maxPassAllocations || stats.bytesMoved == maxPassBytes,
                         "defragmentation pass exceeded its budget: \(stats.bytesMoved) bytes, \(stats.allocationsMoved) moves")
            return true
        }
        return false
    }
}

/// Errors of a run.
public enum DefragmentationError: Error, CustomStringConvertible {
    /// A page's metadata does not support random access (a linear page).
    case randomAccessNotSupported(page: Int)
    /// The move handler failed for some moves of a pass; the other moves completed.
    case handlerFailures([Error])
    /// The block list could not commit a destination the metadata had found in page `page` (index in the
    /// list) for an allocation of `size` bytes: a device failure, such as binding the destination. Never
    /// "does not fit": the metadata found the room.
    case commitFailed(page: Int, size: Int, underlying: Error)
    /// The metadata of page `page` refused to look for room for an allocation of `size` bytes as the block
    /// list described it (``BlockList/moveData(forUserData:)``: an alignment that is not a power of two, …):
    /// the block list's mistake.
    case requestRefused(page: Int, size: Int, underlying: Error)
    /// What the engine remembers of earlier walks disagrees with the pages (a bug; see
    /// `MetadataDefragContext.checkWalkMemory()`).
    case walkMemory(String)

    public var description: String {
        switch self {
        case .commitFailed(let page, let size, let error):
            return "committing a destination of \(size) bytes in page \(page) failed: \(error)"
        case .requestRefused(let page, let size, let error):
            return "page \(page) refused a request for \(size) bytes: \(error)"
        case .walkMemory(let what):
            return "defragmentation's memory of earlier walks: \(what)"
        case .randomAccessNotSupported(let page):
            return "page \(page) does not support random access: linear pages cannot be, and need not be, defragmented"
        case .handlerFailures(let errors):
            return "\(errors.count) move(s) failed: " + errors.map { "\($0)" }.joined(separator: "; ")
        }
    }
}
