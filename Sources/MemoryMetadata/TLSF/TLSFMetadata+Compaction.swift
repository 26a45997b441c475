// Node storage keeps its high-water mark: a released node waits on a chain for reuse and the array never
// shrinks. After a workload frees much of what it allocated (`scale` allocates 250k and frees half), most
// of the storage can be released nodes. Compaction copies the live nodes into a new, tight array in
// physical order (neighbours in the page become neighbours in memory) and relinks them. Placement does not
// depend on node numbers, only on the free lists' order and the physical list, which it keeps, so every
// later answer is the same as without it.
//
// Renumbering invalidates handles, so the page takes a new owner tag (every handle issued before is
// refused from then on) and tells the caller each allocation's new handle. Only a caller that holds every
// handle of the page, and no request in flight, may compact: the pool, outside defragmentation runs.

extension TLSFMetadata {
    /// Nodes in the page: allocations, free ranges and the tail.
    public var liveNodeCount: Int { allocCount + blocksFreeCount + 1 }

    /// Nodes released and waiting for reuse.
    public var releasedNodeCount: Int { nodes.count - liveNodeCount }

    /// Whether ``compact(reissue:)`` would give back a good share of node storage: released nodes are more
    /// than a quarter of the live ones, and at least 64 (on small pages, compacting every few dozen frees
    /// cost more time than the bytes were worth).
    public var wantsCompaction: Bool {
        let released = releasedNodeCount
        return released >= 64 && released * 4 > liveNodeCount
    }

    /// Renumbers the live nodes into a tight array and calls `reissue` with every allocation's user data
    /// and new handle. Every handle issued before, and every allocation request made before, is refused
    /// afterwards.
    public func compact(reissue: (_ userData: Int, _ handle: AllocationHandle) -> Void) {
        let live = liveNodeCount
        var newIndex = [Int32](repeating: Self.none, count: nodes.count)
        // Through the buffers: every element write of an array checks it is unique, and this touches
        // every node.
        let renumbered = nodes.withUnsafeBufferPointer { old in
            newIndex.withUnsafeMutableBufferPointer { map in
                [Node](unsafeUninitializedCapacity: min(nodeLimit, live + live / 8 + 16)) { buffer, count in
                    var b = headBlock, k = 0
                    while b != Self.none {
                        precondition(k < live, "TLSF: more nodes in the physical list than the \(live) counted")
                        map[Int(b)] = Int32(k)
                        (buffer.baseAddress! + k).initialize(to: old[Int(b)])
                        b = old[Int(b)].nextPhysical
                        k += 1
                    }
                    precondition(k == live, "TLSF: \(k) nodes in the physical list, \(live) counted")
                    for i in 0..<k {
                        buffer[i].prevPhysical = i == 0 ? Self.none : Int32(i - 1)
                        buffer[i].nextPhysical = i == k - 1 ? Self.none : Int32(i + 1)
                        buffer[i].generation = 0
                        if !buffer[i].taken {
                            let prev = buffer[i].prevFree, next = buffer[i].nextFree
                            buffer[i].prevFree = prev == Self.none ? Self.none : map[Int(prev)]
                            buffer[i].nextFree = next == Self.none ? Self.none : map[Int(next)]
                        }
                    }
                    count = k
                }
            }
        }
        @inline(__always) func map(_ i: Int32) -> Int32 { i == Self.none ? Self.none : newIndex[Int(i)] }
        var aside: [Int32: Int] = [:]
        for (old, value) in largeUserData { aside[newIndex[Int(old)]] = value }
        for r in lists.indices { lists[r].head = map(lists[r].head) }
        nodes = renumbered
        largeUserData = aside
        nullBlock = Int32(live - 1)
        headBlock = 0
        recycledHead = Self.none
        owner = OwnerTag.next()
        // Rebuilt at the next min-offset request (its entries name nodes).
        offsetIndex = nil
        for i in nodes.indices where nodes[i].taken { reissue(userData(ofNode: Int32(i)), handle(Int32(i))) }
    }
}
