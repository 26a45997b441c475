// D3D12MA dumps: the sample dumps (Tests/Fixtures/d3d12ma, written by an independent script following
// D3D12MA's writer) import to exactly their layout, export back byte for byte (also through rebuilt pools),
// and every kind of bad dump is refused with its JSON path.
import Foundation
import MemoryMetadata
import MemoryPools
import Testing
@testable import Workloads

enum D3D12MAFixtures {
    static let names = ["tier2.json", "tier1-uma.json"]
    /// Tests/Fixtures/d3d12ma, found from this file (Tests/WorkloadsTests/D3D12MADumpTests.swift).
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/d3d12ma")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }
    /// tier2.json as text, for edits.
    static func text() throws -> String { String(decoding: try bytes("tier2.json"), as: UTF8.self) }
}

/// Where two byte arrays first differ, shown as text around it.
private func difference(_ a: [UInt8], _ b: [UInt8]) -> String? {
    guard a != b else { return nil }
    let i = Array(zip(a, b)).firstIndex { $0 != $1 } ?? min(a.count, b.count)
    return "differ at byte \(i) of \(a.count)/\(b.count): …\(String(decoding: a[max(0, i - 60)..<min(a.count, i + 60)], as: UTF8.self))…"
}

@Suite("D3D12MA dumps: import and export")
struct D3D12MADumpImportTests {
    @Test("the tier 2 dump imports with its pools, blocks, resources and fields")
    func tier2() throws {
        let dump = try D3D12MADump.load(path: D3D12MAFixtures.path("tier2.json"))
        #expect(dump.encoding == .utf8)
        #expect(!dump.isUMA && dump.isDetailed)
        #expect(dump.segments.map(\.name) == ["L0", "L1"])
        #expect(dump.segments[1].heapTypes == ["DEFAULT", "GPU_UPLOAD", "CUSTOM"])
        #expect(dump.defaultPools.map(\.key) == ["DEFAULT", "UPLOAD", "READBACK", "GPU_UPLOAD"])
        #expect(dump.customPools.map(\.heapType) == ["DEFAULT", "CUSTOM"])
        #expect(dump.customPools[0].pools[0].name == "0 - streaming")
        #expect(dump.customPools[1].pools.map(\.name) == ["0", "1 - video"])
        let main = dump.defaultPools[0]
        #expect(main.blocks.map(\.id) == [0, 2, 1])  // D3D12MA's order, not id order
        let first = main.blocks[0].allocations
        #expect(first.map(\.type) == [.texture2D, .buffer, .texture3D, .texture2D, .texture1D, .unknown])
        #expect(first[0] == D3D12MADump.Allocation(offset: 0, size: 4 << 20, type: .texture2D, usage: 1, customData: "1F3A4B5C6D70",
                                                   name: "Shadow map/cascade 0"))
        #expect(first[1].name == "Constants \"frame\" \\ 1")
        #expect(first[2].name == "Volume fog é")
        #expect(first[3].name == "Readback staging €" && first[3].layout == 1)
        #expect(main.dedicatedAllocations.map(\.name) == ["Back buffer", nil])
        #expect(dump.customPools[0].pools[0].flags.map(\.kind) == [.string("HEAP_FLAG_ALLOW_SHADER_ATOMICS"), .string("HEAP_FLAG_DENY_BUFFERS"), .number("2048")])
        #expect(dump.allocationCount == 22)
        // Types as the engine and the UI colour them.
        #expect(first.map(\.suballocationType) == [.imageOptimal, .buffer, .imageOptimal, .imageLinear, .imageOptimal, .unknown])
        // Segments: the CUSTOM heap's pools by their MEMORY_POOL flag.
        #expect(dump.segmentName(of: dump.customPools[1].pools[0]) == "L0" && dump.segmentName(of: dump.customPools[1].pools[1]) == "L1")
        #expect(dump.segmentName(of: dump.defaultPools[1]) == "L0" && dump.segmentName(of: dump.defaultPools[3]) == "L1")
    }

    @Test("the tier 1 UMA dump in UTF-16 imports; its three default pools per heap type share the committed resources")
    func tier1() throws {
        let dump = try D3D12MADump.load(path: D3D12MAFixtures.path("tier1-uma.json"))
        #expect(dump.encoding == .utf16LittleEndian)
        #expect(dump.isUMA && dump.segments.map(\.name) == ["L0"])
        #expect(dump.defaultPools.count == 12 && dump.defaultPools[2].key == "DEFAULT - Textures RT/DS")
        #expect(dump.defaultPools[0...2].allSatisfy { $0.dedicatedAllocations.map(\.name) == ["Depth buffer"] })
        // Counted once: 5 placed + 1 committed.
        #expect(dump.allocationCount == 6)
        #expect(dump.allocationsByID.count == 6)
        #expect(dump.poolModel.poolSlots.map(\.name) == ["DEFAULT - Buffers", "DEFAULT - Buffers / dedicated", "DEFAULT - Textures", "UPLOAD - Buffers"])
    }

    @Test("pools are the dump's pools, blocks at their ids and sizes, resources at their offsets")
    func pools() throws {
        let dump = try D3D12MADump.load(path: D3D12MAFixtures.path("tier2.json"))
        let pools = try dump.makePools(device: HostPageDevice(), verifiesBytes: true)
        #expect(pools.map(\.name) == ["DEFAULT", "DEFAULT / dedicated", "UPLOAD", "UPLOAD / dedicated", "GPU_UPLOAD",
                                      "DEFAULT / 0 - streaming", "DEFAULT / 0 - streaming / dedicated", "CUSTOM / 0", "CUSTOM / 1 - video"])
        #expect(pools[0].pageIDs == [0, 2, 1])
        #expect(pools[0].metadata(ofPage: 1)?.size == 32 << 20)
        let ids = dump.allocationsByID
        for pool in pools {
            for pageID in pool.pageIDs {
                pool.metadata(ofPage: pageID)!.visitAllRegions { region in
                    guard !region.isFree else { return }
                    let r = pool.record(slot: region.userData)
                    #expect(ids[r.id].offset == r.offset && ids[r.id].size == r.size && ids[r.id].suballocationType == r.type)
                }
            }
            try pool.verifyAll()
        }
    }

    @Test("exporting an unchanged dump gives the dump's own bytes back, through its rebuilt pools", arguments: D3D12MAFixtures.names)
    func roundTrip(name: String) throws {
        let bytes = try D3D12MAFixtures.bytes(name)
        let dump = try D3D12MADump.parse(bytes, file: name)
        if let d = difference(dump.serialized(), bytes) { Issue.record("serialized: \(d)") }
        let exported = try dump.exported(pools: dump.makePools(device: HostPageDevice(), verifiesBytes: false))
        #expect(exported == dump)
        if let d = difference(exported.serialized(), bytes) { Issue.record("exported: \(d)") }
    }

    @Test("an export after frees shows the pools as they are now, statistics and usage recomputed")
    func exportAfterChanges() throws {
        let dump = try D3D12MADump.load(path: D3D12MAFixtures.path("tier2.json"))
        let pools = try dump.makePools(device: HostPageDevice(), verifiesBytes: false)
        // Allocation 0 is DEFAULT block 0's shadow map (4 MiB).
        try pools[0].free(id: 0)
        let exported = try dump.exported(pools: pools)
        #expect(exported.defaultPools[0].blocks[0].allocations.count == 5)
        #expect(exported.defaultPools[0].blocks[0].allocations.first?.name == "Constants \"frame\" \\ 1")
        #expect(exported.segments[1].usageBytes == dump.segments[1].usageBytes)   // blocks unchanged
        #expect(exported.totalStatistics.allocationBytes == dump.totalStatistics.allocationBytes - (4 << 20))
        let reread = try D3D12MADump.parse(exported.serialized(), file: "export")
        #expect(reread.defaultPools[0].blocks[0].freeRanges.first! == (0, 4 << 20))
        let text = String(decoding: exported.serialized(), as: UTF8.self)
        #expect(text.contains("{\"Offset\": 0, \"Type\": \"FREE\", \"Size\": 4194304}"))
    }

    @Test("UTF-8 with a byte order mark and UTF-16 big endian are read and written back as they were")
    func encodings() throws {
        let utf8 = try D3D12MAFixtures.bytes("tier2.json")
        for (bytes, encoding) in [([0xEF, 0xBB, 0xBF] + utf8, D3D12MADump.Encoding.utf8WithByteOrderMark),
                                  (D3D12MADump.encode(utf8, as: .utf16BigEndian), .utf16BigEndian)] {
            let dump = try D3D12MADump.parse(bytes, file: "x.json")
            #expect(dump.encoding == encoding)
            #expect(dump.serialized() == bytes)
        }
    }

    @Test("a dump without the detailed map reads and writes back without DefaultPools and CustomPools")
    func withoutDetailedMap() throws {
        var dump = try D3D12MADump.load(path: D3D12MAFixtures.path("tier2.json"))
        dump.isDetailed = false
        dump.defaultPools = []
        dump.customPools = []
        let text = String(decoding: dump.serialized(), as: UTF8.self)
        #expect(!text.contains("DefaultPools") && !text.contains("CustomPools") && text.hasSuffix("}\n  }\n}"))
        let again = try D3D12MADump.parse(text, file: "summary.json")
        #expect(!again.isDetailed && again.allocationCount == 0)
        #expect(again.serialized() == dump.serialized())
    }

    @Test("strings are escaped as D3D12MA's JsonWriter does")
    func escapes() {
        #expect(String(decoding: D3D12MADump.escaped("a/b\"c\\é€\u{1}\t"), as: UTF8.self) == "a\\/b\\\"c\\\\é\\u20AC\\u0001\\t")
    }
}

