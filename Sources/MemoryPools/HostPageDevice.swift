// Synthetic pages: bytes in RAM. The in-memory twin of VulkanPageDevice.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pages as plain host memory.
public final class HostPageDevice: MappedPageDevice {
    private var pages: [Int: UnsafeMutableRawBufferPointer] = [:]
    /// A page that cannot be created, for fault tests: `createPage` throws for these page ids.
    public var failingPages: Set<Int> = []
    /// Fails every page creation once this many pages exist (nil: no limit), for fault tests.
    public var maxPages: Int?
    /// Refuses a page that would take the pages' bytes above this many (nil: no limit), setting
    /// ``exceededByteLimit``: so a pool too large for the machine is found while it is built, before its
    /// pages hold bytes (a page's memory is only reserved until something is written to it).
    public var byteLimit: Int?
    /// A page was refused for ``byteLimit``.
    public private(set) var exceededByteLimit = false

    public init() {}

    deinit {
        for (_, page) in pages { free(page.baseAddress) }
    }

    public var name: String { "host memory" }
    public var storesBytes: Bool { true }
    /// Pages that exist now.
    public var pageCount: Int { pages.count }
    /// Bytes of all pages that exist now.
    public private(set) var bytesInUse = 0

    public func createPage(_ page: Int, size: Int) throws {
        if failingPages.contains(page) || (maxPages.map { pages.count >= $0 } ?? false) {
            throw PageDeviceError("host memory: cannot create page \(page) of \(size) bytes (refused for this run)")
        }
        guard pages[page] == nil else { throw PageDeviceError("host memory: page \(page) exists already") }
        if let byteLimit, size > byteLimit - bytesInUse {
            exceededByteLimit = true
            throw PageDeviceError("host memory: page \(page) of \(size) bytes would take the pages above \(byteLimit) bytes")
        }
        // posix_memalign rather than allocate(byteCount:alignment:), which stops the process when memory runs out.
        var memory: UnsafeMutableRawPointer?
        guard size > 0, posix_memalign(&memory, 64, size) == 0, let memory else {
            throw PageDeviceError("host memory: cannot allocate page \(page) of \(size) bytes")
        }
        pages[page] = UnsafeMutableRawBufferPointer(start: memory, count: size)
        bytesInUse += size
    }

    public func destroyPage(_ page: Int) {
        guard let memory = pages.removeValue(forKey: page) else { return }
        free(memory.baseAddress)
        bytesInUse -= memory.count
    }

    public func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {}
    public func unbindAllocation(_ allocation: Int) {}

    /// True: a content write reads the page table and writes its own bytes (a page's first touch of its
    /// memory, the kernel's page faults, is most of the cost of building a pool, and spreads over cores).
    public var writesPagesConcurrently: Bool { true }

    public var errorPrefix: String { "host memory" }
    public func mappedBytes(ofPage page: Int) -> UnsafeMutableRawBufferPointer? { pages[page] }

    public func copy(_ copies: [PageCopy]) throws {
        for c in copies {
            let source = try mappedRange(c.sourcePage, c.sourceOffset, c.size)
            let destination = try mappedRange(c.destinationPage, c.destinationOffset, c.size)
            if c.size > 0 { memmove(destination.baseAddress!, source.baseAddress!, c.size) }
        }
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
