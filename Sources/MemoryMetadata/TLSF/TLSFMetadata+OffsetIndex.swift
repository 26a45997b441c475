// An index over the free ranges by offset, so that a min-offset request ("the lowest free range that
// holds this") costs O(log n) instead of VMA's walk over every range of the page (which made VMA need
// 43.6 s to plan the `scale` trace). It answers exactly what VMA's walk answers: the free ranges of at
// least the requested size, in ascending offset, each checked in turn.
//
// A treap keyed by offset, augmented with the largest size in each subtree. It is built the first time a
// page gets a min-offset request (defragmentation) and maintained from then on, so replaying a workload
// pays nothing for it. Its fields live in side arrays indexed like the nodes.

extension TLSFMetadata {
    struct OffsetIndex {
        var left: [Int32] = []
        var right: [Int32] = []
        var priority: [UInt32] = []
        var maxSize: [Int] = []
        var root: Int32 = -1
        var seed: UInt32 = 0x9E37_79B9

        mutating func nextPriority() -> UInt32 {
            seed ^= seed << 13
            seed ^= seed >> 17
            seed ^= seed << 5
            return seed
        }
    }

    /// Builds the index from the current free ranges.
    func enableOffsetIndex() {
        var index = OffsetIndex()
        index.left = Array(repeating: Self.none, count: nodes.count)
        index.right = Array(repeating: Self.none, count: nodes.count)
        index.priority = Array(repeating: 0, count: nodes.count)
        index.maxSize = Array(repeating: 0, count: nodes.count)
        offsetIndex = index
        var b = headBlock
        while b != Self.none && b != nullBlock {
            if !nodes[Int(b)].taken { indexInsert(b) }
            b = nodes[Int(b)].nextPhysical
        }
    }

    /// Keeps the side arrays as long as the node array.
    func indexGrow() {
        guard offsetIndex != nil else { return }
        while offsetIndex!.left.count < nodes.count {
            offsetIndex!.left.append(Self.none)
            offsetIndex!.right.append(Self.none)
            offsetIndex!.priority.append(0)
            offsetIndex!.maxSize.append(0)
        }
    }

    private func update(_ t: Int32) {
        let i = Int(t)
        var m = nodes[i].size
        let l = offsetIndex!.left[i], r = offsetIndex!.right[i]
        if l != Self.none { m = max(m, offsetIndex!.maxSize[Int(l)]) }
        if r != Self.none { m = max(m, offsetIndex!.maxSize[Int(r)]) }
        offsetIndex!.maxSize[i] = m
    }

    /// Splits `t` into keys below `key` and keys at or above it.
    private func split(_ t: Int32, _ key: Int) -> (Int32, Int32) {
        if t == Self.none { return (Self.none, Self.none) }
        let i = Int(t)
        if nodes[i].offset < key {
            let (l, r) = split(offsetIndex!.right[i], key)
            offsetIndex!.right[i] = l
            update(t)
            return (t, r)
        } else {
            let (l, r) = split(offsetIndex!.left[i], key)
            offsetIndex!.left[i] = r
            update(t)
            return (l, t)
        }
    }

    private func merge(_ a: Int32, _ b: Int32) -> Int32 {
        if a == Self.none { return b }
        if b == Self.none { return a }
        if offsetIndex!.priority[Int(a)] > offsetIndex!.priority[Int(b)] {
            offsetIndex!.right[Int(a)] = merge(offsetIndex!.right[Int(a)], b)
            update(a)
            return a
        } else {
            offsetIndex!.left[Int(b)] = merge(a, offsetIndex!.left[Int(b)])
            update(b)
            return b
        }
    }

    /// Adds a free range (not the tail) to the index.
    func indexInsert(_ block: Int32) {
        guard offsetIndex != nil else { return }
        indexGrow()
        let i = Int(block)
        offsetIndex!.left[i] = Self.none
        offsetIndex!.right[i] = Self.none
        offsetIndex!.priority[i] = offsetIndex!.nextPriority()
        offsetIndex!.maxSize[i] = nodes[i].size
        let (l, r) = split(offsetIndex!.root, nodes[i].offset)
        offsetIndex!.root = merge(merge(l, block), r)
    }

    /// Removes a free range from the index (its offset must be the one it was inserted with).
    func indexRemove(_ block: Int32) {
        guard offsetIndex != nil else { return }
        let key = nodes[Int(block)].offset
        let (l, r) = split(offsetIndex!.root, key)
        let (m, r2) = split(r, key + 1)
        precondition(m == block, "TLSF offset index: free range at offset \(key) is not indexed")
        offsetIndex!.root = merge(l, r2)
    }

    /// The free range of lowest offset at or above `low` whose size is at least `size`.
    func indexFirstFit(atOrAbove low: Int, size: Int) -> Int32 {
        var t = offsetIndex!.root
        // Iterative descent with an explicit stack for the "left subtree first" order.
        var stack: [Int32] = []
        while true {
            while t != Self.none {
                let i = Int(t)
                if offsetIndex!.maxSize[i] < size { t = Self.none; break }
                if nodes[i].offset >= low {
                    stack.append(t)
                    t = offsetIndex!.left[i]
                } else {
                    t = offsetIndex!.right[i]
                }
            }
            guard let top = stack.popLast() else { return Self.none }
            let i = Int(top)
            if nodes[i].size >= size { return top }
            t = offsetIndex!.right[i]
        }
    }

    /// Checks the index against the physical list (for validate()).
    func validateOffsetIndex() throws {
        guard let index = offsetIndex else { return }
        var inOrder: [Int32] = []
        func walk(_ t: Int32, _ lo: Int, _ hi: Int) throws -> Int {
            if t == Self.none { return 0 }
            let i = Int(t)
            let o = nodes[i].offset
            if o < lo || o >= hi { throw MetadataError.corrupted("TLSF offset index: range at offset \(o) is out of order") }
            let lm = try walk(index.left[i], lo, o)
            inOrder.append(t)
            let rm = try walk(index.right[i], o + 1, hi)
            let m = max(nodes[i].size, lm, rm)
            if m != index.maxSize[i] { throw MetadataError.corrupted("TLSF offset index: subtree at offset \(o) records max \(index.maxSize[i]), not \(m)") }
            return m
        }
        _ = try walk(index.root, Int.min, Int.max)
        var expected: [Int32] = []
        var b = headBlock
        while b != Self.none && b != nullBlock {
            if !nodes[Int(b)].taken { expected.append(b) }
            b = nodes[Int(b)].nextPhysical
        }
        if inOrder != expected {
            throw MetadataError.corrupted("TLSF offset index holds \(inOrder.count) ranges, the page has \(expected.count) free ranges")
        }
    }
}
