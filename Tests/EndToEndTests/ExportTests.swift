// `export` and `--vma-dump` through the built binary: round trips, schema validity, defragmented exports
// that keep every allocation, byte verification after every pass, bad dumps.
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

private enum Dumps {
    static let names = ["vma-sample.json", "checkerboard-s1.pool.json", "churn-s1.default.json"]
    static func path(_ name: String) -> String { TestPaths.shared.appendingPathComponent("vma-dumps/\(name)").path }
    static let schema = TestPaths.shared.appendingPathComponent("vma-dumps/GpuMemDump.schema.json").path

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dscope-export-\(UUID().uuidString)-\(name)").path
    }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// Validates `files` against VMA's schema with Python's jsonschema (Draft 2020-12). Missing jsonschema is
    /// a failure: `make test` installs python3-jsonschema.
    static func validate(_ files: [String]) throws {
        let script = """
        import json, sys
        try:
            import jsonschema
        except ImportError:
            print("NO_JSONSCHEMA"); sys.exit(3)
        schema = json.load(open(sys.argv[1]))
        validator = jsonschema.Draft202012Validator(schema)
        bad = 0
        for f in sys.argv[2:]:
            for e in validator.iter_errors(json.load(open(f))):
                bad += 1; print(f, "/".join(map(str, e.absolute_path)), e.message)
        sys.exit(1 if bad else 0)
        """
        var result: ProcessResult?
        for python in ["/usr/bin/env", "/usr/bin/python3"] {
            let arguments = (python == "/usr/bin/env" ? ["python3"] : []) + ["-c", script, schema] + files
            guard FileManager.default.isExecutableFile(atPath: python) else { continue }
            let r = try runProcess(python, arguments)
            result = r
            if r.status != 3 { break }
        }
        guard let result else { Issue.record("no python3 to validate against the schema (make test installs python3-jsonschema)"); return }
        if result.status == 3 {
            Issue.record("python3 has no jsonschema module: install python3-jsonschema (make test does) to validate exports against the schema")
            return
        }
        #expect(result.status == 0, "schema validation failed: \(result.stdout) \(result.stderr)")
    }

    /// Every allocation of a dump: (pool key, identity, type, size). The identity is the name, else the
    /// origin code an `--after` export wrote (P<pool>B<block>O<offset> / P<pool>D<index>), else that code
    /// computed from the place (for the input dump).
    static func allocations(_ dump: [String: Any], useOrigins: Bool) -> [String] {
        var result: [String] = []
        var poolIndex = 0
        func visit(_ pool: [String: Any], key: String) {
            for (blockID, block) in pool["Blocks"] as? [String: [String: Any]] ?? [:] {
                for s in block["Suballocations"] as? [[String: Any]] ?? [] where s["Type"] as? String != "FREE" {
                    var identity = s["Name"] as? String
                    if identity == nil {
                        if useOrigins { identity = (s["CustomData"] as? String).map { String($0.prefix { $0 != "C" }) } }
                        else { identity = "P\(poolIndex)B\(blockID)O\(s["Offset"] as! Int)" }
                    }
                    result.append("\(key)|\(identity ?? "?")|\(s["Type"]!)|\(s["Size"]!)")
                }
            }
            for (k, d) in (pool["DedicatedAllocations"] as? [[String: Any]] ?? []).enumerated() {
                var identity = d["Name"] as? String
                if identity == nil { identity = useOrigins ? (d["CustomData"] as? String).map { String($0.prefix { $0 != "C" }) } : "P\(poolIndex)D\(k)" }
                result.append("\(key)|dedicated|\(identity ?? "?")|\(d["Type"]!)|\(d["Size"]!)")
            }
            poolIndex += 1
        }
        // Pools in the dump's order: JSONSerialization loses key order, so sort keys as VMA writes them ("Type N").
        func ordered<S: Sequence>(_ keys: S) -> [String] where S.Element == String { keys.sorted { Int($0.dropFirst(5)) ?? 0 < Int($1.dropFirst(5)) ?? 0 } }
        let defaults = dump["DefaultPools"] as? [String: [String: Any]] ?? [:]
        for key in ordered(defaults.keys) { visit(defaults[key]!, key: key) }
        let customs = dump["CustomPools"] as? [String: [[String: Any]]] ?? [:]
        for key in ordered(customs.keys) { for (i, p) in customs[key]!.enumerated() { visit(p, key: "\(key)#\(i)") } }
        return result.sorted()
    }

    static func blockCount(_ dump: [String: Any]) -> Int { ((dump["Total"] as? [String: Any])?["BlockCount"] as? Int) ?? -1 }
}

