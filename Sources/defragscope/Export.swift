// `defragscope export`: the pool state as a VMA JSON dump (the format GpuMemDumpVis and --vma-dump read), or
// as a D3D12MA dump for a D3D12MA input.
import ArgumentParser
import DefragSession
import Foundation
import MemoryPools
import Reports
import Workloads

struct Export: ParsableCommand, RefusesRepeatedOptions {
    static let configuration = CommandConfiguration(
        abstract: "Write the pool state as a VMA JSON dump (a D3D12MA input: as a D3D12MA dump).",
        discussion: """
        Without --after the input is written as it was loaded: a --vma-dump gives back every pool's blocks under
        the same ids with the same suballocations and dedicated allocations (byte for byte when the dump's
        statistics are VMA's own); a --d3d12ma-dump is written back as a D3D12MA dump in the encoding it was
        read in (byte for byte when unchanged; after --after, every resource keeps its name and CustomData);
        a trace or scenario becomes one custom pool, allocations named alloc-<id>.
        With --after the input is defragmented to completion first (every pass's bytes verified as --verify
        says) and the result is written: the same allocations, each named as before; an unnamed one gets
        CustomData P<pool>B<block>O<offset> telling where it was (pool: index in the dump, default pools first,
        then custom pools), followed by C<original CustomData> if it had one.
        The pages live where --backend says (left out: host memory, or metadata when they would need more than
        half of the machine's memory, which stderr says); a trace's dump names that device as its GPU.
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
    @OptionGroup var backend: BackendOptions

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
        let keepBytes = after && verify != .none
        switch backend.backend {
        case .host, .metadata, nil:
            switch try HostOrMetadata.build(workload, requested: backend.backend, keepBytes: keepBytes) {
            case .host(let built): try export(workload, built, to: out)
            case .metadata(let built, let note):
                if let note { FileHandle.standardError.write(Data("defragscope: \(note)\n".utf8)) }
                try export(workload, built, to: out)
            }
        case .lavapipe:
            try export(workload, try BuiltPools(workload, on: try makeVulkanDevice(backend), keepBytes: keepBytes, progress: nil), to: out)
        }
    }

    /// Writes the pools `built` holds, defragmented first with --after.
    private func export<D: PageDevice>(_ workload: Workload, _ built: BuiltPools<D>, to out: OutputFile) throws {
        var pools: [MemoryPool<D>]
        var summary = ""
        var session: DefragSession<D>?
        if after {
            let s = try DefragSession(title: workload.title, configuration: engine.configuration, verification: verify) {
                try built.take()
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
            pools = try built.take()
        }
        // What was read is written back in its own format: a D3D12MA dump as D3D12MA, anything else as VMA.
        let bytes: [UInt8]
        let counts: String
        switch workload {
        case .d3d12maDump(let original):
            // CustomData stays each resource's pointer (D3D12MA's); names say which resource is which.
            let dump = try original.exported(pools: pools)
            bytes = dump.serialized()
            counts = "\(dump.blockCount) blocks, \(dump.dedicatedAllocationCount) committed, \(dump.allocationCount) allocations"
        case .dump(let original):
            let dump = try original.exported(pools: pools, recordOrigins: after)
            bytes = dump.serialized()
            counts = "\(dump.blockCount) blocks, \(dump.dedicatedAllocationCount) dedicated, \(dump.allocationCount) allocations"
        case .trace:
            guard pools.count == 1 else { throw CLIError("export: expected one pool, found \(pools.count)") }
            let dump = try VMADump.template(title: workload.title, pool: pools[0].options, gpu: "defragscope (\(built.device.name))")
                .exported(pools: pools, slots: VMADump.templateSlots)
            bytes = dump.serialized()
            counts = "\(dump.blockCount) blocks, \(dump.dedicatedAllocationCount) dedicated, \(dump.allocationCount) allocations"
        }
        try out.write(bytes)
        withExtendedLifetime(session) {}
        let message = "wrote \(output == "-" ? "standard output" : output): \(summary)\(counts)\n"
        // With the dump on standard output, the message goes to stderr.
        FileHandle(fileDescriptor: output == "-" ? 2 : 1).write(Data(message.utf8))
    }
}

