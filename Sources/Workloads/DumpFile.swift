// Reading a dump of either kind: VMA's (General.API "Vulkan") or D3D12MA's ("Direct3D 12"), told apart by
// the document itself, so `--dump FILE` takes both.
extension Workload {
    /// Loads the dump at `path`, VMA or D3D12MA by its `General.API`.
    /// - Throws: `WorkloadError` naming the file (and line and JSON path): unreadable, malformed, of another
    ///   API, or invalid as the dump it says it is.
    public static func loadDump(path: String) throws -> Workload {
        let (root, encoding) = try D3D12MADump.parseJSON(try readDumpFile(path: path, kind: "dump"), file: path)
        let reader = DumpReader(file: path)
        guard case .object(let top) = root.kind, let generalNode = top["General"], case .object(let general) = generalNode.kind,
              let apiNode = general["API"] else {
            // Not recognisably either: the VMA reader says what is missing.
            return .dump(try reader.read(root))
        }
        let api = try reader.string(apiNode, "$.General.API")
        switch api {
        case "Direct3D 12": return .d3d12maDump(try D3D12MADump.read(root, encoding: encoding, file: path))
        case "Vulkan": return .dump(try reader.read(root))
        default:
            throw reader.fail(apiNode, "$.General.API", "expected \"Vulkan\" (a VMA dump) or \"Direct3D 12\" (a D3D12MA dump), found \(JSONPath.quoted(api))")
        }
    }
}

/// The bytes of a dump file, at most ``VMADump/maxFileBytes``. A stream whose first byte past a byte order
/// mark and white space cannot start a JSON document is refused at once (`/dev/zero`), with the parser's
/// message.
func readDumpFile(path: String, kind: String) throws -> [UInt8] {
    let file = try InputFile(path: path, kind: kind)
    return try file.readAll(limit: VMADump.maxFileBytes) { start in
        let marks: [[UInt8]] = [[0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xFE, 0xFF]]
        if marks.contains(where: { start.count < $0.count && $0.starts(with: start) }) { return false }  // perhaps a mark: read on
        if start.starts(with: [0xFF, 0xFE]) || start.starts(with: [0xFE, 0xFF]) { return true }  // UTF-16: checked whole
        var i = start.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < start.count && [0x20, 0x09, 0x0A, 0x0D].contains(start[i]) { i += 1 }
        guard i < start.count else { return false }
        if !Array("{[\"-0123456789tfn".utf8).contains(start[i]) { _ = try D3D12MADump.parseJSON(Array(start), file: path) }
        return true
    }
}
