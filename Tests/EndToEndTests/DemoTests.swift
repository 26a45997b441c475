// The demos of Demos/README.md, run the way a reader runs them: the CustomBlockList program as a binary,
// every fenced command of the README (watch as run), and --ignore-ids checked in the JSON and ref output.
import Foundation
import Testing
import TestSupport

/// The commands in the fenced blocks of Demos/README.md.
enum DemoReadme {
    static let url = TestPaths.packageRoot.appendingPathComponent("Demos/README.md")

    /// One fenced line: what the reader types, and what the test runs instead.
    struct Command: CustomTestStringConvertible, Sendable {
        enum Program: Sendable { case defragscope, customBlockList }
        var line: String
        var program: Program
        /// Arguments with `watch` turned into `run` and `../shared` into the test's shared folder.
        var arguments: [String]
        var testDescription: String { line }
    }

    enum ParseError: Error, CustomStringConvertible {
        case unrecognised(String)
        var description: String {
            switch self {
            case .unrecognised(let line): return "Demos/README.md: not a `swift run defragscope …` or `swift run CustomBlockList` command: \(line)"
            }
        }
    }

    /// Every non-empty line inside ``` fences.
    static func fencedLines() throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var inFence = false
        var lines: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") { inFence.toggle(); continue }
            if inFence && !line.isEmpty { lines.append(line) }
        }
        return lines
    }

    static func parse(_ line: String) throws -> Command {
        var words = line.split(separator: " ").map(String.init)
        guard words.count >= 3, words[0] == "swift", words[1] == "run" else { throw ParseError.unrecognised(line) }
        let program = words[2]
        words.removeFirst(3)
        words = words.map { $0.replacingOccurrences(of: "../shared", with: TestPaths.shared.path) }
        switch program {
        case "CustomBlockList":
            return Command(line: line, program: .customBlockList, arguments: words)
        case "defragscope":
            if words.first == "watch" { words[0] = "run" }
            // `compare` has no UI: it runs as written.
            guard words.first == "run" || words.first == "compare" else { throw ParseError.unrecognised(line) }
            return Command(line: line, program: .defragscope, arguments: words)
        default:
            throw ParseError.unrecognised(line)
        }
    }

    /// The parsed commands, for the parameterised test; an unreadable or unparsable README gives none here
    /// and fails ``DemoTests/readmeCommandsAreAllRecognised()``.
    static func commands() -> [Command] {
        ((try? fencedLines()) ?? []).compactMap { try? parse($0) }
    }
}

/// The CustomBlockList demo, built beside the defragscope binary.
private let customBlockListBinary = URL(fileURLWithPath: TestPaths.binary).deletingLastPathComponent()
    .appendingPathComponent("CustomBlockList").path

/// JSON lines of `run --format json`: the pass objects and the summary.
private func passesAndSummary(_ stdout: String) throws -> (passes: [[String: Any]], summary: [String: Any]) {
    let objects = try stdout.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
    let summary = try #require(objects.last)
    #expect(summary["summary"] as? Bool == true)
    return (Array(objects.dropLast()), summary)
}

/// `id → (page, offset)` from the `layout-before` or `layout-after` block of `run --format ref`.
private func refLayout(_ stdout: String, _ block: String) -> [Int: [Int]] {
    var layout: [Int: [Int]] = [:]
    var inBlock = false
    for line in stdout.split(separator: "\n") {
        if line.hasPrefix("layout-") || line.hasPrefix("pass ") || line.hasPrefix("summary") { inBlock = line == block; continue }
        guard inBlock else { continue }
        let f = line.split(separator: " ").compactMap { Int($0) }
        if f.count == 4 { layout[f[0]] = [f[1], f[2]] }
    }
    return layout
}

/// Bytes as the demo text writes them: MiB with one decimal.
private enum ByteFormatLike {
    static func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
}

@Suite("Demos")
struct DemoTests {
    // MARK: CustomBlockList

