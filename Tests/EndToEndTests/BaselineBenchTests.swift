// `bench --baseline` with the real binary: the replay's floor, each trace's operations on bare TLSF pages.
import Foundation
import Testing
import TestSupport

@Suite("bench --baseline")
struct BaselineBenchTests {
    /// The `a` and `f` lines of a trace file.
    static func operationCount(_ path: String) throws -> (allocations: Int, frees: Int) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        return (lines.filter { $0.hasPrefix("a ") }.count, lines.filter { $0.hasPrefix("f ") }.count)
    }

    @Test("--json: one record per trace with the trace's operation count, ops/s and the spread of the runs")
    func records() throws {
        let traces = [TestPaths.trace("tiny"), TestPaths.trace("checkerboard")]
        let result = try runDefragscope(["bench", "--baseline", "--trace", traces[0], "--trace", traces[1], "--repeat", "3", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 2, "\(result.stdout)")
        for (object, path) in zip(objects, traces) {
            let (allocations, frees) = try Self.operationCount(path)
            #expect(object["trace"] as? String == URL(fileURLWithPath: path).lastPathComponent)
            #expect(object["allocations"] as? Int == allocations && object["frees"] as? Int == frees, "\(object)")
            #expect(object["operations"] as? Int == allocations + frees, "\(object)")
            let ops = try #require(object["opsPerSecond"] as? Double)
            let low = try #require(object["secondsMin"] as? Double), mid = try #require(object["secondsMedian"] as? Double)
            let high = try #require(object["secondsMax"] as? Double)
            #expect(ops > 0 && 0 < low && low <= mid && mid <= high, "\(object)")
            // ops/s is the operations over the median run.
            #expect(abs(ops * mid - Double(allocations + frees)) <= 1e-6 * Double(allocations + frees) + 1e-9, "\(object)")
            #expect((object["pages"] as? Int ?? 0) >= 1, "\(object)")
        }
    }

    @Test("the table: a heading, then a row per trace")
    func table() throws {
        let result = try runDefragscope(["bench", "--baseline", "--trace", TestPaths.trace("tiny"), "--repeat", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(result.stdout)")
        #expect(lines.first?.hasPrefix("trace") == true && lines.first?.contains("plain TLSF ops/s") == true, "\(result.stdout)")
        #expect(lines.last?.hasPrefix("tiny.trace") == true && lines.last?.contains(" 36 ") == true, "\(result.stdout)")
    }

    @Test("refused with planning options or another measurement: exit 2 naming the rule",
          arguments: [(["--algorithm", "full"], "--algorithm and --budget do not apply"),
                      (["--budget", "0:0"], "--algorithm and --budget do not apply"),
                      (["--render"], "--baseline measures the plain TLSF loop alone"),
                      (["--session"], "--baseline measures the plain TLSF loop alone")])
    func refusals(extra: [String], message: String) throws {
        let result = try runDefragscope(["bench", "--baseline", "--trace", TestPaths.trace("tiny")] + extra)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("a malformed trace is refused with its file and line, exit 2")
    func badTrace() throws {
        let path = try temporaryTrace("# defrag-trace v1 bad seed=1\nblock-size 1024\na 1 16 16\nq 2\n", prefix: "baseline-bad")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runDefragscope(["bench", "--baseline", "--trace", path, "--repeat", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path):4") || result.stderr.contains("line 4"), "\(result.stderr)")
        #expect(result.stdout.isEmpty, "\(result.stdout)")
    }
}
