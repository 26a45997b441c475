// --backend metadata and the automatic choice, with the real binary on small inputs: a page larger than half
// of this machine's memory is refused on host memory at once (exit 2, saying why) and runs on metadata when
// --backend is left out; on metadata the engine makes the same moves as on host memory and every live
// allocation checks after every pass.
import Foundation
import Testing
import TestSupport

/// A trace with one page of 64 GiB (more than half of the memory of any machine these tests run on; the
/// test checks that) holding three allocations.
private func hugePageTrace() throws -> String {
    try temporaryTrace("block-size 68719476736\na 1 4096 256\na 2 8192 256\na 3 4096 256\nf 2\n", prefix: "dscope-64g")
}

private func memTotal() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }) else { return nil }
    return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
}

@Suite("backends: host, metadata and the choice between them")
struct BackendChoiceTests {
    @Test("a 64 GiB page: --backend host exits 2 within seconds saying why; no --backend runs on metadata and says so")
    func pageLargerThanMemory() throws {
        let total = try #require(memTotal(), "/proc/meminfo has MemTotal")
        #expect(64 << 30 > total / 2, "the test needs a machine with less than 128 GiB")
        let trace = try hugePageTrace()
        defer { try? FileManager.default.removeItem(atPath: trace) }

        let start = Date()
        let host = try runDefragscope(["run", "--trace", trace, "--backend", "host"], timeout: 60)
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(host.status == 2)
        #expect(host.stdout.isEmpty)
        #expect(host.stderr.contains("--backend host: the pages need 64 GiB of memory, more than half of this machine's"), "\(host.stderr)")
        #expect(host.stderr.contains("--backend metadata"), "\(host.stderr)")

        let auto = try runDefragscope(["run", "--trace", trace, "--verify", "all"], timeout: 60)
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stderr.contains("running on --backend metadata"), "\(auto.stderr)")
        #expect(auto.stdout.contains("backend metadata"), "\(auto.stdout)")
        #expect(auto.stdout.contains("1 allocations moved"), "\(auto.stdout)")
    }

    @Test("pages that outgrow half of memory one by one: the host build stops at the limit having written nothing; the figure is the whole need")
    func manyPagesOverTheLimit() throws {
        let total = try #require(memTotal(), "/proc/meminfo has MemTotal")
        // Pages of 1 GiB, each filled by one allocation, as many as half of memory and 3 more, then all freed
        // but the first: only the build's peak is over the limit, not what is left.
        let pages = total / 2 / (1 << 30) + 3
        var text = "block-size 1073741824\n"
        for id in 1...pages { text += "a \(id) 1073741824 4096\n" }
        for id in 2...pages { text += "f \(id)\n" }
        text += "a \(pages + 1) 4096 256\n"
        let trace = try temporaryTrace(text, prefix: "dscope-pages")
        defer { try? FileManager.default.removeItem(atPath: trace) }

        let start = Date()
        let host = try runDefragscope(["run", "--trace", trace, "--backend", "host"], timeout: 60)
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(host.status == 2)
        #expect(host.stderr.contains("--backend host: the pages need \(pages) GiB of memory, more than half of this machine's"), "\(host.stderr)")

        let auto = try runDefragscope(["run", "--trace", trace, "--verify", "all"], timeout: 60)
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stderr.contains("the pages need \(pages) GiB of memory"), "\(auto.stderr)")
        #expect(auto.stdout.contains("backend metadata"), "\(auto.stdout)")
    }

    @Test("export chooses as run does: a 64 GiB page is exported from metadata, before and after defragmenting")
    func exportChooses() throws {
        let trace = try hugePageTrace()
        defer { try? FileManager.default.removeItem(atPath: trace) }
        for after in [[], ["--after", "--verify", "all"]] {
            let result = try runDefragscope(["export", "--trace", trace, "-o", "-"] + after, timeout: 60)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("running on --backend metadata"), "\(result.stderr)")
            #expect(result.stdout.contains("defragscope (metadata)"), "\(result.stdout.prefix(400))")
            #expect(result.stdout.contains("\"BlockBytes\": 68719476736"), "\(result.stdout.prefix(800))")
        }
        let host = try runDefragscope(["export", "--trace", trace, "-o", "-", "--backend", "host"], timeout: 60)
        #expect(host.status == 2 && host.stderr.contains("--backend host: the pages need 64 GiB"), "\(host.stderr)")
    }

    @Test("a pool that fits stays on host memory without a note", arguments: ["checkerboard", "tiny"])
    func smallPoolStaysOnHost(trace: String) throws {
        let result = try runDefragscope(["run", "--trace", TestPaths.trace(trace)])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        #expect(result.stdout.contains("backend host memory"), "\(result.stdout)")
    }

    @Test("metadata makes the moves host memory makes, every live allocation checking after every pass",
          arguments: ["checkerboard", "textures", "nearly-full", "churn"])
    func sameMovesAsHost(trace: String) throws {
        let arguments = ["run", "--trace", TestPaths.trace(trace), "--format", "ref", "--verify", "all", "--algorithm", "full"]
        let host = try runDefragscope(arguments + ["--backend", "host"])
        let metadata = try runDefragscope(arguments + ["--backend", "metadata"])
        #expect(host.status == 0 && metadata.status == 0, "\(host.stderr)\(metadata.stderr)")
        // The first line names the backend ("on host memory", "on metadata"); everything after it is the same.
        func body(_ text: String) -> [Substring] { Array(text.split(separator: "\n").dropFirst()) }
        #expect(metadata.stdout.hasPrefix("# reference: defragscope (dialect memutils) on metadata;"), "\(metadata.stdout.prefix(200))")
        #expect(body(metadata.stdout) == body(host.stdout))
        #expect(metadata.stdout.contains("move"), "moves were made: \(metadata.stdout.prefix(300))")
    }

    @Test("--backend with an unknown name is refused, listing metadata")
    func unknownBackend() throws {
        let result = try runDefragscope(["run", "--scenario", "tiny", "--backend", "disk"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("metadata"), "\(result.stderr)")
    }

    @Test("watch on a 64 GiB page: the header says metadata, the message row says why, a step works", .requires(.tmux))
    func watchOnMetadata() throws {
        let trace = try hugePageTrace()
        defer { try? FileManager.default.removeItem(atPath: trace) }
        let t = try TmuxSession(["watch", "--trace", trace], width: 160, height: 30)
        defer { t.close() }
        let screen = try t.waitFor("the UI on metadata", timeout: 30) { passNumber($0) == 0 && !pageRows($0).isEmpty }
        #expect(screen.split(separator: "\n").first?.contains("metadata") == true, "\(screen)")
        #expect(screen.contains("more than half of this machine's"), "\(screen)")
        try t.send("Space")
        try t.waitFor("pass 1", timeout: 30) { passNumber($0) == 1 }
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }
}
