// Inputs read as bounded streams (InputReader.swift): lines across chunk boundaries, the cap on a line's
// length, NUL bytes, byte order marks, empty files, pipes, and the cap on a dump's size.
import Foundation
import Testing
@testable import Workloads

/// A file under /tmp holding `bytes`, removed by `remove()`.
struct TemporaryFile {
    let path: String

    init(_ name: String, _ bytes: [UInt8]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("defragscope-\(getpid())-\(UUID().uuidString)-\(name)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func remove() { unlink(path) }
}

/// A pipe whose write end a background thread fills with `bytes` in pieces of `pieceSizes` (cycled, with
/// `pause` seconds after each), then closes; its read end is `/dev/fd/N` for `InputFile`. Call `finish()`
/// after reading.
final class FeedingPipe: @unchecked Sendable {
    let readEnd: Int32
    private let writeEnd: Int32
    private let done = DispatchSemaphore(value: 0)

    init(_ bytes: [UInt8], pieceSizes: [Int] = [Int.max], pause: Double = 0) throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        readEnd = ends[0]
        writeEnd = ends[1]
        signal(SIGPIPE, SIG_IGN)  // a reader that stops early makes write() fail with EPIPE instead
        let writeEnd = self.writeEnd, done = self.done
        Thread.detachNewThread {
            var offset = 0, piece = 0
            bytes.withUnsafeBytes { raw in
                while offset < raw.count {
                    let count = min(pieceSizes[piece % pieceSizes.count], raw.count - offset)
                    piece += 1
                    let n = write(writeEnd, raw.baseAddress! + offset, count)
                    if n < 0 { if errno == EINTR { continue } else { break } }
                    offset += n
                    if pause > 0 { usleep(UInt32(pause * 1e6)) }
                }
            }
            close(writeEnd)
            done.signal()
        }
    }

    var path: String { "/dev/fd/\(readEnd)" }

    func finish() {
        close(readEnd)
        done.wait()
    }
}

/// Every line `reader` gives, as arrays.
func allLines(_ reader: inout LineReader) throws -> [[UInt8]] {
    var lines: [[UInt8]] = []
    while let line = try reader.nextLine() { lines.append(Array(line)) }
    return lines
}

/// The error the next line of `reader` is refused with; fails the test if there is none.
func refusal(_ reader: inout LineReader) -> WorkloadError? {
    do {
        let line = try reader.nextLine()
        Issue.record("expected a WorkloadError, read \(line.map { "a line of \($0.count) bytes" } ?? "the end")")
    } catch let error as WorkloadError {
        return error
    } catch {
        Issue.record("expected a WorkloadError, got \(type(of: error)): \(error)")
    }
    return nil
}

/// `bytes` split at "\n" as a text file is: no empty last line after a final "\n".
func expectedLines(_ bytes: [UInt8]) -> [[UInt8]] {
    var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    if lines.last == [] { lines.removeLast() }
    return lines
}

@Suite("Inputs read as bounded streams")
struct InputReaderTests {
    /// Lines of every length around the chunk size (and a "\r\n" line end), read from a file and from a pipe.
    static func boundaryText() -> [UInt8] {
        let chunk = InputFile.chunkSize
        var bytes: [UInt8] = []
        for (k, length) in [chunk - 1, 0, chunk - 2, 1, chunk, 5, chunk + 1, 3, 2 * chunk - 7, 0, 0, 11].enumerated() {
            bytes += (0..<length).map { UInt8(ascii: "a") + UInt8(($0 + k) % 26) }
            if k == 5 { bytes += [UInt8(ascii: "\r")] }
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes + Array("last line without an end".utf8)
    }

    /// Every way small reads can cut lines: reads of 1 to 9 bytes over lines of 0 to 12 bytes (some ending in
    /// "\r\n", the last one without a line end), so that every line end falls at every place in a read.
    @Test func everyReadBoundary() throws {
        var bytes: [UInt8] = []
        for length in 0...12 {
            bytes += (0..<length).map { UInt8(ascii: "a") + UInt8($0) }
            bytes += length % 3 == 0 ? Array("\r\n".utf8) : Array("\n".utf8)
        }
        bytes += Array("end".utf8)
        for piece in 1...9 {
            let lines = try bytes.withUnsafeBytes { raw in
                var reader = LineReader(bytes: raw, name: "m", kind: "trace file", maxLineBytes: 13, pieceSize: piece)
                return try allLines(&reader)
            }
            #expect(lines == expectedLines(bytes), "reads of \(piece) bytes")
            #expect(lines.count == 14)
            // A cap of 12 refuses line 13 (12 letters and "\r"), and keeps refusing it if asked again.
            try bytes.withUnsafeBytes { raw in
                var reader = LineReader(bytes: raw, name: "m", kind: "trace file", maxLineBytes: 12, pieceSize: piece)
                for _ in 1...12 { _ = try reader.nextLine() }
                let first = refusal(&reader), again = refusal(&reader)
                #expect(first?.line == 13, "reads of \(piece) bytes")
                #expect(first?.description.hasPrefix("m:13: line longer than 12 bytes:") == true)
                #expect(again == first)
            }
        }
    }

    @Test func chunkBoundariesInMemory() throws {
        let bytes = Self.boundaryText()
        let lines = try bytes.withUnsafeBytes { raw in
            var reader = LineReader(bytes: raw, name: "m", kind: "trace file", maxLineBytes: 3 * InputFile.chunkSize)
            return try allLines(&reader)
        }
        #expect(lines == expectedLines(bytes))
        #expect(lines.count == 13)
        #expect(lines[5].last == UInt8(ascii: "\r"))  // the reader keeps "\r": the trace parser drops it
    }

    @Test func chunkBoundariesFromAFileAndFromAPipeInOddPieces() throws {
        let bytes = Self.boundaryText()
        let file = try TemporaryFile("lines", bytes)
        defer { file.remove() }
        let input = try InputFile(path: file.path, kind: "trace file")
        #expect(input.regularFileSize == bytes.count)
        var reader = LineReader(file: input, maxLineBytes: 3 * InputFile.chunkSize)
        #expect(try allLines(&reader) == expectedLines(bytes))
        #expect(reader.lineNumber == 13)

        let pipe = try FeedingPipe(bytes, pieceSizes: [1, 7, 4093, 65537, 2, 30000])
        defer { pipe.finish() }
        let piped = try InputFile(path: pipe.path, kind: "trace file")
        #expect(piped.regularFileSize == nil)
        var pipedReader = LineReader(file: piped, maxLineBytes: 3 * InputFile.chunkSize)
        #expect(try allLines(&pipedReader) == expectedLines(bytes))
    }

    @Test func emptyInputHasNoLines() throws {
        try [UInt8]().withUnsafeBytes { raw in
            var reader = LineReader(bytes: raw, name: "e", kind: "trace file", maxLineBytes: 10)
            let first = try reader.nextLine(), again = try reader.nextLine()
            #expect(first == nil && again == nil)
            #expect(reader.lineNumber == 0)
        }

        let file = try TemporaryFile("empty.trace", [])
        defer { file.remove() }
        #expect(workloadError { _ = try Trace.load(path: file.path) }?.description
            == "\(file.path): empty trace: expected a \"block-size N\" line and operations")
    }

