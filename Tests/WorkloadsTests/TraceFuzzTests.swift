import Testing
import MemoryPools  // SplitMix64
@testable import Workloads

/// Seeded mutations of small valid traces: each either parses (and then passes `validate()` and survives a
/// round trip through text) or throws a `WorkloadError` that names the file and a line inside it. Nothing
/// crashes and nothing else is thrown.
@Suite("Trace fuzzing")
struct TraceFuzzTests {
    static let iterationsPerSource = 6000

    /// The shared tiny trace, and the first 60 allocations of the shared checkerboard trace with their frees
    /// (the whole file would make the fuzz slow in debug builds).
    static func sources() throws -> [(name: String, lines: [[UInt8]])] {
        let tiny = try SharedFiles.bytes("tiny.trace").split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        let board = try SharedFiles.bytes("checkerboard.trace").split(separator: UInt8(ascii: "\n")).map(Array.init)
        let small = board.filter { line in
            guard line.first == UInt8(ascii: "a") || line.first == UInt8(ascii: "f") else { return true }
            let id = Int(String(decoding: line.split(separator: UInt8(ascii: " "))[1], as: UTF8.self)) ?? 0
            return id <= 60
        }
        return [("tiny.trace", tiny), ("checkerboard-60.trace", small)]
    }

    @Test func sourcesAreValid() throws {
        let sources = try Self.sources()
        for source in sources {
            let trace = try Trace.parse(bytes: Array(source.lines.joined(separator: [UInt8(ascii: "\n")])), fileName: source.name)
            #expect(trace.allocationCount >= 24)
        }
        #expect(sources[1].lines.count == 2 + 60 + 30)
    }

    @Test func mutatedTracesParseOrFailCleanly() throws {
        var rng = SplitMix64(seed: 0x5eed_f00d)
        var parsed = 0, refused = 0, refusedWithLine = 0
        for source in try Self.sources() {
            for iteration in 0..<Self.iterationsPerSource {
                let bytes = mutate(source.lines, &rng)
                // Lines of the file: one per "\n", plus an unterminated last one.
                let lineCount = bytes.lazy.filter { $0 == UInt8(ascii: "\n") }.count + (bytes.last.map { $0 != UInt8(ascii: "\n") ? 1 : 0 } ?? 0)
                let fileName = "fuzz-\(iteration)-\(source.name)"
                do {
                    // Half through the byte entry (may be invalid UTF-8), half through the String entry.
                    let trace = iteration % 2 == 0
                        ? try Trace.parse(bytes: bytes, fileName: fileName)
                        : try Trace.parse(String(decoding: bytes, as: UTF8.self), fileName: fileName)
                    parsed += 1
                    #expect(trace.name == fileName)
                    try trace.validate()
                    var renumbered = try Trace.parse(trace.serialized(), fileName: fileName)
                    #expect(renumbered.operations.count == trace.operations.count)
                    #expect(renumbered.blockSize == trace.blockSize)
                    renumbered.operations = trace.operations
                    #expect(renumbered == trace)
                } catch let error as WorkloadError {
                    refused += 1
                    #expect(error.description.contains(fileName), "\(error)")
                    #expect(error.file == fileName)
                    #expect(error.jsonPath == nil)
                    if let line = error.line {
                        refusedWithLine += 1
                        #expect(line >= 1 && line <= lineCount, "line \(line) outside 1...\(lineCount): \(error)")
                    }
                } catch {
                    Issue.record("not a WorkloadError: \(type(of: error)) \(error)")
                }
            }
        }
        // The mutations must exercise both outcomes, or this test shows nothing.
        #expect(parsed + refused == 2 * Self.iterationsPerSource)
        #expect(parsed > 200)
        #expect(refused > 2000)
        #expect(refusedWithLine > 2000)
    }

    /// One to three random mutations of the lines, joined back with "\n".
    func mutate(_ original: [[UInt8]], _ rng: inout SplitMix64) -> [UInt8] {
        var lines = original
        let garbage: [[UInt8]] = [
            Array("a".utf8), Array("f 999".utf8), Array("block-size 0".utf8), Array("a 1 1 1".utf8),
            Array("a 77 99999999999999999999 16".utf8), Array("# comment".utf8), Array("\r".utf8), [],
            [0xFF, 0xFE], [0xC3], Array("a 5 16 3".utf8), Array("f -1".utf8), Array("  \t ".utf8),
            Array("block-size 1024".utf8), Array("a 100 2000000 16".utf8), Array("# defrag-trace v2".utf8),
        ]
        for _ in 0..<rng.int(in: 1...3) {
            guard !lines.isEmpty else { lines.append([]); continue }
            let k = rng.int(in: 0...(lines.count - 1))
            switch rng.int(in: 0...8) {
            case 0:  // flip a byte to any value
                if !lines[k].isEmpty { lines[k][rng.int(in: 0...(lines[k].count - 1))] = UInt8(truncatingIfNeeded: rng.next()) }
            case 1:  // replace a byte by a "likely" one
                let likely = Array(" 0123456789af-\t#\r".utf8)
                if !lines[k].isEmpty { lines[k][rng.int(in: 0...(lines[k].count - 1))] = likely[rng.int(in: 0...(likely.count - 1))] }
            case 2: lines.remove(at: k)  // drop a line
            case 3: lines.insert(lines[k], at: k)  // duplicate a line
            case 4: lines.swapAt(k, rng.int(in: 0...(lines.count - 1)))  // swap two lines
            case 5: lines.removeSubrange(k...)  // truncate the file
            case 6: lines[k] = Array(lines[k].prefix(rng.int(in: 0...lines[k].count)))  // truncate a line
            case 7: lines.insert(garbage[rng.int(in: 0...(garbage.count - 1))], at: k)  // insert garbage
            default:  // insert random bytes
                lines.insert((0..<rng.int(in: 1...12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: k)
            }
        }
        return Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }
}
