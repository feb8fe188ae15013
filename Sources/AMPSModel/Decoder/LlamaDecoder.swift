import AMPSCore
import Foundation

/// One Llama decoder layer's weights.
struct LlamaLayer {
    let inputNorm: Tensor, postAttentionNorm: Tensor
    let q: Linear, k: Linear, v: Linear, o: Linear
    let gate: Linear, up: Linear, down: Linear
}

/// Scratch buffers of one forward call, sized for B*S rows, reused by every layer.
final class DecoderWorkspace {
    let normed, q, k, v, attn, gate, up: Tensor
    init(rows: Int, config c: TextConfig) {
        normed = Tensor(uninitialized: [rows, c.hiddenSize])
        q = Tensor(uninitialized: [rows, c.heads * c.headDim])
        k = Tensor(uninitialized: [rows, c.kvHeads * c.headDim])
        v = Tensor(uninitialized: [rows, c.kvHeads * c.headDim])
        attn = Tensor(uninitialized: [rows, c.heads * c.headDim])
        gate = Tensor(uninitialized: [rows, c.intermediateSize])
        up = Tensor(uninitialized: [rows, c.intermediateSize])
    }
}

/// The decoder of a LLaVA checkpoint (`language_model.*`): embeddings, layers, final
/// RMSNorm and lm_head. Llama, Qwen2 (q/k/v biases) and Mistral share this structure.
public final class LlamaDecoder: @unchecked Sendable {
    public let config: TextConfig
    /// The token embedding table [V, D] (a Linear so that a tied lm_head shares it, bf16 or f32).
    let embedding: Linear
    let layers: [LlamaLayer]
    public let finalNorm: Tensor     // [D]
    public let lmHead: Linear        // [V, D]
    let rope: RotaryEmbedding
    public var kvDim: Int { config.kvHeads * config.headDim }
    public var layerCount: Int { config.layers }

    init(config c: TextConfig, weights w: WeightStore, prefix p: String, lmHeadName: String?) throws {
        config = c
        let d = c.hiddenSize, qd = c.heads * c.headDim, kvd = c.kvHeads * c.headDim, f = c.intermediateSize
        func linear(_ name: String, _ o: Int, _ i: Int, bias: Bool) throws -> Linear {
            try w.linear(name + ".weight", out: o, in: i, bias: bias ? name + ".bias" : nil)
        }
        // Tied, the table is also the lm_head (read by every decoding step): bf16 if stored so.
        let tied = lmHeadName == nil || c.tieWordEmbeddings
        embedding = tied ? try linear(p + "embed_tokens", c.vocabSize, d, bias: false)
                         : Linear(weight: try w.tensor(p + "embed_tokens.weight", shape: [c.vocabSize, d]), bias: nil)
        layers = try (0..<c.layers).map { l in
            let lp = p + "layers.\(l)."
            return LlamaLayer(
                inputNorm: try w.tensor(lp + "input_layernorm.weight", shape: [d]),
                postAttentionNorm: try w.tensor(lp + "post_attention_layernorm.weight", shape: [d]),
                q: try linear(lp + "self_attn.q_proj", qd, d, bias: c.qkvBias),
                k: try linear(lp + "self_attn.k_proj", kvd, d, bias: c.qkvBias),
                v: try linear(lp + "self_attn.v_proj", kvd, d, bias: c.qkvBias),
                o: try linear(lp + "self_attn.o_proj", d, qd, bias: c.outputBias),
                gate: try linear(lp + "mlp.gate_proj", f, d, bias: c.mlpBias),
                up: try linear(lp + "mlp.up_proj", f, d, bias: c.mlpBias),
                down: try linear(lp + "mlp.down_proj", d, f, bias: c.mlpBias))
        }
        finalNorm = try w.tensor(p + "norm.weight", shape: [d])
        if let lmHeadName, !tied {
            lmHead = try w.linear(lmHeadName, out: c.vocabSize, in: d, bias: nil)
        } else {
            lmHead = embedding
        }
        rope = RotaryEmbedding(headDim: c.headDim, theta: c.ropeTheta)
    }

    /// Token embeddings: ids [T] -> [T, D].
    public func embed(_ ids: [Int]) -> Tensor {
        let d = config.hiddenSize
        let out = Tensor(zeros: [ids.count, d])
        for (i, id) in ids.enumerated() { embedding.weightRow(id, into: out.data + i * d) }
        return out
    }

