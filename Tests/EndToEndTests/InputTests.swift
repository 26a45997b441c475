// Inputs as a user meets them through the built binary: endless or huge files, byte order marks, dumps on
// pipes and FIFOs, directories, files that cannot be opened. Every refusal names the file (and the line),
// says what was expected, exits 2 and crashes nothing.
import Foundation
import Testing
import TestSupport

private enum Inputs {
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dscope-input-\(UUID().uuidString)-\(name)").path
    }

    static func dump(_ name: String) -> String { TestPaths.shared.appendingPathComponent("vma-dumps/\(name)").path }

    /// `defragscope run ... --format ref` lines without the comment naming the input.
    static func moves(_ result: ProcessResult) -> [Substring] {
        result.stdout.split(separator: "\n").filter { !$0.hasPrefix("# reference:") }
    }

    /// Runs the binary, measuring the wall-clock time.
    static func timed(_ arguments: [String]) throws -> (ProcessResult, seconds: Double) {
        let start = Date()
        let result = try runDefragscope(arguments, timeout: 60)
        return (result, Date().timeIntervalSince(start))
    }
}

@Suite("Inputs through the binary")
struct InputTests {
    static let longLine = "line longer than 64 KiB: expected a line of a trace file (at most 65536 bytes before its \"\\n\"), found one starting \""
        + String(repeating: "\\u{0}", count: 16) + "...\""

    @Test("--trace /dev/zero is refused within a second, naming line 1")
    func devZeroTrace() throws {
        let (result, seconds) = try Inputs.timed(["run", "--trace", "/dev/zero"])
        #expect(result.status == 2)
        #expect(result.stderr == "defragscope: /dev/zero:1: \(Self.longLine)\n")
        #expect(seconds < 1, "took \(seconds) s")
    }

    @Test("a 5 GB sparse trace is refused at its first line without reading it")
    func sparseTrace() throws {
        let path = Inputs.temporary("sparse.trace")
        try Data().write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        #expect(truncate(path, 5_000_000_000) == 0)
        let (result, seconds) = try Inputs.timed(["run", "--trace", path])
        #expect(result.status == 2)
        #expect(result.stderr == "defragscope: \(path):1: \(Self.longLine)\n")
        #expect(seconds < 1, "took \(seconds) s")
    }

    @Test("a trace starting with a byte order mark runs as without it")
    func byteOrderMarkTrace() throws {
        let plain = try Data(contentsOf: URL(fileURLWithPath: TestPaths.trace("tiny")))
        let path = Inputs.temporary("tiny.trace")
        try (Data([0xEF, 0xBB, 0xBF]) + plain).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let marked = try runDefragscope(["run", "--trace", path, "--format", "ref"])
        let unmarked = try runDefragscope(["run", "--trace", TestPaths.trace("tiny"), "--format", "ref"])
        #expect(marked.status == 0, "\(marked.stderr)")
        #expect(unmarked.status == 0)
        #expect(Inputs.moves(marked).count > 10)
        #expect(Inputs.moves(marked) == Inputs.moves(unmarked))
    }

