// The optimal algorithm's planner: from a snapshot of every page, the fewest pages reachable and a schedule
// of passes that reaches them moving few bytes. Pure: pages and allocations in, passes of moves out.
import MemoryMetadata

/// One allocation as the planner sees it.
struct PlanAllocation {
    /// The pool's user data (stable across moves: the engine finds the allocation by it).
    var userData: Int
    var offset: Int
    /// Bytes the allocation occupies in its page (the metadata's region).
    var regionSize: Int
    /// Bytes a move asks for, and at which alignment.
    var size: Int
    var alignment: Int
    var type: SuballocationType
    /// False for allocations the planner must leave in place (this run's own destinations, or larger than
    /// a pass may move).
    var movable: Bool
}

/// One page as the planner sees it.
struct PlanPage {
    var id: ObjectIdentifier
    var size: Int
    /// Ascending by offset.
    var allocations: [PlanAllocation]
    /// Ascending by offset.
    var holes: [Hole]
    /// False for pages that answered `ignore`: never a source again.
    var movable: Bool
    var liveBytes: Int { allocations.reduce(0) { $0 + $1.regionSize } }
}

/// One move of a plan: allocation `userData` leaves page `source` for page `destination`, where a
/// lowest-offset request must answer `offset`.
struct PlannedMove: Equatable {
    var userData: Int
    var source: Int
    var destination: Int
    var offset: Int
    var size: Int
}

/// What the planner decided.
struct Plan {
    /// The passes, in order; each within the budget it was planned for.
    var passes: [[PlannedMove]] = []
    /// After each pass, every snapshot page's expected (allocation count, free bytes).
    var expected: [[PageTotals]] = []
    /// Pages holding allocations when the plan is done.
    var pages = 0
    /// The fewest pages the live bytes could fit in (pages' sizes only, no alignment).
    var lowerBound = 0
    /// Bytes the plan moves.
    var bytesMoved: Int { passes.reduce(0) { $0 + $1.reduce(0) { $0 + $1.size } } }
}

struct PageTotals: Equatable {
    var count: Int
    var free: Int
}

/// Bin packing of a pool's allocations into its fullest pages, as passes of moves.
///
/// Pages are kept fullest first (pages that cannot be emptied always); the allocations of the others move,
/// largest first (size plus the padding their alignment may cost), each to the kept page where the lowest
/// free range that holds it (the range a lowest-offset request finds, so the real metadata places it where
/// the plan does) leaves the least over. An allocation no range holds gets a window: the span of a kept
/// page that is cheapest to clear, clearing allocations of at most a quarter of its size first, then half,
/// then its size; the window opens only if every allocation in it finds a place in the same pass. The
/// window is reserved (no other allocation may land in it) and its owner moves in the pass after. Passes
/// end at the budget; a move never lands on bytes that a move of the same pass still reads (every
/// destination is free when its pass starts). Kept pages' allocations move only to clear a window. If the
/// pages cannot be packed into the lower bound, one more page is kept, and so on; with few pages, every
/// choice of pages to keep is tried. A plan that reaches the lower bound is optimal in pages by that bound.
struct PackingPlanner {
    var pages: [PlanPage]
    var maxPassBytes: Int
    var maxPassAllocations: Int
    var granularity: Int

    init(pages: [PlanPage], maxPassBytes: Int, maxPassAllocations: Int, granularity: Int) {
        self.pages = pages
        self.maxPassBytes = maxPassBytes
        self.maxPassAllocations = max(1, maxPassAllocations)
        self.granularity = granularity
        // An allocation larger than a pass may move stays where it is.
        for p in self.pages.indices {
            for a in self.pages[p].allocations.indices where self.pages[p].allocations[a].size > maxPassBytes {
                self.pages[p].allocations[a].movable = false
            }
        }
    }

    /// The smallest number of pages whose sizes add up to the live bytes.
    var lowerBound: Int {
        let live = pages.reduce(0) { $0 + $1.liveBytes }
        var capacity = 0, count = 0
        for size in pages.map(\.size).sorted(by: >) {
            if capacity >= live { break }
            capacity += size
            count += 1
        }
        return count
    }

