// One run: pools plus the engine. step() collects a pass, lets the device copy, completes the pass and
// returns what happened.
import Defragmentation
import Foundation
import MemoryMetadata
import MemoryPools

/// Which live allocations a session checks after each pass.
public enum Verification: String, Sendable, CaseIterable {
    /// No byte checks.
    case none
    /// The allocations moved in the pass.
    case moved
    /// Every live allocation.
    case all
}

/// A session that cannot do what it was asked.
public enum SessionError: Error, CustomStringConvertible, Hashable, Sendable {
    /// A restart found pools of the previous run still held outside the session (their names): their
    /// pages would collide with the new pools' on the device. The caller must drop them first.
    case poolsStillInUse([String])
    /// A pass budget below 1 byte or 1 allocation (`Int.max` is unlimited).
    case invalidBudget(maxPassBytes: Int, maxPassAllocations: Int)

    public var description: String {
        switch self {
        case .invalidBudget(let bytes, let allocations):
            return "a pass budget must be at least 1 byte and 1 allocation (unlimited: Int.max), not \(bytes) bytes and \(allocations) allocations"
        case .poolsStillInUse(let names):
            return "cannot rebuild the pools: \(names.count) pool(s) of the previous run (\(names.joined(separator: ", "))) are still held outside the session, and their pages are still on the device"
        }
    }
}

/// A defragmentation run over one or more pools, one pass at a time.
public final class DefragSession<Device: PageDevice> {
    public typealias Pool = MemoryPool<Device>
    public typealias Context = MetadataDefragContext<Pool>

    /// The input's name.
    public let title: String
    /// The engine settings. Budgets may change between passes (``setBudget(maxPassBytes:maxPassAllocations:)``);
    /// a new algorithm or dialect needs ``reset(configuration:)``.
    public private(set) var configuration: EngineConfiguration

    /// Budgets apply per pass, so they can change between passes without restarting the run. Each must be
    /// at least 1 (`Int.max`: unlimited); otherwise ``SessionError/invalidBudget(maxPassBytes:maxPassAllocations:)``
    /// is thrown and the budget stays as it was.
    public func setBudget(maxPassBytes: Int, maxPassAllocations: Int) throws {
        try Self.checkBudget(maxPassBytes, maxPassAllocations)
        configuration.maxPassBytes = maxPassBytes
        configuration.maxPassAllocations = maxPassAllocations
    }
    public private(set) var pools: [Pool] = []
    private var contexts: [Context] = []
    /// Passes so far.
    public private(set) var history: [PassReport] = []
    /// True once a pass collected no move.
    public private(set) var isFinished = false
    /// The run so far.
    public private(set) var runStats = DefragmentationStats()
    /// Metrics when the run began.
    public private(set) var metricsAtStart = Metrics()
    /// Answers other than copy, for fault tests and demos.
    public var faults: FaultPlan? { didSet { rng = SplitMix64(seed: faults?.seed ?? 1) } }
    /// What to check after each pass. `moved` always checks moved allocations; `all` checks every live one.
    public var verification: Verification
    /// Check every page's metadata after each pass (tests, debug).
    public var validatesAfterEachPass = false
    /// Also check all live allocations after each pass while live bytes stay under this many bytes.
    public var verifyAllBelowLiveBytes = 100_000_000
    /// Ask the engine, each pass, what it decided for each allocation it looked at (``PassReport/decisions``).
    /// Off by default: the engine then tracks nothing. The moves are the same either way.
    public var explains = false
    /// With ``explains``: what the engine decided in the pass that found nothing more to move (the run's
    /// end), which is not in ``history``.
    public private(set) var finalDecisions: PassDecisions?
    /// The last message worth showing (a handler failure).
    public private(set) var notice: String?

    private let makePools: () throws -> [Pool]
    /// The start layout and what each pass changed (``snapshot(afterPass:)``).
    private var timeline = Timeline()
    /// The start state as the planner sees it (``startPlan()``).
    var plannerInputs: [PlannerInput] = []
    private var rng = SplitMix64(seed: 1)

