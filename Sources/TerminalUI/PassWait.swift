// A pass on a large pool takes seconds (planning, copying and verifying a million allocations). The event
// loops run it on a thread of their own and go on reading keys meanwhile, so a quit (q, a signal, the
// terminal gone) is heard at once, not after the pass. Other keys typed meanwhile are kept, in order, for
// after the pass.
import Dispatch
import Foundation
import Visualizer
#if canImport(Glibc)
import Glibc
#endif

enum PassWait {
    enum Outcome {
        /// The work ended; its error if it threw.
        case finished((any Error)?)
        case quit
        case signal(Int32)
        case terminalGone
    }

    /// How long a pass may take before the loop says it is running (shorter ones, such as every pass of an
    /// auto-run on a small pool, never flash a message).
    static let quietMilliseconds = 120

    /// Runs `work` on a thread of its own and waits for it, reading keys meanwhile.
    /// - Parameters:
    ///   - work: the pass (it must not touch the screen or read keys: resets, which draw their own loading
    ///     frame, stay on the loop's thread).
    ///   - whileSlow: called once, on this thread, when the work outlasts ``quietMilliseconds``: draw a frame
    ///     saying it runs.
    /// - Returns: how the wait ended. On a quit or signal the work is left running: the program is ending,
    ///   and the caller must not use what the work uses.
    static func perform(_ work: @escaping () throws -> Void, screen: Screen, keys: inout KeyWait, keyMap: KeyMap,
                        whileSlow: () -> Void) -> Outcome {
        let job = Job(work)
        let thread = Thread { job.run() }
        // The engine's walk and the byte checks recurse little, but pools of a million allocations are
        // large: give the pass the main thread's stack size rather than a worker's default.
        thread.stackSize = 8 << 20
        thread.start()
        if job.done.wait(timeout: .now() + .milliseconds(quietMilliseconds)) == .success { return .finished(job.error) }
        whileSlow()
        var held: [Key] = []
        defer { keys.putBack(held) }
        while true {
            let signal = screen.takeSignal()
            if signal != 0 { return .signal(signal) }
            switch keys.next(waitingUpTo: 20, keyMap: keyMap) {
            case .quit: return .quit
            case .terminalGone: return .terminalGone
            case .timeout: break
            case .key(let key):
                if keyMap.command(for: key) == .quit { return .quit }
                if case .resize = key { screen.invalidate() }
                held.append(key)
            }
            if job.done.wait(timeout: .now()) == .success { return .finished(job.error) }
        }
    }

    /// Carries out `effect` on `driver` for an event loop: a step on a thread of its own (``perform(_:screen:keys:keyMap:whileSlow:)``),
    /// anything else here (a reset draws its own loading frame and hears q itself).
    /// - Returns: `.success` with the error to show (nil when it went well), or `.failure` with how the
    ///   program ends.
    static func carryOut(_ effect: Effect, on driver: SessionDriver, screen: Screen, keys: inout KeyWait, keyMap: KeyMap,
                         whileSlow: () -> Void) -> Result<(any Error)?, Ending> {
        if effect == .step {
            switch perform({ try driver.perform(.step) }, screen: screen, keys: &keys, keyMap: keyMap, whileSlow: whileSlow) {
            case .finished(let error): return .success(error)
            case .quit: return .failure(Ending(exit: .quit))
            case .signal(let number): return .failure(Ending(exit: .signal(number)))
            case .terminalGone: return .failure(Ending(exit: .signal(SIGHUP)))
            }
        }
        do {
            try driver.perform(effect)
            return .success(nil)
        } catch let interrupted as LoadingInterrupted {
            return .failure(Ending(exit: EventLoop.ending(for: interrupted)))
        } catch {
            return .success(error)
        }
    }

    /// How the program ends, when it ends while an effect is carried out.
    struct Ending: Error { var exit: EventLoopExit }

    /// The work and its outcome, shared with its thread: written there before `done` is signalled, read
    /// here after waiting for it (the semaphore orders the two).
    private final class Job: @unchecked Sendable {
        let work: () throws -> Void
        var error: (any Error)?
        let done = DispatchSemaphore(value: 0)

        init(_ work: @escaping () throws -> Void) { self.work = work }

        func run() {
            do { try work() } catch { self.error = error }
            done.signal()
        }
    }
}
