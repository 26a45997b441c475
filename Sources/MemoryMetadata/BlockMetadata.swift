// Port of memutils/metadata (metadata.go, alloc_request.go, strategy.go, suballocation.go) from
// github.com/vkngwrapper/arsenal, itself a port of VMA's VmaBlockMetadata.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Identifies one region (an allocation or a free range) inside one page's metadata.
///
/// Handles are indices into storage the metadata owns, never object pointers. The generation makes a
/// handle to a region that has since been freed, merged away or reused detectable, and the owner makes a
/// handle from another metadata detectable: such handles are refused with
/// ``MetadataError/unknownHandle(_:)``.
public struct AllocationHandle: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public let index: UInt32
    public let generation: UInt32
    /// The metadata instance that issued the handle (unique per instance in a process); 0 for none.
    public let owner: UInt32

    @inlinable
    public init(index: UInt32, generation: UInt32, owner: UInt32 = 0) {
        self.index = index
        self.generation = generation
        self.owner = owner
    }

    public var description: String { "#\(index).\(generation)" }
}

/// Hands out the ``AllocationHandle/owner`` tags: one per metadata instance, never 0.
enum OwnerTag {
    private static let source = TagSource()
    static func next() -> UInt32 { source.take() }

    /// A counter behind a mutex: pages are created from any thread (tests run in parallel).
    private final class TagSource: @unchecked Sendable {
        private let mutex: UnsafeMutablePointer<pthread_mutex_t>
        private var next: UInt32 = 1
        init() {
            mutex = .allocate(capacity: 1)
            pthread_mutex_init(mutex, nil)
        }
        func take() -> UInt32 {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            let tag = next
            next = next == UInt32.max ? 1 : next + 1
            return tag
        }
    }
}

/// What kind of resource a suballocation holds; it matters only for buffer/image granularity.
/// The raw values are VMA's `VmaSuballocationType`.
public enum SuballocationType: UInt8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    case free = 0
    case unknown = 1
    case buffer = 2
    case imageUnknown = 3
    case imageLinear = 4
    case imageOptimal = 5

    /// The names VMA's JSON dumps use (`VMA_SUBALLOCATION_TYPE_NAMES`).
    public var description: String {
        switch self {
        case .free: return "FREE"
        case .unknown: return "UNKNOWN"
        case .buffer: return "BUFFER"
        case .imageUnknown: return "IMAGE_UNKNOWN"
        case .imageLinear: return "IMAGE_LINEAR"
        case .imageOptimal: return "IMAGE_OPTIMAL"
        }
    }

    /// Whether two resource types placed in one granularity page conflict
    /// (VMA's `VmaIsBufferImageGranularityConflict`): a buffer or linear image next to an optimal image,
    /// and anything unknown, conservatively.
    @inlinable
    public static func granularityConflict(_ a: SuballocationType, _ b: SuballocationType) -> Bool {
        var t1 = a, t2 = b
        if t1.rawValue > t2.rawValue { swap(&t1, &t2) }
        switch t1 {
        case .free: return false
        case .unknown: return true
        case .buffer: return t2 == .imageUnknown || t2 == .imageOptimal
        case .imageUnknown: return t2 == .imageUnknown || t2 == .imageLinear || t2 == .imageOptimal
        case .imageLinear: return t2 == .imageOptimal
        case .imageOptimal: return false
        }
    }
}

/// How a metadata chooses among the free ranges that could hold a request. None set means VMA's default
/// (try the next larger size class, then the tail, then the request's own class).
public struct AllocationStrategy: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The smallest free range that fits, at some cost in time.
    public static let minMemory = AllocationStrategy(rawValue: 1 << 0)
    /// The first suitable range that is cheapest to find.
    public static let minTime = AllocationStrategy(rawValue: 1 << 1)
    /// The lowest offset that fits. Used by defragmentation to move an allocation lower in its page.
    public static let minOffset = AllocationStrategy(rawValue: 1 << 2)
    /// VMA's default placement.
    public static let `default`: AllocationStrategy = []
}

/// Which metadata made a request, and so which one may commit it.
public enum AllocationRequestKind: UInt8, Sendable {
    case tlsf
    case upperAddress
    case endOf1st
    case endOf2nd
}

