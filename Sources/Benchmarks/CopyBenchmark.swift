// `bench --backend lavapipe`: copy throughput of the Vulkan device against memcpy, for synthetic batches
// and for the real passes of traces.
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import Reports
import VulkanPageDevice
import Workloads

/// A PageDevice that forwards everything to a VulkanPageDevice and, for every non-empty `copy(_:)` (one
/// pass's copies), times the device's copy of the batch against `memcpy` of the same copies between host
/// twins of the same pages, alternating, `runs` times after one warm-up of each; the medians are kept.
///
/// Re-running a pass's copies is harmless: within a pass every source is still allocated and every
/// destination is space that was free, so no copy's destination overlaps any copy's source, and the bytes
/// end up as one copy leaves them (the session verifies them after the pass).
public final class TimedCopyDevice: PageDevice {
    public struct PassCopies: Hashable, Sendable {
        public var copies: Int
        public var bytes: Int
        public var vulkanSeconds: Double
        public var memcpySeconds: Double
        public var vulkanBytesPerSecond: Double { Double(bytes) / vulkanSeconds }
        public var memcpyBytesPerSecond: Double { Double(bytes) / memcpySeconds }
        public var ratio: Double { vulkanBytesPerSecond / memcpyBytesPerSecond }
    }

    public let vulkan: VulkanPageDevice
    public let runs: Int
    /// One entry per timed batch, in order.
    public private(set) var passes: [PassCopies] = []
    /// Host twins of the device's pages (filled from the device before each timed batch).
    private var hostPages: [Int: UnsafeMutableRawBufferPointer] = [:]
    private var pageSizes: [Int: Int] = [:]

    /// - Parameter runs: timed runs per batch (at least 1).
    public init(_ vulkan: VulkanPageDevice, runs: Int) {
        self.vulkan = vulkan
        self.runs = max(1, runs)
    }

    deinit { for page in hostPages.values { page.deallocate() } }

    public var name: String { vulkan.name }
    public var storesBytes: Bool { vulkan.storesBytes }

    public func createPage(_ page: Int, size: Int) throws {
        try vulkan.createPage(page, size: size)
        pageSizes[page] = size
    }

    public func destroyPage(_ page: Int) {
        vulkan.destroyPage(page)
        pageSizes[page] = nil
        hostPages.removeValue(forKey: page)?.deallocate()
    }

    public func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {
        try vulkan.bindAllocation(allocation, page: page, offset: offset, size: size)
    }

    public func unbindAllocation(_ allocation: Int) { vulkan.unbindAllocation(allocation) }

    public func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws {
        try vulkan.write(page: page, offset: offset, bytes: bytes)
    }

    public func read(page: Int, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        try vulkan.read(page: page, offset: offset, into: buffer)
    }

    public func checksum(page: Int, offset: Int, size: Int) throws -> UInt64 {
        try vulkan.checksum(page: page, offset: offset, size: size)
    }

    /// The host twin of `page`, made on first use; its base address.
    private func hostPage(_ page: Int) throws -> UnsafeMutableRawBufferPointer {
        if let twin = hostPages[page] { return twin }
        guard let size = pageSizes[page], size > 0 else { throw PageDeviceError("bench: page \(page) does not exist") }
        let twin = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        hostPages[page] = twin
        return twin
    }

    private func hostAddress(_ page: Int, _ offset: Int, _ size: Int) throws -> UnsafeMutableRawPointer {
        let twin = try hostPage(page)
        guard let base = twin.baseAddress, offset >= 0, offset + size <= twin.count else {
            throw PageDeviceError("bench: copy of \(size) bytes at offset \(offset) lies outside page \(page)")
        }
        return base + offset
    }

    public func copy(_ copies: [PageCopy]) throws {
        let batch = copies.filter { $0.size > 0 }
        guard !batch.isEmpty else { return try vulkan.copy(copies) }
        // The host twins hold what the device pages hold (this also touches them before timing).
        for page in Set(batch.flatMap { [$0.sourcePage, $0.destinationPage] }) {
            try vulkan.read(page: page, offset: 0, into: try hostPage(page))
        }
        let hosts = try batch.map { (source: try hostAddress($0.sourcePage, $0.sourceOffset, $0.size),
                                     destination: try hostAddress($0.destinationPage, $0.destinationOffset, $0.size),
                                     size: $0.size) }
        func hostCopies() { for c in hosts { memcpy(c.destination, c.source, c.size) } }

        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        try vulkan.copy(batch)
        hostCopies()
        var vulkanTimes: [Double] = [], memcpyTimes: [Double] = []
        for _ in 0..<runs {
            var failure: Error?
            vulkanTimes.append(seconds(clock.measure { do { try vulkan.copy(batch) } catch { failure = error } }))
            if let failure { throw failure }
            memcpyTimes.append(seconds(clock.measure { hostCopies() }))
        }
        passes.append(PassCopies(copies: batch.count, bytes: batch.reduce(0) { $0 + $1.size },
                                 vulkanSeconds: median(vulkanTimes), memcpySeconds: median(memcpyTimes)))
    }
}

