// Synthetic pages: bytes in RAM. The in-memory twin of VulkanPageDevice.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pages as plain host memory.
public final class HostPageDevice: PageDevice {
    private var pages: [Int: UnsafeMutableRawBufferPointer] = [:]
    /// A page that cannot be created, for fault tests: `createPage` throws for these page ids.
    public var failingPages: Set<Int> = []
    /// Fails every page creation once this many pages exist (nil: no limit), for fault tests.
    public var maxPages: Int?

    public init() {}

    deinit {
        for (_, page) in pages { page.deallocate() }
    }

    public var name: String { "host memory" }
    public var storesBytes: Bool { true }
    /// Pages that exist now.
    public var pageCount: Int { pages.count }
    /// Bytes of all pages that exist now.
    public var bytesInUse: Int { pages.values.reduce(0) { $0 + $1.count } }

    public func createPage(_ page: Int, size: Int) throws {
        if failingPages.contains(page) || (maxPages.map { pages.count >= $0 } ?? false) {
            throw PageDeviceError("host memory: cannot create page \(page) of \(size) bytes (refused for this run)")
        }
        precondition(pages[page] == nil, "host memory: page \(page) exists already")
        pages[page] = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    }

    public func destroyPage(_ page: Int) {
        pages.removeValue(forKey: page)?.deallocate()
    }

    public func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {}
    public func unbindAllocation(_ allocation: Int) {}

    private func range(_ page: Int, _ offset: Int, _ size: Int) throws -> UnsafeMutableRawBufferPointer {
        guard let memory = pages[page] else { throw PageDeviceError("host memory: page \(page) does not exist") }
        guard offset >= 0, size >= 0, offset + size <= memory.count else {
            throw PageDeviceError("host memory: range \(offset)+\(size) is outside page \(page) of \(memory.count) bytes")
        }
        return UnsafeMutableRawBufferPointer(rebasing: memory[offset..<offset + size])
    }

    public func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws {
        let target = try range(page, offset, bytes.count)
        if bytes.count > 0 { target.copyMemory(from: bytes) }
    }

    public func read(page: Int, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        let source = try range(page, offset, buffer.count)
        if buffer.count > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(source)) }
    }

    public func copy(_ copies: [PageCopy]) throws {
        for c in copies {
            let source = try range(c.sourcePage, c.sourceOffset, c.size)
            let destination = try range(c.destinationPage, c.destinationOffset, c.size)
            if c.size > 0 { memmove(destination.baseAddress!, source.baseAddress!, c.size) }
        }
    }

    public func checksum(page: Int, offset: Int, size: Int) throws -> UInt64 {
        PageChecksum.compute(UnsafeRawBufferPointer(try range(page, offset, size)))
    }
}

/// A device that keeps no bytes: only the metadata is exercised. For planning benchmarks.
public final class MetadataOnlyPageDevice: PageDevice {
    public init() {}
    public var name: String { "metadata only" }
    public var storesBytes: Bool { false }
    public func createPage(_ page: Int, size: Int) throws {}
    public func destroyPage(_ page: Int) {}
    public func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {}
    public func unbindAllocation(_ allocation: Int) {}
    public func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws {}
    public func read(page: Int, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {}
    public func copy(_ copies: [PageCopy]) throws {}
    public func checksum(page: Int, offset: Int, size: Int) throws -> UInt64 { 0 }
}
