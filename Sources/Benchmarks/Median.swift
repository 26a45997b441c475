// The one median every benchmark reports.

/// The median of `values`: the middle one, or the mean of the two middle ones; NaN for no values (which a
/// JSON record then refuses to encode).
public func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Median, smallest and largest of a set of runs.
public struct RunSpread: Hashable, Sendable {
    public var median: Double
    public var min: Double
    public var max: Double

    /// NaN throughout for no values.
    public init(_ values: [Double]) {
        median = Benchmarks.median(values)
        min = values.min() ?? .nan
        max = values.max() ?? .nan
    }
}
