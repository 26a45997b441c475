// The command line as a user meets it: formats, exit codes, messages for bad input.
import Foundation
import Testing
import TestSupport

@Suite("defragscope run")
struct CommandLineTests {
    @Test("text format prints a pass table and a summary")
    func textFormat() throws {
        let result = try runDefragscope(["run", "--trace", TestPaths.trace("tiny"), "--dialect", "vma", "--algorithm", "full"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("tiny.trace: 2 pages"))
        #expect(result.stdout.contains("algorithm full, dialect vma, budget unlimited, backend host memory"))
        #expect(result.stdout.contains("done: 1 passes, 1 allocations moved (112 B)"))
    }

    @Test("json format: one object per pass, then a summary object")
    func jsonFormat() throws {
        let result = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--format", "json",
                                         "--max-pass-bytes", "67108864", "--max-pass-allocations", "256"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count >= 2)
        var moves = 0
        for (i, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if i < lines.count - 1 {
                #expect(object["pass"] as? Int == i + 1)
                let passMoves = try #require(object["moves"] as? [[String: Any]])
                #expect(passMoves.count <= 256)
                moves += passMoves.count
            } else {
                #expect(object["summary"] as? Bool == true)
                #expect(object["moves"] as? Int == moves)
                #expect(object["passes"] as? Int == lines.count - 1)
            }
        }
    }

    @Test("every built-in scenario runs with every algorithm")
    func scenarios() throws {
        let help = try runDefragscope(["run", "--help"])
        #expect(help.status == 0)
        for scenario in ["checkerboard", "tiny"] {
            for algorithm in ["fast", "full", "balanced", "extensive"] {
                let result = try runDefragscope(["run", "--scenario", scenario, "--algorithm", algorithm, "--verify", "all"])
                #expect(result.status == 0, "\(scenario) \(algorithm): \(result.stderr)")
                #expect(result.stdout.contains("done:"))
            }
        }
    }

    struct BadInput: CustomStringConvertible, Sendable {
        var name: String
        var trace: String?
        var arguments: [String]
        var expected: [String]
        var description: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "missing file", trace: nil, arguments: ["run", "--trace", "/nonexistent/x.trace"], expected: ["/nonexistent/x.trace"]),
        BadInput(name: "unknown op", trace: "block-size 1024\na 1 16 16\nx 2\n", arguments: [], expected: [":3:", "x 2"]),
        BadInput(name: "non-number", trace: "block-size 1024\na 1 sixteen 16\n", arguments: [], expected: [":2:"]),
        BadInput(name: "free of unknown id", trace: "block-size 1024\na 1 16 16\nf 9\n", arguments: [], expected: [":3:", "9"]),
        BadInput(name: "larger than a page", trace: "block-size 1024\na 1 2048 16\n", arguments: [], expected: [":2:", "2048"]),
        BadInput(name: "alignment not a power of two", trace: "block-size 1024\na 1 16 24\n", arguments: [], expected: [":2:", "power of two"]),
        BadInput(name: "duplicate id", trace: "block-size 1024\na 1 16 16\na 1 32 16\n", arguments: [], expected: [":3:", "1"]),
        BadInput(name: "no block size", trace: "a 1 16 16\n", arguments: [], expected: ["block-size"]),
        BadInput(name: "unknown algorithm", trace: nil, arguments: ["run", "--algorithm", "quick"], expected: ["quick"]),
        BadInput(name: "unknown scenario", trace: nil, arguments: ["run", "--scenario", "nope"], expected: ["nope"]),
        BadInput(name: "negative budget", trace: nil, arguments: ["run", "--max-pass-bytes", "-5"], expected: ["--max-pass-bytes"]),
    ]

    @Test("bad input: a message naming the file and line, exit 2, nothing on stdout", arguments: badInputs)
    func badInput(_ input: BadInput) throws {
        var arguments = input.arguments
        var path: String?
        if let trace = input.trace {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).trace")
            try trace.write(to: url, atomically: true, encoding: .utf8)
            path = url.path
            arguments = ["run", "--trace", url.path]
        }
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        let result = try runDefragscope(arguments)
        #expect(result.status == 2, "\(input.name): exit \(result.status), stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(input.name): stdout: \(result.stdout)")
        if let path { #expect(result.stderr.contains((path as NSString).lastPathComponent), "\(result.stderr)") }
        for fragment in input.expected { #expect(result.stderr.contains(fragment), "\(input.name): '\(fragment)' not in: \(result.stderr)") }
    }
}

@Suite("defragscope bench")
struct BenchCommandTests {
    @Test("--json: one object per case with the issue's keys, planning the same moves as run")
    func jsonCases() throws {
        let result = try runDefragscope(["bench", "--trace", TestPaths.trace("tiny"), "--trace", TestPaths.trace("checkerboard"),
                                         "--algorithm", "full", "--budget", "0:0", "--budget", "67108864:256", "--repeat", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 4)
        let keys = ["trace", "algorithm", "dialect", "maxPassBytes", "maxPassAllocations", "replayOpsPerSecond", "planningSecondsMedian",
                    "planningSecondsMin", "planningSecondsMax", "passes", "moves", "bytesMoved", "pagesBefore", "pagesAfter",
                    "pagesLowerBound", "peakRSSBytes", "metadataBytesPerAllocation"]
        for object in objects {
            for key in keys { #expect(object[key] != nil, "missing \(key) in \(object)") }
            #expect(object["dialect"] as? String == "vma")
            let min = try #require(object["planningSecondsMin"] as? Double), max = try #require(object["planningSecondsMax"] as? Double)
            #expect(min <= max)
            #expect((object["metadataBytesPerAllocation"] as? Double ?? 0) > 0)
        }
        // The metadata-only pages plan exactly what a run over real bytes does.
        let checkerboard = try #require(objects.first { $0["trace"] as? String == "checkerboard.trace" && $0["maxPassBytes"] as? Int == 0 })
        let run = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--dialect", "vma", "--algorithm", "full", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.split(separator: "\n").last!.utf8)) as? [String: Any])
        #expect(checkerboard["moves"] as? Int == summary["moves"] as? Int)
        #expect(checkerboard["passes"] as? Int == summary["passes"] as? Int)
    }

    @Test("--targets without the scale trace names the file it needs, exit 2")
    func targetsNeedTheirTraces() throws {
        let result = try runDefragscope(["bench", "--targets", "--trace", TestPaths.trace("tiny"), "--repeat", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bench --targets needs scale.trace"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
