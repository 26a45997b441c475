// A PageDevice on real Vulkan device memory (Mesa's lavapipe by default): the twin of HostPageDevice, so
// one MemoryPool serves both backends. A page is a VkDeviceMemory, mapped for as long as it lives; an
// allocation is a VkBuffer bound at its offset; a pass's copies are one command buffer of vkCmdCopyBuffer,
// one command per (source page, destination page) pair, through a buffer over each whole page.
import MemoryPools

/// Pages as Vulkan device memory.
///
/// A page is one `VkDeviceMemory` of a host-visible, host-coherent memory type, mapped persistently:
/// `write`, `read` and `checksum` go through the mapping. An allocation is one `VkBuffer` (transfer source
/// and destination) bound at its offset in its page, created when the allocation is bound and rebound when
/// it moves. Each page also has one buffer over all of its memory: `copy(_:)` checks every copy against
/// the allocations' buffers, then records the batch into one command buffer as one `vkCmdCopyBuffer` per
/// (source page, destination page) pair with a region per copy, submits it once and waits on a fence.
///
/// Not thread-safe: one pool drives one device. Vulkan failures throw ``VulkanError``; a caller's mistake
/// (an unknown page or allocation, a range outside a page) throws `PageDeviceError`. Every Vulkan object
/// is destroyed on every path; what is left when the device goes away is destroyed by `deinit`.
public final class VulkanPageDevice: MappedPageDevice {
    private struct Page {
        var memory: OpaquePointer
        /// The whole page, mapped.
        var bytes: UnsafeMutableRawBufferPointer
        /// A transfer buffer bound over the whole page, the source or destination of its copies; nil when the
        /// device cannot make one that fits (its copies then go through the allocations' buffers).
        var buffer: OpaquePointer?
        /// Numbers the pages in order of creation, so that a batch's copies sort by page pair cheaply.
        var serial: UInt64
        /// Allocations bound in this page, destroyed with it.
        var allocations: Set<Int> = []
    }

    /// One copy of a batch, between two buffers, as `copy(_:)` records it.
    private struct Span {
        /// Orders the spans so that those between the same two buffers are adjacent: the pages' serials
        /// (source high, destination low); `UInt64.max` for a copy between allocations' buffers.
        var key: UInt64
        var source: OpaquePointer
        var destination: OpaquePointer
        var sourceOffset: Int
        var destinationOffset: Int
        var size: Int
    }

    private struct Binding {
        var buffer: OpaquePointer
        var page: Int
        /// The page's whole-page buffer and serial (copied here so that a copy looks up nothing else).
        var pageBuffer: OpaquePointer?
        var pageSerial: UInt64
        var offset: Int
        var size: Int
        /// Where the allocation starts inside its buffer: 0, unless its offset in the page is not a multiple
        /// of the buffer alignment, in which case the buffer starts at the aligned offset below it.
        var bufferOffset: Int
    }

    private let vulkan: VulkanContext
    private var pages: [Int: Page] = [:]
    private var bindings: [Int: Binding] = [:]
    /// Scratch storage of `copy(_:)`, kept between batches.
    private var spans: [Span] = []
    private var regions = VulkanCopyRegions()
    private var nextPageSerial: UInt64 = 0

    /// Opens a Vulkan device: one instance, one logical device, one queue that can transfer, one command
    /// pool.
    ///
    /// The Vulkan loader reads its environment (`VK_DRIVER_FILES`, …) here. lavapipe prints a warning on
    /// standard error while the device is created: use ``openCapturingDriverMessages(deviceNameContains:)``
    /// to keep it off a terminal UI.
    /// - Parameter deviceNameContains: picks the first physical device whose name contains this text
    ///   (case-insensitive); nil picks the first "llvmpipe" device, else the first device.
    /// - Throws: ``VulkanError``; ``VulkanError/isNoDevice`` is true when there is no driver or device.
    public init(deviceNameContains: String? = nil) throws {
        vulkan = try VulkanContext.open(deviceNameContains: deviceNameContains)
    }

    deinit {
        for page in Array(pages.keys) { destroyPage(page) }
        // `vulkan` goes next and destroys the fence, command buffer, pool, device and instance.
    }

    private var device: OpaquePointer { vulkan.device! }

    /// The physical device's name, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
    public var name: String { vulkan.deviceName }
    public var storesBytes: Bool { true }
    /// Pages that exist now.
    public var pageCount: Int { pages.count }
    /// Allocations bound now (one `VkBuffer` each).
    public var boundAllocationCount: Int { bindings.count }

