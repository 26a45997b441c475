import CByteKernels
@_spi(Tables) import MemoryMetadata

/// The pool's map from caller ids to allocation slots: an array for ids below 2^20 or below twice the ids
/// in use (traces number their allocations from 1, and `huge` past a million; a lookup is one load instead
/// of hashing), a dictionary for the others (sparse ids cannot make the array large).
struct SlotTable: ~Copyable {
    static let denseLimit = 1 << 20
    /// Slot + 1 per id (0: none).
    private var dense = PoolBuffer<Int32>()
    private var sparse: [Int: Int] = [:]
    private(set) var count = 0

    subscript(id: Int) -> Int? {
        // The dense array's ids inline (every allocate and free reads and writes one), the rest out of line.
        @inline(__always) get {
            if id >= 0 && id < dense.count {
                let v = dense[id]
                return v == 0 ? nil : Int(v) - 1
            }
            return id >= 0 && id < Self.denseLimit ? nil : sparse[id]
        }
        @inline(__always) set {
            if id >= 0 && id < dense.count {
                let old = dense[id]
                dense[id] = newValue.map { Int32($0 + 1) } ?? 0
                count += (newValue == nil ? 0 : 1) - (old == 0 ? 0 : 1)
            } else {
                set(newValue, beyondDenseEntries: id)
            }
        }
    }

    /// Asks for the id's entry ahead of a lookup (a hint; ids beyond the array: nothing).
    @inline(__always)
    func prefetch(id: Int) {
        guard id >= 0 && id < dense.count else { return }
        dense.withValues { dscope_prefetch_for_write($0.baseAddress! + id) }
    }

    /// The id's slot, which it no longer has (nil: it had none).
    @inline(__always)
    mutating func removeSlot(ofID id: Int) -> Int? {
        let slot = self[id]
        if slot != nil { self[id] = nil }
        return slot
    }

    /// The setter for ids the dense array does not hold yet (it grows) and ids above it (the dictionary).
    /// Invariant: the dictionary holds no id the array covers, and none below ``denseLimit``.
    @inline(never)
    private mutating func set(_ newValue: Int?, beyondDenseEntries id: Int) {
        if id >= 0 && newValue != nil && id < max(Self.denseLimit, 2 * (count + 1)) {
            let newCount = max(id + 1, min(dense.count * 2, max(Self.denseLimit, 2 * (count + 1))), 1024)
            while dense.count < newCount { dense.append(0) }
            // Ids the array covers now leave the dictionary.
            if !sparse.isEmpty {
                for (key, slot) in sparse where key < newCount {
                    sparse[key] = nil
                    dense[key] = Int32(slot + 1)
                }
            }
            self[id] = newValue
        } else if id >= 0 && id < Self.denseLimit {
            // Not in the array, so in neither.
            return
        } else {
            let old: Int?
            if let newValue { old = sparse.updateValue(newValue, forKey: id) } else { old = sparse.removeValue(forKey: id) }
            count += (newValue == nil ? 0 : 1) - (old == nil ? 0 : 1)
        }
    }

    /// Every id with a slot, ascending.
    var ids: [Int] {
        var result: [Int] = []
        result.reserveCapacity(count)
        dense.withValues { for (id, v) in $0.enumerated() where v != 0 { result.append(id) } }
        result.append(contentsOf: sparse.keys.sorted())
        return result
    }

    /// Whether `id` is held by the array (for tests: the dictionary holds ids the array cannot).
    func isInArray(_ id: Int) -> Bool { id >= 0 && id < dense.count && dense[id] != 0 }

    var footprintBytes: Int { dense.capacity * 4 + sparse.capacity * (MemoryLayout<Int>.stride * 2 + 1) }
}
