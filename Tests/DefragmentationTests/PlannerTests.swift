// The optimal algorithm (the planner) through the engine, on TLSF pages: the pages it reaches against an
// exact search on small random pools, passes that never write where a move of the same pass still reads,
// budgets, the consumer's ignore/destroy answers and handler failures (re-planning), and a seeded soak.
import Defragmentation
import MemoryMetadata
import Foundation
import Testing

/// Longer soaks with DEFRAGSCOPE_SOAK set (`make soak`).
private let longSoak = ProcessInfo.processInfo.environment["DEFRAGSCOPE_SOAK"] != nil

/// A random pool: `pageCount` pages of `pageSize` bytes, allocations of sizes that are multiples of 16 at
/// alignments 16, 64 or 256, placed at random aligned free offsets.
private func randomPool(seed: UInt64, pageCount: Int, pageSize: Int, allocations: Int, maxSize: Int) throws -> FakeBlockList {
    var rng = SeededRandom(seed: seed)
    let list = try FakeBlockList(pageSize: pageSize, layout: Array(repeating: [], count: pageCount))
    list.releaseEmptyPages = true
    var id = 1
    var attempts = 0
    while id <= allocations && attempts < allocations * 50 {
        attempts += 1
        let alignment = [16, 64, 256][Int(rng.next() % 3)]
        let size = 16 * (1 + Int(rng.next() % UInt64(maxSize / 16)))
        let page = list.pages[Int(rng.next() % UInt64(pageCount))]
        let offset = alignment * Int(rng.next() % UInt64(pageSize / alignment))
        guard offset + size <= pageSize else { continue }
        if (try? list.place(id: id, page: page, offset: offset, size: size, alignment: alignment, type: .unknown)) != nil { id += 1 }
    }
    return list
}

/// The fewest pages of `pageSize` bytes that hold these (size, alignment) allocations, laid out anew: an
/// exact search over every assignment of allocations to pages; a page's set fits when some order of it,
/// each at its next aligned offset from 0, ends within the page.
private func exactPages(_ allocations: [(size: Int, alignment: Int)], pageSize: Int) -> Int {
    var fitsMemo: [[Int]: Bool] = [:]
    func fits(_ set: [Int]) -> Bool {
        let key = set.sorted()
        if let known = fitsMemo[key] { return known }
        var used = [Bool](repeating: false, count: set.count)
        func search(_ end: Int, _ placed: Int) -> Bool {
            if placed == set.count { return true }
            for i in set.indices where !used[i] {
                let a = allocations[set[i]]
                let offset = (end + a.alignment - 1) / a.alignment * a.alignment
                if offset + a.size > pageSize { continue }
                used[i] = true
                defer { used[i] = false }
                if search(offset + a.size, placed + 1) { return true }
            }
            return false
        }
        let result = search(0, 0)
        fitsMemo[key] = result
        return result
    }
    let order = allocations.indices.sorted { allocations[$0].size > allocations[$1].size }
    var best = allocations.count
    var bins: [[Int]] = []
    func assign(_ k: Int) {
        if bins.count >= best { return }
        if k == order.count { best = bins.count; return }
        let item = order[k]
        for b in bins.indices {
            bins[b].append(item)
            if fits(bins[b]) { assign(k + 1) }
            bins[b].removeLast()
        }
        bins.append([item])
        assign(k + 1)
        bins.removeLast()
    }
    assign(0)
    return best
}

