// Parsing trace files: bytes in, a validated `Trace` or a `WorkloadError` naming file, line and what was
// expected. Files are read as streams (InputReader.swift) and parsed a line at a time as they arrive; works
// on UTF-8 bytes (no per-line String, no regex): the shared scale.trace (375k lines) parses in a few tens
// of milliseconds in release builds.
//
// Lexical rules: lines end with "\n" (a trailing "\r" is dropped) and are at most `Trace.maxLineBytes`
// long; a UTF-8 byte order mark at the start of the file is skipped; fields are separated by spaces or tabs;
// blank lines and lines whose first non-blank character is '#' are skipped. If the first non-blank line is
// a "# defrag-trace ..." header it must say "v1" (it is kept in `Trace.header`).

extension Trace {
    /// The longest line a trace may have, without its "\n" (a real line is under 100 bytes; comments get
    /// room). A longer one is refused with its line number, so a file with no line ends is never held whole.
    public static let maxLineBytes = 1 << 16

    /// Parses trace text. `fileName` is used in `name` and in every error.
    /// - Throws: `WorkloadError` for any malformed or inconsistent input.
    public static func parse(_ text: String, fileName: String) throws -> Trace {
        var text = text  // withUTF8 makes the storage contiguous if it is not
        return try text.withUTF8 { try parse(buffer: UnsafeRawBufferPointer($0), fileName: fileName) }
    }

    /// Parses the bytes of a trace file; they must be UTF-8 text.
    /// - Throws: `WorkloadError` (an invalid UTF-8 sequence is reported with its line).
    public static func parse(bytes: [UInt8], fileName: String) throws -> Trace {
        try bytes.withUnsafeBytes { try parse(buffer: $0, fileName: fileName) }
    }

    static func parse(buffer: UnsafeRawBufferPointer, fileName: String) throws -> Trace {
        var lines = LineReader(bytes: buffer, name: fileName, kind: "trace file", maxLineBytes: maxLineBytes)
        var parser = TraceParser(fileName: fileName, expectedBytes: buffer.count)
        while let line = try lines.nextLine() { try parser.parse(line: line, number: lines.lineNumber) }
        return try parser.finish()
    }

    /// Reads and parses the trace file at `path` (a regular file, pipe, FIFO or device) as a stream: in
    /// chunks, a line at a time, each line at most ``maxLineBytes``. The trace's `name` is `path` as given.
    /// - Throws: `WorkloadError` naming `path` if the file is missing, unreadable, a directory, not UTF-8,
    ///   has too long a line, or is malformed.
    public static func load(path: String) throws -> Trace {
        let file = try InputFile(path: path, kind: "trace file")
        var parser = TraceParser(fileName: path, expectedBytes: file.regularFileSize)
        var lines = LineReader(file: file, maxLineBytes: maxLineBytes)
        while let line = try lines.nextLine() { try parser.parse(line: line, number: lines.lineNumber) }
        return try parser.finish()
    }
}

// MARK: - the parser

private let carriageReturn = UInt8(ascii: "\r")
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let hash = UInt8(ascii: "#")
private let zero = UInt8(ascii: "0")

@inline(__always) private func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }

private struct TraceParser {
    let fileName: String

    // The current line: buffer[lineStart..<lineEnd] is its text without "\n", a trailing "\r" and (on the
    // first line) a UTF-8 byte order mark; `lineNumber` is 1-based.
    var buffer = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    var lineStart = 0
    var lineEnd = 0
    var lineNumber = 0

