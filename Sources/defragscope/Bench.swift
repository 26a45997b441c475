// `defragscope bench`: planning speed of the engine on the shared traces (metadata only, no bytes), and
// the render and copy figures of the UI and the lavapipe backend.
import ArgumentParser
import Defragmentation
import DefragSession
import Foundation
import MemoryMetadata
import MemoryPools
import Visualizer
import Workloads

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure planning, rendering and copy speed (use a release build).",
        discussion: """
        Planning: each trace is replayed into a pool on a metadata-only device (no page bytes), then the
        engine runs to completion; the time from the start of the run to the end of the last pass is
        measured --repeat times and reported as median, min and max.
        With --backend lavapipe: copy throughput instead, Vulkan against memcpy of the same bytes, side by
        side (median of --repeat runs), for synthetic batches and for every pass of each trace (default:
        checkerboard and textures, algorithm full, unlimited budget).
        """
    )

    @Option(name: .customLong("trace"), help: ArgumentHelp("A trace file (repeatable; default: every trace in ../shared/traces).", valueName: "FILE"))
    var traces: [String] = []

    @Option(name: .customLong("algorithm"), help: ArgumentHelp("Algorithms (repeatable; default: all four).", valueName: "NAME"))
    var algorithms: [Algorithm] = []

    @Option(help: ArgumentHelp("memutils or vma.", valueName: "NAME"))
    var dialect: Dialect = .vma

    @Option(name: .customLong("budget"), help: ArgumentHelp("BYTES:ALLOCS per pass, 0:0 unlimited (repeatable; default: 0:0 and 67108864:256).", valueName: "B:A"))
    var budgets: [String] = []

    @Option(help: "Runs per case.")
    var `repeat`: Int = 5

    @Flag(help: "One JSON object per case instead of a table.")
    var json = false

    @Flag(help: "Frames per second of the UI's render for 256 pages at 200×60 instead (median of --repeat runs).")
    var render = false

    @Flag(help: "The performance issue's table instead: its seven cases on scale and churn (dialect vma) beside VMA 3.4.0's figures and the targets, and metadata bytes per live allocation.")
    var targets = false

    /// `--backend lavapipe`: copy throughput against memcpy instead of planning (VulkanCopyBench, Backends.swift).
    @OptionGroup var backend: BackendOptions

    func validate() throws {
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
        for b in budgets where parseBudget(b) == nil { throw ValidationError("--budget '\(b)': expected BYTES:ALLOCS, e.g. 67108864:256 or 0:0") }
    }

    func run() throws {
        #if DEBUG
        FileHandle.standardError.write(Data("bench: this is a debug build; figures are meaningful only from `swift build -c release`\n".utf8))
        #endif
        if render { return runRender() }
        if targets { return try runTargets() }
        let paths = traces.isEmpty ? defaultTraces() : traces
        let budgetList = (budgets.isEmpty ? ["0:0", "67108864:256"] : budgets).compactMap(parseBudget)
        let algorithmList = algorithms.isEmpty ? Algorithm.allCases : algorithms
        if backend.backend == .lavapipe {
            let copyTraces = traces.isEmpty ? paths.filter { $0.hasSuffix("/checkerboard.trace") || $0.hasSuffix("/textures.trace") } : traces
            return try VulkanCopyBench(options: backend, traces: copyTraces, algorithms: algorithms.isEmpty ? [.full] : algorithms,
                                       dialect: dialect, budgets: budgets.isEmpty ? [parseBudget("0:0")!] : budgetList,
                                       runs: `repeat`, json: json).run()
        }
        if !json {
            print(pad("trace", 20) + pad("algorithm", 10) + pad("budget", 14) + pad("replay ops/s", 14) + pad("plan median", 13)
                  + pad("min", 10) + pad("max", 10) + pad("passes", 8) + pad("moves", 9) + pad("pages", 12) + pad("meta B/alloc", 13) + pad("pool B/alloc", 13) + "peak RSS")
        }
        for path in paths {
            let trace = try Trace.load(path: path)
            for algorithm in algorithmList {
                for budget in budgetList {
                    let result = try PlanningBenchmark(trace: trace, configuration: EngineConfiguration(
                        algorithm: algorithm, dialect: dialect, maxPassBytes: budget.bytes, maxPassAllocations: budget.allocations)).run(repeat: `repeat`)
                    if json {
                        print(jsonLine(result.json))
                    } else {
                        print(pad(trace.displayName, 20) + pad("\(algorithm)", 10) + pad(budget.label, 14)
                              + pad(String(format: "%.2fM", result.replayOpsPerSecond / 1e6), 14)
                              + pad(seconds(result.planningMedian), 13) + pad(seconds(result.planningMin), 10) + pad(seconds(result.planningMax), 10)
                              + pad("\(result.passes)", 8) + pad("\(result.moves)", 9)
                              + pad("\(result.pagesBefore)→\(result.pagesAfter) (\(result.pagesLowerBound))", 12)
                              + pad(String(format: "%.1f", result.metadataBytesPerAllocation), 13)
                              + pad(String(format: "%.1f", result.poolBytesPerAllocation), 13) + ByteFormat.short(result.peakRSSBytes))
                    }
                }
            }
        }
    }

    private func defaultTraces() -> [String] {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("../shared/traces")]
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<5 { dir.deleteLastPathComponent(); candidates.append(dir.appendingPathComponent("shared/traces")) }
        for candidate in candidates {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: candidate.path)) ?? []).filter { $0.hasSuffix(".trace") }.sorted()
            if !names.isEmpty { return names.map { candidate.appendingPathComponent($0).standardized.path } }
        }
        return []
    }
}

