// VulkanPageDevice on the machine's Vulkan driver (lavapipe). Tests that need a device skip, with the reason,
// when there is none (and fail under DEFRAGSCOPE_REQUIRE_ALL=1: TestSupport's Requirement). Every suite is nested in one serialized suite: the no-driver case changes the
// process environment, and the leak checks count the Vulkan objects of the whole process.
import Testing
import Defragmentation  // through MemoryPools; the pool soak drives the engine
import MemoryPools
import TestSupport
@testable import VulkanPageDevice
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum VulkanAvailable {
    /// False only when there is no Vulkan device here (checked once; driver messages dropped): any other
    /// failure to open one leaves the tests enabled, so they fail and show it.
    static let yes: Bool = {
        do { _ = try VulkanPageDevice.openCapturingDriverMessages(); return true }
        catch let error as VulkanError where error.isNoDevice { return false }
        catch { return true }
    }()
}

/// What the tests that open a device need (a skip, or a failure under DEFRAGSCOPE_REQUIRE_ALL=1).
let vulkanDevice = Requirement.vulkan { VulkanAvailable.yes }

func openDevice() throws -> VulkanPageDevice {
    try VulkanPageDevice.openCapturingDriverMessages().device
}

/// Writes allocation `id`'s pattern at `offset` of `page`.
func fillPattern(_ device: some PageDevice, id: Int, page: Int, offset: Int, size: Int) throws {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
    defer { buffer.deallocate() }
    AllocationPattern.fill(buffer, id: id)
    try device.write(page: page, offset: offset, bytes: UnsafeRawBufferPointer(buffer))
}

func readBytes(_ device: some PageDevice, page: Int, offset: Int, size: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: size)
    try bytes.withUnsafeMutableBytes { try device.read(page: page, offset: offset, into: $0) }
    return bytes
}

/// Runs `body` with the environment variable `name` set to `value`, then restores it.
func withKnownEnvironment(_ name: String, _ value: String, _ body: () throws -> Void) rethrows {
    let saved = getenv(name).map { String(cString: $0) }
    setenv(name, value, 1)
    defer { if let saved { setenv(name, saved, 1) } else { unsetenv(name) } }
    try body()
}

/// The ledger's count of live Vulkan objects of `kind`.
func live(_ kind: VulkanObjectKind) -> Int { VulkanLedger.live[kind] ?? 0 }

@Suite("VulkanPageDevice", .serialized)
struct VulkanPageDeviceTests {

    @Suite("Errors and driver messages (no device needed)")
    struct WithoutDevice {
        @Test func errorNamesTheCallAndTheResult() {
            let error = VulkanError(call: "vkAllocateMemory", result: "VK_ERROR_OUT_OF_DEVICE_MEMORY")
            #expect(error.description == "vkAllocateMemory failed: VK_ERROR_OUT_OF_DEVICE_MEMORY")
            let withContext = VulkanError(call: "vkAllocateMemory", result: "VK_ERROR_OUT_OF_HOST_MEMORY", context: "4096 bytes for page 3")
            #expect(withContext.description == "vkAllocateMemory failed: VK_ERROR_OUT_OF_HOST_MEMORY (4096 bytes for page 3)")
            let noDevice = VulkanError(call: "vkCreateInstance", result: "VK_ERROR_INCOMPATIBLE_DRIVER", isNoDevice: true)
            #expect(noDevice.description == "no Vulkan device: install mesa-vulkan-drivers (lavapipe) [vkCreateInstance failed: VK_ERROR_INCOMPATIBLE_DRIVER]")
        }

        @Test func resultNamesComeFromTheHeader() {
            #expect(vulkanResultName(.init(rawValue: -2)) == "VK_ERROR_OUT_OF_DEVICE_MEMORY")
            #expect(vulkanResultName(.init(rawValue: -9)) == "VK_ERROR_INCOMPATIBLE_DRIVER")
            #expect(vulkanResultName(.init(rawValue: -123456)) == "VkResult(-123456)")
        }

