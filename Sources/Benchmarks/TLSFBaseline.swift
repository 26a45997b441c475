// The replay's floor: the same operations against bare TLSF pages, without a pool.
//
// `bench --baseline` runs each trace's operations on an array of TLSFMetadata pages and a table from
// allocation id to handle, nothing else: no slot table, no device, no page order kept by free bytes, no
// cached page bounds. What the pool's replay costs beyond this loop is the pool's; what this loop costs
// is the metadata's. Pages are tried in the order they were made (first fit over pages), skipping those
// whose largest free range is too small, and a page is made when none holds the request: the placements
// can differ from the pool's (which tries the fullest page first, as VMA does), the work per operation
// is of the same kind.
import Dispatch
import Foundation
import MemoryMetadata
import Reports
import Workloads

/// The plain TLSF allocation loop of a trace, `repeat` times.
public struct TLSFBaseline: Sendable {
    public let trace: Trace

    public init(trace: Trace) { self.trace = trace }

    /// What one trace measured (the `bench --baseline --json` record, with these keys).
    public struct Result: Codable, Hashable, Sendable {
        public var trace: String
        /// Operations applied per run (the trace's `a` and `f` lines).
        public var operations: Int
        public var allocations: Int
        public var frees: Int
        /// Pages made by the last run.
        public var pages: Int
        /// Operations per second of the median run.
        public var opsPerSecond: Double
        public var secondsMedian: Double
        public var secondsMin: Double
        public var secondsMax: Double
    }

    /// - Parameter count: runs (at least 1).
    /// - Throws: `BenchmarkError` for a count below 1, or for an operation the metadata refuses (named by
    ///   the trace's file and line).
    public func run(repeat count: Int) throws -> Result {
        guard count >= 1 else { throw BenchmarkError("a benchmark needs at least one run, not \(count)") }
        var times: [Double] = [], pages = 0
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            pages = try replay()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let spread = RunSpread(times)
        return Result(trace: trace.displayName, operations: trace.operations.count, allocations: trace.allocationCount,
                      frees: trace.freeCount, pages: pages, opsPerSecond: Double(trace.operations.count) / spread.median,
                      secondsMedian: spread.median, secondsMin: spread.min, secondsMax: spread.max)
    }

    /// One run of the loop; the pages it made.
    func replay() throws -> Int {
        var pages: [TLSFMetadata] = []
        // By allocation id: the page's index + 1 (0: not live) and the handle.
        var pageOf: [Int32] = [], handles: [AllocationHandle] = []
        func fail(_ line: Int, _ message: String) -> BenchmarkError { BenchmarkError("\(trace.name):\(line): \(message)") }
        for operation in trace.operations {
            switch operation {
            case .allocate(let id, let size, let alignment, let line):
                if id >= pageOf.count {
                    let grown = max(id + 1, pageOf.count * 2)
                    pageOf += repeatElement(0, count: grown - pageOf.count)
                    handles += repeatElement(AllocationHandle(index: 0, generation: 0), count: grown - handles.count)
                }
                guard pageOf[id] == 0 else { throw fail(line, "allocation \(id) is already live") }
                guard size <= trace.blockSize else { throw fail(line, "allocation \(id) of \(size) bytes is larger than a page") }
                var placed: (page: Int, request: AllocationRequest)?
                for (index, page) in pages.enumerated() where page.largestFreeRangeBound >= size {
                    if let request = try page.createAllocationRequest(size: size, alignment: alignment, upperAddress: false, type: .unknown,
                                                                      strategy: .default, maxOffset: .max) {
                        placed = (index, request)
                        break
                    }
                }
                if placed == nil {
                    let page = TLSFMetadata(size: trace.blockSize)
                    pages.append(page)
                    guard let request = try page.createAllocationRequest(size: size, alignment: alignment, upperAddress: false, type: .unknown,
                                                                         strategy: .default, maxOffset: .max) else {
                        throw fail(line, "allocation \(id) does not fit an empty page")
                    }
                    placed = (pages.count - 1, request)
                }
                handles[id] = try pages[placed!.page].alloc(placed!.request, type: .unknown, userData: id)
                pageOf[id] = Int32(placed!.page + 1)
            case .free(let id, let line):
                guard id < pageOf.count, pageOf[id] != 0 else { throw fail(line, "allocation \(id) is not live") }
                try pages[Int(pageOf[id]) - 1].free(handles[id])
                pageOf[id] = 0
            }
        }
        return pages.count
    }
}

extension TLSFBaseline.Result {
    static let columns: [(title: String, width: Int)] = [
        ("trace", 20), ("operations", 12), ("pages", 8), ("plain TLSF ops/s", 18), ("median", 11), ("min", 11),
    ]

    /// The table's heading line (`bench --baseline` without `--json`).
    public static var tableHeading: String { columns.map { TextColumns.pad($0.title, $0.width) }.joined() + "max" }

    /// The trace as a row under ``tableHeading``.
    public var tableRow: String {
        let cells = [trace, "\(operations)", "\(pages)", String(format: "%.2fM", opsPerSecond / 1e6),
                     TextColumns.seconds(secondsMedian), TextColumns.seconds(secondsMin)]
        return zip(cells, Self.columns).map { TextColumns.pad($0, $1.width) }.joined() + TextColumns.seconds(secondsMax)
    }
}
