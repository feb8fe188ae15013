import AMPSCore
import Foundation

/// Upper bounds on what the batched passes allocate, so that a request can be refused
/// before anything is sized by it (`MemoryBudget.check`). Computed in Double: the sizes
/// come from the user (N, a grid's length, a token count) and must not overflow here.
extension LlavaModel {
    /// Bytes of one row's decoder scratch (`DecoderWorkspace`: the normed input, q, k, v,
    /// the attention output, gate and up).
    private var workspaceBytesPerRow: Double {
        let c = config.text
        let d = Double(c.hiddenSize), q = Double(c.heads) * Double(c.headDim)
        let kv = Double(decoder.kvDim), mlp = Double(c.intermediateSize)
        let floats: Double = 2 * d + 2 * q + 2 * kv + 2 * mlp
        return 4 * floats
    }

    /// What `resume` takes for `batch` variants of a prompt of `promptLength` tokens started
    /// at `layer` from position `firstPosition`: the residual rows [B, S, D], the forked KV
    /// cache of layers layer..<L [B, T, kvDim] twice, the decoder scratch of all B·S rows
    /// (the batch runs as one piece inside a parallel region), and the logits [B, V].
    public func resumedPassBytes(promptLength t: Int, fromLayer layer: Int, firstPosition s0: Int, batch b: Int) -> Double {
        let B = Double(b), T = Double(t), S = Double(max(1, t - s0)), layers = Double(max(0, layerCount - layer))
        let residual = B * S * Double(hiddenSize) * 4
        let cache = 2 * layers * B * T * Double(decoder.kvDim) * 4
        let scratch = B * S * workspaceBytesPerRow
        let logits = B * Double(vocabSize) * 4
        return residual + cache + scratch + logits
    }

    /// What `generate` takes up front: the KV cache of every layer for prompt and new
    /// tokens [T + new, kvDim] twice, and the prompt's scratch rows.
    public func generationBytes(promptLength t: Int, maxNewTokens n: Int) -> Double {
        let capacity = Double(t) + Double(n)
        return 2 * Double(layerCount) * capacity * Double(decoder.kvDim) * 4 + Double(t) * workspaceBytesPerRow
    }
}
