// The loading frame (renderLoading) and the driver of a real session (DefragSessionDriver): every effect a
// key can cause, carried out on pools in host memory.
import DefragSession
import Defragmentation
import Foundation
import MemoryPools
import Testing
@testable import Visualizer
import Workloads

@Suite struct LoadingFrameTests {
    @Test func countBarAndKeys() throws {
        let progress = LoadingProgress(title: "big.trace", unit: "operations", done: 123_456, total: 2_000_000)
        let lines = renderLoading(progress, width: 80, height: 24).lines(trimming: true)
        #expect(lines.count == 24)
        #expect(lines[0] == " defragscope │ big.trace │ loading")
        let row = try #require(lines.firstIndex { $0.contains("replayed 123,456 of 2,000,000 operations (6%)") }, "\(lines)")
        // The bar below the count: 60 cells, 6.17 % of them full (3), the rest shaded.
        let bar = lines[row + 1].trimmingCharacters(in: .whitespaces)
        #expect(bar == String(repeating: "█", count: 3) + String(repeating: "░", count: 57), "\(bar)")
        #expect(lines[23] == " q quit")
    }

    @Test func fullEmptyAndASCII() {
        var progress = LoadingProgress(title: "dump.json", unit: "allocations", done: 0, total: 500)
        var lines = renderLoading(progress, width: 40, height: 10).lines(trimming: true)
        #expect(lines.contains { $0.contains("replayed 0 of 500 allocations (0%)") }, "\(lines)")
        #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces) == String(repeating: "░", count: 36) }, "\(lines)")
        progress.done = 500
        lines = renderLoading(progress, width: 40, height: 10, ascii: true).lines(trimming: true)
        #expect(lines[0] == " defragscope | dump.json | loading")
        #expect(lines.contains { $0.contains("(100%)") })
        #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces) == String(repeating: "#", count: 36) }, "\(lines)")
        #expect(lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) }, "\(lines)")
    }

    @Test func unknownTotalAndOvershoot() {
        let unknown = renderLoading(LoadingProgress(title: "t", unit: "operations"), width: 60, height: 12).lines(trimming: true)
        #expect(unknown.contains { $0.contains("reading t") }, "\(unknown)")
        // More done than the total (a count that grew): the bar stops at full, the percentage at 100.
        let over = renderLoading(LoadingProgress(title: "t", unit: "operations", done: 15, total: 10), width: 60, height: 12)
        #expect(over.lines().contains { $0.contains("(100%)") })
    }

    @Test("every size, down to nothing, gives a canvas of exactly that size",
          arguments: [(0, 0), (1, 1), (2, 2), (3, 3), (4, 1), (1, 4), (7, 3), (10, 5), (200, 60), (-3, 5)])
    func sizes(width: Int, height: Int) {
        let canvas = renderLoading(LoadingProgress(title: "a long name.trace", unit: "operations", done: 3, total: 7),
                                   width: width, height: height)
        #expect(canvas.width == max(0, width) && canvas.height == max(0, height))
        #expect(canvas.cells.count == max(0, width) * max(0, height))
    }

    @Test(arguments: [(0, "0"), (999, "999"), (1000, "1,000"), (65_536, "65,536"), (1_234_567, "1,234,567"), (-4_000, "-4,000")])
    func grouping(value: Int, text: String) {
        #expect(grouped(value) == text)
    }

    @Test func fraction() {
        #expect(LoadingProgress(title: "", unit: "", done: 5, total: 10).fraction == 0.5)
        #expect(LoadingProgress(title: "", unit: "", done: -1, total: 10).fraction == 0)
        #expect(LoadingProgress(title: "", unit: "", done: 0, total: 0).fraction == 1)
    }
}

@Suite struct DefragSessionDriverTests {
    /// A driver over the checkerboard scenario in host memory.
    func makeDriver(notice: String? = nil, algorithm: Algorithm = .full) throws -> DefragSessionDriver<HostPageDevice> {
        let workload = Workload.trace(Scenario.checkerboard.trace())
        let device = HostPageDevice()
        let session = try DefragSession(title: workload.title, configuration: EngineConfiguration(algorithm: algorithm, dialect: .memutils)) {
            try workload.makePools(device: device)
        }
        return DefragSessionDriver(session: session, notice: notice)
    }

    @Test func stepsThenResetStartOver() throws {
        let driver = try makeDriver()
        let start = driver.snapshot
        #expect(start.passNumber == 0)
        try driver.perform(.step)
        try driver.perform(.step)
        #expect(driver.snapshot.passNumber == 2)
        #expect(driver.snapshot.metrics.pages < start.metrics.pages)
        try driver.perform(.reset)
        #expect(driver.snapshot.passNumber == 0)
        #expect(driver.snapshot.pages == start.pages, "the starting state again")
    }

    @Test func algorithmAndDialectRestart() throws {
        let driver = try makeDriver()
        try driver.perform(.step)
        try driver.perform(.setAlgorithm(.fast))
        #expect(driver.snapshot.configuration.algorithm == .fast && driver.snapshot.passNumber == 0)
        try driver.perform(.step)
        try driver.perform(.setDialect(.vma))
        #expect(driver.snapshot.configuration.dialect == .vma && driver.snapshot.configuration.algorithm == .fast)
        #expect(driver.snapshot.passNumber == 0)
        try driver.perform(.step)
        #expect(driver.snapshot.passNumber == 1)
    }

