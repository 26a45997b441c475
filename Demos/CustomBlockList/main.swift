// CustomBlockList: plug the defragmentation engine into your own allocator.
//
//     swift run CustomBlockList
//
// The engine (module `Defragmentation`) never touches memory itself. It plans: it walks your pages, asks
// each page's metadata (module `MemoryMetadata`, here VMA's TLSF) where an allocation could go instead, and
// hands you a list of moves. You copy the bytes and tell it you are done. To take part, your allocator
// implements one protocol, `BlockList`, over its own pages.
//
// This file is a complete toy allocator that does exactly that, in four steps:
//   1. ToyHeap: "arenas" of 64 bytes (real byte arrays) holding named objects, one TLSF metadata per arena.
//   2. ToyHeap: BlockList — the eight requirements the engine needs, each explained where it is written.
//   3. A handler that completes a move: copy the bytes, let the object take its new place, free the old one.
//   4. The run: fill, fragment, then collect → (answer) → complete, pass by pass, until a pass finds nothing.
// Every object's bytes are checked at the end; any mismatch exits with status 1. The output is the same on
// every run (no clocks, no random numbers).

import Defragmentation
import MemoryMetadata

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - 1. The toy allocator

/// One page of the toy heap: real bytes, plus the metadata that says which ranges are taken.
final class Arena {
    /// A name that never changes (the engine reorders arenas, so their index in the heap does change).
    let id: Int
    let metadata: TLSFMetadata
    /// The memory itself. Free bytes hold "." so the pictures below are a dump of real memory.
    var bytes: [UInt8]

    init(id: Int, size: Int) {
        self.id = id
        metadata = TLSFMetadata(size: size)
        bytes = Array(repeating: UInt8(ascii: "."), count: size)
    }
}

/// What the heap knows about one allocation. The engine refers to it by its slot (index in `ToyHeap.slots`),
/// which is also the user data stored in the arena's metadata: that is how the engine, walking a page's
/// metadata, finds our object again.
struct Slot {
    var name: String          // "" for the engine's temporary destinations
    var arena: Arena
    var handle: AllocationHandle
    var size: Int
    var live = true
}

final class ToyHeap {
    static let arenaSize = 64
    static let alignment = 4

    /// The pages, in the order the engine sees them.
    var arenas: [Arena] = []
    var slots: [Slot] = []
    private var nextArenaID = 0
    /// Arenas given back because they became empty (ids, in order).
    var released: [Int] = []
    /// Damage every copied object's last byte (the test suite checks that the final check catches it).
    var corruptCopies = false

    /// Allocates `size` bytes in the first arena that has room (a new arena when none has), fills them with
    /// the object's contents, and returns the slot.
    @discardableResult
    func allocate(_ name: String, size: Int) throws -> Int {
        for arena in arenas {
            if let slot = try place(name, size: size, in: arena) { return slot }
        }
        let arena = Arena(id: nextArenaID, size: Self.arenaSize)
        nextArenaID += 1
        arenas.append(arena)
        return try place(name, size: size, in: arena)!
    }

    private func place(_ name: String, size: Int, in arena: Arena) throws -> Int? {
        // Ask the metadata where the object would go, then commit that answer.
        guard let request = try arena.metadata.createAllocationRequest(
            size: size, alignment: Self.alignment, upperAddress: false, type: .unknown,
            strategy: .default, maxOffset: .max) else { return nil }
        let slot = slots.count
        // The user data is our slot: it must be >= 0 (negative values belong to the engine).
        let handle = try arena.metadata.alloc(request, type: .unknown, userData: slot)
        slots.append(Slot(name: name, arena: arena, handle: handle, size: size))
        write(Self.contents(of: name, size: size), to: slot)
        return slot
    }

    func free(_ slot: Int) throws {
        let s = slots[slot]
        try paint(slot, with: UInt8(ascii: "."))
        try s.arena.metadata.free(s.handle)
        slots[slot].live = false
    }

