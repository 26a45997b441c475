// D3D12MA JSON dumps: what D3D12MA::Allocator::BuildStatsString(&s, TRUE) writes (the detailed map), read
// and validated like VMA dumps (VMADump.swift): every problem is a WorkloadError naming the file, the line,
// the JSON path and what was expected.
//
// The format follows D3D12MA's own writer at GPUOpen-LibrariesAndSDKs/D3D12MemoryAllocator commit
// 1d86c1130f61453634b1df85782e1fecfd59a525 (src/D3D12MemAlloc.cpp: AllocatorPimpl::BuildStatsString,
// JsonWriter, BlockMetadata::PrintDetailedMap_*, CommittedAllocationList::BuildStatsString) and what its
// tools/GpuMemDumpVis/GpuMemDumpVis.py reads:
//
//   General      API "Direct3D 12", GPU, adapter memory sizes, tiers, UMA flags (kept as written)
//   Total        statistics of everything
//   MemoryInfo   "L0" (and "L1" unless UMA): Budget {BudgetBytes, UsageBytes}, Stats, MemoryPools
//                {DEFAULT?, GPU_UPLOAD?, UPLOAD?, READBACK?, CUSTOM: {Stats}}
//   DefaultPools per standard heap type ("DEFAULT", "UPLOAD", "READBACK", "GPU_UPLOAD"; with resource heap
//                tier 1 three pools each: "DEFAULT - Buffers", "DEFAULT - Textures", "DEFAULT - Textures
//                RT/DS", which all list the heap type's committed resources): Flags, PreferredBlockSize,
//                Blocks {"id": {TotalBytes, UnusedBytes, Allocations, UnusedRanges, Suballocations}},
//                DedicatedAllocations (committed resources)
//   CustomPools  per heap type ("DEFAULT", "UPLOAD", "READBACK", "CUSTOM", "GPU_UPLOAD"): [{Name "<index>"
//                or "<index> - <name>", Flags, PreferredBlockSize, Blocks, DedicatedAllocations}]
//
// An allocation is {Offset (in blocks only), Type (UNKNOWN, BUFFER, TEXTURE1D, TEXTURE2D, TEXTURE3D; FREE
// for free ranges), Size, Usage (the resource flags), CustomData (the private data pointer in hex), Name,
// Layout (the texture layout, when not 0)}.
//
// D3D12MA writes UTF-16 (it starts the string with a byte order mark); dumps saved as UTF-8 (with or without
// the mark) are read too, and an export is written in the encoding the dump was read in.
import Foundation
import MemoryMetadata

/// A parsed D3D12MA dump.
public struct D3D12MADump: Sendable, Equatable {
    /// How the file was encoded; an export uses the same.
    public enum Encoding: Sendable, Equatable {
        case utf8, utf8WithByteOrderMark, utf16LittleEndian, utf16BigEndian
    }

    /// The resource dimensions D3D12MA names an allocation's `Type` by.
    public enum ResourceType: String, Sendable, CaseIterable {
        case unknown = "UNKNOWN", buffer = "BUFFER", texture1D = "TEXTURE1D", texture2D = "TEXTURE2D", texture3D = "TEXTURE3D"
    }

    /// Heap types as D3D12MA names them (`HeapTypeNames`), and those that have default pools
    /// (`StandardHeapTypeNames`).
    public static let heapTypes = ["DEFAULT", "UPLOAD", "READBACK", "CUSTOM", "GPU_UPLOAD"]
    public static let standardHeapTypes = ["DEFAULT", "UPLOAD", "READBACK", "GPU_UPLOAD"]
    /// The suffixes of default pools' names with resource heap tier 1.
    public static let tier1Suffixes = [" - Buffers", " - Textures", " - Textures RT/DS"]

    public var file: String
    public var encoding: Encoding
    /// `General`, as written.
    public var general: JSONObject
    /// `MemoryInfo`: the memory segment groups.
    public var segments: [Segment]
    public var defaultPools: [Pool]
    /// `CustomPools`: per heap type, in the dump's order.
    public var customPools: [(heapType: String, pools: [Pool])]
    /// Whether the dump has the detailed map (DefaultPools and CustomPools); without it there is nothing
    /// to rebuild, and an export leaves them out too.
    public var isDetailed = true

