// What a session reports: plain values the Visualizer and the CLI read. No engine or pool types leak here.
import Defragmentation
import MemoryMetadata

/// One live allocation as drawn and listed.
public struct AllocationSnapshot: Hashable, Sendable {
    /// The workload's id (trace id, or the dump's allocation index).
    public var id: Int
    public var offset: Int
    public var size: Int
    public var type: SuballocationType
    /// A name from a VMA dump, if any.
    public var name: String?

    public init(id: Int, offset: Int, size: Int, type: SuballocationType = .unknown, name: String? = nil) {
        self.id = id
        self.offset = offset
        self.size = size
        self.type = type
        self.name = name
    }
}

/// One page as drawn: its allocations ascending by offset.
public struct PageSnapshot: Hashable, Sendable {
    /// The page's creation ordinal in its pool (VMA's block id); gaps where pages were released.
    public var id: Int
    public var size: Int
    /// The pool the page belongs to (a VMA dump has several).
    public var pool: String
    public var allocations: [AllocationSnapshot]
    /// Made immovable by an `ignore` answer during this run.
    public var isImmovable: Bool
    /// Holds a dedicated allocation (from a dump): shown, never moved.
    public var isDedicated: Bool

    public init(id: Int, size: Int, pool: String = "", allocations: [AllocationSnapshot],
                isImmovable: Bool = false, isDedicated: Bool = false) {
        self.id = id
        self.size = size
        self.pool = pool
        self.allocations = allocations
        self.isImmovable = isImmovable
        self.isDedicated = isDedicated
    }

    public var usedBytes: Int { allocations.reduce(0) { $0 + $1.size } }
    public var freeBytes: Int { size - usedBytes }
}

/// One move of a pass, with where it left and where it arrived.
public struct MoveRecord: Hashable, Sendable {
    public var id: Int
    public var size: Int
    public var sourcePage: Int
    public var sourceOffset: Int
    public var destinationPage: Int
    public var destinationOffset: Int
    /// What the handler did with it.
    public var operation: MoveOperation
    public var pool: String

    public init(id: Int, size: Int, sourcePage: Int, sourceOffset: Int, destinationPage: Int, destinationOffset: Int,
                operation: MoveOperation = .copy, pool: String = "") {
        self.id = id
        self.size = size
        self.sourcePage = sourcePage
        self.sourceOffset = sourceOffset
        self.destinationPage = destinationPage
        self.destinationOffset = destinationOffset
        self.operation = operation
        self.pool = pool
    }
}

/// Fragmentation figures of a pool (or of all pools) at one moment.
public struct Metrics: Hashable, Sendable {
    /// Pages the pool holds (including an empty one VMA keeps).
    public var pages = 0
    /// Pages holding at least one allocation.
    public var nonEmptyPages = 0
    /// ceil(live bytes / page size): no defragmentation can do better.
    public var lowerBoundPages = 0
    public var liveBytes = 0
    public var liveAllocations = 0
    /// Free bytes in all pages.
    public var freeBytes = 0
    /// The largest free range in any page.
    public var largestFreeRange = 0
    /// 1 − largest free range / free bytes (0 when nothing is free): 0 is one hole, near 1 is dust.
    public var fragmentation: Double = 0

    public init() {}
}

/// What one pass did.
public struct PassReport: Hashable, Sendable {
    /// 1-based.
    public var number: Int
    public var moves: [MoveRecord]
    public var stats: DefragmentationStats
    /// Ids of pages released during the pass.
    public var freedPages: [Int]
    /// Time to collect the moves (planning).
    public var planningSeconds: Double
    /// Time for the device to copy the bytes.
    public var copySeconds: Double
    /// Time to complete the pass (handler, releases).
    public var completeSeconds: Double
    /// What failed in the pass; every other move of it completed.
    public var errors: [PassError]
    /// Metrics after the pass.
    public var metricsAfter: Metrics
    /// What the engine decided for each allocation it looked at, when the session explains
    /// (``DefragSession/explains``); nil otherwise.
    public var decisions: PassDecisions?

    public init(number: Int, moves: [MoveRecord], stats: DefragmentationStats, freedPages: [Int],
                planningSeconds: Double, copySeconds: Double, completeSeconds: Double, errors: [PassError] = [],
                metricsAfter: Metrics) {
        self.number = number
        self.moves = moves
        self.stats = stats
        self.freedPages = freedPages
        self.planningSeconds = planningSeconds
        self.copySeconds = copySeconds
        self.completeSeconds = completeSeconds
        self.errors = errors
        self.metricsAfter = metricsAfter
    }

