import AMPSCore
import Foundation

/// One encoder layer (CLIP and SigLIP share it): pre-norm attention and MLP, both residual.
struct VisionEncoderLayer {
    let norm1W: Tensor, norm1B: Tensor, norm2W: Tensor, norm2B: Tensor
    let q: Linear, k: Linear, v: Linear, out: Linear
    let fc1: Linear, fc2: Linear
}

/// The vision transformer of a LLaVA checkpoint (`vision_tower.*`): CLIP (class token,
/// pre-layernorm, bias-free patch embedding) or SigLIP (no class token, no pre-layernorm,
/// patch embedding with bias).
public final class VisionTower: @unchecked Sendable {
    public let config: VisionConfig
    let patchWeight: Tensor      // [hidden, 3*p*p] — the conv kernel, (c, ky, kx) flattened
    let patchBias: Tensor?       // [hidden] (SigLIP)
    let classEmbedding: Tensor?  // [hidden] (CLIP)
    let positionEmbedding: Tensor // [tokens, hidden], tokens = patches (+1 with a class token)
    let preNormW: Tensor?, preNormB: Tensor?
    let layers: [VisionEncoderLayer]
    var hasClassToken: Bool { classEmbedding != nil }
    /// Tokens per image leaving the tower (patches, plus the class token for CLIP).
    public var tokenCount: Int { config.patchCount + (hasClassToken ? 1 : 0) }

    init(config c: VisionConfig, weights w: WeightStore, prefix p: String) throws {
        config = c
        let d = c.hiddenSize, ps = c.patchSize
        let conv = try w.tensor(p + "embeddings.patch_embedding.weight", shape: [d, 3, ps, ps])
        patchWeight = Tensor(borrowing: conv.data, shape: [d, 3 * ps * ps], owner: conv)
        switch c.kind {
        case .clip:
            patchBias = nil
            classEmbedding = try w.tensor(p + "embeddings.class_embedding", shape: [d])
            positionEmbedding = try w.tensor(p + "embeddings.position_embedding.weight", shape: [c.patchCount + 1, d])
            preNormW = try w.tensor(p + "pre_layrnorm.weight", shape: [d])
            preNormB = try w.tensor(p + "pre_layrnorm.bias", shape: [d])
        case .siglip:
            patchBias = try w.tensor(p + "embeddings.patch_embedding.bias", shape: [d])
            classEmbedding = nil
            positionEmbedding = try w.tensor(p + "embeddings.position_embedding.weight", shape: [c.patchCount, d])
            preNormW = nil; preNormB = nil
        }
        func linear(_ name: String, _ o: Int, _ i: Int) throws -> Linear {
            Linear(weight: try w.tensor(name + ".weight", shape: [o, i]), bias: try w.tensor(name + ".bias", shape: [o]))
        }
        layers = try (0..<c.layers).map { l in
            let lp = p + "encoder.layers.\(l)."
            return VisionEncoderLayer(
                norm1W: try w.tensor(lp + "layer_norm1.weight", shape: [d]), norm1B: try w.tensor(lp + "layer_norm1.bias", shape: [d]),
                norm2W: try w.tensor(lp + "layer_norm2.weight", shape: [d]), norm2B: try w.tensor(lp + "layer_norm2.bias", shape: [d]),
                q: try linear(lp + "self_attn.q_proj", d, d), k: try linear(lp + "self_attn.k_proj", d, d),
                v: try linear(lp + "self_attn.v_proj", d, d), out: try linear(lp + "self_attn.out_proj", d, d),
                fc1: try linear(lp + "mlp.fc1", c.intermediateSize, d), fc2: try linear(lp + "mlp.fc2", d, c.intermediateSize))
        }
    }

