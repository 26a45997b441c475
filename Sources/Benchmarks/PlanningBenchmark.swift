// Planning speed: a trace replayed into a pool on a metadata-only device (no page bytes), then the
// engine run to completion, timed; the replay's speed and the memory the metadata takes come with it.
import Defragmentation
import DefragSession
import Dispatch
import Foundation
import MemoryMetadata
import MemoryPools
import Reports
import Workloads

/// One planning case: replay, then a whole run on a metadata-only device, `repeat` times.
public struct PlanningBenchmark: Sendable {
    public let trace: Trace
    public let configuration: EngineConfiguration

    public init(trace: Trace, configuration: EngineConfiguration) {
        self.trace = trace
        self.configuration = configuration
    }

    /// What one case measured (the `bench --json` record, with these keys).
    public struct Result: Codable, Hashable, Sendable {
        public var trace: String
        public var algorithm: String
        public var dialect: String
        /// 0: unlimited.
        public var maxPassBytes: Int
        /// 0: unlimited.
        public var maxPassAllocations: Int
        /// Trace operations per second of the median replay.
        public var replayOpsPerSecond: Double
        public var planningSecondsMedian: Double
        public var planningSecondsMin: Double
        public var planningSecondsMax: Double
        /// The median time of one pass (collect and complete) over every pass of every run: what a frame
        /// that runs one pass pays.
        public var planningSecondsPerPassMedian: Double = 0
        /// The slowest pass of every run: the stutter a frame sees, which the median hides (most passes cost
        /// what their moves cost, a few re-walk what earlier passes could not move).
        public var planningSecondsPerPassMax: Double = 0
        /// A hash of the whole move list of the last run (each move's allocation id, size, destination page
        /// id and offset, in order, FNV-1a 64), in hexadecimal: equal lists give equal checksums, so two builds
        /// can be compared without writing the moves out.
        public var movesChecksum = ""
        public var passes = 0
        public var moves = 0
        public var bytesMoved = 0
        public var pagesBefore = 0
        public var pagesAfter = 0
        public var pagesLowerBound = 0
        /// The process's peak resident set after the case.
        public var peakRSSBytes = 0
        /// TLSF metadata of every page after the replay (array capacities), per live allocation.
        public var metadataBytesPerAllocation: Double = 0
        /// The pool's own records, per live allocation.
        public var poolBytesPerAllocation: Double = 0
    }

    /// - Parameter count: runs (at least 1).
    /// - Throws: `BenchmarkError` for a count below 1; what the replay or the engine throws.
    public func run(repeat count: Int) throws -> Result {
        guard count >= 1 else { throw BenchmarkError("a benchmark needs at least one run, not \(count)") }
        var replayTimes: [Double] = [], planTimes: [Double] = [], passTimes: [Double] = []
        var result = Result(trace: trace.displayName, algorithm: configuration.algorithm.rawValue, dialect: configuration.dialect.rawValue,
                            maxPassBytes: configuration.maxPassBytes == .max ? 0 : configuration.maxPassBytes,
                            maxPassAllocations: configuration.maxPassAllocations == .max ? 0 : configuration.maxPassAllocations,
                            replayOpsPerSecond: 0, planningSecondsMedian: 0, planningSecondsMin: 0, planningSecondsMax: 0)
        for _ in 0..<count {
            var options = PoolOptions(pageSize: trace.blockSize)
            options.verifiesBytes = false
            let pool = MemoryPool(options: options, device: MetadataOnlyPageDevice(), name: trace.displayName)
            let replayStart = DispatchTime.now().uptimeNanoseconds
            try trace.replay(into: pool)
            replayTimes.append(Double(DispatchTime.now().uptimeNanoseconds - replayStart) / 1e9)

            var stats = Statistics()
            pool.addStatistics(&stats)
            result.pagesBefore = pool.blockCount
            result.pagesLowerBound = (stats.allocationBytes + trace.blockSize - 1) / trace.blockSize
            // After the replay: the TLSF metadata of every page (array capacities, so the high-water mark
            // of the replay counts), and separately the pool's own records.
            result.metadataBytesPerAllocation = Double(pool.metadataFootprintBytes) / Double(max(1, stats.allocationCount))
            result.poolBytesPerAllocation = Double(pool.recordFootprintBytes) / Double(max(1, stats.allocationCount))

            // Planning time is the run's minus the checksum's (taken between collecting and completing
            // each pass, outside the timed intervals).
            var hashNanoseconds: UInt64 = 0
            var checksum = MoveChecksum()
            let planStart = DispatchTime.now().uptimeNanoseconds
            pool.beginDefragmentation()
            let context = MetadataDefragContext(blockList: pool, algorithm: configuration.algorithm, dialect: configuration.dialect) { move in
                try pool.complete(move)
            }
            try context.initialize()
            var passes = 0, moves = 0, bytes = 0
            while true {
                let passStart = DispatchTime.now().uptimeNanoseconds
                var pass = PassContext(maxPassBytes: configuration.maxPassBytes, maxPassAllocations: configuration.maxPassAllocations)
                context.collectMoves(&pass)
                if context.moves.isEmpty { break }
                let hashStart = DispatchTime.now().uptimeNanoseconds
                passes += 1
                moves += context.moves.count
                for move in context.moves {
                    bytes += move.size
                    let destination = pool.record(slot: move.destinationAllocation!)
                    checksum.add(pool.record(slot: move.sourceAllocation).id, move.size, destination.page, destination.offset)
                }
                let hashEnd = DispatchTime.now().uptimeNanoseconds
                hashNanoseconds += hashEnd - hashStart
                try context.completePass(&pass)
                passTimes.append(Double(DispatchTime.now().uptimeNanoseconds - passStart - (hashEnd - hashStart)) / 1e9)
            }
            pool.endDefragmentation()
            planTimes.append(Double(DispatchTime.now().uptimeNanoseconds - planStart - hashNanoseconds) / 1e9)
            result.movesChecksum = checksum.hex
            result.passes = passes
            result.moves = moves
            result.bytesMoved = bytes
            result.pagesAfter = pool.blockCount
        }
        result.replayOpsPerSecond = Double(trace.operations.count) / median(replayTimes)
        let planning = RunSpread(planTimes)
        result.planningSecondsMedian = planning.median
        result.planningSecondsMin = planning.min
        result.planningSecondsMax = planning.max
        result.planningSecondsPerPassMedian = passTimes.isEmpty ? 0 : median(passTimes)
        result.planningSecondsPerPassMax = passTimes.max() ?? 0
        result.peakRSSBytes = peakResidentBytes()
        return result
    }
}

