// Port of memutils/defrag/context.go (MetadataDefragContext) from github.com/vkngwrapper/arsenal, with the
// VMA 3.4 behaviour of VmaDefragmentationContext_T as a second dialect and VMA's Balanced and Extensive
// algorithms (vk_mem_alloc.h).
import MemoryMetadata

/// One defragmentation run over one block list: collect a pass of moves, let the consumer copy, complete
/// the pass; repeat until a pass collects nothing.
public final class MetadataDefragContext<List: BlockList> {
    public typealias Move = DefragmentationMove<List.Allocation, List.Metadata>
    public typealias MoveData = MoveAllocationData<List.Allocation, List.Metadata>
    /// Completes one move: for `.copy`, the allocation takes its destination and the source is freed;
    /// for `.ignore`, the destination is freed; for `.destroy`, both are freed.
    public typealias Handler = (Move) throws -> Void

    /// The algorithm of this run.
    public var algorithm: Algorithm
    /// Whose behaviour to reproduce.
    public let dialect: Dialect
    /// Called once per move by ``completePass(_:)``.
    public var handler: Handler
    /// The pool being defragmented.
    public let blockList: List
    /// Told, per pass, what was decided for each allocation looked at. An allocation may be reported more
    /// than once in a pass (extensive visits some twice; when the budget ends a pass, every allocation of the
    /// source pages is reported `budget` at the end): `moved` counts over all, else the first word. nil (the
    /// default): nothing is tracked. It only reads: the moves are the same with it on.
    public var observer: ((List.Allocation, AllocationDecision) -> Void)? { didSet { observing = observer != nil } }
    /// Whether ``observer`` is set: one byte the walk tests (reading the optional closure itself would
    /// retain and release it for every allocation).
    @usableFromInline @exclusivity(unchecked) var observing = false
    /// The reason the allocation being visited stays if no move is collected for it (observer only).
    @usableFromInline @exclusivity(unchecked) var visitDecision = AllocationDecision.noDestination
    /// The two movable pages with the largest free-range bounds when the pass began (observer only): a
    /// collect only takes free space, so no page can hold more later in the pass.
    @usableFromInline @exclusivity(unchecked) var largestBounds: [(page: Int, bound: Int)] = []

    // The run's state below is `@exclusivity(unchecked)`: run-time checks of overlapping accesses to a
    // class's stored properties doubled the instructions of planning. No access overlaps another of the
    // same property: the handler gets each move by value (the loop iterates a copy of `moves`), and the
    // block list never calls back into the context.

    /// The metadata user data that marks the temporary destinations of this context: no other live
    /// context has it, and negative, so it never collides with a pool's own user data; small enough for
    /// TLSF to keep in place.
    @inlinable public var sentinel: Int { _sentinel }
    @usableFromInline @exclusivity(unchecked) var _sentinel = -1

    /// Pages that answered `.ignore` are swapped to the front and never walked again in this run.
    @inlinable public var immovableBlockCount: Int { _immovableBlockCount }
    @usableFromInline @exclusivity(unchecked) var _immovableBlockCount = 0
    /// The same pages by identity. Extensive keeps them at the end of the list (as VMA does), and a lone
    /// page is compacted without the walk bounds, so every walk also skips these: an `ignore` answer that
    /// would be given again can never make a run repeat forever (VMA's extensive and one-page compaction can).
    @usableFromInline @exclusivity(unchecked) var immovablePages = Set<ObjectIdentifier>()
    /// The moves of the last ``collectMoves(_:)``.
    @inlinable public var moves: [Move] { _moves }
    @usableFromInline @exclusivity(unchecked) var _moves: [Move] = []
    /// What failed while collecting the last pass, the first failure of each allocation: the block list
    /// could not commit a destination the metadata offered (``DefragmentationError/commitFailed(page:size:underlying:)``,
    /// a device failure: the next page is tried, as VMA tries the next block when one is out of memory), or
    /// the metadata refused a request for an allocation as the block list described it
    /// (``DefragmentationError/requestRefused(page:size:underlying:)``, a block list's mistake: no other
    /// page is tried for it). The walk goes on with the other allocations. Empty in a healthy run; a
    /// failure is never taken for "does not fit".
    @inlinable public var collectFailures: [(allocation: List.Allocation, error: DefragmentationError)] { _collectFailures }
    @usableFromInline @exclusivity(unchecked) var _collectFailures: [(allocation: List.Allocation, error: DefragmentationError)] = []
    /// Whether the allocation being visited has a failure in ``collectFailures`` already.
    @usableFromInline @exclusivity(unchecked) var visitedAllocationFailed = false

    @inlinable func recordFailure(_ data: MoveData, _ error: DefragmentationError) {
        guard !visitedAllocationFailed else { return }
        visitedAllocationFailed = true
        _collectFailures.append((data.move.sourceAllocation, error))
    }

    /// Changes what the consumer wants done with move `index` of the last collect, before
    /// ``completePass(_:)`` (VMA: set `operation` in the pass's move array).
    @inlinable public func setOperation(_ operation: MoveOperation, forMoveAt index: Int) { _moves[index].operation = operation }

    // VMA keeps the count of budget skips across passes; the Go port resets it with every PassContext.
    @usableFromInline @exclusivity(unchecked) var carriedIgnoredAllocations = 0
    // Balanced: averages computed when the first pass starts (VMA never refreshes them).
    @usableFromInline @exclusivity(unchecked) var averageAllocationSize = Int.max
    @usableFromInline @exclusivity(unchecked) var averageFreeSize = 0
    // Extensive.
    @usableFromInline @exclusivity(unchecked) var extensive = ExtensiveState()
    // Optimal (Planner/).
    @usableFromInline @exclusivity(unchecked) var planner = PlannerState()
    // What earlier walks learned (``WalkMemory``); whether this pass uses it.
    @usableFromInline @exclusivity(unchecked) var walkMemory = WalkMemory()
    @usableFromInline @exclusivity(unchecked) var walkMemoryActive = false
    /// The allocations of the page being walked whole for the walk memory, in walk order, and their sizes.
    @usableFromInline @exclusivity(unchecked) var recordedHandles: [AllocationHandle] = []
    @usableFromInline @exclusivity(unchecked) var recordedSizes: [Int] = []

