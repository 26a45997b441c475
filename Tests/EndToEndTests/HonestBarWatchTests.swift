// The bars as a user reads them in a real terminal without colour (NO_COLOR=1) at 160×50: each page's inked
// share of its bar (an eighth block counts its eighths, a reversed one the rest, a full glyph eight) is
// within 6 points of the page's percentage, before and after a pass. The pages are those of real pools:
// 64 MiB, thousands of small allocations, about half used: scale.trace itself (its load takes a few seconds
// in a debug build since contents are written once, after the replay), and a generated trace of its shape.
import Foundation
import Testing
import TestSupport

/// One screen cell: its character and whether it is drawn in reverse video.
struct ScreenCell { var character: Character; var reverse: Bool }

/// The rows of `capture-pane -e` output as cells, reverse video followed through the SGR sequences.
func styledRows(_ captured: String) -> [[ScreenCell]] {
    var rows: [[ScreenCell]] = []
    var reverse = false
    for line in captured.split(separator: "\n", omittingEmptySubsequences: false) {
        var row: [ScreenCell] = []
        var scalars = line.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\u{1B}" else { row.append(ScreenCell(character: Character(scalar), reverse: reverse)); continue }
            guard scalars.next() == "[" else { continue }
            var parameters = "", final: Unicode.Scalar = " "
            while let s = scalars.next() {
                if (0x40...0x7E).contains(s.value) { final = s; break }
                parameters.unicodeScalars.append(s)
            }
            guard final == "m" else { continue }
            for code in parameters.split(separator: ";", omittingEmptySubsequences: false) {
                switch code {
                case "", "0": reverse = false
                case "7": reverse = true
                case "27": reverse = false
                default: break
                }
            }
        }
        rows.append(row)
    }
    return rows
}

/// For every page row of a screen: its id, its percentage and the eighths its bar inks out of how many.
func pageBars(_ rows: [[ScreenCell]]) -> [(id: Int, percent: Int, inked: Int, eighths: Int)] {
    let blocks = Array("▏▎▍▌▋▊▉")
    let full: Set<Character> = ["█", "▓", "▒", "▚", "▄"]
    var bars: [(id: Int, percent: Int, inked: Int, eighths: Int)] = []
    let pageRow = try! Regex(#"^ *(\d+)[ !D] .*? +(\d+)% +\d+"#)
    for row in rows {
        let text = String(row.map(\.character))
        // "<id><flag> <bar> <pct>% <count>"; the percentage is right-aligned in four columns ending at '%'.
        guard let match = try? pageRow.firstMatch(in: text), let idRange = match.output[1].range,
              let percentRange = match.output[2].range,
              let id = Int(text[idRange]), let percent = Int(text[percentRange]) else { continue }
        let barStart = text.distance(from: text.startIndex, to: idRange.upperBound) + 2
        let percentSign = text.distance(from: text.startIndex, to: percentRange.upperBound)
        let barEnd = percentSign - 4 // one space, then four columns ending at the '%'
        guard barEnd > barStart else { continue }
        var inked = 0
        for cell in row[barStart..<barEnd] {
            if let k = blocks.firstIndex(of: cell.character) {
                inked += cell.reverse ? 7 - k : k + 1
            } else if full.contains(cell.character) {
                inked += cell.reverse ? 0 : 8
            }
        }
        bars.append((id: id, percent: percent, inked: inked, eighths: (barEnd - barStart) * 8))
    }
    return bars
}

/// A trace of `pages` 64 MiB pages filled with 1–32 KiB allocations, then about half of them freed.
func smallAllocationTrace(pages: Int, seed: UInt64) throws -> String {
    var state = seed
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let pageSize = 64 << 20
    var lines = ["# small allocations in big pages, seed=\(seed)", "block-size \(pageSize)"]
    var total = 0, id = 0
    var live: [Int] = []
    while total < pageSize * pages * 95 / 100 {
        id += 1
        let size = 1024 + Int(next() % (31 * 1024))
        lines.append("a \(id) \(size) 256")
        live.append(id)
        total += (size + 255) / 256 * 256
    }
    for allocation in live where next() % 100 < 48 { lines.append("f \(allocation)") }
    return try temporaryTrace(lines.joined(separator: "\n") + "\n", prefix: "dscope-small-\(seed)")
}

@Suite("honest bars in tmux", .serialized, .requires(.tmux))
struct HonestBarWatchTests {
    /// Opens `trace` at 160×50 without colour, checks every page's bar, steps one pass, checks again.
    func checkBars(trace: String, loadTimeout: Double, passTimeout: Double) throws {
        let t = try TmuxSession(["watch", "--trace", trace], width: 160, height: 50,
                                environment: ["TERM": "tmux-256color", "LANG": "C.UTF-8", "LC_ALL": nil, "NO_COLOR": "1"])
        defer { t.close() }
        for pass in [0, 1] {
            if pass == 1 { try t.send("Space") }
            try t.waitFor("pass \(pass)", timeout: pass == 0 ? loadTimeout : passTimeout) { passNumber($0) == pass && hasBlockBars($0) }
            let bars = pageBars(styledRows(try t.tmux(["capture-pane", "-p", "-e", "-t", t.name]).stdout))
            let screen = try t.capture()
            #expect(bars.count >= 3, "pass \(pass): page rows found: \(screen)")
            for bar in bars {
                let shown = Double(bar.inked) * 100 / Double(bar.eighths)
                #expect(abs(shown - Double(bar.percent)) <= 6,
                        "pass \(pass), page \(bar.id): the bar inks \(shown)%, the page is \(bar.percent)% used")
            }
            if pass == 0 {
                #expect(bars.contains { $0.percent < 70 }, "half-used pages before the pass: \(bars.map(\.percent))")
            }
        }
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }

    @Test("NO_COLOR at 160×50, pages of thousands of small allocations, half used: each bar reads its percentage before and after a pass")
    func smallAllocationPages() throws {
        let trace = try smallAllocationTrace(pages: 6, seed: 16)
        defer { try? FileManager.default.removeItem(atPath: trace) }
        try checkBars(trace: trace, loadTimeout: 60, passTimeout: 60)
    }

    @Test("the same on scale.trace (36 pages of 64 MiB, 125,000 allocations)")
    func scaleTrace() throws {
        try checkBars(trace: TestPaths.trace("scale"), loadTimeout: 180, passTimeout: 180)
    }
}
