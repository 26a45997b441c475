// Rebuilding a dump's pools: every block becomes a page of exactly its size under its id, every
// suballocation is placed at exactly its offset, with its type and name.
//
// Dedicated allocations: each becomes a page of its own, exactly its size, in a pool of its own per dump
// pool (named "<pool> / dedicated", `PoolOptions.holdsDedicatedAllocations`). Such a page has no free byte,
// so the engine can neither move the allocation into another page of that pool nor lower in its own, and
// nothing from the block pools can move in: dedicated allocations are shown and never moved.
import MemoryMetadata
import MemoryPools

extension VMADump {
    /// One pool ``makePools(device:verifiesBytes:)`` builds, in order.
    public struct PoolSlot: Sendable, Equatable {
        /// Index into ``allPools``.
        public var dumpPool: Int
        /// The pool of that dump pool's dedicated allocations (else: its blocks).
        public var dedicated: Bool
        /// The MemoryPool's name: "Type 0", "Type 0 / <custom pool name>", "… / dedicated".
        public var name: String
    }

    /// Where an allocation of the session came from. Allocation ids are indices into ``entries``.
    public struct Entry: Sendable, Equatable {
        /// Index into ``allPools``.
        public var dumpPool: Int
        /// The block id, or nil for a dedicated allocation.
        public var block: Int?
        /// For dedicated allocations: the index in the pool's DedicatedAllocations.
        public var dedicatedIndex: Int?
        /// As dumped (offset within the block; 0 for dedicated).
        public var allocation: Allocation
    }

    /// The display name of dump pool `index`.
    public func poolName(_ index: Int) -> String {
        let pool = allPools[index]
        guard pool.isCustom else { return pool.memoryType }
        if let name = pool.name, !name.isEmpty { return "\(pool.memoryType) / \(name)" }
        let ordinal = customPools.first { $0.memoryType == pool.memoryType }.map { _ in
            index - defaultPools.count - customPools.prefix { $0.memoryType != pool.memoryType }.reduce(0) { $0 + $1.pools.count }
        } ?? 0
        return "\(pool.memoryType) / custom pool \(ordinal)"
    }

    /// The pools built from this dump, in order: per dump pool (default pools, then custom pools), one
    /// pool of its blocks if it has any, then one of its dedicated allocations if it has any.
    public var poolSlots: [PoolSlot] {
        var slots: [PoolSlot] = []
        for (i, pool) in allPools.enumerated() {
            if !pool.blocks.isEmpty { slots.append(PoolSlot(dumpPool: i, dedicated: false, name: poolName(i))) }
            if !pool.dedicatedAllocations.isEmpty { slots.append(PoolSlot(dumpPool: i, dedicated: true, name: poolName(i) + " / dedicated")) }
        }
        return slots
    }

    /// Every allocation in the order of its id: per dump pool, blocks in the dump's order with their
    /// allocations ascending by offset, then the dedicated allocations.
    public var entries: [Entry] {
        var result: [Entry] = []
        result.reserveCapacity(allocationCount)
        for (i, pool) in allPools.enumerated() {
            for block in pool.blocks {
                for a in block.allocations { result.append(Entry(dumpPool: i, block: block.id, allocation: a)) }
            }
            for (k, a) in pool.dedicatedAllocations.enumerated() { result.append(Entry(dumpPool: i, dedicatedIndex: k, allocation: a)) }
        }
        return result
    }

    /// `General.bufferImageGranularity` when the dump has it, else 1.
    public var bufferImageGranularity: Int {
        if case .number(let n)? = general["bufferImageGranularity"]?.kind, let g = Int(n), g > 0, g & (g - 1) == 0 { return g }
        return 1
    }

    /// The heap a memory type belongs to.
    public func heap(ofMemoryType type: String) -> Heap? { heaps.first { $0.memoryTypes.contains { $0.name == type } } }

    /// The alignment an allocation is moved with. A dump does not record alignments, so it is inferred: the
    /// largest power of two dividing the offset (the size, at offset 0), at most 4 KiB. The dumped place is
    /// always valid under it.
    public static func inferredAlignment(offset: Int, size: Int) -> Int {
        let basis = offset > 0 ? offset : size
        let lowest = basis & -basis
        return lowest > 0 ? min(lowest, 4096) : 4096
    }

