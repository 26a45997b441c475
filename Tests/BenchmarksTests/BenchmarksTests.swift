// The benchmark drivers on small inputs: the figures they report are consistent with what the engine and
// the session do, their rows parse, and what they cannot run is an error before anything is written.
@testable import Benchmarks
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import Reports
import Testing
import TestSupport
import VulkanPageDevice
import Workloads

/// Whether a Vulkan device opens here (lavapipe); the copy benchmark's device needs one.
private let vulkanDevice: VulkanPageDevice? = try? VulkanPageDevice.openCapturingDriverMessages().device
/// Skips without one locally; fails under DEFRAGSCOPE_REQUIRE_ALL=1 (issue 15 item 9).
private let vulkanOpens = Requirement.vulkan { vulkanDevice != nil }

@Suite("Benchmarks")
struct BenchmarksTests {
    @Test("median: the middle value, the mean of the two middle ones, NaN for none")
    func medians() {
        #expect(median([3, 1, 2]) == 2)
        #expect(median([4, 1, 3, 2]) == 2.5)
        #expect(median([7]) == 7)
        #expect(median([]).isNaN)
        let spread = RunSpread([5, 1, 9, 3])
        #expect(spread.median == 4 && spread.min == 1 && spread.max == 9)
    }

    @Test("budgets: BYTES:ALLOCS, 0 unlimited, anything else refused")
    func budgets() {
        #expect(Budget(argument: "0:0") == .unlimited)
        #expect(Budget(argument: "0:0")?.label == "unlimited")
        let small = Budget(argument: "67108864:256")
        #expect(small == Budget(bytes: 67_108_864, allocations: 256))
        #expect(small?.label == "64 MiB/256")
        #expect(Budget(argument: "0:16")?.bytes == .max)
        #expect(Budget(argument: "0:16")?.recordBytes == 0)
        for bad in ["", "1", "-1:0", "1:-1", "a:b", "1:2:3", ":5"] { #expect(Budget(argument: bad) == nil, "\(bad)") }
    }

    @Test("planning on metadata-only pages plans the moves a session over real bytes makes", arguments: ["tiny", "checkerboard", "nearly-full"])
    func planningMatchesSession(_ name: String) throws {
        let trace = try Trace.load(path: TestPaths.trace(name))
        for budget in [Budget.unlimited, Budget(bytes: 67_108_864, allocations: 256)] {
            let configuration = budget.configuration(algorithm: .full, dialect: .vma)
            let result = try PlanningBenchmark(trace: trace, configuration: configuration).run(repeat: 2)
            let session = try DefragSession(title: trace.displayName, configuration: configuration) {
                try Workload.trace(trace).makePools(device: HostPageDevice())
            }
            let reports = try session.runToCompletion()
            #expect(result.passes == reports.count)
            #expect(result.moves == reports.reduce(0) { $0 + $1.moves.count })
            #expect(result.bytesMoved == reports.reduce(0) { $0 + $1.moves.reduce(0) { $0 + $1.size } })
            #expect(result.pagesAfter == session.metrics.pages)
            #expect(result.planningSecondsMin <= result.planningSecondsMedian && result.planningSecondsMedian <= result.planningSecondsMax)
            #expect(result.replayOpsPerSecond > 0 && result.metadataBytesPerAllocation > 0)
            #expect(result.maxPassBytes == budget.recordBytes && result.maxPassAllocations == budget.recordAllocations)
        }
        #expect(throws: BenchmarkError.self) { try PlanningBenchmark(trace: trace, configuration: EngineConfiguration()).run(repeat: 0) }
    }

    @Test("the planning table: a heading, then one row or JSON line per case as it is measured")
    func planningTable() throws {
        let paths = [TestPaths.trace("tiny"), TestPaths.trace("checkerboard")]
        let json = MemorySink(), text = MemorySink()
        try PlanningBenchmark.runTable(paths: paths, algorithms: [.fast, .full], dialect: .vma, budgets: [.unlimited], repeat: 1, json: true, to: json)
        try PlanningBenchmark.runTable(paths: paths, algorithms: [.fast, .full], dialect: .vma, budgets: [.unlimited], repeat: 1, json: false, to: text)
        #expect(json.records.count == 4)
        let results = try json.records.map { try JSONDecoder().decode(PlanningBenchmark.Result.self, from: Data($0.utf8)) }
        #expect(results.map(\.trace) == ["tiny.trace", "tiny.trace", "checkerboard.trace", "checkerboard.trace"])
        #expect(results.map(\.algorithm) == ["fast", "full", "fast", "full"])
        #expect(text.records.count == 5)
        #expect(text.records[0].hasPrefix("trace               algorithm budget"))
        #expect(text.records[1].hasPrefix("tiny.trace          fast      unlimited"))
    }

    @Test("--targets without the traces it needs names the missing one and writes nothing")
    func targetsNeedTraces() throws {
        let sink = MemorySink()
        do {
            try PerformanceTargets.run(paths: [TestPaths.trace("tiny"), TestPaths.trace("churn")], repeat: 1, json: false, to: sink)
            Issue.record("ran without scale.trace")
        } catch let error as BenchmarkError {
            #expect(error.description.hasPrefix("bench --targets needs scale.trace"))
        }
        #expect(sink.records.isEmpty)
    }

    @Test("the targets table: seven rows, each read the way its target is written")
    func targetRows() {
        #expect(PerformanceTargets.rows.count == 7)
        var result = PlanningBenchmark.Result(trace: "scale.trace", algorithm: "full", dialect: "vma", maxPassBytes: 0, maxPassAllocations: 0,
                                              replayOpsPerSecond: 2.5e6, planningSecondsMedian: 0.3, planningSecondsMin: 0.2, planningSecondsMax: 0.5)
        for row in PerformanceTargets.rows {
            let value = row.measured(result)
            switch row.figure {
            case .planningSeconds:
                #expect(value == 0.3)
                #expect(row.meets(row.limit) && !row.meets(row.limit * 1.01))
            case .replayOpsPerSecond:
                #expect(value == 2.5e6)
                #expect(row.meets(row.limit) && !row.meets(row.limit * 0.99))
            }
        }
        result.replayOpsPerSecond = 93_000
        let replay = PerformanceTargets.rows.first { $0.figure == .replayOpsPerSecond }!
        #expect(replay.formatted(replay.measured(result)) == "93 k ops/s")
        #expect(replay.formatted(2_030_000) == "2.03 M ops/s")
    }

    @Test("render speed: runs, a positive median within min and max, a JSON record")
    func renderSpeed() throws {
        let result = RenderSpeed(pages: 16, width: 80, height: 24, framesPerRun: 5).run(runs: 3)
        #expect(result.runs == 3 && result.pages == 16)
        #expect(result.framesPerSecondMin > 0)
        #expect(result.framesPerSecondMin <= result.framesPerSecondMedian && result.framesPerSecondMedian <= result.framesPerSecondMax)
        #expect(result.line.hasPrefix("render: 16 pages at 80×24:"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try JSONLineEncoder().encode(result).utf8)) as? [String: Any])
        #expect(object["render"] as? Bool == true && object["runs"] as? Int == 3)
    }

    @Test("copy rows: a pass and a case total as the table shows them and as JSON")
    func copyRows() throws {
        var row = CopyBenchmark.Record(device: "llvmpipe", runs: 3, trace: "checkerboard.trace", algorithm: "full", dialect: "vma",
                                       maxPassBytes: 0, maxPassAllocations: 0, pass: .number(2), copies: 10, bytes: 1 << 20,
                                       vulkanBytesPerSecond: 2e9, memcpyBytesPerSecond: 4e9, vulkanSeconds: 5e-4, memcpySeconds: 2.5e-4, ratio: 0.5)
        #expect(CopyBenchmark.tableRow(row, budget: "unlimited").hasPrefix("checkerboard.trace  full      unlimited  2      10      1 MiB       2.00 GB/s    4.00 GB/s    500.0"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try JSONLineEncoder().encode(row).utf8)) as? [String: Any])
        #expect(object["pass"] as? Int == 2 && object["backend"] as? String == "lavapipe" && object["medianPassRatio"] == nil)
        row.pass = .all
        row.passes = 4
        row.medianPassRatio = 0.6
        #expect(CopyBenchmark.tableRow(row, budget: "unlimited").hasSuffix("0.50 (median of passes 0.60)"))
        let total = try #require(try JSONSerialization.jsonObject(with: Data(try JSONLineEncoder().encode(row).utf8)) as? [String: Any])
        #expect(total["pass"] as? String == "all" && total["passes"] as? Int == 4)
        row.ratio = .nan
        #expect(throws: EncodingError.self) { try JSONLineEncoder().encode(row) }
    }

    @Test("a synthetic batch: verified copies, both medians positive, its scratch pages gone; counts that are not positive are an error",
          .requires(vulkanOpens))
    func syntheticBatch() throws {
        let device = try VulkanPageDevice.openCapturingDriverMessages().device  // its own: the counts below are this test's
        let result = try CopyBenchmark.synthetic(on: device, copies: 4, bytesPerCopy: 100_000, runs: 3)
        #expect(result.copies == 4 && result.bytesPerCopy == 100_000 && result.runs == 3)
        #expect(result.vulkanSeconds > 0 && result.memcpySeconds > 0)
        #expect(result.vulkanBytesPerSecond > 0 && result.memcpyBytesPerSecond > 0)
        #expect(result.description.contains(device.name) && result.description.contains("median of 3 runs"))
        #expect(device.pageCount == 0 && device.boundAllocationCount == 0, "its scratch pages are gone")
        #expect(throws: PageDeviceError.self) { try CopyBenchmark.synthetic(on: device, copies: 0, bytesPerCopy: 16, runs: 1) }
        #expect(throws: PageDeviceError.self) { try CopyBenchmark.synthetic(on: device, copies: 1, bytesPerCopy: 16, runs: 0) }
        #expect(device.pageCount == 0)
    }

    @Test("the timed device: one entry per pass that copied, its copies and bytes those of the pass, bytes still verified",
          .requires(vulkanOpens))
    func timedCopies() throws {
        let device = try #require(vulkanDevice)
        let trace = try Trace.load(path: TestPaths.trace("checkerboard"))
        let timed = TimedCopyDevice(device, runs: 2)
        let session = try DefragSession(title: trace.displayName, configuration: Budget(bytes: 8 << 20, allocations: 64)
                                            .configuration(algorithm: .full, dialect: .vma), verification: .all) {
            try Workload.trace(trace).makePools(device: timed)
        }
        let reports = try session.runToCompletion()
        let copying = reports.filter { $0.moves.contains { $0.operation == .copy && $0.size > 0 } }
        #expect(timed.passes.count == copying.count)
        for (pass, report) in zip(timed.passes, copying) {
            let copies = report.moves.filter { $0.operation == .copy && $0.size > 0 }
            #expect(pass.copies == copies.count)
            #expect(pass.bytes == copies.reduce(0) { $0 + $1.size })
            #expect(pass.vulkanSeconds > 0 && pass.memcpySeconds > 0)
        }
    }
}
