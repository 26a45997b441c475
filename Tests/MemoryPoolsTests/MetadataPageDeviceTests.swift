// Pages without bytes (--backend metadata): content tokens are written, moved by copies and checked, so a
// pool on this device still catches a move that lands elsewhere or an allocation that is overwritten.
import Defragmentation
import Foundation
@testable import MemoryPools
import Testing

private func metadataPool(pageSize: Int = 1 << 20) -> (MemoryPool<MetadataPageDevice>, MetadataPageDevice) {
    let device = MetadataPageDevice()
    return (MemoryPool(options: PoolOptions(pageSize: pageSize), device: device), device)
}

@Suite("Metadata page device")
struct MetadataPageDeviceTests {
    @Test("allocations verify; the device keeps no bytes but counts the page bytes host memory would need")
    func verifiesWithoutBytes() throws {
        let (pool, device) = metadataPool(pageSize: 64 << 30)
        for id in 1...100 { try pool.allocate(id: id, size: 4096 * id, alignment: 256) }
        try pool.verifyAll()
        #expect(device.pageBytes == 64 << 30 && device.peakPageBytes == 64 << 30)
        #expect(device.spanCount == 100)
        var byte: UInt8 = 0
        #expect(throws: PageDeviceError.self) {
            try withUnsafeMutableBytes(of: &byte) { try device.read(page: 0, offset: 0, into: $0) }
        }
        try pool.free(id: 50)
        try pool.verifyAll()
    }

    @Test("a copy carries the token: the destination checks as the source did, the source stays intact")
    func copyMovesTheToken() throws {
        let device = MetadataPageDevice()
        try device.createPage(0, size: 1 << 20)
        try device.createPage(1, size: 1 << 20)
        let token = try #require(try device.writeContent(ofAllocation: 7, page: 0, offset: 4096, size: 1000))
        #expect(try device.checksum(page: 0, offset: 4096, size: 1000) == token)
        try device.copy([PageCopy(sourceAllocation: 7, destinationAllocation: 8, sourcePage: 0, sourceOffset: 4096,
                                  destinationPage: 1, destinationOffset: 0, size: 1000)])
        #expect(try device.checksum(page: 1, offset: 0, size: 1000) == token)
        #expect(try device.checksum(page: 0, offset: 4096, size: 1000) == token)
        // The same range read at another offset or length is not the allocation.
        #expect(try device.checksum(page: 1, offset: 256, size: 1000) != token)
        #expect(try device.checksum(page: 1, offset: 0, size: 999) != token)
        // Another allocation of the same size has another token.
        #expect(try device.writeContent(ofAllocation: 9, page: 0, offset: 8192, size: 1000) != token)
        device.destroyPage(1)
        #expect(device.pageBytes == 1 << 20 && device.peakPageBytes == 2 << 20)
        #expect(throws: PageDeviceError.self) { try device.checksum(page: 1, offset: 0, size: 1000) }
    }

    @Test("an allocation overwritten by a copy or a write fails verification; its neighbours do not")
    func overwriteIsCaught() throws {
        let (pool, device) = metadataPool()
        let a = try pool.allocate(id: 1, size: 4096, alignment: 256)
        let b = try pool.allocate(id: 2, size: 4096, alignment: 256)
        try pool.allocate(id: 3, size: 4096, alignment: 256)
        // A misdirected copy of 1 lands half over 2.
        try device.copy([PageCopy(sourceAllocation: 1, destinationAllocation: 99, sourcePage: a.page, sourceOffset: a.offset,
                                  destinationPage: b.page, destinationOffset: b.offset + 2048, size: 4096)])
        try pool.verify(id: 1)
        #expect(throws: PoolError.self) { try pool.verify(id: 2) }
        #expect(throws: PoolError.self) { try pool.verify(id: 3) }
        // Bytes written over 1's last byte break it too.
        let (pool2, device2) = metadataPool()
        let d = try pool2.allocate(id: 1, size: 4096, alignment: 256)
        try pool2.allocate(id: 2, size: 4096, alignment: 256)
        let junk: [UInt8] = [1]
        try junk.withUnsafeBytes { try device2.write(page: d.page, offset: d.offset + 4095, bytes: $0) }
        #expect(throws: PoolError.self) { try pool2.verify(id: 1) }
        try pool2.verify(id: 2)
    }

    @Test("one batch of copies into a page: each destination gets its source's token, what they cover is dropped, the rest stays")
    func batchOfCopies() throws {
        let device = MetadataPageDevice()
        try device.createPage(0, size: 1 << 20)
        try device.createPage(1, size: 1 << 20)
        var tokens: [Int: UInt64] = [:]
        for k in 0..<8 { tokens[k] = try device.writeContent(ofAllocation: k, page: 0, offset: k * 1024, size: 1024) }
        for k in 0..<8 { _ = try device.writeContent(ofAllocation: 100 + k, page: 1, offset: k * 1024, size: 1024) }
        // 0, 2 and 4 go to page 1 over 100..101 (half of each), 103 and 106; given out of order.
        func move(_ k: Int, to offset: Int) -> PageCopy {
            PageCopy(sourceAllocation: k, destinationAllocation: 50 + k, sourcePage: 0, sourceOffset: k * 1024,
                     destinationPage: 1, destinationOffset: offset, size: 1024)
        }
        try device.copy([move(4, to: 6 * 1024), move(0, to: 512), move(2, to: 3 * 1024)])
        #expect(try device.checksum(page: 1, offset: 512, size: 1024) == tokens[0])
        #expect(try device.checksum(page: 1, offset: 3 * 1024, size: 1024) == tokens[2])
        #expect(try device.checksum(page: 1, offset: 6 * 1024, size: 1024) == tokens[4])
        let intact = try [2, 4, 5, 7].map { try device.checksum(page: 1, offset: $0 * 1024, size: 1024) }
        let expected = try [2, 4, 5, 7].map { k -> UInt64 in
            let probe = MetadataPageDevice()
            try probe.createPage(1, size: 1 << 20)
            return try #require(try probe.writeContent(ofAllocation: 100 + k, page: 1, offset: k * 1024, size: 1024))
        }
        #expect(intact == expected, "100+k for k in 2, 4, 5, 7 untouched")
        #expect(device.spanCount == 8 + 7, "page 0's 8, page 1's 4 untouched and 3 arrived")
        // Destinations that overlap each other are applied in order: the later one wins, the earlier is gone.
        try device.copy([move(5, to: 20 * 1024), move(6, to: 20 * 1024 + 512)])
        #expect(try device.checksum(page: 1, offset: 20 * 1024 + 512, size: 1024) == tokens[6])
        #expect(try device.checksum(page: 1, offset: 20 * 1024, size: 1024) != tokens[5])
    }

    @Test("ranges outside a page are refused with the page and range named")
    func rangesAreChecked() throws {
        let device = MetadataPageDevice()
        try device.createPage(3, size: 4096)
        #expect(throws: PageDeviceError("metadata: range 4000+200 is outside page 3 of 4096 bytes")) {
            try device.writeContent(ofAllocation: 1, page: 3, offset: 4000, size: 200)
        }
        #expect(throws: PageDeviceError("metadata: page 4 does not exist")) { try device.checksum(page: 4, offset: 0, size: 1) }
        #expect(throws: PageDeviceError("metadata: page 3 exists already")) { try device.createPage(3, size: 1) }
    }
}