    /// An object's bytes: its name's letter in upper case, then in lower case ("Kkkkkkkk"), so both the
    /// contents and the object's first byte can be checked, and the picture shows where each object starts.
    static func contents(of name: String, size: Int) -> [UInt8] {
        let letter = name.unicodeScalars.first!.value
        return [UInt8(letter)] + Array(repeating: UInt8(letter | 0x20), count: size - 1)
    }

    func offset(_ slot: Int) throws -> Int { try slots[slot].arena.metadata.offset(of: slots[slot].handle) }

    func read(_ slot: Int) throws -> [UInt8] {
        let o = try offset(slot)
        return Array(slots[slot].arena.bytes[o..<o + slots[slot].size])
    }

    private func write(_ data: [UInt8], to slot: Int) {
        let o = try! offset(slot)
        slots[slot].arena.bytes.replaceSubrange(o..<o + data.count, with: data)
    }

    private func paint(_ slot: Int, with byte: UInt8) throws {
        write(Array(repeating: byte, count: slots[slot].size), to: slot)
    }

    /// Gives an arena back when nothing lives in it any more (as VMA frees an empty block). The engine
    /// measures this through `addStatistics` and reports it as pages and bytes freed.
    private func releaseIfEmpty(_ arena: Arena) {
        guard arena.metadata.isEmpty, let index = arenas.firstIndex(where: { $0 === arena }) else { return }
        arenas.remove(at: index)
        released.append(arena.id)
    }

    /// The engine works best when allocations flow from the emptiest pages into the fullest, so before a run
    /// the pool sorts its pages fullest first (VMA's block vector does the same).
    func sortFullestFirst() {
        arenas = arenas.enumerated().sorted { a, b in
            a.element.metadata.sumFreeSize != b.element.metadata.sumFreeSize
                ? a.element.metadata.sumFreeSize < b.element.metadata.sumFreeSize : a.offset < b.offset
        }.map(\.element)
    }

    // MARK: 3. Completing a move

    /// Called by the engine once per move, in `completePass`. The engine has already reserved the
    /// destination (`move.destinationAllocation`, one of our slots, made by `commitDefragAllocationRequest`).
    ///
    /// A GPU allocator would record every copy of the pass into one command buffer between `collectMoves`
    /// and `completePass`, wait for it, and only swap here. The toy copies here: it is plain memory.
    func complete(_ move: MetadataDefragContext<ToyHeap>.Move) throws {
        let object = move.sourceAllocation, temporary = move.destinationAllocation!
        switch move.operation {
        case .copy:
            // a) Copy the bytes to their new place.
            var data = try read(object)
            if corruptCopies { data[data.count - 1] = UInt8(ascii: "!") }   // `--corrupt`: see main()
            write(data, to: temporary)
            // b) The object takes over the destination: its arena and handle, and the metadata's user data
            //    becomes our slot again (it held the engine's sentinel, which the engine uses to skip
            //    allocations it made itself in this run).
            let old = slots[object]
            slots[object].arena = slots[temporary].arena
            slots[object].handle = slots[temporary].handle
            try slots[object].arena.metadata.setUserData(object, of: slots[object].handle)
            slots[temporary].live = false
            // c) Free where it was (and blank those bytes, so the pictures show only live objects).
            let oldOffset = try old.arena.metadata.offset(of: old.handle)
            old.arena.bytes.replaceSubrange(oldOffset..<oldOffset + old.size,
                                            with: Array(repeating: UInt8(ascii: "."), count: old.size))
            try old.arena.metadata.free(old.handle)
            releaseIfEmpty(old.arena)
        case .ignore:
            // We said no: the object stays, the reserved destination is given back. The engine marks the
            // object's arena immovable for the rest of the run.
            try free(temporary)
        case .destroy:
            // We destroyed the object instead of moving it: free both.
            let arena = slots[object].arena
            try free(object)
            try free(temporary)
            releaseIfEmpty(arena)
        }
    }
}

