// The command line as a user meets it: formats, exit codes, messages for bad input.
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite("defragscope run")
struct CommandLineTests {
    @Test("text format prints a pass table and a summary")
    func textFormat() throws {
        let result = try runDefragscope(["run", "--trace", TestPaths.trace("tiny"), "--dialect", "vma", "--algorithm", "full"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("tiny.trace: 2 pages"))
        #expect(result.stdout.contains("algorithm full, dialect vma, budget unlimited, backend host memory"))
        #expect(result.stdout.contains("done: 1 passes, 1 allocations moved (112 B)"))
    }

    @Test("json format: one object per pass, then a summary object")
    func jsonFormat() throws {
        let result = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--format", "json",
                                         "--max-pass-bytes", "67108864", "--max-pass-allocations", "256"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count >= 2)
        var moves = 0
        for (i, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if i < lines.count - 1 {
                #expect(object["pass"] as? Int == i + 1)
                let passMoves = try #require(object["moves"] as? [[String: Any]])
                #expect(passMoves.count <= 256)
                moves += passMoves.count
            } else {
                #expect(object["summary"] as? Bool == true)
                #expect(object["moves"] as? Int == moves)
                #expect(object["passes"] as? Int == lines.count - 1)
            }
        }
    }

    @Test("every built-in scenario runs with every algorithm")
    func scenarios() throws {
        let help = try runDefragscope(["run", "--help"])
        #expect(help.status == 0)
        for scenario in ["checkerboard", "tiny"] {
            for algorithm in ["fast", "full", "balanced", "extensive"] {
                let result = try runDefragscope(["run", "--scenario", scenario, "--algorithm", algorithm, "--verify", "all"])
                #expect(result.status == 0, "\(scenario) \(algorithm): \(result.stderr)")
                #expect(result.stdout.contains("done:"))
            }
        }
    }

