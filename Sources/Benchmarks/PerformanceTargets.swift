// The performance issue's table: VMA 3.4.0's figures on the reference machine, the targets, and ours,
// from the same traces, page size and budget (dialect vma, metadata-only pages).
import Defragmentation
import Foundation
import Reports
import Workloads

public enum PerformanceTargets {
    /// One row: what to run, how to read the figure, and the limit it must meet.
    public struct Row: Sendable {
        public enum Figure: Sendable {
            /// The planning median, in seconds: at most `limit`.
            case planningSeconds
            /// Replayed operations per second: at least `limit`.
            case replayOpsPerSecond
        }

        public var work: String
        public var vma: String
        public var target: String
        public var limit: Double
        public var figure: Figure
        /// The trace's file name ("scale.trace").
        public var trace: String
        public var algorithm: Algorithm
        public var budget: Budget

        public func measured(_ result: PlanningBenchmark.Result) -> Double {
            switch figure {
            case .planningSeconds: return result.planningSecondsMedian
            case .replayOpsPerSecond: return result.replayOpsPerSecond
            }
        }

        public func meets(_ value: Double) -> Bool {
            switch figure {
            case .planningSeconds: return value <= limit
            case .replayOpsPerSecond: return value >= limit
            }
        }

        public func formatted(_ value: Double) -> String {
            switch figure {
            case .planningSeconds: return TextColumns.seconds(value)
            case .replayOpsPerSecond:
                return value >= 1e6 ? String(format: "%.2f M ops/s", value / 1e6) : String(format: "%.0f k ops/s", value / 1e3)
            }
        }
    }

    public static let traces = ["scale.trace", "churn.trace"]
    /// The TLSF metadata target, per live allocation.
    public static let metadataBytesLimit = 64.0

    public static let rows: [Row] = {
        let small = Budget(bytes: 67_108_864, allocations: 256)
        return [
            Row(work: "full, scale, unlimited", vma: "43.6 s", target: "≤ 0.44 s", limit: 0.44, figure: .planningSeconds,
                trace: "scale.trace", algorithm: .full, budget: .unlimited),
            Row(work: "balanced, scale, unlimited", vma: "31.0 s", target: "≤ 0.40 s", limit: 0.40, figure: .planningSeconds,
                trace: "scale.trace", algorithm: .balanced, budget: .unlimited),
            Row(work: "fast, scale, unlimited", vma: "1.07 s", target: "≤ 0.20 s", limit: 0.20, figure: .planningSeconds,
                trace: "scale.trace", algorithm: .fast, budget: .unlimited),
            Row(work: "full, churn, unlimited", vma: "27.6 ms", target: "≤ 14 ms", limit: 0.014, figure: .planningSeconds,
                trace: "churn.trace", algorithm: .full, budget: .unlimited),
            Row(work: "full, scale, 64 MiB / 256 per pass", vma: "54.6 s", target: "≤ 1.0 s", limit: 1.0, figure: .planningSeconds,
                trace: "scale.trace", algorithm: .full, budget: small),
            // The replay rows read the replays of the full, unlimited runs.
            Row(work: "replay of scale", vma: "93 k ops/s", target: "≥ 2 M ops/s", limit: 2e6, figure: .replayOpsPerSecond,
                trace: "scale.trace", algorithm: .full, budget: .unlimited),
            Row(work: "replay of churn", vma: "1.42 M ops/s", target: "≥ 3 M ops/s", limit: 3e6, figure: .replayOpsPerSecond,
                trace: "churn.trace", algorithm: .full, budget: .unlimited),
        ]
    }()

    /// One line of the table as JSON (`bench --targets --json`); the metadata rows have no VMA figure.
    public struct Record: Codable, Hashable, Sendable {
        public var work: String
        public var vma: String?
        public var target: String
        public var measured: Double
        public var met: Bool
        public var trace: String?
        public var algorithm: String?
        public var passes: Int?
        public var moves: Int?
    }

    /// Finds each trace among `paths` (by file name), runs every distinct (trace, algorithm, budget) once,
    /// `repeat` times, and writes the table (or JSON lines) to `sink`.
    /// - Throws: `BenchmarkError` naming a trace the table needs that `paths` lacks (before anything is
    ///   written); what loading or running throws.
    public static func run(paths: [String], repeat count: Int, json: Bool, to sink: RecordSink) throws {
        func path(_ name: String) throws -> String {
            guard let p = paths.first(where: { $0.hasSuffix("/" + name) || $0 == name }) else {
                throw BenchmarkError("bench --targets needs \(name): run it beside ../shared/traces, or name the file with --trace")
            }
            return p
        }
        for name in traces { _ = try path(name) }
        var results: [String: PlanningBenchmark.Result] = [:]
        var loaded: [String: Trace] = [:]
        func result(_ row: Row) throws -> PlanningBenchmark.Result {
            let key = "\(row.trace) \(row.algorithm) \(row.budget.label)"
            if let r = results[key] { return r }
            let file = try path(row.trace)
            let trace = try loaded[file] ?? Trace.load(path: file)
            loaded[file] = trace
            let r = try PlanningBenchmark(trace: trace, configuration: row.budget.configuration(algorithm: row.algorithm, dialect: .vma))
                .run(repeat: count)
            results[key] = r
            return r
        }
        let encoder = JSONLineEncoder()
        if !json {
            try sink.write(record: "The performance issue's table: planning medians of \(count) runs (release build, dialect vma, metadata-only pages).\n"
                + TextColumns.pad("work", 38) + TextColumns.pad("VMA 3.4.0", 14) + TextColumns.pad("target", 14)
                + TextColumns.pad("defragscope", 16) + "met\n")
        }
        for row in rows {
            let r = try result(row)
            let value = row.measured(r)
            let met = row.meets(value)
            if json {
                try sink.write(record: try encoder.encode(Record(work: row.work, vma: row.vma, target: row.target, measured: value, met: met,
                                                                 trace: row.trace, algorithm: row.algorithm.rawValue,
                                                                 passes: r.passes, moves: r.moves)) + "\n")
            } else {
                try sink.write(record: TextColumns.pad(row.work, 38) + TextColumns.pad(row.vma, 14) + TextColumns.pad(row.target, 14)
                               + TextColumns.pad(row.formatted(value), 16) + (met ? "yes" : "no") + "\n")
            }
        }
        for name in traces {
            guard let row = rows.first(where: { $0.trace == name && $0.figure == .planningSeconds && $0.budget == .unlimited }) else { continue }
            let r = try result(row)
            let met = r.metadataBytesPerAllocation <= metadataBytesLimit
            if json {
                try sink.write(record: try encoder.encode(Record(work: "metadata bytes per live allocation, \(name)", target: "≤ 64",
                                                                 measured: r.metadataBytesPerAllocation, met: met)) + "\n")
            } else {
                try sink.write(record: TextColumns.pad("metadata B per live allocation, " + name.replacingOccurrences(of: ".trace", with: ""), 38)
                               + TextColumns.pad("", 14) + TextColumns.pad("≤ 64", 14)
                               + TextColumns.pad(String(format: "%.0f", r.metadataBytesPerAllocation), 16) + (met ? "yes" : "no") + "\n")
            }
        }
    }
}