    /// - Parameters:
    ///   - title: what the session shows as the name of its input.
    ///   - configuration: the engine's algorithm, dialect and budget.
    ///   - verification: which allocations' bytes are checked after every pass.
    ///   - makePools: builds the pools in their starting state (replaying the workload); called
    ///     again by ``reset(configuration:)``.
    public init(title: String, configuration: EngineConfiguration, verification: Verification = .moved,
                makePools: @escaping () throws -> [Pool]) throws {
        self.title = title
        self.configuration = configuration
        self.verification = verification
        self.makePools = makePools
        try Self.checkBudget(configuration.maxPassBytes, configuration.maxPassAllocations)
        try start()
    }

    /// Builds the pools and starts a run. The previous run's pools go first: they hold pages on the device
    /// the new pools are built on (a device names pages by the pools' ids, so the new pool's page 0 is the
    /// old pool's page 0). When building fails the session is left empty (no pools, finished) with the
    /// error as its notice, and the error is thrown; a later ``reset(configuration:)`` tries again.
    private func start() throws {
        try releasePools()
        notice = nil
        rng = SplitMix64(seed: faults?.seed ?? 1)
        do {
            let built = try makePools()
            var made: [Context] = []
            for (index, pool) in built.enumerated() {
                pool.beginDefragmentation()
                _ = pool.takeReleasedPages()
                let context = Context(blockList: pool, algorithm: configuration.algorithm, dialect: configuration.dialect) { [unowned self, unowned pool] move in
                    try self.handle(move, in: pool, index: index)
                }
                try context.initialize()
                made.append(context)
            }
            pools = built
            contexts = made
            timeline = Timeline(start: pageSnapshots)
            plannerInputs = Self.plannerInputs(built)
        } catch {
            notice = "building the pools failed: \(error)"
            throw error
        }
        isFinished = false
        metricsAtStart = metrics
    }

    /// Ends the run so far: drops its pools and engines, so that their pages leave the device, and its
    /// history; the session is then empty and finished. Throws when a pool lives on because something
    /// outside the session still holds it: building again would then create pages the device has already.
    private func releasePools() throws {
        let old = pools.map { WeakPool(pool: $0) }
        contexts.removeAll()
        pools.removeAll()
        history.removeAll()
        finalDecisions = nil
        timeline = Timeline()
        plannerInputs = []
        runStats = DefragmentationStats()
        isFinished = true
        metricsAtStart = Metrics()
        let alive = old.compactMap { $0.pool?.name }
        if !alive.isEmpty {
            notice = "cannot restart: pools still in use outside the session"
            throw SessionError.poolsStillInUse(alive)
        }
    }

    private struct WeakPool { weak var pool: Pool? }

    private static func checkBudget(_ bytes: Int, _ allocations: Int) throws {
        guard bytes >= 1 && allocations >= 1 else {
            throw SessionError.invalidBudget(maxPassBytes: bytes, maxPassAllocations: allocations)
        }
    }

    /// Rebuilds the pools from the workload and starts a new run, with a new configuration if given.
    ///
    /// The old pools are released first. If building the new ones fails (the device cannot create a page,
    /// the workload's progress callback cancels), the session has no pools, is finished, shows the error
    /// as its ``notice`` and throws it; the new configuration is kept, and calling `reset` again tries
    /// again. Pools of the old run held outside the session make it throw ``SessionError/poolsStillInUse(_:)``.
    public func reset(configuration: EngineConfiguration? = nil) throws {
        if let configuration {
            try Self.checkBudget(configuration.maxPassBytes, configuration.maxPassAllocations)
            self.configuration = configuration
        }
        try start()
    }

    /// The backend's name (the first pool's device).
    public var backendName: String { pools.first?.device.name ?? "none" }

    // MARK: passes

