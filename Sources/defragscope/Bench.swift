// `defragscope bench`: chooses what to measure (Benchmarks) and where its rows go.
import ArgumentParser
import Benchmarks
import DefragSession
import Defragmentation
import Foundation
import MemoryPools
import Reports
import Workloads

struct Bench: ParsableCommand, RefusesRepeatedOptions {
    static let configuration = CommandConfiguration(
        abstract: "Measure planning, rendering and copy speed (use a release build).",
        discussion: """
        Planning: each trace is replayed into a pool on a metadata-only device (no page bytes), then the
        engine runs to completion; the time from the start of the run to the end of the last pass is
        measured --repeat times and reported as median, min and max.
        With --session --trace FILE: what a user of `watch` waits for, as one record: loadSeconds (from the
        start to the first 200×60 frame), stepSecondsMedian (one pass with its snapshot and a 200×60 render,
        over --repeat steps or until the run finishes) and peakRSSBytes; --backend as for run (host, or
        metadata when the pages need more than half of the machine's memory), algorithm full unless given.
        With --backend lavapipe: copy throughput instead, Vulkan against memcpy of the same bytes, side by
        side (median of --repeat runs), for synthetic batches and for every pass of each trace (default:
        checkerboard and textures, algorithm full, unlimited budget).
        With --baseline: the replay's floor instead: each trace's operations on bare TLSF pages, each
        allocation sent straight to the page the pool gives it (learnt by an untimed replay into a pool;
        the offsets are checked to be the pool's), allocation ids mapped to handles, no pool, slot table or
        device; one record per trace: operations, allocations, frees, pages, opsPerSecond (of the median of
        --repeat runs), secondsMedian, secondsMin, secondsMax. Compare opsPerSecond with the planning rows'
        replay ops/s: the difference is what the pool and its page choice cost.
        """
    )

    static let repeatableOptions: Set<String> = ["--trace", "--algorithm", "--budget"]

    @Option(name: .customLong("trace"), help: ArgumentHelp("A trace file (repeatable; default: every trace in ../shared/traces).", valueName: "FILE"))
    var traces: [String] = []

    @Option(name: .customLong("algorithm"), help: ArgumentHelp("Algorithms (repeatable; default: all five).", valueName: "NAME"))
    var algorithms: [Algorithm] = []

    @Option(help: ArgumentHelp("memutils or vma.", valueName: "NAME"))
    var dialect: Dialect = .vma

    @Option(name: .customLong("budget"), help: ArgumentHelp("BYTES:ALLOCS per pass, 0:0 unlimited (repeatable; default: 0:0 and 67108864:256).", valueName: "B:A"))
    var budgets: [String] = []

    @Option(parsing: .unconditional, help: "Runs per case (at least 1).")
    var `repeat`: Int = 5

    @Flag(help: "One JSON object per case instead of a table.")
    var json = false

    @Flag(help: "Frames per second of the UI's render for 256 pages at 200×60 instead (median of --repeat runs).")
    var render = false

    @Flag(help: "The performance issue's table instead: its seven cases on scale and churn (dialect vma) beside VMA 3.4.0's figures and the targets, and metadata bytes per live allocation.")
    var targets = false

    @Flag(help: "The replay's floor instead: each trace's operations on bare TLSF pages, on the pages the pool chooses, without a pool (ops/s, median of --repeat runs).")
    var baseline = false

    @Flag(help: "One session as `watch` runs it instead: load time, median step time with a 200×60 render, peak RSS (needs one --trace).")
    var session = false

    /// `--backend lavapipe`: copy throughput against memcpy instead of planning (CopyBenchmark).
    @OptionGroup var backend: BackendOptions

