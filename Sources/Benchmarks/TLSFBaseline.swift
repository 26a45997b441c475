// The replay's floor: the same operations against bare TLSF pages, without a pool.
//
// `bench --baseline` replays each trace into a pool once, untimed, to learn the page the pool gives each
// allocation (VMA's choice: the fullest page that holds it, else a new one). The timed loop then applies
// the operations to bare TLSFMetadata pages, one per page the pool made, each allocation straight to its
// page, with a table from allocation id to handle, nothing else: no slot table, no device, no page order
// kept by free bytes, no requests to pages that cannot take it. Every page sees the operations the pool's
// page saw, in the same order, so the placements are the pool's (checked: a different offset is an
// error). What the pool's replay costs beyond this loop is the pool's and its page choice; what this loop
// costs is the metadata's.
import Dispatch
import Foundation
import MemoryMetadata
import MemoryPools
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
        /// Pages the pool made (the loop makes the same).
        public var pages: Int
        /// Operations per second of the median run.
        public var opsPerSecond: Double
        public var secondsMedian: Double
        public var secondsMin: Double
        public var secondsMax: Double
    }

    /// - Parameter count: runs (at least 1).
    /// - Throws: `BenchmarkError` for a count below 1, or for an operation the metadata refuses or places
    ///   elsewhere than the pool (named by the trace's file and line); what the pool's replay throws.
    public func run(repeat count: Int) throws -> Result {
        guard count >= 1 else { throw BenchmarkError("a benchmark needs at least one run, not \(count)") }
        let placements = try poolPlacements()
        var times: [Double] = []
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            try replay(placements)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let spread = RunSpread(times)
        return Result(trace: trace.displayName, operations: trace.operations.count, allocations: trace.allocationCount,
                      frees: trace.freeCount, pages: placements.pages, opsPerSecond: Double(trace.operations.count) / spread.median,
                      secondsMedian: spread.median, secondsMin: spread.min, secondsMax: spread.max)
    }

    /// Where the pool puts each allocation of the trace, in order: page id and offset; and how many pages
    /// it made.
    struct Placements {
        var page: [Int32] = []
        var offset: [Int] = []
        var pages = 0
    }

    func poolPlacements() throws -> Placements {
        var options = PoolOptions(pageSize: trace.blockSize)
        options.verifiesBytes = false
        let pool = MemoryPool(options: options, device: MetadataOnlyPageDevice(), name: trace.displayName)
        var placements = Placements()
        placements.page.reserveCapacity(trace.allocationCount)
        placements.offset.reserveCapacity(trace.allocationCount)
        for operation in trace.operations {
            switch operation {
            case .allocate(let id, let size, let alignment, let line):
                do {
                    let record = pool.record(slot: try pool.allocateSlot(id: id, size: size, alignment: alignment, type: .unknown))
                    placements.page.append(Int32(record.page))
                    placements.offset.append(record.offset)
                    placements.pages = max(placements.pages, record.page + 1)
                } catch {
                    throw WorkloadError(file: trace.name, line: line, message: "cannot allocate \(id): \(error)")
                }
            case .free(let id, let line):
                do { try pool.free(id: id) } catch {
                    throw WorkloadError(file: trace.name, line: line, message: "cannot free \(id): \(error)")
                }
            }
        }
        return placements
    }

    /// One run of the loop.
    func replay(_ placements: Placements) throws {
        var pages: [TLSFMetadata?] = Array(repeating: nil, count: placements.pages)
        // By allocation id: the page's id + 1 (0: not live) and the handle.
        var pageOf: [Int32] = [], handles: [AllocationHandle] = []
        var next = 0
        func fail(_ line: Int, _ message: String) -> BenchmarkError { BenchmarkError("\(trace.name):\(line): \(message)") }
        for operation in trace.operations {
            switch operation {
            case .allocate(let id, let size, let alignment, let line):
                if id >= pageOf.count {
                    let grown = max(id + 1, pageOf.count * 2)
                    pageOf += repeatElement(0, count: grown - pageOf.count)
                    handles += repeatElement(AllocationHandle(index: 0, generation: 0), count: grown - handles.count)
                }
                let p = Int(placements.page[next])
                let page: TLSFMetadata
                if let made = pages[p] { page = made } else {
                    page = TLSFMetadata(size: trace.blockSize)
                    pages[p] = page
                }
                guard let request = try page.createAllocationRequest(size: size, alignment: alignment, upperAddress: false, type: .unknown,
                                                                     strategy: .default, maxOffset: .max),
                      request.offset == placements.offset[next] else {
                    throw fail(line, "allocation \(id) is not where the pool put it (page \(p), offset \(placements.offset[next]))")
                }
                handles[id] = try page.alloc(request, type: .unknown, userData: id)
                pageOf[id] = Int32(p + 1)
                next += 1
            case .free(let id, let line):
                guard id < pageOf.count, pageOf[id] != 0, let page = pages[Int(pageOf[id]) - 1] else { throw fail(line, "allocation \(id) is not live") }
                try page.free(handles[id])
                pageOf[id] = 0
            }
        }
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
