// TLSF placement as VMA does it, as tables of alloc/free steps with the offsets VMA's algorithm gives.
// Every expectation is derived by hand from VmaBlockMetadata_TLSF (comments give the reasoning):
// size classes: sizes up to 256 are memory class 0 with 4 lists of 64 bytes; above, class = msb - 7 with
// 32 lists per class. Default order: the head of the next larger list onwards, then the tail ("null
// block"), then the request's own list, then every higher list.
import MemoryMetadata
import Testing

enum Step: Sendable, CustomStringConvertible {
    /// Allocate `size` and expect `at` (nil: no room). The allocation is named for later steps.
    case alloc(String, Int, align: Int = 1, strategy: AllocationStrategy = .default, type: SuballocationType = .buffer,
               maxOffset: Int = .max, at: Int?)
    case free(String)

    var description: String {
        switch self {
        case let .alloc(name, size, align, strategy, type, maxOffset, at):
            return "alloc \(name) \(size) align \(align) \(strategy.rawValue) \(type) max \(maxOffset) → \(at.map(String.init) ?? "nil")"
        case let .free(name): return "free \(name)"
        }
    }
}

struct PlacementScenario: Sendable, CustomTestStringConvertible {
    var name: String
    var pageSize = 1 << 20
    var granularity = 1
    var steps: [Step]
    /// The final page, as `layout(_:names:)` renders it.
    var layout: String
    var testDescription: String { name }
}

