// The command line: watch (default), run, bench, export, compare, record, snapshot.
import ArgumentParser
import Benchmarks
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import Reports
import Workloads

@main
struct Defragscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defragscope",
        abstract: "Watch GPU-style memory defragmentation, pass by pass.",
        discussion: """
        Inputs: a trace (--trace FILE, see ../shared/traces), a built-in scenario (--scenario NAME), a VMA
        dump (--vma-dump FILE), a D3D12MA dump (--d3d12ma-dump FILE), or either dump (--dump FILE).
        With no input, the first built-in scenario is shown.
        """,
        subcommands: [Watch.self, Run.self, Bench.self, Export.self, Compare.self, Record.self, Snapshot.self],
        defaultSubcommand: Watch.self
    )

    /// Bad input and failures exit with status 2 and a message on stderr; help exits 0.
    static func main() {
        do {
            let arguments = Array(CommandLine.arguments.dropFirst())
            var command = try parseAsRoot(arguments)
            if let refusing = type(of: command) as? RefusesRepeatedOptions.Type,
               let repeated = repeatedOption(in: arguments, repeatable: refusing.repeatableOptions) {
                throw CLIError("\(repeated) was given more than once; give it once (only the last would count)")
            }
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Defragscope.exit(withError: error)
            }
            let message: String
            switch error {
            case is CLIError, is WorkloadError, is PoolError, is RecordSinkError, is OutputFileError, is BenchmarkError:
                message = "defragscope: \(error)"
            case let error as EncodingError:
                message = "defragscope: cannot write JSON: \(describe(error))"
            default:
                message = fullMessage(for: error)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(2)
        }
    }

    /// The first option in `arguments` (before a `--`) given twice that is not in `repeatable`; `-o` counts
    /// as `--output`. Values are not options: only `--name`, `--name=value` and `-o` are looked at.
    static func repeatedOption(in arguments: [String], repeatable: Set<String>) -> String? {
        var seen: Set<String> = []
        for argument in arguments {
            if argument == "--" { break }
            let name: String
            if argument.hasPrefix("--") {
                name = String(argument.prefix { $0 != "=" })
            } else if argument == "-o" || argument.hasPrefix("-o=") {
                name = "--output"
            } else {
                continue
            }
            if repeatable.contains(name) { continue }
            if !seen.insert(name).inserted { return name }
        }
        return nil
    }

    private static func describe(_ error: EncodingError) -> String {
        guard case .invalidValue(_, let context) = error else { return "\(error)" }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return (path.isEmpty ? "" : "at $\(path): ") + context.debugDescription
    }
}

/// A command whose single-value options may not be repeated (ArgumentParser would keep the last silently).
protocol RefusesRepeatedOptions {
    /// Options that take a list (`--trace` of bench), as written on the command line.
    static var repeatableOptions: Set<String> { get }
}

extension RefusesRepeatedOptions {
    static var repeatableOptions: Set<String> { [] }
}

extension Watch: RefusesRepeatedOptions {}

