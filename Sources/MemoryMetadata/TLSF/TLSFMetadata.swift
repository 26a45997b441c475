// Port of VMA's VmaBlockMetadata_TLSF (vk_mem_alloc.h), following the Go port memutils/metadata/tlsf.go
// of github.com/vkngwrapper/arsenal. Placement is VMA's for real (non-virtual) blocks: the same sequence
// of requests gives the same offsets as VMA.
//
// Regions are nodes in one array, linked by index: the physical list (by offset) and the per-size-class
// free lists. The "null block" is the untouched tail of the page; it is free but never in a free list.

/// Two-level segregated fit metadata for one page: random access, O(1) allocation and free.
public final class TLSFMetadata: BlockMetadata {
    static let smallBufferSize = 256
    static let secondLevelIndex = 5
    static let memoryClassShift = 7

    static let none: Int32 = -1
    
    /// Largest page (256 GiB): its memory class, 31, is the last the 32-bit class bitmap has (VMA's
    /// bitmap is 32 bits too, so VMA has the same limit without checking it); node offsets and sizes have
    /// 40 bits.
    public static let maxPageSize = 1 << 38
    /// Most nodes a page can have (allocations, free ranges and the tail): node links are 24 bits holding
    /// the index plus one.
    public static let maxNodeCount = (1 << 24) - 1

    /// One region in 24 bytes, three words: node storage is most of the metadata (two nodes per allocation
    /// on a fragmented page), and smaller nodes also mean fewer cache misses on the hot paths.
    ///
    /// - word 0: offset (bits 0-39), previous physical node (40-63);
    /// - word 1: size (0-39), next physical node (40-63);
    /// - word 2: taken (bit 0), live (1), type (2-4), generation (5-15), and then, as in VMA, storage a free
    ///   range uses for its list links (previous 16-39, next 40-63) and an allocation for its user data
    ///   (16-63, signed; larger values are kept aside by the metadata, see ``TLSFMetadata/largeUserData``).
    ///
    /// Node links are 24 bits holding the index plus one, so 0 is none (-1).
    struct Node {
        private var w0: UInt64
        private var w1: UInt64
        private var w2: UInt64

        static let low40: UInt64 = (1 << 40) - 1
        static let linkMask: UInt64 = 0xFF_FFFF
        static let takenBit: UInt64 = 1
        static let liveBit: UInt64 = 2
        static let typeShift: UInt64 = 2, typeMask: UInt64 = 0x7 << 2
        static let generationShift: UInt64 = 5, generationBits: UInt32 = 11
        static let flagsMask: UInt64 = 0xFFFF
        /// Inline user data is 48 bits, signed; this value (the lowest) says the real one is kept aside.
        static let userDataAside = -(1 << 47)

        init(offset: Int, size: Int) {
            // Every link none, live, free.
            w0 = UInt64(offset)
            w1 = UInt64(size)
            w2 = Self.liveBit | UInt64(SuballocationType.free.rawValue) << Self.typeShift
        }

        @inline(__always) static func link(_ w: UInt64, _ shift: UInt64) -> Int32 {
            Int32(truncatingIfNeeded: (w >> shift) & linkMask) &- 1
        }
        @inline(__always) static func withLink(_ w: UInt64, _ shift: UInt64, _ v: Int32) -> UInt64 {
            (w & ~(linkMask << shift)) | UInt64(UInt32(bitPattern: v &+ 1)) << shift
        }

        var offset: Int {
            @inline(__always) get { Int(w0 & Self.low40) }
            @inline(__always) set { w0 = (w0 & ~Self.low40) | UInt64(newValue) }
        }

        var size: Int {
            @inline(__always) get { Int(w1 & Self.low40) }
            @inline(__always) set { w1 = (w1 & ~Self.low40) | UInt64(newValue) }
        }

        var prevPhysical: Int32 {
            @inline(__always) get { Self.link(w0, 40) }
            @inline(__always) set { w0 = Self.withLink(w0, 40, newValue) }
        }

        var nextPhysical: Int32 {
            @inline(__always) get { Self.link(w1, 40) }
            @inline(__always) set { w1 = Self.withLink(w1, 40, newValue) }
        }

        /// Taken: an allocation, or a free node that was removed from its list (VMA's MarkTaken).
        var taken: Bool {
            @inline(__always) get { w2 & Self.takenBit != 0 }
            @inline(__always) set { w2 = newValue ? w2 | Self.takenBit : w2 & ~Self.takenBit }
        }

        /// Whether the node is in use at all (not released, waiting on the chain for reuse).
        var live: Bool {
            @inline(__always) get { w2 & Self.liveBit != 0 }
            @inline(__always) set { w2 = newValue ? w2 | Self.liveBit : w2 & ~Self.liveBit }
        }