    /// Runs one pass. Returns nil, and marks the session finished, when the pass collected no move (nor
    /// failed to make one).
    ///
    /// Nothing that fails for one move stops the pass: a handler refusal (an injected fault) or a device
    /// failure (binding a destination, copying, rebinding at the destination) leaves that allocation where
    /// it was, the other moves complete, and the failure is a ``PassError`` in the report's `errors`. The
    /// caller decides whether to go on (``runToCompletion(maxPasses:stopOnError:)``). A pass that collected
    /// no move but failed some ends the run with a report of its failures. A verification failure (bytes or
    /// metadata wrong after the pass) is in the report too and is thrown after the report is recorded; the
    /// session stays usable.
    @discardableResult
    public func step() throws -> PassReport? {
        if isFinished { return nil }
        var pass = PassContext(maxPassBytes: configuration.maxPassBytes, maxPassAllocations: configuration.maxPassAllocations)
        var errors: [PassError] = []

        let planningStart = DispatchTime.now().uptimeNanoseconds
        var collected: [(pool: Int, records: [MoveRecord])] = []
        var decisions: PassDecisions? = explains ? PassDecisions(largestFreeRangeBefore: largestFreeRanges()) : nil
        for (index, context) in contexts.enumerated() {
            let pool = pools[index]
            if explains {
                // Slot → decision; moved counts over all, else the engine's first word.
                var bySlot: [Int: AllocationDecision] = [:]
                context.observer = { slot, decision in
                    if decision == .moved { bySlot[slot] = .moved } else if bySlot[slot] == nil { bySlot[slot] = decision }
                }
                context.collectMoves(&pass)
                context.observer = nil
                for (slot, decision) in bySlot {
                    decisions?.byAllocation[PassDecisions.Key(pool: pool.name, id: pool.record(slot: slot).id)] = decision
                }
            } else {
                context.collectMoves(&pass)
            }
            for (slot, failure) in context.collectFailures {
                errors.append(Self.passError(failure, id: pool.record(slot: slot).id, pool: pool.name))
            }
            if !context.moves.isEmpty {
                collected.append((index, context.moves.map { move in
                    let s = pool.record(slot: move.sourceAllocation), t = pool.record(slot: move.destinationAllocation!)
                    return MoveRecord(id: s.id, size: move.size, sourcePage: s.page, sourceOffset: s.offset,
                                      destinationPage: t.page, destinationOffset: t.offset, pool: pool.name)
                }))
            }
            if pass.stats.allocationsMoved >= pass.maxPassAllocations || pass.stats.bytesMoved >= pass.maxPassBytes { break }
        }
        let planningEnd = DispatchTime.now().uptimeNanoseconds

        if collected.isEmpty {
            finalDecisions = decisions
            finish()
            guard !errors.isEmpty else { return nil }
            // Nothing moved, but moves were refused: say so once, and end the run (the next pass would
            // only refuse them again).
            var report = PassReport(number: history.count + 1, moves: [], stats: pass.stats, freedPages: [],
                                    planningSeconds: Double(planningEnd - planningStart) / 1e9, copySeconds: 0, completeSeconds: 0,
                                    errors: errors, metricsAfter: metrics)
            report.decisions = decisions
            return appendPass(report)
        }

        // The consumer's answers (faults), then the copies of the moves still answered `copy`.
        failing.removeAll()
        var moveRecords: [MoveRecord] = []
        for (poolIndex, records) in collected {
            let context = contexts[poolIndex]
            for (i, record) in records.enumerated() {
                var record = record
                switch answer(for: record.id) {
                case .copy: break
                case .ignore: context.setOperation(.ignore, forMoveAt: i); record.operation = .ignore
                case .destroy: context.setOperation(.destroy, forMoveAt: i); record.operation = .destroy
                case .fail: failing[FailingMove(pool: poolIndex, id: record.id)] = .handlerRefused(id: record.id, pool: pools[poolIndex].name, reason: "\(InjectedFault(id: record.id))")
                }
                moveRecords.append(record)
            }
        }

        let copyStart = DispatchTime.now().uptimeNanoseconds
        for (poolIndex, _) in collected {
            let pool = pools[poolIndex]
            guard pool.device.storesBytes && pool.options.verifiesBytes else { continue }
            let moves = contexts[poolIndex].moves.filter { $0.operation == .copy }
            errors += copy(moves, in: poolIndex)
        }
        let copyEnd = DispatchTime.now().uptimeNanoseconds

        for (poolIndex, _) in collected {
            let pool = pools[poolIndex]
            do { try contexts[poolIndex].completePass(&pass) } catch DefragmentationError.handlerFailures(let failures) {
                errors += failures.map { Self.passError($0, pool: pool.name) }
            } catch {
                errors.append(Self.passError(error, pool: pool.name))
            }
        }
        failing.removeAll()
        var freedPages: [Int] = []
        for pool in pools { freedPages += pool.takeReleasedPages() }
        let completeEnd = DispatchTime.now().uptimeNanoseconds
        // Where each moved allocation is now (a refused or failed move left it where it was).
        var relocations: [Relocation] = []
        for (poolIndex, records) in collected {
            let pool = pools[poolIndex]
            for record in records {
                if let now = pool.record(id: record.id) {
                    if now.page != record.sourcePage || now.offset != record.sourceOffset {
                        relocations.append(Relocation(pool: pool.name, id: record.id, sourcePage: record.sourcePage, destination: (now.page, now.offset)))
                    }
                } else {
                    relocations.append(Relocation(pool: pool.name, id: record.id, sourcePage: record.sourcePage, destination: nil))
                }
            }
        }

        // Nothing is lost: every moved allocation, and everything while it is cheap, is checked.
        var verificationErrors: [PassError] = []
        func check(_ pool: Pool, _ body: () throws -> Void) {
            do { try body() } catch let error as PoolError {
                switch error {
                case .device(let why): verificationErrors.append(.device(id: nil, pool: pool.name, stage: .verify, reason: why))
                default: verificationErrors.append(.verification(pool: pool.name, reason: "\(error)"))
                }
            } catch {
                verificationErrors.append(.verification(pool: pool.name, reason: "\(error)"))
            }
        }
        if verification != .none {
            for (poolIndex, records) in collected {
                let pool = pools[poolIndex]
                for record in records where pool.record(id: record.id) != nil { check(pool) { try pool.verify(id: record.id) } }
            }
            let live = pools.reduce(0) { total, pool in var s = Statistics(); pool.addStatistics(&s); return total + s.allocationBytes }
            if verification == .all || live < verifyAllBelowLiveBytes {
                for pool in pools { check(pool) { try pool.verifyAll() } }
            }
        }
        if validatesAfterEachPass { for pool in pools { check(pool) { try pool.validate() } } }
        errors += verificationErrors

        var report = PassReport(number: history.count + 1, moves: moveRecords, stats: pass.stats, freedPages: freedPages,
                                planningSeconds: Double(planningEnd - planningStart) / 1e9,
                                copySeconds: Double(copyEnd - copyStart) / 1e9,
                                completeSeconds: Double(completeEnd - copyEnd) / 1e9,
                                errors: errors, metricsAfter: metrics)
        report.decisions = decisions
        report = appendPass(report, relocations: relocations)
        if let first = verificationErrors.first(where: \.isVerification) { throw first }
        return report
    }

