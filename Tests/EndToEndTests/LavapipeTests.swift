// `--backend lavapipe` end to end: the built binary over real Vulkan device memory on Mesa's lavapipe
// produces what the synthetic backend and VMA produce, byte-verified after every pass; its failures (no
// driver, no such device, a page the device cannot allocate) are clear messages and exit 2.
import Foundation
import Testing
import TestSupport

/// Whether this machine has a Vulkan device, found once by running the smallest scenario on it.
enum Lavapipe {
    /// What `defragscope` says when there is no driver (VulkanError.noDeviceHint).
    static let noDeviceMessage = "no Vulkan device: install mesa-vulkan-drivers"

    /// The probe run: `run --scenario tiny --backend lavapipe`.
    static let probe: ProcessResult? = try? runDefragscope(["run", "--scenario", "tiny", "--backend", "lavapipe"])

    /// False only when the device cannot be opened because there is none; any other failure of the probe
    /// leaves the suite enabled, so its tests fail and show it.
    static var available: Bool {
        guard let probe else { return true }
        return !(probe.status != 0 && probe.stderr.contains(noDeviceMessage))
    }

    /// What the tests that run `--backend lavapipe` need (a skip, or a failure under DEFRAGSCOPE_REQUIRE_ALL=1).
    static let driver = Requirement.vulkan { available }

    /// The device's name from the probe's header ("… backend llvmpipe (LLVM 15.0.6, 256 bits)").
    static var deviceName: String? {
        guard let probe, probe.status == 0,
              let line = probe.stdout.split(separator: "\n").first(where: { $0.contains(", backend ") }),
              let range = line.range(of: ", backend ") else { return nil }
        return String(line[range.upperBound...])
    }
}

/// Lines of `text` without `#` comments (as ReferenceFile.expectedLines reads a file).
private func refLines(_ text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.hasPrefix("#") }
}

/// Where two line lists first differ, for a readable failure.
private func firstDifference(_ actual: [String], _ expected: [String]) -> String {
    if let d = zip(actual, expected).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
        return "line \(d.offset + 1): got '\(d.element.0)', expected '\(d.element.1)'"
    }
    return "lengths differ: \(actual.count) vs \(expected.count) lines"
}

@Suite("--backend lavapipe", .serialized,
       .requires(Lavapipe.driver))
struct LavapipeTests {
    /// checkerboard, nearly-full and textures × fast, balanced, full × {unlimited, 64 MiB/256}, dialect vma.
    static let files = ReferenceFile.all().filter {
        $0.dialect == "vma" && ["checkerboard", "nearly-full", "textures"].contains($0.trace)
            && ["fast", "balanced", "full"].contains($0.algorithm)
    }

    @Test("the probe run succeeds on a named device")
    func probe() throws {
        let probe = try #require(Lavapipe.probe)
        #expect(probe.status == 0, "exit \(probe.status): \(probe.stderr)")
        let name = try #require(Lavapipe.deviceName, "no backend in the header: \(probe.stdout)")
        #expect(name != "host memory")
        #expect(!name.isEmpty)
    }

    @Test("all 18 reference cases are found")
    func referenceFilesFound() {
        #expect(Self.files.count == 18)
    }

    @Test("identical to the synthetic backend and the reference, every byte verified after every pass", arguments: files)
    func identical(_ file: ReferenceFile) throws {
        let vulkan = try runDefragscope(file.runArguments + ["--backend", "lavapipe", "--verify", "all"])
        #expect(vulkan.status == 0, "exit \(vulkan.status): \(vulkan.stderr)")
        // The header says which device ran it: not the host.
        let header = vulkan.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.contains(" on \(Lavapipe.deviceName ?? "?");"), "header: \(header)")

        let host = try runDefragscope(file.runArguments)
        #expect(host.status == 0, "exit \(host.status): \(host.stderr)")
        #expect(host.stdout.contains("on host memory;"))