        var type: SuballocationType {
            get { SuballocationType(rawValue: UInt8(truncatingIfNeeded: (w2 & Self.typeMask) >> Self.typeShift)) ?? .unknown }
            set { w2 = (w2 & ~Self.typeMask) | (UInt64(newValue.rawValue) << Self.typeShift) }
        }

        /// Bumped whenever the node stops being what a handle named; handles carry it (11 bits, wrapping).
        var generation: UInt32 {
            @inline(__always) get { UInt32(truncatingIfNeeded: (w2 & Self.flagsMask) >> Self.generationShift) }
            @inline(__always) set {
                let g = UInt64(newValue & ((1 << Self.generationBits) - 1)) << Self.generationShift
                w2 = (w2 & ~(Self.flagsMask & ~((1 << Self.generationShift) - 1))) | g
            }
        }

        /// The previous range in a free list (free ranges only).
        var prevFree: Int32 {
            @inline(__always) get { Self.link(w2, 16) }
            @inline(__always) set { w2 = Self.withLink(w2, 16, newValue) }
        }

        /// The next range in a free list (free ranges), or on the chain of released nodes.
        var nextFree: Int32 {
            @inline(__always) get { Self.link(w2, 40) }
            @inline(__always) set { w2 = Self.withLink(w2, 40, newValue) }
        }

        /// The user data as stored (allocations only): ``userDataAside`` when the metadata keeps it aside.
        var inlineUserData: Int {
            @inline(__always) get { Int(Int64(bitPattern: w2) >> 16) }
            @inline(__always) set { w2 = (w2 & Self.flagsMask) | UInt64(bitPattern: Int64(newValue)) << 16 }
        }

        static func fitsInline(_ userData: Int) -> Bool { userData > userDataAside && userData < 1 << 47 }

        /// Marks the node released (a new generation) and chains it before `chain`.
        @inline(__always)
        mutating func release(onto chain: Int32) {
            live = false
            generation &+= 1
            nextFree = chain
        }
    }

    /// A non-empty free list in one word: its first range (bits 0-23: the node index plus one, as node
    /// links), and what its failed scans taught (bits 24-63: a byte per column of ``failExponents``, 0 when
    /// nothing is known, otherwise a code for a request size from which a scan of the whole list is sure
    /// to find nothing at that column's alignment; see ``failThreshold(_:_:_:column:)``).
    struct ListEntry {
        private var bits: UInt64

        init(head: Int32) { bits = UInt64(UInt32(bitPattern: head &+ 1)) }

        var head: Int32 {
            @inline(__always) get { Int32(truncatingIfNeeded: bits & Node.linkMask) &- 1 }
            @inline(__always) set { bits = bits & ~Node.linkMask | UInt64(UInt32(bitPattern: newValue &+ 1)) }
        }

        /// The threshold codes, column k in bits 8k-8k+7.
        var failCodes: UInt64 {
            @inline(__always) get { bits >> 24 }
            @inline(__always) set { bits = bits & Node.linkMask | newValue << 24 }
        }
    }

    /// The metadata's tables index themselves by their own links and counts: checked in debug builds.
    typealias Table<Element: BitwiseCopyable> = OwnedBuffer<Element, DebugChecked>

    // The stored properties below are `@exclusivity(unchecked)`: a class's stored property is otherwise
    // checked at run time for overlapping accesses, a runtime call around every read and write of it, which
    // tripled the instructions of a replay. Sound here because no access overlaps another of the same
    // property: each is a load, a store or an element access through ``OwnedBuffer``'s addressors
    // (nonmutating), and the methods that mutate a property in place (`offsetIndex!.insert`, a buffer's
    // `insert`) call nothing that reaches the same property.

