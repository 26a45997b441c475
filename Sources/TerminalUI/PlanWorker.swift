// The planner's summary for the stats panel (`p`), computed on a thread of its own so the loop keeps
// drawing and reading keys; the loop picks the answer up between frames.
import DefragSession
import Dispatch
import Synchronization
import Visualizer

/// Plans a session's start state in the background; ``takeAnswers()`` hands over what finished.
final class PlanWorker: Sendable {
    private let finished = Mutex<[Command]>([])
    private let queue = DispatchQueue(label: "defragscope.plan", qos: .utility)

    /// Starts planning `plan` for request `request`; its answer is a ``Command/planComputed(_:request:)``
    /// (or ``Command/planUnavailable(request:)`` when there is nothing to plan) that ``takeAnswers()`` returns
    /// once it is ready. Requests run one after another, oldest first.
    func start(_ plan: StartPlan?, request: Int) {
        guard let plan else {
            finished.withLock { $0.append(.planUnavailable(request: request)) }
            return
        }
        queue.async { [self] in
            let summary = plan.summary()
            finished.withLock { $0.append(.planComputed(summary, request: request)) }
        }
    }

    /// The answers finished since the last call, in the order they finished.
    func takeAnswers() -> [Command] {
        finished.withLock { answers in
            defer { answers.removeAll() }
            return answers
        }
    }
}
