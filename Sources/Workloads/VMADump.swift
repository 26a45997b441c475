// VMA JSON dumps (what vmaBuildStatsString(detailedMap: VK_TRUE) writes and VMA's GpuMemDumpVis reads;
// format: ../shared/vma-dumps/GpuMemDump.schema.json). Reading one validates it fully: every problem is a
// WorkloadError naming the file, the line, the JSON path and what was expected (exit 2 on the command line).
import Foundation
import MemoryMetadata

/// A parsed VMA dump: the parts defragscope rebuilds (pools, blocks, suballocations, dedicated
/// allocations) as a model, and the parts it only carries (General, heap and memory type flags, budgets)
/// as written, so an export can give them back.
public struct VMADump: Sendable, Equatable {
    /// The file as the user named it.
    public var file: String
    /// `General`, as written (API, GPU, and whatever else VMA put there).
    public var general: JSONObject
    /// `MemoryInfo`: heaps with their memory types.
    public var heaps: [Heap]
    /// `DefaultPools`: one per memory type, in the dump's order.
    public var defaultPools: [Pool]
    /// `CustomPools`: per memory type (in the dump's order), the custom pools of that type.
    public var customPools: [(memoryType: String, pools: [Pool])]
    /// Made by ``template(title:pool:gpu:)`` for a trace or scenario: its allocations are named by id.
    public internal(set) var isTemplate = false

    public static func == (a: VMADump, b: VMADump) -> Bool {
        a.file == b.file && a.general == b.general && a.heaps == b.heaps && a.defaultPools == b.defaultPools
            && a.customPools.map(\.memoryType) == b.customPools.map(\.memoryType) && a.customPools.map(\.pools) == b.customPools.map(\.pools)
    }

    public init(file: String, general: JSONObject, heaps: [Heap], defaultPools: [Pool], customPools: [(memoryType: String, pools: [Pool])]) {
        self.file = file
        self.general = general
        self.heaps = heaps
        self.defaultPools = defaultPools
        self.customPools = customPools
    }

    /// One `MemoryInfo["Heap N"]`.
    public struct Heap: Sendable, Equatable {
        public var name: String
        public var flags: [String]?
        public var size: Int?
        public var budgetBytes: Int?
        /// `UsageBytes` as dumped. It can exceed this dump's blocks (other processes, the driver), so an
        /// export keeps the difference and adds the blocks it has now.
        public var usageBytes: Int?
        /// BlockBytes of the heap's `Stats` as dumped (to carry the difference above).
        public var blockBytes: Int
        public var memoryTypes: [MemoryType]

        public init(name: String, flags: [String]?, size: Int?, budgetBytes: Int?, usageBytes: Int?, blockBytes: Int, memoryTypes: [MemoryType]) {
            self.name = name
            self.flags = flags
            self.size = size
            self.budgetBytes = budgetBytes
            self.usageBytes = usageBytes
            self.blockBytes = blockBytes
            self.memoryTypes = memoryTypes
        }
    }

    /// One `MemoryPools["Type N"]` of a heap.
    public struct MemoryType: Sendable, Equatable {
        public var name: String
        public var flags: [String]?
        public init(name: String, flags: [String]?) {
            self.name = name
            self.flags = flags
        }
    }

    /// A default pool (key: its memory type) or a custom pool (its `Name`).
    public struct Pool: Sendable, Equatable {
        /// The memory type, "Type 0".
        public var memoryType: String
        /// A custom pool's `Name` (nil for default pools and unnamed custom pools).
        public var name: String?
        public var isCustom: Bool
        /// A custom pool's `Flags`, as written.
        public var flags: JSONNode?
        public var preferredBlockSize: Int?
        /// Blocks in the dump's order (VMA's internal order, not id order).
        public var blocks: [Block]
        public var dedicatedAllocations: [Allocation]

        public init(memoryType: String, name: String? = nil, isCustom: Bool, flags: JSONNode? = nil, preferredBlockSize: Int?,
                    blocks: [Block], dedicatedAllocations: [Allocation]) {
            self.memoryType = memoryType
            self.name = name
            self.isCustom = isCustom
            self.flags = flags
            self.preferredBlockSize = preferredBlockSize
            self.blocks = blocks
            self.dedicatedAllocations = dedicatedAllocations
        }
    }