/// The fewest pages reachable by moving allocations into the free ranges of pages that keep theirs in
/// place (what the planner does without clearing windows): an exact search over every choice of pages to
/// keep and every placement of the others' allocations. Within a free range it suffices to try, for each
/// allocation, the aligned offset after the range's start or after an allocation already placed there:
/// any packing shifts left into that form.
private func exactPagesInPlace(_ list: FakeBlockList) throws -> Int {
    let pages = list.pages.filter { !$0.isEmpty }
    var best = pages.count
    let n = pages.count
    for mask in 0..<(1 << n) {
        let kept = (0..<n).filter { mask & (1 << $0) != 0 }
        guard kept.count < best else { continue }
        var holes: [(page: Int, start: Int, end: Int)] = []
        for k in kept { pages[k].visitAllRegions { if $0.isFree { holes.append((k, $0.offset, $0.offset + $0.size)) } } }
        let moving = list.items.filter { item in item.live && item.id >= 0 && !kept.contains { pages[$0] === item.page } }
            .map { (size: $0.size, alignment: $0.alignment) }.sorted { $0.size > $1.size }
        var placed: [[(start: Int, end: Int)]] = holes.map { _ in [] }
        func search(_ i: Int) -> Bool {
            if i == moving.count { return true }
            let a = moving[i]
            for h in holes.indices {
                for anchor in [holes[h].start] + placed[h].map(\.end) {
                    let offset = (anchor + a.alignment - 1) / a.alignment * a.alignment
                    let end = offset + a.size
                    guard end <= holes[h].end, placed[h].allSatisfy({ end <= $0.start || $0.end <= offset }) else { continue }
                    placed[h].append((offset, end))
                    if search(i + 1) { return true }
                    placed[h].removeLast()
                }
            }
            return false
        }
        if search(0) { best = kept.count }
    }
    return best
}

/// Runs the optimal algorithm to the end; after every collect and completion validates every page, checks
/// the pass's budget and that no destination overlaps a source of the same pass. `answer` may change a
/// move's operation or make the handler fail. Returns the passes' moves as (id, source page, destination page).
@discardableResult
private func runOptimal(_ list: FakeBlockList, maxPassBytes: Int = .max, maxPassAllocations: Int = .max,
                        answer: (Int, Int) -> Answer = { _, _ in .copy }) throws -> [[(id: Int, source: Int, destination: Int)]] {
    let failures = Box()
    let context = MetadataDefragContext(blockList: list, algorithm: .optimal) { move in
        if failures.failing.contains(move.sourceAllocation) {
            try list.complete({ var m = move; m.operation = .ignore; return m }())
            throw HandlerFailure()
        }
        try list.complete(move)
    }
    try context.initialize()
    var passes: [[(id: Int, source: Int, destination: Int)]] = []
    while passes.count < 200 {
        var pass = PassContext(maxPassBytes: maxPassBytes, maxPassAllocations: maxPassAllocations)
        context.collectMoves(&pass)
        try list.validate()
        if context.moves.isEmpty { break }
        #expect(context.moves.count <= maxPassAllocations)
        #expect(context.moves.reduce(0) { $0 + $1.size } <= maxPassBytes)
        // Every destination is free while every source of the pass is still to be read.
        var sources: [(page: ObjectIdentifier, start: Int, end: Int)] = []
        for move in context.moves {
            let s = list.items[move.sourceAllocation]
            let offset = try s.page.offset(of: s.handle)
            sources.append((ObjectIdentifier(s.page), offset, offset + s.size))
        }
        for move in context.moves {
            let d = list.items[move.destinationAllocation!]
            let offset = try d.page.offset(of: d.handle)
            for source in sources where source.page == ObjectIdentifier(d.page) {
                #expect(offset + d.size <= source.start || source.end <= offset, "a destination overlaps a source of its pass")
            }
        }
        var record: [(id: Int, source: Int, destination: Int)] = []
        failures.failing = []
        for (i, move) in context.moves.enumerated() {
            let id = list.items[move.sourceAllocation].id
            record.append((id, list.name(move.sourceMetadata), list.name(move.destinationMetadata!)))
            switch answer(passes.count, id) {
            case .copy: break
            case .ignore: context.setOperation(.ignore, forMoveAt: i)
            case .destroy: context.setOperation(.destroy, forMoveAt: i)
            case .fail: failures.failing.insert(move.sourceAllocation)
            }
        }
        do { try context.completePass(&pass) } catch {
            #expect(!failures.failing.isEmpty, "unexpected handler error \(error)")
        }
        try list.validate()
        #expect(list.lockDepth == 0)
        passes.append(record)
    }
    #expect(passes.count < 200, "the run did not end")
    return passes
}

private enum Answer { case copy, ignore, destroy, fail }
private struct HandlerFailure: Error {}
private final class Box { var failing = Set<Int>() }

