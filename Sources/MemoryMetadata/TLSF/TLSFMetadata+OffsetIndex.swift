// An index over the free ranges by offset, so that a min-offset request ("the lowest free range that
// holds this") costs O(log n) instead of VMA's walk over every range of the page (which made VMA need
// 43.6 s to plan the `scale` trace). It answers exactly what VMA's walk answers: the free ranges of at
// least the requested size, in ascending offset, each checked in turn.
//
// A treap keyed by offset, augmented with the largest size in each subtree. It is built the first time a
// page gets a min-offset request (defragmentation) and maintained from then on, so replaying a workload
// pays nothing for it. Its fields live in side arrays indexed like the nodes.

extension TLSFMetadata {
    /// One indexed free range: its key and size are copied here so that a search touches one cache line
    /// per level.
    struct IndexNode {
        var offset: Int
        var size: Int
        var maxSize: Int
        var left: Int32
        var right: Int32
        var priority: UInt32
    }

    struct OffsetIndex {
        /// Indexed like the metadata's nodes.
        var nodes: [IndexNode] = []
        var root: Int32 = -1
        var seed: UInt32 = 0x9E37_79B9

        mutating func nextPriority() -> UInt32 {
            seed ^= seed << 13
            seed ^= seed >> 17
            seed ^= seed << 5
            return seed
        }

        mutating func update(_ t: Int32) {
            let i = Int(t)
            var m = nodes[i].size
            let l = nodes[i].left, r = nodes[i].right
            if l >= 0 { m = max(m, nodes[Int(l)].maxSize) }
            if r >= 0 { m = max(m, nodes[Int(r)].maxSize) }
            nodes[i].maxSize = m
        }

        /// Splits `t` into keys below `key` and keys at or above it.
        mutating func split(_ t: Int32, _ key: Int) -> (Int32, Int32) {
            if t < 0 { return (-1, -1) }
            let i = Int(t)
            if nodes[i].offset < key {
                let (l, r) = split(nodes[i].right, key)
                nodes[i].right = l
                update(t)
                return (t, r)
            } else {
                let (l, r) = split(nodes[i].left, key)
                nodes[i].left = r
                update(t)
                return (l, t)
            }
        }

        mutating func merge(_ a: Int32, _ b: Int32) -> Int32 {
            if a < 0 { return b }
            if b < 0 { return a }
            if nodes[Int(a)].priority > nodes[Int(b)].priority {
                nodes[Int(a)].right = merge(nodes[Int(a)].right, b)
                update(a)
                return a
            } else {
                nodes[Int(b)].left = merge(a, nodes[Int(b)].left)
                update(b)
                return b
            }
        }

        mutating func insert(_ block: Int32, offset: Int, size: Int) {
            let i = Int(block)
            while nodes.count <= i { nodes.append(IndexNode(offset: 0, size: 0, maxSize: 0, left: -1, right: -1, priority: 0)) }
            nodes[i] = IndexNode(offset: offset, size: size, maxSize: size, left: -1, right: -1, priority: nextPriority())
            let (l, r) = split(root, offset)
            root = merge(merge(l, block), r)
        }

        mutating func remove(_ block: Int32) {
            let key = nodes[Int(block)].offset
            let (l, r) = split(root, key)
            let (m, r2) = split(r, key + 1)
            precondition(m == block, "TLSF offset index: free range at offset \(key) is not indexed")
            root = merge(l, r2)
        }

        /// The indexed range of lowest offset at or above `low` whose size is at least `size`.
        func firstFit(atOrAbove low: Int, size: Int) -> Int32 {
            nodes.withUnsafeBufferPointer { Self.firstFit(root, low, size, $0) }
        }

        private static func firstFit(_ t: Int32, _ low: Int, _ size: Int, _ nodes: UnsafeBufferPointer<IndexNode>) -> Int32 {
            var t = t
            while t >= 0 {
                let n = nodes[Int(t)]
                if n.maxSize < size { return -1 }
                if n.offset >= low {
                    let found = firstFit(n.left, low, size, nodes)
                    if found >= 0 { return found }
                    if n.size >= size { return t }
                }
                t = n.right
            }
            return -1
        }
    }

    /// Builds the index from the current free ranges.
    func enableOffsetIndex() {
        var index = OffsetIndex()
        index.nodes.reserveCapacity(nodes.count)
        var b = headBlock
        while b != Self.none && b != nullBlock {
            if !nodes[Int(b)].taken { index.insert(b, offset: nodes[Int(b)].offset, size: nodes[Int(b)].size) }
            b = nodes[Int(b)].nextPhysical
        }
        offsetIndex = index
    }

    /// Adds a free range (not the tail) to the index.
    func indexInsert(_ block: Int32) {
        guard offsetIndex != nil else { return }
        offsetIndex!.insert(block, offset: nodes[Int(block)].offset, size: nodes[Int(block)].size)
    }

    /// Removes a free range from the index.
    func indexRemove(_ block: Int32) {
        guard offsetIndex != nil else { return }
        offsetIndex!.remove(block)
    }

    /// The free range of lowest offset at or above `low` whose size is at least `size`.
    func indexFirstFit(atOrAbove low: Int, size: Int) -> Int32 {
        offsetIndex!.firstFit(atOrAbove: low, size: size)
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
            let n = index.nodes[i]
            if n.offset != o || n.size != nodes[i].size {
                throw MetadataError.corrupted("TLSF offset index: range at offset \(o) is indexed as \(n.offset)+\(n.size), not +\(nodes[i].size)")
            }
            let lm = try walk(n.left, lo, o)
            inOrder.append(t)
            let rm = try walk(n.right, o + 1, hi)
            let m = max(nodes[i].size, lm, rm)
            if m != n.maxSize { throw MetadataError.corrupted("TLSF offset index: subtree at offset \(o) records max \(n.maxSize), not \(m)") }
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
