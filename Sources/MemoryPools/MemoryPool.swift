// The one BlockList of defragscope: pages over a PageDevice. Page choice, incremental sorting, the sort at
// the start of a run and the release of emptied pages follow VMA's VmaBlockVector (vk_mem_alloc.h:
// AllocatePage, Free, IncrementallySortBlocks, SortByFreeSize) as ../shared/reference/README.md describes.
import CByteKernels
import Defragmentation
import Dispatch
@_spi(Tables) import MemoryMetadata

/// The pool's tables (pages, page indices, slots, the id table, the incremental sort's inversions) change
/// several times per allocation and free: buffers that free themselves, with every index checked (the
/// engine and the public queries name pages and slots).
typealias PoolBuffer<Element: BitwiseCopyable> = OwnedBuffer<Element, AlwaysChecked>

/// Settings of a pool.
public struct PoolOptions: Hashable, Sendable {
    /// Bytes per page (VMA's explicit block size).
    public var pageSize: Int
    /// The heap the pool's pages come from (lavapipe reports 2 GiB).
    public var heapSize: Int = 2 << 30
    /// VMA's rule of thumb without VK_EXT_memory_budget: the budget is 80% of the heap.
    public var budgetPercent: Int = 80
    /// VMA's hysteresis: keep one emptied page instead of releasing it (while under budget).
    public var keepOneEmptyPage = true
    /// Buffer/image granularity of the pages (1: ignored, as the reference pool does).
    public var bufferImageGranularity = 1
    /// Fill every allocation with its pattern and verify checksums (needs a device that stores bytes).
    public var verifiesBytes = true
    /// Added to every page id and allocation slot the pool hands its device, so that several pools can
    /// share one device (a VMA dump has a pool per memory type and per custom pool, each with its own
    /// block ids). 0: the pool's own ids, as before.
    public var deviceIDBase = 0
    /// Each page holds one dedicated allocation of a VMA dump that fills it exactly (its own
    /// VkDeviceMemory). Such pages have no free byte, so the engine never finds a move in them: they are
    /// shown, never moved. Sessions may mark their pages dedicated.
    public var holdsDedicatedAllocations = false

    public init(pageSize: Int) { self.pageSize = pageSize }

    /// VMA's budget in bytes: heap × 8 / 10.
    public var budgetBytes: Int { heapSize / 100 * budgetPercent + (heapSize % 100) * budgetPercent / 100 }
}

/// A pool operation that failed; the pool is unchanged. Three kinds: the caller's mistakes (every case but
/// the last two: the input asked for something the pool cannot do), ``device(_:)`` (the page device failed)
/// and ``verification(_:)`` (bytes or records found wrong).
public enum PoolError: Error, CustomStringConvertible, Hashable, Sendable {
    case allocationTooLarge(id: Int, size: Int, pageSize: Int)
    /// A page to add with an id outside 0...``MemoryPool/maxPageID`` or a size below 1.
    case invalidPage(id: Int, size: Int)
    /// A page to add whose id the pool has already.
    case duplicatePage(Int)
    /// A page id the pool does not have (never made, or released).
    case unknownPage(Int)
    /// A page larger than TLSF handles.
    case pageTooLarge(size: Int, limit: Int)
    /// An allocation to place where another one is.
    case overlap(id: Int, page: Int, offset: Int)
    case duplicateID(Int)
    case unknownID(Int)
    case invalidAlignment(id: Int, alignment: Int)
    case invalidSize(id: Int, size: Int)
    /// A move handed to ``MemoryPool/complete(_:)`` whose source or destination is no live slot of the pool.
    case notAMove(slot: Int)
    case device(String)
    case verification(String)

    public var description: String {
        switch self {
        case .allocationTooLarge(let id, let size, let pageSize): return "allocation \(id) of \(size) bytes is larger than a page (\(pageSize) bytes)"
        case .invalidPage(let id, let size): return "page \(id) of \(size) bytes: the id must be 0...\(MemoryPool<MetadataOnlyPageDevice>.maxPageID) and the size at least 1"
        case .duplicatePage(let id): return "page \(id) exists already"
        case .unknownPage(let id): return "no page \(id) (never made, or released)"
        case .pageTooLarge(let size, let limit): return "a page of \(size) bytes is larger than TLSF handles (\(limit) bytes)"
        case .overlap(let id, let page, let offset): return "allocation \(id) at offset \(offset) of page \(page) overlaps another allocation"
        case .duplicateID(let id): return "allocation \(id) exists already"
        case .unknownID(let id): return "no live allocation \(id)"
        case .invalidAlignment(let id, let a): return "allocation \(id): alignment \(a) is not a power of two"
        case .invalidSize(let id, let s): return "allocation \(id): size \(s) must be at least 1"
        case .notAMove(let slot): return "the move of slot \(slot) is not one of this pool's moves in progress"
        case .device(let why): return "page device: \(why)"
        case .verification(let why): return "verification failed: \(why)"
        }
    }
}

// The pool's table entries are types of their own, outside the generic class: nested in it, each would be
// generic too, and code of the pool that is not specialised (called from another module) would look up
// their metadata at run time on every access.

/// One page of a pool.
struct PoolPage {
    let id: Int
    /// Retained once when the page is added and released when it goes (the pool's `releasePage(at:)` and deinit):
    /// reading it from the table then costs no retain and release per operation.
    let metadataReference: Unmanaged<TLSFMetadata>
    var metadata: TLSFMetadata { metadataReference.takeUnretainedValue() }
    /// The metadata's free bytes and emptiness, cached so that the per-operation scans (VMA's
    /// incremental sort, empty-page checks, page choice) read one contiguous array.
    ///
    /// Invariant (the pool's `refresh(_:)` after every change of the metadata; checked by `validate()`): these
    /// three equal the metadata's `sumFreeSize`, `isEmpty` and `largestFreeRangeBound`.
    var free: Int
    var isEmpty: Bool
    /// An upper bound of the largest free range (TLSF's `largestFreeRangeBound`).
    var largestFreeRange: Int
}

