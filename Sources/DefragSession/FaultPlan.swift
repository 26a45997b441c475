// Seeded fault injection: the consumer's answers to moves, for tests and demos.
import Defragmentation

/// How a session answers moves besides copying them: a seeded share of moves fail in the handler, are
/// ignored (their page becomes immovable) or destroyed.
public struct FaultPlan: Hashable, Sendable {
    /// Share of moves whose handler throws (0…1).
    public var failureRate: Double
    /// Share of moves answered with `.ignore`.
    public var ignoreRate: Double
    /// Share of moves answered with `.destroy`.
    public var destroyRate: Double
    public var seed: UInt64
    /// Specific allocation ids always answered with `.ignore` (for the guided demo).
    public var ignoredIDs: Set<Int>

    public init(failureRate: Double = 0, ignoreRate: Double = 0, destroyRate: Double = 0, seed: UInt64 = 1, ignoredIDs: Set<Int> = []) {
        self.failureRate = failureRate
        self.ignoreRate = ignoreRate
        self.destroyRate = destroyRate
        self.seed = seed
        self.ignoredIDs = ignoredIDs
    }

    enum Answer { case copy, ignore, destroy, fail }
}

/// A move the handler was told to fail.
public struct InjectedFault: Error, CustomStringConvertible {
    public var id: Int
    public var description: String { "injected handler failure for allocation \(id)" }
}
