// Restarting a run on the device the run already uses, as the UI's R, a and d keys do: the session must
// release the old pools' pages before building the new ones (issue 14 item 1: "page 0 exists already"),
// on a trace, a scenario and a VMA dump (several pools sharing one device through deviceIDBase), on host
// memory and on Vulkan when there is a driver. A rebuild that fails leaves an empty, finished session that
// says why, and a later reset recovers.
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import Testing
import TestSupport
import VulkanPageDevice
import Workloads

/// The inputs a user restarts: a trace file, a built-in scenario, a VMA dump.
enum ResetInput: String, CaseIterable, CustomStringConvertible, Sendable {
    /// `dump`: a pool that needs moves; `sampleDump`: VMA's sample, several pools (default, custom,
    /// dedicated) sharing the device through deviceIDBase, already tight (a run finds no move).
    case trace, scenario, dump, sampleDump
    var description: String { rawValue }

    func workload() throws -> Workload {
        switch self {
        case .trace: return .trace(try Trace.load(path: TestPaths.trace("checkerboard")))
        case .scenario: return .trace(Scenario.fastVsFull.trace(seed: 3))
        case .dump: return .dump(try VMADump.load(path: TestPaths.shared.appendingPathComponent("vma-dumps/checkerboard-s1.pool.json").path))
        case .sampleDump: return .dump(try VMADump.load(path: TestPaths.shared.appendingPathComponent("vma-dumps/vma-sample.json").path))
        }
    }
}

/// A session whose pools are built, every time, on the one `device` given (as the command line does).
private func session<D: PageDevice>(_ workload: Workload, on device: D, _ configuration: EngineConfiguration) throws -> DefragSession<D> {
    try DefragSession(title: workload.title, configuration: configuration, verification: .all) {
        try workload.makePools(device: device)
    }
}

/// (id, page, offset) of every allocation, and the pools' page count.
private func layout<D>(_ s: DefragSession<D>) -> [[Int]] { s.layout().map { [$0.id, $0.page, $0.offset] } }
private func pageCount<D>(_ s: DefragSession<D>) -> Int { s.pools.reduce(0) { $0 + $1.pageIDs.count } }

/// Runs every way of restarting on one session over one shared device; `devicePages` counts the device's
/// pages now (nil: the device cannot tell).
private func exerciseResets<D: PageDevice>(_ input: ResetInput, device: D, devicePages: () -> Int?) throws {
    let workload = try input.workload()
    let s = try session(workload, on: device, EngineConfiguration(algorithm: .full, dialect: .vma))
    s.validatesAfterEachPass = true
    let start = layout(s), startPages = pageCount(s)
    #expect(devicePages().map { $0 == startPages } ?? true)

    func expectFreshRun(_ what: Comment) throws {
        #expect(s.history.isEmpty && !s.isFinished && s.notice == nil, what)
        #expect(layout(s) == start, what)
        #expect(pageCount(s) == startPages, what)
        #expect(devicePages().map { $0 == startPages } ?? true, "the device holds exactly the new pools' pages: \(what)")
        for pool in s.pools { try pool.validate(); try pool.verifyAll() }
    }

    // R before any pass.
    try s.reset()
    try expectFreshRun("reset before any pass")

    // R after some passes.
    try s.step()
    try s.step()
    #expect(s.history.count >= 1 || input == .sampleDump)
    try s.reset()
    try expectFreshRun("reset after passes")

    // a and d: another algorithm and dialect, after a pass.
    try s.step()
    try s.reset(configuration: EngineConfiguration(algorithm: .fast, dialect: .memutils))
    try expectFreshRun("another algorithm and dialect")
    #expect(s.configuration.algorithm == .fast && s.configuration.dialect == .memutils)

    // Budgets changed mid-run survive a reset; the run to the end then keeps them.
    try s.setBudget(maxPassBytes: 64 << 10, maxPassAllocations: 3)
    try s.step()
    try s.reset()
    try expectFreshRun("reset after the budget changed")
    #expect(s.configuration.maxPassBytes == 64 << 10 && s.configuration.maxPassAllocations == 3)
    let reports = try s.runToCompletion(maxPasses: 10_000)
    #expect(s.isFinished)
    #expect(reports.allSatisfy { $0.moves.count <= 3 && $0.stats.bytesMoved <= 64 << 10 && $0.errors.isEmpty })

    // R after the run finished (the UI's own hint), then the whole run again, extensive and balanced.
    for algorithm in [Algorithm.extensive, .balanced] {
        try s.reset(configuration: EngineConfiguration(algorithm: algorithm, dialect: .vma))
        try expectFreshRun("reset after the run finished (\(algorithm))")
        try s.runToCompletion(maxPasses: 10_000)
        #expect(s.isFinished)
        for pool in s.pools { try pool.validate(); try pool.verifyAll() }
    }
}