    @Test func budgetGoesOnWithoutRestarting() throws {
        let driver = try makeDriver()
        try driver.perform(.step)
        try driver.perform(.setBudget(maxPassBytes: 1 << 20, maxPassAllocations: 4))
        #expect(driver.snapshot.passNumber == 1)
        #expect(driver.snapshot.configuration.maxPassBytes == 1 << 20 && driver.snapshot.configuration.maxPassAllocations == 4)
        try driver.perform(.step)
        let pass = try #require(driver.snapshot.lastPass)
        #expect(pass.moves.count <= 4)
    }

    @Test func stepsAfterTheEndDoNothing() throws {
        let driver = try makeDriver()
        for _ in 0..<100 where !driver.snapshot.isFinished { try driver.perform(.step) }
        #expect(driver.snapshot.isFinished)
        let passes = driver.snapshot.passNumber
        try driver.perform(.step)
        #expect(driver.snapshot.passNumber == passes)
        try driver.perform(.reset)
        #expect(!driver.snapshot.isFinished && driver.snapshot.passNumber == 0)
    }

    /// A pass whose checks fail (a corrupted byte, found by verifying everything) is shown as "pass N failed"
    /// with N the pass that failed; further steps are refused with the same message until R; R starts over.
    @Test func aFailedPassIsNamedAndRefusesStepsUntilReset() throws {
        let workload = Workload.trace(Scenario.checkerboard.trace())
        let device = HostPageDevice()
        let session = try DefragSession(title: workload.title, configuration: EngineConfiguration(algorithm: .full, dialect: .memutils),
                                        verification: .all) { try workload.makePools(device: device) }
        let driver = DefragSessionDriver(session: session)
        let victim = try #require(session.layout().first)
        var byte: UInt8 = 0
        try withUnsafeMutableBytes(of: &byte) { try device.read(page: victim.page, offset: victim.offset, into: $0) }
        byte ^= 0xff
        try withUnsafeBytes(of: byte) { try device.write(page: victim.page, offset: victim.offset, bytes: $0) }

        var shown: String?
        do { try driver.perform(.step) } catch { shown = "\(error)" }
        let message = try #require(shown, "the corrupted byte was not found")
        #expect(message.hasPrefix("pass 1 failed: ") && message.hasSuffix(" — press R to reset"), "\(message)")
        #expect(message.contains("allocation \(victim.id)"), "\(message)")
        #expect(driver.snapshot.passNumber == 1, "the failed pass is in the history")
        #expect(driver.snapshot.notice?.contains(message) == true, "\(driver.snapshot.notice ?? "no notice")")

        #expect(throws: DriverError.self) { try driver.perform(.step) }
        #expect(driver.snapshot.passNumber == 1, "no step after a failed pass")

        try driver.perform(.reset)
        #expect(driver.failure == nil && driver.snapshot.passNumber == 0)
        #expect(driver.snapshot.notice?.contains("failed") != true, "\(driver.snapshot.notice ?? "")")
        try driver.perform(.step)
        #expect(driver.snapshot.passNumber == 1)
    }

    @Test func standingNoticeIsShownAndChangeable() throws {
        let driver = try makeDriver(notice: "no Vulkan device — showing host memory instead")
        #expect(driver.snapshot.notice == "no Vulkan device — showing host memory instead")
        try driver.perform(.reset)
        #expect(driver.snapshot.notice == "no Vulkan device — showing host memory instead", "a reset keeps it")
        driver.standingNotice = nil
        #expect(driver.snapshot.notice == nil)
    }
}

/// Every command the keys and the mouse can give, in random order, with random terminal sizes (down to
/// nothing) and snapshots changing under the view (a pass, a reset to fewer pages, an empty snapshot after a
/// failed rebuild): update and render must never trap, and every frame has the terminal's size. The tmux
/// fuzz (EndToEndTests) types into the real binary; this one reaches many more states per second.
@Suite struct ViewFuzzTests {
    static let commands: [Command] = [
        .step, .toggleRun, .faster, .slower, .reset, .cycleAlgorithm, .cycleDialect, .cycleBudget(forward: true),
        .cycleBudget(forward: false), .scrollUp, .scrollDown, .pageUp, .pageDown, .home, .end, .openDetail, .closeDetail,
        .toggleHelp, .toggleColourMode, .cycleOrder, .tick, .quit,
    ]

    static var snapshots: [SessionSnapshot] {
        var empty = Fixtures.before
        empty.pages = []
        empty.lastPass = nil
        empty.isFinished = true
        empty.notice = "building the pools failed: cancelled"
        return [Fixtures.before, Fixtures.afterPass, Fixtures.many(300), PoolFixtures.twoPools, PoolFixtures.twoPoolsAfterPass,
                PoolFixtures.manyInTwoPools(40), empty]
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func updateAndRenderNeverTrap(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let snapshots = Self.snapshots
        func pick(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
        var snapshot = snapshots[0]
        var state = ViewState(width: 80, height: 24, opening: snapshot)
        for _ in 0..<3_000 {
            let command: Command
            switch pick(10) {
            case 0:
                let tiny = pick(3) == 0
                command = .resize(width: tiny ? pick(12) - 1 : 20 + pick(180), height: tiny ? pick(8) - 1 : 4 + pick(60))
            case 1: command = .selectRow(x: pick(200) - 2, y: pick(70) - 2)   // the strip's cells too
            default: command = Self.commands[pick(Self.commands.count)]
            }
            // The session may change under the view at any time (an effect carried out, a reset).
            if pick(8) == 0 { snapshot = snapshots[pick(snapshots.count)] }
            if pick(6) == 0 { state.message = pick(2) == 0 ? nil : "pass 3 failed: a long message " + String(repeating: "x", count: pick(200)) }
            state = update(state, command, snapshot).0
            let canvas = render(snapshot, state, width: state.width, height: state.height)
            #expect(canvas.width == state.width && canvas.height == state.height)
        }
    }
}
