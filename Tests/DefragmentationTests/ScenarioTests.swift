// The engine by scenario tables: pages, allocations, and the expected moves of every pass, for each
// algorithm and dialect where they differ. Page numbers are the pages' original indices.
import Defragmentation
import MemoryMetadata
import Testing

struct Scenario: CustomStringConvertible, Sendable {
    var name: String
    var pageSize: Int
    var layout: [[Triple]]
    var algorithm: Algorithm?
    var dialect: Dialect
    var maxPassBytes = Int.max
    var maxPassAllocations = Int.max
    /// id → the consumer's answer (default copy); "fail" makes the handler throw.
    var answers: [Int: Answer] = [:]
    var expected: [[ExpectedMoveData]]
    var description: String { "\(name) [\(algorithm.map { "\($0)" } ?? "default"), \(dialect)]" }

    enum Answer: Sendable { case ignore, destroy, fail }
    struct Triple: Sendable { var id: Int, offset: Int, size: Int }
    struct ExpectedMoveData: Sendable { var id, sp, so, dp, d: Int }
}

private func t(_ id: Int, _ offset: Int, _ size: Int) -> Scenario.Triple { .init(id: id, offset: offset, size: size) }
private func m(_ id: Int, _ sp: Int, _ so: Int, _ dp: Int, _ d: Int) -> Scenario.ExpectedMoveData { .init(id: id, sp: sp, so: so, dp: dp, d: d) }

/// Page 0 half full; page 1 holds one allocation.
private let twoPages: [[Scenario.Triple]] = [[t(1, 0, 512)], [t(2, 256, 256)]]
/// Page 0 half full; page 1 holds two small allocations.
private let halfAndTwo: [[Scenario.Triple]] = [[t(1, 0, 512)], [t(2, 0, 128), t(3, 512, 128)]]
/// One page, allocations at 256 and 512 (the reference README's one-page case).
private let onePage: [[Scenario.Triple]] = [[t(1, 256, 256), t(2, 512, 256)]]
/// Page 1: a 64-byte allocation at 0 under `n` 128-byte ones; page 0 has room.
private func skipLayout(_ n: Int) -> [[Scenario.Triple]] {
    [[t(1000, 0, 2048)], [t(99, 0, 64)] + (1...n).map { t($0, 128 * $0, 128) }]
}
private let threeSmall: [[Scenario.Triple]] = [[t(1000, 0, 2048)], [t(1, 0, 64), t(2, 64, 64), t(3, 128, 64)]]