    /// One block (a VkDeviceMemory VMA suballocates).
    public struct Block: Sendable, Equatable {
        /// The key under `Blocks` (VMA's block id).
        public var id: Int
        public var size: Int
        public var mapRefCount: Int
        /// Allocations ascending by offset (free ranges are implied by the gaps).
        public var allocations: [Allocation]
        /// Whether the dump listed `Suballocations` at all.
        public var hasSuballocations: Bool

        public init(id: Int, size: Int, mapRefCount: Int = 0, allocations: [Allocation], hasSuballocations: Bool = true) {
            self.id = id
            self.size = size
            self.mapRefCount = mapRefCount
            self.allocations = allocations
            self.hasSuballocations = hasSuballocations
        }

        /// Free ranges between and after the allocations: (offset, size), ascending.
        public var freeRanges: [(offset: Int, size: Int)] {
            var ranges: [(Int, Int)] = []
            var end = 0
            for a in allocations {
                if a.offset > end { ranges.append((end, a.offset - end)) }
                end = a.offset + a.size
            }
            if size > end { ranges.append((end, size - end)) }
            return ranges
        }
    }

    /// A suballocation of a block (with its offset) or a dedicated allocation (offset 0 of its own memory).
    public struct Allocation: Sendable, Equatable {
        public var offset: Int
        public var size: Int
        public var type: SuballocationType
        public var usage: Int?
        public var customData: String?
        public var name: String?
        /// D3D12's `Layout` (kept as written).
        public var layout: Int?

        public init(offset: Int, size: Int, type: SuballocationType, usage: Int? = nil, customData: String? = nil,
                    name: String? = nil, layout: Int? = nil) {
            self.offset = offset
            self.size = size
            self.type = type
            self.usage = usage
            self.customData = customData
            self.name = name
            self.layout = layout
        }
    }

    /// Every pool of the dump in its order: default pools, then custom pools by memory type.
    public var allPools: [Pool] { defaultPools + customPools.flatMap(\.pools) }

    /// Live allocations in blocks and dedicated.
    public var allocationCount: Int { allPools.reduce(0) { $0 + $1.blocks.reduce(0) { $0 + $1.allocations.count } + $1.dedicatedAllocations.count } }
    public var blockCount: Int { allPools.reduce(0) { $0 + $1.blocks.count } }
    public var dedicatedAllocationCount: Int { allPools.reduce(0) { $0 + $1.dedicatedAllocations.count } }

    /// The file name without folders, for titles.
    public var displayName: String { (file as NSString).lastPathComponent }
}

// MARK: reading

extension VMADump {
    /// The largest dump `load` reads: 256 MiB. It is parsed whole, and the parsed document takes about five
    /// times its size (a 75 MB dump peaks at 0.5 GB), so this keeps a dump under ~1.7 GB of memory. VMA's
    /// dumps of real applications are a few megabytes.
    public static let maxFileBytes = 256 << 20

    /// Reads and validates the dump at `path`: a regular file, pipe, FIFO or device, read in chunks up to
    /// ``maxFileBytes``. A stream whose first non-blank byte cannot start a JSON document is refused at once.
    /// - Throws: `WorkloadError` naming `path` if the file is missing, unreadable, a directory, too large or
    ///   not a valid dump.
    public static func load(path: String) throws -> VMADump {
        try load(path: path, limit: maxFileBytes)
    }

    static func load(path: String, limit: Int) throws -> VMADump {
        let file = try InputFile(path: path, kind: "VMA dump")
        let bytes = try file.readAll(limit: limit) { start in
            // Past a byte order mark and white space, the first byte decides whether this can be JSON; if
            // not, parsing what was read gives the same error as parsing the whole (e.g. /dev/zero).
            let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
            if start.count < mark.count && mark.starts(with: start) { return false }  // perhaps a mark: read on
            var i = start.starts(with: mark) ? mark.count : 0
            while i < start.count && [0x20, 0x09, 0x0A, 0x0D].contains(start[i]) { i += 1 }
            guard i < start.count else { return false }
            if !Array("{[\"-0123456789tfn".utf8).contains(start[i]) { _ = try parse(Array(start), file: path) }
            return true
        }
        return try parse(bytes, file: path)
    }

