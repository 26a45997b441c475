// What the optimal algorithm would reach from the run's start state: a copy of every pool's pages taken when
// the run began, planned on request, on any thread (the pools go on changing meanwhile).
import Defragmentation

/// The run's start state as the planner sees it, with the budget to plan for. A value: hand it to another
/// thread and call ``summary()`` there.
public struct StartPlan: Sendable {
    let inputs: [PlannerInput]
    /// The budget the summary plans for (the session's when the plan was asked for).
    public let maxPassBytes: Int
    public let maxPassAllocations: Int

    /// Plans every pool from the start state (as long as the optimal algorithm takes: on a large pool, a
    /// second or more; not for a UI's drawing thread).
    public func summary() -> PlanSummary {
        PlanSummary.combined(inputs.map { $0.summary(maxPassBytes: maxPassBytes, maxPassAllocations: maxPassAllocations) })
    }
}

extension DefragSession {
    /// The planner's view of the run's start state with the session's budget now, to compare any
    /// algorithm's run with the optimal one's on the same start (``StartPlan/summary()``). Nil when the
    /// session has no pools (building them failed).
    public func startPlan() -> StartPlan? {
        guard !plannerInputs.isEmpty else { return nil }
        return StartPlan(inputs: plannerInputs, maxPassBytes: configuration.maxPassBytes,
                         maxPassAllocations: configuration.maxPassAllocations)
    }

    /// Every pool's pages as the planner sees them (taken by `start()` before the first pass).
    static func plannerInputs(_ pools: [Pool]) -> [PlannerInput] {
        pools.map { Context.plannerInput($0) }
    }
}
