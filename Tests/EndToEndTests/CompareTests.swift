// `defragscope compare` as a user meets it: rows that agree with single runs, the plot in the text output,
// the SVG file (parsed), --plan-only, and refusals of bad options.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport

/// Every line of stdout as a JSON object.
private func jsonLines(_ stdout: String) throws -> [[String: Any]] {
    try stdout.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }
}

/// The summary object of `run --format json` with these arguments.
private func runSummary(_ arguments: [String]) throws -> [String: Any] {
    let result = try runDefragscope(["run", "--format", "json"] + arguments)
    #expect(result.status == 0, "\(result.stderr)")
    let summary = try #require(try jsonLines(result.stdout).last)
    #expect(summary["summary"] as? Bool == true)
    return summary
}

/// The keys a compare row shares with run's summary, and which must agree.
private let sharedKeys = ["passes", "moves", "bytesMoved", "allocationsMoved", "pagesFreed", "pagesBefore", "pagesAfter", "pagesNonEmpty", "pagesLowerBound"]

/// Elements of an XML document, by name, with their attributes and text; parse errors kept.
private final class XMLCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var texts: [String] = []
    var error: Error?
    private var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append((name, attributes))
        text = ""
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if !text.isEmpty { texts.append(text) }
        text = ""
    }
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }

    static func parse(_ data: Data) throws -> XMLCollector {
        let collector = XMLCollector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        let ok = parser.parse()
        if let error = collector.error ?? parser.parserError { throw error }
        #expect(ok)
        return collector
    }
}