    /// Adds a finished pass to the run, and to its timeline the allocations it moved and the pages it left.
    private func appendPass(_ report: PassReport, relocations: [Relocation] = []) -> PassReport {
        notice = report.errors.isEmpty ? nil : "\(report.errors.count) move(s) failed in pass \(report.number)"
        runStats.add(report.stats)
        history.append(report)
        // Older passes keep their counts only: memory does not grow with passes × allocations.
        let old = history.count - 1 - PassDecisions.passesKeptInDetail
        if old >= 0, history[old].decisions?.hasDetails == true { history[old].decisions?.dropDetails() }
        timeline.relocations.append(relocations)
        timeline.frames.append(pageFrames)
        return report
    }

    /// Copies the bytes of `moves` of pool `poolIndex` in one batch. When the batch fails each copy is done
    /// again alone (within a pass no destination overlaps a source, so a copy done twice is the same as
    /// once): the copies that fail alone make their moves fail with a device error (when their handler is
    /// called); the others complete. Returns the batch's failure when every copy then succeeded alone.
    private func copy(_ moves: [Context.Move], in poolIndex: Int) -> [PassError] {
        let pool = pools[poolIndex]
        let copies = moves.map { pool.copy(for: $0) }
        let batchError: Error
        do { try pool.device.copy(copies); return [] } catch { batchError = error }
        var failed = false
        for (move, copy) in zip(moves, copies) {
            do { try pool.device.copy([copy]) } catch {
                failed = true
                let id = pool.record(slot: move.sourceAllocation).id
                let key = FailingMove(pool: poolIndex, id: id)
                if failing[key] == nil { failing[key] = .device(id: id, pool: pool.name, stage: .copy, reason: "\(error)") }
            }
        }
        if failed { return [] }
        return [.device(id: nil, pool: pool.name, stage: .copy, reason: "the pass's batch of \(copies.count) copies failed (\(batchError)); each copy alone succeeded")]
    }