    // Fields of the current line: up to 5 are kept (a 5th only to report it as extra).
    var fieldCount = 0
    var starts: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)
    var ends: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)

    // What the lines so far said.
    var blockSize: Int? = nil
    var blockSizeLine = 0
    var header: String? = nil
    var sawContent = false  // any non-blank line yet
    var operations: [TraceOperation] = []
    var ledger: IdLedger

    /// `expectedBytes`: the input's size if known, to size the tables once.
    init(fileName: String, expectedBytes: Int?) {
        self.fileName = fileName
        operations.reserveCapacity((expectedBytes ?? 0) / 10)
        // Unknown (a pipe): room for a million ids before the ledger falls back on a dictionary.
        ledger = IdLedger(expectedIds: (expectedBytes ?? 8 << 20) / 8)
    }

    /// Parses line `number` (without its "\n").
    mutating func parse(line: UnsafeBufferPointer<UInt8>, number n: Int) throws {
        buffer = line
        lineNumber = n
        lineStart = 0
        lineEnd = line.count
        if n == 1 && lineEnd >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF { lineStart = 3 }
        if lineEnd > lineStart && buffer[lineEnd - 1] == carriageReturn { lineEnd -= 1 }

        // Only a line with a byte of 0x80 or more can be invalid UTF-8.
        var high: UInt8 = 0
        for k in lineStart..<lineEnd { high |= buffer[k] }
        if high >= 0x80 && String(validating: UnsafeBufferPointer(rebasing: buffer[lineStart..<lineEnd]), as: UTF8.self) == nil {
            throw WorkloadError(file: fileName, line: lineNumber, message: "not valid UTF-8: expected a plain-text trace")
        }

        // Skip leading blanks; blank line or comment?
        var i = lineStart
        while i < lineEnd && isBlank(buffer[i]) { i += 1 }
        if i == lineEnd { return }
        if buffer[i] == hash {
            if !sawContent {
                sawContent = true
                header = try headerIfPresent(from: i)
            }
            return
        }
        sawContent = true

        splitFields(from: i)
        let op0 = field(0)
        switch op0.count {
        case 1 where buffer[op0.lowerBound] == UInt8(ascii: "a"):
            guard let blockSize else { throw missingBlockSize() }
            let form = "a ID SIZE ALIGN"
            try expectFields(4, form: form, names: ["ID", "SIZE", "ALIGN"])
            let id = try number(1, form: form, name: "ID", rule: "a non-negative integer")
            let size = try number(2, form: form, name: "SIZE", rule: "a positive integer")
            if size < 1 { throw syntax(form, "SIZE must be at least 1") }
            let alignment = try number(3, form: form, name: "ALIGN", rule: "a power of two")
            if alignment < 1 || alignment & (alignment - 1) != 0 {
                throw syntax(form, "alignment must be a power of two")
            }
            if let message = TraceRules.sizeProblem(id: id, size: size, blockSize: blockSize) {
                throw WorkloadError(file: fileName, line: lineNumber, message: message)
            }
            if let message = ledger.allocate(id: id, line: lineNumber) {
                throw WorkloadError(file: fileName, line: lineNumber, message: message)
            }
            operations.append(.allocate(id: id, size: size, alignment: alignment, line: lineNumber))

        case 1 where buffer[op0.lowerBound] == UInt8(ascii: "f"):
            guard blockSize != nil else { throw missingBlockSize() }
            let form = "f ID"
            try expectFields(2, form: form, names: ["ID"])
            let id = try number(1, form: form, name: "ID", rule: "a non-negative integer")
            if let message = ledger.free(id: id, line: lineNumber) {
                throw WorkloadError(file: fileName, line: lineNumber, message: message)
            }
            operations.append(.free(id: id, line: lineNumber))

        case 10 where matches(op0, "block-size"):
            let form = "block-size N"
            if blockSize != nil {
                throw WorkloadError(
                    file: fileName, line: lineNumber,
                    message: "expected one \"block-size N\" line, found a second one (the first is at line \(blockSizeLine)): \(quotedLine())")
            }
            if !operations.isEmpty {
                // Unreachable today (an operation before any block-size is already an error), kept so
                // the rule stays explicit if that ever changes.
                throw syntax(form, "block-size must come before the first operation")
            }
            try expectFields(2, form: form, names: ["N"])
            let n = try number(1, form: form, name: "N", rule: "a positive integer")
            if n < 1 { throw syntax(form, "N must be a positive integer") }
            if let message = TraceRules.blockSizeProblem(n) { throw syntax(form, message) }
            blockSize = n
            blockSizeLine = lineNumber

        default:
            throw WorkloadError(
                file: fileName, line: lineNumber,
                message: "expected \"a ID SIZE ALIGN\", \"f ID\" or \"block-size N\", found \(quotedLine())")
        }
    }

    /// The trace, once every line is parsed.
    func finish() throws -> Trace {
        guard let blockSize else {
            let message = sawContent
                ? "no \"block-size N\" line: expected one before the first operation"
                : "empty trace: expected a \"block-size N\" line and operations"
            throw WorkloadError(file: fileName, message: message)
        }
        return Trace(name: fileName, blockSize: blockSize, operations: operations, header: header)
    }

    // MARK: fields

    mutating func splitFields(from first: Int) {
        fieldCount = 0
        var i = first
        while i < lineEnd && fieldCount < 5 {
            let start = i
            while i < lineEnd && !isBlank(buffer[i]) { i += 1 }
            switch fieldCount {
            case 0: starts.0 = start; ends.0 = i
            case 1: starts.1 = start; ends.1 = i
            case 2: starts.2 = start; ends.2 = i
            case 3: starts.3 = start; ends.3 = i
            default: starts.4 = start; ends.4 = i
            }
            fieldCount += 1
            while i < lineEnd && isBlank(buffer[i]) { i += 1 }
        }
    }

    func field(_ k: Int) -> Range<Int> {
        switch k {
        case 0: return starts.0..<ends.0
        case 1: return starts.1..<ends.1
        case 2: return starts.2..<ends.2
        case 3: return starts.3..<ends.3
        default: return starts.4..<ends.4
        }
    }

    func matches(_ range: Range<Int>, _ word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        let p = word.utf8Start
        for k in 0..<range.count where buffer[range.lowerBound + k] != p[k] { return false }
        return true
    }

    /// `names` (of the fields after the first) is made only for the message: an array a line would cost a
    /// heap allocation.
    func expectFields(_ expected: Int, form: String, names: @autoclosure () -> [String]) throws {
        if fieldCount < expected {
            throw syntax(form, "missing \(names()[fieldCount - 1])")
        }
        if fieldCount > expected {
            throw syntax(form, "extra field \(quoted(field(expected)))")
        }
    }

    /// A non-negative decimal integer that fits in `Int`.
    func number(_ k: Int, form: String, name: String, rule: String) throws -> Int {
        let range = field(k)
        var value = 0
        for index in range {
            let digit = buffer[index] &- zero
            if digit > 9 { throw syntax(form, "\(name) must be \(rule)") }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(digit))
            if o1 || o2 { throw syntax(form, "\(name) is larger than \(Int.max)") }
            value = sum
        }
        return value
    }

    // MARK: header

    /// The header, if the first non-blank line (a comment starting at `start`) is one; an unknown version is
    /// an error.
    func headerIfPresent(from start: Int) throws -> String? {
        let magic: StaticString = "# defrag-trace"
        let magicCount = magic.utf8CodeUnitCount
        guard lineEnd - start >= magicCount, matches(start..<(start + magicCount), magic) else { return nil }
        var i = start + magicCount
        guard i == lineEnd || isBlank(buffer[i]) else { return nil }  // "# defrag-traces" is a comment
        while i < lineEnd && isBlank(buffer[i]) { i += 1 }
        var j = i
        while j < lineEnd && !isBlank(buffer[j]) { j += 1 }
        guard matches(i..<j, "v1") else {
            throw WorkloadError(
                file: fileName, line: lineNumber,
                message: "expected \"# defrag-trace v1 ...\" (only version 1 is known), found \(quotedLine())")
        }
        return text(lineStart..<lineEnd)
    }

    // MARK: errors

    func missingBlockSize() -> WorkloadError {
        WorkloadError(
            file: fileName, line: lineNumber,
            message: "expected \"block-size N\" before the first operation, found \(quotedLine())")
    }

    func syntax(_ form: String, _ reason: String) -> WorkloadError {
        WorkloadError(file: fileName, line: lineNumber, message: "expected \"\(form)\" (\(reason)), found \(quotedLine())")
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    func quotedLine() -> String { quoted(lineStart..<lineEnd) }

    func quoted(_ range: Range<Int>) -> String { quotedForMessage(UnsafeBufferPointer(rebasing: buffer[range])) }
}