let scenarios: [Scenario] = {
    var list: [Scenario] = []
    for dialect in Dialect.allCases {
        for algorithm in Algorithm.allCases {
            // Moving into the fuller page is the same for every algorithm and dialect.
            list.append(Scenario(name: "lone allocation joins the fuller page", pageSize: 1024, layout: twoPages,
                                 algorithm: algorithm, dialect: dialect, expected: [[m(2, 1, 256, 0, 512)]]))
            list.append(Scenario(name: "two allocations join the fuller page", pageSize: 1024, layout: halfAndTwo,
                                 algorithm: algorithm, dialect: dialect, expected: [[m(3, 1, 512, 0, 512), m(2, 1, 0, 0, 640)]]))
            // A single page: the seed compacts it for every algorithm but fast; VMA for every algorithm. The
            // planner leaves it: one page is already the fewest, and compacting frees no page.
            let compacts = algorithm != .optimal && (dialect == .vma || algorithm != .fast)
            list.append(Scenario(name: "single page", pageSize: 1024, layout: onePage, algorithm: algorithm, dialect: dialect,
                                 expected: compacts ? [[m(2, 0, 512, 0, 0)]] : []))
        }
        // Budgets.
        list.append(Scenario(name: "one allocation per pass", pageSize: 1024, layout: halfAndTwo, algorithm: .full, dialect: dialect,
                             maxPassAllocations: 1, expected: [[m(3, 1, 512, 0, 512)], [m(2, 1, 0, 0, 640)]]))
        list.append(Scenario(name: "reaching the byte budget exactly ends the pass", pageSize: 4096, layout: threeSmall, algorithm: .full,
                             dialect: dialect, maxPassBytes: 128, expected: [[m(3, 1, 128, 0, 2048), m(2, 1, 64, 0, 2112)], [m(1, 1, 0, 0, 2176)]]))
        list.append(Scenario(name: "15 skips in a row, then a move", pageSize: 4096, layout: skipLayout(15), algorithm: .full,
                             dialect: dialect, maxPassBytes: 100, expected: [[m(99, 1, 0, 0, 2048)]]))
        list.append(Scenario(name: "the 16th skip in a row ends the pass", pageSize: 4096, layout: skipLayout(16), algorithm: .full,
                             dialect: dialect, maxPassBytes: 100, expected: []))
        // The consumer's answers.
        list.append(Scenario(name: "ignore makes the source page immovable", pageSize: 1024, layout: halfAndTwo, algorithm: .full,
                             dialect: dialect, answers: [3: .ignore],
                             expected: dialect == .memutils
                                ? [[m(3, 1, 512, 0, 512), m(2, 1, 0, 0, 640)], [m(2, 0, 640, 1, 0)]]
                                : [[m(3, 1, 512, 0, 512), m(2, 1, 0, 0, 640)]]))
    }
    // Where the dialects differ after a destroy: the seed also compacts the first page.
    list.append(Scenario(name: "destroy, then the first page is compacted", pageSize: 1024, layout: halfAndTwo, algorithm: .full,
                         dialect: .memutils, answers: [3: .destroy],
                         expected: [[m(3, 1, 512, 0, 512), m(2, 1, 0, 0, 640)], [m(2, 0, 640, 0, 512)]]))
    list.append(Scenario(name: "destroy; VMA never walks the first page", pageSize: 1024, layout: halfAndTwo, algorithm: .full,
                         dialect: .vma, answers: [3: .destroy], expected: [[m(3, 1, 512, 0, 512), m(2, 1, 0, 0, 640)]]))
    list.append(Scenario(name: "a failed move stays; the others complete", pageSize: 1024, layout: halfAndTwo, algorithm: .full,
                         dialect: .memutils, answers: [3: .fail],
                         expected: [[m(3, 1, 512, 0, 512), m(2, 1, 0, 0, 640)], [m(3, 1, 512, 0, 768), m(2, 0, 640, 0, 512)], [m(3, 0, 768, 0, 640)]]))
    return list
}()

/// Runs passes until one collects nothing, validating after every collect and every completion (the pages,
/// and `check`); `between` runs after each completed pass (given the number of passes so far).
func runPasses(_ list: FakeBlockList, _ context: MetadataDefragContext<FakeBlockList>, maxPassBytes: Int = .max,
               maxPassAllocations: Int = .max, limit: Int = 100, check: () throws -> Void = {},
               between: (Int, FakeBlockList) throws -> Void = { _, _ in }) throws -> (moves: [[ExpectedMove]], stats: [DefragmentationStats], errors: [Error]) {
    var passes: [[ExpectedMove]] = [], stats: [DefragmentationStats] = [], errors: [Error] = []
    while passes.count < limit {
        var pass = PassContext(maxPassBytes: maxPassBytes, maxPassAllocations: maxPassAllocations)
        context.collectMoves(&pass)
        try list.validate()
        try check()
        if context.moves.isEmpty { break }
        passes.append(try context.moves.map { move in
            let s = list.items[move.sourceAllocation], d = list.items[move.destinationAllocation!]
            return ExpectedMove(s.id, list.name(move.sourceMetadata), try s.page.offset(of: s.handle),
                                list.name(move.destinationMetadata!), try d.page.offset(of: d.handle))
        })
        do { try context.completePass(&pass) } catch { errors.append(error) }
        try list.validate()
        try check()
        #expect(list.lockDepth == 0)
        stats.append(pass.stats)
        try between(passes.count, list)
    }
    return (passes, stats, errors)
}