@Suite("Reset on one device", .serialized)
struct ResetTests {
    @Test("host memory: reset, new algorithm and dialect, budgets, after passes and after the end", arguments: ResetInput.allCases)
    func host(_ input: ResetInput) throws {
        let device = HostPageDevice()
        try exerciseResets(input, device: device) { device.pageCount }
    }

    @Test("Vulkan: the same restarts on one VkDevice", .requires(.vulkan { vulkanAvailable }),
          arguments: ResetInput.allCases)
    func vulkan(_ input: ResetInput) throws {
        let device = try VulkanPageDevice.openCapturingDriverMessages().device
        try exerciseResets(input, device: device) { device.pageCount }
    }

    @Test("a rebuild the device refuses leaves an empty, finished session that says why; a later reset recovers",
          arguments: ResetInput.allCases)
    func failedRebuild(_ input: ResetInput) throws {
        let device = HostPageDevice()
        let s = try session(try input.workload(), on: device, EngineConfiguration(algorithm: .full, dialect: .memutils))
        let start = layout(s)
        try s.step()

        device.maxPages = 0
        #expect(throws: (any Error).self) { try s.reset(configuration: EngineConfiguration(algorithm: .fast, dialect: .vma)) }
        #expect(s.pools.isEmpty && s.isFinished && s.history.isEmpty)
        #expect(device.pageCount == 0, "the old pools' pages are gone, and the half-built ones too")
        let notice = try #require(s.notice)
        #expect(notice.contains("building the pools failed") && notice.contains("cannot create page"))
        #expect(try s.step() == nil)
        let snapshot = s.snapshot()
        #expect(snapshot.pages.isEmpty && snapshot.isFinished && snapshot.notice == notice)
        #expect(s.metrics == Metrics())
        #expect(s.configuration.algorithm == .fast, "the configuration asked for is kept for the next try")

        device.maxPages = nil
        try s.reset()
        #expect(layout(s) == start && !s.isFinished && s.notice == nil)
        #expect(device.pageCount == pageCount(s))
        try s.runToCompletion(maxPasses: 10_000)
        for pool in s.pools { try pool.validate(); try pool.verifyAll() }
    }

    @Test("a pool of the old run held outside the session is an error, not a trap")
    func poolHeldOutside() throws {
        let device = HostPageDevice()
        let s = try session(try ResetInput.trace.workload(), on: device, EngineConfiguration())
        var held: MemoryPool<HostPageDevice>? = s.pools[0]
        #expect(throws: SessionError.poolsStillInUse(["checkerboard.trace"])) { try s.reset() }
        #expect(s.pools.isEmpty && s.isFinished && s.notice != nil)
        #expect(try s.step() == nil)
        held = nil
        _ = held
        try s.reset()
        #expect(!s.pools.isEmpty && s.notice == nil && device.pageCount == pageCount(s))
    }
}

@Suite("Budgets")
struct BudgetTests {
    @Test("a budget below 1 is refused with a message, at start, between passes and on reset; nothing changes")
    func invalidBudgets() throws {
        let workload = try ResetInput.trace.workload()
        let device = HostPageDevice()
        #expect(throws: SessionError.invalidBudget(maxPassBytes: 0, maxPassAllocations: 4)) {
            _ = try DefragSession(title: "t", configuration: EngineConfiguration(maxPassBytes: 0, maxPassAllocations: 4)) {
                try workload.makePools(device: device)
            }
        }
        let s = try session(workload, on: device, EngineConfiguration(algorithm: .full, dialect: .vma, maxPassBytes: 1 << 20, maxPassAllocations: 8))
        try s.step()
        #expect(throws: SessionError.invalidBudget(maxPassBytes: 1 << 20, maxPassAllocations: 0)) {
            try s.setBudget(maxPassBytes: 1 << 20, maxPassAllocations: 0)
        }
        #expect(throws: SessionError.self) { try s.setBudget(maxPassBytes: -1, maxPassAllocations: 8) }
        #expect(throws: SessionError.self) {
            try s.reset(configuration: EngineConfiguration(algorithm: .fast, dialect: .vma, maxPassBytes: 1 << 20, maxPassAllocations: -5))
        }
        #expect(s.configuration == EngineConfiguration(algorithm: .full, dialect: .vma, maxPassBytes: 1 << 20, maxPassAllocations: 8))
        #expect(s.history.count == 1, "a refused reset does not restart the run")
        #expect("\(SessionError.invalidBudget(maxPassBytes: 0, maxPassAllocations: 4))".contains("at least 1 byte and 1 allocation"))
        let report = try #require(try s.step())
        #expect(report.moves.count <= 8 && report.number == 2)
    }
}

/// Whether a Vulkan device can be opened here (checked once).
let vulkanAvailable: Bool = (try? VulkanPageDevice.openCapturingDriverMessages()) != nil
