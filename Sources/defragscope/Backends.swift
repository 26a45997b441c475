// Choosing the page device: host memory, content tokens without bytes (metadata), or Vulkan device memory
// on lavapipe.
import DefragSession
import Foundation
import MemoryPools
import VulkanPageDevice
import Workloads

/// A workload's pools built on host memory or on metadata, as `--backend` asks or, left out, as the pages'
/// size decides: host memory unless the pages would need more than half of the machine's memory.
enum HostOrMetadata {
    case host(BuiltPools<HostPageDevice>)
    /// `note`: why metadata was chosen without being asked for (for the header and `run`'s output).
    case metadata(BuiltPools<MetadataPageDevice>, note: String?)

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

    /// Builds `workload`'s pools once, on the device the choice makes. `requested` is .host, .metadata or nil
    /// (not given). Without .metadata the pools are built on host memory whose pages may take at most half of
    /// the machine's memory: the contents are written only once the build is over, so a build that crosses
    /// that line has written nothing and is dropped at once. The workload is then built on metadata, which
    /// measures what the pages need: those pools are the choice, or with `--backend host` the figure is the
    /// refusal's. `progress` is as for ``Workload/makePools(device:keepBytes:progress:)`` (a build on metadata
    /// after a dropped one counts from 0 again).
    static func build(_ workload: Workload, requested: Backend?, keepBytes: Bool,
                      progress: ((Int, Int) throws -> Void)? = nil) throws -> HostOrMetadata {
        if requested == .metadata {
            return .metadata(try BuiltPools(workload, on: MetadataPageDevice(), keepBytes: keepBytes, progress: progress), note: nil)
        }
        let host = HostPageDevice()
        let machine = hostLimit()
        host.byteLimit = machine?.limit
        do {
            return .host(try BuiltPools(workload, on: host, keepBytes: keepBytes, progress: progress))
        } catch where host.exceededByteLimit {
            guard let (_, total) = machine else { throw error }
            // A refusal needs only the figure: no contents then.
            let sized = try BuiltPools(workload, on: MetadataPageDevice(), keepBytes: keepBytes && requested == nil, progress: progress)
            let why = "the pages need \(ByteFormat.short(sized.device.peakPageBytes)) of memory, more than half of this machine's \(ByteFormat.short(total))"
            if requested == .host {
                throw CLIError("--backend host: \(why) (MemTotal in /proc/meminfo); use --backend metadata, which keeps no page bytes, or leave --backend out")
            }
            return .metadata(sized, note: "\(why): running on --backend metadata (no page bytes; moves checked by content tokens)")
        }
    }
}

/// A workload's pools built on `device` ahead of its session: the session's first start takes them, a later
/// one (a reset, the next configuration of `compare`) builds them again.
final class BuiltPools<Device: PageDevice> {
    let device: Device
    let workload: Workload
    let keepBytes: Bool
    private var first: [MemoryPool<Device>]?

    init(_ workload: Workload, on device: Device, keepBytes: Bool, progress: ((Int, Int) throws -> Void)?) throws {
        self.device = device
        self.workload = workload
        self.keepBytes = keepBytes
        first = try workload.makePools(device: device, keepBytes: keepBytes, progress: progress)
    }

    /// The pools built ahead the first time (kept no longer, so that a reset can release them), then new ones.
    func take(progress: ((Int, Int) throws -> Void)? = nil) throws -> [MemoryPool<Device>] {
        if let pools = first {
            first = nil
            return pools
        }
        return try workload.makePools(device: device, keepBytes: keepBytes, progress: progress)
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