    /// Whether passes without a byte budget skip the allocations whose answer cannot have changed since
    /// an earlier walk (the walk memory); the moves are the same either way. On by default; off only to
    /// compare.
    public var remembersWalks = true
    /// Allocations this run did not visit again thanks to ``remembersWalks``.
    @inlinable public var visitsSkipped: Int { _visitsSkipped }
    @usableFromInline @exclusivity(unchecked) var _visitsSkipped = 0

    /// Makes a context for runs over `blockList`; call ``initialize()`` before each run.
    ///
    /// - Parameters:
    ///   - blockList: the pool to defragment.
    ///   - algorithm: nil means the dialect's default (memutils: full; vma: balanced).
    ///   - dialect: whose behaviour to reproduce where VMA and the Go port differ.
    ///   - handler: completes each move in ``completePass(_:)``.
    @inlinable public init(blockList: List, algorithm: Algorithm? = nil, dialect: Dialect = .memutils,
                handler: @escaping Handler) {
        self.blockList = blockList
        self.algorithm = algorithm ?? dialect.defaultAlgorithm
        self.dialect = dialect
        self.handler = handler
        // The object's address, which no other live context shares, over its 16-byte alignment: under 2^44
        // in any address space in use, so the sentinel fits the 48 bits of user data metadata keeps in
        // place (TLSF keeps larger values in a table aside: a lookup for every destination of a run).
        _sentinel = -1 - Int(bitPattern: UInt(bitPattern: ObjectIdentifier(self)) >> 4)
    }

    /// Prepares a fresh run (the seed's `Init`): every page must support random access.
    @inlinable public func initialize() throws {
        for index in 0..<blockList.blockCount where !blockList.metadata(forBlock: index).supportsRandomAccess {
            throw DefragmentationError.randomAccessNotSupported(page: index)
        }
        _immovableBlockCount = 0
        immovablePages.removeAll()
        _moves.removeAll()
        _collectFailures.removeAll()
        carriedIgnoredAllocations = 0
        averageAllocationSize = .max
        averageFreeSize = 0
        extensive = ExtensiveState()
        planner = PlannerState()
        walkMemory = WalkMemory()
        _visitsSkipped = 0
    }

    // MARK: collecting a pass

    /// Collects one pass of moves within `pass`'s budget; read them from ``moves``. A pass whose budget is
    /// used up already (or is not positive) collects nothing.
    @inlinable public func collectMoves(_ pass: inout PassContext) {
        blockList.lock()
        defer { blockList.unlock() }
        _moves.removeAll(keepingCapacity: true)
        _collectFailures.removeAll()
        walkMemoryActive = false
        // The counters end a pass exactly at its budget; one that starts at or past it has no room.
        guard pass.stats.allocationsMoved < pass.maxPassAllocations && pass.stats.bytesMoved < pass.maxPassBytes else { return }
        if dialect == .vma { pass.ignoredAllocations = carriedIgnoredAllocations }
        defer { if dialect == .vma { carriedIgnoredAllocations = pass.ignoredAllocations } }

        if observing { noteFreeRangeBounds(); sweepImmovable() }
        defer { if observing { sweepBudget(pass) } }
        let count = blockList.blockCount
        if algorithm == .optimal {
            computeOptimal(&pass)
        } else if count > 1 {
            switch algorithm {
            case .fast: _ = computeFast(&pass)
            case .full: _ = computeFull(&pass)
            case .balanced: _ = computeBalanced(&pass)
            case .extensive: _ = computeExtensive(&pass)
            case .optimal: break
            }
        } else if count == 1 {
            switch dialect {
            case .vma:
                _ = reallocWithinBlock(0, &pass)
            case .memutils:
                // The seed compacts a lone page for every algorithm but fast, walking from page 0 down to
                // the immovable count (so not at all once page 0 is immovable).
                if algorithm != .fast && immovableBlockCount == 0 { _ = reallocWithinBlock(0, &pass) }
            }
        }
    }

    /// The lowest page index the walk visits as a source.
    @inlinable var lowestSourceIndex: Int { dialect == .vma ? immovableBlockCount + 1 : immovableBlockCount }

    /// What the walk does with one allocation before any algorithm sees it.
    @usableFromInline enum Visit { case skip, end, move(MoveData) }

    @inlinable func userData(_ handle: AllocationHandle, _ metadata: List.Metadata) -> Int {
        do { return try metadata.userData(of: handle) } catch {
            preconditionFailure("defragmentation: walking a page returned a handle that is not an allocation: \(error)")
        }
    }

    @inlinable func visit(_ handle: AllocationHandle, _ metadata: List.Metadata, _ pass: inout PassContext) -> Visit {
        let userData = userData(handle, metadata)
        // Allocations this run created are not moved again.
        if userData == sentinel { return .skip }
        visitedAllocationFailed = false
        let data = blockList.moveData(forUserData: userData)
        switch pass.checkCounters(data.move.size) {
        case .ignore:
            if observing { observer?(data.move.sourceAllocation, .budget) }
            return .skip
        case .end:
            if observing { observer?(data.move.sourceAllocation, .budget) }
            return .end
        case .pass:
            return .move(data)
        }
    }

    @inlinable func offset(_ handle: AllocationHandle, _ metadata: List.Metadata) -> Int {
        do { return try metadata.offset(of: handle) } catch {
            preconditionFailure("defragmentation: no offset for a live handle: \(error)")
        }
    }

    @inlinable func freeRegionSize(after handle: AllocationHandle, _ metadata: List.Metadata) -> Int {
        do { return try metadata.nextFreeRegionSize(after: handle) } catch {
            preconditionFailure("defragmentation: no next free region for a live handle: \(error)")
        }
    }

    @inlinable func firstAllocation(_ metadata: List.Metadata) -> AllocationHandle? {
        do { return try metadata.allocationListBegin() } catch {
            preconditionFailure("defragmentation: cannot walk a page: \(error)")
        }
    }

    @inlinable func nextAllocation(_ handle: AllocationHandle, _ metadata: List.Metadata) -> AllocationHandle? {
        do { return try metadata.nextAllocation(after: handle) } catch {
            preconditionFailure("defragmentation: cannot walk a page: \(error)")
        }
    }

    /// Whether a page might take `size` bytes: VMA compares free bytes, the seed asks the metadata. Neither
    /// has false negatives, so both give the same moves.
    @inlinable func mightFit(_ metadata: List.Metadata, _ data: MoveData) -> Bool {
        switch dialect {
        case .vma: return metadata.sumFreeSize >= data.move.size && metadata.largestFreeRangeBound >= data.move.size
        case .memutils: return metadata.mayHaveFreeBlock(type: data.suballocationType, size: data.move.size)
        }
    }