    /// Hidden states of a batch of images, as transformers' `hidden_states` tuple:
    /// index 0 is the embeddings (after the pre-layernorm for CLIP), index i the output
    /// of layer i. Only indices in `keep` are returned; layers past the largest are not run.
    ///   pixels [B, 3, H, W] -> each kept state [B, tokens, hidden]
    public func hiddenStates(_ pixels: Tensor, keep: Set<Int>) -> [Int: Tensor] {
        let c = config, d = c.hiddenSize, ps = c.patchSize, side = c.patchesPerSide
        let b = pixels.shape[0], t = tokenCount, rows = b * t
        let first = hasClassToken ? 1 : 0
        let h = c.imageSize
        let x = Tensor(zeros: [b, t, d])
        // Patch embedding as im2col + GEMM: patch (py, px) -> row [c, ky, kx].
        let cols = Tensor(zeros: [side * side, 3 * ps * ps])
        for bi in 0..<b {
            let img = pixels.data + bi * 3 * h * h
            for py in 0..<side {
                for px in 0..<side {
                    let row = cols.data + (py * side + px) * 3 * ps * ps
                    for ch in 0..<3 {
                        for ky in 0..<ps {
                            for kx in 0..<ps {
                                row[(ch * ps + ky) * ps + kx] = img[(ch * h + py * ps + ky) * h + px * ps + kx]
                            }
                        }
                    }
                }
            }
            let xb = x.data + bi * t * d
            if let cls = classEmbedding { xb.update(from: cls.data, count: d) }
            BLAS.gemmNT(m: side * side, n: d, k: 3 * ps * ps, a: cols.data, lda: 3 * ps * ps,
                        b: patchWeight.data, ldb: 3 * ps * ps, c: xb + first * d, ldc: d)
            if let pb = patchBias { for r in 0..<(side * side) { addVector(pb.data, into: xb + (first + r) * d, count: d) } }
            addVector(positionEmbedding.data, into: xb, count: t * d)
        }
        if let w = preNormW, let bias = preNormB {
            layerNorm(x.data, rows: rows, dim: d, weight: w.data, bias: bias.data, eps: c.layerNormEps, into: x.data)
        }
        var result: [Int: Tensor] = [:]
        if keep.contains(0) { result[0] = x.copy() }
        let last = keep.max() ?? 0
        guard last > 0 else { return result }
        let hN = Tensor(zeros: [rows, d]), q = Tensor(zeros: [rows, d])
        // K and V of even and odd layers apart: a block writes layer l + 1's while another
        // may still read layer l's.
        let ks = [Tensor(zeros: [rows, d]), Tensor(zeros: [rows, d])], vs = [Tensor(zeros: [rows, d]), Tensor(zeros: [rows, d])]
        let attn = Tensor(zeros: [rows, d]), mlp = Tensor(zeros: [rows, c.intermediateSize])
        // One image of many tokens: row blocks on separate workers, meeting once a layer
        // (attention needs every token's K and V): a block attends and finishes layer l,
        // then computes its K and V of layer l + 1. Otherwise each product splits itself.
        let split = b == 1 && t >= 2 * Parallel.minimumRowsPerWorker && Parallel.available
        let running = Array(layers.prefix(last))
        let runLayers = { [self] (workers: Parallel.Workers) in
            let parts = split ? Parallel.chunks(t, parts: workers.count) : [0..<rows]
            workers.run(parts.count) { i in
                keysAndValues(running[0], rows: parts[i], x: x, normed: hN, q: q, k: ks[0], v: vs[0])
            }
            for (li, layer) in running.enumerated() {
                workers.run(parts.count) { i in
                    let r = parts[i], k = ks[li % 2], v = vs[li % 2]
                    if split {
                        attend(queries: r, image: 0, q: q, k: k, v: v, out: attn)
                    } else {
                        for bi in 0..<b { attend(queries: 0..<t, image: bi, q: q, k: k, v: v, out: attn) }
                    }
                    finishLayer(layer, rows: r, x: x, attn: attn, normed: hN, mlp: mlp)
                    // (reads x, writes hN, q, k, v only: the copy below still sees layer li's output)
                    if li + 1 < running.count {
                        keysAndValues(running[li + 1], rows: r, x: x, normed: hN, q: q, k: ks[(li + 1) % 2], v: vs[(li + 1) % 2])
                    }
                }
                if keep.contains(li + 1) { result[li + 1] = x.copy() }
            }
        }
        if split { Parallel.reserve(runLayers) } else { runLayers(.caller) }
        return result
    }