    @Test("a trace on stdin (a pipe) runs as from its file")
    func traceOnStdin() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.trace("checkerboard"))))
        let piped = try runDefragscope(["run", "--trace", "/dev/stdin", "--format", "ref"], stdin: bytes)
        let file = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--format", "ref"])
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(Inputs.moves(piped).count > 1000)
        #expect(Inputs.moves(piped) == Inputs.moves(file))
    }

    @Test("--vma-dump /dev/stdin reads a dump from a pipe")
    func dumpOnStdin() throws {
        let path = Inputs.dump("churn-s1.default.json")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let piped = try runDefragscope(["run", "--vma-dump", "/dev/stdin", "--format", "ref"], stdin: bytes)
        let file = try runDefragscope(["run", "--vma-dump", path, "--format", "ref"])
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(file.status == 0)
        #expect(Inputs.moves(piped).count > 4000)
        #expect(Inputs.moves(piped) == Inputs.moves(file))
    }

    @Test("--vma-dump reads a FIFO")
    func dumpFromFIFO() throws {
        let fifo = Inputs.temporary("dump.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let path = Inputs.dump("vma-sample.json")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        // The writer opens the FIFO (blocking until the binary opens it to read) and writes the dump.
        signal(SIGPIPE, SIG_IGN)  // if the binary stops reading, write() fails with EPIPE
        let written = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let fd = open(fifo, O_WRONLY)
            if fd >= 0 {
                bytes.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                        if n < 0 { if errno == EINTR { continue } else { break } }
                        offset += n
                    }
                }
                close(fd)
            }
            written.signal()
        }
        let result = try runDefragscope(["run", "--vma-dump", fifo, "--format", "ref"], timeout: 60)
        if written.wait(timeout: .now() + 5) == .timedOut {
            // The binary never opened the FIFO: open it here so the writer's open returns, and fails.
            let reader = open(fifo, O_RDONLY | O_NONBLOCK)
            if reader >= 0 { close(reader) }
            written.wait()
        }
        let file = try runDefragscope(["run", "--vma-dump", path, "--format", "ref"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        #expect(Inputs.moves(result).count > 100)
        #expect(Inputs.moves(result) == Inputs.moves(file))
    }

    @Test("--vma-dump /dev/zero is refused at once with the byte, line and column")
    func devZeroDump() throws {
        let (result, seconds) = try Inputs.timed(["run", "--vma-dump", "/dev/zero"])
        #expect(result.status == 2)
        #expect(result.stderr == "defragscope: /dev/zero:1: at $: malformed JSON at byte 0 (line 1, column 1): unexpected byte 0x0, expected a value\n")
        #expect(seconds < 1, "took \(seconds) s")
    }

    @Test("a dump larger than 256 MiB is refused by its size, stated in the message")
    func hugeDump() throws {
        let path = Inputs.temporary("huge.json")
        try Data("{".utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        #expect(truncate(path, (256 << 20) + 1) == 0)
        let (result, seconds) = try Inputs.timed(["run", "--vma-dump", path])
        #expect(result.status == 2)
        #expect(result.stderr == "defragscope: \(path): larger than 256 MiB (268435457 bytes): expected a VMA dump of at most 268435456 bytes\n")
        #expect(seconds < 1, "took \(seconds) s")
    }

    @Test("a directory is named as one, for traces and dumps")
    func directories() throws {
        let directory = TestPaths.shared.path
        let trace = try runDefragscope(["run", "--trace", directory])
        #expect(trace.status == 2)
        #expect(trace.stderr == "defragscope: \(directory): is a directory: expected a trace file\n")
        let dump = try runDefragscope(["run", "--vma-dump", directory])
        #expect(dump.status == 2)
        #expect(dump.stderr == "defragscope: \(directory): is a directory: expected a VMA dump\n")
    }

    @Test("missing files and files without permission are named with the reason")
    func missingAndForbidden() throws {
        let missing = Inputs.temporary("missing.json")
        let noDump = try runDefragscope(["run", "--vma-dump", missing])
        #expect(noDump.status == 2)
        #expect(noDump.stderr == "defragscope: \(missing): no such VMA dump: No such file or directory\n")
        let noTrace = try runDefragscope(["run", "--trace", missing])
        #expect(noTrace.stderr == "defragscope: \(missing): no such trace file: No such file or directory\n")

        // A file of mode 000. Root reads anything through its capabilities: as root the binary runs without
        // CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv, util-linux), still root, owner of the file.
        let secret = Inputs.temporary("secret.trace")
        try Data("block-size 64\n".utf8).write(to: URL(fileURLWithPath: secret))
        defer { unlink(secret) }
        #expect(chmod(secret, 0) == 0)
        for (option, kind) in [("--trace", "trace file"), ("--vma-dump", "VMA dump")] {
            let result = getuid() == 0
                ? try runProcess("/usr/bin/setpriv", ["--bounding-set=-dac_override,-dac_read_search", TestPaths.binary, "run", option, secret])
                : try runDefragscope(["run", option, secret])
            #expect(result.status == 2)
            #expect(result.stderr == "defragscope: \(secret): cannot open the \(kind): Permission denied\n")
        }
    }
}
