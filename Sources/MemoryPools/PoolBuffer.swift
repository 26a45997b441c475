// Storage for the pool's tables (pages, page indices, slots, the incremental sort's inversions). A Swift
// array stored in a class checks that it is uniquely referenced on every element write, a runtime call;
// these tables change several times per allocation and free, so they live in buffers the pool owns and
// frees itself (as the TLSF metadata's tables do).

/// A growable buffer of values with one owner, which calls ``release()`` once, when it goes away.
/// Indices are checked; the values are never copied when the buffer is.
struct PoolBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    var isEmpty: Bool { count == 0 }
    var indices: Range<Int> { 0..<count }
    var last: Element? { count > 0 ? base[count - 1] : nil }

    subscript(i: Int) -> Element {
        @inline(__always) unsafeAddress {
            precondition(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
            return UnsafePointer(base + i)
        }
        @inline(__always) nonmutating unsafeMutableAddress {
            precondition(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
            return base + i
        }
    }

    /// The values, for loops that read many (no index check per value).
    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    mutating func append(_ value: Element) {
        if count == capacity { resize(to: capacity * 2) }
        (base + count).initialize(to: value)
        count += 1
    }

    mutating func popLast() -> Element? {
        guard count > 0 else { return nil }
        count -= 1
        return (base + count).move()
    }

    /// Removes the value at `i`, moving the values after it down.
    @discardableResult
    mutating func remove(at i: Int) -> Element {
        precondition(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
        let value = (base + i).move()
        (base + i).moveInitialize(from: base + i + 1, count: count - i - 1)
        count -= 1
        return value
    }

    @inline(__always)
    func swapAt(_ i: Int, _ j: Int) {
        precondition(i >= 0 && i < count && j >= 0 && j < count, "indices \(i), \(j) out of 0..<\(count)")
        guard i != j else { return }
        let value = (base + i).move()
        (base + i).initialize(to: (base + j).move())
        (base + j).initialize(to: value)
    }

    mutating func removeAll() {
        base.deinitialize(count: count)
        count = 0
    }

    private mutating func resize(to newCapacity: Int) {
        let storage = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        storage.moveInitialize(from: base, count: count)
        base.deallocate()
        base = storage
        capacity = newCapacity
    }

    func release() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
