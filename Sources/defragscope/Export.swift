// `defragscope export`: the pool state as a VMA JSON dump (the format GpuMemDumpVis and --vma-dump read).
import ArgumentParser
import DefragSession
import Foundation
import MemoryPools
import Workloads

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the pool state as a VMA JSON dump.",
        discussion: """
        Without --after the input is written as it was loaded: a --vma-dump gives back every pool's blocks under
        the same ids with the same suballocations and dedicated allocations (byte for byte when the dump's
        statistics are VMA's own); a trace or scenario becomes one custom pool, allocations named alloc-<id>.
        With --after the input is defragmented to completion first (every pass's bytes verified as --verify
        says) and the result is written: the same allocations, each named as before; an unnamed one gets
        CustomData P<pool>B<block>O<offset> telling where it was (pool: index in the dump, default pools first,
        then custom pools), followed by C<original CustomData> if it had one.
        The file is written to a temporary file beside OUT and renamed, so OUT is never half written.
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var engine: EngineOptions

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Where to write the dump.", valueName: "FILE"))
    var output: String

    @Flag(help: "Defragment to completion first and export the result.")
    var after = false

    @Option(help: ArgumentHelp("With --after: byte checks after each pass: none, moved or all.", valueName: "WHAT"))
    var verify: Verification = .moved

    func run() throws {
        let workload = try input.load()
        let device = HostPageDevice()
        let keepBytes = after && verify != .none
        var pools: [MemoryPool<HostPageDevice>]
        var summary = ""
        var session: DefragSession<HostPageDevice>?
        if after {
            let s = try DefragSession(title: workload.title, configuration: engine.configuration, verification: verify) {
                try workload.makePools(device: device, keepBytes: keepBytes)
            }
            try engine.applyFaults(to: s)
            let pagesBefore = s.metrics.pages
            let reports = try s.runToCompletion()
            let failures = reports.flatMap(\.errors)
            if !failures.isEmpty { throw CLIError("export: \(failures.count) move(s) failed: \(failures.first!)") }
            pools = s.pools
            summary = "\(reports.count) passes, pages \(pagesBefore) -> \(s.metrics.pages), "
            session = s
        } else {
            pools = try workload.makePools(device: device, keepBytes: false)
        }
        if case .d3d12maDump(let original) = workload {
            // A D3D12MA dump is written back as one (CustomData stays the resource's pointer).
            let exported = try original.exported(pools: pools)
            try Self.writeAtomically(exported.serialized(), to: output)
            withExtendedLifetime(session) {}
            print("wrote \(output): \(summary)\(exported.blockCount) blocks, \(exported.dedicatedAllocationCount) committed, \(exported.allocationCount) allocations")
            return
        }
        let dump: VMADump
        switch workload {
        case .d3d12maDump: throw CLIError("export: a D3D12MA dump is written above")
        case .dump(let original):
            dump = try original.exported(pools: pools, recordOrigins: after)
        case .trace:
            guard pools.count == 1 else { throw CLIError("export: expected one pool, found \(pools.count)") }
            dump = try VMADump.template(title: workload.title, pool: pools[0].options, gpu: "defragscope (\(device.name))")
                .exported(pools: pools, slots: VMADump.templateSlots)
        }
        try Self.writeAtomically(dump.serialized(), to: output)
        withExtendedLifetime(session) {}
        print("wrote \(output): \(summary)\(dump.blockCount) blocks, \(dump.dedicatedAllocationCount) dedicated, \(dump.allocationCount) allocations")
    }

    /// Writes `bytes` to a temporary file in OUT's folder, then renames it over OUT.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CLIError("export: cannot write \(path): \((error as NSError).localizedDescription)")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CLIError("export: cannot write \(path): \(reason)")
        }
    }
}
