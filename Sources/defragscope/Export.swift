// `defragscope export`: the pool state as a VMA JSON dump.
import ArgumentParser

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the pool state as a VMA JSON dump.")
    func run() throws { throw CLIError("export: not yet") }
}
