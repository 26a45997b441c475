// The engine as a library, the way another package meets it: a consumer package outside this tree depends on
// this one through a git URL and a version (a `file://` repository holding this package's files, tagged
// 1.0.0), imports the `DefragEngine` product, implements its own `BlockList` (the CustomBlockList demo's
// source, which is exactly such a program) and runs a defragmentation to the end; a second program uses the
// `DefragscopeKit` product (a scenario's pool in host memory, defragmented by a session).
//
// The package manager refuses a versioned dependency whose targets carry `unsafeFlags`; this test is what
// keeps `Package.swift` free of them in the library products.
import Foundation
import Testing
import TestSupport

@Suite("A package that depends on this one by version", .serialized)
struct ConsumerTests {
    /// `swift` on PATH (the toolchain running these tests).
    static let swift: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return (path.split(separator: ":").map(String.init) + ["/opt/swift/usr/bin", "/usr/bin"])
            .map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Runs `executable` in `directory` (through env's --chdir, so the test's own working directory stays).
    private func run(_ arguments: [String], in directory: URL, timeout: Double = 900) throws -> ProcessResult {
        try runProcess("/usr/bin/env", ["--chdir=\(directory.path)"] + arguments, timeout: timeout)
    }

    /// A git repository holding this package's files as they are in the working tree (tracked and untracked,
    /// not ignored), committed and tagged `tag`.
    private func publish(to repository: URL, tag: String) throws {
        let root = TestPaths.packageRoot
        let listing = try run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], in: root)
        try #require(listing.status == 0, "git ls-files: \(listing.stderr)")
        let files = listing.stdout.split(separator: "\0").map(String.init)
        try #require(files.contains("Package.swift"))
        for file in files {
            let source = root.appendingPathComponent(file), target = repository.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: source.path) else { continue } // deleted, not yet committed
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source, to: target)
        }
        let identity = ["-c", "user.name=defragscope tests", "-c", "user.email=tests@defragscope.invalid", "-c", "commit.gpgsign=false"]
        for command in [["git", "init", "-q"], ["git", "add", "-A"], ["git"] + identity + ["commit", "-q", "-m", "defragscope"],
                        ["git", "tag", tag]] {
            let result = try run(command, in: repository)
            try #require(result.status == 0, "\(command.joined(separator: " ")): \(result.stderr)")
        }
    }

    @Test("depends on DefragEngine from a git URL at a version, implements its own BlockList and defragments to the end; DefragscopeKit runs a session",
          .enabled(if: swift != nil, "no swift on PATH"), .timeLimit(.minutes(15)))
    func consumerBuildsAndRuns() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("dscope-consumer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let repository = work.appendingPathComponent("defragscope"), consumer = work.appendingPathComponent("AllocatorApp")
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
        try publish(to: repository, tag: "1.0.0")

        let sources = consumer.appendingPathComponent("Sources/AllocatorApp")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try """
        // swift-tools-version:6.0
        import PackageDescription

        let package = Package(
            name: "AllocatorApp",
            dependencies: [
                .package(url: "\(repository.absoluteString)", from: "1.0.0"),
            ],
            targets: [
                .executableTarget(name: "AllocatorApp", dependencies: [
                    .product(name: "DefragEngine", package: "defragscope"),
                ]),
                .executableTarget(name: "PoolWatcher", dependencies: [
                    .product(name: "DefragscopeKit", package: "defragscope"),
                ]),
            ],
            swiftLanguageModes: [.v5]
        )

        """.write(to: consumer.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: TestPaths.packageRoot.appendingPathComponent("Demos/CustomBlockList/main.swift"),
                                         to: sources.appendingPathComponent("main.swift"))
        // The other library product: a scenario's pool in host memory, defragmented by a session.
        let watcher = consumer.appendingPathComponent("Sources/PoolWatcher")
        try FileManager.default.createDirectory(at: watcher, withIntermediateDirectories: true)
        try """
        import DefragSession
        import MemoryPools
        import Workloads

        let workload = Workload.trace(Scenario.checkerboard.trace())
        let device = HostPageDevice()
        let session = try DefragSession(title: workload.title, configuration: EngineConfiguration(algorithm: .full)) {
            try workload.makePools(device: device)
        }
        let before = session.metrics.pages
        let passes = try session.runToCompletion().count
        print("pool watcher: \\(passes) passes, pages \\(before) -> \\(session.metrics.pages), lower bound \\(session.metrics.lowerBoundPages)")

        """.write(to: watcher.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)

        let build = try run([Self.swift!, "build", "--scratch-path", consumer.appendingPathComponent(".build").path], in: consumer)
        try #require(build.status == 0, "the consumer package does not build:\n\(build.stdout)\n\(build.stderr)")
        let resolved = try String(contentsOf: consumer.appendingPathComponent("Package.resolved"), encoding: .utf8)
        #expect(resolved.contains("\"version\" : \"1.0.0\""), "resolved by version: \(resolved)")

        let program = consumer.appendingPathComponent(".build/debug/AllocatorApp").path
        let result = try runProcess(program, [], timeout: 120)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("verified: all ") && result.stdout.contains("done: "), "\(result.stdout)")

        let kit = try runProcess(consumer.appendingPathComponent(".build/debug/PoolWatcher").path, [], timeout: 120)
        #expect(kit.status == 0, "\(kit.stdout)\n\(kit.stderr)")
        let figures = kit.stdout.firstMatch(of: #/(\d+) passes, pages (\d+) -> (\d+), lower bound (\d+)/#)
        #expect(figures.map { Int($0.1)! > 0 && Int($0.3)! < Int($0.2)! && Int($0.3)! >= Int($0.4)! } == true, "\(kit.stdout)")
    }
}
