import Testing
@testable import Workloads

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `../shared` next to the package root (found from this file's path), or `$DEFRAGSCOPE_SHARED`.
enum SharedFiles {
    static var directory: String {
        if let env = getenv("DEFRAGSCOPE_SHARED") { return String(cString: env) }
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/WorkloadsTests/TraceParserTests.swift
        return parts.joined(separator: "/") + "/../shared"
    }

    static func trace(_ name: String) -> String { directory + "/traces/" + name }

    static func bytes(_ name: String) throws -> [UInt8] { try InputFile(path: trace(name), kind: "trace file").readAll(limit: .max) }
}

/// The error `body` throws; fails the test if it throws nothing or something else.
func workloadError(_ body: () throws -> Void) -> WorkloadError? {
    do {
        try body()
        Issue.record("expected a WorkloadError, nothing was thrown")
    } catch let error as WorkloadError {
        return error
    } catch {
        Issue.record("expected a WorkloadError, got \(type(of: error)): \(error)")
    }
    return nil
}

/// Parses `text` as `t.trace` and returns the error's description.
func parseFailure(_ text: String) -> String? {
    workloadError { _ = try Trace.parse(text, fileName: "t.trace") }?.description
}

@Suite("Trace files")
struct TraceParserTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var file: String, blockSize: Int, allocations: Int, frees: Int, lines: Int
        var testDescription: String { file }
    }

    // Counts from the files themselves: awk '$1=="a"{a++} $1=="f"{f++} END{print a, f, NR}'.
    static let shared: [Expected] = [
        Expected(file: "tiny.trace", blockSize: 1024, allocations: 24, frees: 12, lines: 38),
        Expected(file: "checkerboard.trace", blockSize: 8 << 20, allocations: 2048, frees: 1024, lines: 3074),
        Expected(file: "churn.trace", blockSize: 32 << 20, allocations: 32091, frees: 27909, lines: 60002),
        Expected(file: "textures.trace", blockSize: 256 << 20, allocations: 600, frees: 270, lines: 872),
        Expected(file: "scale.trace", blockSize: 64 << 20, allocations: 250_000, frees: 125_000, lines: 375_002),
        Expected(file: "nearly-full.trace", blockSize: 4 << 20, allocations: 3000, frees: 300, lines: 3302),
    ]

    @Test("every shared trace parses with the expected counts", arguments: shared)
    func sharedTraceParses(_ expected: Expected) throws {
        let path = SharedFiles.trace(expected.file)
        let trace = try Trace.load(path: path)
        #expect(trace.name == path)
        #expect(trace.blockSize == expected.blockSize)
        #expect(trace.allocationCount == expected.allocations)
        #expect(trace.freeCount == expected.frees)
        let scenario = expected.file.dropLast(".trace".count)
        #expect(trace.header == "# defrag-trace v1 \(scenario) seed=1")
        #expect(trace.operations.first?.line == 3)
        #expect(trace.operations.last?.line == expected.lines)
        try trace.validate()
    }

    @Test func tinyTraceFirstOperations() throws {
        let trace = try Trace.load(path: SharedFiles.trace("tiny.trace"))
        #expect(Array(trace.operations.prefix(3)) == [
            .allocate(id: 1, size: 80, alignment: 16, line: 3),
            .allocate(id: 2, size: 128, alignment: 16, line: 4),
            .allocate(id: 3, size: 128, alignment: 16, line: 5),
        ])
        #expect(trace.operations[24].line == 27)
        if case .free = trace.operations[24] {} else { Issue.record("operation 25 should be a free") }
    }

    @Test func stringAndBytesAgree() throws {
        let bytes = try SharedFiles.bytes("checkerboard.trace")
        let fromBytes = try Trace.parse(bytes: bytes, fileName: "c")
        let fromString = try Trace.parse(String(decoding: bytes, as: UTF8.self), fileName: "c")
        #expect(fromBytes == fromString)
    }

    @Test func commentsBlankLinesCRLFAndTabs() throws {
        let text = "# defrag-trace v1 hand seed=3\r\n\r\n  # a comment\r\nblock-size 4096\r\n\ta\t1  64 16 \r\n\n#x\nf 1"
        let trace = try Trace.parse(text, fileName: "hand.trace")
        #expect(trace.header == "# defrag-trace v1 hand seed=3")
        #expect(trace.blockSize == 4096)
        #expect(trace.operations == [.allocate(id: 1, size: 64, alignment: 16, line: 5), .free(id: 1, line: 8)])
    }

    @Test func headerOnlyWhenFirst() throws {
        let trace = try Trace.parse("block-size 8\n# defrag-trace v1 late\n", fileName: "t")
        #expect(trace.header == nil)
        #expect(trace.operations.isEmpty)
        // Not the header word: just a comment.
        #expect(try Trace.parse("# defrag-traces v9\nblock-size 8\n", fileName: "t").header == nil)
    }

    @Test func largestNumbersAndSparseIds() throws {
        // The largest block size is TLSF's largest page (256 GiB); ids and alignments go to Int's limits.
        let text = "block-size 274877906944\na 9223372036854775807 274877906944 4611686018427387904\na 0 1 1\nf 9223372036854775807\nf 0\n"
        let trace = try Trace.parse(text, fileName: "big")
        #expect(trace.operations.count == 4)
        #expect(trace.operations[0] == .allocate(id: .max, size: 1 << 38, alignment: 1 << 62, line: 2))
    }

    @Test func serializedRoundTrip() throws {
        let trace = try Trace.load(path: SharedFiles.trace("tiny.trace"))
        let again = try Trace.parse(trace.serialized(), fileName: trace.name)
        #expect(again == trace)  // same header, lines 3... as in the file
    }

    // MARK: malformed input: one test per case, checking the whole message and the line

    @Test func spec_alignmentNotPowerOfTwo() {
        #expect(parseFailure("block-size 1024\n\n\n\n\n\na 7 80 24\n")
            == #"t.trace:7: expected "a ID SIZE ALIGN" (alignment must be a power of two), found "a 7 80 24""#)
    }

    @Test func alignmentZero() {
        #expect(parseFailure("block-size 1024\na 1 8 0\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (alignment must be a power of two), found "a 1 8 0""#)
    }

    @Test func emptyFile() {
        let error = workloadError { _ = try Trace.parse("", fileName: "empty.trace") }
        #expect(error?.line == nil)
        #expect(error?.description == #"empty.trace: empty trace: expected a "block-size N" line and operations"#)
    }

    @Test func onlyCommentsAndBlanks() {
        #expect(parseFailure("# defrag-trace v1 x\n\n# nothing\n")
            == #"t.trace: no "block-size N" line: expected one before the first operation"#)
    }

    @Test func missingBlockSize() {
        #expect(parseFailure("# c\na 1 16 16\n")
            == #"t.trace:2: expected "block-size N" before the first operation, found "a 1 16 16""#)
        #expect(parseFailure("f 1\n")
            == #"t.trace:1: expected "block-size N" before the first operation, found "f 1""#)
    }

    @Test func lateBlockSize() {
        // block-size after the first operation: the operation is where the error is noticed.
        #expect(parseFailure("a 1 16 16\nblock-size 1024\n")
            == #"t.trace:1: expected "block-size N" before the first operation, found "a 1 16 16""#)
    }

    @Test func duplicateBlockSize() {
        #expect(parseFailure("block-size 1024\na 1 16 16\nblock-size 2048\n")
            == #"t.trace:3: expected one "block-size N" line, found a second one (the first is at line 1): "block-size 2048""#)
    }

    @Test func blockSizeZeroNegativeMissingExtra() {
        #expect(parseFailure("block-size 0\n")
            == #"t.trace:1: expected "block-size N" (N must be a positive integer), found "block-size 0""#)
        #expect(parseFailure("block-size -4\n")
            == #"t.trace:1: expected "block-size N" (N must be a positive integer), found "block-size -4""#)
        #expect(parseFailure("block-size\n")
            == #"t.trace:1: expected "block-size N" (missing N), found "block-size""#)
        // Above TLSF's largest page (256 GiB).
        #expect(parseFailure("block-size 274877906945\n")
            == #"t.trace:1: expected "block-size N" (N must be at most 274877906944 (256 GiB, the largest page TLSF handles), found 274877906945), found "block-size 274877906945""#)
        #expect(parseFailure("block-size 4 4\n")
            == #"t.trace:1: expected "block-size N" (extra field "4"), found "block-size 4 4""#)
    }

    @Test func unknownOperation() {
        #expect(parseFailure("block-size 64\nm 1 2 3\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN", "f ID" or "block-size N", found "m 1 2 3""#)
        #expect(parseFailure("block-size 64\nalloc 1 2 3\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN", "f ID" or "block-size N", found "alloc 1 2 3""#)
        #expect(parseFailure("block-size 64\nA 1 2 4\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN", "f ID" or "block-size N", found "A 1 2 4""#)
    }

    @Test func missingFields() {
        #expect(parseFailure("block-size 64\na\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (missing ID), found "a""#)
        #expect(parseFailure("block-size 64\na 1 8\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (missing ALIGN), found "a 1 8""#)
        #expect(parseFailure("block-size 64\na 1 8 8\nf\n")
            == #"t.trace:3: expected "f ID" (missing ID), found "f""#)
    }

    @Test func extraFields() {
        #expect(parseFailure("block-size 64\na 1 8 8 9 10\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (extra field "9"), found "a 1 8 8 9 10""#)
        #expect(parseFailure("block-size 64\na 1 8 8\nf 1 # freed\n")
            == ##"t.trace:3: expected "f ID" (extra field "#"), found "f 1 # freed""##)
    }

    @Test func notNumbers() {
        #expect(parseFailure("block-size 64\na x 8 8\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (ID must be a non-negative integer), found "a x 8 8""#)
        #expect(parseFailure("block-size 64\na -1 8 8\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (ID must be a non-negative integer), found "a -1 8 8""#)
        #expect(parseFailure("block-size 64\na 1 8.5 8\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (SIZE must be a positive integer), found "a 1 8.5 8""#)
        #expect(parseFailure("block-size 64\na 1 8 0x10\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (ALIGN must be a power of two), found "a 1 8 0x10""#)
        #expect(parseFailure("block-size 64\nf +1\n")
            == #"t.trace:2: expected "f ID" (ID must be a non-negative integer), found "f +1""#)
    }

    @Test func overflow() {
        #expect(parseFailure("block-size 64\na 9223372036854775808 8 8\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (ID is larger than 9223372036854775807), found "a 9223372036854775808 8 8""#)
        #expect(parseFailure("block-size 99999999999999999999\n")
            == #"t.trace:1: expected "block-size N" (N is larger than 9223372036854775807), found "block-size 99999999999999999999""#)
    }

    @Test func sizeZero() {
        #expect(parseFailure("block-size 64\na 1 0 8\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (SIZE must be at least 1), found "a 1 0 8""#)
    }

    @Test func allocationLargerThanBlock() {
        #expect(parseFailure("block-size 1024\na 1 1024 16\na 2 1025 16\n")
            == "t.trace:3: allocation 2 of 1025 bytes is larger than block-size 1024: expected SIZE <= 1024")
    }

    @Test func duplicateLiveID() {
        #expect(parseFailure("block-size 64\na 5 8 8\na 6 8 8\na 5 8 8\n")
            == "t.trace:4: allocation id 5 is still live (allocated at line 2): expected a new id")
    }

    @Test func idReusedAfterFree() {
        // Decision: ids are never reused, even after a free (see Trace.swift).
        #expect(parseFailure("block-size 64\na 5 8 8\nf 5\na 5 8 8\n")
            == "t.trace:4: allocation id 5 was already used and freed (at line 3): expected a new id (ids are not reused)")
    }

    @Test func freeUnknownID() {
        #expect(parseFailure("block-size 64\na 1 8 8\nf 2\n")
            == "t.trace:3: free of unknown id 2: expected the id of a live allocation")
    }

    @Test func doubleFree() {
        #expect(parseFailure("block-size 64\na 1 8 8\nf 1\n\nf 1\n")
            == "t.trace:5: free of id 1, already freed at line 3: expected the id of a live allocation")
    }

    @Test func unknownHeaderVersion() {
        #expect(parseFailure("# defrag-trace v2 x seed=1\nblock-size 64\n")
            == ##"t.trace:1: expected "# defrag-trace v1 ..." (only version 1 is known), found "# defrag-trace v2 x seed=1""##)
    }

    @Test func garbageIsQuotedSafely() {
        // Control characters and quotes are escaped; long lines are cut.
        #expect(parseFailure("block-size 64\n\u{1B}[2J\"x\"\n")
            == #"t.trace:2: expected "a ID SIZE ALIGN", "f ID" or "block-size N", found "\u{1b}[2J\"x\"""#)
        let long = String(repeating: "z", count: 200)
        let message = parseFailure("block-size 64\n\(long)\n")
        #expect(message == "t.trace:2: expected \"a ID SIZE ALIGN\", \"f ID\" or \"block-size N\", found \"\(String(repeating: "z", count: 60))...\"")
    }

    @Test func lineNumbersCountBlankAndCRLFLines() {
        #expect(parseFailure("\r\n# c\r\nblock-size 64\r\n\r\nf 9\r\n")
            == "t.trace:5: free of unknown id 9: expected the id of a live allocation")
    }

    @Test func lastLineWithoutNewline() {
        #expect(parseFailure("block-size 64\na 1 8 3")
            == #"t.trace:2: expected "a ID SIZE ALIGN" (alignment must be a power of two), found "a 1 8 3""#)
    }

    // MARK: files

    @Test func loadMissingFile() {
        let error = workloadError { _ = try Trace.load(path: "no/such/dir/x.trace") }
        #expect(error?.file == "no/such/dir/x.trace")
        #expect(error?.line == nil)
        #expect(error?.description == "no/such/dir/x.trace: no such trace file: No such file or directory")
    }

    @Test func loadDirectory() {
        let error = workloadError { _ = try Trace.load(path: SharedFiles.directory) }
        #expect(error?.description == "\(SharedFiles.directory): is a directory: expected a trace file")
    }

    @Test func loadInvalidUTF8() throws {
        let path = "/tmp/defragscope-workloads-\(getpid())-bad.trace"
        let bytes: [UInt8] = Array("block-size 64\n# caf".utf8) + [0xE9] + Array("\na 1 8 8\n".utf8)
        let file = fopen(path, "wb")
        try #require(file != nil)
        fwrite(bytes, 1, bytes.count, file)
        fclose(file)
        defer { unlink(path) }
        let error = workloadError { _ = try Trace.load(path: path) }
        #expect(error?.description == "\(path):2: not valid UTF-8: expected a plain-text trace")
        // Valid UTF-8 in a comment is fine.
        let ok = try Trace.parse(bytes: Array("block-size 64\n# café ✓\na 1 8 8\n".utf8), fileName: "u")
        #expect(ok.operations.count == 1)
    }

    // MARK: validate() on traces built in code

    @Test func validateBuiltTraces() {
        func failure(_ blockSize: Int, _ ops: [TraceOperation]) -> String? {
            workloadError { try Trace(name: "built", blockSize: blockSize, operations: ops).validate() }?.description
        }
        #expect(failure(0, []) == "built: block-size must be a positive integer, found 0")
        #expect(failure(1 << 39, [])
            == "built: block-size: N must be at most 274877906944 (256 GiB, the largest page TLSF handles), found 549755813888")
        #expect(failure(64, [.allocate(id: -1, size: 8, alignment: 8, line: 3)])
            == "built:3: allocation id must be a non-negative integer, found -1")
        #expect(failure(64, [.allocate(id: 1, size: 0, alignment: 8, line: 3)])
            == "built:3: allocation 1: size must be at least 1, found 0")
        #expect(failure(64, [.allocate(id: 1, size: 8, alignment: 12, line: 3)])
            == "built:3: allocation 1: alignment must be a power of two, found 12")
        #expect(failure(64, [.allocate(id: 1, size: 65, alignment: 8, line: 3)])
            == "built:3: allocation 1 of 65 bytes is larger than block-size 64: expected SIZE <= 64")
        #expect(failure(64, [.allocate(id: 1, size: 8, alignment: 8, line: 3), .free(id: 1, line: 4), .free(id: 1, line: 5)])
            == "built:5: free of id 1, already freed at line 4: expected the id of a live allocation")
    }

    @Test func errorDescriptionForms() {
        #expect(WorkloadError(file: "f", line: 3, message: "m").description == "f:3: m")
        #expect(WorkloadError(file: "d.json", jsonPath: "$.Pools[2]", message: "m").description == "d.json: at $.Pools[2]: m")
        #expect(WorkloadError(file: "f", message: "m").description == "f: m")
    }
}
