// Shared helpers for the test targets: where things are, running the built binary, reference files.
import Foundation

/// Locations the tests need.
public enum TestPaths {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() } // Tests/TestSupport/TestSupport.swift
        return url
    }()

    /// `../shared` beside the package, or `DEFRAGSCOPE_SHARED`.
    public static let shared: URL = {
        if let override = ProcessInfo.processInfo.environment["DEFRAGSCOPE_SHARED"] { return URL(fileURLWithPath: override) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    public static func trace(_ name: String) -> String { shared.appendingPathComponent("traces/\(name).trace").path }

    /// The built `defragscope` binary: `DEFRAGSCOPE_BIN`, else the debug build beside the tests.
    public static let binary: String = {
        if let override = ProcessInfo.processInfo.environment["DEFRAGSCOPE_BIN"] { return override }
        // The test bundle lives in the same build folder as the executable.
        let bundleDirectory = Bundle.main.bundleURL.deletingLastPathComponent()
        for candidate in [bundleDirectory.appendingPathComponent("defragscope"),
                          bundleDirectory.deletingLastPathComponent().appendingPathComponent("defragscope"),
                          packageRoot.appendingPathComponent(".build/debug/defragscope")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate.path
        }
        return packageRoot.appendingPathComponent(".build/debug/defragscope").path
    }()

    /// Whether long runs (large traces, big soaks) are enabled: `DEFRAGSCOPE_SOAK=1`.
    public static var soak: Bool { ProcessInfo.processInfo.environment["DEFRAGSCOPE_SOAK"] != nil }
}

/// The result of running a program.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` with `arguments`, stdin from /dev/null, and collects its output.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-\(UUID().uuidString).out")
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-\(UUID().uuidString).err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return ProcessResult(status: process.terminationStatus,
                         stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// Runs the built `defragscope`.
public func runDefragscope(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    try runProcess(TestPaths.binary, arguments, environment: environment)
}

/// One file of `shared/reference/` or `shared/reference-memutils/`.
public struct ReferenceFile: CustomStringConvertible, Sendable {
    public var path: String
    /// "vma" or "memutils".
    public var dialect: String
    public var trace: String
    public var algorithm: String
    public var maxPassBytes: Int
    public var maxPassAllocations: Int

    public var description: String { "\(dialect)/" + (path as NSString).lastPathComponent }

    /// Arguments for `defragscope run` that should reproduce the file.
    public var runArguments: [String] {
        ["run", "--trace", TestPaths.trace(trace), "--dialect", dialect, "--algorithm", algorithm,
         "--max-pass-bytes", "\(maxPassBytes)", "--max-pass-allocations", "\(maxPassAllocations)", "--format", "ref"]
    }

    /// The file's lines without `#` comments.
    public func expectedLines() throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init).filter { !$0.hasPrefix("#") }
    }

    /// All reference files, both dialects.
    public static func all() -> [ReferenceFile] {
        var files: [ReferenceFile] = []
        for (folder, dialect) in [("reference", "vma"), ("reference-memutils", "memutils")] {
            let dir = TestPaths.shared.appendingPathComponent(folder)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".ref") }.sorted()
            for name in names {
                // <scenario>-s1.<algorithm>.<budget>.ref
                let parts = name.dropLast(4).split(separator: ".")
                guard parts.count == 3, let dash = parts[0].range(of: "-s", options: .backwards) else { continue }
                let trace = String(parts[0][..<dash.lowerBound])
                var bytes = 0, allocs = 0
                if parts[2] != "unlimited" {
                    let b = parts[2].split(separator: "-")
                    bytes = Int(b[0]) ?? 0
                    allocs = Int(b[1]) ?? 0
                }
                files.append(ReferenceFile(path: dir.appendingPathComponent(name).path, dialect: dialect, trace: trace,
                                           algorithm: String(parts[1]), maxPassBytes: bytes, maxPassAllocations: allocs))
            }
        }
        return files
    }
}

/// SplitMix64, for seeded tests.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
