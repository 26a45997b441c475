// The planner's model of one page's free ranges: sorted by offset, in chunks that know their largest range,
// so that "the lowest range that holds this request" (what a metadata's minOffset strategy answers) costs a
// few comparisons per chunk skipped.

/// One free range `[start, end)` of a page.
struct Hole: Equatable {
    var start: Int
    var end: Int
    var size: Int { end - start }
}

/// A page's free ranges in ascending offset order; adjacent ranges are always merged, as a metadata merges
/// them.
struct HoleList {
    private static let chunkCapacity = 64
    private(set) var chunks: [[Hole]] = []
    private var chunkLargest: [Int] = []
    /// The largest free range of the page.
    private(set) var largest = 0
    /// Free bytes of the page.
    private(set) var freeBytes = 0
    /// Requests known not to fit, by alignment: entry k is the smallest size that found no place at an
    /// alignment of at most 2^k (so no larger request at 2^k or more does either). Carving only takes bytes
    /// away, so it stays true until `free` gives some back, which forgets it.
    private var noFit: [Int] = []

    init(_ holes: [Hole]) {
        var chunk: [Hole] = []
        for hole in holes where hole.size > 0 {
            chunk.append(hole)
            freeBytes += hole.size
            if chunk.count == Self.chunkCapacity / 2 { chunks.append(chunk); chunk = [] }
        }
        if !chunk.isEmpty { chunks.append(chunk) }
        chunkLargest = chunks.map { $0.reduce(0) { max($0, $1.size) } }
        largest = chunkLargest.max() ?? 0
    }

    /// Where a request of `size` bytes at `alignment` goes when the lowest free range that holds it takes
    /// it: the aligned offset, and the range's position.
    mutating func firstFit(size: Int, alignment: Int) -> (offset: Int, chunk: Int, index: Int)? {
        guard size <= largest else { return nil }
        // Powers of two only (an offset aligned to 2^k is aligned to every smaller power).
        let power = alignment > 0 && alignment & (alignment - 1) == 0 ? alignment.trailingZeroBitCount : -1
        if power >= 0 && power < noFit.count && noFit[power] <= size { return nil }
        let mask = alignment - 1
        for c in chunks.indices where chunkLargest[c] >= size {
            let chunk = chunks[c]
            for i in chunk.indices {
                let hole = chunk[i]
                let offset = (hole.start + mask) & ~mask
                if offset + size <= hole.end { return (offset, c, i) }
            }
        }
        if power >= 0 {
            if noFit.isEmpty { noFit = Array(repeating: .max, count: Int.bitWidth) }
            for k in power..<noFit.count where noFit[k] > size { noFit[k] = size }
        }
        return nil
    }

    /// The range at a position `firstFit` returned.
    func hole(chunk: Int, index: Int) -> Hole { chunks[chunk][index] }

    /// Takes `[offset, offset + size)` out of the range at (`chunk`, `index`): the padding before it and the
    /// rest after it stay free.
    mutating func carve(chunk c: Int, index i: Int, offset: Int, size: Int) {
        let hole = chunks[c][i]
        precondition(offset >= hole.start && offset + size <= hole.end, "planner: carving outside a free range")
        var parts: [Hole] = []
        if offset > hole.start { parts.append(Hole(start: hole.start, end: offset)) }
        if offset + size < hole.end { parts.append(Hole(start: offset + size, end: hole.end)) }
        chunks[c].replaceSubrange(i...i, with: parts)
        freeBytes -= size
        settle(c)
    }

    /// Frees `[start, end)`, merging it with the free ranges it touches.
    mutating func free(start: Int, end: Int) {
        guard end > start else { return }
        noFit.removeAll(keepingCapacity: true)
        freeBytes += end - start
        var merged = Hole(start: start, end: end)
        if chunks.isEmpty {
            chunks = [[merged]]
            chunkLargest = [merged.size]
            largest = merged.size
            return
        }
        // The chunk that holds the range before `start` (or the first chunk), and the position after it.
        var low = 0, high = chunks.count
        while high - low > 1 {
            let mid = (low + high) / 2
            if chunks[mid][0].start < start { low = mid } else { high = mid }
        }
        let c = low
        var i = chunks[c].firstIndex { $0.start > start } ?? chunks[c].count
        if i > 0 && chunks[c][i - 1].end == merged.start {
            merged.start = chunks[c][i - 1].start
            chunks[c].remove(at: i - 1)
            i -= 1
        }
        if i < chunks[c].count {
            if chunks[c][i].start == merged.end {
                merged.end = chunks[c][i].end
                chunks[c].remove(at: i)
            }
        } else if c + 1 < chunks.count && chunks[c + 1][0].start == merged.end {
            merged.end = chunks[c + 1][0].end
            chunks[c + 1].remove(at: 0)
            if chunks[c + 1].isEmpty {
                chunks.remove(at: c + 1)
                chunkLargest.remove(at: c + 1)
            } else {
                chunkLargest[c + 1] = chunks[c + 1].reduce(0) { max($0, $1.size) }
            }
        }
        chunks[c].insert(merged, at: i)
        settle(c)
    }

    /// Recomputes a chunk's largest range after a change; splits a full chunk, drops an empty one.
    private mutating func settle(_ c: Int) {
        if chunks[c].isEmpty {
            chunks.remove(at: c)
            chunkLargest.remove(at: c)
        } else if chunks[c].count > Self.chunkCapacity {
            let upper = Array(chunks[c][(Self.chunkCapacity / 2)...])
            chunks[c].removeSubrange((Self.chunkCapacity / 2)...)
            chunks.insert(upper, at: c + 1)
            chunkLargest.insert(upper.reduce(0) { max($0, $1.size) }, at: c + 1)
            chunkLargest[c] = chunks[c].reduce(0) { max($0, $1.size) }
        } else {
            chunkLargest[c] = chunks[c].reduce(0) { max($0, $1.size) }
        }
        largest = chunkLargest.max() ?? 0
    }

    /// Every range, in order (for checks and window searches).
    var all: [Hole] { chunks.flatMap { $0 } }
}
