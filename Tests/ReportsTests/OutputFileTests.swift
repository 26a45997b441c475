// OutputFile on each kind of OUT: what it chooses, what it leaves behind, what it refuses.
// (Signals and standard output are covered through the binary in ExportTests.)
import Foundation
import Reports
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Output file")
struct OutputFileTests {
    let folder: URL
    let bytes = Array("{\"dump\": true}\n".utf8)

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-outfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    func contents(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: folder.appendingPathComponent(name))) }
    func entries() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() }
    func info(_ name: String) -> stat {
        var s = stat()
        lstat(path(name), &s)
        return s
    }

    @Test("a new file: made through a temporary file beside it, renamed into place")
    func newFile() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = try OutputFile.open(path("new.json"))
        guard case .replace(let temporary, let destination) = out.mode else { Issue.record("mode \(out.mode)"); return }
        #expect(destination == path("new.json"))
        #expect(temporary == path(".new.json.\(getpid()).tmp"))
        #expect(try entries() == [".new.json.\(getpid()).tmp"], "the temporary file exists from the start")
        try out.write(bytes)
        #expect(try entries() == ["new.json"])
        #expect(try contents("new.json") == bytes)
    }

    @Test("abandoning (an error before writing) removes the temporary file and leaves an existing file as it was")
    func abandon() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try "keep".write(toFile: path("out.json"), atomically: false, encoding: .utf8)
        do {
            let out = try OutputFile.open(path("out.json"))
            out.abandon()
            out.abandon()
        }
        do { _ = try OutputFile.open(path("gone.json")) } // released without writing
        #expect(try entries() == ["out.json"])
        #expect(try String(contentsOfFile: path("out.json"), encoding: .utf8) == "keep")
    }

    @Test("an existing file is replaced and keeps its mode")
    func keepsMode() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try "old".write(toFile: path("out.json"), atomically: false, encoding: .utf8)
        chmod(path("out.json"), 0o604)
        let out = try OutputFile.open(path("out.json"))
        if case .replace = out.mode {} else { Issue.record("mode \(out.mode)") }
        try out.write(bytes)
        #expect(info("out.json").st_mode & 0o7777 == 0o604)
        #expect(try contents("out.json") == bytes)
    }

    @Test("a symbolic link: the target is replaced, the link stays")
    func symlink() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try "old".write(toFile: path("target.json"), atomically: false, encoding: .utf8)
        #expect(Glibc.symlink("target.json", path("link.json")) == 0)
        let out = try OutputFile.open(path("link.json"))
        #expect(out.mode == .replace(temporary: path(".target.json.\(getpid()).tmp"), destination: path("target.json")))
        try out.write(bytes)
        #expect(info("link.json").st_mode & S_IFMT == S_IFLNK)
        #expect(try contents("target.json") == bytes)
    }

    @Test("several hard links: written in place, truncated first, still one file")
    func hardLinks() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try String(repeating: "much longer old content ", count: 100).write(toFile: path("a"), atomically: false, encoding: .utf8)
        #expect(link(path("a"), path("b")) == 0)
        let out = try OutputFile.open(path("b"))
        #expect(out.mode == .inPlace)
        try out.write(bytes)
        #expect(try contents("a") == bytes && contents("b") == bytes)
        #expect(info("a").st_ino == info("b").st_ino && info("a").st_nlink == 2)
        #expect(try entries() == ["a", "b"])
    }

    @Test("a character device is written directly")
    func device() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = try OutputFile.open("/dev/null")
        // Never write anything else over /dev/null (the tests may run as root).
        guard out.mode == .direct else {
            out.abandon()
            Issue.record("/dev/null opened as \(out.mode)")
            return
        }
        try out.write(bytes)
        var s = stat()
        stat("/dev/null", &s)
        #expect(s.st_mode & S_IFMT == S_IFCHR)
    }

    @Test("refused with the path and the reason: a directory, a missing folder")
    func refusals() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: OutputFileError(path: folder.path, reason: "it is a directory")) { try OutputFile.open(folder.path) }
        let missing = path("no/such/out.json")
        #expect(throws: OutputFileError(path: missing, reason: "No such file or directory")) { try OutputFile.open(missing) }
        #expect(try entries().isEmpty)
    }
}
