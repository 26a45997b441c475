// The engine's memory of earlier walks (issue 21, item 2: a budgeted run re-walked every settled page at
// every pass). Skipping the allocations whose answer cannot have changed must give the very same moves as
// visiting them all, pass by pass, whatever changes the pages between passes.
import Defragmentation
import MemoryMetadata
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

/// The index of the first pass where the two runs differ.
private func firstDifference(_ a: [[ExpectedMove]], _ b: [[ExpectedMove]]) -> Int {
    (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
}

@Suite("Engine: memory of earlier walks")
struct WalkMemoryTests {
    static let cases: [(Algorithm, Dialect, Int)] = [
        (.full, .vma, 1), (.full, .vma, 7), (.full, .memutils, 3),
        (.fast, .vma, 2), (.fast, .memutils, 5),
        (.balanced, .vma, 4), (.balanced, .memutils, 1),
    ]

    @Test("budgeted passes collect the same moves with and without the memory, which skips visits", arguments: cases)
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

    @Test("an observer, a byte budget or an unlimited pass turns the memory off")
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
