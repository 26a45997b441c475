// A fast JSON encoder for `Encodable` values: one compact line, keys in the order the value encodes them.
//
// Foundation's JSONEncoder takes about 2 s for one pass of 65,000 moves on this machine (and
// JSONSerialization far longer); this one writes bytes as the value's `encode(to:)` walks it, without an
// intermediate tree. It supports what synthesized `Encodable` conformances and the standard library's
// collections use: keyed, unkeyed and single-value containers, one per encoder. Anything it cannot write
// (a non-finite number, nested containers requested by hand, a value that encodes nothing) is an
// `EncodingError`, never a silently wrong line.

/// Encodes `Encodable` values as single-line JSON.
public struct JSONLineEncoder: Sendable {
    public init() {}

    /// The JSON text of `value`, without a trailing newline.
    /// - Throws: `EncodingError.invalidValue` naming the coding path of what could not be written.
    public func encode<T: Encodable>(_ value: T) throws -> String {
        var bytes: [UInt8] = []
        try encode(value, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the JSON text of `value` to `bytes` (nothing is appended when it throws).
    public func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8]) throws {
        let writer = JSONByteWriter()
        swap(&writer.bytes, &bytes)
        let start = writer.bytes.count
        defer { swap(&writer.bytes, &bytes) }
        do {
            try writer.encodeValue(value, codingPath: [])
            if let failure = writer.failure { throw failure }
        } catch {
            writer.bytes.removeSubrange(start...)
            throw error
        }
    }
}

/// The output buffer and the first failure a non-throwing container method met.
final class JSONByteWriter {
    var bytes: [UInt8] = []
    var failure: EncodingError?

    func fail(_ path: [CodingKey], _ message: String) {
        if failure == nil {
            failure = EncodingError.invalidValue((), EncodingError.Context(codingPath: path, debugDescription: message))
        }
    }

    /// Writes one value: primitives directly, anything else through its `encode(to:)`, then closes the
    /// container it opened.
    func encodeValue<T: Encodable>(_ value: T, codingPath: [CodingKey]) throws {
        switch value {
        case let v as Int: writeInteger(v)
        case let v as String: writeString(v)
        case let v as Double: try writeDouble(v, codingPath)
        case let v as Bool: writeLiteral(v ? "true" : "false")
        default:
            let encoder = JSONElementEncoder(writer: self, codingPath: codingPath)
            try value.encode(to: encoder)
            encoder.close()
        }
    }

    func writeLiteral(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    func writeInteger<I: BinaryInteger>(_ value: I) {
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        while magnitude > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        }
        bytes[start...].reverse()
    }

    func writeDouble(_ value: Double, _ path: [CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: path, debugDescription: "\(value) is not a JSON number"))
        }
        // `description` is the shortest text that reads back as the same Double ("0.25", "1e-05", "3.0"): valid JSON.
        bytes.append(contentsOf: value.description.utf8)
    }

    func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xf)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// The encoder one value's `encode(to:)` sees. It hands out one container; its closing bracket is written
/// by `close()` once `encode(to:)` has returned.
final class JSONElementEncoder: Encoder {
    enum Opened { case nothing, object, array, single }

    let writer: JSONByteWriter
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    private(set) var opened = Opened.nothing
    /// Elements written into the opened container (for commas; a single value allows one).
    var count = 0

    init(writer: JSONByteWriter, codingPath: [CodingKey]) {
        self.writer = writer
        self.codingPath = codingPath
    }

    private func open(_ kind: Opened) -> Bool {
        if opened == .nothing {
            opened = kind
            switch kind {
            case .object: writer.bytes.append(UInt8(ascii: "{"))
            case .array: writer.bytes.append(UInt8(ascii: "["))
            case .single, .nothing: break
            }
            return true
        }
        if opened == kind && kind != .single { return true }
        writer.fail(codingPath, "a value asked for a second container of a different kind (JSONLineEncoder supports one container per value)")
        return false
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        _ = open(.object)
        return KeyedEncodingContainer(JSONKeyedContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        _ = open(.array)
        return JSONUnkeyedContainer(encoder: self)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        _ = open(.single)
        return JSONSingleValueContainer(encoder: self)
    }

    func close() {
        switch opened {
        case .object: writer.bytes.append(UInt8(ascii: "}"))
        case .array: writer.bytes.append(UInt8(ascii: "]"))
        case .single: if count == 0 { writer.fail(codingPath, "a single-value container was left empty") }
        case .nothing: writer.fail(codingPath, "the value encoded nothing")
        }
    }

    /// Writes the comma before every element but the first.
    func separate() {
        if count > 0 { writer.bytes.append(UInt8(ascii: ",")) }
        count += 1
    }

    func unsupported(_ what: String, at path: [CodingKey]) {
        writer.fail(path, "\(what) is not supported by JSONLineEncoder")
    }
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONElementEncoder
    var codingPath: [CodingKey] { encoder.codingPath }

    private func key(_ key: Key) {
        encoder.separate()
        encoder.writer.writeString(key.stringValue)
        encoder.writer.bytes.append(UInt8(ascii: ":"))
    }

    mutating func encodeNil(forKey k: Key) throws { key(k); encoder.writer.writeLiteral("null") }
    mutating func encode(_ value: Bool, forKey k: Key) throws { key(k); encoder.writer.writeLiteral(value ? "true" : "false") }
    mutating func encode(_ value: String, forKey k: Key) throws { key(k); encoder.writer.writeString(value) }
    mutating func encode(_ value: Double, forKey k: Key) throws { key(k); try encoder.writer.writeDouble(value, codingPath + [k]) }
    mutating func encode(_ value: Float, forKey k: Key) throws { key(k); try encoder.writer.writeDouble(Double(value), codingPath + [k]) }
    mutating func encode(_ value: Int, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: Int8, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt8, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey k: Key) throws { key(k); encoder.writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey k: Key) throws {
        key(k)
        try encoder.writer.encodeValue(value, codingPath: codingPath + [k])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey k: Key) -> KeyedEncodingContainer<NestedKey> {
        encoder.unsupported("nestedContainer(keyedBy:forKey:)", at: codingPath + [k])
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(encoder: encoder))
    }

