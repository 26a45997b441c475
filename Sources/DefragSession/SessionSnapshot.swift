// The whole visible state of a session at one moment, for the Visualizer and the `run` formats.
import Foundation
import Defragmentation

/// The engine settings a session runs with.
public struct EngineConfiguration: Hashable, Sendable {
    public var algorithm: Algorithm
    public var dialect: Dialect
    /// `Int.max`: unlimited (the command line's 0).
    public var maxPassBytes: Int
    /// `Int.max`: unlimited (the command line's 0).
    public var maxPassAllocations: Int

    public init(algorithm: Algorithm? = nil, dialect: Dialect = .memutils, maxPassBytes: Int = .max, maxPassAllocations: Int = .max) {
        self.algorithm = algorithm ?? dialect.defaultAlgorithm
        self.dialect = dialect
        self.maxPassBytes = maxPassBytes
        self.maxPassAllocations = maxPassAllocations
    }

    /// "unlimited" or "64 MiB / 256".
    public var budgetDescription: String {
        if maxPassBytes == .max && maxPassAllocations == .max { return "unlimited" }
        let bytes = maxPassBytes == .max ? "∞ bytes" : ByteFormat.short(maxPassBytes)
        let allocs = maxPassAllocations == .max ? "∞" : "\(maxPassAllocations)"
        return "\(bytes) / \(allocs)"
    }
}

/// Everything a frame shows.
public struct SessionSnapshot: Sendable {
    /// The input: trace file name, scenario name, or dump file name.
    public var title: String
    /// "host" or the Vulkan device name.
    public var backend: String
    public var configuration: EngineConfiguration
    /// The pass shown: passes completed so far (0 before the first step), or an earlier pass when the
    /// snapshot shows the past (``DefragSession/snapshot(afterPass:)``).
    public var passNumber: Int
    /// Passes the run has completed; more than ``passNumber`` when the snapshot shows the past.
    public var passesRun: Int
    /// The snapshot shows an earlier pass than the newest.
    public var isPast: Bool { passNumber < passesRun }
    /// True once a pass collected no move.
    public var isFinished: Bool
    /// Every page of every pool, pools in order, pages in the pool's current order.
    public var pages: [PageSnapshot]
    /// Pages when the run began.
    public var pagesAtStart: Int
    public var metrics: Metrics
    /// The last pass, if any (its moves are marked on the bars).
    public var lastPass: PassReport?
    /// Pages after each pass, starting with the count at the start.
    public var pagesHistory: [Int]
    /// The whole run so far.
    public var runStats: DefragmentationStats
    /// Messages to show (a device failure, a handler error).
    public var notice: String?

    public init(title: String, backend: String, configuration: EngineConfiguration, passNumber: Int, isFinished: Bool,
                pages: [PageSnapshot], pagesAtStart: Int, metrics: Metrics, lastPass: PassReport?,
                pagesHistory: [Int], runStats: DefragmentationStats, notice: String? = nil) {
        self.title = title
        self.backend = backend
        self.configuration = configuration
        self.passNumber = passNumber
        self.passesRun = passNumber
        self.isFinished = isFinished
        self.pages = pages
        self.pagesAtStart = pagesAtStart
        self.metrics = metrics
        self.lastPass = lastPass
        self.pagesHistory = pagesHistory
        self.runStats = runStats
        self.notice = notice
    }
}

/// Human-readable byte counts.
public enum ByteFormat {
    /// "512 B", "4 KiB", "64 MiB", "1.5 GiB".
    public static func short(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(bytes) B" }
        if value == value.rounded() { return "\(Int(value)) \(units[unit])" }
        return String(format: value < 10 ? "%.2f %@" : "%.1f %@", value, units[unit])
    }
}
