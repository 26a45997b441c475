// VMA dumps: every shared dump imports to exactly its layout, exports back byte for byte, and every kind of
// bad dump is refused with its JSON path.
import Foundation
import MemoryMetadata
import MemoryPools
import Testing
@testable import Workloads

enum SharedDumps {
    static let names = ["vma-sample.json", "checkerboard-s1.pool.json", "churn-s1.default.json"]
    static func path(_ name: String) -> String { SharedFiles.directory + "/vma-dumps/" + name }
    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }
    static func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self) }
}

@Suite("VMA dumps: import and export")
struct VMADumpImportTests {
    @Test("every shared dump imports with the counts its README gives", arguments: [
        ("vma-sample.json", 5, 64, 132),
        ("checkerboard-s1.pool.json", 9, 0, 1024),
        ("churn-s1.default.json", 9, 147, 4182),
    ])
    func counts(name: String, blocks: Int, dedicated: Int, allocations: Int) throws {
        let dump = try VMADump.load(path: SharedDumps.path(name))
        #expect(dump.blockCount == blocks)
        #expect(dump.dedicatedAllocationCount == dedicated)
        #expect(dump.allocationCount == allocations)
    }

    /// The pools rebuilt from a dump, compared with the dump as Foundation's JSONSerialization reads it
    /// (an independent parser): every block a page of its size under its id, every suballocation at its
    /// offset with its size, type and name, every dedicated allocation a full page of its own.
    @Test("rebuilt pages match the JSON exactly", arguments: SharedDumps.names)
    func layoutsMatchJSON(name: String) throws {
        let dump = try VMADump.load(path: SharedDumps.path(name))
        let pools = try dump.makePools(device: HostPageDevice(), verifiesBytes: false)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(SharedDumps.bytes(name))) as? [String: Any])
        var expected: [(name: String, pool: [String: Any])] = []
        let defaults = json["DefaultPools"] as? [String: Any] ?? [:]
        for (k, type) in dump.defaultPools.map(\.memoryType).enumerated() {
            expected.append((dump.poolName(k), try #require(defaults[type] as? [String: Any])))
        }
        let customs = json["CustomPools"] as? [String: Any] ?? [:]
        for group in dump.customPools {
            let list = try #require(customs[group.memoryType] as? [[String: Any]])
            #expect(list.count == group.pools.count)
            for p in list { expected.append((dump.poolName(expected.count), p)) }
        }
        var poolIndex = 0
        var allocationsSeen = 0
        for e in expected {
            let blocks = e.pool["Blocks"] as? [String: [String: Any]] ?? [:]
            let dedicated = e.pool["DedicatedAllocations"] as? [[String: Any]] ?? []
            if !blocks.isEmpty {
                let pool = pools[poolIndex]
                poolIndex += 1
                #expect(pool.name == e.name)
                #expect(Set(pool.pageIDs) == Set(blocks.keys.compactMap(Int.init)), "\(pool.name)")
                for (key, block) in blocks {
                    let metadata = try #require(pool.metadata(ofPage: Int(key)!))
                    #expect(metadata.size == block["TotalBytes"] as? Int)
                    let subs = (block["Suballocations"] as? [[String: Any]] ?? []).filter { $0["Type"] as? String != "FREE" }
                    let live = pool.records.filter { $0.live && $0.page == Int(key)! }.sorted { $0.offset < $1.offset }
                    #expect(live.count == subs.count, "\(pool.name) block \(key)")
                    for (r, s) in zip(live, subs) {
                        #expect(r.offset == s["Offset"] as? Int)
                        #expect(r.size == s["Size"] as? Int)
                        #expect(r.type.description == s["Type"] as? String)
                        #expect(r.name == s["Name"] as? String)
                    }
                    allocationsSeen += live.count
                    #expect(metadata.sumFreeSize == block["UnusedBytes"] as? Int)
                    try metadata.validate()
                }
                try pool.validate()
            }
            if !dedicated.isEmpty {
                let pool = pools[poolIndex]
                poolIndex += 1
                #expect(pool.name == e.name + " / dedicated")
                #expect(pool.options.holdsDedicatedAllocations)
                #expect(pool.pageIDs == Array(dedicated.indices))
                for (k, d) in dedicated.enumerated() {
                    let metadata = try #require(pool.metadata(ofPage: k))
                    #expect(metadata.size == d["Size"] as? Int)
                    #expect(metadata.sumFreeSize == 0, "a dedicated page has no free byte, so nothing moves")
                    let r = try #require(pool.records.first { $0.live && $0.page == k })
                    #expect(r.offset == 0 && r.size == d["Size"] as? Int && r.type.description == d["Type"] as? String && r.name == d["Name"] as? String)
                }
                allocationsSeen += dedicated.count
            }
        }
        #expect(poolIndex == pools.count)
        #expect(allocationsSeen == dump.allocationCount)
        // Allocation ids are unique across the pools of a session.
        let ids = pools.flatMap { $0.records.filter(\.live).map(\.id) }
        #expect(Set(ids).count == ids.count)
    }

    @Test("exporting an unchanged dump gives VMA's own bytes back", arguments: SharedDumps.names)
    func exportIsIdentical(name: String) throws {
        let bytes = try SharedDumps.bytes(name)
        let dump = try VMADump.parse(bytes, file: name)
        let pools = try dump.makePools(device: HostPageDevice(), verifiesBytes: false)
        let exported = try dump.exported(pools: pools).serialized()
        if exported != bytes {
            let index = Array(zip(exported, bytes)).firstIndex { $0 != $1 } ?? min(exported.count, bytes.count)
            Issue.record("export differs from \(name) at byte \(index): …\(String(decoding: exported[max(0, index - 60)..<min(exported.count, index + 60)], as: UTF8.self))…")
        }
        // And export → import → export is a fixed point.
        let again = try VMADump.parse(exported, file: "export")
        #expect(try again.exported(pools: again.makePools(device: HostPageDevice(), verifiesBytes: false)).serialized() == exported)
    }

    @Test("pools of one dump share a device under disjoint ids and keep their bytes")
    func sharedDeviceKeepsBytes() throws {
        let dump = try VMADump.load(path: SharedDumps.path("vma-sample.json"))
        let device = HostPageDevice()
        let pools = try dump.makePools(device: device, verifiesBytes: true)
        #expect(pools.count == 10) // default Type 0, 1, 3 and custom pools of Type 0 and 3: blocks + dedicated each
        #expect(device.pageCount == 69)
        for pool in pools { try pool.verifyAll() }
    }

    @Test("alignment is inferred from the dumped place")
    func inferredAlignment() {
        #expect(VMADump.inferredAlignment(offset: 66364, size: 1024) == 4)
        #expect(VMADump.inferredAlignment(offset: 131072, size: 6095200) == 4096)
        #expect(VMADump.inferredAlignment(offset: 0, size: 5536) == 32)
        #expect(VMADump.inferredAlignment(offset: 0, size: 1 << 20) == 4096)
    }

    @Test("a trace exports as one custom pool, allocations named alloc-<id>, and reads back identically")
    func traceTemplate() throws {
        let trace = try Trace.load(path: SharedFiles.trace("checkerboard.trace"))
        let pool = try trace.makePool(device: HostPageDevice(), options: { var o = PoolOptions(pageSize: trace.blockSize); o.verifiesBytes = false; return o }())
        let text = try VMADump.template(title: "checkerboard", pool: pool.options, gpu: "test").exported(pools: [pool], slots: VMADump.templateSlots).serialized()
        let dump = try VMADump.parse(text, file: "export")
        #expect(dump.customPools.count == 1 && dump.customPools[0].pools[0].blocks.count == pool.pageIDs.count)
        #expect(dump.allocationCount == pool.liveAllocationCount)
        let first = try #require(dump.customPools[0].pools[0].blocks.first?.allocations.first)
        #expect(first.name?.hasPrefix("alloc-") == true && first.customData?.hasPrefix("0x") == true)
        #expect(try dump.exported(pools: dump.makePools(device: HostPageDevice(), verifiesBytes: false)).serialized() == text)
    }
}