    public init(file: String, encoding: Encoding = .utf8, general: JSONObject, segments: [Segment], defaultPools: [Pool],
                customPools: [(heapType: String, pools: [Pool])]) {
        self.file = file
        self.encoding = encoding
        self.general = general
        self.segments = segments
        self.defaultPools = defaultPools
        self.customPools = customPools
    }

    public static func == (a: D3D12MADump, b: D3D12MADump) -> Bool {
        a.file == b.file && a.encoding == b.encoding && a.general == b.general && a.segments == b.segments
            && a.defaultPools == b.defaultPools && a.customPools.map(\.heapType) == b.customPools.map(\.heapType)
            && a.customPools.map(\.pools) == b.customPools.map(\.pools) && a.isDetailed == b.isDetailed
    }

    /// `MemoryInfo["L0"]` or `["L1"]`.
    public struct Segment: Sendable, Equatable {
        public var name: String
        public var budgetBytes: Int
        /// As dumped; an export keeps what it says beyond this dump's blocks (other resources, the driver).
        public var usageBytes: Int
        /// The segment's BlockBytes as dumped (to carry that difference).
        public var blockBytes: Int
        /// The keys of its `MemoryPools`, in order.
        public var heapTypes: [String]

        public init(name: String, budgetBytes: Int, usageBytes: Int, blockBytes: Int, heapTypes: [String]) {
            self.name = name
            self.budgetBytes = budgetBytes
            self.usageBytes = usageBytes
            self.blockBytes = blockBytes
            self.heapTypes = heapTypes
        }
    }

    /// A default pool (its key) or a custom pool (of a heap type, with its `Name`).
    public struct Pool: Sendable, Equatable {
        /// A default pool's key ("DEFAULT", "DEFAULT - Buffers"); a custom pool's heap type.
        public var key: String
        /// The heap type ("DEFAULT").
        public var heapType: String
        /// A custom pool's `Name` as written ("0 - textures").
        public var name: String?
        public var isCustom: Bool { name != nil }
        /// `Flags` as written: heap flag names, a number for the remaining flags, and for pools of the CUSTOM
        /// heap type the memory pool and CPU page property.
        public var flags: [JSONNode]
        public var preferredBlockSize: Int
        public var blocks: [Block]
        public var dedicatedAllocations: [Allocation]

        public init(key: String, heapType: String, name: String? = nil, flags: [JSONNode] = [], preferredBlockSize: Int,
                    blocks: [Block], dedicatedAllocations: [Allocation]) {
            self.key = key
            self.heapType = heapType
            self.name = name
            self.flags = flags
            self.preferredBlockSize = preferredBlockSize
            self.blocks = blocks
            self.dedicatedAllocations = dedicatedAllocations
        }

        /// The flag strings.
        public var flagNames: [String] { flags.compactMap { if case .string(let s) = $0.kind { return s }; return nil } }
    }

    /// One heap D3D12MA suballocates.
    public struct Block: Sendable, Equatable {
        public var id: Int
        public var size: Int
        /// Ascending by offset.
        public var allocations: [Allocation]

        public init(id: Int, size: Int, allocations: [Allocation]) {
            self.id = id
            self.size = size
            self.allocations = allocations
        }

        /// Free ranges between and after the allocations.
        public var freeRanges: [(offset: Int, size: Int)] { gaps(size: size, allocations.map { ($0.offset, $0.size) }) }
    }

    /// A placed resource (in a block, at its offset) or a committed one (offset 0).
    public struct Allocation: Sendable, Equatable {
        public var offset: Int
        public var size: Int
        public var type: ResourceType
        /// D3D12_RESOURCE_FLAGS.
        public var usage: Int
        public var customData: String?
        public var name: String?
        /// D3D12_TEXTURE_LAYOUT (written only when not 0; 1 is ROW_MAJOR).
        public var layout: Int?

