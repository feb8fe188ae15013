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

/// A PyTorch `nn.Linear`: weight [out, in], optional bias [out]. The weight is f32, or
/// bf16 as its checkpoint stores it (`BF16Matrix`; large weights of bf16 checkpoints).
public struct Linear: @unchecked Sendable {
    /// The f32 weight; nil when it is kept in bf16 (`halfWeight`).
    public let weight: Tensor?
    public let halfWeight: BF16Matrix?
    public let bias: Tensor?
    let packed: PackedWeight?
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.shape.count == 2)
        self.weight = weight
        halfWeight = nil
        self.bias = bias
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        packed = PackedWeight(weight)
    }

    public init(halfWeight: BF16Matrix, bias: Tensor?) {
        weight = nil
        self.halfWeight = halfWeight
        self.bias = bias
        outFeatures = halfWeight.rows
        inFeatures = halfWeight.cols
        packed = nil
    }

    /// Weights of bf16 checkpoints with at least this many elements stay bf16 in memory
    /// (decoding reads half the bytes; memory halves); smaller ones are widened at load.
    nonisolated(unsafe) public static var halfPrecisionMinimumElements = 1 << 20

    /// Runs `body` with every bf16 weight kept in bf16 (tests: small checkpoints take the
    /// large models' path).
    public static func keepingEveryHalfWeight<T>(_ body: () throws -> T) rethrows -> T {
        let saved = halfPrecisionMinimumElements
        halfPrecisionMinimumElements = 0
        defer { halfPrecisionMinimumElements = saved }
        return try body()
    }

    /// Up to this many rows a bf16 weight is multiplied in registers (`amps_bf16_gemm_small`);
    /// more rows widen it block by block into f32 for sgemm.
    static let halfDirectRowLimit = 8

    /// Row `r` of the weight as f32 (a tied embedding's lookup).
    public func weightRow(_ r: Int, into dst: UnsafeMutablePointer<Float>) {
        if let weight { dst.update(from: weight.data + r * inFeatures, count: inFeatures) }
        else { halfWeight!.widen(rows: r..<(r + 1), into: dst) }
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
        if let half = halfWeight {
            halfProduct(half, a, rows: m, features: f, into: c, accumulate: addToC)
        } else if let packed, m >= 2, m <= Linear.packedRowLimit, f.lowerBound % 16 == 0,
           // feature blocks start on a 16-feature panel; 0 = kernel level 0 (no AVX2 + FMA), sgemm does it
           amps_packed_gemm(a, k, packed.data + f.lowerBound * k, m, f.count, k, c, n, addToC ? 1 : 0) != 0 {
            BLAS.count(m, f.count, k)
        } else {
            BLAS.gemmNT(m: m, n: f.count, k: k, a: a, lda: k, b: weight!.data + f.lowerBound * k, ldb: k, c: c, ldc: n,
                        beta: addToC ? 1 : 0)
        }
        if let bias, accumulate { for r in 0..<m { addVector(bias.data + f.lowerBound, into: c + r * n, count: f.count) } }
    }
}

extension Linear {
    /// c[m, features] (+)= a[m, k] · W[features]^T for a bf16 W: few rows in registers,
    /// more through f32 blocks of ~1 MB widened for sgemm (its 2m flops per weight dwarf
    /// the widening).
    func halfProduct(_ w: BF16Matrix, _ a: UnsafePointer<Float>, rows m: Int, features f: Range<Int>,
                     into c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let n = outFeatures, k = inFeatures
        if m <= Linear.halfDirectRowLimit {
            amps_bf16_gemm_small(a, k, w.data + f.lowerBound * k, k, m, f.count, k, c, n, accumulate ? 1 : 0)
            BLAS.count(m, f.count, k)
            return
        }
        let block = min(f.count, max(16, (1 << 18) / k / 16 * 16))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: block * k)
        defer { scratch.deallocate() }
        var j = f.lowerBound
        while j < f.upperBound {
            let nb = min(block, f.upperBound - j)
            w.widen(rows: j..<(j + nb), into: scratch)
            BLAS.gemmNT(m: m, n: nb, k: k, a: a, lda: k, b: scratch, ldb: k, c: c + (j - f.lowerBound), ldc: n,
                        beta: accumulate ? 1 : 0)
            j += nb
        }
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
