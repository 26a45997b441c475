// Helpers shared by the MemoryMetadata tests: a seeded PRNG, one-call placement, and a compact text
// rendering of a page's layout that the scenario tables compare against.
import MemoryMetadata
import TestSupport
import Testing

/// The project's SplitMix64, with the draws these tests use.
typealias SplitMix64 = SeededRandom

extension SeededRandom {
    /// Uniform in `range` (closed).
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ oneIn: Int) -> Bool { int(0...(oneIn - 1)) == 0 }
}

/// Asks for a placement and commits it. `nil` when the page has no room.
@discardableResult
func place(_ m: some BlockMetadata, _ size: Int, align: Int = 1, type: SuballocationType = .buffer,
           strategy: AllocationStrategy = .default, maxOffset: Int = .max, userData: Int = 0) throws -> (handle: AllocationHandle, offset: Int)? {
    guard let request = try m.createAllocationRequest(size: size, alignment: align, upperAddress: false, type: type,
                                                      strategy: strategy, maxOffset: maxOffset) else { return nil }
    let handle = try m.alloc(request, type: type, userData: userData)
    return (handle, request.offset)
}

/// The page from offset 0 upwards: `name@offset+size` per allocation (names from `names`, by user data),
/// `free@offset+size` per free range, and `tail@offset` for a free range that ends the page.
func layout(_ m: some BlockMetadata, names: [Int: String] = [:]) -> String {
    var regions: [Region] = []
    m.visitAllRegions { regions.append($0) }
    return regions.reversed().map { r in
        if r.isFree {
            return r.offset + r.size == m.size ? "tail@\(r.offset)" : "free@\(r.offset)+\(r.size)"
        }
        return "\(names[r.userData] ?? "#\(r.userData)")@\(r.offset)+\(r.size)"
    }.joined(separator: " ")
}

/// The error a throwing expression threw, as a ``MetadataError``.
func metadataError(_ body: () throws -> Void) -> MetadataError? {
    do { try body() } catch let e as MetadataError { return e } catch { return nil }
    return nil
}
