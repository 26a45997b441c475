// Reading inputs as bounded streams: a file (regular, pipe, FIFO, device) is read with read(2) in fixed-size
// chunks and never held whole unless asked for with a cap. Traces are read line by line with a cap on a
// line's length, so `--trace /dev/zero` is refused after the first ~64 KiB with its line named; dumps are
// read whole up to a stated size. Every failure is a WorkloadError naming the file (and the line).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An input file opened for reading. Opening refuses directories; reading works the same for regular
/// files, pipes, FIFOs and devices. Closed when released.
final class InputFile {
    /// Bytes asked of read(2) at a time (at least).
    static let chunkSize = 1 << 16

    /// The file as the user named it.
    let path: String
    /// What the file should be, for messages: "trace file", "VMA dump".
    let kind: String
    /// The size of a regular file when opened; nil for pipes, FIFOs and devices.
    let regularFileSize: Int?
    private let descriptor: Int32

    /// Opens `path` for reading (a FIFO's open waits for a writer, as any reader's does).
    /// - Throws: `WorkloadError` naming `path`: missing, not permitted, a directory, or not openable.
    init(path: String, kind: String) throws {
        self.path = path
        self.kind = kind
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            let code = errno
            let what = code == ENOENT ? "no such \(kind)" : "cannot open the \(kind)"
            throw WorkloadError(file: path, message: "\(what): \(String(cString: strerror(code)))")
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let code = errno
            close(fd)
            throw WorkloadError(file: path, message: "cannot open the \(kind): \(String(cString: strerror(code)))")
        }
        let type = status.st_mode & S_IFMT
        if type == S_IFDIR {
            close(fd)
            throw WorkloadError(file: path, message: "is a directory: expected a \(kind)")
        }
        descriptor = fd
        regularFileSize = type == S_IFREG ? Int(status.st_size) : nil
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes to `destination`; 0 at the end of the file. Retries on EINTR.
    /// - Throws: `WorkloadError` naming the file if read(2) fails.
    func read(into destination: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = readDescriptor(descriptor, destination, count)
            if n >= 0 { return n }
            let code = errno
            if code == EINTR { continue }
            throw WorkloadError(file: path, message: "cannot read the \(kind): \(String(cString: strerror(code)))")
        }
    }

    /// The whole file, refused once it holds more than `limit` bytes (a regular file by its size, before
    /// reading). After each read, `inspectStart` sees all bytes read so far until it returns true (it has
    /// seen enough); it may throw to refuse the input without reading on.
    /// - Throws: `WorkloadError` naming the file and the limit, or what `inspectStart` throws.
    func readAll(limit: Int, inspectStart: (UnsafeBufferPointer<UInt8>) throws -> Bool = { _ in true }) throws -> [UInt8] {
        if let size = regularFileSize, size > limit { throw tooLarge(limit: limit, size: size) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(limit, regularFileSize ?? 0) + 1)
        var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
        var inspecting = true
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: $0.count) }
            if n > 0 {
                if bytes.count + n > limit { throw tooLarge(limit: limit, size: nil) }
                bytes.append(contentsOf: chunk[0..<n])
            }
            if inspecting { inspecting = try !bytes.withUnsafeBufferPointer(inspectStart) }
            if n == 0 { return bytes }
        }
    }

    private func tooLarge(limit: Int, size: Int?) -> WorkloadError {
        let found = size.map { "\($0) bytes" } ?? "more than that was read"
        return WorkloadError(file: path, message: "larger than \(byteCount(limit)) (\(found)): expected a \(kind) of at most \(limit) bytes")
    }
}

private func readDescriptor(_ descriptor: Int32, _ destination: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, destination, count)
}

/// `n` bytes as "1 GiB", "64 KiB" or "100 bytes" (exact multiples only; else the number of bytes).
func byteCount(_ n: Int) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] where n >= 1 << shift && n % (1 << shift) == 0 {
        return "\(n >> shift) \(unit)"
    }
    return "\(n) bytes"
}

/// Lines of an input file or of bytes in memory, one at a time, each at most `maxLineBytes` long (without
/// its "\n"). Memory use is bounded by the cap and the chunk size, whatever the input.
struct LineReader: ~Copyable {
    private enum Source {
        case file(InputFile)
        /// Bytes in memory, handed out at most `piece` bytes a read.
        case memory(UnsafeRawBufferPointer, piece: Int)
    }

    let name: String
    let kind: String
    let maxLineBytes: Int
    /// The 1-based number of the line last returned (or refused).
    private(set) var lineNumber = 0

    private let source: Source
    private var memoryOffset = 0
    private let storage: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    // Unread data is storage[start..<end].
    private var start = 0
    private var end = 0
    private var atEnd = false
    /// Once a line is refused or a read fails, every later call throws the same error.
    private var failure: WorkloadError?

