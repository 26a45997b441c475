import ArgumentParser

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open the terminal UI (the default command).")
    @OptionGroup var input: InputOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var backend: BackendOptions
    func run() throws { throw CLIError("watch: not yet") }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure planning, rendering and copy speed (release build).")
    func run() throws { throw CLIError("bench: not yet") }
}

