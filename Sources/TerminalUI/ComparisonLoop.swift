// The terminal UI of `watch --compare`: the loop of EventLoop.run over several drivers, drawn with
// renderComparison; Tab moves the focus. It waits for keys as EventLoop.run does (KeyWait); the two differ
// in their state, update, render and effects.
import DefragSession
import Visualizer
#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    /// Runs the comparison view of two to four sessions until the user quits or a signal arrives; the
    /// terminal is restored on every way out. The loading frame shows while `makeDrivers` builds them.
    /// - Parameters:
    ///   - loading: what the loading frame names, its total the steps of building all the sessions.
    ///   - makeDrivers: builds the sessions; give the reporter's ``LoadingReporter/report(_:of:)`` to the
    ///     pools' builders (counting on across the sessions).
    /// - Throws: as ``run(options:loading:makeDriver:)``.
    @discardableResult
    public static func runComparison(options: EventLoopOptions, loading: LoadingProgress,
                                     makeDrivers: (LoadingReporter) throws -> [SessionDriver]) throws -> EventLoopExit {
        if let message = TerminalCheck.refusal(environment: options.environment) {
            throw TerminalUIError.refused(message)
        }
        let utf8 = TerminalLocale.configure()
        let noColour = options.noColour ?? !(options.environment["NO_COLOR"] ?? "").isEmpty
        let screen = try Screen(term: options.environment["TERM"] ?? "", noColour: noColour, mouse: options.mouse)
        defer { screen.end() }

        let reporter = LoadingReporter(screen: screen, progress: loading, ascii: options.ascii || !utf8, keyMap: options.keyMap)
        reporter.draw(on: screen)
        let drivers: [SessionDriver]
        do {
            drivers = try makeDrivers(reporter)
        } catch let interrupted as LoadingInterrupted {
            return ending(for: interrupted)
        }
        var snapshots = drivers.map(\.snapshot)
        let (width, height) = screen.size
        var state = ComparisonViewState(width: width, height: height, ascii: options.ascii || !utf8, monochrome: screen.depth == .none,
                                        opening: snapshots)
        state.speedLevel = options.speedLevel
        state.isRunning = options.startRunning && !snapshots.allSatisfy(\.isFinished)
        var dirty = true
        var nextStep = now() + 1 / state.passesPerSecond
        var keys = KeyWait()
        // Plans asked for with `p` in a pane, computed off this thread; each answer goes to its pane.
        let planner = PlanWorker()

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
            var commands: [Command] = []
            switch keys.next(waitingUpTo: waitMilliseconds, keyMap: options.keyMap) {
            case .quit: return .quit
            case .terminalGone: return .signal(SIGHUP)
            case .timeout: break
            case .key(let key):
                if key == .character("\t") {
                    state = focusNext(state)
                    dirty = true
                } else if let command = options.keyMap.command(for: key) {
                    commands.append(command)
                }
                if case .resize = key { screen.invalidate(); dirty = true }
            }
            if state.isRunning && now() >= nextStep {
                commands.append(.tick)
                nextStep = max(nextStep + 1 / state.passesPerSecond, now())
            }
            for answer in planner.takeAnswers() where answer.pane < state.panes.count {
                state.panes[answer.pane] = update(state.panes[answer.pane], answer.command, snapshots[answer.pane]).0
                dirty = true
            }

            for command in commands {
                let wasRunning = state.isRunning
                let (newState, effects) = updateComparison(state, command, snapshots)
                if newState != state { dirty = true }
                state = newState
                if state.isRunning && !wasRunning { nextStep = now() + 1 / state.passesPerSecond }
                for effect in effects {
                    if effect.effect == .quit { return .quit }
                    if case .computePlan(let request) = effect.effect {
                        planner.start(drivers[effect.pane].startPlan, request: request, pane: effect.pane)
                        continue
                    }
                    if effect.effect == .screenshot {
                        state.message = "screenshots (s) are taken in watch without --compare, or with defragscope snapshot"
                        dirty = true
                        continue
                    }
                    let failure: (any Error)?
                    let frame = state
                    switch PassWait.carryOut(effect.effect, on: drivers[effect.pane], screen: screen, keys: &keys, keyMap: options.keyMap, whileSlow: {
                        // A pass that takes a while says so (it runs on a thread of its own, so q is heard).
                        var busy = frame
                        busy.message = "a pass is running… (q quits)"
                        screen.draw(renderComparison(snapshots, busy))
                    }) {
                    case .success(let error): failure = error
                    case .failure(let ending): return ending.exit
                    }
                    if let failure {
                        state.message = "\(SessionComparison.labels(for: snapshots.map(\.configuration))[effect.pane]): \(failure)"
                        state.isRunning = false
                    } else {
                        state.message = nil
                    }
                    snapshots[effect.pane] = drivers[effect.pane].snapshot
                    dirty = true
                }
            }
        }
    }
}
