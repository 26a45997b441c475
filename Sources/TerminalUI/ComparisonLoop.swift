// The terminal UI of `watch --compare`: the loop of EventLoop.run over several drivers, drawn with
// renderComparison; Tab moves the focus.
import DefragSession
import Visualizer
#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    /// Runs the comparison view of `drivers` (two to four) until the user quits or a signal arrives; the
    /// terminal is restored on every way out.
    /// - Throws: as ``run(driver:options:)``.
    @discardableResult
    public static func runComparison(drivers: [SessionDriver], options: EventLoopOptions) throws -> EventLoopExit {
        if let message = TerminalCheck.refusal(environment: options.environment) {
            throw TerminalUIError.refused(message)
        }
        let utf8 = TerminalLocale.configure()
        let noColour = options.noColour ?? !(options.environment["NO_COLOR"] ?? "").isEmpty
        let screen = try Screen(term: options.environment["TERM"] ?? "", noColour: noColour, mouse: options.mouse)
        defer { screen.end() }

        var snapshots = drivers.map(\.snapshot)
        let (width, height) = screen.size
        var state = ComparisonViewState(width: width, height: height, ascii: options.ascii || !utf8, monochrome: screen.depth == .none,
                                        opening: snapshots)
        state.speedLevel = options.speedLevel
        state.isRunning = options.startRunning && !snapshots.allSatisfy(\.isFinished)
        var dirty = true
        var nextStep = now() + 1 / state.passesPerSecond
        var quickTimeouts = 0

        while true {
            let signal = screen.takeSignal()
            if signal != 0 { return .signal(signal) }
            if dirty {
                let (width, height) = screen.size
                if width != state.width || height != state.height {
                    state = updateComparison(state, .resize(width: width, height: height), snapshots).0
                }
                screen.draw(renderComparison(snapshots, state))
                dirty = false
            }

            let waitSeconds = state.isRunning ? max(0, nextStep - now()) : 0.25
            let waitMilliseconds = Int(min(0.25, waitSeconds) * 1000)
            let started = now()
            var commands: [Command] = []
            if let key = Input.read(timeout: waitMilliseconds) {
                quickTimeouts = 0
                if key == .character("\t") {
                    state = focusNext(state)
                    dirty = true
                } else if let command = options.keyMap.command(for: key) {
                    commands.append(command)
                }
                if case .resize = key { screen.invalidate(); dirty = true }
            } else if waitMilliseconds >= 20 && now() - started < Double(waitMilliseconds) / 4000 {
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
                let (newState, effects) = updateComparison(state, command, snapshots)
                if newState != state { dirty = true }
                state = newState
                if state.isRunning && !wasRunning { nextStep = now() + 1 / state.passesPerSecond }
                for effect in effects {
                    if effect.effect == .quit { return .quit }
                    do {
                        try drivers[effect.pane].perform(effect.effect)
                        state.message = nil
                    } catch {
                        state.message = "\(SessionComparison.labels(for: snapshots.map(\.configuration))[effect.pane]): \(error)"
                        state.isRunning = false
                    }
                    snapshots[effect.pane] = drivers[effect.pane].snapshot
                    dirty = true
                }
            }
        }
    }
}
