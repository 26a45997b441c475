// Long free lists whose ranges hold little: skipping what earlier scans already walked.
//
// VMA scans a free list from its first range and takes the first that holds the request. A page filled
// with small, variously aligned allocations (`huge`: 57,000 a page) gets tens of thousands of alignment
// gaps in its smallest lists; the gaps that hold a request are taken one after the other, so such a list
// becomes a long run of gaps that hold nothing asked for, and every scan walked it again (thousands of
// ranges, each a cache miss, on every full page a request tries: most of the replay of `huge`).
//
// A stretch remembers a run of consecutive ranges of a list, from range `first` up to range `end`
// (excluded; none: to the list's end), and, per failed-scan column (alignment), one more than the most
// any of them holds after padding. A scan whose request is at or above the bound of its alignment jumps
// from `first` to `end`: none of those ranges holds it, so the first range that does, VMA's answer, is
// the same. A list's stretches are disjoint and in list order; ``TLSFMetadata/skipStretches`` holds
// every list's, ordered by list (a scan finds its list's by binary search). The run a scan walks (from
// the list's front or from the end of the stretch it last jumped, to the range it takes or the list's end)
// becomes a stretch with exact bounds, replacing the stretches it walked through: small requests split a
// stretch that large ones made, and each size finds the bounds it can jump. A run is cut into stretches
// of ``TLSFMetadata/maxSkipStretchLength`` ranges, so a scan walks at most that many ranges of the
// stretch it stops in, and a long list costs a scan a pass over its stretches (32 bytes each, in one
// table) rather than over its ranges (a cache miss each). A page keeps one stretch per 16 free ranges
// at most (``TLSFMetadata/skipStretchCap``).
//
// The stretches stay true as the lists change: ranges join a list at its front (before every stretch),
// a range taken from the middle moves to the front (it leaves its stretch), a range leaving a list or
// moving to its front leaves the stretch smaller (when it is `first` or `end`, the next range takes its
// place; a stretch left empty goes), a range growing in place drops its list's stretches, and clearing
// the page drops them all; compaction renames their nodes. A bit per node (``TLSFMetadata/
// skipStretchMarks``) marks the ranges that are some stretch's `first` or `end`, so a range that is
// neither (most) leaves or moves at the cost of a bit test. `validate()` checks every stretch and mark.

extension TLSFMetadata {
    /// A stretch of free list `list` (see the top of this file), in 32 bytes.
    struct SkipStretch: BitwiseCopyable {
        var list: Int32
        /// The first range of the stretch.
        var first: Int32
        /// The first range past the stretch (``TLSFMetadata/none``: the stretch runs to the list's end).
        var end: Int32
        /// Per failed-scan column: no range of the stretch holds this many bytes after padding to the
        /// column's alignment (for a column not in use yet, its bytes: a bound at every alignment). A bound
        /// of 2^32 - 1 or more is stored as `UInt32.max`, which means none: such a stretch is never jumped.
        private var bounds: (UInt32, UInt32, UInt32, UInt32, UInt32)

        init(list: Int, first: Int32, end: Int32, bounds: (Int, Int, Int, Int, Int)) {
            self.list = Int32(list)
            self.first = first
            self.end = end
            self.bounds = (0, 0, 0, 0, 0)
            setBounds(bounds)
        }

        @inline(__always) static func stored(_ bound: Int) -> UInt32 { bound >= Int(UInt32.max) ? .max : UInt32(bound) }

        /// The bound of a column (`Int.max`: none).
        @inline(__always)
        func bound(_ column: Int) -> Int {
            let stored: UInt32
            switch column {
            case 0: stored = bounds.0
            case 1: stored = bounds.1
            case 2: stored = bounds.2
            case 3: stored = bounds.3
            default: stored = bounds.4
            }
            return stored == .max ? .max : Int(stored)
        }