/// What the hot paths read of a slot (the engine's `moveData(forUserData:)` for every allocation it walks,
/// `free`), in 32 bytes; the rest is in ``SlotPlace`` (24) and the rare name aside: 56 bytes a slot instead
/// of a 96-byte `Record`, so replays and walks touch less memory.
struct SlotInfo {
    var size: Int
    var handle: AllocationHandle
    var page: Int32
    var alignmentLog2: UInt8
    var type: SuballocationType
    var live: Bool
}

struct SlotPlace {
    var id: Int
    var offset: Int
    var checksum: UInt64
}

/// A pool of equally sized pages holding allocations named by the caller's ids.
///
/// Allocations are slots in an array; a slot's index is the metadata user data of its range (never
/// negative: negative user data belongs to the defragmentation engine's temporary destinations).
public final class MemoryPool<Device: PageDevice>: BlockList {
    public typealias Allocation = Int
    public typealias Metadata = TLSFMetadata
    typealias Page = PoolPage

    /// One allocation of the pool.
    public struct Record: Hashable, Sendable {
        /// The caller's id; temporary destinations of a run have -1.
        public var id: Int
        /// The page's id (creation ordinal).
        public var page: Int
        /// The allocation's handle in its page's metadata, as of when the record was taken: a free outside
        /// a run may compact the page and give it a new one (take the record again by id).
        public var handle: AllocationHandle
        public var offset: Int
        public var size: Int
        public var alignment: Int
        public var type: SuballocationType
        /// The checksum of its pattern (0 when bytes are not kept).
        public var checksum: UInt64
        public var live: Bool
        public var name: String?
    }

    // The pool's tables and counters are `@exclusivity(unchecked)` (a run-time check around every access
    // of a class's stored property cost more than the work of a replay). Sound because no access of one of
    // them overlaps another of the same one: element reads and writes go through ``OwnedBuffer``'s
    // nonmutating addressors, and what runs inside a longer access (`withMetadata`, `withValues`, the
    // scratch buffer's `withUnsafeMutableBytes`, compaction's reissue callback) touches other properties,
    // the page's metadata or the device, never the property being accessed.

    public let options: PoolOptions
    /// `options.budgetBytes`, computed once (every free compares with it).
    private let budgetBytes: Int
    public let device: Device
    /// The name of this pool (a VMA dump has several).
    public var name: String

    @exclusivity(unchecked) var pages = PoolBuffer<Page>()
    /// Page id → index in `pages` (-1: released). Invariant (checked by `validate()`): the page at index i
    /// has its entry i, every other entry is -1.
    @exclusivity(unchecked) private var indexOfPage = PoolBuffer<Int>()
    /// Pages whose metadata is empty (invariant, checked by `validate()`: the pages cached as empty).
    @exclusivity(unchecked) var emptyPageCount = 0
    /// Every slot's record, live or not, indexed by slot (built on demand from the slot arrays).
    public var records: [Record] { (0..<slotInfo.count).map { record(slot: $0) } }
    @exclusivity(unchecked) private var slotInfo = PoolBuffer<SlotInfo>()
    @exclusivity(unchecked) private var slotPlace = PoolBuffer<SlotPlace>()
    @exclusivity(unchecked) private var slotName: [Int: String] = [:]
    /// Slots to reuse. Invariant (checked by `validate()`): every slot that is not live, each once.
    @exclusivity(unchecked) var freeSlots = PoolBuffer<Int>()
    @exclusivity(unchecked) private var slotByID = SlotTable()
    @exclusivity(unchecked) private var nextPageID = 0
    /// Bytes of all pages (pages of one pool may differ in size when rebuilt from a dump; invariant, checked
    /// by `validate()`: the sum of the pages' sizes).
    @exclusivity(unchecked) private var pageBytes = 0
    @exclusivity(unchecked) private var incrementalSort = true
    /// Between ``beginDefragmentation()`` and ``endDefragmentation()`` (when VMA's incremental sort is
    /// off): the engine holds handles, so no page is compacted.
    private var defragmenting: Bool { !incrementalSort }
    /// Where an allocation's pattern is made before it goes to the device (grown to the largest so far).
    @exclusivity(unchecked) private var scratch: [UInt64] = []
    /// Page ids released since the caller last took them (``takeReleasedPages()``).
    @exclusivity(unchecked) private var releasedPages: [Int] = []
    /// Bit i (of word i / 64) is set when page i - 1 has more free bytes than page i: VMA's incremental
    /// sort swaps the first such pair, found here in a word or two instead of a scan of every page.
    /// Kept wherever free bytes or the order change (refresh, swaps, pages added or released, re-sorts).
    /// Invariant (checked by `validate()`): bit i is set exactly when 1 <= i < page count and page i - 1
    /// caches more free bytes than page i; there is a word for bit `pages.count`.
    @exclusivity(unchecked) var inversions = PoolBuffer<UInt64>()

    public init(options: PoolOptions, device: Device, name: String = "pool") {
        precondition(options.pageSize > 0, "page size must be positive")
        self.options = options
        budgetBytes = options.budgetBytes
        self.device = device
        self.name = name
    }

    deinit {
        pages.withValues {
            for page in $0 {
                device.destroyPage(devicePage(page.id))
                page.metadataReference.release()
            }
        }
    }

    private var storesBytes: Bool { options.verifiesBytes && device.storesBytes }

    // MARK: queries

    /// Pages in the pool's current order.
    public var pageIDs: [Int] { pages.withValues { $0.map(\.id) } }
    /// The metadata of page `id`.
    public func metadata(ofPage id: Int) -> TLSFMetadata? {
        id >= 0 && id < indexOfPage.count && indexOfPage[id] >= 0 ? pages[indexOfPage[id]].metadata : nil
    }
    /// Live allocations made by the caller (not the engine's temporary ones).
    public var liveAllocationCount: Int { slotByID.count }
    /// The record of the caller's allocation `id`.
    public func record(id: Int) -> Record? { slotByID[id].map { record(slot: $0) } }
    /// The record in slot `slot` (an ``Allocation``).
    public func record(slot: Int) -> Record {
        let info = slotInfo[slot], place = slotPlace[slot]
        return Record(id: place.id, page: Int(info.page), handle: info.handle, offset: place.offset, size: info.size,
                      alignment: 1 << Int(info.alignmentLog2), type: info.type, checksum: place.checksum, live: info.live,
                      name: info.live && !slotName.isEmpty ? slotName[slot] : nil)
    }
    /// Bytes of all pages (VMA's heap usage without VK_EXT_memory_budget).
    public var blockBytes: Int { pageBytes }
    /// Bytes the pages' TLSF metadata holds (capacities of its arrays, caches and index included).
    public var metadataFootprintBytes: Int {
        pages.withValues { $0.reduce(0) { $0 + $1.metadata.footprintBytes } }
    }