    @Test func aLineAtTheCapIsReadAndOneByteMoreIsRefusedWithItsLine() throws {
        let text = Array("short\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 100) + Array("\n".utf8)
            + [UInt8](repeating: UInt8(ascii: "y"), count: 101) + Array("\nnever reached\n".utf8)
        try text.withUnsafeBytes { raw in
            var reader = LineReader(bytes: raw, name: "long.txt", kind: "trace file", maxLineBytes: 100)
            let first = try reader.nextLine().map(Array.init)
            #expect(first == Array("short".utf8))
            let second = try reader.nextLine()?.count
            #expect(second == 100)
            let error = refusal(&reader)
            #expect(error?.description == "long.txt:3: line longer than 100 bytes: expected a line of a trace file "
                + "(at most 100 bytes before its \"\\n\"), found one starting \"yyyyyyyyyyyyyyyy...\"")
        }
        // Without any line end at all (the line is refused before the end of the input is read).
        let endless = [UInt8](repeating: 0, count: 10 * InputFile.chunkSize)
        endless.withUnsafeBytes { raw in
            var reader = LineReader(bytes: raw, name: "zeros", kind: "trace file", maxLineBytes: 1000)
            #expect(refusal(&reader)?.line == 1)
        }
    }

    @Test func aTraceLineLongerThan64KiBIsRefused() throws {
        let comment = "#" + String(repeating: "c", count: Trace.maxLineBytes - 1)
        // At the cap: a comment like any other.
        let ok = try Trace.parse("block-size 64\n\(comment)\na 1 8 8\n", fileName: "t.trace")
        #expect(ok.operations == [.allocate(id: 1, size: 8, alignment: 8, line: 3)])
        let error = workloadError { _ = try Trace.parse("block-size 64\n\(comment)c\na 1 8 8\n", fileName: "t.trace") }
        #expect(error?.line == 2)
        #expect(error?.description.hasPrefix("t.trace:2: line longer than 64 KiB: expected a line of a trace file (at most 65536 bytes") == true,
                "\(String(describing: error))")
    }

