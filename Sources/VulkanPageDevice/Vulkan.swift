// Every vk* call of the package lives in this file (as swift-system keeps its syscalls in Syscalls.swift):
// each call has one small wrapper, and a failing VkResult becomes a VulkanError naming the call and the
// result. The rest of the module sees handles as OpaquePointer and never imports CVulkan.
import CVulkan
import Foundation

// MARK: - The ledger of live objects

/// The kinds of Vulkan object the wrappers create.
package enum VulkanObjectKind: String, CaseIterable, Sendable {
    case instance, device, commandPool, commandBuffer, fence, memory, mapping, buffer
    /// A buffer over the whole of a page's memory, the source or destination of that page's copies.
    case pageBuffer
}

/// Counts the Vulkan objects alive in this process, by kind: each wrapper that creates an object counts it
/// up, each that destroys one counts it down, so a test can prove a loop leaks nothing.
package enum VulkanLedger {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counts: [VulkanObjectKind: Int] = [:]

    static func created(_ kind: VulkanObjectKind) { lock.withLock { counts[kind, default: 0] += 1 } }
    static func destroyed(_ kind: VulkanObjectKind) { lock.withLock { counts[kind, default: 0] -= 1 } }

    /// Live objects by kind (kinds with none are left out).
    package static var live: [VulkanObjectKind: Int] { lock.withLock { counts.filter { $0.value != 0 } } }
    /// All live objects.
    package static var totalLive: Int { lock.withLock { counts.values.reduce(0, +) } }
}

// MARK: - Results

