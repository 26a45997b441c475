// A hand-written BlockList for engine tests: pages of TLSF metadata holding allocations named by id, placed
// at exact offsets, with a handler that completes moves the way VMA's DefragmentPassEnd does.
import Defragmentation
import MemoryMetadata

final class FakeBlockList: BlockList {
    typealias Allocation = Int
    typealias Metadata = TLSFMetadata

    struct Item { var id: Int; var page: TLSFMetadata; var handle: AllocationHandle; var size: Int; var alignment: Int; var type: SuballocationType; var live: Bool }

    var pages: [TLSFMetadata]
    /// Names of pages for assertions: the index each page had when the list was made.
    let pageNames: [ObjectIdentifier: Int]
    var items: [Item] = []
    var granularity: Int
    var swaps: [(Int, Int)] = []
    var lockDepth = 0

    /// - Parameter layout: per page, (id, offset, size) of each allocation.
    init(pageSize: Int, layout: [[(id: Int, offset: Int, size: Int)]], alignment: Int = 1, granularity: Int = 1,
         types: [Int: SuballocationType] = [:]) throws {
        self.granularity = granularity
        pages = layout.map { _ in TLSFMetadata(size: pageSize, bufferImageGranularity: granularity) }
        var names: [ObjectIdentifier: Int] = [:]
        for (i, page) in pages.enumerated() { names[ObjectIdentifier(page)] = i }
        pageNames = names
        for (pageIndex, allocations) in layout.enumerated() {
            for a in allocations.sorted(by: { $0.offset < $1.offset }) {
                try place(id: a.id, page: pages[pageIndex], offset: a.offset, size: a.size, alignment: alignment, type: types[a.id] ?? .unknown)
            }
        }
    }

    @discardableResult
    func place(id: Int, page: TLSFMetadata, offset: Int, size: Int, alignment: Int, type: SuballocationType) throws -> Int {
        var request: AllocationRequest?
        page.visitAllRegions { r in
            if request == nil, r.isFree, r.offset <= offset, offset + size <= r.offset + r.size {
                request = AllocationRequest(handle: r.handle, size: size, offset: offset, kind: .tlsf, type: type)
            }
        }
        guard let request else { throw FakeError.overlap(id) }
        let slot = items.count
        let handle = try page.alloc(request, type: type, userData: slot)
        items.append(Item(id: id, page: page, handle: handle, size: size, alignment: alignment, type: type, live: true))
        return slot
    }

    enum FakeError: Error { case overlap(Int), refused(Int) }

    func metadata(forBlock index: Int) -> TLSFMetadata { pages[index] }
    var blockCount: Int { pages.count }
    func addStatistics(_ stats: inout Statistics) { for p in pages { p.addStatistics(&stats) } }
    var bufferImageGranularity: Int { granularity }
    func lock() { lockDepth += 1 }
    func unlock() { lockDepth -= 1 }

    func moveData(forUserData userData: Int) -> MoveAllocationData<Int, TLSFMetadata> {
        let item = items[userData]
        return MoveAllocationData(alignment: item.alignment, suballocationType: item.type,
                                  move: DefragmentationMove(size: item.size, sourceMetadata: item.page, sourceAllocation: userData))
    }

    /// This many of the next commits throw (a device that cannot bind), leaving the page as it was.
    var refuseNextCommits = 0

    func commitDefragAllocationRequest(_ request: AllocationRequest, blockIndex: Int, alignment: Int, flags: UInt32,
                                       userData: Int, type: SuballocationType) throws -> Int {
        if refuseNextCommits > 0 {
            refuseNextCommits -= 1
            throw FakeError.refused(blockIndex)
        }
        let page = pages[blockIndex]
        let handle = try page.alloc(request, type: type, userData: userData)
        items.append(Item(id: -1, page: page, handle: handle, size: request.size, alignment: alignment, type: type, live: true))
        return items.count - 1
    }

    func swapBlocks(_ left: Int, _ right: Int) {
        swaps.append((left, right))
        pages.swapAt(left, right)
    }

    /// Completes a move like VMA: copy swaps places and frees the old one; ignore frees the destination;
    /// destroy frees both. Pages left empty are removed when `releaseEmptyPages`.
    var releaseEmptyPages = false

    func complete(_ move: DefragmentationMove<Int, TLSFMetadata>) throws {
        let s = move.sourceAllocation, t = move.destinationAllocation!
        switch move.operation {
        case .copy:
            let old = items[s]
            items[s].page = items[t].page
            items[s].handle = items[t].handle
            try items[s].page.setUserData(s, of: items[s].handle)
            try old.page.free(old.handle)
            items[t].live = false
            releaseIfEmpty(old.page)
        case .ignore:
            try items[t].page.free(items[t].handle)
            items[t].live = false
            releaseIfEmpty(items[t].page)
        case .destroy:
            try items[s].page.free(items[s].handle)
            try items[t].page.free(items[t].handle)
            items[s].live = false
            items[t].live = false
            releaseIfEmpty(items[s].page)
            releaseIfEmpty(items[t].page)
        }
    }

    private func releaseIfEmpty(_ page: TLSFMetadata) {
        if releaseEmptyPages, page.isEmpty, let i = pages.firstIndex(where: { $0 === page }) { pages.remove(at: i) }
    }

    /// The original index of a page.
    func name(_ page: TLSFMetadata) -> Int { pageNames[ObjectIdentifier(page)]! }

    /// (id, page name, offset) of every live allocation, ascending id.
    func layout() throws -> [[Int]] {
        try items.filter { $0.live && $0.id >= 0 }.map { [$0.id, name($0.page), try $0.page.offset(of: $0.handle)] }.sorted { $0[0] < $1[0] }
    }

    func validate() throws { for p in pages { try p.validate() } }
}

/// A move as the tables write it: id, source page and offset, destination page and offset (page = original index).
struct ExpectedMove: Equatable, CustomStringConvertible {
    var id: Int, sourcePage: Int, sourceOffset: Int, destinationPage: Int, destinationOffset: Int
    init(_ id: Int, _ sp: Int, _ so: Int, _ dp: Int, _ d: Int) { self.id = id; sourcePage = sp; sourceOffset = so; destinationPage = dp; destinationOffset = d }
    var description: String { "move \(id) \(sourcePage)@\(sourceOffset) → \(destinationPage)@\(destinationOffset)" }
}