/// One synthetic batch's copy throughput through a Vulkan device against `memcpy` of the same bytes, each
/// time the median of several runs (``CopyBenchmark/synthetic(on:copies:bytesPerCopy:runs:)``).
public struct VulkanCopyThroughput: Sendable, CustomStringConvertible {
    public var deviceName: String
    /// Copies per batch (one `copy(_:)` call, one submit).
    public var copies: Int
    public var bytesPerCopy: Int
    public var runs: Int
    /// Median over the runs of the time of one `copy(_:)` call: recording, one submit, the fence wait.
    public var vulkanSeconds: Double
    /// Median over the runs of the time of `copies` calls of `memcpy` of the same bytes between host buffers.
    public var memcpySeconds: Double
    /// Batch bytes / ``vulkanSeconds``.
    public var vulkanBytesPerSecond: Double { Double(copies * bytesPerCopy) / vulkanSeconds }
    /// Batch bytes / ``memcpySeconds``.
    public var memcpyBytesPerSecond: Double { Double(copies * bytesPerCopy) / memcpySeconds }
    /// Vulkan against memcpy: 1 is as fast.
    public var ratio: Double { vulkanBytesPerSecond / memcpyBytesPerSecond }

    public var description: String {
        func rounded(_ x: Double) -> String { "\((x * 100).rounded() / 100)" }
        return "\(deviceName): \(copies) copies × \(bytesPerCopy) bytes, median of \(runs) runs: "
            + "vulkan \(rounded(vulkanBytesPerSecond / 1e9)) GB/s (\(rounded(vulkanSeconds * 1e6)) µs), "
            + "memcpy \(rounded(memcpyBytesPerSecond / 1e9)) GB/s (\(rounded(memcpySeconds * 1e6)) µs), "
            + "ratio \(rounded(ratio))"
    }
}

/// Copy throughput of a Vulkan device against memcpy: synthetic batches (the first, one 256-byte copy, is
/// the fixed cost of a pass), then every pass of each trace, algorithm and budget, and per case the total.
public struct CopyBenchmark {
    public var device: VulkanPageDevice
    public var traces: [String]
    public var algorithms: [Algorithm]
    public var dialect: Dialect
    public var budgets: [Budget]
    public var runs: Int

    public init(device: VulkanPageDevice, traces: [String], algorithms: [Algorithm], dialect: Dialect, budgets: [Budget], runs: Int) {
        self.device = device
        self.traces = traces
        self.algorithms = algorithms
        self.dialect = dialect
        self.budgets = budgets
        self.runs = runs
    }

    /// One row: a synthetic batch (`trace` "synthetic", pass 0), a trace's pass, or a case's total (pass "all").
    public struct Record: Encodable, Hashable, Sendable {
        public enum Pass: Encodable, Hashable, Sendable {
            case number(Int)
            case all
            public func encode(to encoder: Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .number(let n): try container.encode(n)
                case .all: try container.encode("all")
                }
            }
        }