    public let size: Int
    @exclusivity(unchecked) var nodes = Table(repeating: Node(offset: 0, size: 0), count: 0)
    /// Released nodes, chained through their `link` (-1: none), reused last released first.
    @exclusivity(unchecked) var recycledHead: Int32 = -1
    /// The non-empty free lists only, in list order. A page has hundreds of lists (549 for 32 MiB) and a
    /// sparse page uses a few dozen: one entry per list would be most of its metadata. A list's entry is
    /// at its rank: the non-empty lists of the classes below (``classBase``) and those of its own class
    /// below it (set bits of its inner bitmap).
    @exclusivity(unchecked) var lists = Table(repeating: ListEntry(head: -1), count: 0)
    /// Per memory class: how many non-empty lists the classes below it have, four classes (16 bits each)
    /// per word, so that a list that empties or gets its first range updates the classes above in a few
    /// additions.
    @exclusivity(unchecked) var classBase: Table<UInt64>
    @exclusivity(unchecked) var innerIsFreeBitmap: Table<UInt32>
    @exclusivity(unchecked) var isFreeBitmap: UInt32 = 0
    @exclusivity(unchecked) var listsCount = 0
    @exclusivity(unchecked) var nullBlock: Int32 = -1
    /// The node at offset 0 (the first in the physical list).
    @exclusivity(unchecked) var headBlock: Int32 = -1
    @exclusivity(unchecked) var allocCount = 0
    @exclusivity(unchecked) var blocksFreeCount = 0
    @exclusivity(unchecked) var blocksFreeSize = 0
    @exclusivity(unchecked) var granularity: BufferImageGranularity
    /// Stamped on every handle this page issues, so another page's handles are refused; a new one when
    /// ``compact(reissue:)`` forgets the slots it cut off.
    @exclusivity(unchecked) var owner = OwnerTag.next()
    /// For slots that ``compact(reissue:)`` cut off the end of the node array, the generation the next
    /// node in each must take; the last entry is for the slot at `nodes.count`.
    @exclusivity(unchecked) var retiredGenerations: [UInt16] = []
    /// User data that does not fit a node's 48 bits, by node (rare: the pool stores slot indices).
    @exclusivity(unchecked) var largeUserData: [Int32: Int] = [:]
    /// Node storage limit (``maxNodeCount``; lower in tests).
    let nodeLimit: Int
    /// Free ranges by offset, built at the first min-offset request (see TLSFMetadata+OffsetIndex.swift).
    @exclusivity(unchecked) var offsetIndex: OffsetIndex?
    /// Runs of long free lists that earlier scans found to hold little (see TLSFMetadata+SkipStretches.swift).
    @exclusivity(unchecked) var skipStretches = Table<SkipStretch>(capacity: 0)
    /// A bit per node, set for every stretch's `first` and `end` (and perhaps for a node that was one).
    @exclusivity(unchecked) var skipStretchMarks = Table<UInt64>(capacity: 0)
    /// A lower cap on the stretches, for tests that fill the table with a small workload.
    var skipStretchCapForTests: Int?
    /// What failed list scans taught. Without granularity, a range holds a request exactly when the
    /// request fits in the range's bytes after alignment padding, so a list fails for every size above the
    /// most any of its ranges holds at that alignment: a failed scan measures that maximum, a range joining
    /// or growing raises it, a range leaving keeps it an upper bound. A scan that fails changes nothing, so
    /// a request at or above the threshold skips the list and gets VMA's answer. Never used with
    /// granularity tracking (conflicts depend on the type).
    ///
    /// The thresholds are kept per list and alignment, for the first ``failColumns`` alignments the page's
    /// scans fail with (workloads use a handful): byte k of this word holds log2(alignment) + 1 of column k
    /// (0: column unused).
    ///
    /// Invariant (checked by `validate()`): the used columns are the first ones, no list has a code in an
    /// unused column, none is kept on a page that tracks granularity, and no range of a list holds, after
    /// padding to a column's alignment, as much as the list's threshold for that column.
    @exclusivity(unchecked) var failExponents: UInt64 = 0
    static let failColumns = 5

    /// Per failed-scan column (alignment): the smallest size whose walk of the lists failed, and the list
    /// it walked after, plus one (see ``lastResortKnownToFail(_:_:from:)``), in one word (size in bits
    /// 0-39, list in 40-55; 0: none), valid while ``freeRangeVersion`` is ``lastResortVersion``.
    ///
    /// Invariant (checked by `validate()`): while valid, an entry (size s, list l + 1) is in a used column,
    /// no range of a list after l holds s bytes after padding to the column's alignment, and when l is -1
    /// (VMA's whole default search failed) the tail does not either.
    @exclusivity(unchecked) var lastResortFailures: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    @exclusivity(unchecked) var lastResortVersion = 0
    /// Counts free space appearing or growing (a free, a free range growing by an allocation's padding):
    /// what failed before may hold after. An allocation splitting a free range leaves it be: the padding
    /// and the rest are parts of that range, and a part holds nothing the whole did not.
    @exclusivity(unchecked) var freeRangeVersion = 0
    /// Counts every change of the page a caller could see: allocations, frees, user data, handles
    /// reissued, the page cleared, and a free range moved to the front of its list by a search (which
    /// changes where VMA's default search places the next request). See ``changeCounters``.
    @exclusivity(unchecked) var changeCount = 0

    /// - Parameters:
    ///   - size: bytes in the page.
    ///   - bufferImageGranularity: a power of two; 1 (the default) disables granularity handling.
    public convenience init(size: Int, bufferImageGranularity: Int = 1) {
        self.init(size: size, bufferImageGranularity: bufferImageGranularity, nodeLimit: Self.maxNodeCount)
    }

