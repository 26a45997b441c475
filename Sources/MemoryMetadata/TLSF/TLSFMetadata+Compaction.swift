// Node storage: a released node waits on a chain for reuse, so the array keeps its high-water mark. After
// a workload frees much of what it allocated (`scale` allocates 250k and frees half), or on a page whose
// node count swings (`churn`: a few dozen allocations per 32 MiB page, where every slot counts), much of
// the storage can be released nodes. Compaction gives it back, two ways:
//
// - a small page (under 1024 nodes) is kept tight: its last nodes move into the released slots and the
//   array is cut after them, a few link updates per released node. A moved allocation has a new handle:
//   the caller gets it. Its old handle is refused: it names a slot past the end, and when the array grows
//   back over that slot, the new node there takes the generation after the one it had
//   (``TLSFMetadata/retiredGenerations``). The other handles stay valid, unless the page has cut off more
//   slots than half the nodes it has: then it forgets them, takes a new owner tag (refusing every handle
//   issued before) and reissues every allocation's handle.
// - a large page compacts less often, and renumbers every node in physical order (neighbours in the page
//   become neighbours in memory, which its long walks feel), with a new owner tag and every handle
//   reissued.
//
// Placement does not depend on node numbers, only on the free lists' order and the physical list, which
// compaction keeps, so every later answer is the same as without it. Only a caller that holds every
// handle of the page, and no request in flight, may compact: the pool, outside defragmentation runs.

extension TLSFMetadata {
    /// Nodes in the page: allocations, free ranges and the tail.
    public var liveNodeCount: Int { allocCount + blocksFreeCount + 1 }

    /// Nodes released and waiting for reuse.
    public var releasedNodeCount: Int { nodes.count - liveNodeCount }

    /// Whether ``compact(reissue:)`` would give back storage worth its cost: released nodes are a sixteenth
    /// of the live ones on a small page (a quarter on a large one), or storage exceeds `shrinkLimit(_:)`.
    /// It costs a few link updates per released node, so the pool asks after every free.
    public var wantsCompaction: Bool {
        let released = releasedNodeCount
        return (released > 0 && released * (Self.isSmall(nodes.count) ? 16 : 4) >= liveNodeCount)
            || nodes.capacity > Self.shrinkLimit(nodes.count)
    }

    // Node storage policy. Small pages (fewer than 1024 nodes: `churn` has a few dozen allocations per
    // 32 MiB page) are kept tight, since their few nodes are most of their metadata and copying them is
    // cheap; large ones (`scale`: some 14k nodes per page) grow by half and compact less often, since
    // each growth copies the whole array and each compaction renumbers it and reissues every handle.

    @inline(__always)
    static func isSmall(_ count: Int) -> Bool { count < 1024 }

    /// Storage for `count` nodes, with a little room to grow.
    @inline(__always)
    static func tightCapacity(_ count: Int) -> Int { count + count / 16 + 4 }

    /// Storage for a full array of `count` nodes to grow to.
    @inline(__always)
    static func grownNodeCapacity(_ count: Int) -> Int { isSmall(count) ? count + count / 16 + 4 : count + count / 2 + 8 }

    /// Storage above this for `count` nodes is given back by compaction.
    @inline(__always)
    static func shrinkLimit(_ count: Int) -> Int { tightCapacity(count) + (isSmall(count) ? count / 16 + 4 : count / 2 + 8) }

    /// Leaves the array holding the live nodes only, in storage of at most `shrinkLimit(_:)`, and calls
    /// `reissue` with the user data and new handle of every allocation that has one: on a small page those
    /// that moved, or all of them when it forgets the slots it cut off; on a large page all of them (every
    /// handle issued before is refused then). Requests made before are refused if their range moved.
    public func compact(reissue: (_ userData: Int, _ handle: AllocationHandle) -> Void) {
        changeCount &+= 1
        if !Self.isSmall(nodes.count) { return renumberInPhysicalOrder(reissue: reissue) }
        let live = liveNodeCount, count = nodes.count
        if count > live {
            // Slots live..<count go: their live nodes move into the released slots below `live`, taken
            // from the chain in order (a move overwrites the slot's chain link, read first; the chain's
            // slots at or above `live` are cut off untouched).
            var chain = recycledHead
            for slot in live..<count where nodes[slot].live {
                while chain != Self.none && Int(chain) >= live { chain = nodes[Int(chain)].nextFree }
                precondition(chain != Self.none, "TLSF: fewer released slots below \(live) than live nodes above it")
                let hole = chain
                chain = nodes[Int(hole)].nextFree
                moveNode(Int32(slot), to: hole, reissue: reissue)
            }
            // The next node in each slot cut off takes the generation after the last it issued (a released
            // slot was bumped when released; a slot whose node moved away was not). The last entry is for
            // the slot at the new end.
            for slot in stride(from: count - 1, through: live, by: -1) {
                let node = nodes[slot]
                retiredGenerations.append(UInt16(truncatingIfNeeded: node.live ? node.generation &+ 1 : node.generation))
            }
            nodes.removeLast(count - live)
            recycledHead = Self.none
        }
        if nodes.capacity > Self.shrinkLimit(nodes.count) { nodes.resize(to: Self.tightCapacity(nodes.count)) }
        // The page once had many more nodes: rather than keep the generations of that many slots, it
        // refuses every handle from before.
        if retiredGenerations.count > nodes.count / 2 + 32 { reissueEveryHandle(reissue) }
    }

