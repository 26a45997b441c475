// The JSON layer of VMA dumps: a small parser that keeps the order of object keys (a dump's block keys
// come in VMA's internal order, and an export must keep it) and the line of every value (for messages),
// and a writer that reproduces VMA's VmaJsonWriter byte for byte (", " then a newline and two spaces per
// level; one-line objects and arrays for suballocations, flags and dedicated allocations).
//
// Foundation's JSONSerialization answers with unordered dictionaries, so it cannot give back the block
// order; this parser is the one place that reads dump text.

/// One JSON value with the 1-based line it starts on.
public struct JSONNode: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case object(JSONObject)
        case array([JSONNode])
        case string(String)
        /// The number as written (integers are read from it when a field needs one).
        case number(String)
        case bool(Bool)
        case null
    }

    public var kind: Kind
    public var line: Int

    public init(_ kind: Kind, line: Int = 0) {
        self.kind = kind
        self.line = line
    }

    /// "object", "array", "string", "number", "true/false", "null": for "expected X, found Y".
    public var typeName: String {
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number(let n): return "the number \(n)"
        case .bool(let b): return "\(b)"
        case .null: return "null"
        }
    }
}

/// A JSON object whose keys keep the order they were written in.
public struct JSONObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var values: [String: JSONNode] = [:]

    public init() {}

    public subscript(key: String) -> JSONNode? { values[key] }

    /// Adds `key` at the end; false when the key exists already.
    @discardableResult
    public mutating func append(_ key: String, _ value: JSONNode) -> Bool {
        guard values[key] == nil else { return false }
        keys.append(key)
        values[key] = value
        return true
    }

    public var members: [(key: String, value: JSONNode)] { keys.map { ($0, values[$0]!) } }
}

/// JSON paths as messages show them: `$.DefaultPools["Type 0"].Blocks["0"].Suballocations[3]`.
public enum JSONPath {
    public static let root = "$"

    public static func member(_ path: String, _ key: String) -> String {
        // An ASCII identifier: [A-Za-z_][A-Za-z0-9_]*. Checked on bytes: the parser makes a path for every
        // member, and Character's isLetter was a fifth of a large dump's parse time.
        func isWordByte(_ b: UInt8) -> Bool {
            (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") || b == UInt8(ascii: "_")
        }
        let isIdentifier = key.utf8.first.map(isWordByte) ?? false
            && key.utf8.allSatisfy { isWordByte($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        return isIdentifier ? "\(path).\(key)" : "\(path)[\(quoted(key))]"
    }

    public static func index(_ path: String, _ index: Int) -> String { "\(path)[\(index)]" }

    /// `key` in double quotes, escaped as messages escape text (so a key shows as it is).
    static func quoted(_ key: String) -> String {
        var text = "\""
        for scalar in key.unicodeScalars { appendEscaped(scalar, to: &text) }
        return text + "\""
    }
}

/// Malformed JSON: where (byte offset, line, column, and the path of the value being read) and what.
struct JSONSyntaxError: Error {
    var offset: Int
    var line: Int
    var column: Int
    var path: String
    var message: String
}

/// A strict RFC 8259 parser over bytes (UTF-8). Nesting is limited so hostile input cannot overflow the stack.
struct JSONParser {
    private let bytes: [UInt8]
    private var position = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0
    static let maxDepth = 256

    init(bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws -> JSONNode {
        var parser = JSONParser(bytes: bytes)
        // A UTF-8 byte order mark is tolerated, as many tools write one.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.position = 3; parser.lineStart = 3 }
        parser.skipWhitespace()
        let value = try parser.parseValue(path: JSONPath.root)
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw parser.error("unexpected \(parser.describeCurrent()) after the end of the document", path: JSONPath.root)
        }
        return value
    }

    private func error(_ message: String, path: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: position, line: line, column: position - lineStart + 1, path: path, message: message)
    }

    private func describeCurrent() -> String {
        guard position < bytes.count else { return "end of file" }
        let b = bytes[position]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0D: position += 1
            case 0x0A: position += 1; line += 1; lineStart = position
            default: return
            }
        }
    }

