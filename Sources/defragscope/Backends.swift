// Choosing the page device: host memory, or Vulkan device memory on lavapipe.
import Foundation
import VulkanPageDevice

/// Opens the Vulkan device `--backend lavapipe` asks for. What the loader or driver prints meanwhile is kept
/// off the terminal and returned; a failure becomes a message saying what failed and how to fix it.
func openVulkanDevice(_ options: BackendOptions) throws -> (device: VulkanPageDevice, driverMessages: String) {
    do {
        return try VulkanPageDevice.openCapturingDriverMessages(deviceNameContains: options.device)
    } catch let error as VulkanError {
        var message = "--backend lavapipe: \(error)"
        if !error.isNoDevice && options.device == nil { message += " (\(VulkanError.noDeviceHint))" }
        throw CLIError(message)
    } catch {
        throw CLIError("--backend lavapipe: \(error)")
    }
}

/// The Vulkan device for `run` and `bench`, whose output is not a UI: driver messages go to stderr.
func makeVulkanDevice(_ options: BackendOptions) throws -> VulkanPageDevice {
    let (device, messages) = try openVulkanDevice(options)
    if !messages.isEmpty { FileHandle.standardError.write(Data(messages.utf8)) }
    return device
}