    /// Builds one pool per ``poolSlots`` entry on `device`. Pools share the device under disjoint ids
    /// (`PoolOptions.deviceIDBase`). Allocation ids are indices into ``entries``.
    public func makePools<D: PageDevice>(device: D, verifiesBytes: Bool = true) throws -> [MemoryPool<D>] {
        var firstID: [Int] = [] // first allocation id of each dump pool's blocks, then of its dedicated list
        var firstDedicatedID: [Int] = []
        var next = 0
        for pool in allPools {
            firstID.append(next)
            next += pool.blocks.reduce(0) { $0 + $1.allocations.count }
            firstDedicatedID.append(next)
            next += pool.dedicatedAllocations.count
        }
        let granularity = bufferImageGranularity
        var pools: [MemoryPool<D>] = []
        for (slotIndex, slot) in poolSlots.enumerated() {
            let dumpPool = allPools[slot.dumpPool]
            let path = poolPath(slot.dumpPool)
            let largest = slot.dedicated ? dumpPool.dedicatedAllocations.map(\.size).max()! : dumpPool.blocks.map(\.size).max()!
            var options = PoolOptions(pageSize: slot.dedicated ? largest : max(largest, dumpPool.preferredBlockSize ?? 0))
            options.verifiesBytes = verifiesBytes
            options.deviceIDBase = slotIndex << 32
            options.holdsDedicatedAllocations = slot.dedicated
            if let heapSize = heap(ofMemoryType: dumpPool.memoryType)?.size, heapSize > 0 { options.heapSize = heapSize }
            options.bufferImageGranularity = granularity
            let pool = MemoryPool(options: options, device: device, name: slot.name)
            pools.append(pool)
            // Contents are written once every pool is placed (a device found too small has written none).
            pool.deferPatterns()
            if slot.dedicated {
                for (k, a) in dumpPool.dedicatedAllocations.enumerated() {
                    let itemPath = JSONPath.index(JSONPath.member(path, "DedicatedAllocations"), k)
                    try rebuild(path: itemPath) {
                        try pool.addPage(id: k, size: a.size)
                        try pool.place(id: firstDedicatedID[slot.dumpPool] + k, pageID: k, offset: 0, size: a.size,
                                       alignment: Self.inferredAlignment(offset: 0, size: a.size), type: a.type, name: a.name)
                    }
                }
            } else {
                var id = firstID[slot.dumpPool]
                let blocksPath = JSONPath.member(path, "Blocks")
                for block in dumpPool.blocks {
                    let blockPath = JSONPath.member(blocksPath, String(block.id))
                    try rebuild(path: blockPath) { try pool.addPage(id: block.id, size: block.size) }
                    for a in block.allocations {
                        try rebuild(path: JSONPath.member(blockPath, "Suballocations")) {
                            try pool.place(id: id, pageID: block.id, offset: a.offset, size: a.size,
                                           alignment: Self.inferredAlignment(offset: a.offset, size: a.size), type: a.type, name: a.name)
                        }
                        id += 1
                    }
                }
            }
        }
        for pool in pools { try pool.writeDeferredPatterns() }
        return pools
    }

    /// The JSON path of dump pool `index`.
    func poolPath(_ index: Int) -> String {
        let pool = allPools[index]
        if !pool.isCustom { return JSONPath.member(JSONPath.member(JSONPath.root, "DefaultPools"), pool.memoryType) }
        var k = index - defaultPools.count
        for group in customPools {
            if group.memoryType == pool.memoryType && k < group.pools.count {
                return JSONPath.index(JSONPath.member(JSONPath.member(JSONPath.root, "CustomPools"), group.memoryType), k)
            }
            k -= group.pools.count
        }
        return JSONPath.root
    }

    /// Runs a pool operation, turning a refusal into a WorkloadError at `path` (a device failure stays one).
    private func rebuild(path: String, _ body: () throws -> Void) throws {
        do { try body() } catch let error as PoolError {
            if case .device = error { throw error }
            throw WorkloadError(file: file, jsonPath: path, message: "cannot rebuild this allocation: \(error)")
        }
    }
}