    /// Runs decoder layers `layerRange` on the S new rows of each of B sequences.
    ///   x     [B, S, D]  residual stream entering layer layerRange.lowerBound; updated in place
    ///   cache keys/values of positions < cache.length for every layer in the range; the
    ///         new rows' keys/values are appended and cache.length advances by S
    /// The new rows sit at absolute positions cache.length ..< cache.length + S. Running the
    /// layers in several calls (to stop at or resume from a layer) passes advance: false
    /// to all but the last.
    ///
    /// With `lastRowOnly` the caller reads nothing but each sequence's last row after the
    /// call, so the range's final layer computes K and V for every row (the cache needs
    /// them) and the rest for the B last rows alone; the other rows of x are then left as
    /// they entered that layer.
    public func forward(_ x: Tensor, batch b: Int, layers layerRange: Range<Int>, cache: KVCache,
                        hooks: DecoderHooks = DecoderHooks(), captured: CapturedStates? = nil, advance: Bool = true,
                        lastRowOnly: Bool = false) {
        let c = config, d = c.hiddenSize, kvd = kvDim
        let s = x.count / (b * d)
        let past = cache.length
        precondition(past + s <= cache.capacity, "KV cache capacity \(cache.capacity) exceeded")
        precondition(!lastRowOnly || captured == nil, "captures need every row")
        if b > 1, captured == nil, Parallel.available {
            // Sequences are independent: workers take whole sequences of the batch, a few
            // hundred rows at a time so that a part's activations stay in the core's cache
            // through the layer (halves of a 32-sequence batch ran ~20 % slower).
            // A multiple of the worker count, so that no worker is left with one part more.
            let w = Parallel.workers, wanted = (b * s + LlamaDecoder.rowsPerPart - 1) / LlamaDecoder.rowsPerPart
            let parts = Parallel.chunks(b, parts: max(1, (wanted + w - 1) / w) * w)
            try! Parallel.forEach(parts.count) { i in
                let r = parts[i]
                forward(Tensor(borrowing: x.data + r.lowerBound * s * d, shape: [r.count, s, d], owner: x), batch: r.count,
                        layers: layerRange, cache: cache.slice(batch: r), hooks: hooks.slice(batch: r), advance: false,
                        lastRowOnly: lastRowOnly)
            }
            if advance { cache.length = past + s }
            return
        }
        if let captured {
            for l in layerRange {
                if hooks.captureResidual.contains(l) { captured.residual[l] = Tensor(uninitialized: [b, s, d]) }
                if hooks.captureKV.contains(l) {
                    captured.keys[l] = Tensor(uninitialized: [b, s, kvd])
                    captured.values[l] = Tensor(uninitialized: [b, s, kvd])
                }
            }
        }
        // One sequence of many rows: row blocks on separate workers, meeting once a layer
        // (all keys and values must be written before any block attends to them): a block
        // attends and finishes layer l, then writes its keys and values of layer l + 1.
        let split = b == 1 && s >= 2 * Parallel.minimumRowsPerWorker && Parallel.available
        func shared(_ l: Int) -> Bool { hooks.identicalInputs && b > 1 && l == layerRange.lowerBound }
        let layersOnWorkers = { [self] (workers: Parallel.Workers) in
            let parts = split ? causalBlocks(rows: s, past: past, parts: workers.count) : [0..<s]
            let ws = parts.map { DecoderWorkspace(rows: b * $0.count, config: c) }
            let scale = 1 / Float(c.headDim).squareRoot()
            func writeKeysValues(_ l: Int, _ i: Int) {
                let r = parts[i]
                self.writeKeysValues(x.data + r.lowerBound * d, batch: b, rows: r.count, rowOffset: r.lowerBound, layer: l, past: past,
                                     cache: cache, hooks: hooks, captured: captured, shared: shared(l), ws: ws[i])
            }
            guard let first = layerRange.first else { return }
            workers.run(parts.count) { i in writeKeysValues(first, i) }
            for l in layerRange {
                if lastRowOnly && l == layerRange.upperBound - 1 {
                    // Only the B last rows go on: gather them, run them, write them back.
                    let lw = ws[ws.count - 1], lastRows = parts[parts.count - 1].count
                    let h = Tensor(uninitialized: [b, d]), hn = Tensor(uninitialized: [b, d])
                    for bi in 0..<b {
                        (h.data + bi * d).update(from: x.data + (bi * s + s - 1) * d, count: d)
                        (hn.data + bi * d).update(from: lw.normed.data + (bi * lastRows + lastRows - 1) * d, count: d)
                    }
                    attend(hn.data, batch: b, queryRows: 1, firstQueryPosition: past + s - 1, keyRows: past + s, layer: l,
                           cache: cache, scale: scale, shared: shared(l), ws: lw)
                    finishLayer(h.data, batch: b, rows: 1, firstPosition: past + s - 1, layer: l, hooks: hooks, ws: lw)
                    for bi in 0..<b { (x.data + (bi * s + s - 1) * d).update(from: h.data + bi * d, count: d) }
                    continue
                }
                workers.run(parts.count) { i in
                    let r = parts[i]
                    // Causal: a block's queries see keys up to its own last row.
                    attend(ws[i].normed.data, batch: b, queryRows: r.count, firstQueryPosition: past + r.lowerBound,
                           keyRows: past + r.upperBound, layer: l, cache: cache, scale: scale, shared: shared(l), ws: ws[i])
                    finishLayer(x.data + r.lowerBound * d, batch: b, rows: r.count, firstPosition: past + r.lowerBound, layer: l,
                                hooks: hooks, ws: ws[i])
                    if let captured, let t = captured.residual[l] {
                        (t.data + r.lowerBound * d).update(from: x.data + r.lowerBound * d, count: b * r.count * d)
                    }
                    if l + 1 < layerRange.upperBound { writeKeysValues(l + 1, i) }
                }
            }
        }
        // Unsplit, the workers are not reserved: the products inside may split themselves.
        if split { Parallel.reserve(layersOnWorkers) } else { layersOnWorkers(.caller) }
        if advance { cache.length = past + s }
    }

