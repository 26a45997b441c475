// Writing pools back as a D3D12MA dump, in D3D12MA's own layout (its JsonWriter's spacing and escapes, its
// field order, its statistics), so its GpuMemDumpVis and our importer read it, and an unchanged dump
// exports byte for byte as it was read. Followed: D3D12MA commit 1d86c1130f61453634b1df85782e1fecfd59a525
// (AllocatorPimpl::BuildStatsString, CalculateStatistics, JsonWriter::AddDetailedStatisticsInfoObject).
import MemoryMetadata
import MemoryPools

extension D3D12MADump {
    /// The state of `pools` (built by ``makePools(device:verifiesBytes:)``, possibly defragmented since) as a
    /// dump: the same General, segments and pools as this one, with every pool's blocks as its pages are now
    /// (in the pool's page order, under their ids) and its committed resources.
    public func exported<D: PageDevice>(pools: [MemoryPool<D>]) throws -> D3D12MADump {
        let slots = poolModel.poolSlots
        guard pools.count == slots.count else {
            throw VMADump.ExportError(description: "\(pools.count) pools given, but the dump \(displayName) has \(slots.count)")
        }
        let byID = allocationsByID
        var all = allPools.map { pool -> Pool in
            var p = pool
            p.blocks = []
            p.dedicatedAllocations = []
            return p
        }
        for (slot, pool) in zip(slots, pools) {
            guard pool.name == slot.name else {
                throw VMADump.ExportError(description: "pool \"\(pool.name)\" is not the dump's pool \"\(slot.name)\"")
            }
            var blocks: [Block] = []
            for pageID in (slot.dedicated ? pool.pageIDs.sorted() : pool.pageIDs) {
                guard let metadata = pool.metadata(ofPage: pageID) else { continue }
                var allocations: [Allocation] = []
                var problem: String?
                metadata.visitAllRegions { region in
                    guard !region.isFree, problem == nil else { return }
                    let record = region.userData >= 0 ? pool.record(slot: region.userData) : nil
                    guard let record, record.id >= 0, record.id < byID.count else {
                        problem = "page \(pageID) of pool \(pool.name) holds a move in progress or an allocation not from the dump at offset \(region.offset)"
                        return
                    }
                    var a = byID[record.id]
                    a.offset = record.offset
                    allocations.append(a)
                }
                if let problem { throw VMADump.ExportError(description: problem) }
                allocations.sort { $0.offset < $1.offset }
                blocks.append(Block(id: pageID, size: metadata.size, allocations: allocations))
            }
            if slot.dedicated {
                for b in blocks {
                    guard b.allocations.count == 1, b.allocations[0].offset == 0, b.allocations[0].size == b.size else {
                        throw VMADump.ExportError(description: "page \(b.id) of \(pool.name) is not one committed resource filling it")
                    }
                    all[slot.dumpPool].dedicatedAllocations.append(b.allocations[0])
                }
            } else {
                all[slot.dumpPool].blocks = blocks
            }
        }
        // Tier 1: every default pool of a heap type lists that heap type's committed resources.
        var committed: [String: [Allocation]] = [:]
        for i in 0..<defaultPools.count {
            if let list = committed[all[i].heapType] { all[i].dedicatedAllocations = list } else { committed[all[i].heapType] = all[i].dedicatedAllocations }
        }
        var result = self
        result.defaultPools = Array(all.prefix(defaultPools.count))
        var rest = all.dropFirst(defaultPools.count)
        result.customPools = customPools.map { group in
            defer { rest = rest.dropFirst(group.pools.count) }
            return (group.heapType, Array(rest.prefix(group.pools.count)))
        }
        // Segments: the usage measured beyond this dump's blocks is kept; the blocks are as they are now.
        for s in result.segments.indices {
            let now = result.statistics(ofSegment: result.segments[s].name).blockBytes
            result.segments[s].usageBytes += now - result.segments[s].blockBytes
            result.segments[s].blockBytes = now
        }
        return result
    }
}

// MARK: statistics (D3D12MA's CalculateStatistics)

extension D3D12MADump {
    /// Whether `pool` is in the local memory segment group (video memory): by its MEMORY_POOL flag for pools
    /// of the CUSTOM heap type, else DEFAULT and GPU_UPLOAD heaps are local.
    func isLocal(_ pool: Pool) -> Bool {
        let names = pool.flagNames
        if names.contains("MEMORY_POOL_L1") { return true }
        if names.contains("MEMORY_POOL_L0") { return false }
        return pool.heapType == "DEFAULT" || pool.heapType == "GPU_UPLOAD"
    }

    /// The `MemoryInfo` key of the segment `pool` counts in: everything is in L0 on UMA; else local is L1.
    public func segmentName(of pool: Pool) -> String { isUMA || !isLocal(pool) ? "L0" : "L1" }

    /// A pool's statistics: every block with its allocations and free ranges, every committed resource as a
    /// block of its own.
    static func statistics(of pool: Pool) -> VMADump.Stats {
        var s = VMADump.Stats()
        for block in pool.blocks { s.addBlock(size: block.size, allocationSizes: block.allocations.map(\.size), freeRanges: block.freeRanges) }
        for a in pool.dedicatedAllocations { s.addDedicated(size: a.size) }
        return s
    }