@Suite("export and --vma-dump", .serialized)
struct ExportTests {
    @Test("export without --after writes the dump VMA wrote, byte for byte; export → import → export is identical",
          arguments: Dumps.names)
    func roundTrip(name: String) throws {
        let first = Dumps.temporary("1-" + name), second = Dumps.temporary("2-" + name)
        defer { try? FileManager.default.removeItem(atPath: first); try? FileManager.default.removeItem(atPath: second) }
        let r1 = try runDefragscope(["export", "--vma-dump", Dumps.path(name), "-o", first])
        #expect(r1.status == 0, "\(r1.stderr)")
        let r2 = try runDefragscope(["export", "--vma-dump", first, "-o", second])
        #expect(r2.status == 0, "\(r2.stderr)")
        let original = try Data(contentsOf: URL(fileURLWithPath: Dumps.path(name)))
        let a = try Data(contentsOf: URL(fileURLWithPath: first)), b = try Data(contentsOf: URL(fileURLWithPath: second))
        #expect(a == original, "the export of an unchanged \(name) differs from VMA's file")
        #expect(a == b, "export → import → export is not byte-identical")
        try Dumps.validate([first])
    }

    @Test("export --after: every byte verified after every pass; same allocations, no more blocks; schema-valid; re-export identical",
          arguments: Dumps.names)
    func afterDefragmentation(name: String) throws {
        let after = Dumps.temporary("after-" + name), again = Dumps.temporary("again-" + name)
        defer { try? FileManager.default.removeItem(atPath: after); try? FileManager.default.removeItem(atPath: again) }
        let r = try runDefragscope(["export", "--vma-dump", Dumps.path(name), "--after", "--verify", "all", "-o", after])
        #expect(r.status == 0, "\(r.stderr)")
        let input = try Dumps.json(Dumps.path(name)), output = try Dumps.json(after)
        #expect(Dumps.blockCount(output) <= Dumps.blockCount(input))
        #expect(Dumps.allocations(output, useOrigins: true) == Dumps.allocations(input, useOrigins: false),
                "the defragmented export does not hold the same allocations")
        // Dedicated allocations stay as they were, in order.
        func dedicated(_ d: [String: Any]) -> [String] {
            (d["DefaultPools"] as? [String: [String: Any]] ?? [:]).sorted { $0.key < $1.key }
                .flatMap { ($0.value["DedicatedAllocations"] as? [[String: Any]] ?? []).map { "\($0["Type"]!) \($0["Size"]!) \($0["Name"] ?? "")" } }
        }
        #expect(dedicated(output) == dedicated(input))
        try Dumps.validate([after])
        let r2 = try runDefragscope(["export", "--vma-dump", after, "-o", again])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: after)) == Data(contentsOf: URL(fileURLWithPath: again)))
    }

    @Test("checkerboard: fewer blocks after defragmenting, as the run shows")
    func checkerboardShrinks() throws {
        let after = Dumps.temporary("cb.json")
        defer { try? FileManager.default.removeItem(atPath: after) }
        let r = try runDefragscope(["export", "--vma-dump", Dumps.path("checkerboard-s1.pool.json"), "--after", "-o", after])
        #expect(r.status == 0, "\(r.stderr)")
        let output = try Dumps.json(after)
        #expect(Dumps.blockCount(output) < 9)
        #expect(r.stdout.contains("pages 9 -> \(Dumps.blockCount(output))"), "\(r.stdout)")
    }

    /// `run --vma-dump` with every algorithm in both dialects: every byte verified after every pass, never
    /// more pages at the end than at the start.
    @Test("run --vma-dump --verify all: every algorithm, both dialects, pages never grow",
          arguments: Dumps.names, ["memutils", "vma"])
    func runVerifies(name: String, dialect: String) throws {
        let algorithms = name.hasPrefix("churn") ? ["full", "extensive"] : ["fast", "full", "balanced", "extensive"]
        for algorithm in algorithms {
            let r = try runDefragscope(["run", "--vma-dump", Dumps.path(name), "--verify", "all", "--dialect", dialect, "--algorithm", algorithm])
            #expect(r.status == 0, "\(algorithm) \(dialect): \(r.stderr)")
            let summary = try #require(r.stdout.split(separator: "\n").last { $0.hasPrefix("done:") }, "\(r.stdout)")
            let pages = summary.components(separatedBy: "; pages ").last!.split(separator: " ")
            let before = Int(pages[0]) ?? -1, after = Int(pages[2]) ?? Int.max
            #expect(after <= before, "\(name) \(algorithm) \(dialect): \(summary)")
        }
    }

    @Test("a trace exports as VMA wrote the same trace: checkerboard gives the blocks of checkerboard-s1.pool.json")
    func traceMatchesVMA() throws {
        let out = Dumps.temporary("trace.json"), again = Dumps.temporary("trace2.json")
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: again) }
        let r = try runDefragscope(["export", "--trace", TestPaths.trace("checkerboard"), "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        func blocks(_ d: [String: Any]) throws -> [String: [String]] {
            let pool = try #require((d["CustomPools"] as? [String: [[String: Any]]])?["Type 0"]?.first)
            return (pool["Blocks"] as? [String: [String: Any]] ?? [:]).mapValues { b in
                (b["Suballocations"] as? [[String: Any]] ?? []).map { "\($0["Offset"]!) \($0["Type"]!) \($0["Size"]!) \($0["Name"] ?? "")" }
            }
        }
        #expect(try blocks(Dumps.json(out)) == blocks(Dumps.json(Dumps.path("checkerboard-s1.pool.json"))))
        try Dumps.validate([out])
        let r2 = try runDefragscope(["export", "--vma-dump", out, "-o", again])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: again)))
    }

    @Test("a bad dump exits 2 with file and JSON path, and writes nothing")
    func badDump() throws {
        let bad = Dumps.temporary("bad.json"), out = Dumps.temporary("out.json")
        defer { try? FileManager.default.removeItem(atPath: bad); try? FileManager.default.removeItem(atPath: out) }
        let text = try String(contentsOfFile: Dumps.path("vma-sample.json"), encoding: .utf8)
            .replacingOccurrences(of: "{\"Offset\": 66304, \"Type\": \"BUFFER\", \"Size\": 60,", with: "{\"Offset\": 66000, \"Type\": \"BUFFER\", \"Size\": 60,")
        try text.write(toFile: bad, atomically: true, encoding: .utf8)
        for command in [["export", "-o", out], ["run"]] {
            let r = try runDefragscope(command + ["--vma-dump", bad])
            #expect(r.status == 2)
            #expect(r.stderr.contains("\(bad):"), "\(r.stderr)")
            #expect(r.stderr.contains("at $.DefaultPools[\"Type 0\"].Blocks[\"0\"].Suballocations[2]: suballocation at offset 66000 overlaps"), "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        let missing = try runDefragscope(["run", "--vma-dump", "/nonexistent/x.json"])
        #expect(missing.status == 2 && missing.stderr == "defragscope: /nonexistent/x.json: no such VMA dump: No such file or directory\n")
    }

    @Test("export needs -o, refuses two inputs, and leaves no file behind when it cannot write")
    func exportErrors() throws {
        let noOutput = try runDefragscope(["export", "--vma-dump", Dumps.path("vma-sample.json")])
        #expect(noOutput.status != 0 && noOutput.stderr.contains("--output"))
        let two = try runDefragscope(["export", "--vma-dump", Dumps.path("vma-sample.json"), "--scenario", "checkerboard", "-o", "/tmp/x.json"])
        #expect(two.status != 0 && two.stderr.contains("give one input"))
        let unwritable = try runDefragscope(["export", "--vma-dump", Dumps.path("vma-sample.json"), "-o", "/nonexistent-dir/out.json"])
        #expect(unwritable.status == 2 && unwritable.stderr.contains("cannot write /nonexistent-dir/out.json"), "\(unwritable.stderr)")
        // A failed write does not replace an existing file.
        let existing = Dumps.temporary("keep.json")
        defer { try? FileManager.default.removeItem(atPath: existing) }
        try "keep".write(toFile: existing, atomically: true, encoding: .utf8)
        let bad = try runDefragscope(["export", "--vma-dump", "/nonexistent/x.json", "-o", existing])
        #expect(bad.status == 2)
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep")
    }
}