extension Bench {
    /// `--render`: `render` of a synthetic 256-page snapshot at 200×60, frames per second, median of the runs.
    func runRender() {
        let pages = 256, width = 200, height = 60
        let snapshot = RenderBenchmark.syntheticSnapshot(pages: pages)
        _ = RenderBenchmark.framesPerSecond(snapshot, width: width, height: height, iterations: 50) // warm-up
        let runs = (0..<max(3, `repeat`)).map { _ in RenderBenchmark.framesPerSecond(snapshot, width: width, height: height, iterations: 300) }.sorted()
        let medianFPS = runs.count % 2 == 1 ? runs[runs.count / 2] : (runs[runs.count / 2 - 1] + runs[runs.count / 2]) / 2
        if json {
            print(jsonLine(["render": true, "pages": pages, "width": width, "height": height, "framesPerSecondMedian": medianFPS,
                            "framesPerSecondMin": runs.first!, "framesPerSecondMax": runs.last!, "runs": runs.count]))
        } else {
            print(String(format: "render: %d pages at %d×%d: %.0f frames/s median (min %.0f, max %.0f, %d runs of 300 frames)",
                         pages, width, height, medianFPS, runs.first!, runs.last!, runs.count))
        }
    }
}

struct Budget {
    var bytes: Int
    var allocations: Int
    var label: String
}

func parseBudget(_ text: String) -> Budget? {
    let parts = text.split(separator: ":")
    guard parts.count == 2, let b = Int(parts[0]), let a = Int(parts[1]), b >= 0, a >= 0 else { return nil }
    return Budget(bytes: b == 0 ? .max : b, allocations: a == 0 ? .max : a, label: b == 0 && a == 0 ? "unlimited" : "\(ByteFormat.short(b))/\(a)")
}

func seconds(_ s: Double) -> String { s < 1 ? String(format: "%.1f ms", s * 1000) : String(format: "%.3f s", s) }

/// One planning case: replay, then a whole run on a metadata-only device.
struct PlanningBenchmark {
    let trace: Trace
    let configuration: EngineConfiguration

    struct Result {
        var trace: String, algorithm: Algorithm, dialect: Dialect, maxPassBytes: Int, maxPassAllocations: Int
        var replayOpsPerSecond: Double
        var planningMedian: Double, planningMin: Double, planningMax: Double
        var passes = 0, moves = 0, bytesMoved = 0, pagesBefore = 0, pagesAfter = 0, pagesLowerBound = 0
        var peakRSSBytes = 0
        var metadataBytesPerAllocation: Double = 0
        var poolBytesPerAllocation: Double = 0

        var json: [String: Any] {
            ["trace": trace, "algorithm": algorithm.rawValue, "dialect": dialect.rawValue,
             "maxPassBytes": maxPassBytes == .max ? 0 : maxPassBytes, "maxPassAllocations": maxPassAllocations == .max ? 0 : maxPassAllocations,
             "replayOpsPerSecond": replayOpsPerSecond, "planningSecondsMedian": planningMedian, "planningSecondsMin": planningMin,
             "planningSecondsMax": planningMax, "passes": passes, "moves": moves, "bytesMoved": bytesMoved, "pagesBefore": pagesBefore,
             "pagesAfter": pagesAfter, "pagesLowerBound": pagesLowerBound, "peakRSSBytes": peakRSSBytes,
             "metadataBytesPerAllocation": metadataBytesPerAllocation, "poolBytesPerAllocation": poolBytesPerAllocation]
        }
    }

