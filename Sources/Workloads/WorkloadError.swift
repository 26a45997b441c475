// Bad input of any kind is refused with a message that names the file, the line or JSON path, and what
// was expected (DESIGN.md, "Inputs"). The command line prints `description` and exits with status 2.

/// An input (trace file, VMA dump, scenario) that cannot be used, with where and why.
public struct WorkloadError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file as the user named it (or a scenario's name).
    public var file: String
    /// 1-based line of the problem; nil when the error is about the whole file.
    public var line: Int?
    /// For JSON inputs (VMA dumps): where in the document, e.g. `$.Pools[2].Blocks[0]`.
    public var jsonPath: String?
    /// What was found and what was expected.
    public var message: String

    public init(file: String, line: Int? = nil, jsonPath: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.jsonPath = jsonPath
        self.message = message
    }

    /// `FILE:LINE: message`, `FILE: at JSONPATH: message`, or `FILE: message`
    /// (with both a line and a path: `FILE:LINE: at JSONPATH: message`).
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let jsonPath { text += "at \(jsonPath): " }
        return text + message
    }
}