    /// Bytes the pool itself holds besides the metadata: its allocation records and id map.
    public var recordFootprintBytes: Int {
        slotInfo.capacity * MemoryLayout<SlotInfo>.stride + slotPlace.capacity * MemoryLayout<SlotPlace>.stride
            + slotName.capacity * (MemoryLayout<Int>.stride + MemoryLayout<String>.stride + 1) + freeSlots.capacity * MemoryLayout<Int>.stride
            + slotByID.footprintBytes
            + pages.capacity * MemoryLayout<Page>.stride + indexOfPage.capacity * MemoryLayout<Int>.stride
    }

    /// Whether any page is empty (VMA's HasEmptyBlock).
    public var hasEmptyPage: Bool { emptyPageCount > 0 }

    /// Page ids released since the last call, in release order.
    public func takeReleasedPages() -> [Int] {
        defer { releasedPages.removeAll() }
        return releasedPages
    }

    // MARK: BlockList

    public func metadata(forBlock index: Int) -> TLSFMetadata { pages[index].metadata }
    public var blockCount: Int { pages.count }
    public var bufferImageGranularity: Int { options.bufferImageGranularity }
    public func lock() {}
    public func unlock() {}

    public func addStatistics(_ stats: inout Statistics) {
        for i in pages.indices { pages[i].metadata.addStatistics(&stats) }
    }

    public func moveData(forUserData userData: Int) -> MoveAllocationData<Int, TLSFMetadata> {
        precondition(userData >= 0 && userData < slotInfo.count && slotInfo[userData].live,
                     "pool \(name): no live allocation in slot \(userData)")
        let r = slotInfo[userData]
        let metadata = pages[pageIndex(Int(r.page))].metadata
        return MoveAllocationData(alignment: 1 << Int(r.alignmentLog2), suballocationType: r.type, flags: 0,
                                  move: DefragmentationMove(size: r.size, sourceMetadata: metadata, sourceAllocation: userData))
    }

    /// Without buffer/image granularity, TLSF's range of an allocation is exactly its size: read there, next
    /// to the walk's other reads, not in the slot table (a cache miss per allocation on large pools).
    public func moveSize(forUserData userData: Int, handle: AllocationHandle, in metadata: TLSFMetadata) -> Int {
        if bufferImageGranularity == 1, let size = try? metadata.size(of: handle) {
            assert(userData >= 0 && userData < slotInfo.count && slotInfo[userData].size == size,
                   "pool \(name): slot \(userData)'s size differs from its range")
            return size
        }
        precondition(userData >= 0 && userData < slotInfo.count && slotInfo[userData].live,
                     "pool \(name): no live allocation in slot \(userData)")
        return slotInfo[userData].size
    }

    public var blockTotals: (count: Int, bytes: Int) { (pages.count, pageBytes) }

    public func freeSpace(forBlock index: Int) -> (free: Int, largestRangeBound: Int) {
        (pages[index].free, pages[index].largestFreeRange)
    }

    public func commitDefragAllocationRequest(_ request: AllocationRequest, blockIndex: Int, alignment: Int, flags: UInt32,
                                              userData: Int, type: SuballocationType) throws -> Int {
        let page = pages[blockIndex]
        let handle = try withMetadata(blockIndex) { try $0.alloc(request, type: type, userData: userData) }
        refresh(blockIndex)
        let slot = newSlot(id: -1, page: page.id, handle: handle, offset: request.offset, size: request.size,
                           alignment: alignment, type: type, name: nil)
        do {
            try device.bindAllocation(deviceAllocation(slot), page: devicePage(page.id), offset: request.offset, size: request.size)
        } catch {
            freeHandle(handle, page: blockIndex, what: "a destination whose binding failed")
            refresh(blockIndex)
            releaseSlot(slot)
            throw PoolError.device("binding a destination of \(request.size) bytes at offset \(request.offset) of page \(page.id): \(error)")
        }
        return slot
    }

    public func swapBlocks(_ left: Int, _ right: Int) {
        pages.swapAt(left, right)
        indexOfPage[pages[left].id] = left
        indexOfPage[pages[right].id] = right
        // Each page's pairs with its neighbours changed (once for adjacent pages, as the incremental sort swaps).
        updateInversion(left)
        updateInversion(left + 1)
        if right != left + 1 { updateInversion(right) }
        updateInversion(right + 1)
    }

    /// Runs `body` with page `index`'s metadata, which the pool holds: no retain and release around it.
    @inline(__always)
    private func withMetadata<Result>(_ index: Int, _ body: (TLSFMetadata) throws -> Result) rethrows -> Result {
        try pages[index].metadataReference._withUnsafeGuaranteedRef(body)
    }

    /// Re-reads a page's free bytes and emptiness after its metadata changed.
    private func refresh(_ index: Int) {
        let (empty, free, largest) = withMetadata(index) { ($0.isEmpty, $0.sumFreeSize, $0.largestFreeRangeBound) }
        let old = pages[index]
        pages[index].isEmpty = empty
        pages[index].free = free
        pages[index].largestFreeRange = largest
        if empty != old.isEmpty { emptyPageCount += empty ? 1 : -1 }
        if free != old.free {
            if index >= 1 { setInversion(index, pages[index - 1].free > free) }
            if index + 1 < pages.count { setInversion(index + 1, free > pages[index + 1].free) }
        }
    }

    /// Sets (`on`) or clears inversion bit `i`.
    @inline(__always)
    private func setInversion(_ i: Int, _ on: Bool) {
        let bit: UInt64 = 1 << (i & 63)
        if on { inversions[i >> 6] |= bit } else { inversions[i >> 6] &= ~bit }
    }

