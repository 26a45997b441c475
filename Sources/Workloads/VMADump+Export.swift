// Writing the current state of pools back as a VMA dump, in VMA's own layout (field order, spacing,
// statistics), so VMA's GpuMemDumpVis and our importer read it. An unchanged dump exports byte for byte as
// it was read when its statistics are VMA's (all three shared dumps are).
import MemoryMetadata
import MemoryPools

extension VMADump {
    /// Problems exporting (pools that do not match the dump they were built from).
    public struct ExportError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// A dump to export pools that did not come from a dump (a trace, a scenario): like the dumps VMA wrote
    /// for `../shared/vma-dumps/*.pool.json`, one custom pool of memory type 0 on a one-heap device, with an
    /// empty default pool. Export it with ``exported(pools:recordOrigins:slots:)`` and ``templateSlots``.
    public static func template(title: String, pool options: PoolOptions, gpu: String) -> VMADump {
        var general = JSONObject()
        general.append("API", JSONNode(.string("Vulkan")))
        general.append("GPU", JSONNode(.string(gpu)))
        general.append("bufferImageGranularity", JSONNode(.number(String(options.bufferImageGranularity))))
        general.append("memoryHeapCount", JSONNode(.number("1")))
        general.append("memoryTypeCount", JSONNode(.number("1")))
        let flags = ["DEVICE_LOCAL", "HOST_VISIBLE", "HOST_COHERENT"]
        let heap = Heap(name: "Heap 0", flags: ["DEVICE_LOCAL"], size: options.heapSize, budgetBytes: options.budgetBytes,
                        usageBytes: 0, blockBytes: 0, memoryTypes: [MemoryType(name: "Type 0", flags: flags)])
        var dump = VMADump(file: title, general: general, heaps: [heap],
                           defaultPools: [Pool(memoryType: "Type 0", isCustom: false, preferredBlockSize: 256 << 20, blocks: [], dedicatedAllocations: [])],
                           customPools: [("Type 0", [Pool(memoryType: "Type 0", name: title, isCustom: true, preferredBlockSize: options.pageSize,
                                                          blocks: [], dedicatedAllocations: [])])])
        dump.isTemplate = true
        return dump
    }

    /// The slot a template's single pool goes to (its custom pool).
    public static let templateSlots = [PoolSlot(dumpPool: 1, dedicated: false, name: "")]

    /// The code an unnamed allocation's `CustomData` gets in an export after defragmentation: where it was
    /// in the input, "P<pool>B<block>O<offset>" (P: index of the pool in the dump, default pools first, then
    /// custom pools; B: block id; O: offset) or "P<pool>D<index>" for a dedicated allocation, followed by
    /// "C" and its original CustomData if it had one. Letters and digits only, as the schema requires.
    public static func originCode(_ entry: Entry) -> String {
        var code = "P\(entry.dumpPool)"
        if let block = entry.block { code += "B\(block)O\(entry.allocation.offset)" } else { code += "D\(entry.dedicatedIndex ?? 0)" }
        if let custom = entry.allocation.customData { code += "C" + custom }
        return code
    }

