// How a bar's ink is measured: for each cell of a bar, the bytes of the cell that allocations hold, which
// allocation role holds most of them, and the bytes the last pass's moves left. A cell's glyph is then its
// allocated share in eighths, rounded, so a bar summed over its cells reads as the page's fill at any width.
import DefragSession

/// The byte coverage of the cells of one bar over the byte window `start..<end` of a page. Its arrays are
/// reused from row to row (the renderer keeps one), so drawing a page list allocates once per frame.
struct BarCoverage {
    /// Cell `c` covers bytes `bounds[c]..<bounds[c + 1]`.
    private(set) var bounds: [Int] = []
    /// Bytes allocations hold in each cell.
    private(set) var allocated: [Int] = []
    /// Bytes of each cell inside a range a move left (whatever holds them now).
    private(set) var left: [Int] = []
    /// The lowest and highest allocated byte of each cell (`highest` is one past), when `allocated > 0`.
    private var lowest: [Int] = []
    private var highest: [Int] = []
    /// Bytes per role per cell: `roleBytes[c * roleCount + role.rawValue]`.
    private var roleBytes: [Int] = []
    private static let roleCount = Role.allCases.count
    private(set) var width = 0

    /// Measures `allocations` (each with its role) over `width` cells of `start..<end`; `sources` are the
    /// byte ranges the last pass's moves left.
    mutating func measure(start: Int, end: Int, width: Int, sources: [Range<Int>],
                          allocations: some Sequence<(offset: Int, size: Int, role: Role)>) {
        self.width = max(0, width)
        let span = max(0, end - start)
        let n = self.width
        resize(n)
        for c in 0...n { bounds[c] = start + Self.scaled(c, span, n) }
        guard n > 0, span > 0 else { return }
        for range in sources {
            guard let (first, from, to) = clip(range.lowerBound, range.upperBound) else { continue }
            var c = first
            while c < n && bounds[c] < to {
                let lo = max(from, bounds[c]), hi = min(to, bounds[c + 1])
                if lo < hi { left[c] += hi - lo }
                c += 1
            }
        }
        let roles = Self.roleCount
        for allocation in allocations {
            guard let (first, from, to) = clip(allocation.offset, allocation.offset + allocation.size) else { continue }
            let role = Int(allocation.role.rawValue)
            var c = first
            while c < n && bounds[c] < to {
                let lo = max(from, bounds[c]), hi = min(to, bounds[c + 1])
                if lo < hi {
                    if allocated[c] == 0 { lowest[c] = lo; highest[c] = hi } else {
                        lowest[c] = min(lowest[c], lo); highest[c] = max(highest[c], hi)
                    }
                    allocated[c] += hi - lo
                    roleBytes[c * roles + role] += hi - lo
                }
                c += 1
            }
        }
    }

    /// Bytes in cell `c`.
    func bytes(_ c: Int) -> Int { bounds[c + 1] - bounds[c] }

    /// The eighths of cell `c` to ink: its allocated share rounded, at least one when anything is allocated
    /// (nothing live is invisible), 0 when nothing is.
    func eighths(_ c: Int) -> Int {
        Self.eighths(used: allocated[c], of: bytes(c))
    }

    /// `used` bytes of `total` in eighths, rounded, at least one when `used > 0`, 0 when it is 0: the rule
    /// of a bar's cell, which the overview strip follows for a whole page.
    static func eighths(used: Int, of total: Int) -> Int {
        guard used > 0, total > 0 else { return 0 }
        let (twice, overflow) = used.multipliedReportingOverflow(by: 16)
        let rounded = overflow ? Int((Double(used) * 8 / Double(total)).rounded()) : (twice + total) / (2 * total)
        return min(8, max(1, rounded))
    }

    /// The allocation role holding most bytes of cell `c`; on a tie, an arrival (so moves stay visible),
    /// else the role listed first.
    func majorityRole(_ c: Int) -> Role {
        let base = c * Self.roleCount
        var best = Role.unknownType, bestBytes = 0
        for role in Role.allCases where role.isAllocation {
            let bytes = roleBytes[base + Int(role.rawValue)]
            if bytes > bestBytes || (bytes == bestBytes && bytes > 0 && role == .movedDestination) {
                best = role; bestBytes = bytes
            }
        }
        return best
    }

    /// Whether the allocated bytes of cell `c` are one run ending at the cell's end with free bytes before
    /// it: the renderer then draws the ink on the right (a reversed eighth block).
    func isInkOnTheRight(_ c: Int) -> Bool {
        let used = allocated[c]
        return used > 0 && highest[c] == bounds[c + 1] && lowest[c] > bounds[c] && highest[c] - lowest[c] == used
    }

    /// Whether a move left at least an eighth of cell `c`.
    func isMarkedLeft(_ c: Int) -> Bool {
        let (sixteen, overflow) = left[c].multipliedReportingOverflow(by: 16)
        return left[c] > 0 && (overflow || sixteen >= bytes(c))
    }

    // MARK: internals

    private mutating func resize(_ n: Int) {
        if bounds.count != n + 1 {
            bounds = Array(repeating: 0, count: n + 1)
            allocated = Array(repeating: 0, count: n)
            left = allocated; lowest = allocated; highest = allocated
            roleBytes = Array(repeating: 0, count: n * Self.roleCount)
        } else {
            for c in 0..<n { allocated[c] = 0; left[c] = 0 }
            for i in roleBytes.indices { roleBytes[i] = 0 }
        }
    }

    /// `value * span / n`, without overflow.
    @inline(__always)
    private static func scaled(_ value: Int, _ span: Int, _ n: Int) -> Int {
        let (product, overflow) = value.multipliedReportingOverflow(by: span)
        if !overflow { return product / n }
        return Int(Double(value) * Double(span) / Double(n))
    }

    /// The cell holding byte `x` (which lies inside the window).
    @inline(__always)
    private func cell(of x: Int) -> Int {
        let span = bounds[width] - bounds[0]
        var c = Self.scaled(x - bounds[0], width, span)
        c = min(width - 1, max(0, c))
        while c > 0 && bounds[c] > x { c -= 1 }
        while c < width - 1 && bounds[c + 1] <= x { c += 1 }
        return c
    }

    /// The range `a..<b` clipped to the window, with the cell its first byte is in; nil when nothing is left.
    @inline(__always)
    private func clip(_ a: Int, _ b: Int) -> (cell: Int, from: Int, to: Int)? {
        let from = max(a, bounds[0]), to = min(b, bounds[width])
        guard from < to else { return nil }
        return (cell(of: from), from, to)
    }
}
