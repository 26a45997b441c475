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
// the same. A list has a few stretches, disjoint and in list order (kept together in
// ``TLSFMetadata/skipStretches``, in that order). The run a scan walks (from the list's front or from the
// end of the stretch it last jumped, to the range it takes or the list's end) becomes a stretch with
// exact bounds, replacing the stretches it walked through: small requests split a stretch that large
// ones made, and each size finds the bounds it can jump.
//
// The stretches stay true as the lists change: ranges join a list at its front (before every stretch),
// a range taken from the middle moves to the front (it leaves its stretch), a range leaving a list or
// moving to its front leaves the stretch smaller (when it is `first` or `end`, the next range takes its
// place; a stretch left empty goes), a range growing in place drops its list's stretches, and clearing
// the page drops them all; compaction renames their nodes. `validate()` checks every stretch.

extension TLSFMetadata {
    /// A stretch of free list `list` (see the top of this file).
    struct SkipStretch: BitwiseCopyable {
        var list: Int32
        /// The first range of the stretch.
        var first: Int32
        /// The first range past the stretch (``TLSFMetadata/none``: the stretch runs to the list's end).
        var end: Int32
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
    static let maxSkipStretches = 16
    /// A run shorter than this is not kept as a stretch (short runs cost little to walk); callers check.
    static let minSkipStretchLength = 32

    /// The first stretch of free list `list` in ``skipStretches`` and the index past its last (equal when
    /// the list has none).
    @inline(__always)
    func skipStretches(ofList list: Int) -> (start: Int, end: Int) {
        let count = skipStretches.count
        var i = 0
        while i < count && Int(skipStretches[i].list) != list { i += 1 }
        var j = i
        while j < count && Int(skipStretches[j].list) == list { j += 1 }
        return (i, j)
    }

    /// Range `block` leaves its free list or moves to its front: a stretch it starts or ends takes the
    /// next range instead, and a stretch left empty goes. Called before the list's links change.
    @inline(__always)
    func skipStretchesLose(_ block: Int32) {
        var i = skipStretches.count - 1
        while i >= 0 {
            if skipStretches[i].first == block || skipStretches[i].end == block {
                let next = nodes[Int(block)].nextFree
                if skipStretches[i].first == block { skipStretches[i].first = next }
                if skipStretches[i].end == block { skipStretches[i].end = next }
                if skipStretches[i].first == skipStretches[i].end { _ = skipStretches.remove(at: i) }
            }
            i -= 1
        }
    }

    /// A range of free list `list` grew in place, or the list emptied: its stretches go.
    func dropSkipStretches(ofList list: Int) {
        let (start, end) = skipStretches(ofList: list)
        var i = end
        while i > start {
            i -= 1
            _ = skipStretches.remove(at: i)
        }
    }

    /// A scan of `list` walked `walked` ranges from `first` up to `end` (none: the list's end), measuring
    /// `most` per column, after jumping the list's stretches before index `from` (or from the list's
    /// front); on the way it walked through the stretches at `from..<through`, and, when `inside`, it
    /// stopped inside the stretch at `through`. The run becomes a stretch in their place (the one it
    /// stopped inside keeps its part from `end` on). When the table is full, the run extends the stretch
    /// it follows if it can, or is not kept.
    func keepSkipStretch(list: Int, first: Int32, end: Int32, walked: Int, most: (Int, Int, Int, Int, Int),
                         from: Int, through: Int, inside: Bool) {
        precondition(walked >= Self.minSkipStretchLength, "TLSF: a run of \(walked) ranges is too short to keep")
        let bounds = (most.0 + 1, most.1 + 1, most.2 + 1, most.3 + 1, most.4 + 1)
        if skipStretches.count - (through - from) >= Self.maxSkipStretches {
            // Full: extend the stretch just before the run, if the run starts where it ends.
            guard from > 0, Int(skipStretches[from - 1].list) == list, skipStretches[from - 1].end == first else { return }
            if inside { skipStretches[through].first = end }
            var s = skipStretches[from - 1]
            s.end = end
            s.bounds = (max(s.bounds.0, bounds.0), max(s.bounds.1, bounds.1), max(s.bounds.2, bounds.2),
                        max(s.bounds.3, bounds.3), max(s.bounds.4, bounds.4))
            skipStretches[from - 1] = s
            var i = through
            while i > from {
                i -= 1
                _ = skipStretches.remove(at: i)
            }
            return
        }
        if inside { skipStretches[through].first = end }
        var i = through
        while i > from {
            i -= 1
            _ = skipStretches.remove(at: i)
        }
        skipStretches.insert(SkipStretch(list: Int32(list), first: first, end: end, bounds: bounds),
                             at: from) { $0 + 4 }
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
        if skipStretches.count > Self.maxSkipStretches { throw fail("\(skipStretches.count) stretches kept, above \(Self.maxSkipStretches)") }
        if granularity.isEnabled && !skipStretches.isEmpty { throw fail("stretches kept on a page that tracks granularity") }
        let masks = [failColumnMasks().0, failColumnMasks().1, failColumnMasks().2, failColumnMasks().3, failColumnMasks().4]
        var seen = Set<Int32>()
        var i = 0
        while i < skipStretches.count {
            let list = Int(skipStretches[i].list)
            if !seen.insert(skipStretches[i].list).inserted { throw fail("the stretches of free list \(list) are not together") }
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