    init(size: Int, bufferImageGranularity: Int, nodeLimit: Int) {
        precondition(size > 0, "page size must be positive")
        precondition(nodeLimit >= 3 && nodeLimit <= Self.maxNodeCount, "node limit \(nodeLimit) is outside 3...\(Self.maxNodeCount)")
        self.nodeLimit = nodeLimit
        precondition(size <= Self.maxPageSize, "page size \(size) is above TLSF's limit of \(Self.maxPageSize) bytes")
        self.size = size
        self.granularity = BufferImageGranularity(granularity: bufferImageGranularity)
        granularity.initialize(size: size)
        let memoryClass = Self.sizeToMemoryClass(size)
        // No free range is larger than the page: the classes above its own stay empty, so they get no word.
        self.innerIsFreeBitmap = Table(repeating: 0, count: memoryClass + 1)
        self.classBase = Table(repeating: 0, count: memoryClass / 4 + 1)
        let sli = Self.sizeToSecondIndex(size, memoryClass)
        listsCount = (memoryClass == 0 ? 0 : (memoryClass - 1) * (1 << Self.secondLevelIndex) + sli) + 1 + 4
        nullBlock = makeNode(offset: 0, size: size)
        headBlock = nullBlock
    }

    public var supportsRandomAccess: Bool { true }
    public var allocationCount: Int { allocCount }
    public var freeRegionsCount: Int { blocksFreeCount + (nodes[Int(nullBlock)].size > 0 ? 1 : 0) }
    public var vmaFreeRegionsCount: Int { blocksFreeCount + 1 }
    public var sumFreeSize: Int { blocksFreeSize + nodes[Int(nullBlock)].size }
    public var isEmpty: Bool { nodes[Int(nullBlock)].offset == 0 }
    /// Bytes held by this metadata's arrays (node storage, free lists, bitmaps).
    public var footprintBytes: Int {
        nodes.capacity * MemoryLayout<Node>.stride + retiredGenerations.capacity * 2 + largeUserData.capacity * 16 + lists.capacity * MemoryLayout<ListEntry>.stride
            + classBase.capacity * 8 + innerIsFreeBitmap.capacity * 4 + (offsetIndex?.footprintBytes ?? 0)
            + skipStretches.capacity * MemoryLayout<SkipStretch>.stride + skipStretchMarks.capacity * 8
    }

    /// The granularity this page was made with.
    public var bufferImageGranularity: Int { granularity.granularity }

    // MARK: size classes
    
    @inline(__always)
    static func sizeToMemoryClass(_ size: Int) -> Int {
        if size > smallBufferSize {
            return (63 - size.leadingZeroBitCount) - memoryClassShift
        }
        return 0
    }
    
    @inline(__always)
    static func sizeToSecondIndex(_ size: Int, _ memoryClass: Int) -> Int {
        if memoryClass == 0 {
            return (size - 1) / 64
        }
        return (size >> (memoryClass + memoryClassShift - secondLevelIndex)) ^ (1 << secondLevelIndex)
    }
    
    @inline(__always)
    func listIndex(_ memoryClass: Int, _ secondIndex: Int) -> Int {
        if memoryClass == 0 { return secondIndex }
        return (memoryClass - 1) * (1 << Self.secondLevelIndex) + secondIndex + 4
    }
    
    @inline(__always)
    func listIndex(forSize size: Int) -> Int {
        let mc = Self.sizeToMemoryClass(size)
        return listIndex(mc, Self.sizeToSecondIndex(size, mc))
    }

    /// The memory class and second index of list `list`.
    @inline(__always)
    static func classAndSecond(ofList list: Int) -> (memoryClass: Int, second: Int) {
        list < 4 ? (0, list) : ((list - 4) >> secondLevelIndex + 1, (list - 4) & ((1 << secondLevelIndex) - 1))
    }

    /// How many non-empty lists the memory classes below `memoryClass` have (its lane of ``classBase``).
    @inline(__always)
    func listsBelow(_ memoryClass: Int) -> Int {
        Int(truncatingIfNeeded: classBase[memoryClass >> 2] >> UInt64((memoryClass & 3) * 16)) & 0xFFFF
    }

    /// Where the entry of list (`memoryClass`, `second`) is, or would be, in ``lists``.
    @inline(__always)
    func rank(_ memoryClass: Int, _ second: Int) -> Int {
        listsBelow(memoryClass) + (innerIsFreeBitmap[memoryClass] & ((1 << UInt32(second)) &- 1)).nonzeroBitCount
    }

    /// The entry of list `list` (which must be non-empty) in ``lists``.
    @inline(__always)
    func rank(ofList list: Int) -> Int {
        let (memoryClass, second) = Self.classAndSecond(ofList: list)
        return rank(memoryClass, second)
    }

    /// The first range of list `list`, or none (for the tests).
    func head(ofList list: Int) -> Int32 {
        let (memoryClass, second) = Self.classAndSecond(ofList: list)
        guard innerIsFreeBitmap[memoryClass] & (1 << UInt32(second)) != 0 else { return Self.none }
        return lists[rank(memoryClass, second)].head
    }

    // MARK: node storage
    
