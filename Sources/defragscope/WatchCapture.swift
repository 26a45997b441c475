// What `watch` does besides drawing: records every frame with --record (a marker per pass) and saves the
// frame on screen as SVG when `s` is pressed.
import Capture
import DefragSession
import Dispatch
import Foundation
import TerminalUI
import Visualizer

final class WatchCapture: FrameObserver {
    private let recorder: RunRecorder?
    private let start = DispatchTime.now().uptimeNanoseconds
    private var recordingFailed = false
    /// Where screenshots go.
    let directory: String

    /// - Parameter recording: the asciicast file to write (opened now, so a path that cannot be written is
    ///   refused before the terminal is taken).
    init(recording: String?, title: String, directory: String = FileManager.default.currentDirectoryPath) throws {
        self.directory = directory
        if let recording {
            do {
                recorder = RunRecorder(writer: try AsciicastWriter(path: recording, width: nil, height: nil, title: "defragscope: \(title)"))
            } catch let error as CaptureError { throw CLIError("--record: \(error)") }
        } else {
            recorder = nil
        }
    }

    var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    func drew(_ canvas: Canvas, snapshot: SessionSnapshot, monochrome: Bool) -> String? {
        guard let recorder, !recordingFailed else { return nil }
        // The colours the terminal shows: none on a terminal without colours (NO_COLOR).
        let depth: ColourDepth = monochrome ? .none : .full
        if recorder.writer.theme.depth != depth { recorder.writer.theme = Theme(depth: depth) }
        do {
            try recorder.record(canvas, snapshot: snapshot, at: seconds)
            return nil
        } catch {
            // Said once; the recording keeps what was written (complete events only).
            recordingFailed = true
            recorder.writer.close()
            return "recording stopped: \(error)"
        }
    }

    func screenshot(_ canvas: Canvas, snapshot: SessionSnapshot, monochrome: Bool) throws -> String {
        let name = Self.fileName(title: snapshot.title, pass: snapshot.passNumber) { FileManager.default.fileExists(atPath: self.path($0)) }
        let svg = SVGScreenshot.render(canvas, title: "defragscope: \(snapshot.title), pass \(snapshot.passNumber)",
                                       theme: Theme(depth: monochrome ? .none : .full))
        do {
            try Data(svg.utf8).write(to: URL(fileURLWithPath: path(name)), options: .withoutOverwriting)
            return "screenshot \(name) saved in \(directory)"
        } catch {
            throw CLIError("cannot save the screenshot to \(path(name)): \((error as NSError).localizedDescription)")
        }
    }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// "defragscope-checkerboard-trace-pass3.svg", then "-2", "-3"… while `exists` says the name is taken.
    static func fileName(title: String, pass: Int, exists: (String) -> Bool) -> String {
        var stem = ""
        for scalar in title.unicodeScalars {
            stem.unicodeScalars.append(scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) ? scalar : "-")
        }
        stem = "defragscope-\(stem.prefix(60))-pass\(pass)"
        var name = stem + ".svg", n = 2
        while exists(name) { name = "\(stem)-\(n).svg"; n += 1 }
        return name
    }
}