    private mutating func parseValue(path: String) throws -> JSONNode {
        guard position < bytes.count else { throw error("unexpected end of file, expected a value", path: path) }
        let startLine = line
        switch bytes[position] {
        case UInt8(ascii: "{"): return JSONNode(.object(try parseObject(path: path)), line: startLine)
        case UInt8(ascii: "["): return JSONNode(.array(try parseArray(path: path)), line: startLine)
        case UInt8(ascii: "\""): return JSONNode(.string(try parseString(path: path)), line: startLine)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return JSONNode(.number(try parseNumber(path: path)), line: startLine)
        case UInt8(ascii: "t"): try literal("true", path: path); return JSONNode(.bool(true), line: startLine)
        case UInt8(ascii: "f"): try literal("false", path: path); return JSONNode(.bool(false), line: startLine)
        case UInt8(ascii: "n"): try literal("null", path: path); return JSONNode(.null, line: startLine)
        default: throw error("unexpected \(describeCurrent()), expected a value", path: path)
        }
    }

    private mutating func literal(_ word: String, path: String) throws {
        let w = Array(word.utf8)
        guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else {
            throw error("unexpected \(describeCurrent()), expected a value", path: path)
        }
        position += w.count
    }

    private mutating func enter(_ path: String) throws {
        depth += 1
        if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth) levels", path: path) }
    }

    private mutating func parseObject(path: String) throws -> JSONObject {
        try enter(path)
        defer { depth -= 1 }
        position += 1
        var object = JSONObject()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return object }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describeCurrent()), expected a key (a string) or '}'", path: path)
            }
            let keyOffset = position, keyLine = line, keyColumn = position - lineStart + 1
            let key = try parseString(path: path)
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw error("unexpected \(describeCurrent()) after key \(JSONPath.quoted(key)), expected ':'", path: path)
            }
            position += 1
            skipWhitespace()
            let childPath = JSONPath.member(path, key)
            let value = try parseValue(path: childPath)
            if !object.append(key, value) {
                throw JSONSyntaxError(offset: keyOffset, line: keyLine, column: keyColumn, path: childPath,
                                      message: "duplicate key \(JSONPath.quoted(key))")
            }
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of file, expected ',' or '}'", path: path) }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return object }
            throw error("unexpected \(describeCurrent()), expected ',' or '}'", path: path)
        }
    }

    private mutating func parseArray(path: String) throws -> [JSONNode] {
        try enter(path)
        defer { depth -= 1 }
        position += 1
        var items: [JSONNode] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return items }
        while true {
            skipWhitespace()
            items.append(try parseValue(path: JSONPath.index(path, items.count)))
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of file, expected ',' or ']'", path: path) }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return items }
            throw error("unexpected \(describeCurrent()), expected ',' or ']'", path: path)
        }
    }

    private mutating func parseString(path: String) throws -> String {
        position += 1 // opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flushRun(_ end: Int) throws {
            guard end > runStart else { return }
            guard let text = String(validating: bytes[runStart..<end], as: UTF8.self) else {
                throw error("invalid UTF-8 in a string", path: path)
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard position < bytes.count else { throw error("unexpected end of file inside a string", path: path) }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                try flushRun(position)
                position += 1
                return String(scalars)
            }
            if b < 0x20 { throw error("control character 0x\(String(b, radix: 16)) inside a string (escape it)", path: path) }
            if b != UInt8(ascii: "\\") { position += 1; continue }
            try flushRun(position)
            position += 1
            guard position < bytes.count else { throw error("unexpected end of file inside a string", path: path) }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var unit = try hex4(path: path)
                if (0xD800..<0xDC00).contains(unit) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                        throw error("a high surrogate \\u\(String(unit, radix: 16)) without its low surrogate", path: path)
                    }
                    position += 2
                    let low = try hex4(path: path)
                    guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate \\u\(String(low, radix: 16))", path: path) }
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(unit) {
                    throw error("a lone low surrogate \\u\(String(unit, radix: 16))", path: path)
                }
                scalars.append(Unicode.Scalar(unit)!)
            default:
                position -= 1
                throw error("invalid escape \\\(describeCurrent())", path: path)
            }
            runStart = position
        }
    }

    private mutating func hex4(path: String) throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("unexpected end of file in a \\u escape", path: path) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("unexpected \(describeCurrent()) in a \\u escape, expected a hex digit", path: path)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private mutating func parseNumber(path: String) throws -> String {
        let start = position
        func digits() -> Int {
            let s = position
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") { position += 1 }
            return position - s
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw error("unexpected end of file in a number", path: path) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw error("unexpected \(describeCurrent()) in a number, expected a digit", path: path)
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            if digits() == 0 { throw error("unexpected \(describeCurrent()) in a number, expected a digit after '.'", path: path) }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            if digits() == 0 { throw error("unexpected \(describeCurrent()) in a number, expected an exponent", path: path) }
        }
        if position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            throw error("a number may not have leading zeros", path: path)
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }
}