@Suite("Engine scenarios")
struct ScenarioTests {
    @Test("expected moves per pass", arguments: scenarios)
    func scenario(_ s: Scenario) throws {
        let list = try FakeBlockList(pageSize: s.pageSize, layout: s.layout.map { $0.map { ($0.id, $0.offset, $0.size) } })
        let failing = FailOnce()
        let context = MetadataDefragContext(blockList: list, algorithm: s.algorithm, dialect: s.dialect) { move in
            let id = list.items[move.sourceAllocation].id
            if s.answers[id] == .fail && failing.ids.insert(id).inserted {
                try list.complete({ var m = move; m.operation = .ignore; return m }()) // give the destination back
                throw TestFailure(id: id)
            }
            try list.complete(move)
        }
        try context.initialize()
        // The consumer's answers are given before completion, as VMA's users set them in the move array.
        let result = try runPassesAnswering(list, context, s, failing: failing)
        let expected = s.expected.map { $0.map { ExpectedMove($0.id, $0.sp, $0.so, $0.dp, $0.d) } }
        #expect(result == expected, "\(s)")
    }

    struct TestFailure: Error { var id: Int }
    /// Injected failures happen once per allocation, so the run can finish.
    final class FailOnce { var ids = Set<Int>() }

    func runPassesAnswering(_ list: FakeBlockList, _ context: MetadataDefragContext<FakeBlockList>, _ s: Scenario,
                            failing: FailOnce) throws -> [[ExpectedMove]] {
        var passes: [[ExpectedMove]] = []
        while passes.count < 100 {
            var pass = PassContext(maxPassBytes: s.maxPassBytes, maxPassAllocations: s.maxPassAllocations)
            context.collectMoves(&pass)
            try list.validate()
            if context.moves.isEmpty { break }
            var moved = 0, failed = 0, bytes = 0
            for (i, move) in context.moves.enumerated() {
                let id = list.items[move.sourceAllocation].id
                switch s.answers[id] {
                case .ignore: context.setOperation(.ignore, forMoveAt: i)
                case .destroy: context.setOperation(.destroy, forMoveAt: i)
                case .fail where !failing.ids.contains(id): failed += 1
                case .fail, nil: moved += 1; bytes += move.size
                }
            }
            passes.append(try context.moves.map { move in
                let src = list.items[move.sourceAllocation], dst = list.items[move.destinationAllocation!]
                return ExpectedMove(src.id, list.name(move.sourceMetadata), try src.page.offset(of: src.handle),
                                    list.name(move.destinationMetadata!), try dst.page.offset(of: dst.handle))
            })
            do {
                try context.completePass(&pass)
                #expect(failed == 0)
            } catch {
                #expect(failed > 0, "unexpected handler error \(error)")
            }
            // Only successful copies count as moved.
            #expect(pass.stats.allocationsMoved == moved)
            #expect(pass.stats.bytesMoved == bytes)
            try list.validate()
            #expect(list.lockDepth == 0)
        }
        return passes
    }

    @Test("an ignored page is swapped to the front and never walked again")
    func immovablePages() throws {
        let list = try FakeBlockList(pageSize: 1024, layout: halfAndTwo.map { $0.map { ($0.id, $0.offset, $0.size) } })
        let context = MetadataDefragContext(blockList: list, algorithm: .full, dialect: .memutils) { try list.complete($0) }
        try context.initialize()
        var pass = PassContext()
        context.collectMoves(&pass)
        context.setOperation(.ignore, forMoveAt: 0)
        try context.completePass(&pass)
        #expect(context.immovableBlockCount == 1)
        #expect(list.swaps.count == 1 && list.swaps[0] == (1, 0))
        #expect(list.name(list.pages[0]) == 1)
        #expect(pass.stats == DefragmentationStats(bytesMoved: 128, allocationsMoved: 1))
        // A new run starts with every page movable again.
        try context.initialize()
        #expect(context.immovableBlockCount == 0)
    }