/// Runs a scenario, validating after every step; returns the metadata and the handles by name.
@discardableResult
func run(_ s: PlacementScenario) throws -> (TLSFMetadata, [String: AllocationHandle]) {
    let m = TLSFMetadata(size: s.pageSize, bufferImageGranularity: s.granularity)
    var handles: [String: AllocationHandle] = [:]
    var names: [Int: String] = [:]
    for (i, step) in s.steps.enumerated() {
        switch step {
        case let .alloc(name, size, align, strategy, type, maxOffset, at):
            let placed = try place(m, size, align: align, type: type, strategy: strategy, maxOffset: maxOffset, userData: i)
            #expect(placed?.offset == at, "step \(i): \(step)")
            if let placed { handles[name] = placed.handle; names[i] = name }
        case let .free(name):
            try m.free(try #require(handles[name], "step \(i): \(name) was never placed"))
            handles[name] = nil
        }
        try m.validate()
    }
    #expect(layout(m, names: names) == s.layout)
    return (m, handles)
}

let placementScenarios: [PlacementScenario] = [
    PlacementScenario(name: "default: next larger list, then the tail, then the own list", steps: [
        .alloc("A", 256, at: 0), .alloc("B", 256, at: 256), .alloc("C", 1024, at: 512),
        .alloc("D", 256, at: 1536), .alloc("E", 64, at: 1792),          // tail now at 1856
        .free("A"),                                                        // [0,256): class 0, list 3
        .free("C"),                                                        // [512,1536): class 3, list 68
        // 256 looks from 257 up (class 1 and above): the 1024 hole, not the 256 hole that fits exactly.
        .alloc("F", 256, at: 512),                                         // rest [768,1536) 768: list 52
        .alloc("G", 256, at: 768),                                         // rest [1024,1536) 512: list 36
        .alloc("H", 256, at: 1024),                                        // rest [1280,1536) 256: list 3
        // No larger list left: the tail comes before the own list, though two 256 holes exist.
        .alloc("I", 256, at: 1856),
        // minMemory searches the own list first; its head is the hole inserted last.
        .alloc("J", 256, strategy: .minMemory, at: 1280),
        .alloc("K", 256, strategy: .minMemory, at: 0),
    ], layout: "K@0+256 B@256+256 F@512+256 G@768+256 H@1024+256 J@1280+256 D@1536+256 E@1792+64 I@1856+256 tail@2112"),

    PlacementScenario(name: "alignment padding becomes a new free block, and merges back on free", steps: [
        .alloc("A", 100, at: 0),
        .alloc("B", 256, align: 256, at: 256),                             // padding [100,256) 156: list 2
        .alloc("C", 64, at: 100),                                          // from 128 up: list 2 → rest [164,256) 92
        .alloc("D", 32, align: 64, at: 192),                               // [164,256): pad [164,192), rest [224,256)
        .free("D"),                                                        // merges with both free neighbours
        .alloc("E", 100, align: 1024, at: 1024),                           // tail at 512: pad [512,1024)
    ], layout: "A@0+100 C@100+64 free@164+92 B@256+256 free@512+512 E@1024+100 tail@1124"),

    PlacementScenario(name: "free merges with both neighbours and with the tail", pageSize: 4096, steps: [
        .alloc("A", 512, at: 0), .alloc("B", 512, at: 512), .alloc("C", 512, at: 1024),
        .alloc("D", 512, at: 1536), .alloc("E", 512, at: 2048),          // tail [2560,4096) 1536
        .free("B"), .free("D"),
        .free("C"),                                                        // one free range [512,2048): list 84
        // From 1568 up (list 85) nothing: the tail comes first and fits exactly.
        .alloc("F", 1536, at: 2560),
        .alloc("G", 1536, at: 512),                                        // then the own list
        .alloc("H", 1, at: nil),
        .free("G"), .free("E"),                                            // [512,2560)
        .free("F"),                                                        // merges with it and the empty tail
        .alloc("I", 3584, at: 512),                                        // exact fit of the tail
        .free("A"), .free("I"),
        .alloc("J", 4096, at: 0),                                          // the empty page is one range
    ], layout: "J@0+4096"),

    PlacementScenario(name: "exact fit of a hole and of the tail", pageSize: 4096, steps: [
        .alloc("A", 1024, at: 0), .alloc("B", 1024, at: 1024), .alloc("C", 2048, at: 2048),
        .alloc("X", 1, at: nil),
        .free("B"),
        .alloc("D", 1025, at: nil),
        .alloc("D", 1024, at: 1024),
    ], layout: "A@0+1024 D@1024+1024 C@2048+2048"),

    PlacementScenario(name: "default walks the whole next larger list before the tail", steps: [
        .alloc("F1", 600, at: 0), .alloc("S1", 60, at: 600), .alloc("F2", 600, at: 660), .alloc("S2", 64, at: 1260),
        .free("F1"), .free("F2"),                                          // list 41: F2, then F1
        // F2 (head) cannot take 400 aligned to 512 (1024+400 > 1260); F1 can.
        .alloc("X", 400, align: 512, at: 0),
    ], layout: "X@0+400 free@400+200 S1@600+60 free@660+600 S2@1260+64 tail@1324"),

    PlacementScenario(name: "minTime tries one block of the next larger list, then the tail", steps: [
        .alloc("F1", 600, at: 0), .alloc("S1", 60, at: 600), .alloc("F2", 600, at: 660), .alloc("S2", 64, at: 1260),
        .free("F1"), .free("F2"),
        .alloc("X", 400, align: 512, strategy: .minTime, at: 1536),       // head F2 fails; tail at 1324 → 1536
        .alloc("Y", 500, strategy: .minTime, at: 660),                     // from 508 up: head F2 of list 41
    ], layout: "free@0+600 S1@600+60 Y@660+500 free@1160+100 S2@1260+64 free@1324+212 X@1536+400 tail@1936"),

    PlacementScenario(name: "minMemory: own list first (a hole too small), then the tail before larger lists", steps: [
        .alloc("H", 298, at: 0), .alloc("S", 64, at: 298), .alloc("L", 2000, at: 362), .alloc("T", 64, at: 2362),
        .free("H"),                                                        // 298: class 1, list 9 (296...303)
        .free("L"),                                                        // 2000: class 3, list 98
        .alloc("R", 300, strategy: .minMemory, at: 2426),                 // list 9 holds only 298 bytes
        .alloc("Q", 300, at: 362),                                         // default: from 308 up → list 98
        .alloc("P", 298, strategy: .minMemory, at: 0),
    ], layout: "P@0+298 S@298+64 Q@362+300 free@662+1700 T@2362+64 R@2426+300 tail@2726"),

    PlacementScenario(name: "minOffset: the lowest free range that fits, then the tail", steps: [
        .alloc("A", 1000, at: 0), .alloc("B", 100, at: 1000), .alloc("C", 500, at: 1100),
        .alloc("D", 100, at: 1600), .alloc("E", 2000, at: 1700), .alloc("G", 64, at: 3700),
        .free("C"), .free("A"), .free("E"),
        .alloc("X", 400, strategy: .minOffset, at: 0),
        .alloc("Y", 700, strategy: .minOffset, at: 1700),                 // 600 and 500 bytes are too small
        .alloc("Z", 500, align: 512, strategy: .minOffset, at: 2560),     // [400,1000) and [1100,1600) fail aligned
        .alloc("W", 500, strategy: .minOffset, at: 400),
        .alloc("V", 4000, strategy: .minOffset, at: 3764),                 // only the tail holds it
    ], layout: "X@0+400 W@400+500 free@900+100 B@1000+100 free@1100+500 D@1600+100 Y@1700+700 free@2400+160 Z@2560+500 free@3060+640 G@3700+64 V@3764+4000 tail@7764"),

    PlacementScenario(name: "minOffset with maxOffset skips free ranges at or above it", steps: [
        .alloc("A", 1000, at: 0), .alloc("B", 100, at: 1000), .alloc("C", 1100, at: 1100), .alloc("D", 100, at: 2200),
        .free("A"), .free("C"),                                            // [0,1000) and [1100,2200)
        // [1100,2200) starts at maxOffset and is not considered; [0,1000) is too small. The tail (at 2300)
        // is still checked, as in the Go port: the engine compares the offset it gets with its own.
        .alloc("X", 1001, strategy: .minOffset, maxOffset: 1100, at: 2300),
        .alloc("Y", 1001, strategy: .minOffset, maxOffset: 1101, at: 1100),
        .alloc("Z", 100, strategy: .minOffset, maxOffset: 0, at: 3301),   // nothing starts below 0: the tail
    ], layout: "free@0+1000 B@1000+100 Y@1100+1001 free@2101+99 D@2200+100 X@2300+1001 Z@3301+100 tail@3401"),

    PlacementScenario(name: "minOffset with maxOffset below the tail and no free range: nothing", pageSize: 4096, steps: [
        .alloc("A", 1000, at: 0),
        .alloc("X", 10, strategy: .minOffset, maxOffset: 999, at: nil),
        .alloc("Y", 10, strategy: .minOffset, maxOffset: 1000, at: 1000),
    ], layout: "A@0+1000 Y@1000+10 tail@1010"),
]

@Suite("TLSF placement")
struct TLSFPlacementTests {
    @Test(arguments: placementScenarios)
    func scenario(_ s: PlacementScenario) throws {
        try run(s)
    }

    /// VMA moves the free block a successful check finds to the front of its list, even when the request
    /// is never committed. A later default placement, which takes the head of that list, shows it.
    @Test func successfulCheckMovesTheBlockToTheFrontOfItsList() throws {
        func page() throws -> TLSFMetadata {
            let m = TLSFMetadata(size: 1 << 20)
            let f1 = try #require(try place(m, 600)), _ = try place(m, 60)
            let f2 = try #require(try place(m, 600)), _ = try place(m, 64)
            try m.free(f1.handle)
            try m.free(f2.handle)                                          // list 41: F2 (660), then F1 (0)
            return m
        }
        let untouched = try page(), probed = try page()
        let probe = try #require(try probed.createAllocationRequest(size: 400, alignment: 512, upperAddress: false, type: .buffer,
                                                                   strategy: .default, maxOffset: .max))
        #expect(probe.offset == 0)                                         // F1, the second in its list
        try probed.validate()
        // 500 bytes: both holes fit; the head of list 41 wins.
        #expect(try place(untouched, 500)?.offset == 660)
        #expect(try place(probed, 500)?.offset == 0)
        try untouched.validate()
        try probed.validate()
    }

    /// A request the caller does not commit changes nothing else: counts and layout stay.
    @Test func uncommittedRequestLeavesThePageAsItWas() throws {
        let m = TLSFMetadata(size: 1 << 16)
        try place(m, 100)
        let before = layout(m)
        for strategy: AllocationStrategy in [.default, .minMemory, .minTime, .minOffset] {
            #expect(try m.createAllocationRequest(size: 10, alignment: 1, upperAddress: false, type: .buffer,
                                                  strategy: strategy, maxOffset: .max)?.offset == 100)
        }
        #expect(layout(m) == before)
        #expect(m.allocationCount == 1)
        #expect(m.sumFreeSize == (1 << 16) - 100)
    }

    /// A request placed at an exact offset inside a free range (how dumps are rebuilt) pads both sides.
    @Test func requestAtAnExactOffsetPadsTheStartOfThePage() throws {
        let m = TLSFMetadata(size: 4096)
        var tail: Region?
        m.visitAllRegions { tail = $0 }
        let region = try #require(tail)
        let request = AllocationRequest(handle: region.handle, size: 100, offset: 1000, kind: .tlsf, type: .buffer)
        try m.alloc(request, type: .buffer, userData: 7)
        try m.validate()
        #expect(layout(m, names: [7: "A"]) == "free@0+1000 A@1000+100 tail@1100")
        #expect(m.freeRegionsCount == 2)
        #expect(!m.isEmpty)
    }
}
