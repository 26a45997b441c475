// validate() finds broken invariants. Nothing public can break one, so these tests reach into the
// TLSF internals with @testable and check the message names where it went wrong.
@_spi(Tables) @testable import MemoryMetadata
import Testing

@Suite("validate() catches corruption")
struct ValidationTests {
    /// A 4 KiB page: A@0+100, hole [100,300), B@300+200, tail [500,4096).
    static func page() throws -> TLSFMetadata {
        let m = TLSFMetadata(size: 4096)
        try place(m, 100)
        let x = try #require(try place(m, 200))
        try place(m, 200)
        try m.free(x.handle)
        try m.validate()
        return m
    }

    static func corruption(_ m: TLSFMetadata) -> String? {
        do { try m.validate() } catch MetadataError.corrupted(let why) { return why } catch { return "unexpected \(error)" }
        return nil
    }

    static func node(at offset: Int, _ m: TLSFMetadata) throws -> Int {
        try #require(m.nodes.indices.first { m.nodes[$0].live && m.nodes[$0].offset == offset })
    }

    @Test func nodeIsThreeWords() {
        // Node storage is most of the metadata: 24 bytes a region.
        #expect(MemoryLayout<TLSFMetadata.Node>.stride == 24)
    }

    @Test func generationWrapsWithinItsField() throws {
        var node = TLSFMetadata.Node(offset: 0, size: 4096)
        node.generation = 0x7FF
        node.generation &+= 1
        #expect(node.generation == 0)
        #expect(node.size == 4096 && node.live && !node.taken && node.type == .free)
        #expect(node.prevFree == -1 && node.nextFree == -1 && node.prevPhysical == -1 && node.nextPhysical == -1)
    }