/// Where and how a metadata would place an allocation; pass it to ``BlockMetadata/alloc(_:type:userData:)``.
public struct AllocationRequest: Hashable, Sendable {
    /// The free region the allocation will be carved from.
    public var handle: AllocationHandle
    /// The allocation's size, possibly rounded up from what was asked.
    public var size: Int
    /// The offset the allocation will get (aligned, granularity applied).
    public var offset: Int
    /// Which metadata kind produced the request.
    public var kind: AllocationRequestKind
    /// The type the caller passed to `createAllocationRequest`.
    public var type: SuballocationType

    public init(handle: AllocationHandle, size: Int, offset: Int, kind: AllocationRequestKind, type: SuballocationType) {
        self.handle = handle
        self.size = size
        self.offset = offset
        self.kind = kind
        self.type = type
    }
}

/// One region of a page, as ``BlockMetadata/visitAllRegions(_:)`` reports it.
public struct Region: Hashable, Sendable {
    public var handle: AllocationHandle
    public var offset: Int
    public var size: Int
    public var userData: Int
    public var type: SuballocationType
    public var isFree: Bool
}

/// Caller mistakes. "Does not fit" is not an error: requests return `nil` for it.
public enum MetadataError: Error, Equatable, CustomStringConvertible {
    /// The handle does not name a live region of this metadata.
    case unknownHandle(AllocationHandle)
    /// The handle names a free region where an allocation was required.
    case notAnAllocation(AllocationHandle)
    /// An alignment of zero or one that is not a power of two.
    case invalidAlignment(Int)
    /// A size below one byte.
    case invalidSize(Int)
    /// Upper-address allocation asked of a metadata that has a single tranche.
    case upperAddressNotSupported
    /// The request was made by a different kind of metadata, or is stale.
    case incompatibleRequest(String)
    /// The operation needs random access, which this metadata does not offer.
    case randomAccessNotSupported
    /// `validate()` found a broken invariant; the text names the offsets.
    case corrupted(String)

    public var description: String {
        switch self {
        case .unknownHandle(let h): return "unknown allocation handle \(h)"
        case .notAnAllocation(let h): return "handle \(h) names a free region, not an allocation"
        case .invalidAlignment(let a): return "alignment \(a) is not a power of two"
        case .invalidSize(let s): return "invalid allocation size \(s)"
        case .upperAddressNotSupported: return "upper-address allocations need the linear metadata"
        case .incompatibleRequest(let why): return "allocation request cannot be committed: \(why)"
        case .randomAccessNotSupported: return "this metadata does not support random access"
        case .corrupted(let why): return "metadata is corrupted: \(why)"
        }
    }
}