    public var elapsedSeconds: Double { planningSeconds + copySeconds + completeSeconds }
}

/// What the engine decided in one pass, per allocation it looked at.
public struct PassDecisions: Hashable, Sendable {
    /// An allocation of a pool.
    public struct Key: Hashable, Sendable {
        public var pool: String
        public var id: Int
        public init(pool: String, id: Int) { self.pool = pool; self.id = id }
    }
    /// The decision for each allocation looked at (`moved` if a move was collected for it). Emptied, with
    /// ``largestFreeRangeBefore``, once the pass is older than ``passesKeptInDetail``
    /// (``hasDetails`` false then); the counts stay.
    public var byAllocation: [Key: AllocationDecision] { didSet { counted = nil } }
    /// The largest free range of each page (`Key.id`: the page's id) when the pass began.
    public var largestFreeRangeBefore: [Key: Int]
    /// The newest passes of a session that keep their per-allocation decisions (for why-lists).
    public static let passesKeptInDetail = 16
    /// Whether the per-allocation decisions are still kept.
    public private(set) var hasDetails = true
    private var counted: [AllocationDecision: Int]?

    public init(byAllocation: [Key: AllocationDecision] = [:], largestFreeRangeBefore: [Key: Int] = [:]) {
        self.byAllocation = byAllocation
        self.largestFreeRangeBefore = largestFreeRangeBefore
    }

    /// Allocations per decision.
    public var counts: [AllocationDecision: Int] {
        if let counted { return counted }
        var counts: [AllocationDecision: Int] = [:]
        for decision in byAllocation.values { counts[decision, default: 0] += 1 }
        return counts
    }

    /// Keeps the counts and drops the per-allocation decisions and free ranges.
    public mutating func dropDetails() {
        let kept = counts
        byAllocation = [:]
        largestFreeRangeBefore = [:]
        counted = kept
        hasDetails = false
    }

    /// Allocations the engine looked at: the moves plus those not moved.
    public var considered: Int { counts.values.reduce(0, +) }
    /// Allocations not moved, by reason (reasons with none left out).
    public var notMoved: [AllocationDecision: Int] { counts.filter { $0.key != .moved } }
    /// Allocations a move was collected for.
    public var moved: Int { counts[.moved] ?? 0 }
}

/// Where in a pass the device failed.
public enum PassStage: String, Hashable, Sendable, CustomStringConvertible {
    /// Collecting: the pool could not bind a move's destination (the move was not made).
    case bindDestination = "binding the destination"
    /// Copying the bytes of the move to its destination.
    case copy = "copying"
    /// Completing: the allocation could not be bound at its destination (the move was undone).
    case rebind = "rebinding"
    /// Reading bytes back to verify them.
    case verify = "verifying"

    public var description: String { rawValue }
}

/// One thing that failed in a pass. Handler refusals and device failures leave the allocation where it was
/// and the rest of the pass completes; a verification failure means bytes or metadata are wrong after the
/// pass (``DefragSession/step()`` also throws it).
public enum PassError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The consumer's handler refused the move of allocation `id` (an injected fault): it stayed where it
    /// was. `reason` names the allocation.
    case handlerRefused(id: Int, pool: String, reason: String)
    /// The device failed for the move of allocation `id` at `stage`: it stayed where it was (see
    /// ``PassStage``). `id` is nil when the failure names no one allocation.
    case device(id: Int?, pool: String, stage: PassStage, reason: String)
    /// The engine or the pool was handed something it cannot use (an allocation's alignment the page
    /// refuses, a move that is not the pool's): a caller's mistake, not the device's.
    case invalidRequest(id: Int?, pool: String, reason: String)
    /// Bytes or metadata are wrong after the pass.
    case verification(pool: String, reason: String)

    public var description: String {
        switch self {
        case .handlerRefused(_, let pool, let reason): return "\(pool): \(reason)"
        case .device(let id, let pool, let stage, let reason):
            return "\(pool): " + (id.map { "allocation \($0): " } ?? "") + "device failure while \(stage): \(reason)"
        case .invalidRequest(let id, let pool, let reason):
            return "\(pool): " + (id.map { "allocation \($0): " } ?? "") + "invalid request: \(reason)"
        case .verification(let pool, let reason): return "\(pool): \(reason)"
        }
    }

    /// Whether the pass went wrong beyond one move: bytes or metadata are wrong.
    public var isVerification: Bool { if case .verification = self { return true } else { return false } }
}