    func makeNode(offset: Int, size: Int) -> Int32 {
        if recycledHead != Self.none {
            let index = recycledHead, i = Int(index)
            recycledHead = nodes[i].nextFree
            let generation = nodes[i].generation
            nodes[i] = Node(offset: offset, size: size)
            nodes[i].generation = generation
            return index
        }
        precondition(nodes.count < nodeLimit, "TLSF: a page holds at most \(nodeLimit) nodes")
        if nodes.count == nodes.capacity { nodes.resize(to: min(nodeLimit, Self.grownNodeCapacity(nodes.count))) }
        var node = Node(offset: offset, size: size)
        // A slot that compaction cut off issued handles: the node taking it again starts past them.
        if let generation = retiredGenerations.popLast() { node.generation = UInt32(generation) }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }
    
    func releaseNode(_ index: Int32) {
        nodes[Int(index)].release(onto: recycledHead)
        recycledHead = index
    }
    
    @inline(__always)
    func handle(_ index: Int32) -> AllocationHandle {
        AllocationHandle(index: UInt32(index), generation: nodes[Int(index)].generation, owner: owner)
    }

    /// The node a handle names, if it is live.
    
    func node(_ handle: AllocationHandle) throws -> Int32 {
        let i = Int(handle.index)
        guard handle.owner == owner, i < nodes.count, nodes[i].live, nodes[i].generation == handle.generation else {
            throw MetadataError.unknownHandle(handle)
        }
        return Int32(i)
    }
    
    @inline(__always)
    func isFree(_ i: Int32) -> Bool { !nodes[Int(i)].taken }

    /// A live allocation's node.
    
    func allocationNode(_ handle: AllocationHandle) throws -> Int32 {
        let i = try node(handle)
        guard !isFree(i) else { throw MetadataError.notAnAllocation(handle) }
        return i
    }

    // MARK: queries

    public func offset(of handle: AllocationHandle) throws -> Int { nodes[Int(try node(handle))].offset }
    public func size(of handle: AllocationHandle) throws -> Int { nodes[Int(try node(handle))].size }
    public func userData(of handle: AllocationHandle) throws -> Int { userData(ofNode: try allocationNode(handle)) }

    public func setUserData(_ userData: Int, of handle: AllocationHandle) throws {
        setUserData(userData, ofNode: try allocationNode(handle))
        changeCount &+= 1
    }

    /// An allocation node's user data.
    @inline(__always)
    func userData(ofNode i: Int32) -> Int {
        let stored = nodes[Int(i)].inlineUserData
        return stored == Node.userDataAside ? largeUserData[i]! : stored
    }

    /// Sets an allocation node's user data, keeping it aside when it does not fit 48 bits.
    @inline(__always)
    func setUserData(_ userData: Int, ofNode i: Int32) {
        if nodes[Int(i)].inlineUserData == Node.userDataAside { largeUserData[i] = nil }
        nodes[Int(i)].inlineUserData = storedUserData(userData, ofNode: i)
    }

    /// What node `i` stores for `userData`: the value itself, or ``Node/userDataAside`` with the value
    /// kept in ``largeUserData``.
    @inline(__always)
    func storedUserData(_ userData: Int, ofNode i: Int32) -> Int {
        if Node.fitsInline(userData) { return userData }
        largeUserData[i] = userData
        return Node.userDataAside
    }

    public func allocationListBegin() throws -> AllocationHandle? {
        if allocCount == 0 { return nil }
        var b = nodes[Int(nullBlock)].prevPhysical
        while b != Self.none {
            if !isFree(b) { return handle(b) }
            b = nodes[Int(b)].prevPhysical
        }
        preconditionFailure("TLSF: allocation count is \(allocCount) but no allocation was found")
    }

    public func nextAllocation(after handle: AllocationHandle) throws -> AllocationHandle? {
        let start = try allocationNode(handle)
        var b = nodes[Int(start)].prevPhysical
        while b != Self.none {
            if !isFree(b) { return self.handle(b) }
            b = nodes[Int(b)].prevPhysical
        }
        return nil
    }

    public func nextFreeRegionSize(after handle: AllocationHandle) throws -> Int {
        let b = try allocationNode(handle)
        let prev = nodes[Int(b)].prevPhysical
        if prev != Self.none { return isFree(prev) ? nodes[Int(prev)].size : 0 }
        return 0
    }

    public func mayHaveFreeBlock(type: SuballocationType, size: Int) -> Bool {
        if nodes[Int(nullBlock)].size >= size { return true }
        if size > blocksFreeSize { return false }
        var rounded = size, alignment = 1
        granularity.roundUp(type: type, size: &rounded, alignment: &alignment)
        let memoryClass = Self.sizeToMemoryClass(rounded)
        return isFreeBitmap & (UInt32.max << UInt32(memoryClass)) != 0
    }

    public func visitAllRegions(_ body: (Region) throws -> Void) rethrows {
        // An empty tail (the page ends with an allocation) is no range; VMA's detailed map skips it too.
        var b = nodes[Int(nullBlock)].size > 0 ? nullBlock : nodes[Int(nullBlock)].prevPhysical
        while b != Self.none {
            let n = nodes[Int(b)]
            try body(Region(handle: handle(b), offset: n.offset, size: n.size, userData: n.taken ? userData(ofNode: b) : 0,
                            type: n.taken ? n.type : .free, isFree: !n.taken))
            b = n.prevPhysical
        }
    }

