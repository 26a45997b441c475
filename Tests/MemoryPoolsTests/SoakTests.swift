// Seeded soak: thousands of allocations, frees and defragmentation passes over a pool with real bytes, with
// validate() after every step and every byte verified after every pass; every algorithm, both dialects,
// with and without the consumer answering ignore, destroy or failing.
import Defragmentation
import MemoryMetadata
import MemoryPools
import Testing
import TestSupport

struct SoakCase: CustomStringConvertible, Sendable {
    var algorithm: Algorithm
    var dialect: Dialect
    var faults: Bool
    var budget: (bytes: Int, allocations: Int)
    var seed: UInt64
    var description: String { "\(algorithm) \(dialect)\(faults ? " faults" : "") budget \(budget.bytes)/\(budget.allocations) seed \(seed)" }
}

let soakCases: [SoakCase] = {
    var cases: [SoakCase] = []
    var seed: UInt64 = 1
    for algorithm in Algorithm.allCases {
        for dialect in Dialect.allCases {
            for faults in [false, true] {
                cases.append(SoakCase(algorithm: algorithm, dialect: dialect, faults: faults,
                                      budget: faults ? (4096, 8) : (.max, .max), seed: seed))
                seed += 1
            }
        }
    }
    return cases
}()

@Suite("Pool soak", .serialized)
struct SoakTests {
    @Test("alloc/free/defragment with validate() after every step", arguments: soakCases)
    func soak(_ c: SoakCase) throws {
        var rng = SeededRandom(seed: c.seed)
        var options = PoolOptions(pageSize: 64 * 1024)
        options.bufferImageGranularity = c.algorithm == .extensive ? 1024 : 1
        let pool = MemoryPool(options: options, device: HostPageDevice())
        var live: [Int] = []
        var nextID = 0
        let rounds = TestPaths.soak ? 40 : 6
        var movesSeen = 0
        for _ in 0..<rounds {
            // Churn: grow, then free a random share.
            for _ in 0..<300 {
                if live.isEmpty || rng.next() % 100 < 60 {
                    let size = Int(rng.next() % 4096) + 1
                    let alignment = 1 << Int(rng.next() % 9)
                    let types: [SuballocationType] = [.buffer, .imageOptimal, .imageLinear, .unknown]
                    try pool.allocate(id: nextID, size: size, alignment: alignment, type: types[Int(rng.next() % 4)])
                    live.append(nextID)
                    nextID += 1
                } else {
                    let k = Int(rng.next() % UInt64(live.count))
                    live.swapAt(k, live.count - 1)
                    try pool.free(id: live.removeLast())
                }
                try pool.validate()
            }
            // A whole run, pass by pass.
            pool.beginDefragmentation()
            var failedOnce = Set<Int>()
            let context = MetadataDefragContext(blockList: pool, algorithm: c.algorithm, dialect: c.dialect) { move in
                let id = pool.record(slot: move.sourceAllocation).id
                if c.faults && id % 17 == 0 && failedOnce.insert(id).inserted {
                    pool.abandon(move)
                    throw SoakFault()
                }
                try pool.complete(move)
            }
            try context.initialize()
            var passes = 0
            while passes < 500 {
                var pass = PassContext(maxPassBytes: c.budget.bytes, maxPassAllocations: c.budget.allocations)
                context.collectMoves(&pass)
                try pool.validate()
                if context.moves.isEmpty { break }
                passes += 1
                movesSeen += context.moves.count
                var destroyed: [Int] = []
                for (i, move) in context.moves.enumerated() where c.faults {
                    let id = pool.record(slot: move.sourceAllocation).id
                    if id % 13 == 0 { context.setOperation(.ignore, forMoveAt: i) }
                    if id % 11 == 0 && id % 13 != 0 && id % 17 != 0 { context.setOperation(.destroy, forMoveAt: i); destroyed.append(id) }
                }
                try pool.device.copy(context.moves.filter { $0.operation == .copy }.map { pool.copy(for: $0) })
                do { try context.completePass(&pass) } catch { #expect(c.faults, "unexpected handler error: \(error)") }
                try pool.validate()
                try pool.verifyAll()
                live.removeAll { destroyed.contains($0) }
                // No temporary destination survives a pass, and only destroyed allocations are gone.
                #expect(allocationCount(pool) == pool.liveAllocationCount)
                #expect(pool.liveAllocationCount == live.count)
                #expect(pass.stats.allocationsMoved <= c.budget.allocations)
                #expect(pass.stats.bytesMoved <= c.budget.bytes)
            }
            #expect(passes < 500, "the run did not end")
            pool.endDefragmentation()
            #expect(pool.liveAllocationCount == live.count)
        }
        #expect(movesSeen > 0)
    }

    struct SoakFault: Error {}

    private func allocationCount(_ pool: MemoryPool<HostPageDevice>) -> Int {
        var s = Statistics()
        pool.addStatistics(&s)
        return s.allocationCount
    }
}
