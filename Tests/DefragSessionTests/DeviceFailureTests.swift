// Device failures during a pass (issue 15 item 6): a bind or copy that fails for chosen allocations becomes
// a typed PassError in that pass's report, naming the allocation and the stage; the allocation stays where
// it was with its bytes intact; every other move of the pass completes; the pools validate; the run goes on
// or stops as the caller asks. Before, such failures were swallowed (`try?`) and became "does not fit", or
// surfaced a pass later as something else.
import Defragmentation
import DefragSession
import Foundation
import MemoryMetadata
import MemoryPools
import Testing
import TestSupport
import VulkanPageDevice
import Workloads

/// A device that passes everything to `base`, except the failures it is armed with.
final class FlakyDevice<Base: PageDevice>: PageDevice {
    let base: Base
    /// Binding one of these allocations (device ids: the pool's slots) fails: rebinding at completion.
    var failBindOf: Set<Int> = []
    /// The same, once each (binding it back where it was then works).
    var failBindOnceOf: Set<Int> = []
    /// Binding any allocation in one of these pages fails: a move's destination, while collecting.
    var failBindInPages: Set<Int> = []
    /// A copy whose source allocation is one of these fails (a batch holding one fails as a whole).
    var failCopyFrom: Set<Int> = []
    /// A batch of more than one copy fails as a whole (each copy alone works).
    var failBatches = false

    init(_ base: Base) { self.base = base }

    var name: String { "flaky " + base.name }
    var storesBytes: Bool { base.storesBytes }
    func createPage(_ page: Int, size: Int) throws { try base.createPage(page, size: size) }
    func destroyPage(_ page: Int) { base.destroyPage(page) }
    func bindAllocation(_ allocation: Int, page: Int, offset: Int, size: Int) throws {
        if failBindOf.contains(allocation) || failBindOnceOf.remove(allocation) != nil || failBindInPages.contains(page) {
            throw PageDeviceError("flaky: cannot bind allocation \(allocation) at offset \(offset) of page \(page)")
        }
        try base.bindAllocation(allocation, page: page, offset: offset, size: size)
    }
    func unbindAllocation(_ allocation: Int) { base.unbindAllocation(allocation) }
    func write(page: Int, offset: Int, bytes: UnsafeRawBufferPointer) throws { try base.write(page: page, offset: offset, bytes: bytes) }
    func read(page: Int, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws { try base.read(page: page, offset: offset, into: buffer) }
    func copy(_ copies: [PageCopy]) throws {
        if failBatches && copies.count > 1 {
            throw PageDeviceError("flaky: the batch of \(copies.count) copies failed")
        }
        if let bad = copies.first(where: { failCopyFrom.contains($0.sourceAllocation) }) {
            throw PageDeviceError("flaky: cannot copy allocation \(bad.sourceAllocation)")
        }
        try base.copy(copies)
    }
    func checksum(page: Int, offset: Int, size: Int) throws -> UInt64 { try base.checksum(page: page, offset: offset, size: size) }
}

private let checkerboard = Workload.trace(Scenario.checkerboard.trace(seed: 1))

private func session<D: PageDevice>(on device: D, _ configuration: EngineConfiguration = EngineConfiguration(algorithm: .full, dialect: .memutils)) throws -> DefragSession<D> {
    let s = try DefragSession(title: "checkerboard", configuration: configuration, verification: .all) {
        try checkerboard.makePools(device: device)
    }
    s.validatesAfterEachPass = true
    return s
}

/// The moves of the first pass on a healthy device (the run is deterministic).
private func firstPassMoves() throws -> [MoveRecord] {
    try #require(try session(on: HostPageDevice()).step()).moves
}

/// The slot (the device's allocation id, as deviceIDBase is 0) of the caller's allocation `id`.
private func slot<D>(of id: Int, in s: DefragSession<D>) throws -> Int {
    try #require(s.pools[0].records.firstIndex { $0.live && $0.id == id })
}

/// Checks that each move of `report` but those of `failed` completed (the allocation is at its
/// destination) and that the failed ones stayed at their source; every byte and the metadata check out.
private func expectOnlyTheseFailed<D>(_ report: PassReport, _ failed: Set<Int>, in s: DefragSession<D>) throws {
    #expect(Set(report.errors.compactMap { error -> Int? in if case .device(let id?, _, _, _) = error { return id }; return nil }) == failed)
    for move in report.moves {
        let record = try #require(s.pools[0].record(id: move.id))
        if failed.contains(move.id) {
            #expect(record.page == move.sourcePage && record.offset == move.sourceOffset, "allocation \(move.id) stays at its source")
        } else {
            #expect(record.page == move.destinationPage && record.offset == move.destinationOffset, "allocation \(move.id) moved")
        }
    }
    #expect(report.stats.allocationsMoved == report.moves.count - failed.count)
    #expect(report.stats.bytesMoved == report.moves.filter { !failed.contains($0.id) }.reduce(0) { $0 + $1.size })
    for pool in s.pools {
        try pool.validate()
        try pool.verifyAll()
    }
}

/// The first pass on a flaky device over `base`, armed by `arm` once the pools are built; it planned the
/// moves of a healthy run.
private func firstPass<B: PageDevice>(on base: B, arming arm: (FlakyDevice<B>, DefragSession<FlakyDevice<B>>) throws -> Void)
    throws -> (report: PassReport, session: DefragSession<FlakyDevice<B>>, device: FlakyDevice<B>) {
    let planned = try firstPassMoves()
    let device = FlakyDevice(base)
    let s = try session(on: device)
    try arm(device, s)
    let report = try #require(try s.step())
    #expect(report.moves == planned)
    return (report, s, device)
}

@Suite("Device failures in a pass", .serialized)
struct DeviceFailureTests {
    @Test("a copy that fails: that move fails with a device error, the batch's other copies and moves complete")
    func copyFailure() throws {
        let planned = try firstPassMoves()
        #expect(planned.count > 4)
        let chosen = Set([planned[1].id, planned[planned.count - 2].id])
        let (report, s, device) = try firstPass(on: HostPageDevice()) { device, s in
            device.failCopyFrom = Set(try chosen.map { try slot(of: $0, in: s) })
        }
        try expectOnlyTheseFailed(report, chosen, in: s)
        #expect(report.errors.count == 2)
        for error in report.errors {
            guard case .device(_, let pool, .copy, let reason) = error else { Issue.record("not a copy failure: \(error)"); continue }
            #expect(pool == "checkerboard" && reason.contains("flaky: cannot copy"))
        }
        #expect(s.notice == "2 move(s) failed in pass 1")
        // The caller chose to go on: the run finishes and the two allocations move later.
        device.failCopyFrom = []
        try s.runToCompletion(maxPasses: 1000)
        #expect(s.isFinished)
        for pool in s.pools { try pool.validate(); try pool.verifyAll() }
    }

