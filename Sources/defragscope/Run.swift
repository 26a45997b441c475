// `defragscope run`: the engine headless, one report per pass as text, JSON lines, or the reference format.
import ArgumentParser
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import Workloads

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Defragment without the UI and print what each pass did.",
        discussion: """
        --format text   a readable table, one row per pass, then a summary
        --format json   one JSON object per pass, then one summary object
        --format ref    the format of ../shared/reference/*.ref (layout before, moves, layout after, summary)
        Every moved allocation's bytes are verified after every pass (every live allocation while under
        100 MB live); a mismatch exits 2.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, ref }

    @OptionGroup var input: InputOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var backend: BackendOptions

    @Option(help: "text, json or ref.")
    var format: Format = .text

    @Option(help: ArgumentHelp("Stop after this many passes (0: run to completion).", valueName: "N"))
    var maxPasses: Int = 0

    @Option(help: ArgumentHelp("Byte checks after each pass: none, moved or all.", valueName: "WHAT"))
    var verify: Verification = .moved

    func run() throws {
        let workload = try input.load()
        switch backend.backend {
        case .host: try execute(workload, device: HostPageDevice())
        case .lavapipe: try execute(workload, device: try makeVulkanDevice(backend))
        }
    }

    private func execute<D: PageDevice>(_ workload: Workload, device: D) throws {
        let session = try DefragSession(title: workload.title, configuration: engine.configuration, verification: verify) {
            try workload.makePools(device: device, keepBytes: verify != .none)
        }
        try engine.applyFaults(to: session)
        let out = StandardOutput()
        defer { out.flush() }
        try Reporter(format: format, session: session, out: out, maxPasses: maxPasses == 0 ? .max : maxPasses).run()
    }
}

extension Verification: ExpressibleByArgument {}

/// Buffered standard output.
final class StandardOutput {
    private var buffer = ""
    func line(_ text: String) {
        buffer += text
        buffer += "\n"
        if buffer.utf8.count > 1 << 16 { flush() }
    }
    func flush() {
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
    deinit { flush() }
}

