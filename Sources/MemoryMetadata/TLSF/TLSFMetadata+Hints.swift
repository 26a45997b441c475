// Where a node is stored, for callers that ask for memory ahead of an operation (the pool's replay of a
// trace frees random ids of a large pool: each free would otherwise wait on the node of its range).
extension TLSFMetadata {
    /// The address of the node `handle` names, for a prefetch hint only (nil: not a node of this page's
    /// table). Nothing may be read or written through it: the node may be free, released or another's.
    @_spi(Tables) public func nodeAddress(of handle: AllocationHandle) -> UnsafeRawPointer? {
        let i = Int(handle.index)
        guard handle.owner == owner, i < nodes.count else { return nil }
        return nodes.withValues { UnsafeRawPointer($0.baseAddress! + i) }
    }
}
