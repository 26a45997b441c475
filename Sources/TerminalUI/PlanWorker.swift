// The planner's summary for the stats panel (`p`), computed on a thread of its own so the loop keeps
// drawing and reading keys; the loop picks the answer up between frames.
import DefragSession
import Dispatch
import Synchronization
import Visualizer

/// Plans a session's start state in the background; ``takeAnswers()`` hands over what finished, with the
/// pane that asked (0 in watch's single view).
final class PlanWorker: Sendable {
    private let finished = Mutex<[(pane: Int, command: Command)]>([])
    private let queue = DispatchQueue(label: "defragscope.plan", qos: .utility)

    /// Starts planning `plan` for request `request`; its answer is a ``Command/planComputed(_:request:)``
    /// (or ``Command/planUnavailable(request:)`` when there is nothing to plan) that ``takeAnswers()`` returns
    /// once it is ready. Requests run one after another, oldest first.
    func start(_ plan: StartPlan?, request: Int, pane: Int = 0) {
        guard let plan else {
            finished.withLock { $0.append((pane, .planUnavailable(request: request))) }
            return
        }
        queue.async { [self] in
            let summary = plan.summary()
            finished.withLock { $0.append((pane, .planComputed(summary, request: request))) }
        }
    }

    /// The answers finished since the last call, in the order they finished.
    func takeAnswers() -> [(pane: Int, command: Command)] {
        finished.withLock { answers in
            defer { answers.removeAll() }
            return answers
        }
    }
}