/// `export -o` writes to what OUT is, never replacing it with something else (issue 14, item 2).
@Suite("export -o: what OUT is stays what it is", .serialized)
struct ExportOutputTests {
    static let trace = TestPaths.trace("tiny")

    /// A fresh folder for one test.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The dump of tiny.trace as a plain export writes it.
    static func expectedDump(in folder: URL) throws -> Data {
        let plain = folder.appendingPathComponent("plain.json").path
        let r = try runDefragscope(["export", "--trace", trace, "-o", plain])
        #expect(r.status == 0, "\(r.stderr)")
        return try Data(contentsOf: URL(fileURLWithPath: plain))
    }

    static func info(_ path: String) -> stat {
        var s = stat()
        lstat(path, &s)
        return s
    }

    static func leftovers(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
    }

    @Test("a symbolic link is written through: the target gets the dump and keeps its mode, the link stays a link")
    func symlink() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("target.json").path, link = dir.appendingPathComponent("link.json").path
        try "old".write(toFile: target, atomically: false, encoding: .utf8)
        chmod(target, 0o640)
        #expect(Glibc.symlink("target.json", link) == 0)
        let r = try runDefragscope(["export", "--trace", Self.trace, "-o", link])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.info(link).st_mode & S_IFMT == S_IFLNK, "the link was replaced")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Self.expectedDump(in: dir))
        #expect(Self.info(target).st_mode & 0o7777 == 0o640)
        #expect(try Self.leftovers(dir).isEmpty)
    }

    @Test("a link to nothing creates the file it names")
    func danglingLink() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("link.json").path
        #expect(Glibc.symlink("made.json", link) == 0)
        let r = try runDefragscope(["export", "--trace", Self.trace, "-o", link])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.info(link).st_mode & S_IFMT == S_IFLNK)
        #expect(try Data(contentsOf: dir.appendingPathComponent("made.json")) == Self.expectedDump(in: dir))
    }

    @Test("an existing file keeps its mode (600 stays 600) and gets the new dump")
    func keepsMode() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.json").path
        try "old".write(toFile: out, atomically: false, encoding: .utf8)
        chmod(out, 0o600)
        let r = try runDefragscope(["export", "--trace", Self.trace, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.info(out).st_mode & 0o7777 == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Self.expectedDump(in: dir))
    }

    @Test("a file with two hard links is written in place: both names show the new dump, still one file")
    func hardLink() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.json").path, b = dir.appendingPathComponent("b.json").path
        try String(repeating: "old data ", count: 2000).write(toFile: a, atomically: false, encoding: .utf8)
        #expect(link(a, b) == 0)
        let inode = Self.info(a).st_ino
        let r = try runDefragscope(["export", "--trace", Self.trace, "--after", "-o", a])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.info(a).st_ino == inode && Self.info(b).st_ino == inode && Self.info(a).st_nlink == 2, "the link was split")
        let written = try Data(contentsOf: URL(fileURLWithPath: b))
        #expect(written == (try Data(contentsOf: URL(fileURLWithPath: a))))
        #expect(try JSONSerialization.jsonObject(with: written) is [String: Any], "the old, longer content was not truncated")
    }

    @Test("a FIFO is written to directly and stays a FIFO")
    func fifo() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = try Self.expectedDump(in: dir)
        let path = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(path, 0o644) == 0)
        // The reader opens and drains the FIFO on its own thread; the export's open waits for it.
        final class Box: @unchecked Sendable { var bytes: [UInt8] = [] }
        let box = Box(), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let fd = open(path, O_RDONLY)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while fd >= 0 {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                box.bytes += buffer[0..<n]
            }
            if fd >= 0 { close(fd) }
            done.signal()
        }
        let r = try runDefragscope(["export", "--trace", Self.trace, "-o", path], timeout: 120)
        if done.wait(timeout: .now() + 10) == .timedOut {
            // The export never opened the FIFO: let the reader go.
            let fd = open(path, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
            _ = done.wait(timeout: .now() + 10)
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Data(box.bytes) == expected)
        #expect(Self.info(path).st_mode & S_IFMT == S_IFIFO, "the FIFO was replaced")
        #expect(try Self.leftovers(dir).isEmpty)
    }

    @Test("-o - writes the dump to standard output and the message to stderr; no file named -")
    func standardOutput() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dash = FileManager.default.currentDirectoryPath + "/-"
        let existedBefore = FileManager.default.fileExists(atPath: dash)
        let r = try runDefragscope(["export", "--trace", Self.trace, "-o", "-"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Data(r.stdout.utf8) == (try Self.expectedDump(in: dir)))
        #expect(r.stderr.hasPrefix("wrote standard output: 2 blocks"), "\(r.stderr)")
        if !existedBefore {
            #expect(!FileManager.default.fileExists(atPath: dash), "a file named - was written")
            try? FileManager.default.removeItem(atPath: dash)
        }
    }

    @Test("SIGINT or SIGTERM while exporting removes the temporary file and leaves OUT as it was",
          arguments: [SIGINT, SIGTERM])
    func interrupted(signal: Int32) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.json").path
        try "keep".write(toFile: out, atomically: false, encoding: .utf8)
        // churn defragmented with every byte verified takes seconds; the temporary file exists meanwhile.
        let export = try BackgroundDefragscope(["export", "--trace", TestPaths.trace("churn"), "--after", "--verify", "all", "-o", out])
        let temporary = ".out.json.\(export.pid).tmp"
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent(temporary).path) && export.isRunning && Date() < deadline {
            usleep(20_000)
        }
        #expect(export.isRunning, "the export ended before it could be interrupted: \(export.stderr)")
        kill(export.pid, signal)
        let end = export.finish()
        #expect(end.signal == signal, "ended by \(String(describing: end.signal)), exit \(String(describing: end.exitStatus))")
        let left = try Self.leftovers(dir)
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "keep")
    }
}