/// A failure the command reports and exits 2 for.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What to defragment.
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A trace file (block-size, a ID SIZE ALIGN, f ID).", valueName: "FILE"))
    var trace: String?

    @Option(name: .long, help: ArgumentHelp("A built-in scenario: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "NAME"))
    var scenario: String?

    @Option(name: .customLong("vma-dump"), help: ArgumentHelp("A VMA JSON dump (vmaBuildStatsString with the detailed map).", valueName: "FILE"))
    var vmaDump: String?

    @Option(name: .customLong("d3d12ma-dump"), help: ArgumentHelp("A D3D12MA JSON dump (BuildStatsString with the detailed map; UTF-8 or UTF-16).", valueName: "FILE"))
    var d3d12maDump: String?

    @Option(name: .customLong("dump"), help: ArgumentHelp("A VMA or D3D12MA dump, told apart by its General.API.", valueName: "FILE"))
    var dump: String?

    func validate() throws {
        if [trace, scenario, vmaDump, d3d12maDump, dump].compactMap({ $0 }).count > 1 {
            throw ValidationError("give one input: --trace, --scenario, --vma-dump, --d3d12ma-dump or --dump")
        }
        if let scenario, Scenario(rawValue: scenario) == nil {
            throw ValidationError("unknown scenario '\(scenario)'; expected one of: \(Scenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// Loads the input; bad files throw a WorkloadError naming file and line.
    func load() throws -> Workload {
        if let trace { return .trace(try Trace.load(path: trace)) }
        if let vmaDump { return .dump(try VMADump.load(path: vmaDump)) }
        if let d3d12maDump { return .d3d12maDump(try D3D12MADump.load(path: d3d12maDump)) }
        if let dump { return try Workload.loadDump(path: dump) }
        // validate() refused unknown names.
        guard let chosen = Scenario(rawValue: scenarioName) else { throw CLIError("unknown scenario '\(scenarioName)'") }
        return .trace(chosen.trace())
    }

    /// The scenario shown when no file is given: the one named, else the first.
    var scenarioName: String { scenario ?? Scenario.allCases[0].rawValue }
}

/// Engine settings.
struct EngineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("fast, full, balanced, extensive or optimal (default: full for memutils, balanced for vma).", valueName: "NAME"))
    var algorithm: Algorithm?

    @Option(help: ArgumentHelp("memutils (the seed's behaviour) or vma (VMA 3.4's).", valueName: "NAME"))
    var dialect: Dialect = .memutils

    // `.unconditional`: a negative number is read as the value (and refused by validate()), not as an option.
    @Option(name: .customLong("max-pass-bytes"), parsing: .unconditional, help: "Bytes moved per pass at most (0: unlimited).")
    var maxPassBytes: Int = 0

    @Option(name: .customLong("max-pass-allocations"), parsing: .unconditional, help: "Allocations moved per pass at most (0: unlimited).")
    var maxPassAllocations: Int = 0

    @Option(name: .customLong("ignore-ids"),
            help: ArgumentHelp("Answer `ignore` to every move of these allocations (comma-separated ids): they stay put and their page becomes immovable for the rest of the run.", valueName: "ID,..."))
    var ignoreIDs: IDList?

    func validate() throws {
        if maxPassBytes < 0 { throw ValidationError("--max-pass-bytes must be 0 (unlimited) or positive, not \(maxPassBytes)") }
        if maxPassAllocations < 0 { throw ValidationError("--max-pass-allocations must be 0 (unlimited) or positive, not \(maxPassAllocations)") }
    }

    /// The consumer's answers other than copy, or nil when every move is copied.
    var faultPlan: FaultPlan? {
        guard let ignoreIDs, !ignoreIDs.ids.isEmpty else { return nil }
        return FaultPlan(ignoredIDs: Set(ignoreIDs.ids))
    }

    /// Sets the session's answers (`--ignore-ids`); call it wherever a session is made. An id that names no
    /// live allocation of the input is refused (a typo would otherwise show an ordinary run).
    func applyFaults<D: PageDevice>(to session: DefragSession<D>) throws {
        guard let plan = faultPlan else { return }
        let unknown = plan.ignoredIDs.sorted().filter { id in !session.pools.contains { $0.record(id: id) != nil } }
        if !unknown.isEmpty {
            throw CLIError("--ignore-ids: no live allocation with id \(unknown.map(String.init).joined(separator: ", ")) in \(session.title)")
        }
        session.faults = plan
    }

    var configuration: EngineConfiguration {
        EngineConfiguration(algorithm: algorithm, dialect: dialect,
                            maxPassBytes: maxPassBytes == 0 ? .max : maxPassBytes,
                            maxPassAllocations: maxPassAllocations == 0 ? .max : maxPassAllocations)
    }
}

/// A comma-separated list of allocation ids (`12,40`).
struct IDList: ExpressibleByArgument {
    var ids: [Int]

    init?(argument: String) {
        var ids: [Int] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let id = Int(part.trimmingCharacters(in: .whitespaces)), id >= 0 else { return nil }
            ids.append(id)
        }
        guard !ids.isEmpty else { return nil }
        self.ids = ids
    }
}

/// Where pages live.
struct BackendOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        host (synthetic pages in RAM), metadata (no page bytes: content tokens, for pools larger than memory) \
        or lavapipe (Vulkan device memory). Left out: host, or metadata when the pages would need more than \
        half of the machine's memory.
        """, valueName: "NAME"))
    var backend: Backend?

    @Option(help: ArgumentHelp("With --backend lavapipe: the Vulkan device whose name contains this text.", valueName: "NAME"))
    var device: String?

    func validate() throws {
        if device != nil && backend != .lavapipe {
            throw ValidationError("--device chooses a Vulkan device: it needs --backend lavapipe (host memory has no devices)")
        }
    }
}

enum Backend: String, ExpressibleByArgument, CaseIterable {
    case host, metadata, lavapipe
}

extension Algorithm: ExpressibleByArgument {}
extension Dialect: ExpressibleByArgument {}
