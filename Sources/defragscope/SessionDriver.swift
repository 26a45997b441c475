// The terminal UI's view of a session: a cached snapshot and the effects of keys.
import Defragmentation
import DefragSession
import MemoryPools
import Visualizer

/// Drives a `DefragSession` for the event loop. The snapshot is built once per change, not per redraw.
final class SessionDriverAdapter<Device: PageDevice>: SessionDriver {
    let session: DefragSession<Device>
    private var cached: SessionSnapshot
    /// A message that outlives the session's own (a backend that could not be opened); settable.
    var standingNotice: String? { didSet { refresh() } }
    /// A pass that threw (a device error, a verification failure) leaves the engine mid-pass: further steps
    /// are refused with this message until a reset rebuilds the pools.
    private(set) var failure: String?

    init(session: DefragSession<Device>, notice: String? = nil) {
        self.session = session
        self.standingNotice = notice
        cached = session.snapshot()
        refresh()
    }

    var snapshot: SessionSnapshot { cached }

    func perform(_ effect: Effect) throws {
        defer { refresh() }
        var configuration = session.configuration
        switch effect {
        case .step:
            if let failure { throw DriverError(description: failure) }
            do {
                try session.step()
            } catch {
                failure = "pass \(session.history.count + 1) failed: \(error) — press R to reset"
                throw DriverError(description: failure!)
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
        case .quit, .screenshot:
            break
        }
    }

    private func refresh() {
        cached = session.snapshot()
        let parts = [standingNotice, failure, cached.notice].compactMap { $0 }
        cached.notice = parts.isEmpty ? nil : parts.joined(separator: " — ")
    }
}

/// A failure shown on the UI's message line.
struct DriverError: Error, CustomStringConvertible {
    var description: String
}
