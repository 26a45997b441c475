// `defragscope watch` (the default command): the terminal UI.
import ArgumentParser
import DefragSession
import Foundation
import MemoryPools
import TerminalUI
import Visualizer
import VulkanPageDevice
import Workloads

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the terminal UI (the default command).",
        discussion: """
        Needs an interactive terminal: with stdin or stdout not a terminal, or TERM unset or dumb, it refuses to
        start (exit 2) and points to `defragscope run`. Keys: space/n step, r run/pause, +/- speed, R reset,
        a algorithm, d dialect, b/B budget, arrows/j/k/PgUp/PgDn scroll, Enter a page's allocations, z the
        selected page's map (z/Z zoom in/out, Enter the cursor row's allocations, Esc back), s screenshot
        (the frame as SVG in --screenshot-dir, else the current folder; the message line says where), ? help, q quit.
        --record FILE.cast records what is shown as asciicast v2 (asciinema's format), with a marker "pass N: …"
        at every pass; it is written as it goes, so an interrupted recording is still valid.
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var backend: BackendOptions

    @Flag(help: "Draw with ASCII characters only (also chosen when the locale is not UTF-8).")
    var ascii = false

    @Flag(name: .customLong("no-mouse"), help: "Do not capture the mouse.")
    var noMouse = false

    @Flag(name: .customLong("run"), help: "Start stepping at once.")
    var startRunning = false

    @Option(help: ArgumentHelp("Byte checks after each pass: none, moved or all.", valueName: "WHAT"))
    var verify: Verification = .moved

    @Option(help: ArgumentHelp("Two to four sessions side by side, comma-separated: ALGORITHM[@DIALECT][:BYTES:ALLOCS] (full,fast@vma,full:67108864:256); unset parts come from --dialect and the budget options.", valueName: "A,B,..."))
    var compare: String?

    @Option(help: ArgumentHelp("Record the session as an asciicast v2 file (a marker per pass).", valueName: "FILE"))
    var record: String?

    @Option(name: .customLong("screenshot-dir"), help: ArgumentHelp("Where `s` saves screenshots (default: the current folder).", valueName: "DIR"))
    var screenshotDirectory: String?

    func validate() throws {
        if compare != nil && (record != nil || screenshotDirectory != nil) {
            throw ValidationError("--record and --screenshot-dir are not available with --compare")
        }
        if let screenshotDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: screenshotDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--screenshot-dir \(screenshotDirectory): not a folder")
            }
        }
    }

    func run() throws {
        if let compare { return try showComparison(compare) }
        let environment = ProcessInfo.processInfo.environment
        if let refusal = TerminalCheck.refusal(environment: environment) {
            // The message already names the command and points to `run`.
            FileHandle.standardError.write(Data((refusal + "\n").utf8))
            throw ExitCode(2)
        }
        // A crash report must not wait for a key (Backtracer): this may start the program again.
        Backtracer.restartWithoutInteractiveReport()
        let loading = loadingProgress
        let capture = try WatchCapture(recording: record, title: loading.title,
                                       directory: screenshotDirectory ?? FileManager.default.currentDirectoryPath)
        let options = EventLoopOptions(environment: environment, ascii: ascii, mouse: !noMouse, startRunning: startRunning)
        let exit: EventLoopExit
        let keepBytes = verify != .none
        // The input is read, and the pools built, behind the loading frame.
        switch backend.backend {
        case .host, .metadata, nil:
            exit = try show(loading, options: options, capture: capture) { reporter in
                let workload = try input.load()
                switch try HostOrMetadata.build(workload, requested: backend.backend, keepBytes: keepBytes, progress: reporter.report) {
                case .host(let built): return try driver(built, notice: nil, reporter: reporter)
                case .metadata(let built, let note): return try driver(built, notice: note, reporter: reporter)
                }
            }
        case .lavapipe:
            // A device that cannot be opened is shown in the UI (the UI owns the screen, so nothing goes to
            // stderr), which goes on with host memory. Driver messages are dropped for the same reason.
            let device: VulkanPageDevice
            do {
                device = try openVulkanDevice(backend).device
            } catch {
                exit = try show(loading, options: options, capture: capture) { reporter in
                    try driver(try BuiltPools(try input.load(), on: HostPageDevice(), keepBytes: keepBytes, progress: reporter.report),
                               notice: "\(error) — showing host memory instead", reporter: reporter)
                }
                break
            }
            exit = try show(loading, options: options, capture: capture) { reporter in
                try driver(try BuiltPools(try input.load(), on: device, keepBytes: keepBytes, progress: reporter.report),
                           notice: nil, reporter: reporter)
            }
        }
        if case .signal(let number) = exit { throw ExitCode(128 + number) }
    }

    /// The loading frame's first state, before the input is read: its name (the workload's title: a file's
    /// name without folders, or the scenario's) and what a step of its build is; the total is not known yet.
    private var loadingProgress: LoadingProgress {
        if let path = input.trace { return LoadingProgress(title: (path as NSString).lastPathComponent, unit: "operations") }
        if let path = input.vmaDump ?? input.d3d12maDump ?? input.dump {
            return LoadingProgress(title: (path as NSString).lastPathComponent, unit: "allocations")
        }
        return LoadingProgress(title: input.scenarioName, unit: "operations")
    }

    /// Runs the UI on the driver `makeDriver` builds while the loading frame shows.
    private func show(_ loading: LoadingProgress, options: EventLoopOptions, capture: WatchCapture,
                      makeDriver: (LoadingReporter) throws -> SessionDriver) throws -> EventLoopExit {
        do {
            return try EventLoop.run(options: options, loading: loading, observer: capture, makeDriver: makeDriver)
        } catch let error as TerminalUIError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// The session on the pools `built` holds (a reset builds them again, its progress on the loading frame).
    private func driver<D: PageDevice>(_ built: BuiltPools<D>, notice: String?, reporter: LoadingReporter) throws -> SessionDriver {
        let session = try DefragSession(title: built.workload.title, configuration: engine.configuration, verification: verify) {
            try built.take(progress: reporter.report)
        }
        try engine.applyFaults(to: session)
        // The page detail says why a page's allocations stay: the engine reports its decisions.
        session.explains = true
        return DefragSessionDriver(session: session, notice: notice)
    }
}