    /// The state of `pools` as a dump: the same General, heaps, memory types and pools as this dump, with
    /// every pool's blocks as the pages are now (in the pools' page order, under their ids) and its dedicated
    /// allocations. `pools` are those ``makePools(device:verifiesBytes:)`` built (in its order), possibly
    /// defragmented since. With `recordOrigins`, every unnamed allocation's CustomData tells where it was
    /// (``originCode(_:)``).
    public func exported<D: PageDevice>(pools: [MemoryPool<D>], recordOrigins: Bool = false, slots: [PoolSlot]? = nil) throws -> VMADump {
        let slots = slots ?? poolSlots
        guard pools.count == slots.count else {
            throw ExportError(description: "\(pools.count) pools given, but the dump \(displayName) has \(slots.count)")
        }
        let entries = isTemplate ? [] : self.entries
        var all = allPools
        for i in all.indices {
            all[i].blocks = []
            all[i].dedicatedAllocations = []
        }
        for (slot, pool) in zip(slots, pools) {
            if !isTemplate && pool.name != slot.name {
                throw ExportError(description: "pool \"\(pool.name)\" is not the dump's pool \"\(slot.name)\"")
            }
            let original = allPools[slot.dumpPool]
            var mapRefCounts: [Int: Int] = [:]
            for b in original.blocks { mapRefCounts[b.id] = b.mapRefCount }
            var blocks: [Block] = []
            for pageID in (slot.dedicated ? pool.pageIDs.sorted() : pool.pageIDs) {
                guard let metadata = pool.metadata(ofPage: pageID) else { continue }
                var allocations: [Allocation] = []
                var problem: String?
                metadata.visitAllRegions { region in
                    guard !region.isFree, problem == nil else { return }
                    guard region.userData >= 0 else {
                        problem = "page \(pageID) of pool \(pool.name) holds a move in progress at offset \(region.offset)"
                        return
                    }
                    let r = pool.record(slot: region.userData)
                    allocations.append(allocation(for: r, entries: entries, recordOrigins: recordOrigins))
                }
                if let problem { throw ExportError(description: problem) }
                allocations.reverse() // visitAllRegions walks from the highest offset
                blocks.append(Block(id: pageID, size: metadata.size, mapRefCount: mapRefCounts[pageID] ?? 0, allocations: allocations))
            }
            if slot.dedicated {
                for b in blocks {
                    guard b.allocations.count == 1, b.allocations[0].offset == 0, b.allocations[0].size == b.size else {
                        throw ExportError(description: "page \(b.id) of \(pool.name) is not one dedicated allocation filling it")
                    }
                    all[slot.dumpPool].dedicatedAllocations.append(b.allocations[0])
                }
            } else {
                all[slot.dumpPool].blocks = blocks
            }
        }
        var result = self
        result.defaultPools = Array(all.prefix(defaultPools.count))
        var rest = all.dropFirst(defaultPools.count)
        result.customPools = customPools.map { group in
            let pools = Array(rest.prefix(group.pools.count))
            rest = rest.dropFirst(group.pools.count)
            return (group.memoryType, pools)
        }
        // Heaps: the usage VMA measured beyond this dump's blocks is kept; the blocks are as they are now.
        for h in result.heaps.indices {
            let now = result.statistics(ofHeap: result.heaps[h]).blockBytes
            if let usage = result.heaps[h].usageBytes { result.heaps[h].usageBytes = usage - result.heaps[h].blockBytes + now }
            result.heaps[h].blockBytes = now
        }
        result.isTemplate = false
        return result
    }

    private func allocation<D>(for r: MemoryPool<D>.Record, entries: [Entry], recordOrigins: Bool) -> Allocation {
        guard !isTemplate, r.id >= 0, r.id < entries.count else {
            // A trace or scenario: named like the dumps VMA made of the traces (name alloc-<id>, CustomData the id in hex).
            return Allocation(offset: r.offset, size: r.size, type: r.type, usage: 0, customData: "0x" + String(r.id, radix: 16),
                              name: r.name ?? "alloc-\(r.id)")
        }
        let entry = entries[r.id]
        var customData = entry.allocation.customData
        if recordOrigins && r.name == nil { customData = Self.originCode(entry) }
        return Allocation(offset: r.offset, size: r.size, type: r.type, usage: entry.allocation.usage, customData: customData,
                          name: r.name, layout: entry.allocation.layout)
    }
}

// MARK: statistics (VMA's VmaDetailedStatistics as vmaBuildStatsString prints them)

extension VMADump {
    /// VMA's detailed statistics: a dedicated allocation counts as a block of its own size.
    public struct Stats: Sendable, Equatable {
        public var blockCount = 0
        public var blockBytes = 0
        public var allocationCount = 0
        public var allocationBytes = 0
        public var unusedRangeCount = 0
        public var allocationSizeMin = Int.max
        public var allocationSizeMax = 0
        public var unusedRangeSizeMin = Int.max
        public var unusedRangeSizeMax = 0

        public init() {}

        mutating func addAllocation(_ size: Int) {
            allocationCount += 1
            allocationBytes += size
            allocationSizeMin = Swift.min(allocationSizeMin, size)
            allocationSizeMax = Swift.max(allocationSizeMax, size)
        }

        mutating func addUnusedRange(_ size: Int) {
            unusedRangeCount += 1
            unusedRangeSizeMin = Swift.min(unusedRangeSizeMin, size)
            unusedRangeSizeMax = Swift.max(unusedRangeSizeMax, size)
        }