    @Test func devZeroIsRefusedAtItsFirstLine() throws {
        let start = Date()
        let error = workloadError { _ = try Trace.load(path: "/dev/zero") }
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(error?.description == "/dev/zero:1: line longer than 64 KiB: expected a line of a trace file (at most 65536 bytes "
            + "before its \"\\n\"), found one starting \"" + String(repeating: "\\u{0}", count: 16) + "...\"")
    }

    @Test func nulBytesAreRefusedVisibly() {
        #expect(parseFailure("block-size 64\na 1 8 8\u{0}\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (ALIGN must be a power of two), found "a 1 8 8\u{0}""#)
        #expect(parseFailure("block-size 64\n\u{0}\u{0}\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN", "f ID" or "block-size N", found "\u{0}\u{0}""#)
    }

    @Test func aByteOrderMarkStartsATraceAndIsNamedElsewhere() throws {
        let plain = "# defrag-trace v1 bom\nblock-size 64\na 1 8 8\nf 1\n"
        let marked = try Trace.parse(bytes: [0xEF, 0xBB, 0xBF] + Array(plain.utf8), fileName: "t.trace")
        #expect(marked == (try Trace.parse(plain, fileName: "t.trace")))
        #expect(marked.header == "# defrag-trace v1 bom")
        // Before a first line that is an operation, and from a file.
        let file = try TemporaryFile("bom.trace", [0xEF, 0xBB, 0xBF] + Array("block-size 64\r\na 1 8 8\r\n".utf8))
        defer { file.remove() }
        #expect(try Trace.load(path: file.path).operations == [.allocate(id: 1, size: 8, alignment: 8, line: 2)])
        // Anywhere else it is a character like any other, shown as an escape rather than invisibly.
        #expect(parseFailure("block-size 64\n\u{FEFF}a 1 8 8\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN", "f ID" or "block-size N", found "\u{feff}a 1 8 8""#)
        #expect(parseFailure("\u{FEFF}\u{FEFF}block-size 64\n")
            == #"t.trace:1: expected "a ID SIZE ALIGN", "f ID" or "block-size N", found "\u{feff}block-size 64""#)
    }

