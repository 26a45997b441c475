// The engine's memory of earlier walks (issue 21, item 2: a budgeted run re-walked every settled page at
// every pass; item 1: the later passes of an unlimited run on huge walked a million allocations to move a
// few). Skipping the allocations whose answer cannot have changed must give the very same moves as
// visiting them all, pass by pass, whatever changes the pages between passes.
@testable import Defragmentation
@_spi(Tables) @testable import MemoryMetadata
import Testing

/// A fragmented set of pages: allocations of mixed sizes and alignments packed with random gaps.
private func fragmentedList(seed: UInt64, pages: Int = 6, pageSize: Int = 1 << 14) throws -> FakeBlockList {
    var random = SeededRandom(seed: seed)
    func next() -> Int { Int(truncatingIfNeeded: random.next() >> 1) }
    var layout: [[(id: Int, offset: Int, size: Int)]] = []
    var alignments: [Int: Int] = [:]
    var id = 0
    for _ in 0..<pages {
        var page: [(id: Int, offset: Int, size: Int)] = []
        var offset = next() % 512
        while true {
            let size = 16 << (next() % 7)
            guard offset + size <= pageSize else { break }
            id += 1
            page.append((id, offset, size))
            alignments[id] = 1 << (next() % 6)
            offset += size + (next() % 3 == 0 ? 16 << (next() % 6) : 0)
        }
        layout.append(page)
    }
    let list = try FakeBlockList(pageSize: pageSize, layout: layout)
    for i in list.items.indices { list.items[i].alignment = alignments[list.items[i].id]! }
    list.releaseEmptyPages = true
    return list
}

/// Runs passes of `maxPassAllocations` until one collects nothing (or `limit`), checking the memory after
/// every collect and completion; `between` runs between passes (changes from outside the engine).
private func run(_ list: FakeBlockList, _ context: MetadataDefragContext<FakeBlockList>, maxPassAllocations: Int,
                 limit: Int = 2000, between: (Int, FakeBlockList) throws -> Void = { _, _ in }) throws -> [[ExpectedMove]] {
    let result = try runPasses(list, context, maxPassAllocations: maxPassAllocations, limit: limit,
                               check: { try context.checkWalkMemory() }, between: between)
    #expect(result.errors.isEmpty)
    return result.moves
}

/// Every page's free lists, in list order, as the offsets of their ranges: the order VMA's first fit reads.
private func freeListOrders(_ list: FakeBlockList) -> [[[Int]]] {
    list.pages.map { page in
        (0..<page.lists.count).map { r in
            var offsets: [Int] = [], b = page.lists[r].head
            while b != TLSFMetadata.none {
                offsets.append(page.nodes[Int(b)].offset)
                b = page.nodes[Int(b)].nextFree
            }
            return offsets
        }
    }
}

/// The index of the first pass where the two runs differ.
private func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
}

@Suite("Engine: memory of earlier walks")
struct WalkMemoryTests {
    static let cases: [(Algorithm, Dialect, Int)] = [
        (.full, .vma, 1), (.full, .vma, 7), (.full, .memutils, 3),
        (.fast, .vma, 2), (.fast, .memutils, 5),
        (.balanced, .vma, 4), (.balanced, .memutils, 1),
        (.full, .vma, .max), (.full, .memutils, .max), (.fast, .vma, .max), (.balanced, .vma, .max),
    ]

    @Test("passes, budgeted or not, collect the same moves with and without the memory, which skips visits", arguments: cases)
    func sameMoves(algorithm: Algorithm, dialect: Dialect, budget: Int) throws {
        var skipped = 0
        for seed: UInt64 in 1...3 {
            let plain = try fragmentedList(seed: seed), remembering = try fragmentedList(seed: seed)
            let off = MetadataDefragContext(blockList: plain, algorithm: algorithm, dialect: dialect) { try plain.complete($0) }
            off.remembersWalks = false
            try off.initialize()
            let on = MetadataDefragContext(blockList: remembering, algorithm: algorithm, dialect: dialect) { try remembering.complete($0) }
            try on.initialize()
            let expected = try run(plain, off, maxPassAllocations: budget)
            let got = try run(remembering, on, maxPassAllocations: budget)
            #expect(!expected.isEmpty)
            #expect(got == expected, "seed \(seed): pass \(firstDifference(got, expected)) differs")
            #expect(try remembering.layout() == plain.layout())
            #expect(off.visitsSkipped == 0)
            skipped += on.visitsSkipped
        }
        #expect(skipped > 0, "the memory never skipped a visit")
    }

