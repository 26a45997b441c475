/// The pool's map from caller ids to allocation slots: an array for ids below 2^20 (traces number their
/// allocations from 1; a lookup is one load instead of hashing), a dictionary above. Its owner calls
/// ``release()`` once, when it goes away.
struct SlotTable {
    static let denseLimit = 1 << 20
    /// Slot + 1 per id (0: none).
    private var dense = PoolBuffer<Int32>()
    private var sparse: [Int: Int] = [:]
    private(set) var count = 0

    subscript(id: Int) -> Int? {
        get {
            if id >= 0 && id < Self.denseLimit {
                guard id < dense.count else { return nil }
                let v = dense[id]
                return v == 0 ? nil : Int(v) - 1
            }
            return sparse[id]
        }
        set {
            if id >= 0 && id < Self.denseLimit {
                if id >= dense.count {
                    guard newValue != nil else { return }
                    let newCount = min(Self.denseLimit, max(id + 1, dense.count * 2, 1024))
                    while dense.count < newCount { dense.append(0) }
                }
                let old = dense[id]
                dense[id] = newValue.map { Int32($0 + 1) } ?? 0
                count += (newValue == nil ? 0 : 1) - (old == 0 ? 0 : 1)
            } else {
                let old: Int?
                if let newValue { old = sparse.updateValue(newValue, forKey: id) } else { old = sparse.removeValue(forKey: id) }
                count += (newValue == nil ? 0 : 1) - (old == nil ? 0 : 1)
            }
        }
    }

    /// Every id with a slot, ascending.
    var ids: [Int] {
        var result: [Int] = []
        result.reserveCapacity(count)
        for (id, v) in dense.buffer.enumerated() where v != 0 { result.append(id) }
        result.append(contentsOf: sparse.keys.sorted())
        return result
    }

    func release() { dense.release() }

    var footprintBytes: Int { dense.capacity * 4 + sparse.capacity * (MemoryLayout<Int>.stride * 2 + 1) }
}