    /// Tries pages `start..<end` in order for a destination (default placement). On success the move is
    /// recorded and counted; a page whose commit fails is skipped (the failure recorded). Returns (done,
    /// pass over): done when the allocation was placed, or when the metadata refused its request (recorded),
    /// so that no other place is tried for it.
    @inlinable func allocInOtherBlock(_ start: Int, _ end: Int, _ data: inout MoveData,
                                   _ pass: inout PassContext) -> (done: Bool, passOver: Bool) {
        var index = start
        let size = data.move.size
        while index < end {
            // A page with fewer free bytes, or no range as large, answers nil at once and changes nothing
            // (TLSF's own first check), in both dialects; skip it without visiting its metadata.
            let space = blockList.freeSpace(forBlock: index)
            if space.free < size || space.largestRangeBound < size { index += 1; continue }
            if let result = allocInBlock(index, &data, &pass) { return result }
            index += 1
        }
        return (false, false)
    }

    /// ``allocInOtherBlock(_:_:_:_:)`` over the pages `candidates` (ascending) only.
    @inlinable func allocInBlocks(_ candidates: [Int], _ data: inout MoveData, _ pass: inout PassContext) -> (done: Bool, passOver: Bool) {
        let size = data.move.size
        for index in candidates {
            let space = blockList.freeSpace(forBlock: index)
            if space.free < size || space.largestRangeBound < size { continue }
            if let result = allocInBlock(index, &data, &pass) { return result }
        }
        return (false, false)
    }

    /// One page of ``allocInOtherBlock(_:_:_:_:)`` past the free-space check: nil when it has no room, else
    /// (done, pass over). Always inlined: the walk of an unlimited pass runs through it for every page.
    @inline(__always) @inlinable
    func allocInBlock(_ index: Int, _ data: inout MoveData, _ pass: inout PassContext) -> (done: Bool, passOver: Bool)? {
        let destination = blockList.metadata(forBlock: index)
        guard dialect == .vma || mightFit(destination, data) else { return nil }
        let request: AllocationRequest?
        do {
            request = try destination.createAllocationRequest(
                size: data.move.size, alignment: data.alignment, upperAddress: false,
                type: data.suballocationType, strategy: .default, maxOffset: .max)
        } catch {
            recordFailure(data, .requestRefused(page: index, size: data.move.size, underlying: error))
            return (true, false)
        }
        if let request, let passOver = commit(request, index, destination, &data, &pass) { return (true, passOver) }
        return nil
    }

    /// Commits `request` in page `blockIndex` as the move's destination, records the move and counts it;
    /// returns whether the pass is over. A commit that throws is recorded in ``collectFailures`` and nil
    /// is returned (the move is not made).
    @inlinable func commit(_ request: AllocationRequest, _ blockIndex: Int, _ metadata: List.Metadata,
                        _ data: inout MoveData, _ pass: inout PassContext) -> Bool? {
        let allocation: List.Allocation
        do {
            allocation = try blockList.commitDefragAllocationRequest(
                request, blockIndex: blockIndex, alignment: data.alignment, flags: data.flags, userData: sentinel,
                type: data.suballocationType)
        } catch {
            if walkMemoryActive { noteGrowth(blockIndex, metadata) }
            recordFailure(data, .commitFailed(page: blockIndex, size: data.move.size, underlying: error))
            return nil
        }
        // An allocation can grow the free range before it (its padding).
        if walkMemoryActive { noteGrowth(blockIndex, metadata) }
        data.move.destinationMetadata = metadata
        data.move.destinationAllocation = allocation
        _moves.append(data.move)
        return pass.incrementCounters(data.move.size)
    }

    /// Moves the allocation to the lowest offset of its own page that holds it, if lower than `current`.
    @inlinable func allocIfLowerOffset(_ current: Int, _ blockIndex: Int, _ metadata: List.Metadata,
                                    _ data: inout MoveData, _ pass: inout PassContext) -> (done: Bool, passOver: Bool) {
        // VMA searches every free range (and reorders the free list of the one that fits even when it is
        // not lower); the seed stops at the current offset. The moves are the same either way.
        let maxOffset = dialect == .vma ? Int.max : current
        let request: AllocationRequest?
        do {
            request = try metadata.createAllocationRequest(
                size: data.move.size, alignment: data.alignment, upperAddress: false,
                type: data.suballocationType, strategy: .minOffset, maxOffset: maxOffset)
        } catch {
            recordFailure(data, .requestRefused(page: blockIndex, size: data.move.size, underlying: error))
            return (true, false)
        }
        // Like VMA and the seed, compare the start of the free range found, not the aligned offset.
        guard let request, offset(request.handle, metadata) < current else { return (false, false) }
        guard let passOver = commit(request, blockIndex, metadata, &data, &pass) else { return (false, false) }
        return (true, passOver)
    }

    /// Compacts one page towards offset 0 (VMA's ReallocWithinBlock; the seed's reallocSuballocHandler).
    /// Returns true when the pass is over.
    @inlinable func reallocWithinBlock(_ blockIndex: Int, _ pass: inout PassContext) -> Bool {
        let metadata = blockList.metadata(forBlock: blockIndex)
        if isImmovable(metadata) { return false }
        var unused = 0
        return walkPage(blockIndex, metadata, &pass, &unused) { blockIndex, metadata, handle, data, pass, _ in
            let current = offset(handle, metadata)
            guard current != 0 && mightFit(metadata, data) else { return false }
            return allocIfLowerOffset(current, blockIndex, metadata, &data, &pass).passOver
        }
    }

    @usableFromInline typealias WalkBody = (Int, List.Metadata, AllocationHandle, inout MoveData, inout PassContext, inout Int) -> Bool