    @Test("a batch that fails while each copy alone works: every move completes, the batch's failure is reported")
    func batchFailure() throws {
        let (report, s, _) = try firstPass(on: HostPageDevice()) { device, _ in device.failBatches = true }
        try expectOnlyTheseFailed(report, [], in: s)
        #expect(report.errors.count == 1)
        guard case .device(nil, "checkerboard", .copy, let reason)? = report.errors.first else {
            Issue.record("expected the batch's failure, got \(report.errors)")
            return
        }
        #expect(reason.contains("flaky: the batch of \(report.moves.count) copies failed") && reason.contains("each copy alone succeeded"))
    }

    @Test("a rebind at completion that fails: the move is undone, the allocation stays bound at its source")
    func rebindFailure() throws {
        let planned = try firstPassMoves()
        let chosen = Set([planned[0].id, planned[planned.count - 1].id])
        let (report, s, device) = try firstPass(on: HostPageDevice()) { device, s in
            device.failBindOnceOf = Set(try chosen.map { try slot(of: $0, in: s) })
        }
        try expectOnlyTheseFailed(report, chosen, in: s)
        #expect(report.errors.count == 2 && device.failBindOnceOf.isEmpty)
        for error in report.errors {
            guard case .device(_, _, .rebind, let reason) = error else { Issue.record("not a rebind failure: \(error)"); continue }
            #expect(reason.contains("binding allocation") && reason.contains("it stays at offset") && !reason.contains("not bound"))
        }
    }

    @Test("a rebind that fails, and binding back at the source too: the error says the allocation is not bound")
    func rebindAndRollbackFailure() throws {
        let planned = try firstPassMoves()
        let (report, s, _) = try firstPass(on: HostPageDevice()) { device, s in
            device.failBindOf = [try slot(of: planned[0].id, in: s)]
        }
        try expectOnlyTheseFailed(report, [planned[0].id], in: s)
        let error = try #require(report.errors.first)
        #expect(error.description.contains("device failure while rebinding") && error.description.contains("it is not bound"))
    }

