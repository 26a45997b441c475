// Replaying a trace into a pool: what is live at the end is what gets defragmented.
import Foundation
import MemoryMetadata
import MemoryPools

extension Trace {
    /// The file name without its folders (or the scenario name), for headers and pool names.
    public var displayName: String { (name as NSString).lastPathComponent }

    /// Applies every operation of the trace to `pool`, in order. A pool error (a page the device cannot
    /// create, say) is reported with the trace's file and line; the pool stays valid.
    public func replay<Device: PageDevice>(into pool: MemoryPool<Device>) throws {
        for operation in operations {
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
    }

    /// A new pool with this trace's page size, filled by replaying the trace.
    public func makePool<Device: PageDevice>(device: Device, options: PoolOptions? = nil) throws -> MemoryPool<Device> {
        var settings = options ?? PoolOptions(pageSize: blockSize)
        settings.pageSize = blockSize
        let pool = MemoryPool(options: settings, device: device, name: displayName)
        try replay(into: pool)
        return pool
    }
}
