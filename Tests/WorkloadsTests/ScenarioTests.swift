import Testing
@testable import Workloads

@Suite("Built-in scenarios")
struct ScenarioTests {
    @Test("every scenario passes the file rules and survives a round trip through text",
          arguments: Scenario.allCases, [1, 2, 12345])
    func validAndRoundTrips(_ scenario: Scenario, seed: Int) throws {
        let trace = scenario.trace(seed: seed)
        try trace.validate()
        #expect(trace.name == scenario.rawValue)
        #expect(trace.header == "# defrag-trace v1 \(scenario.rawValue) seed=\(seed)")
        // The same checks as a file, and the operations' lines are those of the text.
        let parsed = try Trace.parse(trace.serialized(), fileName: scenario.rawValue)
        #expect(parsed == trace)
    }

    @Test("every scenario is small enough to draw", arguments: Scenario.allCases)
    func smallEnough(_ scenario: Scenario) throws {
        let trace = scenario.trace()
        #expect(trace.allocationCount >= 20)
        #expect(trace.allocationCount <= 3000)
        #expect(trace.freeCount >= 1)
        // Peak live bytes bound the pages a pool needs from below; ≤ 30 pages' worth leaves room for
        // fragmentation within the 40 pages the terminal can scroll through comfortably.
        var live: [Int: Int] = [:]
        var liveBytes = 0, peak = 0
        for op in trace.operations {
            switch op {
            case .allocate(let id, let size, _, _): live[id] = size; liveBytes += size
            case .free(let id, _): liveBytes -= live.removeValue(forKey: id) ?? 0
            }
            peak = max(peak, liveBytes)
        }
        #expect(peak <= 30 * trace.blockSize)
        #expect(!scenario.summary.isEmpty && scenario.summary.count <= 110)
    }

    @Test("same seed, same trace; another seed, another trace", arguments: Scenario.allCases)
    func deterministic(_ scenario: Scenario) {
        #expect(scenario.trace(seed: 7) == scenario.trace(seed: 7))
        #expect(scenario.trace(seed: 7).operations != scenario.trace(seed: 8).operations)
    }

    @Test func defaultIsCheckerboardWithTwelvePackedPages() {
        #expect(Scenario.defaultScenario == .checkerboard)
        #expect(Scenario.allCases.first == .checkerboard)
        let trace = Scenario.checkerboard.trace()
        #expect(trace.blockSize == 1 << 20)
        #expect(packedPages(trace) == 12)
        // Every other allocation freed.
        let frees = trace.operations.compactMap { op -> Int? in if case .free(let id, _) = op { return id } else { return nil } }
        #expect(frees.allSatisfy { $0 % 2 == 0 })
        #expect(frees.count == trace.allocationCount / 2)
    }

    @Test func rawValuesAreCommandLineNames() {
        #expect(Scenario(rawValue: "fast-vs-full") == .fastVsFull)
        #expect(Scenario(rawValue: "nearly-full") == .nearlyFull)
        #expect(Scenario.budget.suggestedMaxPassBytes == 128 * 1024)
        #expect(Scenario.checkerboard.suggestedMaxPassBytes == nil)
    }

    /// In fast-vs-full, walking the pages fullest first, no hole (or tail) of a page holds an allocation of
    /// any later page, while every page has a hole as big as its own allocations: Fast cannot move anything,
    /// Full can. Checked on the layout the pool builds by packing allocations in order.
    @Test(arguments: [1, 2, 3, 99])
    func fastVsFullLayout(seed: Int) throws {
        let trace = Scenario.fastVsFull.trace(seed: seed)
        let pages = try #require(layout(trace))
        #expect(pages.count == 10)
        let ordered = pages.sorted { $0.free < $1.free }  // fullest first
        #expect(ordered.map(\.allocationSize) == pages.map(\.allocationSize))  // already in that order
        for (i, page) in ordered.enumerated() {
            #expect(page.largestFreeRange >= page.allocationSize)  // Full has somewhere to go
            for later in ordered[(i + 1)...] {
                #expect(page.largestFreeRange < later.allocationSize)  // Fast has not
            }
        }
    }

    // MARK: helpers: the layout of a trace whose allocations are packed in order, frees at the end

    struct PageLayout {
        var allocationSize: Int
        var free: Int
        var largestFreeRange: Int
    }

    /// Pages of a trace made by packing allocations in order (all allocations before any free, each page
    /// filled before the next starts); nil if the trace is not like that.
    func layout(_ trace: Trace) -> [PageLayout]? {
        var pages: [[(id: Int, size: Int)]] = [[]]
        var used = 0
        var freed: Set<Int> = []
        for op in trace.operations {
            switch op {
            case .allocate(let id, let size, let alignment, _):
                guard freed.isEmpty, used % alignment == 0 else { return nil }
                if used + size > trace.blockSize { pages.append([]); used = 0 }
                pages[pages.count - 1].append((id, size))
                used += size
            case .free(let id, _):
                freed.insert(id)
            }
        }
        return pages.map { page in
            var largest = 0, run = 0, free = 0, offset = 0
            for a in page {
                if freed.contains(a.id) { run += a.size; free += a.size } else { run = 0 }
                largest = max(largest, run)
                offset += a.size
            }
            let tail = trace.blockSize - offset
            largest = max(largest, run + tail)
            return PageLayout(allocationSize: page.map(\.size).max() ?? 0, free: free + tail, largestFreeRange: largest)
        }
    }

    /// Number of pages if every page is filled exactly (sizes add up to the block size); nil otherwise.
    func packedPages(_ trace: Trace) -> Int? {
        var used = 0, pages = 0
        for case .allocate(_, let size, _, _) in trace.operations {
            if used == 0 { pages += 1 }
            used += size
            if used == trace.blockSize { used = 0 } else if used > trace.blockSize { return nil }
        }
        return used == 0 ? pages : nil
    }

    @Test(arguments: [Scenario.checkerboard, .budget, .nearlyFull, .textures])
    func packedScenariosFillTheirPagesExactly(_ scenario: Scenario) {
        let pages = packedPages(scenario.trace())
        #expect(pages != nil)
        #expect((1...40).contains(pages ?? 0))
    }
}
