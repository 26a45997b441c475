// Markers of a recorded run: one per pass shown, none for frames of the same pass, again after a reset.
import DefragSession
import Foundation
import Testing
@testable import Capture
import Visualizer

@Suite struct RunRecorderTests {
    func snapshot(pass: Int) -> SessionSnapshot {
        var s = RenderBenchmark.syntheticSnapshot(pages: 8)
        s.passNumber = pass
        if pass == 0 { s.lastPass = nil } else { s.lastPass?.number = pass }
        return s
    }

    @Test func oneMarkerPerNewPass() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recorder-\(UUID().uuidString).cast").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = RunRecorder(writer: try AsciicastWriter(path: path, width: 80, height: 24, title: "r", timestamp: 0))
        var state = ViewState(width: 80, height: 24)
        var t = 0.0
        for pass in [0, 0, 1, 2, 2, 3, 0, 1] {
            state.selectedRow = Int(t) % 3   // frames of one pass differ too
            let s = snapshot(pass: pass)
            try recorder.record(render(s, state, width: 80, height: 24), snapshot: s, at: t)
            t += 1
        }
        recorder.writer.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let markers = try lines.dropFirst().compactMap { line -> String? in
            let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [Any]
            return event[1] as? String == "m" ? event[2] as? String : nil
        }
        #expect(markers.count == 4)
        #expect(markers.map { $0.prefix(6) } == ["pass 1", "pass 2", "pass 3", "pass 1"])
        #expect(recorder.writer.markerCount == 4)
    }

    @Test func labelSaysWhatThePassDid() {
        let s = snapshot(pass: 3)
        let pass = s.lastPass!
        #expect(RunRecorder.label(s) == "pass 3: \(pass.moves.count) moves (\(ByteFormat.short(pass.stats.bytesMoved))), 1 page released, 8 pages")
    }
}
