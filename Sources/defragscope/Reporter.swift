// The three output formats of `run`.
import Defragmentation
import DefragSession
import Foundation
import MemoryPools

struct Reporter<D: PageDevice> {
    let format: Run.Format
    let session: DefragSession<D>
    let out: StandardOutput
    let maxPasses: Int

    func run() throws {
        let config = session.configuration
        switch format {
        case .ref:
            let budget = config.maxPassBytes == .max && config.maxPassAllocations == .max ? "unlimited"
                : "\(config.maxPassBytes == .max ? 0 : config.maxPassBytes):\(config.maxPassAllocations == .max ? 0 : config.maxPassAllocations)"
            out.line("# reference: defragscope (dialect \(config.dialect)) on \(session.backendName); trace \(session.title); algorithm \(config.algorithm); budget \(budget)")
            out.line("# page = creation ordinal of the page (VMA block id) in the pool, from 0; offsets and sizes in bytes")
            out.line("layout-before")
            for row in session.layout() { out.line("\(row.id) \(row.page) \(row.offset) \(row.size)") }
        case .text:
            let m = session.metricsAtStart
            out.line("\(session.title): \(m.pages) pages (lower bound \(m.lowerBoundPages)), \(m.liveAllocations) allocations, \(ByteFormat.short(m.liveBytes)) live, fragmentation \(percent(m.fragmentation))")
            out.line("algorithm \(config.algorithm), dialect \(config.dialect), budget \(config.budgetDescription), backend \(session.backendName)")
            out.line(pad("pass", 5) + pad("moves", 8) + pad("bytes moved", 14) + pad("pages freed", 12) + pad("pages", 7) + pad("frag", 8) + pad("plan ms", 9) + pad("copy ms", 9) + "errors")
        case .json:
            break
        }

        var passes = 0, moves = 0, bytes = 0
        while passes < maxPasses, let report = try session.step() {
            passes += 1
            moves += report.moves.count
            bytes += report.moves.reduce(0) { $0 + $1.size }
            switch format {
            case .ref:
                out.line("pass \(report.number)")
                for m in report.moves {
                    out.line("move \(m.id) \(m.size) \(m.sourcePage) \(m.sourceOffset) \(m.destinationPage) \(m.destinationOffset)")
                }
            case .text:
                let a = report.metricsAfter
                out.line(pad("\(report.number)", 5) + pad("\(report.moves.count)", 8) + pad(ByteFormat.short(report.stats.bytesMoved), 14)
                         + pad("\(report.stats.deviceMemoryBlocksFreed)", 12) + pad("\(a.pages)", 7) + pad(percent(a.fragmentation), 8)
                         + pad(String(format: "%.2f", report.planningSeconds * 1000), 9) + pad(String(format: "%.2f", report.copySeconds * 1000), 9)
                         + "\(report.errors.count)")
            case .json:
                out.line(json(report))
            }
        }

        let after = session.metrics
        switch format {
        case .ref:
            out.line("layout-after")
            for row in session.layout() { out.line("\(row.id) \(row.page) \(row.offset) \(row.size)") }
            out.line("summary passes \(passes) moves \(moves) bytes-moved \(bytes) pages-nonempty \(after.nonEmptyPages) pages-total \(after.pages)")
        case .text:
            let s = session.runStats
            out.line("done: \(passes) passes, \(s.allocationsMoved) allocations moved (\(ByteFormat.short(s.bytesMoved))), \(s.deviceMemoryBlocksFreed) pages freed (\(ByteFormat.short(s.bytesFreed))); pages \(session.metricsAtStart.pages) → \(after.pages) (non-empty \(after.nonEmptyPages), lower bound \(after.lowerBoundPages)), fragmentation \(percent(after.fragmentation))")
        case .json:
            let s = session.runStats
            let object: [String: Any] = [
                "summary": true, "trace": session.title, "algorithm": config.algorithm.rawValue, "dialect": config.dialect.rawValue,
                "backend": session.backendName,
                "passes": passes, "moves": moves, "bytesMoved": s.bytesMoved, "allocationsMoved": s.allocationsMoved,
                "bytesFreed": s.bytesFreed, "pagesFreed": s.deviceMemoryBlocksFreed, "pagesBefore": session.metricsAtStart.pages,
                "pagesAfter": after.pages, "pagesNonEmpty": after.nonEmptyPages, "pagesLowerBound": after.lowerBoundPages,
                "fragmentation": after.fragmentation, "finished": session.isFinished,
            ]
            out.line(jsonLine(object))
        }
    }

    private func json(_ report: PassReport) -> String {
        let moves: [[String: Any]] = report.moves.map {
            ["id": $0.id, "size": $0.size, "srcPage": $0.sourcePage, "srcOffset": $0.sourceOffset,
             "dstPage": $0.destinationPage, "dstOffset": $0.destinationOffset, "operation": "\($0.operation)"]
        }
        let object: [String: Any] = [
            "pass": report.number, "moves": moves, "bytesMoved": report.stats.bytesMoved,
            "allocationsMoved": report.stats.allocationsMoved, "bytesFreed": report.stats.bytesFreed,
            "pagesFreed": report.stats.deviceMemoryBlocksFreed, "freedPages": report.freedPages,
            "pages": report.metricsAfter.pages, "fragmentation": report.metricsAfter.fragmentation,
            "planningSeconds": report.planningSeconds, "copySeconds": report.copySeconds, "completeSeconds": report.completeSeconds,
            "errors": report.errors.map(\.description),
        ]
        return jsonLine(object)
    }
}

func jsonLine(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