        let actual = refLines(vulkan.stdout)
        #expect(actual.count > 3, "no output: \(vulkan.stdout)")
        let synthetic = refLines(host.stdout)
        if actual != synthetic { Issue.record("\(file): lavapipe and host differ at \(firstDifference(actual, synthetic))") }
        let expected = try file.expectedLines()
        if actual != expected { Issue.record("\(file): lavapipe and the reference differ at \(firstDifference(actual, expected))") }
    }

    @Test("text output: the device in the header, plan and copy time per pass")
    func textFormat() throws {
        let result = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--backend", "lavapipe"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let name = try #require(Lavapipe.deviceName)
        #expect(lines.contains { $0.hasSuffix(", backend \(name)") })
        let columns = try #require(lines.first { $0.hasPrefix("pass ") })
        #expect(columns.contains("plan ms") && columns.contains("copy ms"))
        // Every pass row has a number in both columns.
        let rows = lines.filter { $0.first?.isNumber == true }
        #expect(!rows.isEmpty)
        for row in rows {
            let fields = row.split(separator: " ")
            // pass, moves, bytes moved (number and unit), pages freed, pages, frag, plan ms, copy ms, errors
            #expect(fields.count == 10, "row: \(row)")
            if fields.count == 10 {
                #expect(Double(fields[7]) != nil && Double(fields[8]) != nil, "row: \(row)")
            }
        }
    }

    @Test("json output: planning, copy and completion seconds per pass; the backend in the summary")
    func jsonFormat() throws {
        let result = try runDefragscope(["run", "--trace", TestPaths.trace("checkerboard"), "--backend", "lavapipe", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let passes = objects.dropLast()
        #expect(!passes.isEmpty)
        for pass in passes {
            let planning = try #require(pass["planningSeconds"] as? Double)
            let copy = try #require(pass["copySeconds"] as? Double)
            let complete = try #require(pass["completeSeconds"] as? Double)
            #expect(planning > 0 && copy > 0 && complete >= 0, "\(pass)")
        }
        #expect(objects.last?["backend"] as? String == Lavapipe.deviceName)
    }

    @Test("bench --backend lavapipe: throughput per pass against memcpy, for the bytes the passes move")
    func bench() throws {
        let trace = TestPaths.trace("checkerboard")
        let result = try runDefragscope(["bench", "--backend", "lavapipe", "--trace", trace, "--algorithm", "full", "--json", "--repeat", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        for object in objects {
            #expect(object["backend"] as? String == "lavapipe")
            for key in ["vulkanBytesPerSecond", "memcpyBytesPerSecond", "ratio"] {
                let value = try #require(object[key] as? Double, "\(key) in \(object)")
                #expect(value > 0 && value.isFinite, "\(key) in \(object)")
            }
            #expect((object["bytes"] as? Int ?? 0) > 0)
        }
        #expect(objects.filter { $0["trace"] as? String == "synthetic" }.count >= 1)

        // The per-pass rows are the real passes: the bytes each moves, as `run` reports them.
        let passRows = objects.filter { $0["trace"] as? String == "checkerboard.trace" && $0["pass"] as? Int != nil }
        let run = try runDefragscope(["run", "--trace", trace, "--dialect", "vma", "--algorithm", "full", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let runPasses = try run.stdout.split(separator: "\n").dropLast().map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(passRows.map { $0["pass"] as? Int } == runPasses.map { $0["pass"] as? Int })
        #expect(passRows.map { $0["bytes"] as? Int } == runPasses.map { $0["bytesMoved"] as? Int })
        let total = try #require(objects.first { $0["trace"] as? String == "checkerboard.trace" && $0["pass"] as? String == "all" })
        #expect(total["bytes"] as? Int == runPasses.reduce(0) { $0 + ($1["bytesMoved"] as? Int ?? 0) })
    }

    @Test("--device that matches nothing: exit 2, the available devices listed")
    func noSuchDevice() throws {
        let result = try runDefragscope(["run", "--scenario", "tiny", "--backend", "lavapipe", "--device", "no-such-gpu"])
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("defragscope: "))
        #expect(result.stderr.contains("no-such-gpu"))
        let name = try #require(Lavapipe.deviceName)
        #expect(result.stderr.contains("devices: \"\(name)\""), "\(result.stderr)")
    }

    @Test("a page larger than the device can allocate: exit 2, naming vkAllocateMemory and the heap")
    func pageTooLarge() throws {
        // 4 GiB pages; lavapipe's heap is 2 GiB.
        let path = try temporaryTrace("block-size 4294967296\na 1 256 16\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runDefragscope(["run", "--trace", path, "--backend", "lavapipe", "--verify", "all"])
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("defragscope: "))
        #expect(result.stderr.contains("vkAllocateMemory"), "\(result.stderr)")
        #expect(result.stderr.contains("VK_ERROR_OUT_OF_DEVICE_MEMORY"), "\(result.stderr)")
        #expect(result.stderr.contains("heap"), "\(result.stderr)")
        // The same trace on the host is fine: the failure is the device's.
        let host = try runDefragscope(["run", "--trace", path, "--verify", "none"])
        #expect(host.status == 0, "exit \(host.status): \(host.stderr)")
    }
}

/// Needs no driver, so it runs everywhere.
@Suite("--backend lavapipe without a driver")
struct LavapipeNoDriverTests {
    @Test("VK_DRIVER_FILES pointing nowhere: exit 2, what failed and what to install")
    func noDriver() throws {
        let result = try runDefragscope(["run", "--scenario", "tiny", "--backend", "lavapipe"],
                                        environment: ["VK_DRIVER_FILES": "/nonexistent.json"])
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("defragscope: "))
        #expect(result.stderr.contains(Lavapipe.noDeviceMessage), "\(result.stderr)")
        #expect(result.stderr.contains("vkCreateInstance") || result.stderr.contains("vkEnumeratePhysicalDevices"), "\(result.stderr)")
        #expect(result.stderr.contains("VK_ERROR_"), "\(result.stderr)")
    }
}
