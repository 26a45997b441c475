// A run recorded as it is shown: every frame drawn goes to the recording, and a marker "pass N: …" goes in
// whenever the snapshot shows a pass it had not shown before, so players can jump between passes; the frame
// at a marker is drawn whole, so the output from a marker on shows the complete screen. Used by
// `watch --record` (real time) and `defragscope record` (time made up of --delay per pass).
import DefragSession
import Visualizer

public final class RunRecorder {
    public let writer: AsciicastWriter
    /// The pass number of the last frame (a reset goes back to 0; the passes after it get markers again).
    private var lastPass: Int?

    public init(writer: AsciicastWriter) { self.writer = writer }

    /// Records `canvas`, drawn from `snapshot`, at `seconds` after the start.
    public func record(_ canvas: Canvas, snapshot: SessionSnapshot, at seconds: Double) throws {
        defer { lastPass = snapshot.passNumber }
        if let lastPass, snapshot.passNumber > lastPass || (snapshot.passNumber > 0 && snapshot.passNumber < lastPass) {
            try writer.marker(Self.label(snapshot), at: seconds)
            try writer.frame(canvas, at: seconds, whole: true)
        } else {
            try writer.frame(canvas, at: seconds)
        }
    }

    /// "pass 3: 12 moves (1.5 MiB), 2 pages released, 40 pages" (the last pass of the snapshot).
    public static func label(_ snapshot: SessionSnapshot) -> String {
        var text = "pass \(snapshot.passNumber)"
        if let pass = snapshot.lastPass, pass.number == snapshot.passNumber {
            text += ": \(pass.moves.count) move\(pass.moves.count == 1 ? "" : "s") (\(ByteFormat.short(pass.stats.bytesMoved)))"
            text += ", \(pass.freedPages.count) page\(pass.freedPages.count == 1 ? "" : "s") released"
        }
        text += ", \(snapshot.metrics.pages) pages"
        if snapshot.isFinished { text += ", finished" }
        return text
    }
}