/// One malformed dump: a change to VMA's sample, the JSON path and words the error must have.
struct MalformedCase: CustomTestStringConvertible, Sendable {
    var label: String
    var replace: String
    var with: String
    var path: String?
    var words: [String]
    var testDescription: String { label }
}

private let block0 = "$.DefaultPools[\"Type 0\"].Blocks[\"0\"]"

@Suite("VMA dumps: bad input")
struct VMADumpMalformedTests {
    static let cases: [MalformedCase] = [
        MalformedCase(label: "a string broken by a newline", replace: "\"Type 7\": {\n      \"PreferredBlockSize\"", with: "\"Type 7\": {\n      \"Prefer",
                      path: "$.DefaultPools[\"Type 7\"]", words: ["malformed JSON at byte 13212 (line 311, column 27)", "control character 0xa inside a string"]),
        MalformedCase(label: "a trailing comma", replace: "\"GPU\": \"AMD Radeon RX 6600 XT\", ", with: "\"GPU\": \"AMD Radeon RX 6600 XT\", }, ",
                      path: "$.General", words: ["malformed JSON at byte 105 (line 5, column 37)", "expected a key"]),
        MalformedCase(label: "a duplicate block id", replace: "\"Type 1\": {\n      \"PreferredBlockSize\": 268435456, \n      \"Blocks\": {\n        \"0\": {",
                      with: "\"Type 1\": {\n      \"PreferredBlockSize\": 268435456, \n      \"Blocks\": {\n        \"0\": {}, \"0\": {",
                      path: "$.DefaultPools[\"Type 1\"].Blocks[\"0\"]", words: ["duplicate key \"0\""]),
        MalformedCase(label: "missing General.GPU", replace: "\"GPU\": \"AMD Radeon RX 6600 XT\", ", with: "",
                      path: "$.General", words: ["missing field \"GPU\""]),
        MalformedCase(label: "missing TotalBytes", replace: "\"TotalBytes\": 33554432, \n          \"UnusedBytes\": 18987876", with: "\"UnusedBytes\": 18987876",
                      path: block0, words: ["missing field \"TotalBytes\""]),
        MalformedCase(label: "a block larger than TLSF's largest page",
                      replace: "\"TotalBytes\": 33554432, \n          \"UnusedBytes\": 18987876", with: "\"TotalBytes\": 549755813888, \n          \"UnusedBytes\": 18987876",
                      path: block0 + ".TotalBytes", words: ["at most 274877906944 bytes", "found 549755813888"]),
        MalformedCase(label: "a size that is a string", replace: "{\"Offset\": 65536, \"Type\": \"BUFFER\", \"Size\": 768,", with: "{\"Offset\": 65536, \"Type\": \"BUFFER\", \"Size\": \"768\",",
                      path: block0 + ".Suballocations[1].Size", words: ["expected an integer, found a string"]),
        MalformedCase(label: "an offset that is not an integer", replace: "{\"Offset\": 65536, \"Type\": \"BUFFER\"", with: "{\"Offset\": 65536.5, \"Type\": \"BUFFER\"",
                      path: block0 + ".Suballocations[1].Offset", words: ["expected an integer, found 65536.5"]),
        MalformedCase(label: "a negative size", replace: "{\"Offset\": 65536, \"Type\": \"BUFFER\", \"Size\": 768,", with: "{\"Offset\": 65536, \"Type\": \"BUFFER\", \"Size\": -768,",
                      path: block0 + ".Suballocations[1].Size", words: ["at least 1", "-768"]),
        MalformedCase(label: "Blocks that is an array", replace: "\"Type 2\": {\n      \"PreferredBlockSize\": 268435456, \n      \"Blocks\": {\n      }",
                      with: "\"Type 2\": {\n      \"PreferredBlockSize\": 268435456, \n      \"Blocks\": [\n      ]",
                      path: "$.DefaultPools[\"Type 2\"].Blocks", words: ["expected an object, found an array"]),
        MalformedCase(label: "an unknown suballocation type", replace: "{\"Offset\": 65536, \"Type\": \"BUFFER\"", with: "{\"Offset\": 65536, \"Type\": \"TEXTURE\"",
                      path: block0 + ".Suballocations[1].Type", words: ["unknown suballocation type \"TEXTURE\"", "IMAGE_OPTIMAL"]),
        MalformedCase(label: "FREE among dedicated allocations", replace: "\"DedicatedAllocations\": [\n        {\"Type\": \"UNKNOWN\", \"Size\": 1024, \"Usage\": 0}",
                      with: "\"DedicatedAllocations\": [\n        {\"Type\": \"FREE\", \"Size\": 1024, \"Usage\": 0}",
                      path: "$.DefaultPools[\"Type 0\"].DedicatedAllocations[0].Type", words: ["unknown suballocation type \"FREE\""]),
        MalformedCase(label: "overlapping suballocations", replace: "{\"Offset\": 66304, \"Type\": \"BUFFER\", \"Size\": 60,", with: "{\"Offset\": 66000, \"Type\": \"BUFFER\", \"Size\": 60,",
                      path: block0 + ".Suballocations[2]", words: ["overlaps suballocation [1] at offset 65536 of 768 bytes"]),
        MalformedCase(label: "a suballocation past the end of its block", replace: "{\"Offset\": 14680064, \"Type\": \"FREE\", \"Size\": 18874368}",
                      with: "{\"Offset\": 14680064, \"Type\": \"FREE\", \"Size\": 18874369}",
                      path: block0 + ".Suballocations[23]", words: ["past the end of the block", "TotalBytes 33554432"]),
        MalformedCase(label: "free ranges that leave a gap", replace: "{\"Offset\": 74556, \"Type\": \"FREE\", \"Size\": 196}", with: "{\"Offset\": 74556, \"Type\": \"FREE\", \"Size\": 100}",
                      path: block0 + ".Suballocations[12]", words: ["bytes 74656..<74752 are in no suballocation"]),
        MalformedCase(label: "suballocations that do not add up to TotalBytes",
                      replace: "\"TotalBytes\": 33554432, \n          \"UnusedBytes\": 18987876", with: "\"TotalBytes\": 33558528, \n          \"UnusedBytes\": 18987876",
                      path: block0 + ".Suballocations", words: ["add up to 33554432 bytes, but TotalBytes is 33558528"]),
        MalformedCase(label: "an allocation count that does not match", replace: "\"Allocations\": 20, ", with: "\"Allocations\": 21, ",
                      path: block0 + ".Allocations", words: ["says 21 allocations", "lists 20"]),
        MalformedCase(label: "unused bytes that do not match", replace: "\"UnusedBytes\": 18987876", with: "\"UnusedBytes\": 18987875",
                      path: block0 + ".UnusedBytes", words: ["= 18987876, found 18987875"]),
        MalformedCase(label: "a block key that is not an id", replace: "\"Type 3\": {\n      \"PreferredBlockSize\": 268435456, \n      \"Blocks\": {\n        \"0\"",
                      with: "\"Type 3\": {\n      \"PreferredBlockSize\": 268435456, \n      \"Blocks\": {\n        \"b0\"",
                      path: "$.DefaultPools[\"Type 3\"].Blocks.b0", words: ["decimal number"]),
        MalformedCase(label: "CustomData with punctuation", replace: "\"Usage\": 0, \"CustomData\": \"0000000000F5D987\"}, \n            {\"Offset\": 68412",
                      with: "\"Usage\": 0, \"CustomData\": \"0x-F5D987\"}, \n            {\"Offset\": 68412",
                      path: block0 + ".Suballocations[4].CustomData", words: ["^[0-9a-zA-Z]+$"]),
        MalformedCase(label: "an unknown top-level field", replace: "\"CustomPools\": {", with: "\"Pools\": {}, \"CustomPools\": {",
                      path: "$.Pools", words: ["unknown field"]),
        MalformedCase(label: "a pool of a memory type MemoryInfo does not list", replace: "\"Type 7\": {\n      \"PreferredBlockSize\"", with: "\"Type 9\": {\n      \"PreferredBlockSize\"",
                      path: "$.DefaultPools[\"Type 9\"]", words: ["not listed under MemoryInfo"]),
        MalformedCase(label: "a custom pool without PreferredBlockSize", replace: "\"Name\": \"0\", \n        \"PreferredBlockSize\": 268435456, ", with: "\"Name\": \"0\", \n        ",
                      path: "$.CustomPools[\"Type 0\"][0]", words: ["missing field \"PreferredBlockSize\""]),
    ]

