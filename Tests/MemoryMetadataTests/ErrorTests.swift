// Caller mistakes throw typed MetadataErrors; "does not fit" is nil, not an error.
import MemoryMetadata
import Testing

@Suite("Caller mistakes")
struct ErrorTests {
    static func request(_ m: some BlockMetadata, size: Int = 16, alignment: Int = 1, upperAddress: Bool = false) throws -> AllocationRequest? {
        try m.createAllocationRequest(size: size, alignment: alignment, upperAddress: upperAddress, type: .buffer,
                                      strategy: .default, maxOffset: .max)
    }

    static let pages: [@Sendable () -> any BlockMetadata] = [{ TLSFMetadata(size: 4096) }, { LinearMetadata(size: 4096) }]

    @Test(arguments: [0, -1, -4096])
    func sizeBelowOneByte(_ size: Int) throws {
        for make in Self.pages {
            let m = make()
            #expect(throws: MetadataError.invalidSize(size)) { try Self.request(m, size: size) }
        }
    }

    @Test(arguments: [0, -2, 3, 6, 12, 100, 1023])
    func alignmentNotAPowerOfTwo(_ alignment: Int) throws {
        for make in Self.pages {
            let m = make()
            #expect(throws: MetadataError.invalidAlignment(alignment)) { try Self.request(m, alignment: alignment) }
        }
    }

    @Test(arguments: [1, 2, 4, 1 << 12])
    func powersOfTwoAreAccepted(_ alignment: Int) throws {
        #expect(try Self.request(TLSFMetadata(size: 4096), alignment: alignment) != nil)
    }

    @Test func tooLargeIsNilNotAnError() throws {
        #expect(try Self.request(TLSFMetadata(size: 4096), size: 4097) == nil)
        #expect(try Self.request(LinearMetadata(size: 4096), size: 4097) == nil)
        #expect(try Self.request(TLSFMetadata(size: 4096), size: 4096, alignment: 1 << 13) != nil) // offset 0 is aligned
    }

    @Test func upperAddressNeedsADoubleStack() throws {
        for make in Self.pages {
            let m = make()
            #expect(throws: MetadataError.upperAddressNotSupported) { try Self.request(m, upperAddress: true) }
        }
    }

