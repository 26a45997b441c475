// Port of memutils/defrag/block_list.go: the pool side of the engine.
import MemoryMetadata

/// A pool of pages the engine can defragment: pages by index, each with its metadata, holding allocations
/// of the pool's own type.
///
/// Allocations' metadata user data is the pool's; values below zero are reserved for the engine, which
/// marks the temporary destinations it creates with its context's ``MetadataDefragContext/sentinel``.
/// The seed's `CreateAlloc` and `outAlloc` are folded into the return value of
/// ``commitDefragAllocationRequest(_:blockIndex:alignment:flags:userData:type:)``.
public protocol BlockList: AnyObject {
    associatedtype Allocation
    associatedtype Metadata: BlockMetadata

    /// The metadata of the page at `index`.
    func metadata(forBlock index: Int) -> Metadata
    /// The number of pages.
    var blockCount: Int { get }
    /// Adds the counts of every page (pages, allocations, bytes) to `stats`.
    func addStatistics(_ stats: inout Statistics)
    /// Describes the allocation whose metadata user data is `userData`: alignment, type, flags, and a move
    /// with its source filled in.
    func moveData(forUserData userData: Int) -> MoveAllocationData<Allocation, Metadata>
    /// The size of the allocation whose metadata user data is `userData`, at `handle` in `metadata`: the
    /// `move.size` of ``moveData(forUserData:)``, which is the default answer. A pool that can read it
    /// alone (from the range in the metadata, when it is the allocation's size) saves the engine the rest
    /// on allocations it only needs to measure.
    func moveSize(forUserData userData: Int, handle: AllocationHandle, in metadata: Metadata) -> Int
    /// The buffer/image granularity of the pool's pages (1: none).
    var bufferImageGranularity: Int { get }
    /// Guards the page list while the engine walks or rearranges it.
    func lock()
    func unlock()
    /// Commits `request` in page `blockIndex` as a temporary destination with `userData` (the engine's
    /// sentinel) and returns the new allocation.
    ///
    /// The request comes from the page's own metadata, so the room is there: throw only when the commit
    /// fails for another reason (a device cannot bind the destination), and leave the page as it was.
    /// The engine records the error in ``MetadataDefragContext/collectFailures`` and tries the next page,
    /// as the seed does for out of device memory (any other error of the seed's panics; nothing panics
    /// here). "Does not fit" never reaches the block list: the metadata answers it first.
    func commitDefragAllocationRequest(_ request: AllocationRequest, blockIndex: Int, alignment: Int, flags: UInt32,
                                       userData: Int, type: SuballocationType) throws -> Allocation
    /// Exchanges two pages' positions. The engine holds the lock while it calls this.
    func swapBlocks(_ left: Int, _ right: Int)
    /// A hint: the handler will complete `move` soon (``MetadataDefragContext/completePass(_:)`` tells a
    /// few moves ahead). A pool whose completion reads memory spread wide (the slots of a large pool) can
    /// ask for it now, so that the reads overlap instead of waiting one after the other. The default does
    /// nothing; it must not change anything the engine or the handler sees.
    func prepareCompletion(of move: DefragmentationMove<Allocation, Metadata>)

    /// The number of pages and their bytes, as ``addStatistics(_:)`` counts them. The engine reads this
    /// around every move to account for pages released; a pool that keeps the totals can answer in O(1).
    var blockTotals: (count: Int, bytes: Int) { get }
    /// Page `index`'s free bytes and an upper bound of its largest free range (its metadata's
    /// `sumFreeSize` and `largestFreeRangeBound`); a pool that caches them saves the engine a visit to the
    /// metadata of every page it considers as a destination.
    func freeSpace(forBlock index: Int) -> (free: Int, largestRangeBound: Int)
}

extension BlockList {
    public func prepareCompletion(of move: DefragmentationMove<Allocation, Metadata>) {}

    public func moveSize(forUserData userData: Int, handle: AllocationHandle, in metadata: Metadata) -> Int {
        moveData(forUserData: userData).move.size
    }

    public var blockTotals: (count: Int, bytes: Int) {
        var stats = Statistics()
        addStatistics(&stats)
        return (stats.blockCount, stats.blockBytes)
    }

    public func freeSpace(forBlock index: Int) -> (free: Int, largestRangeBound: Int) {
        let metadata = self.metadata(forBlock: index)
        return (metadata.sumFreeSize, metadata.largestFreeRangeBound)
    }
}