    @Test("frees and new allocations between passes are seen: a remembered page that changed is walked again")
    func changesBetweenPasses() throws {
        for algorithm: Algorithm in [.full, .fast, .balanced] {
            let plain = try fragmentedList(seed: 9), remembering = try fragmentedList(seed: 9)
            let off = MetadataDefragContext(blockList: plain, algorithm: algorithm, dialect: .vma) { try plain.complete($0) }
            off.remembersWalks = false
            try off.initialize()
            let on = MetadataDefragContext(blockList: remembering, algorithm: algorithm, dialect: .vma) { try remembering.complete($0) }
            try on.initialize()
            // Every few passes, the user frees an allocation of the last page and places a new one in the first
            // free range of the page before it that holds 64 bytes.
            func meddle(_ pass: Int, _ list: FakeBlockList) throws {
                guard pass % 3 == 0, list.pages.count >= 2 else { return }
                let last = list.pages[list.pages.count - 1]
                if let i = list.items.lastIndex(where: { $0.live && $0.page === last }) {
                    try last.free(list.items[i].handle)
                    list.items[i].live = false
                }
                let page = list.pages[list.pages.count - 2]
                var offset: Int?
                page.visitAllRegions { r in if r.isFree && r.size >= 64 { offset = r.offset } }
                if let offset { try list.place(id: 100_000 + pass, page: page, offset: offset, size: 64, alignment: 1, type: .unknown) }
            }
            let expected = try run(plain, off, maxPassAllocations: 2, between: meddle)
            let got = try run(remembering, on, maxPassAllocations: 2, between: meddle)
            #expect(got == expected, "\(algorithm): pass \(firstDifference(got, expected)) differs")
            #expect(try remembering.layout() == plain.layout())
        }
    }

    /// Full in VMA's dialect moves the free range its search for a lower offset finds to the front of its
    /// list, even when that range is not lower: a walk that collects nothing still changes its page. Such
    /// pages are remembered as `reordered` and skipped whole while nothing before them grew; the lists must
    /// end in the order the walk would have left them, which the next searches (first fit in list order)
    /// show.
    @Test("a page whose own walk only reordered its free lists is skipped whole, with the same moves and lists after",
          arguments: [1, 3, Int.max])
    func reorderedPagesSkipped(budget: Int) throws {
        var reorderedSeen = 0, skipped = 0
        for seed: UInt64 in 1...6 {
            let plain = try fragmentedList(seed: seed, pages: 8), remembering = try fragmentedList(seed: seed, pages: 8)
            let off = MetadataDefragContext(blockList: plain, algorithm: .full, dialect: .vma) { try plain.complete($0) }
            off.remembersWalks = false
            try off.initialize()
            let on = MetadataDefragContext(blockList: remembering, algorithm: .full, dialect: .vma) { try remembering.complete($0) }
            try on.initialize()
            // Between passes, a new allocation in the first page's first free range that holds it makes the
            // next pass search differently (first fit in list order) wherever the lists differ.
            func meddle(_ pass: Int, _ list: FakeBlockList) throws {
                guard pass % 4 == 0 else { return }
                let page = list.pages[0]
                var offset: Int?
                page.visitAllRegions { r in if offset == nil && r.isFree && r.size >= 32 { offset = r.offset } }
                if let offset { try list.place(id: 200_000 + pass, page: page, offset: offset, size: 32, alignment: 1, type: .unknown) }
            }
            var expectedOrders: [[[[Int]]]] = [], orders: [[[[Int]]]] = []
            let expected = try run(plain, off, maxPassAllocations: budget, between: { pass, list in
                expectedOrders.append(freeListOrders(list))
                try meddle(pass, list)
            })
            let got = try run(remembering, on, maxPassAllocations: budget, between: { pass, list in
                reorderedSeen += on.walkMemory.pages.filter { $0?.reordered == true }.count
                orders.append(freeListOrders(list))
                try meddle(pass, list)
            })
            #expect(got == expected, "seed \(seed): pass \(firstDifference(got, expected)) differs")
            #expect(orders == expectedOrders, "seed \(seed): free lists differ after pass \(firstDifference(orders, expectedOrders) + 1)")
            #expect(try remembering.layout() == plain.layout())
            skipped += on.visitsSkipped
        }
        #expect(reorderedSeen > 0, "no walk left its page reordered")
        #expect(skipped > 0)
    }

    @Test("an observer or a byte budget turns the memory off")
    func offWhenVisitsCount() throws {
        let list = try fragmentedList(seed: 4)
        let context = MetadataDefragContext(blockList: list, algorithm: .full, dialect: .vma) { try list.complete($0) }
        try context.initialize()
        context.observer = { _, _ in }
        _ = try run(list, context, maxPassAllocations: 1, limit: 5)
        #expect(context.visitsSkipped == 0)
        context.observer = nil
        var pass = PassContext(maxPassBytes: 1 << 20, maxPassAllocations: 1)
        context.collectMoves(&pass)
        try context.completePass(&pass)
        #expect(context.visitsSkipped == 0)
        _ = try run(list, context, maxPassAllocations: 1)
        #expect(context.visitsSkipped > 0)
    }
}
