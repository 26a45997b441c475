// `defragscope bench`: chooses what to measure (Benchmarks) and where its rows go.
import ArgumentParser
import Benchmarks
import Defragmentation
import Foundation
import Reports

struct Bench: ParsableCommand, RefusesRepeatedOptions {
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

    /// `--backend lavapipe`: copy throughput against memcpy instead of planning (CopyBenchmark).
    @OptionGroup var backend: BackendOptions

    func validate() throws {
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1, not \(`repeat`)") }
        for b in budgets where Budget(argument: b) == nil { throw ValidationError("--budget '\(b)': expected BYTES:ALLOCS, e.g. 67108864:256 or 0:0") }
        if [render, targets, backend.backend == .lavapipe].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --render, --targets and --backend lavapipe")
        }
    }

    func run() throws {
        #if DEBUG
        FileHandle.standardError.write(Data("bench: this is a debug build; figures are meaningful only from `swift build -c release`\n".utf8))
        #endif
        let out = FileDescriptorSink.standardOutput()
        if render {
            let result = RenderSpeed().run(runs: max(3, `repeat`))
            return try out.write(record: (json ? try JSONLineEncoder().encode(result) : result.line) + "\n")
        }
        let paths = traces.isEmpty ? Self.defaultTraces() : traces
        if targets { return try PerformanceTargets.run(paths: paths, repeat: `repeat`, json: json, to: out) }
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
