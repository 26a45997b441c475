// Line-by-line comparison of canvases with expected text kept in Goldens.swift. With
// DEFRAGSCOPE_RECORD_GOLDENS=<dir>, the actual frames are also written there to review and paste.
import Foundation
import Testing
@testable import Visualizer

func expectLines(_ canvas: Canvas, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let actual = canvas.lines(trimming: true)
    if let directory = ProcessInfo.processInfo.environment["DEFRAGSCOPE_RECORD_GOLDENS"] {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? (actual.joined(separator: "\n") + "\n").write(toFile: "\(directory)/\(name).txt", atomically: true, encoding: .utf8)
    }
    guard let golden = Goldens.all[name] else {
        Issue.record("no golden named \(name)", sourceLocation: sourceLocation)
        return
    }
    var expected = golden.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if expected.last == "" { expected.removeLast() }
    #expect(actual.count == expected.count, "\(name): \(actual.count) rows, expected \(expected.count)", sourceLocation: sourceLocation)
    for (index, (a, e)) in zip(actual, expected).enumerated() where a != e {
        Issue.record("\(name) row \(index):\n  actual:   |\(a)|\n  expected: |\(e)|", sourceLocation: sourceLocation)
    }
}

/// The cells of row `y` from `x`, as text.
func text(_ canvas: Canvas, row y: Int, from x: Int, count: Int) -> String {
    String(String.UnicodeScalarView((x..<min(canvas.width, x + count)).map { canvas[$0, y].scalar }))
}