    public func addStatistics(_ stats: inout Statistics) {
        stats.blockCount += 1
        stats.allocationCount += allocCount
        stats.blockBytes += size
        stats.allocationBytes += size - sumFreeSize
    }

    public func addDetailedStatistics(_ stats: inout DetailedStatistics) {
        stats.statistics.blockCount += 1
        stats.statistics.blockBytes += size
        if nodes[Int(nullBlock)].size > 0 { stats.addUnusedRange(nodes[Int(nullBlock)].size) }
        var b = nodes[Int(nullBlock)].prevPhysical
        while b != Self.none {
            let n = nodes[Int(b)]
            if n.taken { stats.addAllocation(n.size) } else { stats.addUnusedRange(n.size) }
            b = n.prevPhysical
        }
    }

    public func clear() {
        // Release every node rather than forgetting them, so generations keep growing and handles
        // issued before the clear stay refused.
        for i in nodes.indices where nodes[i].live { releaseNode(Int32(i)) }
        lists.removeAll()
        for i in innerIsFreeBitmap.indices { innerIsFreeBitmap[i] = 0 }
        for i in classBase.indices { classBase[i] = 0 }
        isFreeBitmap = 0
        allocCount = 0
        blocksFreeCount = 0
        blocksFreeSize = 0
        granularity.clear()
        largeUserData = [:]
        failExponents = 0
        freeRangeVersion &+= 1
        changeCount &+= 1
        offsetIndex = nil
        skipStretches.removeAll()
        skipStretchMarks.removeAll()
        nullBlock = makeNode(offset: 0, size: size)
        headBlock = nullBlock
    }

    // MARK: free lists

    /// List (`memoryClass`, `second`) gets its first range: its entry goes in at its rank.
    func addList(_ memoryClass: Int, _ second: Int, head: Int32) {
        // Grow by an eighth rather than doubling (a sparse page has a few dozen non-empty lists).
        lists.insert(ListEntry(head: head), at: rank(memoryClass, second)) { $0 + $0 / 8 + 2 }
        bumpClassBase(above: memoryClass, up: true)
        innerIsFreeBitmap[memoryClass] |= UInt32(1) << UInt32(second)
        isFreeBitmap |= UInt32(1) << UInt32(memoryClass)
    }

    /// List (`memoryClass`, `second`), at rank `r`, lost its last range: its entry goes, and with it what
    /// its failed scans taught (an empty list fails everything; a range joining later starts afresh).
    func dropList(_ memoryClass: Int, _ second: Int, at r: Int) {
        lists.remove(at: r)
        if !skipStretches.isEmpty { dropSkipStretches(ofList: listIndex(memoryClass, second)) }
        // Give back storage when a quarter of it is unused (a page busy earlier keeps its high-water mark
        // otherwise); the growth room keeps this from happening on every change.
        if lists.capacity > 8 && lists.count * 4 < lists.capacity * 3 { lists.resize(to: lists.count + lists.count / 8 + 2) }
        bumpClassBase(above: memoryClass, up: false)
        innerIsFreeBitmap[memoryClass] &= ~(UInt32(1) << UInt32(second))
        if innerIsFreeBitmap[memoryClass] == 0 {
            isFreeBitmap &= ~(UInt32(1) << UInt32(memoryClass))
        }
    }

    /// Adds one to (`up`) or takes one from the count of every memory class above `memoryClass` (no count
    /// leaves 0...65535, a page has fewer lists: no carry or borrow crosses into the next class).
    @inline(__always)
    func bumpClassBase(above memoryClass: Int, up: Bool) {
        let lanes: UInt64 = 0x0001_0001_0001_0001
        let first = memoryClass + 1
        var w = first >> 2
        guard w < classBase.count else { return }
        // The first word's lanes from `first` on.
        let keep = UInt64((first & 3) * 16)
        let partial = (lanes >> keep) << keep
        if up { classBase[w] &+= partial } else { classBase[w] &-= partial }
        w += 1
        while w < classBase.count {
            if up { classBase[w] &+= lanes } else { classBase[w] &-= lanes }
            w += 1
        }
    }