    /// Pages in the order they are kept: those that cannot be emptied, then fullest first.
    var keepOrder: [Int] {
        func forced(_ p: Int) -> Bool { !pages[p].movable || pages[p].allocations.contains { !$0.movable } }
        return pages.indices.filter { !pages[$0].allocations.isEmpty }.sorted { a, b in
            let fa = forced(a), fb = forced(b)
            if fa != fb { return fa }
            let la = pages[a].liveBytes, lb = pages[b].liveBytes
            if la != lb { return la > lb }
            return a < b
        }
    }

    /// The plan: the fewest kept pages this packing reaches, tried from the lower bound up.
    func plan() -> Plan {
        let order = keepOrder
        let nonEmpty = order.count
        let forcedCount = order.prefix { !pages[$0].movable || pages[$0].allocations.contains { !$0.movable } }.count
        let bound = lowerBound
        var result = Plan(pages: nonEmpty, lowerBound: bound)
        let first = max(bound, forcedCount)
        guard first < nonEmpty else { return result }
        if nonEmpty <= Self.exhaustivePages {
            // Few pages: every choice of pages to keep, the fewest pages first, then the fewest bytes. A choice
            // is simulated only if it could do better than the best so far: its pages hold the live bytes, and
            // the allocations it must move (every one of the pages it does not keep) weigh less than the
            // best plan's moves. The simulations share a budget of work; when it runs out, the best plan
            // found stands, or the search below decides.
            let forced = Array(order.prefix(forcedCount)), free = Array(order.dropFirst(forcedCount))
            let live = pages.reduce(0) { $0 + $1.liveBytes }
            let movedBytes = pages.map { $0.allocations.reduce(0) { $0 + $1.size } }
            var work = Self.exhaustiveWork
            var outOfWork = false
            search: for k in first..<nonEmpty {
                var best: Plan?
                forEachSubset(of: free, size: k - forcedCount) { chosen in
                    guard !outOfWork else { return }
                    let keptPages = forced + chosen
                    guard keptPages.reduce(0, { $0 + pages[$1].size }) >= live else { return }
                    let leaving = free.reduce(0) { chosen.contains($1) ? $0 : $0 + movedBytes[$1] }
                    // Largest first, and (what fills a range whose lowest part a large allocation would leave
                    // unused) smallest first.
                    for smallestFirst in [false, true] {
                        if let best, leaving >= best.bytesMoved { return }
                        guard work > 0 else { outOfWork = true; return }
                        if let plan = simulate(kept: keptPages, smallestFirst: smallestFirst, work: &work),
                           best == nil || plan.bytesMoved < best!.bytesMoved { best = plan }
                    }
                }
                if var best {
                    best.pages = k
                    best.lowerBound = bound
                    return best
                }
                if outOfWork { break search }
            }
            // Every choice was tried: no packing gets there.
            if !outOfWork { return result }
        }
        // Gallop up from the bound, then narrow down between the last failure and the first success.
        var failed = first - 1, step = 1, k = first
        var best: Plan?
        while k < nonEmpty {
            if let plan = simulate(kept: Array(order.prefix(k))) {
                best = plan
                break
            }
            failed = k
            k = min(nonEmpty, k + step)
            step *= 2
        }
        guard var found = best else { return result }
        var high = k
        while high - failed > 1 {
            let mid = (failed + high) / 2
            if let plan = simulate(kept: Array(order.prefix(mid))) { found = plan; high = mid } else { failed = mid }
        }
        found.pages = high
        found.lowerBound = bound
        result = found
        return result
    }

    /// Up to this many non-empty pages, the planner tries every choice of pages to keep, within
    /// ``exhaustiveWork``.
    static let exhaustivePages = 10
    /// The work (allocations placed plus pieces of pages searched for windows) all the choices of pages to
    /// keep may take together; a simulation that would take more stops where it is.
    static let exhaustiveWork = 4_000_000