    /// LayerNorm 1 and the Q/K/V products for `rows` of x [rows, hidden].
    private func keysAndValues(_ layer: VisionEncoderLayer, rows r: Range<Int>, x: Tensor, normed: Tensor, q: Tensor, k: Tensor, v: Tensor) {
        let d = config.hiddenSize, o = r.lowerBound * d
        layerNorm(x.data + o, rows: r.count, dim: d, weight: layer.norm1W.data, bias: layer.norm1B.data, eps: config.layerNormEps, into: normed.data + o)
        layer.q(normed.data + o, rows: r.count, into: q.data + o)
        layer.k(normed.data + o, rows: r.count, into: k.data + o)
        layer.v(normed.data + o, rows: r.count, into: v.data + o)
    }

    /// Bidirectional attention of the query rows `queries` of image `image` over all its tokens.
    private func attend(queries r: Range<Int>, image bi: Int, q: Tensor, k: Tensor, v: Tensor, out: Tensor) {
        let c = config, d = c.hiddenSize, t = tokenCount, hd = d / c.heads, o = bi * t * d
        multiHeadAttention(q: q.data + o + r.lowerBound * d, qLd: d, rows: r.count, heads: c.heads, kvHeads: c.heads, headDim: hd,
                           keys: k.data + o, values: v.data + o, kvLd: d, keyRows: t,
                           firstQueryPosition: 0, causal: false, scale: 1 / Float(hd).squareRoot(),
                           out: out.data + o + r.lowerBound * d, outLd: d)
    }

    /// x += out_proj(attn); x += fc2(act(fc1(LayerNorm 2 x))) for `rows`.
    private func finishLayer(_ layer: VisionEncoderLayer, rows r: Range<Int>, x: Tensor, attn: Tensor, normed: Tensor, mlp: Tensor) {
        let c = config, d = c.hiddenSize, f = c.intermediateSize, o = r.lowerBound * d
        layer.out(attn.data + o, rows: r.count, into: x.data + o, accumulate: true)
        layerNorm(x.data + o, rows: r.count, dim: d, weight: layer.norm2W.data, bias: layer.norm2B.data, eps: c.layerNormEps, into: normed.data + o)
        layer.fc1(normed.data + o, rows: r.count, into: mlp.data + r.lowerBound * f)
        c.activation.apply(mlp.data + r.lowerBound * f, count: r.count * f)
        layer.fc2(mlp.data + r.lowerBound * f, rows: r.count, into: x.data + o, accumulate: true)
    }
}

/// `multi_modal_projector`: linear, activation, linear.
public struct MultiModalProjector: @unchecked Sendable {
    let linear1: Linear, linear2: Linear
    let activation: Activation

    init(weights w: WeightStore, prefix p: String, inFeatures: Int, outFeatures: Int, activation: Activation, bias: Bool) throws {
        self.activation = activation
        linear1 = Linear(weight: try w.tensor(p + "linear_1.weight", shape: [outFeatures, inFeatures]),
                         bias: bias ? try w.tensor(p + "linear_1.bias", shape: [outFeatures]) : nil)
        linear2 = Linear(weight: try w.tensor(p + "linear_2.weight", shape: [outFeatures, outFeatures]),
                         bias: bias ? try w.tensor(p + "linear_2.bias", shape: [outFeatures]) : nil)
    }

    /// features [N, inFeatures] -> [N, outFeatures]
    func callAsFunction(_ features: Tensor) -> Tensor {
        let n = features.shape[0]
        let h = Tensor(zeros: [n, linear1.outFeatures])
        linear1(features.data, rows: n, into: h.data)
        activation.apply(h.data, count: h.count)
        let out = Tensor(zeros: [n, linear2.outFeatures])
        linear2(h.data, rows: n, into: out.data)
        return out
    }
}
