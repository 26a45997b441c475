// The optimal algorithm inside the engine: snapshot the pool, plan every pass up front (PackingPlanner),
// then hand the plan out one pass per collect, checking each destination against the real metadata.
import MemoryMetadata

/// What the optimal algorithm keeps between passes.
@usableFromInline
struct PlannerState {
    var plan: Plan?
    /// The snapshot's pages by identity (a plan names pages by snapshot index).
    var pageIDs: [ObjectIdentifier] = []
    /// The next pass of the plan to hand out.
    var next = 0
    /// The budget and immovable pages the plan was made for.
    var maxPassBytes = 0
    var maxPassAllocations = 0
    var immovableCount = 0
    /// The real metadata answered differently from the plan: plan again from what is there.
    var stale = false
    /// Plans made in this run; a run that keeps diverging stops planning after ``replanLimit``.
    var plans = 0

    static let replanLimit = 64

    @usableFromInline init() {}
}

/// What the planner finds for a pool, without moving anything.
public struct PlanSummary: Sendable, Hashable {
    /// The fewest pages the live bytes fit in (by size alone).
    public var lowerBound: Int
    /// Non-empty pages now.
    public var pagesBefore: Int
    /// Non-empty pages after the plan.
    public var pagesAfter: Int
    /// Bytes the plan moves.
    public var bytesMoved: Int
    /// Passes the plan takes within its budget.
    public var passes: Int

    public init(lowerBound: Int, pagesBefore: Int, pagesAfter: Int, bytesMoved: Int, passes: Int) {
        self.lowerBound = lowerBound
        self.pagesBefore = pagesBefore
        self.pagesAfter = pagesAfter
        self.bytesMoved = bytesMoved
        self.passes = passes
    }
}

/// A pool's pages as the planner sees them, copied out of the pool: plan them later, on any thread, while
/// the pool goes on changing.
public struct PlannerInput: Sendable {
    let pages: [PlanPage]
    let granularity: Int

    /// What the optimal algorithm would reach from these pages with this budget (``PlanSummary``).
    public func summary(maxPassBytes: Int = .max, maxPassAllocations: Int = .max) -> PlanSummary {
        let plan = PackingPlanner(pages: pages, maxPassBytes: maxPassBytes, maxPassAllocations: maxPassAllocations,
                                  granularity: granularity).plan()
        return PlanSummary(lowerBound: plan.lowerBound, pagesBefore: pages.filter { !$0.allocations.isEmpty }.count,
                           pagesAfter: plan.pages, bytesMoved: plan.bytesMoved, passes: plan.passes.count)
    }
}

extension PlanSummary {
    /// The summaries of several pools together (pages, bytes and bounds add up; passes are the longest).
    public static func combined(_ summaries: [PlanSummary]) -> PlanSummary {
        summaries.reduce(PlanSummary(lowerBound: 0, pagesBefore: 0, pagesAfter: 0, bytesMoved: 0, passes: 0)) {
            PlanSummary(lowerBound: $0.lowerBound + $1.lowerBound, pagesBefore: $0.pagesBefore + $1.pagesBefore,
                        pagesAfter: $0.pagesAfter + $1.pagesAfter, bytesMoved: $0.bytesMoved + $1.bytesMoved,
                        passes: max($0.passes, $1.passes))
        }
    }
}

extension MetadataDefragContext {
    /// Plans the pool as the optimal algorithm would at the start of a run with this budget, and tells what
    /// it would reach. Reads the pool only (no lock is taken: call it while nothing else changes the pool).
    public static func planSummary(_ blockList: List, maxPassBytes: Int = .max, maxPassAllocations: Int = .max) -> PlanSummary {
        plannerInput(blockList).summary(maxPassBytes: maxPassBytes, maxPassAllocations: maxPassAllocations)
    }

    /// The pool's pages as the planner sees them at the start of a run (nothing planned yet, no page
    /// immovable), to plan later. Reads the pool only, in time linear in its allocations.
    public static func plannerInput(_ blockList: List) -> PlannerInput {
        PlannerInput(pages: snapshot(blockList, sentinel: .min, immovable: []), granularity: blockList.bufferImageGranularity)
    }

    /// Every page as the planner sees it.
    static func snapshot(_ blockList: List, sentinel: Int, immovable: Set<ObjectIdentifier>) -> [PlanPage] {
        var pages: [PlanPage] = []
        pages.reserveCapacity(blockList.blockCount)
        for index in 0..<blockList.blockCount {
            let metadata = blockList.metadata(forBlock: index)
            var allocations: [PlanAllocation] = []
            var holes: [Hole] = []
            allocations.reserveCapacity(metadata.allocationCount)
            metadata.visitAllRegions { region in
                if region.isFree {
                    holes.append(Hole(start: region.offset, end: region.offset + region.size))
                } else if region.userData == sentinel || region.userData < 0 {
                    allocations.append(PlanAllocation(userData: region.userData, offset: region.offset, regionSize: region.size,
                                                      size: region.size, alignment: 1, type: region.type, movable: false))
                } else {
                    let data = blockList.moveData(forUserData: region.userData)
                    allocations.append(PlanAllocation(userData: region.userData, offset: region.offset, regionSize: region.size,
                                                      size: data.move.size, alignment: data.alignment,
                                                      type: data.suballocationType, movable: true))
                }
            }
            allocations.reverse()
            holes.reverse()
            pages.append(PlanPage(id: ObjectIdentifier(metadata), size: metadata.size, allocations: allocations,
                                  holes: holes, movable: !immovable.contains(ObjectIdentifier(metadata))))
        }
        return pages
    }