    /// Parses and validates dump text; `file` names it in messages.
    public static func parse(_ bytes: [UInt8], file: String) throws -> VMADump {
        let root: JSONNode
        do { root = try JSONParser.parse(bytes) } catch let e as JSONSyntaxError {
            throw WorkloadError(file: file, line: e.line, jsonPath: e.path,
                                message: "malformed JSON at byte \(e.offset) (line \(e.line), column \(e.column)): \(e.message)")
        }
        return try DumpReader(file: file).read(root)
    }

    public static func parse(_ text: String, file: String) throws -> VMADump { try parse(Array(text.utf8), file: file) }
}

/// The validation of a parsed document: every field's type, every block's layout.
private struct DumpReader {
    let file: String

    func fail(_ node: JSONNode?, _ path: String, _ message: String) -> WorkloadError {
        WorkloadError(file: file, line: node.map(\.line).flatMap { $0 > 0 ? $0 : nil }, jsonPath: path, message: message)
    }

    func object(_ node: JSONNode, _ path: String, _ what: String = "an object") throws -> JSONObject {
        guard case .object(let o) = node.kind else { throw fail(node, path, "expected \(what), found \(node.typeName)") }
        return o
    }

    func array(_ node: JSONNode, _ path: String) throws -> [JSONNode] {
        guard case .array(let a) = node.kind else { throw fail(node, path, "expected an array, found \(node.typeName)") }
        return a
    }

    func string(_ node: JSONNode, _ path: String) throws -> String {
        guard case .string(let s) = node.kind else { throw fail(node, path, "expected a string, found \(node.typeName)") }
        return s
    }

    func integer(_ node: JSONNode, _ path: String, minimum: Int = 0) throws -> Int {
        guard case .number(let text) = node.kind else { throw fail(node, path, "expected an integer, found \(node.typeName)") }
        guard let value = Int(text) else {
            let isInteger = !text.contains(".") && !text.contains("e") && !text.contains("E")
            throw fail(node, path, isInteger ? "the integer \(text) is out of range (at most \(Int.max))" : "expected an integer, found \(text)")
        }
        guard value >= minimum else { throw fail(node, path, "expected an integer of at least \(minimum), found \(value)") }
        return value
    }

    /// The size of a page: at least 1, at most the largest page TLSF handles.
    func pageSize(_ node: JSONNode, _ path: String) throws -> Int {
        let value = try integer(node, path, minimum: 1)
        guard value <= TLSFMetadata.maxPageSize else {
            throw fail(node, path, "expected at most \(TLSFMetadata.maxPageSize) bytes (256 GiB, the largest page TLSF handles), found \(value)")
        }
        return value
    }

    func required(_ o: JSONObject, _ key: String, _ node: JSONNode, _ path: String) throws -> JSONNode {
        guard let value = o[key] else { throw fail(node, path, "missing field \(JSONPath.quoted(key))") }
        return value
    }

    func strings(_ node: JSONNode, _ path: String) throws -> [String] {
        try array(node, path).enumerated().map { try string($1, JSONPath.index(path, $0)) }
    }

    func read(_ root: JSONNode) throws -> VMADump {
        let top = try object(root, JSONPath.root, "an object (a VMA dump)")
        let known: Set<String> = ["General", "Total", "MemoryInfo", "DefaultPools", "CustomPools"]
        if let extra = top.keys.first(where: { !known.contains($0) }) {
            throw fail(top[extra], JSONPath.member(JSONPath.root, extra), "unknown field; a dump has \(known.sorted().joined(separator: ", "))")
        }
        let generalPath = JSONPath.member(JSONPath.root, "General")
        let generalNode = try required(top, "General", root, JSONPath.root)
        let general = try object(generalNode, generalPath)
        for key in ["API", "GPU"] {
            _ = try string(try required(general, key, generalNode, generalPath), JSONPath.member(generalPath, key))
        }
        let totalPath = JSONPath.member(JSONPath.root, "Total")
        try stats(try required(top, "Total", root, JSONPath.root), totalPath)

        let memoryPath = JSONPath.member(JSONPath.root, "MemoryInfo")
        let memoryNode = try required(top, "MemoryInfo", root, JSONPath.root)
        var heaps: [VMADump.Heap] = []
        for (name, node) in try object(memoryNode, memoryPath).members {
            heaps.append(try heap(name, node, JSONPath.member(memoryPath, name)))
        }
        let memoryTypes = Set(heaps.flatMap { $0.memoryTypes.map(\.name) })

        var defaultPools: [VMADump.Pool] = []
        if let node = top["DefaultPools"] {
            let path = JSONPath.member(JSONPath.root, "DefaultPools")
            for (type, poolNode) in try object(node, path).members {
                try checkListed(type, memoryTypes, poolNode, JSONPath.member(path, type))
                defaultPools.append(try pool(poolNode, JSONPath.member(path, type), memoryType: type, isCustom: false))
            }
        }
        var customPools: [(memoryType: String, pools: [VMADump.Pool])] = []
        if let node = top["CustomPools"] {
            let path = JSONPath.member(JSONPath.root, "CustomPools")
            for (type, listNode) in try object(node, path).members {
                let listPath = JSONPath.member(path, type)
                try checkListed(type, memoryTypes, listNode, listPath)
                let pools = try array(listNode, listPath).enumerated().map {
                    try pool($1, JSONPath.index(listPath, $0), memoryType: type, isCustom: true)
                }
                customPools.append((type, pools))
            }
        }
        return VMADump(file: file, general: general, heaps: heaps, defaultPools: defaultPools, customPools: customPools)
    }

