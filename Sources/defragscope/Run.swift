// `defragscope run`: the engine headless; each pass printed as it finishes (Reports).
import ArgumentParser
import DefragSession
import Foundation
import MemoryPools
import Reports
import Workloads

struct Run: ParsableCommand, RefusesRepeatedOptions {
    static let configuration = CommandConfiguration(
        abstract: "Defragment without the UI and print what each pass did.",
        discussion: """
        --format text   a readable table, one row per pass, then a summary
        --format json   one JSON object per pass, then one summary object
        --format ref    the format of ../shared/reference/*.ref (layout before, moves, layout after, summary)
        Each pass is written (and flushed) as soon as it finishes, so a reader of a pipe follows the run and
        an interrupted run leaves every finished pass complete.
        Every moved allocation's bytes are verified after every pass (every live allocation while under
        100 MB live); a mismatch exits 2.
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var backend: BackendOptions

    @Option(help: "text, json or ref.")
    var format: ReportFormat = .text

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many passes (0: run to completion).", valueName: "N"))
    var maxPasses: Int = 0

    @Option(help: ArgumentHelp("Byte checks after each pass: none, moved or all.", valueName: "WHAT"))
    var verify: Verification = .moved

    func validate() throws {
        if maxPasses < 0 { throw ValidationError("--max-passes must be 0 (run to completion) or positive, not \(maxPasses)") }
    }

    func run() throws {
        let workload = try input.load()
        switch backend.backend {
        case .host, .metadata, nil:
            let choice = try HostOrMetadata.choose(workload, requested: backend.backend)
            if let note = choice.note { FileHandle.standardError.write(Data("defragscope: \(note)\n".utf8)) }
            if choice.metadata { try execute(workload, device: MetadataPageDevice()) } else { try execute(workload, device: HostPageDevice()) }
        case .lavapipe: try execute(workload, device: try makeVulkanDevice(backend))
        }
    }

    private func execute<D: PageDevice>(_ workload: Workload, device: D) throws {
        let session = try DefragSession(title: workload.title, configuration: engine.configuration, verification: verify) {
            try workload.makePools(device: device, keepBytes: verify != .none)
        }
        try engine.applyFaults(to: session)
        try writeRunReport(session: session, format: format, maxPasses: maxPasses == 0 ? .max : maxPasses, to: FileDescriptorSink.standardOutput())
    }
}

extension Verification: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}
