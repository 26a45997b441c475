// The terminal UI's loop: read a key (with a timeout, so it never spins), update the view, let the driver
// carry out effects, auto-step at the chosen speed, redraw when something changed.
import CNcursesw
import DefragSession
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

/// Why loading stopped early: the user quit, or a signal arrived. Thrown by ``LoadingReporter/report(_:of:)``
/// through the workload's pool building; ``EventLoop/run(options:loading:makeDriver:)`` turns it into its
/// exit.
public enum LoadingInterrupted: Error, Equatable {
    case quit
    case signal(Int32)
}

/// Shows the loading frame while pools are built (a large trace replays for a while) and reads keys
/// meanwhile, so `q` quits during loading. Give ``report(_:of:)`` to the workload as its progress callback.
public final class LoadingReporter {
    private weak var screen: Screen?
    private var progress: LoadingProgress
    private let ascii: Bool
    private let keyMap: KeyMap
    private var lastDrawn = -Double.infinity

    init(screen: Screen, progress: LoadingProgress, ascii: Bool, keyMap: KeyMap) {
        self.screen = screen
        self.progress = progress
        self.ascii = ascii
        self.keyMap = keyMap
    }

    /// Progress of building the pools: redraws the loading frame (at most 20 times a second, and at the
    /// end) and reads the keys typed meanwhile.
    /// - Throws: ``LoadingInterrupted/quit`` when a key for ``Command/quit`` was typed,
    ///   ``LoadingInterrupted/signal(_:)`` when SIGINT, SIGTERM or SIGHUP arrived.
    public func report(_ done: Int, of total: Int) throws {
        progress.done = done
        progress.total = total
        guard let screen, screen.isActive else { return }
        let signal = screen.takeSignal()
        if signal != 0 { throw LoadingInterrupted.signal(signal) }
        for key in Input.readWaiting() {
            if case .resize = key { screen.invalidate(); lastDrawn = -.infinity }
            if keyMap.command(for: key) == .quit { throw LoadingInterrupted.quit }
        }
        if EventLoop.now() - lastDrawn >= 0.05 || done >= total { draw(on: screen) }
    }

    func draw(on screen: Screen) {
        let (width, height) = screen.size
        screen.draw(renderLoading(progress, width: width, height: height, ascii: ascii))
        lastDrawn = EventLoop.now()
    }
}

/// What `watch` does with the frames it shows besides drawing them: record them (`--record`), save one on
/// request (`s`). The loop calls it on its own thread, between frames.
public protocol FrameObserver: AnyObject {
    /// Every frame drawn after loading, with the snapshot it shows; `monochrome` when the terminal has no
    /// colours. Returns a message to show once (a recording that could not be written), else nil.
    func drew(_ canvas: Canvas, snapshot: SessionSnapshot, monochrome: Bool) -> String?
    /// The frame on screen, to save (`s`). Returns the message that says where it went (shown as
    /// information); throws an error that says why it did not (shown as a failure).
    func screenshot(_ canvas: Canvas, snapshot: SessionSnapshot, monochrome: Bool) throws -> String
}

