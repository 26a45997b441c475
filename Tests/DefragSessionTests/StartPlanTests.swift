// The planner's summary of a session's start state (what watch's `p` shows): the same pages and bytes as
// running the optimal algorithm on a fresh copy of the input, whatever the session itself has run since.
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import Testing
import TestSupport
import Workloads

private func session(_ workload: Workload, _ configuration: EngineConfiguration) throws -> DefragSession<HostPageDevice> {
    try DefragSession(title: workload.title, configuration: configuration) { try workload.makePools(device: HostPageDevice()) }
}

@Suite("Start plan", .serialized)
struct StartPlanTests {
    static let inputs: [(String, Int, Int)] = [
        ("checkerboard", .max, .max), ("checkerboard", 64 << 10, 16), ("nearly-full", .max, .max), ("tiny", .max, .max),
        ("vma-dumps/vma-sample.json", .max, .max),
    ]

    static func workload(_ name: String) throws -> Workload {
        name.hasSuffix(".json")
            ? .dump(try VMADump.load(path: TestPaths.shared.appendingPathComponent(name).path))
            : .trace(try Trace.load(path: TestPaths.trace(name)))
    }

    @Test("after passes of another algorithm, the summary is what optimal reaches on a fresh copy", arguments: inputs)
    func matchesAFreshOptimalRun(_ input: (String, Int, Int)) throws {
        let (name, bytes, allocations) = input
        let workload = try Self.workload(name)
        let watched = try session(workload, EngineConfiguration(algorithm: .full, maxPassBytes: bytes, maxPassAllocations: allocations))
        try watched.step()
        try watched.step()
        let plan = try #require(watched.startPlan())
        #expect(plan.maxPassBytes == bytes && plan.maxPassAllocations == allocations)
        let summary = plan.summary()

        let optimal = try session(workload, EngineConfiguration(algorithm: .optimal, maxPassBytes: bytes, maxPassAllocations: allocations))
        let start = optimal.metrics
        _ = try optimal.runToCompletion(maxPasses: 10_000)
        #expect(summary.pagesBefore == start.nonEmptyPages, "\(name)")
        #expect(summary.pagesAfter == optimal.metrics.nonEmptyPages, "\(name)")
        #expect(summary.bytesMoved == optimal.runStats.bytesMoved, "\(name)")
        if !name.hasSuffix(".json") {
            // (A dump's pages differ in size: the planner's bound counts the largest pages, the metrics' the pool's size.)
            #expect(summary.lowerBound == start.lowerBoundPages, "\(name)")
        }
        #expect(summary.passes == optimal.history.count, "\(name)")
    }

    @Test("the budget is the session's when asked; a reset keeps the start state; no pools, no plan")
    func budgetAndReset() throws {
        let workload = try Self.workload("checkerboard")
        let s = try session(workload, EngineConfiguration(algorithm: .fast))
        let unlimited = try #require(s.startPlan()).summary()
        try s.setBudget(maxPassBytes: 64 << 10, maxPassAllocations: 16)
        let budgeted = try #require(s.startPlan())
        #expect(budgeted.maxPassBytes == 64 << 10 && budgeted.maxPassAllocations == 16)
        #expect(budgeted.summary().passes > unlimited.passes)
        _ = try s.runToCompletion(maxPasses: 10_000)
        try s.reset(configuration: EngineConfiguration(algorithm: .balanced, dialect: .vma))
        #expect(try #require(s.startPlan()).summary() == unlimited)

        // A session whose pools could not be built has nothing to plan.
        var fail = false
        let failing = try DefragSession<HostPageDevice>(title: "t", configuration: EngineConfiguration()) {
            if fail { throw CocoaError(.fileReadUnknown) }
            return try workload.makePools(device: HostPageDevice())
        }
        fail = true
        #expect(throws: (any Error).self) { try failing.reset() }
        #expect(failing.startPlan() == nil)
    }
}
