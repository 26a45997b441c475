// Several runs from one start state: each configuration of a comparison gets a session of its own, built
// from the same input, run to its end; what each did is kept as a result with its convergence curve.
import Defragmentation
import MemoryPools

/// One point of a run's convergence: the state after a pass (pass 0 is the start).
public struct ConvergencePoint: Hashable, Sendable {
    public var pass: Int
    /// Bytes moved by this pass and every earlier one.
    public var cumulativeBytesMoved: Int
    public var pages: Int
    public var nonEmptyPages: Int

    public init(pass: Int, cumulativeBytesMoved: Int, pages: Int, nonEmptyPages: Int) {
        self.pass = pass
        self.cumulativeBytesMoved = cumulativeBytesMoved
        self.pages = pages
        self.nonEmptyPages = nonEmptyPages
    }
}

/// What one configuration of a comparison did, from its start to its end.
public struct ComparisonRun: Hashable, Sendable {
    /// The configuration's name in tables and legends (``SessionComparison/labels(for:)``).
    public var label: String
    public var configuration: EngineConfiguration
    public var backendName: String
    public var passes: Int
    /// Moves made (every operation: copy, ignore, destroy).
    public var moves: Int
    /// The engine's statistics over the run (bytes and allocations moved, pages freed).
    public var stats: DefragmentationStats
    public var metricsAtStart: Metrics
    public var metricsAtEnd: Metrics
    /// The time the engine spent collecting moves, summed over the passes.
    public var planningSeconds: Double
    /// Pass errors over the run (device failures, refused moves).
    public var errors: Int
    /// Pass 0 (the start) and one point per pass.
    public var curve: [ConvergencePoint]

    public init(label: String, configuration: EngineConfiguration, backendName: String, passes: Int, moves: Int,
                stats: DefragmentationStats, metricsAtStart: Metrics, metricsAtEnd: Metrics, planningSeconds: Double, errors: Int,
                curve: [ConvergencePoint]) {
        self.label = label
        self.configuration = configuration
        self.backendName = backendName
        self.passes = passes
        self.moves = moves
        self.stats = stats
        self.metricsAtStart = metricsAtStart
        self.metricsAtEnd = metricsAtEnd
        self.planningSeconds = planningSeconds
        self.errors = errors
        self.curve = curve
    }
}

/// Runs several configurations over one input, one after the other, each in a session of its own.
public enum SessionComparison {
    /// Every algorithm × dialect × budget, in that nesting order (algorithms outermost), without repeats.
    public static func crossProduct(algorithms: [Algorithm], dialects: [Dialect],
                                    budgets: [(bytes: Int, allocations: Int)]) -> [EngineConfiguration] {
        var result: [EngineConfiguration] = []
        for algorithm in algorithms {
            for dialect in dialects {
                for budget in budgets {
                    let c = EngineConfiguration(algorithm: algorithm, dialect: dialect, maxPassBytes: budget.bytes, maxPassAllocations: budget.allocations)
                    if !result.contains(c) { result.append(c) }
                }
            }
        }
        return result
    }

    /// Names for `configurations` that say only what differs between them: the algorithm always, the
    /// dialect (`full@vma`) when the dialects differ, the budget (`full 64 MiB / 256`) when the budgets differ.
    public static func labels(for configurations: [EngineConfiguration]) -> [String] {
        let dialects = Set(configurations.map(\.dialect)).count > 1
        let budgets = Set(configurations.map(\.budgetDescription)).count > 1
        return configurations.map { c in
            var label = c.algorithm.rawValue
            if dialects { label += "@\(c.dialect.rawValue)" }
            if budgets { label += " \(c.budgetDescription)" }
            return label
        }
    }

    /// Builds a session for each configuration with `makeSession`, runs it to its end, and keeps what it
    /// did. Each session is dropped before the next is built, so they may share one device.
    ///
    /// Inlinable so that the caller's device type is known where the sessions step (see `writeRunReport`).
    /// - Parameter resultReady: called with each result as soon as its run ends.
    /// - Throws: what building a session or a pass throws (a verification failure, a device error).
    @inlinable
    public static func run<D: PageDevice>(_ configurations: [EngineConfiguration],
                                          makeSession: (EngineConfiguration) throws -> DefragSession<D>,
                                          resultReady: (ComparisonRun) throws -> Void = { _ in }) throws -> [ComparisonRun] {
        let labels = labels(for: configurations)
        var results: [ComparisonRun] = []
        for (configuration, label) in zip(configurations, labels) {
            let result = try runOne(try makeSession(configuration), label: label)
            try resultReady(result)
            results.append(result)
        }
        return results
    }

    /// Runs `session` to its end (from where it is) and sums up what it did.
    @inlinable
    public static func runOne<D: PageDevice>(_ session: DefragSession<D>, label: String) throws -> ComparisonRun {
        let start = session.metricsAtStart
        var curve = [ConvergencePoint(pass: 0, cumulativeBytesMoved: 0, pages: start.pages, nonEmptyPages: start.nonEmptyPages)]
        var moves = 0, errors = 0, planning = 0.0
        while let report = try session.step() {
            moves += report.moves.count
            errors += report.errors.count
            planning += report.planningSeconds
            curve.append(ConvergencePoint(pass: report.number, cumulativeBytesMoved: (curve.last?.cumulativeBytesMoved ?? 0) + report.stats.bytesMoved,
                                          pages: report.metricsAfter.pages, nonEmptyPages: report.metricsAfter.nonEmptyPages))
        }
        return ComparisonRun(label: label, configuration: session.configuration, backendName: session.backendName,
                                passes: curve.count - 1, moves: moves, stats: session.runStats,
                                metricsAtStart: start, metricsAtEnd: session.metrics, planningSeconds: planning, errors: errors, curve: curve)
    }
}