    @Test func everyNodeFieldKeepsItsExtremesApartFromTheOthers() {
        let maxOffset = TLSFMetadata.maxPageSize - 1, maxIndex = Int32(TLSFMetadata.maxNodeCount - 1)
        var node = TLSFMetadata.Node(offset: maxOffset, size: maxOffset)
        node.prevPhysical = maxIndex
        node.nextPhysical = 0
        node.prevFree = 0
        node.nextFree = maxIndex
        node.taken = true
        node.type = .imageOptimal
        node.generation = 0x7FF
        #expect(node.offset == maxOffset && node.size == maxOffset)
        #expect(node.prevPhysical == maxIndex && node.nextPhysical == 0 && node.prevFree == 0 && node.nextFree == maxIndex)
        #expect(node.taken && node.live && node.type == .imageOptimal && node.generation == 0x7FF)
        node.offset = 0
        node.size = 1
        node.prevPhysical = -1
        node.nextFree = -1
        #expect(node.offset == 0 && node.size == 1 && node.prevPhysical == -1 && node.nextPhysical == 0)
        #expect(node.prevFree == 0 && node.nextFree == -1 && node.generation == 0x7FF && node.type == .imageOptimal)
        for value in [0, 1, -1, (1 << 47) - 1, -(1 << 47) + 1] {
            node.inlineUserData = value
            #expect(TLSFMetadata.Node.fitsInline(value) && node.inlineUserData == value)
            #expect(node.taken && node.live && node.type == .imageOptimal && node.generation == 0x7FF)
            #expect(node.offset == 0 && node.size == 1 && node.prevPhysical == -1 && node.nextPhysical == 0)
        }
        for value in [1 << 47, -(1 << 47), Int.max, Int.min] { #expect(!TLSFMetadata.Node.fitsInline(value)) }
    }

    @Test func nodeSizeNamesTheOffset() throws {
        let m = try Self.page()
        m.nodes[try Self.node(at: 300, m)].size += 8
        let why = try #require(Self.corruption(m))
        #expect(why.contains("offset 300"), "\(why)")
    }

    @Test func freeNodeInTheWrongListNamesTheOffset() throws {
        let m = try Self.page()
        let hole = try Self.node(at: 100, m)
        m.nodes[hole].size = 150                                           // now belongs to list 2, sits in list 3
        let why = try #require(Self.corruption(m))
        #expect(why.contains("offset 100"), "\(why)")
    }

    @Test func freeSizeCountIsChecked() throws {
        let m = try Self.page()
        m.blocksFreeSize += 1
        let why = try #require(Self.corruption(m))
        #expect(why.contains("3796") && why.contains("3797"), "\(why)")     // found versus counted
    }

    @Test func allocationCountIsChecked() throws {
        let m = try Self.page()
        m.allocCount += 1
        let why = try #require(Self.corruption(m))
        #expect(why.contains("2 allocations found, counted 3"), "\(why)")
    }

    @Test func takenBlockInAFreeListNamesTheOffset() throws {
        let m = try Self.page()
        m.nodes[try Self.node(at: 100, m)].taken = true
        let why = try #require(Self.corruption(m))
        #expect(why.contains("offset 100"), "\(why)")
    }

    @Test func unmergedNeighboursNameTheOffsets() throws {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 100)), _ = try place(m, 100), _ = try place(m, 100)
        try m.free(a.handle)
        // Mark the allocation at 100 free without merging it (and without a list): two free neighbours.
        m.nodes[try Self.node(at: 100, m)].taken = false
        let why = try #require(Self.corruption(m))
        #expect(why.contains("offset"), "\(why)")
    }

    @Test func tailNotEndingThePageNamesItsOffset() throws {
        let m = try Self.page()
        m.nodes[Int(m.nullBlock)].size -= 1
        let why = try #require(Self.corruption(m))
        #expect(why.contains("offset 500"), "\(why)")
    }

    @Test func linearRefusesAForgedOverlappingRequest() throws {
        // The linear metadata keeps its items private; try an overlap through a request moved below its end.
        let m = LinearMetadata(size: 4096)
        try place(m, 100)
        var forged = try #require(try m.createAllocationRequest(size: 10, alignment: 1, upperAddress: false, type: .buffer,
                                                                strategy: .default, maxOffset: .max))
        #expect(forged.offset == 100)
        forged.offset = 50
        #expect(throws: MetadataError.incompatibleRequest("the end of the stack moved since the request was made")) {
            try m.alloc(forged, type: .buffer, userData: 0)
        }
        try m.validate()
        #expect(m.allocationCount == 1)
    }

    /// The sizes, second indices and list indices VMA computes for real (non-virtual) blocks.
    static let sizeClasses: [(size: Int, memoryClass: Int, secondIndex: Int, list: Int)] = [
        (1, 0, 0, 0), (64, 0, 0, 0), (65, 0, 1, 1), (192, 0, 2, 2), (193, 0, 3, 3), (256, 0, 3, 3),
        (257, 1, 0, 4), (300, 1, 5, 9), (511, 1, 31, 35), (512, 2, 0, 36), (600, 2, 5, 41),
        (768, 2, 16, 52), (1024, 3, 0, 68), (1536, 3, 16, 84), (2000, 3, 30, 98), (1 << 20, 13, 0, 388),
    ]

    @Test(arguments: sizeClasses)
    func sizeClass(_ c: (size: Int, memoryClass: Int, secondIndex: Int, list: Int)) {
        let mc = TLSFMetadata.sizeToMemoryClass(c.size)
        #expect(mc == c.memoryClass)
        #expect(TLSFMetadata.sizeToSecondIndex(c.size, mc) == c.secondIndex)
        #expect(TLSFMetadata(size: 1 << 20).listIndex(forSize: c.size) == c.list)
    }

    /// VMA sizes the list array from the page size: lists up to the page's own, plus 4 for class 0.
    @Test(arguments: [(256, 5), (1024, 2 * 32 + 0 + 1 + 4), (1 << 20, 12 * 32 + 0 + 1 + 4), ((1 << 20) + (1 << 15), 12 * 32 + 1 + 1 + 4)])
    func listsCount(_ size: Int, _ lists: Int) {
        #expect(TLSFMetadata(size: size).listsCount == lists)
    }
}

@Suite("TLSF keeps only the non-empty free lists")
struct SparseListTests {
    /// Free ranges of many sizes come and go in random order: the entries stay in list order (validate
    /// checks each one against the bitmaps), and storage falls back when lists empty.
    @Test(arguments: [1, 2, 3])
    func listsComeAndGo(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let m = TLSFMetadata(size: 1 << 26)
        // Allocation, then a spacer, so every freed allocation is a free range of its own.
        var ranges: [AllocationHandle] = [], spacers: [AllocationHandle] = []
        for _ in 0..<600 {
            let a = try #require(try place(m, 1 << rng.int(4...16) + rng.int(0...4000)))
            ranges.append(a.handle)
            spacers.append(try #require(try place(m, 16)).handle)
        }
        var peak = 0
        for (i, handle) in ranges.shuffled(using: &rng).enumerated() {
            try m.free(handle)
            if i % 7 == 0 { try m.validate() }
            peak = max(peak, m.lists.count)
        }
        try m.validate()
        #expect(peak > 150 && m.lists.count == peak)
        // Freeing the spacers merges neighbours into ever larger ranges, down to the tail alone: lists
        // empty, and their storage follows (within malloc's rounding).
        for (i, handle) in spacers.shuffled(using: &rng).enumerated() {
            try m.free(handle)
            if i % 7 == 0 { try m.validate() }
            #expect(m.lists.capacity <= 2 * m.lists.count + 16, "\(m.lists.count) lists in storage for \(m.lists.capacity)")
        }
        try m.validate()
        #expect(m.lists.isEmpty && m.isEmpty)
    }
}