        public init(offset: Int, size: Int, type: ResourceType, usage: Int = 0, customData: String? = nil, name: String? = nil,
                    layout: Int? = nil) {
            self.offset = offset
            self.size = size
            self.type = type
            self.usage = usage
            self.customData = customData
            self.name = name
            self.layout = layout
        }

        /// The suballocation type the engine and the UI's colours use: textures in row-major layout are linear
        /// images, other textures optimal images.
        public var suballocationType: SuballocationType {
            switch type {
            case .unknown: return .unknown
            case .buffer: return .buffer
            case .texture1D, .texture2D, .texture3D: return layout == 1 ? .imageLinear : .imageOptimal
            }
        }
    }

    public var allPools: [Pool] { defaultPools + customPools.flatMap(\.pools) }
    public var allocationCount: Int { poolsWithDedicated.reduce(0) { $0 + $1.blocks.reduce(0) { $0 + $1.allocations.count } + $1.dedicatedAllocations.count } }
    public var blockCount: Int { allPools.reduce(0) { $0 + $1.blocks.count } }
    /// Committed resources, counted once per heap type (see ``poolsWithDedicated``).
    public var dedicatedAllocationCount: Int { poolsWithDedicated.reduce(0) { $0 + $1.dedicatedAllocations.count } }
    public var displayName: String { (file as NSString).lastPathComponent }

    /// Whether `General.UMA` is true (then only L0 exists and every pool is in it).
    public var isUMA: Bool {
        if case .bool(let b)? = general["UMA"]?.kind { return b }
        return false
    }

    /// Every pool with its committed resources counted once: with resource heap tier 1 the three default pools
    /// of a heap type list the same committed resources, which belong to the first of them only.
    var poolsWithDedicated: [Pool] {
        var seen: Set<String> = []
        return allPools.map { pool in
            var p = pool
            if !p.isCustom && !seen.insert(p.heapType).inserted { p.dedicatedAllocations = [] }
            return p
        }
    }
}

// MARK: reading

extension D3D12MADump {
    /// Reads and validates the dump at `path` (a file, pipe, FIFO or device; at most
    /// ``VMADump/maxFileBytes``).
    public static func load(path: String) throws -> D3D12MADump {
        try parse(try readDumpFile(path: path, kind: "D3D12MA dump"), file: path)
    }

    /// The text of `bytes` as UTF-8 and the encoding it was in (UTF-16 with a byte order mark, else UTF-8).
    static func decode(_ bytes: [UInt8], file: String) throws -> (utf8: [UInt8], encoding: Encoding) {
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            guard bytes.count % 2 == 0 else {
                throw WorkloadError(file: file, message: "the file starts with a UTF-16 byte order mark but has an odd number of bytes (\(bytes.count))")
            }
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2 - 1)
            for i in stride(from: 2, to: bytes.count, by: 2) {
                units.append(little ? UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 : UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
            }
            var text = ""
            var iterator = units.makeIterator()
            var decoder = UTF16()
            var unit = 1
            loop: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let s): text.unicodeScalars.append(s); unit += 1
                case .emptyInput: break loop
                case .error:
                    throw WorkloadError(file: file, message: "invalid UTF-16 (an unpaired surrogate) after character \(unit - 1)")
                }
            }
            return (Array(text.utf8), little ? .utf16LittleEndian : .utf16BigEndian)
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return (Array(bytes.dropFirst(3)), .utf8WithByteOrderMark) }
        return (bytes, .utf8)
    }

    /// Parses and validates dump bytes; `file` names it in messages.
    public static func parse(_ bytes: [UInt8], file: String) throws -> D3D12MADump {
        let (root, encoding) = try parseJSON(bytes, file: file)
        return try read(root, encoding: encoding, file: file)
    }

    /// The JSON document of dump bytes in any of the encodings dumps come in.
    static func parseJSON(_ bytes: [UInt8], file: String) throws -> (JSONNode, Encoding) {
        let (utf8, encoding) = try decode(bytes, file: file)
        do { return (try JSONParser.parse(utf8), encoding) } catch let e as JSONSyntaxError {
            throw WorkloadError(file: file, line: e.line, jsonPath: e.path,
                                message: "malformed JSON at byte \(e.offset) (line \(e.line), column \(e.column)): \(e.message)")
        }
    }

    static func read(_ root: JSONNode, encoding: Encoding, file: String) throws -> D3D12MADump {
        var dump = try D3D12MAReader(file: file).read(root)
        dump.encoding = encoding
        return dump
    }

    public static func parse(_ text: String, file: String) throws -> D3D12MADump { try parse(Array(text.utf8), file: file) }
}