    // MARK: pages

    public func createPage(_ page: Int, size: Int) throws {
        guard pages[page] == nil else { throw PageDeviceError("vulkan: page \(page) exists already") }
        guard size > 0 else { throw PageDeviceError("vulkan: page \(page) must have a positive size, not \(size)") }
        let what = "\(size) bytes for page \(page)"
        let memory = try vulkanAllocateMemory(device, size: size, memoryType: vulkan.memoryType, context: what)
        var pointer: UnsafeMutableRawPointer?
        do {
            pointer = try vulkanMapMemory(device, memory, size: size, context: what)
            let buffer = try makePageBuffer(memory, size: size, context: "the buffer over page \(page)")
            pages[page] = Page(memory: memory, bytes: UnsafeMutableRawBufferPointer(start: pointer, count: size), buffer: buffer,
                               serial: nextPageSerial)
            nextPageSerial += 1
        } catch {
            if pointer != nil { vulkanUnmapMemory(device, memory) }
            vulkanFreeMemory(device, memory)
            throw error
        }
    }

    /// A transfer buffer over all of `memory`, bound at offset 0; nil when the buffer the device would make
    /// needs more than the page or another memory type.
    private func makePageBuffer(_ memory: OpaquePointer, size: Int, context: @autoclosure () -> String) throws -> OpaquePointer? {
        let buffer = try vulkanCreateTransferBuffer(device, size: size, kind: .pageBuffer, context: context())
        let requirements = vulkanBufferMemoryRequirements(device, buffer)
        guard requirements.size <= size, requirements.memoryTypeBits & (1 << vulkan.memoryType.index) != 0 else {
            vulkanDestroyBuffer(device, buffer, kind: .pageBuffer)
            return nil
        }
        do {
            try vulkanBindBufferMemory(device, buffer, memory, offset: 0, context: context())
        } catch {
            vulkanDestroyBuffer(device, buffer, kind: .pageBuffer)
            throw error
        }
        return buffer
    }

    public func destroyPage(_ page: Int) {
        guard let entry = pages[page] else { return }
        for allocation in entry.allocations { unbindAllocation(allocation) }
        if let buffer = entry.buffer { vulkanDestroyBuffer(device, buffer, kind: .pageBuffer) }
        vulkanUnmapMemory(device, entry.memory)
        vulkanFreeMemory(device, entry.memory)
        pages[page] = nil
    }

    // MARK: allocations

    public func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {
        guard bindings[allocation] == nil else {
            throw PageDeviceError("vulkan: allocation \(allocation) is bound already")
        }
        guard size > 0 else { throw PageDeviceError("vulkan: allocation \(allocation) must have a positive size, not \(size)") }
        _ = try mappedRange(page, offset, size)  // the page exists and holds the allocation
        let pageBytes = pages[page]!.bytes.count
        let what = "allocation \(allocation) of \(size) bytes at offset \(offset) of page \(page)"

        var buffer = try vulkanCreateTransferBuffer(device, size: size, context: what)
        var requirements = vulkanBufferMemoryRequirements(device, buffer)
        var bufferOffset = 0
        if offset % requirements.alignment != 0 {
            // Bind a larger buffer at the aligned offset below, and copy from inside it.
            bufferOffset = offset % requirements.alignment
            vulkanDestroyBuffer(device, buffer)
            buffer = try vulkanCreateTransferBuffer(device, size: bufferOffset + size, context: what)
            requirements = vulkanBufferMemoryRequirements(device, buffer)
        }
        let bindOffset = offset - bufferOffset
        guard bindOffset % requirements.alignment == 0, bindOffset + requirements.size <= pageBytes,
              requirements.memoryTypeBits & (1 << vulkan.memoryType.index) != 0 else {
            vulkanDestroyBuffer(device, buffer)
            throw VulkanError.failure("vkBindBufferMemory", "\(what): the buffer needs \(requirements.size) bytes aligned to \(requirements.alignment) at offset \(bindOffset), which the page of \(pageBytes) bytes cannot give")
        }
        do {
            try vulkanBindBufferMemory(device, buffer, pages[page]!.memory, offset: bindOffset, context: what)
        } catch {
            vulkanDestroyBuffer(device, buffer)
            throw error
        }
        bindings[allocation] = Binding(buffer: buffer, page: page, pageBuffer: pages[page]!.buffer, pageSerial: pages[page]!.serial,
                                       offset: offset, size: size, bufferOffset: bufferOffset)
        pages[page]!.allocations.insert(allocation)
    }