/// How one page of memory is carved into allocations and free ranges.
///
/// Ported from the Go `metadata.BlockMetadata` interface; each requirement keeps that contract.
/// Implementations are classes because the defragmentation engine and the pool share one instance per
/// page and mutate it in place.
public protocol BlockMetadata: AnyObject {
    /// The size in bytes of the page this metadata manages.
    var size: Int { get }
    /// Whether allocations may be placed anywhere in the page. TLSF does; the linear metadata does not,
    /// and the defragmentation engine refuses pages whose metadata returns `false`.
    var supportsRandomAccess: Bool { get }
    /// Checks every internal invariant; throws ``MetadataError/corrupted(_:)`` naming offsets if one is broken.
    func validate() throws
    /// Live suballocations: successful allocations minus successful frees.
    var allocationCount: Int { get }
    /// Distinct free ranges; adjacent free memory counts once.
    var freeRegionsCount: Int { get }
    /// VMA's count of free regions, used by the Balanced heuristic. TLSF counts its tail range even when
    /// it is empty; other metadata may answer ``freeRegionsCount``.
    var vmaFreeRegionsCount: Int { get }
    /// At least the size of the largest free range (never less): a request larger than this cannot fit.
    /// Callers use it to skip pages cheaply; ``sumFreeSize`` is always a valid answer.
    var largestFreeRangeBound: Int { get }
    /// Free bytes in the page.
    var sumFreeSize: Int { get }
    /// A fast check whether an allocation of `size` bytes might fit. Must never answer `false` when a
    /// fit exists (no false negatives); false positives are allowed.
    func mayHaveFreeBlock(type: SuballocationType, size: Int) -> Bool
    /// Whether the page has no live suballocation.
    var isEmpty: Bool { get }
    /// Calls `body` for every allocation and free range, from the highest offset to the lowest.
    func visitAllRegions(_ body: (Region) throws -> Void) rethrows
    /// The first allocation of the walk the engine uses (TLSF: the highest offset), or `nil` when empty.
    /// Throws ``MetadataError/randomAccessNotSupported`` when ``supportsRandomAccess`` is `false`.
    func allocationListBegin() throws -> AllocationHandle?
    /// The allocation after `handle` in the same walk, or `nil` at the end.
    /// Throws when `handle` is not a live allocation or random access is not supported.
    func nextAllocation(after handle: AllocationHandle) throws -> AllocationHandle?
    /// The size of the free range that follows `handle` in the walk (0 when an allocation follows).
    /// VMA's `GetNextFreeRegionSize`, used by Balanced.
    func nextFreeRegionSize(after handle: AllocationHandle) throws -> Int
    /// The offset of a live region, allocated or free.
    func offset(of handle: AllocationHandle) throws -> Int
    /// The size of a live region, allocated or free.
    func size(of handle: AllocationHandle) throws -> Int
    /// The user data of a live allocation.
    func userData(of handle: AllocationHandle) throws -> Int
    /// Replaces the user data of a live allocation.
    func setUserData(_ userData: Int, of handle: AllocationHandle) throws
    /// Adds this page's counts to `stats`.
    func addStatistics(_ stats: inout Statistics)
    /// Adds this page's counts, sizes and ranges to `stats`.
    func addDetailedStatistics(_ stats: inout DetailedStatistics)
    /// Frees every allocation at once and returns to the initial state.
    func clear()
    /// Where this metadata would place an allocation, or `nil` when it does not fit.
    ///
    /// - Parameters:
    ///   - size: bytes requested, at least 1.
    ///   - alignment: a power of two; the metadata may raise it, never lower it.
    ///   - upperAddress: allocate from the upper tranche of a double stack; metadata with one tranche throw.
    ///   - type: the resource type, for buffer/image granularity.
    ///   - strategy: which fitting range to prefer.
    ///   - maxOffset: with ``AllocationStrategy/minOffset``, free ranges starting at or above this offset
    ///     need not be considered. Pass `Int.max` for no limit.
    func createAllocationRequest(
        size: Int, alignment: Int, upperAddress: Bool, type: SuballocationType,
        strategy: AllocationStrategy, maxOffset: Int
    ) throws -> AllocationRequest?
    /// Commits a request made by this metadata and returns the new allocation's handle. Throws when the
    /// request is stale (its free range is gone, taken, or too small).
    @discardableResult
    func alloc(_ request: AllocationRequest, type: SuballocationType, userData: Int) throws -> AllocationHandle
    /// Frees a live allocation; its range merges with free neighbours.
    func free(_ handle: AllocationHandle) throws
    /// Counters for a caller that remembers answers while the page does not change (the defragmentation
    /// engine skips pages whose allocations cannot have a new answer); nil (the default): not kept.
    var changeCounters: MetadataChangeCounters? { get }
}

/// Two counters of one page that only move forward (wrapping). `growth` moves whenever a request that
/// failed might now fit (a range freed, joined or grown, the tail grown, the page cleared): while it
/// stands still, a request that found no room still finds none. `changes` moves with every change a
/// caller could see (allocations, frees, user data, reissued handles, a free range moved to the front of
/// its list by a search): while it stands still, every query answers as before and changes nothing.
public struct MetadataChangeCounters: Hashable, Sendable {
    public var growth: Int
    public var changes: Int

    @inlinable public init(growth: Int, changes: Int) {
        self.growth = growth
        self.changes = changes
    }
}

extension BlockMetadata {
    public var changeCounters: MetadataChangeCounters? { nil }
    public var vmaFreeRegionsCount: Int { freeRegionsCount }
    public var largestFreeRangeBound: Int { sumFreeSize }

    /// Every live allocation as (handle, offset, size, user data), ascending by offset.
    public func allocations() -> [Region] {
        var result: [Region] = []
        result.reserveCapacity(allocationCount)
        visitAllRegions { if !$0.isFree { result.append($0) } }
        return result.reversed()
    }
}

@inlinable
func isPowerOfTwo(_ value: Int) -> Bool { value > 0 && value & (value - 1) == 0 }

@inlinable
func alignUp(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) & ~(alignment - 1) }
