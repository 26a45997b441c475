// The three formats of `defragscope run`: a readable table, JSON lines, and the reference format of
// ../shared/reference/*.ref. A run is written as records (the header, each pass as it finishes, the
// summary), each a complete piece of text handed to a `RecordSink` as soon as it is known.
import Defragmentation
import DefragSession
import MemoryPools

public enum ReportFormat: String, CaseIterable, Sendable {
    /// A table, one row per pass, then a summary line.
    case text
    /// One JSON object per pass, then one summary object.
    case json
    /// The format of ../shared/reference/*.ref: layout before, each pass's moves, layout after, summary.
    case ref
}

/// One live allocation's place, as the `ref` format lists it.
public struct LayoutRow: Hashable, Sendable {
    public var id: Int
    public var page: Int
    public var offset: Int
    public var size: Int

    public init(id: Int, page: Int, offset: Int, size: Int) {
        self.id = id
        self.page = page
        self.offset = offset
        self.size = size
    }
}

/// What is known before the first pass.
public struct RunHeader: Sendable {
    public var title: String
    public var configuration: EngineConfiguration
    public var backendName: String
    public var metrics: Metrics
    /// Only the `ref` format reads it.
    public var layout: [LayoutRow]

    public init(title: String, configuration: EngineConfiguration, backendName: String, metrics: Metrics, layout: [LayoutRow]) {
        self.title = title
        self.configuration = configuration
        self.backendName = backendName
        self.metrics = metrics
        self.layout = layout
    }
}

/// What is known after the last pass.
public struct RunSummary: Sendable {
    public var title: String
    public var configuration: EngineConfiguration
    public var backendName: String
    public var passes: Int
    public var moves: Int
    /// The sum of the moves' sizes.
    public var bytesInMoves: Int
    public var stats: DefragmentationStats
    public var metricsAtStart: Metrics
    public var metrics: Metrics
    public var finished: Bool
    /// Only the `ref` format reads it.
    public var layout: [LayoutRow]

    public init(title: String, configuration: EngineConfiguration, backendName: String, passes: Int, moves: Int, bytesInMoves: Int,
                stats: DefragmentationStats, metricsAtStart: Metrics, metrics: Metrics, finished: Bool, layout: [LayoutRow]) {
        self.title = title
        self.configuration = configuration
        self.backendName = backendName
        self.passes = passes
        self.moves = moves
        self.bytesInMoves = bytesInMoves
        self.stats = stats
        self.metricsAtStart = metricsAtStart
        self.metrics = metrics
        self.finished = finished
        self.layout = layout
    }
}

/// Turns a run's header, passes and summary into the text of one format.
public struct RunReportFormatter: Sendable {
    public let format: ReportFormat
    private let encoder = JSONLineEncoder()

    public init(format: ReportFormat) { self.format = format }

    /// The lines before the first pass ("" for `json`, which has none).
    public func header(_ header: RunHeader) -> String {
        var out = ""
        switch format {
        case .ref:
            let c = header.configuration
            let budget = c.maxPassBytes == .max && c.maxPassAllocations == .max ? "unlimited"
                : "\(c.maxPassBytes == .max ? 0 : c.maxPassBytes):\(c.maxPassAllocations == .max ? 0 : c.maxPassAllocations)"
            out += "# reference: defragscope (dialect \(c.dialect)) on \(header.backendName); trace \(header.title); algorithm \(c.algorithm); budget \(budget)\n"
            out += "# page = creation ordinal of the page (VMA block id) in the pool, from 0; offsets and sizes in bytes\n"
            out += "layout-before\n"
            Self.appendLayout(header.layout, to: &out)
        case .text:
            let m = header.metrics, c = header.configuration
            out += "\(header.title): \(m.pages) pages (lower bound \(m.lowerBoundPages)), \(m.liveAllocations) allocations, "
                + "\(ByteFormat.short(m.liveBytes)) live, fragmentation \(TextColumns.percent(m.fragmentation))\n"
            out += "algorithm \(c.algorithm), dialect \(c.dialect), budget \(c.budgetDescription), backend \(header.backendName)\n"
            out += Self.textColumns.map { TextColumns.pad($0.title, $0.width) }.joined() + "errors\n"
        case .json:
            break
        }
        return out
    }

    private static let textColumns: [(title: String, width: Int)] = [
        ("pass", 5), ("moves", 8), ("bytes moved", 14), ("pages freed", 12), ("pages", 7), ("frag", 8), ("plan ms", 9), ("copy ms", 9),
    ]

