// Shared helpers for the test targets: where things are, running the built binary, reference files.
import Foundation
import MemoryPools  // SplitMix64
#if canImport(Glibc)
import Glibc
#endif

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

/// Runs `executable` with `arguments` the way a shell would, and collects its output: stdin from /dev/null (or
/// a pipe that a thread fills with the bytes `stdin`, then closes), stdout and stderr to files, no other
/// descriptor (where glibc has `posix_spawn_file_actions_addclosefrom_np`), no blocked signal and the usual
/// ones at their defaults.
///
/// Spawned with posix_spawn and reaped with waitpid rather than Foundation's `Process`: a child that starts
/// a daemon (`tmux new-session -d`) makes `Process.waitUntilExit()` wait forever on Linux, and the daemon
/// would keep any descriptor it inherited, other tests' included. A test thread's blocked signals would
/// reach the child. A child still running after `timeout` seconds is killed and reported with status -1
/// (a test then fails, it never hangs).
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       stdin: [UInt8]? = nil, timeout: Double = 600) throws -> ProcessResult {
    let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-\(UUID().uuidString).out").path
    let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-\(UUID().uuidString).err").path
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    var stdinPipe: [Int32] = [-1, -1]
    if stdin != nil {
        guard pipe(&stdinPipe) == 0 else {
            throw NSError(domain: "runProcess", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "pipe: \(String(cString: strerror(errno)))"])
        }
        // Only the dup on 0 reaches the child (else an inherited write end would keep its stdin open).
        for end in stdinPipe { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    defer { if stdinPipe[0] >= 0 { close(stdinPipe[0]) } }
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") { // glibc 2.34 and later
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
    }

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), defaults = sigset_t()
    sigemptyset(&none)
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGWINCH] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let env = (environment.map { ProcessInfo.processInfo.environment.merging($0) { _, new in new } } ?? ProcessInfo.processInfo.environment)
        .map { "\($0.key)=\($0.value)" }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup($0) } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard spawned == 0 else {
        if stdinPipe[1] >= 0 { close(stdinPipe[1]) }
        throw NSError(domain: "runProcess", code: Int(spawned), userInfo: [NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(spawned)))"])
    }
    // The child's stdin, written from a thread: the child may read slowly, or stop early (then EPIPE ends the
    // writing), or hand its stdin to a process that outlives it (then the writing stops once it is reaped).
    // A write of at most PIPE_BUF bytes after POLLOUT never blocks, so the thread sees `reaped` in time.
    let stdinWritten = DispatchSemaphore(value: 0)
    let reaped = StopFlag()
    if let stdin {
        close(stdinPipe[0])
        stdinPipe[0] = -1
        signal(SIGPIPE, SIG_IGN)
        let writeEnd = stdinPipe[1]
        Thread.detachNewThread {
            stdin.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count && !reaped.isSet {
                    var ready = pollfd(fd: writeEnd, events: Int16(POLLOUT), revents: 0)
                    guard poll(&ready, 1, 50) >= 0 || errno == EINTR else { break }
                    if ready.revents & Int16(POLLOUT | POLLERR | POLLHUP) == 0 { continue }
                    let n = write(writeEnd, raw.baseAddress! + offset, min(raw.count - offset, Int(PIPE_BUF)))
                    if n < 0 { if errno == EINTR { continue } else { break } }
                    offset += n
                }
            }
            close(writeEnd)
            stdinWritten.signal()
        }
    }
    defer {
        if stdin != nil {
            reaped.set()
            stdinWritten.wait()
        }
    }
    var status: Int32 = 0
    let deadline = Date().addingTimeInterval(timeout)
    var exitStatus: Int32 = -1
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid {
            if status & 0x7f == 0 { exitStatus = (status >> 8) & 0xff } else { exitStatus = 128 + (status & 0x7f) }
            break
        }
        if r < 0 { break }
        if Date() > deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            exitStatus = -1
            break
        }
        usleep(2_000)
    }
    return ProcessResult(status: exitStatus,
                         stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// A flag one thread sets and another reads.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// Writes `text` to a new trace file in the temporary folder (`<prefix>-<UUID>.trace`) and returns its path;
/// the caller removes it.
public func temporaryTrace(_ text: String, prefix: String = "dscope") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString).trace").path
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    return path
}

/// Runs the built `defragscope`.
public func runDefragscope(_ arguments: [String], environment: [String: String]? = nil, stdin: [UInt8]? = nil,
                           timeout: Double = 600) throws -> ProcessResult {
    try runProcess(TestPaths.binary, arguments, environment: environment, stdin: stdin, timeout: timeout)
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

/// SplitMix64, for seeded tests: the project's one generator.
public typealias SeededRandom = SplitMix64
