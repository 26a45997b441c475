// What `defragscope compare` prints: a table, one row per configuration, or one JSON object per row.
import Defragmentation
import DefragSession

/// One configuration of a comparison as a JSON object (`compare --format json`). The figures have the
/// names and meanings of `run --format json`'s summary object, so a row can be checked against a `run`.
public struct ComparisonRecord: Codable, Hashable, Sendable {
    /// One point of the convergence curve: after pass `pass` (0: the start).
    public struct Point: Codable, Hashable, Sendable {
        public var pass: Int
        public var bytesMoved: Int
        public var pages: Int
        public var pagesNonEmpty: Int
    }

    /// The row's name in the table and the plots' legends.
    public var configuration: String
    public var trace: String
    public var algorithm: String
    public var dialect: String
    /// 0: unlimited.
    public var maxPassBytes: Int
    /// 0: unlimited.
    public var maxPassAllocations: Int
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
    public var planningSeconds: Double
    public var errors: Int
    /// The convergence curve: the start, then one point per pass (bytes moved cumulative).
    public var curve: [Point]

    public init(_ r: ComparisonRun, trace: String) {
        configuration = r.label
        self.trace = trace
        algorithm = r.configuration.algorithm.rawValue
        dialect = r.configuration.dialect.rawValue
        maxPassBytes = r.configuration.maxPassBytes == .max ? 0 : r.configuration.maxPassBytes
        maxPassAllocations = r.configuration.maxPassAllocations == .max ? 0 : r.configuration.maxPassAllocations
        backend = r.backendName
        passes = r.passes
        moves = r.moves
        bytesMoved = r.stats.bytesMoved
        allocationsMoved = r.stats.allocationsMoved
        bytesFreed = r.stats.bytesFreed
        pagesFreed = r.stats.deviceMemoryBlocksFreed
        pagesBefore = r.metricsAtStart.pages
        pagesAfter = r.metricsAtEnd.pages
        pagesNonEmpty = r.metricsAtEnd.nonEmptyPages
        pagesLowerBound = r.metricsAtEnd.lowerBoundPages
        fragmentation = r.metricsAtEnd.fragmentation
        planningSeconds = r.planningSeconds
        errors = r.errors
        curve = r.curve.map { Point(pass: $0.pass, bytesMoved: $0.cumulativeBytesMoved, pages: $0.pages, pagesNonEmpty: $0.nonEmptyPages) }
    }
}

/// The text and JSON forms of a comparison's rows.
public enum ComparisonTable {
    private static let columns: [(title: String, width: Int)] = [
        ("passes", 8), ("moves", 8), ("bytes moved", 13), ("pages before", 14), ("after", 7), ("non-empty", 11), ("bound", 7), ("plan", 11),
    ]

    /// The heading line, the first column as wide as the longest label.
    public static func heading(labelWidth: Int) -> String {
        TextColumns.pad("configuration", labelWidth + 2) + columns.map { TextColumns.pad($0.title, $0.width) }.joined() + "errors"
    }

    /// The width the first column needs for these labels (``SessionComparison/labels(for:)``).
    public static func labelWidth(_ labels: [String]) -> Int {
        max("configuration".count, labels.map(\.count).max() ?? 0)
    }

    /// One result as a line under ``heading(labelWidth:)``.
    public static func row(_ r: ComparisonRun, labelWidth: Int) -> String {
        let cells = ["\(r.passes)", "\(r.moves)", ByteFormat.short(r.stats.bytesMoved), "\(r.metricsAtStart.pages)", "\(r.metricsAtEnd.pages)",
                     "\(r.metricsAtEnd.nonEmptyPages)", "\(r.metricsAtEnd.lowerBoundPages)", TextColumns.seconds(r.planningSeconds)]
        return TextColumns.pad(r.label, labelWidth + 2) + zip(cells, columns).map { TextColumns.pad($0, $1.width) }.joined() + "\(r.errors)"
    }

    /// One result as a JSON line (without its newline).
    /// - Throws: an `EncodingError` for a figure JSON cannot hold (a non-finite number).
    public static func json(_ r: ComparisonRun, trace: String) throws -> String {
        try JSONLineEncoder().encode(ComparisonRecord(r, trace: trace))
    }
}