/// The validation of a parsed D3D12MA document. Field checks are the VMA reader's (``DumpReader``).
private struct D3D12MAReader {
    let file: String
    let base: DumpReader

    init(file: String) {
        self.file = file
        base = DumpReader(file: file)
    }

    func fail(_ node: JSONNode?, _ path: String, _ message: String) -> WorkloadError { base.fail(node, path, message) }

    func closed(_ o: JSONObject, _ allowed: [String], _ path: String, what: String) throws {
        if let extra = o.keys.first(where: { !allowed.contains($0) }) {
            throw fail(o[extra], JSONPath.member(path, extra), "unknown field; \(what) has \(allowed.joined(separator: ", "))")
        }
    }

    func field(_ o: JSONObject, _ key: String, _ node: JSONNode, _ path: String) throws -> (JSONNode, String) {
        (try base.required(o, key, node, path), JSONPath.member(path, key))
    }

    func read(_ root: JSONNode) throws -> D3D12MADump {
        let top = try base.object(root, JSONPath.root, "an object (a D3D12MA dump)")
        try closed(top, ["General", "Total", "MemoryInfo", "DefaultPools", "CustomPools"], JSONPath.root, what: "a D3D12MA dump")
        let (generalNode, generalPath) = try field(top, "General", root, JSONPath.root)
        let general = try base.object(generalNode, generalPath)
        let (apiNode, apiPath) = try field(general, "API", generalNode, generalPath)
        let api = try base.string(apiNode, apiPath)
        guard api == "Direct3D 12" else {
            throw fail(apiNode, apiPath, "expected \"Direct3D 12\" (a D3D12MA dump), found \(JSONPath.quoted(api))")
        }
        let (gpuNode, gpuPath) = try field(general, "GPU", generalNode, generalPath)
        _ = try base.string(gpuNode, gpuPath)
        let uma: Bool
        if let node = general["UMA"] {
            guard case .bool(let b) = node.kind else { throw fail(node, JSONPath.member(generalPath, "UMA"), "expected true or false, found \(node.typeName)") }
            uma = b
        } else { uma = false }
        let (totalNode, totalPath) = try field(top, "Total", root, JSONPath.root)
        try base.stats(totalNode, totalPath)

        let (memoryNode, memoryPath) = try field(top, "MemoryInfo", root, JSONPath.root)
        var segments: [D3D12MADump.Segment] = []
        let segmentNames = uma ? ["L0"] : ["L0", "L1"]
        for (name, node) in try base.object(memoryNode, memoryPath).members {
            let path = JSONPath.member(memoryPath, name)
            guard segmentNames.contains(name) else {
                throw fail(node, path, "unknown memory segment group; expected \(segmentNames.joined(separator: " and "))\(uma ? " (General.UMA is true)" : "")")
            }
            segments.append(try segment(name, node, path))
        }

        var defaultPools: [D3D12MADump.Pool] = []
        if let node = top["DefaultPools"] {
            let path = JSONPath.member(JSONPath.root, "DefaultPools")
            for (key, poolNode) in try base.object(node, path).members {
                let poolPath = JSONPath.member(path, key)
                guard let heapType = D3D12MADump.standardHeapTypes.first(where: { t in key == t || D3D12MADump.tier1Suffixes.contains { key == t + $0 } }) else {
                    throw fail(poolNode, poolPath, "unknown default pool; expected a heap type (\(D3D12MADump.standardHeapTypes.joined(separator: ", "))), with resource heap tier 1 followed by one of \(D3D12MADump.tier1Suffixes.map { JSONPath.quoted($0) }.joined(separator: ", "))")
                }
                defaultPools.append(try pool(poolNode, poolPath, key: key, heapType: heapType, name: nil))
            }
            try checkSharedCommittedLists(defaultPools, path)
        }
        var customPools: [(heapType: String, pools: [D3D12MADump.Pool])] = []
        if let node = top["CustomPools"] {
            let path = JSONPath.member(JSONPath.root, "CustomPools")
            for (heapType, listNode) in try base.object(node, path).members {
                let listPath = JSONPath.member(path, heapType)
                guard D3D12MADump.heapTypes.contains(heapType) else {
                    throw fail(listNode, listPath, "unknown heap type; expected one of \(D3D12MADump.heapTypes.joined(separator: ", "))")
                }
                let pools = try base.array(listNode, listPath).enumerated().map { (i, item) -> D3D12MADump.Pool in
                    let itemPath = JSONPath.index(listPath, i)
                    let o = try base.object(item, itemPath)
                    let (nameNode, namePath) = try field(o, "Name", item, itemPath)
                    return try pool(item, itemPath, key: heapType, heapType: heapType, name: try base.string(nameNode, namePath))
                }
                customPools.append((heapType, pools))
            }
        }
        var dump = D3D12MADump(file: file, general: general, segments: segments, defaultPools: defaultPools, customPools: customPools)
        dump.isDetailed = top["DefaultPools"] != nil || top["CustomPools"] != nil
        return dump
    }