    @Test func freeingTwiceIsRefused() throws {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 100)), _ = try place(m, 100)
        try m.free(a.handle)                                               // stays a free range (B is taken)
        #expect(throws: MetadataError.self) { try m.free(a.handle) }
        try m.validate()
        #expect(m.allocationCount == 1)
    }

    /// The freed allocation's node is reused for the next allocation of the same range: its old handle
    /// must not name the new allocation.
    @Test func handleOfAFreedAllocationDoesNotNameItsSuccessor() throws {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 100, userData: 1)), _ = try place(m, 100, userData: 2)
        try m.free(a.handle)
        let c = try #require(try place(m, 100, strategy: .minMemory, userData: 3))
        #expect(c.offset == a.offset)
        #expect(c.handle != a.handle)
        #expect(throws: MetadataError.unknownHandle(a.handle)) { try m.free(a.handle) }
        #expect(throws: MetadataError.unknownHandle(a.handle)) { try m.userData(of: a.handle) }
        #expect(try m.userData(of: c.handle) == 3)
        #expect(m.allocationCount == 2)
    }

    @Test func handleMergedAwayIsUnknown() throws {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 100)), b = try #require(try place(m, 100)), _ = try place(m, 100)
        try m.free(a.handle)
        var freeRange: AllocationHandle?
        m.visitAllRegions { if $0.isFree && $0.offset == 0 { freeRange = $0.handle } }
        let hole = try #require(freeRange)
        #expect(try m.offset(of: hole) == 0)
        #expect(try m.size(of: hole) == 100)
        try m.free(b.handle)                                               // B absorbs the hole before it
        #expect(throws: MetadataError.unknownHandle(hole)) { try m.offset(of: hole) }
        #expect(throws: MetadataError.unknownHandle(hole)) { try m.size(of: hole) }
        #expect(throws: MetadataError.unknownHandle(b.handle)) { try m.free(b.handle) }
    }

    @Test func handleFromAnotherMetadataIsUnknown() throws {
        let m1 = TLSFMetadata(size: 4096), m2 = TLSFMetadata(size: 4096)
        let a = try #require(try place(m1, 100)), b = try #require(try place(m2, 100))
        #expect(a.handle != b.handle)
        #expect(throws: MetadataError.unknownHandle(a.handle)) { try m2.free(a.handle) }
        #expect(throws: MetadataError.unknownHandle(a.handle)) { try m2.offset(of: a.handle) }
        let request = try #require(try Self.request(m1))
        #expect(throws: MetadataError.self) { try m2.alloc(request, type: .buffer, userData: 0) }
        try m1.validate()
        try m2.validate()
        #expect(m2.allocationCount == 1)

        let l1 = LinearMetadata(size: 4096), l2 = LinearMetadata(size: 4096)
        let x = try #require(try place(l1, 100)), _ = try place(l2, 100)
        #expect(throws: MetadataError.unknownHandle(x.handle)) { try l2.free(x.handle) }
        #expect(l2.allocationCount == 1)
    }

    @Test func handleFromBeforeClearIsUnknown() throws {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 100))
        m.clear()
        let b = try #require(try place(m, 100))
        #expect(b.offset == 0)
        #expect(b.handle != a.handle)
        #expect(throws: MetadataError.unknownHandle(a.handle)) { try m.free(a.handle) }
    }

    @Test func madeUpHandleIsUnknown() throws {
        let m = TLSFMetadata(size: 4096)
        let bogus = AllocationHandle(index: 12345, generation: 0)
        #expect(throws: MetadataError.unknownHandle(bogus)) { try m.free(bogus) }
        #expect(throws: MetadataError.unknownHandle(bogus)) { try m.offset(of: bogus) }
        #expect(throws: MetadataError.unknownHandle(bogus)) { try m.nextAllocation(after: bogus) }
    }

    @Test func staleRequestIsRefused() throws {
        let m = TLSFMetadata(size: 4096)
        let first = try #require(try Self.request(m, size: 100))
        let second = try #require(try Self.request(m, size: 100))         // the same tail
        try m.alloc(first, type: .buffer, userData: 1)
        #expect(throws: MetadataError.self) { try m.alloc(second, type: .buffer, userData: 2) }
        #expect(throws: MetadataError.self) { try m.alloc(first, type: .buffer, userData: 3) }   // committed twice
        try m.validate()
        #expect(m.allocationCount == 1)
        #expect(m.sumFreeSize == 4096 - 100)
    }

    @Test func requestThatNoLongerFitsIsRefused() throws {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 1000)), _ = try place(m, 100)
        try m.free(a.handle)
        let big = try #require(try m.createAllocationRequest(size: 1000, alignment: 1, upperAddress: false, type: .buffer,
                                                             strategy: .minMemory, maxOffset: .max))
        #expect(big.offset == 0)
        try place(m, 10, strategy: .minMemory)                             // takes the start of the hole
        #expect(throws: MetadataError.self) { try m.alloc(big, type: .buffer, userData: 0) }
        try m.validate()
    }

    @Test func requestOfAnotherKindIsRefused() throws {
        let tlsf = TLSFMetadata(size: 4096), linear = LinearMetadata(size: 4096)
        let fromLinear = try #require(try Self.request(linear))
        let fromTLSF = try #require(try Self.request(tlsf))
        #expect(throws: MetadataError.incompatibleRequest("made by another kind of metadata")) {
            try tlsf.alloc(fromLinear, type: .buffer, userData: 0)
        }
        #expect(throws: MetadataError.incompatibleRequest("made by another kind of metadata")) {
            try linear.alloc(fromTLSF, type: .buffer, userData: 0)
        }
        #expect(tlsf.isEmpty && linear.isEmpty)
    }

    @Test func freeRegionIsNotAnAllocation() throws {
        let m = TLSFMetadata(size: 4096)
        let a = try #require(try place(m, 100)), b = try #require(try place(m, 100))
        try m.free(a.handle)
        var hole: AllocationHandle?, tail: AllocationHandle?
        m.visitAllRegions { r in
            if r.isFree && r.offset == 0 { hole = r.handle }
            if r.isFree && r.offset == 200 { tail = r.handle }
        }
        for h in [try #require(hole), try #require(tail)] {
            #expect(throws: MetadataError.notAnAllocation(h)) { try m.userData(of: h) }
            #expect(throws: MetadataError.notAnAllocation(h)) { try m.setUserData(5, of: h) }
            #expect(throws: MetadataError.notAnAllocation(h)) { try m.free(h) }
            #expect(throws: MetadataError.notAnAllocation(h)) { try m.nextAllocation(after: h) }
            #expect(throws: MetadataError.notAnAllocation(h)) { try m.nextFreeRegionSize(after: h) }
        }
        try m.setUserData(42, of: b.handle)
        #expect(try m.userData(of: b.handle) == 42)
        try m.validate()
    }

    @Test func errorsDescribeThemselves() {
        let h = AllocationHandle(index: 3, generation: 7)
        #expect(MetadataError.unknownHandle(h).description.contains("#3.7"))
        #expect(MetadataError.invalidAlignment(3).description.contains("3"))
        #expect(MetadataError.invalidSize(0).description.contains("0"))
        #expect(MetadataError.corrupted("at offset 64").description.contains("offset 64"))
    }
}