    mutating func nestedUnkeyedContainer(forKey k: Key) -> UnkeyedEncodingContainer {
        encoder.unsupported("nestedUnkeyedContainer(forKey:)", at: codingPath + [k])
        return JSONUnkeyedContainer(encoder: encoder)
    }

    mutating func superEncoder() -> Encoder {
        encoder.unsupported("superEncoder()", at: codingPath)
        return encoder
    }

    mutating func superEncoder(forKey k: Key) -> Encoder {
        encoder.unsupported("superEncoder(forKey:)", at: codingPath + [k])
        return encoder
    }
}

/// An array element's coding key (its index).
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct JSONUnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: JSONElementEncoder
    var codingPath: [CodingKey] { encoder.codingPath }
    var count: Int { encoder.count }

    mutating func encodeNil() throws { encoder.separate(); encoder.writer.writeLiteral("null") }
    mutating func encode(_ value: Bool) throws { encoder.separate(); encoder.writer.writeLiteral(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { encoder.separate(); encoder.writer.writeString(value) }
    mutating func encode(_ value: Double) throws {
        encoder.separate()
        try encoder.writer.writeDouble(value, codingPath + [IndexKey(encoder.count - 1)])
    }
    mutating func encode(_ value: Float) throws {
        encoder.separate()
        try encoder.writer.writeDouble(Double(value), codingPath + [IndexKey(encoder.count - 1)])
    }
    mutating func encode(_ value: Int) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { encoder.separate(); encoder.writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.separate()
        try encoder.writer.encodeValue(value, codingPath: codingPath + [IndexKey(encoder.count - 1)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        encoder.unsupported("nestedContainer(keyedBy:)", at: codingPath)
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(encoder: encoder))
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        encoder.unsupported("nestedUnkeyedContainer()", at: codingPath)
        return self
    }

    mutating func superEncoder() -> Encoder {
        encoder.unsupported("superEncoder()", at: codingPath)
        return encoder
    }
}

struct JSONSingleValueContainer: SingleValueEncodingContainer {
    let encoder: JSONElementEncoder
    var codingPath: [CodingKey] { encoder.codingPath }

    /// A single-value container holds one value.
    private func claim() -> Bool {
        if encoder.count > 0 {
            encoder.writer.fail(codingPath, "a single-value container was given a second value")
            return false
        }
        encoder.count = 1
        return true
    }

    mutating func encodeNil() throws { if claim() { encoder.writer.writeLiteral("null") } }
    mutating func encode(_ value: Bool) throws { if claim() { encoder.writer.writeLiteral(value ? "true" : "false") } }
    mutating func encode(_ value: String) throws { if claim() { encoder.writer.writeString(value) } }
    mutating func encode(_ value: Double) throws { if claim() { try encoder.writer.writeDouble(value, codingPath) } }
    mutating func encode(_ value: Float) throws { if claim() { try encoder.writer.writeDouble(Double(value), codingPath) } }
    mutating func encode(_ value: Int) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode(_ value: Int8) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode(_ value: Int16) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode(_ value: Int32) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode(_ value: Int64) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode(_ value: UInt) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode(_ value: UInt8) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode(_ value: UInt16) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode(_ value: UInt32) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode(_ value: UInt64) throws { if claim() { encoder.writer.writeInteger(value) } }
    mutating func encode<T: Encodable>(_ value: T) throws {
        if claim() { try encoder.writer.encodeValue(value, codingPath: codingPath) }
    }
}