    /// One page of a walk: its allocations in the metadata's order (TLSF: highest offset first); `body`
    /// gets each that is not this run's own destination and fits the pass's byte budget. Returns true
    /// when the pass is over.
    ///
    /// - Parameters:
    ///   - recording: append each allocation given to `body`, or passed over for `largerThan`, to
    ///     ``recordedHandles`` and ``recordedSizes`` (the walk memory).
    ///   - largerThan: allocations larger than this are passed over without a visit: the caller knows a
    ///     visit would have no effect (``walkAllocations(_:_:)``).
    @inlinable func walkPage(_ blockIndex: Int, _ metadata: List.Metadata, _ pass: inout PassContext, _ pageState: inout Int,
                          recording: Bool = false, largerThan limit: Int = .max, _ body: WalkBody) -> Bool {
        var handle = firstAllocation(metadata)
        while let h = handle {
            if limit != .max {
                let userData = userData(h, metadata)
                if userData != sentinel {
                    let size = blockList.moveSize(forUserData: userData, handle: h, in: metadata)
                    if size > limit {
                        if recording {
                            recordedHandles.append(h)
                            recordedSizes.append(size)
                        }
                        handle = nextAllocation(h, metadata)
                        continue
                    }
                }
            }
            switch visit(h, metadata, &pass) {
            case .skip: break
            case .end: return true
            case .move(var data):
                if recording {
                    recordedHandles.append(h)
                    recordedSizes.append(data.move.size)
                }
                if observing {
                    if observedBody(blockIndex, metadata, h, &data, &pass, &pageState, body) { return true }
                } else if body(blockIndex, metadata, h, &data, &pass, &pageState) { return true }
            }
            handle = nextAllocation(h, metadata)
        }
        return false
    }

    /// The walk of Fast, Full and Balanced (the seed's walkSuballocations): pages from the last down to the
    /// lowest movable one, skipping immovable pages, each walked by ``walkPage``; `body` also gets a per-page
    /// state reset to 0 at every page. Returns true when the pass ended early.
    ///
    /// Fast in a pass without limits or observer visits only allocations that some page before theirs may
    /// hold (free bytes and largest free-range bound at least their size, as ``allocInOtherBlock(_:_:_:_:)``
    /// checks): a visit of any other tries no page and changes nothing, so the walk passes over it with its
    /// size alone (``BlockList/moveSize(forUserData:handle:in:)``), not its whole ``MoveAllocationData``.
    @inlinable func walkAllocations(_ pass: inout PassContext, _ body: WalkBody) -> Bool {
        walkMemoryActive = prepareWalkMemory(pass)
        let sizeOnly = algorithm == .fast && !observing && pass.maxPassAllocations == .max && pass.maxPassBytes == .max
        var blockIndex = blockList.blockCount - 1
        while blockIndex >= lowestSourceIndex {
            let metadata = blockList.metadata(forBlock: blockIndex)
            if !isImmovable(metadata) {
                // The pages before it only lose room while the walk is on this page: the limit stays true.
                var limit = Int.max
                if sizeOnly && blockIndex > 0 {
                    limit = 0
                    for i in 0..<blockIndex {
                        let space = blockList.freeSpace(forBlock: i)
                        limit = max(limit, min(space.free, space.largestRangeBound))
                    }
                }
                if walkMemoryActive {
                    if walkRemembering(blockIndex, metadata, &pass, largerThan: limit, body) { return true }
                } else {
                    var pageState = 0
                    if walkPage(blockIndex, metadata, &pass, &pageState, largerThan: limit, body) { return true }
                }
            }
            blockIndex -= 1
        }
        return false
    }

    // MARK: remembering walks

    /// What earlier walks of a run learned, so that a pass does not visit again allocations whose answer
    /// cannot have changed (the walk of every pass starts at the last page, so a run of small passes
    /// visited the same settled pages again and again).
    ///
    /// A page whose walk collected no move and no failure, and left its
    /// ``MemoryMetadata/MetadataChangeCounters/changes`` where they were, is remembered with its allocations
    /// in walk order and their sizes. While that counter stands still, each of them finds again no room in
    /// its own page (the same page answers the same), and none in a page before it that has not grown since
    /// that walk began (a search that failed fails again while the page's `growth` stands still, and a
    /// failing search changes nothing). So the next walk of the page visits, in walk order, only the
    /// allocations no larger than the largest free-range bound of a page before it that grew since, and
    /// tries for each only those pages, in order: the rest of the walk would end as before, to no effect.
    ///
    /// A walk that collected nothing may still have changed its page: VMA's search for a lower offset in
    /// the page itself moves the free range it finds to the front of its list even when that range is not
    /// lower (full and balanced, dialect vma). Such a page is remembered too, with its counter as the walk
    /// left it, marked `reordered`. Walked again unchanged, with no page before it grown enough to hold one
    /// of its allocations, the walk would find the same ranges (the lowest that holds a request does not
    /// depend on list order) and move them to the front in the same sequence, and moving the same sequence
    /// to the front twice leaves the lists as once: those ranges first, by their last move, then the rest
    /// in their order. So the walk is skipped whole. When a page before it may hold one of them, the page is
    /// walked whole (visiting only some would leave out the moves to the front of the others).
    ///
    /// Used only in passes whose visits have no effect of their own: no byte budget (the budget's skips and
    /// their count), no observer (it is told of every visit), pages without buffer/image granularity (a
    /// neighbour's type can make room) and metadata that keeps the counters. Unlimited passes use it too:
    /// after the first passes of a large pool, most pages have settled, and a pass that moves a handful of
    /// allocations no longer walks them all.
    ///
    /// Invariants (checked by ``checkWalkMemory()``): the arrays run parallel to `order`, the pages in list
    /// order at the last pass; `growth[i]` is the growth counter of page `order[i]` as last seen and
    /// `grownAt[i]` the clock when it was seen to move; a remembered page's handles are allocations of that
    /// page, in walk order, not this run's destinations, with their sizes.
    @usableFromInline struct WalkMemory {
        @usableFromInline struct Page {
            /// The page's change counter when its walk ended.
            @usableFromInline var changes: Int
            /// Whether the walk changed the counter (its own searches moved free ranges to the front of
            /// their lists).
            @usableFromInline var reordered: Bool
            /// The clock when that walk began.
            @usableFromInline var walkedAt: Int
            @usableFromInline var handles: [AllocationHandle]
            @usableFromInline var sizes: [Int]
            /// The smallest of `sizes` (`Int.max` when there are none).
            @usableFromInline var smallest: Int

            @inlinable init(changes: Int, reordered: Bool, walkedAt: Int, handles: [AllocationHandle], sizes: [Int]) {
                self.changes = changes
                self.reordered = reordered
                self.walkedAt = walkedAt
                self.handles = handles
                self.sizes = sizes
                smallest = sizes.min() ?? .max
            }
        }

        /// Moves on at the start of every pass and of every page's walk.
        @usableFromInline var clock = 0
        @usableFromInline var order: [ObjectIdentifier] = []
        @usableFromInline var growth: [Int] = []
        @usableFromInline var grownAt: [Int] = []
        @usableFromInline var pages: [Page?] = []