    /// Row blocks of equal work: every row costs the same products, plus attention over
    /// the keys up to its own position, so later blocks get fewer rows.
    func causalBlocks(rows s: Int, past: Int, parts: Int) -> [Range<Int>] {
        let c = config, d = c.hiddenSize, qd = c.heads * c.headDim
        let perRow = Double(d * (2 * qd + 2 * kvDim) + 3 * d * c.intermediateSize)  // multiply-adds
        let perKey = Double(2 * qd)
        func cost(_ i: Int) -> Double { Double(i) * perRow + perKey * (Double(past) * Double(i) + Double(i) * Double(i + 1) / 2) }
        let total = cost(s)
        var bounds = [0]
        for p in 1..<parts {
            var lo = bounds.last!, hi = s
            while lo < hi { let mid = (lo + hi) / 2; if cost(mid) < total * Double(p) / Double(parts) { lo = mid + 1 } else { hi = mid } }
            bounds.append(lo)
        }
        bounds.append(s)
        return zip(bounds, bounds.dropFirst()).map { $0..<$1 }.filter { !$0.isEmpty }
    }

    /// Rows a worker takes at a time from a batch (activations of ~256 rows x a few
    /// hundred features fit a core's L2 cache).
    static let rowsPerPart = 256

    /// The first half of layer l for R rows of each of B sequences, x [B, R, D] (B = 1 when
    /// the rows are a block at row offset `rowOffset` of a longer sequence): residual
    /// noise, input RMSNorm (kept in ws.normed for the queries), K and V with their noise
    /// and capture hooks, RoPE on K, and K/V written to the cache.
    private func writeKeysValues(_ x: UnsafeMutablePointer<Float>, batch b: Int, rows r: Int, rowOffset: Int, layer l: Int,
                                 past: Int, cache: KVCache, hooks: DecoderHooks, captured: CapturedStates?, shared: Bool,
                                 ws: DecoderWorkspace) {
        let c = config, d = c.hiddenSize, kvd = kvDim, rows = b * r, first = past + rowOffset
        let layer = layers[l]
        if let rn = hooks.residualNoise, rn.layer == l { addAtPositions(rn.noise, to: x, batch: b, rows: r, dim: d, past: first, positions: rn.positions) }
        let once = shared ? r : rows  // with identical inputs, sequence 0 stands for all
        rmsNorm(x, rows: once, dim: d, weight: layer.inputNorm.data, eps: c.rmsNormEps, into: ws.normed.data)
        layer.k(ws.normed.data, rows: once, into: ws.k.data)
        layer.v(ws.normed.data, rows: once, into: ws.v.data)
        if shared {
            for bi in 1..<b {
                (ws.normed.data + bi * r * d).update(from: ws.normed.data, count: r * d)
                (ws.k.data + bi * r * kvd).update(from: ws.k.data, count: r * kvd)
                (ws.v.data + bi * r * kvd).update(from: ws.v.data, count: r * kvd)
            }
        }
        if let kn = hooks.kvNoise, kn.layer == l {
            if let nk = kn.k { addAtPositions(nk, to: ws.k.data, batch: b, rows: r, dim: kvd, past: first, positions: kn.positions) }
            if let nv = kn.v { addAtPositions(nv, to: ws.v.data, batch: b, rows: r, dim: kvd, past: first, positions: kn.positions) }
        }
        if let captured, let ck = captured.keys[l], let cv = captured.values[l] {
            (ck.data + rowOffset * kvd).update(from: ws.k.data, count: rows * kvd)
            (cv.data + rowOffset * kvd).update(from: ws.v.data, count: rows * kvd)
        }
        rope.apply(ws.k.data, rows: rows, heads: c.kvHeads, ld: kvd, firstPosition: first, batchRows: r)
        let kc = cache.keys[l], vc = cache.values[l]
        for bi in 0..<b {
            let base = bi * cache.capacity * kvd
            (kc.data + base + first * kvd).update(from: ws.k.data + bi * r * kvd, count: r * kvd)
            (vc.data + base + first * kvd).update(from: ws.v.data + bi * r * kvd, count: r * kvd)
        }
    }

