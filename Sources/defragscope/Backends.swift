// Choosing the page device: host memory, or Vulkan device memory on lavapipe.
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import VulkanPageDevice
import Workloads

/// Opens the Vulkan device `--backend lavapipe` asks for. What the loader or driver prints meanwhile is kept
/// off the terminal and returned; a failure becomes a message saying what failed and how to fix it.
func openVulkanDevice(_ options: BackendOptions) throws -> (device: VulkanPageDevice, driverMessages: String) {
    do {
        return try VulkanPageDevice.openCapturingDriverMessages(deviceNameContains: options.device)
    } catch let error as VulkanError {
        var message = "--backend lavapipe: \(error)"
        if !error.isNoDevice && options.device == nil { message += " (\(VulkanError.noDeviceHint))" }
        throw CLIError(message)
    } catch {
        throw CLIError("--backend lavapipe: \(error)")
    }
}

/// The Vulkan device for `run` and `bench`, whose output is not a UI: driver messages go to stderr.
func makeVulkanDevice(_ options: BackendOptions) throws -> VulkanPageDevice {
    let (device, messages) = try openVulkanDevice(options)
    if !messages.isEmpty { FileHandle.standardError.write(Data(messages.utf8)) }
    return device
}

// MARK: - bench --backend lavapipe

/// A PageDevice that forwards everything to a VulkanPageDevice and, for every non-empty `copy(_:)` (one
/// pass's copies), times the device's copy of the batch against `memcpy` of the same copies between host
/// twins of the same pages, alternating, `runs` times after one warm-up of each; the medians are kept.
///
/// Re-running a pass's copies is harmless: within a pass every source is still allocated and every
/// destination is space that was free, so no copy's destination overlaps any copy's source, and the bytes
/// end up as one copy leaves them (the session verifies them after the pass).
final class TimedCopyDevice: PageDevice {
    struct PassCopies {
        var copies: Int
        var bytes: Int
        var vulkanSeconds: Double
        var memcpySeconds: Double
        var vulkanBytesPerSecond: Double { Double(bytes) / vulkanSeconds }
        var memcpyBytesPerSecond: Double { Double(bytes) / memcpySeconds }
        var ratio: Double { vulkanBytesPerSecond / memcpyBytesPerSecond }
    }

    let vulkan: VulkanPageDevice
    let runs: Int
    private(set) var passes: [PassCopies] = []
    /// Host twins of the device's pages (filled from the device before each timed batch).
    private var hostPages: [Int: UnsafeMutableRawBufferPointer] = [:]
    private var pageSizes: [Int: Int] = [:]

    init(_ vulkan: VulkanPageDevice, runs: Int) {
        self.vulkan = vulkan
        self.runs = runs
    }

    deinit { for page in hostPages.values { page.deallocate() } }

    var name: String { vulkan.name }
    var storesBytes: Bool { vulkan.storesBytes }

    func createPage(_ page: Int, size: Int) throws {
        try vulkan.createPage(page, size: size)
        pageSizes[page] = size
    }

    func destroyPage(_ page: Int) {
        vulkan.destroyPage(page)
        pageSizes[page] = nil
        hostPages.removeValue(forKey: page)?.deallocate()
    }

    func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {
        try vulkan.bindAllocation(allocation, page: page, offset: offset, size: size)
    }

    func unbindAllocation(_ allocation: Int) { vulkan.unbindAllocation(allocation) }

    func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws {
        try vulkan.write(page: page, offset: offset, bytes: bytes)
    }

    func read(page: Int, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        try vulkan.read(page: page, offset: offset, into: buffer)
    }

    func checksum(page: Int, offset: Int, size: Int) throws -> UInt64 {
        try vulkan.checksum(page: page, offset: offset, size: size)
    }

    private func hostPage(_ page: Int) throws -> UnsafeMutableRawBufferPointer {
        if let twin = hostPages[page] { return twin }
        guard let size = pageSizes[page] else { throw PageDeviceError("bench: page \(page) does not exist") }
        let twin = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        hostPages[page] = twin
        return twin
    }