// MARK: - 2. The BlockList conformance: everything the engine asks of a pool

extension ToyHeap: BlockList {
    /// How the engine names one of our allocations in a move: our slot number.
    typealias Allocation = Int
    /// The metadata type of our pages.
    typealias Metadata = TLSFMetadata

    /// Pages by index. The engine needs random access in every page (TLSF has it; a linear page is refused).
    func metadata(forBlock index: Int) -> TLSFMetadata { arenas[index].metadata }
    var blockCount: Int { arenas.count }

    /// Counts of every page. The engine calls this around each handler call to see what a move freed.
    func addStatistics(_ stats: inout Statistics) {
        for arena in arenas { arena.metadata.addStatistics(&stats) }
    }

    /// The engine found an allocation while walking a page (its metadata's user data is our slot) and wants
    /// to know how to move it: alignment, resource type, and the move with its source filled in.
    func moveData(forUserData userData: Int) -> MoveAllocationData<Int, TLSFMetadata> {
        let slot = slots[userData]
        return MoveAllocationData(alignment: Self.alignment, suballocationType: .unknown,
                                  move: DefragmentationMove(size: slot.size, sourceMetadata: slot.arena.metadata,
                                                            sourceAllocation: userData))
    }

    /// No images here, so no buffer/image granularity to respect.
    var bufferImageGranularity: Int { 1 }

    /// The engine takes the lock while it walks or reorders pages. The toy is single-threaded.
    func lock() {}
    func unlock() {}

    /// The engine found a better place and reserves it now: commit the request in arena `blockIndex` with the
    /// engine's `userData` (its sentinel) and return the new allocation. Bytes are copied later.
    func commitDefragAllocationRequest(_ request: AllocationRequest, blockIndex: Int, alignment: Int, flags: UInt32,
                                       userData: Int, type: SuballocationType) throws -> Int {
        let arena = arenas[blockIndex]
        let handle = try arena.metadata.alloc(request, type: type, userData: userData)
        slots.append(Slot(name: "", arena: arena, handle: handle, size: request.size))
        return slots.count - 1
    }

    /// The engine moves pages it must not walk again (answered `ignore`) to the front of the list.
    func swapBlocks(_ left: Int, _ right: Int) { arenas.swapAt(left, right) }
}

// MARK: - Pictures

extension ToyHeap {
    /// One line per arena: its bytes as they are in memory ("Kkkk" is object K, "." is free).
    func picture(_ title: String, immovable: Int = 0) -> String {
        var lines = ["\(title):"]
        for (index, arena) in arenas.enumerated() {
            let used = Self.arenaSize - arena.metadata.sumFreeSize
            let mark = index < immovable ? "  immovable" : ""
            lines.append("  arena \(arena.id) |\(String(decoding: arena.bytes, as: UTF8.self))| \(pad(used * 100 / Self.arenaSize, 3))% used, \(plural(arena.metadata.allocationCount, "object"))\(mark)")
        }
        for id in released { lines.append("  arena \(id) released") }
        return lines.joined(separator: "\n")
    }

    func describe(_ slot: Int) throws -> String { "arena \(slots[slot].arena.id) @\(pad(try offset(slot), 2))" }
}