    func removeFreeBlock(_ block: Int32) {
        precondition(block != nullBlock, "TLSF: cannot remove the null block from a free list")
        precondition(isFree(block), "TLSF: block at offset \(nodes[Int(block)].offset) is not free")
        let b = Int(block)
        if offsetIndex != nil { indexRemove(block) }
        if !skipStretches.isEmpty { skipStretchesLose(block) }
        let next = nodes[b].nextFree, prev = nodes[b].prevFree, size = nodes[b].size
        if next != Self.none { nodes[Int(next)].prevFree = prev }
        if prev != Self.none { nodes[Int(prev)].nextFree = next }
        nodes[b].taken = true
        nodes[b].inlineUserData = 0
        if prev == Self.none {
            let memClass = Self.sizeToMemoryClass(size)
            let secondIndex = Self.sizeToSecondIndex(size, memClass)
            let r = rank(memClass, secondIndex)
            precondition(innerIsFreeBitmap[memClass] & (1 << UInt32(secondIndex)) != 0 && lists[r].head == block,
                         "TLSF: free block at offset \(nodes[b].offset) is not at the head of its list")
            if next != Self.none { lists[r].head = next } else { dropList(memClass, secondIndex, at: r) }
        }
        blocksFreeCount -= 1
        blocksFreeSize -= size
    }

    func insertFreeBlock(_ block: Int32) {
        precondition(block != nullBlock, "TLSF: cannot insert the null block into a free list")
        precondition(!isFree(block), "TLSF: block at offset \(nodes[Int(block)].offset) is already free")
        let b = Int(block), size = nodes[b].size
        let memClass = Self.sizeToMemoryClass(size)
        let secondIndex = Self.sizeToSecondIndex(size, memClass)
        precondition(listIndex(memClass, secondIndex) < listsCount, "TLSF: free list index \(listIndex(memClass, secondIndex)) out of range")
        var next = Self.none
        if innerIsFreeBitmap[memClass] & (1 << UInt32(secondIndex)) != 0 {
            let r = rank(memClass, secondIndex)
            next = lists[r].head
            lists[r].head = block
            raiseFailThresholds(r, memClass, secondIndex, block)
        } else {
            addList(memClass, secondIndex, head: block)
        }
        nodes[b].prevFree = Self.none
        nodes[b].nextFree = next
        nodes[b].taken = false
        nodes[b].type = .free
        if next != Self.none { nodes[Int(next)].prevFree = block }
        blocksFreeCount += 1
        blocksFreeSize += size
        if offsetIndex != nil { indexInsert(block) }
    }

    /// Merges `prev` (physically just before `block`, not in a free list) into `block`.
    
    func mergeBlock(_ block: Int32, _ prev: Int32) {
        let b = Int(block), p = Int(prev)
        precondition(nodes[b].prevPhysical == prev, "TLSF: cannot merge separate physical regions")
        precondition(!isFree(prev), "TLSF: cannot merge a block that is in a free list")
        nodes[b].offset = nodes[p].offset
        nodes[b].size += nodes[p].size
        let pp = nodes[p].prevPhysical
        nodes[b].prevPhysical = pp
        if pp != Self.none { nodes[Int(pp)].nextPhysical = block } else { headBlock = block }
        releaseNode(prev)
    }
    
    // MARK: failed scans

    /// One more than the largest range list (`memoryClass`, `second`) can hold: the most one of its ranges
    /// holds after padding is below it, and so is every threshold it has, plus one.
    @inline(__always)
    static func listTop(_ memoryClass: Int, _ second: Int) -> Int {
        memoryClass == 0 ? (second + 1) * 64 + 1 : ((1 << secondLevelIndex) + second + 1) << (memoryClass + memoryClassShift - secondLevelIndex)
    }

    /// Thresholds are stored in a byte, spread over the sizes a threshold of the list can be: code c
    /// (1...255) stands for 1 + (c - 1) / 254 of (top - 1), rounded up, so 1 for 1 and the top for 255,
    /// and a threshold gets the smallest code standing for it or more (rounding up keeps "sure to fail"
    /// true; a request just below a rounded threshold is scanned and fails, as without the memory).
    /// Precision: 1/254 of the list's top.
    @inline(__always)
    static func decodeFailThreshold(_ code: UInt64, top: Int) -> Int {
        1 + ((Int(truncatingIfNeeded: code) - 1) * (top - 1) + 253) / 254
    }

    static func encodeFailThreshold(_ threshold: Int, top: Int) -> UInt64 {
        precondition(threshold >= 1 && threshold <= top, "TLSF: threshold \(threshold) outside 1...\(top)")
        // The exact quotient, then a step either way for the rounding of the decoding.
        var code = UInt64(1 + (254 * (threshold - 1) + top - 2) / (top - 1))
        while code > 1 && decodeFailThreshold(code - 1, top: top) >= threshold { code -= 1 }
        while decodeFailThreshold(code, top: top) < threshold { code += 1 }
        return code
    }

    /// The column of alignment 2^`exponent` in ``ListEntry/failCodes``, or -1.
    @inline(__always)
    func failColumn(_ exponent: Int) -> Int {
        let x = failExponents ^ (UInt64(truncatingIfNeeded: exponent + 1) &* 0x0101_0101_0101_0101)
        // A zero byte of x is the column (the lowest flagged byte is exact; unused columns are 0, never
        // equal to exponent + 1).
        let zero = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
        return zero == 0 ? -1 : zero.trailingZeroBitCount >> 3
    }