    @Test("handler errors are collected; the other moves complete")
    func handlerErrors() throws {
        let list = try FakeBlockList(pageSize: 4096, layout: threeSmall.map { $0.map { ($0.id, $0.offset, $0.size) } })
        struct Boom: Error {}
        let context = MetadataDefragContext(blockList: list, algorithm: .fast, dialect: .vma) { move in
            if list.items[move.sourceAllocation].id != 2 {
                try list.complete({ var m = move; m.operation = .ignore; return m }())
                throw Boom()
            }
            try list.complete(move)
        }
        try context.initialize()
        var pass = PassContext()
        context.collectMoves(&pass)
        #expect(context.moves.count == 3)
        #expect(throws: DefragmentationError.self) { try context.completePass(&pass) }
        do { try context.completePass(&pass) } catch { Issue.record("completing an empty pass threw \(error)") }
        #expect(pass.stats.allocationsMoved == 1)
        #expect(pass.stats.bytesMoved == 64)
        #expect(try list.layout().first { $0[0] == 2 }?[1] == 0)
        try list.validate()
    }

    @Test("pages and bytes freed are measured around each handler call")
    func freedPages() throws {
        let list = try FakeBlockList(pageSize: 1024, layout: halfAndTwo.map { $0.map { ($0.id, $0.offset, $0.size) } })
        list.releaseEmptyPages = true
        let context = MetadataDefragContext(blockList: list, algorithm: .full, dialect: .vma) { try list.complete($0) }
        try context.initialize()
        let (moves, stats, errors) = try runPasses(list, context)
        #expect(errors.isEmpty)
        #expect(moves.count == 1)
        #expect(stats[0] == DefragmentationStats(bytesMoved: 256, bytesFreed: 1024, allocationsMoved: 2, deviceMemoryBlocksFreed: 1))
        #expect(list.pages.count == 1)
    }

    @Test("no algorithm given: full for the seed, balanced for VMA")
    func defaultAlgorithm() throws {
        let list = try FakeBlockList(pageSize: 1024, layout: [[]])
        #expect(MetadataDefragContext(blockList: list, dialect: .memutils) { _ in }.algorithm == .full)
        #expect(MetadataDefragContext(blockList: list, dialect: .vma) { _ in }.algorithm == .balanced)
    }

    @Test("the destinations' user data: negative, its own per live context, within the 48 bits TLSF keeps in place")
    func sentinels() throws {
        let list = try FakeBlockList(pageSize: 1024, layout: [[]])
        let contexts = (0..<64).map { _ in MetadataDefragContext(blockList: list) { _ in } }
        let sentinels = contexts.map(\.sentinel)
        #expect(Set(sentinels).count == contexts.count)
        for sentinel in sentinels { #expect(sentinel < 0 && sentinel > -(1 << 47)) }
    }
}

/// A block list of linear pages, which the engine must refuse.
final class LinearList: BlockList {
    let pages = [LinearMetadata(size: 1024), LinearMetadata(size: 1024)]
    func metadata(forBlock index: Int) -> LinearMetadata { pages[index] }
    var blockCount: Int { pages.count }
    func addStatistics(_ stats: inout Statistics) {}
    func moveData(forUserData userData: Int) -> MoveAllocationData<Int, LinearMetadata> { fatalError("never walked") }
    var bufferImageGranularity: Int { 1 }
    func lock() {}
    func unlock() {}
    func commitDefragAllocationRequest(_ request: AllocationRequest, blockIndex: Int, alignment: Int, flags: UInt32,
                                       userData: Int, type: SuballocationType) throws -> Int { fatalError("never called") }
    func swapBlocks(_ left: Int, _ right: Int) {}
}

@Test("linear pages are refused with a clear error")
func linearRefused() throws {
    let context = MetadataDefragContext(blockList: LinearList(), algorithm: .full) { _ in }
    #expect {
        try context.initialize()
    } throws: { error in
        guard case DefragmentationError.randomAccessNotSupported(page: 0) = error else { return false }
        return "\(error)".contains("random access")
    }
}