/// The name of a `VkResult`, as the specification spells it.
func vulkanResultName(_ result: VkResult) -> String {
    let names: [(VkResult, String)] = [
        (VK_SUCCESS, "VK_SUCCESS"), (VK_NOT_READY, "VK_NOT_READY"), (VK_TIMEOUT, "VK_TIMEOUT"),
        (VK_EVENT_SET, "VK_EVENT_SET"), (VK_EVENT_RESET, "VK_EVENT_RESET"), (VK_INCOMPLETE, "VK_INCOMPLETE"),
        (VK_ERROR_OUT_OF_HOST_MEMORY, "VK_ERROR_OUT_OF_HOST_MEMORY"),
        (VK_ERROR_OUT_OF_DEVICE_MEMORY, "VK_ERROR_OUT_OF_DEVICE_MEMORY"),
        (VK_ERROR_INITIALIZATION_FAILED, "VK_ERROR_INITIALIZATION_FAILED"),
        (VK_ERROR_DEVICE_LOST, "VK_ERROR_DEVICE_LOST"), (VK_ERROR_MEMORY_MAP_FAILED, "VK_ERROR_MEMORY_MAP_FAILED"),
        (VK_ERROR_LAYER_NOT_PRESENT, "VK_ERROR_LAYER_NOT_PRESENT"),
        (VK_ERROR_EXTENSION_NOT_PRESENT, "VK_ERROR_EXTENSION_NOT_PRESENT"),
        (VK_ERROR_FEATURE_NOT_PRESENT, "VK_ERROR_FEATURE_NOT_PRESENT"),
        (VK_ERROR_INCOMPATIBLE_DRIVER, "VK_ERROR_INCOMPATIBLE_DRIVER"),
        (VK_ERROR_TOO_MANY_OBJECTS, "VK_ERROR_TOO_MANY_OBJECTS"),
        (VK_ERROR_FORMAT_NOT_SUPPORTED, "VK_ERROR_FORMAT_NOT_SUPPORTED"),
        (VK_ERROR_FRAGMENTED_POOL, "VK_ERROR_FRAGMENTED_POOL"), (VK_ERROR_UNKNOWN, "VK_ERROR_UNKNOWN"),
        (VK_ERROR_OUT_OF_POOL_MEMORY, "VK_ERROR_OUT_OF_POOL_MEMORY"),
        (VK_ERROR_INVALID_EXTERNAL_HANDLE, "VK_ERROR_INVALID_EXTERNAL_HANDLE"),
        (VK_ERROR_FRAGMENTATION, "VK_ERROR_FRAGMENTATION"),
        (VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS, "VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS"),
        (VK_PIPELINE_COMPILE_REQUIRED, "VK_PIPELINE_COMPILE_REQUIRED"),
        (VK_ERROR_SURFACE_LOST_KHR, "VK_ERROR_SURFACE_LOST_KHR"),
        (VK_ERROR_NATIVE_WINDOW_IN_USE_KHR, "VK_ERROR_NATIVE_WINDOW_IN_USE_KHR"),
        (VK_SUBOPTIMAL_KHR, "VK_SUBOPTIMAL_KHR"), (VK_ERROR_OUT_OF_DATE_KHR, "VK_ERROR_OUT_OF_DATE_KHR"),
        (VK_ERROR_INCOMPATIBLE_DISPLAY_KHR, "VK_ERROR_INCOMPATIBLE_DISPLAY_KHR"),
        (VK_ERROR_VALIDATION_FAILED_EXT, "VK_ERROR_VALIDATION_FAILED_EXT"),
        (VK_ERROR_INVALID_SHADER_NV, "VK_ERROR_INVALID_SHADER_NV"),
        (VK_ERROR_IMAGE_USAGE_NOT_SUPPORTED_KHR, "VK_ERROR_IMAGE_USAGE_NOT_SUPPORTED_KHR"),
        (VK_ERROR_VIDEO_PICTURE_LAYOUT_NOT_SUPPORTED_KHR, "VK_ERROR_VIDEO_PICTURE_LAYOUT_NOT_SUPPORTED_KHR"),
        (VK_ERROR_VIDEO_PROFILE_OPERATION_NOT_SUPPORTED_KHR, "VK_ERROR_VIDEO_PROFILE_OPERATION_NOT_SUPPORTED_KHR"),
        (VK_ERROR_VIDEO_PROFILE_FORMAT_NOT_SUPPORTED_KHR, "VK_ERROR_VIDEO_PROFILE_FORMAT_NOT_SUPPORTED_KHR"),
        (VK_ERROR_VIDEO_PROFILE_CODEC_NOT_SUPPORTED_KHR, "VK_ERROR_VIDEO_PROFILE_CODEC_NOT_SUPPORTED_KHR"),
        (VK_ERROR_VIDEO_STD_VERSION_NOT_SUPPORTED_KHR, "VK_ERROR_VIDEO_STD_VERSION_NOT_SUPPORTED_KHR"),
        (VK_ERROR_INVALID_DRM_FORMAT_MODIFIER_PLANE_LAYOUT_EXT, "VK_ERROR_INVALID_DRM_FORMAT_MODIFIER_PLANE_LAYOUT_EXT"),
        (VK_ERROR_NOT_PERMITTED_KHR, "VK_ERROR_NOT_PERMITTED_KHR"),
        (VK_ERROR_FULL_SCREEN_EXCLUSIVE_MODE_LOST_EXT, "VK_ERROR_FULL_SCREEN_EXCLUSIVE_MODE_LOST_EXT"),
        (VK_THREAD_IDLE_KHR, "VK_THREAD_IDLE_KHR"), (VK_THREAD_DONE_KHR, "VK_THREAD_DONE_KHR"),
        (VK_OPERATION_DEFERRED_KHR, "VK_OPERATION_DEFERRED_KHR"),
        (VK_OPERATION_NOT_DEFERRED_KHR, "VK_OPERATION_NOT_DEFERRED_KHR"),
        (VK_ERROR_COMPRESSION_EXHAUSTED_EXT, "VK_ERROR_COMPRESSION_EXHAUSTED_EXT"),
    ]
    return names.first { $0.0 == result }?.1 ?? "VkResult(\(result.rawValue))"
}

/// Throws a VulkanError unless `result` is `VK_SUCCESS`.
private func check(_ result: VkResult, _ call: String, _ context: @autoclosure () -> String? = nil) throws {
    guard result == VK_SUCCESS else {
        throw VulkanError(call: call, result: vulkanResultName(result), context: context())
    }
}

// MARK: - Instance and physical devices

/// What the rest of the module needs to know of a physical device.
struct VulkanPhysicalDevice {
    var handle: OpaquePointer
    var name: String
}

