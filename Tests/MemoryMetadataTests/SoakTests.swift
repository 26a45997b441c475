// Seeded random soak: thousands of requests, frees and uncommitted probes with random sizes, alignments,
// strategies and types; validate() after every step, and an independent model of the live ranges that
// checks placement (in bounds, aligned, no overlap), counts and bytes, and, where the search is
// exhaustive, that `nil` really means no free range fits and that minOffset finds the lowest fit. Node
// storage is compacted along the way, handles reissued.
import Foundation
import MemoryMetadata
import Testing

struct SoakConfig: Sendable, CustomTestStringConvertible {
    var pageSize: Int
    var granularity = 1
    var steps: Int
    var seed: UInt64
    var testDescription: String { "page \(pageSize), granularity \(granularity), \(steps) steps, seed \(seed)" }
}

struct LiveRange { var offset: Int; var size: Int; var type: SuballocationType; var userData: Int }

/// The model: live ranges sorted by offset.
struct PageModel {
    let pageSize: Int
    var live: [AllocationHandle: LiveRange] = [:]
    var sorted: [LiveRange] { live.values.sorted { $0.offset < $1.offset } }

    /// The free ranges between live ranges, ascending.
    var gaps: [(start: Int, end: Int)] {
        var result: [(Int, Int)] = [], cursor = 0
        for r in sorted {
            if r.offset > cursor { result.append((cursor, r.offset)) }
            cursor = r.offset + r.size
        }
        if cursor < pageSize { result.append((cursor, pageSize)) }
        return result
    }
}

func roundUp(_ v: Int, _ a: Int) -> Int { (v + a - 1) / a * a }