    func segment(_ name: String, _ node: JSONNode, _ path: String) throws -> D3D12MADump.Segment {
        let o = try base.object(node, path)
        try closed(o, ["Budget", "Stats", "MemoryPools"], path, what: "a memory segment group")
        let (budgetNode, budgetPath) = try field(o, "Budget", node, path)
        let budget = try base.object(budgetNode, budgetPath)
        try closed(budget, ["BudgetBytes", "UsageBytes"], budgetPath, what: "a budget")
        let (bNode, bPath) = try field(budget, "BudgetBytes", budgetNode, budgetPath)
        let (uNode, uPath) = try field(budget, "UsageBytes", budgetNode, budgetPath)
        let (statsNode, statsPath) = try field(o, "Stats", node, path)
        let blockBytes = try base.stats(statsNode, statsPath)
        let (poolsNode, poolsPath) = try field(o, "MemoryPools", node, path)
        var heapTypes: [String] = []
        for (heapType, typeNode) in try base.object(poolsNode, poolsPath).members {
            let typePath = JSONPath.member(poolsPath, heapType)
            guard D3D12MADump.heapTypes.contains(heapType) else {
                throw fail(typeNode, typePath, "unknown heap type; expected one of \(D3D12MADump.heapTypes.joined(separator: ", "))")
            }
            let t = try base.object(typeNode, typePath)
            try closed(t, ["Stats"], typePath, what: "a heap type's entry")
            let (s, sPath) = try field(t, "Stats", typeNode, typePath)
            try base.stats(s, sPath)
            heapTypes.append(heapType)
        }
        return D3D12MADump.Segment(name: name, budgetBytes: try base.integer(bNode, bPath), usageBytes: try base.integer(uNode, uPath),
                                   blockBytes: blockBytes, heapTypes: heapTypes)
    }

    /// With resource heap tier 1, D3D12MA writes a heap type's committed resources under each of its three
    /// default pools; they must agree.
    func checkSharedCommittedLists(_ pools: [D3D12MADump.Pool], _ path: String) throws {
        var first: [String: D3D12MADump.Pool] = [:]
        for pool in pools {
            guard let earlier = first[pool.heapType] else { first[pool.heapType] = pool; continue }
            if earlier.dedicatedAllocations != pool.dedicatedAllocations {
                let listPath = JSONPath.member(JSONPath.member(path, pool.key), "DedicatedAllocations")
                throw fail(nil, listPath, "expected the same committed resources as \(JSONPath.quoted(earlier.key)) (D3D12MA lists a heap type's committed resources under each of its default pools), found \(pool.dedicatedAllocations.count) that differ from its \(earlier.dedicatedAllocations.count)")
            }
        }
    }