    /// Steps until a pass collects nothing, `maxPasses` passes ran, or (with `stopOnError`) a pass reported
    /// a failure. Returns the reports.
    @discardableResult
    public func runToCompletion(maxPasses: Int = .max, stopOnError: Bool = false) throws -> [PassReport] {
        var reports: [PassReport] = []
        while reports.count < maxPasses, let report = try step() {
            reports.append(report)
            if stopOnError && !report.errors.isEmpty { break }
        }
        return reports
    }

    private func finish() {
        isFinished = true
        for pool in pools { pool.endDefragmentation() }
    }

    /// A move of this pass that must fail when its handler is called, and why.
    private struct FailingMove: Hashable { var pool: Int; var id: Int }
    private var failing: [FailingMove: PassError] = [:]

    private func answer(for id: Int) -> FaultPlan.Answer {
        guard let faults else { return .copy }
        if faults.ignoredIDs.contains(id) { return .ignore }
        let roll = rng.unit()
        if roll < faults.failureRate { return .fail }
        if roll < faults.failureRate + faults.ignoreRate { return .ignore }
        if roll < faults.failureRate + faults.ignoreRate + faults.destroyRate { return .destroy }
        return .copy
    }

    private func handle(_ move: DefragmentationMove<Int, TLSFMetadata>, in pool: Pool, index poolIndex: Int) throws {
        let id = pool.record(slot: move.sourceAllocation).id
        if let failure = failing[FailingMove(pool: poolIndex, id: id)] {
            pool.abandon(move)
            throw failure
        }
        do { try pool.complete(move) } catch let error as PoolError {
            switch error {
            case .device(let why): throw PassError.device(id: id, pool: pool.name, stage: .rebind, reason: why)
            default: throw PassError.invalidRequest(id: id, pool: pool.name, reason: "\(error)")
            }
        }
    }

    /// A failure of the engine's collect as a pass error.
    private static func passError(_ failure: DefragmentationError, id: Int, pool: String) -> PassError {
        switch failure {
        case .commitFailed(_, _, let underlying):
            if case PoolError.device(let why) = underlying { return .device(id: id, pool: pool, stage: .bindDestination, reason: why) }
            return .device(id: id, pool: pool, stage: .bindDestination, reason: "\(underlying)")
        default:
            return .invalidRequest(id: id, pool: pool, reason: "\(failure)")
        }
    }

    /// An error the handler threw (always a ``PassError`` from ``handle(_:in:index:)``) or the engine's.
    private static func passError(_ error: Error, pool: String) -> PassError {
        if let error = error as? PassError { return error }
        return .invalidRequest(id: nil, pool: pool, reason: "\(error)")
    }

    // MARK: state

    /// Fragmentation figures over all pools now.
    public var metrics: Metrics {
        var m = Metrics()
        for pool in pools {
            var live = 0
            for id in pool.pageIDs {
                guard let metadata = pool.metadata(ofPage: id) else { continue }
                var d = DetailedStatistics()
                metadata.addDetailedStatistics(&d)
                m.pages += 1
                if !metadata.isEmpty { m.nonEmptyPages += 1 }
                live += d.statistics.allocationBytes
                m.liveAllocations += d.statistics.allocationCount
                m.freeBytes += metadata.sumFreeSize
                m.largestFreeRange = max(m.largestFreeRange, d.unusedRangeSizeMax)
            }
            m.liveBytes += live
            m.lowerBoundPages += (live + pool.options.pageSize - 1) / pool.options.pageSize
        }
        m.fragmentation = m.freeBytes > 0 ? 1 - Double(m.largestFreeRange) / Double(m.freeBytes) : 0
        return m
    }

