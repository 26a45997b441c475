// Several sessions from one start state: the configurations of a comparison, their names, and runs that
// are the same as single sessions', one device shared by all.
import Defragmentation
import DefragSession
import MemoryPools
import Testing
import TestSupport
import Workloads

@Suite struct SessionComparisonTests {
    @Test("the cross product nests algorithms, dialects, budgets in that order and drops repeats")
    func crossProduct() {
        let configurations = SessionComparison.crossProduct(algorithms: [.fast, .full, .fast], dialects: [.memutils, .vma],
                                                            budgets: [(.max, .max), (4096, 4)])
        #expect(configurations.count == 8)
        #expect(configurations.map(\.algorithm) == [.fast, .fast, .fast, .fast, .full, .full, .full, .full])
        #expect(configurations.prefix(4).map(\.dialect) == [.memutils, .memutils, .vma, .vma])
        #expect(configurations.prefix(2).map(\.maxPassBytes) == [.max, 4096])
    }

    @Test("labels name only what differs")
    func labels() {
        let algorithms = SessionComparison.crossProduct(algorithms: [.fast, .full], dialects: [.vma], budgets: [(.max, .max)])
        #expect(SessionComparison.labels(for: algorithms) == ["fast", "full"])
        let dialects = SessionComparison.crossProduct(algorithms: [.full], dialects: [.memutils, .vma], budgets: [(.max, .max)])
        #expect(SessionComparison.labels(for: dialects) == ["full@memutils", "full@vma"])
        let budgets = SessionComparison.crossProduct(algorithms: [.fast], dialects: [.memutils], budgets: [(.max, .max), (64 << 20, 256)])
        #expect(SessionComparison.labels(for: budgets) == ["fast unlimited", "fast 64 MiB / 256"])
    }

    @Test("each configuration's run is a single session's, and one host device serves them all in turn")
    func runsMatchSingleSessions() throws {
        let trace = try Trace.load(path: TestPaths.trace("checkerboard"))
        let configurations = SessionComparison.crossProduct(algorithms: Algorithm.allCases, dialects: [.memutils, .vma], budgets: [(.max, .max), (4 << 20, 64)])
        let shared = HostPageDevice()
        var reported: [String] = []
        let runs = try SessionComparison.run(configurations, makeSession: { configuration in
            try DefragSession(title: trace.displayName, configuration: configuration) { [try trace.makePool(device: shared, options: PoolOptions(pageSize: trace.blockSize))] }
        }, resultReady: { reported.append($0.label) })
        #expect(reported == SessionComparison.labels(for: configurations))
        for (configuration, run) in zip(configurations, runs) {
            let single = try DefragSession(title: trace.displayName, configuration: configuration) {
                [try trace.makePool(device: HostPageDevice(), options: PoolOptions(pageSize: trace.blockSize))]
            }
            let reports = try single.runToCompletion()
            #expect(run.configuration == configuration)
            #expect(run.passes == reports.count)
            #expect(run.moves == reports.reduce(0) { $0 + $1.moves.count })
            #expect(run.stats == single.runStats)
            #expect(run.metricsAtStart == single.metricsAtStart)
            #expect(run.metricsAtEnd == single.metrics)
            #expect(run.errors == 0)
            // The curve: the start, then each pass's cumulative bytes and pages.
            #expect(run.curve.count == reports.count + 1)
            #expect(run.curve[0] == ConvergencePoint(pass: 0, cumulativeBytesMoved: 0, pages: single.metricsAtStart.pages,
                                                     nonEmptyPages: single.metricsAtStart.nonEmptyPages))
            var bytes = 0
            for (point, report) in zip(run.curve.dropFirst(), reports) {
                bytes += report.stats.bytesMoved
                #expect(point == ConvergencePoint(pass: report.number, cumulativeBytesMoved: bytes, pages: report.metricsAfter.pages,
                                                  nonEmptyPages: report.metricsAfter.nonEmptyPages))
            }
        }
    }
}
