// Storage for the tables of TLSF metadata (the nodes, the non-empty lists, the bitmaps, the class counts).
// A Swift array stored in a class checks that it is uniquely referenced on every element write, a runtime
// call; these tables change on every allocation and free, several times, so they live in buffers the
// metadata owns and frees itself.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable buffer of plain values with one owner, which calls ``release()`` once, when it goes away.
/// The values are never copied when the buffer is.
///
/// Element access checks its index in debug builds only (as swift-collections checks its internal
/// offsets, and VMA its links, with assertions): the indices come from the metadata's own links and
/// counts, which `validate()` checks and the debug-built soak tests check after every step, while
/// everything a caller passes in (a handle, a request) is checked before it becomes an index. The
/// release-build check cost 6 % of a churn replay's instructions (181 M → 170 M without it). Insertion,
/// removal and growth keep their checks.
struct OwnedBuffer<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count: Int
    private(set) var capacity: Int

    init(repeating value: Element, count: Int) {
        base = Self.reallocate(nil, capacity: max(count, 1))
        base.initialize(repeating: value, count: count)
        self.count = count
        capacity = max(count, 1)
    }

    /// The storage comes from malloc and moves with realloc (the values are plain bytes): a buffer that
    /// shrinks stays where it is, and one that grows often extends in place, instead of being copied to
    /// fresh memory the cache has not seen (node arrays of small pages resize often).
    private static func reallocate(_ old: UnsafeMutablePointer<Element>?, capacity: Int) -> UnsafeMutablePointer<Element> {
        precondition(MemoryLayout<Element>.alignment <= 16, "malloc aligns to 16 bytes")
        let (bytes, overflow) = capacity.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(!overflow, "a buffer of \(capacity) values is too large")
        guard let raw = realloc(old, max(bytes, 1)) else { fatalError("out of memory for \(bytes) bytes") }
        return raw.bindMemory(to: Element.self, capacity: capacity)
    }

    var isEmpty: Bool { count == 0 }
    var indices: Range<Int> { 0..<count }

    subscript(i: Int) -> Element {
        @inline(__always) unsafeAddress {
            assert(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
            return UnsafePointer(base + i)
        }
        @inline(__always) nonmutating unsafeMutableAddress {
            assert(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
            return base + i
        }
    }

    /// Inserts `value` at `i`, moving the values after it up; when full, the storage grows to `grow(count)`.
    mutating func insert(_ value: Element, at i: Int, grow: (Int) -> Int) {
        precondition(i >= 0 && i <= count, "insertion index \(i) out of 0...\(count)")
        if count == capacity { resize(to: max(grow(count), count + 1)) }
        moveValues(from: i, to: i + 1, count: count - i)
        (base + i).initialize(to: value)
        count += 1
    }

    /// Removes the value at `i`, moving the values after it down.
    mutating func remove(at i: Int) {
        precondition(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
        moveValues(from: i + 1, to: i, count: count - i - 1)
        count -= 1
    }

    /// Appends `value`; the storage must have room (see ``resize(to:)``).
    mutating func append(_ value: Element) {
        precondition(count < capacity, "no room for a value past \(capacity)")
        (base + count).initialize(to: value)
        count += 1
    }

    mutating func removeLast(_ k: Int) {
        precondition(k >= 0 && k <= count, "cannot remove \(k) of \(count) values")
        count -= k
    }

    mutating func removeAll() { count = 0 }

    /// Moves the values to storage for `newCapacity` (at least `count`).
    mutating func resize(to newCapacity: Int) {
        precondition(newCapacity >= count, "capacity \(newCapacity) below the \(count) values held")
        base = Self.reallocate(base, capacity: max(newCapacity, 1))
        capacity = max(newCapacity, 1)
    }

    /// Moves `n` values within the buffer (the ranges may overlap).
    @inline(__always)
    private func moveValues(from source: Int, to destination: Int, count n: Int) {
        if n > 0 { memmove(base + destination, base + source, n * MemoryLayout<Element>.stride) }
    }

    func release() { free(base) }
}