    /// Queries of R rows per sequence from their normed residual [B, R, D], RoPE at
    /// positions firstQueryPosition..., and causal attention over the cached keys of
    /// layer l -> ws.attn [B, R, H*hd].
    private func attend(_ normed: UnsafePointer<Float>, batch b: Int, queryRows r: Int, firstQueryPosition: Int, keyRows: Int,
                        layer l: Int, cache: KVCache, scale: Float, shared: Bool, ws: DecoderWorkspace) {
        let c = config, hd = c.headDim, kvd = kvDim, qd = c.heads * hd
        layers[l].q(normed, rows: shared ? r : b * r, into: ws.q.data)
        if shared { for bi in 1..<b { (ws.q.data + bi * r * qd).update(from: ws.q.data, count: r * qd) } }
        rope.apply(ws.q.data, rows: b * r, heads: c.heads, ld: qd, firstPosition: firstQueryPosition, batchRows: r)
        let kc = cache.keys[l], vc = cache.values[l]
        for bi in 0..<b {
            let base = bi * cache.capacity * kvd
            multiHeadAttention(q: ws.q.data + bi * r * qd, qLd: qd, rows: r, heads: c.heads, kvHeads: c.kvHeads, headDim: hd,
                               keys: kc.data + base, values: vc.data + base, kvLd: kvd, keyRows: keyRows,
                               firstQueryPosition: firstQueryPosition, causal: true, scale: scale, out: ws.attn.data + bi * r * qd, outLd: qd)
        }
    }

    /// The second half of layer l on R rows per sequence of the residual h [B, R, D]:
    /// h += o_proj(ws.attn); h += MLP(RMSNorm h); then the steering hook at the rows'
    /// positions firstPosition...
    private func finishLayer(_ h: UnsafeMutablePointer<Float>, batch b: Int, rows r: Int, firstPosition: Int, layer l: Int,
                             hooks: DecoderHooks, ws: DecoderWorkspace) {
        let c = config, d = c.hiddenSize, rows = b * r
        let layer = layers[l]
        layer.o(ws.attn.data, rows: rows, into: h, accumulate: true)
        rmsNorm(h, rows: rows, dim: d, weight: layer.postAttentionNorm.data, eps: c.rmsNormEps, into: ws.normed.data)
        layer.gate(ws.normed.data, rows: rows, into: ws.gate.data)
        layer.up(ws.normed.data, rows: rows, into: ws.up.data)
        gatedActivation(c.activation, gate: ws.gate.data, up: ws.up.data, count: rows * c.intermediateSize)
        layer.down(ws.gate.data, rows: rows, into: h, accumulate: true)
        if let st = hooks.steering, let u = st.vectors[l] {
            for bi in 0..<b {
                let sc = st.scale(for: bi)
                for i in 0..<r where st.positions.contains(firstPosition + i, promptLength: hooks.promptLength) {
                    addVector(u.data, into: h + (bi * r + i) * d, count: d, scale: sc)
                }
            }
        }
    }

    /// noise [B, P, dim] added to rows whose absolute position is positions[p].
    private func addAtPositions(_ noise: Tensor, to buf: UnsafeMutablePointer<Float>, batch b: Int, rows s: Int, dim: Int, past: Int, positions: [Int]) {
        let p = positions.count
        for bi in 0..<b {
            for (pi, pos) in positions.enumerated() where pos >= past && pos < past + s {
                addVector(noise.data + (bi * p + pi) * dim, into: buf + (bi * s + pos - past) * dim, count: dim)
            }
        }
    }

    /// Logits of one residual row: lm_head(RMSNorm(h)). h [D] -> [V]
    public func logits(ofResidual h: UnsafePointer<Float>, count n: Int = 1, into out: UnsafeMutablePointer<Float>) {
        let d = config.hiddenSize
        let normed = Tensor(zeros: [n, d])
        rmsNorm(h, rows: n, dim: d, weight: finalNorm.data, eps: config.rmsNormEps, into: normed.data)
        lmHead(normed.data, rows: n, into: out)
    }
}