/// FNV-1a over 64-bit words: the benchmark's move checksum.
struct MoveChecksum {
    var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ values: Int...) {
        for value in values {
            var word = UInt64(bitPattern: Int64(value))
            for _ in 0..<8 {
                state = (state ^ (word & 0xff)) &* 0x0000_0100_0000_01b3
                word >>= 8
            }
        }
    }

    var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension PlanningBenchmark.Result {
    static let columns: [(title: String, width: Int)] = [
        ("trace", 20), ("algorithm", 10), ("budget", 14), ("replay ops/s", 14), ("plan median", 13), ("min", 10), ("max", 10),
        ("passes", 8), ("moves", 9), ("pages", 12), ("meta B/alloc", 13), ("pool B/alloc", 13),
    ]

    /// The table's heading line (`bench` without `--json`).
    public static var tableHeading: String { columns.map { TextColumns.pad($0.title, $0.width) }.joined() + "peak RSS" }

    /// The case as a row under ``tableHeading``.
    public var tableRow: String {
        let budget = Budget(bytes: maxPassBytes == 0 ? .max : maxPassBytes, allocations: maxPassAllocations == 0 ? .max : maxPassAllocations)
        let cells = [trace, algorithm, budget.label, String(format: "%.2fM", replayOpsPerSecond / 1e6),
                     TextColumns.seconds(planningSecondsMedian), TextColumns.seconds(planningSecondsMin), TextColumns.seconds(planningSecondsMax),
                     "\(passes)", "\(moves)", "\(pagesBefore)→\(pagesAfter) (\(pagesLowerBound))",
                     String(format: "%.1f", metadataBytesPerAllocation), String(format: "%.1f", poolBytesPerAllocation)]
        return zip(cells, Self.columns).map { TextColumns.pad($0, $1.width) }.joined() + ByteFormat.short(peakRSSBytes)
    }
}

/// A benchmark that cannot run as asked.
public struct BenchmarkError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The process's peak resident set (VmHWM of /proc/self/status), in bytes; 0 where that is not available.
public func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let digits = line.split(separator: " ").compactMap { Int($0) }
        if let kb = digits.first { return kb * 1024 }
    }
    return 0
}

extension PlanningBenchmark {
    /// `bench`: every trace × algorithm × budget, one row (or JSON line) per case written to `sink` as it is
    /// measured, after a heading for the table.
    public static func runTable(paths: [String], algorithms: [Algorithm], dialect: Dialect, budgets: [Budget], repeat count: Int,
                                json: Bool, to sink: RecordSink) throws {
        let encoder = JSONLineEncoder()
        if !json { try sink.write(record: Result.tableHeading + "\n") }
        for path in paths {
            let trace = try Trace.load(path: path)
            for algorithm in algorithms {
                for budget in budgets {
                    let result = try PlanningBenchmark(trace: trace, configuration: budget.configuration(algorithm: algorithm, dialect: dialect))
                        .run(repeat: count)
                    try sink.write(record: (json ? try encoder.encode(result) : result.tableRow) + "\n")
                }
            }
        }
    }
}