        @Test func standardErrorIsCapturedAndRestored() throws {
            let (value, captured) = VulkanPageDevice.capturingStandardError { () -> Int in
                let text = "captured line\n"
                return text.withCString { write(2, $0, strlen($0)) }
            }
            #expect(value == 14)
            #expect(captured == "captured line\n")
            // fd 2 is back on what it was: a second capture sees only its own text.
            let (_, second) = VulkanPageDevice.capturingStandardError { "again".withCString { _ = write(2, $0, 5) } }
            #expect(second == "again")
        }

        /// The loader reads `VK_DRIVER_FILES` at `vkCreateInstance`, so changing it in this process simulates a
        /// machine without a driver. Nothing else in this test process opens a Vulkan device meanwhile.
        @Test func noDriverGivesTheInstallHint() {
            let before = VulkanLedger.totalLive
            withKnownEnvironment("VK_DRIVER_FILES", "/nonexistent.json") {
                // (The loader says why on standard error only when VK_LOADER_DEBUG was set at process start.)
                let result = VulkanPageDevice.capturingStandardError { Result { try VulkanPageDevice() } }.value
                #expect(throws: VulkanError.self) { try result.get() }
                guard case .failure(let error as VulkanError) = result else { return }
                #expect(error.isNoDevice)
                #expect(error.call == "vkCreateInstance")
                #expect(error.result == "VK_ERROR_INCOMPATIBLE_DRIVER")
                #expect(error.description.hasPrefix("no Vulkan device: install mesa-vulkan-drivers (lavapipe)"))
            }
            #expect(VulkanLedger.totalLive == before)
        }

        @Test(.requires(vulkanDevice))
        func theDriverIsFoundAgainOnceTheVariableIsRestored() throws {
            withKnownEnvironment("VK_DRIVER_FILES", "/nonexistent.json") {
                #expect(throws: VulkanError.self) { try VulkanPageDevice.capturingStandardError { Result { try VulkanPageDevice() } }.value.get() }
            }
            #expect(try openDevice().name.contains("llvmpipe"))
        }
    }

    @Suite("On a device", .requires(vulkanDevice))
    struct OnDevice {
        @Test func opensLavapipeByDefault() throws {
            // What the driver prints is captured process-wide, so in a parallel test run it may also hold
            // other tests' stderr: its content is checked where nothing else runs (the direct fd 2 test).
            let (device, _) = try VulkanPageDevice.openCapturingDriverMessages()
            #expect(device.name.contains("llvmpipe"))
            #expect(device.storesBytes)
            #expect(device.pageCount == 0)
        }

        @Test func aDeviceFilterThatMatchesNothingSaysWhatThereIs() throws {
            let before = VulkanLedger.totalLive
            do {
                _ = try VulkanPageDevice.capturingStandardError { Result { try VulkanPageDevice(deviceNameContains: "no-such-gpu") } }.value.get()
                Issue.record("a device named no-such-gpu opened")
            } catch let error as VulkanError {
                #expect(!error.isNoDevice)
                #expect(error.description.contains("no Vulkan device name contains \"no-such-gpu\""))
                #expect(error.description.contains("llvmpipe"))
            }
            #expect(VulkanLedger.totalLive == before, "the instance made for the search is destroyed")
        }

        @Test func aFilterPicksByNameIgnoringCase() throws {
            let device = try VulkanPageDevice.openCapturingDriverMessages(deviceNameContains: "LLVMPIPE").device
            #expect(device.name.contains("llvmpipe"))
        }