        /// Every column's bound.
        var allBounds: (Int, Int, Int, Int, Int) { (bound(0), bound(1), bound(2), bound(3), bound(4)) }

        mutating func setBounds(_ b: (Int, Int, Int, Int, Int)) {
            bounds = (Self.stored(b.0), Self.stored(b.1), Self.stored(b.2), Self.stored(b.3), Self.stored(b.4))
        }
    }

    /// Stretches a page keeps at least room for; a page with many free ranges keeps one per
    /// ``skipStretchesPerFreeRange`` ranges (a stretch is 32 bytes; a free range's node alone is 24).
    static let minSkipStretchCap = 16
    static let skipStretchesPerFreeRange = 16
    /// A run shorter than this is not kept as a stretch (short runs cost little to walk); callers check.
    static let minSkipStretchLength = 32
    /// A walk keeps a stretch every this many ranges, so that a scan that stops inside a stretch walks
    /// at most this many of its ranges.
    static let maxSkipStretchLength = 64

    /// How many stretches the page may keep now.
    var skipStretchCap: Int { skipStretchCapForTests ?? max(Self.minSkipStretchCap, blocksFreeCount / Self.skipStretchesPerFreeRange) }

    /// The first stretch of free list `list` in ``skipStretches`` and the index past its last (equal when
    /// the list has none: where its first would go). The table is ordered by list: a binary search.
    @inline(__always)
    func skipStretches(ofList list: Int) -> (start: Int, end: Int) {
        let l = Int32(truncatingIfNeeded: list)
        var low = 0, high = skipStretches.count
        while low < high {
            let mid = (low + high) >> 1
            if skipStretches[mid].list < l { low = mid + 1 } else { high = mid }
        }
        var end = low
        while end < skipStretches.count && skipStretches[end].list == l { end += 1 }
        return (low, end)
    }

    // MARK: boundary marks

    /// Whether node `block` may be a stretch's `first` or `end` (``skipStretchMarks``: every one is
    /// marked; a mark may outlive its stretch).
    @inline(__always)
    func isSkipStretchBoundary(_ block: Int32) -> Bool {
        let w = Int(block) >> 6
        return w < skipStretchMarks.count && skipStretchMarks[w] & (1 << UInt64(block & 63)) != 0
    }

    @inline(__always)
    func markSkipStretchBoundary(_ block: Int32) {
        guard block != Self.none else { return }
        let w = Int(block) >> 6
        if w >= skipStretchMarks.count {
            let words = max(w + 1, nodes.capacity / 64 + 1)
            if skipStretchMarks.capacity < words { skipStretchMarks.resize(to: words) }
            while skipStretchMarks.count < words { skipStretchMarks.append(0) }
        }
        skipStretchMarks[w] |= 1 << UInt64(block & 63)
    }

    @inline(__always)
    func unmarkSkipStretchBoundary(_ block: Int32) {
        let w = Int(block) >> 6
        if w < skipStretchMarks.count { skipStretchMarks[w] &= ~(1 << UInt64(block & 63)) }
    }

    /// Marks every stretch's boundaries afresh (after compaction renumbers the nodes).
    func remarkSkipStretchBoundaries() {
        skipStretchMarks.removeAll()
        for i in skipStretches.indices {
            markSkipStretchBoundary(skipStretches[i].first)
            markSkipStretchBoundary(skipStretches[i].end)
        }
    }

    // MARK: keeping the stretches true

    /// Range `block` leaves its free list or moves to its front: a stretch it starts or ends takes the
    /// next range instead, and a stretch left empty goes. Called before the list's links change. Costs a
    /// bit test for a range that is no stretch's boundary (most).
    @inline(__always)
    func skipStretchesLose(_ block: Int32) {
        if isSkipStretchBoundary(block) { skipStretchBoundaryLeaves(block) }
    }

