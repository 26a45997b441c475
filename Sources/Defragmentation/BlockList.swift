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
    /// The buffer/image granularity of the pool's pages (1: none).
    var bufferImageGranularity: Int { get }
    /// Guards the page list while the engine walks or rearranges it.
    func lock()
    func unlock()
    /// Commits `request` in page `blockIndex` as a temporary destination with `userData` (the engine's
    /// sentinel) and returns the new allocation.
    func commitDefragAllocationRequest(_ request: AllocationRequest, blockIndex: Int, alignment: Int, flags: UInt32,
                                       userData: Int, type: SuballocationType) throws -> Allocation
    /// Exchanges two pages' positions. The engine holds the lock while it calls this.
    func swapBlocks(_ left: Int, _ right: Int)
}