private func liveAllocations(_ list: FakeBlockList) -> [(size: Int, alignment: Int)] {
    list.items.filter { $0.live && $0.id >= 0 }.map { ($0.size, $0.alignment) }
}

private func nonEmptyPages(_ list: FakeBlockList) -> Int { list.pages.filter { !$0.isEmpty }.count }

@Suite("Planner")
struct PlannerTests {
    @Test("small random pools: no more pages than an exact search over in-place packings, never fewer than a fresh packing",
          arguments: Array(UInt64(1)...60))
    func againstExactSearch(_ seed: UInt64) throws {
        let list = try randomPool(seed: seed, pageCount: 4, pageSize: 1024, allocations: 7, maxSize: 384)
        let allocations = liveAllocations(list)
        let fresh = exactPages(allocations, pageSize: 1024)
        let inPlace = try exactPagesInPlace(list)
        let start = try list.layout()
        try runOptimal(list)
        let layout = try list.layout()
        #expect(nonEmptyPages(list) <= inPlace, "seed \(seed): \(start) → \(layout)")
        #expect(nonEmptyPages(list) >= fresh)
        // Where the fewest pages are reachable keeping some pages' allocations in place, the planner reaches
        // them (only a packing that rearranges every page, through staging moves, is beyond it: 9 of seeds
        // 1–400, none of 1–60).
        #expect(inPlace > fresh || nonEmptyPages(list) == fresh, "seed \(seed): \(start) → \(layout)")
        #expect(liveAllocations(list).count == allocations.count)
    }

    @Test("small random pools with room to spare: the pages of an exact search", arguments: Array(UInt64(61)...100))
    func loosePoolsReachTheExactPages(_ seed: UInt64) throws {
        // A quarter of a page or more to spare once packed: keeping the fullest pages never costs a page here.
        let list = try randomPool(seed: seed, pageCount: 4, pageSize: 1024, allocations: 6, maxSize: 256)
        let allocations = liveAllocations(list)
        let fresh = exactPages(allocations, pageSize: 1024)
        guard fresh * 1024 - allocations.reduce(0, { $0 + $1.size }) >= 256 else { return }
        try runOptimal(list)
        #expect(nonEmptyPages(list) == fresh, "seed \(seed)")
    }

    @Test("budgets: every pass within its bytes and moves, and the same pages as without", arguments: Array(UInt64(100)...115))
    func budgets(_ seed: UInt64) throws {
        let unlimited = try randomPool(seed: seed, pageCount: 8, pageSize: 4096, allocations: 60, maxSize: 512)
        try runOptimal(unlimited)
        let limited = try randomPool(seed: seed, pageCount: 8, pageSize: 4096, allocations: 60, maxSize: 512)
        let passes = try runOptimal(limited, maxPassBytes: 1024, maxPassAllocations: 3)
        #expect(passes.allSatisfy { $0.count <= 3 })
        #expect(nonEmptyPages(limited) <= nonEmptyPages(unlimited) + 1)
    }