    /// Sets or clears inversion bit `i` (the pair of pages i - 1 and i); nothing outside 1..<pages.count.
    @inline(__always)
    private func updateInversion(_ i: Int) {
        guard i >= 1 && i < pages.count else { return }
        setInversion(i, pages[i - 1].free > pages[i].free)
    }

    /// Recomputes the inversion bits from page `start` on, after pages moved (and clears the bit past the
    /// last page, which a released page leaves behind).
    private func updateInversions(from start: Int) {
        while inversions.count * 64 <= pages.count { inversions.append(0) }
        for i in max(start, 1)..<max(pages.count, 1) { updateInversion(i) }
        inversions[pages.count >> 6] &= ~(1 << (pages.count & 63))
    }

    private func appendPage(id: Int, size: Int) {
        let metadata = TLSFMetadata(size: size, bufferImageGranularity: options.bufferImageGranularity)
        pages.append(Page(id: id, metadataReference: .passRetained(metadata),
                          free: size, isEmpty: true, largestFreeRange: size))
        emptyPageCount += 1
        while indexOfPage.count <= id { indexOfPage.append(-1) }
        indexOfPage[id] = pages.count - 1
        pageBytes += size
        updateInversions(from: pages.count - 1)
    }

    // MARK: allocate and free (VMA's AllocatePage and Free)

    /// The first page from `start` on whose largest free range may hold `size` bytes (`pages.count`: none).
    /// A page whose largest free range is smaller cannot take it (TLSF would answer nil at once); most pages
    /// are skipped so, in a tight loop over the buffer.
    @inline(__always)
    private func nextPage(from start: Int, holding size: Int) -> Int {
        pages.withValues { p in
            var i = start
            while i < p.count && p[i].largestFreeRange < size { i += 1 }
            return i
        }
    }

    /// Places a new allocation of `size` bytes: in the first page (in the pool's order) that holds it,
    /// else in a new page. Fills it with its pattern when bytes are kept.
    @discardableResult
    public func allocate(id: Int, size: Int, alignment: Int, type: SuballocationType = .unknown, name: String? = nil) throws -> Record {
        record(slot: try allocateSlot(id: id, size: size, alignment: alignment, type: type, name: name))
    }

    /// ``allocate(id:size:alignment:type:name:)`` without building the record (replays make tens of
    /// thousands and read none): the slot taken, an ``Allocation``.
    @discardableResult
    public func allocateSlot(id: Int, size: Int, alignment: Int, type: SuballocationType = .unknown, name: String? = nil) throws -> Int {
        guard id >= 0, slotByID[id] == nil else { throw PoolError.duplicateID(id) }
        guard size >= 1 else { throw PoolError.invalidSize(id: id, size: size) }
        guard alignment > 0 && alignment & (alignment - 1) == 0 else { throw PoolError.invalidAlignment(id: id, alignment: alignment) }
        guard size <= options.pageSize else { throw PoolError.allocationTooLarge(id: id, size: size, pageSize: options.pageSize) }

        var placed: (index: Int, request: AllocationRequest)?
        var candidate = nextPage(from: 0, holding: size)
        while candidate < pages.count {
            if let request = try withMetadata(candidate, {
                try $0.createAllocationRequest(size: size, alignment: alignment, upperAddress: false, type: type,
                                               strategy: .default, maxOffset: .max)
            }) {
                placed = (candidate, request)
                break
            }
            candidate = nextPage(from: candidate + 1, holding: size)
        }
        if placed == nil {
            let index = try createPage()
            guard let request = try pages[index].metadata.createAllocationRequest(
                size: size, alignment: alignment, upperAddress: false, type: type, strategy: .default, maxOffset: .max) else {
                // Cannot happen for size <= page size and alignment handled by TLSF, but keep the pool intact.
                releasePage(at: index)
                throw PoolError.allocationTooLarge(id: id, size: size, pageSize: options.pageSize)
            }
            placed = (index, request)
        }
        let (index, request) = placed!
        let slot = try commit(request, pageIndex: index, id: id, alignment: alignment, type: type, name: name)
        sortIncrementally()
        return slot
    }

    /// Places an allocation at an exact offset of a page (for rebuilding a VMA dump), creating pages up to
    /// `pageID` as needed.
    @discardableResult
    public func place(id: Int, pageID: Int, offset: Int, size: Int, alignment: Int = 1, type: SuballocationType = .unknown,
                      name: String? = nil) throws -> Record {
        guard id >= 0, slotByID[id] == nil else { throw PoolError.duplicateID(id) }
        guard size >= 1 else { throw PoolError.invalidSize(id: id, size: size) }
        guard offset >= 0, offset <= options.pageSize - size else { throw PoolError.allocationTooLarge(id: id, size: size, pageSize: options.pageSize) }
        guard pageID >= 0, pageID <= Self.maxPageID else { throw PoolError.unknownPage(pageID) }
        while nextPageID <= pageID { _ = try createPage() }
        guard pageID < indexOfPage.count, indexOfPage[pageID] >= 0 else { throw PoolError.unknownPage(pageID) }
        let index = indexOfPage[pageID]
        let metadata = pages[index].metadata
        // The free range containing the offset; a min-offset request bounded just above it lands there.
        var found: AllocationRequest?
        metadata.visitAllRegions { region in
            if found == nil, region.isFree, region.offset <= offset, offset + size <= region.offset + region.size {
                found = AllocationRequest(handle: region.handle, size: size, offset: offset, kind: .tlsf, type: type)
            }
        }
        guard offset + size <= metadata.size else {
            throw PoolError.allocationTooLarge(id: id, size: size, pageSize: metadata.size)
        }
        guard let request = found else {
            throw PoolError.overlap(id: id, page: pageID, offset: offset)
        }
        return record(slot: try commit(request, pageIndex: index, id: id, alignment: alignment, type: type, name: name))
    }

