import AMPSCore
import Foundation

/// A finished plain pass kept for its keys and values, so that the next prompt that opens
/// with the same tokens, image and steering computes only the rows after that prefix.
///
/// Why it pays: the two option orders (and the instruction variants) of one instance
/// share everything up to "A. …" — the image and the text context, nine tenths of the
/// prompt — and causal attention makes those rows' states independent of what follows.
public final class SharedPrefix: @unchecked Sendable {
    let ids: [Int]
    let pixels: Tensor?
    let steering: Steering?
    let cache: KVCache

    init(ids: [Int], pixels: Tensor?, steering: Steering?, cache: KVCache) {
        self.ids = ids; self.pixels = pixels; self.steering = steering; self.cache = cache
    }

    /// How many leading positions of `input` (steered by `steering`) have exactly this
    /// pass's keys and values; at most input.length - 1, so the last row is always computed.
    func reusableLength(_ input: ModelInput, steering other: Steering?) -> Int {
        guard sameImage(input.pixelValues), Steering.sameEffect(steering, other) else { return 0 }
        // Position filters name absolute positions: past the prompt they mean "generated",
        // so prompts of different lengths share nothing under one.
        if case .positions = other?.positions, ids.count != input.length { return 0 }
        let limit = min(ids.count, input.length - 1)
        var p = 0
        while p < limit && ids[p] == input.ids[p] { p += 1 }
        return p
    }

    private func sameImage(_ other: Tensor?) -> Bool {
        switch (pixels, other) {
        case (nil, nil): return true
        case let (a?, b?): return a.hasSameValues(as: b)
        default: return false
        }
    }
}

extension Steering {
    /// Whether two steerings add the same thing at every position (same vector objects,
    /// scales and filter).
    static func sameEffect(_ a: Steering?, _ b: Steering?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (x?, y?):
            return x.scales == y.scales && x.positions == y.positions && x.vectors.count == y.vectors.count
                && x.vectors.allSatisfy { l, v in y.vectors[l] === v }
        default: return false
        }
    }
}

extension LlavaModel {
    /// Last-position logits [V] of a plain (optionally steered) pass, resuming after the
    /// rows it shares with `prefix` (a previous call's result); also returns this pass,
    /// to share with the next. Equal to `lastLogits(input, steering:)`.
    public func lastLogits(_ input: ModelInput, steering: Steering? = nil, sharing prefix: SharedPrefix?) -> (logits: Tensor, pass: SharedPrefix) {
        let t = input.length, d = hiddenSize, L = layerCount
        let p = prefix?.reusableLength(input, steering: steering) ?? 0
        let full = embeddings(input)
        let x = Tensor(copying: full.data + p * d, shape: [t - p, d])
        let cache = KVCache(layers: L, batch: 1, capacity: t, kvDim: decoder.kvDim)
        if let prefix, p > 0 { cache.fork(from: prefix.cache, positions: p, layers: 0..<L) }
        var hooks = DecoderHooks()
        hooks.promptLength = t
        hooks.steering = steering
        decoder.forward(x, batch: 1, layers: 0..<L, cache: cache, hooks: hooks, lastRowOnly: true)
        let logits = Tensor(zeros: [vocabSize])
        decoder.logits(ofResidual: x.data + (t - p - 1) * d, into: logits.data)
        return (logits, SharedPrefix(ids: input.ids, pixels: input.pixelValues, steering: steering, cache: cache))
    }
}