    func run(repeat count: Int) throws -> Result {
        var replayTimes: [Double] = [], planTimes: [Double] = []
        var result = Result(trace: trace.displayName, algorithm: configuration.algorithm, dialect: configuration.dialect,
                            maxPassBytes: configuration.maxPassBytes, maxPassAllocations: configuration.maxPassAllocations,
                            replayOpsPerSecond: 0, planningMedian: 0, planningMin: 0, planningMax: 0)
        for _ in 0..<count {
            var options = PoolOptions(pageSize: trace.blockSize)
            options.verifiesBytes = false
            let pool = MemoryPool(options: options, device: MetadataOnlyPageDevice(), name: trace.displayName)
            let replayStart = DispatchTime.now().uptimeNanoseconds
            try trace.replay(into: pool)
            let replayEnd = DispatchTime.now().uptimeNanoseconds
            replayTimes.append(Double(replayEnd - replayStart) / 1e9)

            var stats = Statistics()
            pool.addStatistics(&stats)
            result.pagesBefore = pool.blockCount
            result.pagesLowerBound = (stats.allocationBytes + trace.blockSize - 1) / trace.blockSize
            // After the replay: the TLSF metadata of every page (array capacities, so the high-water mark
            // of the replay counts), and separately the pool's own records.
            result.metadataBytesPerAllocation = Double(pool.metadataFootprintBytes) / Double(max(1, stats.allocationCount))
            result.poolBytesPerAllocation = Double(pool.recordFootprintBytes) / Double(max(1, stats.allocationCount))

            let planStart = DispatchTime.now().uptimeNanoseconds
            pool.beginDefragmentation()
            let context = MetadataDefragContext(blockList: pool, algorithm: configuration.algorithm, dialect: configuration.dialect) { move in
                try pool.complete(move)
            }
            try context.initialize()
            var passes = 0, moves = 0, bytes = 0
            while true {
                var pass = PassContext(maxPassBytes: configuration.maxPassBytes, maxPassAllocations: configuration.maxPassAllocations)
                context.collectMoves(&pass)
                if context.moves.isEmpty { break }
                passes += 1
                moves += context.moves.count
                bytes += context.moves.reduce(0) { $0 + $1.size }
                try context.completePass(&pass)
            }
            pool.endDefragmentation()
            let planEnd = DispatchTime.now().uptimeNanoseconds
            planTimes.append(Double(planEnd - planStart) / 1e9)
            result.passes = passes
            result.moves = moves
            result.bytesMoved = bytes
            result.pagesAfter = pool.blockCount
        }
        replayTimes.sort()
        planTimes.sort()
        result.replayOpsPerSecond = Double(trace.operations.count) / replayTimes[replayTimes.count / 2]
        result.planningMedian = planTimes[planTimes.count / 2]
        result.planningMin = planTimes.first!
        result.planningMax = planTimes.last!
        result.peakRSSBytes = peakResidentBytes()
        return result
    }
}

/// The process's peak resident set (VmHWM), in bytes.
func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let digits = line.split(separator: " ").compactMap { Int($0) }
        if let kb = digits.first { return kb * 1024 }
    }
    return 0
}

extension Bench {
    /// One row of the performance issue's table: VMA 3.4.0's figure on the reference machine, the target,
    /// and how to read ours from the runs.
    struct TargetRow {
        var work: String
        var vma: String
        var target: String
        /// Lower is better (seconds) or higher is better (ops/s, with `atLeast`).
        var limit: Double
        var atLeast = false
        var measured: (PlanningBenchmark.Result) -> Double
        var format: (Double) -> String
        var trace: String
        var algorithm: Algorithm
        var budget: String
    }