@Suite("D3D12MA dumps: bad dumps")
struct D3D12MABadDumpTests {
    /// Replaces the first `old` in tier2.json by `new` and expects the error at `path` saying `message`.
    static let cases: [(String, String, String, String)] = [
        ("\"API\": \"Direct3D 12\"", "\"API\": \"Vulkan\"", "$.General.API", "expected \"Direct3D 12\" (a D3D12MA dump), found \"Vulkan\""),
        ("\"L1\": {", "\"L2\": {", "$.MemoryInfo.L2", "unknown memory segment group; expected L0 and L1"),
        ("\"GPU_UPLOAD\": {\n          \"Stats\"", "\"VIDEO\": {\n          \"Stats\"", "$.MemoryInfo.L1.MemoryPools.VIDEO", "unknown heap type"),
        ("\"BudgetBytes\": 8556152832", "\"BudgetBytes\": \"many\"", "$.MemoryInfo.L0.Budget.BudgetBytes", "expected an integer, found a string"),
        ("\"DEFAULT\": {\n      \"Flags\"", "\"DEFAULTS\": {\n      \"Flags\"", "$.DefaultPools.DEFAULTS", "unknown default pool; expected a heap type"),
        ("\"Type\": \"TEXTURE3D\"", "\"Type\": \"TEXTURE4D\"", "$.DefaultPools.DEFAULT.Blocks[\"0\"].Suballocations[3].Type", "unknown resource type \"TEXTURE4D\""),
        ("\"CustomData\": \"1F3A4B5C6D70\"", "\"CustomData\": \"0x1f\"", "$.DefaultPools.DEFAULT.Blocks[\"0\"].Suballocations[0].CustomData", "expected the private data pointer in upper-case hex"),
        ("{\"Offset\": 4194304, \"Type\": \"BUFFER\"", "{\"Offset\": 4194000, \"Type\": \"BUFFER\"", "$.DefaultPools.DEFAULT.Blocks[\"0\"].Suballocations[1]", "overlaps the one before, which ends at 4194304"),
        ("\"Usage\": 4, \"Name\": \"Constants", "\"Name\": \"Constants", "$.DefaultPools.DEFAULT.Blocks[\"0\"].Suballocations[1]", "missing field \"Usage\""),
        ("\"UnusedBytes\": 43581440", "\"UnusedBytes\": 1", "$.DefaultPools.DEFAULT.Blocks[\"0\"].UnusedBytes", "minus the"),
        ("\"PreferredBlockSize\": 67108864", "\"PreferredBlockSize\": 0", "$.DefaultPools.DEFAULT.PreferredBlockSize", "expected an integer of at least 1, found 0"),
        ("\"Flags\": [], \n      \"PreferredBlockSize\"", "\"Flags\": [true], \n      \"PreferredBlockSize\"", "$.DefaultPools.DEFAULT.Flags[0]", "expected a flag name or a number, found true"),
        ("\"Name\": \"0 - streaming\"", "\"Nom\": \"0 - streaming\"", "$.CustomPools.DEFAULT[0]", "missing field \"Name\""),
        ("\"CUSTOM\": [", "\"SHARED\": [", "$.CustomPools.SHARED", "unknown heap type; expected one of DEFAULT, UPLOAD, READBACK, CUSTOM, GPU_UPLOAD"),
        ("\"Name\": \"Back buffer\"", "\"Name\": \"Back buffer\", \"Layout\": 0", "$.DefaultPools.DEFAULT.DedicatedAllocations[0].Layout", "expected an integer of at least 1, found 0"),
    ]