    /// The largest free range of every page now, by pool and page id.
    private func largestFreeRanges() -> [PassDecisions.Key: Int] {
        var result: [PassDecisions.Key: Int] = [:]
        forEachPage { pool, id, metadata, _ in
            var d = DetailedStatistics()
            metadata.addDetailedStatistics(&d)
            result[PassDecisions.Key(pool: pool.name, id: id)] = metadata.isEmpty ? metadata.size : d.unusedRangeSizeMax
        }
        return result
    }

    /// Calls `body` with every page of every pool in the pools' current order: its pool, id, metadata and
    /// whether it is immovable.
    private func forEachPage(_ body: (Pool, Int, TLSFMetadata, Bool) -> Void) {
        for (poolIndex, pool) in pools.enumerated() {
            let immovable = Set((0..<contexts[poolIndex].immovableBlockCount).map { pool.pageIDs[$0] })
            for id in pool.pageIDs {
                guard let metadata = pool.metadata(ofPage: id) else { continue }
                body(pool, id, metadata, immovable.contains(id))
            }
        }
    }

    /// Every page of every pool in the pools' current order, without allocations.
    private var pageFrames: [PageFrame] {
        var result: [PageFrame] = []
        forEachPage { pool, id, metadata, isImmovable in
            result.append(PageFrame(pool: pool.name, id: id, size: metadata.size, isImmovable: isImmovable,
                                    isDedicated: pool.options.holdsDedicatedAllocations))
        }
        return result
    }

    /// Every page of every pool in the pools' current order, allocations ascending by offset.
    public var pageSnapshots: [PageSnapshot] {
        var result: [PageSnapshot] = []
        forEachPage { pool, id, metadata, isImmovable in
            let allocations = metadata.allocations().compactMap { region -> AllocationSnapshot? in
                guard region.userData >= 0 else { return nil }
                let r = pool.record(slot: region.userData)
                return AllocationSnapshot(id: r.id, offset: r.offset, size: r.size, type: r.type, name: r.name)
            }
            result.append(PageSnapshot(id: id, size: metadata.size, pool: pool.name, allocations: allocations,
                                       isImmovable: isImmovable, isDedicated: pool.options.holdsDedicatedAllocations))
        }
        return result
    }

    /// The whole visible state.
    public func snapshot() -> SessionSnapshot {
        SessionSnapshot(title: title, backend: backendName, configuration: configuration, passNumber: history.count,
                        isFinished: isFinished, pages: pageSnapshots, pagesAtStart: metricsAtStart.pages, metrics: metrics,
                        lastPass: history.last, pagesHistory: [metricsAtStart.pages] + history.map { $0.metricsAfter.pages },
                        runStats: runStats, notice: notice)
    }

    /// The visible state as it was after pass `pass` (0: before the first pass), rebuilt from the start layout
    /// and the passes' moves; the pools are not touched. `pass` is clamped to the passes run; at the newest
    /// pass this is ``snapshot()``. Its `passNumber` is `pass`, its `passesRun` the passes run.
    public func snapshot(afterPass pass: Int) -> SessionSnapshot {
        let pass = max(0, min(pass, history.count))
        if pass == history.count { return snapshot() }
        var stats = DefragmentationStats()
        for report in history.prefix(pass) { stats.add(report.stats) }
        var shown = SessionSnapshot(title: title, backend: backendName, configuration: configuration, passNumber: pass,
                                    isFinished: false, pages: timeline.pages(afterPass: pass), pagesAtStart: metricsAtStart.pages,
                                    metrics: pass == 0 ? metricsAtStart : history[pass - 1].metricsAfter,
                                    lastPass: pass == 0 ? nil : history[pass - 1],
                                    pagesHistory: [metricsAtStart.pages] + history.map { $0.metricsAfter.pages },
                                    runStats: stats, notice: notice)
        shown.passesRun = history.count
        return shown
    }

    /// Every live allocation of the caller's, ascending id: (id, page, offset, size), for the `ref` format.
    public func layout() -> [(id: Int, page: Int, offset: Int, size: Int)] {
        var rows: [(id: Int, page: Int, offset: Int, size: Int)] = []
        for pool in pools {
            for r in pool.records where r.live && r.id >= 0 { rows.append((r.id, r.page, r.offset, r.size)) }
        }
        return rows.sorted { $0.id < $1.id }
    }
}