    /// ``skipStretchesLose(_:)`` for a marked range: at most one stretch starts at it and one ends at it
    /// (the stretches are disjoint and never empty), the one before the other when both.
    private func skipStretchBoundaryLeaves(_ block: Int32) {
        unmarkSkipStretchBoundary(block)
        let next = nodes[Int(block)].nextFree
        let (start, end) = skipStretches(ofList: listIndex(forSize: nodes[Int(block)].size))
        var i = start
        while i < end && skipStretches[i].first != block && skipStretches[i].end != block { i += 1 }
        guard i < end else { return }
        markSkipStretchBoundary(next)
        var last = min(i + 1, end - 1)
        while last >= i {
            if skipStretches[last].first == block { skipStretches[last].first = next }
            if skipStretches[last].end == block { skipStretches[last].end = next }
            if skipStretches[last].first == skipStretches[last].end { removeSkipStretches(last..<(last + 1)) }
            last -= 1
        }
    }

    /// A range of free list `list` grew in place, or the list emptied: its stretches go.
    func dropSkipStretches(ofList list: Int) {
        let (start, end) = skipStretches(ofList: list)
        removeSkipStretches(start..<end)
    }

    /// Removes the stretches at `range`, moving those after it down once.
    func removeSkipStretches(_ range: Range<Int>) {
        replaceSkipStretches(range, with: nil)
    }

    /// Puts `stretch` (or nothing) in place of the stretches at `range`, moving those after it once.
    private func replaceSkipStretches(_ range: Range<Int>, with stretch: SkipStretch?) {
        let count = skipStretches.count, kept = stretch == nil ? 0 : 1
        if range.isEmpty {
            if let stretch { skipStretches.insert(stretch, at: range.lowerBound) { $0 + $0 / 4 + 8 } }
            return
        }
        if let stretch { skipStretches[range.lowerBound] = stretch }
        var from = range.upperBound, to = range.lowerBound + kept
        if from != to {
            while from < count {
                skipStretches[to] = skipStretches[from]
                from += 1
                to += 1
            }
            skipStretches.removeLast(count - to)
        }
        // Give back storage when most of it is unused.
        if skipStretches.capacity > 64 && skipStretches.count * 4 < skipStretches.capacity {
            skipStretches.resize(to: skipStretches.count * 2)
        }
    }

    /// A scan of `list` walked ranges from `first` up to `end` (none: the list's end), measuring `most`
    /// per column, after jumping the list's stretches before index `from` (or from the list's front); on
    /// the way it walked through the stretches at `from..<through`, and, when `inside`, it stopped inside
    /// the stretch at `through`. The run becomes a stretch in their place (the one it stopped inside keeps
    /// its part from `end` on). When the table is full, the run extends the stretch it follows if it can,
    /// or is not kept. Returns where the stretch that was at `through` is now.
    @discardableResult
    func keepSkipStretch(list: Int, first: Int32, end: Int32, most: (Int, Int, Int, Int, Int),
                         from: Int, through: Int, inside: Bool) -> Int {
        var bounds = (most.0 + 1, most.1 + 1, most.2 + 1, most.3 + 1, most.4 + 1)
        if skipStretches.count - (through - from) >= skipStretchCap {
            // Full: extend the stretch just before the run, if the run starts where it ends.
            guard from > 0, Int(skipStretches[from - 1].list) == list, skipStretches[from - 1].end == first else { return through }
            if inside { skipStretches[through].first = end }
            let b = skipStretches[from - 1].allBounds
            bounds = (max(b.0, bounds.0), max(b.1, bounds.1), max(b.2, bounds.2), max(b.3, bounds.3), max(b.4, bounds.4))
            skipStretches[from - 1].setBounds(bounds)
            skipStretches[from - 1].end = end
            markSkipStretchBoundary(end)
            removeSkipStretches(from..<through)
            return from
        }
        if inside { skipStretches[through].first = end }
        markSkipStretchBoundary(first)
        markSkipStretchBoundary(end)
        replaceSkipStretches(from..<through, with: SkipStretch(list: list, first: first, end: end, bounds: bounds))
        return from + 1
    }