    @Test("a page whose destinations cannot be bound: recorded while collecting, never 'does not fit'; other pages take the moves")
    func destinationBindFailure() throws {
        let device = FlakyDevice(HostPageDevice())
        let s = try session(on: device)
        let firstPage = try #require(s.pools[0].pageIDs.first)
        device.failBindInPages = [firstPage]
        var reports = try s.runToCompletion(maxPasses: 1000)
        #expect(s.isFinished)
        #expect(try s.step() == nil)
        let first = try #require(reports.first)
        #expect(!first.errors.isEmpty && !first.moves.isEmpty)
        reports.removeAll { $0.moves.isEmpty }
        for report in reports {
            #expect(report.moves.allSatisfy { $0.destinationPage != firstPage }, "no move made into the page that cannot bind")
            #expect(report.stats.allocationsMoved == report.moves.count, "each failure was a destination not taken: the moves made all completed")
            for error in report.errors {
                guard case .device(_, _, .bindDestination, let reason) = error else { Issue.record("not a destination bind failure: \(error)"); continue }
                #expect(reason.contains("page \(firstPage)"))
            }
        }
        for pool in s.pools { try pool.validate(); try pool.verifyAll() }
        #expect(try #require(s.pools[0].metadata(ofPage: firstPage)).allocations().count > 0, "the page still holds what it held")
    }

    @Test("the caller may stop at the first pass that reports a failure")
    func stopOnError() throws {
        let planned = try firstPassMoves()
        let device = FlakyDevice(HostPageDevice())
        let s = try session(on: device)
        device.failCopyFrom = [try slot(of: planned[0].id, in: s)]
        let reports = try s.runToCompletion(maxPasses: 1000, stopOnError: true)
        #expect(reports.count == 1 && reports[0].errors.count == 1 && !s.isFinished)
    }

    @Test("Vulkan: a failed copy in the batch fails only its move", .requires(.vulkan { vulkanAvailable }))
    func vulkanCopyFailure() throws {
        let planned = try firstPassMoves()
        let chosen = Set([planned[2].id])
        let (report, s, device) = try firstPass(on: try VulkanPageDevice.openCapturingDriverMessages().device) { device, s in
            device.failCopyFrom = Set(try chosen.map { try slot(of: $0, in: s) })
        }
        try expectOnlyTheseFailed(report, chosen, in: s)
        device.failCopyFrom = []
        try s.runToCompletion(maxPasses: 1000)
        for pool in s.pools { try pool.validate(); try pool.verifyAll() }
    }

    @Test("Vulkan: a rebind that fails is undone; every live allocation is bound exactly once afterwards",
          .requires(.vulkan { vulkanAvailable }))
    func vulkanRebindFailure() throws {
        let planned = try firstPassMoves()
        let chosen = Set([planned[0].id, planned[3].id])
        let (report, s, device) = try firstPass(on: try VulkanPageDevice.openCapturingDriverMessages().device) { device, s in
            device.failBindOnceOf = Set(try chosen.map { try slot(of: $0, in: s) })
        }
        try expectOnlyTheseFailed(report, chosen, in: s)
        #expect(device.base.boundAllocationCount == s.pools[0].liveAllocationCount, "no destination buffer left behind, no allocation unbound")
        try s.runToCompletion(maxPasses: 1000)
        #expect(device.base.boundAllocationCount == s.pools[0].liveAllocationCount)
        for pool in s.pools { try pool.validate(); try pool.verifyAll() }
    }

    @Test("a verification failure is in the report and thrown; the session stays usable")
    func verificationFailure() throws {
        let device = HostPageDevice()
        let s = try DefragSession(title: "checkerboard", configuration: EngineConfiguration(algorithm: .full, dialect: .memutils),
                                  verification: .all) { try checkerboard.makePools(device: device) }
        // Corrupt one byte of a live allocation that does not move in the first pass.
        let planned = try firstPassMoves()
        let moving = Set(planned.map(\.id))
        let victim = try #require(s.layout().first { !moving.contains($0.id) })
        var byte: UInt8 = 0
        try withUnsafeMutableBytes(of: &byte) { try device.read(page: victim.page, offset: victim.offset, into: $0) }
        byte ^= 0xff
        try withUnsafeBytes(of: byte) { try device.write(page: victim.page, offset: victim.offset, bytes: $0) }

        #expect(throws: PassError.self) { try s.step() }
        let report = try #require(s.history.last)
        #expect(report.number == 1 && report.moves == planned)
        let failure = try #require(report.errors.first)
        #expect(failure.isVerification && failure.description.contains("allocation \(victim.id)"))
        #expect(s.notice == "1 move(s) failed in pass 1")
    }
}