@Suite("Commit failures")
struct CommitFailureTests {
    /// Page 0 and page 1 half full, page 2 holds 3 (offset 0) and 4 (offset 512), 256 bytes each.
    func list() throws -> FakeBlockList {
        try FakeBlockList(pageSize: 1024, layout: [[(1, 0, 512)], [(2, 0, 512)], [(3, 0, 256), (4, 512, 256)]])
    }

    @Test("a commit that throws is recorded once for its allocation, never taken for 'does not fit'; the next page is tried",
          arguments: [Dialect.memutils, .vma], [1, 3])
    func failedCommit(_ dialect: Dialect, refused: Int) throws {
        let list = try list()
        let context = MetadataDefragContext(blockList: list, algorithm: .full, dialect: dialect) { try list.complete($0) }
        try context.initialize()
        list.refuseNextCommits = refused
        var pass = PassContext()
        context.collectMoves(&pass)
        #expect(list.lockDepth == 0)
        try list.validate()
        // 4 (walked first: TLSF walks from the highest offset) found room in page 0, whose commit threw.
        // One refusal: page 1 takes it. Three: page 1 and a lower offset of its own page refuse it too, and
        // it stays (one failure recorded all the same). 3 then goes to page 0. 2 fits nowhere: no failure.
        #expect(context.collectFailures.count == 1)
        let failure = try #require(context.collectFailures.first)
        #expect(list.items[failure.allocation].id == 4)
        guard case .commitFailed(let page, let size, let underlying) = failure.error else {
            Issue.record("expected a commit failure, got \(failure.error)")
            return
        }
        #expect(page == 0 && size == 256 && "\(underlying)" == "refused(0)")
        #expect("\(failure.error)".contains("committing a destination of 256 bytes in page 0 failed"))
        let moved = context.moves.map { [list.items[$0.sourceAllocation].id, list.name($0.destinationMetadata!)] }
        #expect(moved == (refused == 1 ? [[4, 1], [3, 0]] : [[3, 0]]))
        #expect(pass.stats.allocationsMoved == moved.count && pass.stats.bytesMoved == 256 * moved.count)
        try context.completePass(&pass)
        try list.validate()

        // Later passes fail nothing; 4 leaves page 2 in the end.
        for _ in 0..<10 {
            var next = PassContext()
            context.collectMoves(&next)
            #expect(context.collectFailures.isEmpty)
            if context.moves.isEmpty { break }
            try context.completePass(&next)
            try list.validate()
        }
        #expect(try list.layout().filter { $0[1] == 2 }.isEmpty, "page 2 is empty now")
    }

    @Test("a pass with no budget left, or none at all, collects nothing", arguments: [(0, Int.max), (Int.max, 0), (-1, -1)])
    func noBudget(_ budget: (bytes: Int, allocations: Int)) throws {
        let list = try list()
        let context = MetadataDefragContext(blockList: list, algorithm: .full, dialect: .memutils) { try list.complete($0) }
        try context.initialize()
        var pass = PassContext(maxPassBytes: budget.bytes, maxPassAllocations: budget.allocations)
        context.collectMoves(&pass)
        #expect(context.moves.isEmpty && context.collectFailures.isEmpty && list.lockDepth == 0)
        // A pass whose budget the first collect used up (a second block list in the same pass) collects nothing.
        var full = PassContext(maxPassAllocations: 1)
        context.collectMoves(&full)
        #expect(context.moves.count == 1)
        try context.completePass(&full)
        context.collectMoves(&full)
        #expect(context.moves.isEmpty)
    }
}