    init(file: InputFile, maxLineBytes: Int) {
        self.init(source: .file(file), name: file.path, kind: file.kind, maxLineBytes: maxLineBytes)
    }

    /// Lines of `bytes` (not copied whole: read in chunks like a file, at most `pieceSize` bytes a read as a
    /// pipe may deliver them); `bytes` must outlive the reader.
    init(bytes: UnsafeRawBufferPointer, name: String, kind: String, maxLineBytes: Int, pieceSize: Int = .max) {
        self.init(source: .memory(bytes, piece: max(1, pieceSize)), name: name, kind: kind, maxLineBytes: maxLineBytes)
    }

    private init(source: Source, name: String, kind: String, maxLineBytes: Int) {
        self.source = source
        self.name = name
        self.kind = kind
        self.maxLineBytes = maxLineBytes
        // Whatever is left of a line after a search (at most maxLineBytes, else it is refused) plus a chunk.
        capacity = maxLineBytes + 1 + InputFile.chunkSize
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    /// The next line without its "\n" (the last one may lack it), or nil at the end. The bytes are valid
    /// until the next call.
    /// - Throws: `WorkloadError` naming the line if it is longer than `maxLineBytes`, or if reading fails.
    mutating func nextLine() throws -> UnsafeBufferPointer<UInt8>? {
        if let failure { throw failure }
        do {
            return try readLine()
        } catch let error as WorkloadError {
            failure = error
            throw error
        }
    }

    private mutating func readLine() throws -> UnsafeBufferPointer<UInt8>? {
        var searchFrom = start
        while true {
            if let found = memchr(storage + searchFrom, Int32(UInt8(ascii: "\n")), end - searchFrom) {
                let lineEnd = storage.distance(to: found.assumingMemoryBound(to: UInt8.self))
                lineNumber += 1
                let line = UnsafeBufferPointer(start: storage + start, count: lineEnd - start)
                if line.count > maxLineBytes { throw tooLong(line) }
                start = lineEnd + 1
                return line
            }
            let pending = UnsafeBufferPointer(start: storage + start, count: end - start)
            if pending.count > maxLineBytes {
                lineNumber += 1
                throw tooLong(pending)
            }
            if atEnd {
                guard !pending.isEmpty else { return nil }
                lineNumber += 1
                start = end
                return pending
            }
            // Keep the partial line at the front and read more after it.
            if start > 0 {
                if !pending.isEmpty { memmove(storage, storage + start, pending.count) }
                end = pending.count
                start = 0
            }
            searchFrom = end
            let n = try fill(storage + end, count: capacity - end)
            if n == 0 { atEnd = true } else { end += n }
        }
    }

    private mutating func fill(_ destination: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        switch source {
        case .file(let file):
            return try file.read(into: destination, count: count)
        case .memory(let bytes, let piece):
            let n = min(count, piece, bytes.count - memoryOffset)
            if n > 0 { memcpy(destination, bytes.baseAddress! + memoryOffset, n) }
            memoryOffset += n
            return n
        }
    }

    private func tooLong(_ start: UnsafeBufferPointer<UInt8>) -> WorkloadError {
        let beginning = UnsafeBufferPointer(rebasing: start[0..<min(start.count, 64)])
        return WorkloadError(
            file: name, line: lineNumber,
            message: "line longer than \(byteCount(maxLineBytes)): expected a line of a \(kind) (at most \(maxLineBytes) bytes before its \"\\n\"), found one starting \(quotedForMessage(beginning, limit: 16))")
    }
}

/// Bytes (as UTF-8, invalid sequences replaced) in double quotes for a message: at most `limit`
/// characters, then "...", each escaped as `appendEscaped` does.
func quotedForMessage(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = 60) -> String {
    var result = "\""
    for (characters, scalar) in String(decoding: bytes, as: UTF8.self).unicodeScalars.enumerated() {
        if characters == limit { result += "..."; break }
        appendEscaped(scalar, to: &result)
    }
    return result + "\""
}

/// Appends `scalar` to quoted text in a message: quotes, backslashes, tabs, control and invisible format
/// characters (a byte order mark, zero-width spaces) escaped, so that garbage in a file neither garbles the
/// terminal nor hides.
func appendEscaped(_ scalar: Unicode.Scalar, to text: inout String) {
    switch scalar {
    case "\"": text += "\\\""
    case "\\": text += "\\\\"
    case "\t": text += "\\t"
    default:
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator:
            text += "\\u{" + String(scalar.value, radix: 16) + "}"
        default:
            text.unicodeScalars.append(scalar)
        }
    }
}
