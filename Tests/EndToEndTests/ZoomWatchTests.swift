// The page zoom (issue 16, item 2) in the real program, in tmux at 160×50 without colour: `z` shows the
// selected page's map with hex offsets, `z` zooms in, Enter lists the cursor row's allocations, a step redraws
// the map with the pass's arrivals, Esc closes the list and then the zoom, q exits 0.
import Foundation
import Testing
import TestSupport

/// The zoom's title line (the line under the header), if the screen shows the zoom.
private func zoomTitle(_ screen: String) -> String? {
    let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
    guard lines.count > 1, lines[1].contains(" per cell ") else { return nil }
    return String(lines[1])
}

/// The map's rows: an offset in hex at the start of the line.
private func mapRows(_ screen: String) -> [Substring] {
    screen.split(separator: "\n").filter { $0.range(of: #"^0x[0-9a-f]{6} "#, options: .regularExpression) != nil }
}

/// The list pane's allocation lines: offset and size.
private func listedAllocations(_ screen: String) -> [(offset: Int, size: Int)] {
    screen.split(separator: "\n").compactMap { line in
        guard let match = line.range(of: #"^│ 0x[0-9a-f]{6} +\d+ KiB"#, options: .regularExpression) else { return nil }
        let fields = line[match].split(separator: " ")
        guard fields.count == 4, let offset = Int(fields[1].dropFirst(2), radix: 16), let kib = Int(fields[2]) else { return nil }
        return (offset, kib * 1024)
    }
}

@Suite("watch: the page zoom in tmux", .serialized, .requires(.tmux))
struct ZoomWatchTests {
    /// Three 4 MiB pages of 1–15 KiB allocations, every third freed: pages about 70 % used, holes to fill.
    static func writeTrace() throws -> String {
        var text = "block-size 4194304\n"
        for id in 0..<1200 { text += "a \(id) \(1024 + id * 7919 % 15 * 1024) 256\n" }
        for id in stride(from: 0, to: 1200, by: 3) { text += "f \(id)\n" }
        return try temporaryTrace(text, prefix: "dscope-zoom")
    }

    @Test("z shows the page map with hex offsets, z zooms in (the header says so), Enter lists the cursor row's allocations, space steps inside, Esc Esc goes back, q exits 0")
    func zoom() throws {
        let trace = try Self.writeTrace()
        defer { try? FileManager.default.removeItem(atPath: trace) }
        let t = try TmuxSession(["watch", "--trace", trace], width: 160, height: 50,
                                environment: ["TERM": "tmux-256color", "LANG": "C.UTF-8", "LC_ALL": nil, "NO_COLOR": "1"])
        defer { t.close() }
        var screen = try t.waitFor("the bars") { passNumber($0) == 0 && hasBlockBars($0) }
        let firstRow = try #require(pageRows(screen).first)
        let percent = try #require(firstRow.range(of: #"\d+%"#, options: .regularExpression).map { String(firstRow[$0]) })
        let page = try #require(firstRow.split(separator: " ").first.map(String.init))

        // The whole page: 45 rows of 144 cells hold 4 MiB at 1 KiB per cell, in 29 rows of 144 KiB.
        try t.send("z")
        screen = try t.waitFor("the page map") { zoomTitle($0)?.contains("1 KiB per cell") == true && mapRows($0).count == 29 }
        var title = try #require(zoomTitle(screen))
        #expect(title.hasPrefix(" page \(page): 4 MiB, \(percent) used │ 1 KiB per cell │ 0x000000–0x3fffff │ "), "the selected page and its fill: \(title)")
        for (row, line) in mapRows(screen).enumerated() {
            #expect(line.hasPrefix(String(format: "0x%06x ", row * 0x24000)), "row \(row): \(line)")
        }
        #expect(mapRows(screen).contains { $0.contains("█") } && mapRows(screen).contains { $0.contains("·") }, "allocations and free bytes: \(screen)")
        #expect(screen.contains("z/Z zoom in/out") && screen.contains("Esc back"), "the zoom's key bar: \(screen)")

        // z: half the bytes per cell, rows of 72 KiB; the whole page no longer fits.
        try t.send("z")
        screen = try t.waitFor("512 B per cell") { zoomTitle($0)?.contains("│ 512 B per cell │") == true }
        title = try #require(zoomTitle(screen))
        #expect(title.contains("│ 0x000000–0x329fff │"), "45 rows of 72 KiB shown: \(title)")
        #expect(mapRows(screen).count == 45 && mapRows(screen)[1].hasPrefix("0x012000 "), "\(screen)")

        // Down, Enter: the allocations overlapping 0x012000–0x023fff, as many as the list's title says.
        try t.send("Down")
        try t.send("Enter")
        screen = try t.waitFor("the cursor row's list") { $0.contains("0x012000–0x023fff: ") && $0.contains("class") }
        let listTitle = try #require(screen.range(of: #"0x012000–0x023fff: \d+ allocations?"#, options: .regularExpression).map { screen[$0] })
        let listed = listedAllocations(screen)
        #expect(!listed.isEmpty && listTitle.hasSuffix(" \(listed.count) allocation\(listed.count == 1 ? "" : "s")"), "\(listTitle): \(listed)")
        for allocation in listed {
            #expect(allocation.offset < 0x24000 && allocation.offset + allocation.size > 0x12000, "\(allocation) overlaps the row")
        }

        // Space steps inside the zoom: pass 1, the map redrawn at the same zoom, the arrivals marked (▓ without
        // colour), the list still open.
        try t.send("Space")
        screen = try t.waitFor("pass 1 in the zoom") { passNumber($0) == 1 && zoomTitle($0)?.contains("512 B per cell") == true }
        #expect(mapRows(screen).contains { $0.contains("▓") }, "the first page takes the last pass's moves: \(screen)")
        #expect(screen.contains("0x012000–0x023fff: ") && screen.contains("← page "), "the list shows where allocations came from: \(screen)")

        // Esc closes the list, a second Esc leaves the zoom.
        try t.send("Escape")
        screen = try t.waitFor("the list closed") { zoomTitle($0) != nil && !$0.contains("0x012000–0x023fff: ") }
        try t.send("Escape")
        screen = try t.waitFor("the page list") { zoomTitle($0) == nil && !pageRows($0).isEmpty && $0.contains("│ Pages") }
        #expect(mapRows(screen).isEmpty)
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }
}
