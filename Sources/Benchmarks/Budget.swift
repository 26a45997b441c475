// A per-pass budget as the bench options write it: BYTES:ALLOCS, 0 meaning unlimited.
import Defragmentation
import DefragSession

public struct Budget: Hashable, Sendable {
    /// `.max` when unlimited.
    public var bytes: Int
    /// `.max` when unlimited.
    public var allocations: Int

    public static let unlimited = Budget(bytes: .max, allocations: .max)

    public init(bytes: Int, allocations: Int) {
        self.bytes = bytes
        self.allocations = allocations
    }

    /// "67108864:256" or "0:0"; nil for anything else (negative numbers included).
    public init?(argument text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let b = Int(parts[0]), let a = Int(parts[1]), b >= 0, a >= 0 else { return nil }
        self.init(bytes: b == 0 ? .max : b, allocations: a == 0 ? .max : a)
    }

    /// "unlimited" or "64 MiB/256".
    public var label: String {
        bytes == .max && allocations == .max ? "unlimited"
            : "\(ByteFormat.short(recordBytes))/\(recordAllocations)"
    }

    /// The budget in JSON records: 0 for unlimited.
    public var recordBytes: Int { bytes == .max ? 0 : bytes }
    public var recordAllocations: Int { allocations == .max ? 0 : allocations }

    public func configuration(algorithm: Algorithm, dialect: Dialect) -> EngineConfiguration {
        EngineConfiguration(algorithm: algorithm, dialect: dialect, maxPassBytes: bytes, maxPassAllocations: allocations)
    }
}
