// A session built from a VMA dump whose block id the pool cannot index (10^18): before, the pool grew an
// index as long as the id and trapped on overflow; now the session's build throws the workload's message,
// which names the JSON path.
import DefragSession
import Foundation
import MemoryPools
import Testing
import TestSupport
import Workloads

@Suite("Dump input reaching the pools")
struct DumpInputTests {
    @Test("a block id beyond what a pool indexes is an error naming the JSON path", arguments: ["9223372036854775807", "16777216"])
    func hugeBlockID(_ id: String) throws {
        let text = try String(contentsOfFile: TestPaths.shared.appendingPathComponent("vma-dumps/checkerboard-s1.pool.json").path, encoding: .utf8)
        let blocks = try #require(text.range(of: "\"Blocks\""))
        let first = try #require(text.range(of: "\"0\"", range: blocks.upperBound..<text.endIndex))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("defragscope-huge-block-\(id).json").path
        try text.replacingCharacters(in: first, with: "\"\(id)\"").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let workload = Workload.dump(try VMADump.load(path: path))
        let device = HostPageDevice()
        do {
            _ = try DefragSession(title: workload.title, configuration: EngineConfiguration()) { try workload.makePools(device: device) }
            Issue.record("a block id of \(id) was accepted")
        } catch let error as WorkloadError {
            #expect("\(error)".contains("Blocks[\"\(id)\"]") && "\(error)".contains("the id must be 0...16777215"))
        }
        #expect(device.pageCount == 0, "the pages built before the error are released")
    }
}
