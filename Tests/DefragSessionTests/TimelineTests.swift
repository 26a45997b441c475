// The timeline: any pass rebuilt from the start layout and the passes' moves equals what the session showed
// right after that pass, and looking at the past leaves the pools alone.
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import Testing
import TestSupport
import Workloads

@Suite("Timeline")
struct TimelineTests {
    struct Case: CustomStringConvertible, Sendable {
        var trace: String
        var algorithm: Algorithm
        var maxPassAllocations: Int = .max
        var faults: Bool = false
        var description: String { "\(trace) \(algorithm)" + (maxPassAllocations == .max ? "" : " ≤\(maxPassAllocations)") + (faults ? " with faults" : "") }
    }

    static let cases: [Case] = [
        Case(trace: "checkerboard", algorithm: .full), Case(trace: "checkerboard", algorithm: .fast),
        Case(trace: "nearly-full", algorithm: .balanced), Case(trace: "tiny", algorithm: .full, maxPassAllocations: 2),
        Case(trace: "checkerboard", algorithm: .full, faults: true), Case(trace: "nearly-full", algorithm: .full, faults: true),
    ]

    @Test("every pass rebuilt equals the snapshot taken right after it", arguments: cases)
    func rebuildsEveryPass(_ c: Case) throws {
        let trace = try Trace.load(path: TestPaths.trace(c.trace))
        let session = try DefragSession(title: c.trace, configuration: EngineConfiguration(algorithm: c.algorithm, maxPassAllocations: c.maxPassAllocations)) {
            [try trace.makePool(device: HostPageDevice())]
        }
        // Ignores make pages immovable, destroys remove allocations, failures leave them in place.
        if c.faults { session.faults = FaultPlan(failureRate: 0.1, ignoreRate: 0.1, destroyRate: 0.1, seed: 11) }
        var live = [session.snapshot()]
        while live.count < 200, try session.step() != nil { live.append(session.snapshot()) }
        #expect(live.count >= 3, "the run has at least two passes")
        let passes = session.history.count
        let newest = session.pageSnapshots
        for (pass, expected) in live.enumerated() where pass <= passes {
            let shown = session.snapshot(afterPass: pass)
            #expect(shown.passNumber == pass && shown.passesRun == passes && shown.isPast == (pass < passes))
            #expect(shown.pages == expected.pages, "pass \(pass) of \(passes): the pages as they were")
            #expect(shown.metrics == expected.metrics && shown.runStats == expected.runStats, "pass \(pass): the figures as they were")
            #expect(shown.lastPass == expected.lastPass)
            #expect(shown.pagesHistory.count == passes + 1, "the whole history, to mark the pass shown in it")
        }
        #expect(session.pageSnapshots == newest, "looking at the past does not change the pools")
        #expect(session.snapshot(afterPass: -3).passNumber == 0 && session.snapshot(afterPass: passes + 5).passNumber == passes)
    }

    @Test("explained passes older than the newest 16 keep their counts, not each allocation's decision")
    func oldDecisionsKeepCounts() throws {
        let trace = try Trace.load(path: TestPaths.trace("checkerboard"))
        let session = try DefragSession(title: "checkerboard", configuration: EngineConfiguration(maxPassAllocations: 1)) {
            [try trace.makePool(device: HostPageDevice())]
        }
        session.explains = true
        var counts: [[AllocationDecision: Int]] = []
        for _ in 0..<(PassDecisions.passesKeptInDetail + 4) {
            let report = try #require(try session.step())
            counts.append(try #require(report.decisions).counts)
            #expect(report.decisions?.considered == 1024 && report.decisions?.moved == 1)
        }
        for (index, report) in session.history.enumerated() {
            let decisions = try #require(report.decisions)
            #expect(decisions.counts == counts[index], "pass \(index + 1) keeps its counts")
            #expect(decisions.hasDetails == (index >= 4), "pass \(index + 1)")
            #expect(decisions.byAllocation.isEmpty == !decisions.hasDetails)
        }
        let page = try #require(session.pageSnapshots.first?.id)
        #expect(session.whyList(page: page, pass: 1)?.first?.hasPrefix("only the counts of this pass are kept") == true)
        #expect(session.whyList(page: page, pass: 20)?.first?.hasPrefix("only the counts") == false)
    }

    @Test("a reset forgets the old run's timeline")
    func resetForgets() throws {
        let trace = try Trace.load(path: TestPaths.trace("checkerboard"))
        let session = try DefragSession(title: "checkerboard", configuration: EngineConfiguration()) { [try trace.makePool(device: HostPageDevice())] }
        let start = session.snapshot().pages
        try session.runToCompletion(maxPasses: 2)
        try session.reset(configuration: EngineConfiguration(algorithm: .fast))
        #expect(session.snapshot(afterPass: 1).passNumber == 0 && session.snapshot(afterPass: 0).pages == start)
        try session.step()
        #expect(session.snapshot(afterPass: 0).pages == start)
        #expect(session.snapshot(afterPass: 1).pages == session.pageSnapshots)
    }
}