    @Test("a malformed dump is refused with its JSON path", arguments: cases)
    func refused(_ c: MalformedCase) throws {
        let original = try SharedDumps.text("vma-sample.json")
        #expect(original.contains(c.replace), "the case's text is not in vma-sample.json")
        let text = original.replacingOccurrences(of: c.replace, with: c.with)
        let error = workloadError { _ = try VMADump.parse(text, file: "bad.json") }
        guard let error else { return }
        #expect(error.file == "bad.json")
        #expect(error.jsonPath == c.path, "\(error)")
        #expect(error.line != nil, "\(error)")
        for word in c.words { #expect(error.description.contains(word), "\(error) lacks \(word)") }
    }

    @Test("a document that is not an object, empty, or nested too deeply")
    func notADump() {
        #expect(workloadError { _ = try VMADump.parse("[]", file: "a.json") }?.description.contains("expected an object (a VMA dump), found an array") == true)
        #expect(workloadError { _ = try VMADump.parse("", file: "a.json") }?.description.contains("malformed JSON at byte 0 (line 1, column 1)") == true)
        let deep = String(repeating: "[", count: 10_000)
        #expect(workloadError { _ = try VMADump.parse(deep, file: "a.json") }?.description.contains("nesting deeper than 256") == true)
        #expect(workloadError { _ = try VMADump.parse("{\"General\": \"\\x\"}", file: "a.json") }?.description.contains("invalid escape") == true)
    }

    @Test("a truncated dump: the byte, line and column where the file ends, and the path being read")
    func truncated() throws {
        let text = try SharedDumps.text("vma-sample.json")
        let cut = String(text.prefix(5000))
        let error = workloadError { _ = try VMADump.parse(cut, file: "cut.json") }
        #expect(error?.jsonPath == "$.DefaultPools[\"Type 0\"].Blocks[\"0\"].Suballocations[0].Type", "\(String(describing: error))")
        #expect(error?.description.contains("malformed JSON at byte 5000") == true, "\(String(describing: error))")
        #expect(error?.description.contains("end of file") == true)
    }

    @Test("a file that cannot be read")
    func unreadable() {
        #expect(workloadError { _ = try VMADump.load(path: "/nonexistent/dump.json") }?.description
            == "/nonexistent/dump.json: no such VMA dump: No such file or directory")
    }

