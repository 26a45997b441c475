// watch's captures in a real terminal (tmux): --record writes a recording with a marker per pass, `s`
// saves the frame as SVG and says where; a D3D12MA dump opens with its pools' headers.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport

private func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-capture-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("watch captures in tmux", .serialized, .requires(.tmux))
struct WatchCaptureTests {
    @Test("watch --record: three steps and q leave a recording with three markers")
    func record() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cast = directory + "/watch.cast"
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard"), "--record", cast])
        defer { t.close() }
        try t.waitFor("the first frame") { passNumber($0) == 0 }
        for pass in 1...3 {
            try t.send("n")
            try t.waitFor("pass \(pass)") { passNumber($0) == pass }
        }
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
        let (header, events) = try castLines(cast)
        #expect(header["version"] as? Int == 2 && header["width"] as? Int == 100 && header["height"] as? Int == 30)
        #expect((header["title"] as? String)?.contains("checkerboard.trace") == true)
        let markers = events.filter { $0[1] as? String == "m" }.map { $0[2] as! String }
        #expect(markers.count == 3, "\(markers)")
        #expect(markers.enumerated().allSatisfy { $1.hasPrefix("pass \($0 + 1): ") }, "\(markers)")
        // From the last marker on, the output draws the whole screen, header "pass 3" included.
        let last = try #require(events.lastIndex { $0[1] as? String == "m" })
        let output = events[last...].filter { $0[1] as? String == "o" }.map { $0[2] as! String }.joined()
        #expect(output.hasPrefix("\u{1B}[?25l\u{1B}[0m\u{1B}[2J") && output.contains("pass 3"))
    }

    @Test("s saves the frame on screen as SVG and says where; again gives a second file")
    func screenshot() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let t = try TmuxSession(["watch", "--trace", TestPaths.trace("checkerboard"), "--screenshot-dir", directory])
        defer { t.close() }
        try t.waitFor("the first frame") { passNumber($0) == 0 }
        try t.send("n")
        try t.waitFor("pass 1") { passNumber($0) == 1 }
        try t.send("s")
        let screen = try t.waitFor("the screenshot's message") { $0.contains("screenshot defragscope-checkerboard-trace-pass1.svg saved in") }
        let expected = directory + "/defragscope-checkerboard-trace-pass1.svg"
        #expect(screen.contains("saved in /tmp/") || screen.contains("saved in \(directory.prefix(8))"), "\(screen)")
        let data = try Data(contentsOf: URL(fileURLWithPath: expected))
        #expect(XMLParser(data: data).parse())
        let svg = String(decoding: data, as: UTF8.self)
        #expect(svg.contains("pass 1") && svg.contains("checkerboard.trace"))
        try t.send("s")
        try t.waitFor("the second screenshot") { $0.contains("screenshot defragscope-checkerboard-trace-pass1-2.svg saved in") }
        #expect(FileManager.default.fileExists(atPath: directory + "/defragscope-checkerboard-trace-pass1-2.svg"))
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }

    @Test("a D3D12MA dump opens with its pools' headers, coloured by type")
    func d3d12maDump() throws {
        let dump = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/d3d12ma/tier2.json").path
        let t = try TmuxSession(["watch", "--dump", dump])
        defer { t.close() }
        let screen = try t.waitFor("pool headers and the legend") { passNumber($0) == 0 && $0.contains("─ DEFAULT ·") && $0.contains(" type: ") }
        #expect(screen.contains("tier2.json"))
        #expect(screen.contains("─ DEFAULT / dedicated ·") && screen.contains("─ UPLOAD ·"), "\(screen)")
        try t.send("q")
        #expect(t.exitStatus() == "EXIT=0")
    }

    @Test("--record to a path that cannot be written is refused before the terminal is taken")
    func recordRefused() throws {
        let t = try TmuxSession(["watch", "--scenario", "checkerboard", "--record", "/nonexistent-dir/x.cast"])
        defer { t.close() }
        #expect(t.exitStatus() == "EXIT=2")
        let screen = try t.capture()
        #expect(screen.contains("--record: /nonexistent-dir/x.cast: cannot create the recording"), "\(screen)")
    }
}
