// `record` and `snapshot` through the built binary: the recording's header, events and one marker per pass;
// SVG screenshots that parse as XML; text screenshots; refusals with exit 2.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport

private func temporary(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("dscope-record-\(UUID().uuidString)-\(name)").path
}

/// The JSON values of an asciicast file's lines.
func castLines(_ path: String) throws -> (header: [String: Any], events: [[Any]]) {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let lines = text.split(separator: "\n")
    let header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    let events = try lines.dropFirst().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [Any]) }
    return (header, events)
}

@Suite("record and snapshot", .serialized)
struct RecordCommandTests {
    @Test("record writes a v2 header, events, one marker per pass; the last frame shows the final pass")
    func recordCheckerboard() throws {
        let cast = temporary("x.cast")
        defer { try? FileManager.default.removeItem(atPath: cast) }
        let result = try runDefragscope(["record", "--trace", TestPaths.trace("checkerboard"), "-o", cast, "--width", "100", "--height", "30"])
        #expect(result.status == 0, "\(result.stderr)")
        let (header, events) = try castLines(cast)
        #expect(header["version"] as? Int == 2 && header["width"] as? Int == 100 && header["height"] as? Int == 30)
        #expect(header["timestamp"] is Int && (header["title"] as? String)?.contains("checkerboard.trace") == true)
        let markers = events.filter { $0[1] as? String == "m" }.map { $0[2] as! String }
        // As many markers as passes `run` reports.
        let run = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--format", "json"])
        let passes = run.stdout.split(separator: "\n").filter { $0.contains("\"pass\"") }.count
        #expect(passes > 1)
        #expect(markers.count == passes)
        #expect(markers.enumerated().allSatisfy { $1.hasPrefix("pass \($0 + 1): ") })
        #expect(result.stdout.contains("\(passes) passes, \(passes) markers"))
        // Times ascend by --delay (0.5 s by default).
        let times = events.map { ($0[0] as! NSNumber).doubleValue }
        #expect(times == times.sorted() && times.last == 0.5 * Double(passes + 1))
        // The output of the last frame (from the last marker on: a whole frame, then what changed) names the
        // final pass in its header.
        let last = try #require(events.lastIndex { $0[1] as? String == "m" })
        let output = events[last...].filter { $0[1] as? String == "o" }.map { $0[2] as! String }.joined()
        #expect(output.hasPrefix("\u{1B}[?25l\u{1B}[0m\u{1B}[2J") && output.contains("pass \(passes)"))
    }

    @Test("record follows the engine options and --max-passes, and refuses bad values with exit 2")
    func recordOptions() throws {
        let cast = temporary("m.cast")
        defer { try? FileManager.default.removeItem(atPath: cast) }
        let result = try runDefragscope(["record", "--scenario", "checkerboard", "-o", cast, "--max-passes", "1", "--delay", "2",
                                         "--max-pass-allocations", "4"])
        #expect(result.status == 0, "\(result.stderr)")
        let (_, events) = try castLines(cast)
        let markers = events.filter { $0[1] as? String == "m" }
        #expect(markers.count == 1)
        #expect((markers[0][2] as! String).hasPrefix("pass 1: 4 moves"))
        #expect((markers[0][0] as! NSNumber).doubleValue == 2)
        for (arguments, message) in [(["--width", "5"], "--width must be 20 to 1000 columns, not 5"),
                                     (["--delay", "-1"], "--delay must be 0 to 3600 seconds"),
                                     (["-o", "/nonexistent-dir/x.cast"], "/nonexistent-dir/x.cast: cannot create the recording")] {
            let bad = try runDefragscope(["record", "--scenario", "checkerboard", "-o", cast] + arguments)
            #expect(bad.status == 2 && bad.stderr.contains(message), "\(arguments): \(bad.stderr)")
        }
    }

    @Test("record -o - writes the recording to standard output and the message to stderr")
    func recordToStandardOutput() throws {
        let result = try runDefragscope(["record", "--scenario", "checkerboard", "-o", "-", "--width", "40", "--height", "12"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(header["version"] as? Int == 2 && header["width"] as? Int == 40)
        let markers = try lines.dropFirst().filter { try (JSONSerialization.jsonObject(with: Data($0.utf8)) as! [Any])[1] as? String == "m" }
        #expect(markers.count == 3)   // the checkerboard scenario: 12 → 7 pages in 3 passes
        #expect(result.stderr.contains("wrote standard output: 3 passes, 3 markers"))
    }

    @Test("snapshot --pass 2 --svg writes well-formed SVG showing pass 2; --text the same frame as text")
    func snapshotSVGAndText() throws {
        let svg = temporary("x.svg"), text = temporary("x.txt")
        defer { for f in [svg, text] { try? FileManager.default.removeItem(atPath: f) } }
        let result = try runDefragscope(["snapshot", "--trace", TestPaths.trace("checkerboard"), "--pass", "2", "--svg", svg, "--text", text])
        #expect(result.status == 0, "\(result.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: svg))
        let parser = XMLParser(data: data)
        #expect(parser.parse(), "well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        let document = String(decoding: data, as: UTF8.self)
        #expect(document.contains("pass 2") && document.contains("<svg") && document.contains("monospace"))
        let lines = try String(contentsOfFile: text, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0].contains("checkerboard.trace") && lines[0].contains("pass 2"))
        #expect(lines.count == 31)   // 30 rows and the final newline
        // Standard output for one of them; the message then goes to stderr.
        let toStdout = try runDefragscope(["snapshot", "--trace", TestPaths.trace("checkerboard"), "--text", "-", "--width", "60", "--height", "10"])
        #expect(toStdout.status == 0 && toStdout.stdout.split(separator: "\n").count <= 10 && toStdout.stdout.contains("pass 0"))
        #expect(toStdout.stderr.contains("wrote standard output"))
    }

    @Test("watch --record and --screenshot-dir are refused with --compare, and --screenshot-dir must be a folder")
    func watchOptionRefusals() throws {
        for (arguments, message) in [(["--compare", "full,fast", "--record", "x.cast"], "--record and --screenshot-dir are not available with --compare"),
                                     (["--screenshot-dir", "/nonexistent-dir"], "--screenshot-dir /nonexistent-dir: not a folder")] {
            let result = try runDefragscope(["watch", "--scenario", "checkerboard"] + arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test("snapshot refuses a pass past the end, no output, and two outputs to stdout, with exit 2")
    func snapshotRefusals() throws {
        for (arguments, message) in [(["--pass", "500", "--text", "-"], "finished after"),
                                     ([String](), "give --svg FILE, --text FILE or both"),
                                     (["--svg", "-", "--text", "-"], "cannot both write to standard output"),
                                     (["--pass", "-1", "--text", "-"], "--pass must be 0")] {
            let result = try runDefragscope(["snapshot", "--scenario", "checkerboard"] + arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