    private func forEachSubset(of elements: [Int], size: Int, _ body: ([Int]) -> Void) {
        var chosen: [Int] = []
        func recurse(_ start: Int) {
            if chosen.count == size { body(chosen); return }
            guard elements.count - start >= size - chosen.count else { return }
            for i in start..<elements.count {
                chosen.append(elements[i])
                recurse(i + 1)
                chosen.removeLast()
            }
        }
        recurse(0)
    }

    // MARK: simulation

    /// Bytes and alignment a metadata gives a request (VMA's low granularity rounds image-like requests).
    private func request(_ a: PlanAllocation) -> (size: Int, alignment: Int) {
        var size = a.size, alignment = a.alignment
        if granularity > 1 && granularity <= BufferImageGranularity.maxLowGranularity
            && (a.type == .unknown || a.type == .imageUnknown || a.type == .imageOptimal) {
            alignment = max(alignment, granularity)
            size = (size + granularity - 1) & ~(granularity - 1)
        }
        return (size, alignment)
    }

    private struct Item {
        var page: Int
        var index: Int
        var size: Int
        var alignment: Int
    }

    /// An allocation stays where it is, is still to move, moves in the pass being planned, or has moved.
    private enum Status { case stays, pending, leaving, moved }

    /// A span of a kept page, for window searches: free (`size` 0), an allocation that may be cleared
    /// (`size` its bytes, `cost` what clearing it costs), or fixed (`size` -1: kept allocations that may not
    /// move, this run's destinations, reserved windows).
    private struct WindowPiece {
        var start: Int
        var end: Int
        var size: Int
        var cost: Int
    }

    private struct Window {
        var page: Int
        var start: Int
        var end: Int
        var owner: Int
        var outstanding: Int
    }

    /// Plans the passes that move every allocation of the pages not in `kept` into `kept`, or nil when
    /// this packing does not get there.
    func simulate(kept: [Int], smallestFirst: Bool = false) -> Plan? {
        var unlimited = Int.max
        return simulate(kept: kept, smallestFirst: smallestFirst, work: &unlimited)
    }

