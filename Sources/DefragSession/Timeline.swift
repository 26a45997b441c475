// The run's history as the start layout plus what each pass changed, so that any pass can be shown again.
// Memory grows with the moves (one relocation per completed move) and with the pages each pass left (their
// ids), never with passes × allocations.

/// Where one allocation went in a pass: its page and offset after the pass, or nowhere (destroyed).
struct Relocation: Sendable {
    var pool: String
    var id: Int
    var sourcePage: Int
    /// nil: the handler destroyed it.
    var destination: (page: Int, offset: Int)?
}

/// One page as a pass left it, without its allocations.
struct PageFrame: Sendable {
    var pool: String
    var id: Int
    var size: Int
    var isImmovable: Bool
    var isDedicated: Bool
}

/// The start layout and, per pass, the allocations that changed place and the pages left.
struct Timeline: Sendable {
    /// Every page when the run began.
    var start: [PageSnapshot] = []
    /// Per pass (index 0: pass 1): the allocations that changed place.
    var relocations: [[Relocation]] = []
    /// Per pass: the pages after it, in the pools' order.
    var frames: [[PageFrame]] = []

    /// Every page after pass `pass` (0: the start), in the pools' order, allocations ascending by offset.
    func pages(afterPass pass: Int) -> [PageSnapshot] {
        guard pass > 0 else { return start }
        struct Key: Hashable { var pool: String; var id: Int }
        var pages: [Key: PageSnapshot] = [:]
        for page in start { pages[Key(pool: page.pool, id: page.id)] = page }
        var touched = Set<Key>()
        for relocations in relocations.prefix(pass) {
            for r in relocations {
                let source = Key(pool: r.pool, id: r.sourcePage)
                guard let index = pages[source]?.allocations.firstIndex(where: { $0.id == r.id }),
                      var allocation = pages[source]?.allocations.remove(at: index) else { continue }
                guard let (page, offset) = r.destination else { continue }
                let key = Key(pool: r.pool, id: page)
                allocation.offset = offset
                if pages[key] == nil { pages[key] = PageSnapshot(id: page, size: 0, pool: r.pool, allocations: []) }
                pages[key]!.allocations.append(allocation)
                touched.insert(key)
            }
        }
        for key in touched { pages[key]!.allocations.sort { $0.offset < $1.offset } }
        return frames[pass - 1].map { frame in
            var page = pages[Key(pool: frame.pool, id: frame.id)] ?? PageSnapshot(id: frame.id, size: frame.size, pool: frame.pool, allocations: [])
            page.size = frame.size
            page.isImmovable = frame.isImmovable
            page.isDedicated = frame.isDedicated
            return page
        }
    }
}
