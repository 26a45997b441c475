// Built-in scenarios: traces generated in Swift, so that defragscope has something to show with no file.
// Each is small enough to draw at 80×24 (≤ 40 pages, ≤ 3000 allocations) and shows one thing about
// defragmentation. Generation is deterministic for a given seed (SplitMix64; it does not try to match the
// Python generator's random numbers) and every trace passes `Trace.validate()`.
//
// Most scenarios pack their pages exactly: allocations are created in order, the sizes of each page add up
// to the block size, and frees come after all allocations. Since a pool places an allocation in the first
// page that holds it, page k of the pool then holds exactly the k-th group of allocations, so the picture
// is the one designed here.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import MemoryPools  // SplitMix64

/// A built-in workload, generated on demand.
public enum Scenario: String, CaseIterable, Sendable {
    case checkerboard
    case fastVsFull = "fast-vs-full"
    case budget
    case nearlyFull = "nearly-full"
    case textures
    case churn
    case tiny

    /// The scenario shown when no trace or scenario is named.
    public static var defaultScenario: Scenario { .checkerboard }
}

private let kib = 1024
private let mib = 1024 * 1024

extension Scenario {
    /// One line saying what the scenario shows.
    public var summary: String {
        switch self {
        case .checkerboard:
            return "12 pages of 1 MiB, every other allocation freed: half of every page is holes"
        case .fastVsFull:
            return "holes inside pages that no other page's allocations fit: Fast moves nothing, Full closes them"
        case .budget:
            return "~1600 small allocations, half freed: with a 128 KiB pass budget, 16 skips in a row end a pass"
        case .nearlyFull:
            return "16 packed pages of 1 MiB, 10% freed at random: little room to move into"
        case .textures:
            return "a few large 64 KiB-aligned allocations in 64 MiB pages, 45% freed at random"
        case .churn:
            return "random allocate/free churn with mixed sizes and alignments, like a running program"
        case .tiny:
            return "24 allocations in 1 KiB pages, half freed: small enough to read by eye"
        }
    }

    /// A per-pass byte budget (`maxPassBytes`) that shows what the scenario is about, if it needs one.
    public var suggestedMaxPassBytes: Int? {
        self == .budget ? 128 * kib : nil
    }

    /// The scenario's trace for `seed` (same seed, same trace). The trace is named after the scenario, has a
    /// `# defrag-trace v1 NAME seed=N` header, and its operations carry the lines they have in
    /// `serialized()`.
    public func trace(seed: Int = 1) -> Trace {
        var rng = SplitMix64(scenario: rawValue, seed: seed)
        var b: TraceBuilder
        switch self {
        case .checkerboard:
            // Mid-size allocations packed into 12 pages; free every other one.
            b = TraceBuilder(blockSize: 1 * mib)
            let ids = b.packPages(12, alignment: 4 * kib) { rng.int(in: 4...16) * 4 * kib }
            for id in ids where id % 2 == 0 { b.free(id) }

        case .fastVsFull:
            b = TraceBuilder(blockSize: 1 * mib)
            Scenario.fastVsFull(&b, &rng)

        case .budget:
            // Log-uniform 2–48 KiB allocations in 24 packed pages, half freed at random. With a small pass
            // budget, the engine skips what no longer fits and gives up after 16 skips in a row.
            b = TraceBuilder(blockSize: 1 * mib)
            let ids = b.packPages(24, alignment: 1 * kib) { rng.logUniform(2 * kib, 48 * kib, quantum: kib) }
            for id in rng.sample(ids, count: ids.count / 2) { b.free(id) }

        case .nearlyFull:
            b = TraceBuilder(blockSize: 1 * mib)
            let ids = b.packPages(16, alignment: 1 * kib) { rng.int(in: 4...64) * kib }
            for id in rng.sample(ids, count: ids.count / 10) { b.free(id) }

        case .textures:
            b = TraceBuilder(blockSize: 64 * mib)
            let ids = b.packPages(8, alignment: 64 * kib) { rng.logUniform(256 * kib, 16 * mib, quantum: 64 * kib) }
            for id in rng.sample(ids, count: ids.count * 45 / 100) { b.free(id) }

        case .churn:
            b = TraceBuilder(blockSize: 1 * mib)
            Scenario.churn(&b, &rng)

        case .tiny:
            // Like the shared tiny.trace: 24 allocations of 16–128 bytes, half freed at random.
            b = TraceBuilder(blockSize: 1 * kib)
            var ids: [Int] = []
            for _ in 0..<24 { ids.append(b.allocate(size: rng.int(in: 1...8) * 16, alignment: 16)) }
            for id in rng.sample(ids, count: ids.count / 2) { b.free(id) }
        }
        return Trace(name: rawValue, blockSize: b.blockSize, operations: b.operations,
                     header: "# defrag-trace v1 \(rawValue) seed=\(seed)")
    }