@Suite("defragscope compare")
struct CompareTests {
    @Test("four algorithms as JSON: each row equals a single run's summary")
    func rowsEqualSingleRuns() throws {
        let trace = TestPaths.trace("checkerboard")
        let result = try runDefragscope(["compare", "--trace", trace, "--algorithm", "fast", "--algorithm", "full",
                                         "--algorithm", "balanced", "--algorithm", "extensive", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try jsonLines(result.stdout)
        #expect(rows.map { $0["algorithm"] as? String } == ["fast", "full", "balanced", "extensive"])
        #expect(rows.map { $0["configuration"] as? String } == ["fast", "full", "balanced", "extensive"])
        for row in rows {
            let algorithm = try #require(row["algorithm"] as? String)
            let summary = try runSummary(["--trace", trace, "--algorithm", algorithm])
            for key in sharedKeys {
                #expect(row[key] as? Int == summary[key] as? Int, "\(algorithm) \(key): compare \(row[key] ?? "nil"), run \(summary[key] ?? "nil")")
            }
            // The curve: the start, then one point per pass, ending where the run ends.
            let curve = try #require(row["curve"] as? [[String: Int]])
            #expect(curve.count == (row["passes"] as? Int ?? -1) + 1)
            #expect(curve.first?["bytesMoved"] == 0)
            #expect(curve.first?["pages"] == row["pagesBefore"] as? Int)
            #expect(curve.last?["bytesMoved"] == row["bytesMoved"] as? Int)
            #expect(curve.last?["pagesNonEmpty"] == row["pagesNonEmpty"] as? Int)
            #expect(curve.map { $0["pass"] } == Array(0..<curve.count))
        }
    }

    @Test("dialects × budgets: four configurations, named by what differs, each equal to its run")
    func crossProduct() throws {
        let trace = TestPaths.trace("checkerboard")
        let result = try runDefragscope(["compare", "--trace", trace, "--algorithm", "full", "--dialect", "memutils", "--dialect", "vma",
                                         "--budget", "0:0", "--budget", "4194304:64", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try jsonLines(result.stdout)
        #expect(rows.map { $0["configuration"] as? String } == ["full@memutils unlimited", "full@memutils 4 MiB / 64",
                                                                "full@vma unlimited", "full@vma 4 MiB / 64"])
        for row in rows {
            let dialect = try #require(row["dialect"] as? String)
            let bytes = try #require(row["maxPassBytes"] as? Int), allocations = try #require(row["maxPassAllocations"] as? Int)
            let summary = try runSummary(["--trace", trace, "--algorithm", "full", "--dialect", dialect,
                                          "--max-pass-bytes", "\(bytes)", "--max-pass-allocations", "\(allocations)"])
            for key in sharedKeys { #expect(row[key] as? Int == summary[key] as? Int, "\(dialect) \(bytes):\(allocations) \(key)") }
        }
        // The budget slows convergence down: more passes for the same end.
        #expect((rows[1]["passes"] as? Int ?? 0) > (rows[0]["passes"] as? Int ?? 0))
    }

    @Test("text output: a row per configuration, then the convergence plot in braille with a legend")
    func textTableAndPlot() throws {
        let result = try runDefragscope(["compare", "--trace", TestPaths.trace("checkerboard"), "--algorithm", "fast", "--algorithm", "full"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "checkerboard.trace: 2 configurations on host memory")
        #expect(lines.contains { $0.hasPrefix("fast ") && $0.contains("15.4 MiB") })
        #expect(lines.contains { $0.hasPrefix("full ") && $0.contains("17.4 MiB") })
        #expect(lines.contains("checkerboard.trace: convergence"))
        let braille = lines.filter { $0.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } }
        #expect(braille.count >= 5, "the plot has too few rows of dots:\n\(result.stdout)")
        #expect(lines.contains { $0.contains("bytes moved (cumulative)") })
        #expect(lines.contains("  ━━ 1 fast: 5 after 15.4 MiB"))
        #expect(lines.contains("  ━━ 2 full: 5 after 17.4 MiB"))
        #expect(lines.contains("  ┈┈   lower bound: 5"))
        // Not a terminal: no colour codes.
        #expect(!result.stdout.contains("\u{1B}["))
        #expect(!lines.contains { $0.hasSuffix(" ") }, "trailing blanks")
    }

    @Test("--svg writes well-formed SVG: axes with units, one polyline per configuration, every name in the legend")
    func svgFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compare-svg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for plot in ["convergence", "passes"] {
            let path = directory.appendingPathComponent("\(plot).svg").path
            let result = try runDefragscope(["compare", "--trace", TestPaths.trace("checkerboard"), "--algorithm", "fast", "--algorithm", "full",
                                             "--algorithm", "balanced", "--svg", path, "--plot", plot, "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("wrote \(path): \(plot) plot of 3 configurations"))
            let svg = try XMLCollector.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(svg.elements.first?.name == "svg")
            #expect(svg.elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
            let polylines = svg.elements.filter { $0.name == "polyline" }
            #expect(polylines.count == 3)
            #expect(Set(polylines.compactMap { $0.attributes["stroke"] }).count == 3, "one colour per series")
            // Each polyline has a point per pass plus the start: fast 2, full 4, balanced 7 passes.
            #expect(polylines.map { $0.attributes["points"]?.split(separator: " ").count } == [3, 5, 8])
            for name in ["fast", "full", "balanced", "lower bound (5)", "non-empty pages"] {
                #expect(svg.texts.contains(name), "\(plot): no text '\(name)' in the SVG")
            }
            if plot == "convergence" {
                #expect(svg.texts.contains("bytes moved (cumulative)"))
                #expect(svg.texts.contains("10 MiB"), "x ticks in bytes")
            } else {
                #expect(svg.texts.contains("pass"))
            }
        }
    }

    @Test("--plan-only: the same moves on a device that keeps no bytes, for a trace and a VMA dump")
    func planOnly() throws {
        for input in [["--trace", TestPaths.trace("checkerboard")], ["--vma-dump", TestPaths.shared.appendingPathComponent("vma-dumps/vma-sample.json").path]] {
            let verified = try runDefragscope(["compare"] + input + ["--algorithm", "fast", "--algorithm", "full", "--format", "json"])
            let planned = try runDefragscope(["compare"] + input + ["--algorithm", "fast", "--algorithm", "full", "--format", "json", "--plan-only"])
            #expect(verified.status == 0, "\(verified.stderr)")
            #expect(planned.status == 0, "\(planned.stderr)")
            let a = try jsonLines(verified.stdout), b = try jsonLines(planned.stdout)
            #expect(a.count == 2 && b.count == 2)
            for (x, y) in zip(a, b) {
                for key in sharedKeys { #expect(x[key] as? Int == y[key] as? Int, "\(input[0]) \(x["algorithm"] ?? "") \(key)") }
                #expect(y["backend"] as? String == "metadata only")
            }
        }
        let text = try runDefragscope(["compare", "--scenario", "tiny", "--plan-only"])
        #expect(text.status == 0, "\(text.stderr)")
        // Without --algorithm: every algorithm (fast, full, balanced, extensive, optimal).
        #expect(text.stdout.hasPrefix("tiny: 5 configurations on metadata only (plan only: no bytes copied or verified)\n"))
    }

    struct BadOptions: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    @Test("bad options exit 2 and say what was expected", arguments: [
        BadOptions(arguments: ["--budget", "64M:256"], message: "--budget '64M:256': expected BYTES:ALLOCS"),
        BadOptions(arguments: ["--budget", "-1:0"], message: "--budget '-1:0': expected BYTES:ALLOCS"),
        BadOptions(arguments: ["--algorithm", "quick"], message: "quick"),
        BadOptions(arguments: ["--plot", "pies"], message: "pies"),
        BadOptions(arguments: ["--format", "ref"], message: "ref"),
        BadOptions(arguments: ["--format", "json", "--format", "text"], message: "--format was given more than once"),
        BadOptions(arguments: ["--plan-only", "--backend", "lavapipe"], message: "--plan-only runs on a device that keeps no bytes"),
        BadOptions(arguments: ["--svg", "/nonexistent-dir/out.svg"], message: "cannot write /nonexistent-dir/out.svg"),
        BadOptions(arguments: ["--svg", "-"], message: "--svg -: standard output carries the rows"),
    ])
    func badOptions(_ bad: BadOptions) throws {
        let result = try runDefragscope(["compare", "--scenario", "tiny"] + bad.arguments)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(bad.message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("a malformed trace is refused with its file and line, exit 2")
    func malformedTrace() throws {
        let path = try temporaryTrace("block-size 1024\na 1 100 16\na 2 abc 16\n", prefix: "compare-bad")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runDefragscope(["compare", "--trace", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path):3"), "\(result.stderr)")
    }
}

@Suite("compare --backend lavapipe", .requires(Lavapipe.driver))
struct CompareLavapipeTests {
    @Test("on Vulkan memory (one device, the sessions in turn): the same rows as on host memory")
    func sameRowsAsHost() throws {
        let arguments = ["compare", "--trace", TestPaths.trace("checkerboard"), "--algorithm", "fast", "--algorithm", "full",
                         "--budget", "0:0", "--budget", "4194304:64", "--format", "json"]
        let vulkan = try runDefragscope(arguments + ["--backend", "lavapipe"])
        let host = try runDefragscope(arguments)
        #expect(vulkan.status == 0, "\(vulkan.stderr)")
        #expect(host.status == 0, "\(host.stderr)")
        let a = try jsonLines(vulkan.stdout), b = try jsonLines(host.stdout)
        #expect(a.count == 4 && b.count == 4)
        for (x, y) in zip(a, b) {
            #expect(x["configuration"] as? String == y["configuration"] as? String)
            for key in sharedKeys { #expect(x[key] as? Int == y[key] as? Int, "\(x["configuration"] ?? "") \(key)") }
            #expect(x["errors"] as? Int == 0)
            #expect(x["backend"] as? String != "host memory")
        }
    }
}
