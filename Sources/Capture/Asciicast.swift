// Asciicast v2 (the format asciinema and its web player read): a header line of JSON, then one JSON array
// per line for each event: [seconds, "o", output], [seconds, "m", label] (markers a player can jump to),
// [seconds, "r", "COLSxROWS"] (a resize). The writer appends whole lines and flushes every one, so a
// recording cut short by a kill is still a valid file of complete events.
import Foundation
import Visualizer

/// A recording problem: the file cannot be created or written.
public struct CaptureError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The text of asciicast v2 lines (pure; ``AsciicastWriter`` writes them).
public enum Asciicast {
    /// The header line (without its newline).
    public static func header(width: Int, height: Int, timestamp: Int, title: String) -> String {
        "{\"version\": 2, \"width\": \(width), \"height\": \(height), \"timestamp\": \(timestamp), \"title\": \(jsonString(title)), "
            + "\"env\": {\"TERM\": \"xterm-256color\"}}"
    }

    /// An event line (without its newline): `[seconds, "code", "data"]`.
    public static func event(_ seconds: Double, _ code: String, _ data: String) -> String {
        "[\(time(seconds)), \(jsonString(code)), \(jsonString(data))]"
    }

    /// Seconds with microsecond precision, never negative, never in exponent notation.
    static func time(_ seconds: Double) -> String {
        let micros = seconds.isFinite ? max(0, Int((seconds * 1_000_000).rounded())) : 0
        var fraction = String(micros % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        return "\(micros / 1_000_000).\(fraction)"
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    public static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Writes a recording to a file as it goes: frames (only what changed since the last one) and markers.
public final class AsciicastWriter {
    public let path: String
    /// The size of the last frame (the header's until the first frame).
    public private(set) var width: Int
    public private(set) var height: Int
    /// Markers written so far.
    public private(set) var markerCount = 0
    /// The colours frames are written in; a change redraws the next frame whole.
    public var theme: Theme {
        didSet { encoder = ANSIFrameEncoder(theme: theme) }
    }
    private var encoder: ANSIFrameEncoder
    private var descriptor: Int32
    private var lastTime = 0.0
    /// The header, until it is written (with the first frame's size when none was given).
    private var pendingHeader: (title: String, timestamp: Int)?

    /// Creates (or truncates) `path` and writes the header; `-` writes to standard output.
    /// - Parameters:
    ///   - width: the terminal's columns; nil: the first frame's (the header is written with it).
    ///   - height: the terminal's rows; nil: the first frame's.
    ///   - timestamp: the recording's start, seconds since 1970 (the header's `timestamp`).
    ///   - theme: the colours frames are written in.
    public init(path: String, width: Int?, height: Int?, title: String, timestamp: Int = Int(Date().timeIntervalSince1970),
                theme: Theme = Theme(depth: .full)) throws {
        self.path = path
        self.width = max(1, width ?? 1)
        self.height = max(1, height ?? 1)
        self.theme = theme
        encoder = ANSIFrameEncoder(theme: theme)
        descriptor = path == "-" ? dup(STDOUT_FILENO) : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CaptureError("\(path): cannot create the recording: \(String(cString: strerror(errno)))")
        }
        pendingHeader = (title, timestamp)
        if width != nil && height != nil { try writeHeader() }
    }

    private func writeHeader() throws {
        guard let header = pendingHeader else { return }
        try append(Asciicast.header(width: width, height: height, timestamp: header.timestamp, title: header.title))
        pendingHeader = nil
    }

    deinit { close() }

    /// Writes the output that draws `canvas` at `seconds` after the start (a resize event first when its
    /// size differs from the last frame's): what changed since the last frame, or with `whole` the whole
    /// frame. Nothing is written when the frame did not change (and `whole` is false).
    public func frame(_ canvas: Canvas, at seconds: Double, whole: Bool = false) throws {
        if whole { encoder.reset() }
        if pendingHeader != nil {
            width = canvas.width
            height = canvas.height
            try writeHeader()
        }
        if canvas.width != width || canvas.height != height {
            width = canvas.width
            height = canvas.height
            try append(Asciicast.event(clamped(seconds), "r", "\(width)x\(height)"))
            encoder.reset()
        }
        let output = encoder.encode(canvas)
        guard !output.isEmpty else { return }
        try append(Asciicast.event(clamped(seconds), "o", output))
    }

    /// Writes a marker (players list these and jump between them), e.g. "pass 3: 12 moves".
    public func marker(_ label: String, at seconds: Double) throws {
        try writeHeader()
        try append(Asciicast.event(clamped(seconds), "m", label))
        markerCount += 1
    }

    /// Closes the file (later writes fail). Called by deinit too.
    public func close() {
        if descriptor >= 0 { _ = Foundation.close(descriptor) }
        descriptor = -1
    }

    /// Event times never go backwards (players expect them ascending).
    private func clamped(_ seconds: Double) -> Double {
        lastTime = max(lastTime, seconds.isFinite ? seconds : lastTime)
        return lastTime
    }

    /// One line in one write (retried on short writes), so the file only ever ends with whole lines.
    private func append(_ line: String) throws {
        guard descriptor >= 0 else { throw CaptureError("\(path): the recording is closed") }
        var bytes = Array((line + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CaptureError("\(path): cannot write the recording: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        bytes.removeAll()
    }
}