    @Test("each bad field is named by its JSON path and line", arguments: cases.indices)
    func badField(index: Int) throws {
        let (old, new, path, message) = Self.cases[index]
        let text = try D3D12MAFixtures.text()
        let range = try #require(text.range(of: old), "fixture contains \(old)")
        let bad = text.replacingCharacters(in: range, with: new)
        do {
            _ = try D3D12MADump.parse(bad, file: "bad.json")
            Issue.record("accepted: \(new)")
        } catch let error as WorkloadError {
            #expect(error.file == "bad.json")
            #expect(error.jsonPath == path, "\(error)")
            #expect(error.description.contains(message), "\(error)")
            #expect(error.line != nil)
        }
    }

    @Test("tier 1 pools of one heap type that list different committed resources are refused")
    func tier1CommittedMismatch() throws {
        let dump = try D3D12MADump.load(path: D3D12MAFixtures.path("tier1-uma.json"))
        var utf8 = dump
        utf8.encoding = .utf8
        var source = String(decoding: utf8.serialized(), as: UTF8.self)
        // The second copy of the committed list (under "DEFAULT - Textures") gets another name.
        let first = try #require(source.range(of: "\"Depth buffer\""))
        let second = try #require(source.range(of: "\"Depth buffer\"", range: first.upperBound..<source.endIndex))
        source.replaceSubrange(second, with: "\"Depth\"")
        #expect(throws: WorkloadError.self) { try D3D12MADump.parse(source, file: "t1.json") }
        do { _ = try D3D12MADump.parse(source, file: "t1.json") } catch let error as WorkloadError {
            #expect(error.jsonPath == "$.DefaultPools[\"DEFAULT - Textures\"].DedicatedAllocations")
            #expect(error.message.contains("expected the same committed resources as \"DEFAULT - Buffers\""))
        }
    }

