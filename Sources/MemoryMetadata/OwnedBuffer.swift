// Storage for tables that change several times per allocation and free: the TLSF metadata's (nodes, the
// non-empty lists, bitmaps, class counts) and the pool's (pages, page indices, slots, the id table). A
// Swift array stored in a class checks that it is uniquely referenced on every element write, a runtime
// call; these tables live in buffers that cannot be copied, so they need no such check. This file is the
// only place in the engine and the pool that allocates, frees or indexes memory through pointers.
//
// The pool uses the same buffer from its own module, so the buffer is public to the modules that import
// the `Tables` SPI, and inlinable: a generic type used from another module is only specialized (its
// accesses compiled to a load or a store) through public inlinable code; `package` declarations are not
// inlined across modules by this toolchain.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// When an ``OwnedBuffer`` checks the index of an element access.
@_spi(Tables) public protocol IndexChecks {
    /// Whether release builds check too (debug builds always do).
    static var inRelease: Bool { get }
}

/// Every access is checked: for tables whose indices may come from a caller (the pool's pages and slots,
/// named by the engine and by the pool's public queries).
@_spi(Tables) public enum AlwaysChecked: IndexChecks {
    @inlinable public static var inRelease: Bool { true }
}

/// Checked in debug builds only, as swift-collections checks its internal offsets and VMA its links with
/// assertions: for tables indexed by their owner's own links and counts (the TLSF metadata's, which
/// `validate()` checks and the debug-built soak tests check after every step; a caller's handle is
/// checked before it becomes an index). The release-build check cost 6 % of a churn replay's
/// instructions (181 M → 170 M without it).
@_spi(Tables) public enum DebugChecked: IndexChecks {
    @inlinable public static var inRelease: Bool { false }
}

/// A growable buffer of plain values with one owner. It cannot be copied (`~Copyable`): its storage is
/// freed exactly once, by its `deinit`, when its owner goes away or assigns it a new buffer.
///
/// The contract of the unsafe code here, which is all the unsafe memory access of the tables:
/// - `storage` holds `room` (at least 1) values' worth of memory from malloc/realloc, of which the first
///   `used` are initialized; nothing else frees or moves it, and no pointer to it leaves the buffer except
///   for the duration of ``withValues(_:)``.
/// - Element access checks its index against `used` (always, or in debug builds only: ``IndexChecks``).
/// - Insertion, removal and resizing always check their arguments.
///
/// Storage comes from malloc and moves with realloc: a buffer that shrinks stays where it is, and one that
/// grows often extends in place, instead of being copied to memory the cache has not seen (node arrays of
/// small pages resize often). Elements are `BitwiseCopyable`, so moving them with memmove and dropping them
/// without deinitializing is sound.
@_spi(Tables) public struct OwnedBuffer<Element: BitwiseCopyable, Checks: IndexChecks>: ~Copyable {
    @usableFromInline var storage: UnsafeMutablePointer<Element>
    @usableFromInline var used: Int
    @usableFromInline var room: Int

    @inlinable public var count: Int { used }
    @inlinable public var capacity: Int { room }

    @inlinable
    public init(repeating value: Element, count: Int) {
        precondition(count >= 0, "a buffer of \(count) values")
        storage = Self.reallocate(nil, capacity: max(count, 1))
        storage.initialize(repeating: value, count: count)
        used = count
        room = max(count, 1)
    }

    /// An empty buffer with room for `capacity` values.
    @inlinable
    public init(capacity: Int = 16) {
        storage = Self.reallocate(nil, capacity: max(capacity, 1))
        used = 0
        room = max(capacity, 1)
    }

    @inlinable
    deinit { free(storage) }

    @usableFromInline
    static func reallocate(_ old: UnsafeMutablePointer<Element>?, capacity: Int) -> UnsafeMutablePointer<Element> {
        precondition(MemoryLayout<Element>.alignment <= 16, "malloc aligns to 16 bytes")
        let (bytes, overflow) = capacity.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(!overflow, "a buffer of \(capacity) values is too large")
        guard let raw = realloc(old, max(bytes, 1)) else { fatalError("out of memory for \(bytes) bytes") }
        return raw.bindMemory(to: Element.self, capacity: capacity)
    }