    /// A pool of a memory type MemoryInfo does not list could not be exported back consistently.
    func checkListed(_ type: String, _ memoryTypes: Set<String>, _ node: JSONNode, _ path: String) throws {
        guard !memoryTypes.isEmpty, !memoryTypes.contains(type) else { return }
        throw fail(node, path, "memory type \(JSONPath.quoted(type)) is not listed under MemoryInfo (expected one of: \(memoryTypes.sorted().joined(separator: ", ")))")
    }

    /// A `Stats` object: the required counts must be integers (the values are recomputed on export).
    @discardableResult
    func stats(_ node: JSONNode, _ path: String) throws -> Int {
        let o = try object(node, path)
        for key in ["BlockCount", "BlockBytes", "AllocationCount", "AllocationBytes", "UnusedRangeCount"] {
            _ = try integer(try required(o, key, node, path), JSONPath.member(path, key))
        }
        for key in ["AllocationSizeMin", "AllocationSizeMax", "UnusedRangeSizeMin", "UnusedRangeSizeMax"] {
            if let v = o[key] { _ = try integer(v, JSONPath.member(path, key)) }
        }
        return try integer(o["BlockBytes"]!, JSONPath.member(path, "BlockBytes"))
    }

    func heap(_ name: String, _ node: JSONNode, _ path: String) throws -> VMADump.Heap {
        let o = try object(node, path)
        let flags = try o["Flags"].map { try strings($0, JSONPath.member(path, "Flags")) }
        let size = try o["Size"].map { try integer($0, JSONPath.member(path, "Size")) }
        let budgetPath = JSONPath.member(path, "Budget")
        let budgetNode = try required(o, "Budget", node, path)
        let budget = try object(budgetNode, budgetPath)
        let budgetBytes = try budget["BudgetBytes"].map { try integer($0, JSONPath.member(budgetPath, "BudgetBytes")) }
        let usageBytes = try budget["UsageBytes"].map { try integer($0, JSONPath.member(budgetPath, "UsageBytes")) }
        let blockBytes = try stats(try required(o, "Stats", node, path), JSONPath.member(path, "Stats"))
        var types: [VMADump.MemoryType] = []
        if let poolsNode = o["MemoryPools"] {
            let poolsPath = JSONPath.member(path, "MemoryPools")
            for (typeName, typeNode) in try object(poolsNode, poolsPath).members {
                let typePath = JSONPath.member(poolsPath, typeName)
                let t = try object(typeNode, typePath)
                let typeFlags = try t["Flags"].map { try strings($0, JSONPath.member(typePath, "Flags")) }
                if let s = t["Stats"] { try stats(s, JSONPath.member(typePath, "Stats")) }
                types.append(VMADump.MemoryType(name: typeName, flags: typeFlags))
            }
        }
        return VMADump.Heap(name: name, flags: flags, size: size, budgetBytes: budgetBytes, usageBytes: usageBytes,
                            blockBytes: blockBytes, memoryTypes: types)
    }

