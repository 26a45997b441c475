// Pages that keep no bytes, for pools larger than the machine's memory (`--backend metadata`). Each
// allocation's content is a token (a 64-bit value derived from its id and size) recorded where it was
// written; copies move tokens, and a write or copy over a range drops every token it touches. So checking a
// moved allocation still proves what checking bytes proves: its content arrived where the engine said, and
// nothing overwrote it (an overwritten or misplaced allocation has no intact token where it should be).

/// A page device whose pages hold content tokens instead of bytes.
public final class MetadataPageDevice: PageDevice {
    /// One written range: its offset, size and the checksum it reads back as while intact.
    private struct Span { var offset: Int; var size: Int; var checksum: UInt64 }
    /// Per page, the intact spans, sorted by offset, never overlapping.
    private var spans: [Int: [Span]] = [:]
    private var pageSizes: [Int: Int] = [:]
    /// Bytes of all pages that exist now (what host memory would need).
    public private(set) var pageBytes = 0
    /// The most `pageBytes` has been.
    public private(set) var peakPageBytes = 0

    public init() {}

    public var name: String { "metadata" }
    /// True: tokens are written, copied and checked like bytes.
    public var storesBytes: Bool { true }

    public func createPage(_ page: Int, size: Int) throws {
        guard size > 0 else { throw PageDeviceError("metadata: page \(page) of \(size) bytes: the size must be at least 1") }
        guard pageSizes[page] == nil else { throw PageDeviceError("metadata: page \(page) exists already") }
        pageSizes[page] = size
        spans[page] = []
        pageBytes += size
        peakPageBytes = max(peakPageBytes, pageBytes)
    }

    public func destroyPage(_ page: Int) {
        guard let size = pageSizes.removeValue(forKey: page) else { return }
        spans[page] = nil
        pageBytes -= size
    }

    public func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {}
    public func unbindAllocation(_ allocation: Int) {}

    public func writeContentToken(ofAllocation id: Int, page: Int, offset: Int, size: Int) throws -> UInt64? {
        let checksum = Self.token(id: id, size: size)
        try store(Span(offset: offset, size: size, checksum: checksum), in: page)
        return checksum
    }

    /// Arbitrary bytes read back as their ``PageChecksum``.
    public func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws {
        try store(Span(offset: offset, size: bytes.count, checksum: PageChecksum.compute(bytes)), in: page)
    }

    public func read(page: Int, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        throw PageDeviceError("metadata: pages keep no bytes, so \(buffer.count) bytes at page \(page) offset \(offset) cannot be read")
    }

    /// Each destination receives the token its source range held (or none, which no check accepts). All
    /// sources are read before any destination is written, as one batch of copies is.
    public func copy(_ copies: [PageCopy]) throws {
        var read: [UInt64] = []
        read.reserveCapacity(copies.count)
        for c in copies { read.append(try checksum(page: c.sourcePage, offset: c.sourceOffset, size: c.size)) }
        var byPage: [Int: [Span]] = [:]
        for (c, checksum) in zip(copies, read) {
            try checkRange(c.destinationPage, c.destinationOffset, c.size)
            if c.size > 0 { byPage[c.destinationPage, default: []].append(Span(offset: c.destinationOffset, size: c.size, checksum: checksum)) }
        }
        for (page, arriving) in byPage { merge(arriving, into: page) }
    }

    /// The checksum of the intact span at exactly `offset..<offset + size`; when there is none (never
    /// written, overwritten, or a different range), a value derived from the range that no token equals
    /// except by a 2^-64 chance.
    public func checksum(page: Int, offset: Int, size: Int) throws -> UInt64 {
        try checkRange(page, offset, size)
        let pageSpans = spans[page]!
        let i = Self.firstEndingAfter(offset, in: pageSpans)
        if i < pageSpans.count, pageSpans[i].offset == offset, pageSpans[i].size == size { return pageSpans[i].checksum }
        return Self.mix(0x6d69_7373_696e_6700 ^ UInt64(truncatingIfNeeded: offset), UInt64(truncatingIfNeeded: size))
    }

    /// Intact spans now held, over all pages (what the device's memory grows with).
    public var spanCount: Int { spans.values.reduce(0) { $0 + $1.count } }

    // MARK: internals

    /// The token of allocation `id` of `size` bytes.
    static func token(id: Int, size: Int) -> UInt64 {
        mix(UInt64(truncatingIfNeeded: id), UInt64(truncatingIfNeeded: size) ^ 0x746f_6b65_6e00_0000)
    }

    /// SplitMix64's finaliser over two words.
    private static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a &* 0x9E37_79B9_7F4A_7C15 ^ b
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private func checkRange(_ page: Int, _ offset: Int, _ size: Int) throws {
        guard let pageSize = pageSizes[page] else { throw PageDeviceError("metadata: page \(page) does not exist") }
        guard offset >= 0, size >= 0, offset <= pageSize - size else {
            throw PageDeviceError("metadata: range \(offset)+\(size) is outside page \(page) of \(pageSize) bytes")
        }
    }

    /// The index of the first span ending after `offset` (spans are sorted and disjoint, so ends are sorted).
    private static func firstEndingAfter(_ offset: Int, in spans: [Span]) -> Int {
        var low = 0, high = spans.count
        while low < high {
            let mid = (low + high) / 2
            if spans[mid].offset + spans[mid].size > offset { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// Records the spans of one batch in `page` in one pass over the page's spans (a pass moves thousands of
    /// allocations into pages of tens of thousands), dropping every span they overlap. Spans of a batch that
    /// overlap each other are stored one by one, in the batch's order.
    private func merge(_ arriving: [Span], into page: Int) {
        let news = arriving.sorted { $0.offset < $1.offset }
        for (a, b) in zip(news, news.dropFirst()) where a.offset + a.size > b.offset {
            for span in arriving { try? store(span, in: page) } // ranges were checked by the caller
            return
        }
        let old = spans[page]!
        var merged: [Span] = []
        merged.reserveCapacity(old.count + news.count)
        var j = 0
        for span in old {
            while j < news.count && news[j].offset + news[j].size <= span.offset { merged.append(news[j]); j += 1 }
            if j < news.count && news[j].offset < span.offset + span.size { continue } // overwritten
            merged.append(span)
        }
        merged.append(contentsOf: news[j...])
        spans[page] = merged
    }

    /// Records `span` in `page`, dropping every span it overlaps (their content is no longer intact).
    private func store(_ span: Span, in page: Int) throws {
        try checkRange(page, span.offset, span.size)
        guard span.size > 0 else { return }
        let end = span.offset + span.size
        let first = Self.firstEndingAfter(span.offset, in: spans[page]!)
        var last = first
        let count = spans[page]!.count
        while last < count && spans[page]![last].offset < end { last += 1 }
        spans[page]!.replaceSubrange(first..<last, with: CollectionOfOne(span))
    }
}
