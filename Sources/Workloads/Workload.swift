// A loaded input (a trace, a built-in scenario's trace, or a VMA dump) and the pools it builds.
import MemoryPools

/// What to defragment, as loaded from the command line's input.
public enum Workload: Sendable {
    case trace(Trace)
    /// Every default and custom pool of the dump is a pool of its own; dedicated allocations are pools of
    /// full pages that never move (VMADump+Pools.swift).
    case dump(VMADump)

    /// The input's name for headers and messages.
    public var title: String {
        switch self {
        case .trace(let t): return t.displayName
        case .dump(let d): return d.displayName
        }
    }

    /// How many steps building the pools takes (a trace's operations, a dump's allocations), for progress.
    public var buildSteps: Int {
        switch self {
        case .trace(let t): return t.operations.count
        case .dump(let d): return d.allocationCount
        }
    }

    /// Builds the pools in their starting state on `device`.
    /// - Parameters:
    ///   - device: the device the pools' pages are made on.
    ///   - keepBytes: fill every allocation with its byte pattern so moves can be verified.
    ///   - progress: called now and then with (steps done, ``buildSteps``); throwing from it stops the build
    ///     (the pools built so far are released) and the error is rethrown.
    public func makePools<D: PageDevice>(device: D, keepBytes: Bool = true,
                                         progress: ((Int, Int) throws -> Void)? = nil) throws -> [MemoryPool<D>] {
        switch self {
        case .trace(let trace):
            var options = PoolOptions(pageSize: trace.blockSize)
            options.verifiesBytes = keepBytes
            return [try trace.makePool(device: device, options: options, progress: progress)]
        case .dump(let dump):
            try progress?(0, dump.allocationCount)
            let pools = try dump.makePools(device: device, verifiesBytes: keepBytes)
            try progress?(dump.allocationCount, dump.allocationCount)
            return pools
        }
    }
}