    struct BadInput: CustomStringConvertible, Sendable {
        var name: String
        var trace: String?
        var arguments: [String]
        var expected: [String]
        var description: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "missing file", trace: nil, arguments: ["run", "--trace", "/nonexistent/x.trace"], expected: ["/nonexistent/x.trace"]),
        BadInput(name: "unknown op", trace: "block-size 1024\na 1 16 16\nx 2\n", arguments: [], expected: [":3:", "x 2"]),
        BadInput(name: "non-number", trace: "block-size 1024\na 1 sixteen 16\n", arguments: [], expected: [":2:"]),
        BadInput(name: "free of unknown id", trace: "block-size 1024\na 1 16 16\nf 9\n", arguments: [], expected: [":3:", "9"]),
        BadInput(name: "larger than a page", trace: "block-size 1024\na 1 2048 16\n", arguments: [], expected: [":2:", "2048"]),
        BadInput(name: "alignment not a power of two", trace: "block-size 1024\na 1 16 24\n", arguments: [], expected: [":2:", "power of two"]),
        BadInput(name: "duplicate id", trace: "block-size 1024\na 1 16 16\na 1 32 16\n", arguments: [], expected: [":3:", "1"]),
        BadInput(name: "no block size", trace: "a 1 16 16\n", arguments: [], expected: ["block-size"]),
        BadInput(name: "unknown algorithm", trace: nil, arguments: ["run", "--algorithm", "quick"], expected: ["quick"]),
        BadInput(name: "unknown scenario", trace: nil, arguments: ["run", "--scenario", "nope"], expected: ["nope"]),
        BadInput(name: "negative budget", trace: nil, arguments: ["run", "--max-pass-bytes", "-5"], expected: ["--max-pass-bytes"]),
    ]

    @Test("bad input: a message naming the file and line, exit 2, nothing on stdout", arguments: badInputs)
    func badInput(_ input: BadInput) throws {
        var arguments = input.arguments
        var path: String?
        if let trace = input.trace {
            let file = try temporaryTrace(trace, prefix: "bad")
            path = file
            arguments = ["run", "--trace", file]
        }
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        let result = try runDefragscope(arguments)
        #expect(result.status == 2, "\(input.name): exit \(result.status), stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(input.name): stdout: \(result.stdout)")
        if let path { #expect(result.stderr.contains((path as NSString).lastPathComponent), "\(result.stderr)") }
        for fragment in input.expected { #expect(result.stderr.contains(fragment), "\(input.name): '\(fragment)' not in: \(result.stderr)") }
    }
}

@Suite("defragscope bench")
struct BenchCommandTests {
    @Test("--json: one object per case with the issue's keys, planning the same moves as run")
    func jsonCases() throws {
        let result = try runDefragscope(["bench", "--trace", TestPaths.trace("tiny"), "--trace", TestPaths.trace("checkerboard"),
                                         "--algorithm", "full", "--budget", "0:0", "--budget", "67108864:256", "--repeat", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 4)
        let keys = ["trace", "algorithm", "dialect", "maxPassBytes", "maxPassAllocations", "replayOpsPerSecond", "planningSecondsMedian",
                    "planningSecondsMin", "planningSecondsMax", "passes", "moves", "bytesMoved", "pagesBefore", "pagesAfter",
                    "pagesLowerBound", "peakRSSBytes", "metadataBytesPerAllocation", "planningSecondsPerPassMedian", "planningSecondsPerPassMax", "movesChecksum"]
        for object in objects {
            for key in keys { #expect(object[key] != nil, "missing \(key) in \(object)") }
            let perPass = try #require(object["planningSecondsPerPassMedian"] as? Double)
            let slowestPass = try #require(object["planningSecondsPerPassMax"] as? Double)
            #expect(perPass > 0 && perPass <= slowestPass && slowestPass <= (object["planningSecondsMax"] as? Double ?? 0))
            let checksum = try #require(object["movesChecksum"] as? String)
            #expect(checksum.count == 16 && checksum.allSatisfy(\.isHexDigit), "\(checksum)")
            #expect(object["dialect"] as? String == "vma")
            let min = try #require(object["planningSecondsMin"] as? Double), max = try #require(object["planningSecondsMax"] as? Double)
            #expect(min <= max)
            #expect((object["metadataBytesPerAllocation"] as? Double ?? 0) > 0)
        }
        // The metadata-only pages plan exactly what a run over real bytes does.
        let checkerboard = try #require(objects.first { $0["trace"] as? String == "checkerboard.trace" && $0["maxPassBytes"] as? Int == 0 })
        let run = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--dialect", "vma", "--algorithm", "full", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.split(separator: "\n").last!.utf8)) as? [String: Any])
        #expect(checkerboard["moves"] as? Int == summary["moves"] as? Int)
        #expect(checkerboard["passes"] as? Int == summary["passes"] as? Int)

        // The move checksum is the same plan's every time, and another plan's differs.
        func checksum(_ algorithm: String) throws -> String {
            let again = try runDefragscope(["bench", "--trace", TestPaths.trace("checkerboard"), "--algorithm", algorithm, "--budget", "0:0",
                                            "--repeat", "2", "--json"])
            #expect(again.status == 0, "\(again.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
            return try #require(object["movesChecksum"] as? String)
        }
        #expect(try checksum("full") == checkerboard["movesChecksum"] as? String)
        #expect(try checksum("fast") != checkerboard["movesChecksum"] as? String)
    }

    @Test("--targets without the scale trace names the file it needs, exit 2")
    func targetsNeedTheirTraces() throws {
        let result = try runDefragscope(["bench", "--targets", "--trace", TestPaths.trace("tiny"), "--repeat", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bench --targets needs scale.trace"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}

// MARK: - the binary in the background

/// The built binary started in the background with its standard output on a pipe the test reads (stdin
/// /dev/null, stderr to a file), so a test can watch output arrive and send signals.
final class BackgroundDefragscope {
    let pid: pid_t
    private let output: Int32
    private let errorPath: String
    private(set) var received: [UInt8] = []
    private var status: Int32?

    init(_ arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CocoaError(.fileWriteUnknown) }
        // Neither end may leak into processes other tests start meanwhile (dup2 clears the flag on the child's 1).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        output = fds[0]
        errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-bg-\(UUID().uuidString).err").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([TestPaths.binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, TestPaths.binary, &actions, &attributes, argv, environ)
        close(fds[1])
        guard spawned == 0 else { close(fds[0]); throw CocoaError(.executableLoad) }
        self.pid = pid
    }

    deinit {
        if status == nil { kill(pid, SIGKILL); _ = waitpid(pid, nil, 0) }
        close(output)
        try? FileManager.default.removeItem(atPath: errorPath)
    }

    var text: String { String(decoding: received, as: UTF8.self) }
    var stderr: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Reads what arrives until `enough` holds for the text so far, the pipe closes, or `timeout` seconds
    /// pass; whether `enough` held.
    @discardableResult
    func read(until enough: (String) -> Bool, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !enough(text) {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return false }
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, Int32(min(left, 1) * 1000)) <= 0 { continue }
            let n = Glibc.read(output, &buffer, buffer.count)
            if n <= 0 { return enough(text) }
            received += buffer[0..<n]
        }
        return true
    }

    /// Whether the process has not ended yet.
    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw; return false }
        return true
    }

    /// Waits for the end (killing it after `timeout` seconds) and reads what is left; the signal that ended
    /// it, or nil when it exited (then `exitStatus` tells how).
    func finish(timeout: Double = 300) -> (signal: Int32?, exitStatus: Int32?) {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() > deadline { kill(pid, SIGKILL) }
            read(until: { _ in false }, timeout: 0.05)
        }
        read(until: { _ in false }, timeout: 5)
        let raw = status ?? 0
        return raw & 0x7f == 0 ? (nil, (raw >> 8) & 0xff) : (raw & 0x7f, nil)
    }
}

@Suite("run writes each pass as it finishes")
struct StreamingTests {
    /// checkerboard one move per pass: over 500 passes, about 40 KB as text; with every live allocation
    /// checked after every pass it takes many seconds.
    static func arguments(_ format: String) -> [String] {
        ["run", "--trace", TestPaths.trace("checkerboard"), "--max-pass-allocations", "1", "--verify", "all", "--format", format]
    }

    @Test("a pipe reader sees pass 1 while the run goes on; SIGINT then leaves every written pass complete",
          arguments: ["text", "json"])
    func passesArriveAndSurviveSIGINT(format: String) throws {
        let run = try BackgroundDefragscope(Self.arguments(format))
        // Pass 1 is there once its line ends: the first JSON line, or the text's fourth line (after the header).
        let sawPass1 = run.read(until: { text in
            format == "json" ? text.hasPrefix("{\"pass\":1,") && text.contains("\n") : text.contains("\n1    ") && text.split(separator: "\n").count >= 4
        }, timeout: 300)
        #expect(sawPass1, "no pass 1 on the pipe: \(run.text.prefix(300)) \(run.stderr)")
        #expect(run.isRunning, "the run ended before its first pass was read: output was held back until the end")
        kill(run.pid, SIGINT)
        let end = run.finish()
        #expect(end.signal == SIGINT, "ended by \(String(describing: end.signal)), exit \(String(describing: end.exitStatus)): \(run.stderr)")
        let text = run.text
        #expect(text.hasSuffix("\n"), "a pass was cut off: \(text.suffix(200))")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.hasPrefix("done:") || $0.contains("\"summary\"") }, "the run finished before SIGINT")
        if format == "json" {
            let numbers = try lines.map { line -> Int in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
                return try #require(object["pass"] as? Int)
            }
            #expect(numbers == Array(1...max(1, numbers.count)))
        } else {
            let rows = lines.dropFirst(3).map { Int($0.prefix { $0 != " " }) }
            #expect(rows == Array(1...max(1, rows.count)).map { Optional($0) }, "\(lines.prefix(6))")
        }
    }
}

@Suite("command-line options")
struct OptionTests {
    struct Refusal: CustomStringConvertible, Sendable {
        var arguments: [String]
        var expected: String
        var description: String { arguments.joined(separator: " ") }
    }

    static let refusals: [Refusal] = [
        Refusal(arguments: ["run", "--scenario", "tiny", "--max-passes=-5"], expected: "--max-passes must be 0 (run to completion) or positive, not -5"),
        Refusal(arguments: ["run", "--scenario", "tiny", "--max-passes", "-5"], expected: "--max-passes must be 0 (run to completion) or positive"),
        Refusal(arguments: ["run", "--scenario", "tiny", "--max-pass-bytes", "-1"], expected: "--max-pass-bytes must be 0 (unlimited) or positive, not -1"),
        Refusal(arguments: ["run", "--scenario", "tiny", "--max-pass-allocations", "-3"], expected: "--max-pass-allocations must be 0 (unlimited) or positive, not -3"),
        Refusal(arguments: ["run", "--trace", TestPaths.trace("tiny"), "--trace", TestPaths.trace("checkerboard")], expected: "--trace was given more than once"),
        Refusal(arguments: ["run", "--scenario", "tiny", "--format", "json", "--format=text"], expected: "--format was given more than once"),
        Refusal(arguments: ["run", "--scenario", "tiny", "--algorithm", "fast", "--algorithm", "full"], expected: "--algorithm was given more than once"),
        Refusal(arguments: ["export", "--scenario", "tiny", "-o", "/tmp/dscope-a.json", "--output", "/tmp/dscope-b.json"], expected: "--output was given more than once"),
        Refusal(arguments: ["run", "--scenario", "tiny", "--device", "llvmpipe"], expected: "--device chooses a Vulkan device: it needs --backend lavapipe"),
        Refusal(arguments: ["bench", "--trace", TestPaths.trace("tiny"), "--device", "llvmpipe"], expected: "it needs --backend lavapipe"),
        Refusal(arguments: ["bench", "--trace", TestPaths.trace("tiny"), "--repeat", "-2"], expected: "--repeat must be at least 1, not -2"),
        Refusal(arguments: ["bench", "--trace", TestPaths.trace("tiny"), "--repeat", "1", "--repeat", "2"], expected: "--repeat was given more than once"),
        Refusal(arguments: ["bench", "--render", "--targets"], expected: "choose one of --render, --targets and --backend lavapipe"),
    ]

    @Test("refused with a message saying what is expected, exit 2, nothing on stdout", arguments: refusals)
    func refused(_ refusal: Refusal) throws {
        let result = try runDefragscope(refusal.arguments)
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(result.stdout)")
        #expect(result.stderr.contains(refusal.expected), "\(result.stderr)")
        #expect(!result.stderr.contains("Missing value"), "\(result.stderr)")
    }

    @Test("bench takes --trace, --algorithm and --budget more than once")
    func repeatableOptions() throws {
        let result = try runDefragscope(["bench", "--trace", TestPaths.trace("tiny"), "--trace", TestPaths.trace("tiny"), "--algorithm", "fast",
                                         "--algorithm", "full", "--budget", "0:0", "--budget", "4096:4", "--repeat", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 8)
    }

    @Test("--max-passes 2 stops after two passes; 0 runs to the end")
    func maxPasses() throws {
        let two = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--max-pass-allocations", "64", "--max-passes", "2", "--format", "json"])
        #expect(two.status == 0, "\(two.stderr)")
        let lines = two.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.last?.contains("\"finished\":false") == true)
        let all = try runDefragscope(["run", "--trace", TestPaths.trace("tiny"), "--max-passes", "0", "--format", "json"])
        #expect(all.stdout.split(separator: "\n").last?.contains("\"finished\":true") == true)
    }
}