    @inlinable public var isEmpty: Bool { used == 0 }
    @inlinable public var indices: Range<Int> { 0..<used }
    @inlinable public var last: Element? { used > 0 ? storage[used - 1] : nil }

    /// Calls `body` with the values, for loops that read many (no index check per value). The pointer is
    /// valid during the call only, and the buffer must not change during it.
    @inlinable @inline(__always)
    public func withValues<Result, Failure: Error>(_ body: (UnsafeBufferPointer<Element>) throws(Failure) -> Result) throws(Failure) -> Result {
        try body(UnsafeBufferPointer(start: storage, count: used))
    }

    /// The values, copied into an array.
    @inlinable public var array: [Element] { withValues { Array($0) } }

    @inlinable @inline(__always)
    func check(_ i: Int) {
        if Checks.inRelease {
            precondition(i >= 0 && i < used, "index \(i) out of 0..<\(used)")
        } else {
            assert(i >= 0 && i < used, "index \(i) out of 0..<\(used)")
        }
    }

    @inlinable
    public subscript(i: Int) -> Element {
        @inline(__always) unsafeAddress {
            check(i)
            return UnsafePointer(storage + i)
        }
        @inline(__always) nonmutating unsafeMutableAddress {
            check(i)
            return storage + i
        }
    }

    /// Inserts `value` at `i`, moving the values after it up; when full, the storage grows to `grow(count)`.
    @inlinable
    public mutating func insert(_ value: Element, at i: Int, grow: (Int) -> Int) {
        precondition(i >= 0 && i <= used, "insertion index \(i) out of 0...\(used)")
        if used == room { resize(to: max(grow(used), used + 1)) }
        moveValues(from: i, to: i + 1, count: used - i)
        (storage + i).initialize(to: value)
        used += 1
    }

    /// Removes the value at `i`, moving the values after it down.
    @inlinable @discardableResult
    public mutating func remove(at i: Int) -> Element {
        precondition(i >= 0 && i < used, "index \(i) out of 0..<\(used)")
        let value = storage[i]
        moveValues(from: i + 1, to: i, count: used - i - 1)
        used -= 1
        return value
    }

    /// Appends `value`, doubling the storage when it is full.
    @inlinable
    public mutating func append(_ value: Element) {
        if used == room { resize(to: room * 2) }
        (storage + used).initialize(to: value)
        used += 1
    }

    @inlinable
    public mutating func popLast() -> Element? {
        guard used > 0 else { return nil }
        used -= 1
        return storage[used]
    }

    @inlinable @inline(__always)
    public func swapAt(_ i: Int, _ j: Int) {
        precondition(i >= 0 && i < used && j >= 0 && j < used, "indices \(i), \(j) out of 0..<\(used)")
        let value = storage[i]
        storage[i] = storage[j]
        storage[j] = value
    }

    @inlinable
    public mutating func removeLast(_ k: Int) {
        precondition(k >= 0 && k <= used, "cannot remove \(k) of \(used) values")
        used -= k
    }

    @inlinable public mutating func removeAll() { used = 0 }

    /// Moves the values to storage for `newCapacity` (at least `count`).
    @inlinable
    public mutating func resize(to newCapacity: Int) {
        precondition(newCapacity >= used, "capacity \(newCapacity) below the \(used) values held")
        storage = Self.reallocate(storage, capacity: max(newCapacity, 1))
        room = max(newCapacity, 1)
    }

    /// Moves `n` values within the buffer (the ranges may overlap).
    @inlinable @inline(__always)
    func moveValues(from source: Int, to destination: Int, count n: Int) {
        if n > 0 { memmove(storage + destination, storage + source, n * MemoryLayout<Element>.stride) }
    }
}
