// Every failure of the Vulkan backend, as one typed error. Vulkan.swift turns each failing vk* call into
// one of these, naming the call and its VkResult; VulkanPageDevice adds the failures that are not a call
// (no device at all, no device matching a name, no usable memory type).

/// A failure of the Vulkan backend.
///
/// A failing call reads "vkAllocateMemory failed: VK_ERROR_OUT_OF_DEVICE_MEMORY (…)". When the cause is
/// that this machine has no usable Vulkan driver, ``isNoDevice`` is true and the description leads with
/// ``noDeviceHint``, which tells the user what to install.
public struct VulkanError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What to do when there is no Vulkan device at all.
    public static let noDeviceHint = "no Vulkan device: install mesa-vulkan-drivers (lavapipe)"

    /// The `vk*` function that failed (`"vkAllocateMemory"`), or the step that failed when no call
    /// returned an error (`"device selection"`).
    public var call: String
    /// The name of the `VkResult` the call returned (`"VK_ERROR_OUT_OF_DEVICE_MEMORY"`); nil when the
    /// failure is not a call's result.
    public var result: String?
    /// What was being done, e.g. "4096 bytes for page 3"; nil when the call says it all.
    public var context: String?
    /// True when the cause is a missing driver or device, so the fix is to install one.
    public var isNoDevice: Bool

    public init(call: String, result: String?, context: String? = nil, isNoDevice: Bool = false) {
        self.call = call
        self.result = result
        self.context = context
        self.isNoDevice = isNoDevice
    }

    /// A failure that is no call's result (device selection, a missing memory type, a bad argument).
    static func failure(_ step: String, _ context: String, isNoDevice: Bool = false) -> VulkanError {
        VulkanError(call: step, result: nil, context: context, isNoDevice: isNoDevice)
    }

    public var description: String {
        var text: String
        if let result {
            text = "\(call) failed: \(result)"
            if let context { text += " (\(context))" }
        } else {
            text = "\(call): \(context ?? "failed")"
        }
        return isNoDevice ? "\(VulkanError.noDeviceHint) [\(text)]" : text
    }
}
