// `bench --session` with the real binary: one record with the load time, the median step and the peak RSS.
import Foundation
import Testing
import TestSupport

@Suite("bench --session")
struct SessionBenchTests {
    @Test("--json: one record; load, steps and RSS are measured; the backend is named", arguments: [[], ["--backend", "metadata"]])
    func record(backend: [String]) throws {
        let result = try runDefragscope(["bench", "--session", "--trace", TestPaths.trace("checkerboard"), "--json", "--repeat", "3"] + backend)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["session"] as? Bool == true)
        #expect(object["backend"] as? String == (backend.isEmpty ? "host memory" : "metadata"))
        let load = try #require(object["loadSeconds"] as? Double)
        let step = try #require(object["stepSecondsMedian"] as? Double)
        let rss = try #require(object["peakRSSBytes"] as? Int)
        #expect(load > 0 && load < 60 && step > 0 && step < 60, "\(result.stdout)")
        #expect(rss > 1 << 20 && rss < 8 << 30, "\(result.stdout)")
        // The phases of the load add up to it (the rest: the process's start-up and option parsing).
        let phases = try #require(object["loadPhases"] as? [String: Double], "\(result.stdout)")
        #expect(Set(phases.keys) == ["inputSeconds", "poolsSeconds", "sessionSeconds", "snapshotSeconds", "renderSeconds"])
        let sum = phases.values.reduce(0, +)
        #expect(phases.values.allSatisfy { $0 >= 0 } && phases["poolsSeconds"]! > 0 && sum <= load && sum > load * 0.5, "\(result.stdout)")
        // The checkerboard finishes in a few passes: at most --repeat steps, at least one.
        #expect((1...3).contains(object["steps"] as? Int ?? 0), "\(result.stdout)")
    }

    @Test("refused without exactly one --trace, or with --render: exit 2 naming the rule",
          arguments: [(["bench", "--session"], "exactly one --trace"),
                      (["bench", "--session", "--trace", "a.trace", "--trace", "b.trace"], "exactly one --trace"),
                      (["bench", "--session", "--render", "--trace", "a.trace"], "choose one of --session, --render and --targets")])
    func refusals(arguments: [String], message: String) throws {
        let result = try runDefragscope(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