    /// `--targets`: the table of the performance issue, measured now.
    func runTargets() throws {
        let paths = traces.isEmpty ? defaultTraces() : traces
        func path(_ name: String) throws -> String {
            guard let p = paths.first(where: { $0.hasSuffix("/" + name) || $0 == name }) else {
                throw CLIError("bench --targets needs \(name): run it beside ../shared/traces, or name the file with --trace")
            }
            return p
        }
        // Both traces first, so a missing one stops the command before it prints anything.
        _ = try path("scale.trace")
        _ = try path("churn.trace")
        let planning: (PlanningBenchmark.Result) -> Double = { $0.planningMedian }
        let replay: (PlanningBenchmark.Result) -> Double = { $0.replayOpsPerSecond }
        let opsPerSecond: (Double) -> String = { $0 >= 1e6 ? String(format: "%.2f M ops/s", $0 / 1e6) : String(format: "%.0f k ops/s", $0 / 1e3) }
        let rows = [
            TargetRow(work: "full, scale, unlimited", vma: "43.6 s", target: "≤ 0.44 s", limit: 0.44, measured: planning, format: seconds,
                      trace: "scale.trace", algorithm: .full, budget: "0:0"),
            TargetRow(work: "balanced, scale, unlimited", vma: "31.0 s", target: "≤ 0.40 s", limit: 0.40, measured: planning, format: seconds,
                      trace: "scale.trace", algorithm: .balanced, budget: "0:0"),
            TargetRow(work: "fast, scale, unlimited", vma: "1.07 s", target: "≤ 0.20 s", limit: 0.20, measured: planning, format: seconds,
                      trace: "scale.trace", algorithm: .fast, budget: "0:0"),
            TargetRow(work: "full, churn, unlimited", vma: "27.6 ms", target: "≤ 14 ms", limit: 0.014, measured: planning, format: seconds,
                      trace: "churn.trace", algorithm: .full, budget: "0:0"),
            TargetRow(work: "full, scale, 64 MiB / 256 per pass", vma: "54.6 s", target: "≤ 1.0 s", limit: 1.0, measured: planning, format: seconds,
                      trace: "scale.trace", algorithm: .full, budget: "67108864:256"),
            TargetRow(work: "replay of scale", vma: "93 k ops/s", target: "≥ 2 M ops/s", limit: 2e6, atLeast: true, measured: replay,
                      format: opsPerSecond, trace: "scale.trace", algorithm: .full, budget: "0:0"),
            TargetRow(work: "replay of churn", vma: "1.42 M ops/s", target: "≥ 3 M ops/s", limit: 3e6, atLeast: true, measured: replay,
                      format: opsPerSecond, trace: "churn.trace", algorithm: .full, budget: "0:0"),
        ]
        // Each (trace, algorithm, budget) runs once, --repeat times; the replay rows read the replays of
        // the full, unlimited runs.
        var results: [String: PlanningBenchmark.Result] = [:]
        var loaded: [String: Trace] = [:]
        func result(_ row: TargetRow) throws -> PlanningBenchmark.Result {
            let key = "\(row.trace) \(row.algorithm) \(row.budget)"
            if let r = results[key] { return r }
            let file = try path(row.trace)
            let trace = try loaded[file] ?? Trace.load(path: file)
            loaded[file] = trace
            let budget = parseBudget(row.budget)!
            let r = try PlanningBenchmark(trace: trace, configuration: EngineConfiguration(
                algorithm: row.algorithm, dialect: .vma, maxPassBytes: budget.bytes, maxPassAllocations: budget.allocations)).run(repeat: `repeat`)
            results[key] = r
            return r
        }
        if !json {
            print("The performance issue's table: planning medians of \(`repeat`) runs (release build, dialect vma, metadata-only pages).")
            print(pad("work", 38) + pad("VMA 3.4.0", 14) + pad("target", 14) + pad("defragscope", 16) + "met")
        }
        for row in rows {
            let r = try result(row)
            let value = row.measured(r)
            let met = row.atLeast ? value >= row.limit : value <= row.limit
            if json {
                print(jsonLine(["work": row.work, "vma": row.vma, "target": row.target, "measured": value, "met": met,
                                "trace": row.trace, "algorithm": row.algorithm.rawValue, "passes": r.passes, "moves": r.moves]))
            } else {
                print(pad(row.work, 38) + pad(row.vma, 14) + pad(row.target, 14) + pad(row.format(value), 16) + (met ? "yes" : "no"))
            }
        }
        for name in ["scale.trace", "churn.trace"] {
            let r = try result(rows.first { $0.trace == name }!)
            let met = r.metadataBytesPerAllocation <= 64
            if json {
                print(jsonLine(["work": "metadata bytes per live allocation, \(name)", "target": "≤ 64", "measured": r.metadataBytesPerAllocation, "met": met]))
            } else {
                print(pad("metadata B per live allocation, " + name.replacingOccurrences(of: ".trace", with: ""), 38) + pad("", 14) + pad("≤ 64", 14)
                      + pad(String(format: "%.0f", r.metadataBytesPerAllocation), 16) + (met ? "yes" : "no"))
            }
        }
    }
}