        @inlinable init() {}
    }

    /// Brings ``walkMemory`` to the pages as they are at the start of a pass and notes which grew; returns
    /// whether this pass may use it.
    @inlinable func prepareWalkMemory(_ pass: PassContext) -> Bool {
        guard remembersWalks && !observing && pass.maxPassBytes == .max
                && pass.ignoredAllocations == 0 && blockList.bufferImageGranularity <= 1 else {
            if !walkMemory.order.isEmpty { walkMemory = WalkMemory() }
            return false
        }
        let count = blockList.blockCount
        walkMemory.clock += 1
        let now = walkMemory.clock
        var same = walkMemory.order.count == count
        var index = 0
        while same && index < count {
            same = ObjectIdentifier(blockList.metadata(forBlock: index)) == walkMemory.order[index]
            index += 1
        }
        if !same {
            // Pages released keep the others' memory (a page before a remembered one can only have gone);
            // from the first page not found in order on (added or moved), nothing is remembered.
            var order: [ObjectIdentifier] = [], growth: [Int] = [], grownAt: [Int] = [], pages: [WalkMemory.Page?] = []
            var old = 0
            for i in 0..<count {
                let id = ObjectIdentifier(blockList.metadata(forBlock: i))
                while old < walkMemory.order.count && walkMemory.order[old] != id { old += 1 }
                order.append(id)
                if old < walkMemory.order.count {
                    growth.append(walkMemory.growth[old])
                    grownAt.append(walkMemory.grownAt[old])
                    pages.append(walkMemory.pages[old])
                    old += 1
                } else {
                    growth.append(blockList.metadata(forBlock: i).changeCounters?.growth ?? 0)
                    grownAt.append(now)
                    pages.append(nil)
                }
            }
            walkMemory.order = order
            walkMemory.growth = growth
            walkMemory.grownAt = grownAt
            walkMemory.pages = pages
        }
        for i in 0..<count {
            guard let counters = blockList.metadata(forBlock: i).changeCounters else {
                walkMemory = WalkMemory()
                return false
            }
            if counters.growth != walkMemory.growth[i] {
                walkMemory.growth[i] = counters.growth
                walkMemory.grownAt[i] = now
            }
        }
        return true
    }

    /// Notes whether page `blockIndex` grew (after a commit in it, while ``walkMemoryActive``).
    @inlinable func noteGrowth(_ blockIndex: Int, _ metadata: List.Metadata) {
        guard let growth = metadata.changeCounters?.growth, growth != walkMemory.growth[blockIndex] else { return }
        walkMemory.growth[blockIndex] = growth
        walkMemory.grownAt[blockIndex] = walkMemory.clock
    }

    /// ``walkPage(_:_:_:_:_:)`` with ``walkMemory``: a remembered page that has not changed is walked over the
    /// allocations that may have found room since (a `reordered` one: not at all, or whole); any other page
    /// is walked whole and remembered when its walk collected nothing. Returns true when the pass is over.
    @inlinable func walkRemembering(_ blockIndex: Int, _ metadata: List.Metadata, _ pass: inout PassContext,
                                    largerThan limit: Int, _ body: WalkBody) -> Bool {
        walkMemory.clock += 1
        let startedAt = walkMemory.clock
        guard let changes = metadata.changeCounters?.changes else { preconditionFailure("defragmentation: a page stopped keeping change counters") }
        let movesBefore = _moves.count, failuresBefore = _collectFailures.count
        if let page = walkMemory.pages[blockIndex], page.changes == changes {
            // The pages before this one that grew since that walk began, and the largest request one of them
            // may hold now.
            var grown: [Int] = [], reach = 0
            for i in 0..<blockIndex where walkMemory.grownAt[i] >= page.walkedAt {
                grown.append(i)
                let space = blockList.freeSpace(forBlock: i)
                reach = max(reach, min(space.free, space.largestRangeBound))
            }
            if page.reordered && page.smallest <= reach { return walkWhole(blockIndex, metadata, &pass, largerThan: limit, body) }
            let n = page.sizes.count
            var visited = 0, k = 0, over = false, moves = movesBefore, failures = failuresBefore
            while k < n && !over {
                if page.sizes[k] <= reach {
                    visited += 1
                    let h = page.handles[k]
                    switch visit(h, metadata, &pass) {
                    case .skip: break
                    case .end: over = true
                    case .move(var data):
                        // Its own page answers as before, to no effect, and so does every page before it that
                        // has not grown (whatever the algorithm: fast, full and balanced try the pages before
                        // it first, and move within the page only when none takes it).
                        over = allocInBlocks(grown, &data, &pass).passOver
                        if _moves.count != moves || _collectFailures.count != failures {
                            // A commit may have grown its page (an allocation's padding joins the free range
                            // before it): the pages that grew and the reach are taken again.
                            moves = _moves.count
                            failures = _collectFailures.count
                            grown.removeAll(keepingCapacity: true)
                            for i in 0..<blockIndex where walkMemory.grownAt[i] >= page.walkedAt { grown.append(i) }
                            reach = .max
                        }
                    }
                }
                k += 1
            }
            _visitsSkipped += k - visited
            if !over && _moves.count == movesBefore && _collectFailures.count == failuresBefore
                && metadata.changeCounters?.changes == changes {
                walkMemory.pages[blockIndex]!.walkedAt = startedAt
            } else {
                walkMemory.pages[blockIndex] = nil
            }
            return over
        }
        return walkWhole(blockIndex, metadata, &pass, largerThan: limit, body)
    }

    /// The whole walk of a page for ``walkRemembering(_:_:_:_:)``, remembering the page when the walk collected
    /// nothing (with the change counter as the walk left it). Returns true when the pass is over.
    @inlinable func walkWhole(_ blockIndex: Int, _ metadata: List.Metadata, _ pass: inout PassContext,
                              largerThan limit: Int, _ body: WalkBody) -> Bool {
        let startedAt = walkMemory.clock
        guard let changes = metadata.changeCounters?.changes else { preconditionFailure("defragmentation: a page stopped keeping change counters") }
        let movesBefore = _moves.count, failuresBefore = _collectFailures.count
        walkMemory.pages[blockIndex] = nil
        recordedHandles = []
        recordedSizes = []
        recordedHandles.reserveCapacity(metadata.allocationCount)
        recordedSizes.reserveCapacity(metadata.allocationCount)
        var pageState = 0
        let over = walkPage(blockIndex, metadata, &pass, &pageState, recording: true, largerThan: limit, body)
        let handles = recordedHandles, sizes = recordedSizes
        recordedHandles = []
        recordedSizes = []
        if over { return true }
        if _moves.count == movesBefore && _collectFailures.count == failuresBefore, let now = metadata.changeCounters?.changes {
            walkMemory.pages[blockIndex] = WalkMemory.Page(changes: now, reordered: now != changes, walkedAt: startedAt,
                                                           handles: handles, sizes: sizes)
        }
        return false
    }