    @Test("malformed text and encodings are refused with where")
    func malformed() throws {
        do { _ = try D3D12MADump.parse("{\n  \"General\": {,\n}", file: "m.json"); Issue.record("accepted") } catch let error as WorkloadError {
            #expect(error.line == 2 && error.message.contains("malformed JSON"))
        }
        do { _ = try D3D12MADump.parse([0xFF, 0xFE, 0x7B], file: "odd.json"); Issue.record("accepted") } catch let error as WorkloadError {
            #expect(error.message.contains("odd number of bytes"))
        }
        do { _ = try D3D12MADump.parse([0xFF, 0xFE, 0x00, 0xD8, 0x7B, 0x00], file: "s.json"); Issue.record("accepted") } catch let error as WorkloadError {
            #expect(error.message.contains("unpaired surrogate"))
        }
        do { _ = try D3D12MADump.load(path: "/nonexistent/d.json"); Issue.record("accepted") } catch let error as WorkloadError {
            #expect(error.description.hasPrefix("/nonexistent/d.json: no such D3D12MA dump"))
        }
    }
}

@Suite("Dumps of either kind")
struct AnyDumpTests {
    @Test("a dump is read as what its General.API says")
    func detection() throws {
        for name in D3D12MAFixtures.names {
            guard case .d3d12maDump(let dump) = try Workload.loadDump(path: D3D12MAFixtures.path(name)) else {
                Issue.record("\(name) is not read as a D3D12MA dump"); continue
            }
            #expect(dump == (try D3D12MADump.load(path: D3D12MAFixtures.path(name))))
        }
        guard case .dump(let vma) = try Workload.loadDump(path: SharedDumps.path("vma-sample.json")) else {
            Issue.record("vma-sample.json is not read as a VMA dump"); return
        }
        #expect(vma == (try VMADump.load(path: SharedDumps.path("vma-sample.json"))))
    }