func soak(_ c: SoakConfig) throws {
    var rng = SplitMix64(seed: c.seed)
    let m = TLSFMetadata(size: c.pageSize, bufferImageGranularity: c.granularity)
    var model = PageModel(pageSize: c.pageSize)
    let strategies: [AllocationStrategy] = [.default, .minMemory, .minTime, .minOffset]
    let types: [SuballocationType] = [.unknown, .buffer, .imageUnknown, .imageLinear, .imageOptimal]
    let maxExponent = c.pageSize.trailingZeroBitCount - 2                  // sizes up to a quarter page
    let exhaustive = c.granularity <= BufferImageGranularity.maxLowGranularity
    var placed = 0, refused = 0, freed = 0, compactions = 0

    for step in 0..<c.steps {
        let where_ = "step \(step) of \(c.testDescription)"
        // Keep a few hundred allocations live at most, sometimes drain a lot.
        let wantFree = model.live.count > 300 || (!model.live.isEmpty && rng.int(0...99) < (model.live.count > 40 ? 55 : 35))
        if wantFree {
            let handles = model.live.keys.sorted { model.live[$0]!.offset < model.live[$1]!.offset }
            let victim = handles[rng.int(0...(handles.count - 1))]
            #expect(try m.userData(of: victim) == model.live[victim]!.userData, "\(where_)")
            try m.free(victim)
            model.live[victim] = nil
            freed += 1
        } else {
            let size = rng.int(1...(1 << rng.int(0...maxExponent)))
            let alignment = 1 << rng.int(0...min(12, maxExponent))
            let strategy = strategies[rng.int(0...3)]
            let type = types[rng.int(0...4)]
            let maxOffset = strategy == .minOffset && rng.chance(4) ? rng.int(0...c.pageSize) : Int.max
            let request = try m.createAllocationRequest(size: size, alignment: alignment, upperAddress: false, type: type,
                                                        strategy: strategy, maxOffset: maxOffset)
            // What VMA asks of the free ranges after rounding for small granularities.
            var effSize = size, effAlign = alignment
            if c.granularity > 1 && exhaustive && [.unknown, .imageUnknown, .imageOptimal].contains(type) {
                effAlign = max(alignment, c.granularity)
                effSize = roundUp(size, c.granularity)
            }
            let gaps = model.gaps
            let fitting = gaps.filter { roundUp($0.start, effAlign) + effSize <= $0.end }
            if let request {
                #expect(m.mayHaveFreeBlock(type: type, size: size), "\(where_): false negative")
                #expect(request.size == effSize, "\(where_)")
                #expect(request.offset % effAlign == 0, "\(where_): offset \(request.offset) not aligned to \(effAlign)")
                #expect(request.offset >= 0 && request.offset + request.size <= c.pageSize, "\(where_)")
                let inGap = gaps.contains { $0.start <= request.offset && request.offset + request.size <= $0.end }
                #expect(inGap, "\(where_): [\(request.offset), +\(request.size)) overlaps a live allocation")
                if strategy == .minOffset && exhaustive {
                    let below = fitting.filter { $0.start < maxOffset }.map { roundUp($0.start, effAlign) }
                    if let lowest = below.min() {
                        #expect(request.offset == lowest, "\(where_): minOffset chose \(request.offset), lowest fit is \(lowest)")
                    } else {
                        #expect(gaps.last.map { $0.end == c.pageSize && $0.start <= request.offset } == true,
                                "\(where_): past maxOffset, only the tail may be chosen")
                    }
                }
                if rng.chance(8) { continue }                              // a probe: reorders a list, commits nothing
                let userData = step
                let handle = try m.alloc(request, type: type, userData: userData)
                #expect(model.live[handle] == nil, "\(where_): handle \(handle) reused while live")
                model.live[handle] = LiveRange(offset: request.offset, size: request.size, type: type, userData: userData)
                placed += 1
            } else {
                refused += 1
                if exhaustive {
                    let candidates = maxOffset == Int.max ? fitting : fitting.filter { $0.start < maxOffset }
                    #expect(candidates.isEmpty, "\(where_): nil for \(effSize) aligned \(effAlign) but \(candidates.first!) fits")
                }
            }
        }

        // Node storage is compacted when it asks to be, and at random besides: a moved allocation gets a
        // new handle (found by its user data, unique per step) and its old one is refused; the others keep
        // theirs (all of them move when storage shrinks).
        if m.wantsCompaction || rng.chance(100) {
            var reissued: [Int: AllocationHandle] = [:]
            m.compact { reissued[$0] = $1 }
            #expect(m.releasedNodeCount == 0, "\(where_)")
            var renamed: [AllocationHandle: LiveRange] = [:]
            for (old, range) in model.live {
                if let new = reissued.removeValue(forKey: range.userData) {
                    #expect(throws: MetadataError.unknownHandle(old)) { try m.userData(of: old) }
                    renamed[new] = range
                } else {
                    #expect(try m.userData(of: old) == range.userData, "\(where_)")
                    renamed[old] = range
                }
            }
            #expect(reissued.isEmpty, "\(where_): handles for allocations that are not live")
            model.live = renamed
            compactions += 1
        }

        try m.validate()
        // Counts and bytes.
        let liveBytes = model.live.values.reduce(0) { $0 + $1.size }
        #expect(m.allocationCount == model.live.count, "\(where_)")
        #expect(m.sumFreeSize == c.pageSize - liveBytes, "\(where_)")
        #expect(m.isEmpty == model.live.isEmpty, "\(where_)")
        #expect(m.freeRegionsCount == model.gaps.count, "\(where_)")
        var stats = Statistics()
        m.addStatistics(&stats)
        #expect(stats.allocationCount == model.live.count && stats.allocationBytes == liveBytes, "\(where_)")
        // Every live range is where the model says, with its user data.
        let actual = m.allocations().map { "\($0.offset)+\($0.size):\($0.userData):\($0.type)" }
        let expected = model.sorted.map { "\($0.offset)+\($0.size):\($0.userData):\($0.type)" }
        #expect(actual == expected, "\(where_)")
        if actual != expected { return }
        // Large granularity: no two live ranges that share a granularity page conflict.
        if !exhaustive {
            let ranges = model.sorted
            for (i, r) in ranges.enumerated() where i > 0 {
                let p = ranges[i - 1]
                let sharePage = (p.offset + p.size - 1) / c.granularity == r.offset / c.granularity
                #expect(!(sharePage && SuballocationType.granularityConflict(p.type, r.type)),
                        "\(where_): \(p.type) at \(p.offset) and \(r.type) at \(r.offset) share a granularity page")
            }
        }
    }
    // The walk must have done real work both ways.
    #expect(placed > c.steps / 5 && freed > c.steps / 10 && refused >= 0 && compactions > 0)
}

@Suite("Soak")
struct SoakTests {
    static let quick: [SoakConfig] = [
        SoakConfig(pageSize: 1 << 10, steps: 3000, seed: 1),
        SoakConfig(pageSize: 1 << 20, steps: 3000, seed: 2),
        SoakConfig(pageSize: 64 << 20, steps: 3000, seed: 3),
        SoakConfig(pageSize: 256 << 20, steps: 3000, seed: 4),
        SoakConfig(pageSize: 1 << 20, granularity: 256, steps: 2000, seed: 5),
        SoakConfig(pageSize: 1 << 20, granularity: 1024, steps: 3000, seed: 6),
        SoakConfig(pageSize: 64 << 20, granularity: 1024, steps: 2000, seed: 7),
    ]

    @Test(arguments: quick)
    func soakQuick(_ c: SoakConfig) throws { try soak(c) }

    static let long: [SoakConfig] = [1 << 10, 1 << 20, 64 << 20, 256 << 20].enumerated().flatMap { i, size in
        [1, 64, 1024, 65536].map { g in SoakConfig(pageSize: size, granularity: min(g, size), steps: 60_000, seed: UInt64(100 + i * 7 + g)) }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["DEFRAGSCOPE_SOAK"] != nil), arguments: long)
    func soakLong(_ c: SoakConfig) throws { try soak(c) }
}
