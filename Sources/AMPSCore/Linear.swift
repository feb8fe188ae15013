import CKernels
/// A weight packed once into the layout of the small-product kernel (`amps_pack_weights`).
final class PackedWeight: @unchecked Sendable {
    let data: UnsafeMutablePointer<Float>
    let count: Int
    /// Small weights only: the copy costs memory, and large products amortise sgemm's own packing.
    static let maximumElements = 1 << 17

    init?(_ w: Tensor) {
        let n = w.shape[0], k = w.shape[1]
        guard n * k <= PackedWeight.maximumElements, amps_cpu_kernel_level() >= 1 else { return nil }
        count = amps_packed_size(n, k)
        data = .allocate(capacity: count)
        amps_pack_weights(w.data, n, k, data)
    }

    deinit { data.deallocate() }
}

/// A PyTorch `nn.Linear`: weight [out, in], optional bias [out].
public struct Linear: @unchecked Sendable {
    public let weight: Tensor
    public let bias: Tensor?
    let packed: PackedWeight?
    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.shape.count == 2)
        self.weight = weight
        self.bias = bias
        packed = PackedWeight(weight)
    }

    /// Up to this many rows a small weight goes through the packed kernel: sgemm re-packs
    /// the weight on every call, a third of the cost of a 50-row product (from ~250 rows
    /// on, sgemm's blocking wins).
    static let packedRowLimit = 160

    /// y[M, out] = x[M, in] · W^T + b. Outside a parallel region a large product is
    /// split over the workers: by rows when there are many, else by output features (one
    /// decoding row through a big matrix is bound by reading the weights, which halves).
    public func callAsFunction(_ x: UnsafePointer<Float>, rows m: Int, into y: UnsafeMutablePointer<Float>,
                               accumulate: Bool = false) {
        let n = outFeatures, k = inFeatures
        guard Parallel.available, max(m, 8) * n * k >= Parallel.minimumWork else {
            product(x, rows: 0..<m, features: 0..<n, into: y, accumulate: accumulate)
            return
        }
        Parallel.reserve { w in
            if m >= 2 * Parallel.minimumRowsPerWorker {
                let parts = Parallel.chunks(m, parts: w.count)
                w.run(parts.count) { i in product(x, rows: parts[i], features: 0..<n, into: y, accumulate: accumulate) }
            } else {
                // Feature blocks of whole cache lines (16 floats) so workers never share one.
                let parts = Parallel.chunks((n + 15) / 16, parts: w.count).map { ($0.lowerBound * 16)..<min(n, $0.upperBound * 16) }
                w.run(parts.count) { i in product(x, rows: 0..<m, features: parts[i], into: y, accumulate: accumulate) }
            }
        }
    }

    /// y[rows, features] of the product above.
    private func product(_ x: UnsafePointer<Float>, rows: Range<Int>, features f: Range<Int>, into y: UnsafeMutablePointer<Float>,
                         accumulate: Bool) {
        let n = outFeatures, k = inFeatures, m = rows.count
        guard m > 0, !f.isEmpty else { return }
        let a = x + rows.lowerBound * k, c = y + rows.lowerBound * n + f.lowerBound
        // The bias is written first when the product overwrites y, added after when it accumulates.
        if let bias, !accumulate { for r in 0..<m { (c + r * n).update(from: bias.data + f.lowerBound, count: f.count) } }
        let addToC = accumulate || bias != nil
        if let packed, m >= 2, m <= Linear.packedRowLimit, f.lowerBound % 16 == 0,
           // feature blocks start on a 16-feature panel; 0 = kernel level 0 (no AVX2 + FMA), sgemm does it
           amps_packed_gemm(a, k, packed.data + f.lowerBound * k, m, f.count, k, c, n, addToC ? 1 : 0) != 0 {
            BLAS.count(m, f.count, k)
        } else {
            BLAS.gemmNT(m: m, n: f.count, k: k, a: a, lda: k, b: weight.data + f.lowerBound * k, ldb: k, c: c, ldc: n,
                        beta: addToC ? 1 : 0)
        }
        if let bias, accumulate { for r in 0..<m { addVector(bias.data + f.lowerBound, into: c + r * n, count: f.count) } }
    }
}

/// y[i] += x[i] * scale for i < count.
@inline(__always)
public func addVector(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1) {
    if scale == 1 {
        for i in 0..<count { y[i] += x[i] }
    } else {
        for i in 0..<count { y[i] += x[i] * scale }
    }
}