    /// Ten pages, page k filled with equal allocations of size s_k (s_k grows with k) and two of them freed,
    /// never side by side. Every hole of page k is smaller than any allocation of a later page, and
    /// pages with bigger allocations have more free space, so they come later when the pool sorts pages
    /// fullest first: no allocation fits in an earlier page, and Fast (which only moves to earlier pages)
    /// finds nothing to do. Full also moves an allocation to a lower offset in its own page, where a hole
    /// of exactly its size waits: the holes slide to the end of each page, pass by pass.
    private static func fastVsFull(_ b: inout TraceBuilder, _ rng: inout SplitMix64) {
        // Allocations per page; sizes are 1 MiB / count rounded down to 256 bytes, so the unused tail of a
        // page (< 8 KiB) is smaller than every allocation, and sizes differ by more than 8 KiB.
        let counts = [32, 24, 20, 16, 14, 12, 10, 8, 7, 6]
        var pages: [[Int]] = []
        for count in counts {
            let size = b.blockSize / count / 256 * 256
            pages.append((0..<count).map { _ in b.allocate(size: size, alignment: 256) })
        }
        for ids in pages {
            // Two holes at least two slots apart, so they never merge into one bigger hole. (The same number
            // of holes in every page keeps free space growing with the allocation size.)
            let first = rng.int(in: 0...(ids.count - 1))
            var second = first
            while abs(second - first) < 2 { second = rng.int(in: 0...(ids.count - 1)) }
            b.free(ids[first])
            b.free(ids[second])
        }
    }

    /// Random allocations and frees with mixed sizes and alignments: growth first, then a steady state.
    /// Live bytes stay under 20 pages' worth.
    private static func churn(_ b: inout TraceBuilder, _ rng: inout SplitMix64) {
        let alignments = [256, 1 * kib, 4 * kib, 16 * kib]
        let maxLive = 20 * b.blockSize
        var live: [(id: Int, size: Int)] = []
        var liveBytes = 0
        for step in 0..<4000 {
            let grow = rng.unit() < (step < 2000 ? 0.62 : 0.45)
            let size = rng.logUniform(1 * kib, 128 * kib, quantum: 256)
            if (grow || live.isEmpty) && liveBytes + size <= maxLive {
                let id = b.allocate(size: size, alignment: alignments[rng.int(in: 0...(alignments.count - 1))])
                live.append((id, size))
                liveBytes += size
            } else if !live.isEmpty {
                let k = rng.int(in: 0...(live.count - 1))
                live.swapAt(k, live.count - 1)
                let victim = live.removeLast()
                liveBytes -= victim.size
                b.free(victim.id)
            }
        }
    }
}

// MARK: - building traces

/// Appends operations with ids from 1 and the lines they will have in `Trace.serialized()` (after the
/// header and the block-size line).
struct TraceBuilder {
    let blockSize: Int
    private(set) var operations: [TraceOperation] = []
    private var nextID = 1

    init(blockSize: Int) { self.blockSize = blockSize }

    private var nextLine: Int { operations.count + 3 }

    mutating func allocate(size: Int, alignment: Int) -> Int {
        let id = nextID
        nextID += 1
        operations.append(.allocate(id: id, size: size, alignment: alignment, line: nextLine))
        return id
    }

    mutating func free(_ id: Int) {
        operations.append(.free(id: id, line: nextLine))
    }

    /// Fills `pages` pages exactly, in order: sizes come from `size()` (multiples of `alignment`), and the
    /// last allocation of a page takes what is left of it. Returns the ids in order.
    mutating func packPages(_ pages: Int, alignment: Int, size: () -> Int) -> [Int] {
        var ids: [Int] = []
        for _ in 0..<pages {
            var used = 0
            while used < blockSize {
                let wanted = min(max(size(), alignment), blockSize)
                let take = used + wanted > blockSize ? blockSize - used : wanted
                ids.append(allocate(size: take, alignment: alignment))
                used += take
            }
        }
        return ids
    }
}

extension SplitMix64 {
    /// Log-uniform between `lo` and `hi`, rounded up to a multiple of `quantum`.
    mutating func logUniform(_ lo: Int, _ hi: Int, quantum: Int) -> Int {
        let x = log2(Double(lo)) + unit() * (log2(Double(hi)) - log2(Double(lo)))
        let raw = Int(exp2(x))
        return max(quantum, (raw + quantum - 1) / quantum * quantum)
    }

    /// `count` distinct elements of `items`, in random order (partial Fisher–Yates).
    mutating func sample(_ items: [Int], count: Int) -> [Int] {
        var pool = items
        let n = min(count, pool.count)
        for i in 0..<n { pool.swapAt(i, int(in: i...(pool.count - 1))) }
        return Array(pool[0..<n])
    }
}
