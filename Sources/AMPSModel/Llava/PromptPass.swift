import AMPSCore
import Foundation

/// The clean pass of one prompt, kept whole so that perturbed and steered passes can
/// resume from any layer instead of recomputing the layers below it.
public final class PromptPass: @unchecked Sendable {
    public let input: ModelInput
    /// Residual stream entering layer l, for l in 0...L ([T, D] each); entry L is the
    /// output of the last layer (before the final norm).
    public let layerInputs: [Tensor]
    /// k_proj / v_proj outputs (before RoPE) of every layer, [T, kvDim] each.
    public let keys: [Tensor]
    public let values: [Tensor]
    /// Keys (after RoPE) and values of every layer for all T positions.
    public let cache: KVCache
    /// Logits at the last position, [V].
    public let logits: Tensor
    public let steering: Steering?

    init(input: ModelInput, layerInputs: [Tensor], keys: [Tensor], values: [Tensor], cache: KVCache, logits: Tensor, steering: Steering?) {
        self.input = input; self.layerInputs = layerInputs; self.keys = keys; self.values = values
        self.cache = cache; self.logits = logits; self.steering = steering
    }

    public var length: Int { input.length }
}

extension LlavaModel {
    /// The full forward pass of one prompt (batch 1), recording every layer.
    public func run(_ input: ModelInput, steering: Steering? = nil) -> PromptPass {
        let x = embeddings(input)
        let t = input.length, d = hiddenSize, L = layerCount
        let embeds = x.copy()
        let cache = KVCache(layers: L, batch: 1, capacity: t, kvDim: decoder.kvDim)
        var hooks = DecoderHooks()
        hooks.promptLength = t
        hooks.steering = steering
        hooks.captureResidual = Set(0..<L)
        hooks.captureKV = Set(0..<L)
        let cap = CapturedStates()
        decoder.forward(x, batch: 1, layers: 0..<L, cache: cache, hooks: hooks, captured: cap)
        let inputs = [embeds] + (0..<L).map { l in Tensor(borrowing: cap.residual[l]!.data, shape: [t, d], owner: cap.residual[l]!) }
        let logits = Tensor(zeros: [vocabSize])
        decoder.logits(ofResidual: x.data + (t - 1) * d, into: logits.data)
        return PromptPass(input: input, layerInputs: inputs, keys: (0..<L).map { cap.keys[$0]! },
                          values: (0..<L).map { cap.values[$0]! }, cache: cache, logits: logits, steering: steering)
    }

    /// The steered pass of a prompt whose clean pass is at hand, recorded like `run`:
    /// the layers below the first steered one are the clean pass's (steering adds nothing
    /// there), so only the layers from there up are computed. What the inspector does on
    /// every steering change.
    public func run(_ input: ModelInput, steering: Steering, resumingFrom clean: PromptPass) -> PromptPass {
        precondition(clean.input.ids == input.ids && clean.steering == nil, "resume needs the clean pass of the same prompt")
        let t = input.length, d = hiddenSize, L = layerCount
        let first = min(steering.vectors.keys.min() ?? L, L)
        let x = clean.layerInputs[first].copy()
        let cache = KVCache(layers: L, batch: 1, capacity: t, kvDim: decoder.kvDim)
        cache.fork(from: clean.cache, positions: t, layers: 0..<first)
        cache.length = 0
        var hooks = DecoderHooks()
        hooks.promptLength = t
        hooks.steering = steering
        hooks.captureResidual = Set(first..<L)
        hooks.captureKV = Set(first..<L)
        let cap = CapturedStates()
        decoder.forward(x, batch: 1, layers: first..<L, cache: cache, hooks: hooks, captured: cap)
        let inputs = Array(clean.layerInputs[...first])
            + (first..<L).map { l in Tensor(borrowing: cap.residual[l]!.data, shape: [t, d], owner: cap.residual[l]!) }
        let logits = Tensor(zeros: [vocabSize])
        decoder.logits(ofResidual: x.data + (t - 1) * d, into: logits.data)
        return PromptPass(input: input, layerInputs: inputs, keys: (0..<L).map { $0 < first ? clean.keys[$0] : cap.keys[$0]! },
                          values: (0..<L).map { $0 < first ? clean.values[$0] : cap.values[$0]! }, cache: cache, logits: logits,
                          steering: steering)
    }

    /// Last-position logits [V] of one prompt with nothing recorded: the plain (optionally
    /// steered) forward pass, for callers that need the answer and not the layers.
    public func lastLogits(_ input: ModelInput, steering: Steering? = nil) -> Tensor {
        lastLogits(input, steering: steering, sharing: nil).logits
    }

