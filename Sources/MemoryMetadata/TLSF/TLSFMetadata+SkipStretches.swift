// Long free lists whose front holds little: skipping what earlier scans already walked.
//
// VMA scans a free list from its first range and takes the first that holds the request. A page filled
// with small, variously aligned allocations (`huge`: 57,000 a page) gets tens of thousands of alignment
// gaps in its smallest lists; the gaps that hold a request are taken one after the other, so the front
// of such a list becomes a long run of gaps that hold nothing asked for, and every scan walked it again
// (thousands of ranges, each a cache miss: the replay of `huge` spent most of its time there).
//
// A stretch remembers such a run: the ranges of a list after range `after` (or from the list's first)
// up to range `end` (or to the list's end), and, per failed-scan column (alignment), one more than the
// most any of them holds after padding. A scan whose request is at or above the bound of its alignment
// jumps over the stretch: none of those ranges holds it, so the first range that does, VMA's answer, is
// the same. The scan that walks past the stretch extends it up to the range it takes.
//
// The stretch stays true as the list changes: ranges join a list at its front (before the stretch; when
// the stretch starts at the front, the joining range becomes `after`), a range taken from the middle
// moves to the front (likewise), a range leaving the list leaves the stretch smaller (when it is `after`
// or `end`, its neighbour in the list takes its place), a range growing in place drops its list's
// stretch, and clearing or compacting the page (which renumbers nodes) drops them all. `validate()`
// checks every stretch.

extension TLSFMetadata {
    /// A stretch of free list `list` (see the top of this file).
    struct SkipStretch: BitwiseCopyable {
        var list: Int32
        /// The stretch starts after this range (``TLSFMetadata/none``: at the list's first range).
        var after: Int32
        /// The first range past the stretch (``TLSFMetadata/none``: the stretch runs to the list's end).
        var end: Int32
        /// Ranges walked to build it (ranges that left since are not subtracted): which stretch to keep.
        var length: Int32
        /// Per failed-scan column: no range of the stretch holds this many bytes after padding to the
        /// column's alignment (for a column not in use yet, its bytes: a bound at every alignment).
        var bounds: (Int, Int, Int, Int, Int)

        @inline(__always)
        func bound(_ column: Int) -> Int {
            switch column {
            case 0: return bounds.0
            case 1: return bounds.1
            case 2: return bounds.2
            case 3: return bounds.3
            default: return bounds.4
            }
        }
    }

    /// Stretches kept per page: the long lists of a page are its few smallest.
    static let maxSkipStretches = 4
    /// A scan walking fewer ranges than this keeps no stretch (short lists cost little to walk).
    static let minSkipStretchLength = 32

    /// The stretch of free list `list`, if any (index into ``skipStretches``, or -1).
    @inline(__always)
    func skipStretch(ofList list: Int) -> Int {
        var i = 0
        while i < skipStretches.count {
            if Int(skipStretches[i].list) == list { return i }
            i += 1
        }
        return -1
    }

    /// Range `block` leaves its free list or moves to its front: a stretch it starts after or ends at
    /// takes its neighbour instead. Called before the list's links change.
    @inline(__always)
    func skipStretchesLose(_ block: Int32) {
        var i = 0
        while i < skipStretches.count {
            if skipStretches[i].after == block { skipStretches[i].after = nodes[Int(block)].prevFree }
            if skipStretches[i].end == block { skipStretches[i].end = nodes[Int(block)].nextFree }
            i += 1
        }
    }

    /// Range `block` became the first of free list `list` (it joined, or a check moved it there): a
    /// stretch of that list starting at the list's front now starts after it.
    @inline(__always)
    func skipStretchesGainFront(_ block: Int32, list: Int) {
        let i = skipStretch(ofList: list)
        if i >= 0 && skipStretches[i].after == Self.none { skipStretches[i].after = block }
    }

    /// A range of free list `list` grew in place: its stretch may no longer bound it.
    func dropSkipStretch(ofList list: Int) {
        let i = skipStretch(ofList: list)
        if i >= 0 { _ = skipStretches.remove(at: i) }
    }

    /// After a scan of `list` walked `walked` ranges that held less than `most` (per column) and stopped
    /// before `end` (none: at the list's end): keeps the stretch they form, starting after `after`. When
    /// `extending`, they continue the list's stretch (whose bounds still hold for its part); otherwise
    /// they start at the list's front, and replace a stretch of the list only when longer than half of it.
    func keepSkipStretch(list: Int, after: Int32, end: Int32, walked: Int, most: (Int, Int, Int, Int, Int), extending: Bool) {
        let existing = skipStretch(ofList: list)
        let length = Int32(clamping: walked)
        if extending {
            precondition(existing >= 0, "TLSF: extending a stretch that is gone")
            var s = skipStretches[existing]
            s.end = end
            s.length = Int32(clamping: Int(s.length) + walked)
            s.bounds = (max(s.bounds.0, most.0 + 1), max(s.bounds.1, most.1 + 1), max(s.bounds.2, most.2 + 1),
                        max(s.bounds.3, most.3 + 1), max(s.bounds.4, most.4 + 1))
            skipStretches[existing] = s
            return
        }
        guard walked >= Self.minSkipStretchLength else { return }
        let s = SkipStretch(list: Int32(list), after: after, end: end, length: length,
                            bounds: (most.0 + 1, most.1 + 1, most.2 + 1, most.3 + 1, most.4 + 1))
        if existing >= 0 {
            if Int(skipStretches[existing].length) <= walked * 2 { skipStretches[existing] = s }
            return
        }
        if skipStretches.count < Self.maxSkipStretches {
            skipStretches.append(s)
            return
        }
        // Replace the shortest, if this one is longer.
        var shortest = 0
        for i in skipStretches.indices where skipStretches[i].length < skipStretches[shortest].length { shortest = i }
        if skipStretches[shortest].length < length { skipStretches[shortest] = s }
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
        if skipStretches.count > Self.maxSkipStretches { throw fail("\(skipStretches.count) stretches kept") }
        if granularity.isEnabled && !skipStretches.isEmpty { throw fail("stretches kept on a page that tracks granularity") }
        let masks = failColumnMasks()
        for i in skipStretches.indices {
            let s = skipStretches[i], list = Int(s.list)
            if skipStretch(ofList: list) != i { throw fail("free list \(list) has two stretches") }
            let (memoryClass, second) = Self.classAndSecond(ofList: list)
            guard list >= 0, list < listsCount, innerIsFreeBitmap[memoryClass] & (1 << UInt32(second)) != 0 else {
                throw fail("stretch of free list \(list), which is empty")
            }
            var b = lists[rank(memoryClass, second)].head
            if s.after != Self.none {
                while b != Self.none && b != s.after { b = nodes[Int(b)].nextFree }
                if b == Self.none { throw fail("stretch of free list \(list) starts after a range not in it") }
                b = nodes[Int(b)].nextFree
            }
            while b != s.end {
                if b == Self.none { throw fail("stretch of free list \(list) ends at a range not after its start") }
                let n = nodes[Int(b)]
                for (column, mask) in [masks.0, masks.1, masks.2, masks.3, masks.4].enumerated() {
                    let holds = n.size - (((n.offset + mask) & ~mask) - n.offset)
                    if holds >= s.bound(column) {
                        throw fail("range at offset \(n.offset) of free list \(list) holds \(holds) bytes at alignment \(mask + 1), not below its stretch's bound \(s.bound(column))")
                    }
                }
                b = n.nextFree
            }
        }
    }
}
