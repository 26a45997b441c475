// The copy benchmark behind `defragscope bench --backend lavapipe`: a pass's copies through Vulkan against
// memcpy of the same bytes in host memory, measured side by side.
import MemoryPools
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes per second of ``VulkanPageDevice/copy(_:)`` against `memcpy`, each the median of several runs.
public struct VulkanCopyThroughput: Sendable, CustomStringConvertible {
    public var deviceName: String
    /// Copies per batch (one `copy(_:)` call, one submit).
    public var copies: Int
    public var bytesPerCopy: Int
    public var runs: Int
    /// Median over the runs of the time of one `copy(_:)` call: recording, one submit, the fence wait.
    public var vulkanSeconds: Double
    /// Median over the runs of the time of `copies` calls of `memcpy` of the same bytes between host buffers.
    public var memcpySeconds: Double
    /// Batch bytes / ``vulkanSeconds``.
    public var vulkanBytesPerSecond: Double { Double(copies * bytesPerCopy) / vulkanSeconds }
    /// Batch bytes / ``memcpySeconds``.
    public var memcpyBytesPerSecond: Double { Double(copies * bytesPerCopy) / memcpySeconds }
    /// Vulkan against memcpy: 1 is as fast.
    public var ratio: Double { vulkanBytesPerSecond / memcpyBytesPerSecond }

    public var description: String {
        func rounded(_ x: Double) -> String { "\((x * 100).rounded() / 100)" }
        return "\(deviceName): \(copies) copies × \(bytesPerCopy) bytes, median of \(runs) runs: "
            + "vulkan \(rounded(vulkanBytesPerSecond / 1e9)) GB/s (\(rounded(vulkanSeconds * 1e6)) µs), "
            + "memcpy \(rounded(memcpyBytesPerSecond / 1e9)) GB/s (\(rounded(memcpySeconds * 1e6)) µs), "
            + "ratio \(rounded(ratio))"
    }
}

extension VulkanPageDevice {
    /// Opens a device (driver messages dropped) and measures ``copyThroughput(copies:bytesPerCopy:runs:)``.
    public static func copyThroughput(deviceNameContains: String? = nil, copies: Int = 16,
                                      bytesPerCopy: Int = 4 << 20, runs: Int = 9) throws -> VulkanCopyThroughput {
        let (device, _) = try openCapturingDriverMessages(deviceNameContains: deviceNameContains)
        return try device.copyThroughput(copies: copies, bytesPerCopy: bytesPerCopy, runs: runs)
    }

    /// Measures a batch of `copies` copies of `bytesPerCopy` bytes each, from one page to another, against
    /// `memcpy` of the same bytes between two host buffers. The runs alternate (Vulkan, then memcpy) after
    /// one warm-up of each, so both see the same machine; every destination is verified afterwards.
    ///
    /// Uses two scratch pages with ids near `Int.min`, destroyed before it returns.
    /// - Throws: ``VulkanError`` or `PageDeviceError` from the device; `PageDeviceError` when a copied
    ///   byte is wrong.
    public func copyThroughput(copies: Int = 16, bytesPerCopy: Int = 4 << 20, runs: Int = 9) throws -> VulkanCopyThroughput {
        precondition(copies > 0 && bytesPerCopy > 0 && runs > 0, "copyThroughput needs positive counts")
        let stride = (bytesPerCopy + 255) & ~255  // every buffer starts aligned
        let pageSize = stride * copies
        let sourcePage = Int.min, destinationPage = Int.min + 1
        try createPage(sourcePage, size: pageSize)
        defer { destroyPage(sourcePage) }
        try createPage(destinationPage, size: pageSize)
        defer { destroyPage(destinationPage) }

        // Host twin of both pages: the source filled with the same patterns, both touched before timing.
        let hostSource = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 256)
        defer { hostSource.deallocate() }
        let hostDestination = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 256)
        defer { hostDestination.deallocate() }
        hostSource.initializeMemory(as: UInt8.self, repeating: 0)
        hostDestination.initializeMemory(as: UInt8.self, repeating: 0)

        var batch: [PageCopy] = []
        for i in 0..<copies {
            let offset = i * stride
            let sourceID = Int.min + 2 * i, destinationID = Int.min + 2 * i + 1
            try bindAllocation(sourceID, page: sourcePage, offset: offset, size: bytesPerCopy)
            try bindAllocation(destinationID, page: destinationPage, offset: offset, size: bytesPerCopy)
            AllocationPattern.fill(UnsafeMutableRawBufferPointer(rebasing: hostSource[offset..<offset + bytesPerCopy]), id: sourceID)
            batch.append(PageCopy(sourceAllocation: sourceID, destinationAllocation: destinationID,
                                  sourcePage: sourcePage, sourceOffset: offset,
                                  destinationPage: destinationPage, destinationOffset: offset, size: bytesPerCopy))
        }
        try write(page: sourcePage, offset: 0, bytes: UnsafeRawBufferPointer(hostSource))
        try write(page: destinationPage, offset: 0, bytes: UnsafeRawBufferPointer(hostDestination))

        func hostCopies() {
            for c in batch {
                memcpy(hostDestination.baseAddress! + c.destinationOffset, hostSource.baseAddress! + c.sourceOffset, c.size)
            }
        }
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        try copy(batch)
        hostCopies()
        var vulkanTimes: [Double] = [], memcpyTimes: [Double] = []
        for _ in 0..<runs {
            var failure: Error?
            vulkanTimes.append(seconds(clock.measure { do { try copy(batch) } catch { failure = error } }))
            if let failure { throw failure }
            memcpyTimes.append(seconds(clock.measure { hostCopies() }))
        }

        for c in batch where try checksum(page: c.destinationPage, offset: c.destinationOffset, size: c.size)
            != AllocationPattern.checksum(id: c.sourceAllocation, size: c.size) {
            throw PageDeviceError("vulkan: the benchmark's copy of allocation \(c.sourceAllocation) arrived wrong")
        }

        func median(_ xs: [Double]) -> Double {
            let s = xs.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        return VulkanCopyThroughput(deviceName: name, copies: copies, bytesPerCopy: bytesPerCopy, runs: runs,
                                    vulkanSeconds: median(vulkanTimes), memcpySeconds: median(memcpyTimes))
    }
}