/// `vkCreateInstance` for Vulkan 1.0 with no layers or extensions. A missing driver makes the loader
/// answer `VK_ERROR_INCOMPATIBLE_DRIVER`: that becomes a no-device error.
func vulkanCreateInstance(applicationName: String) throws -> OpaquePointer {
    var instance: VkInstance?
    let result = applicationName.withCString { name -> VkResult in
        var application = VkApplicationInfo()
        application.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO
        application.pApplicationName = name
        application.applicationVersion = 1
        application.pEngineName = name
        application.apiVersion = defragscope_vk_make_api_version(0, 1, 0, 0)
        return withUnsafePointer(to: &application) { applicationPointer in
            var info = VkInstanceCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
            info.pApplicationInfo = applicationPointer
            return vkCreateInstance(&info, nil, &instance)
        }
    }
    guard result == VK_SUCCESS, let instance else {
        throw VulkanError(call: "vkCreateInstance", result: vulkanResultName(result),
                          isNoDevice: result == VK_ERROR_INCOMPATIBLE_DRIVER || result == VK_ERROR_INITIALIZATION_FAILED)
    }
    VulkanLedger.created(.instance)
    return instance
}

func vulkanDestroyInstance(_ instance: OpaquePointer) {
    vkDestroyInstance(instance, nil)
    VulkanLedger.destroyed(.instance)
}

/// `vkEnumeratePhysicalDevices`, both calls. A driver with no usable hardware may answer
/// `VK_ERROR_INITIALIZATION_FAILED`: that becomes a no-device error.
func vulkanPhysicalDevices(_ instance: OpaquePointer) throws -> [OpaquePointer] {
    var count: UInt32 = 0
    var result = vkEnumeratePhysicalDevices(instance, &count, nil)
    if result == VK_SUCCESS, count > 0 {
        var handles = [VkPhysicalDevice?](repeating: nil, count: Int(count))
        result = vkEnumeratePhysicalDevices(instance, &count, &handles)
        if result == VK_SUCCESS || result == VK_INCOMPLETE { return handles.prefix(Int(count)).compactMap { $0 } }
    }
    if result == VK_SUCCESS { return [] }
    throw VulkanError(call: "vkEnumeratePhysicalDevices", result: vulkanResultName(result),
                      isNoDevice: result == VK_ERROR_INITIALIZATION_FAILED)
}

