// JSONLineEncoder: what it writes reads back through Foundation's decoder as the same value; what it
// cannot write is an error naming where, never a silently wrong line.
import Foundation
import Reports
import Testing

private struct Sample: Codable, Equatable {
    var text: String
    var number: Int
    var small: Int8
    var big: UInt64
    var ratio: Double
    var flag: Bool
    var maybe: Int?
    var list: [Int]
    var nested: [[String]]
    var inner: Inner

    struct Inner: Codable, Equatable { var name: String; var values: [Double] }
}

private struct Wrapper: Encodable { var value: Double }

/// Asks for a keyed container, then a nested one by hand: not supported.
private struct HandNested: Encodable {
    enum Keys: String, CodingKey { case a, b }
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var nested = container.nestedContainer(keyedBy: Keys.self, forKey: .a)
        try nested.encode(1, forKey: .b)
    }
}

/// Encodes nothing at all.
private struct Silent: Encodable {
    func encode(to encoder: Encoder) throws {}
}

/// A single value wrapping another encodable value (as RawRepresentable-like wrappers do).
private struct Tagged: Encodable {
    var inner: Sample.Inner
    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(inner)
    }
}

@Suite("JSONLineEncoder")
struct JSONLineEncoderTests {
    fileprivate let sample = Sample(text: "quote \" backslash \\ newline \n tab \t bell \u{7} é 字 🙂", number: Int.min, small: -128, big: UInt64.max,
                        ratio: 0.1 + 0.2, flag: true, maybe: nil, list: [0, -1, 42, Int.max], nested: [[], ["a", "b"]],
                        inner: .init(name: "", values: [1e-300, -2.5, 3, 1e21]))

    @Test("every kind of value reads back through JSONDecoder as the same value, on one line")
    func roundTrip() throws {
        let line = try JSONLineEncoder().encode(sample)
        #expect(!line.contains("\n"))
        #expect(try JSONDecoder().decode(Sample.self, from: Data(line.utf8)) == sample)
        // Keys in declaration order; absent optionals are left out, as JSONEncoder does.
        #expect(line.hasPrefix("{\"text\":"))
        #expect(!line.contains("maybe"))
        #expect(line.contains("\\u0007"))
    }

    @Test("the same document as JSONEncoder, parsed")
    func sameAsFoundation() throws {
        let ours = try JSONSerialization.jsonObject(with: Data(try JSONLineEncoder().encode(sample).utf8)) as? NSDictionary
        let foundation = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(sample)) as? NSDictionary
        #expect(ours != nil)
        #expect(ours == foundation)
    }

    @Test("a single-value container holding a structure writes the structure")
    func singleValueOfStructure() throws {
        #expect(try JSONLineEncoder().encode(Tagged(inner: .init(name: "x", values: [1]))) == "{\"name\":\"x\",\"values\":[1.0]}")
        #expect(try JSONLineEncoder().encode([1, 2]) == "[1,2]")
        #expect(try JSONLineEncoder().encode("plain") == "\"plain\"")
    }

    @Test("a non-finite number is an EncodingError naming its path", arguments: [Double.nan, .infinity, -.infinity])
    func nonFinite(_ value: Double) throws {
        do {
            _ = try JSONLineEncoder().encode([Wrapper(value: 1), Wrapper(value: value)])
            Issue.record("\(value) was encoded")
        } catch let EncodingError.invalidValue(_, context) {
            #expect(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue } == ["1", "value"])
        }
    }

    @Test("nested containers by hand and values that encode nothing are errors, and nothing is appended")
    func unsupported() throws {
        var bytes = Array("kept".utf8)
        #expect(throws: EncodingError.self) { try JSONLineEncoder().encode(HandNested(), into: &bytes) }
        #expect(throws: EncodingError.self) { try JSONLineEncoder().encode(Silent(), into: &bytes) }
        #expect(throws: EncodingError.self) { try JSONLineEncoder().encode([Wrapper(value: .nan)], into: &bytes) }
        #expect(String(decoding: bytes, as: UTF8.self) == "kept")
    }
}
