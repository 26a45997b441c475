// `bench --session`: what a user of `watch` waits for. The time from start to the first rendered frame
// (reading the input, building the pools, a snapshot and a 200×60 render, each timed as a phase), then per step the pass, the
// snapshot and a 200×60 render, and the process's peak resident memory.
import DefragSession
import Dispatch
import Foundation
import MemoryPools
import Reports
import Visualizer
import Workloads
#if canImport(Glibc)
import Glibc
#endif

public enum SessionBenchmark {
    /// The `bench --session --json` record.
    public struct Result: Codable, Hashable, Sendable {
        public var session = true
        public var input: String
        public var backend: String
        public var width: Int
        public var height: Int
        /// From the start of the command to the first rendered frame.
        public var loadSeconds: Double
        /// One step: the pass, the snapshot and the render.
        public var stepSecondsMedian: Double
        public var stepSecondsMin: Double
        public var stepSecondsMax: Double
        public var steps: Int
        public var peakRSSBytes: Int
        /// Where `loadSeconds` went.
        public var loadPhases: LoadPhases

        /// The figures as `bench --session` prints them.
        public var line: String {
            String(format: "session: %@ on %@: load %.3f s (input %.3f, pools %.3f, session %.3f, snapshot %.3f, render %.3f), "
                   + "step %.4f s median (min %.4f, max %.4f, %d steps with a %d×%d render), peak RSS %@",
                   input, backend, loadSeconds, loadPhases.inputSeconds, loadPhases.poolsSeconds, loadPhases.sessionSeconds,
                   loadPhases.snapshotSeconds, loadPhases.renderSeconds, stepSecondsMedian, stepSecondsMin, stepSecondsMax, steps,
                   width, height, ByteFormat.short(peakRSSBytes))
        }
    }

    /// The parts of the load time, in the order they happen; they add up to `loadSeconds`.
    public struct LoadPhases: Codable, Hashable, Sendable {
        /// Reading and parsing the input.
        public var inputSeconds: Double
        /// Choosing the device and building the pools on it (the replay and the allocations' contents).
        public var poolsSeconds: Double
        /// The rest of the session's start: the engines' set-up and the start layout.
        public var sessionSeconds: Double
        /// The first snapshot.
        public var snapshotSeconds: Double
        /// The first 200×60 render.
        public var renderSeconds: Double

        public init(inputSeconds: Double = 0, poolsSeconds: Double = 0, sessionSeconds: Double = 0, snapshotSeconds: Double = 0,
                    renderSeconds: Double = 0) {
            self.inputSeconds = inputSeconds
            self.poolsSeconds = poolsSeconds
            self.sessionSeconds = sessionSeconds
            self.snapshotSeconds = snapshotSeconds
            self.renderSeconds = renderSeconds
        }
    }

    /// An uptime in nanoseconds, for ``run(title:configuration:started:phases:maxSteps:width:height:makePools:)``.
    public static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    static func seconds(from start: UInt64, to end: UInt64) -> Double { Double(end - start) / 1e9 }

    /// The process's peak resident set (getrusage's ru_maxrss, KiB on Linux).
    public static func peakRSSBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// Starts a session on the pools `makePools` gives (its first call builds nothing when the caller built
    /// them ahead), renders the first frame, then steps up to `maxSteps` times (fewer when the run finishes),
    /// rendering after each step.
    /// - Parameters:
    ///   - started: an uptime in nanoseconds (``now()``) taken before the input was read.
    ///   - phases: the input's and the pools' seconds, when they were spent before this call (the rest is measured here).
    public static func run<D: PageDevice>(title: String, configuration: EngineConfiguration, started: UInt64, phases: LoadPhases,
                                          maxSteps: Int, width: Int = 200, height: Int = 60,
                                          makePools: @escaping () throws -> [MemoryPool<D>]) throws -> Result {
        var phases = phases
        let sessionStart = now()
        var poolsNanoseconds: UInt64 = 0
        let session = try DefragSession(title: title, configuration: configuration) {
            let start = now()
            defer { poolsNanoseconds += now() - start }
            return try makePools()
        }
        let sessionEnd = now()
        phases.poolsSeconds += Double(poolsNanoseconds) / 1e9
        phases.sessionSeconds = Double(sessionEnd - sessionStart - poolsNanoseconds) / 1e9
        let state = ViewState(width: width, height: height)
        let snapshot = session.snapshot()
        let snapshotEnd = now()
        var checksum = frame(snapshot, state, width, height)
        let loaded = now()
        phases.snapshotSeconds = seconds(from: sessionEnd, to: snapshotEnd)
        phases.renderSeconds = seconds(from: snapshotEnd, to: loaded)
        var times: [Double] = []
        while times.count < max(1, maxSteps) {
            let start = now()
            let report = try session.step()
            checksum &+= frame(session.snapshot(), state, width, height)
            times.append(seconds(from: start, to: now()))
            if report == nil || session.isFinished { break }
        }
        precondition(checksum != -1)
        let spread = RunSpread(times)
        return Result(input: title, backend: session.backendName, width: width, height: height,
                      loadSeconds: seconds(from: started, to: loaded), stepSecondsMedian: spread.median,
                      stepSecondsMin: spread.min, stepSecondsMax: spread.max, steps: times.count,
                      peakRSSBytes: peakRSSBytes(), loadPhases: phases)
    }

    /// A snapshot and its render; returns a cell's scalar so the work cannot be dropped.
    private static func frame(_ snapshot: SessionSnapshot, _ state: ViewState, _ width: Int, _ height: Int) -> Int {
        let canvas = render(snapshot, state, width: width, height: height)
        return Int(canvas[width / 2, height / 2].scalar.value)
    }
}
