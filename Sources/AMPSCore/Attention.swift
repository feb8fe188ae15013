import CKernels
import Foundation

/// Scaled dot-product attention for one sequence, all heads, through BLAS.
///
///   q      [S, H*hd]        queries of the S new rows (leading dimension qLd)
///   keys   [Tk, KV*hd]      keys of every position so far (leading dimension kvLd)
///   values [Tk, KV*hd]
///   out    [S, H*hd]        (leading dimension outLd)
/// Query row i sits at absolute position `firstQueryPosition + i`; with `causal` it sees
/// keys 0...that position. Grouped-query attention: head h reads kv head h / (H/KV).
///
/// The H/KV query heads that share a kv head go through it together, and the queries in
/// blocks of `queryBlock` positions, each block multiplying only the keys its last row can
/// see: fewer, larger products, and causal attention skips about half the score matrix.
public func multiHeadAttention(q: UnsafePointer<Float>, qLd: Int, rows s: Int,
                               heads: Int, kvHeads: Int, headDim hd: Int,
                               keys: UnsafePointer<Float>, values: UnsafePointer<Float>, kvLd: Int, keyRows tk: Int,
                               firstQueryPosition: Int, causal: Bool, scale: Float,
                               out: UnsafeMutablePointer<Float>, outLd: Int) {
    let group = heads / kvHeads
    let block = max(1, min(s, attentionQueryBlock))
    // kv heads kvRange, with scratch of its own (a worker's share when split).
    // With AVX2 or better, a kv head's keys and values are packed once for the
    // small-product kernel (sgemm packed both operands again on every block: a fifth of
    // a small model's forward pass went to these few-MFLOP products).
    let packed = amps_kernel_level() >= 1 && s >= attentionPackedMinimumRows
    func attendGroups(_ kvRange: Range<Int>) {
        let maxRows = block * group
        let qg = UnsafeMutablePointer<Float>.allocate(capacity: maxRows * hd)  // [block*group, hd]
        let og = UnsafeMutablePointer<Float>.allocate(capacity: maxRows * hd)  // [block*group, hd]
        let sc = UnsafeMutablePointer<Float>.allocate(capacity: maxRows * tk)  // [block*group, seen]
        let pk = UnsafeMutablePointer<Float>.allocate(capacity: packed ? amps_packed_size(tk, hd) : 0)  // K panels: 16 keys x hd
        let pv = UnsafeMutablePointer<Float>.allocate(capacity: packed ? amps_packed_size(hd, tk) : 0)  // V panels: tk x 16 dims
        defer { qg.deallocate(); og.deallocate(); sc.deallocate(); pk.deallocate(); pv.deallocate() }
        for kvh in kvRange {
            if packed {
                amps_pack_weights_strided(keys + kvh * hd, kvLd, tk, hd, pk)
                amps_pack_columns(values + kvh * hd, kvLd, tk, hd, pv)
            }
            var i0 = 0
            while i0 < s {
                let i1 = min(s, i0 + block), n = (i1 - i0) * group
                let seen = causal ? min(tk, firstQueryPosition + i1) : tk
                // Row (i - i0) * group + j of qg is query head kvh * group + j of row i; the
                // packed kernel has no alpha, so the scale is applied in the copy.
                for i in i0..<i1 {
                    let dst = qg + (i - i0) * group * hd, src = q + i * qLd + kvh * group * hd
                    if packed { for e in 0..<(group * hd) { dst[e] = src[e] * scale } }
                    else { dst.update(from: src, count: group * hd) }
                }
                if packed {
                    _ = amps_packed_gemm_strided(qg, hd, pk, 16 * hd, n, seen, hd, sc, seen, 0)
                    BLAS.count(n, seen, hd)
                } else {
                    BLAS.gemmNT(m: n, n: seen, k: hd, a: qg, lda: hd, b: keys + kvh * hd, ldb: kvLd, c: sc, ldc: seen, alpha: scale)
                }
                for r in 0..<n {
                    let row = sc + r * seen
                    let visible = causal ? min(seen, firstQueryPosition + i0 + r / group + 1) : seen
                    amps_softmax(row, visible)
                    if visible < seen { (row + visible).update(repeating: 0, count: seen - visible) }
                }
                if packed {
                    _ = amps_packed_gemm_strided(sc, seen, pv, 16 * tk, n, hd, seen, og, hd, 0)
                    BLAS.count(n, hd, seen)
                } else {
                    BLAS.gemmNN(m: n, n: hd, k: seen, a: sc, lda: seen, b: values + kvh * hd, ldb: kvLd, c: og, ldc: hd)
                }
                for i in i0..<i1 {
                    (out + i * outLd + kvh * group * hd).update(from: og + (i - i0) * group * hd, count: group * hd)
                }
                i0 = i1
            }
        }
    }
    // Outside a parallel region, large attention splits its kv heads over the workers.
    guard kvHeads > 1, Parallel.available, 2 * s * tk * hd * heads >= Parallel.minimumWork else {
        attendGroups(0..<kvHeads)
        return
    }
    Parallel.reserve { w in
        let parts = Parallel.chunks(kvHeads, parts: w.count)
        w.run(parts.count) { i in attendGroups(parts[i]) }
    }
}

/// Query rows from which packing K and V pays: a decoding step's one row would pack the
/// whole cache for a single use (sgemv-like work, bound by reading K and V once).
nonisolated(unsafe) public var attentionPackedMinimumRows = 8

/// Query positions per block of `multiHeadAttention`.
nonisolated(unsafe) public var attentionQueryBlock = 32