    /// The masks of the failed-scan columns' alignments (0 for a column not in use: its bound is then on
    /// the ranges' bytes, which bound what they hold at any alignment).
    @inline(__always)
    func failColumnMasks() -> (Int, Int, Int, Int, Int) {
        @inline(__always) func mask(_ column: Int) -> Int {
            let code = Int(truncatingIfNeeded: (failExponents >> UInt64(column * 8)) & 0xFF)
            return code == 0 ? 0 : (1 << (code - 1)) - 1
        }
        return (mask(0), mask(1), mask(2), mask(3), mask(4))
    }

    /// The failed-scan column of alignment 2^`exponent`, taking a free one if needed (-1: all are taken by
    /// other alignments). A scan claims it before it walks, so that its stretch bounds its alignment.
    func claimFailColumn(_ exponent: Int) -> Int {
        let column = failColumn(exponent)
        if column >= 0 { return column }
        let used = (64 - failExponents.leadingZeroBitCount + 7) / 8
        guard used < Self.failColumns else { return -1 }
        // A stretch's bound in an unused column is on bytes: it bounds what its ranges hold at any alignment.
        failExponents |= UInt64(exponent + 1) << UInt64(used * 8)
        return used
    }

    /// Checks every stretch against its list (for `validate()`).
    func validateSkipStretches(_ fail: (String) -> MetadataError) throws {
        // Disjoint and never empty: at most one a free range (the cap may have shrunk since they were kept).
        if skipStretches.count > blocksFreeCount { throw fail("\(skipStretches.count) stretches kept for \(blocksFreeCount) free ranges") }
        if granularity.isEnabled && !skipStretches.isEmpty { throw fail("stretches kept on a page that tracks granularity") }
        let masks = [failColumnMasks().0, failColumnMasks().1, failColumnMasks().2, failColumnMasks().3, failColumnMasks().4]
        var i = 0
        while i < skipStretches.count {
            let list = Int(skipStretches[i].list)
            if i > 0 && skipStretches[i - 1].list >= skipStretches[i].list {
                throw fail("the stretches of free list \(list) are not after those of list \(skipStretches[i - 1].list)")
            }
            let (memoryClass, second) = Self.classAndSecond(ofList: list)
            guard list >= 0, list < listsCount, innerIsFreeBitmap[memoryClass] & (1 << UInt32(second)) != 0 else {
                throw fail("stretch of free list \(list), which is empty")
            }
            // The list's stretches, in list order, each from its first range to its end.
            var b = lists[rank(memoryClass, second)].head
            while i < skipStretches.count && Int(skipStretches[i].list) == list {
                let s = skipStretches[i]
                while b != Self.none && b != s.first { b = nodes[Int(b)].nextFree }
                if b == Self.none { throw fail("stretch \(i) of free list \(list) starts at a range not in the list after the stretch before it") }
                if s.first == s.end { throw fail("stretch \(i) of free list \(list) is empty") }
                for boundary in [s.first, s.end] where boundary != Self.none && !isSkipStretchBoundary(boundary) {
                    throw fail("stretch \(i) of free list \(list): its boundary node \(boundary) is not marked")
                }
                while b != s.end {
                    if b == Self.none { throw fail("stretch \(i) of free list \(list) ends at a range not after its first") }
                    let n = nodes[Int(b)]
                    for (column, mask) in masks.enumerated() {
                        let holds = n.size - (((n.offset + mask) & ~mask) - n.offset)
                        if holds >= s.bound(column) {
                            throw fail("range at offset \(n.offset) of free list \(list) holds \(holds) bytes at alignment \(mask + 1), not below its stretch's bound \(s.bound(column))")
                        }
                    }
                    b = n.nextFree
                }
                i += 1
            }
        }
    }
}
