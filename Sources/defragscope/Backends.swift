// Choosing the page device: host memory, content tokens without bytes (metadata), or Vulkan device memory
// on lavapipe.
import DefragSession
import Foundation
import MemoryPools
import VulkanPageDevice
import Workloads

/// Host memory or metadata, as `--backend` asks or, left out, as the pages' size decides.
struct HostOrMetadata {
    var metadata: Bool
    /// Why metadata was chosen without being asked for (for the header and `run`'s output).
    var note: String?

    /// Half of MemTotal in /proc/meminfo; nil when it cannot be read.
    static func hostLimit(meminfo: String? = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) -> (limit: Int, total: Int)? {
        guard let meminfo else { return nil }
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3, let kib = Int(fields[1]), fields[2] == "kB" else { return nil }
            return (kib * 1024 / 2, kib * 1024)
        }
        return nil
    }

    /// `requested` is .host, .metadata or nil (not given). Without .metadata, the workload is first built on
    /// a device of no bytes to learn the most page bytes it needs; more than half of the machine's memory
    /// chooses metadata, or with `--backend host` is refused.
    static func choose(_ workload: Workload, requested: Backend?) throws -> HostOrMetadata {
        if requested == .metadata { return HostOrMetadata(metadata: true) }
        guard let (limit, total) = hostLimit() else { return HostOrMetadata(metadata: false) }
        let probe = MetadataPageDevice()
        _ = try workload.makePools(device: probe, keepBytes: false)
        let needed = probe.peakPageBytes
        guard needed > limit else { return HostOrMetadata(metadata: false) }
        let why = "the pages need \(ByteFormat.short(needed)) of memory, more than half of this machine's \(ByteFormat.short(total))"
        if requested == .host {
            throw CLIError("--backend host: \(why) (MemTotal in /proc/meminfo); use --backend metadata, which keeps no page bytes, or leave --backend out")
        }
        return HostOrMetadata(metadata: true, note: "\(why): running on --backend metadata (no page bytes; moves checked by content tokens)")
    }
}

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
