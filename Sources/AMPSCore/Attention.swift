import Foundation

/// Scaled dot-product attention for one sequence, all heads, through BLAS.
///
///   q      [S, H*hd]        queries of the S new rows (leading dimension qLd)
///   keys   [Tk, KV*hd]      keys of every position so far (leading dimension kvLd)
///   values [Tk, KV*hd]
///   out    [S, H*hd]        (leading dimension outLd)
///   scores [S, Tk]          scratch
/// Query row i sits at absolute position `firstQueryPosition + i`; with `causal` it sees
/// keys 0...that position. Grouped-query attention: head h reads kv head h / (H/KV).
public func multiHeadAttention(q: UnsafePointer<Float>, qLd: Int, rows s: Int,
                               heads: Int, kvHeads: Int, headDim hd: Int,
                               keys: UnsafePointer<Float>, values: UnsafePointer<Float>, kvLd: Int, keyRows tk: Int,
                               firstQueryPosition: Int, causal: Bool, scale: Float,
                               scores: UnsafeMutablePointer<Float>,
                               out: UnsafeMutablePointer<Float>, outLd: Int) {
    let group = heads / kvHeads
    func attendHeads(_ hs: Range<Int>, _ scores: UnsafeMutablePointer<Float>) {
        for h in hs {
            let kvh = h / group
            BLAS.gemmNT(m: s, n: tk, k: hd, a: q + h * hd, lda: qLd, b: keys + kvh * hd, ldb: kvLd,
                        c: scores, ldc: tk, alpha: scale)
            for i in 0..<s {
                let row = scores + i * tk
                let visible = causal ? min(tk, firstQueryPosition + i + 1) : tk
                let inv = 1 / expShiftSum(row, count: visible, shift: maxElement(row, count: visible))
                multiply(row, count: visible, by: inv)
                if visible < tk { (row + visible).update(repeating: 0, count: tk - visible) }
            }
            BLAS.gemmNN(m: s, n: hd, k: tk, a: scores, lda: tk, b: values + kvh * hd, ldb: kvLd,
                        c: out + h * hd, ldc: outLd)
        }
    }
    // Outside a parallel region, large attention splits its heads over the workers
    // (each with its own score buffer).
    guard heads > 1, Parallel.available, 2 * s * tk * hd * heads >= Parallel.minimumWork else {
        attendHeads(0..<heads, scores)
        return
    }
    Parallel.reserve { w in
        let parts = Parallel.chunks(heads, parts: w.count)
        let extra = (1..<parts.count).map { _ in Tensor(uninitialized: [s, tk]) }
        w.run(parts.count) { i in attendHeads(parts[i], i == 0 ? scores : extra[i - 1].data) }
    }
}