    /// As `simulate(kept:smallestFirst:)`, taking its work (allocations placed, pieces of pages searched
    /// for windows) out of `work`; nil as soon as `work` runs out.
    func simulate(kept: [Int], smallestFirst: Bool, work: inout Int) -> Plan? {
        var remaining = work
        defer { work = remaining }
        var keptSlot = [Int](repeating: -1, count: pages.count)
        for (slot, p) in kept.enumerated() { keptSlot[p] = slot }
        var holes = kept.map { HoleList(pages[$0].holes) }
        var placed = kept.map { _ in [(offset: Int, size: Int)]() }

        // Items: every allocation, by (page, index); the ones to move are every allocation of the pages not
        // kept, and the kept pages' allocations that windows clear.
        var itemOf: [[Int]] = pages.map { Array(repeating: -1, count: $0.allocations.count) }
        var items: [Item] = []
        var status: [Status] = []
        var queue: [Int] = []
        for p in pages.indices {
            for i in pages[p].allocations.indices {
                let r = request(pages[p].allocations[i])
                itemOf[p][i] = items.count
                items.append(Item(page: p, index: i, size: r.size, alignment: r.alignment))
                status.append(keptSlot[p] >= 0 ? .stays : .pending)
                if keptSlot[p] < 0 { queue.append(items.count - 1) }
            }
        }
        func before(_ a: Int, _ b: Int) -> Bool {
            let x = items[a], y = items[b]
            // Largest first, counting the padding an alignment may cost: a small allocation aligned to 64 KiB
            // left to the end finds no aligned place.
            let kx = x.size + x.alignment - 1, ky = y.size + y.alignment - 1
            if kx != ky { return (kx > ky) != smallestFirst }
            if x.size != y.size { return (x.size > y.size) != smallestFirst }
            if x.alignment != y.alignment { return x.alignment > y.alignment }
            // Then in the engine's walk order: the last page first, the highest offset first.
            if x.page != y.page { return x.page > y.page }
            return x.index > y.index
        }
        queue.sort(by: before)

        var windows: [Window] = []
        var windowOf = [Int](repeating: -1, count: items.count)
        // Each cleared allocation's window (an allocation is cleared at most once: only those that stay
        // are cleared).
        var evicteeWindow: [Int: Int] = [:]
        // Per kept page, its open windows.
        var slotWindows = kept.map { _ in [Int]() }
        var totals = pages.map { PageTotals(count: $0.allocations.count, free: $0.size - $0.liveBytes) }
        var plan = Plan()
        // The pass being planned.
        var moves: [PlannedMove] = []
        var bytes = 0
        var leaving: [Int] = []

        func overlapsReservation(_ slot: Int, _ start: Int, _ end: Int, except owner: Int) -> Bool {
            for w in slotWindows[slot] where windows[w].owner != owner && windows[w].start < end && start < windows[w].end {
                return true
            }
            return false
        }

        typealias Target = (slot: Int, chunk: Int, index: Int, offset: Int)

        /// The kept page whose lowest fitting range leaves the least over, and where.
        func destination(_ item: Int, onlySlot: Int? = nil) -> Target? {
            let it = items[item]
            var best: Target?
            var bestLeft = Int.max
            for slot in onlySlot.map({ $0...$0 }) ?? 0...(kept.count - 1) where holes[slot].largest >= it.size {
                guard let fit = holes[slot].firstFit(size: it.size, alignment: it.alignment) else { continue }
                if overlapsReservation(slot, fit.offset, fit.offset + it.size, except: item) { continue }
                let left = holes[slot].hole(chunk: fit.chunk, index: fit.index).end - fit.offset - it.size
                if left < bestLeft { bestLeft = left; best = (slot, fit.chunk, fit.index, fit.offset) }
            }
            return best
        }

        func fitsBudget(_ item: Int) -> Bool {
            moves.count < maxPassAllocations && pages[items[item].page].allocations[items[item].index].size <= maxPassBytes - bytes
        }

        // Per kept page, the pieces that cover it, for window searches. Dropped whenever the page changes.
        var pieceCache: [[WindowPiece]?] = kept.map { _ in nil }
        func changed(_ page: Int) { if keptSlot[page] >= 0 { pieceCache[keptSlot[page]] = nil } }

        func place(_ item: Int, _ target: Target) {
            let it = items[item]
            pieceCache[target.slot] = nil
            changed(it.page)
            let allocation = pages[it.page].allocations[it.index]
            holes[target.slot].carve(chunk: target.chunk, index: target.index, offset: target.offset, size: it.size)
            placed[target.slot].append((target.offset, it.size))
            let destinationPage = kept[target.slot]
            moves.append(PlannedMove(userData: allocation.userData, source: it.page, destination: destinationPage,
                                     offset: target.offset, size: allocation.size))
            bytes += allocation.size
            totals[destinationPage].count += 1
            totals[destinationPage].free -= it.size
            status[item] = .leaving
            leaving.append(item)
        }

        /// Takes back the last `place`.
        func unplace(_ item: Int) {
            let it = items[item]
            let move = moves.removeLast()
            let slot = keptSlot[move.destination]
            pieceCache[slot] = nil
            changed(it.page)
            holes[slot].free(start: move.offset, end: move.offset + it.size)
            placed[slot].removeLast()
            bytes -= move.size
            totals[move.destination].count -= 1
            totals[move.destination].free += it.size
            leaving.removeLast()
        }

        /// Per kept page, pieces that cover it by offset (built when the cache was dropped).
        func pieces(_ slot: Int) -> [WindowPiece] {
            if let cached = pieceCache[slot] { return cached }
            let p = kept[slot]
            var occupants: [WindowPiece] = []
            for (i, a) in pages[p].allocations.enumerated() {
                let s = status[itemOf[p][i]]
                if s == .moved { continue }
                let evictable = s == .stays && a.movable
                // The cost counts the padding the allocation may need where it goes: moving it must be
                // possible.
                occupants.append(WindowPiece(start: a.offset, end: a.offset + a.regionSize, size: evictable ? a.regionSize : -1,
                                             cost: a.regionSize + a.alignment - 1))
            }
            for q in placed[slot] { occupants.append(WindowPiece(start: q.offset, end: q.offset + q.size, size: -1, cost: 0)) }
            for w in slotWindows[slot] { occupants.append(WindowPiece(start: windows[w].start, end: windows[w].end, size: -1, cost: 0)) }
            occupants.sort { $0.start < $1.start }
            // The free bytes between them are pieces that cost nothing.
            var pieces: [WindowPiece] = []
            pieces.reserveCapacity(2 * occupants.count + 1)
            var cursor = 0
            for o in occupants {
                if o.start > cursor { pieces.append(WindowPiece(start: cursor, end: o.start, size: 0, cost: 0)) }
                if o.end > cursor {
                    pieces.append(WindowPiece(start: max(o.start, cursor), end: o.end, size: o.size, cost: o.cost))
                    cursor = o.end
                }
            }
            if cursor < pages[p].size { pieces.append(WindowPiece(start: cursor, end: pages[p].size, size: 0, cost: 0)) }
            pieceCache[slot] = pieces
            return pieces
        }

        /// The cheapest span of each kept page to clear for `item`, cheapest first.
        func windowCandidates(_ item: Int, limit: Int) -> [(slot: Int, offset: Int, cost: Int)] {
            let it = items[item]
            var candidates: [(slot: Int, offset: Int, cost: Int)] = []
            for slot in kept.indices {
                let p = kept[slot]
                guard pages[p].movable, pages[p].size >= it.size else { continue }
                let slotPieces = pieces(slot)
                remaining -= slotPieces.count
                if let best = Self.cheapestWindow(slotPieces, size: it.size,
                                                  alignment: it.alignment, limit: limit) {
                    candidates.append((slot, best.offset, best.cost))
                }
            }
            return candidates.sorted { $0.cost != $1.cost ? $0.cost < $1.cost : $0.slot < $1.slot }
        }

        /// Clears a window for `item` whose allocations all find a place in this pass, and reserves it.
        func openWindow(_ item: Int) -> Bool {
            let it = items[item]
            // Clearing only allocations much smaller than the item first: they find places easily.
            // A small allocation aligned to more than its size may clear an allocation up to its alignment.
            let limits = [it.size / 4, it.size / 2, it.size] + (it.alignment > it.size ? [it.alignment, 4 * it.alignment] : [])
            let candidates = limits.lazy.map { windowCandidates(item, limit: $0).prefix(8) }.joined()
            for candidate in candidates {
                let p = kept[candidate.slot]
                let end = candidate.offset + it.size
                var evictees: [Int] = []
                for (i, a) in pages[p].allocations.enumerated() where a.offset < end && candidate.offset < a.offset + a.regionSize {
                    let e = itemOf[p][i]
                    if status[e] == .stays { evictees.append(e) }
                }
                evictees.sort(by: before)
                // A failed attempt is taken back exactly: the pieces before it hold again.
                let savedPieces = pieceCache
                let w = windows.count
                pieceCache[candidate.slot] = nil
                windows.append(Window(page: candidate.slot, start: candidate.offset, end: end, owner: item,
                                      outstanding: evictees.count))
                slotWindows[candidate.slot].append(w)
                var moved: [Int] = []
                for e in evictees {
                    guard fitsBudget(e), let target = destination(e) else { break }
                    place(e, target)
                    moved.append(e)
                }
                if moved.count == evictees.count {
                    for e in evictees { evicteeWindow[e] = w }
                    windowOf[item] = w
                    return true
                }
                for e in moved.reversed() { unplace(e); status[e] = .stays }
                windows.removeLast()
                slotWindows[candidate.slot].removeLast()
                pieceCache = savedPieces
            }
            return false
        }

        var waitingOwners: [Int] = []
        while !queue.isEmpty || !waitingOwners.isEmpty {
            // This pass: the owners of windows, then the queue, largest first.
            let list = waitingOwners.sorted(by: before) + queue
            waitingOwners.removeAll()
            queue.removeAll()
            moves.removeAll()
            bytes = 0
            leaving.removeAll()
            for (position, item) in list.enumerated() {
                remaining -= 1
                if remaining < 0 { return nil }
                if moves.count >= maxPassAllocations || bytes >= maxPassBytes {
                    // The pass is full: the rest waits, in order.
                    for rest in list[position...] {
                        if windowOf[rest] >= 0 { waitingOwners.append(rest) } else { queue.append(rest) }
                    }
                    break
                }
                guard fitsBudget(item) else {
                    if windowOf[item] >= 0 { waitingOwners.append(item) } else { queue.append(item) }
                    continue
                }
                let ownWindow = windowOf[item]
                let ready = ownWindow >= 0 && windows[ownWindow].outstanding == 0
                if ownWindow >= 0 && !ready {
                    waitingOwners.append(item)
                    continue
                }
                if let target = ready ? destination(item, onlySlot: windows[ownWindow].page) ?? destination(item) : destination(item) {
                    if ownWindow >= 0 {
                        slotWindows[windows[ownWindow].page].removeAll { $0 == ownWindow }
                        pieceCache[windows[ownWindow].page] = nil
                        windows[ownWindow].page = -1
                        windowOf[item] = -1
                    }
                    place(item, target)
                } else if ownWindow < 0 && keptSlot[items[item].page] < 0 && openWindow(item) {
                    waitingOwners.append(item)
                } else if ownWindow >= 0 {
                    waitingOwners.append(item)
                } else {
                    queue.append(item)
                }
            }
            if moves.isEmpty {
                return nil
            }
            // The pass completes: sources are freed.
            for item in leaving {
                let it = items[item]
                let a = pages[it.page].allocations[it.index]
                status[item] = .moved
                changed(it.page)
                totals[it.page].count -= 1
                totals[it.page].free += a.regionSize
                if keptSlot[it.page] >= 0 {
                    holes[keptSlot[it.page]].free(start: a.offset, end: a.offset + a.regionSize)
                }
                if let w = evicteeWindow.removeValue(forKey: item) { windows[w].outstanding -= 1 }
            }
            // The queue is what was left of the sorted list, in its order: still sorted.
            plan.passes.append(moves)
            plan.expected.append(totals)
        }
        return plan
    }

