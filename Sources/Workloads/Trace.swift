// A trace: the allocations and frees that fill a pool (format: ../shared/traces/gen_trace.py).
//
//     # defrag-trace v1 <scenario> seed=<n>     (first line; other '#' lines are comments)
//     block-size <bytes>                         (every page of the pool has this size)
//     a <id> <size> <alignment>                  (allocate; alignment is a power of two)
//     f <id>                                     (free an earlier allocation)
//
// Rules a trace obeys, whether parsed from a file or built by a scenario (`validate()` checks them):
// - 0 < `blockSize` ≤ 256 GiB (TLSF's largest page);
// - an allocation has id ≥ 0, 1 ≤ size ≤ blockSize, and an alignment that is a power of two ≥ 1;
// - an id is allocated at most once in a trace: allocating an id that is live is an error, and so is
//   allocating an id again after it was freed (ids are never reused; the shared traces never do, and a
//   reused id would make "allocation 17" in a report ambiguous);
// - a free names a live allocation: freeing an id never allocated, or already freed, is an error.

import MemoryMetadata

/// A sequence of allocations and frees over pages of `blockSize` bytes.
public struct Trace: Sendable, Equatable {
    /// File name (as the user named it) or scenario name, for headers and messages.
    public var name: String
    /// Size in bytes of every page of the pool, from `block-size`.
    public var blockSize: Int
    /// The operations in file order.
    public var operations: [TraceOperation]
    /// The first `# defrag-trace v1 ...` line, if present (without line terminator).
    public var header: String?

    public init(name: String, blockSize: Int, operations: [TraceOperation], header: String? = nil) {
        self.name = name
        self.blockSize = blockSize
        self.operations = operations
        self.header = header
    }
}

/// One line of a trace. `line` is the 1-based line of the operation in its file (for a scenario: the line
/// it has in `serialized()`), so that replay errors can point at it.
public enum TraceOperation: Sendable, Equatable {
    case allocate(id: Int, size: Int, alignment: Int, line: Int)
    case free(id: Int, line: Int)

    /// The allocation id the operation names.
    public var id: Int {
        switch self {
        case .allocate(let id, _, _, _), .free(let id, _): return id
        }
    }

    /// The 1-based line of the operation.
    public var line: Int {
        switch self {
        case .allocate(_, _, _, let line), .free(_, let line): return line
        }
    }
}

extension Trace {
    /// Number of `a` operations.
    public var allocationCount: Int {
        operations.reduce(0) { count, op in
            if case .allocate = op { return count + 1 }
            return count
        }
    }

    /// Number of `f` operations.
    public var freeCount: Int { operations.count - allocationCount }

    /// Checks every rule of the format (see the top of Trace.swift), as the parser does for a file.
    /// Throws the first `WorkloadError` found, naming `name` and the operation's `line`.
    public func validate() throws {
        guard blockSize > 0 else {
            throw WorkloadError(file: name, message: "block-size must be a positive integer, found \(blockSize)")
        }
        if let message = TraceRules.blockSizeProblem(blockSize) { throw WorkloadError(file: name, message: "block-size: " + message) }
        var ledger = IdLedger(expectedIds: operations.count)
        for op in operations {
            switch op {
            case .allocate(let id, let size, let alignment, let line):
                if id < 0 {
                    throw WorkloadError(file: name, line: line, message: "allocation id must be a non-negative integer, found \(id)")
                }
                if size < 1 {
                    throw WorkloadError(file: name, line: line, message: "allocation \(id): size must be at least 1, found \(size)")
                }
                if alignment < 1 || alignment & (alignment - 1) != 0 {
                    throw WorkloadError(file: name, line: line, message: "allocation \(id): alignment must be a power of two, found \(alignment)")
                }
                if let message = TraceRules.sizeProblem(id: id, size: size, blockSize: blockSize) {
                    throw WorkloadError(file: name, line: line, message: message)
                }
                if let message = ledger.allocate(id: id, line: line) {
                    throw WorkloadError(file: name, line: line, message: message)
                }
            case .free(let id, let line):
                if let message = ledger.free(id: id, line: line) {
                    throw WorkloadError(file: name, line: line, message: message)
                }
            }
        }
    }

    /// The trace in file format: header (if any), `block-size`, one operation a line. Parsing the text
    /// gives back this trace, except that operations carry the lines of the text.
    public func serialized() -> String {
        var text = ""
        text.reserveCapacity(operations.count * 16 + 64)
        if let header { text += header + "\n" }
        text += "block-size \(blockSize)\n"
        for op in operations {
            switch op {
            case .allocate(let id, let size, let alignment, _): text += "a \(id) \(size) \(alignment)\n"
            case .free(let id, _): text += "f \(id)\n"
            }
        }
        return text
    }
}

/// The semantic rules shared by the parser and `Trace.validate()`.
enum TraceRules {
    static func blockSizeProblem(_ blockSize: Int) -> String? {
        guard blockSize > TLSFMetadata.maxPageSize else { return nil }
        return "N must be at most \(TLSFMetadata.maxPageSize) (256 GiB, the largest page TLSF handles), found \(blockSize)"
    }

    static func sizeProblem(id: Int, size: Int, blockSize: Int) -> String? {
        guard size > blockSize else { return nil }
        return "allocation \(id) of \(size) bytes is larger than block-size \(blockSize): expected SIZE <= \(blockSize)"
    }
}

/// Which ids are live or freed, with the line where that happened. Dense array for the usual small ids,
/// dictionary for the rest.
struct IdLedger {
    // 0: never seen; > 0: live, allocated at that line; < 0: freed at line -value.
    private var dense: [Int] = []
    private var sparse: [Int: Int] = [:]
    private let denseLimit: Int

    init(expectedIds: Int) {
        // Ids up to a few times the number of operations go in the array (growing as needed); a trace with
        // huge ids costs a dictionary entry per id, never a huge array.
        denseLimit = max(1 << 12, expectedIds.multipliedReportingOverflow(by: 4).partialValue)
    }

    private func state(_ id: Int) -> Int {
        if id >= 0 && id < denseLimit { return id < dense.count ? dense[id] : 0 }
        return sparse[id] ?? 0
    }

    private mutating func set(_ id: Int, _ value: Int) {
        if id >= 0 && id < denseLimit {
            if id >= dense.count {
                let newCount = min(denseLimit, max(id + 1, dense.count * 2, 1024))
                dense.append(contentsOf: repeatElement(0, count: newCount - dense.count))
            }
            dense[id] = value
        } else {
            sparse[id] = value
        }
    }

    /// Records an allocation; returns the problem if the id is live or was used before.
    mutating func allocate(id: Int, line: Int) -> String? {
        let s = state(id)
        if s > 0 {
            return "allocation id \(id) is still live (allocated at line \(s)): expected a new id"
        }
        if s < 0 {
            return "allocation id \(id) was already used and freed (at line \(-s)): expected a new id (ids are not reused)"
        }
        set(id, max(line, 1))
        return nil
    }

    /// Records a free; returns the problem if the id is not live.
    mutating func free(id: Int, line: Int) -> String? {
        let s = state(id)
        if s == 0 {
            return "free of unknown id \(id): expected the id of a live allocation"
        }
        if s < 0 {
            return "free of id \(id), already freed at line \(-s): expected the id of a live allocation"
        }
        set(id, -max(line, 1))
        return nil
    }
}