    /// Resumes the clean pass at `layer` for a batch of B variants, recomputing only the
    /// positions from `firstPosition` on (the earlier ones are untouched by anything the
    /// hooks add there). Returns last-position logits [B, V].
    public func resume(_ pass: PromptPass, fromLayer layer: Int, firstPosition s0: Int, batch b: Int, hooks extra: DecoderHooks) -> Tensor {
        let t = pass.length, d = hiddenSize, L = layerCount
        precondition(layer >= 0 && layer <= L && s0 >= 0 && s0 < t)
        let s = t - s0
        let x = Tensor(uninitialized: [b, s, d])
        for bi in 0..<b { (x.data + bi * s * d).update(from: pass.layerInputs[layer].data + s0 * d, count: s * d) }
        let cache = KVCache(layers: L, batch: b, capacity: t, kvDim: decoder.kvDim, used: layer..<L)
        cache.fork(from: pass.cache, positions: s0, layers: layer..<L)
        var hooks = extra
        hooks.promptLength = t
        hooks.identicalInputs = hooks.residualNoise == nil
        decoder.forward(x, batch: b, layers: layer..<L, cache: cache, hooks: hooks, lastRowOnly: true)
        let out = Tensor(zeros: [b, vocabSize])
        for bi in 0..<b { decoder.logits(ofResidual: x.data + (bi * s + s - 1) * d, into: out.data + bi * vocabSize) }
        return out
    }

    /// Last-position logits [N, V] with noise sample n added to K and V (k_proj / v_proj
    /// outputs) of `layer` at `positions`: noise [N, P, kvDim]. The pass's steering, if
    /// any, stays applied.
    public func logitsWithKVNoise(_ pass: PromptPass, layer: Int, positions: [Int], k: Tensor?, v: Tensor?) -> Tensor {
        let n = (k ?? v)!.shape[0]
        var hooks = DecoderHooks()
        hooks.steering = pass.steering
        hooks.kvNoise = KVNoise(layer: layer, positions: positions, k: k, v: v)
        return resume(pass, fromLayer: layer, firstPosition: positions.min() ?? 0, batch: n, hooks: hooks)
    }

    /// Last-position logits [N, V] with noise [N, P, D] added to the residual stream
    /// entering `layer` at `positions`.
    public func logitsWithResidualNoise(_ pass: PromptPass, layer: Int, positions: [Int], noise: Tensor) -> Tensor {
        var hooks = DecoderHooks()
        hooks.steering = pass.steering
        hooks.residualNoise = ResidualNoise(layer: layer, positions: positions, noise: noise)
        return resume(pass, fromLayer: layer, firstPosition: positions.min() ?? 0, batch: noise.shape[0], hooks: hooks)
    }

    /// Last-position logits [B, V] of an unsteered pass steered with B scales at once.
    public func logitsWithSteering(_ pass: PromptPass, steering: Steering, batch b: Int) -> Tensor {
        let first = steering.vectors.keys.min() ?? layerCount
        var hooks = DecoderHooks()
        hooks.steering = steering
        let s0: Int
        switch steering.positions {
        case .all: s0 = 0
        case let .positions(set, _): s0 = set.min() ?? (pass.length - 1)
        }
        return resume(pass, fromLayer: min(first, layerCount), firstPosition: min(s0, pass.length - 1), batch: b, hooks: hooks)
    }

    /// Logit lens: lm_head(final_norm(residual after `layer`)) at the last position, [V].
    public func logitLens(_ pass: PromptPass, layer: Int) -> Tensor {
        let out = Tensor(zeros: [vocabSize])
        decoder.logits(ofResidual: pass.layerInputs[layer + 1].data + (pass.length - 1) * hiddenSize, into: out.data)
        return out
    }

    /// Greedy decoding with a KV cache; stops at an end-of-sequence token. Steering, when
    /// given, acts on the prompt and on every generated token as its filter says.
    /// `afterPrefill` runs once the prompt is in the cache (benchmarks time decoding from there).
    public func generate(_ input: ModelInput, maxNewTokens: Int, steering: Steering? = nil, stopAtEOS: Bool = true,
                         afterPrefill: (() -> Void)? = nil) -> [Int] {
        let t = input.length, d = hiddenSize, L = layerCount
        let cache = KVCache(layers: L, batch: 1, capacity: t + maxNewTokens, kvDim: decoder.kvDim)
        var hooks = DecoderHooks()
        hooks.promptLength = t
        hooks.steering = steering
        let x = embeddings(input)
        decoder.forward(x, batch: 1, layers: 0..<L, cache: cache, hooks: hooks)
        let logits = Tensor(zeros: [vocabSize])
        decoder.logits(ofResidual: x.data + (t - 1) * d, into: logits.data)
        afterPrefill?()
        var out: [Int] = []
        let eos = eosTokenIds
        let step = Tensor(zeros: [1, 1, d])
        while out.count < maxNewTokens {
            let next = argmax(logits)
            out.append(next)
            if stopAtEOS && eos.contains(next) { break }
            if out.count == maxNewTokens { break }
            decoder.embedding.weightRow(next, into: step.data)
            decoder.forward(step, batch: 1, layers: 0..<L, cache: cache, hooks: hooks)
            decoder.logits(ofResidual: step.data, into: logits.data)
        }
        return out
    }
}

/// Index of the largest element (the first one on ties, as torch.argmax).
public func argmax(_ t: Tensor) -> Int {
    var best = 0
    for i in 1..<t.count where t.data[i] > t.data[best] { best = i }
    return best
}