    func pool(_ node: JSONNode, _ path: String, memoryType: String, isCustom: Bool) throws -> VMADump.Pool {
        let o = try object(node, path)
        // The schema closes custom pools to other fields; default pools stay open (other fields are ignored).
        let allowed: Set<String> = ["Name", "Flags", "PreferredBlockSize", "Blocks", "DedicatedAllocations"]
        if isCustom, let extra = o.keys.first(where: { !allowed.contains($0) }) {
            throw fail(o[extra], JSONPath.member(path, extra), "unknown field; a pool has \(allowed.sorted().joined(separator: ", "))")
        }
        let name = try o["Name"].map { try string($0, JSONPath.member(path, "Name")) }
        if let flags = o["Flags"] { _ = try array(flags, JSONPath.member(path, "Flags")) }
        let preferred: Int?
        if isCustom {
            preferred = try pageSize(try required(o, "PreferredBlockSize", node, path), JSONPath.member(path, "PreferredBlockSize"))
        } else {
            preferred = try o["PreferredBlockSize"].map { try integer($0, JSONPath.member(path, "PreferredBlockSize"), minimum: 1) }
        }
        var blocks: [VMADump.Block] = []
        if let blocksNode = o["Blocks"] {
            let blocksPath = JSONPath.member(path, "Blocks")
            for (key, blockNode) in try object(blocksNode, blocksPath).members {
                let blockPath = JSONPath.member(blocksPath, key)
                guard !key.isEmpty, key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let id = Int(key), String(id) == key else {
                    throw fail(blockNode, blockPath, "a block's key must be its id, a decimal number without leading zeros; found \(JSONPath.quoted(key))")
                }
                blocks.append(try block(id: id, blockNode, blockPath))
            }
        }
        var dedicated: [VMADump.Allocation] = []
        if let dedicatedNode = o["DedicatedAllocations"] {
            let dedicatedPath = JSONPath.member(path, "DedicatedAllocations")
            for (i, item) in try array(dedicatedNode, dedicatedPath).enumerated() {
                dedicated.append(try allocation(item, JSONPath.index(dedicatedPath, i), dedicated: true))
            }
        }
        return VMADump.Pool(memoryType: memoryType, name: name, isCustom: isCustom, flags: o["Flags"], preferredBlockSize: preferred,
                            blocks: blocks, dedicatedAllocations: dedicated)
    }

