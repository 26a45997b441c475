// Buffer/image granularity, as VMA's VmaBlockBufferImageGranularity handles it.
import MemoryMetadata
import Testing

let granularityScenarios: [PlacementScenario] = [
    PlacementScenario(name: "granularity 1: no rounding, no conflicts", pageSize: 4096, granularity: 1, steps: [
        .alloc("B", 100, type: .buffer, at: 0),
        .alloc("I", 100, align: 4, type: .imageOptimal, at: 100),
        .alloc("U", 1, type: .unknown, at: 200),
        .alloc("C", 10, type: .buffer, at: 201),
    ], layout: "B@0+100 I@100+100 U@200+1 C@201+10 tail@211"),

    PlacementScenario(name: "granularity 256 rounds unknown and image size and alignment, not buffers or linear images",
                      pageSize: 4096, granularity: 256, steps: [
        .alloc("B", 100, type: .buffer, at: 0),
        .alloc("I", 100, align: 4, type: .imageOptimal, at: 256),          // 256 bytes at 256; pad [100,256)
        .alloc("U", 1, type: .unknown, at: 512),                           // 256 bytes
        .alloc("N", 300, type: .imageUnknown, at: 768),                    // 512 bytes
        .alloc("L", 10, type: .imageLinear, at: 100),                      // 10 bytes, into the padding
        .alloc("C", 10, type: .buffer, at: 110),
    ], layout: "B@0+100 L@100+10 C@110+10 free@120+136 I@256+256 U@512+256 N@768+512 tail@1280"),

    PlacementScenario(name: "granularity 2 rounds to 2", pageSize: 4096, granularity: 2, steps: [
        .alloc("B", 3, type: .buffer, at: 0),
        .alloc("I", 3, type: .imageOptimal, at: 4),                        // 4 bytes aligned to 2
        .alloc("C", 1, strategy: .minMemory, type: .buffer, at: 3),       // the 1-byte pad (default takes the tail)
    ], layout: "B@0+3 C@3+1 I@4+4 tail@8"),

    PlacementScenario(name: "granularity 1024 moves an image off a buffer's page, and a buffer off an image's",
                      pageSize: 1 << 16, granularity: 1024, steps: [
        .alloc("A", 512, type: .buffer, at: 0),                            // page 0: buffer
        .alloc("I", 512, type: .imageOptimal, at: 1024),                   // page 0 conflicts: next page; pad [512,1024)
        .alloc("B", 256, type: .buffer, at: 512),                          // the pad is on a buffer page: fine
        .alloc("J", 256, type: .imageOptimal, at: 1536),                   // page 1 is an image page: fine
        // [768,1024) holds 200 bytes but its page is a buffer's; aligning up leaves no room: refused.
        .alloc("K", 200, strategy: .minMemory, type: .imageOptimal, at: 1792),
        .alloc("C", 100, type: .buffer, at: 768),
        .alloc("D", 100, type: .buffer, at: 868),
        .alloc("E", 100, type: .buffer, at: 2048),                         // tail at 1992 is on page 1 (images)
        .alloc("L", 100, type: .imageLinear, at: 2148),                    // a linear image next to a buffer: fine
        .free("A"),                                                        // page 0 still has B, C, D: buffer
        .alloc("M", 300, strategy: .minOffset, type: .imageOptimal, at: 3072),
        .alloc("N", 300, strategy: .minOffset, type: .imageLinear, at: 0), // linear next to buffers: fine
    ], layout: "N@0+300 free@300+212 B@512+256 C@768+100 D@868+100 free@968+56 I@1024+512 J@1536+256 K@1792+200 free@1992+56 E@2048+100 L@2148+100 free@2248+824 M@3072+300 tail@3372"),

    PlacementScenario(name: "granularity 1024 refuses a range whose end page holds a conflicting type",
                      pageSize: 1 << 16, granularity: 1024, steps: [
        .alloc("P", 1000, type: .buffer, at: 0),
        .alloc("Q", 1048, type: .buffer, at: 1000),                        // pages 0 and 1
        .alloc("T", 52, type: .imageOptimal, at: 2048),                    // page 2: image
        .alloc("R", 100, type: .imageOptimal, at: 2100),
        .free("T"), .free("Q"),                                            // free [1000,2100); page 2 keeps R
        .alloc("X", 1050, strategy: .minOffset, type: .buffer, at: 3072), // would end on page 2: refused
        .alloc("Y", 1040, strategy: .minOffset, type: .buffer, at: 1000), // ends on page 1: fine
    ], layout: "P@0+1000 Y@1000+1040 free@2040+60 R@2100+100 free@2200+872 X@3072+1050 tail@4122"),
]

