// `bench --session`: what a user of `watch` waits for. The time from start to the first rendered frame
// (reading the input, building the pools, a snapshot and a 200×60 render), then per step the pass, the
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

        /// The figures as `bench --session` prints them.
        public var line: String {
            String(format: "session: %@ on %@: load %.3f s, step %.4f s median (min %.4f, max %.4f, %d steps with a %d×%d render), peak RSS %@",
                   input, backend, loadSeconds, stepSecondsMedian, stepSecondsMin, stepSecondsMax, steps, width, height,
                   ByteFormat.short(peakRSSBytes))
        }
    }

    /// The process's peak resident set (getrusage's ru_maxrss, KiB on Linux).
    public static func peakRSSBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// Builds the session for `workload` on `device` (timed from `started`, an uptime in nanoseconds taken
    /// before the input was read), renders the first frame, then steps up to `maxSteps` times (fewer when the
    /// run finishes), rendering after each step.
    public static func run<D: PageDevice>(workload: Workload, device: D, configuration: EngineConfiguration, started: UInt64,
                                          maxSteps: Int, width: Int = 200, height: Int = 60) throws -> Result {
        let session = try DefragSession(title: workload.title, configuration: configuration) {
            try workload.makePools(device: device)
        }
        let state = ViewState(width: width, height: height)
        var checksum = frame(session, state, width, height)
        let loaded = DispatchTime.now().uptimeNanoseconds
        var times: [Double] = []
        while times.count < max(1, maxSteps) {
            let start = DispatchTime.now().uptimeNanoseconds
            let report = try session.step()
            checksum &+= frame(session, state, width, height)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            if report == nil || session.isFinished { break }
        }
        precondition(checksum != -1)
        let spread = RunSpread(times)
        return Result(input: workload.title, backend: session.backendName, width: width, height: height,
                      loadSeconds: Double(loaded - started) / 1e9, stepSecondsMedian: spread.median,
                      stepSecondsMin: spread.min, stepSecondsMax: spread.max, steps: times.count,
                      peakRSSBytes: peakRSSBytes())
    }

    /// A snapshot and its render; returns a cell's scalar so the work cannot be dropped.
    private static func frame<D: PageDevice>(_ session: DefragSession<D>, _ state: ViewState, _ width: Int, _ height: Int) -> Int {
        let canvas = render(session.snapshot(), state, width: width, height: height)
        return Int(canvas[width / 2, height / 2].scalar.value)
    }
}