public enum EventLoop {
    /// Runs the terminal UI until the user quits or a SIGINT, SIGTERM or SIGHUP arrives; the terminal is
    /// restored on every way out. The loading frame shows while `makeDriver` builds the session (and while a
    /// reset rebuilds it), through the ``LoadingReporter`` it is given.
    /// - Parameters:
    ///   - options: how to start.
    ///   - loading: what the loading frame names (the input, its unit) and the total if known.
    ///   - makeDriver: builds the session to show and step; give the reporter's ``LoadingReporter/report(_:of:)``
    ///     to the pools' builder. Errors it throws end the UI and are rethrown (the screen is restored first).
    ///   - observer: sees every frame drawn and takes screenshots (`s`); without one, `s` says so.
    /// - Throws: ``TerminalUIError/refused(_:)`` when this is not an interactive terminal (print the message,
    ///   exit 2), ``TerminalUIError/cannotStart(term:)`` when ncurses fails, and what `makeDriver` throws.
    /// - Returns: why it ended.
    @discardableResult
    public static func run(options: EventLoopOptions, loading: LoadingProgress, observer: FrameObserver? = nil,
                           makeDriver: (LoadingReporter) throws -> SessionDriver) throws -> EventLoopExit {
        if let message = TerminalCheck.refusal(environment: options.environment) {
            throw TerminalUIError.refused(message)
        }
        let utf8 = TerminalLocale.configure()
        let noColour = options.noColour ?? !(options.environment["NO_COLOR"] ?? "").isEmpty
        let screen = try Screen(term: options.environment["TERM"] ?? "", noColour: noColour, mouse: options.mouse)
        defer { screen.end() }

        let reporter = LoadingReporter(screen: screen, progress: loading, ascii: options.ascii || !utf8, keyMap: options.keyMap)
        reporter.draw(on: screen)
        let driver: SessionDriver
        do {
            driver = try makeDriver(reporter)
        } catch let interrupted as LoadingInterrupted {
            return ending(for: interrupted)
        }
        let (width, height) = screen.size
        // The opening state picks colours by type for dumps and shows the legend.
        var state = ViewState(width: width, height: height, ascii: options.ascii || !utf8, monochrome: screen.depth == .none,
                              opening: driver.snapshot)
        state.speedLevel = options.speedLevel
        state.isRunning = options.startRunning && !driver.snapshot.isFinished
        var snapshot = driver.snapshot
        var dirty = true
        var nextStep = now() + 1 / state.passesPerSecond
        var keys = KeyWait()
        // The frame on screen, for a screenshot.
        var shown = Canvas(width: 0, height: 0)
        // Plans asked for with `p`, computed off this thread.
        let planner = PlanWorker()

        while true {
            let signal = screen.takeSignal()
            if signal != 0 { return .signal(signal) }
            if dirty {
                let (width, height) = screen.size
                if width != state.width || height != state.height {
                    state = update(state, .resize(width: width, height: height), snapshot).0
                }
                shown = render(snapshot, state, width: state.width, height: state.height)
                screen.draw(shown)
                dirty = false
                if let message = observer?.drew(shown, snapshot: snapshot, monochrome: state.monochrome) {
                    state.message = message
                    dirty = true
                }
            }

            // Wait for a key until the next auto-step is due (at most 250 ms, so signals are noticed).
            let waitSeconds = state.isRunning ? max(0, nextStep - now()) : 0.25
            let waitMilliseconds = Int(min(0.25, waitSeconds) * 1000)
            var commands: [Command] = []
            switch keys.next(waitingUpTo: waitMilliseconds, keyMap: options.keyMap) {
            case .quit: return .quit
            case .terminalGone: return .signal(SIGHUP)
            case .timeout: break
            case .key(let key):
                if let command = options.keyMap.command(for: key) { commands.append(command) }
                if case .resize = key { screen.invalidate(); dirty = true }
            }
            commands += planner.takeAnswers().map(\.command)
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
                    if case .computePlan(let request) = effect {
                        planner.start(driver.startPlan, request: request)
                        continue
                    }
                    if effect == .screenshot {
                        if let observer {
                            do { state.hint = try observer.screenshot(shown, snapshot: snapshot, monochrome: state.monochrome) } catch {
                                state.message = "\(error)"
                            }
                        } else {
                            state.message = "screenshots are not available here"
                        }
                        dirty = true
                        continue
                    }
                    let failure: (any Error)?
                    let frame = state
                    switch PassWait.carryOut(effect, on: driver, screen: screen, keys: &keys, keyMap: options.keyMap, whileSlow: {
                        // A pass that takes a while says so (it runs on a thread of its own, so q is heard).
                        var busy = frame
                        busy.hint = "pass \(snapshot.passesRun + 1) is running… (q quits)"
                        screen.draw(render(snapshot, busy, width: busy.width, height: busy.height))
                    }) {
                    case .success(let error): failure = error
                    case .failure(let ending): return ending.exit
                    }
                    if let failure {
                        state.message = "\(failure)"
                        state.isRunning = false
                    } else {
                        state.message = nil
                    }
                    snapshot = driver.snapshot
                    dirty = true
                }
            }
        }
    }

    static func ending(for interrupted: LoadingInterrupted) -> EventLoopExit {
        switch interrupted {
        case .quit: return .quit
        case .signal(let number): return .signal(number)
        }
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