@Suite("Buffer/image granularity")
struct GranularityTests {
    @Test(arguments: granularityScenarios)
    func scenario(_ s: PlacementScenario) throws {
        try run(s)
    }

    /// VMA's VmaIsBufferImageGranularityConflict, written out as a table.
    static let conflictTable: [(SuballocationType, SuballocationType, Bool)] = {
        let t: [SuballocationType] = [.free, .unknown, .buffer, .imageUnknown, .imageLinear, .imageOptimal]
        // Rows and columns in the order of `t`.
        let matrix: [[Bool]] = [
            /* free         */ [false, false, false, false, false, false],
            /* unknown      */ [false, true,  true,  true,  true,  true ],
            /* buffer       */ [false, true,  false, true,  false, true ],
            /* imageUnknown */ [false, true,  true,  true,  true,  true ],
            /* imageLinear  */ [false, true,  false, true,  false, true ],
            /* imageOptimal */ [false, true,  true,  true,  true,  false],
        ]
        return t.indices.flatMap { i in t.indices.map { j in (t[i], t[j], matrix[i][j]) } }
    }()

    @Test(arguments: conflictTable)
    func granularityConflict(_ a: SuballocationType, _ b: SuballocationType, _ expected: Bool) {
        #expect(SuballocationType.granularityConflict(a, b) == expected)
    }

    @Test func typeNamesAreVMAs() {
        #expect(SuballocationType.allCases.map(\.description) == ["FREE", "UNKNOWN", "BUFFER", "IMAGE_UNKNOWN", "IMAGE_LINEAR", "IMAGE_OPTIMAL"])
        #expect(SuballocationType.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5])
    }

    @Test func requestReportsTheRoundedSize() throws {
        let m = TLSFMetadata(size: 4096, bufferImageGranularity: 128)
        #expect(m.bufferImageGranularity == 128)
        let image = try #require(try m.createAllocationRequest(size: 129, alignment: 16, upperAddress: false, type: .imageOptimal,
                                                               strategy: .default, maxOffset: .max))
        #expect(image.size == 256)
        let buffer = try #require(try m.createAllocationRequest(size: 129, alignment: 16, upperAddress: false, type: .buffer,
                                                                strategy: .default, maxOffset: .max))
        #expect(buffer.size == 129)
        let h = try m.alloc(image, type: .imageOptimal, userData: 1)
        #expect(try m.size(of: h) == 256)
        #expect(m.sumFreeSize == 4096 - 256)
    }

    /// Tracking pages: freeing the buffer that made a page a buffer page lets an image in again.
    @Test func freeingTheLastAllocationOfAPageClearsItsType() throws {
        let m = TLSFMetadata(size: 1 << 16, bufferImageGranularity: 4096)
        let a = try #require(try place(m, 100, type: .buffer))
        let b = try #require(try place(m, 100, type: .buffer))
        #expect(try place(m, 100, type: .imageOptimal)?.offset == 4096)
        try m.free(a.handle)
        #expect(try m.createAllocationRequest(size: 50, alignment: 1, upperAddress: false, type: .imageOptimal,
                                              strategy: .minOffset, maxOffset: .max)?.offset == 4196)
        try m.free(b.handle)
        #expect(try place(m, 50, type: .imageOptimal, strategy: .minOffset)?.offset == 0)
        try m.validate()
    }

    /// mayHaveFreeBlock rounds like a request does, and never says no when a request fits.
    @Test func mayHaveFreeBlockHasNoFalseNegatives() throws {
        let m = TLSFMetadata(size: 4096, bufferImageGranularity: 256)
        let a = try #require(try place(m, 1000)), _ = try place(m, 3096)
        #expect(m.sumFreeSize == 0)
        #expect(!m.mayHaveFreeBlock(type: .buffer, size: 1))
        try m.free(a.handle)
        for type in SuballocationType.allCases.dropFirst() {
            for size in [1, 255, 256, 257, 768, 1000] {
                let fits = try m.createAllocationRequest(size: size, alignment: 1, upperAddress: false, type: type,
                                                         strategy: .minOffset, maxOffset: .max) != nil
                if fits { #expect(m.mayHaveFreeBlock(type: type, size: size), "\(type) \(size)") }
            }
        }
        #expect(!m.mayHaveFreeBlock(type: .buffer, size: 1001))
    }
}
