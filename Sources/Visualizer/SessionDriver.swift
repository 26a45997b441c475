// What the event loop needs from a session (its snapshot, a way to carry out effects), and the driver of a
// `DefragSession`.
import Defragmentation
import DefragSession
import MemoryPools

/// A session the terminal UI can drive.
public protocol SessionDriver: AnyObject {
    /// The state to draw now. Read after every ``perform(_:)`` and on every redraw, so it should be cheap or
    /// cached by the conformer.
    var snapshot: SessionSnapshot { get }

    /// Carries out one effect. `.step` runs one pass (a no-op once the run is finished); `.reset` restarts
    /// the run from the workload's starting state; `.setAlgorithm`, `.setDialect` and `.setBudget` change the
    /// configuration, restarting the run when the engine cannot change it mid-run. `.quit` is handled by the
    /// event loop and never reaches the driver.
    /// - Parameter effect: what to do.
    /// - Throws: a failure to show to the user (the loop keeps running and shows its description).
    func perform(_ effect: Effect) throws

    /// The run's start state as the planner sees it, with the budget now, to plan on another thread
    /// (``Effect/computePlan(request:)``); nil when there is nothing to plan.
    var startPlan: StartPlan? { get }
}

extension SessionDriver {
    public var startPlan: StartPlan? { nil }
}

/// Drives a `DefragSession` for the event loop. The snapshot is built once per change, not per redraw.
public final class DefragSessionDriver<Device: PageDevice>: SessionDriver {
    public let session: DefragSession<Device>
    private var cached: SessionSnapshot
    /// A message that outlives the session's own (a backend that could not be opened).
    public var standingNotice: String? { didSet { refresh() } }
    /// Set when a pass's checks failed (`DefragSession.step()` throws only then: bytes or metadata wrong
    /// after the pass, which is recorded in the history; device and handler failures are in the pass's
    /// report and do not throw). The session itself stays usable, but the run's bytes can no longer be
    /// trusted, so further steps are refused with this message until a reset or a new configuration rebuilds
    /// the pools.
    public private(set) var failure: String?
    /// The pass shown when it is not the newest (``Effect/showPass(_:)``); nil: the newest.
    public private(set) var shownPass: Int?

    /// - Parameters:
    ///   - session: the run to show and step.
    ///   - notice: a standing message (shown with the session's own).
    public init(session: DefragSession<Device>, notice: String? = nil) {
        self.session = session
        self.standingNotice = notice
        cached = session.snapshot()
        refresh()
    }

    public var snapshot: SessionSnapshot { cached }

    public var startPlan: StartPlan? { session.startPlan() }

    public func perform(_ effect: Effect) throws {
        defer { refresh() }
        var configuration = session.configuration
        if case .showPass(let pass) = effect {
            shownPass = pass < session.history.count ? max(0, pass) : nil
            return
        }
        shownPass = nil
        switch effect {
        case .step:
            if let failure { throw DriverError(description: failure) }
            let number = session.history.count + 1
            do {
                try session.step()
            } catch {
                let message = "pass \(number) failed: \(error) — press R to reset"
                failure = message
                throw DriverError(description: message)
            }
        case .reset:
            try session.reset()
            failure = nil
        case .setAlgorithm(let algorithm):
            configuration.algorithm = algorithm
            try session.reset(configuration: configuration)
            failure = nil
        case .setDialect(let dialect):
            configuration.dialect = dialect
            try session.reset(configuration: configuration)
            failure = nil
        case .setBudget(let bytes, let allocations):
            try session.setBudget(maxPassBytes: bytes, maxPassAllocations: allocations)
        case .quit, .screenshot, .showPass, .computePlan:
            break
        }
    }

    private func refresh() {
        cached = shownPass.map { session.snapshot(afterPass: $0) } ?? session.snapshot()
        let parts = [standingNotice, failure, cached.notice].compactMap { $0 }
        cached.notice = parts.isEmpty ? nil : parts.joined(separator: " — ")
    }
}

/// A failure shown on the UI's message line.
public struct DriverError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