    @Test("JSON paths: identifiers after a dot, other keys quoted with what is invisible escaped")
    func paths() {
        #expect(JSONPath.member("$", "Blocks") == "$.Blocks")
        #expect(JSONPath.member("$.a", "_x9") == "$.a._x9")
        #expect(JSONPath.member("$", "Type 0") == #"$["Type 0"]"#)
        #expect(JSONPath.member("$", "0") == #"$["0"]"#)
        #expect(JSONPath.member("$", "") == #"$[""]"#)
        #expect(JSONPath.member("$", "a-b") == #"$["a-b"]"#)
        #expect(JSONPath.member("$", "é") == #"$["é"]"#)
        #expect(JSONPath.member("$", "Z[") == #"$["Z["]"#)
        #expect(JSONPath.member("$", "q\"\\") == #"$["q\"\\"]"#)
        #expect(JSONPath.member("$", "\u{FEFF}Blocks\n") == #"$["\u{feff}Blocks\u{a}"]"#)
        #expect(JSONPath.index("$.Blocks", 3) == "$.Blocks[3]")
    }

    @Test("JSON strings: escapes and surrogate pairs read back; the writer escapes as VMA does")
    func strings() throws {
        let node = try JSONParser.parse(Array("[\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\"]".utf8))
        #expect(node.kind == .array([JSONNode(.string("a\"b\\c/d\né😀"), line: 1)]))
        var w = VMAJSONWriter()
        w.string("a\"b\\c\n\u{01}é")
        #expect(String(decoding: w.text, as: UTF8.self) == "\"a\\\"b\\\\c\\n\\u0001é\"")
    }
}
