// Where report records go: standard output (or any descriptor), each record written whole as soon as it
// is complete, or memory (tests, callers that post-process).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Receives complete records (a run's header, one pass, the summary; a benchmark row).
public protocol RecordSink: AnyObject {
    func write(record: String) throws
}

/// A write to the descriptor failed.
public struct RecordSinkError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Writes each record to a file descriptor at once, unbuffered, so a reader of a pipe sees every record
/// as soon as it is made. While a record is being written, SIGINT, SIGTERM and SIGHUP are held back: a
/// run interrupted by one of them stops between records (by the signal's default action, delivered as soon
/// as the record is out), leaving every record it wrote complete.
public final class FileDescriptorSink: RecordSink {
    public let descriptor: Int32
    /// For messages: "standard output", or a path.
    public let name: String

    public init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    /// Standard output.
    public static func standardOutput() -> FileDescriptorSink { FileDescriptorSink(descriptor: 1, name: "standard output") }

    public func write(record: String) throws {
        var held = sigset_t(), previous = sigset_t()
        sigemptyset(&held)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&held, signal) }
        pthread_sigmask(SIG_BLOCK, &held, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var text = record
        try text.withUTF8 { bytes in
            var written = 0
            while written < bytes.count {
                let n = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RecordSinkError("cannot write to \(name): \(String(cString: strerror(errno)))")
                }
                written += n
            }
        }
    }
}

/// Keeps every record, in order.
public final class MemorySink: RecordSink {
    public private(set) var records: [String] = []
    public init() {}
    public func write(record: String) throws { records.append(record) }
    /// All records joined.
    public var text: String { records.joined() }
}