    /// Allocates `request` in page `index` for the caller's `id`; the slot taken.
    @inline(__always)
    private func commit(_ request: AllocationRequest, pageIndex index: Int, id: Int, alignment: Int,
                        type: SuballocationType, name: String?) throws -> Int {
        let page = pages[index]
        let slot = newSlot(id: id, page: page.id, handle: AllocationHandle(index: 0, generation: 0), offset: request.offset,
                           size: request.size, alignment: alignment, type: type, name: name)
        let handle: AllocationHandle
        do { handle = try withMetadata(index) { try $0.alloc(request, type: type, userData: slot) } } catch {
            releaseSlot(slot)
            throw error
        }
        refresh(index)
        slotInfo[slot].handle = handle
        do {
            try device.bindAllocation(deviceAllocation(slot), page: devicePage(page.id), offset: request.offset, size: request.size)
            if storesBytes { slotPlace[slot].checksum = try writePattern(id: id, page: page.id, offset: request.offset, size: request.size) }
        } catch {
            device.unbindAllocation(deviceAllocation(slot))
            freeHandle(handle, page: index, what: "allocation \(id), whose binding or pattern failed")
            refresh(index)
            releaseSlot(slot)
            throw PoolError.device("\(error)")
        }
        slotByID[id] = slot
        return slot
    }

    /// Hints for a caller that knows which ids it will free next (a trace replay): a free of a random id
    /// in a large pool waits on memory three times in turn (the id's entry, its slot, its range), so the
    /// replay asks for them ahead, in stages: the entry some sixteen operations before, then (the entry
    /// at hand by then) the slot, eight before, then the range (``prepareRange(ofID:)``). Hints change
    /// nothing; a wrong id is ignored.
    public func prepareLookup(ofID id: Int) { slotByID.prefetch(id: id) }

    /// The second stage of ``prepareLookup(ofID:)``: the slot of `id`, if it has one.
    public func prepareFree(ofID id: Int) {
        guard let slot = slotByID[id] else { return }
        prefetchSlot(slot)
    }

    /// The third stage of ``prepareLookup(ofID:)``, some four operations before: the metadata node of the
    /// range of `id` (its slot at hand by then).
    public func prepareRange(ofID id: Int) {
        guard let slot = slotByID[id], slotInfo[slot].live else { return }
        let info = slotInfo[slot]
        let pageID = Int(info.page)
        guard pageID >= 0 && pageID < indexOfPage.count, indexOfPage[pageID] >= 0 else { return }
        if let address = withMetadata(indexOfPage[pageID], { $0.nodeAddress(of: info.handle) }) {
            dscope_prefetch_for_write(address)
        }
    }

    /// Frees the caller's allocation `id`, releasing its page by VMA's rules.
    public func free(id: Int) throws {
        guard let slot = slotByID.removeSlot(ofID: id) else { throw PoolError.unknownID(id) }
        let pageID = Int(slotInfo[slot].page)
        freeSlot(slot)
        // Unless freeing it released the page.
        let index = indexOfPage[pageID]
        if !defragmenting, index >= 0, withMetadata(index, { $0.wantsCompaction }) { compact(pages[index].metadata) }
    }

    /// Gives back the metadata's released node storage. The pool holds every handle of its pages, so it
    /// takes the new ones; never during a run, when the engine holds handles and requests too.
    private func compact(_ metadata: TLSFMetadata) {
        metadata.compact { userData, handle in
            precondition(userData >= 0 && userData < slotInfo.count && slotInfo[userData].live,
                         "pool \(name): compaction found user data \(userData), which is no live allocation")
            slotInfo[userData].handle = handle
        }
    }

    /// VMA's VmaBlockVector::Free for any slot (the caller's or a temporary destination).
    private func freeSlot(_ slot: Int) {
        let budgetExceeded = blockBytes >= budgetBytes
        let info = slotInfo[slot]
        let index = pageIndex(Int(info.page))
        let hadEmptyPage = hasEmptyPage
        device.unbindAllocation(deviceAllocation(slot))
        freeHandle(info.handle, page: index, what: "allocation \(slotPlace[slot].id) at offset \(slotPlace[slot].offset) of page \(info.page)")
        releaseSlot(slot)
        refresh(index)
        if pages[index].isEmpty {
            if hadEmptyPage || budgetExceeded || !options.keepOneEmptyPage {
                releasePage(at: index)
            }
        } else if hadEmptyPage, let last = pages.last, last.isEmpty {
            releasePage(at: pages.count - 1)
        }
        sortIncrementally()
    }

    /// Frees `handle` in the page at `index`. The pool took every handle it frees from that page's metadata
    /// (a slot's, or one just allocated and being rolled back), so the metadata cannot refuse it unless the
    /// pool's own tables are corrupt: that is a bug of the pool, not an input or device failure, and it
    /// stops the process rather than leave a page and its records disagreeing. No caller's value reaches
    /// here unchecked (``free(id:)`` looks the id up first).
    private func freeHandle(_ handle: AllocationHandle, page index: Int, what: @autoclosure () -> String) {
        do { try withMetadata(index) { try $0.free(handle) } } catch {
            preconditionFailure("pool \(name): freeing \(what()): \(error)")
        }
    }

    private func createPage() throws -> Int {
        let id = nextPageID
        try checkPageSize(options.pageSize)
        do { try device.createPage(devicePage(id), size: options.pageSize) } catch { throw PoolError.device("\(error)") }
        nextPageID += 1
        appendPage(id: id, size: options.pageSize)
        return pages.count - 1
    }

    /// The largest page id ``addPage(id:size:)`` takes: the pool indexes pages by id (an array as long as
    /// the largest id) and records them in 32 bits, so a dump's block id of 10^18 is refused, not a crash.
    public static var maxPageID: Int { (1 << 24) - 1 }

    /// Adds an empty page with exactly this id and size, at the end of the pool's order (for rebuilding a
    /// VMA dump, whose block ids come in any order, may have gaps, and whose blocks may differ in size).
    /// Pages the pool creates itself later get higher ids. Normal allocation never uses this path.
    public func addPage(id: Int, size: Int) throws {
        guard id >= 0, id <= Self.maxPageID, size > 0 else { throw PoolError.invalidPage(id: id, size: size) }
        guard metadata(ofPage: id) == nil else { throw PoolError.duplicatePage(id) }
        try checkPageSize(size)
        do { try device.createPage(devicePage(id), size: size) } catch { throw PoolError.device("\(error)") }
        nextPageID = max(nextPageID, id + 1)
        appendPage(id: id, size: size)
    }

