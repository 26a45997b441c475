// Replaying a trace into a pool: what is live at the end is what gets defragmented.
import Foundation
import MemoryMetadata
import MemoryPools

extension Trace {
    /// The file name without its folders (or the scenario name), for headers and pool names.
    public var displayName: String { (name as NSString).lastPathComponent }

    /// Applies every operation of the trace to `pool`, in order. A pool error (a page the device cannot
    /// create, say) is reported with the trace's file and line; the pool stays valid.
    /// - Parameters:
    ///   - pool: the pool to fill.
    ///   - progress: called every few thousand operations with (operations done, all operations); what it
    ///     throws stops the replay and is rethrown (the pool stays valid, partly filled).
    public func replay<Device: PageDevice>(into pool: MemoryPool<Device>, progress: ((Int, Int) throws -> Void)? = nil) throws {
        try progress?(0, operations.count)
        let count = operations.count
        for (index, operation) in operations.enumerated() {
            if let progress, index & 0x3FFF == 0x3FFF { try progress(index + 1, operations.count) }
            // The frees to come, in three stages (``MemoryPool/prepareLookup(ofID:)``).
            if index + 16 < count, case .free(let id, _) = operations[index + 16] { pool.prepareLookup(ofID: id) }
            if index + 8 < count, case .free(let id, _) = operations[index + 8] { pool.prepareFree(ofID: id) }
            if index + 4 < count, case .free(let id, _) = operations[index + 4] { pool.prepareRange(ofID: id) }
            switch operation {
            case .allocate(let id, let size, let alignment, let line):
                do { try pool.allocateSlot(id: id, size: size, alignment: alignment, type: .unknown) } catch {
                    throw WorkloadError(file: name, line: line, message: "cannot allocate \(id): \(error)")
                }
            case .free(let id, let line):
                do { try pool.free(id: id) } catch {
                    throw WorkloadError(file: name, line: line, message: "cannot free \(id): \(error)")
                }
            }
        }
        try progress?(operations.count, operations.count)
    }

    /// A new pool with this trace's page size, filled by replaying the trace. Allocations get their content
    /// when the replay is over (only those still live need it: ``MemoryPool/deferPatterns()``).
    public func makePool<Device: PageDevice>(device: Device, options: PoolOptions? = nil,
                                             progress: ((Int, Int) throws -> Void)? = nil) throws -> MemoryPool<Device> {
        var settings = options ?? PoolOptions(pageSize: blockSize)
        settings.pageSize = blockSize
        let pool = MemoryPool(options: settings, device: device, name: displayName)
        pool.deferPatterns()
        try replay(into: pool, progress: progress)
        // Progress stays at the end meanwhile, but what it throws (a quit typed) is still heard.
        do { try pool.writeDeferredPatterns { try progress?(operations.count, operations.count) } } catch let error as PoolError {
            throw WorkloadError(file: name, message: "cannot write the content of the live allocations: \(error)")
        }
        return pool
    }
}