    /// The size from which list (`memoryClass`, `second`), at rank `r`, is known to fail at the alignment
    /// of `column` (nil: not known).
    @inline(__always)
    func failThreshold(_ r: Int, _ memoryClass: Int, _ second: Int, column: Int) -> Int? {
        guard column >= 0 else { return nil }
        let code = (lists[r].failCodes >> UInt64(column * 8)) & 0xFF
        if code == 0 { return nil }
        return Self.decodeFailThreshold(code, top: Self.listTop(memoryClass, second))
    }

    /// Range `block` joined list (`memoryClass`, `second`), at rank `r`, or grew in it: each known
    /// threshold rises above what the range holds.
    func raiseFailThresholds(_ r: Int, _ memoryClass: Int, _ second: Int, _ block: Int32) {
        var codes = lists[r].failCodes
        guard codes != 0 else { return }
        let offset = nodes[Int(block)].offset, size = nodes[Int(block)].size
        let top = Self.listTop(memoryClass, second)
        var known = codes
        while known != 0 {
            let shift = UInt64(known.trailingZeroBitCount & ~7)
            known &= ~(0xFF << shift)
            let exponent = Int(truncatingIfNeeded: (failExponents >> shift) & 0xFF) - 1
            let mask = (1 << exponent) - 1
            let holds = size - (((offset + mask) & ~mask) - offset)
            if holds >= Self.decodeFailThreshold((codes >> shift) & 0xFF, top: top) {
                codes = codes & ~(0xFF << shift) | Self.encodeFailThreshold(holds + 1, top: top) << shift
            }
        }
        lists[r].failCodes = codes
    }

    /// Whether a scan of `list` is known to fail for this size and alignment exponent (what the tests
    /// ask; the searches read ``failThreshold(_:_:_:column:)`` with the entry at hand).
    func knownToFail(_ list: Int, _ size: Int, _ exponent: Int) -> Bool {
        let (memoryClass, second) = Self.classAndSecond(ofList: list)
        guard innerIsFreeBitmap[memoryClass] & (1 << UInt32(second)) != 0,
              let threshold = failThreshold(rank(memoryClass, second), memoryClass, second, column: failColumn(exponent)) else { return false }
        return size >= threshold
    }

    /// Remembers that a scan of list (`memoryClass`, `second`), at rank `r`, failed for requests above
    /// `threshold` - 1 at this alignment exponent (`threshold`: one more than the most any of its ranges
    /// holds). A page whose columns are all taken by other alignments does not remember it.
    func rememberFailure(_ r: Int, _ memoryClass: Int, _ second: Int, _ threshold: Int, _ exponent: Int) {
        let column = claimFailColumn(exponent)
        guard column >= 0 else { return }
        let shift = UInt64(column * 8)
        let code = Self.encodeFailThreshold(threshold, top: Self.listTop(memoryClass, second))
        lists[r].failCodes = lists[r].failCodes & ~(0xFF << shift) | code << shift
    }

    /// The tail or the top of the highest non-empty free list, whichever is larger: no free range is larger
    /// (`validate()` checks every range against it).
    public var largestFreeRangeBound: Int { max(nodes[Int(nullBlock)].size, largestListedFreeSizeBound) }

    public var changeCounters: MetadataChangeCounters? { MetadataChangeCounters(growth: freeRangeVersion, changes: changeCount) }

    /// An upper bound of the largest range in the free lists: the largest size the highest non-empty list
    /// can hold (0 when the lists are empty).
    var largestListedFreeSizeBound: Int {
        if isFreeBitmap == 0 { return 0 }
        let memoryClass = 31 - isFreeBitmap.leadingZeroBitCount
        return Self.listTop(memoryClass, 31 - innerIsFreeBitmap[memoryClass].leadingZeroBitCount) - 1
    }

    func findFreeBlock(_ size: Int) -> (block: Int32, listIndex: Int, rank: Int)? {
        var memoryClass = Self.sizeToMemoryClass(size)
        if memoryClass >= innerIsFreeBitmap.count { return nil } // larger than the page
        let shift = Self.sizeToSecondIndex(size, memoryClass)
        var innerFreeMap = shift >= 32 ? 0 : innerIsFreeBitmap[memoryClass] & (UInt32.max << UInt32(shift))
        if innerFreeMap == 0 {
            let freeMap = memoryClass + 1 >= 32 ? 0 : isFreeBitmap & (UInt32.max << UInt32(memoryClass + 1))
            if freeMap == 0 { return nil }
            memoryClass = freeMap.trailingZeroBitCount
            innerFreeMap = innerIsFreeBitmap[memoryClass]
            precondition(innerFreeMap != 0, "TLSF: free bitmap is inconsistent")
        }
        let second = innerFreeMap.trailingZeroBitCount
        let r = rank(memoryClass, second)
        return (lists[r].head, listIndex(memoryClass, second), r)
    }
}
