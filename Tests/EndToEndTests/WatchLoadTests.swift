// `watch` reads its input behind the loading frame (issue 16 item 5): a large trace shows "reading NAME"
// from the start instead of a blank terminal, and a malformed one still ends with the terminal restored,
// exit 2 and the file and line.
import Foundation
import Testing
import TestSupport

@Suite("watch: the input is read behind the loading frame", .serialized, .requires(.tmux))
struct WatchLoadTests {
    @Test("a large trace: the loading frame names it while it is read, then the pages show")
    func readingShows() throws {
        let path = try WatchKeysTests.writeLargeTrace(allocations: 300_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let name = (path as NSString).lastPathComponent
        let t = try TmuxSession(["watch", "--trace", path], width: 120, height: 30)
        defer { t.close() }
        let reading = try t.waitFor("the loading frame while the trace is read", timeout: 30, settled: false) {
            $0.contains("reading \(name)")
        }
        #expect(reading.contains("loading") && reading.contains("q quit"), "\(reading)")
        try t.waitFor("the first frame", timeout: 120) { passNumber($0) == 0 }
        try t.send("q")
        #expect(t.exitStatus(timeout: 20) == "EXIT=0")
    }

    @Test("a malformed trace: the terminal is restored, exit 2, the file and line said")
    func malformedTrace() throws {
        let path = try temporaryTrace("block-size 4096\na 1 100 16\na 2 x 16\n", prefix: "dscope-bad")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = try TmuxSession(["watch", "--trace", path], width: 160, height: 30)
        defer { t.close() }
        #expect(t.exitStatus(timeout: 20) == "EXIT=2")
        #expect(try !t.alternateScreenOn())
        let screen = try t.capture()
        #expect(screen.contains("\(path):3:"), "\(screen)")
    }
}