    /// The cheapest span `[offset, offset + size)` of a page to clear, `offset` aligned: free pieces cost
    /// nothing, an allocation of at most `limit` bytes costs its `cost`, anything else blocks. Works on its
    /// arguments only (no captured state, so no exclusivity checks in the loop).
    private static func cheapestWindow(_ pieces: [WindowPiece], size: Int, alignment: Int, limit: Int) -> (offset: Int, cost: Int)? {
        pieces.withUnsafeBufferPointer { pieces in
            // A piece blocks when it is fixed (size -1, which is above any limit as unsigned) or too large.
            let limit = UInt(limit)
            func blocks(_ piece: WindowPiece) -> Bool { UInt(bitPattern: piece.size) > limit }
            // Sliding window over the pieces: [i, j) with their cost.
            var bestOffset = 0, bestCost = Int.max
            var j = 0, cost = 0
            let mask = alignment - 1
            let count = pieces.count
            for i in 0..<count {
                if blocks(pieces[i]) { continue }
                if j <= i { j = i; cost = 0 }
                let offset = (pieces[i].start + mask) & ~mask
                let need = offset + size
                while j < count && (j == i || pieces[j - 1].end < need) && !blocks(pieces[j]) {
                    cost += pieces[j].cost
                    j += 1
                }
                if j > i && pieces[j - 1].end >= need && cost < bestCost { bestOffset = offset; bestCost = cost }
                if j > i { cost -= pieces[i].cost }
            }
            return bestCost == Int.max ? nil : (bestOffset, bestCost)
        }
    }
}