    func validate() throws {
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1, not \(`repeat`)") }
        for b in budgets where Budget(argument: b) == nil { throw ValidationError("--budget '\(b)': expected BYTES:ALLOCS, e.g. 67108864:256 or 0:0") }
        if baseline && (session || render || targets || backend.backend == .lavapipe) {
            throw ValidationError("--baseline measures the plain TLSF loop alone: not with --session, --render, --targets or --backend lavapipe")
        }
        if session {
            if render || targets { throw ValidationError("choose one of --session, --render and --targets") }
            if traces.count != 1 { throw ValidationError("--session measures one input: give exactly one --trace FILE") }
            if algorithms.count > 1 || budgets.count > 1 { throw ValidationError("--session runs one session: give at most one --algorithm and one --budget") }
        } else if [render, targets, backend.backend == .lavapipe].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --render, --targets and --backend lavapipe")
        }
        if baseline && (!algorithms.isEmpty || !budgets.isEmpty) {
            throw ValidationError("--baseline replays traces only: --algorithm and --budget do not apply")
        }
    }

    func run() throws {
        #if DEBUG
        FileHandle.standardError.write(Data("bench: this is a debug build; figures are meaningful only from `swift build -c release`\n".utf8))
        #endif
        let out = FileDescriptorSink.standardOutput()
        if session { return try runSession(to: out) }
        if render {
            let result = RenderSpeed().run(runs: max(3, `repeat`))
            return try out.write(record: (json ? try JSONLineEncoder().encode(result) : result.line) + "\n")
        }
        let paths = traces.isEmpty ? Self.defaultTraces() : traces
        if targets { return try PerformanceTargets.run(paths: paths, repeat: `repeat`, json: json, to: out) }
        if baseline {
            if paths.isEmpty { throw CLIError("bench: no traces: run it beside ../shared/traces, or name files with --trace") }
            // Every trace is read first, so that a bad one is refused before anything is written.
            let loaded = try paths.map { try Trace.load(path: $0) }
            if !json { try out.write(record: TLSFBaseline.Result.tableHeading + "\n") }
            for trace in loaded {
                let result = try TLSFBaseline(trace: trace).run(repeat: `repeat`)
                try out.write(record: (json ? try JSONLineEncoder().encode(result) : result.tableRow) + "\n")
            }
            return
        }
        let budgetList = budgets.compactMap(Budget.init(argument:))
        if backend.backend == .lavapipe {
            let copyTraces = traces.isEmpty ? paths.filter { $0.hasSuffix("/checkerboard.trace") || $0.hasSuffix("/textures.trace") } : traces
            return try CopyBenchmark(device: try makeVulkanDevice(backend), traces: copyTraces, algorithms: algorithms.isEmpty ? [.full] : algorithms,
                                     dialect: dialect, budgets: budgetList.isEmpty ? [.unlimited] : budgetList, runs: `repeat`)
                .run(json: json, to: out)
        }
        if paths.isEmpty { throw CLIError("bench: no traces: run it beside ../shared/traces, or name files with --trace") }
        try PlanningBenchmark.runTable(paths: paths, algorithms: algorithms.isEmpty ? Algorithm.allCases : algorithms, dialect: dialect,
                                       budgets: budgetList.isEmpty ? [.unlimited, Budget(bytes: 67_108_864, allocations: 256)] : budgetList,
                                       repeat: `repeat`, json: json, to: out)
    }

    /// `--session`: the device is chosen as `run` chooses it, and the choice is part of the load time.
    private func runSession(to out: FileDescriptorSink) throws {
        let started = SessionBenchmark.now()
        let workload = Workload.trace(try Trace.load(path: traces[0]))
        let parsed = SessionBenchmark.now()
        let result: SessionBenchmark.Result
        switch backend.backend {
        case .host, .metadata, nil:
            switch try HostOrMetadata.build(workload, requested: backend.backend, keepBytes: true) {
            case .host(let built): result = try session(built, started: started, parsed: parsed)
            case .metadata(let built, let note):
                if let note { FileHandle.standardError.write(Data("defragscope: \(note)\n".utf8)) }
                result = try session(built, started: started, parsed: parsed)
            }
        case .lavapipe:
            result = try session(try BuiltPools(workload, on: try makeVulkanDevice(backend), keepBytes: true, progress: nil),
                                 started: started, parsed: parsed)
        }
        try out.write(record: (json ? try JSONLineEncoder().encode(result) : result.line) + "\n")
    }

    /// `--session` on the pools `built` holds: the time since `parsed` was spent building them.
    private func session<D: PageDevice>(_ built: BuiltPools<D>, started: UInt64, parsed: UInt64) throws -> SessionBenchmark.Result {
        let budget = budgets.first.flatMap(Budget.init(argument:)) ?? .unlimited
        let configuration = EngineConfiguration(algorithm: algorithms.first ?? .full, dialect: dialect,
                                                maxPassBytes: budget.bytes, maxPassAllocations: budget.allocations)
        let phases = SessionBenchmark.LoadPhases(inputSeconds: Double(parsed - started) / 1e9,
                                                 poolsSeconds: Double(SessionBenchmark.now() - parsed) / 1e9)
        return try SessionBenchmark.run(title: built.workload.title, configuration: configuration, started: started, phases: phases,
                                        maxSteps: `repeat`) { try built.take() }
    }

    /// Every trace of ../shared/traces, looked for beside the working directory and above the executable.
    private static func defaultTraces() -> [String] {
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