    /// One pass, complete with its final newline.
    /// - Throws: an `EncodingError` when a figure cannot be written as JSON (a non-finite number).
    public func pass(_ report: PassReport) throws -> String {
        switch format {
        case .ref:
            var out = "pass \(report.number)\n"
            out.reserveCapacity(report.moves.count * 40)
            for m in report.moves {
                out += "move \(m.id) \(m.size) \(m.sourcePage) \(m.sourceOffset) \(m.destinationPage) \(m.destinationOffset)\n"
            }
            return out
        case .text:
            let a = report.metricsAfter
            let cells = ["\(report.number)", "\(report.moves.count)", ByteFormat.short(report.stats.bytesMoved),
                         "\(report.stats.deviceMemoryBlocksFreed)", "\(a.pages)", TextColumns.percent(a.fragmentation),
                         TextColumns.fixed(report.planningSeconds * 1000, digits: 2), TextColumns.fixed(report.copySeconds * 1000, digits: 2)]
            return zip(cells, Self.textColumns).map { TextColumns.pad($0, $1.width) }.joined() + "\(report.errors.count)\n"
        case .json:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(report.moves.count * 100 + 400)
            try encoder.encode(PassRecord(report), into: &bytes)
            bytes.append(UInt8(ascii: "\n"))
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The lines after the last pass.
    public func summary(_ summary: RunSummary) throws -> String {
        let after = summary.metrics
        switch format {
        case .ref:
            var out = "layout-after\n"
            Self.appendLayout(summary.layout, to: &out)
            out += "summary passes \(summary.passes) moves \(summary.moves) bytes-moved \(summary.bytesInMoves) "
                + "pages-nonempty \(after.nonEmptyPages) pages-total \(after.pages)\n"
            return out
        case .text:
            let s = summary.stats
            return "done: \(summary.passes) passes, \(s.allocationsMoved) allocations moved (\(ByteFormat.short(s.bytesMoved))), "
                + "\(s.deviceMemoryBlocksFreed) pages freed (\(ByteFormat.short(s.bytesFreed))); pages \(summary.metricsAtStart.pages) → \(after.pages) "
                + "(non-empty \(after.nonEmptyPages), lower bound \(after.lowerBoundPages)), fragmentation \(TextColumns.percent(after.fragmentation))\n"
        case .json:
            return try encoder.encode(SummaryRecord(summary)) + "\n"
        }
    }

    private static func appendLayout(_ rows: [LayoutRow], to out: inout String) {
        out.reserveCapacity(out.utf8.count + rows.count * 24)
        for row in rows { out += "\(row.id) \(row.page) \(row.offset) \(row.size)\n" }
    }
}

// MARK: - JSON records

/// One pass as a JSON object (`run --format json`).
public struct PassRecord: Codable, Hashable, Sendable {
    public struct Move: Codable, Hashable, Sendable {
        public var id: Int
        public var size: Int
        public var srcPage: Int
        public var srcOffset: Int
        public var dstPage: Int
        public var dstOffset: Int
        /// copy, ignore or destroy.
        public var operation: String
    }

    public var pass: Int
    public var moves: [Move]
    public var bytesMoved: Int
    public var allocationsMoved: Int
    public var bytesFreed: Int
    public var pagesFreed: Int
    public var freedPages: [Int]
    public var pages: Int
    public var fragmentation: Double
    public var planningSeconds: Double
    public var copySeconds: Double
    public var completeSeconds: Double
    public var errors: [String]
    /// Allocations the engine looked at (moves plus `notMoved`), when the session explained the pass.
    public var considered: Int?
    /// Allocations not moved, by reason, when the session explained the pass.
    public var notMoved: NotMoved?

    /// Allocations not moved, by reason (``AllocationDecision``).
    public struct NotMoved: Codable, Hashable, Sendable {
        public var noDestination: Int
        public var budget: Int
        public var immovable: Int
        public var algorithm: Int

        public var total: Int { noDestination + budget + immovable + algorithm }
    }

    public init(_ report: PassReport) {
        pass = report.number
        moves = report.moves.map {
            Move(id: $0.id, size: $0.size, srcPage: $0.sourcePage, srcOffset: $0.sourceOffset,
                 dstPage: $0.destinationPage, dstOffset: $0.destinationOffset, operation: "\($0.operation)")
        }
        bytesMoved = report.stats.bytesMoved
        allocationsMoved = report.stats.allocationsMoved
        bytesFreed = report.stats.bytesFreed
        pagesFreed = report.stats.deviceMemoryBlocksFreed
        freedPages = report.freedPages
        pages = report.metricsAfter.pages
        fragmentation = report.metricsAfter.fragmentation
        planningSeconds = report.planningSeconds
        copySeconds = report.copySeconds
        completeSeconds = report.completeSeconds
        errors = report.errors.map { "\($0)" }
        if let decisions = report.decisions {
            let counts = decisions.notMoved
            considered = decisions.considered
            notMoved = NotMoved(noDestination: counts[.noDestination] ?? 0, budget: counts[.budget] ?? 0,
                                immovable: counts[.immovable] ?? 0, algorithm: counts[.algorithm] ?? 0)
        }
    }
}

/// The last JSON object of `run --format json`.
public struct SummaryRecord: Codable, Hashable, Sendable {
    public var summary = true
    public var trace: String
    public var algorithm: String
    public var dialect: String
    public var backend: String
    public var passes: Int
    public var moves: Int
    public var bytesMoved: Int
    public var allocationsMoved: Int
    public var bytesFreed: Int
    public var pagesFreed: Int
    public var pagesBefore: Int
    public var pagesAfter: Int
    public var pagesNonEmpty: Int
    public var pagesLowerBound: Int
    public var fragmentation: Double
    public var finished: Bool

    public init(_ s: RunSummary) {
        trace = s.title
        algorithm = s.configuration.algorithm.rawValue
        dialect = s.configuration.dialect.rawValue
        backend = s.backendName
        passes = s.passes
        moves = s.moves
        bytesMoved = s.stats.bytesMoved
        allocationsMoved = s.stats.allocationsMoved
        bytesFreed = s.stats.bytesFreed
        pagesFreed = s.stats.deviceMemoryBlocksFreed
        pagesBefore = s.metricsAtStart.pages
        pagesAfter = s.metrics.pages
        pagesNonEmpty = s.metrics.nonEmptyPages
        pagesLowerBound = s.metrics.lowerBoundPages
        fragmentation = s.metrics.fragmentation
        finished = s.finished
    }
}

// MARK: - driving a session

extension DefragSession {
    /// The session's state before its first pass, for ``RunReportFormatter/header(_:)``; the layout (every
    /// live allocation, sorted) only when asked for.
    public func runHeader(withLayout: Bool) -> RunHeader {
        RunHeader(title: title, configuration: configuration, backendName: backendName, metrics: metricsAtStart,
                  layout: withLayout ? layoutRows() : [])
    }

    /// Every live allocation's place, by id.
    public func layoutRows() -> [LayoutRow] {
        layout().map { LayoutRow(id: $0.id, page: $0.page, offset: $0.offset, size: $0.size) }
    }
}

/// Steps `session` up to `maxPasses` times (or to its end) and writes the header, every pass as soon as it
/// completes, and the summary to `sink`, one record each.
///
/// Inlinable so that the caller's device type is known where `step()` is called: the engine and the pool
/// then run specialised for it (unspecialised, `run` on scale spends about 15 % more time).
/// - Throws: what the session throws (a device or verification failure: the passes before it are
///   written), an `EncodingError`, or what the sink throws.
@inlinable
public func writeRunReport<D: PageDevice>(session: DefragSession<D>, format: ReportFormat, maxPasses: Int = .max,
                                          to sink: RecordSink) throws {
    let formatter = RunReportFormatter(format: format)
    let header = formatter.header(session.runHeader(withLayout: format == .ref))
    if !header.isEmpty { try sink.write(record: header) }
    var passes = 0, moves = 0, bytes = 0
    while passes < maxPasses, let report = try session.step() {
        passes += 1
        moves += report.moves.count
        for m in report.moves { bytes += m.size }
        try sink.write(record: try formatter.pass(report))
    }
    let summary = RunSummary(title: session.title, configuration: session.configuration, backendName: session.backendName,
                             passes: passes, moves: moves, bytesInMoves: bytes, stats: session.runStats,
                             metricsAtStart: session.metricsAtStart, metrics: session.metrics, finished: session.isFinished,
                             layout: format == .ref ? session.layoutRows() : [])
    try sink.write(record: try formatter.summary(summary))
}