        /// A block with its allocations and free ranges.
        mutating func addBlock(size: Int, allocationSizes: [Int], freeRanges: [(offset: Int, size: Int)]) {
            blockCount += 1
            blockBytes += size
            for a in allocationSizes { addAllocation(a) }
            for f in freeRanges { addUnusedRange(f.size) }
        }

        /// A dedicated allocation (D3D12MA: a committed resource): a block of its own, all allocated.
        mutating func addDedicated(size: Int) {
            blockCount += 1
            blockBytes += size
            addAllocation(size)
        }

        mutating func add(_ o: Stats) {
            blockCount += o.blockCount
            blockBytes += o.blockBytes
            allocationCount += o.allocationCount
            allocationBytes += o.allocationBytes
            unusedRangeCount += o.unusedRangeCount
            allocationSizeMin = Swift.min(allocationSizeMin, o.allocationSizeMin)
            allocationSizeMax = Swift.max(allocationSizeMax, o.allocationSizeMax)
            unusedRangeSizeMin = Swift.min(unusedRangeSizeMin, o.unusedRangeSizeMin)
            unusedRangeSizeMax = Swift.max(unusedRangeSizeMax, o.unusedRangeSizeMax)
        }
    }

    public static func statistics(of pool: Pool) -> Stats {
        var s = Stats()
        for block in pool.blocks { s.addBlock(size: block.size, allocationSizes: block.allocations.map(\.size), freeRanges: block.freeRanges) }
        for a in pool.dedicatedAllocations { s.addDedicated(size: a.size) }
        return s
    }

    public func statistics(ofMemoryType type: String) -> Stats {
        var s = Stats()
        for pool in allPools where pool.memoryType == type { s.add(Self.statistics(of: pool)) }
        return s
    }

    public func statistics(ofHeap heap: Heap) -> Stats {
        var s = Stats()
        for t in heap.memoryTypes { s.add(statistics(ofMemoryType: t.name)) }
        return s
    }

    /// Every pool's statistics (VMA's Total).
    public var totalStatistics: Stats {
        var s = Stats()
        for pool in allPools { s.add(Self.statistics(of: pool)) }
        return s
    }
}

// MARK: text

extension VMADump {
    /// The dump as VMA writes it (vmaBuildStatsString with the detailed map): no trailing newline.
    public func serialized() -> [UInt8] {
        var w = VMAJSONWriter()
        w.beginObject()
        w.key("General")
        w.node(JSONNode(.object(general)))
        w.key("Total")
        w.statistics(totalStatistics)
        w.key("MemoryInfo")
        w.beginObject()
        for heap in heaps {
            w.key(heap.name)
            w.beginObject()
            if let flags = heap.flags { writeFlags(flags, to: &w) }
            if let size = heap.size { w.key("Size"); w.number(size) }
            w.key("Budget")
            w.beginObject()
            if let b = heap.budgetBytes { w.key("BudgetBytes"); w.number(b) }
            if let u = heap.usageBytes { w.key("UsageBytes"); w.number(u) }
            w.endObject()
            w.key("Stats")
            w.statistics(statistics(ofHeap: heap))
            w.key("MemoryPools")
            w.beginObject()
            for type in heap.memoryTypes {
                w.key(type.name)
                w.beginObject()
                if let flags = type.flags { writeFlags(flags, to: &w) }
                w.key("Stats")
                w.statistics(statistics(ofMemoryType: type.name))
                w.endObject()
            }
            w.endObject()
            w.endObject()
        }
        w.endObject()
        w.poolSections(defaultPools.map { ($0.memoryType, $0) }, customPools.map { ($0.memoryType, $0.pools) }, write: write)
        w.endObject()
        return w.text
    }

    private func writeFlags(_ flags: [String], to w: inout VMAJSONWriter) {
        w.key("Flags")
        w.beginArray(singleLine: true)
        for f in flags { w.string(f) }
        w.endArray()
    }

    private func write(_ pool: Pool, to w: inout VMAJSONWriter) {
        w.beginObject()
        if pool.isCustom {
            if let name = pool.name { w.key("Name"); w.string(name) }
            if let flags = pool.flags { w.key("Flags"); w.node(flags) }
        }
        if let preferred = pool.preferredBlockSize { w.key("PreferredBlockSize"); w.number(preferred) }
        w.key("Blocks")
        w.beginObject()
        for block in pool.blocks {
            w.key(String(block.id))
            w.beginObject()
            w.key("MapRefCount"); w.number(block.mapRefCount)
            w.blockMap(size: block.size, block.allocations, span: { ($0.offset, $0.size) }, parameters: writeParameters)
            w.endObject()
        }
        w.endObject()
        w.dedicatedAllocations(pool.dedicatedAllocations, parameters: writeParameters)
        w.endObject()
    }