    /// Checks the walk memory's invariants against the pages (tests): throws naming the first broken one.
    public func checkWalkMemory() throws {
        let memory = walkMemory
        guard !memory.order.isEmpty else { return }
        guard memory.growth.count == memory.order.count && memory.grownAt.count == memory.order.count
                && memory.pages.count == memory.order.count else {
            throw DefragmentationError.walkMemory("its arrays do not run parallel to its \(memory.order.count) pages")
        }
        for (i, page) in memory.pages.enumerated() {
            guard let page else { continue }
            guard i < blockList.blockCount, ObjectIdentifier(blockList.metadata(forBlock: i)) == memory.order[i] else { continue }
            let metadata = blockList.metadata(forBlock: i)
            guard metadata.changeCounters?.changes == page.changes else { continue }
            // Unchanged page: the remembered allocations are its own non-destination allocations, in walk order.
            var expected: [(AllocationHandle, Int)] = []
            var handle = firstAllocation(metadata)
            while let h = handle {
                let userData = try metadata.userData(of: h)
                if userData != sentinel { expected.append((h, blockList.moveData(forUserData: userData).move.size)) }
                handle = nextAllocation(h, metadata)
            }
            guard expected.count == page.handles.count && page.sizes.count == page.handles.count
                    && zip(expected, zip(page.handles, page.sizes)).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 }) else {
                throw DefragmentationError.walkMemory("page \(i) remembers \(page.handles.count) allocations that are not its \(expected.count) in walk order")
            }
        }
    }

    /// Fast: only between pages. Returns true when the pass is over.
    @inlinable func computeFast(_ pass: inout PassContext) -> Bool {
        walkAllocations(&pass) { blockIndex, _, _, data, pass, _ in
            // The seed ends the pass on reaching page 0; VMA never walks it.
            if blockIndex == 0 { if observing { visitDecision = .algorithm }; return true }
            return allocInOtherBlock(0, blockIndex, &data, &pass).passOver
        }
    }

    /// Full: into an earlier page, else lower in its own page. Returns true when the pass is over.
    @inlinable func computeFull(_ pass: inout PassContext) -> Bool {
        walkAllocations(&pass) { blockIndex, metadata, handle, data, pass, _ in
            let other = allocInOtherBlock(0, blockIndex, &data, &pass)
            if other.passOver { return true }
            if other.done { return false }
            let current = offset(handle, metadata)
            guard current != 0 && mightFit(metadata, data) else { return false }
            return allocIfLowerOffset(current, blockIndex, metadata, &data, &pass).passOver
        }
    }

    /// VMA's UpdateVectorStatistics.
    @inlinable func updateBalancedStatistics() {
        var allocations = 0, freeRegions = 0, freeBytes = 0, bytes = 0
        for index in 0..<blockList.blockCount {
            let metadata = blockList.metadata(forBlock: index)
            allocations += metadata.allocationCount
            freeRegions += metadata.vmaFreeRegionsCount
            freeBytes += metadata.sumFreeSize
            bytes += metadata.size
        }
        averageAllocationSize = allocations > 0 ? (bytes - freeBytes) / allocations : 0
        averageFreeSize = freeRegions > 0 ? freeBytes / freeRegions : 0
    }

    /// Balanced: like full, but moves within a page only where the gaps make it worthwhile.
    @inlinable func computeBalanced(_ pass: inout PassContext) -> Bool {
        if averageAllocationSize == .max { updateBalancedStatistics() }
        let minimalFreeRegion = averageFreeSize / 2
        // The page state is the size of the free range before the previous allocation of the walk.
        return walkAllocations(&pass) { blockIndex, metadata, handle, data, pass, prevFreeRegionSize in
            let other = allocInOtherBlock(0, blockIndex, &data, &pass)
            if other.passOver { return true }
            let nextFreeRegionSize = freeRegionSize(after: handle, metadata)
            defer { prevFreeRegionSize = nextFreeRegionSize }
            let current = offset(handle, metadata)
            guard !other.done && current != 0 && mightFit(metadata, data) else { return false }
            guard prevFreeRegionSize >= minimalFreeRegion || nextFreeRegionSize >= minimalFreeRegion
                || data.move.size <= averageFreeSize || data.move.size <= averageAllocationSize else {
                if observing { visitDecision = .algorithm }
                return false
            }
            return allocIfLowerOffset(current, blockIndex, metadata, &data, &pass).passOver
        }
    }

    // MARK: observing

    /// `body` for one allocation, then the report of what became of it (observer only; kept out of line so
    /// that the walk without an observer stays as it was).
    @inline(never)
    @usableFromInline func observedBody(_ blockIndex: Int, _ metadata: List.Metadata, _ handle: AllocationHandle, _ data: inout MoveData,
                              _ pass: inout PassContext, _ pageState: inout Int, _ body: WalkBody) -> Bool {
        visitDecision = .noDestination
        let before = moves.count
        let over = body(blockIndex, metadata, handle, &data, &pass, &pageState)
        report(data, blockIndex, movedSince: before)
        return over
    }

    /// Tells the observer what became of the allocation just visited on page `blockIndex`: moved if a move was
    /// collected since `movedSince`; else the algorithm's refusal if one was noted, else no destination when no
    /// other page's free-range bound holds it, else the algorithm's rules.
    @usableFromInline func report(_ data: MoveData, _ blockIndex: Int, movedSince: Int) {
        guard let observer else { return }
        var decision = visitDecision
        if moves.count > movedSince {
            decision = .moved
        } else if decision == .noDestination,
                  let other = largestBounds.first(where: { $0.page != blockIndex }), other.bound >= data.move.size {
            decision = .algorithm
        }
        observer(data.move.sourceAllocation, decision)
    }

    /// Notes the two movable pages with the largest free-range bounds (``largestBounds``; observer only).
    @usableFromInline func noteFreeRangeBounds() {
        largestBounds.removeAll(keepingCapacity: true)
        for index in 0..<blockList.blockCount where !isImmovable(blockList.metadata(forBlock: index)) {
            let space = blockList.freeSpace(forBlock: index)
            largestBounds.append((index, min(space.free, space.largestRangeBound)))
            largestBounds.sort { $0.bound > $1.bound }
            if largestBounds.count > 2 { largestBounds.removeLast() }
        }
    }

    /// Every allocation of an immovable page, reported as such (observer only).
    @usableFromInline func sweepImmovable() {
        guard let observer, !immovablePages.isEmpty else { return }
        for index in 0..<blockList.blockCount {
            let metadata = blockList.metadata(forBlock: index)
            guard isImmovable(metadata) else { continue }
            forEachOwnAllocation(metadata) { observer($0, .immovable) }
        }
    }

    /// When the pass ended at its budget, every allocation of the pages the walk takes as sources is reported
    /// `budget`: it counts for those the walk did not reach (the first word counts for the others). Observer
    /// only.
    @usableFromInline func sweepBudget(_ pass: PassContext) {
        guard let observer, pass.stats.allocationsMoved >= pass.maxPassAllocations || pass.stats.bytesMoved >= pass.maxPassBytes
                || pass.ignoredAllocations >= PassContext.maxAllocationsToIgnore else { return }
        let lowest = blockList.blockCount > 1 ? lowestSourceIndex : 0
        guard lowest < blockList.blockCount else { return }
        for index in lowest..<blockList.blockCount {
            let metadata = blockList.metadata(forBlock: index)
            if isImmovable(metadata) { continue }
            forEachOwnAllocation(metadata) { observer($0, .budget) }
        }
    }

    /// Calls `body` with each allocation of `metadata` that is not a destination of this run.
    @usableFromInline func forEachOwnAllocation(_ metadata: List.Metadata, _ body: (List.Allocation) -> Void) {
        var handle = firstAllocation(metadata)
        while let h = handle {
            if let userData = try? metadata.userData(of: h), userData != sentinel {
                body(blockList.moveData(forUserData: userData).move.sourceAllocation)
            }
            handle = nextAllocation(h, metadata)
        }
    }

    // MARK: completing a pass

    /// Completes the moves of the last collect: calls the handler for each, accounts bytes and pages freed
    /// (measured from the pool's statistics around each call), and makes the source pages of `.ignore`
    /// moves immovable. Handler errors are collected and thrown together after every move was handled;
    /// a failed move is not counted as moved.
    @inlinable public func completePass(_ pass: inout PassContext) throws {
        var errors: [Error] = []
        var immovable: [List.Metadata] = []
        let moves = self.moves
        // How far ahead the block list hears of the moves to come (``BlockList/prepareCompletion(of:)``).
        let lookahead = 8
        for k in 0..<min(lookahead, moves.count) { blockList.prepareCompletion(of: moves[k]) }
        for (k, move) in moves.enumerated() {
            if k + lookahead < moves.count { blockList.prepareCompletion(of: moves[k + lookahead]) }
            let before = blockList.blockTotals
            do {
                try handler(move)
            } catch {
                errors.append(error)
                pass.stats.bytesMoved -= move.size
                pass.stats.allocationsMoved -= 1
                continue
            }
            let after = blockList.blockTotals
            let pagesFreed = before.count - after.count
            pass.stats.deviceMemoryBlocksFreed += pagesFreed
            pass.stats.bytesFreed += before.bytes - after.bytes
            if algorithm == .extensive { extensive.pagesReleased(pagesFreed, blockList) }

            switch move.operation {
            case .copy: break
            case .ignore:
                pass.stats.bytesMoved -= move.size
                pass.stats.allocationsMoved -= 1
                if !immovable.contains(where: { $0 === move.sourceMetadata }) { immovable.append(move.sourceMetadata) }
            case .destroy:
                pass.stats.bytesMoved -= move.size
                pass.stats.allocationsMoved -= 1
            }
        }
        if !immovable.isEmpty { makeImmovable(immovable) }
        _moves.removeAll(keepingCapacity: true)
        if errors.count == 1 { throw errors[0] }
        if !errors.isEmpty { throw DefragmentationError.handlerFailures(errors) }
    }

    @inlinable func isImmovable(_ metadata: List.Metadata) -> Bool {
        !immovablePages.isEmpty && immovablePages.contains(ObjectIdentifier(metadata))
    }

    @inlinable func makeImmovable(_ pages: [List.Metadata]) {
        blockList.lock()
        defer { blockList.unlock() }
        let fresh = pages.filter { immovablePages.insert(ObjectIdentifier($0)).inserted }
        guard !fresh.isEmpty else { return }
        let pages = fresh
        if algorithm == .extensive && extensive.isActive(blockList) && extensive.operation != .cleanup {
            // VMA's extensive moves them to the end of the list, before the free pages.
            for page in pages {
                let count = blockList.blockCount - immovableBlockCount
                for i in 0..<count where blockList.metadata(forBlock: i) === page {
                    _immovableBlockCount += 1
                    blockList.swapBlocks(i, blockList.blockCount - immovableBlockCount)
                    if extensive.firstFreeBlock != .max && i + 1 < extensive.firstFreeBlock {
                        if extensive.firstFreeBlock > 1 {
                            extensive.firstFreeBlock -= 1
                            blockList.swapBlocks(i, extensive.firstFreeBlock)
                        } else {
                            extensive.firstFreeBlock -= 1
                        }
                    }
                    break
                }
            }
            return
        }
        for page in pages {
            for i in immovableBlockCount..<blockList.blockCount where blockList.metadata(forBlock: i) === page {
                blockList.swapBlocks(i, immovableBlockCount)
                _immovableBlockCount += 1
                break
            }
        }
    }

    // MARK: extensive

    @usableFromInline struct ExtensiveState {
        @usableFromInline enum Operation { case findFreeBlockBuffer, findFreeBlockTexture, findFreeBlockAll, moveBuffers, moveTextures, moveAll, cleanup, done }
        @usableFromInline var operation: Operation = .findFreeBlockTexture
        @usableFromInline var firstFreeBlock = Int.max

        @inlinable init() {}

        @inlinable func isActive(_ list: List) -> Bool { list.bufferImageGranularity > 1 }

        /// VMA's DefragmentPassEnd bookkeeping: pages released shift the first free page down.
        @inlinable mutating func pagesReleased(_ released: Int, _ list: List) {
            guard isActive(list), firstFreeBlock != .max else { return }
            if firstFreeBlock >= released {
                firstFreeBlock -= released
                if firstFreeBlock != 0 && list.metadata(forBlock: firstFreeBlock - 1).isEmpty { firstFreeBlock -= 1 }
            } else {
                firstFreeBlock = 0
            }
        }
    }

    /// Extensive: empty one page at a time, then fill the emptied pages type by type (VMA's
    /// ComputeDefragmentation_Extensive, state machine and all). Returns true when the pass is over.
    @inlinable func computeExtensive(_ pass: inout PassContext) -> Bool {
        // Without granularity conflicts full already packs as tightly as possible.
        if blockList.bufferImageGranularity == 1 { return computeFull(&pass) }

        var texturePresent = false, bufferPresent = false, otherPresent = false
        var stage = extensive.operation
        switch stage {
        case .done:
            return false
        case .cleanup:
            break
        case .findFreeBlockBuffer, .findFreeBlockTexture, .findFreeBlockAll:
            // No more pages to empty: move between pages and clean up.
            if extensive.firstFreeBlock == 0 {
                extensive.operation = .cleanup
                return computeFast(&pass)
            }
            // No free pages yet: empty the last one.
            var last = (extensive.firstFreeBlock == .max ? blockList.blockCount : extensive.firstFreeBlock) - 1
            while last >= 0 && isImmovable(blockList.metadata(forBlock: last)) { last -= 1 }
            if last < 0 {
                extensive.operation = .cleanup
                return computeFast(&pass)
            }
            let freeMetadata = blockList.metadata(forBlock: last)
            let movesBefore = moves.count
            var handle = firstAllocation(freeMetadata)
            while let h = handle {
                switch visit(h, freeMetadata, &pass) {
                case .skip: break
                case .end: return true
                case .move(var data):
                    visitDecision = .noDestination
                    let before = observing ? moves.count : 0
                    let over = allocInOtherBlock(0, last, &data, &pass).passOver
                    if observing { report(data, last, movedSince: before) }
                    if over {
                        // The page was emptied completely already.
                        if movesBefore != moves.count && nextAllocation(h, freeMetadata) == nil {
                            extensive.firstFreeBlock = last
                        }
                        return true
                    }
                }
                handle = nextAllocation(h, freeMetadata)
            }
            if movesBefore == moves.count {
                // The page cannot be emptied: move data around within the other pages.
                if last != 0 {
                    var i = last - 1
                    while i > 0 {
                        if reallocWithinBlock(i, &pass) { return true }
                        i -= 1
                    }
                }
                if movesBefore == moves.count { return computeFast(&pass) }
            } else {
                switch stage {
                case .findFreeBlockBuffer: extensive.operation = .moveBuffers
                case .findFreeBlockTexture: extensive.operation = .moveTextures
                default: extensive.operation = .moveAll
                }
                extensive.firstFreeBlock = last
                // A page was found without moves inside others: more can happen in this pass.
                return computeExtensive(&pass)
            }
        case .moveTextures, .moveBuffers, .moveAll:
            // VMA's switch falls through from textures to buffers to all.
            while true {
                let type: SuballocationType = stage == .moveTextures ? .imageOptimal : stage == .moveBuffers ? .buffer : .free
                guard moveDataToFreeBlocks(type, extensive.firstFreeBlock, &texturePresent, &bufferPresent, &otherPresent, &pass) else {
                    break
                }
                if stage == .moveTextures {
                    if texturePresent { extensive.operation = .findFreeBlockTexture; return computeExtensive(&pass) }
                    if !bufferPresent && !otherPresent { extensive.operation = .cleanup; break }
                    stage = .moveBuffers
                    extensive.operation = stage
                    bufferPresent = false
                    otherPresent = false
                } else if stage == .moveBuffers {
                    if bufferPresent { extensive.operation = .findFreeBlockBuffer; return computeExtensive(&pass) }
                    if !otherPresent { extensive.operation = .cleanup; break }
                    stage = .moveAll
                    extensive.operation = stage
                    otherPresent = false
                } else {
                    if otherPresent { extensive.operation = .findFreeBlockBuffer; return computeExtensive(&pass) }
                    extensive.operation = .cleanup
                    break
                }
            }
        }

        if extensive.operation == .cleanup {
            // Everything else done: pack each page tighter.
            let movesBefore = moves.count
            for i in 0..<blockList.blockCount {
                if reallocWithinBlock(i, &pass) { return true }
            }
            if movesBefore == moves.count { extensive.operation = .done }
        }
        return false
    }

    /// VMA's MoveDataToFreeBlocks: moves allocations of `currentType`'s class from the pages below
    /// `firstFreeBlock` into the free pages at and after it, noting which types remain. Returns true when
    /// nothing moved (or the byte budget ended the pass), false after a move ended the pass.
    @inlinable func moveDataToFreeBlocks(_ currentType: SuballocationType, _ firstFreeBlock: Int,
                                      _ texturePresent: inout Bool, _ bufferPresent: inout Bool, _ otherPresent: inout Bool,
                                      _ pass: inout PassContext) -> Bool {
        let movesBefore = moves.count
        var i = min(firstFreeBlock, blockList.blockCount)
        while i > 0 {
            i -= 1
            let metadata = blockList.metadata(forBlock: i)
            if isImmovable(metadata) { continue }
            var handle = firstAllocation(metadata)
            while let h = handle {
                switch visit(h, metadata, &pass) {
                case .skip: break
                case .end: return true
                case .move(var data):
                    if !SuballocationType.granularityConflict(data.suballocationType, currentType) {
                        visitDecision = .noDestination
                        let before = observing ? moves.count : 0
                        let over = allocInOtherBlock(firstFreeBlock, blockList.blockCount, &data, &pass).passOver
                        if observing { report(data, i, movedSince: before) }
                        if over { return false }
                    } else if observing {
                        visitDecision = .algorithm
                        report(data, i, movedSince: moves.count)
                    }
                    if !SuballocationType.granularityConflict(data.suballocationType, .imageOptimal) {
                        texturePresent = true
                    } else if !SuballocationType.granularityConflict(data.suballocationType, .buffer) {
                        bufferPresent = true
                    } else {
                        otherPresent = true
                    }
                }
                handle = nextAllocation(h, metadata)
            }
        }
        return movesBefore == moves.count
    }
}