/// VMA's VmaJsonWriter, reproduced: the same spacing, indentation and string escapes, so that an export of
/// an unchanged dump is the dump VMA wrote.
struct VMAJSONWriter {
    private enum Collection { case object, array }
    private struct Item { var type: Collection; var valueCount: Int; var singleLine: Bool }

    private(set) var text: [UInt8] = []
    private var stack: [Item] = []

    init() { text.reserveCapacity(1 << 16) }

    mutating func beginObject(singleLine: Bool = false) {
        beginValue(isString: false)
        text.append(UInt8(ascii: "{"))
        stack.append(Item(type: .object, valueCount: 0, singleLine: singleLine))
    }

    mutating func endObject() {
        writeIndent(oneLess: true)
        text.append(UInt8(ascii: "}"))
        stack.removeLast()
    }

    mutating func beginArray(singleLine: Bool = false) {
        beginValue(isString: false)
        text.append(UInt8(ascii: "["))
        stack.append(Item(type: .array, valueCount: 0, singleLine: singleLine))
    }

    mutating func endArray() {
        writeIndent(oneLess: true)
        text.append(UInt8(ascii: "]"))
        stack.removeLast()
    }

    mutating func string(_ s: String) {
        beginValue(isString: true)
        text.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"): text += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\""): text += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case 0x08: text += Array("\\b".utf8)
            case 0x0C: text += Array("\\f".utf8)
            case 0x0A: text += Array("\\n".utf8)
            case 0x0D: text += Array("\\r".utf8)
            case 0x09: text += Array("\\t".utf8)
            case 0..<0x20:
                // VMA asserts on these; JSON needs them escaped.
                let hex = String(b, radix: 16)
                text += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: text.append(b)
            }
        }
        text.append(UInt8(ascii: "\""))
    }

    mutating func number(_ n: Int) { raw(String(n)) }

    /// A number, bool or null written as given.
    mutating func raw(_ literal: String) {
        beginValue(isString: false)
        text += Array(literal.utf8)
    }

    mutating func key(_ k: String) { string(k) }

    /// Any parsed value, objects and arrays on several lines unless they are empty.
    mutating func node(_ node: JSONNode, singleLine: Bool = false) {
        switch node.kind {
        case .object(let o):
            beginObject(singleLine: singleLine)
            for (k, v) in o.members { key(k); self.node(v, singleLine: singleLine) }
            endObject()
        case .array(let items):
            // VMA writes arrays of scalars (flags) on one line.
            let scalars = items.allSatisfy { if case .object = $0.kind { return false }; if case .array = $0.kind { return false }; return true }
            beginArray(singleLine: singleLine || scalars)
            for item in items { self.node(item, singleLine: singleLine || scalars) }
            endArray()
        case .string(let s): string(s)
        case .number(let n): raw(n)
        case .bool(let b): raw(b ? "true" : "false")
        case .null: raw("null")
        }
    }

    private mutating func beginValue(isString: Bool) {
        guard !stack.isEmpty else { return }
        let top = stack[stack.count - 1]
        if top.type == .object && top.valueCount % 2 == 1 {
            text += [UInt8(ascii: ":"), UInt8(ascii: " ")]
        } else if top.valueCount > 0 {
            text += [UInt8(ascii: ","), UInt8(ascii: " ")]
            writeIndent()
        } else {
            writeIndent()
        }
        stack[stack.count - 1].valueCount += 1
    }

    private mutating func writeIndent(oneLess: Bool = false) {
        guard let top = stack.last, !top.singleLine else { return }
        text.append(UInt8(ascii: "\n"))
        let count = stack.count - (oneLess ? 1 : 0)
        for _ in 0..<count { text += [UInt8(ascii: " "), UInt8(ascii: " ")] }
    }
}