        @Test func createsAndDestroysPages() throws {
            let device = try openDevice()
            let memories = live(.memory)
            try device.createPage(0, size: 1 << 20)
            try device.createPage(7, size: 4096)
            #expect(device.pageCount == 2)
            #expect(live(.memory) == memories + 2)
            #expect(live(.mapping) == 2)
            #expect(throws: PageDeviceError.self) { try device.createPage(7, size: 4096) }
            #expect(throws: PageDeviceError.self) { try device.createPage(8, size: 0) }
            device.destroyPage(0)
            device.destroyPage(0)  // twice: no-op
            #expect(device.pageCount == 1)
            #expect(live(.memory) == memories + 1)
            device.destroyPage(7)
            #expect(live(.memory) == memories)
            #expect(live(.mapping) == 0)
            // The ids are free again.
            try device.createPage(7, size: 8192)
            #expect(device.pageCount == 1)
        }

        @Test func bindsAndUnbindsBuffers() throws {
            let device = try openDevice()
            try device.createPage(0, size: 65536)
            let buffers = live(.buffer)
            try device.bindAllocation(1, page: 0, offset: 0, size: 1000)
            try device.bindAllocation(2, page: 0, offset: 1024, size: 4096)
            try device.bindAllocation(3, page: 0, offset: 65536 - 16, size: 16)  // last bytes of the page
            try device.bindAllocation(4, page: 0, offset: 5136, size: 48)  // offset 16-aligned only
            #expect(device.boundAllocationCount == 4)
            #expect(device.bufferOffset(ofAllocation: 1) == 0)
            #expect(device.bufferOffset(ofAllocation: 4) == 5136 % device.bufferAlignment,
                    "an offset the buffer alignment does not divide is reached from inside a buffer bound below it")
            #expect(live(.buffer) == buffers + 4)
            #expect(throws: PageDeviceError.self) { try device.bindAllocation(1, page: 0, offset: 8192, size: 16) }
            #expect(throws: PageDeviceError.self) { try device.bindAllocation(5, page: 9, offset: 0, size: 16) }
            #expect(throws: PageDeviceError.self) { try device.bindAllocation(5, page: 0, offset: 65536 - 8, size: 16) }
            #expect(throws: PageDeviceError.self) { try device.bindAllocation(5, page: 0, offset: 0, size: 0) }
            #expect(live(.buffer) == buffers + 4, "a refused bind leaves no buffer behind")
            device.unbindAllocation(2)
            device.unbindAllocation(2)  // twice: no-op
            device.unbindAllocation(99)  // never bound: no-op
            #expect(device.boundAllocationCount == 3)
            #expect(live(.buffer) == buffers + 3)
            try device.bindAllocation(2, page: 0, offset: 2048, size: 64)  // the id can be bound again
            #expect(live(.buffer) == buffers + 4)
        }

        @Test func writesPatternsAndChecksumsThem() throws {
            let device = try openDevice()
            try device.createPage(3, size: 1 << 16)
            for (id, offset, size) in [(11, 0, 4096), (12, 4096, 777), (13, 8000, 1)] {
                try device.bindAllocation(id, page: 3, offset: offset, size: size)
                try fillPattern(device, id: id, page: 3, offset: offset, size: size)
                #expect(try device.checksum(page: 3, offset: offset, size: size) == AllocationPattern.checksum(id: id, size: size))
            }
            // read gives the bytes back exactly.
            let expected = UnsafeMutableRawBufferPointer.allocate(byteCount: 777, alignment: 8)
            defer { expected.deallocate() }
            AllocationPattern.fill(expected, id: 12)
            #expect(try readBytes(device, page: 3, offset: 4096, size: 777) == Array(expected))
            #expect(try device.checksum(page: 3, offset: 4096, size: 777) != AllocationPattern.checksum(id: 11, size: 777))
            #expect(throws: PageDeviceError.self) { try device.checksum(page: 3, offset: 65000, size: 1000) }
            #expect(throws: PageDeviceError.self) { try readBytes(device, page: 4, offset: 0, size: 1) }
        }

