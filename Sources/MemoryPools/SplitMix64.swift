// The project's one seeded generator. It lives here, below Workloads and DefragSession, because both draw
// from it: scenarios draw workloads, a session draws the answers of its fault plan.

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, good enough to draw workloads, same on every platform.
/// The one seeded generator of the project: scenarios, fault plans and the tests use it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// Seeds from the scenario name (FNV-1a) and the user's seed, so scenarios differ for the same seed.
    public init(scenario: String, seed: Int) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in scenario.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        state = hash ^ (UInt64(bitPattern: Int64(seed)) &* 0x9e37_79b9_7f4a_7c15)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in `range` (multiply-high, no modulo bias worth the name).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(span.multipliedFullWidth(by: next()).high)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