    /// Optimal: one pass of the plan, planning first when there is no plan or the pool is not as planned.
    @usableFromInline func computeOptimal(_ pass: inout PassContext) {
        if !planHolds(pass) {
            guard replan(pass) else { return }
        }
        if collectPlannedPass(&pass) == 0 && planner.stale {
            // The first move already differed: plan once more from the pool as it is.
            guard replan(pass) else { return }
            _ = collectPlannedPass(&pass)
        }
    }

    private func replan(_ pass: PassContext) -> Bool {
        guard planner.plans < PlannerState.replanLimit else {
            planner.plan = nil
            return false
        }
        let pages = Self.snapshot(blockList, sentinel: sentinel, immovable: immovablePages)
        let planner = PackingPlanner(pages: pages, maxPassBytes: pass.maxPassBytes, maxPassAllocations: pass.maxPassAllocations,
                                     granularity: blockList.bufferImageGranularity)
        let plans = self.planner.plans + 1
        self.planner = PlannerState()
        self.planner.plan = planner.plan()
        self.planner.pageIDs = pages.map(\.id)
        self.planner.maxPassBytes = pass.maxPassBytes
        self.planner.maxPassAllocations = pass.maxPassAllocations
        self.planner.immovableCount = immovablePages.count
        self.planner.plans = plans
        return true
    }

    /// Whether the pool is as the plan expects after the passes handed out so far, with the same budget.
    private func planHolds(_ pass: PassContext) -> Bool {
        guard let plan = planner.plan, !planner.stale, planner.maxPassBytes == pass.maxPassBytes,
              planner.maxPassAllocations == pass.maxPassAllocations, planner.immovableCount == immovablePages.count else {
            return false
        }
        guard planner.next > 0 else { return true }
        let expected = plan.expected[planner.next - 1]
        var seen = 0
        let position = Dictionary(uniqueKeysWithValues: planner.pageIDs.enumerated().map { ($1, $0) })
        for index in 0..<blockList.blockCount {
            let metadata = blockList.metadata(forBlock: index)
            guard let p = position[ObjectIdentifier(metadata)] else {
                if metadata.isEmpty { continue }
                return false
            }
            seen += 1
            if expected[p] != PageTotals(count: metadata.allocationCount, free: metadata.sumFreeSize) { return false }
        }
        // A page the pool released must have been emptied by the plan.
        if seen < planner.pageIDs.count {
            let present = Set((0..<blockList.blockCount).map { ObjectIdentifier(blockList.metadata(forBlock: $0)) })
            for (p, id) in planner.pageIDs.enumerated() where !present.contains(id) && expected[p].count != 0 { return false }
        }
        return true
    }

    /// Commits the plan's next pass; stops at the first move the pool answers differently (the plan is then
    /// stale). Returns the moves collected.
    private func collectPlannedPass(_ pass: inout PassContext) -> Int {
        guard let plan = planner.plan, planner.next < plan.passes.count else { return 0 }
        let planned = plan.passes[planner.next]
        planner.next += 1
        var indexOf: [ObjectIdentifier: Int] = [:]
        for index in 0..<blockList.blockCount { indexOf[ObjectIdentifier(blockList.metadata(forBlock: index))] = index }
        var collected = 0
        for move in planned {
            guard let destination = indexOf[planner.pageIDs[move.destination]] else { planner.stale = true; break }
            var data = blockList.moveData(forUserData: move.userData)
            guard ObjectIdentifier(data.move.sourceMetadata) == planner.pageIDs[move.source],
                  !isImmovable(data.move.sourceMetadata),
                  data.move.size <= pass.maxPassBytes - pass.stats.bytesMoved,
                  pass.stats.allocationsMoved < pass.maxPassAllocations else { planner.stale = true; break }
            let metadata = blockList.metadata(forBlock: destination)
            visitedAllocationFailed = false
            let request: AllocationRequest?
            do {
                request = try metadata.createAllocationRequest(
                    size: data.move.size, alignment: data.alignment, upperAddress: false, type: data.suballocationType,
                    strategy: .minOffset, maxOffset: .max)
            } catch {
                // The block list described the allocation in a way the metadata refuses: recorded, as the
                // other algorithms do, and the plan is made again without trusting this one.
                recordFailure(data, .requestRefused(page: destination, size: data.move.size, underlying: error))
                planner.stale = true
                break
            }
            // A different answer than planned (or none): the plan no longer matches the pool.
            guard let request, request.offset == move.offset else { planner.stale = true; break }
            // A failed commit is recorded by `commit` (a device failure, not "does not fit").
            guard let passOver = commit(request, destination, metadata, &data, &pass) else { planner.stale = true; break }
            collected += 1
            if passOver { break }
        }
        return collected
    }
}