    /// One suballocation or dedicated allocation; FREE is allowed only in blocks.
    func allocation(_ node: JSONNode, _ path: String, dedicated: Bool) throws -> VMADump.Allocation {
        let o = try object(node, path)
        let allowed: Set<String> = dedicated ? ["Type", "Size", "Usage", "CustomData", "Name", "Layout"]
                                             : ["Offset", "Type", "Size", "Usage", "CustomData", "Name", "Layout"]
        if let extra = o.keys.first(where: { !allowed.contains($0) }) {
            throw fail(o[extra], JSONPath.member(path, extra), "unknown field; expected only \(allowed.sorted().joined(separator: ", "))")
        }
        let offset = dedicated ? 0 : try integer(try required(o, "Offset", node, path), JSONPath.member(path, "Offset"))
        let typePath = JSONPath.member(path, "Type")
        let typeName = try string(try required(o, "Type", node, path), typePath)
        let types = dedicated ? SuballocationType.allCases.filter { $0 != .free } : SuballocationType.allCases
        guard let type = types.first(where: { $0.description == typeName }) else {
            throw fail(o["Type"], typePath, "unknown suballocation type \(JSONPath.quoted(typeName)); expected one of \(types.map(\.description).joined(separator: ", "))")
        }
        // A dedicated allocation becomes a page of its own.
        let size = dedicated ? try pageSize(try required(o, "Size", node, path), JSONPath.member(path, "Size"))
                             : try integer(try required(o, "Size", node, path), JSONPath.member(path, "Size"), minimum: 1)
        let usage = try o["Usage"].map { try integer($0, JSONPath.member(path, "Usage")) }
        let customData = try o["CustomData"].map { try string($0, JSONPath.member(path, "CustomData")) }
        if let customData, customData.isEmpty || !customData.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) {
            throw fail(o["CustomData"], JSONPath.member(path, "CustomData"), "expected letters and digits only (^[0-9a-zA-Z]+$), found \(JSONPath.quoted(customData))")
        }
        let name = try o["Name"].map { try string($0, JSONPath.member(path, "Name")) }
        let layout = try o["Layout"].map { try integer($0, JSONPath.member(path, "Layout")) }
        return VMADump.Allocation(offset: offset, size: size, type: type, usage: usage, customData: customData, name: name, layout: layout)
    }

    func block(id: Int, _ node: JSONNode, _ path: String) throws -> VMADump.Block {
        let o = try object(node, path)
        func field(_ key: String, minimum: Int = 0) throws -> Int {
            try integer(try required(o, key, node, path), JSONPath.member(path, key), minimum: minimum)
        }
        let size = try pageSize(try required(o, "TotalBytes", node, path), JSONPath.member(path, "TotalBytes"))
        let unused = try field("UnusedBytes")
        let allocationCount = try field("Allocations")
        let unusedRanges = try field("UnusedRanges")
        let mapRefCount = try o["MapRefCount"].map { try integer($0, JSONPath.member(path, "MapRefCount")) } ?? 0
        let subPath = JSONPath.member(path, "Suballocations")
        guard let subNode = o["Suballocations"] else {
            // Without the detailed map there is nothing to rebuild but an empty block; the counts must say so.
            guard allocationCount == 0 else {
                throw fail(node, path, "missing field \"Suballocations\" (the block has \(allocationCount) allocations; write the dump with the detailed map)")
            }
            return VMADump.Block(id: id, size: size, mapRefCount: mapRefCount, allocations: [], hasSuballocations: false)
        }
        let items = try array(subNode, subPath)
        var entries: [(index: Int, allocation: VMADump.Allocation, node: JSONNode)] = []
        for (i, item) in items.enumerated() {
            entries.append((i, try allocation(item, JSONPath.index(subPath, i), dedicated: false), item))
        }
        // Out of the block, then overlaps (in offset order, naming both entries).
        for e in entries {
            let a = e.allocation
            let (end, overflow) = a.offset.addingReportingOverflow(a.size)
            if overflow || end > size {
                throw fail(e.node, JSONPath.index(subPath, e.index),
                           "suballocation at offset \(a.offset) of \(a.size) bytes ends at \(overflow ? "beyond Int.max" : String(end)), past the end of the block (TotalBytes \(size))")
            }
        }
        let sorted = entries.sorted { $0.allocation.offset != $1.allocation.offset ? $0.allocation.offset < $1.allocation.offset : $0.index < $1.index }
        var listsFree = false
        for (k, e) in sorted.enumerated() {
            if e.allocation.type == .free { listsFree = true }
            guard k > 0 else { continue }
            let p = sorted[k - 1]
            let previousEnd = p.allocation.offset + p.allocation.size
            if e.allocation.offset < previousEnd {
                throw fail(e.node, JSONPath.index(subPath, e.index),
                           "suballocation at offset \(e.allocation.offset) overlaps suballocation [\(p.index)] at offset \(p.allocation.offset) of \(p.allocation.size) bytes (which ends at \(previousEnd))")
            }
        }
        // With free ranges listed, the entries must tile the block exactly.
        if listsFree {
            var end = 0
            for e in sorted {
                if e.allocation.offset != end {
                    throw fail(e.node, JSONPath.index(subPath, e.index),
                               "the block lists its free ranges, but bytes \(end)..<\(e.allocation.offset) are in no suballocation; expected this entry at offset \(end)")
                }
                end = e.allocation.offset + e.allocation.size
            }
            if end != size {
                throw fail(subNode, subPath, "suballocations and free ranges add up to \(end) bytes, but TotalBytes is \(size)")
            }
        }
        let allocations = sorted.map(\.allocation).filter { $0.type != .free }
        let used = allocations.reduce(0) { $0 + $1.size }
        if allocations.count != allocationCount {
            throw fail(o["Allocations"], JSONPath.member(path, "Allocations"),
                       "the block says \(allocationCount) allocations, but Suballocations lists \(allocations.count)")
        }
        if unused != size - used {
            throw fail(o["UnusedBytes"], JSONPath.member(path, "UnusedBytes"),
                       "expected TotalBytes \(size) minus the \(used) bytes of its allocations = \(size - used), found \(unused)")
        }
        if listsFree {
            let freeCount = sorted.count - allocations.count
            if unusedRanges != freeCount {
                throw fail(o["UnusedRanges"], JSONPath.member(path, "UnusedRanges"),
                           "the block says \(unusedRanges) unused ranges, but Suballocations lists \(freeCount) FREE entries")
            }
        }
        return VMADump.Block(id: id, size: size, mapRefCount: mapRefCount, allocations: allocations)
    }
}