    /// Takes a new owner tag, so that every handle issued before is refused (the generations of the slots
    /// cut off are no longer needed), and gives every allocation a new handle.
    private func reissueEveryHandle(_ reissue: (_ userData: Int, _ handle: AllocationHandle) -> Void) {
        retiredGenerations = []
        owner = OwnerTag.next()
        for i in nodes.indices where nodes[i].taken { reissue(userData(ofNode: Int32(i)), handle(Int32(i))) }
    }

    /// A large page's compaction: the live nodes are copied in physical order (neighbours in the page
    /// become neighbours in memory, which the walks of defragmentation and of long free lists feel), into
    /// tight storage. Every node is renumbered: the page takes a new owner tag and reissues every handle.
    private func renumberInPhysicalOrder(reissue: (_ userData: Int, _ handle: AllocationHandle) -> Void) {
        let live = liveNodeCount, count = nodes.count
        var renumbered = Table<Node>(capacity: Self.tightCapacity(live))
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: count) { newIndex in
            var b = headBlock
            while b != Self.none {
                precondition(renumbered.count < live, "TLSF: more nodes in the physical list than the \(live) counted")
                newIndex[Int(b)] = Int32(renumbered.count)
                renumbered.append(nodes[Int(b)])
                b = nodes[Int(b)].nextPhysical
            }
            precondition(renumbered.count == live, "TLSF: \(renumbered.count) nodes in the physical list, \(live) counted")
            @inline(__always) func map(_ i: Int32) -> Int32 { i == Self.none ? Self.none : newIndex[Int(i)] }
            for i in 0..<live {
                renumbered[i].prevPhysical = i == 0 ? Self.none : Int32(i - 1)
                renumbered[i].nextPhysical = i == live - 1 ? Self.none : Int32(i + 1)
                renumbered[i].generation = 0
                if !renumbered[i].taken {
                    renumbered[i].prevFree = map(renumbered[i].prevFree)
                    renumbered[i].nextFree = map(renumbered[i].nextFree)
                }
            }
            for r in lists.indices { lists[r].head = map(lists[r].head) }
            for i in skipStretches.indices {
                skipStretches[i].first = map(skipStretches[i].first)
                skipStretches[i].end = map(skipStretches[i].end)
            }
            remarkSkipStretchBoundaries()
            var aside: [Int32: Int] = [:]
            for (old, value) in largeUserData { aside[map(old)] = value }
            largeUserData = aside
        }
        nodes = renumbered
        nullBlock = Int32(live - 1)
        headBlock = 0
        recycledHead = Self.none
        // Rebuilt at the next min-offset request (its entries name nodes).
        offsetIndex = nil
        reissueEveryHandle(reissue)
    }

    /// Moves live node `from` into released slot `to`, relinking its neighbours, its list and the offset
    /// index, and reissuing its handle if it is an allocation.
    private func moveNode(_ from: Int32, to: Int32, reissue: (_ userData: Int, _ handle: AllocationHandle) -> Void) {
        let f = Int(from), t = Int(to)
        let node = nodes[f]
        let inList = !node.taken && from != nullBlock
        if inList && offsetIndex != nil { indexRemove(from) }
        let generation = nodes[t].generation
        nodes[t] = node
        nodes[t].generation = generation
        if node.prevPhysical != Self.none { nodes[Int(node.prevPhysical)].nextPhysical = to }
        if node.nextPhysical != Self.none { nodes[Int(node.nextPhysical)].prevPhysical = to }
        if inList {
            if node.nextFree != Self.none { nodes[Int(node.nextFree)].prevFree = to }
            if node.prevFree != Self.none { nodes[Int(node.prevFree)].nextFree = to }
        }
        if node.prevPhysical == Self.none { headBlock = to }
        if from == nullBlock { nullBlock = to }
        if inList {
            if node.prevFree == Self.none {
                let memoryClass = Self.sizeToMemoryClass(node.size)
                let r = rank(memoryClass, Self.sizeToSecondIndex(node.size, memoryClass))
                precondition(lists[r].head == from, "TLSF: free range at offset \(node.offset) is not at the head of its list")
                lists[r].head = to
            }
            if offsetIndex != nil { indexInsert(to) }
            if isSkipStretchBoundary(from) {
                unmarkSkipStretchBoundary(from)
                markSkipStretchBoundary(to)
                for i in skipStretches.indices {
                    if skipStretches[i].first == from { skipStretches[i].first = to }
                    if skipStretches[i].end == from { skipStretches[i].end = to }
                }
            }
        } else if node.taken {
            if node.inlineUserData == Node.userDataAside { largeUserData[to] = largeUserData.removeValue(forKey: from) }
            reissue(userData(ofNode: to), handle(to))
        }
    }
}
