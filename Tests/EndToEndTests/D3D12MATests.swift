// D3D12MA dumps through the built binary: --d3d12ma-dump and --dump (autodetected) open them, export
// writes them back byte for byte (and as D3D12MA after a defragmentation), bad dumps exit 2 with the path.
import Foundation
import Testing
import TestSupport

private enum D3D12MA {
    static func path(_ name: String) -> String { TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/d3d12ma/\(name)").path }
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dscope-d3d12ma-\(UUID().uuidString)-\(name)").path
    }
}

@Suite("D3D12MA dumps through the binary", .serialized)
struct D3D12MACommandTests {
    @Test("export of an unchanged dump is byte for byte the dump, for --d3d12ma-dump and --dump", arguments: ["tier2.json", "tier1-uma.json"])
    func roundTrip(name: String) throws {
        for option in ["--d3d12ma-dump", "--dump"] {
            let out = D3D12MA.temporary(name)
            defer { try? FileManager.default.removeItem(atPath: out) }
            let result = try runDefragscope(["export", option, D3D12MA.path(name), "-o", out])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: D3D12MA.path(name))), "\(option) \(name)")
        }
    }

    @Test("export --after defragments and writes D3D12MA again, every resource kept, readable by --dump")
    func afterDefragmentation() throws {
        let out = D3D12MA.temporary("after.json")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try runDefragscope(["export", "--d3d12ma-dump", D3D12MA.path("tier2.json"), "--after", "-o", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("pages 13 -> 11") && result.stdout.contains("22 allocations"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect((json["General"] as? [String: Any])?["API"] as? String == "Direct3D 12")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        for name in ["Shadow map\\/cascade 0", "Volume fog é", "Readback staging \\u20AC", "Back buffer", "Stream tile 2"] {
            #expect(text.contains("\"Name\": \"\(name)\""), "\(name)")
        }
        let again = try runDefragscope(["run", "--dump", out])
        #expect(again.status == 0 && again.stdout.contains("done: 0 passes"), "\(again.stdout)\(again.stderr)")
    }

    @Test("run shows the dump's pools; a bad dump exits 2 naming the file, line and JSON path")
    func runAndRefusals() throws {
        let run = try runDefragscope(["run", "--dump", D3D12MA.path("tier1-uma.json")])
        #expect(run.status == 0 && run.stdout.contains("done:"), "\(run.stderr)")
        let bad = D3D12MA.temporary("bad.json")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let text = try String(contentsOfFile: D3D12MA.path("tier2.json"), encoding: .utf8).replacingOccurrences(of: "\"TEXTURE3D\"", with: "\"TEXTURE4D\"")
        try text.write(toFile: bad, atomically: true, encoding: .utf8)
        for option in ["--d3d12ma-dump", "--dump"] {
            let result = try runDefragscope(["run", option, bad])
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(bad):") && result.stderr.contains("at $.DefaultPools.DEFAULT.Blocks[\"0\"].Suballocations[3].Type: unknown resource type \"TEXTURE4D\""), "\(result.stderr)")
        }
        // A VMA dump given as D3D12MA says what it is.
        let vma = try runDefragscope(["run", "--d3d12ma-dump", TestPaths.shared.appendingPathComponent("vma-dumps/vma-sample.json").path])
        #expect(vma.status == 2 && vma.stderr.contains("at $.General.API: expected \"Direct3D 12\" (a D3D12MA dump), found \"Vulkan\""), "\(vma.stderr)")
        let two = try runDefragscope(["run", "--dump", bad, "--scenario", "checkerboard"])
        #expect(two.status == 2 && two.stderr.contains("give one input"))
    }

    @Test("snapshot of a D3D12MA dump shows its pools and colours by type")
    func snapshot() throws {
        let result = try runDefragscope(["snapshot", "--dump", D3D12MA.path("tier2.json"), "--text", "-", "--width", "120", "--height", "40"])
        #expect(result.status == 0, "\(result.stderr)")
        for header in ["DEFAULT", "UPLOAD", "GPU_UPLOAD", "DEFAULT / 0 - streaming", "CUSTOM / 1 - video"] {
            #expect(result.stdout.contains(header), "pool header \(header)")
        }
        #expect(result.stdout.contains("type:"), "the legend colours by type")
    }
}