    public func unbindAllocation(_ allocation: Int) {
        guard let binding = bindings.removeValue(forKey: allocation) else { return }
        pages[binding.page]?.allocations.remove(allocation)
        vulkanDestroyBuffer(device, binding.buffer)
    }

    /// Where `allocation` starts inside its buffer (0 unless its offset is not a multiple of the buffer
    /// alignment); nil when it is not bound.
    package func bufferOffset(ofAllocation allocation: Int) -> Int? { bindings[allocation]?.bufferOffset }

    /// The offset alignment a transfer buffer asks for on this device.
    package var bufferAlignment: Int { vulkan.bufferAlignment }

    // MARK: bytes

    public var errorPrefix: String { "vulkan" }
    /// The mapped bytes of `page` (write, read and checksum come from `MappedPageDevice`).
    public func mappedBytes(ofPage page: Int) -> UnsafeMutableRawBufferPointer? { pages[page]?.bytes }

    // MARK: copies

    /// The binding of `allocation`, checked against where the copy expects it.
    @inline(__always)
    private func binding(_ allocation: Int, page: Int, offset: Int, size: Int, role: String) throws -> Binding {
        guard let binding = bindings[allocation] else {
            throw PageDeviceError("vulkan: the \(role) allocation \(allocation) of a copy is not bound")
        }
        guard binding.page == page, binding.offset == offset, size <= binding.size else {
            throw PageDeviceError("vulkan: a copy expects \(role) allocation \(allocation) at page \(page) offset \(offset) with \(size) bytes, but it is bound at page \(binding.page) offset \(binding.offset) with \(binding.size) bytes")
        }
        return binding
    }

    /// Records every copy of the batch into one command buffer, submits it once and waits on a fence.
    ///
    /// Each copy is first checked against the allocations' bindings (both bound where the copy says); then
    /// the copies are grouped by (source page, destination page) and each group is one `vkCmdCopyBuffer`
    /// between the two pages' whole-page buffers with a region per copy (lavapipe spends about 0.1 µs
    /// recording each command, almost nothing recording a region; executing, about 0.1 µs per region
    /// either way). A page without a whole-page buffer copies through the allocations' buffers, a command
    /// per copy. Nothing is submitted when a copy names an allocation that is not bound where the copy says.
    public func copy(_ copies: [PageCopy]) throws {
        spans.removeAll(keepingCapacity: true)
        spans.reserveCapacity(copies.count)
        for c in copies where c.size > 0 {
            let source = try binding(c.sourceAllocation, page: c.sourcePage, offset: c.sourceOffset, size: c.size, role: "source")
            let destination = try binding(c.destinationAllocation, page: c.destinationPage, offset: c.destinationOffset, size: c.size, role: "destination")
            if let sourcePage = source.pageBuffer, let destinationPage = destination.pageBuffer {
                spans.append(Span(key: source.pageSerial << 32 | (destination.pageSerial & 0xffff_ffff),
                                  source: sourcePage, destination: destinationPage,
                                  sourceOffset: c.sourceOffset, destinationOffset: c.destinationOffset, size: c.size))
            } else {
                spans.append(Span(key: .max, source: source.buffer, destination: destination.buffer,
                                  sourceOffset: source.bufferOffset, destinationOffset: destination.bufferOffset, size: c.size))
            }
        }
        guard !spans.isEmpty else { return }
        // Within a pass no destination overlaps any source, so the copies may run in any order.
        spans.sort { $0.key < $1.key }

        let commandBuffer = vulkan.commandBuffer!, fence = vulkan.fence!
        try vulkanBeginCommandBuffer(commandBuffer)
        var start = 0
        while start < spans.count {
            let source = spans[start].source, destination = spans[start].destination
            regions.removeAll()
            var end = start
            while end < spans.count, spans[end].source == source, spans[end].destination == destination {
                regions.append(sourceOffset: spans[end].sourceOffset, destinationOffset: spans[end].destinationOffset, size: spans[end].size)
                end += 1
            }
            regions.record(commandBuffer, source: source, destination: destination)
            start = end
        }
        vulkanCmdTransferToHostBarrier(commandBuffer)
        try vulkanEndCommandBuffer(commandBuffer)
        try vulkanResetFence(device, fence)
        try vulkanQueueSubmit(vulkan.queue!, commandBuffer, fence: fence, context: "\(spans.count) copies")
        try vulkanWaitForFence(device, fence)
    }
}
