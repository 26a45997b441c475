// Sessions over real traces: every trace × algorithm × budget × dialect runs to completion with every moved
// allocation verified after every pass; faults leave everything valid and accounted for.
import Defragmentation
import DefragSession
import Foundation
import MemoryMetadata
import MemoryPools
import Testing
import TestSupport
import Workloads

struct MatrixCase: CustomStringConvertible, Sendable {
    var trace: String
    var algorithm: Algorithm
    var dialect: Dialect
    var maxPassBytes: Int
    var maxPassAllocations: Int
    var description: String {
        "\(trace) \(algorithm) \(dialect) " + (maxPassBytes == .max ? "unlimited" : "\(maxPassBytes)/\(maxPassAllocations)")
    }
}

/// The large traces (textures: 1.5 GiB live; churn; scale: 250k allocations) run with DEFRAGSCOPE_SOAK=1.
let matrix: [MatrixCase] = {
    let traces = ["tiny", "checkerboard", "nearly-full"] + (TestPaths.soak ? ["textures", "churn", "scale"] : [])
    var cases: [MatrixCase] = []
    for trace in traces {
        var budgets: [(Int, Int)] = [(.max, .max), (64 << 20, 256)]
        if ["tiny", "checkerboard", "nearly-full"].contains(trace) { budgets.append((4096, 4)) }
        for algorithm in Algorithm.allCases {
            for dialect in Dialect.allCases {
                for (bytes, allocations) in budgets {
                    cases.append(MatrixCase(trace: trace, algorithm: algorithm, dialect: dialect, maxPassBytes: bytes, maxPassAllocations: allocations))
                }
            }
        }
    }
    return cases
}()

private func session(_ trace: Trace, _ configuration: EngineConfiguration, verification: Verification = .moved) throws -> DefragSession<HostPageDevice> {
    try DefragSession(title: trace.name, configuration: configuration, verification: verification) {
        [try trace.makePool(device: HostPageDevice())]
    }
}

@Suite("Sessions", .serialized)
struct SessionTests {
    @Test("every trace, algorithm, budget and dialect runs to completion, bytes verified", arguments: matrix)
    func runsToCompletion(_ c: MatrixCase) throws {
        let trace = try Trace.load(path: TestPaths.trace(c.trace))
        let s = try session(trace, EngineConfiguration(algorithm: c.algorithm, dialect: c.dialect,
                                                        maxPassBytes: c.maxPassBytes, maxPassAllocations: c.maxPassAllocations))
        s.validatesAfterEachPass = !TestPaths.soak || c.trace != "scale"
        let before = s.metrics
        let reports = try s.runToCompletion(maxPasses: 100_000)
        #expect(s.isFinished)
        for report in reports {
            #expect(report.moves.count <= c.maxPassAllocations)
            #expect(report.stats.bytesMoved <= c.maxPassBytes)
            #expect(report.errors.isEmpty)
        }
        let after = s.metrics
        #expect(after.liveAllocations == before.liveAllocations)
        #expect(after.liveBytes == before.liveBytes)
        #expect(after.nonEmptyPages <= before.nonEmptyPages)
        #expect(after.nonEmptyPages >= after.lowerBoundPages)
        #expect(s.runStats.allocationsMoved == reports.reduce(0) { $0 + $1.moves.count })
        for pool in s.pools {
            try pool.validate()
            try pool.verifyAll()
        }
    }

    @Test("faults: failures, ignores and destroys leave metadata valid and every byte accounted for",
          arguments: [Dialect.memutils, .vma], Algorithm.allCases)
    func faults(_ dialect: Dialect, _ algorithm: Algorithm) throws {
        let trace = try Trace.load(path: TestPaths.trace("checkerboard"))
        let s = try session(trace, EngineConfiguration(algorithm: algorithm, dialect: dialect, maxPassBytes: 1 << 20, maxPassAllocations: 32),
                            verification: .all)
        s.faults = FaultPlan(failureRate: 0.1, ignoreRate: 0.05, destroyRate: 0.05, seed: 7)
        s.validatesAfterEachPass = true
        let before = s.metrics
        let reports = try s.runToCompletion(maxPasses: 10_000)
        #expect(s.isFinished, "the run must end")
        var destroyed = 0, failed = 0, copied = 0
        for report in reports {
            failed += report.errors.count
            destroyed += report.moves.filter { $0.operation == .destroy }.count
            copied += report.moves.filter { $0.operation == .copy }.count
        }
        #expect(failed > 0 && destroyed > 0)
        // Stats add up: what moved is what was copied and not failed.
        #expect(s.runStats.allocationsMoved == copied - failed)
        #expect(s.metrics.liveAllocations == before.liveAllocations - destroyed)
        for pool in s.pools { try pool.validate(); try pool.verifyAll() }
    }

    @Test("reset rebuilds the start state; a new configuration takes effect")
    func reset() throws {
        let trace = try Trace.load(path: TestPaths.trace("checkerboard"))
        let s = try session(trace, EngineConfiguration(algorithm: .fast, dialect: .vma))
        let start = s.layout().map { [$0.id, $0.page, $0.offset] }
        try s.step()
        #expect(s.history.count == 1)
        #expect(s.layout().map { [$0.id, $0.page, $0.offset] } != start)
        try s.reset(configuration: EngineConfiguration(algorithm: .full, dialect: .memutils))
        #expect(s.history.isEmpty && !s.isFinished)
        #expect(s.layout().map { [$0.id, $0.page, $0.offset] } == start)
        #expect(s.configuration.algorithm == .full)
        let snapshot = s.snapshot()
        #expect(snapshot.passNumber == 0 && snapshot.pagesHistory == [s.metricsAtStart.pages])
        #expect(snapshot.pages.reduce(0) { $0 + $1.allocations.count } == s.metrics.liveAllocations)
    }

    @Test("a pass report names every move, the freed pages and the metrics after")
    func report() throws {
        let trace = try Trace.load(path: TestPaths.trace("tiny"))
        let s = try session(trace, EngineConfiguration(algorithm: .full, dialect: .memutils))
        let report = try #require(try s.step())
        #expect(report.number == 1)
        #expect(report.moves.first == MoveRecord(id: 17, size: 112, sourcePage: 1, sourceOffset: 0, destinationPage: 0, destinationOffset: 208, pool: "tiny.trace"))
        #expect(report.moves.count == 8)
        #expect(report.freedPages == [1])
        #expect(report.stats.deviceMemoryBlocksFreed == 1)
        #expect(report.stats.bytesFreed == 1024)
        #expect(report.metricsAfter.pages == 1)
        #expect(try s.step() == nil)
        #expect(s.isFinished)
    }

    @Test("metrics: lower bound, free bytes, largest free range, fragmentation")
    func metrics() throws {
        let trace = try Trace.parse("block-size 1000\na 1 100 1\na 2 100 1\na 3 100 1\nf 2\n", fileName: "m.trace")
        let s = try session(trace, EngineConfiguration())
        let m = s.metrics
        #expect(m.pages == 1 && m.lowerBoundPages == 1 && m.liveBytes == 200 && m.freeBytes == 800)
        #expect(m.largestFreeRange == 700)
        #expect(abs(m.fragmentation - (1 - 700.0 / 800.0)) < 1e-9)
    }
}
