// Keeping what the Vulkan loader and driver print on standard error off a terminal UI: lavapipe prints
// "WARNING: lavapipe is not a conformant vulkan implementation, testing use only." when a device is made.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension VulkanPageDevice {
    /// Opens a device as ``init(deviceNameContains:)`` does, with standard error captured meanwhile.
    /// - Returns: the device, and what the loader and driver printed (for the UI to show or drop).
    public static func openCapturingDriverMessages(deviceNameContains: String? = nil) throws
        -> (device: VulkanPageDevice, driverMessages: String)
    {
        let (result, messages) = capturingStandardError {
            Result { try VulkanPageDevice(deviceNameContains: deviceNameContains) }
        }
        return (try result.get(), messages)
    }

    /// Runs `body` with file descriptor 2 redirected to an anonymous temporary file, and returns what was
    /// written to it.
    ///
    /// The redirection is process-wide: whatever any thread writes to standard error meanwhile is captured
    /// too. When the redirection cannot be set up, `body` runs with standard error untouched and nothing is
    /// captured.
    public static func capturingStandardError<T>(_ body: () -> T) -> (value: T, captured: String) {
        fflush(nil)
        let saved = dup(2)
        guard saved >= 0 else { return (body(), "") }
        guard let file = tmpfile() else { close(saved); return (body(), "") }
        guard dup2(fileno(file), 2) >= 0 else { fclose(file); close(saved); return (body(), "") }

        let value = body()

        fflush(nil)
        _ = dup2(saved, 2)
        close(saved)
        var captured: [UInt8] = []
        rewind(file)  // fd 2 wrote through the same open file, so its offset is at the end
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n == 0 { break }
            captured += chunk[0..<n]
        }
        fclose(file)
        return (value, String(decoding: captured, as: UTF8.self))
    }
}