        /// A batch that copies between pages, within a page, from an unaligned offset and of odd sizes moves
        /// exactly the bytes the host device moves for the same batch.
        @Test func aBatchOfCopiesMovesBytesExactly() throws {
            let vulkan = try openDevice()
            let host = HostPageDevice()
            let pageSize = 1 << 18
            // (id, page, offset, size) of each source, and where its copy goes.
            let sources = [(1, 0, 0, 4096), (2, 0, 8192, 10_000), (3, 1, 0, 3000), (4, 1, 100_016, 48), (5, 0, 40_000, 65_536)]
            let destinations = [(101, 1, 65_536), (102, 0, 200_000), (103, 0, 120_000), (104, 1, 5008), (105, 1, 131_072)]
            var batch: [PageCopy] = []
            for device in [vulkan as any PageDevice, host] {
                try device.createPage(0, size: pageSize)
                try device.createPage(1, size: pageSize)
                // Both pages start with the same known bytes everywhere.
                try fillPattern(device, id: 1000, page: 0, offset: 0, size: pageSize)
                try fillPattern(device, id: 1001, page: 1, offset: 0, size: pageSize)
                batch = []
                for ((id, page, offset, size), (destinationID, destinationPage, destinationOffset)) in zip(sources, destinations) {
                    try device.bindAllocation(id, page: page, offset: offset, size: size)
                    try fillPattern(device, id: id, page: page, offset: offset, size: size)
                    try device.bindAllocation(destinationID, page: destinationPage, offset: destinationOffset, size: size)
                    batch.append(PageCopy(sourceAllocation: id, destinationAllocation: destinationID, sourcePage: page,
                                          sourceOffset: offset, destinationPage: destinationPage,
                                          destinationOffset: destinationOffset, size: size))
                }
                try device.copy(batch)
            }
            #expect(vulkan.bufferAlignment <= 16 || vulkan.bufferOffset(ofAllocation: 4)! > 0,
                    "the batch copies from inside a buffer")
            for c in batch {
                let expected = AllocationPattern.checksum(id: c.sourceAllocation, size: c.size)
                #expect(try vulkan.checksum(page: c.destinationPage, offset: c.destinationOffset, size: c.size) == expected,
                        "copy of \(c.sourceAllocation) arrived")
                #expect(try vulkan.checksum(page: c.sourcePage, offset: c.sourceOffset, size: c.size) == expected,
                        "source of \(c.sourceAllocation) untouched")
            }
            // Nothing else changed: every byte of both pages equals the host device's.
            for page in 0...1 {
                #expect(try readBytes(vulkan, page: page, offset: 0, size: pageSize) == readBytes(host, page: page, offset: 0, size: pageSize))
            }
        }

        @Test func aCopyOfAnAllocationNotBoundThereIsRefusedAndTheDeviceGoesOn() throws {
            let device = try openDevice()
            try device.createPage(0, size: 65536)
            try device.bindAllocation(1, page: 0, offset: 0, size: 256)
            try device.bindAllocation(2, page: 0, offset: 1024, size: 256)
            try fillPattern(device, id: 1, page: 0, offset: 0, size: 256)
            let good = PageCopy(sourceAllocation: 1, destinationAllocation: 2, sourcePage: 0, sourceOffset: 0,
                                destinationPage: 0, destinationOffset: 1024, size: 256)
            var unbound = good
            unbound.destinationAllocation = 3
            var misplaced = good
            misplaced.sourceOffset = 512
            #expect(throws: PageDeviceError.self) { try device.copy([good, unbound]) }
            #expect(throws: PageDeviceError.self) { try device.copy([misplaced]) }
            #expect(try device.checksum(page: 0, offset: 1024, size: 256) != AllocationPattern.checksum(id: 1, size: 256),
                    "a refused batch copies nothing")
            try device.copy([])
            try device.copy([good])
            #expect(try device.checksum(page: 0, offset: 1024, size: 256) == AllocationPattern.checksum(id: 1, size: 256))
        }

        @Test func aPageTooLargeFailsInAllocateMemoryAndTheDeviceGoesOn() throws {
            let device = try openDevice()
            let before = VulkanLedger.totalLive
            do {
                try device.createPage(0, size: 1 << 40)
                Issue.record("a 1 TiB page was created")
            } catch let error as VulkanError {
                #expect(error.call == "vkAllocateMemory")
                #expect(error.result?.hasPrefix("VK_ERROR_OUT_OF_") == true)
                #expect(error.description.hasPrefix("vkAllocateMemory failed: VK_ERROR_OUT_OF_"))
                #expect(error.description.contains("page 0"))
                #expect(!error.isNoDevice)
            }
            #expect(device.pageCount == 0)
            #expect(VulkanLedger.totalLive == before)
            // Usable afterwards, page id 0 included.
            try device.createPage(0, size: 4096)
            try device.createPage(1, size: 4096)
            try device.bindAllocation(1, page: 0, offset: 0, size: 4096)
            try device.bindAllocation(2, page: 1, offset: 0, size: 4096)
            try fillPattern(device, id: 1, page: 0, offset: 0, size: 4096)
            try device.copy([PageCopy(sourceAllocation: 1, destinationAllocation: 2, sourcePage: 0, sourceOffset: 0,
                                      destinationPage: 1, destinationOffset: 0, size: 4096)])
            #expect(try device.checksum(page: 1, offset: 0, size: 4096) == AllocationPattern.checksum(id: 1, size: 4096))
        }

        @Test func destroyingAPageDestroysItsBuffers() throws {
            let device = try openDevice()
            let buffers = live(.buffer), pageBuffers = live(.pageBuffer)
            try device.createPage(0, size: 65536)
            try device.createPage(1, size: 65536)
            #expect(live(.pageBuffer) == pageBuffers + 2, "a buffer over each whole page, for its copies")
            for id in 0..<10 { try device.bindAllocation(id, page: id % 2, offset: id * 1024, size: 1024) }
            #expect(live(.buffer) == buffers + 10)
            device.destroyPage(0)
            #expect(device.boundAllocationCount == 5)
            #expect(live(.buffer) == buffers + 5)
            #expect(live(.pageBuffer) == pageBuffers + 1)
            // The allocations of page 0 are gone: their ids bind again, elsewhere.
            try device.bindAllocation(0, page: 1, offset: 32768, size: 1024)
            device.unbindAllocation(1)  // still bound in page 1: unbinds
            #expect(device.boundAllocationCount == 5)
            device.destroyPage(1)
            #expect(device.boundAllocationCount == 0)
            #expect(live(.buffer) == buffers)
            #expect(live(.pageBuffer) == pageBuffers)
        }

        @Test func droppingTheDeviceDestroysEverything() throws {
            let before = VulkanLedger.totalLive
            do {
                let device = try openDevice()
                try device.createPage(0, size: 65536)
                try device.createPage(1, size: 65536)
                try device.bindAllocation(1, page: 0, offset: 0, size: 1024)
                try device.bindAllocation(2, page: 1, offset: 0, size: 1024)
                try device.copy([PageCopy(sourceAllocation: 1, destinationAllocation: 2, sourcePage: 0, sourceOffset: 0,
                                          destinationPage: 1, destinationOffset: 0, size: 1024)])
                #expect(VulkanLedger.totalLive == before + 1 + 1 + 1 + 1 + 1 + 2 + 2 + 2 + 2,
                        "instance, device, pool, command buffer, fence, 2 memories, 2 mappings, 2 allocation buffers, 2 page buffers")
            }
            #expect(VulkanLedger.totalLive == before, "\(VulkanLedger.live)")
        }

        @Test func twoHundredCyclesLeakNothing() throws {
            let device = try openDevice()
            let before = VulkanLedger.live
            for cycle in 0..<200 {
                let size = 4096 + (cycle % 7) * 512
                try device.createPage(cycle, size: 1 << 16)
                try device.createPage(cycle + 1000, size: 1 << 16)
                try device.bindAllocation(2 * cycle, page: cycle, offset: (cycle % 5) * 1024, size: size)
                try device.bindAllocation(2 * cycle + 1, page: cycle + 1000, offset: 8192, size: size)
                try fillPattern(device, id: 2 * cycle, page: cycle, offset: (cycle % 5) * 1024, size: size)
                try device.copy([PageCopy(sourceAllocation: 2 * cycle, destinationAllocation: 2 * cycle + 1, sourcePage: cycle,
                                          sourceOffset: (cycle % 5) * 1024, destinationPage: cycle + 1000,
                                          destinationOffset: 8192, size: size)])
                #expect(try device.checksum(page: cycle + 1000, offset: 8192, size: size) == AllocationPattern.checksum(id: 2 * cycle, size: size))
                if cycle % 2 == 0 { device.unbindAllocation(2 * cycle) }  // half unbind first, half go with the page
                device.destroyPage(cycle)
                device.destroyPage(cycle + 1000)
            }
            #expect(VulkanLedger.live == before)
            #expect(device.pageCount == 0 && device.boundAllocationCount == 0)
        }

        @Test func devicesOpenedAndDroppedLeakNothing() throws {
            let before = VulkanLedger.totalLive
            for _ in 0..<20 {
                let device = try openDevice()
                try device.createPage(0, size: 4096)
                try device.bindAllocation(0, page: 0, offset: 0, size: 4096)
            }
            #expect(VulkanLedger.totalLive == before)
        }
    }
}

