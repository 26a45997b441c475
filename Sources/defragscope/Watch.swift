import ArgumentParser

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open the terminal UI (the default command).")
    @OptionGroup var input: InputOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var backend: BackendOptions
    func run() throws { throw CLIError("watch: not yet") }
}