    @Test("ignore: the page becomes immovable, the plan is made again around it")
    func ignoreReplans() throws {
        // Page 0 full enough to take page 1's and page 2's allocations, but not both pages' at once.
        let list = try FakeBlockList(pageSize: 1024, layout: [[(1, 0, 512)], [(2, 0, 128), (3, 512, 128)], [(4, 256, 128)]])
        list.releaseEmptyPages = true
        let passes = try runOptimal(list) { pass, id in pass == 0 && id == 2 ? .ignore : .copy }
        let first = try #require(passes.first)
        let ignoredPage = try #require(first.first { $0.id == 2 }?.source)
        // After the answer no move leaves the ignored page.
        for pass in passes.dropFirst() { #expect(pass.allSatisfy { $0.source != ignoredPage }) }
        // The immovable page still takes allocations: everything ends up there, around allocation 2.
        #expect(try list.layout().allSatisfy { $0[1] == ignoredPage })
        #expect(try list.layout().first { $0[0] == 2 }?[2] == 0)
        #expect(nonEmptyPages(list) == 1)
    }

    @Test("destroy: the allocation is gone and the run goes on without it")
    func destroy() throws {
        let list = try FakeBlockList(pageSize: 1024, layout: [[(1, 0, 512)], [(2, 0, 128), (3, 512, 128)], [(4, 256, 256)]])
        list.releaseEmptyPages = true
        let passes = try runOptimal(list) { pass, id in pass == 0 && id == 3 ? .destroy : .copy }
        #expect(passes.flatMap { $0 }.filter { $0.id == 3 }.count == 1)
        #expect(try list.layout().map { $0[0] } == [1, 2, 4])
        #expect(nonEmptyPages(list) == 1)
    }

    @Test("a failed move stays in place and is planned again")
    func handlerFailure() throws {
        let list = try FakeBlockList(pageSize: 1024, layout: [[(1, 0, 512)], [(2, 0, 128), (3, 512, 128)]])
        list.releaseEmptyPages = true
        let passes = try runOptimal(list) { pass, id in pass == 0 && id == 3 ? .fail : .copy }
        // Tried in the first pass, failed, moved in a later one.
        #expect(passes.first?.contains { $0.id == 3 } == true)
        #expect(passes.dropFirst().flatMap { $0 }.contains { $0.id == 3 })
        #expect(nonEmptyPages(list) == 1)
    }

    @Test("a window: what no free range holds gets room cleared in a kept page, and takes it the pass after")
    func window() throws {
        // Page 0 has 320 free bytes, in ranges of 64, 128 and 128; page 1's 256-byte allocation fits only
        // once the 64 bytes between the two 128-byte ranges moved (to the 64-byte range).
        let list = try FakeBlockList(pageSize: 1024, layout: [
            [(1, 0, 64), (3, 128, 448), (2, 704, 64), (5, 896, 128)],
            [(4, 0, 256)],
        ])
        list.releaseEmptyPages = true
        let passes = try runOptimal(list)
        #expect(passes.map { $0.map(\.id) } == [[2], [4]])
        #expect(try list.layout() == [[1, 0, 0], [2, 0, 64], [3, 0, 128], [4, 0, 576], [5, 0, 896]])
        #expect(nonEmptyPages(list) == 1)
    }

    @Test("seeded soak: random pools, budgets and answers, validate() after every step", arguments: Array(UInt64(1000)..<(longSoak ? 1200 : 1030)))
    func soak(_ seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let list = try randomPool(seed: seed, pageCount: 6, pageSize: 8192, allocations: 80, maxSize: 1024)
        let budgets: [(Int, Int)] = [(.max, .max), (2048, 4), (4096, .max), (.max, 5)]
        let budget = budgets[Int(rng.next() % 4)]
        let answers: [Int: Answer] = Dictionary((0..<4).map { _ in
            (Int(rng.next() % 80) + 1, [Answer.ignore, .destroy, .fail][Int(rng.next() % 3)])
        }, uniquingKeysWith: { first, _ in first })
        let before = liveAllocations(list).count
        let pagesBefore = nonEmptyPages(list)
        var answered = Set<Int>()
        try runOptimal(list, maxPassBytes: budget.0, maxPassAllocations: budget.1) { _, id in
            guard let a = answers[id], answered.insert(id).inserted else { return .copy }
            return a
        }
        let destroyed = answered.filter { answers[$0] == .destroy }.count
        #expect(liveAllocations(list).count == before - destroyed)
        #expect(nonEmptyPages(list) <= pagesBefore)
    }

    @Test("the planner's summary matches what a run does")
    func summary() throws {
        let list = try randomPool(seed: 7, pageCount: 8, pageSize: 4096, allocations: 60, maxSize: 512)
        let summary = MetadataDefragContext<FakeBlockList>.planSummary(list)
        #expect(summary.pagesBefore == nonEmptyPages(list))
        let passes = try runOptimal(list)
        #expect(summary.pagesAfter == nonEmptyPages(list))
        #expect(summary.passes == passes.count)
        #expect(summary.bytesMoved == passes.flatMap { $0 }.reduce(0) { total, move in
            total + list.items.first { $0.id == move.id }!.size
        })
        #expect(summary.lowerBound <= summary.pagesAfter)
    }
}
