// Node storage: compaction moves the last nodes into released slots without changing a single placement,
// gives moved allocations new handles and refuses their old ones (also once the array grows back over
// them), and gives storage back; user data too large for a node is kept aside; a page with all its nodes
// in use refuses further allocations instead of breaking.
@_spi(Tables) @testable import MemoryMetadata
import Testing

@Suite("TLSF node storage and compaction")
struct CompactionTests {
    /// A random workload on two pages, one of them compacted whenever it wants to be and at random points
    /// besides: after every step both pages have the same layout and both validate.
    @Test(arguments: [1, 2, 3])
    func compactionChangesNoPlacement(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let plain = TLSFMetadata(size: 1 << 20), compacted = TLSFMetadata(size: 1 << 20)
        var plainHandles: [Int: AllocationHandle] = [:], compactedHandles: [Int: AllocationHandle] = [:]
        var nextID = 1, compactions = 0
        let strategies: [AllocationStrategy] = [.default, .minMemory, .minTime, .minOffset]
        for step in 0..<3000 {
            // Allocate more than free in the first third, then free more: storage fills and empties.
            let allocating = step < 1000 ? !rng.chance(4) : rng.chance(3)
            if allocating || plainHandles.isEmpty {
                let size = rng.int(1...6000), align = 1 << rng.int(0...8), strategy = strategies[rng.int(0...3)]
                let a = try place(plain, size, align: align, strategy: strategy, userData: nextID)
                let b = try place(compacted, size, align: align, strategy: strategy, userData: nextID)
                #expect(a?.offset == b?.offset, "step \(step): \(size) bytes at alignment \(align)")
                if let a, let b {
                    plainHandles[nextID] = a.handle
                    compactedHandles[nextID] = b.handle
                }
                nextID += 1
            } else {
                let id = plainHandles.keys.sorted()[rng.int(0...(plainHandles.count - 1))]
                try plain.free(plainHandles.removeValue(forKey: id)!)
                try compacted.free(compactedHandles.removeValue(forKey: id)!)
            }
            if compacted.wantsCompaction || rng.chance(200) {
                var reissued: [Int: AllocationHandle] = [:]
                compacted.compact { reissued[$0] = $1 }
                for (id, old) in compactedHandles {
                    // A moved allocation has a new handle and its old one is refused; the others keep theirs.
                    if let new = reissued.removeValue(forKey: id) {
                        #expect(throws: MetadataError.unknownHandle(old)) { try compacted.offset(of: old) }
                        compactedHandles[id] = new
                    }
                    let handle = try #require(compactedHandles[id])
                    #expect(try compacted.offset(of: handle) == plain.offset(of: plainHandles[id]!))
                    #expect(try compacted.userData(of: handle) == id)
                }
                #expect(reissued.isEmpty, "handles for allocations that are not live: \(reissued.keys.sorted())")
                #expect(compacted.releasedNodeCount == 0 && compacted.nodes.capacity <= TLSFMetadata.shrinkLimit(compacted.nodes.count))
                compactions += 1
            }
            try plain.validate()
            try compacted.validate()
            #expect(layout(plain) == layout(compacted), "step \(step)")
        }
        #expect(compactions > 10)
        #expect(compacted.footprintBytes < plain.footprintBytes)
    }

