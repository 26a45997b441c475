// The Vulkan objects a VulkanPageDevice owns besides its pages: one instance, one logical device, one queue
// that can transfer, one command pool with one command buffer, one fence. Built step by step so that a
// failure at any step leaves the steps before it to `deinit`, which destroys whatever exists.

final class VulkanContext {
    private(set) var instance: OpaquePointer?
    private(set) var device: OpaquePointer?
    private(set) var queue: OpaquePointer?
    private(set) var commandPool: OpaquePointer?
    private(set) var commandBuffer: OpaquePointer?
    private(set) var fence: OpaquePointer?
    /// The physical device's name, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
    private(set) var deviceName = ""
    /// A host-visible, host-coherent memory type that transfer buffers can be bound to.
    private(set) var memoryType = VulkanMemoryType(index: 0, heapSize: 0)
    /// The alignment a transfer buffer asks of its offset in memory (lavapipe: 64).
    private(set) var bufferAlignment = 1

    private init() {}

    /// Opens the first physical device whose name contains `deviceNameContains` (case-insensitive); with
    /// no filter, the first "llvmpipe" device, else the first device.
    static func open(deviceNameContains filter: String?) throws -> VulkanContext {
        let context = VulkanContext()
        try context.setUp(filter: filter)  // on a throw, `context` is released and deinit cleans up
        return context
    }

    private func setUp(filter: String?) throws {
        let instance = try vulkanCreateInstance(applicationName: "defragscope")
        self.instance = instance

        let candidates = try vulkanPhysicalDevices(instance).map { (handle: $0, name: vulkanPhysicalDeviceName($0)) }
        guard !candidates.isEmpty else {
            throw VulkanError.failure("vkEnumeratePhysicalDevices", "the Vulkan loader found no physical device",
                                      isNoDevice: true)
        }
        let chosen: (handle: OpaquePointer, name: String)?
        if let filter, !filter.isEmpty {
            chosen = candidates.first { $0.name.lowercased().contains(filter.lowercased()) }
        } else {
            chosen = candidates.first { $0.name.contains("llvmpipe") } ?? candidates.first
        }
        guard let chosen else {
            let names = candidates.map { "\"\($0.name)\"" }.joined(separator: ", ")
            throw VulkanError.failure("device selection", "no Vulkan device name contains \"\(filter ?? "")\" (devices: \(names))")
        }
        deviceName = chosen.name
        guard let queueFamily = vulkanTransferQueueFamily(chosen.handle) else {
            throw VulkanError.failure("device selection", "\(chosen.name) has no queue family that can transfer")
        }

        let device = try vulkanCreateDevice(chosen.handle, queueFamily: queueFamily)
        self.device = device
        queue = vulkanDeviceQueue(device, queueFamily: queueFamily)
        let commandPool = try vulkanCreateCommandPool(device, queueFamily: queueFamily)
        self.commandPool = commandPool
        commandBuffer = try vulkanAllocateCommandBuffer(device, pool: commandPool)
        fence = try vulkanCreateFence(device)

        // Buffers of the same usage share their memory type bits: ask a probe buffer.
        let probe = try vulkanCreateTransferBuffer(device, size: 256, context: "probe buffer")
        let probeRequirements = vulkanBufferMemoryRequirements(device, probe)
        let allowed = probeRequirements.memoryTypeBits
        bufferAlignment = probeRequirements.alignment
        vulkanDestroyBuffer(device, probe)
        guard let type = vulkanHostCoherentMemoryTypes(chosen.handle).first(where: { allowed & (1 << $0.index) != 0 }) else {
            throw VulkanError.failure("device selection", "\(chosen.name) has no host-visible, host-coherent memory type for transfer buffers")
        }
        memoryType = type
    }

    deinit {
        if let device {
            vulkanDeviceWaitIdle(device)
            if let fence { vulkanDestroyFence(device, fence) }
            if let commandPool, let commandBuffer { vulkanFreeCommandBuffer(device, pool: commandPool, commandBuffer) }
            if let commandPool { vulkanDestroyCommandPool(device, commandPool) }
            vulkanDestroyDevice(device)
        }
        if let instance { vulkanDestroyInstance(instance) }
    }
}