        public var backend = "lavapipe"
        public var device: String
        public var runs: Int
        public var trace: String
        public var algorithm: String?
        public var dialect: String?
        public var maxPassBytes: Int?
        public var maxPassAllocations: Int?
        public var pass: Pass
        public var passes: Int?
        public var copies: Int?
        public var bytes: Int
        public var vulkanBytesPerSecond: Double
        public var memcpyBytesPerSecond: Double
        public var vulkanSeconds: Double
        public var memcpySeconds: Double
        public var ratio: Double
        public var medianPassRatio: Double?
    }

    static let columns: [(title: String, width: Int)] = [
        ("trace", 20), ("algorithm", 10), ("budget", 11), ("pass", 7), ("copies", 8), ("bytes", 12), ("vulkan", 13), ("memcpy", 13),
        ("vulkan µs", 11), ("memcpy µs", 11),
    ]

    /// The row as the table shows it.
    public static func tableRow(_ r: Record, budget: String) -> String {
        func gbps(_ x: Double) -> String { String(format: "%.2f GB/s", x / 1e9) }
        func micros(_ x: Double) -> String { String(format: "%.1f", x * 1e6) }
        let pass: String, copies: String
        switch r.pass {
        case .number(let n): pass = r.trace == "synthetic" ? "-" : "\(n)"; copies = "\(r.copies ?? 0)"
        case .all: pass = "all"; copies = "\(r.passes ?? 0)p"
        }
        let ratio = r.medianPassRatio.map { String(format: "%.2f (median of passes %.2f)", r.ratio, $0) } ?? String(format: "%.2f", r.ratio)
        let cells = [r.trace, r.algorithm ?? "-", budget, pass, copies, ByteFormat.short(r.bytes), gbps(r.vulkanBytesPerSecond),
                     gbps(r.memcpyBytesPerSecond), micros(r.vulkanSeconds), micros(r.memcpySeconds)]
        return zip(cells, columns).map { TextColumns.pad($0, $1.width) }.joined() + ratio
    }

    /// Measures one batch of `copies` copies of `bytesPerCopy` bytes each, from one page of `device` to
    /// another, timed as a pass's copies are (``TimedCopyDevice``: against `memcpy` between host twins of the
    /// pages, alternating, after one warm-up of each; the medians). Every destination is verified afterwards.
    ///
    /// Uses two scratch pages with ids near `Int.min`, destroyed before it returns.
    /// - Throws: `PageDeviceError` for counts that are not positive or a copied byte that is wrong; the
    ///   device's errors.
    public static func synthetic(on device: VulkanPageDevice, copies: Int, bytesPerCopy: Int, runs: Int) throws -> VulkanCopyThroughput {
        guard copies > 0, bytesPerCopy > 0, runs > 0 else {
            throw PageDeviceError("bench: a synthetic batch needs positive counts, not \(copies) copies of \(bytesPerCopy) bytes, \(runs) runs")
        }
        let timed = TimedCopyDevice(device, runs: runs)
        let stride = (bytesPerCopy + 255) & ~255  // every buffer starts aligned
        let sourcePage = Int.min, destinationPage = Int.min + 1
        try timed.createPage(sourcePage, size: stride * copies)
        defer { timed.destroyPage(sourcePage) }
        try timed.createPage(destinationPage, size: stride * copies)
        defer { timed.destroyPage(destinationPage) }

        let pattern = UnsafeMutableRawBufferPointer.allocate(byteCount: bytesPerCopy, alignment: 16)
        defer { pattern.deallocate() }
        var batch: [PageCopy] = []
        for i in 0..<copies {
            let offset = i * stride
            let sourceID = Int.min + 2 * i, destinationID = Int.min + 2 * i + 1
            try timed.bindAllocation(sourceID, page: sourcePage, offset: offset, size: bytesPerCopy)
            try timed.bindAllocation(destinationID, page: destinationPage, offset: offset, size: bytesPerCopy)
            AllocationPattern.fill(pattern, id: sourceID)
            try timed.write(page: sourcePage, offset: offset, bytes: UnsafeRawBufferPointer(pattern))
            batch.append(PageCopy(sourceAllocation: sourceID, destinationAllocation: destinationID,
                                  sourcePage: sourcePage, sourceOffset: offset,
                                  destinationPage: destinationPage, destinationOffset: offset, size: bytesPerCopy))
        }
        try timed.copy(batch)
        guard let times = timed.passes.last else { throw PageDeviceError("bench: the synthetic batch was not timed") }
        for c in batch where try timed.checksum(page: c.destinationPage, offset: c.destinationOffset, size: c.size)
            != AllocationPattern.checksum(id: c.sourceAllocation, size: c.size) {
            throw PageDeviceError("bench: the synthetic copy of allocation \(c.sourceAllocation) arrived wrong")
        }
        return VulkanCopyThroughput(deviceName: device.name, copies: copies, bytesPerCopy: bytesPerCopy, runs: timed.runs,
                                    vulkanSeconds: times.vulkanSeconds, memcpySeconds: times.memcpySeconds)
    }

    /// Runs everything, writing the table (or one JSON line per row) to `sink` as rows are measured.
    public func run(json: Bool, to sink: RecordSink) throws {
        let encoder = JSONLineEncoder()
        func emit(_ record: Record, budget: String) throws {
            try sink.write(record: (json ? try encoder.encode(record) : Self.tableRow(record, budget: budget)) + "\n")
        }
        if !json {
            try sink.write(record: "copy throughput on \(device.name): each batch (a pass's copies) timed as one device copy — recording, one "
                           + "vkQueueSubmit, the fence wait — against memcpy of the same byte ranges between host twins of the same pages, "
                           + "alternating, median of \(runs) runs each\n"
                           + Self.columns.map { TextColumns.pad($0.title, $0.width) }.joined() + "ratio\n")
        }

        var floor: VulkanCopyThroughput?
        for (copies, size) in [(1, 256), (16, 4 << 20), (256, 64 << 10), (1024, 4 << 10)] {
            let t = try Self.synthetic(on: device, copies: copies, bytesPerCopy: size, runs: runs)
            if floor == nil { floor = t }
            try emit(Record(device: device.name, runs: runs, trace: "synthetic", pass: .number(0), copies: copies, bytes: copies * size,
                            vulkanBytesPerSecond: t.vulkanBytesPerSecond, memcpyBytesPerSecond: t.memcpyBytesPerSecond,
                            vulkanSeconds: t.vulkanSeconds, memcpySeconds: t.memcpySeconds, ratio: t.ratio), budget: "-")
        }
        if !json, let floor {
            // ratio = memcpy / (fixed + copying); even with copying as fast as memcpy, 0.7 needs memcpy ≥ 7/3 × fixed.
            try sink.write(record: String(format: "fixed cost of a pass (one 256-byte copy): %.1f µs; a pass whose memcpy takes less than %.0f µs cannot reach 0.7× even if the copying itself runs at memcpy's speed\n",
                                          floor.vulkanSeconds * 1e6, floor.vulkanSeconds * 1e6 * 7 / 3))
        }

        for path in traces {
            let trace = try Trace.load(path: path)
            for algorithm in algorithms {
                for budget in budgets {
                    let timed = TimedCopyDevice(device, runs: runs)
                    do {
                        let session = try DefragSession(title: trace.displayName, configuration: budget.configuration(algorithm: algorithm, dialect: dialect),
                                                        verification: .moved) {
                            try Workload.trace(trace).makePools(device: timed)
                        }
                        try session.runToCompletion()
                    }
                    func record(pass: Record.Pass) -> Record {
                        Record(device: device.name, runs: runs, trace: trace.displayName, algorithm: algorithm.rawValue, dialect: dialect.rawValue,
                               maxPassBytes: budget.recordBytes, maxPassAllocations: budget.recordAllocations, pass: pass,
                               bytes: 0, vulkanBytesPerSecond: 0, memcpyBytesPerSecond: 0, vulkanSeconds: 0, memcpySeconds: 0, ratio: 0)
                    }
                    for (index, p) in timed.passes.enumerated() {
                        var r = record(pass: .number(index + 1))
                        r.copies = p.copies
                        r.bytes = p.bytes
                        r.vulkanBytesPerSecond = p.vulkanBytesPerSecond
                        r.memcpyBytesPerSecond = p.memcpyBytesPerSecond
                        r.vulkanSeconds = p.vulkanSeconds
                        r.memcpySeconds = p.memcpySeconds
                        r.ratio = p.ratio
                        try emit(r, budget: budget.label)
                    }
                    // Per case: all bytes over all time, and the median of the passes' ratios.
                    if timed.passes.isEmpty { continue }
                    var total = record(pass: .all)
                    total.passes = timed.passes.count
                    total.bytes = timed.passes.reduce(0) { $0 + $1.bytes }
                    total.vulkanSeconds = timed.passes.reduce(0) { $0 + $1.vulkanSeconds }
                    total.memcpySeconds = timed.passes.reduce(0) { $0 + $1.memcpySeconds }
                    total.vulkanBytesPerSecond = Double(total.bytes) / total.vulkanSeconds
                    total.memcpyBytesPerSecond = Double(total.bytes) / total.memcpySeconds
                    total.ratio = total.memcpySeconds / total.vulkanSeconds
                    total.medianPassRatio = median(timed.passes.map(\.ratio))
                    try emit(total, budget: budget.label)
                }
            }
        }
    }
}
