// What the engine decided for each allocation it looked at in a pass: reported to an observer that is off
// (nil) unless asked for. With it on the moves are the same: it only reads.

/// The engine's decision for one allocation in one pass.
public enum AllocationDecision: String, Hashable, Sendable, CaseIterable {
    /// A move was collected for it.
    case moved
    /// No other page had a free range as large as it when the pass began (by the pages' free-range bounds),
    /// and it found no lower place in its own page.
    case noDestination
    /// The pass's byte or allocation budget ran out before it or at it.
    case budget
    /// Its page was made immovable by an `ignore` answer.
    case immovable
    /// Another page has a free range as large, but the algorithm's rules keep it here (fast and full move only
    /// to earlier pages, balanced's thresholds, extensive's type order, page 0 is never a source).
    case algorithm
}
