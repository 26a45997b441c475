// Why allocations stay, through the real binary: `run --format json` counts what the engine decided per
// pass, `run --explain PAGE` prints a page's why-list, and with the observer on every move is the same.
import Foundation
import Testing
import TestSupport

/// The pass objects of `run --format json` (the summary left out).
private func passObjects(_ stdout: String) throws -> [[String: Any]] {
    try stdout.split(separator: "\n").compactMap { line in
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return object?["summary"] == nil ? object : nil
    }
}

private func notMoved(_ pass: [String: Any], _ reason: String) -> Int {
    (pass["notMoved"] as? [String: Any])?[reason] as? Int ?? -1
}

/// A 1 MiB-page trace: page 0 full of 128 KiB allocations with three of them freed (holes of 128 KiB), page 1
/// a 600 KiB allocation and a 128 KiB one. The 600 KiB one is larger than every free range elsewhere.
private func bigAllocationTrace() throws -> String {
    let k = 1024
    var lines = ["block-size 1048576"]
    for id in 0..<8 { lines.append("a \(id) \(128 * k) 256") }
    lines += ["a 8 \(600 * k) 256", "a 9 \(128 * k) 256", "f 1", "f 3", "f 5"]
    return try temporaryTrace(lines.joined(separator: "\n") + "\n", prefix: "dscope-big")
}

@Suite("run explains why allocations stay")
struct ExplainTests {
    @Test("an allocation larger than every free range elsewhere: noDestination in the JSON and in its page's why-list")
    func noDestination() throws {
        let trace = try bigAllocationTrace()
        defer { try? FileManager.default.removeItem(atPath: trace) }
        let json = try runDefragscope(["run", "--trace", trace, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let passes = try passObjects(json.stdout)
        #expect(notMoved(passes[0], "noDestination") == 1, "\(json.stdout)")
        let why = try runDefragscope(["run", "--trace", trace, "--max-passes", "1", "--explain", "1"])
        #expect(why.status == 0, "\(why.stderr)")
        #expect(why.stdout.contains("why page 1 is still here, after pass 1:"), "\(why.stdout)")
        #expect(why.stdout.contains("no destination: 1 allocation of 600 KiB; largest free range in the pool's other pages 128 KiB"), "\(why.stdout)")
        #expect(why.stdout.contains("arrived in this pass: 2 allocations of 128 KiB"), "\(why.stdout)")
    }

    @Test("an ignore answer makes a page immovable: its allocations count as immovable in the next pass")
    func immovable() throws {
        let trace = TestPaths.trace("checkerboard")
        let plain = try passObjects(runDefragscope(["run", "--trace", trace, "--format", "json", "--max-passes", "3"]).stdout)
        #expect(plain.allSatisfy { notMoved($0, "immovable") == 0 })
        // 2047 is pass 1's first move (page 8); ignoring it makes page 8 immovable.
        let ignored = try runDefragscope(["run", "--trace", trace, "--format", "json", "--max-passes", "3", "--ignore-ids", "2047"])
        #expect(ignored.status == 0, "\(ignored.stderr)")
        let passes = try passObjects(ignored.stdout)
        #expect(notMoved(passes[0], "immovable") == 0, "nothing is immovable before the answer")
        #expect(notMoved(passes[1], "immovable") > 0, "\(passes[1])")
    }

    @Test("one allocation per pass: the first pass counts the rest as budget")
    func budget() throws {
        let result = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--format", "json", "--max-passes", "2",
                                         "--max-pass-allocations", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let passes = try passObjects(result.stdout)
        #expect((passes[0]["moves"] as? [Any])?.count == 1)
        #expect(notMoved(passes[0], "budget") > 0, "\(passes[0])")
        let unlimited = try passObjects(runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--format", "json", "--max-passes", "1"]).stdout)
        #expect(notMoved(unlimited[0], "budget") == 0)
    }

    @Test("considered = moves + notMoved in every pass", arguments: ["full", "fast", "balanced", "extensive"], ["memutils", "vma"])
    func consideredAddsUp(algorithm: String, dialect: String) throws {
        for trace in ["checkerboard", "nearly-full", "tiny"] {
            let result = try runDefragscope(["run", "--trace", TestPaths.trace(trace), "--format", "json", "--algorithm", algorithm, "--dialect", dialect])
            #expect(result.status == 0, "\(result.stderr)")
            for pass in try passObjects(result.stdout) {
                let moves = (pass["moves"] as? [Any])?.count ?? -1
                let reasons = (pass["notMoved"] as? [String: Int]) ?? [:]
                #expect(Set(reasons.keys) == ["noDestination", "budget", "immovable", "algorithm"])
                #expect(pass["considered"] as? Int == moves + reasons.values.reduce(0, +), "\(trace) pass \(pass["pass"] ?? "?"): \(pass["considered"] ?? "nil") considered, \(moves) moves, \(reasons)")
            }
        }
    }

    @Test("--explain of a page that does not exist, or a negative one: exit 2 with what was expected")
    func badPage() throws {
        let missing = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--explain", "99"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--explain 99: there is no page 99 in checkerboard.trace; its pages are 1, 4, 5, 6, 7"), "\(missing.stderr)")
        let negative = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--explain", "-1"])
        #expect(negative.status == 2 && negative.stderr.contains("--explain takes a page id"), "\(negative.stderr)")
        let released = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--explain", "8"])
        #expect(released.status == 0 && released.stdout.contains("page 8 is not here any more: pass 1 released it"), "\(released.stdout)")
    }

    @Test("with the observer on, every reference file's moves are the same", arguments: ReferenceFile.all())
    func sameMovesObserved(_ file: ReferenceFile) throws {
        // --explain turns the observer on for every pass; its lines come after the reference's.
        let result = try runDefragscope(file.runArguments + ["--verify", "moved", "--explain", "0"])
        #expect(result.status == 0, "exit \(result.status): \(result.stderr)")
        var actual = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.hasPrefix("#") }
        if let explanation = actual.firstIndex(where: { $0.hasPrefix("why page 0") || $0.hasPrefix("page 0 is not here") }) {
            actual = Array(actual[..<explanation]) + [""]
        } else {
            Issue.record("no explanation of page 0 in \(file)")
        }
        let expected = try file.expectedLines()
        #expect(actual == expected, "\(file): the moves differ with the observer on")
    }
}