    func copy(_ copies: [PageCopy]) throws {
        let batch = copies.filter { $0.size > 0 }
        guard !batch.isEmpty else { return try vulkan.copy(copies) }
        // The host twins hold what the device pages hold (this also touches them before timing).
        for page in Set(batch.flatMap { [$0.sourcePage, $0.destinationPage] }) {
            try vulkan.read(page: page, offset: 0, into: try hostPage(page))
        }
        let hosts = try batch.map { (source: try hostPage($0.sourcePage).baseAddress! + $0.sourceOffset,
                                     destination: try hostPage($0.destinationPage).baseAddress! + $0.destinationOffset,
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

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// `bench --backend lavapipe`: copy throughput of the Vulkan device against memcpy, for synthetic batches
/// and for the real passes of traces, with times in µs and the fixed cost of one pass (a single 256-byte
/// copy), which bounds what a small pass can reach.
struct VulkanCopyBench {
    var options: BackendOptions
    var traces: [String]
    var algorithms: [Algorithm]
    var dialect: Dialect
    var budgets: [Budget]
    var runs: Int
    var json: Bool

    func run() throws {
        let (device, messages) = try openVulkanDevice(options)
        if !messages.isEmpty { FileHandle.standardError.write(Data(messages.utf8)) }
        func gbps(_ x: Double) -> String { String(format: "%.2f GB/s", x / 1e9) }
        func micros(_ x: Double) -> String { String(format: "%.1f", x * 1e6) }
        func emit(_ object: [String: Any], _ row: String) { print(json ? jsonLine(object) : row) }
        if !json {
            print("copy throughput on \(device.name): each batch (a pass's copies) timed as one device copy — recording, one "
                  + "vkQueueSubmit, the fence wait — against memcpy of the same byte ranges between host twins of the same pages, "
                  + "alternating, median of \(runs) runs each")
            print(pad("trace", 20) + pad("algorithm", 10) + pad("budget", 11) + pad("pass", 7) + pad("copies", 8) + pad("bytes", 12)
                  + pad("vulkan", 13) + pad("memcpy", 13) + pad("vulkan µs", 11) + pad("memcpy µs", 11) + "ratio")
        }
        let base: [String: Any] = ["backend": "lavapipe", "device": device.name, "runs": runs]

        // Synthetic batches: one page to another, equal copies. The first, a single 256-byte copy, is the fixed
        // cost of a pass (submit, the driver's queue thread, the fence).
        var floor: VulkanCopyThroughput?
        for (copies, size) in [(1, 256), (16, 4 << 20), (256, 64 << 10), (1024, 4 << 10)] {
            let t = try device.copyThroughput(copies: copies, bytesPerCopy: size, runs: runs)
            if floor == nil { floor = t }
            emit(base.merging(["trace": "synthetic", "pass": 0, "copies": copies, "bytes": copies * size,
                               "vulkanBytesPerSecond": t.vulkanBytesPerSecond, "memcpyBytesPerSecond": t.memcpyBytesPerSecond,
                               "vulkanSeconds": t.vulkanSeconds, "memcpySeconds": t.memcpySeconds, "ratio": t.ratio]) { $1 },
                 pad("synthetic", 20) + pad("-", 10) + pad("-", 11) + pad("-", 7) + pad("\(copies)", 8) + pad(ByteFormat.short(copies * size), 12)
                 + pad(gbps(t.vulkanBytesPerSecond), 13) + pad(gbps(t.memcpyBytesPerSecond), 13)
                 + pad(micros(t.vulkanSeconds), 11) + pad(micros(t.memcpySeconds), 11) + String(format: "%.2f", t.ratio))
        }
        if !json, let floor {
            // ratio = memcpy / (fixed + copying); even with copying as fast as memcpy, 0.7 needs memcpy ≥ 7/3 × fixed.
            print(String(format: "fixed cost of a pass (one 256-byte copy): %.1f µs; a pass whose memcpy takes less than %.0f µs cannot reach 0.7× even if the copying itself runs at memcpy's speed",
                         floor.vulkanSeconds * 1e6, floor.vulkanSeconds * 1e6 * 7 / 3))
        }

        // The real passes of each trace: the pool lives on the device; each pass's copies are timed.
        for path in traces {
            let trace = try Trace.load(path: path)
            for algorithm in algorithms {
                for budget in budgets {
                    let timed = TimedCopyDevice(device, runs: runs)
                    let configuration = EngineConfiguration(algorithm: algorithm, dialect: dialect,
                                                            maxPassBytes: budget.bytes, maxPassAllocations: budget.allocations)
                    do {
                        let session = try DefragSession(title: trace.displayName, configuration: configuration, verification: .moved) {
                            try Workload.trace(trace).makePools(device: timed)
                        }
                        try session.runToCompletion()
                    }
                    let caseKeys: [String: Any] = ["trace": trace.displayName, "algorithm": algorithm.rawValue, "dialect": dialect.rawValue,
                                                   "maxPassBytes": budget.bytes == .max ? 0 : budget.bytes,
                                                   "maxPassAllocations": budget.allocations == .max ? 0 : budget.allocations]
                    for (index, p) in timed.passes.enumerated() {
                        emit(base.merging(caseKeys) { $1 }.merging(["pass": index + 1, "copies": p.copies, "bytes": p.bytes,
                                                                    "vulkanBytesPerSecond": p.vulkanBytesPerSecond,
                                                                    "memcpyBytesPerSecond": p.memcpyBytesPerSecond,
                                                                    "vulkanSeconds": p.vulkanSeconds, "memcpySeconds": p.memcpySeconds,
                                                                    "ratio": p.ratio]) { $1 },
                             pad(trace.displayName, 20) + pad("\(algorithm)", 10) + pad(budget.label, 11) + pad("\(index + 1)", 7)
                             + pad("\(p.copies)", 8) + pad(ByteFormat.short(p.bytes), 12)
                             + pad(gbps(p.vulkanBytesPerSecond), 13) + pad(gbps(p.memcpyBytesPerSecond), 13)
                             + pad(micros(p.vulkanSeconds), 11) + pad(micros(p.memcpySeconds), 11) + String(format: "%.2f", p.ratio))
                    }
                    // Per case: the median of the passes' ratios, and all bytes over all time.
                    if timed.passes.isEmpty { continue }
                    let bytes = timed.passes.reduce(0) { $0 + $1.bytes }
                    let vulkanTime = timed.passes.reduce(0) { $0 + $1.vulkanSeconds }, memcpyTime = timed.passes.reduce(0) { $0 + $1.memcpySeconds }
                    let medianRatio = median(timed.passes.map(\.ratio))
                    emit(base.merging(caseKeys) { $1 }.merging(["pass": "all", "passes": timed.passes.count, "bytes": bytes,
                                                                "vulkanBytesPerSecond": Double(bytes) / vulkanTime,
                                                                "memcpyBytesPerSecond": Double(bytes) / memcpyTime,
                                                                "ratio": (Double(bytes) / vulkanTime) / (Double(bytes) / memcpyTime),
                                                                "medianPassRatio": medianRatio]) { $1 },
                         pad(trace.displayName, 20) + pad("\(algorithm)", 10) + pad(budget.label, 11) + pad("all", 7)
                         + pad("\(timed.passes.count)p", 8) + pad(ByteFormat.short(bytes), 12)
                         + pad(gbps(Double(bytes) / vulkanTime), 13) + pad(gbps(Double(bytes) / memcpyTime), 13)
                         + pad(micros(vulkanTime), 11) + pad(micros(memcpyTime), 11)
                         + String(format: "%.2f (median of passes %.2f)", memcpyTime / vulkanTime, medianRatio))
                }
            }
        }
    }
}
