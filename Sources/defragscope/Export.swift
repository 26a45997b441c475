// `defragscope export`: the pool state as a VMA JSON dump (the format GpuMemDumpVis and --vma-dump read).
import ArgumentParser
import DefragSession
import Foundation
import MemoryPools
import Reports
import Workloads

struct Export: ParsableCommand, RefusesRepeatedOptions {
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
        OUT is written, never replaced by something else: `-` is standard output; a symbolic link is followed
        to its target; a device or FIFO is written to directly; an existing file keeps its mode (and owner) and
        is replaced through a temporary file beside it and a rename, so it is never half written — unless it
        has several hard links, when it is written in place so that every name shows the new dump. The
        temporary file is made before any work (an unwritable OUT is refused at once) and removed on an error,
        SIGINT, SIGTERM or SIGHUP.
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var engine: EngineOptions

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Where to write the dump (- for standard output).", valueName: "FILE"))
    var output: String

    @Flag(help: "Defragment to completion first and export the result.")
    var after = false

    @Option(help: ArgumentHelp("With --after: byte checks after each pass: none, moved or all.", valueName: "WHAT"))
    var verify: Verification = .moved

    func run() throws {
        let workload = try input.load()
        let out = try OutputFile.open(output)
        defer { out.abandon() }
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
            if let first = failures.first { throw CLIError("export: \(failures.count) move(s) failed: \(first)") }
            pools = s.pools
            summary = "\(reports.count) passes, pages \(pagesBefore) -> \(s.metrics.pages), "
            session = s
        } else {
            pools = try workload.makePools(device: device, keepBytes: false)
        }
        let dump: VMADump
        switch workload {
        case .dump(let original):
            dump = try original.exported(pools: pools, recordOrigins: after)
        case .trace:
            guard pools.count == 1 else { throw CLIError("export: expected one pool, found \(pools.count)") }
            dump = try VMADump.template(title: workload.title, pool: pools[0].options, gpu: "defragscope (\(device.name))")
                .exported(pools: pools, slots: VMADump.templateSlots)
        }
        try out.write(dump.serialized())
        withExtendedLifetime(session) {}
        let message = "wrote \(output == "-" ? "standard output" : output): \(summary)\(dump.blockCount) blocks, "
            + "\(dump.dedicatedAllocationCount) dedicated, \(dump.allocationCount) allocations\n"
        // With the dump on standard output, the message goes to stderr.
        FileHandle(fileDescriptor: output == "-" ? 2 : 1).write(Data(message.utf8))
    }
}

