// The planner's figures in the stats panel (`p`): the gap to the lower bound, and what the optimal algorithm
// reaches from the same start state against this run. The summary is computed off the drawing thread (the
// event loop asks the driver's ``SessionDriver/startPlan`` and answers with ``Command/planComputed(_:request:)``).
import Defragmentation
import DefragSession

/// Where the planner's summary stands.
public enum PlanStatus: Hashable, Sendable {
    /// Not asked for (or dropped: the run was rebuilt or its budget changed).
    case none
    /// Asked for; the answer to request `request` is awaited (answers to older requests are dropped).
    case computing(request: Int)
    /// The summary of the current run's start state.
    case ready(PlanSummary)
    /// The session has nothing to plan (no pools).
    case unavailable
}

extension StatsPanel {
    /// The panel's "Plan" section, once `p` asked for it and while it is shown.
    static func planSection(_ snapshot: SessionSnapshot, _ state: ViewState) -> Section? {
        guard state.isPlanShown, state.planStatus != .none else { return nil }
        let m = snapshot.metrics
        var items = [Item(label: "gap to bound", value: gap(m.pages, m.lowerBoundPages))]
        switch state.planStatus {
        case .none: return nil
        case .computing:
            items.append(Item(label: "optimal", value: "computing…"))
        case .unavailable:
            items.append(Item(label: "optimal", value: "nothing to plan"))
        case .ready(let plan):
            items.append(Item(label: "optimal", value: "\(plan.pagesAfter) pages"))
            items.append(Item(label: "it moves", value: ByteFormat.short(plan.bytesMoved)))
            items.append(Item(label: "this run", value: runAgainstPlan(snapshot.runStats.bytesMoved, plan)))
        }
        return Section(title: "Plan (p)", items: items)
    }

    /// One line for the grid's title row, most telling first (a narrow screen cuts the end):
    /// "optimal 54 pages, 356.5 MiB moved · this run 1.46× · +2 pages over bound 54".
    static func planLine(_ snapshot: SessionSnapshot, _ state: ViewState) -> String? {
        guard state.isPlanShown else { return nil }
        let m = snapshot.metrics
        let bound = m.pages <= m.lowerBoundPages ? "at bound \(m.lowerBoundPages)"
            : "\(gap(m.pages, m.lowerBoundPages)) over bound \(m.lowerBoundPages)"
        switch state.planStatus {
        case .none: return nil
        case .computing: return "optimal: computing… · \(bound)"
        case .unavailable: return "optimal: nothing to plan · \(bound)"
        case .ready(let plan):
            let ratio = plan.bytesMoved > 0 ? " · this run \(fixed2(Double(snapshot.runStats.bytesMoved) / Double(plan.bytesMoved)))×" : ""
            return "optimal \(plan.pagesAfter) pages, \(ByteFormat.short(plan.bytesMoved)) moved\(ratio) · \(bound)"
        }
    }

    /// "+2 pages", "at bound".
    static func gap(_ pages: Int, _ bound: Int) -> String {
        pages <= bound ? "at bound" : "+\(pages - bound) page\(pages - bound == 1 ? "" : "s")"
    }

    /// "521.0 MiB (1.46×)": this run's bytes moved, and how many times the plan's.
    static func runAgainstPlan(_ bytes: Int, _ plan: PlanSummary) -> String {
        guard plan.bytesMoved > 0 else { return ByteFormat.short(bytes) }
        return "\(ByteFormat.short(bytes)) (\(fixed2(Double(bytes) / Double(plan.bytesMoved)))×)"
    }
}
