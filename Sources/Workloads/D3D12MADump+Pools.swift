// Rebuilding a D3D12MA dump's pools: through the VMA dump model, which D3D12MA's layout maps onto one to
// one (heaps are blocks, placed resources suballocations at their offsets, committed resources dedicated
// allocations), so pages, offsets, names and the rules for dedicated pages are those of VMA dumps
// (VMADump+Pools.swift). Pool names are the dump's: "DEFAULT", "DEFAULT - Textures", "CUSTOM / 0 - ring",
// "UPLOAD / dedicated".
import MemoryPools

extension D3D12MADump {
    /// The dump in the VMA dump model: default pools under their keys as memory types, custom pools under
    /// their heap types, resource types as suballocation types (``Allocation/suballocationType``), committed
    /// resources once per heap type. Allocation ids of the pools it builds index ``allocationsByID``.
    public var poolModel: VMADump {
        func convert(_ a: Allocation) -> VMADump.Allocation {
            VMADump.Allocation(offset: a.offset, size: a.size, type: a.suballocationType, usage: a.usage, customData: a.customData,
                               name: a.name, layout: a.layout)
        }
        func convert(_ p: Pool) -> VMADump.Pool {
            VMADump.Pool(memoryType: p.key, name: p.name, isCustom: p.isCustom, preferredBlockSize: p.preferredBlockSize,
                         blocks: p.blocks.map { VMADump.Block(id: $0.id, size: $0.size, allocations: $0.allocations.map(convert)) },
                         dedicatedAllocations: p.dedicatedAllocations.map(convert))
        }
        let pools = poolsWithDedicated
        var rest = pools.dropFirst(defaultPools.count)
        let custom = customPools.map { group -> (memoryType: String, pools: [VMADump.Pool]) in
            defer { rest = rest.dropFirst(group.pools.count) }
            return (group.heapType, rest.prefix(group.pools.count).map(convert))
        }
        return VMADump(file: file, general: JSONObject(), heaps: [], defaultPools: pools.prefix(defaultPools.count).map(convert),
                       customPools: custom)
    }

    /// Every allocation in the order of its id in the built pools: per pool, blocks in the dump's order with
    /// their allocations by offset, then the committed resources.
    public var allocationsByID: [Allocation] {
        poolsWithDedicated.flatMap { pool in pool.blocks.flatMap(\.allocations) + pool.dedicatedAllocations }
    }

    /// Builds the dump's pools on `device` (see ``poolModel``).
    public func makePools<D: PageDevice>(device: D, verifiesBytes: Bool = true) throws -> [MemoryPool<D>] {
        try poolModel.makePools(device: device, verifiesBytes: verifiesBytes)
    }
}
