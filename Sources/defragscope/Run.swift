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
        In json, each pass also says how many allocations the engine looked at (considered) and why the
        others stayed (notMoved: noDestination, budget, immovable, algorithm). --explain PAGE prints, after
        the run, why the allocations still on page PAGE stay there.
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

    @Option(parsing: .unconditional, help: ArgumentHelp("After the run, print why the allocations of page PAGE (its id, as in the reports) are still there.", valueName: "PAGE"))
    var explain: Int?

    func validate() throws {
        if maxPasses < 0 { throw ValidationError("--max-passes must be 0 (run to completion) or positive, not \(maxPasses)") }
        if let explain, explain < 0 { throw ValidationError("--explain takes a page id (0 or more), not \(explain)") }
    }

    func run() throws {
        let workload = try input.load()
        switch backend.backend {
        case .host, .metadata, nil:
            switch try HostOrMetadata.build(workload, requested: backend.backend, keepBytes: verify != .none) {
            case .host(let built): try execute(workload, built)
            case .metadata(let built, let note):
                if let note { FileHandle.standardError.write(Data("defragscope: \(note)\n".utf8)) }
                try execute(workload, built)
            }
        case .lavapipe:
            try execute(workload, try BuiltPools(workload, on: try makeVulkanDevice(backend), keepBytes: verify != .none, progress: nil))
        }
    }

    private func execute<D: PageDevice>(_ workload: Workload, _ built: BuiltPools<D>) throws {
        let session = try DefragSession(title: workload.title, configuration: engine.configuration, verification: verify) {
            try built.take()
        }
        try engine.applyFaults(to: session)
        session.explains = format == .json || explain != nil
        let output = FileDescriptorSink.standardOutput()
        try writeRunReport(session: session, format: format, maxPasses: maxPasses == 0 ? .max : maxPasses, to: output)
        if let explain { try output.write(record: try explanation(of: explain, in: session)) }
    }

    /// The why-list of page `page` after the run, as text.
    private func explanation<D: PageDevice>(of page: Int, in session: DefragSession<D>) throws -> String {
        let pages = session.pageSnapshots
        guard pages.contains(where: { $0.id == page }) else {
            if let pass = session.history.first(where: { $0.freedPages.contains(page) }) {
                return "page \(page) is not here any more: pass \(pass.number) released it\n"
            }
            let ids = Set(pages.map(\.id)).sorted().map(String.init).joined(separator: ", ")
            throw CLIError("--explain \(page): there is no page \(page) in \(session.title); its pages are \(ids)")
        }
        guard session.history.count + (session.isFinished ? 1 : 0) > 0 else {
            return "page \(page): no pass ran (--max-passes), so the engine has not looked at it yet\n"
        }
        var out = ""
        for pool in Set(pages.filter { $0.id == page }.map(\.pool)).sorted() {
            let lines = session.whyList(page: page, pool: pool) ?? []
            let which = session.isFinished ? "after the run (its last pass found nothing more to move)" : "after pass \(session.history.count)"
            out += "why page \(page)\(pool.isEmpty || pages.allSatisfy({ $0.pool == pool }) ? "" : " of \(pool)") is still here, \(which):\n"
            out += lines.map { "  " + $0 + "\n" }.joined()
        }
        return out
    }
}

extension Verification: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}