func plural(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

func pad(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return String(repeating: " ", count: max(0, width - s.count)) + s
}

// MARK: - 4. The run

func main() throws -> Int32 {
    let heap = ToyHeap()
    // `swift run CustomBlockList --corrupt` breaks the copies on purpose, to show the final check failing.
    heap.corruptCopies = CommandLine.arguments.dropFirst().contains("--corrupt")

    // Fill: 26 objects A…Z of 4 to 16 bytes (a fixed sequence, so every run is the same).
    let sizes = [8, 12, 4, 16, 8, 4, 12, 8, 16, 4, 8, 12, 4, 8, 16, 12, 4, 8, 12, 16, 4, 8, 12, 8, 4, 16]
    var objects: [String: Int] = [:]
    for (i, size) in sizes.enumerated() {
        let name = String(UnicodeScalar(UInt8(ascii: "A") + UInt8(i)))
        objects[name] = try heap.allocate(name, size: size)
    }
    // Fragment: free two objects out of three, leaving holes everywhere.
    for name in "BCEFHIKLNOQRTUWXZ".map(String.init) { try heap.free(objects.removeValue(forKey: name)!) }

    // One object may not move (think of memory the GPU is using right now): we answer `ignore` to its moves.
    let pinned = "M"
    let pinnedPlace = try heap.describe(objects[pinned]!)

    heap.sortFullestFirst()
    print(heap.picture("before"))
    print("pinned: \(pinned) (\(pinnedPlace)): its moves are answered `ignore`\n")

    // The engine: one context per run. `.full` moves objects into earlier arenas, and lower in their own arena
    // when no earlier arena takes them. The handler is called for every move when a pass completes.
    let context = MetadataDefragContext(blockList: heap, algorithm: .full) { move in try heap.complete(move) }
    try context.initialize()

    var total = DefragmentationStats()
    var passes = 0
    while true {
        // A budget per pass: at most 4 moves (and any number of bytes). Budgets split a run into short passes.
        var pass = PassContext(maxPassBytes: .max, maxPassAllocations: 4)

        // Collect: the engine plans a pass and reserves the destinations.
        context.collectMoves(&pass)
        if context.moves.isEmpty { break }    // nothing left to do: the run is over
        passes += 1
        print("pass \(passes):")

        // Answer: every move is `.copy` unless we say otherwise, before completing the pass.
        for (i, move) in context.moves.enumerated() {
            let name = heap.slots[move.sourceAllocation].name
            if name == pinned { context.setOperation(.ignore, forMoveAt: i) }
            let to = try heap.describe(move.destinationAllocation!)
            print("  \(name)  \(try heap.describe(move.sourceAllocation)) → \(to)  (\(pad(move.size, 2)) bytes)\(name == pinned ? "  ignored: stays" : "")")
        }

        // Complete: the handler runs for each move; the engine counts what was moved and freed.
        try context.completePass(&pass)
        total.add(pass.stats)
        print("  moved \(plural(pass.stats.allocationsMoved, "object")), \(pass.stats.bytesMoved) bytes; arenas freed: \(pass.stats.deviceMemoryBlocksFreed)")
        print(heap.picture("after pass \(passes)", immovable: context.immovableBlockCount))
        print()
    }
    print("done: \(passes) passes, \(total.allocationsMoved) objects moved (\(total.bytesMoved) bytes), \(total.deviceMemoryBlocksFreed) arenas freed (\(total.bytesFreed) bytes)")

    // Check: every object still holds its own bytes, every arena's metadata is consistent, and the pinned
    // object is where it was.
    var failures: [String] = []
    for (name, slot) in objects.sorted(by: { $0.key < $1.key }) {
        let expected = ToyHeap.contents(of: name, size: heap.slots[slot].size)
        let actual = try heap.read(slot)
        if actual != expected {
            failures.append("\(name): expected \(String(decoding: expected, as: UTF8.self)), found \(String(decoding: actual, as: UTF8.self))")
        }
    }
    for arena in heap.arenas {
        do { try arena.metadata.validate() } catch { failures.append("arena \(arena.id): \(error)") }
    }
    if try heap.describe(objects[pinned]!) != pinnedPlace { failures.append("\(pinned) moved although every move of it was ignored") }

    if failures.isEmpty {
        print("verified: all \(objects.count) objects hold their own bytes; \(pinned) stayed at \(pinnedPlace)")
        return 0
    }
    for failure in failures { print("MISMATCH \(failure)") }
    return 1
}

do {
    exit(try main())
} catch {
    print("error: \(error)")
    exit(2)
}