    func pool(_ node: JSONNode, _ path: String, key: String, heapType: String, name: String?) throws -> D3D12MADump.Pool {
        let o = try base.object(node, path)
        let fields = (name != nil ? ["Name"] : []) + ["Flags", "PreferredBlockSize", "Blocks", "DedicatedAllocations"]
        try closed(o, fields, path, what: "a pool")
        let (flagsNode, flagsPath) = try field(o, "Flags", node, path)
        let flags = try base.array(flagsNode, flagsPath)
        for (i, flag) in flags.enumerated() {
            switch flag.kind {
            case .string: break
            case .number: _ = try base.integer(flag, JSONPath.index(flagsPath, i))
            default: throw fail(flag, JSONPath.index(flagsPath, i), "expected a flag name or a number, found \(flag.typeName)")
            }
        }
        let (preferredNode, preferredPath) = try field(o, "PreferredBlockSize", node, path)
        let preferred = try base.integer(preferredNode, preferredPath, minimum: 1)
        let (blocksNode, blocksPath) = try field(o, "Blocks", node, path)
        var blocks: [D3D12MADump.Block] = []
        for (id, blockNode) in try base.object(blocksNode, blocksPath).members {
            let blockPath = JSONPath.member(blocksPath, id)
            guard !id.isEmpty, id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(id), String(number) == id else {
                throw fail(blockNode, blockPath, "a block's key must be its id, a decimal number without leading zeros; found \(JSONPath.quoted(id))")
            }
            blocks.append(try block(id: number, blockNode, blockPath))
        }
        let (dedicatedNode, dedicatedPath) = try field(o, "DedicatedAllocations", node, path)
        let dedicated = try base.array(dedicatedNode, dedicatedPath).enumerated().map {
            try allocation($1, JSONPath.index(dedicatedPath, $0), inBlock: false)
        }
        return D3D12MADump.Pool(key: key, heapType: heapType, name: name, flags: flags, preferredBlockSize: preferred,
                                blocks: blocks, dedicatedAllocations: dedicated.compactMap { $0 })
    }

