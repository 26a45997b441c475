// The terminal UI's loop: read a key (with a timeout, so it never spins), update the view, let the driver
// carry out effects, auto-step at the chosen speed, redraw when something changed.
import CNcursesw
import Dispatch
import Visualizer
#if canImport(Glibc)
import Glibc
#endif

/// How `watch` starts.
public struct EventLoopOptions: Sendable {
    /// Draw ASCII only (`--ascii`); also chosen when the locale cannot be made UTF-8.
    public var ascii = false
    /// Report mouse clicks (select a page; click it again for its allocations).
    public var mouse = true
    /// Start auto-stepping at once.
    public var startRunning = false
    /// Index in `ViewState.speeds`.
    public var speedLevel = ViewState.defaultSpeedLevel
    /// Draw without colour; nil: when the `NO_COLOR` variable is set and not empty.
    public var noColour: Bool?
    public var keyMap = KeyMap.standard
    /// The environment (for `TERM` and `NO_COLOR`).
    public var environment: [String: String]

    public init(environment: [String: String], ascii: Bool = false, mouse: Bool = true, startRunning: Bool = false) {
        self.environment = environment
        self.ascii = ascii
        self.mouse = mouse
        self.startRunning = startRunning
    }
}

/// Why the loop ended.
public enum EventLoopExit: Equatable, Sendable {
    /// The user quit.
    case quit
    /// A signal arrived (SIGINT, SIGTERM or SIGHUP); the CLI exits with 128 + the number.
    case signal(Int32)
}

public enum EventLoop {
    /// Runs the terminal UI until the user quits or a SIGINT, SIGTERM or SIGHUP arrives; the terminal is
    /// restored on every way out.
    /// - Parameters:
    ///   - driver: the session to show and step.
    ///   - options: how to start.
    /// - Throws: ``TerminalUIError/refused(_:)`` when this is not an interactive terminal (print the message,
    ///   exit 2), ``TerminalUIError/cannotStart(term:)`` when ncurses fails.
    /// - Returns: why it ended.
    @discardableResult
    public static func run(driver: SessionDriver, options: EventLoopOptions) throws -> EventLoopExit {
        if let message = TerminalCheck.refusal(environment: options.environment) {
            throw TerminalUIError.refused(message)
        }
        let utf8 = TerminalLocale.configure()
        let noColour = options.noColour ?? !(options.environment["NO_COLOR"] ?? "").isEmpty
        let screen = try Screen(term: options.environment["TERM"] ?? "", noColour: noColour, mouse: options.mouse)
        defer { screen.end() }

        let (width, height) = screen.size
        // The opening state picks colours by type for dumps and shows the legend.
        var state = ViewState(width: width, height: height, ascii: options.ascii || !utf8, monochrome: screen.depth == .none,
                              opening: driver.snapshot)
        state.speedLevel = options.speedLevel
        state.isRunning = options.startRunning && !driver.snapshot.isFinished
        var snapshot = driver.snapshot
        var dirty = true
        var nextStep = now() + 1 / state.passesPerSecond
        var quickTimeouts = 0

        while true {
            let signal = screen.takeSignal()
            if signal != 0 { return .signal(signal) }
            if dirty {
                let (width, height) = screen.size
                if width != state.width || height != state.height {
                    state = update(state, .resize(width: width, height: height), snapshot).0
                }
                screen.draw(render(snapshot, state, width: state.width, height: state.height))
                dirty = false
            }

            // Wait for a key until the next auto-step is due (at most 250 ms, so signals are noticed).
            let waitSeconds = state.isRunning ? max(0, nextStep - now()) : 0.25
            let waitMilliseconds = Int(min(0.25, waitSeconds) * 1000)
            let started = now()
            var commands: [Command] = []
            if let key = Input.read(timeout: waitMilliseconds) {
                quickTimeouts = 0
                if let command = options.keyMap.command(for: key) { commands.append(command) }
                if case .resize = key { screen.invalidate(); dirty = true }
            } else if waitMilliseconds >= 20 && now() - started < Double(waitMilliseconds) / 4000 {
                // get_wch returned at once without a key: the terminal is gone or input is not a terminal.
                quickTimeouts += 1
                if quickTimeouts >= 10 {
                    if isatty(STDIN_FILENO) == 0 { return .signal(SIGHUP) }
                    usleep(50_000)
                }
            }
            if state.isRunning && now() >= nextStep {
                commands.append(.tick)
                nextStep = max(nextStep + 1 / state.passesPerSecond, now())
            }

            for command in commands {
                let wasRunning = state.isRunning
                let (newState, effects) = update(state, command, snapshot)
                if newState != state { dirty = true }
                state = newState
                if state.isRunning && !wasRunning { nextStep = now() + 1 / state.passesPerSecond }
                for effect in effects {
                    if effect == .quit { return .quit }
                    do {
                        try driver.perform(effect)
                        state.message = nil
                    } catch {
                        state.message = "\(error)"
                        state.isRunning = false
                    }
                    snapshot = driver.snapshot
                    dirty = true
                }
            }
        }
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