    private func sum(_ include: (Pool) -> Bool) -> VMADump.Stats {
        var s = VMADump.Stats()
        for pool in poolsWithDedicated where include(pool) { s.add(Self.statistics(of: pool)) }
        return s
    }

    public var totalStatistics: VMADump.Stats { sum { _ in true } }
    public func statistics(ofSegment name: String) -> VMADump.Stats { sum { segmentName(of: $0) == name } }

    /// A `MemoryPools` entry of segment `segment`: a heap type's pools (default, custom, committed), or for
    /// CUSTOM every custom pool in the segment.
    public func statistics(ofHeapType heapType: String, inSegment segment: String) -> VMADump.Stats {
        heapType == "CUSTOM" ? sum { $0.isCustom && segmentName(of: $0) == segment } : sum { $0.heapType == heapType }
    }
}

// MARK: text

extension D3D12MADump {
    /// The dump as D3D12MA writes it, in the encoding it was read in (UTF-16 with its byte order mark, as
    /// BuildStatsString returns it, or UTF-8); no trailing newline.
    public func serialized() -> [UInt8] {
        var w = VMAJSONWriter()
        w.escapesLikeD3D12MA = true
        w.beginObject()
        w.key("General")
        w.node(JSONNode(.object(general)))
        w.key("Total")
        w.statistics(totalStatistics)
        w.key("MemoryInfo")
        w.beginObject()
        for segment in segments {
            w.key(segment.name)
            w.beginObject()
            w.key("Budget")
            w.beginObject()
            w.key("BudgetBytes"); w.number(segment.budgetBytes)
            w.key("UsageBytes"); w.number(segment.usageBytes)
            w.endObject()
            w.key("Stats")
            w.statistics(statistics(ofSegment: segment.name))
            w.key("MemoryPools")
            w.beginObject()
            for heapType in segment.heapTypes {
                w.key(heapType)
                w.beginObject()
                w.key("Stats")
                w.statistics(statistics(ofHeapType: heapType, inSegment: segment.name))
                w.endObject()
            }
            w.endObject()
            w.endObject()
        }
        w.endObject()
        if isDetailed {
            w.poolSections(defaultPools.map { ($0.key, $0) }, customPools.map { ($0.heapType, $0.pools) }, write: write)
        }
        w.endObject()
        return Self.encode(w.text, as: encoding)
    }

    /// UTF-8 text in `encoding`.
    static func encode(_ utf8: [UInt8], as encoding: Encoding) -> [UInt8] {
        switch encoding {
        case .utf8: return utf8
        case .utf8WithByteOrderMark: return [0xEF, 0xBB, 0xBF] + utf8
        case .utf16LittleEndian, .utf16BigEndian:
            var out: [UInt8] = encoding == .utf16LittleEndian ? [0xFF, 0xFE] : [0xFE, 0xFF]
            out.reserveCapacity(2 + utf8.count * 2)
            for unit in String(decoding: utf8, as: UTF8.self).utf16 {
                let (low, high) = (UInt8(unit & 0xFF), UInt8(unit >> 8))
                out += encoding == .utf16LittleEndian ? [low, high] : [high, low]
            }
            return out
        }
    }

    /// A string's content as D3D12MA's JsonWriter escapes it, per UTF-16 code unit: quote, backslash and
    /// slash escaped, control characters by name or \uXXXX, 32–255 as themselves, the rest \uXXXX
    /// (upper-case hex).
    static func escaped(_ s: String) -> [UInt8] {
        var out = ""
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x2F: out += "\\/"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 32..<256: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return Array(out.utf8)
    }

    private func write(_ pool: Pool, to w: inout VMAJSONWriter) {
        w.beginObject()
        if let name = pool.name { w.key("Name"); w.string(name) }
        w.key("Flags")
        w.beginArray(singleLine: true)
        for flag in pool.flags { w.node(flag) }
        w.endArray()
        w.key("PreferredBlockSize"); w.number(pool.preferredBlockSize)
        w.key("Blocks")
        w.beginObject()
        for block in pool.blocks {
            w.key(String(block.id))
            w.beginObject()
            w.blockMap(size: block.size, block.allocations, span: { ($0.offset, $0.size) }, parameters: writeParameters)
            w.endObject()
        }
        w.endObject()
        w.dedicatedAllocations(pool.dedicatedAllocations, parameters: writeParameters)
        w.endObject()
    }

    /// JsonWriter::AddAllocationToObject.
    private func writeParameters(_ a: Allocation, to w: inout VMAJSONWriter) {
        w.key("Type"); w.string(a.type.rawValue)
        w.key("Size"); w.number(a.size)
        w.key("Usage"); w.number(a.usage)
        if let custom = a.customData { w.key("CustomData"); w.string(custom) }
        if let name = a.name { w.key("Name"); w.string(name) }
        if let layout = a.layout { w.key("Layout"); w.number(layout) }
    }
}
