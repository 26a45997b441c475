// The optimal algorithm from the command line: the pages and bytes it reaches on the shared traces, within
// budgets, every byte verified (the run exits 2 on a mismatch), and the formats and commands that accept it.
import Foundation
import Testing
import TestSupport

private struct RunSummary {
    var pages: Int
    var lowerBound: Int
    var bytesMoved: Int
    var passes: [[String: Any]]
}

private func run(_ trace: String, _ algorithm: String, budget: (bytes: Int, allocations: Int)? = nil) throws -> RunSummary {
    var arguments = ["run", "--trace", TestPaths.trace(trace), "--algorithm", algorithm, "--format", "json"]
    if let budget { arguments += ["--max-pass-bytes", "\(budget.bytes)", "--max-pass-allocations", "\(budget.allocations)"] }
    let result = try runDefragscope(arguments)
    #expect(result.status == 0, "\(trace) \(algorithm): \(result.stderr)")
    let objects = try result.stdout.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    let summary = try #require(objects.last)
    return RunSummary(pages: try #require(summary["pagesNonEmpty"] as? Int), lowerBound: try #require(summary["pagesLowerBound"] as? Int),
                      bytesMoved: try #require(summary["bytesMoved"] as? Int), passes: Array(objects.dropLast()))
}

@Suite("defragscope run --algorithm optimal")
struct PlannerCommandLineTests {
    @Test("checkerboard: the lower bound, fewer bytes than full, every pass within its budget and verified",
          arguments: [nil, (bytes: 4_194_304, allocations: 32)] as [(bytes: Int, allocations: Int)?])
    func checkerboard(_ budget: (bytes: Int, allocations: Int)?) throws {
        let optimal = try run("checkerboard", "optimal", budget: budget)
        let full = try run("checkerboard", "full", budget: budget)
        #expect(optimal.pages == optimal.lowerBound)
        #expect(optimal.pages <= full.pages)
        #expect(optimal.bytesMoved < full.bytesMoved)
        for pass in optimal.passes {
            #expect((pass["errors"] as? [Any])?.isEmpty == true)
            if let budget {
                #expect(try #require(pass["bytesMoved"] as? Int) <= budget.bytes)
                #expect(try #require(pass["allocationsMoved"] as? Int) <= budget.allocations)
            }
        }
    }

    @Test("churn: 54 pages (the lower bound), at most 385 MiB moved, with and without a budget",
          .enabled(if: TestPaths.soak, "a debug run of churn takes about half a minute: DEFRAGSCOPE_SOAK=1"),
          arguments: [nil, (bytes: 67_108_864, allocations: 256)] as [(bytes: Int, allocations: Int)?])
    func churn(_ budget: (bytes: Int, allocations: Int)?) throws {
        let optimal = try run("churn", "optimal", budget: budget)
        #expect(optimal.lowerBound == 54)
        #expect(optimal.pages == 54)
        #expect(optimal.bytesMoved <= 403_701_760)
        for pass in optimal.passes {
            #expect((pass["errors"] as? [Any])?.isEmpty == true)
            if let budget {
                #expect(try #require(pass["bytesMoved"] as? Int) <= budget.bytes)
                #expect(try #require(pass["allocationsMoved"] as? Int) <= budget.allocations)
            }
        }
    }

    @Test("the reference format and bench accept it")
    func formats() throws {
        let ref = try runDefragscope(["run", "--trace", TestPaths.trace("tiny"), "--algorithm", "optimal", "--format", "ref"])
        #expect(ref.status == 0, "\(ref.stderr)")
        #expect(ref.stdout.contains("optimal"))
        let bench = try runDefragscope(["bench", "--trace", TestPaths.trace("tiny"), "--algorithm", "optimal", "--budget", "0:0", "--repeat", "1"])
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stdout.contains("optimal"))
    }
}
