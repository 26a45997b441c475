// The terminal UI's view of a session: a cached snapshot and the effects of keys.
import Defragmentation
import DefragSession
import MemoryPools
import Visualizer

/// Drives a `DefragSession` for the event loop.
final class SessionDriverAdapter<Device: PageDevice>: SessionDriver {
    let session: DefragSession<Device>
    private var cached: SessionSnapshot
    /// A message that outlives the session's own (a backend that could not be opened).
    var standingNotice: String? { didSet { refresh() } }

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
            try session.step()
        case .reset:
            try session.reset()
        case .setAlgorithm(let algorithm):
            configuration.algorithm = algorithm
            try session.reset(configuration: configuration)
        case .setDialect(let dialect):
            configuration.dialect = dialect
            try session.reset(configuration: configuration)
        case .setBudget(let bytes, let allocations):
            session.setBudget(maxPassBytes: bytes, maxPassAllocations: allocations)
        case .quit:
            break
        }
    }

    private func refresh() {
        cached = session.snapshot()
        if let standingNotice {
            cached.notice = cached.notice.map { "\(standingNotice) — \($0)" } ?? standingNotice
        }
    }
}
