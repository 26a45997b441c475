// A pool larger than the screen, in a real terminal: `watch` on the `game` trace of ../shared/traces/gen_trace.py
// (589 pages of 32 MiB, on the metadata backend because host pages would need 18 GiB) opens within seconds
// with the overview strip above the page list and "metadata" in the header; space steps, `o` orders the
// list by fill (the title says so and the percentages then only go down), and q exits 0.
import Foundation
import Testing
import TestSupport

@Suite("watch: the overview strip and the page order in tmux", .serialized, .requires(.tmux))
struct OverviewWatchTests {
    /// `game.trace`, generated into a fresh temporary folder.
    static func gameTrace() throws -> (path: String, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-overview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("game.trace").path
        let generator = TestPaths.shared.appendingPathComponent("traces/gen_trace.py").path
        let result = try runProcess("/usr/bin/env", ["python3", generator, "game", "-o", path], timeout: 120)
        guard result.status == 0 else {
            throw TmuxFailure(description: "gen_trace.py game failed (\(result.status)): \(result.stderr)")
        }
        return (path, folder)
    }

    /// The percentages of the page rows, top to bottom.
    static func percentages(_ screen: String) -> [Int] {
        let percent = try! Regex(#" (\d+)% +\d+"#)
        return pageRows(screen).compactMap { row in
            (try? percent.firstMatch(in: row)).flatMap { Int(row[$0.output[1].range!]) }
        }
    }

    /// Space, then the next pass; no failure on the message line (the notice that the run is on the
    /// metadata backend is information the UI keeps there).
    @discardableResult
    static func step(_ t: TmuxSession, _ what: String) throws -> String {
        let pass = try #require(passNumber(try t.capture()), "no pass number before stepping (\(what))")
        try t.send("Space")
        let after = try t.waitFor("pass \(pass + 1) (\(what))", timeout: 60) { passNumber($0) == pass + 1 }
        let failure = failureMessage(after).flatMap { $0.contains("running on --backend metadata") ? nil : $0 }
        #expect(failure == nil, "a failure after stepping (\(what)): \(after)")
        return after
    }

    @Test("game.trace: opens in seconds with the strip and metadata in the header; space steps; o sorts by fill; q exits 0")
    func gameTrace() throws {
        let (trace, folder) = try Self.gameTrace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let started = Date()
        let t = try TmuxSession(["watch", "--trace", trace], width: 160, height: 50)
        defer { t.close() }
        var screen = try t.waitFor("the first frame of game.trace", timeout: 60) { passNumber($0) == 0 && hasBlockBars($0) }
        let seconds = Date().timeIntervalSince(started)
        // A debug build on a loaded machine: generous, but "seconds", not the minute the host backend took.
        #expect(seconds < 20, "the first frame took \(seconds) s")
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].contains(" │ metadata │ "), "the header names the backend: \(lines[0])")
        // The title: 589 pages at 126 columns (the panel takes 34 of 160): 4 rows of 126 cells hold 504, so 2 a cell.
        #expect(lines[1].hasPrefix("─ 589 pages · order: the engine's (o) · 1–"), "\(lines[1])")
        #expect(lines[1].contains("· 1 cell = 2 pages"), "\(lines[1])")
        // The strip: 295 cells on 3 rows, every cell a fill glyph (no page of game is empty at the start).
        let cells = Set("▏▎▍▌▋▊▉█")
        for row in 2...4 {
            let strip = lines[row].prefix(126).trimmingCharacters(in: .whitespaces)
            #expect(!strip.isEmpty && strip.allSatisfy { cells.contains($0) }, "strip row \(row): \(lines[row])")
        }
        #expect(lines[2].prefix(126).count == 126 && lines[4].prefix(126).trimmingCharacters(in: .whitespaces).count == 295 - 2 * 126)
        #expect(pageRows(String(lines[5])).count == 1, "the page list starts under the strip: \(lines[5])")

        screen = try Self.step(t, "game")
        #expect(passNumber(screen) == 1)
        #expect(screen.split(separator: "\n")[1].contains("589 pages"), "released pages stay in the strip and the count")

        try t.send("o")
        screen = try t.waitFor("the order by fill") { $0.split(separator: "\n").dropFirst().first?.contains("order: fullest first (o)") ?? false }
        let percents = Self.percentages(screen)
        #expect(percents.count > 30 && zip(percents, percents.dropFirst()).allSatisfy { $0 >= $1 }, "fullest first: \(percents)")
        // The order holds for the next pass.
        screen = try Self.step(t, "game, ordered by fill")
        #expect(screen.split(separator: "\n")[1].contains("order: fullest first (o)"))
        let after = Self.percentages(screen)
        #expect(zip(after, after.dropFirst()).allSatisfy { $0 >= $1 }, "still fullest first after a pass: \(after)")

        try t.send("q")
        #expect(t.exitStatus(timeout: 10) == "EXIT=0")
    }
}
