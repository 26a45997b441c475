// How allocations get their contents (issue 16 item 5, load time): a device of mapped bytes fills the
// pattern in place and hashes it in the same pass; a pool built by a replay writes contents once, at the
// end, for what is still live; host memory refuses pages beyond a byte limit, so a pool too large for the
// machine is found before anything is written.
import Foundation
@testable import MemoryPools
import Testing

@Suite("Allocation contents: in-place fills, deferred writes, the host byte limit")
struct ContentWriteTests {
    @Test("the fused fill writes the pattern's bytes and returns their checksum, for every tail length",
          arguments: [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 1000, 4096, 4099])
    func fusedFillMatchesFillThenChecksum(size: Int) {
        for id in [0, 1, 17, -5, Int.max] {
            let expected = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 8)
            let actual = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1) + 3, alignment: 8)
            defer { expected.deallocate(); actual.deallocate() }
            let expectedBytes = UnsafeMutableRawBufferPointer(rebasing: expected[0..<size])
            AllocationPattern.fill(expectedBytes, id: id)
            // At an odd address, as an allocation at an odd offset is.
            let target = UnsafeMutableRawBufferPointer(rebasing: actual[3..<(3 + size)])
            let checksum = AllocationPattern.fillReturningChecksum(target, id: id)
            #expect(Array(target) == Array(expectedBytes), "id \(id), \(size) bytes")
            #expect(checksum == PageChecksum.compute(UnsafeRawBufferPointer(expectedBytes)), "id \(id), \(size) bytes")
            #expect(checksum == AllocationPattern.checksum(id: id, size: size))
        }
    }

    @Test("host memory writes an allocation's content in place: the page holds its pattern, the record its checksum")
    func hostWritesInPlace() throws {
        let device = HostPageDevice()
        let pool = MemoryPool(options: PoolOptions(pageSize: 1 << 20), device: device)
        let record = try pool.allocate(id: 42, size: 5000, alignment: 16)
        let bytes = try device.mappedRange(record.page, record.offset, record.size)
        var pattern = [UInt8](repeating: 0, count: 5000)
        pattern.withUnsafeMutableBytes { AllocationPattern.fill($0, id: 42) }
        #expect(Array(bytes) == pattern)
        #expect(record.checksum == AllocationPattern.checksum(id: 42, size: 5000))
        try pool.verifyAll()
    }

    /// Allocates 1...40 (sizes varying), frees every third, as a replay would, with contents deferred.
    private func deferredReplay<D: PageDevice>(on device: D) throws -> MemoryPool<D> {
        let pool = MemoryPool(options: PoolOptions(pageSize: 64 << 10), device: device)
        pool.deferPatterns()
        for id in 1...40 { try pool.allocate(id: id, size: 1000 + 97 * id, alignment: 64) }
        for id in stride(from: 3, through: 40, by: 3) { try pool.free(id: id) }
        return pool
    }

    @Test("deferred contents: nothing checks before they are written, every live allocation checks after")
    func deferredContentsVerify() throws {
        let device = HostPageDevice()
        let pool = try deferredReplay(on: device)
        #expect(throws: PoolError.self) { try pool.verify(id: 1) }
        try pool.writeDeferredPatterns()
        try pool.verifyAll()
        for id in 1...40 where id % 3 != 0 {
            let record = try #require(pool.record(id: id))
            #expect(record.checksum == AllocationPattern.checksum(id: id, size: record.size))
        }
        // New allocations are written at once again.
        let late = try pool.allocate(id: 100, size: 3000, alignment: 64)
        #expect(late.checksum == AllocationPattern.checksum(id: 100, size: 3000))
        try pool.verify(id: 100)
    }

    @Test("deferred contents on metadata: a token for each live allocation only, none for the freed ones")
    func deferredTokensOnlyForLive() throws {
        let device = MetadataPageDevice()
        let pool = try deferredReplay(on: device)
        #expect(device.spanCount == 0)
        try pool.writeDeferredPatterns()
        #expect(device.spanCount == pool.liveAllocationCount)
        try pool.verifyAll()
    }

    @Test("deferred contents over many pages: written several pages at once, progress heard between them")
    func deferredContentsConcurrently() throws {
        let device = HostPageDevice()
        #expect(device.writesPagesConcurrently)
        let pool = MemoryPool(options: PoolOptions(pageSize: 64 << 10), device: device)
        pool.deferPatterns()
        for id in 0..<400 { try pool.allocate(id: id, size: 900 + id % 7 * 300, alignment: 64) }
        for id in stride(from: 0, to: 400, by: 5) { try pool.free(id: id) }
        #expect(device.pageCount > 8, "more than one batch of pages")
        var calls = 0
        try pool.writeDeferredPatterns { calls += 1 }
        #expect(calls == (device.pageCount + 7) / 8)
        try pool.verifyAll()
        try pool.validate()
    }

    @Test("a stop thrown by progress leaves the pool valid; what was not written fails verification")
    func stopWhileWriting() throws {
        struct Stop: Error {}
        let device = HostPageDevice()
        let pool = MemoryPool(options: PoolOptions(pageSize: 64 << 10), device: device)
        pool.deferPatterns()
        for id in 0..<400 { try pool.allocate(id: id, size: 2000, alignment: 64) }
        #expect(throws: Stop.self) { try pool.writeDeferredPatterns { throw Stop() } }
        try pool.validate()
        let pageOrder = pool.pageIDs
        // The first batch of pages was written, the others were not.
        let written = Set(pageOrder.prefix(8)), records = (0..<400).compactMap { pool.record(id: $0) }
        for record in records {
            if written.contains(record.page) { try pool.verify(id: record.id) } else {
                #expect(throws: PoolError.self) { try pool.verify(id: record.id) }
            }
        }
    }

    @Test("deferred contents on a device of bytes that writes no content itself: the pool writes the pattern")
    func deferredContentsThroughWrite() throws {
        let device = PlainBytes()
        let pool = try deferredReplay(on: device)
        try pool.writeDeferredPatterns()
        try pool.verifyAll()
        #expect(device.writes == pool.liveAllocationCount)
    }

    @Test("a freed allocation's bytes are never written when contents are deferred")
    func freedRangeUntouched() throws {
        let device = HostPageDevice()
        let pool = MemoryPool(options: PoolOptions(pageSize: 1 << 20), device: device)
        pool.deferPatterns()
        let gone = try pool.allocate(id: 1, size: 8192, alignment: 64)
        try pool.allocate(id: 2, size: 8192, alignment: 64)
        // Mark the range, then free it: the mark must survive the deferred write.
        let range = try device.mappedRange(gone.page, gone.offset, gone.size)
        range.initializeMemory(as: UInt8.self, repeating: 0xA5)
        try pool.free(id: 1)
        try pool.writeDeferredPatterns()
        #expect(range.allSatisfy { $0 == 0xA5 })
        try pool.verify(id: 2)
    }

    @Test("without bytes to keep, deferring changes nothing")
    func deferWithoutBytes() throws {
        var options = PoolOptions(pageSize: 1 << 20)
        options.verifiesBytes = false
        let pool = MemoryPool(options: options, device: HostPageDevice())
        pool.deferPatterns()
        try pool.allocate(id: 1, size: 100, alignment: 1)
        try pool.verify(id: 1)
        try pool.writeDeferredPatterns()
        #expect(pool.record(id: 1)?.checksum == 0)
    }

    @Test("host memory refuses a page beyond its byte limit and says so; released pages make room again")
    func hostByteLimit() throws {
        let device = HostPageDevice()
        device.byteLimit = 3 << 20
        try device.createPage(0, size: 1 << 20)
        try device.createPage(1, size: 2 << 20)
        #expect(device.bytesInUse == 3 << 20 && !device.exceededByteLimit)
        #expect(throws: PageDeviceError.self) { try device.createPage(2, size: 1) }
        #expect(device.exceededByteLimit)
        #expect(device.pageCount == 2)
        device.destroyPage(1)
        #expect(device.bytesInUse == 1 << 20)
        try device.createPage(2, size: 2 << 20)
        #expect(device.bytesInUse == 3 << 20)
    }

    @Test("a pool over host memory with a byte limit fails on the page beyond it, with its pages released")
    func poolStopsAtTheLimit() throws {
        let device = HostPageDevice()
        device.byteLimit = 4 << 20
        do {
            let pool = MemoryPool(options: PoolOptions(pageSize: 1 << 20), device: device)
            pool.deferPatterns()
            var error: Error?
            for id in 0..<8 where error == nil {
                do { try pool.allocate(id: id, size: 1 << 20, alignment: 1) } catch let e { error = e }
            }
            let thrown = try #require(error as? PoolError)
            guard case .device = thrown else { Issue.record("expected a device error, got \(thrown)"); return }
            #expect(device.exceededByteLimit && device.pageCount == 4)
        }
        #expect(device.pageCount == 0 && device.bytesInUse == 0)
    }
}

/// Host memory without its own content writes: writes and checks go through `write` and `checksum`, one
/// call at a time.
private final class PlainBytes: PageDevice {
    let base = HostPageDevice()
    var writes = 0
    var name: String { "plain bytes" }
    var storesBytes: Bool { true }
    func createPage(_ page: Int, size: Int) throws { try base.createPage(page, size: size) }
    func destroyPage(_ page: Int) { base.destroyPage(page) }
    func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {}
    func unbindAllocation(_ allocation: Int) {}
    func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws {
        writes += 1
        try base.write(page: page, offset: offset, bytes: bytes)
    }
    func read(page: Int, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws { try base.read(page: page, offset: offset, into: buffer) }
    func copy(_ copies: [PageCopy]) throws { try base.copy(copies) }
    func checksum(page: Int, offset: Int, size: Int) throws -> UInt64 { try base.checksum(page: page, offset: offset, size: size) }
}
