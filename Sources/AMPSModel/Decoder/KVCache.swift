import AMPSCore

/// Keys (after RoPE) and values of every decoder layer for a batch of sequences that
/// share one length. Allocated once for the longest sequence a run will reach.
public final class KVCache: @unchecked Sendable {
    public let batch: Int
    public let capacity: Int
    public let kvDim: Int
    public private(set) var keys: [Tensor]   // per layer [B, capacity, kvDim]
    public private(set) var values: [Tensor]
    /// Filled positions (the same for every batch element).
    public internal(set) var length: Int = 0

    /// Storage for the layers in `used` only (a pass resumed at layer l never touches the
    /// caches below it); positions are written before they are read, so nothing is zeroed.
    public init(layers: Int, batch: Int, capacity: Int, kvDim: Int, used: Range<Int>? = nil) {
        self.batch = batch; self.capacity = capacity; self.kvDim = kvDim
        let live = used ?? 0..<layers
        keys = (0..<layers).map { live.contains($0) ? Tensor(uninitialized: [batch, capacity, kvDim]) : Tensor(zeros: [0]) }
        values = (0..<layers).map { live.contains($0) ? Tensor(uninitialized: [batch, capacity, kvDim]) : Tensor(zeros: [0]) }
    }

    private init(batch: Int, capacity: Int, kvDim: Int, keys: [Tensor], values: [Tensor], length: Int) {
        self.batch = batch; self.capacity = capacity; self.kvDim = kvDim
        self.keys = keys; self.values = values; self.length = length
    }

    /// Batch elements `range`, sharing this cache's storage: one worker's share of a
    /// batched pass.
    public func slice(batch range: Range<Int>) -> KVCache {
        func part(_ t: Tensor) -> Tensor { t.count == 0 ? t : t.slice(first: range) }
        return KVCache(batch: range.count, capacity: capacity, kvDim: kvDim,
                       keys: keys.map(part), values: values.map(part), length: length)
    }

    /// Copies the first `positions` positions of sequence 0 of `source` into every batch
    /// element, for layers in `layers` — the clean prefix that perturbed passes share.
    public func fork(from source: KVCache, positions: Int, layers: Range<Int>) {
        precondition(positions <= source.length && positions <= capacity && kvDim == source.kvDim)
        for l in layers {
            for b in 0..<batch {
                (keys[l].data + b * capacity * kvDim).update(from: source.keys[l].data, count: positions * kvDim)
                (values[l].data + b * capacity * kvDim).update(from: source.values[l].data, count: positions * kvDim)
            }
        }
        length = positions
    }
}
