// Pages that keep no bytes, for pools larger than the machine's memory (`--backend metadata`). Each
// allocation's content is a token (a 64-bit value derived from its id and size) recorded where it was
// written; copies move tokens, and a later write or copy over a range drops every token it touches. So checking a
// moved allocation still proves what checking bytes proves: its content arrived where the engine said, and
// nothing overwrote it (an overwritten or misplaced allocation has no intact token where it should be).

/// A page device whose pages hold content tokens instead of bytes.
///
/// Writes and copies append spans (a range, its checksum, when it was written); a page's spans are put in
/// order only when one is read (a pass's checks), and then a span that a later one overlaps is dropped. So
/// building a pool of a million allocations appends a million spans, and a pass sorts each page once.
public final class MetadataPageDevice: PageDevice {
    /// One written range: its offset, size, the checksum it reads back as while intact, and its write order.
    private struct Span { var offset: Int; var size: Int; var checksum: UInt64; var sequence: UInt64 }
    private struct Page {
        var size: Int
        /// Sorted by offset and disjoint when `isOrdered`; else in any order, later writes winning.
        var spans: [Span] = []
        var isOrdered = true
    }
    private var pages: [Int: Page] = [:]
    private var sequence: UInt64 = 0
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
        guard pages[page] == nil else { throw PageDeviceError("metadata: page \(page) exists already") }
        pages[page] = Page(size: size)
        pageBytes += size
        peakPageBytes = max(peakPageBytes, pageBytes)
    }

    public func destroyPage(_ page: Int) {
        guard let removed = pages.removeValue(forKey: page) else { return }
        pageBytes -= removed.size
    }

    public func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {}
    public func unbindAllocation(_ allocation: Int) {}

    public func writeContent(ofAllocation id: Int, page: Int, offset: Int, size: Int) throws -> UInt64? {
        let checksum = Self.token(id: id, size: size)
        try append(page, offset, size, checksum)
        return checksum
    }

    /// Arbitrary bytes read back as their ``PageChecksum``.
    public func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws {
        try append(page, offset, bytes.count, PageChecksum.compute(bytes))
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
        for (c, checksum) in zip(copies, read) { try append(c.destinationPage, c.destinationOffset, c.size, checksum) }
    }

    /// The checksum of the intact span at exactly `offset..<offset + size`; when there is none (never
    /// written, overwritten, or a different range), a value derived from the range that no token equals
    /// except by a 2^-64 chance.
    public func checksum(page: Int, offset: Int, size: Int) throws -> UInt64 {
        try checkRange(page, offset, size)
        order(page)
        let spans = pages[page]!.spans
        let i = Self.firstEndingAfter(offset, in: spans)
        if i < spans.count, spans[i].offset == offset, spans[i].size == size { return spans[i].checksum }
        return Self.mix(0x6d69_7373_696e_6700 ^ UInt64(truncatingIfNeeded: offset), UInt64(truncatingIfNeeded: size))
    }

    /// Intact spans now held, over all pages (what the device's memory grows with).
    public var spanCount: Int {
        for page in Array(pages.keys) { order(page) }
        return pages.values.reduce(0) { $0 + $1.spans.count }
    }

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
        guard let pageSize = pages[page]?.size else { throw PageDeviceError("metadata: page \(page) does not exist") }
        guard offset >= 0, size >= 0, offset <= pageSize - size else {
            throw PageDeviceError("metadata: range \(offset)+\(size) is outside page \(page) of \(pageSize) bytes")
        }
    }

    private func append(_ page: Int, _ offset: Int, _ size: Int, _ checksum: UInt64) throws {
        try checkRange(page, offset, size)
        guard size > 0 else { return }
        sequence += 1
        let span = Span(offset: offset, size: size, checksum: checksum, sequence: sequence)
        pages[page]!.isOrdered = pages[page]!.isOrdered
            && (pages[page]!.spans.last.map { $0.offset + $0.size <= offset } ?? true)
        pages[page]!.spans.append(span)
    }

    /// Sorts page `page`'s spans by offset and drops every span a later-written one overlaps.
    private func order(_ page: Int) {
        guard let current = pages[page], !current.isOrdered else { return }
        var spans = current.spans
        pages[page]!.spans = [] // one reference to the array while it is sorted
        spans.sort { $0.offset < $1.offset || ($0.offset == $1.offset && $0.sequence < $1.sequence) }
        var dead = [Bool](repeating: false, count: spans.count)
        for i in spans.indices {
            let end = spans[i].offset + spans[i].size
            var j = i + 1
            while j < spans.count && spans[j].offset < end {
                if spans[j].sequence > spans[i].sequence { dead[i] = true } else { dead[j] = true }
                j += 1
            }
        }
        var kept: [Span] = []
        kept.reserveCapacity(spans.count)
        for i in spans.indices where !dead[i] { kept.append(spans[i]) }
        pages[page]!.spans = kept
        pages[page]!.isOrdered = true
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
}
