// `defragscope compare`: several configurations over one input, each run to its end (DefragSession's
// SessionComparison); a table or JSON rows (Reports) and the convergence plot (Visualizer).
import ArgumentParser
import Benchmarks
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import Reports
import Visualizer
import Workloads

struct Compare: ParsableCommand, RefusesRepeatedOptions {
    static let configuration = CommandConfiguration(
        abstract: "Run several algorithms, dialects and budgets over one input and compare them.",
        discussion: """
        Every --algorithm × --dialect × --budget is a configuration. Each gets a
        session of its own, built from the same input, and runs to its end: bytes
        verified after every pass, or with --plan-only on a device that keeps no
        bytes. The table gives per configuration: passes, moves, bytes moved,
        pages before, after, non-empty after and the lower bound, and the time
        spent planning. The plot under it shows non-empty pages against the bytes
        moved so far, one point per pass (--plot passes: against the pass).
          --format json  one JSON object per configuration: the figures of
                         `run --format json`'s summary, and the curve; no plot
          --svg FILE     the plot as SVG, a polyline per configuration, named
                         in the legend
        """
    )

    static let repeatableOptions: Set<String> = ["--algorithm", "--dialect", "--budget"]

    @OptionGroup var input: InputOptions

    @Option(name: .customLong("algorithm"), help: ArgumentHelp("fast, full, balanced or extensive (repeatable; default: every algorithm).", valueName: "NAME"))
    var algorithms: [Algorithm] = []

    @Option(name: .customLong("dialect"), help: ArgumentHelp("memutils or vma (repeatable; default: memutils).", valueName: "NAME"))
    var dialects: [Dialect] = []

    // `.unconditionalSingleValue`: `-1:0` is read as a value (and refused by validate()), not as an option.
    @Option(name: .customLong("budget"), parsing: .unconditionalSingleValue, help: ArgumentHelp("BYTES:ALLOCS per pass, 0 meaning unlimited (repeatable; default: 0:0).", valueName: "B:A"))
    var budgets: [String] = []

    @OptionGroup var backend: BackendOptions

    @Flag(name: .customLong("plan-only"), help: "Plan and complete the moves on a device that keeps no bytes (nothing copied or verified; for inputs larger than memory).")
    var planOnly = false

    @Option(help: "text (a table and a plot) or json (one object per configuration).")
    var format: CompareFormat = .text

    @Option(help: ArgumentHelp("convergence (non-empty pages against bytes moved) or passes (non-empty pages after each pass).", valueName: "WHAT"))
    var plot: Chart.ComparisonKind = .convergence

    @Option(help: ArgumentHelp("Also write the plot as SVG to this file.", valueName: "FILE"))
    var svg: String?

    func validate() throws {
        for b in budgets where Budget(argument: b) == nil {
            throw ValidationError("--budget '\(b)': expected BYTES:ALLOCS, two whole numbers of 0 or more (0: unlimited), e.g. 67108864:256 or 0:0")
        }
        if svg == "-" {
            throw ValidationError("--svg -: standard output carries the rows; give the SVG a file of its own")
        }
        if planOnly, let chosen = backend.backend, chosen != .host {
            throw ValidationError("--plan-only runs on a device that keeps no bytes: it cannot be combined with --backend \(chosen.rawValue)")
        }
    }

    func run() throws {
        let workload = try input.load()
        // Opened before the runs, so an unwritable file is refused before any work.
        let svgFile = try svg.map(OutputFile.open)
        defer { svgFile?.abandon() }
        let budgetList = budgets.compactMap(Budget.init(argument:))
        let configurations = SessionComparison.crossProduct(
            algorithms: algorithms.isEmpty ? Algorithm.allCases : algorithms, dialects: dialects.isEmpty ? [.memutils] : dialects,
            budgets: (budgetList.isEmpty ? [.unlimited] : budgetList).map { ($0.bytes, $0.allocations) })
        let out = FileDescriptorSink.standardOutput()
        let results: [ComparisonRun]
        if planOnly {
            let built = try BuiltPools(workload, on: MetadataOnlyPageDevice(), keepBytes: false, progress: nil)
            results = try execute(workload, configurations, built, verification: .none, to: out)
        } else {
            switch backend.backend {
            case .host, .metadata, nil:
                switch try HostOrMetadata.build(workload, requested: backend.backend, keepBytes: true) {
                case .host(let built): results = try execute(workload, configurations, built, verification: .moved, to: out)
                case .metadata(let built, let note):
                    if let note { FileHandle.standardError.write(Data("defragscope: \(note)\n".utf8)) }
                    results = try execute(workload, configurations, built, verification: .moved, to: out)
                }
            case .lavapipe:
                let built = try BuiltPools(workload, on: try makeVulkanDevice(backend), keepBytes: true, progress: nil)
                results = try execute(workload, configurations, built, verification: .moved, to: out)
            }
        }
        let chart = Chart.comparison(results, kind: plot, title: "\(workload.title): " + (plot == .convergence ? "convergence" : "pages per pass"))
        if format == .text {
            let colour = Self.usesColour(environment: ProcessInfo.processInfo.environment)
            try out.write(record: "\n" + TerminalChart(chart, plotWidth: 64, plotHeight: 14).text(colour: colour))
        }
        if let svgFile {
            try svgFile.write(Array(chart.svg().utf8))
            FileHandle.standardError.write(Data("wrote \(svgFile.path): \(plot.rawValue) plot of \(results.count) configurations\n".utf8))
        }
    }

    /// Runs every configuration on `built`'s device (the first on the pools built), one after the other,
    /// writing each row as its run ends.
    private func execute<D: PageDevice>(_ workload: Workload, _ configurations: [EngineConfiguration], _ built: BuiltPools<D>,
                                        verification: Verification, to out: RecordSink) throws -> [ComparisonRun] {
        let device = built.device
        let labels = SessionComparison.labels(for: configurations)
        let width = ComparisonTable.labelWidth(labels)
        if format == .text {
            try out.write(record: "\(workload.title): \(configurations.count) configurations on \(device.name)"
                + (planOnly ? " (plan only: no bytes copied or verified)" : "") + "\n" + ComparisonTable.heading(labelWidth: width) + "\n")
        }
        return try SessionComparison.run(configurations, makeSession: { configuration in
            try DefragSession(title: workload.title, configuration: configuration, verification: verification) {
                try built.take()
            }
        }, resultReady: { result in
            let line = format == .json ? try ComparisonTable.json(result, trace: workload.title) : ComparisonTable.row(result, labelWidth: width)
            try out.write(record: line + "\n")
        })
    }

    /// Colours when standard output is a terminal that has them and NO_COLOR is unset or empty (as `watch`).
    static func usesColour(environment: [String: String]) -> Bool {
        guard isatty(1) != 0, (environment["NO_COLOR"] ?? "").isEmpty else { return false }
        let term = environment["TERM"] ?? ""
        return !term.isEmpty && term != "dumb"
    }
}

enum CompareFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

extension Chart.ComparisonKind: ExpressibleByArgument {}