/// The device's name, from `vkGetPhysicalDeviceProperties` (`deviceName` is a fixed array: a tuple).
func vulkanPhysicalDeviceName(_ physicalDevice: OpaquePointer) -> String {
    var properties = VkPhysicalDeviceProperties()
    vkGetPhysicalDeviceProperties(physicalDevice, &properties)
    return withUnsafeBytes(of: properties.deviceName) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// The first queue family that can run transfer commands (graphics and compute imply transfer), from
/// `vkGetPhysicalDeviceQueueFamilyProperties`.
func vulkanTransferQueueFamily(_ physicalDevice: OpaquePointer) -> UInt32? {
    var count: UInt32 = 0
    vkGetPhysicalDeviceQueueFamilyProperties(physicalDevice, &count, nil)
    var families = [VkQueueFamilyProperties](repeating: VkQueueFamilyProperties(), count: Int(count))
    vkGetPhysicalDeviceQueueFamilyProperties(physicalDevice, &count, &families)
    let transfer = VK_QUEUE_GRAPHICS_BIT.rawValue | VK_QUEUE_COMPUTE_BIT.rawValue | VK_QUEUE_TRANSFER_BIT.rawValue
    return families.prefix(Int(count)).firstIndex { $0.queueCount > 0 && $0.queueFlags & transfer != 0 }.map(UInt32.init)
}

/// A memory type that can back pages.
struct VulkanMemoryType {
    var index: UInt32
    /// The size of its heap: no single allocation may be larger.
    var heapSize: Int
}

/// The memory types that are host-visible and host-coherent (so mapped writes and reads need no flush or
/// invalidate), from `vkGetPhysicalDeviceMemoryProperties` (`memoryTypes` and `memoryHeaps` are tuples).
func vulkanHostCoherentMemoryTypes(_ physicalDevice: OpaquePointer) -> [VulkanMemoryType] {
    var properties = VkPhysicalDeviceMemoryProperties()
    vkGetPhysicalDeviceMemoryProperties(physicalDevice, &properties)
    let wanted = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT.rawValue | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT.rawValue
    let heapSizes = withUnsafeBytes(of: properties.memoryHeaps) { raw in
        raw.bindMemory(to: VkMemoryHeap.self).prefix(Int(properties.memoryHeapCount)).map { Int(clamping: $0.size) }
    }
    return withUnsafeBytes(of: properties.memoryTypes) { raw in
        let types = raw.bindMemory(to: VkMemoryType.self)
        return (0..<Int(properties.memoryTypeCount))
            .filter { types[$0].propertyFlags & wanted == wanted && Int(types[$0].heapIndex) < heapSizes.count }
            .map { VulkanMemoryType(index: UInt32($0), heapSize: heapSizes[Int(types[$0].heapIndex)]) }
    }
}

// MARK: - Logical device, queue, command pool, command buffer, fence

/// `vkCreateDevice` with one queue of `queueFamily` and no extensions or features.
func vulkanCreateDevice(_ physicalDevice: OpaquePointer, queueFamily: UInt32) throws -> OpaquePointer {
    var device: VkDevice?
    var priority: Float = 1
    let result = withUnsafePointer(to: &priority) { priorityPointer -> VkResult in
        var queueInfo = VkDeviceQueueCreateInfo()
        queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO
        queueInfo.queueFamilyIndex = queueFamily
        queueInfo.queueCount = 1
        queueInfo.pQueuePriorities = priorityPointer
        return withUnsafePointer(to: &queueInfo) { queueInfoPointer in
            var info = VkDeviceCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO
            info.queueCreateInfoCount = 1
            info.pQueueCreateInfos = queueInfoPointer
            return vkCreateDevice(physicalDevice, &info, nil, &device)
        }
    }
    try check(result, "vkCreateDevice")
    VulkanLedger.created(.device)
    return device!
}

func vulkanDestroyDevice(_ device: OpaquePointer) {
    vkDestroyDevice(device, nil)
    VulkanLedger.destroyed(.device)
}

/// `vkDeviceWaitIdle`; its result is ignored because it runs only on the way to destroying everything.
func vulkanDeviceWaitIdle(_ device: OpaquePointer) {
    _ = vkDeviceWaitIdle(device)
}

/// `vkGetDeviceQueue` for queue 0 of `queueFamily` (a queue is owned by its device: nothing to destroy).
func vulkanDeviceQueue(_ device: OpaquePointer, queueFamily: UInt32) -> OpaquePointer {
    var queue: VkQueue?
    vkGetDeviceQueue(device, queueFamily, 0, &queue)
    return queue!
}

/// `vkCreateCommandPool` whose buffers can be reset one by one (one buffer is re-recorded for every batch).
func vulkanCreateCommandPool(_ device: OpaquePointer, queueFamily: UInt32) throws -> OpaquePointer {
    var info = VkCommandPoolCreateInfo()
    info.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO
    info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT.rawValue
    info.queueFamilyIndex = queueFamily
    var pool: VkCommandPool?
    try check(vkCreateCommandPool(device, &info, nil, &pool), "vkCreateCommandPool")
    VulkanLedger.created(.commandPool)
    return pool!
}

func vulkanDestroyCommandPool(_ device: OpaquePointer, _ pool: OpaquePointer) {
    vkDestroyCommandPool(device, pool, nil)
    VulkanLedger.destroyed(.commandPool)
}

/// `vkAllocateCommandBuffers` for one primary buffer.
func vulkanAllocateCommandBuffer(_ device: OpaquePointer, pool: OpaquePointer) throws -> OpaquePointer {
    var info = VkCommandBufferAllocateInfo()
    info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO
    info.commandPool = pool
    info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY
    info.commandBufferCount = 1
    var commandBuffer: VkCommandBuffer?
    try check(vkAllocateCommandBuffers(device, &info, &commandBuffer), "vkAllocateCommandBuffers")
    VulkanLedger.created(.commandBuffer)
    return commandBuffer!
}

func vulkanFreeCommandBuffer(_ device: OpaquePointer, pool: OpaquePointer, _ commandBuffer: OpaquePointer) {
    var buffer: VkCommandBuffer? = commandBuffer
    vkFreeCommandBuffers(device, pool, 1, &buffer)
    VulkanLedger.destroyed(.commandBuffer)
}

/// `vkCreateFence`, unsignaled.
func vulkanCreateFence(_ device: OpaquePointer) throws -> OpaquePointer {
    var info = VkFenceCreateInfo()
    info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO
    var fence: VkFence?
    try check(vkCreateFence(device, &info, nil, &fence), "vkCreateFence")
    VulkanLedger.created(.fence)
    return fence!
}

func vulkanDestroyFence(_ device: OpaquePointer, _ fence: OpaquePointer) {
    vkDestroyFence(device, fence, nil)
    VulkanLedger.destroyed(.fence)
}

func vulkanResetFence(_ device: OpaquePointer, _ fence: OpaquePointer) throws {
    var handle: VkFence? = fence
    try check(vkResetFences(device, 1, &handle), "vkResetFences")
}

/// `vkWaitForFences` with no timeout.
func vulkanWaitForFence(_ device: OpaquePointer, _ fence: OpaquePointer) throws {
    var handle: VkFence? = fence
    try check(vkWaitForFences(device, 1, &handle, VkBool32(VK_TRUE), UInt64.max), "vkWaitForFences")
}

// MARK: - Memory and buffers

/// `vkAllocateMemory` of `size` bytes from `memoryType`.
///
/// A size larger than the type's heap is not sent to the driver (the specification forbids it,
/// VUID-vkAllocateMemory-pAllocateInfo-01713): it fails as the driver would, with
/// `VK_ERROR_OUT_OF_DEVICE_MEMORY`, as VMA does.
func vulkanAllocateMemory(_ device: OpaquePointer, size: Int, memoryType: VulkanMemoryType, context: @autoclosure () -> String) throws -> OpaquePointer {
    guard size <= memoryType.heapSize else {
        throw VulkanError(call: "vkAllocateMemory", result: vulkanResultName(VK_ERROR_OUT_OF_DEVICE_MEMORY),
                          context: "\(context()): larger than the \(memoryType.heapSize)-byte heap, not sent to the driver")
    }
    var info = VkMemoryAllocateInfo()
    info.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
    info.allocationSize = VkDeviceSize(size)
    info.memoryTypeIndex = memoryType.index
    var memory: VkDeviceMemory?
    try check(vkAllocateMemory(device, &info, nil, &memory), "vkAllocateMemory", context())
    VulkanLedger.created(.memory)
    return memory!
}

func vulkanFreeMemory(_ device: OpaquePointer, _ memory: OpaquePointer) {
    vkFreeMemory(device, memory, nil)
    VulkanLedger.destroyed(.memory)
}

/// `vkMapMemory` of the whole of `memory` (`size` bytes), kept mapped until it is unmapped or freed.
func vulkanMapMemory(_ device: OpaquePointer, _ memory: OpaquePointer, size: Int, context: @autoclosure () -> String) throws -> UnsafeMutableRawPointer {
    var pointer: UnsafeMutableRawPointer?
    try check(vkMapMemory(device, memory, 0, VkDeviceSize(size), 0, &pointer), "vkMapMemory", context())
    VulkanLedger.created(.mapping)
    return pointer!
}

func vulkanUnmapMemory(_ device: OpaquePointer, _ memory: OpaquePointer) {
    vkUnmapMemory(device, memory)
    VulkanLedger.destroyed(.mapping)
}

/// `vkCreateBuffer` of `size` bytes usable as the source and the destination of copies, counted in the
/// ledger as `kind` (`.buffer` for an allocation's buffer, `.pageBuffer` for a whole page's).
func vulkanCreateTransferBuffer(_ device: OpaquePointer, size: Int, kind: VulkanObjectKind = .buffer,
                                context: @autoclosure () -> String) throws -> OpaquePointer {
    var info = VkBufferCreateInfo()
    info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
    info.size = VkDeviceSize(size)
    info.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT.rawValue | VK_BUFFER_USAGE_TRANSFER_DST_BIT.rawValue
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE
    var buffer: VkBuffer?
    try check(vkCreateBuffer(device, &info, nil, &buffer), "vkCreateBuffer", context())
    VulkanLedger.created(kind)
    return buffer!
}

func vulkanDestroyBuffer(_ device: OpaquePointer, _ buffer: OpaquePointer, kind: VulkanObjectKind = .buffer) {
    vkDestroyBuffer(device, buffer, nil)
    VulkanLedger.destroyed(kind)
}

/// A buffer's needs, from `vkGetBufferMemoryRequirements`.
struct VulkanMemoryRequirements {
    var size: Int
    var alignment: Int
    var memoryTypeBits: UInt32
}

func vulkanBufferMemoryRequirements(_ device: OpaquePointer, _ buffer: OpaquePointer) -> VulkanMemoryRequirements {
    var requirements = VkMemoryRequirements()
    vkGetBufferMemoryRequirements(device, buffer, &requirements)
    return VulkanMemoryRequirements(size: Int(requirements.size), alignment: Int(requirements.alignment),
                                    memoryTypeBits: requirements.memoryTypeBits)
}

/// `vkBindBufferMemory` of `buffer` at `offset` of `memory`.
func vulkanBindBufferMemory(_ device: OpaquePointer, _ buffer: OpaquePointer, _ memory: OpaquePointer, offset: Int, context: @autoclosure () -> String) throws {
    try check(vkBindBufferMemory(device, buffer, memory, VkDeviceSize(offset)), "vkBindBufferMemory", context())
}

// MARK: - Recording and submitting copies

/// The regions of one `vkCmdCopyBuffer` (one source buffer, one destination buffer), kept between
/// batches so that recording allocates nothing once it has grown.
struct VulkanCopyRegions {
    private var regions: [VkBufferCopy] = []

    mutating func removeAll() { regions.removeAll(keepingCapacity: true) }

    /// Adds a region: `size` bytes from `sourceOffset` to `destinationOffset`.
    mutating func append(sourceOffset: Int, destinationOffset: Int, size: Int) {
        regions.append(VkBufferCopy(srcOffset: VkDeviceSize(sourceOffset), dstOffset: VkDeviceSize(destinationOffset),
                                    size: VkDeviceSize(size)))
    }

    /// `vkCmdCopyBuffer` of every region from `source` to `destination`, in one command.
    func record(_ commandBuffer: OpaquePointer, source: OpaquePointer, destination: OpaquePointer) {
        guard !regions.isEmpty else { return }
        regions.withUnsafeBufferPointer { pointer in
            vkCmdCopyBuffer(commandBuffer, source, destination, UInt32(pointer.count), pointer.baseAddress)
        }
    }
}

/// `vkResetCommandBuffer` then `vkBeginCommandBuffer` for one submission.
func vulkanBeginCommandBuffer(_ commandBuffer: OpaquePointer) throws {
    try check(vkResetCommandBuffer(commandBuffer, 0), "vkResetCommandBuffer")
    var info = VkCommandBufferBeginInfo()
    info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
    info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue
    try check(vkBeginCommandBuffer(commandBuffer, &info), "vkBeginCommandBuffer")
}

/// `vkCmdPipelineBarrier` that makes transfer writes visible to host reads: a fence wait alone makes them
/// available to the device only, and the pages are read back through their mapping.
func vulkanCmdTransferToHostBarrier(_ commandBuffer: OpaquePointer) {
    var barrier = VkMemoryBarrier()
    barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
    barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT.rawValue
    barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT.rawValue
    vkCmdPipelineBarrier(commandBuffer, VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue, VK_PIPELINE_STAGE_HOST_BIT.rawValue,
                         0, 1, &barrier, 0, nil, 0, nil)
}

func vulkanEndCommandBuffer(_ commandBuffer: OpaquePointer) throws {
    try check(vkEndCommandBuffer(commandBuffer), "vkEndCommandBuffer")
}

/// `vkQueueSubmit` of one command buffer, signalling `fence` when it completes.
func vulkanQueueSubmit(_ queue: OpaquePointer, _ commandBuffer: OpaquePointer, fence: OpaquePointer, context: @autoclosure () -> String) throws {
    var buffer: VkCommandBuffer? = commandBuffer
    let result = withUnsafePointer(to: &buffer) { bufferPointer -> VkResult in
        var submit = VkSubmitInfo()
        submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO
        submit.commandBufferCount = 1
        submit.pCommandBuffers = bufferPointer
        return vkQueueSubmit(queue, 1, &submit, fence)
    }
    try check(result, "vkQueueSubmit", context())
}