    private func checkPageSize(_ size: Int) throws {
        guard size <= TLSFMetadata.maxPageSize else { throw PoolError.pageTooLarge(size: size, limit: TLSFMetadata.maxPageSize) }
    }

    private func releasePage(at index: Int) {
        let page = pages.remove(at: index)
        if page.isEmpty { emptyPageCount -= 1 }
        indexOfPage[page.id] = -1
        for i in index..<pages.count { indexOfPage[pages[i].id] = i }
        updateInversions(from: index)
        device.destroyPage(devicePage(page.id))
        pageBytes -= page.metadata.size
        releasedPages.append(page.id)
        page.metadataReference.release()
    }

    /// The ids the device knows a page and an allocation slot by (``PoolOptions/deviceIDBase``).
    private func devicePage(_ id: Int) -> Int { id &+ options.deviceIDBase }
    private func deviceAllocation(_ slot: Int) -> Int { slot &+ options.deviceIDBase }

    /// VMA's IncrementallySortBlocks: one bubble-sort swap at most.
    private func sortIncrementally() {
        guard incrementalSort else { return }
        var inversion: Int?
        for w in inversions.indices where inversions[w] != 0 {
            inversion = w << 6 | inversions[w].trailingZeroBitCount
            break
        }
        assert(inversion == pages.indices.dropFirst().first { pages[$0 - 1].free > pages[$0].free },
               "pool \(name): the inversion bits disagree with the pages' free bytes")
        if let i = inversion { swapInversion(i) }
    }

    /// ``swapBlocks(_:_:)`` for the incremental sort's pair i - 1, i: afterwards they are in order, so only
    /// the pairs on either side need a look.
    private func swapInversion(_ i: Int) {
        let left = pages[i - 1], right = pages[i]
        pages[i - 1] = right
        pages[i] = left
        indexOfPage[right.id] = i - 1
        indexOfPage[left.id] = i
        setInversion(i, false)
        if i >= 2 { setInversion(i - 1, pages[i - 2].free > right.free) }
        if i + 1 < pages.count { setInversion(i + 1, left.free > pages[i + 1].free) }
    }

    private func pageIndex(_ id: Int) -> Int {
        let index = id >= 0 && id < indexOfPage.count ? indexOfPage[id] : -1
        precondition(index >= 0, "pool \(name): page \(id) is not in the pool")
        return index
    }

