// Storage for the small per-page tables of TLSF metadata (the non-empty lists, the bitmaps, the class
// counts). A Swift array stored in a class checks that it is uniquely referenced on every element write,
// a runtime call; these tables change on most allocations and frees (a sparse page's lists empty and fill
// all the time), so they live in buffers the metadata owns and frees itself.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable buffer of plain values with one owner, which calls ``release()`` once, when it goes away.
/// Indices are checked; the values are never copied when the buffer is.
struct OwnedBuffer<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count: Int
    private(set) var capacity: Int

    init(repeating value: Element, count: Int) {
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: count)
        self.count = count
        capacity = max(count, 1)
    }

    var isEmpty: Bool { count == 0 }
    var indices: Range<Int> { 0..<count }

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

    /// Inserts `value` at `i`, moving the values after it up; when full, the storage grows to `grow(count)`.
    mutating func insert(_ value: Element, at i: Int, grow: (Int) -> Int) {
        precondition(i >= 0 && i <= count, "insertion index \(i) out of 0...\(count)")
        if count == capacity { resize(to: max(grow(count), count + 1)) }
        memmove(base + i + 1, base + i, (count - i) * MemoryLayout<Element>.stride)
        (base + i).initialize(to: value)
        count += 1
    }

    /// Removes the value at `i`, moving the values after it down.
    mutating func remove(at i: Int) {
        precondition(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
        memmove(base + i, base + i + 1, (count - i - 1) * MemoryLayout<Element>.stride)
        count -= 1
    }

    mutating func removeAll() { count = 0 }

    /// Moves the values to storage for `newCapacity` (at least `count`).
    mutating func resize(to newCapacity: Int) {
        precondition(newCapacity >= count, "capacity \(newCapacity) below the \(count) values held")
        let storage = UnsafeMutablePointer<Element>.allocate(capacity: max(newCapacity, 1))
        storage.initialize(from: base, count: count)
        base.deallocate()
        base = storage
        capacity = max(newCapacity, 1)
    }

    func release() { base.deallocate() }
}