    /// One suballocation (nil for a FREE entry) or committed resource.
    func allocation(_ node: JSONNode, _ path: String, inBlock: Bool) throws -> D3D12MADump.Allocation? {
        let o = try base.object(node, path)
        let (typeNode, typePath) = try field(o, "Type", node, path)
        let typeName = try base.string(typeNode, typePath)
        let offset = inBlock ? try base.integer(try base.required(o, "Offset", node, path), JSONPath.member(path, "Offset")) : 0
        if inBlock && typeName == "FREE" {
            try closed(o, ["Offset", "Type", "Size"], path, what: "a free range")
            let (sizeNode, sizePath) = try field(o, "Size", node, path)
            _ = try base.integer(sizeNode, sizePath, minimum: 1)
            return nil
        }
        try closed(o, (inBlock ? ["Offset"] : []) + ["Type", "Size", "Usage", "CustomData", "Name", "Layout"], path, what: "an allocation")
        guard let type = D3D12MADump.ResourceType(rawValue: typeName) else {
            let names = (inBlock ? ["FREE"] : []) + D3D12MADump.ResourceType.allCases.map(\.rawValue)
            throw fail(typeNode, typePath, "unknown resource type \(JSONPath.quoted(typeName)); expected one of \(names.joined(separator: ", "))")
        }
        let (sizeNode, sizePath) = try field(o, "Size", node, path)
        // A committed resource becomes a page of its own.
        let size = inBlock ? try base.integer(sizeNode, sizePath, minimum: 1) : try base.pageSize(sizeNode, sizePath)
        let (usageNode, usagePath) = try field(o, "Usage", node, path)
        let usage = try base.integer(usageNode, usagePath)
        let customData = try o["CustomData"].map { try base.string($0, JSONPath.member(path, "CustomData")) }
        if let customData, customData.isEmpty || !customData.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("A"..."F").contains($0) }) {
            throw fail(o["CustomData"], JSONPath.member(path, "CustomData"), "expected the private data pointer in upper-case hex, found \(JSONPath.quoted(customData))")
        }
        let name = try o["Name"].map { try base.string($0, JSONPath.member(path, "Name")) }
        let layout = try o["Layout"].map { try base.integer($0, JSONPath.member(path, "Layout"), minimum: 1) }
        return D3D12MADump.Allocation(offset: offset, size: size, type: type, usage: usage, customData: customData, name: name, layout: layout)
    }

    func block(id: Int, _ node: JSONNode, _ path: String) throws -> D3D12MADump.Block {
        let o = try base.object(node, path)
        try closed(o, ["TotalBytes", "UnusedBytes", "Allocations", "UnusedRanges", "Suballocations"], path, what: "a block")
        func count(_ key: String) throws -> (Int, JSONNode) {
            let (n, p) = try field(o, key, node, path)
            return (try base.integer(n, p), n)
        }
        let (totalNode, totalPath) = try field(o, "TotalBytes", node, path)
        let size = try base.pageSize(totalNode, totalPath)
        let (unused, unusedNode) = try count("UnusedBytes")
        let (allocationCount, allocationsNode) = try count("Allocations")
        let (unusedRanges, unusedRangesNode) = try count("UnusedRanges")
        let (subNode, subPath) = try field(o, "Suballocations", node, path)
        // D3D12MA lists allocations and free ranges in offset order, tiling the block.
        var allocations: [D3D12MADump.Allocation] = []
        var freeCount = 0
        var end = 0
        for (i, item) in try base.array(subNode, subPath).enumerated() {
            let itemPath = JSONPath.index(subPath, i)
            let parsed = try allocation(item, itemPath, inBlock: true)
            let o = try base.object(item, itemPath)
            let offset = try base.integer(o["Offset"]!, JSONPath.member(itemPath, "Offset"))
            let entrySize = try base.integer(o["Size"]!, JSONPath.member(itemPath, "Size"))
            guard offset == end else {
                throw fail(item, itemPath, offset < end
                    ? "this entry at offset \(offset) overlaps the one before, which ends at \(end)"
                    : "bytes \(end)..<\(offset) are in no entry; D3D12MA lists allocations and free ranges in offset order, so expected this entry at offset \(end)")
            }
            let (next, overflow) = offset.addingReportingOverflow(entrySize)
            guard !overflow, next <= size else {
                throw fail(item, itemPath, "the entry at offset \(offset) of \(entrySize) bytes ends past the end of the block (TotalBytes \(size))")
            }
            end = next
            if let parsed { allocations.append(parsed) } else { freeCount += 1 }
        }
        guard end == size else {
            throw fail(subNode, subPath, "allocations and free ranges add up to \(end) bytes, but TotalBytes is \(size)")
        }
        let used = allocations.reduce(0) { $0 + $1.size }
        if allocations.count != allocationCount {
            throw fail(allocationsNode, JSONPath.member(path, "Allocations"), "the block says \(allocationCount) allocations, but Suballocations lists \(allocations.count)")
        }
        if unused != size - used {
            throw fail(unusedNode, JSONPath.member(path, "UnusedBytes"), "expected TotalBytes \(size) minus the \(used) bytes of its allocations = \(size - used), found \(unused)")
        }
        if unusedRanges != freeCount {
            throw fail(unusedRangesNode, JSONPath.member(path, "UnusedRanges"), "the block says \(unusedRanges) unused ranges, but Suballocations lists \(freeCount) FREE entries")
        }
        return D3D12MADump.Block(id: id, size: size, allocations: allocations)
    }
}
