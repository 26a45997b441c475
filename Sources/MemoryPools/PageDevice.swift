// The memory a pool's pages live in. Two implementations share this protocol, as swift-nio's embedded and
// POSIX event loops do: HostPageDevice (bytes in RAM) here, VulkanPageDevice (VkDeviceMemory) in its own
// module. MetadataPageDevice keeps content tokens instead of bytes (pools larger than memory);
// MetadataOnlyPageDevice keeps nothing at all, for planning benchmarks.
import CByteKernels

/// One copy of a pass: an allocation's bytes from where it was to its temporary destination.
public struct PageCopy: Hashable, Sendable {
    /// The pool's id of the allocation that moves (bound at the source).
    public var sourceAllocation: Int
    /// The pool's id of the temporary destination allocation (bound at the destination).
    public var destinationAllocation: Int
    public var sourcePage: Int
    public var sourceOffset: Int
    public var destinationPage: Int
    public var destinationOffset: Int
    public var size: Int

    public init(sourceAllocation: Int, destinationAllocation: Int, sourcePage: Int, sourceOffset: Int,
                destinationPage: Int, destinationOffset: Int, size: Int) {
        self.sourceAllocation = sourceAllocation
        self.destinationAllocation = destinationAllocation
        self.sourcePage = sourcePage
        self.sourceOffset = sourceOffset
        self.destinationPage = destinationPage
        self.destinationOffset = destinationOffset
        self.size = size
    }
}

/// Errors a device reports; each names what failed.
public struct PageDeviceError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Where pages live and how their bytes are written, read, copied and checksummed.
///
/// Pages and allocations are named by the pool's ids (a page's creation ordinal, an allocation's id), so a
/// device needs no handles of its own in the pool. Every method may throw a device error; the pool keeps its
/// metadata valid when one does.
public protocol PageDevice: AnyObject {
    /// What to show in a header: "host memory", or the Vulkan device's name.
    var name: String { get }
    /// Whether pages hold real bytes (false for a metadata-only device: no writes, copies or checks).
    var storesBytes: Bool { get }
    /// Creates page `page` of `size` bytes.
    func createPage(_ page: Int, size: Int) throws
    /// Releases page `page` and everything bound in it.
    func destroyPage(_ page: Int)
    /// An allocation was placed at `offset` in `page` (Vulkan binds a buffer there).
    func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws
    /// An allocation was freed or moved away from where it was bound.
    func unbindAllocation(_ allocation: Int)
    /// Writes `bytes` at `offset` of `page`.
    func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws
    /// Reads `buffer.count` bytes at `offset` of `page`.
    func read(page: Int, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws
    /// Performs one pass's copies together (Vulkan: one command buffer, one submit, one fence wait).
    /// Destinations never overlap sources of the same batch.
    func copy(_ copies: [PageCopy]) throws
    /// ``PageChecksum`` of `size` bytes at `offset` of `page`.
    func checksum(page: Int, offset: Int, size: Int) throws -> UInt64
    /// Writes allocation `id`'s content at `offset..<offset + size` of `page` and returns the checksum
    /// ``checksum(page:offset:size:)`` gives for it while it is intact: a device of addressable bytes
    /// (``MappedPageDevice``) writes the allocation's ``AllocationPattern`` in place, a device of tokens a
    /// token. nil (the default): the pool makes the pattern and hands it to ``write(page:offset:bytes:)``.
    func writeContent(ofAllocation id: Int, page: Int, offset: Int, size: Int) throws -> UInt64?
    /// Whether ``writeContent(ofAllocation:page:offset:size:)`` writes content (never returns nil) and may
    /// run for different pages on several threads at once, while nothing else uses the device. False (the
    /// default): one call at a time.
    var writesPagesConcurrently: Bool { get }
}

extension PageDevice {
    public func writeContent(ofAllocation id: Int, page: Int, offset: Int, size: Int) throws -> UInt64? { nil }
    public var writesPagesConcurrently: Bool { false }
}

/// A device whose pages are bytes the process can address: host memory, or persistently mapped Vulkan
/// memory. Writing, reading and checksumming are then the same for every such device.
public protocol MappedPageDevice: PageDevice {
    /// A short prefix for error messages ("host memory", "vulkan").
    var errorPrefix: String { get }
    /// The bytes of page `page`, or nil when it does not exist.
    func mappedBytes(ofPage page: Int) -> UnsafeMutableRawBufferPointer?
}

extension MappedPageDevice {
    /// The bytes `offset..<offset + size` of `page`; throws naming the page and the range when they are not there.
    public func mappedRange(_ page: Int, _ offset: Int, _ size: Int) throws -> UnsafeMutableRawBufferPointer {
        guard let bytes = mappedBytes(ofPage: page) else { throw PageDeviceError("\(errorPrefix): page \(page) does not exist") }
        guard offset >= 0, size >= 0, offset <= bytes.count - size else {
            throw PageDeviceError("\(errorPrefix): range \(offset)+\(size) is outside page \(page) of \(bytes.count) bytes")
        }
        return UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<offset + size])
    }

    public func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws {
        let target = try mappedRange(page, offset, bytes.count)
        if bytes.count > 0 { target.copyMemory(from: bytes) }
    }

    public func read(page: Int, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        let source = try mappedRange(page, offset, buffer.count)
        if buffer.count > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(source)) }
    }

    public func checksum(page: Int, offset: Int, size: Int) throws -> UInt64 {
        PageChecksum.compute(UnsafeRawBufferPointer(try mappedRange(page, offset, size)))
    }

    /// The pattern written straight into the page and hashed as it is written: one pass over the bytes
    /// (instead of making it aside, copying it in and reading it again).
    public func writeContent(ofAllocation id: Int, page: Int, offset: Int, size: Int) throws -> UInt64? {
        AllocationPattern.fillReturningChecksum(try mappedRange(page, offset, size), id: id)
    }
}

/// The checksum every device computes the same way: 64-bit FNV-1a over 8-byte little-endian words, then
/// over the remaining bytes. Fast enough to verify every live byte after every pass.
public enum PageChecksum {
    public static let seed: UInt64 = 0xcbf2_9ce4_8422_2325

    public static func compute(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard let base = bytes.baseAddress else { return seed }
        return dscope_checksum(base, bytes.count, seed)
    }
}

/// The bytes every allocation is filled with when it is made: a stream derived from its id, so a misplaced
/// or stale byte shows up in the checksum.
public enum AllocationPattern {
    /// Fills `buffer` with the pattern of allocation `id`.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer, id: Int) {
        guard let base = buffer.baseAddress else { return }
        dscope_fill_pattern(base, buffer.count, Int64(id))
    }

    /// Fills `buffer` with the pattern of allocation `id` and returns its ``PageChecksum``.
    public static func fillReturningChecksum(_ buffer: UnsafeMutableRawBufferPointer, id: Int) -> UInt64 {
        guard let base = buffer.baseAddress else { return PageChecksum.seed }
        return dscope_fill_pattern_checksum(base, buffer.count, Int64(id), PageChecksum.seed)
    }

    /// The checksum of allocation `id`'s pattern over `size` bytes.
    public static func checksum(id: Int, size: Int) -> UInt64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        return fillReturningChecksum(buffer, id: id)
    }
}
