// The DocC article that maps the seed's names to Swift (Documentation.docc/SeedNames.md) covers every
// exported name of the seed's API text: each is in the first column of a table row that gives its Swift
// name. The names are read from the seed itself, so a name the article forgets fails here.
import Foundation
import Testing
import TestSupport

@Suite("The seed-names article")
struct SeedNamesTests {
    static let seedPath = TestPaths.shared.appendingPathComponent("seed/000_be80338d34599eec.txt").path
    static let articlePath = TestPaths.packageRoot
        .appendingPathComponent("Sources/Defragmentation/Documentation.docc/SeedNames.md").path

    /// Every match of `pattern`'s first capture group in `text`.
    static func captures(_ pattern: String, in text: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// The seed's exported names: its types, methods and constants, and the fields and interface methods
    /// inside its type declarations (a capitalised word followed by a Go type, or by an argument list).
    static func seedNames() throws -> Set<String> {
        let goType = #"(?:int|uint|uint32|bool|error|any|Algorithm|DefragmentationStats|DefragmentationMoveOperation|metadata\.BlockMetadata|\*T|(?:DefragmentOperationHandler|BlockList|DefragmentationMove)\[T\])(?![\w\[])"#
        var names = Set<String>()
        for line in try String(contentsOfFile: seedPath, encoding: .utf8).split(separator: "\n").map(String.init) {
            if line.hasPrefix("type ") {
                names.formUnion(try captures(#"^type (\w+)"#, in: line))
                names.formUnion(try captures(#"\b([A-Z]\w*) "# + goType, in: line))
                names.formUnion(try captures(#"\b([A-Z]\w*)\("#, in: line))
            } else if line.hasPrefix("func ") {
                names.formUnion(try captures(#"^func \([^)]*\) (\w+)"#, in: line))
            } else if line.hasPrefix("const (") {
                names.formUnion(try captures(#"\b((?:Algorithm|DefragmentationMove)[A-Z]\w*)\b"#, in: line))
            }
        }
        names.remove("T") // the type parameter
        return names
    }

    /// The article's table rows as (the seed's cell, the Swift cell).
    static func rows() throws -> [(seed: String, swift: String)] {
        try String(contentsOfFile: articlePath, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| ") else { return nil }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[1] != "Seed", !cells[1].hasPrefix("---") else { return nil }
            return (cells[1], cells[2])
        }
    }

    @Test func theSeedIsReadWhole() throws {
        let names = try Self.seedNames()
        // One of each kind: a type, an interface method, a struct field, a method, a constant.
        for name in ["MetadataDefragContext", "CommitDefragAllocationRequest", "DstTmpAllocation", "BlockListCompletePass",
                     "DefragmentationMoveDestroy", "Add", "Init", "Moves", "MaxPassAllocations", "CreateAlloc"] {
            #expect(names.contains(name), "\(name) was not read from the seed")
        }
        #expect(names.count >= 45, "only \(names.count) names read: \(names.sorted())")
    }

    @Test func everySeedNameHasARowWithItsSwiftName() throws {
        let rows = try Self.rows()
        #expect(!rows.isEmpty, "no table rows in \(Self.articlePath)")
        for name in try Self.seedNames().sorted() {
            let pattern = try NSRegularExpression(pattern: "`[^`]*\\b\(name)\\b[^`]*`")
            let row = rows.first { pattern.firstMatch(in: $0.seed, range: NSRange($0.seed.startIndex..., in: $0.seed)) != nil }
            #expect(row != nil, "the seed's \(name) has no row in SeedNames.md")
            if let row { #expect(row.swift != "" && row.swift != "—", "the seed's \(name) has no Swift name: \(row)") }
        }
    }
}
