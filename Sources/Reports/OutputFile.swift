// Where a whole file's worth of output goes (`export -o OUT`), and how, so that writing never replaces
// what OUT is:
// - `-` is standard output;
// - a symbolic link is followed: its target is written, the link stays;
// - a device, FIFO or other non-regular file is opened and written to directly;
// - an existing regular file with one name is replaced atomically (a temporary file beside it, then a
//   rename) and keeps its mode and, where the owner can be set, its owner; if the owner cannot be kept it
//   is written in place instead;
// - a regular file with several hard links is written in place (truncated, then written), so every name
//   still shows the same file, now with the new dump. This gives up atomicity for those files: the whole
//   dump is serialised before the file is touched, so only an I/O error while writing (a full disk) can
//   leave it short, and the message then says so. An atomic rename would split the link instead, leaving
//   the other names with the old dump — the complaint of the issue.
// - a new file is created (mode 0666 less the umask) through a temporary file and a rename.
// The temporary file is made when the output is opened (before any defragmentation, so an unwritable OUT
// is refused at once) and removed on every way out: an error, or SIGINT, SIGTERM or SIGHUP.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// OUT could not be opened or written; the description names it and says why.
public struct OutputFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "cannot write \(path): \(reason)" }
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// An output opened for writing one document (see the file's comment for what each kind of OUT gets).
public final class OutputFile {
    public enum Mode: Equatable {
        case standardOutput
        /// Written through `descriptor` without truncation (devices, FIFOs).
        case direct
        /// Truncated, then written (a regular file with several names, or one whose owner cannot be kept).
        case inPlace
        /// Written to `temporary`, then renamed over `destination`.
        case replace(temporary: String, destination: String)
    }

    /// As the user wrote it, for messages.
    public let path: String
    public let mode: Mode
    private var descriptor: Int32
    private var finished = false

    private init(path: String, mode: Mode, descriptor: Int32) {
        self.path = path
        self.mode = mode
        self.descriptor = descriptor
    }

    deinit { abandon() }

    /// Opens `path` (`-`: standard output) for writing as the file's comment says; a temporary file, when
    /// one is made, is removed by ``abandon()``, by deinit, or on SIGINT, SIGTERM or SIGHUP.
    /// - Throws: ``OutputFileError``.
    public static func open(_ path: String) throws -> OutputFile {
        if path == "-" { return OutputFile(path: path, mode: .standardOutput, descriptor: 1) }
        func failure(_ reason: String) -> OutputFileError { OutputFileError(path: path, reason: reason) }
        func errnoText() -> String { String(cString: strerror(errno)) }

        var info = stat()
        if stat(path, &info) == 0 {
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR { throw failure("it is a directory") }
            if type != S_IFREG {
                let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
                if fd < 0 { throw failure(errnoText()) }
                return OutputFile(path: path, mode: .direct, descriptor: fd)
            }
            // A regular file: it must be writable as it is (a read-only file is not replaced behind its back).
            let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
            if fd < 0 { throw failure(errnoText()) }
            if info.st_nlink > 1 { return OutputFile(path: path, mode: .inPlace, descriptor: fd) }
            let destination = try resolveLinks(path, failure: failure)
            guard let temporary = try? makeTemporary(beside: destination) else {
                // No temporary file in its folder: write the file itself.
                return OutputFile(path: path, mode: .inPlace, descriptor: fd)
            }
            let keepsOwner = info.st_uid == geteuid() && info.st_gid == getegid()
                || fchown(temporary.descriptor, info.st_uid, info.st_gid) == 0
            if !keepsOwner || fchmod(temporary.descriptor, info.st_mode & 0o7777) != 0 {
                close(temporary.descriptor)
                unlink(temporary.path)
                OutputFile.forgetTemporary()
                return OutputFile(path: path, mode: .inPlace, descriptor: fd)
            }
            close(fd)
            return OutputFile(path: path, mode: .replace(temporary: temporary.path, destination: destination), descriptor: temporary.descriptor)
        }
        guard errno == ENOENT else { throw failure(errnoText()) }
        // Nothing there, or a link to nothing: create the file the link names.
        let destination = try resolveLinks(path, failure: failure)
        let temporary: (path: String, descriptor: Int32)
        do { temporary = try makeTemporary(beside: destination) } catch let error as POSIXErrorText { throw failure(error.text) }
        return OutputFile(path: path, mode: .replace(temporary: temporary.path, destination: destination), descriptor: temporary.descriptor)
    }

