// `defragscope record` and `defragscope snapshot`: a run drawn without a terminal, as the UI would show
// it, to an asciicast recording (one marker per pass) or to a screenshot of one pass (SVG or text).
import ArgumentParser
import Capture
import DefragSession
import Foundation
import MemoryPools
import Visualizer
import Workloads

/// The size and look of the frames drawn headless.
struct FrameOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Columns of the frame (20–1000).", valueName: "N"))
    var width = 100

    @Option(help: ArgumentHelp("Rows of the frame (5–500).", valueName: "N"))
    var height = 30

    @Flag(help: "Draw with ASCII characters only.")
    var ascii = false

    @Option(name: .customLong("colour-by"), help: ArgumentHelp("size or type (default: type for dumps, size for traces).", valueName: "WHAT"))
    var colourBy: ColourMode?

    func validate() throws {
        guard (20...1000).contains(width) else { throw ValidationError("--width must be 20 to 1000 columns, not \(width)") }
        guard (5...500).contains(height) else { throw ValidationError("--height must be 5 to 500 rows, not \(height)") }
    }

    /// The view a headless frame of `snapshot` is drawn with: as the UI opens (legend, colours by type for
    /// dumps), paused.
    func state(opening snapshot: SessionSnapshot) -> ViewState {
        var state = ViewState(width: width, height: height, ascii: ascii, opening: snapshot)
        if let colourBy { state.colourMode = colourBy }
        return state
    }
}

extension ColourMode: ExpressibleByArgument {}

/// A session on host memory for a headless command.
func headlessSession(_ input: InputOptions, _ engine: EngineOptions, verify: Verification) throws -> DefragSession<HostPageDevice> {
    let workload = try input.load()
    let device = HostPageDevice()
    let session = try DefragSession(title: workload.title, configuration: engine.configuration, verification: verify) {
        try workload.makePools(device: device, keepBytes: verify != .none)
    }
    try engine.applyFaults(to: session)
    return session
}

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a run as an asciicast v2 file, without a terminal.",
        discussion: """
        Every pass is drawn as `watch` shows it and written to FILE.cast (asciinema's format; its web player
        and `asciinema play` read it), --delay seconds apart, with a marker "pass N: …" per pass so a player
        can jump between passes. The file is written as the run goes: an interrupted recording holds every
        frame written so far and is still valid. Pages live in host memory.
        Example: defragscope record --trace ../shared/traces/checkerboard.trace -o checkerboard.cast
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var frame: FrameOptions

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The recording to write (.cast; - for standard output).", valueName: "FILE"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds between passes in the recording.", valueName: "SECONDS"))
    var delay = 0.5

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many passes (0: run to completion).", valueName: "N"))
    var maxPasses = 0

    @Option(help: ArgumentHelp("Byte checks after each pass: none, moved or all.", valueName: "WHAT"))
    var verify: Verification = .moved

    func validate() throws {
        guard delay.isFinite, delay >= 0, delay <= 3600 else { throw ValidationError("--delay must be 0 to 3600 seconds, not \(delay)") }
        if maxPasses < 0 { throw ValidationError("--max-passes must be 0 (run to completion) or positive, not \(maxPasses)") }
    }

    func run() throws {
        let session = try headlessSession(input, engine, verify: verify)
        let writer: AsciicastWriter
        do {
            writer = try AsciicastWriter(path: output, width: frame.width, height: frame.height, title: "defragscope: \(session.title)")
        } catch let error as CaptureError { throw CLIError("record: \(error)") }
        let recorder = RunRecorder(writer: writer)
        var snapshot = session.snapshot()
        let state = frame.state(opening: snapshot)
        var seconds = 0.0
        try recorder.record(render(snapshot, state, width: frame.width, height: frame.height), snapshot: snapshot, at: seconds)
        var passes = 0
        while !snapshot.isFinished && (maxPasses == 0 || passes < maxPasses) {
            let report = try session.step()
            snapshot = session.snapshot()
            seconds += delay
            try recorder.record(render(snapshot, state, width: frame.width, height: frame.height), snapshot: snapshot, at: seconds)
            if report == nil { break }
            passes += 1
        }
        writer.close()
        let message = "wrote \(output == "-" ? "standard output" : output): \(passes) passes, \(writer.markerCount) markers, "
            + "\(frame.width)x\(frame.height), \(String(format: "%.1f", seconds)) s\n"
        // With the recording on standard output, the message goes to stderr.
        FileHandle(fileDescriptor: output == "-" ? 2 : 1).write(Data(message.utf8))
    }
}

struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the frame of one pass as SVG or text, without a terminal.",
        discussion: """
        Runs --pass passes (0: the starting state) and writes the frame `watch` would show then: --svg as an
        SVG image (the terminal's cells as rectangles and text, its colours, a monospace font), --text as
        plain text. `-` writes to standard output. Pages live in host memory.
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var frame: FrameOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("The pass to show (0: before the first).", valueName: "N"))
    var pass = 0

    @Option(help: ArgumentHelp("Write the frame as SVG here (- for standard output).", valueName: "FILE"))
    var svg: String?

    @Option(help: ArgumentHelp("Write the frame as plain text here (- for standard output).", valueName: "FILE"))
    var text: String?

    @Option(help: ArgumentHelp("Byte checks after each pass: none, moved or all.", valueName: "WHAT"))
    var verify: Verification = .moved

    func validate() throws {
        if pass < 0 { throw ValidationError("--pass must be 0 (the starting state) or positive, not \(pass)") }
        if svg == nil && text == nil { throw ValidationError("give --svg FILE, --text FILE or both") }
        if svg == "-" && text == "-" { throw ValidationError("--svg and --text cannot both write to standard output") }
    }

    func run() throws {
        let session = try headlessSession(input, engine, verify: verify)
        var done = 0
        while done < pass {
            guard try session.step() != nil else {
                throw CLIError("snapshot: the run of \(session.title) finished after \(done) passes; --pass \(pass) is past its end")
            }
            done += 1
        }
        let snapshot = session.snapshot()
        let canvas = render(snapshot, frame.state(opening: snapshot), width: frame.width, height: frame.height)
        var written: [String] = []
        if let svg {
            try write(Array(SVGScreenshot.render(canvas, title: "defragscope: \(session.title), pass \(pass)").utf8), to: svg)
            written.append(svg == "-" ? "standard output" : svg)
        }
        if let text {
            try write(Array(PlainTextScreenshot.render(canvas).utf8), to: text)
            written.append(text == "-" ? "standard output" : text)
        }
        let message = "wrote \(written.joined(separator: " and ")): pass \(pass) of \(session.title), \(frame.width)x\(frame.height)\n"
        FileHandle(fileDescriptor: svg == "-" || text == "-" ? 2 : 1).write(Data(message.utf8))
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        if path == "-" { FileHandle.standardOutput.write(Data(bytes)); return }
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch {
            throw CLIError("snapshot: cannot write \(path): \((error as NSError).localizedDescription)")
        }
    }
}