    private func writeParameters(_ a: Allocation, to w: inout VMAJSONWriter) {
        w.key("Type"); w.string(a.type.description)
        w.key("Size"); w.number(a.size)
        if let usage = a.usage { w.key("Usage"); w.number(usage) }
        if let custom = a.customData { w.key("CustomData"); w.string(custom) }
        if let name = a.name { w.key("Name"); w.string(name) }
        if let layout = a.layout { w.key("Layout"); w.number(layout) }
    }
}

// MARK: pieces both dump writers share (D3D12MA's JsonWriter and VMA's VmaJsonWriter write them alike)

extension VMAJSONWriter {
    /// A DetailedStatistics object (VmaPrintDetailedStatistics, JsonWriter::AddDetailedStatisticsInfoObject).
    mutating func statistics(_ s: VMADump.Stats) {
        beginObject()
        key("BlockCount"); number(s.blockCount)
        key("BlockBytes"); number(s.blockBytes)
        key("AllocationCount"); number(s.allocationCount)
        key("AllocationBytes"); number(s.allocationBytes)
        key("UnusedRangeCount"); number(s.unusedRangeCount)
        if s.allocationCount > 1 {
            key("AllocationSizeMin"); number(s.allocationSizeMin)
            key("AllocationSizeMax"); number(s.allocationSizeMax)
        }
        if s.unusedRangeCount > 1 {
            key("UnusedRangeSizeMin"); number(s.unusedRangeSizeMin)
            key("UnusedRangeSizeMax"); number(s.unusedRangeSizeMax)
        }
        endObject()
    }

    /// A block's map as VMA's and D3D12MA's PrintDetailedMap write it: TotalBytes, UnusedBytes, Allocations,
    /// UnusedRanges, then Suballocations: `allocations` (ascending by offset, each as its Offset followed by
    /// what `parameters` writes) with the free ranges between them.
    mutating func blockMap<A>(size: Int, _ allocations: [A], span: (A) -> (offset: Int, size: Int),
                              parameters: (A, inout VMAJSONWriter) -> Void) {
        let spans = allocations.map(span)
        let free = gaps(size: size, spans)
        key("TotalBytes"); number(size)
        key("UnusedBytes"); number(size - spans.reduce(0) { $0 + $1.size })
        key("Allocations"); number(allocations.count)
        key("UnusedRanges"); number(free.count)
        key("Suballocations")
        beginArray()
        var f = 0
        for (a, s) in zip(allocations, spans) {
            while f < free.count && free[f].offset < s.offset { freeRange(free[f]); f += 1 }
            beginObject(singleLine: true)
            key("Offset"); number(s.offset)
            parameters(a, &self)
            endObject()
        }
        while f < free.count { freeRange(free[f]); f += 1 }
        endArray()
    }

    /// DefaultPools (an object per key) and CustomPools (an array per key), each pool as `write` writes it.
    mutating func poolSections<P>(_ defaultPools: [(key: String, pool: P)], _ customPools: [(key: String, pools: [P])],
                                  write: (P, inout VMAJSONWriter) -> Void) {
        key("DefaultPools")
        beginObject()
        for (k, pool) in defaultPools {
            key(k)
            write(pool, &self)
        }
        endObject()
        key("CustomPools")
        beginObject()
        for (k, pools) in customPools {
            key(k)
            beginArray()
            for pool in pools { write(pool, &self) }
            endArray()
        }
        endObject()
    }

    /// A pool's DedicatedAllocations: one single-line object per allocation, as `parameters` writes it.
    mutating func dedicatedAllocations<A>(_ allocations: [A], parameters: (A, inout VMAJSONWriter) -> Void) {
        key("DedicatedAllocations")
        beginArray()
        for a in allocations {
            beginObject(singleLine: true)
            parameters(a, &self)
            endObject()
        }
        endArray()
    }

    /// A FREE entry of a block's Suballocations.
    private mutating func freeRange(_ range: (offset: Int, size: Int)) {
        beginObject(singleLine: true)
        key("Offset"); number(range.offset)
        key("Type"); string("FREE")
        key("Size"); number(range.size)
        endObject()
    }
}