    @Test("CustomBlockList defragments its toy heap pass by pass and verifies every object")
    func customBlockList() throws {
        #expect(FileManager.default.isExecutableFile(atPath: customBlockListBinary), "build it first: swift build (looked at \(customBlockListBinary))")
        let result = try runProcess(customBlockListBinary, [])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let out = result.stdout
        for pass in 1...3 { #expect(out.contains("pass \(pass):"), "pass \(pass) missing") }
        #expect(!out.contains("pass 4:"))
        #expect(out.contains("done: 3 passes, 10 objects moved (80 bytes), 2 arenas freed (128 bytes)"))
        #expect(out.contains("M  arena 1 @48 → arena 0 @40  ( 4 bytes)  ignored: stays"))
        #expect(out.contains("verified: all 9 objects hold their own bytes; M stayed at arena 1 @48"))
        #expect(!out.contains("MISMATCH"))

        // The pictures are the arenas' bytes: check them independently of the demo's own verdict.
        let pictures = out.split(separator: "\n").filter { $0.hasPrefix("  arena ") && $0.contains("|") }
        func bytes(_ line: Substring) -> [Character] { Array(line.split(separator: "|")[1]) }
        let before = try #require(pictures.first { $0.hasPrefix("  arena 1 |") })
        let after = try #require(pictures.last { $0.hasPrefix("  arena 1 |") })
        #expect(String(bytes(before)[48..<52]) == "Mmmm")
        #expect(String(bytes(after)[48..<52]) == "Mmmm", "the ignored object moved: \(after)")
        #expect(after.hasSuffix("immovable"))
        // After the run: 9 objects in 2 arenas, each object's letters whole and contiguous.
        let finalArenas = pictures.suffix(2).map(bytes)
        let letters = finalArenas.flatMap { $0 }.filter { $0 != "." }
        #expect(Set(letters.filter(\.isUppercase)) == Set("ADGJMPSVY"))
        #expect(letters.count == [8, 16, 12, 4, 4, 12, 12, 8, 4].reduce(0, +))
    }

    @Test("CustomBlockList's output is the same on every run")
    func customBlockListIsDeterministic() throws {
        let first = try runProcess(customBlockListBinary, []), second = try runProcess(customBlockListBinary, [])
        #expect(first.status == 0 && second.status == 0)
        #expect(!first.stdout.isEmpty)
        #expect(first.stdout == second.stdout)
    }

    @Test("CustomBlockList exits non-zero when the copies are damaged (--corrupt)")
    func customBlockListCatchesMismatches() throws {
        let result = try runProcess(customBlockListBinary, ["--corrupt"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("MISMATCH"))
        #expect(!result.stdout.contains("verified:"))
    }

    // MARK: Demos/README.md

    @Test("every fenced line of Demos/README.md is a command the tests run, and every demo has one")
    func readmeCommandsAreAllRecognised() throws {
        let lines = try DemoReadme.fencedLines()
        let commands = try lines.map(DemoReadme.parse)
        #expect(commands.count == DemoReadme.commands().count)
        let defragscope = commands.filter { $0.program == .defragscope }.map(\.line)
        #expect(commands.contains { $0.program == .customBlockList })
        #expect(defragscope.contains { $0.hasPrefix("swift run defragscope compare ") && $0.contains("--budget 67108864:256") && $0.contains("--svg ") })
        for needle in ["--scenario checkerboard", "--scenario fast-vs-full --algorithm fast", "--scenario fast-vs-full --algorithm full",
                       "--scenario budget --max-pass-bytes", "--ignore-ids", "--vma-dump ../shared/vma-dumps/vma-sample.json"] {
            #expect(defragscope.contains { $0.contains(needle) }, "no demo command with \(needle)")
            #expect(defragscope.contains { $0.contains(needle) && $0.contains(" watch ") }, "no watch command with \(needle)")
        }
        // The main README points at the demos.
        let main = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(main.contains("## Demos") && main.contains("(Demos/README.md)"))
    }

    @Test("commands of Demos/README.md exit 0 (watch run as run)", arguments: DemoReadme.commands())
    func readmeCommand(_ command: DemoReadme.Command) throws {
        let executable = command.program == .defragscope ? TestPaths.binary : customBlockListBinary
        let result = try runProcess(executable, command.arguments)
        #expect(result.status == 0, "\(command.line)\n\(result.stderr)")
        #expect(!result.stdout.isEmpty)
        #expect(!result.stdout.contains("MISMATCH"))
    }

    @Test("what Demos/README.md says each demo shows")
    func readmeClaims() throws {
        func text(_ arguments: [String]) throws -> String {
            let result = try runDefragscope(["run"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result.stdout
        }
        #expect(try text(["--scenario", "checkerboard"]).contains("done: 3 passes"))
        #expect(try text(["--scenario", "checkerboard"]).contains("pages 12 → 7"))
        #expect(try text(["--scenario", "fast-vs-full", "--algorithm", "fast"]).contains("done: 0 passes"))
        let full = try text(["--scenario", "fast-vs-full", "--algorithm", "full"])
        #expect(full.contains("done: 2 passes, 26 allocations moved") && full.contains("pages 10 → 9"))
        #expect(try text(["--scenario", "budget"]).contains("done: 3 passes"))
        #expect(try text(["--scenario", "budget", "--max-pass-allocations", "8"]).contains("done: 50 passes"))
        #expect(try text(["--vma-dump", TestPaths.shared.appendingPathComponent("vma-dumps/vma-sample.json").path]).contains("done: 0 passes"))
        let dump = try text(["--vma-dump", TestPaths.shared.appendingPathComponent("vma-dumps/checkerboard-s1.pool.json").path, "--dialect", "vma"])
        #expect(dump.contains("done: 7 passes") && dump.contains("pages 9 → 5"))

        // Fast against full under 64 MiB/256 (compare): the passes, moves, bytes and pages the demo names.
        let compare = try runDefragscope(["compare", "--trace", TestPaths.trace("checkerboard"), "--algorithm", "fast", "--algorithm", "full",
                                          "--budget", "67108864:256", "--budget", "0:0", "--format", "json"])
        #expect(compare.status == 0, "\(compare.stderr)")
        let rows = try compare.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let figures = rows.map { row in ["passes", "moves", "pagesAfter", "pagesNonEmpty", "pagesLowerBound"].map { row[$0] as? Int ?? -1 } }
        #expect(rows.map { $0["configuration"] as? String ?? "" } == ["fast 64 MiB / 256", "fast unlimited", "full 64 MiB / 256", "full unlimited"])
        #expect(figures == [[3, 491, 6, 5, 5], [2, 491, 6, 5, 5], [8, 559, 5, 5, 5], [4, 552, 5, 5, 5]])
        #expect(rows.map { ByteFormatLike.mib($0["bytesMoved"] as? Int ?? 0) } == ["15.4", "15.4", "17.7", "17.4"])
        let churn = try runDefragscope(["compare", "--trace", TestPaths.trace("churn"), "--algorithm", "fast", "--algorithm", "full",
                                        "--budget", "67108864:256", "--plan-only", "--format", "json"])
        #expect(churn.status == 0, "\(churn.stderr)")
        let churnRows = try churn.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(churnRows.map { row in ["passes", "pagesNonEmpty", "pagesLowerBound"].map { row[$0] as? Int ?? -1 } } == [[18, 57, 54], [16, 56, 54]])
        #expect(churnRows.map { ByteFormatLike.mib($0["bytesMoved"] as? Int ?? 0) } == ["622.1", "677.2"])

        // Budget: no pass moves more than 128 KiB; some stop short of it (16 skips in a row), most reach it.
        let budget = try runDefragscope(["run", "--scenario", "budget", "--max-pass-bytes", "131072", "--format", "json"])
        #expect(budget.status == 0)
        let (passes, _) = try passesAndSummary(budget.stdout)
        #expect(passes.count == 42)
        let bytes = passes.compactMap { $0["bytesMoved"] as? Int }
        #expect(bytes.count == passes.count && bytes.allSatisfy { $0 <= 131072 })
        #expect(bytes.contains(131072))
        #expect(bytes.dropLast(2).contains { $0 < 131072 })
    }

    // MARK: --ignore-ids

    /// Runs `arguments` as JSON and as ref; checks the ignored ids never move, are answered `ignore`, are not
    /// counted, and that their pages are never a move's source after the pass that ignored them.
    /// Returns each ignored id's page and the pass that made it immovable.
    @discardableResult
    private func checkIgnored(_ arguments: [String], ids: [Int]) throws -> [Int: (page: Int, pass: Int)] {
        let json = try runDefragscope(["run"] + arguments + ["--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let (passes, summary) = try passesAndSummary(json.stdout)
        var immovable: [Int: (page: Int, pass: Int)] = [:]
        var copies = 0
        for pass in passes {
            let number = try #require(pass["pass"] as? Int)
            let moves = try #require(pass["moves"] as? [[String: Any]])
            for move in moves {
                let id = try #require(move["id"] as? Int), source = try #require(move["srcPage"] as? Int)
                let operation = move["operation"] as? String
                if ids.contains(id) {
                    #expect(operation == "ignore", "move of \(id) in pass \(number) answered \(operation ?? "?")")
                    if immovable[id] == nil { immovable[id] = (source, number) }
                } else {
                    #expect(operation == "copy")
                    copies += 1
                }
                for (other, state) in immovable where state.page == source && number > state.pass {
                    Issue.record("page \(source) was made immovable by ignoring \(other) in pass \(state.pass) but is a source in pass \(number)")
                }
            }
        }
        #expect(Set(immovable.keys) == Set(ids), "every ignored id should have been proposed once")
        #expect(summary["allocationsMoved"] as? Int == copies, "ignored moves are not counted as moved")
        #expect(summary["finished"] as? Bool == true)

        let ref = try runDefragscope(["run"] + arguments + ["--format", "ref"])
        #expect(ref.status == 0, "\(ref.stderr)")
        let before = refLayout(ref.stdout, "layout-before"), after = refLayout(ref.stdout, "layout-after")
        #expect(!before.isEmpty && Set(before.keys) == Set(after.keys))
        for id in ids {
            #expect(before[id] != nil && before[id] == after[id], "allocation \(id) moved: \(before[id] ?? []) → \(after[id] ?? [])")
            #expect(before[id]?.first == immovable[id]?.page)
        }
        return immovable
    }

    @Test("--ignore-ids: the named allocation never moves and its page becomes immovable (tiny)")
    func ignoreOne() throws {
        // Without the option allocation 21 moves, and its page 1 is a source again in pass 2.
        let baseline = try runDefragscope(["run", "--scenario", "tiny", "--format", "json"])
        let (basePasses, _) = try passesAndSummary(baseline.stdout)
        let baseMoves = basePasses.flatMap { ($0["moves"] as? [[String: Any]]) ?? [] }
        #expect(baseMoves.contains { $0["id"] as? Int == 21 && $0["operation"] as? String == "copy" })
        #expect(basePasses.count >= 2)
        #expect(basePasses.dropFirst().flatMap { ($0["moves"] as? [[String: Any]]) ?? [] }.contains { $0["srcPage"] as? Int == 1 })

        let immovable = try checkIgnored(["--scenario", "tiny", "--ignore-ids", "21"], ids: [21])
        #expect(immovable[21]?.page == 1 && immovable[21]?.pass == 1)
    }

    @Test("--ignore-ids with several ids on different pages (checkerboard)")
    func ignoreSeveral() throws {
        let immovable = try checkIgnored(["--scenario", "checkerboard", "--ignore-ids", "177,281"], ids: [177, 281])
        #expect(immovable[177]?.page != immovable[281]?.page)
    }

    @Test("--ignore-ids refuses ids that name no live allocation, and malformed lists")
    func ignoreBadIDs() throws {
        let unknown = try runDefragscope(["run", "--scenario", "tiny", "--ignore-ids", "21,999"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no live allocation with id 999"))
        for bad in ["x", "1,,2", "-3", ""] {
            let result = try runDefragscope(["run", "--scenario", "tiny", "--ignore-ids", bad])
            #expect(result.status == 2, "--ignore-ids '\(bad)' accepted")
            #expect(result.stderr.contains("--ignore-ids"))
        }
    }
}
