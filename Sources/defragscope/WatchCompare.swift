// `watch --compare A,B[,C,D]`: the configurations parsed from the option, one session each (each on its own
// host device, as they live side by side), shown by EventLoop.runComparison.
import ArgumentParser
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import TerminalUI
import Visualizer
import Workloads

/// `--compare`'s list: ALGORITHM[@DIALECT][:BYTES:ALLOCS], comma-separated, two to four.
enum ComparedSpec {
    static func parse(_ text: String, defaults: EngineConfiguration) throws -> [EngineConfiguration] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard (2...4).contains(items.count) else {
            throw CLIError("--compare '\(text)': expected two to four configurations separated by commas, found \(items.count)")
        }
        return try items.map { item in
            func refuse(_ why: String) -> CLIError {
                CLIError("--compare '\(item)': \(why); expected ALGORITHM[@DIALECT][:BYTES:ALLOCS], e.g. full, fast@vma or full:67108864:256")
            }
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 1 || parts.count == 3 else { throw refuse("a budget needs both BYTES and ALLOCS") }
            let names = parts[0].split(separator: "@", omittingEmptySubsequences: false).map(String.init)
            guard names.count <= 2, let algorithm = Algorithm(rawValue: names[0]) else {
                throw refuse("unknown algorithm '\(names[0])' (fast, full, balanced or extensive)")
            }
            var configuration = defaults
            configuration.algorithm = algorithm
            if names.count == 2 {
                guard let dialect = Dialect(rawValue: names[1]) else { throw refuse("unknown dialect '\(names[1])' (memutils or vma)") }
                configuration.dialect = dialect
            }
            if parts.count == 3 {
                guard let bytes = Int(parts[1]), let allocations = Int(parts[2]), bytes >= 0, allocations >= 0 else {
                    throw refuse("BYTES and ALLOCS must be whole numbers of 0 or more (0: unlimited)")
                }
                configuration.maxPassBytes = bytes == 0 ? .max : bytes
                configuration.maxPassAllocations = allocations == 0 ? .max : allocations
            }
            return configuration
        }
    }
}

extension Watch {
    /// `watch --compare LIST`: a bad list is refused whatever the terminal, then as `watch`.
    func showComparison(_ list: String) throws {
        let configurations = try ComparedSpec.parse(list, defaults: engine.configuration)
        if let chosen = backend.backend, chosen != .host {
            throw CLIError("--compare runs its sessions on host memory: leave out --backend \(chosen.rawValue)")
        }
        let environment = ProcessInfo.processInfo.environment
        if let refusal = TerminalCheck.refusal(environment: environment) {
            FileHandle.standardError.write(Data((refusal + "\n").utf8))
            throw ExitCode(2)
        }
        // A crash report must not wait for a key (as in `watch`).
        Backtracer.restartWithoutInteractiveReport()
        let workload = try input.load()
        let options = EventLoopOptions(environment: environment, ascii: ascii, mouse: !noMouse, startRunning: startRunning)
        let steps = workload.buildSteps
        let unit: String
        switch workload {
        case .trace: unit = "operations"
        case .dump, .d3d12maDump: unit = "allocations"
        }
        // "replayed 1,200 of 4,000 operations": the steps of every session's build, one after the other.
        let loading = LoadingProgress(title: workload.title, unit: "\(unit) (\(configurations.count) sessions)", total: steps * configurations.count)
        let exit: EventLoopExit
        do {
            exit = try EventLoop.runComparison(options: options, loading: loading) { reporter in
                // Each session on a device of its own: they live side by side, and a device names pages by pool.
                try configurations.enumerated().map { index, configuration in
                    let device = HostPageDevice()
                    let session = try DefragSession(title: workload.title, configuration: configuration, verification: verify) {
                        try workload.makePools(device: device, keepBytes: verify != .none) { done, _ in
                            try reporter.report(index * steps + done, of: steps * configurations.count)
                        }
                    }
                    try engine.applyFaults(to: session)
                    return DefragSessionDriver(session: session)
                }
            }
        } catch let error as TerminalUIError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        if case .signal(let number) = exit { throw ExitCode(128 + number) }
    }
}