    @Test("another API, a missing General and unreadable files are refused with where")
    func refusals() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("anydump-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try D3D12MAFixtures.text().replacingOccurrences(of: "\"Direct3D 12\"", with: "\"Metal\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do { _ = try Workload.loadDump(path: path); Issue.record("accepted") } catch let error as WorkloadError {
            #expect(error.jsonPath == "$.General.API" && error.line == 3)
            #expect(error.message == "expected \"Vulkan\" (a VMA dump) or \"Direct3D 12\" (a D3D12MA dump), found \"Metal\"")
        }
        try "{\"Total\": {}}".write(toFile: path, atomically: true, encoding: .utf8)
        do { _ = try Workload.loadDump(path: path); Issue.record("accepted") } catch let error as WorkloadError {
            #expect(error.message.contains("missing field \"General\""))
        }
        do { _ = try Workload.loadDump(path: "/dev/zero"); Issue.record("accepted") } catch let error as WorkloadError {
            #expect(error.file == "/dev/zero" && error.message.contains("malformed JSON"))
        }
        do { _ = try Workload.loadDump(path: "/nonexistent.json"); Issue.record("accepted") } catch let error as WorkloadError {
            #expect(error.description.hasPrefix("/nonexistent.json: no such dump"))
        }
    }

    @Test("a D3D12MA workload builds its pools with progress")
    func workload() throws {
        let workload = Workload.d3d12maDump(try D3D12MADump.load(path: D3D12MAFixtures.path("tier2.json")))
        #expect(workload.title == "tier2.json" && workload.buildSteps == 22)
        var reports: [(Int, Int)] = []
        let pools = try workload.makePools(device: HostPageDevice(), keepBytes: false) { reports.append(($0, $1)) }
        #expect(pools.count == 9)
        #expect(reports.last.map { $0 == (22, 22) } == true)
    }
}

@Suite("D3D12MA dumps from streams")
struct D3D12MAStreamTests {
    @Test("a UTF-16 dump from a pipe, its byte order mark arriving a byte at a time, reads as from the file")
    func utf16FromPipe() throws {
        let bytes = try D3D12MAFixtures.bytes("tier1-uma.json")
        for option in [0, 1] {
            let pipe = try FeedingPipe(bytes, pieceSizes: [1, 1, 1, 4093, Int.max], pause: 0.01)
            defer { pipe.finish() }
            let fromPipe: D3D12MADump
            if option == 0 {
                fromPipe = try D3D12MADump.load(path: pipe.path)
            } else {
                guard case .d3d12maDump(let d) = try Workload.loadDump(path: pipe.path) else { Issue.record("not D3D12MA"); return }
                fromPipe = d
            }
            var expected = try D3D12MADump.load(path: D3D12MAFixtures.path("tier1-uma.json"))
            expected.file = pipe.path
            #expect(fromPipe == expected)
        }
    }
}
