// Workload.makePools, the pool construction the command line used to hold (issue 15 item 3): the pools of a
// trace and of a dump, the progress the loading frame shows, and a build stopped from the progress callback
// (`q` while `watch` loads) that leaves no page behind.
import MemoryMetadata
import MemoryPools
import Testing
@testable import Workloads

/// 40,000 allocations of 1 KiB in 1 MiB pages, every other one freed again: enough operations for progress
/// calls between the first and the last (one every 16,384 operations).
private func largeTrace() -> Trace {
    var operations: [TraceOperation] = []
    for id in 0..<40_000 {
        operations.append(.allocate(id: id, size: 1024, alignment: 16, line: operations.count + 3))
        if id % 2 == 1 { operations.append(.free(id: id - 1, line: operations.count + 3)) }
    }
    return Trace(name: "large.trace", blockSize: 1 << 20, operations: operations)
}

private struct Stop: Error {}

@Suite("Workload: the pools an input builds")
struct WorkloadTests {
    @Test("a trace: one pool in its final state; progress from (0, all) to (all, all), never backwards")
    func traceBuildsItsPoolWithProgress() throws {
        let trace = largeTrace()
        let workload = Workload.trace(trace)
        #expect(workload.buildSteps == 60_000 && workload.title == "large.trace")
        let device = HostPageDevice()
        var calls: [(done: Int, total: Int)] = []
        let pools = try workload.makePools(device: device) { calls.append(($0, $1)) }
        #expect(pools.count == 1)
        #expect(pools[0].liveAllocationCount == 20_000)
        #expect(pools[0].options.pageSize == 1 << 20 && pools[0].options.verifiesBytes)
        try pools[0].validate()
        try pools[0].verifyAll()
        #expect(calls.first.map { $0 == (0, 60_000) } == true)
        #expect(calls.last.map { $0 == (60_000, 60_000) } == true)
        #expect(calls.count > 2, "progress between the first and the last operation")
        #expect(calls.allSatisfy { $0.total == 60_000 })
        #expect(zip(calls, calls.dropFirst()).allSatisfy { $0.done <= $1.done })
    }

    @Test("keepBytes false builds pools that do not verify bytes")
    func withoutBytes() throws {
        let pools = try Workload.trace(Scenario.checkerboard.trace()).makePools(device: HostPageDevice(), keepBytes: false)
        #expect(pools.count == 1 && !pools[0].options.verifiesBytes)
    }

    @Test("a throw from progress stops the build, is rethrown, and the pages made so far are gone")
    func stoppedBuildLeavesNoPage() throws {
        let device = HostPageDevice()
        var calls = 0
        #expect(throws: Stop.self) {
            _ = try Workload.trace(largeTrace()).makePools(device: device) { done, _ in
                calls += 1
                if done > 0 { throw Stop() }
            }
        }
        #expect(calls == 2, "stopped at the first progress call after the start")
        #expect(device.pageCount == 0)
        // The device is usable again: the next build succeeds.
        #expect(try Workload.trace(largeTrace()).makePools(device: device).count == 1)
    }

    @Test("a dump: its pools, and progress (0, allocations) then (allocations, allocations)")
    func dumpBuildsItsPoolsWithProgress() throws {
        let trace = Scenario.checkerboard.trace()
        let pool = try Workload.trace(trace).makePools(device: HostPageDevice(), keepBytes: false)
        let dump = try VMADump.template(title: "checkerboard", pool: pool[0].options, gpu: "test")
            .exported(pools: pool, slots: VMADump.templateSlots)
        let workload = Workload.dump(dump)
        #expect(workload.buildSteps == dump.allocationCount && dump.allocationCount == pool[0].liveAllocationCount)
        var calls: [(done: Int, total: Int)] = []
        let pools = try workload.makePools(device: HostPageDevice()) { calls.append(($0, $1)) }
        #expect(pools.reduce(0) { $0 + $1.liveAllocationCount } == dump.allocationCount)
        for p in pools { try p.validate(); try p.verifyAll() }
        #expect(calls.count == 2)
        #expect(calls.first.map { $0 == (0, dump.allocationCount) } == true)
        #expect(calls.last.map { $0 == (dump.allocationCount, dump.allocationCount) } == true)
    }
}