/// The pool and the engine over Vulkan pages, as over host pages: random sizes and alignments (so buffers
/// land at offsets the buffer alignment does not divide, and at the ends of pages), frees, then whole
/// defragmentation runs, every live byte verified after every pass.
/// (Nested in the serialized suite: the no-driver test hides the driver from the whole process meanwhile.)
extension VulkanPageDeviceTests {
@Suite("In a pool", .requires(vulkanDevice))
struct InAPool {
    @Test(arguments: [Algorithm.fast, .full], [Dialect.memutils, .vma])
    func defragmentsAPoolAndEveryByteSurvives(algorithm: Algorithm, dialect: Dialect) throws {
        let objectsBefore = VulkanLedger.totalLive
        do {
            let device = try openDevice()
            var rng = SeededRandom(seed: 7)
            let pool = MemoryPool(options: PoolOptions(pageSize: 64 * 1024), device: device)
            var live: [Int] = []
            var nextID = 0
            var moves = 0
            for _ in 0..<3 {
                for _ in 0..<300 {
                    if live.isEmpty || rng.next() % 100 < 60 {
                        try pool.allocate(id: nextID, size: Int(rng.next() % 4096) + 1, alignment: 1 << Int(rng.next() % 9))
                        live.append(nextID)
                        nextID += 1
                    } else {
                        let k = Int(rng.next() % UInt64(live.count))
                        live.swapAt(k, live.count - 1)
                        try pool.free(id: live.removeLast())
                    }
                }
                #expect(device.boundAllocationCount == live.count)
                pool.beginDefragmentation()
                let context = MetadataDefragContext(blockList: pool, algorithm: algorithm, dialect: dialect) { try pool.complete($0) }
                try context.initialize()
                for _ in 0..<500 {
                    var pass = PassContext(maxPassBytes: .max, maxPassAllocations: .max)
                    context.collectMoves(&pass)
                    if context.moves.isEmpty { break }
                    moves += context.moves.count
                    try pool.device.copy(context.moves.map { pool.copy(for: $0) })
                    try context.completePass(&pass)
                    try pool.validate()
                    try pool.verifyAll()
                    #expect(device.boundAllocationCount == live.count, "temporary destinations are unbound")
                }
                pool.endDefragmentation()
                #expect(device.pageCount == pool.pageIDs.count)
            }
            #expect(moves > 0)
            #expect(pool.liveAllocationCount == live.count)
        }
        #expect(VulkanLedger.totalLive == objectsBefore)
    }
}
}