    /// A live slot for a new allocation (its checksum 0 until its bytes are written).
    @inline(__always)
    private func newSlot(id: Int, page: Int, handle: AllocationHandle, offset: Int, size: Int, alignment: Int,
                         type: SuballocationType, name: String?) -> Int {
        let info = SlotInfo(size: size, handle: handle, page: Int32(page),
                            alignmentLog2: UInt8(alignment.trailingZeroBitCount), type: type, live: true)
        let place = SlotPlace(id: id, offset: offset, checksum: 0)
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slotInfo[slot] = info
            slotPlace[slot] = place
        } else {
            slot = slotInfo.count
            slotInfo.append(info)
            slotPlace.append(place)
        }
        if let name { slotName[slot] = name }
        return slot
    }

    private func releaseSlot(_ slot: Int) {
        slotInfo[slot].live = false
        if !slotName.isEmpty { slotName[slot] = nil }
        freeSlots.append(slot)
    }

    // MARK: bytes

    /// Between ``deferPatterns()`` and ``writeDeferredPatterns()``: new allocations get no content yet.
    @exclusivity(unchecked) private var patternsDeferred = false

    /// New allocations get their content only at ``writeDeferredPatterns()``, for pools built by a replay:
    /// what the replay frees again never needed any, and what stays live is written once, page by page in
    /// address order. Until then the pool must not be verified or defragmented. Does nothing when the pool
    /// keeps no bytes.
    public func deferPatterns() {
        patternsDeferred = storesBytes
    }

    /// Writes the content of every allocation made since ``deferPatterns()`` (every live one, as
    /// ``allocate(id:size:alignment:type:name:)`` would have) and ends the deferral. On a device whose pages
    /// take contents concurrently (``PageDevice/writesPagesConcurrently``) several pages are written at once.
    /// `progress` is called on the caller's thread after every few pages; what it throws stops the writing
    /// and is rethrown. A device failure is a ``PoolError/device(_:)``. Either way the pool's records are
    /// intact, and allocations whose content was not written fail verification.
    public func writeDeferredPatterns(progress: (() throws -> Void)? = nil) throws {
        guard patternsDeferred else { return }
        patternsDeferred = false
        // Every live allocation: slots page by page, each page's in address order (the regions come last to
        // first), so that writes go forward through memory and a device of tokens keeps them in order.
        var slots: [Int] = []
        var pageSlots: [(page: Int, slots: Range<Int>)] = []
        var regions: [Int] = []
        for index in 0..<pages.count {
            regions.removeAll(keepingCapacity: true)
            pages[index].metadata.visitAllRegions { region in
                if !region.isFree && region.userData >= 0 { regions.append(region.userData) }
            }
            let first = slots.count
            slots.append(contentsOf: regions.reversed())
            pageSlots.append((pages[index].id, first..<slots.count))
        }
        // Filled by the writers, each its own pages' entries.
        let checksums = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: slots.count)
        checksums.initialize(repeating: 0)
        let concurrent = device.writesPagesConcurrently
        let group = concurrent ? 8 : 1
        var written = 0
        defer {
            // What was written counts (a failure or a stop leaves the rest unwritten, failing verification).
            for k in 0..<written { slotPlace[slots[k]].checksum = checksums[k] }
            checksums.deallocate()
        }
        var failures = [String?](repeating: nil, count: group)
        for start in stride(from: 0, to: pageSlots.count, by: group) {
            let batch = pageSlots[start..<min(start + group, pageSlots.count)]
            let write = { (k: Int) -> String? in
                let (page, range) = batch[batch.startIndex + k]
                do {
                    for n in range {
                        let slot = slots[n]
                        let place = self.slotPlace[slot], size = self.slotInfo[slot].size
                        guard let checksum = try self.device.writeContent(ofAllocation: place.id, page: self.devicePage(page),
                                                                          offset: place.offset, size: size) else {
                            return "the device wrote no content for allocation \(place.id)"
                        }
                        checksums[n] = checksum
                    }
                } catch {
                    return "\(error)"
                }
                return nil
            }
            if concurrent && batch.count > 1 {
                failures.withUnsafeMutableBufferPointer { failures in
                    DispatchQueue.concurrentPerform(iterations: batch.count) { k in failures[k] = write(k) }
                }
                if let failure = failures.prefix(batch.count).compactMap({ $0 }).first { throw PoolError.device(failure) }
            } else {
                for k in batch.indices {
                    let (page, range) = pageSlots[k]
                    for n in range {
                        let slot = slots[n]
                        do {
                            checksums[n] = try writePattern(id: slotPlace[slot].id, page: page, offset: slotPlace[slot].offset,
                                                            size: slotInfo[slot].size)
                        } catch {
                            throw PoolError.device("\(error)")
                        }
                    }
                }
            }
            written = batch.last!.slots.upperBound
            try progress?()
        }
    }

    private func writePattern(id: Int, page: Int, offset: Int, size: Int) throws -> UInt64 {
        if patternsDeferred { return 0 }
        if let token = try device.writeContent(ofAllocation: id, page: devicePage(page), offset: offset, size: size) { return token }
        let words = (size + 7) / 8
        if scratch.count < words { scratch = Array(repeating: 0, count: max(words, 1 << 13)) }
        return try scratch.withUnsafeMutableBytes { whole in
            let buffer = UnsafeMutableRawBufferPointer(rebasing: whole[0..<size])
            let checksum = AllocationPattern.fillReturningChecksum(buffer, id: id)
            try device.write(page: devicePage(page), offset: offset, bytes: UnsafeRawBufferPointer(buffer))
            return checksum
        }
    }

    /// Checks the bytes of the caller's allocation `id` against its pattern.
    public func verify(id: Int) throws {
        guard storesBytes else { return }
        guard let slot = slotByID[id] else { throw PoolError.unknownID(id) }
        if patternsDeferred { throw PoolError.verification("allocation \(id): its content is not written yet (writeDeferredPatterns)") }
        let r = record(slot: slot)
        let actual: UInt64
        do { actual = try device.checksum(page: devicePage(r.page), offset: r.offset, size: r.size) } catch { throw PoolError.device("\(error)") }
        if actual != r.checksum {
            throw PoolError.verification("allocation \(r.id) (\(r.size) bytes) at page \(r.page) offset \(r.offset): checksum \(String(actual, radix: 16)) expected \(String(r.checksum, radix: 16))")
        }
    }

    /// Checks every live allocation's bytes.
    public func verifyAll() throws {
        guard storesBytes else { return }
        for id in slotByID.ids { try verify(id: id) }
    }

    /// Checks every page's metadata, and that the pool's records agree with it.
    public func validate() throws {
        var seen = 0
        for page in pages.array {
            try page.metadata.validate()
            var error: String?
            page.metadata.visitAllRegions { region in
                guard error == nil, !region.isFree else { return }
                seen += 1
                let slot = region.userData
                guard slot >= 0 else { return } // a temporary destination of a run in progress
                guard slot < slotInfo.count, slotInfo[slot].live, Int(slotInfo[slot].page) == page.id,
                      slotPlace[slot].offset == region.offset, slotInfo[slot].size == region.size,
                      slotInfo[slot].handle == region.handle else {
                    error = "page \(page.id) offset \(region.offset): the pool's record of slot \(slot) disagrees with the metadata"
                    return
                }
            }
            if let error { throw PoolError.verification(error) }
        }
        var live = 0, callers = 0
        for (slot, m) in slotInfo.array.enumerated() where m.live {
            live += 1
            let id = slotPlace[slot].id
            guard id >= 0 else { continue } // a temporary destination
            callers += 1
            guard slotByID[id] == slot else {
                throw PoolError.verification("pool \(name): allocation \(id) in slot \(slot) is not the id's slot")
            }
        }
        if callers != slotByID.count {
            throw PoolError.verification("pool \(name): \(slotByID.count) ids map to slots, \(callers) of the caller's slots are live")
        }
        if seen != live { throw PoolError.verification("pool \(name): \(live) live records but \(seen) allocations in the pages") }
        // The cached free bytes, emptiness and largest-range bound, and the incremental sort's inversion
        // bits, agree with the pages.
        for (i, page) in pages.array.enumerated() {
            let m = page.metadata
            if page.free != m.sumFreeSize || page.isEmpty != m.isEmpty || page.largestFreeRange != m.largestFreeRangeBound {
                throw PoolError.verification("pool \(name): page \(page.id) caches \(page.free) free bytes (empty: \(page.isEmpty), largest range at most \(page.largestFreeRange)), its metadata has \(m.sumFreeSize) (\(m.isEmpty), \(m.largestFreeRangeBound))")
            }
            if indexOfPage[page.id] != i { throw PoolError.verification("pool \(name): page \(page.id) is at \(i), its index says \(indexOfPage[page.id])") }
        }
        let indexed = indexOfPage.array.filter { $0 >= 0 }.count
        if indexed != pages.count { throw PoolError.verification("pool \(name): \(indexed) page ids map to an index, the pool has \(pages.count) pages") }
        let empty = pages.array.filter(\.isEmpty).count, bytes = pages.array.reduce(0) { $0 + $1.metadata.size }
        if empty != emptyPageCount { throw PoolError.verification("pool \(name): \(empty) pages are empty, counted \(emptyPageCount)") }
        if bytes != pageBytes { throw PoolError.verification("pool \(name): pages add up to \(bytes) bytes, counted \(pageBytes)") }
        let reusable = freeSlots.array
        if Set(reusable).count != reusable.count || reusable.contains(where: { $0 < 0 || $0 >= slotInfo.count || slotInfo[$0].live })
            || reusable.count != slotInfo.count - live {
            throw PoolError.verification("pool \(name): the \(reusable.count) slots kept for reuse are not the \(slotInfo.count - live) slots that are not live")
        }
        if !pages.isEmpty && inversions.count * 64 <= pages.count { throw PoolError.verification("pool \(name): \(inversions.count) words of inversion bits for \(pages.count) pages") }
        for i in 0..<inversions.count * 64 {
            let marked = inversions[i >> 6] & (1 << UInt64(i & 63)) != 0
            let inverted = i >= 1 && i < pages.count && pages[i - 1].free > pages[i].free
            if marked != inverted {
                throw PoolError.verification("pool \(name): the incremental sort's bit for pages \(i - 1) and \(i) is \(marked ? "set" : "clear"), their free bytes say otherwise")
            }
        }
    }

    // MARK: defragmentation (VMA's DefragmentPassEnd per move)

    /// Starts a run: incremental sorting off, pages sorted by free bytes, fullest first (stable).
    public func beginDefragmentation() {
        incrementalSort = false
        let order = pages.indices.sorted {
            let a = pages[$0].free, b = pages[$1].free
            return a != b ? a < b : $0 < $1
        }
        let sorted = order.map { pages[$0] }
        for (i, page) in sorted.enumerated() {
            pages[i] = page
            indexOfPage[page.id] = i
        }
        updateInversions(from: 0)
    }

    /// Ends a run: incremental sorting back on, and pages whose moves left much node storage released are
    /// compacted.
    public func endDefragmentation() {
        incrementalSort = true
        for i in pages.indices where pages[i].metadata.wantsCompaction { compact(pages[i].metadata) }
    }

    /// Asks for the slots `move`'s completion reads and writes: the allocation's own (its id's, anywhere in
    /// the table) and its destination's.
    public func prepareCompletion(of move: DefragmentationMove<Int, TLSFMetadata>) {
        prefetchSlot(move.sourceAllocation)
        if let destination = move.destinationAllocation { prefetchSlot(destination) }
    }

    @inline(__always)
    private func prefetchSlot(_ slot: Int) {
        guard slot >= 0 && slot < slotInfo.count else { return }
        slotInfo.withValues { dscope_prefetch_for_write($0.baseAddress! + slot) }
        slotPlace.withValues { dscope_prefetch_for_write($0.baseAddress! + slot) }
    }

    /// Completes one move as VMA's DefragmentPassEnd does: `.copy` gives the allocation its destination
    /// and frees the old place; `.ignore` frees the destination; `.destroy` frees both (the caller's
    /// allocation is gone).
    ///
    /// A `.copy` rebinds the allocation on the device at its destination (the destination's own binding
    /// goes with the temporary slot, freed here). When that bind fails the move is undone: the allocation
    /// stays at its source (its bytes there are untouched by the copy) bound as before, the destination is
    /// freed, and ``PoolError/device(_:)`` is thrown; should binding it back at the source fail too, the
    /// error says so (the allocation is then in place but not bound, and a later copy of it fails).
    /// A move without a destination (not one the engine made) throws ``PoolError/notAMove(slot:)``.
    public func complete(_ move: DefragmentationMove<Int, TLSFMetadata>) throws {
        guard let temporary = move.destinationAllocation, temporary >= 0, temporary < slotInfo.count, slotInfo[temporary].live,
              move.sourceAllocation >= 0, move.sourceAllocation < slotInfo.count, slotInfo[move.sourceAllocation].live else {
            throw PoolError.notAMove(slot: move.sourceAllocation)
        }
        let source = move.sourceAllocation
        switch move.operation {
        case .copy:
            do { try swapPlaces(source, temporary) } catch {
                freeSlot(temporary)
                throw error
            }
            freeSlot(temporary)
        case .ignore:
            freeSlot(temporary)
        case .destroy:
            slotByID[slotPlace[source].id] = nil
            freeSlot(source)
            freeSlot(temporary)
        }
    }

    /// The allocation in slot `source` takes the place (page, handle, offset) of the temporary destination
    /// `temporary`, which takes the old one, and is rebound there on the device; undone when the bind fails.
    private func swapPlaces(_ source: Int, _ temporary: Int) throws {
        func exchange() {
            var s = slotInfo[source], t = slotInfo[temporary]
            swap(&s.page, &t.page)
            swap(&s.handle, &t.handle)
            slotInfo[source] = s
            slotInfo[temporary] = t
            let offset = slotPlace[source].offset
            slotPlace[source].offset = slotPlace[temporary].offset
            slotPlace[temporary].offset = offset
        }
        let size = slotInfo[source].size
        let from = (page: Int(slotInfo[source].page), offset: slotPlace[source].offset)
        exchange()
        device.unbindAllocation(deviceAllocation(source))
        do {
            try device.bindAllocation(deviceAllocation(source), page: devicePage(Int(slotInfo[source].page)), offset: slotPlace[source].offset, size: size)
        } catch {
            let to = (page: Int(slotInfo[source].page), offset: slotPlace[source].offset)
            exchange()
            var message = "binding allocation \(slotPlace[source].id) at its destination, offset \(to.offset) of page \(to.page): \(error); it stays at offset \(from.offset) of page \(from.page)"
            do {
                try device.bindAllocation(deviceAllocation(source), page: devicePage(from.page), offset: from.offset, size: size)
            } catch {
                message += ", but binding it there again failed too (\(error)): it is not bound"
            }
            throw PoolError.device(message)
        }
        setUserData(source)
        setUserData(temporary)
    }

    /// Gives up a move before completing it: its destination is freed, the allocation stays where it is.
    public func abandon(_ move: DefragmentationMove<Int, TLSFMetadata>) {
        if let temporary = move.destinationAllocation, slotInfo[temporary].live { freeSlot(temporary) }
    }

    private func setUserData(_ slot: Int) {
        let r = slotInfo[slot]
        do { try pages[pageIndex(Int(r.page))].metadata.setUserData(slot, of: r.handle) } catch {
            preconditionFailure("pool \(name): \(error)")
        }
    }

    /// The byte copy of a move, for the device.
    public func copy(for move: DefragmentationMove<Int, TLSFMetadata>) -> PageCopy {
        let s = record(slot: move.sourceAllocation), t = record(slot: move.destinationAllocation!)
        return PageCopy(sourceAllocation: deviceAllocation(move.sourceAllocation), destinationAllocation: deviceAllocation(move.destinationAllocation!),
                        sourcePage: devicePage(s.page), sourceOffset: s.offset, destinationPage: devicePage(t.page), destinationOffset: t.offset, size: s.size)
    }
}