    /// Nodes past the live count move into released slots below it: only they get new handles, user data
    /// kept aside goes with them, and their old handles stay refused once the array grows back over their
    /// slots.
    @Test func compactionMovesOnlyTheNodesPastTheEnd() throws {
        let m = TLSFMetadata(size: 1 << 20)
        // The last two allocations carry user data too large for a node.
        func id(_ i: Int) -> Int { i >= 38 ? (1 << 50) + i : i }
        var handles: [Int: AllocationHandle] = [:]
        for i in 0..<40 { handles[id(i)] = try #require(try place(m, 1000, userData: id(i))).handle }
        // Free 10 and 11 (one range: a node released), then 20, 21 and 22 (two more).
        for i in [10, 11, 20, 21, 22] { try m.free(handles.removeValue(forKey: i)!) }
        let live = m.liveNodeCount
        #expect(m.releasedNodeCount == 3 && m.wantsCompaction && m.largeUserData.count == 2)
        let capacity = m.nodes.capacity
        let movers = Set((live..<m.nodes.count).filter { m.nodes[$0].live && m.nodes[$0].taken }.map { m.userData(ofNode: Int32($0)) })
        #expect(movers == [id(38), id(39)])
        var reissued: [Int: AllocationHandle] = [:]
        m.compact { reissued[$0] = $1 }
        #expect(m.nodes.count == live && m.releasedNodeCount == 0 && m.nodes.capacity == capacity)
        #expect(Set(reissued.keys) == movers && m.largeUserData.count == 2)
        var stale: [AllocationHandle] = []
        for (userData, old) in handles {
            let i = userData >= 1 << 50 ? userData - (1 << 50) : userData
            if let new = reissued[userData] {
                #expect(throws: MetadataError.unknownHandle(old)) { try m.offset(of: old) }
                #expect(try m.offset(of: new) == 1000 * i && m.userData(of: new) == userData)
                handles[userData] = new
                stale.append(old)
            } else {
                #expect(try m.offset(of: old) == 1000 * i && m.userData(of: old) == userData)
            }
        }
        try m.validate()
        // The array grows back over the slots cut off: the nodes there do not answer to the old handles.
        for i in 0..<20 { _ = try #require(try place(m, 3000, userData: 100 + i)) }
        #expect(m.nodes.count > live + 3)
        for old in stale {
            #expect(Int(old.index) < m.nodes.count && m.nodes[Int(old.index)].live)
            #expect(throws: MetadataError.unknownHandle(old)) { try m.offset(of: old) }
        }
        for (_, handle) in handles { try m.free(handle) }
        #expect(m.largeUserData.isEmpty)
        try m.validate()
    }

    /// Storage well above what the page uses goes back; the page then refuses every handle from before and
    /// gives every allocation a new one.
    @Test func compactionGivesStorageBack() throws {
        let m = TLSFMetadata(size: 1 << 20)
        var handles: [AllocationHandle] = []
        for i in 0..<400 { handles.append(try #require(try place(m, 1000, userData: i)).handle) }
        for i in stride(from: 0, to: 400, by: 2) { try m.free(handles[i]) }
        // 200 allocations, 200 free ranges and the tail.
        #expect(m.liveNodeCount == 200 + 200 + 1)
        #expect(m.wantsCompaction == false) // nothing released: every freed node stayed a free range
        for i in stride(from: 1, to: 300, by: 2) { try m.free(handles[i]) }
        #expect(m.wantsCompaction)
        let before = m.footprintBytes, live = m.liveNodeCount
        var reissued: [Int: AllocationHandle] = [:]
        m.compact { reissued[$0] = $1 }
        #expect(Set(reissued.keys) == Set(stride(from: 301, to: 400, by: 2)))
        #expect(m.nodes.count == live && m.releasedNodeCount == 0 && !m.wantsCompaction)
        #expect(m.nodes.capacity <= TLSFMetadata.tightCapacity(live) && m.footprintBytes < before)
        for i in stride(from: 301, to: 400, by: 2) {
            #expect(throws: MetadataError.unknownHandle(handles[i])) { try m.offset(of: handles[i]) }
            #expect(try m.offset(of: reissued[i]!) == 1000 * i)
        }
        try m.validate()
        // The page goes on as before: a freed allocation merges, a new one is placed.
        try m.free(try #require(reissued[399]))
        #expect(try place(m, 5000) != nil)
        try m.validate()
    }

    @Test func largeUserDataIsKeptAsideAndSurvivesEverything() throws {
        let m = TLSFMetadata(size: 1 << 16)
        let big = 1 << 47
        let values: [Int] = [Int.max, Int.min, big, -big, big - 1, -big + 1, 0, -1]
        var handles: [AllocationHandle] = []
        for v in values { handles.append(try #require(try place(m, 100, userData: v)).handle) }
        #expect(try handles.map { try m.userData(of: $0) } == values)
        #expect(m.largeUserData.count == 4)
        try m.setUserData(7, of: handles[0])                       // leaves the side table
        try m.setUserData(Int.min + 1, of: handles[6])             // joins it
        #expect(try m.userData(of: handles[0]) == 7 && m.userData(of: handles[6]) == Int.min + 1)
        #expect(m.largeUserData.count == 4)
        var seen: [Int] = []
        m.visitAllRegions { if !$0.isFree { seen.append($0.userData) } }
        let expected: [Int] = [7, Int.min, big, -big, big - 1, -big + 1, Int.min + 1, -1]
        #expect(Array(seen.reversed()) == expected)
        try m.free(handles[1])
        #expect(m.largeUserData.count == 3)
        var reissued: [Int: AllocationHandle] = [:]
        m.compact { reissued[$0] = $1 }
        #expect(m.releasedNodeCount == 0)
        #expect(try reissued.map { try m.userData(of: $1) == $0 }.allSatisfy { $0 })
        #expect(m.largeUserData.count == 3)
        for (i, v) in expected.enumerated() where i != 1 { try m.free(reissued[v] ?? handles[i]) }
        #expect(m.largeUserData.isEmpty && m.isEmpty)
        try m.validate()
    }

    @Test func aPageWithEveryNodeInUseRefusesMoreAllocations() throws {
        let m = TLSFMetadata(size: 1 << 16, bufferImageGranularity: 1, nodeLimit: 8)
        var handles: [AllocationHandle] = []
        while let placed = try place(m, 100, align: 256) { handles.append(placed.handle) }
        // Each allocation after the first leaves a padding range: nodes run out long before bytes.
        #expect(m.liveNodeCount + 2 > 8 && m.sumFreeSize > 60000)
        try m.validate()
        // A request for the tail, made by hand, is refused at commit, with the reason.
        var tail: Region?
        m.visitAllRegions { if $0.isFree && $0.offset + $0.size == m.size { tail = $0 } }
        let t = try #require(tail)
        let request = AllocationRequest(handle: t.handle, size: 100, offset: (t.offset + 255) & ~255, kind: .tlsf, type: .buffer)
        #expect(throws: MetadataError.incompatibleRequest("the page holds 8 nodes at most")) {
            try m.alloc(request, type: .buffer, userData: 0)
        }
        // Freeing gives nodes back.
        try m.free(handles.removeLast())
        try m.free(handles.removeLast())
        #expect(try place(m, 100, align: 256) != nil)
        try m.validate()
    }
}
