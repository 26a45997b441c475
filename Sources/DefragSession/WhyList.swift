// "Why is this page still here": a page's allocations grouped by what the engine decided for them in a pass,
// with the figures that decided it.
import Defragmentation

public enum WhyList {
    /// The lines of the why-list of `page` after a pass the engine explained.
    /// - Parameters:
    ///   - page: the page as the pass left it.
    ///   - decisions: the pass's decisions (with the free ranges the engine had to choose from).
    ///   - moves: the pass's moves (allocations that arrived on the page in it are listed as such).
    ///   - algorithm: the pass's algorithm, named in the `algorithm` reason.
    public static func lines(page: PageSnapshot, decisions: PassDecisions, moves: [MoveRecord],
                             algorithm: Algorithm) -> [String] {
        guard decisions.hasDetails else {
            return ["only the counts of this pass are kept (the last \(PassDecisions.passesKeptInDetail) passes keep each allocation's decision)"]
        }
        var groups: [AllocationDecision: [AllocationSnapshot]] = [:]
        var unseen: [AllocationSnapshot] = [], arrived: [AllocationSnapshot] = []
        let arrivals = Set(moves.filter { $0.pool == page.pool && $0.destinationPage == page.id && $0.sourcePage != page.id }.map(\.id))
        for allocation in page.allocations {
            if arrivals.contains(allocation.id) {
                arrived.append(allocation)
            } else if let decision = decisions.byAllocation[PassDecisions.Key(pool: page.pool, id: allocation.id)] {
                groups[decision, default: []].append(allocation)
            } else {
                unseen.append(allocation)
            }
        }
        // The largest free range of each other page of the pool before the pass.
        let largestElsewhere = decisions.largestFreeRangeBefore.filter { $0.key.pool == page.pool && $0.key.id != page.id }.values.max() ?? 0
        var lines: [String] = []
        func sizes(_ list: [AllocationSnapshot]) -> String {
            let low = list.map(\.size).min() ?? 0, high = list.map(\.size).max() ?? 0
            return low == high ? ByteFormat.short(low) : "\(ByteFormat.short(low))–\(ByteFormat.short(high))"
        }
        func count(_ list: [AllocationSnapshot]) -> String { list.count == 1 ? "1 allocation" : "\(list.count) allocations" }
        for decision in AllocationDecision.allCases {
            guard let list = groups[decision], !list.isEmpty else { continue }
            switch decision {
            case .noDestination:
                lines.append("no destination: \(count(list)) of \(sizes(list)); largest free range in the pool's other pages \(ByteFormat.short(largestElsewhere))")
            case .budget:
                lines.append("budget: \(count(list)) of \(sizes(list)); the pass's budget ran out before or at them")
            case .immovable:
                lines.append("immovable: \(count(list)) of \(sizes(list)); an ignore answer made the page immovable")
            case .algorithm:
                lines.append("algorithm: \(count(list)) of \(sizes(list)); another page had room (largest free range \(ByteFormat.short(largestElsewhere))), but \(algorithm.rawValue) keeps them here")
            case .moved:
                lines.append("moved within the page: \(count(list)) of \(sizes(list))")
            }
        }
        if !arrived.isEmpty { lines.append("arrived in this pass: \(count(arrived)) of \(sizes(arrived))") }
        if !unseen.isEmpty { lines.append("not looked at: \(count(unseen)) of \(sizes(unseen)) (the walk never takes this page as a source)") }
        if page.allocations.isEmpty { lines.append("empty: nothing holds it") }
        return lines
    }
}

extension DefragSession {
    /// The why-list of page `page` (of pool `pool`, or the first pool holding such a page) for pass `pass`,
    /// the page as that pass left it; without `pass`, after the run: for the pass that found nothing more
    /// to move when the run is finished, else for the last pass. nil when no such page exists then or the
    /// pass was not explained (``explains``).
    public func whyList(page: Int, pool: String? = nil, pass: Int? = nil) -> [String]? {
        let decisions: PassDecisions?, after: Int, moves: [MoveRecord]
        if let pass {
            guard pass >= 1, pass <= history.count else { return nil }
            (decisions, after, moves) = (history[pass - 1].decisions, pass, history[pass - 1].moves)
        } else if isFinished, let finalDecisions {
            (decisions, after, moves) = (finalDecisions, history.count, [])
        } else {
            guard let last = history.last else { return nil }
            (decisions, after, moves) = (last.decisions, history.count, last.moves)
        }
        guard let decisions,
              let shown = snapshot(afterPass: after).pages.first(where: { $0.id == page && (pool == nil || $0.pool == pool) }) else { return nil }
        return WhyList.lines(page: shown, decisions: decisions, moves: moves, algorithm: configuration.algorithm)
    }
}
