// The binary against VMA's own moves (shared/reference, dialect vma) and the Go original's
// (shared/reference-memutils, dialect memutils): identical output, `#` lines aside, with every moved
// allocation's bytes verified after every pass.
import Foundation
import Testing
import TestSupport

@Suite("run --format ref reproduces the reference files")
struct ConformanceTests {
    static let files = ReferenceFile.all()

    @Test("every reference file is found")
    func referenceFilesFound() {
        #expect(Self.files.filter { $0.dialect == "vma" }.count == 27)
        #expect(Self.files.filter { $0.dialect == "memutils" }.count == 18)
    }

    @Test("identical to the reference", arguments: files)
    func identical(_ file: ReferenceFile) throws {
        let result = try runDefragscope(file.runArguments + ["--verify", "moved"])
        #expect(result.status == 0, "exit \(result.status): \(result.stderr)")
        let actual = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.hasPrefix("#") }
        let expected = try file.expectedLines()
        if actual != expected {
            let firstDifference = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }
            let where_ = firstDifference.map { "line \($0.offset + 1): got '\($0.element.0)', expected '\($0.element.1)'" }
                ?? "lengths differ: \(actual.count) vs \(expected.count) lines"
            Issue.record("\(file) differs at \(where_)")
        }
    }
}