    /// Writes all of `bytes` and finishes: renames the temporary file into place, or closes the file.
    /// - Throws: ``OutputFileError``; in place or direct, it says how much was written.
    public func write(_ bytes: [UInt8]) throws {
        func failure(_ reason: String) -> OutputFileError { OutputFileError(path: path, reason: reason) }
        if case .inPlace = mode, ftruncate(descriptor, 0) != 0 { throw failure(String(cString: strerror(errno))) }
        var written = 0
        let error: Int32? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return nil
        }
        if let error {
            let reason = String(cString: strerror(error))
            switch mode {
            case .inPlace, .direct:
                throw failure("\(reason) after \(written) of \(bytes.count) bytes: the file is incomplete")
            case .standardOutput, .replace:
                throw failure(reason)
            }
        }
        switch mode {
        case .standardOutput:
            finished = true
        case .direct, .inPlace:
            let result = close(descriptor)
            descriptor = -1
            finished = true
            if result != 0 { throw failure(String(cString: strerror(errno))) }
        case .replace(let temporary, let destination):
            if fsync(descriptor) != 0 || close(descriptor) != 0 {
                descriptor = -1
                throw failure(String(cString: strerror(errno)))
            }
            descriptor = -1
            if rename(temporary, destination) != 0 { throw failure(String(cString: strerror(errno))) }
            OutputFile.forgetTemporary()
            finished = true
        }
    }

    /// Closes without writing; a temporary file is removed. Safe to call more than once.
    public func abandon() {
        if descriptor >= 0, descriptor != 1 { close(descriptor) }
        descriptor = -1
        if !finished, case .replace(let temporary, _) = mode {
            unlink(temporary)
            OutputFile.forgetTemporary()
        }
        finished = true
    }

    // MARK: - helpers

    private struct POSIXErrorText: Error { var text: String }

    /// Follows symbolic links at the end of `path` (up to 40) to the name of the file itself.
    private static func resolveLinks(_ path: String, failure: (String) -> OutputFileError) throws -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            if lstat(current, &info) != 0 || info.st_mode & S_IFMT != S_IFLNK { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            if n < 0 { throw failure(String(cString: strerror(errno))) }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : (current as NSString).deletingLastPathComponent.appendingPathComponentIfAny(target)
        }
        throw failure("too many levels of symbolic links")
    }

    /// Creates `.NAME.PID.tmp` beside `destination` (exclusively) and registers it for removal on a signal.
    private static func makeTemporary(beside destination: String) throws -> (path: String, descriptor: Int32) {
        let url = URL(fileURLWithPath: destination)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        rememberTemporary(temporary)
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd < 0 {
            let text = String(cString: strerror(errno))
            forgetTemporary()
            throw POSIXErrorText(text: text)
        }
        return (temporary, fd)
    }

    // MARK: - removal on a signal

    /// The temporary file's path as a C string the signal handler can read; nil when there is none.
    private nonisolated(unsafe) static var pendingTemporary: UnsafeMutablePointer<CChar>?
    private static let cleanupSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private static func rememberTemporary(_ path: String) {
        forgetTemporary()
        pendingTemporary = strdup(path)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            if let path = OutputFile.pendingTemporary { unlink(path) }
            Glibc.signal(signal, SIG_DFL)
            raise(signal)
        }
        sigemptyset(&action.sa_mask)
        for signal in cleanupSignals { sigaction(signal, &action, nil) }
    }

    private static func forgetTemporary() {
        guard let path = pendingTemporary else { return }
        for signal in cleanupSignals { Glibc.signal(signal, SIG_DFL) }
        pendingTemporary = nil
        free(path)
    }
}

private extension String {
    /// `self` joined with `component` ("" stays the current folder).
    func appendingPathComponentIfAny(_ component: String) -> String {
        isEmpty ? component : (self as NSString).appendingPathComponent(component)
    }
}