    @Test func invalidUTF8IsFoundOnItsLineWhenStreamed() throws {
        let bytes = Array("block-size 64\na 1 8 8\n# ok é\n".utf8) + [UInt8](repeating: UInt8(ascii: "#"), count: InputFile.chunkSize)
            + Array("\n# bad ".utf8) + [0xC3] + Array("\nf 1\n".utf8)
        let file = try TemporaryFile("utf8.trace", bytes)
        defer { file.remove() }
        #expect(workloadError { _ = try Trace.load(path: file.path) }?.description
            == "\(file.path):5: not valid UTF-8: expected a plain-text trace")
    }

    @Test func aTraceFromAPipe() throws {
        let bytes = try SharedFiles.bytes("checkerboard.trace")
        let pipe = try FeedingPipe(bytes, pieceSizes: [999, 1 << 16, 3])
        defer { pipe.finish() }
        let streamed = try Trace.load(path: pipe.path)
        var expected = try Trace.parse(bytes: bytes, fileName: pipe.path)
        expected.name = streamed.name
        #expect(streamed == expected)
        #expect(streamed.allocationCount == 2048)
    }

    @Test func filesThatCannotBeRead() throws {
        let file = try TemporaryFile("plain", Array("x".utf8))
        defer { file.remove() }
        #expect(workloadError { _ = try Trace.load(path: file.path + "/below") }?.description
            == "\(file.path)/below: cannot open the trace file: Not a directory")
        // /proc/self/mem opens, but reading its first page (never mapped) fails.
        #expect(workloadError { _ = try Trace.load(path: "/proc/self/mem") }?.description
            == "/proc/self/mem: cannot read the trace file: Input/output error")
        #expect(workloadError { _ = try VMADump.load(path: "/proc/self/mem") }?.description
            == "/proc/self/mem: cannot read the VMA dump: Input/output error")
        #expect(workloadError { _ = try VMADump.load(path: SharedFiles.directory) }?.description
            == "\(SharedFiles.directory): is a directory: expected a VMA dump")
    }

    // MARK: dumps

    @Test func aDumpFromAPipeReadsLikeItsFile() throws {
        let path = SharedDumps.path("vma-sample.json")
        let pipe = try FeedingPipe(try SharedDumps.bytes("vma-sample.json"), pieceSizes: [1, 4096, 70000])
        defer { pipe.finish() }
        var streamed = try VMADump.load(path: pipe.path)
        #expect(streamed.file == pipe.path)
        streamed.file = path
        #expect(streamed == (try VMADump.load(path: path)))
    }

    @Test func aDumpLargerThanTheCapIsRefusedWithTheCap() throws {
        let bytes = try SharedDumps.bytes("vma-sample.json")
        let file = try TemporaryFile("dump.json", bytes)
        defer { file.remove() }
        // A regular file: by its size, before reading.
        #expect(try VMADump.load(path: file.path, limit: bytes.count).allocationCount == 132)
        #expect(workloadError { _ = try VMADump.load(path: file.path, limit: bytes.count - 1) }?.description
            == "\(file.path): larger than \(bytes.count - 1) bytes (\(bytes.count) bytes): expected a VMA dump of at most \(bytes.count - 1) bytes")
        // A pipe: once more than the cap has arrived.
        let pipe = try FeedingPipe(bytes)
        defer { pipe.finish() }
        #expect(workloadError { _ = try VMADump.load(path: pipe.path, limit: 1 << 10) }?.description
            == "\(pipe.path): larger than 1 KiB (more than that was read): expected a VMA dump of at most 1024 bytes")
        #expect(VMADump.maxFileBytes == 256 << 20)
        #expect(byteCount(VMADump.maxFileBytes) == "256 MiB")
        #expect(byteCount(1 << 30) == "1 GiB")
        #expect(byteCount(1000) == "1000 bytes")
    }

    @Test func aStreamThatCannotBeJSONIsRefusedWithoutReadingOn() {
        let start = Date()
        #expect(workloadError { _ = try VMADump.load(path: "/dev/zero") }?.description
            == "/dev/zero:1: at $: malformed JSON at byte 0 (line 1, column 1): unexpected byte 0x0, expected a value")
        #expect(Date().timeIntervalSince(start) < 1)
    }

    @Test func aDumpMayStartWithAByteOrderMarkAndWhiteSpace() throws {
        let bytes = [0xEF, 0xBB, 0xBF] + Array("\n \r\n\t".utf8) + (try SharedDumps.bytes("vma-sample.json"))
        // The mark and the blanks arrive a byte at a time, then the rest: the reader sees each part on its own.
        let pipe = try FeedingPipe(bytes, pieceSizes: [1, 1, 1, 1, 1, 1, 1, 1, Int.max], pause: 0.02)
        defer { pipe.finish() }
        #expect(try VMADump.load(path: pipe.path).allocationCount == 132)
        // A byte order mark followed by garbage: refused at the garbage's line and column.
        let garbage = try TemporaryFile("garbage.json", [0xEF, 0xBB, 0xBF] + Array("\n  x{}".utf8))
        defer { garbage.remove() }
        #expect(workloadError { _ = try VMADump.load(path: garbage.path) }?.description
            == "\(garbage.path):2: at $: malformed JSON at byte 6 (line 2, column 3): unexpected 'x', expected a value")
    }
}
