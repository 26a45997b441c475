// The run formats over real sessions: records as they are written, their text, JSON that parses back.
import Defragmentation
import DefragSession
import Foundation
import MemoryPools
import Reports
import Testing
import TestSupport
import Workloads

private func session(_ name: String, algorithm: Algorithm = .full, dialect: Dialect = .vma,
                     maxPassAllocations: Int = .max) throws -> DefragSession<HostPageDevice> {
    let trace = try Trace.load(path: TestPaths.trace(name))
    return try DefragSession(title: trace.displayName, configuration: EngineConfiguration(
        algorithm: algorithm, dialect: dialect, maxPassAllocations: maxPassAllocations)) {
        try Workload.trace(trace).makePools(device: HostPageDevice())
    }
}

/// A sink that records what the session had done when each record arrived.
private final class WatchingSink: RecordSink {
    var records: [(text: String, passesDone: Int)] = []
    let passesDone: () -> Int
    init(passesDone: @escaping () -> Int) { self.passesDone = passesDone }
    func write(record: String) throws { records.append((record, passesDone())) }
}

private struct SinkFull: Error {}

/// Accepts `limit` records, then fails.
private final class FailingSink: RecordSink {
    var accepted = 0
    let limit: Int
    init(limit: Int) { self.limit = limit }
    func write(record: String) throws {
        if accepted == limit { throw SinkFull() }
        accepted += 1
    }
}

@Suite("Run reports")
struct RunReportTests {
    @Test("each pass is written as soon as it completes, before the next pass runs", arguments: ReportFormat.allCases)
    func streaming(_ format: ReportFormat) throws {
        let s = try session("checkerboard", maxPassAllocations: 64)
        let sink = WatchingSink { s.history.count }
        try writeRunReport(session: s, format: format, to: sink)
        let passes = s.history.count
        #expect(passes > 2)
        let headerRecords = format == .json ? 0 : 1
        #expect(sink.records.count == headerRecords + passes + 1)
        for (index, record) in sink.records.dropFirst(headerRecords).prefix(passes).enumerated() {
            #expect(record.passesDone == index + 1, "pass \(index + 1) written after \(record.passesDone) passes")
            #expect(record.text.hasSuffix("\n"))
        }
    }

    @Test("json: one object per pass with its moves, then a summary that adds them up")
    func json() throws {
        let s = try session("checkerboard", maxPassAllocations: 100)
        let sink = MemorySink()
        try writeRunReport(session: s, format: .json, to: sink)
        let lines = sink.text.split(separator: "\n")
        var moves = 0, bytes = 0
        for (index, line) in lines.dropLast().enumerated() {
            let record = try JSONDecoder().decode(PassRecord.self, from: Data(line.utf8))
            #expect(record == PassRecord(s.history[index]))
            #expect(record.pass == index + 1)
            #expect(record.moves.count <= 100)
            moves += record.moves.count
            bytes += record.bytesMoved
            #expect(record.moves.allSatisfy { $0.operation == "copy" })
        }
        let summary = try JSONDecoder().decode(SummaryRecord.self, from: Data(lines.last!.utf8))
        #expect(summary.summary && summary.finished)
        #expect(summary.passes == lines.count - 1)
        #expect(summary.moves == moves)
        #expect(summary.bytesMoved == bytes)
        #expect(summary.trace == "checkerboard.trace" && summary.algorithm == "full" && summary.dialect == "vma")
        #expect(summary.pagesAfter == s.metrics.pages)
    }

    @Test("text: the header, a row per pass and the summary line")
    func text() throws {
        let s = try session("tiny")
        let sink = MemorySink()
        try writeRunReport(session: s, format: .text, to: sink)
        let lines = sink.text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("tiny.trace: 2 pages"))
        #expect(lines[1] == "algorithm full, dialect vma, budget unlimited, backend host memory")
        #expect(lines[2].hasPrefix("pass "))
        #expect(lines[3].hasPrefix("1    1       112 B"))
        #expect(lines.last?.hasPrefix("done: 1 passes, 1 allocations moved (112 B)") == true)
    }

    static let smallReferences = ReferenceFile.all().filter { $0.trace == "tiny" }

    @Test("ref: the tiny reference files, both dialects, line for line", arguments: smallReferences)
    func ref(_ file: ReferenceFile) throws {
        let trace = try Trace.load(path: TestPaths.trace(file.trace))
        let algorithm: Algorithm = try #require(Algorithm.allCases.first { $0.rawValue == file.algorithm })
        let dialect: Dialect = try #require(Dialect.allCases.first { $0.rawValue == file.dialect })
        let configuration = EngineConfiguration(algorithm: algorithm, dialect: dialect,
                                                maxPassBytes: file.maxPassBytes == 0 ? .max : file.maxPassBytes,
                                                maxPassAllocations: file.maxPassAllocations == 0 ? .max : file.maxPassAllocations)
        let s = try DefragSession(title: trace.displayName, configuration: configuration) {
            try Workload.trace(trace).makePools(device: HostPageDevice())
        }
        let sink = MemorySink()
        try writeRunReport(session: s, format: .ref, to: sink)
        let actual = sink.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.hasPrefix("#") }
        #expect(actual == (try file.expectedLines()))
        #expect(sink.records.first?.hasPrefix("# reference: defragscope (dialect \(file.dialect)) on host memory; trace tiny.trace") == true)
    }

    @Test("maxPasses stops early: the summary says the run is not finished")
    func maxPasses() throws {
        let s = try session("checkerboard", maxPassAllocations: 16)
        let sink = MemorySink()
        try writeRunReport(session: s, format: .json, maxPasses: 2, to: sink)
        let lines = sink.text.split(separator: "\n")
        #expect(lines.count == 3)
        let summary = try JSONDecoder().decode(SummaryRecord.self, from: Data(lines[2].utf8))
        #expect(summary.passes == 2 && !summary.finished)
    }

    @Test("a sink that fails stops the run with its error")
    func sinkFailure() throws {
        let s = try session("checkerboard", maxPassAllocations: 16)
        // The header and pass 1 are taken; pass 2's record is refused, and no third pass runs.
        #expect(throws: SinkFull.self) { try writeRunReport(session: s, format: .text, to: FailingSink(limit: 2)) }
        #expect(s.history.count == 2)
    }

    @Test("text columns")
    func columns() {
        #expect(TextColumns.pad("ab", 4) == "ab  ")
        #expect(TextColumns.pad("abcd", 4) == "abcd ")
        #expect(TextColumns.percent(0.6654) == "66.5%")
        #expect(TextColumns.seconds(0.0123) == "12.3 ms")
        #expect(TextColumns.seconds(2.5) == "2.500 s")
    }
}

@Suite("File descriptor sink")
struct FileDescriptorSinkTests {
    @Test("records reach the descriptor whole and at once")
    func writes() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let sink = FileDescriptorSink(descriptor: fds[1], name: "the pipe")
        let big = String(repeating: "x", count: 30_000) + "\n"
        try sink.write(record: "first\n")
        try sink.write(record: big)
        close(fds[1])
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        #expect(String(decoding: received, as: UTF8.self) == "first\n" + big)
    }

    @Test("a write that fails is an error naming the sink")
    func failure() throws {
        let sink = FileDescriptorSink(descriptor: 987_654, name: "nowhere")
        #expect(throws: RecordSinkError.self) { try sink.write(record: "x\n") }
        do { try sink.write(record: "x\n") } catch let error as RecordSinkError {
            #expect(error.description.hasPrefix("cannot write to nowhere:"))
        }
    }
}
